"""Unknown cost is never $0, on any surface (DESIGN §9): a real ``tokentrace serve`` is fed the
calls of ``calls.py`` over OTLP, then read the ways users read it: the views API, the budget
guard's state, ``tokentrace report`` (text, HTML, JSON) through serve, every Grafana panel and
alert query through serve's ClickHouse HTTP interface, as the plugin sends them.

A day of unknown costs only shows them as unknown (NULL / "unknown") with their count; a day
mixing them with known costs shows the known cost as a lower bound with the count; a day
without calls is a real $0 with 0 calls.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import clickhouse_connect
import pytest
from grafana.rules import answers
from ingest.serve_process import ServeProcess

from grafana.panels import run_panel
from tokentrace.grafana.dashboards import DASHBOARDS
from tokentrace.instrumentation.budget_guard import BudgetGuard
from tokentrace.processor.store import views
from unknown_cost import calls

pytestmark = pytest.mark.slow

TOKEN = "unknown-cost-token"
# Set by the ``serve`` fixture, when the module's tests start (see there).
TODAY = dt.datetime.now(dt.UTC).date()
DAYS = calls.days(TODAY)
# Longer than this module takes (~2.5 min on a loaded machine), and short enough that waiting it
# out stays within pytest's timeout (pyproject.toml: 300 s).
DAY_MARGIN = dt.timedelta(minutes=4)
# Money columns whose value is the cost of the calls of the row (not of other calls, such as
# the previous period's or last week's, nor of failed calls, which these days have none of).
COSTS = (
    "cost", "spent", "cost_per_request", "cost_per_hour", "cache_savings", "cache_read_cost",
    "cache_write_cost", "forecast", "utilization", "share",
)  # fmt: skip


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """serve with the calls stored and two budgets set. Today is the UTC day the tests run in,
    which serve's budget guard state reads from its own clock: so they start at least
    :data:`DAY_MARGIN` before midnight, or wait for the new day."""
    global TODAY, DAYS
    now = dt.datetime.now(dt.UTC)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    if midnight - now < DAY_MARGIN:
        time.sleep((midnight - now).total_seconds() + 1)
    TODAY = dt.datetime.now(dt.UTC).date()
    DAYS = calls.days(TODAY)
    with socket.socket() as probe:  # held while serve's own ports are chosen: all differ
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        server = ServeProcess(
            tmp_path_factory.mktemp("unknown_cost"),
            args=("--clickhouse-http-port", str(port)),
            env={"TOKENTRACE_AUTH_TOKEN": TOKEN},
        )
    server.start()
    server.clickhouse_port = port
    try:
        sent = calls.send(server.url, TODAY, TOKEN)
        deadline = time.monotonic() + 60
        while _totals(server, DAYS["unpriced"], TODAY)["requests"] != sent:
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.2)
        for budget in (
            {"scope": "global", "amount": "1", "period": "day", "enforce": True},
            {"scope": "tenant=acme-corp", "amount": "5", "period": "month", "enforce": True},
        ):
            _api(server, "/api/v1/budgets", method="PUT", body=budget)
        yield server
    finally:
        assert server.stop() == 0


def _api(server: Any, path: str, method: str = "GET", body: dict | None = None) -> Any:
    sent = urllib.request.Request(
        f"{server.url}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"authorization": f"Bearer {TOKEN}"},
        method=method,
    )
    with urllib.request.urlopen(sent, timeout=60) as answer:
        return json.loads(answer.read())


def _range(first: dt.date, last: dt.date) -> str:
    return f"from={first}T00:00:00Z&to={last}T23:59:59.999Z"


def _view(server: Any, name: str, first: dt.date, last: dt.date | None = None) -> list[dict]:
    return _api(server, f"/api/v1/views/{name}?{_range(first, last or first)}")["rows"]


def _totals(server: Any, first: dt.date, last: dt.date | None = None) -> dict:
    return _view(server, "totals", first, last)[0]


def _money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _unknown_calls(first: dt.date, last: dt.date) -> int:
    """The calls of unknown cost made from ``first`` to ``last``, inclusive."""
    return sum(
        count
        for label, day in DAYS.items()
        if first <= day <= last
        for kind, count in calls.CALLS[label]
        if kind != "priced"
    )


def _unknown_costs_only(rows: list[dict], where: str) -> None:
    """Every cost in ``rows`` is unknown: NULL, never 0."""
    for row in rows:
        for key in COSTS:
            if key in row:
                assert row[key] is None, (where, key, row)


# ---------------------------------------------------------------- the views API


@pytest.mark.parametrize("day", ["unpriced", "usage_missing"])
def test_a_day_of_unknown_costs_has_no_zero_cost_in_any_view(serve, day: str) -> None:
    calls_of_day = sum(count for _, count in calls.CALLS[day])
    for name in views.VIEWS:
        rows = _view(serve, name, DAYS[day])
        _unknown_costs_only(rows, name)
    totals = _totals(serve, DAYS[day])
    assert totals["requests"] == totals["unpriced_requests"] == calls_of_day
    assert totals["usage_missing_requests"] == (calls_of_day if day == "usage_missing" else 0)
    # the stream cut off by an error: a failed call of unknown cost, not a failure costing $0
    failed = int(day == "usage_missing")
    assert (totals["failed_requests"], totals["failed_unpriced_requests"]) == (failed, failed)
    assert totals["failed_cost"] is None if failed else _money(totals["failed_cost"]) == 0
    features = _view(serve, "failures_by_feature", DAYS[day])
    assert [(r["failed_requests"], r["failed_cost"]) for r in features if r["failed_requests"]] == (
        [(1, None)] if failed else []
    )
    [daily] = _view(serve, "daily_spend", DAYS[day])
    assert (daily["cost"], daily["requests"], daily["unpriced_requests"]) == (
        None,
        calls_of_day,
        calls_of_day,
    )
    for name in ("spend_by_model", "spend_by_provider", "spend_by_api_key", "spend_by_endpoint",
                 *(f"spend_by_{d}" for d in views.TAG_DIMENSIONS), "cost_by_user",
                 "cost_by_conversation"):  # fmt: skip
        rows = _view(serve, name, DAYS[day])
        assert rows, name
        assert sum(r["unpriced_requests"] for r in rows) == calls_of_day, name
    change = _view(serve, "spend_change", DAYS[day])[0]
    assert (change["cost"], change["change"], change["unpriced_requests"]) == (
        None,
        None,
        calls_of_day,
    )
    assert [c["cost"] for c in _view(serve, "top_calls", DAYS[day])] == [None] * calls_of_day


def test_a_day_without_calls_is_zero_with_zero_calls(serve) -> None:
    totals = _totals(serve, DAYS["empty"])
    assert (_money(totals["cost"]), totals["requests"], totals["unpriced_requests"]) == (0, 0, 0)
    [daily] = _view(serve, "daily_spend", DAYS["empty"])
    assert (_money(daily["cost"]), daily["requests"]) == (0, 0)
    assert _view(serve, "spend_by_model", DAYS["empty"]) == []


def test_a_mixed_day_shows_the_known_cost_with_the_unknown_count(serve) -> None:
    known = 2 * calls.PRICED_COST
    totals = _totals(serve, TODAY)
    assert _money(totals["cost"]) == known
    assert (totals["requests"], totals["unpriced_requests"]) == (4, 2)
    # the average of the two calls of known cost, not of all four
    assert _money(totals["cost_per_request"]) == calls.PRICED_COST
    models = {r["model"]: r for r in _view(serve, "spend_by_model", TODAY)}
    assert (_money(models["gpt-4o-mini"]["cost"]), models["gpt-4o-mini"]["unpriced_requests"]) == (
        known,
        1,
    )
    assert (models["acme-1"]["cost"], models["acme-1"]["unpriced_requests"]) == (None, 1)
    [daily] = _view(serve, "daily_spend", TODAY)
    assert (_money(daily["cost"]), daily["unpriced_requests"]) == (known, 2)
    top = [_money(c["cost"]) for c in _view(serve, "top_calls", TODAY)]
    assert top == [calls.PRICED_COST, calls.PRICED_COST, None, None]
    # over the four days: the known cost of today, and every unknown call counted
    week = _totals(serve, DAYS["unpriced"], TODAY)
    assert (_money(week["cost"]), week["requests"], week["unpriced_requests"]) == (known, 9, 7)
    daily = _view(serve, "daily_spend", DAYS["unpriced"], TODAY)
    assert [(_money(d["cost"]), d["requests"]) for d in daily] == [
        (None, 2),
        (None, 3),
        (0, 0),
        (known, 4),
    ]


# ---------------------------------------------------------------- budgets


def test_budgets_with_unknown_costs_are_not_under_budget_at_zero(serve) -> None:
    for label in ("unpriced", "usage_missing"):
        rows = _view(serve, "budget_utilization", DAYS[label])
        daily = next(r for r in rows if r["period"] == "day")
        assert (daily["spent"], daily["utilization"]) == (None, None), label
        assert daily["unpriced_requests"] == daily["requests"] > 0
    empty = next(
        r for r in _view(serve, "budget_utilization", DAYS["empty"]) if r["period"] == "day"
    )
    assert (_money(empty["spent"]), empty["requests"]) == (0, 0)
    today = {r["period"]: r for r in _view(serve, "budget_utilization", TODAY)}
    assert (_money(today["day"]["spent"]), today["day"]["unpriced_requests"]) == (
        2 * calls.PRICED_COST,
        2,
    )
    enforced = {b["period"]: b for b in _api(serve, "/api/v1/budgets/enforced")["budgets"]}
    assert enforced["day"] | {"utilization": None} == {
        "scope": "",
        "filters": {},
        "period": "day",
        "amount": "1",
        "spent": "0.00036",
        "utilization": None,
        "exceeded": False,
        "unpriced_requests": 2,
        "dead_lettered_requests": 0,
        "spent_complete": False,
    }


# ---------------------------------------------------------------- the report


def _report(serve: Any, first: dt.date, last: dt.date, form: str) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "tokentrace.processor.cli", "report", "--api", serve.url,
         "--from", str(first), "--to", str(last), "--format", form],
        capture_output=True, text=True, timeout=180,
        env={**os.environ, "TOKENTRACE_AUTH_TOKEN": TOKEN, "COLUMNS": "200"},
    )  # fmt: skip
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    return run.stdout


@pytest.mark.parametrize("day", ["unpriced", "usage_missing"])
def test_the_report_of_a_day_of_unknown_costs(serve, day: str) -> None:
    count = sum(n for _, n in calls.CALLS[day])
    doc = json.loads(_report(serve, DAYS[day], DAYS[day], "json"))
    totals = doc["totals"]
    assert (totals["cost"], totals["cost_complete"], totals["unpriced_requests"]) == (
        None,
        False,
        count,
    )
    assert doc["cost_per_request"]["average"] is None
    assert [d["cost"] for d in doc["daily"]] == [None]
    for key in ("by_model", "by_provider", "top_users", "top_conversations", "top_calls"):
        assert doc[key] and all(r["cost"] is None for r in doc[key]), key
    for key, rows in doc["by_tag"].items():
        assert rows and all(r["cost"] is None for r in rows), key
    budget = next(b for b in doc["month_to_date"]["budgets"] if b["period"] == "day")
    assert (budget["spent"], budget["utilization"], budget["spent_complete"]) == (None, None, False)

    text = _report(serve, DAYS[day], DAYS[day], "text")
    assert "$0.00" not in text
    spend = next(line for line in text.splitlines() if "Spend in window" in line)
    assert "unknown" in spend
    page = _report(serve, DAYS[day], DAYS[day], "html")
    assert "<b>unknown</b><span>spend in window</span>" in page
    # no chart of empty columns on a $0 to $1 axis: the day's spend and average are unknown
    unknown_chart = (
        f"Nothing known to chart: the {count} calls of these days have an "
        "<span class=unknown>unknown</span> cost (no price, or no usage)."
    )
    assert page.count(unknown_chart) == 2
    assert "<div class=chart>" not in page
    if day == "unpriced":
        # the only $0.00 on the page are the cost of failed calls, of which there are none
        assert page.count("$0.00") == 2
        assert "failed requests ($0.00)" in page
        assert f"0 of {count} calls failed; they cost $0.00" in page
    else:  # the failed stream's cost is unknown, not $0
        assert page.count("$0.00") == 0
        assert "failed requests (unknown)" in page
        assert f"1 of {count} calls failed; they cost unknown" in page
        assert (doc["totals"]["failed_cost"], doc["totals"]["failed_cost_complete"]) == (
            None,
            False,
        )
        assert "(1 failed, costing unknown)" in text


def test_the_report_of_a_day_without_calls_says_no_calls(serve) -> None:
    """A real 0 in the JSON; in words "no calls", never a $0.00 that reads as spend."""
    doc = json.loads(_report(serve, DAYS["empty"], DAYS["empty"], "json"))
    assert (doc["totals"]["cost"], doc["totals"]["requests"], doc["totals"]["cost_complete"]) == (
        "0",
        0,
        True,
    )
    text = _report(serve, DAYS["empty"], DAYS["empty"], "text")
    assert "Spend in window   no calls" in text


def test_the_report_of_the_mixed_days_says_the_total_is_partial(serve) -> None:
    doc = json.loads(_report(serve, DAYS["unpriced"], TODAY, "json"))
    totals = doc["totals"]
    assert (Decimal(totals["cost"]), totals["cost_complete"], totals["unpriced_requests"]) == (
        2 * calls.PRICED_COST,
        False,
        7,
    )
    assert Decimal(doc["cost_per_request"]["average"]) == calls.PRICED_COST
    assert [d["cost"] for d in doc["daily"]] == [None, None, "0", "0.00036"]
    text = _report(serve, DAYS["unpriced"], TODAY, "text")
    assert "Spend in window   $0.0004 + 7 unknown" in text
    page = _report(serve, DAYS["unpriced"], TODAY, "html")
    assert "<b>$0.0004 + 7 unknown</b><span>spend in window</span>" in page


# ---------------------------------------------------------------- Grafana, through serve


def _clickhouse(serve: Any) -> Any:
    return clickhouse_connect.get_client(
        host="127.0.0.1", port=serve.clickhouse_port, username="grafana", password=TOKEN
    )


def _panel_rows(client: Any, panel: dict, first: dt.date, last: dt.date) -> list[dict]:
    start = dt.datetime.combine(first, dt.time(), dt.UTC)
    end = dt.datetime.combine(last, dt.time(23, 59, 59, 999000), dt.UTC)
    result = run_panel(client, panel, {}, start=start, end=end)
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def _panels() -> list[dict]:
    return [
        panel
        for board in (build() for build in DASHBOARDS.values())
        for panel in board["panels"]
        if panel["type"] != "row"
    ]


@pytest.mark.parametrize("day", ["unpriced", "usage_missing"])
def test_no_grafana_panel_shows_zero_for_unknown_costs(serve, day: str) -> None:
    client = _clickhouse(serve)
    shown = 0
    for panel in _panels():
        rows = _panel_rows(client, panel, DAYS[day], DAYS[day])
        _unknown_costs_only(rows, panel["title"])
        shown += bool(rows)
    assert shown > 20
    # a null reads "unknown" on every panel, never blank or $0; a stat that reads "no calls"
    # for a window without any (its noValue, worked out from the defaults) maps it on its cost
    unknown = {"type": "special", "options": {"match": "null", "result": {"text": "unknown"}}}
    for panel in _panels():
        config = panel["fieldConfig"]
        if config["defaults"].get("noValue") == "no calls":
            cost = panel["options"]["reduceOptions"]["fields"].strip("/^$()").split("|")[0]
            [own] = [o for o in config["overrides"] if o["matcher"]["options"] == cost]
            assert {"id": "mappings", "value": [unknown]} in own["properties"], panel["title"]
        else:
            assert unknown in config["defaults"]["mappings"], panel["title"]


def test_grafana_costs_show_the_calls_of_unknown_cost_they_leave_out(serve) -> None:
    """Every money stat shows, beside the known cost, the calls of unknown cost it leaves out:
    a lower bound never reads as the whole."""
    client = _clickhouse(serve)
    money = [
        p for p in _panels()
        if p["type"] == "stat" and p["fieldConfig"]["defaults"]["unit"] != "short"
    ]  # fmt: skip
    shown = {}
    for panel in money:
        [row] = _panel_rows(client, panel, TODAY, TODAY)
        # the cost, the calls of unknown cost, and (some) the calls not stored
        cost, count, *_ = panel["options"]["reduceOptions"]["fields"].strip("/^$()").split("|")
        named = {
            o["matcher"]["options"]: o["properties"] for o in panel["fieldConfig"]["overrides"]
        }
        assert {"id": "displayName", "value": "calls of unknown cost"} in named[count]
        shown[panel["title"]] = (row[cost], row[count])
    month = _unknown_calls(TODAY.replace(day=1), TODAY)
    # the forecast runs on this month and the 7 days before today: their calls, counted once
    week_before = _unknown_calls(min(TODAY.replace(day=1), TODAY - dt.timedelta(days=7)), TODAY)
    known = 2 * calls.PRICED_COST
    assert shown.pop("Month-end forecast")[1] == week_before
    # today's known spend against none the day before: no change, with today's 2 left out
    assert shown.pop("vs previous period") == (None, 2)
    assert shown == {
        "Spend this month": (known, month),
        "Spend in range": (known, 2),
        "Cost per request": (calls.PRICED_COST, 2),
        # 400 cached tokens at 0.15 - 0.075 per million, twice (gpt-4o-mini, calls.py)
        "Cache savings": (2 * 400 * Decimal("0.075") / 10**6, 2),
    }
    # the budget gauges name the calls of unknown cost their spend leaves out
    gauge = next(p for p in _panels() if p["type"] == "gauge")
    labels = {r["budget"] for r in _panel_rows(client, gauge, TODAY, TODAY)}
    assert labels == {"all (day) + 2 unknown", f"tenant=acme-corp (month) + {month} unknown"}


def _field_config(panel: dict, column: str) -> dict[str, Any]:
    """The properties Grafana gives ``column``: the defaults, then each matching override in
    order (a later one wins)."""
    found = {"unit": panel["fieldConfig"]["defaults"]["unit"]}
    for override in panel["fieldConfig"]["overrides"]:
        matcher = override["matcher"]
        if matcher["id"] == "byName":
            hit = matcher["options"] == column
        else:
            hit = re.search(matcher["options"].strip("/"), column) is not None
        if hit:
            found.update((p["id"], p["value"]) for p in override["properties"])
    return found


def test_no_grafana_panel_shows_a_count_as_money(serve) -> None:
    """A count (calls of unknown cost, requests, tokens) or a flag is never shown in USD: a
    table in USD read 3 calls of unknown cost as "$3.00" and a call's priced flag as "$0.00";
    a bar chart of spend drew the count as a bar on its money axis."""
    client = _clickhouse(serve)
    counts = set()
    for panel in _panels():
        for row in _panel_rows(client, panel, DAYS["unpriced"], TODAY):
            for column, value in row.items():
                if type(value) is int:  # UInt counts and flags; money is Decimal
                    counts.add(column)
                    shown = _field_config(panel, column)
                    assert shown["unit"] != "currencyUSD", (panel["title"], column)
                    if panel["type"] == "barchart":
                        assert shown["custom.hideFrom"]["viz"], (panel["title"], column)
    assert {"unpriced_requests", "failed_unpriced_requests", "priced", "members"} <= counts


def test_grafana_shows_zero_for_a_day_without_calls(serve) -> None:
    client = _clickhouse(serve)
    stat = next(p for p in _panels() if p["title"] == "Spend in range")
    [row] = _panel_rows(client, stat, DAYS["empty"], DAYS["empty"])
    assert (row["cost"], row["requests"]) == (0, 0)


def test_no_alert_query_reads_unknown_costs_as_zero(serve) -> None:
    """No alert query hands Grafana a null number, nor judges a spend made of unknown costs
    as $0: on a day of unknown costs only, the budget rules have nothing to judge and the
    unknown-cost rule fires for the day's budget instead."""
    end = dt.datetime.combine(DAYS["usage_missing"], dt.time(12), dt.UTC)
    answered = answers(_clickhouse(serve), end)
    for (uid, _), rows in answered.items():
        for row in rows:
            assert None not in row.values(), (uid, row)
    for percent in (50, 80, 100):
        day = [r for r in answered[f"tokentrace-budget-{percent}", "utilization_sql"]
               if r["period"] == "day"]  # fmt: skip
        assert day == [], percent
    count = sum(n for _, n in calls.CALLS["usage_missing"])
    unknown = answered["tokentrace-budget-unknown-cost", "unknown_sql"]
    assert {"scope": "all", "period": "day", "unknown": count} in unknown


