"""The store client each of serve's APIs keeps of its own, shared by their routes.

chDB shares one engine per process, so each API (views, budgets, reconcile, dead letters)
opens a client of its own at its first request and runs one operation on it at a time. A
bookkeeping table dropped by hand while serve runs (``dead_letters`` most often) is created
again as the migrations leave it and the operation run once more (:func:`sink.recreating`):
before, every route reading it answered 500 until the sink met a poison row or serve
reconnected. One class, so that no API can drift from the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from tokentrace.processor.store.sink import recreating

T = TypeVar("T")


class StoreCalls:
    def __init__(self, connect: Callable[[], Any], cluster: str | None = None) -> None:
        """``connect`` opens the API's store client; ``cluster``: the store's, to create a
        dropped bookkeeping table again on every replica."""
        self._connect = connect
        self._cluster = cluster
        self._client: Any = None
        self._lock = threading.Lock()

    def __call__(self, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``operation(client, *args, **kwargs)`` on the API's client, alone on it."""
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return recreating(
                self._client, lambda client: operation(client, *args, **kwargs), self._cluster
            )
