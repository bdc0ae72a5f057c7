"""One log line for exports refused for their size, not one per request.

An exporter whose batches are too large sends every batch too large, and retries some of
them (the Python gRPC exporter retries RESOURCE_EXHAUSTED whatever the status carries): a
line per request would bury the log. The refusals are counted per request in
``tokentrace_requests_total`` (by code); the log says it once a minute at most, with how many
were refused since its last line.
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("tokentrace.serve")

INTERVAL_SECONDS = 60.0


class RefusalLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._logged_at: float | None = None
        self._unlogged = 0

    def refused(self, transport: str, message: str) -> None:
        """Log a refused export (``message`` says what to do), unless logged within the minute."""
        with self._lock:
            now = time.monotonic()
            if self._logged_at is not None and now - self._logged_at < INTERVAL_SECONDS:
                self._unlogged += 1
                return
            since = f" ({self._unlogged} more since the last such line)" if self._unlogged else ""
            self._logged_at, self._unlogged = now, 0
        log.warning("OTLP/%s export refused: %s%s", transport, message, since)
