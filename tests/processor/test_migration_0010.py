"""Migration 0010 on a store that already holds calls: the rollups' new columns (unit tokens,
reported against computed cost) are backfilled from llm_calls, the old ones left as they were."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tokentrace.processor.store import store

_databases = itertools.count()
TS = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
COLUMNS = [
    "ts", "provider", "model", "status", "priced", "input_tokens", "input_audio_tokens",
    "cache_write_1h_tokens", "input_cost", "output_cost", "cost", "provider_cost",
    "cost_source", "unpriced_reason",
]  # fmt: skip
ROWS = [
    # OpenRouter-reported, computed too: 0.000171 against 0.000159.
    [TS, "openrouter", "m", "ok", 1, 100, 0, 0, Decimal("0.0001"), Decimal("0.000059"),
     Decimal("0.000171"), Decimal("0.000171"), "provider", ""],
    # Reported, its model unknown: counted as reported, not compared.
    [TS, "openrouter", "m", "ok", 1, 100, 0, 0, Decimal(0), Decimal(0), Decimal("0.5"),
     Decimal("0.5"), "provider", "unknown_model"],
    # Computed only, with audio tokens and 1-hour cache writes.
    [TS, "google", "g", "ok", 1, 900, 300, 40, Decimal("0.001"), Decimal("0.002"),
     Decimal("0.003"), None, "computed", ""],
]  # fmt: skip


@pytest.fixture
def client_at_0009(chdb_url):
    """A store migrated to just before 0010, with three calls in it."""
    database = f"m{next(_databases)}"
    client = store.connect(chdb_url, database=database)
    client.command(
        "CREATE TABLE schema_migrations (version UInt32, name String, applied_at DateTime64(3, "
        "'UTC') DEFAULT now64(3)) ENGINE = ReplacingMergeTree ORDER BY version"
    )
    for migration in store.load_migrations():
        if migration.version < 10:
            for statement in migration.statements:
                client.command(store.render(statement))
            client.insert(
                "schema_migrations", [[migration.version, migration.name]], ["version", "name"]
            )
    client.insert("llm_calls", ROWS, column_names=COLUMNS)
    yield client
    client.command(f"DROP DATABASE IF EXISTS {database}")


@pytest.mark.parametrize("rollup", ["llm_cost_hourly", "llm_cost_daily"])
def test_backfill_fills_the_new_columns_only(client_at_0009, rollup):
    before = client_at_0009.query(
        f"SELECT provider, sum(requests), sum(cost) FROM {rollup} GROUP BY provider ORDER BY 1"
    ).result_rows

    assert 10 in store.migrate(client_at_0009)  # and any later migration

    after = client_at_0009.query(
        f"SELECT provider, sum(requests), sum(cost), sum(reported_requests), "
        "sum(reported_cost), sum(compared_requests), sum(compared_reported_cost), "
        "sum(compared_computed_cost), sum(input_audio_tokens), sum(cache_write_1h_tokens) "
        f"FROM {rollup} GROUP BY provider ORDER BY 1"
    ).result_rows
    assert [row[:3] for row in after] == before
    assert after == [
        ("google", 1, Decimal("0.003"), 0, 0, 0, 0, 0, 300, 40),
        (
            "openrouter", 2, Decimal("0.500171"), 2, Decimal("0.500171"), 1,
            Decimal("0.000171"), Decimal("0.000159"), 0, 0,
        ),
    ]  # fmt: skip
    raw = client_at_0009.query(
        "SELECT provider, count(), sum(cost), countIf(cost_source = 'provider'), "
        "sumIf(assumeNotNull(provider_cost), cost_source = 'provider'), "
        "countIf(cost_source = 'provider' AND unpriced_reason = ''), "
        "sumIf(assumeNotNull(provider_cost), cost_source = 'provider' AND unpriced_reason = ''), "
        "sumIf(input_cost + cache_read_cost + cache_write_cost + output_cost, "
        "cost_source = 'provider' AND unpriced_reason = ''), sum(input_audio_tokens), "
        "sum(cache_write_1h_tokens) FROM llm_calls GROUP BY provider ORDER BY 1"
    ).result_rows
    assert after == raw
