"""Calls serve could not store (pending dead letters) are in no rollup: every surface that shows
a total or says whether one is complete counts them beside it, not only ``totals``: month to
date and its forecast, every breakdown (a value whose only calls were not stored has a row of
its own, cost unknown), budgets and the budget guard's state, and the report (JSON, terminal,
HTML). A period without any call is a real 0 and says "no calls".

One store, seeded once through the real write path (extractor, pricer, spool, sink into chDB)
and read by every test: on DAY (Wednesday 2026-11-18) a priced and an unpriced call stored and a
priced one of team support dead-lettered; on NEXT one priced call dead-lettered (tenant not
UTF-8: kept with a lone surrogate, counted as U+FFFD); on 2026-10-05 one dead-lettered, alone in
its month; 2026-09 holds nothing. Known cost: calls.PRICED_COST ($0.00018, OpenAI's price list).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from grafana.rules import alert_rule, evaluate
from ingest.ingest_path import Ingest
from rich.console import Console

from grafana.panels import run_panel, shown_rows
from tokentrace.grafana.dashboards import overview
from tokentrace.instrumentation.budget_guard import Exceeded
from tokentrace.processor.api.budgets_api import enforced_json
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.report import document, html, terminal, window
from tokentrace.processor.store import budgets, dead_letters, views
from unknown_cost import calls

DAY = dt.datetime(2026, 11, 18, tzinfo=dt.UTC)
NEXT = DAY + dt.timedelta(days=1)
ALONE = dt.datetime(2026, 10, 5, tzinfo=dt.UTC)  # a month whose only call was not stored
EMPTY = dt.datetime(2026, 9, 15, tzinfo=dt.UTC)  # a month without any call
PRICED = calls.PRICED_COST


@pytest.fixture(scope="module")
def store(module_store_client, tmp_path_factory) -> Iterator[Any]:
    client = module_store_client
    ingest = Ingest(tmp_path_factory.mktemp("spool"), lambda: client, Pricer())
    try:
        ingest.send(
            calls.export([
                (calls.priced(), DAY + dt.timedelta(hours=9)),
                (calls.unpriced(), DAY + dt.timedelta(hours=10)),
            ])
        )  # fmt: skip
    finally:
        ingest.close()
    support, next_day, alone = calls.rows([
        (calls.priced(), DAY + dt.timedelta(hours=11)),
        (calls.priced(), NEXT + dt.timedelta(hours=11)),
        (calls.priced(), ALONE + dt.timedelta(hours=12)),
    ], NEXT + dt.timedelta(days=1))  # fmt: skip
    support["team"] = "support"
    next_day["tenant"] = "x\udcff"
    dead_letters.add(
        client,
        [("seg-1/0", "INCORRECT_DATA: test", support), ("seg-2/0", "cannot encode", next_day),
         ("seg-3/0", "INCORRECT_DATA: test", alone)],
    )  # fmt: skip
    budgets.set_budget(client, "", "1", "month", enforce=True)
    budgets.set_budget(client, "team=support", "1", "month")
    budgets.set_budget(client, "team=growth", "1", "day")
    yield client


def _view(client: Any, name: str, first: dt.datetime, last: dt.datetime, **kw: Any) -> list[dict]:
    end = last + dt.timedelta(days=1, milliseconds=-1)
    return views.fetch(client, views.VIEWS[name], start=first, end=end, **kw)


def test_the_columns_the_sink_writes(store) -> None:
    """The day and dimensions are written beside the row, not parsed from it by each query."""
    rows = store.query(
        "SELECT id, day, team, tenant, model FROM dead_letters FINAL ORDER BY id"
    ).result_rows
    assert rows == [
        ("seg-1/0", DAY.date(), "support", "acme-corp", "gpt-4o-mini"),
        ("seg-2/0", NEXT.date(), "growth", "x\ufffd", "gpt-4o-mini"),
        ("seg-3/0", ALONE.date(), "growth", "acme-corp", "gpt-4o-mini"),
    ]


def _month(client: Any, day: dt.datetime) -> tuple:
    [row] = _view(client, "month_to_date", day, day)
    return (
        row["cost"],
        row["requests"],
        row["unpriced_requests"],
        row["dead_lettered_requests"],
        row["forecast_dead_lettered_requests"],
        row["forecast"] is None,
    )


def test_month_to_date_counts_the_calls_not_stored(store) -> None:
    assert _month(store, NEXT) == (PRICED, 2, 1, 2, 2, False)
    # the month's only call was not stored: unknown, never $0, and no forecast
    assert _month(store, ALONE) == (None, 0, 0, 1, 1, True)
    # nothing at all: a real 0
    assert _month(store, EMPTY) == (0, 0, 0, 0, 0, False)
    # the day after ALONE: the 7 days before it hold the call not stored only, so their known
    # spend is unknown, not $0, and the call is counted beside it
    after = ALONE + dt.timedelta(days=1)
    [row] = _view(store, "month_to_date", after, after)
    assert (row["last_week"], row["last_week_requests"]) == (None, 0)
    assert row["last_week_dead_lettered_requests"] == 1
    # the 7 days before NEXT hold DAY's stored calls beside its letter: their known spend
    [row] = _view(store, "month_to_date", NEXT, NEXT)
    assert (row["last_week"], row["last_week_dead_lettered_requests"]) == (PRICED, 1)
    # the variables narrow them as they narrow the stored calls
    [support] = _view(store, "month_to_date", NEXT, NEXT, filters={"team": ("support",)})
    assert (support["cost"], support["requests"], support["dead_lettered_requests"]) == (None, 0, 1)


def _rows(rows: list[dict], *keys: str) -> list[tuple]:
    return [
        (*(r[k] for k in keys), r["cost"], r["requests"], r["unpriced_requests"],
         r["dead_lettered_requests"])
        for r in rows
    ]  # fmt: skip


def test_every_breakdown_has_a_row_for_the_calls_not_stored(store) -> None:
    assert _rows(_view(store, "spend_by_team", DAY, DAY), "team") == [
        ("growth", PRICED, 2, 1, 0),
        ("support", None, 0, 0, 1),  # its only call was not stored: unknown, not $0
    ]
    assert _rows(_view(store, "spend_by_model", DAY, DAY), "provider", "model") == [
        ("openai", "gpt-4o-mini", PRICED, 1, 0, 1),
        ("acme", "acme-1", None, 1, 1, 0),
    ]
    assert _rows(_view(store, "spend_by_provider", DAY, DAY), "provider") == [
        ("openai", PRICED, 1, 0, 1),
        ("acme", None, 1, 1, 0),
    ]
    # top-N breakdowns, with and without blocked calls
    assert _rows(_view(store, "spend_by_tenant", NEXT, NEXT, top=5), "tenant") == [
        ("x\ufffd", None, 0, 0, 1),
    ]
    assert _rows(_view(store, "spend_by_api_key", DAY, DAY), "api_key") == [
        ("sk-...abcd#1234", PRICED, 2, 1, 1),
    ]
    # an empty period has no row at all
    assert _view(store, "spend_by_team", EMPTY, EMPTY) == []


def _budget(rows: list[dict], scope: str) -> tuple:
    [row] = [r for r in rows if r["scope"] == scope]
    return (row["budget"], row["spent"], row["requests"], row["unpriced_requests"],
            row["dead_lettered_requests"])  # fmt: skip


def test_budgets_and_the_guard_count_the_calls_not_stored(store) -> None:
    noon = NEXT + dt.timedelta(hours=12)
    rows = views.fetch(store, views.VIEWS["budget_utilization"], start=noon, end=noon)
    assert _budget(rows, "") == ("all (month) + 1 unknown + 2 not stored", PRICED, 2, 1, 2)
    # a budget whose period's only calls were not stored has spent an unknown amount, not $0
    assert _budget(rows, "team=support") == ("team=support (month) + 1 not stored", None, 0, 0, 1)
    assert _budget(rows, "team=growth") == ("team=growth (day) + 1 not stored", None, 0, 0, 1)
    [state] = budgets.enforced_state(store, now=noon)
    shown = enforced_json(state)
    assert (shown["spent"], shown["dead_lettered_requests"], shown["spent_complete"]) == (
        "0.00018",
        2,
        False,
    )
    # the alert on budgets whose spend leaves calls out fires for them: support has no call of
    # unknown cost, only one not stored
    firing = evaluate(store, alert_rule("tokentrace-budget-unknown-cost"), noon)
    assert firing[(("scope", "team=support"), ("period", "month"))] == {
        "unknown": 1.0, "requests": 0.0, "amount": 1.0, "not_stored": 1.0,
    }  # fmt: skip
    assert firing[(("scope", "all"), ("period", "month"))]["unknown"] == 3.0  # 1 + 2 not stored
    # the guard's refusal says what the spend leaves out
    refused = Exceeded("", (), "month", "0.0001", "0.00018", 1, 2)
    assert "at least 0.00018 of 0.0001 USD (1 call of unknown cost and 2 calls not stored " in (
        refused.describe()
    )


def _report(client: Any, first: dt.datetime, last: dt.datetime) -> dict[str, Any]:
    span = window.build(None, first.date().isoformat(), last.date().isoformat(), None,
                        now=NEXT + dt.timedelta(days=2))  # fmt: skip
    doc = document.build(document.store_fetcher(client, span), span)
    json.dumps(doc)
    return doc


def _text(doc: dict[str, Any]) -> str:
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=200, color_system=None))
    return out.getvalue()


def test_the_report_says_what_its_totals_leave_out(store) -> None:
    doc = _report(store, DAY, NEXT)
    mtd = doc["month_to_date"]
    assert (mtd["cost"], mtd["dead_lettered_requests"], mtd["forecast_dead_lettered_requests"]) == (
        str(PRICED),
        2,
        2,
    )
    assert (mtd["cost_complete"], mtd["forecast_complete"]) == (False, False)
    [overall] = [b for b in mtd["budgets"] if b["scope"] == ""]
    assert (overall["dead_lettered_requests"], overall["spent_complete"]) == (2, False)
    # by_model gains its share of the known spend (extended, nothing renamed), and on every row
    # what that share leaves out of the whole window: acme-1's row too says 2 calls not stored
    keys = ("model", "cost", "share", "share_unpriced_requests", "share_dead_lettered_requests",
            "dead_lettered_requests")  # fmt: skip
    assert [tuple(r[k] for k in keys) for r in doc["by_model"]] == [
        ("gpt-4o-mini", str(PRICED), 1.0, 1, 2, 2),
        ("acme-1", None, None, 1, 2, 0),
    ]
    assert {r["share_dead_lettered_requests"] for r in doc["by_provider"]} == {2}
    keys = ("value", "cost", "dead_lettered_requests")
    assert [tuple(r[k] for k in keys) for r in doc["by_tag"]["team"]] == [
        ("growth", str(PRICED), 1),
        ("support", None, 1),
    ]
    text = _text(doc)
    assert "Month to date   $0.0002 + 1 unknown + 2 not stored   forecast at least $" in text
    # 400 cached tokens at 0.15 - 0.075 per million (gpt-4o-mini, calls.py): a lower bound
    assert doc["cache_savings"] == str(400 * Decimal("0.075") / 10**6)
    assert "Prompt-cache savings   at least $0.00003" in text
    assert "$0.0002 + 1 unknown + 1 not stored" in text  # growth's row
    assert "unknown + 1 not stored" in text  # support's row
    page = html.render(doc)
    assert "<b>$0.0002 + 1 unknown + 2 not stored</b><span>month to date</span>" in page
    # the HTML's breakdowns show the share of the known spend, as the terminal does
    assert "$0.0002 + 1 unknown + 1 not stored · 100.0% of known · 2 req" in page
    assert "<span class=unknown>unknown</span> + 1 not stored · — of known · 0 req" in page
    assert (
        "Shares are of the known spend: 1 call of unknown cost and 2 calls not stored not in it."
    ) in page


def test_a_share_counts_the_calls_not_stored_of_the_whole_window(store) -> None:
    """A share is of the known spend; the calls serve could not store are in no row's share nor
    in the whole, and a reader of one row, or of a list cut to its top rows, could not add them
    up: every row of every breakdown with a share counts the window's (2: DAY's and NEXT's)."""
    shared = [v for v in views.VIEWS.values() if v.name.startswith("spend_by_")]
    assert len(shared) == 10  # model, provider, six tags, API key, endpoint
    for view in shared:
        rows = _view(store, view.name, DAY, NEXT)
        assert {r["share_dead_lettered_requests"] for r in rows} == {2}, view.name
    # the two tenants, cut to the costliest one and "(other)": the one shown still says 2
    [top, rest] = _view(store, "spend_by_tenant", DAY, NEXT, top=1)
    assert (top["tenant"], top["dead_lettered_requests"], top["share_dead_lettered_requests"]) == (
        "acme-corp", 1, 2,
    )  # fmt: skip
    assert (rest["other"], rest["share_dead_lettered_requests"]) == (1, 2)


