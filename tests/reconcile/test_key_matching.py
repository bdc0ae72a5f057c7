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
from tokentrace.processor.store import dead_letters, views

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


def _store(store_client: Any, calls: list[dict], *reports: Report) -> None:
    """The metered calls into llm_calls and each provider's bill into the reconciliation
    tables."""
    columns = list(calls[0])
    store_client.insert("llm_calls", [[c[k] for k in columns] for c in calls], column_names=columns)
    for report in reports:
        store_days.write(store_client, report)


def test_keys_are_matched_by_fingerprint_and_redacted_value(store_client: Any) -> None:
    calls = [
        *_calls("openai", "gpt-4o-mini", "sk-proj-…a1b2#0badf00d", 10, 1000, 100),
        *_calls("openai", "gpt-4o-mini", "sk-…zzzz#12345678", 2, 100, 10),
        *_calls("anthropic", "claude-sonnet-4-0", "sk-ant-api03-…wxYZ#abcdef01", 4, 2500, 500),
    ]
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
    _store(store_client, calls, openai, anthropic)

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
    _store(store_client, calls, openai)

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


def _not_stored(calls: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """``calls`` as the sink keeps a row ClickHouse refused: a dead letter, its key written."""
    return [
        (f"seg-{i}/0", "INCORRECT_DATA: test",
         {**c, "ts": int(c["ts"].timestamp() * 1_000_000), "cost": str(c["cost"])})
        for i, c in enumerate(calls)
    ]  # fmt: skip


def test_billed_request_counts_and_calls_not_stored_tell_a_keys_gap_apart(store_client) -> None:
    """A key's token gap has three sources: calls without usage (metered with 0 tokens), calls
    serve could not store (dead letters, which keep the key), and calls never instrumented.
    OpenAI's bill counts requests (num_model_requests): more billed than seen is uninstrumented
    traffic even beside calls without usage; Anthropic's counts none, so there a key with calls
    without usage stays 'calls without usage'. Billed as used, 1,000 + 100 tokens a call:
    key_hidden 5 calls, 3 seen without usage, 2 never seen (before: 'calls without usage');
    key_lost 3, 2 stored and 1 not (before: 'partly instrumented'); key_gone 2, both not stored
    (before: 'uninstrumented'); Anthropic's apikey_stream 2, both without usage."""
    stored = [
        *_calls_without_usage("sk-proj-…h1dn#0badf00d", 3),
        *_calls("openai", "gpt-4o-mini", "sk-proj-…l0st#0badf00d", 2, 1000, 100),
        *[
            {**c, "priced": 0, "cost": Decimal(0), "usage_missing": 1,
             "unpriced_reason": "usage_missing"}
            for c in _calls("anthropic", "claude-sonnet-4-0", "sk-ant-api03-…strm#abcdef01",
                            2, 0, 0)
        ],
    ]  # fmt: skip
    dead_letters.add(
        store_client,
        _not_stored([
            *_calls("openai", "gpt-4o-mini", "sk-proj-…l0st#0badf00d", 1, 1000, 100),
            *_calls("openai", "gpt-4o-mini", "sk-proj-…g0ne#0badf00d", 2, 1000, 100),
        ]),
    )  # fmt: skip
    openai = Report("openai", [D2])
    openai.usage = [
        _usage("gpt-4o-mini", "key_hidden", 5_000, 500, 5),
        _usage("gpt-4o-mini", "key_lost", 3_000, 300, 3),
        _usage("gpt-4o-mini", "key_gone", 2_000, 200, 2),
    ]
    openai.keys = [
        KeyRow("key_hidden", "hidden", "sk-proj-...h1dn", "proj", "active"),
        KeyRow("key_lost", "lost", "sk-proj-...l0st", "proj", "active"),
        KeyRow("key_gone", "gone", "sk-proj-...g0ne", "proj", "active"),
    ]
    anthropic = Report("anthropic", [D2])
    anthropic.usage = [_usage("claude-sonnet-4-0", "apikey_stream", 2_000, 200, None)]
    anthropic.keys = [KeyRow("apikey_stream", "stream", "sk-ant-api03-Abc...strm", "wrk", "active")]
    _store(store_client, stored, openai, anthropic)

    week = {"start": NOW - dt.timedelta(days=7), "end": NOW}
    rows = views.fetch(store_client, views.VIEWS["reconciliation_by_key"], **week)
    assert [
        (r["api_key_id"], r["billed_requests"], r["metered_requests"],
         r["usage_missing_requests"], r["dead_lettered_requests"], r["request_gap"], r["status"])
        for r in rows
    ] == [
        ("key_hidden", 5, 3, 3, 0, 2, "partly instrumented"),
        ("key_lost", 3, 2, 0, 1, 0, "calls not stored"),
        ("apikey_stream", None, 2, 2, 0, None, "calls without usage"),
        ("key_gone", 2, 0, 0, 2, 0, "calls not stored"),
    ]  # fmt: skip

    window = Window(start=dt.datetime(2026, 3, 14, tzinfo=dt.UTC), end=NOW)
    doc = document.build(document.store_fetcher(store_client, window), window)
    assert [
        (k["api_key_id"], k["dead_lettered_requests"], k["billed_requests"], k["request_gap"])
        for k in doc["reconciliation_by_key"]
    ] == [
        ("key_hidden", 0, 5, 2),
        ("key_lost", 1, 3, 0),
        ("apikey_stream", 0, None, None),
        ("key_gone", 2, 2, 0),
    ]
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=160))
    text = out.getvalue()
    page = html.render(doc)
    for said in (
        "key hidden (sk-proj-...h1dn): partly instrumented, 3 of 3 calls without usage, "
        "2 billed calls never seen",
        "key lost (sk-proj-...l0st): calls not stored, 1 call not stored",
        "key gone (sk-proj-...g0ne): calls not stored, 2 calls not stored",
        "key stream (sk-ant-api03-Abc...strm): calls without usage, 2 of 2 calls",
    ):
        assert said in text and said in page


