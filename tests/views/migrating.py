"""A store written by an older tokentrace, for the tests of a migration's backfill: migrated
only below a version, then filled, then migrated on (the backfill's mutations awaited)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tokentrace.processor.store import store


def migrate_before(client: Any, version: int) -> None:
    """Applies the migrations older than ``version``, as an older release did."""
    every = store.load_migrations()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "load_migrations", lambda: [m for m in every if m.version < version])
        store.migrate(client)


def wait_for_mutations(client: Any) -> None:
    """Waits for the background mutations on ``llm_calls`` (a backfill's ``MATERIALIZE``)."""
    for _ in range(300):
        if not client.command(
            "SELECT count() FROM system.mutations "
            "WHERE database = currentDatabase() AND table = 'llm_calls' AND NOT is_done"
        ):
            return
        time.sleep(0.1)
    raise AssertionError("the migration's mutations did not finish")


@contextmanager
def store_before(
    chdb_url: str, version: int, columns: list[str], batches: Iterable[list[list[Any]]]
) -> Iterator[tuple[Any, list[int]]]:
    """A client on a new database as a release before migration ``version`` left it: migrated
    below ``version``, filled with ``batches`` of ``llm_calls`` rows (``columns``), then
    migrated on, the backfill's mutations awaited. Yields the client and the versions that
    migration applied; the database is dropped afterwards."""
    database = f"before_{version:04d}"
    client = store.connect(chdb_url, database=database)
    try:
        migrate_before(client, version)
        for rows in batches:
            client.insert("llm_calls", rows, column_names=columns)
        applied = store.migrate(client)
        wait_for_mutations(client)
        yield client, applied
    finally:
        client.command(f"DROP DATABASE IF EXISTS {database}")


def active_parts(client: Any) -> int:
    """The active parts of ``llm_calls``."""
    return client.command(
        "SELECT count() FROM system.parts WHERE database = currentDatabase() "
        "AND table = 'llm_calls' AND active"
    )


def projection_parts(client: Any) -> dict[str, tuple[int, int]]:
    """Each projection of ``llm_calls``: its active parts and their rows."""
    rows = client.query(
        "SELECT name, count(), sum(rows) FROM system.projection_parts "
        "WHERE database = currentDatabase() AND table = 'llm_calls' AND active GROUP BY name"
    ).result_rows
    return {name: (parts, total) for name, parts, total in rows}
