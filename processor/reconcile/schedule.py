"""Reconciliation inside ``tokentrace serve``: one run at start, then every hour.

Runs only when an admin key is set in serve's environment. The thread opens a store client
of its own (chDB shares one engine per process) and never stops serve: a failed run is
logged in one line, without the key, and the next hour tries again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tokentrace.processor.reconcile import run

log = logging.getLogger("tokentrace.reconcile")

INTERVAL_S = 3600.0


class Schedule:
    def __init__(self, connect: Callable[[], Any], interval_s: float = INTERVAL_S) -> None:
        self._connect = connect
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> bool:
        """Start the hourly runs if an admin key is set; whether it started."""
        chosen = run.sources()
        if not chosen:
            return False
        names = ", ".join(s.provider for s in chosen)
        log.info("reconciling %s every %.0f min", names, self._interval_s / 60)
        self._thread = threading.Thread(target=self._loop, name="reconcile", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        client = None
        while not self._stop.is_set():
            try:
                client = client or self._connect()
                today = datetime.now(UTC).date()
                for outcome in run.run_on_store(
                    client, run.sources(), today, run.DEFAULT_SINCE_DAYS
                ):
                    (log.warning if outcome.error else log.info)("reconcile %s", outcome.line())
            except Exception as exc:  # the store, not the provider: keep serving, retry later
                log.warning("reconcile run failed: %s: %s", type(exc).__name__, exc)
                client = None
            self.runs += 1
            self._stop.wait(self._interval_s)
