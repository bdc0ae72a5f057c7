"""One seeded database per session for the panel and alert query tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from views.seed import seed


@pytest.fixture(scope="session")
def seeded(chdb_url: str) -> Iterator[Any]:
    from tokentrace.processor import store

    client = store.connect(chdb_url, database="seeded_grafana")
    store.migrate(client)
    seed(client)
    yield client
    client.command("DROP DATABASE IF EXISTS seeded_grafana")