def test_a_period_of_calls_not_stored_only_and_an_empty_one(store) -> None:
    alone = _report(store, ALONE, ALONE)
    assert (alone["totals"]["cost"], alone["month_to_date"]["cost"]) == (None, None)
    text = _text(alone)
    spend = next(line for line in text.splitlines() if "Month to date" in line)
    assert "unknown + 1 not stored   forecast unknown" in spend and "$0.00" not in spend
    # what caching saved on calls not stored is unknown too, not $0.00
    assert alone["cache_savings"] is None
    assert "Prompt-cache savings   unknown" in text
    assert "<b>unknown</b><span>saved by prompt caching</span>" in html.render(alone)
    empty = _report(store, EMPTY, EMPTY)
    assert (empty["totals"]["cost"], empty["month_to_date"]["cost"]) == ("0", "0")
    text = _text(empty)
    assert "Spend in window   no calls" in text
    assert "Month to date   no calls" in text
    page = html.render(empty)
    assert "<b>no calls</b><span>spend in window</span>" in page
    assert "<b>no calls</b><span>month to date</span>" in page


def test_grafana_stats_show_the_calls_not_stored_beside_the_cost(store) -> None:
    """The overview's cost stats show the count beside the cost (the stat's fields and an
    override naming it), from the panel's own query run as the plugin sends it."""
    end = NEXT + dt.timedelta(days=1, milliseconds=-1)
    seen = {}
    for title in ("Spend this month", "Month-end forecast", "Spend in range"):
        [stat] = [p for p in overview.panels() if p["title"] == title]
        fields = stat["options"]["reduceOptions"]["fields"]
        named = {"id": "displayName", "value": "calls not stored"}
        overrides = stat["fieldConfig"]["overrides"]
        [count] = [o["matcher"]["options"] for o in overrides if named in o["properties"]]
        assert count in fields
        result = run_panel(store, stat, {}, start=DAY, end=end)
        seen[title] = dict(zip(result.column_names, result.result_rows[0], strict=True))[count]
    assert seen == {"Spend this month": 2, "Month-end forecast": 2, "Spend in range": 2}


