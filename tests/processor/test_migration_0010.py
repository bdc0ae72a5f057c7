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


def test_backfill_fills_the_new_columns_only(client_at_0009):
    rollups = ("llm_cost_hourly", "llm_cost_daily")  # one migrate for both: it takes seconds
    before = {
        rollup: client_at_0009.query(
            f"SELECT provider, sum(requests), sum(cost) FROM {rollup} GROUP BY provider ORDER BY 1"
        ).result_rows
        for rollup in rollups
    }

    assert 10 in store.migrate(client_at_0009)  # and any later migration

    raw = client_at_0009.query(
        "SELECT provider, count(), sum(cost), countIf(cost_source = 'provider'), "
        "sumIf(assumeNotNull(provider_cost), cost_source = 'provider'), "
        "countIf(cost_source = 'provider' AND unpriced_reason = ''), "
        "sumIf(assumeNotNull(provider_cost), cost_source = 'provider' AND unpriced_reason = ''), "
        "sumIf(input_cost + cache_read_cost + cache_write_cost + output_cost, "
        "cost_source = 'provider' AND unpriced_reason = ''), sum(input_audio_tokens), "
        "sum(cache_write_1h_tokens) FROM llm_calls GROUP BY provider ORDER BY 1"
    ).result_rows
    for rollup in rollups:
        after = client_at_0009.query(
            f"SELECT provider, sum(requests), sum(cost), sum(reported_requests), "
            "sum(reported_cost), sum(compared_requests), sum(compared_reported_cost), "
            "sum(compared_computed_cost), sum(input_audio_tokens), sum(cache_write_1h_tokens) "
            f"FROM {rollup} GROUP BY provider ORDER BY 1"
        ).result_rows
        assert [row[:3] for row in after] == before[rollup]
        assert after == [
            ("google", 1, Decimal("0.003"), 0, 0, 0, 0, 0, 300, 40),
            (
                "openrouter", 2, Decimal("0.500171"), 2, Decimal("0.500171"), 1,
                Decimal("0.000171"), Decimal("0.000159"), 0, 0,
            ),
        ]  # fmt: skip
        assert after == raw


def test_a_backfill_run_again_after_an_interrupted_migration_counts_once(client_at_0009):
    """serve killed (a start-up probe's SIGKILL on a slow first start) after 0010's backfill
    and before the version was recorded: the next start runs 0010 again, backfill included."""
    (migration,) = [m for m in store.load_migrations() if m.version == 10]
    store.run_statements(client_at_0009, migration)

    assert 10 in store.migrate(client_at_0009)

    for rollup in ("llm_cost_hourly", "llm_cost_daily"):
        assert client_at_0009.query(
            f"SELECT provider, sum(requests), sum(reported_requests), sum(reported_cost), "
            f"sum(input_audio_tokens) FROM {rollup} GROUP BY provider ORDER BY 1"
        ).result_rows == [("google", 1, 0, 0, 300), ("openrouter", 2, 2, Decimal("0.500171"), 0)]
