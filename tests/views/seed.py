"""Seeded calls whose answers are known, relative to a fixed "now".

NOW is Sunday 2026-03-15 12:30 UTC. Every day from 2026-02-23 to today at 08:00:

* A: openai/gpt-4o, team growth, feature chat, tenant acme, user u1 — 1.00 USD
* B: anthropic/claude-sonnet-4, team search, feature summarize, tenant globex, user u2 — 2.00

plus, on top of that steady 3.00 a day:

* the spike: Monday 2026-03-09 09:00-09:08, nine more B calls (18.00) in one conversation,
  the first with a cost its provider reported and 2,000 image tokens (0.03 of its cost);
* waste: 2026-03-10..14 08:00, agent retriever / feature rag on gpt-4o-mini, prompts 50x the
  completions (0.50 each);
* failures: 2026-03-13 10:00, two failed chat calls (0.25 each);
* the most expensive call: 2026-03-12 14:00, claude-opus-4 for team research (6.00);
* unpriced: x_ai/grok-9 twice today at 12:05 and 12:10 (new); mistral_ai/mystery-2, without
  any tags, on 2026-03-05 and today at 11:20 (not new; today's call had no usage);
* the bill: the billed usage and costs of tests/reconcile/seed.py (reconciliation panels);
* budgets: growth 22.50/month (spent 18.00 → 0.8), global 6.00/day (3.00 → 0.5),
  summarize 32.00/week (7 x 2.00 + 18.00 → 1.0), team nobody 10.00/month (→ 0).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 15, 12, 30, tzinfo=UTC)
TODAY = NOW.date()
FIRST_DAY = dt.date(2026, 2, 23)
SPIKE_DAY = dt.date(2026, 3, 9)
DAYS = [FIRST_DAY + dt.timedelta(days=n) for n in range((TODAY - FIRST_DAY).days + 1)]

TOTAL_COST = Decimal("90.00")  # 21 x 3.00 + 18.00 + 2.50 + 0.50 + 6.00
TOTAL_REQUESTS = 63  # 21 x 2 + 9 + 5 + 2 + 1 + 2 + 2
MARCH_COST = Decimal("72.00")  # 15 x 3.00 + 18.00 + 2.50 + 0.50 + 6.00
GROWTH_COST = Decimal("24.00")  # 21 x 1.00 + 2.50 + 0.50
GROWTH_MARCH_COST = Decimal("18.00")  # 15 x 1.00 + 2.50 + 0.50

_DEFAULTS: dict[str, Any] = {
    "trace_id": "",
    "span_id": "",
    "provider": "openai",
    "model": "gpt-4o",
    "operation": "chat",
    "service": "api",
    "environment": "prod",
    "team": "",
    "feature": "",
    "tenant": "",
    "user": "",
    "conversation": "",
    "agent": "",
    "input_tokens": 0,
    "output_tokens": 0,
    "cache_read_tokens": 0,
    "cache_write_tokens": 0,
    "reasoning_tokens": 0,
    "cost": Decimal("0"),
    "cache_savings": Decimal("0"),
    "priced": 1,
    "latency_ms": 100.0,
    "status": "ok",
    "usage_missing": 0,
    "provider_cost": None,
    "cost_source": "computed",
    "input_image_tokens": 0,
    "input_image_cost": Decimal("0"),
}


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _a(day: dt.date, index: int) -> dict[str, Any]:
    return {
        "ts": _at(day, 8),
        "team": "growth",
        "feature": "chat",
        "tenant": "acme",
        "user": "u1",
        "agent": "assistant",
        "conversation": f"c-acme-{day}",
        "input_tokens": 1000,
        "output_tokens": 200,
        "cache_read_tokens": 400,
        "cost": Decimal("1.00"),
        "cache_savings": Decimal("0.10"),
        "latency_ms": 100.0 + index,
    }


def _b(ts: dt.datetime, conversation: str, latency_ms: float) -> dict[str, Any]:
    return {
        "ts": ts,
        "provider": "anthropic",
        "model": "claude-sonnet-4",
        "service": "worker",
        "team": "search",
        "feature": "summarize",
        "tenant": "globex",
        "user": "u2",
        "agent": "summarizer",
        "conversation": conversation,
        "input_tokens": 3000,
        "output_tokens": 500,
        "cache_write_tokens": 1000,
        "reasoning_tokens": 100,
        "cost": Decimal("2.00"),
        "cache_savings": Decimal("-0.05"),
        "latency_ms": latency_ms,
    }


def calls() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for index, day in enumerate(DAYS):
        rows.append(_a(day, index))
        rows.append(_b(_at(day, 8), f"c-globex-{day}", 200.0 + 2 * index))
    rows += [_b(_at(SPIKE_DAY, 9, m), "c-globex-spike", 1000.0 + m) for m in range(9)]
    # The spike's first call: its provider reported its cost (2.00, as computed), and 2,000
    # of its input tokens were images (0.03 of its cost).
    rows[-9].update(
        provider_cost=Decimal("2.00"),
        cost_source="provider",
        input_image_tokens=2_000,
        input_image_cost=Decimal("0.03"),
    )
    rows += [
        {
            "ts": _at(dt.date(2026, 3, 10 + n), 8, 30),
            "model": "gpt-4o-mini",
            "team": "growth",
            "feature": "rag",
            "tenant": "acme",
            "user": "u1",
            "agent": "retriever",
            "input_tokens": 50_000,
            "output_tokens": 1_000,
            "cost": Decimal("0.50"),
            "latency_ms": 900.0,
        }
        for n in range(5)
    ]
    rows += [
        {
            "ts": _at(dt.date(2026, 3, 13), 10, n),
            "team": "growth",
            "feature": "chat",
            "tenant": "acme",
            "user": "u1",
            "agent": "assistant",
            "input_tokens": 1000,
            "cost": Decimal("0.25"),
            "status": "error",
            "latency_ms": 30_000.0,
        }
        for n in range(2)
    ]
    rows.append(
        {
            "ts": _at(dt.date(2026, 3, 12), 14),
            "trace_id": "trace-most-expensive",
            "span_id": "span-most-expensive",
            "provider": "anthropic",
            "model": "claude-opus-4",
            "team": "research",
            "feature": "analysis",
            "tenant": "initech",
            "user": "u3",
            "agent": "analyst",
            "conversation": "c-initech-1",
            "input_tokens": 20_000,
            "output_tokens": 4_000,
            "cost": Decimal("6.00"),
            "latency_ms": 3000.0,
        }
    )
    unpriced = {"priced": 0, "team": "growth", "feature": "chat", "tenant": "acme"}
    rows += [
        {**unpriced, "ts": _at(TODAY, 12, m), "provider": "x_ai", "model": "grok-9", "user": "u1"}
        for m in (5, 10)
    ]
    rows += [
        {"ts": ts, "provider": "mistral_ai", "model": "mystery-2", "priced": 0}  # untagged
        for ts in (_at(dt.date(2026, 3, 5), 9), _at(TODAY, 11, 20))
    ]
    rows[-1]["usage_missing"] = 1  # a stream without usage: its cost is unknown
    return [{**_DEFAULTS, **row} for row in rows]


BUDGETS = [
    # scope, filters, period, amount
    ("team=growth", {"team": "growth"}, "month", Decimal("22.50")),
    ("", {}, "day", Decimal("6.00")),
    ("feature=summarize", {"feature": "summarize"}, "week", Decimal("32.00")),
    ("team=nobody", {"team": "nobody"}, "month", Decimal("10.00")),
]


def insert_calls(client: Any, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    client.insert("llm_calls", [[row[c] for c in columns] for row in rows], column_names=columns)


def seed(client: Any) -> None:
    from reconcile.seed import reports  # the providers' bill for 2026-03-13..15

    from tokentrace.processor.reconcile import store_days

    insert_calls(client, calls())
    for report in reports():
        store_days.write(client, report)
    client.insert(
        "budgets",
        [[scope, filters, period, amount, NOW, 0] for scope, filters, period, amount in BUDGETS],
        column_names=["scope", "filters", "period", "amount", "updated_at", "deleted"],
    )


def seeded_database(chdb_url: str, database: str) -> Iterator[Any]:
    """A migrated, seeded database of its own for a session fixture; dropped afterwards."""
    from tokentrace.processor.store import store

    client = store.connect(chdb_url, database=database)
    store.migrate(client)
    seed(client)
    yield client
    client.command(f"DROP DATABASE IF EXISTS {database}")