# ---------------------------------------------------------------- the budget guard (last: it
# adds budgets of its own, and removes them)


def test_the_budget_guard_says_its_caps_leave_unknown_costs_out(serve, caplog) -> None:
    """A cap judges known spend only: the guard logs, once per budget, that its period's calls
    of unknown cost are not counted, and a refusal reads 'at least' with their count."""
    added = (
        # over its cap on today's known cost alone (0.00036), with calls of unknown cost besides
        {"scope": "team=growth", "amount": "0.0001", "period": "week", "enforce": True},
        # today's one acme-1 call has no price: spend unknown
        {"scope": "model=acme-1", "amount": "1", "period": "day", "enforce": True},
    )
    for budget in added:
        _api(serve, "/api/v1/budgets", method="PUT", body=budget)
    try:
        deadline = time.monotonic() + 30
        while len(_api(serve, "/api/v1/budgets/enforced")["budgets"]) != 4:
            assert time.monotonic() < deadline  # the enforced state is cached for 1 s
            time.sleep(0.2)
        guard = BudgetGuard(serve.url, TOKEN, interval_s=60)
        with caplog.at_level(logging.WARNING, logger="tokentrace.instrumentation"):
            guard.refresh()
            guard.refresh()  # told once, not at every poll
        week = _unknown_calls(TODAY - dt.timedelta(days=TODAY.weekday()), TODAY)
        month = _unknown_calls(TODAY.replace(day=1), TODAY)

        def told(scope: str, period: str, unknown: int, spent: str) -> str:
            return (
                f"budget guard: budget {scope} ({period}) caps known spend only: {unknown} "
                f"call{'' if unknown == 1 else 's'} of unknown cost this {period} (no price, "
                f"no usage, or not stored) are not counted, so its spend is {spent}"
            )

        assert sorted(r.getMessage() for r in caplog.records) == sorted([
            told("global", "day", 2, "at least 0.00036 of 1 USD"),
            told("model=acme-1", "day", 1, "unknown (every call of the period is one)"),
            told("team=growth", "week", week, "at least 0.00036 of 0.0001 USD"),
            told("tenant=acme-corp", "month", month, "at least 0.00036 of 5 USD"),
        ])  # fmt: skip
        [exceeded] = guard.exceeded
        assert exceeded.describe() == (
            f"tokentrace budget team=growth (week) is spent: at least 0.00036 of 0.0001 USD "
            f"({week} calls of unknown cost not counted); call blocked before it was sent"
        )
    finally:
        for budget in added:
            _api(serve, f"/api/v1/budgets?scope={budget['scope']}&period={budget['period']}",
                 method="DELETE")  # fmt: skip
