"""A store written by an older tokentrace, for the tests of a migration's backfill: migrated
only below a version, then filled, then migrated on (the backfill's mutations awaited)."""

from __future__ import annotations

import time
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