def test_grafana_money_stats_say_no_calls_for_an_empty_window(store) -> None:
    """A window without any call reads "no calls" on the overview's money stats, as in the
    report, not $0.00 (nor "unknown" for cost per request): the view's one row is dropped by
    the panel's filter and the stat shows its noValue. A window of calls not stored only keeps
    its row, NULL, read "unknown" by the cost's own mapping."""
    unknown = {"type": "special", "options": {"match": "null", "result": {"text": "unknown"}}}
    shown = {}
    titles = ("Spend this month", "Month-end forecast", "Spend in range", "Cost per request",
              "Cache savings")  # fmt: skip
    for title in titles:
        [stat] = [p for p in overview.panels() if (p["title"], p["type"]) == (title, "stat")]
        config = stat["fieldConfig"]
        assert config["defaults"]["noValue"] == "no calls"
        assert unknown not in config["defaults"]["mappings"]
        field = stat["options"]["reduceOptions"]["fields"].split("|")[0].strip("/^(")
        [own] = [o for o in config["overrides"] if o["matcher"]["options"] == field]
        assert {"id": "mappings", "value": [unknown]} in own["properties"]
        assert stat["options"]["reduceOptions"]["values"] is True  # no row: noValue
        for name, day in (("empty", EMPTY), ("alone", ALONE), ("day", DAY)):
            end = day + dt.timedelta(days=1, milliseconds=-1)
            rows = shown_rows(stat, run_panel(store, stat, {}, start=day, end=end))
            shown[title, name] = [r[field] for r in rows]
    assert shown == {
        ("Spend this month", "empty"): [],  # noValue: "no calls"
        ("Spend this month", "alone"): [None],  # "unknown"
        ("Spend this month", "day"): [PRICED],  # 2026-11 to the 18th
        # neither September nor the 7 days before hold a call: was $0.00
        ("Month-end forecast", "empty"): [],
        ("Month-end forecast", "alone"): [None],  # October's only call was not stored
        ("Month-end forecast", "day"): [NOVEMBER_FORECAST],
        ("Spend in range", "empty"): [],
        ("Spend in range", "alone"): [None],
        ("Spend in range", "day"): [PRICED],
        ("Cost per request", "empty"): [],
        ("Cost per request", "alone"): [None],
        ("Cost per request", "day"): [PRICED],  # 1 call of known cost
        ("Cache savings", "empty"): [],
        ("Cache savings", "alone"): [None],
        # 400 cached gpt-4o-mini tokens at $0.075 instead of $0.15 per million
        ("Cache savings", "day"): [Decimal("0.00003")],
    }


