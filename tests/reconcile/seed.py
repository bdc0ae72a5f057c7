"""A bill and metered calls whose reconciliation is known, relative to TODAY 2026-03-15.

Finished days D1 = 2026-03-13 and D2 = 2026-03-14, plus today:

=========  ======================  =========  =========  ======  =====================
day        provider / model        billed     metered    gap     cause
=========  ======================  =========  =========  ======  =====================
D1         openai gpt-4o-mini      0.10       0.10       0       matches
D2         openai gpt-4o-mini      0.15       0.10       0.05    missing calls (+50 %
                                                                  tokens: the cron job)
D2         openai text-embedding-  3.00       —          3.00    unmetered
           3-small
D2         openai gpt-4o           —          0.02       -0.02   not billed
D2         anthropic               3.20       2.00       1.20    price or tier (same
           claude-sonnet-4-0                                      tokens)
today      openai gpt-4o-mini      5.00       0.10       4.90    missing calls (today:
                                                                  not finished)
=========  ======================  =========  =========  ======  =====================

Gemini calls are metered on D2 but gemini has no imported report: never in the views.
The alert (gap > 5 % and > 1 USD on a finished day) fires for D2 embeddings (3.00, 100 %)
and D2 claude-sonnet-4-0 (1.20, 37.5 %) only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tokentrace.processor.reconcile import store_days
from tokentrace.processor.reconcile.rows import CostRow, Report, UsageRow

TODAY = dt.date(2026, 3, 15)
NOW = dt.datetime(2026, 3, 15, 12, 0, tzinfo=dt.UTC)
D1, D2 = dt.date(2026, 3, 13), dt.date(2026, 3, 14)

_CALL: dict[str, Any] = {
    "trace_id": "", "span_id": "", "response_id": "", "operation": "chat", "service": "api",
    "environment": "prod", "team": "", "feature": "", "tenant": "", "user": "",
    "conversation": "", "agent": "", "cache_read_tokens": 0, "cache_write_tokens": 0,
    "reasoning_tokens": 0, "priced": 1, "status": "ok", "latency_ms": 100.0,
}  # fmt: skip


def _calls(day: dt.date, provider: str, model: str, n: int, inp: int, out: int, cost: str):
    ts = dt.datetime.combine(day, dt.time(9), dt.UTC)
    return [
        {**_CALL, "ts": ts, "provider": provider, "model": model, "input_tokens": inp,
         "output_tokens": out, "cost": Decimal(cost)}
        for _ in range(n)
    ]  # fmt: skip


def metered() -> list[dict[str, Any]]:
    return [
        *_calls(D1, "openai", "gpt-4o-mini", 10, 1000, 100, "0.01"),
        *_calls(D2, "openai", "gpt-4o-mini", 10, 1000, 100, "0.01"),
        *_calls(D2, "openai", "gpt-4o", 1, 500, 50, "0.02"),
        *_calls(D2, "anthropic", "claude-sonnet-4-0", 4, 2500, 500, "0.50"),
        *_calls(D2, "gcp.gemini", "gemini-2.5-flash", 3, 100, 10, "0.001"),
        *_calls(TODAY, "openai", "gpt-4o-mini", 10, 1000, 100, "0.01"),
    ]


def _usage(day, model, inp, out, requests, **kw) -> UsageRow:
    return UsageRow(
        day=day, endpoint=kw.get("endpoint", "completions"), model=model, reported_model=model,
        project_id=kw.get("project", "proj_app"), api_key_id=kw.get("key", "key_app"),
        service_tier="", input_tokens=inp, cache_read_tokens=0, cache_write_tokens=0,
        output_tokens=out, requests=requests,
    )  # fmt: skip


def _cost(day, model, amount, project="proj_app") -> CostRow:
    return CostRow(
        day=day, model=model, reported_model=model, line_item=f"{model}, input",
        project_id=project, cost_type="tokens", token_type="input", service_tier="",
        amount=Decimal(amount), currency="USD",
    )  # fmt: skip


def reports() -> list[Report]:
    openai = Report("openai", [D1, D2, TODAY])
    openai.usage = [
        _usage(D1, "gpt-4o-mini", 10_000, 1_000, 10),
        _usage(D2, "gpt-4o-mini", 10_000, 1_000, 10),
        _usage(D2, "gpt-4o-mini", 5_000, 500, 5, key="key_cron", project="proj_legacy"),
        _usage(D2, "text-embedding-3-small", 100_000, 0, 40, endpoint="embeddings",
               key="key_cron", project="proj_legacy"),
        _usage(TODAY, "gpt-4o-mini", 20_000, 2_000, 20),
    ]  # fmt: skip
    openai.costs = [
        _cost(D1, "gpt-4o-mini", "0.10"),
        _cost(D2, "gpt-4o-mini", "0.10"),
        _cost(D2, "gpt-4o-mini", "0.05", project="proj_legacy"),
        _cost(D2, "text-embedding-3-small", "3.00", project="proj_legacy"),
        _cost(TODAY, "gpt-4o-mini", "5.00"),
    ]
    anthropic = Report("anthropic", [D1, D2, TODAY])
    anthropic.usage = [
        UsageRow(D2, "messages", "claude-sonnet-4-0", "claude-sonnet-4-20250514", "wrk_app",
                 "apikey_app", "", 10_000, 0, 0, 2_000, None),
    ]  # fmt: skip
    anthropic.costs = [_cost(D2, "claude-sonnet-4-0", "3.20", project="wrk_app")]
    return [openai, anthropic]


def seed(client: Any) -> None:
    rows = metered()
    columns = list(rows[0])
    client.insert("llm_calls", [[r[c] for c in columns] for r in rows], column_names=columns)
    for report in reports():
        store_days.write(client, report)
