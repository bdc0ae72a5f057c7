"""The views that read single calls, users, conversations, failures, waste, cache, units, provider
costs and the calls of unknown cost count the calls serve could not store (pending dead letters)
beside what they show, and the report's call filters and exact ranges narrow those letters by
the call's own user, conversation and instant (migration 0029), not by its whole day.

One store, read by every test: on DAY (Wednesday 2026-11-18) three gpt-4o-mini calls and one of
acme-1 (no price) stored for user u-1 in conversation conv-1, one gpt-4o call whose gateway
reported its cost; not stored: a failed gpt-4o-mini call of user u-2 (conversation conv-2,
feature search) at 11:30, a gpt-4o-mini stream without usage of u-1 at 15:00 and a gpt-4o call
at 16:00; on NEXT one of user u-3. Costs by hand from OpenAI's price list
(https://openai.com/api/pricing/, per million tokens: gpt-4o-mini input $0.15, cached input
$0.075, output $0.60; gpt-4o input $2.50, output $10).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from grafana.rules import alert_rule, evaluate
from rich.console import Console

from grafana.panels import run_panel, shown_rows
from tokentrace.grafana.dashboards import DASHBOARDS, overview
from tokentrace.processor.api.routing import application, route
from tokentrace.processor.api.views_api import ViewsApi
from tokentrace.processor.report import document, html, terminal, window
from tokentrace.processor.store import dead_letters, views

DAY = dt.datetime(2026, 11, 18, tzinfo=dt.UTC)
NEXT = DAY + dt.timedelta(days=1)
M = Decimal(10**6)
# 1,000 in (400 cached) + 100 out: 600 x 0.15 + 400 x 0.075 + 100 x 0.60
SMALL = (600 * Decimal("0.15") + 400 * Decimal("0.075") + 100 * Decimal("0.60")) / M
# 20,000 in + 100 out: a prompt 200 times its completion
WASTE = (20_000 * Decimal("0.15") + 100 * Decimal("0.60")) / M
# gpt-4o, 1,000 in + 100 out: computed 2,500 + 1,000 per million, the gateway reported 0.004
COMPUTED = (1_000 * Decimal("2.50") + 100 * Decimal("10")) / M
REPORTED = Decimal("0.004")
# audio input of gpt-4o-mini-audio at its own rate: 1,000 tokens at $10 per million
AUDIO = 1_000 * Decimal("10") / M

COLUMNS = [
    "ts", "trace_id", "span_id", "provider", "model", "operation", "team", "feature", "agent",
    "tenant", "user", "conversation", "input_tokens", "output_tokens", "cache_read_tokens",
    "input_cost", "cache_read_cost", "output_cost", "cost", "cache_savings", "priced",
    "unpriced_reason", "status", "provider_cost", "cost_source", "input_audio_tokens",
    "input_audio_cost",
]  # fmt: skip


def _call(hour: int, span: str, model: str, **row: Any) -> list[Any]:
    at = DAY + dt.timedelta(hours=hour)
    values = {
        "ts": at, "trace_id": f"t-{span}", "span_id": span, "provider": "openai",
        "model": model, "operation": "chat", "team": "growth", "feature": "chat",
        "agent": "helper", "tenant": "acme", "user": "u-1", "conversation": "conv-1",
        "input_tokens": 1_000, "output_tokens": 100, "cache_read_tokens": 0, "input_cost": 0,
        "cache_read_cost": 0, "output_cost": 0, "cost": 0, "cache_savings": 0, "priced": 1,
        "unpriced_reason": "", "status": "ok", "provider_cost": None, "cost_source": "computed",
        "input_audio_tokens": 0, "input_audio_cost": 0, **row,
    }  # fmt: skip
    return [values[column] for column in COLUMNS]


def _letter(at: dt.datetime, model: str, **row: Any) -> dict[str, Any]:
    base = {"ts": int(at.timestamp() * 10**6), "provider": "openai", "model": model,
            "operation": "chat", "team": "growth", "feature": "chat", "agent": "helper",
            "tenant": "acme", "user": "u-1", "conversation": "conv-1", "status": "ok",
            "usage_missing": 0}  # fmt: skip
    return {**base, **row}


@pytest.fixture(scope="module")
def store(module_store_client) -> Iterator[Any]:
    client = module_store_client
    small = {"cache_read_tokens": 400, "input_cost": 600 * Decimal("0.15") / M,
             "cache_read_cost": 400 * Decimal("0.075") / M, "output_cost": 100 * Decimal("0.6") / M,
             "cost": SMALL, "cache_savings": 400 * Decimal("0.075") / M}  # fmt: skip
    rows = [
        _call(9, "s1", "gpt-4o-mini", **small),
        _call(10, "s2", "acme-1", provider="acme", cache_read_tokens=400, priced=0,
              unpriced_reason="unknown_model"),
        _call(12, "s3", "gpt-4o-mini", input_tokens=20_000, input_cost=20_000 * Decimal("0.15") / M,
              output_cost=100 * Decimal("0.6") / M, cost=WASTE),
        _call(13, "s4", "gpt-4o", input_cost=COMPUTED - 100 * Decimal(10) / M,
              output_cost=100 * Decimal(10) / M, cost=REPORTED, provider_cost=REPORTED,
              cost_source="provider"),
        _call(14, "s5", "gpt-4o-mini-audio", input_audio_tokens=1_000, input_cost=AUDIO,
              input_audio_cost=AUDIO, cost=AUDIO, output_tokens=0, user="", conversation=""),
    ]  # fmt: skip
    client.insert("llm_calls", rows, column_names=COLUMNS)
    dead_letters.add(
        client,
        [
            ("seg-1/0", "INCORRECT_DATA: test", _letter(
                DAY + dt.timedelta(hours=11, minutes=30), "gpt-4o-mini", user="u-2",
                conversation="conv-2", feature="search", status="error")),
            ("seg-1/1", "INCORRECT_DATA: test", _letter(
                DAY + dt.timedelta(hours=15), "gpt-4o-mini", usage_missing=1)),
            ("seg-1/2", "INCORRECT_DATA: test", _letter(
                DAY + dt.timedelta(hours=16), "gpt-4o", user="", conversation="")),
            ("seg-2/0", "INCORRECT_DATA: test", _letter(
                NEXT + dt.timedelta(hours=11), "gpt-4o-mini", user="u-3", conversation="conv-3")),
        ],
    )  # fmt: skip
    yield client


def _view(client: Any, name: str, **kw: Any) -> list[dict[str, Any]]:
    end = DAY + dt.timedelta(days=1, milliseconds=-1)
    return views.fetch(client, views.VIEWS[name], start=DAY, end=end, **kw)


def _pick(rows: list[dict[str, Any]], *keys: str) -> list[tuple]:
    return [tuple(row[key] for key in keys) for row in rows]


def test_the_sink_writes_the_call_columns(store) -> None:
    rows = store.query(
        "SELECT id, ts, user, conversation, status, usage_missing FROM dead_letters FINAL "
        "ORDER BY id"
    ).result_rows
    at = lambda hours: (DAY + dt.timedelta(hours=hours)).replace(tzinfo=None)  # noqa: E731
    assert rows == [
        ("seg-1/0", at(11.5), "u-2", "conv-2", "error", 0),
        ("seg-1/1", at(15), "u-1", "conv-1", "ok", 1),
        ("seg-1/2", at(16), "", "", "ok", 0),
        ("seg-2/0", at(35), "u-3", "conv-3", "ok", 0),
    ]


def test_users_and_conversations_count_the_calls_not_stored(store) -> None:
    keys = ("user", "cost", "requests", "unpriced_requests", "dead_lettered_requests")
    assert _pick(_view(store, "cost_by_user"), *keys) == [
        ("u-1", SMALL + WASTE + REPORTED, 4, 1, 1),
        ("u-2", None, 0, 0, 1),  # its only call was not stored: unknown, was left out
    ]
    # the top 1 and "(other)": the rest of the calls not stored stays in the total
    keys = ("user", "cost", "requests", "dead_lettered_requests", "other")
    assert _pick(_view(store, "cost_by_user", top=1), *keys) == [
        ("u-1", SMALL + WASTE + REPORTED, 4, 1, 0),
        ("(other)", None, 0, 1, 1),
    ]
    keys = ("conversation", "cost", "requests", "dead_lettered_requests", "first_call",
            "last_call")  # fmt: skip
    at = lambda hours: (DAY + dt.timedelta(hours=hours)).replace(tzinfo=None)  # noqa: E731
    assert _pick(_view(store, "cost_by_conversation"), *keys) == [
        ("conv-1", SMALL + WASTE + REPORTED, 4, 1, at(9), at(15)),  # its last call not stored
        ("conv-2", None, 0, 1, at(11.5), at(11.5)),
    ]


def test_top_calls_say_how_many_calls_they_cannot_rank(store) -> None:
    rows = _view(store, "top_calls")
    assert _pick(rows, "span_id", "cost", "unpriced_requests", "dead_lettered_requests") == [
        ("s5", AUDIO, 1, 3),
        ("s4", REPORTED, 1, 3),
        ("s3", WASTE, 1, 3),
        ("s1", SMALL, 1, 3),
        ("s2", None, 1, 3),
    ]


def _api_top_calls(store: Any, **params: str) -> dict[str, Any]:
    """GET /api/v1/views/top_calls through the API's real routing, on ``store``."""
    app = application([route("GET", "/api/v1/views/{name}", ViewsApi(lambda: store).run_view)])

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return await client.get("/api/v1/views/top_calls", params=params)

    answer = asyncio.run(go())
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_api_says_how_many_calls_top_calls_cannot_list_even_without_a_row(store) -> None:
    """A range whose only calls were not stored has no call to list: the answer's ``unranked``
    still counts them (each row's count went with the rows); with rows, it is theirs."""
    day = _api_top_calls(store, **{"from": f"{DAY:%F}T00:00:00Z", "to": f"{DAY:%F}T23:59:59Z"})
    assert len(day["rows"]) == 5
    assert day["unranked"] == {"unpriced_requests": 1, "dead_lettered_requests": 3}
    # NEXT: u-3's call, not stored, and nothing else
    alone = _api_top_calls(store, **{"from": f"{NEXT:%F}T00:00:00Z", "to": f"{NEXT:%F}T23:59:59Z"})
    assert (alone["rows"], alone["unranked"]) == (
        [],
        {"unpriced_requests": 0, "dead_lettered_requests": 1},
    )
    # an exact hour of DAY holding u-2's failed call only, not stored; narrowed by user too
    hour = {"from": f"{DAY:%F}T11:00:00Z", "to": f"{DAY:%F}T11:59:59Z", "exact": "1"}
    for user, lost in (("u-2", 1), ("u-1", 0)):
        answer = _api_top_calls(store, user=user, **hour)
        assert (answer["rows"], answer["unranked"]) == (
            [],
            {"unpriced_requests": 0, "dead_lettered_requests": lost},
        ), user