# The forecast of 2026-11-18 23:59:59 (the panel's range end, whole seconds): the month's known
# $0.00018 over its 17 days, 23:59:59 elapsed (1,555,199 s), at the same rate for the 1,036,801 s
# left (12 days and 1 s; no known spend in the 7 days before): 0.00018 x 1,036,801 / 1,555,199
# = 0.000120000192901…, cut once at ClickHouse's 12 decimal places (a rate cut to 12 places
# first read 0.000299232115, 0.26 % short).
NOVEMBER_FORECAST = PRICED + Decimal("0.000120000192")


def test_the_forecast_is_exact_and_no_calls_says_so(store) -> None:
    """The month-end forecast of 2026-11-18, by hand; the report says "no calls" for a month
    whose forecast has no call to stand on (JSON: forecast "0", forecast_no_calls true)."""
    [row] = _view(store, "month_to_date", DAY, DAY)
    assert row["forecast"] == NOVEMBER_FORECAST == Decimal("0.000300000192")
    assert row["last_week_requests"] == 0
    empty = _report(store, EMPTY, EMPTY)
    mtd = empty["month_to_date"]
    assert (mtd["forecast"], mtd["no_calls"], mtd["forecast_no_calls"]) == ("0", True, True)
    assert (empty["totals"]["cost"], empty["totals"]["no_calls"]) == ("0", True)
    assert "Month to date   no calls   forecast no calls" in _text(empty)
    assert "<b>no calls</b><span>month-end forecast</span>" in html.render(empty)
    day = _report(store, DAY, NEXT)["month_to_date"]
    assert (day["no_calls"], day["forecast_no_calls"]) == (False, False)


