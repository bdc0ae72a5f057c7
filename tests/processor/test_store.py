"""The schema migrates on real chDB, is idempotent, and renders cluster DDL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tokentrace.processor.store import store
from tokentrace.processor.store.sink import BOOKKEEPING_TABLES, create_missing


def test_migrate_is_idempotent_and_versioned(chdb_url, store_client) -> None:
    """A fresh database migrated here ends as the tests' stores start (conftest's
    ``migrated_schema``: the same tables and views, created by the same statements), and a
    second migrate applies nothing."""
    client = store.connect(chdb_url, database="migrated_here")
    applied = store.migrate(client)
    assert applied == [m.version for m in store.load_migrations()]
    assert store.migrate(client) == []
    versions = client.query("SELECT version FROM schema_migrations ORDER BY version").result_rows
    assert versions == [(m.version,) for m in store.load_migrations()]

    def schema(database: str) -> list[tuple[str, str]]:
        rows = client.query(
            "SELECT name, create_table_query FROM system.tables WHERE database = {db:String} "
            "ORDER BY name",
            parameters={"db": database},
        ).result_rows
        return [(name, query.replace(f"{database}.", "db.")) for name, query in rows]

    assert schema("migrated_here") == schema(store_client.database)
    assert {"llm_calls", "llm_cost_hourly", "llm_cost_daily", "budgets"} <= {
        name for name, _ in schema("migrated_here")
    }
    assert store.migrate(store_client) == []
    client.command("DROP DATABASE migrated_here")


def test_migration_versions_are_unique() -> None:
    """migrate skips a version it has recorded: a second file with that number would never run
    on a store that had the first (two 0017s landed on 2026-12-02)."""
    versions = [migration.version for migration in store.load_migrations()]
    assert len(versions) == len(set(versions)), sorted(versions)


def test_rollups_are_exact_and_retried_insert_is_not_double_counted(store_client) -> None:
    ts = dt.datetime(2026, 11, 2, 10, 30, tzinfo=dt.UTC)
    rows = [
        [ts, "openai", "gpt-4o", Decimal("0.000000037500"), "ok"],
        [ts, "openai", "gpt-4o", Decimal("0.001250000000"), "error"],
    ]
    columns = ["ts", "provider", "model", "cost", "status"]
    settings = {
        "insert_deduplication_token": "batch-1",
        "deduplicate_blocks_in_dependent_materialized_views": 1,
    }
    for _ in range(2):  # a retried batch
        store_client.insert("llm_calls", rows, column_names=columns, settings=settings)
    assert store_client.query("SELECT count() FROM llm_calls").result_rows == [(2,)]
    daily = store_client.query(
        "SELECT day, sum(requests), sum(failed_requests), sum(cost), sum(failed_cost) "
        "FROM llm_cost_daily GROUP BY day"
    ).result_rows
    assert daily == [(dt.date(2026, 11, 2), 2, 1, Decimal("0.0012500375"), Decimal("0.00125"))]
    hourly = store_client.query("SELECT hour, sum(cost) FROM llm_cost_hourly GROUP BY hour")
    assert hourly.result_rows[0][1] == Decimal("0.0012500375")


def test_cluster_ddl_uses_on_cluster_and_replicated_engines() -> None:
    statements = [store.render(s, "prod") for m in store.load_migrations() for s in m.statements]
    creates = [s for s in statements if s.startswith("CREATE TABLE")]
    # A backfill (INSERT ... SELECT, migration 0010) has no ON CLUSTER: it runs where the
    # migration runs, on that shard's data.
    ddl = [s for s in statements if not s.startswith("INSERT INTO")]
    assert creates and all("ON CLUSTER `prod`" in s for s in ddl)
    assert all("ENGINE = Replicated" in s for s in creates)
    expected = (
        "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', "
        "'{replica}', updated_at, deleted)"
    )
    assert expected in "\n".join(creates)


def test_store_url_rejects_unknown_scheme() -> None:
    import pytest

    with pytest.raises(ValueError, match="unsupported ClickHouse URL"):
        store.StoreURL.parse("postgres://x")


def test_the_sinks_tables_created_again_have_the_migrations_schema(store_client, caplog) -> None:
    """A bookkeeping table dropped by hand is created again (at a connect, or when an insert
    finds it missing) as the migrations leave it: dead_letters re-created by 0003's CREATE
    alone lacked 0027's and 0028's columns, which the sink writes and every view counting
    dead letters reads. A later migration altering one of these tables is followed here too."""

    def schema() -> dict[str, str]:
        return {
            table: store_client.command(f"SHOW CREATE TABLE {table}")
            for table in BOOKKEEPING_TABLES
        }

    migrated = schema()
    for table in BOOKKEEPING_TABLES:
        store_client.command(f"DROP TABLE {table}")
    create_missing(store_client)
    assert schema() == migrated
    assert (
        "dead_letters was missing (dropped?); created again as migrations 0003, 0027, 0028, 0029 "
        "leave it; the dead letters it held are lost" in caplog.text
    )
    create_missing(store_client)  # none missing: nothing said
    assert caplog.text.count("was missing (dropped?)") == 3
    assert store.recreate(store_client, "dead_letters") == [3, 27, 28, 29]  # exists: a no-op
    assert schema() == migrated
