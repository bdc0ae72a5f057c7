"""Billed usage per API key against metered calls, matched by the instrumentation's key
fingerprint (``sk-proj-…abcd#hash``) and the redacted values the providers list."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from rich.console import Console

from reconcile.seed import D2, NOW
from tokentrace.processor.reconcile import store_days
from tokentrace.processor.reconcile.rows import KeyRow, Report, UsageRow
from tokentrace.processor.report import document, html, terminal
from tokentrace.processor.report.window import Window
from tokentrace.processor.store import views

CALL: dict[str, Any] = {
    "trace_id": "", "span_id": "", "response_id": "", "operation": "chat", "service": "api",
    "environment": "prod", "priced": 1, "status": "ok", "latency_ms": 100.0,
}  # fmt: skip


def _calls(provider: str, model: str, key: str, n: int, inp: int, out: int) -> list[dict]:
    ts = dt.datetime.combine(D2, dt.time(9), dt.UTC)
    return [
        {**CALL, "ts": ts, "provider": provider, "model": model, "api_key": key,
         "input_tokens": inp, "output_tokens": out, "cost": Decimal("0.01"),
         "usage_missing": 0, "unpriced_reason": ""}
        for _ in range(n)
    ]  # fmt: skip


def _calls_without_usage(key: str, n: int) -> list[dict]:
    """Streams whose answer carried no usage, stored as serve stores them: no tokens, no
    price (unknown cost, usage_missing)."""
    return [
        {**call, "priced": 0, "cost": Decimal(0), "usage_missing": 1,
         "unpriced_reason": "usage_missing"}
        for call in _calls("openai", "gpt-4o-mini", key, n, 0, 0)
    ]  # fmt: skip


def _usage(model: str, key: str, inp: int, out: int, requests: int | None) -> UsageRow:
    return UsageRow(D2, "completions", model, model, "proj", key, "", inp, 0, 0, out, requests)


def test_keys_are_matched_by_fingerprint_and_redacted_value(store_client: Any) -> None:
    calls = [
        *_calls("openai", "gpt-4o-mini", "sk-proj-…a1b2#0badf00d", 10, 1000, 100),
        *_calls("openai", "gpt-4o-mini", "sk-…zzzz#12345678", 2, 100, 10),
        *_calls("anthropic", "claude-sonnet-4-0", "sk-ant-api03-…wxYZ#abcdef01", 4, 2500, 500),
    ]
    columns = list(calls[0])
    store_client.insert("llm_calls", [[c[k] for k in columns] for c in calls], column_names=columns)
    openai = Report("openai", [D2])
    openai.usage = [
        _usage("gpt-4o-mini", "key_app", 10_000, 1_000, 10),
        _usage("gpt-4o-mini", "key_cron", 5_000, 500, 5),
    ]
    openai.keys = [
        KeyRow("key_app", "app", "sk-proj-...a1b2", "proj", "active"),
        KeyRow("key_cron", "legacy-cron", "sk-proj-...cr0n", "proj", "active"),
    ]
    anthropic = Report("anthropic", [D2])
    anthropic.usage = [_usage("claude-sonnet-4-0", "apikey_app", 10_000, 2_000, None)]
    anthropic.keys = [KeyRow("apikey_app", "app", "sk-ant-api03-Abc...wxYZ", "wrk", "active")]
    for report in (openai, anthropic):
        store_days.write(store_client, report)

    rows = views.fetch(
        store_client,
        views.VIEWS["reconciliation_by_key"],
        start=NOW - dt.timedelta(days=7),
        end=NOW,
    )
    assert [
        (r["provider"], r["api_key_id"], r["key_name"], r["model"], r["billed_input_tokens"],
         r["metered_input_tokens"], r["billed_output_tokens"], r["metered_output_tokens"],
         r["billed_requests"], r["metered_requests"], r["status"])
        for r in rows
    ] == [
        ("anthropic", "apikey_app", "app", "claude-sonnet-4-0", 10_000, 10_000, 2_000, 2_000,
         None, 4, "matches"),
        ("openai", "key_app", "app", "gpt-4o-mini", 10_000, 10_000, 1_000, 1_000, 10, 10,
         "matches"),
        ("openai", "key_cron", "legacy-cron", "gpt-4o-mini", 5_000, 0, 500, 0, 5, 0,
         "uninstrumented"),
        ("openai", "", "", "gpt-4o-mini", 0, 200, 0, 20, None, 2, "unlisted key"),
    ]  # fmt: skip


def test_a_key_whose_calls_lack_usage_says_so_not_partly_instrumented(store_client: Any) -> None:
    """A call without usage is metered with 0 tokens: its key's token gap comes from the calls
    without usage, not from calls never instrumented, and the view, JSON, terminal and HTML
    say how many. Billed as used: key_stream 3 calls of 1,000 + 100 tokens (all without usage
    when metered), key_half 4 (2 without), key_full 5 (all with usage)."""
    calls = [
        *_calls_without_usage("sk-proj-…s7rm#0badf00d", 3),
        *_calls("openai", "gpt-4o-mini", "sk-proj-…h4lf#0badf00d", 2, 1000, 100),
        *_calls_without_usage("sk-proj-…h4lf#0badf00d", 2),
        *_calls("openai", "gpt-4o-mini", "sk-proj-…fu11#0badf00d", 5, 1000, 100),
    ]
    columns = list(calls[0])
    store_client.insert("llm_calls", [[c[k] for k in columns] for c in calls], column_names=columns)
    openai = Report("openai", [D2])
    openai.usage = [
        _usage("gpt-4o-mini", "key_stream", 3_000, 300, 3),
        _usage("gpt-4o-mini", "key_half", 4_000, 400, 4),
        _usage("gpt-4o-mini", "key_full", 5_000, 500, 5),
    ]
    openai.keys = [
        KeyRow("key_stream", "streamer", "sk-proj-...s7rm", "proj", "active"),
        KeyRow("key_half", "half", "sk-proj-...h4lf", "proj", "active"),
        KeyRow("key_full", "full", "sk-proj-...fu11", "proj", "active"),
    ]
    store_days.write(store_client, openai)

    week = {"start": NOW - dt.timedelta(days=7), "end": NOW}
    rows = views.fetch(store_client, views.VIEWS["reconciliation_by_key"], **week)
    assert [
        (r["api_key_id"], r["billed_input_tokens"], r["metered_input_tokens"],
         r["metered_requests"], r["usage_missing_requests"], r["status"])
        for r in rows
    ] == [
        ("key_full", 5_000, 5_000, 5, 0, "matches"),
        ("key_half", 4_000, 2_000, 4, 2, "calls without usage"),
        ("key_stream", 3_000, 0, 3, 3, "calls without usage"),
    ]  # fmt: skip

    window = Window(start=dt.datetime(2026, 3, 14, tzinfo=dt.UTC), end=NOW)
    doc = document.build(document.store_fetcher(store_client, window), window)
    assert [
        (k["api_key_id"], k["status"], k["metered_requests"], k["usage_missing_requests"])
        for k in doc["reconciliation_by_key"]
    ] == [
        ("key_full", "matches", 5, 0),
        ("key_half", "calls without usage", 4, 2),
        ("key_stream", "calls without usage", 3, 3),
    ]
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=160))
    text = out.getvalue()
    page = html.render(doc)
    for said in (
        "openai/gpt-4o-mini key streamer (sk-proj-...s7rm): calls without usage, 3 of 3 calls",
        "openai/gpt-4o-mini key half (sk-proj-...h4lf): calls without usage, 2 of 4 calls",
    ):
        assert said in text and said in page
    assert "key full" not in text and "key full" not in page