def test_failures_waste_and_cache_savings_count_the_calls_not_stored(store) -> None:
    keys = ("feature", "requests", "failed_requests", "error_rate", "failed_cost",
            "dead_lettered_requests", "failed_dead_lettered_requests")  # fmt: skip
    assert _pick(_view(store, "failures_by_feature"), *keys) == [
        ("chat", 5, 0, 0.0, 0, 2, 0),
        # only a failed call not stored: its cost unknown (was no row at all)
        ("search", 0, 0, None, None, 1, 1),
    ]
    keys = ("agent", "feature", "requests", "cost", "unpriced_requests", "dead_lettered_requests")
    # 23,000 input against 300 output tokens (the audio call has no output and is not chat
    # only: it is in the sums, 24,000 in)
    assert _pick(_view(store, "waste_signals"), *keys) == [
        ("helper", "chat", 5, SMALL + WASTE + REPORTED + AUDIO, 1, 2),
    ]
    keys = ("provider", "model", "cache_savings", "unpriced_requests", "dead_lettered_requests")
    assert _pick(_view(store, "cache_savings"), *keys) == [
        ("openai", "gpt-4o-mini", 400 * Decimal("0.075") / M, 0, 2),
        ("acme", "acme-1", None, 1, 0),
    ]


def test_units_provider_costs_and_unknown_calls_count_the_calls_not_stored(store) -> None:
    keys = ("model", "unit", "tokens", "cost", "unpriced_requests", "dead_lettered_requests")
    assert _pick(_view(store, "cost_by_unit"), *keys) == [
        ("gpt-4o-mini-audio", "input_audio", 1_000, AUDIO, 0, 0),
    ]
    keys = ("model", "reported_cost", "computed_cost", "gap", "dead_lettered_requests")
    assert _pick(_view(store, "provider_cost_differences"), *keys) == [
        ("gpt-4o", REPORTED, COMPUTED, REPORTED - COMPUTED, 1),
    ]
    keys = ("provider", "model", "unpriced_requests", "usage_missing_requests",
            "dead_lettered_requests")  # fmt: skip
    assert _pick(_view(store, "unpriced_usage"), *keys) == [
        ("openai", "gpt-4o-mini", 0, 0, 2),  # was no row: every stored call of it was known
        ("acme", "acme-1", 1, 0, 0),
        ("openai", "gpt-4o", 0, 0, 1),
    ]
    assert _pick(_view(store, "usage_missing"), "model", "usage_missing_requests",
                 "dead_lettered_requests") == [("gpt-4o-mini", 0, 1)]  # fmt: skip


