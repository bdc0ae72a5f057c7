"""The read-only ClickHouse HTTP interface over the test session's chDB engine.

The interface runs in this process, as in serve: chDB allows one engine per process and
the session's fixtures already hold it. The seeded database (tests/views/seed.py) gives
known answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import clickhouse_connect
import pytest
from views.seed import seeded_database

from tokentrace.processor.api import clickhouse_http
from tokentrace.processor.store import store

DATABASE = "seeded_clickhouse_http"
TOKEN = "s3cret-token"


@pytest.fixture(scope="session")
def seeded(chdb_url: str) -> Iterator[Any]:
    """The seeded database, through a direct chDB client (the answers to compare with)."""
    yield from seeded_database(chdb_url, DATABASE)


def start(chdb_url: str, token: str | None = None, **limits: int) -> clickhouse_http.Listener:
    path = store.StoreURL.parse(chdb_url).path
    return clickhouse_http.start(
        path, DATABASE, "127.0.0.1", 0, token, clickhouse_http.Limits(**limits)
    )


@pytest.fixture(scope="session")
def interface(chdb_url: str, seeded: Any) -> Iterator[clickhouse_http.Listener]:
    """The interface with a token set, on a free port, serving the seeded database."""
    listener = start(chdb_url, TOKEN)
    yield listener
    listener.stop()


@pytest.fixture(scope="session")
def http_client(interface: clickhouse_http.Listener) -> Any:
    """clickhouse-connect over HTTP, as it talks to a ClickHouse server."""
    return clickhouse_connect.get_client(
        host="127.0.0.1", port=interface.port, username="grafana", password=TOKEN
    )
