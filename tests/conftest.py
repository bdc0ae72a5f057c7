"""Shared fixtures: one real chDB engine per test session, a fresh database per test.

chDB allows one engine path per process, so every test in the session shares one data
directory and isolates itself in its own database.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

_counter = itertools.count()


@pytest.fixture(scope="session")
def chdb_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("chdb")
    return f"chdb://{path}"


@pytest.fixture
def store_client(chdb_url: str) -> Iterator:
    """A migrated store in a database of its own, on the session's chDB engine."""
    from tokentrace.processor.store import store

    database = f"t{next(_counter)}"
    client = store.connect(chdb_url, database=database)
    store.migrate(client)
    yield client
    client.command(f"DROP DATABASE IF EXISTS {database}")
