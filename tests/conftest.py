"""Shared fixtures: one real chDB engine per test session, a fresh database per test.

chDB allows one engine path per process, so every test in the session shares one data
directory and isolates itself in its own database.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

_counter = itertools.count()

# Longer than any test that uses :func:`one_utc_day` takes on a loaded machine, and short
# enough that waiting it out stays within pytest's timeout (pyproject.toml: 300 s).
DAY_MARGIN = dt.timedelta(seconds=150)


@pytest.fixture(scope="session")
def chdb_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("chdb")
    return f"chdb://{path}"


TEMPLATE = "migrated_template"


@pytest.fixture(scope="session")
def migrated_schema(chdb_url: str) -> list[str]:
    """The statements that create every table and materialized view :func:`store.migrate`
    leaves in a fresh database, read back from a database migrated once per session.

    Running the migrations took 2.6 s per test on a quiet machine (23 migrations, their
    ALTERs and projection rebuilds) and 10-30 s under load, most of the suite's set-up time;
    creating their end state takes 0.2 s. What they leave is the same: tables first, then
    the views that write into them, with the same CREATE statements."""
    from tokentrace.processor.store import store

    client = store.connect(chdb_url, database=TEMPLATE)
    store.migrate(client)
    rows = client.query(
        "SELECT create_table_query FROM system.tables WHERE database = {db:String} "
        "ORDER BY engine = 'MaterializedView', name",
        parameters={"db": TEMPLATE},
    ).result_rows
    return [statement for (statement,) in rows]


@pytest.fixture
def store_client(chdb_url: str, migrated_schema: list[str]) -> Iterator:
    """A migrated store in a database of its own, on the session's chDB engine: the
    migrations' end state (:func:`migrated_schema`) with their versions recorded, so that
    ``store.migrate`` on it applies nothing, and its views reloaded as ``migrate`` leaves
    them."""
    yield from _store(chdb_url, migrated_schema)


@pytest.fixture(scope="module")
def module_store_client(chdb_url: str, migrated_schema: list[str]) -> Iterator:
    """:func:`store_client` shared by a module's tests: for tests that only read what one
    seeding stored (seeding through the write path costs seconds of CPU, 30-60 s under load)."""
    yield from _store(chdb_url, migrated_schema)


def _store(chdb_url: str, migrated_schema: list[str]) -> Iterator:
    from tokentrace.processor.store import store

    database = f"t{next(_counter)}"
    client = store.connect(chdb_url, database=database)
    for statement in migrated_schema:
        client.command(statement.replace(f"{TEMPLATE}.", f"{database}."))
    client.command(
        f"INSERT INTO {database}.schema_migrations SELECT * FROM {TEMPLATE}.schema_migrations"
    )
    store.reload_views(client)
    yield client
    client.command(f"DROP DATABASE IF EXISTS {database}")


@pytest.fixture
def one_utc_day() -> None:
    """For a test whose processes (serve, a command, the test itself) each read the real
    clock and whose answers depend on the UTC day: a day's budget, the days a reconciliation
    imports. None of them takes a fixed clock, so the test must not run across 00:00 UTC:
    one process would count a day (a month, a year) the other has not started. A test that
    would start less than :data:`DAY_MARGIN` before midnight waits for the new day."""
    now = dt.datetime.now(dt.UTC)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), dt.UTC)
    if midnight - now < DAY_MARGIN:
        time.sleep((midnight - now).total_seconds() + 1)