def test_the_usage_missing_rule_counts_calls_without_usage_not_stored(store) -> None:
    """The rule's own SQL (rules.yaml) at 15:50, its hour holding the gpt-4o-mini stream without
    usage serve could not store and no stored call without usage: it did not fire (it read
    usage_missing_requests only, 0), now 1 call, 1 of them not stored; the hour after, calm."""
    rule = alert_rule("tokentrace-usage-missing")
    at = DAY + dt.timedelta(hours=15, minutes=50)
    assert evaluate(store, rule, at) == {
        (("scope", "openai/gpt-4o-mini"),): {"missing": 1.0, "not_stored": 1.0}
    }
    assert evaluate(store, rule, at + dt.timedelta(hours=1)) == {}


def _report(client: Any, first: str, last: str | None, since: str | None = None, **where):
    now = NEXT + dt.timedelta(days=1)
    span = window.build(since, first, last, [f"{k}={v}" for k, v in where.items()], now=now)
    return document.build(document.store_fetcher(client, span), span)


def test_report_filters_and_partial_days_count_letters_by_call(store) -> None:
    """--where user= and conversation= narrow the calls not stored by their own user and
    conversation, a window of hours by their instant: the whole day's 3 were counted."""
    day = DAY.date().isoformat()
    assert _report(store, day, day)["dead_lettered_requests"] == 3
    only = _report(store, day, day, user="u-2")
    assert (only["totals"]["cost"], only["totals"]["requests"]) == (None, 0)
    assert only["dead_lettered_requests"] == 1  # was 3
    assert _report(store, day, day, conversation="conv-1")["dead_lettered_requests"] == 1
    # DAY 11:00-12:00: one call not stored, at 11:30 (the day's 3 before), none stored
    hours = _report(store, f"{day}T11:00:00", f"{day}T12:00:00")
    assert (hours["totals"]["requests"], hours["dead_lettered_requests"]) == (0, 1)


