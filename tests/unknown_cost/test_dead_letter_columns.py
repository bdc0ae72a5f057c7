"""Migration 0027 writes the day and dimensions of the dead letters kept before it (the JSON
the views used to parse at query time) into columns, once: run again, it changes nothing.

A store migrated to 0026, as the previous release left it, keeps a letter the way that release
did (no columns; its tenant not UTF-8, a lone surrogate escape in the JSON); then migrated on.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from views.migrating import migrate_before

from tokentrace.processor.store import store, views

DAY = dt.datetime(2026, 11, 18, 11, tzinfo=dt.UTC)
COLUMNS = "day, provider, model, team, tenant, api_key"


def _materialized(client: Any) -> list[tuple[str, int]]:
    """Every active part of dead_letters, with how many of 0027's columns it holds on disk."""
    for _ in range(300):
        if not client.command(
            "SELECT count() FROM system.mutations WHERE database = currentDatabase() "
            "AND table = 'dead_letters' AND NOT is_done"
        ):
            break
        time.sleep(0.1)
    return client.query(
        "SELECT p.name, countIf(c.column IN ('day', 'tenant', 'endpoint')) "
        "FROM system.parts AS p LEFT JOIN system.parts_columns AS c "
        "ON c.database = p.database AND c.table = p.table AND c.name = p.name "
        "WHERE p.database = currentDatabase() AND p.table = 'dead_letters' AND p.active "
        "GROUP BY p.name"
    ).result_rows


def test_letters_kept_before_are_backfilled_once(chdb_url: str) -> None:
    client = store.connect(chdb_url, database="before_0027")
    try:
        migrate_before(client, 27)
        row = {"ts": int(DAY.timestamp() * 1e6), "provider": "openai", "model": "gpt-4o-mini",
               "team": "growth", "tenant": "x\udcff", "api_key": "sk-...abcd#1234"}  # fmt: skip
        client.insert(
            "dead_letters",
            [["seg-1/0", DAY, "cannot encode", json.dumps(row), 0, DAY]],
            column_names=["id", "failed_at", "reason", "row", "replayed", "updated_at"],
        )
        assert 27 in store.migrate(client)
        [(_, held)] = _materialized(client)
        assert held == 3  # written into the part, not worked out from the JSON at each read
        expected = [(DAY.date(), "openai", "gpt-4o-mini", "growth", "x\ufffd", "sk-...abcd#1234")]
        assert client.query(f"SELECT {COLUMNS} FROM dead_letters").result_rows == expected
        [migration] = [m for m in store.load_migrations() if m.version == 27]
        store.run_statements(client, migration)  # a migration stopped part way runs again whole
        assert client.query(f"SELECT {COLUMNS} FROM dead_letters").result_rows == expected
        end = DAY.replace(hour=0) + dt.timedelta(days=1, milliseconds=-1)
        [totals] = views.fetch(
            client, views.VIEWS["totals"], start=DAY.replace(hour=0), end=end,
            filters={"tenant": ("x\ufffd",)},
        )  # fmt: skip
        assert (totals["cost"], totals["dead_lettered_requests"]) == (None, 1)
    finally:
        client.command("DROP DATABASE IF EXISTS before_0027")


def test_the_hour_of_letters_kept_before_is_backfilled_once(chdb_url: str) -> None:
    """Migration 0028 writes the hour of a letter kept by 0027's sink (day and dimensions as
    columns, no hour) from its JSON; the hourly burn rate then counts it in its hour."""
    client = store.connect(chdb_url, database="before_0028")
    try:
        migrate_before(client, 28)
        at = DAY.replace(minute=40)
        row = {"ts": int(at.timestamp() * 1e6), "provider": "openai", "team": "growth"}
        client.insert(
            "dead_letters",
            [["seg-1/0", at, "cannot encode", json.dumps(row), 0, at, at.date(), "growth"]],
            column_names=["id", "failed_at", "reason", "row", "replayed", "updated_at", "day",
                          "team"],
        )  # fmt: skip
        assert 28 in store.migrate(client)
        hour = DAY.replace(tzinfo=None)
        assert client.query("SELECT hour, team FROM dead_letters").result_rows == [(hour, "growth")]
        [migration] = [m for m in store.load_migrations() if m.version == 28]
        store.run_statements(client, migration)
        assert client.query("SELECT hour, team FROM dead_letters").result_rows == [(hour, "growth")]
        rows = views.fetch(
            client,
            views.VIEWS["hourly_burn_rate"],
            start=DAY,
            end=DAY + dt.timedelta(hours=1, milliseconds=-1),
        )
        assert [(r["time"], r["cost_per_hour"], r["dead_lettered_requests"]) for r in rows] == [
            (hour, None, 1)
        ]
    finally:
        client.command("DROP DATABASE IF EXISTS before_0028")


def test_the_call_columns_of_letters_kept_before_are_backfilled_once(chdb_url: str) -> None:
    """Migration 0029 writes the instant, user, conversation, status and usage_missing of a
    letter kept by 0028's sink from its JSON; the report's filters then narrow it by them."""
    client = store.connect(chdb_url, database="before_0029")
    try:
        migrate_before(client, 29)
        at = DAY.replace(minute=40, microsecond=123456)
        row = {"ts": int(at.timestamp()) * 10**6 + 123456, "user": "u-\udcff",
               "conversation": "c-1", "status": "error", "usage_missing": True}  # fmt: skip
        client.insert(
            "dead_letters",
            [["seg-1/0", at, "cannot encode", json.dumps(row), 0, at, at.date()]],
            column_names=["id", "failed_at", "reason", "row", "replayed", "updated_at", "day"],
        )
        assert 29 in store.migrate(client)
        columns = "ts, user, conversation, status, usage_missing"
        expected = [(at.replace(tzinfo=None), "u-\ufffd", "c-1", "error", 1)]
        assert client.query(f"SELECT {columns} FROM dead_letters").result_rows == expected
        [migration] = [m for m in store.load_migrations() if m.version == 29]
        store.run_statements(client, migration)
        assert client.query(f"SELECT {columns} FROM dead_letters").result_rows == expected
        day = DAY.replace(hour=0)
        end = day + dt.timedelta(days=1, milliseconds=-1)
        [totals] = views.fetch(
            client, views.VIEWS["totals"], start=day, end=end, filters={"user": ("u-\ufffd",)}
        )
        assert (totals["cost"], totals["dead_lettered_requests"]) == (None, 1)
    finally:
        client.command("DROP DATABASE IF EXISTS before_0029")