def test_calls_metered_without_a_key_are_not_called_uninstrumented(store_client: Any) -> None:
    """Calls from a source that records no key fingerprint (a third-party instrumentation, an
    older release) are metered with api_key ''. A billed
    key with no matching call is then not known to be uninstrumented: its calls may be those.
    Where the bill counts requests (OpenAI) and counts more than the unkeyed calls could be,
    the rest were never seen. Billed as used, 1,000 + 100 tokens a call: gpt-4o-mini key_app 10
    calls, all metered without a key (before: 'uninstrumented'), key_cron 45 (10 unkeyed calls
    cannot be them: 'uninstrumented'); gpt-4o key_app 5 calls, 3 with its fingerprint, 2
    without (before: 'partly instrumented'); Anthropic's apikey_app 4, all without a key
    (before: 'uninstrumented')."""
    calls = [
        *_calls("openai", "gpt-4o-mini", "", 10, 1000, 100),
        *_calls("openai", "gpt-4o", "sk-proj-…a1b2#0badf00d", 3, 1000, 100),
        *_calls("openai", "gpt-4o", "", 2, 1000, 100),
        *_calls("anthropic", "claude-sonnet-4-0", "", 4, 1000, 100),
    ]
    openai = Report("openai", [D2])
    openai.usage = [
        _usage("gpt-4o-mini", "key_app", 10_000, 1_000, 10),
        _usage("gpt-4o-mini", "key_cron", 45_000, 4_500, 45),
        _usage("gpt-4o", "key_app", 5_000, 500, 5),
    ]
    openai.keys = [
        KeyRow("key_app", "app", "sk-proj-...a1b2", "proj", "active"),
        KeyRow("key_cron", "legacy-cron", "sk-proj-...cr0n", "proj", "active"),
    ]
    anthropic = Report("anthropic", [D2])
    anthropic.usage = [_usage("claude-sonnet-4-0", "apikey_app", 4_000, 400, None)]
    anthropic.keys = [KeyRow("apikey_app", "app", "sk-ant-api03-Abc...wxYZ", "wrk", "active")]
    _store(store_client, calls, openai, anthropic)

    window = Window(start=dt.datetime(2026, 3, 14, tzinfo=dt.UTC), end=NOW)
    doc = document.build(document.store_fetcher(store_client, window), window)
    assert [
        (r["provider"], r["api_key_id"], r["model"], r["metered_requests"],
         r["billed_requests"], r["request_gap"], r["unkeyed_requests"], r["status"])
        for r in doc["reconciliation_by_key"]
    ] == [
        ("openai", "key_cron", "gpt-4o-mini", 0, 45, 45, 10, "uninstrumented"),
        ("openai", "key_app", "gpt-4o-mini", 0, 10, 10, 10, "key not recorded"),
        ("openai", "key_app", "gpt-4o", 3, 5, 2, 2, "key not recorded"),
        ("anthropic", "apikey_app", "claude-sonnet-4-0", 0, None, None, 4, "key not recorded"),
    ]  # fmt: skip
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=200))
    text = out.getvalue()
    assert "openai/gpt-4o-mini key legacy-cron (sk-proj-...cr0n): uninstrumented, 45 billed" in text
    assert (
        "openai/gpt-4o-mini key app (sk-proj-...a1b2): key not recorded, 10 calls of the model "
        "metered without a key" in text
    )
    assert "openai/gpt-4o key app (sk-proj-...a1b2): key not recorded, 2 calls" in text
    assert "key not recorded, 10 calls of the model metered without a key" in html.render(doc)