def test_the_report_json_says_what_each_list_leaves_out(store) -> None:
    day = DAY.date().isoformat()
    doc = _report(store, day, day)
    assert doc["top_calls_unranked"] == {"unpriced_requests": 1, "dead_lettered_requests": 3}
    keys = ("user", "cost", "requests", "dead_lettered_requests")
    assert _pick(doc["top_users"], *keys) == [
        ("u-1", str(SMALL + WASTE + REPORTED), 4, 1),
        ("u-2", None, 0, 1),
    ]
    keys = ("conversation", "cost", "requests", "dead_lettered_requests")
    assert _pick(doc["top_conversations"], *keys) == [
        ("conv-1", str(SMALL + WASTE + REPORTED), 4, 1),
        ("conv-2", None, 0, 1),
    ]
    keys = ("feature", "failed_requests", "error_rate", "failed_cost",
            "failed_dead_lettered_requests")  # fmt: skip
    # a feature whose only failed call was not stored: listed (was not), cost unknown
    assert _pick(doc["failures_by_feature"], *keys) == [("search", 0, None, None, 1)]
    assert _pick(doc["unpriced"], "model", "requests", "dead_lettered_requests") == [
        ("gpt-4o-mini", 0, 2),
        ("acme-1", 1, 0),
        ("gpt-4o", 0, 1),
    ]
    assert _pick(doc["provider_cost_differences"], "model", "dead_lettered_requests") == [
        ("gpt-4o", 1)
    ]
    assert (doc["totals"]["no_calls"], doc["cost_per_request"]["average"] is None) == (False, False)
    # a window whose only call was not stored: its average is unknown, not "0"
    only = _report(store, NEXT.date().isoformat(), NEXT.date().isoformat())
    assert (only["cost_per_request"]["average"], only["totals"]["no_calls"]) == (None, False)
    page = html.render(doc)
    # the acme-1 call is listed last, its cost "unknown" (the table's only such cell)
    assert (
        "<p class=note>Any of 1 call of unknown cost (listed last, if at all) and 3 calls not "
        "stored (not listed) may cost more than these.</p>"
    ) in page
    calls = page[page.index("<h2>Most expensive calls</h2>") : page.index("<h2>Top users</h2>")]
    assert calls.count("<td class=n>unknown</td>") == 1 and "$0.0000" not in calls
    # NEXT's only call was not stored: it said "No calls in this window." above a note that
    # "any of 1 call not stored may cost more than these"
    assert (
        "<p>No stored calls in this window; 1 call not stored (not listed): cost unknown.</p>"
    ) in html.render(only)
    assert (
        "<tr><td>search</td><td class=n>0</td><td class=n>0</td><td class=n>—</td>"
        "<td class=n>unknown + 1 not stored</td></tr>"
    ) in page  # its error rate was 0.0%


