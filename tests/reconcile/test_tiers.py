"""The bill against the metered calls per service tier, end to end: the admin stand-ins over
HTTP (grouping by tier as the real reports do), the importers, chDB and the views.

Day D = 2026-03-14, all numbers by hand:

* OpenAI gpt-4o-mini: billed standard 10 calls 10,000/1,000 tokens, flex 4 calls 4,000/400,
  batch 2 calls 2,000/200; one unsplit cost of $0.135 (the Costs API has no tier). Metered:
  10 standard (5 stored '' by tokentrace, 5 'default' by another instrumentation), 3 flex and
  2 batch calls of 1,000/100 tokens, $0.10 + $0.015 + $0.01. So the flex tier misses a call,
  and the model's day as a whole (all tiers) misses 1,000/100 tokens and $0.01.
* OpenAI gpt-4o: billed and metered only flex, 2 calls 2,000/200, $0.04: its cost is the
  flex tier's.
* Anthropic claude-sonnet-4-0: billed standard 10,000/1,000 ($0.20), batch 4,000/400 ($0.04),
  priority 2,000/200 ($0.10). Metered: 11 standard ('' and 'standard'), 4 batch and 1
  priority call of 1,000/100 tokens ($0.02, $0.01, $0.05 each): a priority call metered at
  the standard tier. As one tier the tokens matched (16,000/1,600 both sides).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from reconcile.seed import _CALL
from tokentrace.processor.reconcile import run
from tokentrace.processor.report import document
from tokentrace.processor.report.window import Window
from tokentrace.processor.standins.admin_ledger import Ledger
from tokentrace.processor.standins.admin_server import start_admin_standin
from tokentrace.processor.store import views

TODAY = dt.date(2026, 3, 15)
D = dt.date(2026, 3, 14)
WINDOW = Window(
    start=dt.datetime(2026, 3, 14, tzinfo=dt.UTC), end=dt.datetime(2026, 3, 15, tzinfo=dt.UTC)
)


def _openai_usage(model: str, tier: str, batch: bool, requests: int) -> dict[str, Any]:
    return {
        "day": D, "endpoint": "completions", "project_id": "proj_app", "user_id": None,
        "api_key_id": "key_app", "model": model, "batch": batch, "service_tier": tier,
        "input_tokens": 1_000 * requests, "input_cached_tokens": 0,
        "output_tokens": 100 * requests, "input_audio_tokens": 0, "output_audio_tokens": 0,
        "num_model_requests": requests,
    }  # fmt: skip


def _anthropic(tier: str, requests: int, cents: str) -> tuple[dict[str, Any], dict[str, Any]]:
    model = "claude-sonnet-4-20250514"
    usage = {
        "day": D, "api_key_id": "apikey_app", "workspace_id": "wrk_app", "model": model,
        "service_tier": tier, "context_window": "0-200k",
        "uncached_input_tokens": 1_000 * requests, "cache_read_input_tokens": 0,
        "ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0,
        "output_tokens": 100 * requests, "web_search_requests": 0,
    }  # fmt: skip
    cost = {
        "day": D, "workspace_id": "wrk_app", "description": f"Claude Sonnet 4 Usage ({tier})",
        "cost_type": "tokens", "model": model, "service_tier": tier,
        "token_type": "uncached_input_tokens", "context_window": "0-200k",
        "amount": Decimal(cents),
    }  # fmt: skip
    return usage, cost


def _ledger() -> Ledger:
    ledger = Ledger()
    ledger.openai_usage = [
        _openai_usage("gpt-4o-mini-2024-07-18", "default", False, 10),
        _openai_usage("gpt-4o-mini-2024-07-18", "flex", False, 4),
        _openai_usage("gpt-4o-mini-2024-07-18", "default", True, 2),
        _openai_usage("gpt-4o-2024-08-06", "flex", False, 2),
    ]
    ledger.openai_costs = [
        {"day": D, "project_id": "proj_app", "line_item": f"{model}, {kind}", "amount": amount}
        for model, kind, amount in (
            ("gpt-4o-mini-2024-07-18", "input", Decimal("0.1")),
            ("gpt-4o-mini-2024-07-18", "output", Decimal("0.035")),
            ("gpt-4o-2024-08-06", "input", Decimal("0.03")),
            ("gpt-4o-2024-08-06", "output", Decimal("0.01")),
        )
    ]
    for tier, requests, cents in (("standard", 10, "20"), ("batch", 4, "4"), ("priority", 2, "10")):
        usage, cost = _anthropic(tier, requests, cents)
        ledger.anthropic_usage.append(usage)
        ledger.anthropic_costs.append(cost)
    return ledger


def _calls(provider: str, model: str, tier: str, n: int, cost: str) -> list[dict[str, Any]]:
    ts = dt.datetime.combine(D, dt.time(9), dt.UTC)
    return [
        {**_CALL, "ts": ts, "provider": provider, "model": model, "service_tier": tier,
         "input_tokens": 1_000, "output_tokens": 100, "cost": Decimal(cost)}
        for _ in range(n)
    ]  # fmt: skip


def _metered() -> list[dict[str, Any]]:
    return [
        *_calls("openai", "gpt-4o-mini", "", 5, "0.01"),
        *_calls("openai", "gpt-4o-mini", "default", 5, "0.01"),
        *_calls("openai", "gpt-4o-mini", "flex", 3, "0.005"),
        *_calls("openai", "gpt-4o-mini", "batch", 2, "0.005"),
        *_calls("openai", "gpt-4o", "flex", 2, "0.02"),
        *_calls("anthropic", "claude-sonnet-4-0", "", 6, "0.02"),
        *_calls("anthropic", "claude-sonnet-4-0", "standard", 5, "0.02"),
        *_calls("anthropic", "claude-sonnet-4-0", "batch", 4, "0.01"),
        *_calls("anthropic", "claude-sonnet-4-0", "priority", 1, "0.05"),
    ]


@pytest.fixture
def imported(store_client: Any) -> Iterator[Any]:
    rows = _metered()
    columns = list(rows[0])
    store_client.insert("llm_calls", [[r[c] for c in columns] for r in rows], column_names=columns)
    with start_admin_standin(_ledger()) as standin:
        outcomes = run.run_on_store(store_client, run.sources(standin.env()), TODAY, 2)
        asked = [r.query for r in standin.requests if r.path.endswith("/usage/completions")]
    assert [o.error for o in outcomes] == ["", ""]
    assert asked and all("service_tier" in q["group_by"] for q in asked)
    yield store_client


def test_billed_and_metered_compared_per_service_tier(imported: Any) -> None:
    rows = views.fetch(imported, views.VIEWS["reconciliation"], start=WINDOW.start, end=WINDOW.end)
    got = {
        (r["provider"], r["model"], r["service_tier"]): (
            r["billed_cost"], r["metered_cost"], r["billed_input_tokens"],
            r["metered_input_tokens"], r["billed_output_tokens"], r["metered_output_tokens"],
            r["billed_requests"], r["metered_requests"], r["cause"],
        )
        for r in rows
    }  # fmt: skip
    d = Decimal
    assert got == {
        # the Costs API does not split the cost: the model's day as one, and per tier tokens
        ("openai", "gpt-4o-mini", "*"): (
            d("0.135"),
            d("0.125"),
            16_000,
            15_000,
            1_600,
            1_500,
            16,
            15,
            "missing calls",
        ),
        ("openai", "gpt-4o-mini", ""): (
            None,
            d("0.1"),
            10_000,
            10_000,
            1_000,
            1_000,
            10,
            10,
            "matches",
        ),
        ("openai", "gpt-4o-mini", "flex"): (
            None,
            d("0.015"),
            4_000,
            3_000,
            400,
            300,
            4,
            3,
            "missing calls",
        ),
        ("openai", "gpt-4o-mini", "batch"): (
            None,
            d("0.01"),
            2_000,
            2_000,
            200,
            200,
            2,
            2,
            "matches",
        ),
        # one tier that day: the cost is its own
        ("openai", "gpt-4o", "flex"): (
            d("0.04"),
            d("0.04"),
            2_000,
            2_000,
            200,
            200,
            2,
            2,
            "matches",
        ),
        # Anthropic's cost report splits by tier: a priority call metered as standard shows
        ("anthropic", "claude-sonnet-4-0", ""): (
            d("0.2"),
            d("0.22"),
            10_000,
            11_000,
            1_000,
            1_100,
            None,
            11,
            "more metered than billed",
        ),
        ("anthropic", "claude-sonnet-4-0", "batch"): (
            d("0.04"),
            d("0.04"),
            4_000,
            4_000,
            400,
            400,
            None,
            4,
            "matches",
        ),
        ("anthropic", "claude-sonnet-4-0", "priority"): (
            d("0.1"),
            d("0.05"),
            2_000,
            1_000,
            200,
            100,
            None,
            1,
            "missing calls",
        ),
    }


def test_unmetered_spend_and_report_count_an_unsplit_cost_once(imported: Any) -> None:
    doc = document.build(document.store_fetcher(imported, WINDOW), WINDOW)
    assert [
        (u["provider"], u["model"], u["unmetered_cost"], u["billed_cost"], u["days"])
        for u in doc["unmetered_spend"]
    ] == [
        ("anthropic", "claude-sonnet-4-0", "0.05", "0.34", 1),
        ("openai", "gpt-4o-mini", "0.01", "0.135", 1),
    ]
    tiers = {
        (r["model"], r["service_tier"]): (r["billed_cost"], r["gap"]) for r in doc["reconciliation"]
    }
    assert tiers[("gpt-4o-mini", "flex")] == (None, None)
    assert tiers[("gpt-4o-mini", "*")] == ("0.135", "0.01")
    assert tiers[("claude-sonnet-4-0", "priority")] == ("0.1", "0.05")
    assert {c["service_tier"] for c in doc["reconciliation_causes"]} == {
        "", "*", "flex", "batch", "priority"
    }  # fmt: skip


def test_a_store_written_before_keeps_its_calls_standard_until_reprice_splits_them(
    chdb_url: str,
) -> None:
    """Migration 0034 on a store with calls: the daily rollup's rows written before have the
    standard tier (the migration does not rewrite them); `tokentrace reprice`'s match of the
    rollups with the calls puts each day's calls under their tier, from the view's new query."""
    from views.migrating import store_before

    from tokentrace.processor.store.rollup_deltas import match_facts

    rows = _metered()
    columns = list(rows[0])
    tiers = (
        "SELECT provider, service_tier, sum(requests) FROM llm_cost_daily "
        "GROUP BY provider, service_tier ORDER BY provider, service_tier"
    )
    with store_before(chdb_url, 34, columns, [[[r[c] for c in columns] for r in rows]]) as (
        client,
        applied,
    ):
        assert 34 in applied
        assert client.query(tiers).result_rows == [("anthropic", "", 16), ("openai", "", 17)]
        start = dt.datetime.combine(D, dt.time(), dt.UTC)
        match_facts(client, start, start + dt.timedelta(days=1), settle=False)
        assert client.query(tiers).result_rows == [
            ("anthropic", "", 11), ("anthropic", "batch", 4), ("anthropic", "priority", 1),
            ("openai", "", 10), ("openai", "batch", 2), ("openai", "flex", 5),
        ]  # fmt: skip


def test_an_imported_bill_without_spend_is_not_called_missing(store_client: Any) -> None:
    """A new organisation: both admin keys work, the bills hold nothing and no call was
    metered. The import says so per provider, and the report does not claim no bill was
    imported."""
    import io

    from rich.console import Console

    from tokentrace.processor.report import terminal

    with start_admin_standin(Ledger()) as standin:
        outcomes = run.run_on_store(store_client, run.sources(standin.env()), TODAY, 2)
    assert [o.line() for o in outcomes] == [
        "openai: 2026-03-14..2026-03-15 imported (2 days, 0 usage rows, 0 cost rows, 0 keys)",
        "anthropic: 2026-03-14..2026-03-15 imported (2 days, 0 usage rows, 0 cost rows, 0 keys)",
    ]
    doc = document.build(document.store_fetcher(store_client, WINDOW), WINDOW)
    assert doc["reconciliation"] == []
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=200, color_system=None))
    assert "No provider bill imported" not in out.getvalue()
    assert "Billed vs metered: nothing billed or metered on imported days" in out.getvalue()
