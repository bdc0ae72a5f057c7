"""One seeded database per session for the read-only view tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from views.seed import seeded_database


@pytest.fixture(scope="session")
def seeded(chdb_url: str) -> Iterator[Any]:
    yield from seeded_database(chdb_url, "seeded_views")
