"""``tokentrace report`` on real chDB: the JSON document's numbers equal the seeded calls."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from tokentrace.processor.report import document, html, window
from tokentrace.processor.store import budgets

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
COLUMNS = [
    "ts", "trace_id", "provider", "model", "team", "feature", "tenant", "user",
    "input_tokens", "output_tokens", "cache_read_tokens", "reasoning_tokens",
    "cost", "cache_savings", "priced", "latency_ms", "status",
]  # fmt: skip


def _seed(client) -> None:
    rows = []
    # 14 quiet days of 4 calls at $0.25 each (growth/search), then one spike day.
    for days_ago in range(15, 1, -1):
        day = NOW - dt.timedelta(days=days_ago)
        for i in range(4):
            rows.append([
                day + dt.timedelta(minutes=i), f"t{days_ago}-{i}", "openai", "gpt-4o", "growth",
                "search", "acme", "u1", 1000, 100, 400, 0, Decimal("0.25"), Decimal("0.01"), 1,
                100.0 + i, "ok",
            ])  # fmt: skip
    spike = NOW - dt.timedelta(days=1)
    for i in range(10):
        rows.append([
            spike + dt.timedelta(minutes=i), f"s{i}", "anthropic", "claude-sonnet-4-5",
            "support", "chat", "globex", "u2", 5000, 500, 0, 50, Decimal("0.5"),
            Decimal("0"), 1, 900.0, "error" if i == 0 else "ok",
        ])  # fmt: skip
    rows.append([
        NOW - dt.timedelta(hours=2), "x1", "acme-ai", "mystery-1", "growth", "search", "acme",
        "u1", 10, 10, 0, 0, Decimal("0"), Decimal("0"), 0, 50.0, "ok",
    ])  # fmt: skip
    client.insert("llm_calls", rows, column_names=COLUMNS)


@pytest.fixture
def doc(store_client):
    _seed(store_client)
    budgets.set_budget(store_client, "team=support", Decimal("6.25"), period="month")
    span = window.build("30d", None, None, None, now=NOW)
    return document.build(document.store_fetcher(store_client, span), span)


def test_totals_breakdowns_and_anomaly(doc) -> None:
    # 56 calls x $0.25 + 10 x $0.5 = $19; one unpriced call; one failed.
    assert doc["totals"]["cost"] == "19"
    assert doc["totals"]["requests"] == 67
    assert doc["totals"]["unpriced_requests"] == 1
    assert doc["totals"]["failed_requests"] == 1
    assert doc["totals"]["input_tokens"] == 56 * 1000 + 10 * 5000 + 10
    assert doc["totals"]["reasoning_tokens"] == 500
    assert doc["cache_savings"] == "0.56"
    assert [(m["model"], m["cost"], m["requests"]) for m in doc["by_model"]] == [
        ("gpt-4o", "14", 56),
        ("claude-sonnet-4-5", "5", 10),
        ("mystery-1", None, 1),  # unknown, not $0
    ]
    assert doc["by_tag"]["team"][0] == {
        "value": "growth",
        "cost": "14",
        "requests": 57,
        "unpriced_requests": 1,
        "dead_lettered_requests": 0,
    }
    assert doc["unpriced"] == [
        {
            "provider": "acme-ai",
            "model": "mystery-1",
            "requests": 1,
            "usage_missing_requests": 0,
            "dead_lettered_requests": 0,
        }
    ]
    spike_day = (NOW - dt.timedelta(days=1)).date().isoformat()
    assert [(a["scope"], a["date"]) for a in doc["anomalies"] if a["scope"] == "all"] == [
        ("all", spike_day)
    ]
    assert {d["date"]: d["cost"] for d in doc["daily"]}[spike_day] == "5"
    # Budget: team=support spent $5 of $6.25 this month = exactly 0.8.
    assert doc["month_to_date"]["budgets"] == [
        {"scope": "team=support", "period": "month", "amount": "6.25", "spent": "5",
         "utilization": 0.8, "unpriced_requests": 0, "dead_lettered_requests": 0,
         "spent_complete": True}
    ]  # fmt: skip
    json.dumps(doc)  # the document is JSON as it stands


def test_filters_narrow_every_view(store_client) -> None:
    _seed(store_client)
    span = window.build("30d", None, None, ["team=support"], now=NOW)
    doc = document.build(document.store_fetcher(store_client, span), span)
    assert doc["totals"]["cost"] == "5"
    assert [p["provider"] for p in doc["by_provider"]] == ["anthropic"]


def test_html_page_is_self_contained(doc) -> None:
    page = html.render(doc)
    assert page.startswith("<!doctype html>") and "class=plot" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_window_rejects_bad_flags() -> None:
    with pytest.raises(ValueError, match="--since"):
        window.build("7 parsecs", None, None, None)
    with pytest.raises(ValueError, match="--where key"):
        window.build("7d", None, None, ["colour=red"])
    with pytest.raises(ValueError, match="not both"):
        window.build("7d", "2026-01-01", None, None)


def test_since_days_are_calendar_days_ending_today() -> None:
    span = window.build("7d", None, None, None, now=NOW)
    assert span.start == dt.datetime(2026, 11, 14, tzinfo=UTC) and span.end == NOW
    assert window.build("6h", None, None, None, now=NOW).start == NOW - dt.timedelta(hours=6)
    explicit = window.build(None, "2026-11-01", "2026-11-03", None, now=NOW)
    assert (explicit.start.day, explicit.end.day) == (1, 4)  # --to's whole day is included


def test_report_through_an_api_that_does_not_answer_says_so(capsys) -> None:
    from tokentrace.processor.cli import main
    from tokentrace.processor.demo.serve_process import free_port

    port = free_port()
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--api", f"http://127.0.0.1:{port}", "--since", "1d"])
    assert str(exit_.value) == (
        f"tokentrace report: no tokentrace serve answers at http://127.0.0.1:{port}: check "
        "--api, or start tokentrace serve"
    )
