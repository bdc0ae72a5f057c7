"""Billed usage per API key against metered calls, matched by the instrumentation's key
fingerprint (``sk-proj-…abcd#hash``) and the redacted values the providers list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from reconcile.seed import D2, NOW
from tokentrace.processor.reconcile import store_days
from tokentrace.processor.reconcile.rows import KeyRow, Report, UsageRow
from tokentrace.processor.store import views

CALL: dict[str, Any] = {
    "trace_id": "", "span_id": "", "response_id": "", "operation": "chat", "service": "api",
    "environment": "prod", "priced": 1, "status": "ok", "latency_ms": 100.0,
}  # fmt: skip


def _calls(provider: str, model: str, key: str, n: int, inp: int, out: int) -> list[dict]:
    ts = dt.datetime.combine(D2, dt.time(9), dt.UTC)
    return [
        {**CALL, "ts": ts, "provider": provider, "model": model, "api_key": key,
         "input_tokens": inp, "output_tokens": out, "cost": Decimal("0.01")}
        for _ in range(n)
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