def test_failures_not_stored_are_no_zero_failed_cost(store) -> None:
    """DAY's only failed call was not stored: what failures cost was "0" and complete, now
    unknown beside the count; NEXT has none failed: a real 0."""
    day = DAY.date().isoformat()
    totals = _report(store, day, day)["totals"]
    keys = ("failed_requests", "failed_cost", "failed_dead_lettered_requests",
            "failed_cost_complete")  # fmt: skip
    assert tuple(totals[k] for k in keys) == (0, None, 1, False)
    following = NEXT.date().isoformat()
    totals = _report(store, following, following)["totals"]
    assert tuple(totals[k] for k in keys) == (0, "0", 0, True)


def test_the_most_expensive_calls_panel_names_the_calls_not_stored(store) -> None:
    """NEXT's only call was not stored: the overview's "Most expensive calls" table has no row
    (a call not stored is never listed), and Grafana's table shows its ``noValue`` then, not
    "No data" (which read as no calls at all); the stat it names counts the call."""
    board = DASHBOARDS["overview"]()
    by_title = {panel.get("title"): panel for panel in board["panels"]}
    table, stat = by_title["Most expensive calls"], by_title[overview.NOT_STORED_TITLE]
    end = NEXT + dt.timedelta(days=1, milliseconds=-1)
    assert run_panel(store, table, {}, NEXT, end).result_rows == []
    assert table["fieldConfig"]["defaults"]["noValue"] == (
        "No stored calls in this range. Calls not stored are never listed (cost unknown): see "
        "Calls not stored (dead letters)."
    )
    [row] = shown_rows(stat, run_panel(store, stat, {}, NEXT, end))
    assert row["dead_lettered_requests"] == 1
    # with stored calls, rows: the text is not shown; their cells' '' and NULL map first
    assert len(run_panel(store, table, {}, DAY, DAY + dt.timedelta(days=1)).result_rows) == 5
    mapped = [m["options"]["match"] for m in table["fieldConfig"]["defaults"]["mappings"]]
    assert mapped == ["empty", "null"]


def test_token_counts_name_the_calls_whose_tokens_they_lack(store) -> None:
    """A call not stored adds no token to any count: the token breakdown has its day's calls
    not stored beside the counts (NEXT's only call: all 0 before, with nothing saying why),
    and the report says so under its tokens; on the dashboard as lines on their own axis."""
    keys = ("day", "uncached_input_tokens", "cache_read_tokens", "output_tokens_shown",
            "usage_missing_requests", "dead_lettered_requests")  # fmt: skip
    rows = views.fetch(
        store, views.VIEWS["token_breakdown"], start=DAY, end=NEXT + dt.timedelta(hours=23)
    )
    for row in rows:
        row["output_tokens_shown"] = row["visible_output_tokens"] + row["reasoning_tokens"]
    # 1,000 x 3 + 20,000 + 1,000 (audio) in, 400 of it cached; 100 x 4 out
    assert _pick(rows, *keys) == [
        (DAY.date(), 24_000 - 800, 800, 400, 0, 3),
        (NEXT.date(), 0, 0, 0, 0, 1),
    ]
    day = DAY.date().isoformat()
    doc = _report(store, day, day)
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=200, color_system=None))
    said = "Not in these counts: the tokens of 3 calls not stored."
    assert said in out.getvalue()
    assert f"<h2>Tokens</h2><p class=note>{said}</p>" in html.render(doc)
    panel = next(
        panel
        for panel in DASHBOARDS["overview"]()["panels"]
        if panel.get("title") == views.VIEWS["token_breakdown"].title
    )
    beside = [o for o in panel["fieldConfig"]["overrides"] if o["matcher"]["id"] == "byName"]
    assert {o["matcher"]["options"] for o in beside} == {
        "usage_missing_requests",
        "dead_lettered_requests",
    }
    for override in beside:
        properties = {p["id"]: p["value"] for p in override["properties"]}
        assert properties["custom.stacking"] == {"mode": "none", "group": "A"}
        assert properties["unit"] == "none" != panel["fieldConfig"]["defaults"]["unit"]