def test_an_hour_of_calls_not_stored_is_no_zero_hour(store) -> None:
    """The hourly burn rate counts the calls not stored by their hour (migration 0028): an
    hour whose only call was not stored was $0.00 an hour, now unknown (NULL) beside its 1."""
    hours = [
        (r["time"], r["cost_per_hour"], r["unpriced_requests"], r["dead_lettered_requests"])
        for r in views.fetch(
            store,
            views.VIEWS["hourly_burn_rate"],
            start=DAY + dt.timedelta(hours=9),
            end=DAY + dt.timedelta(hours=12, milliseconds=-1),
        )
        + views.fetch(
            store,
            views.VIEWS["hourly_burn_rate"],
            start=NEXT + dt.timedelta(hours=11),
            end=NEXT + dt.timedelta(hours=12, milliseconds=-1),
        )
    ]
    at = lambda day, hour: (day + dt.timedelta(hours=hour)).replace(tzinfo=None)  # noqa: E731
    assert hours == [
        (at(DAY, 9), PRICED, 0, 0),
        (at(DAY, 10), None, 1, 0),  # its only call of unknown cost
        (at(DAY, 11), None, 0, 1),  # its only call not stored: was $0.00
        (at(NEXT, 11), None, 0, 1),
    ]


def test_a_day_of_calls_not_stored_is_no_zero_day(store) -> None:
    before, after = ALONE - dt.timedelta(days=1), ALONE + dt.timedelta(days=1)
    days = [
        (r["day"], r["cost"], r["requests"], r["unpriced_requests"], r["dead_lettered_requests"])
        for r in _view(store, "daily_spend", before, after)
    ]
    assert days == [
        (before.date(), 0, 0, 0, 0),  # no calls: a real 0
        (ALONE.date(), None, 0, 0, 1),
        (after.date(), 0, 0, 0, 0),
    ]
    [day] = [d for d in _view(store, "daily_spend", DAY, DAY)]
    assert (day["cost"], day["requests"], day["dead_lettered_requests"]) == (PRICED, 2, 1)


def _change(client: Any, day: dt.datetime) -> tuple:
    [row] = _view(client, "spend_change", day, day)
    keys = ("cost", "previous_cost", "dead_lettered_requests", "previous_dead_lettered_requests",
            "change_complete", "change_basis")  # fmt: skip
    return tuple(row[k] for k in keys)


def test_the_change_leaves_the_calls_not_stored_out_and_says_so(store) -> None:
    assert _change(store, DAY) == (PRICED, 0, 1, 0, 0, "no calls before")
    assert _change(store, NEXT) == (None, PRICED, 1, 1, 0, "cost unknown")
    # the day before had calls, none stored: not "no calls before"
    after = ALONE + dt.timedelta(days=1)
    assert _change(store, after) == (0, None, 0, 1, 0, "previous cost unknown")


def test_the_html_chart_of_days_of_calls_not_stored_only(store) -> None:
    page = html.render(_report(store, ALONE, ALONE))
    assert (
        "<p class=note>Nothing known to chart: 1 call of these days was not stored "
        "(tokentrace dead-letters list).</p>"
    ) in page
