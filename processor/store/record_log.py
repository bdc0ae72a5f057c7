"""Two rotating files of spool records, appended to without fsync and read once at start:
what serve keeps beside the spool for its next start (``stored_keys``, ``kept_traces``).

``NAME`` takes records until it holds ``limit`` entries, then replaces ``NAME.old``, so
between ``limit`` and twice that many of the latest entries are kept. Written, not fsynced:
what these files guard against is serve's process dying, and the page cache outlives the
process. A torn last record (a crash mid-write) is cut off, a damaged one skipped: an entry
lost here costs what a restart cost before these files existed, never a stored span.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

from tokentrace.processor.store import spool_records

log = logging.getLogger(__name__)


class RecordLog:
    """Appended to by one writer at a time; read once, at start, before the first append."""

    def __init__(self, directory: Path, name: str, limit: int, unreadable: str) -> None:
        """``unreadable`` says what a file that cannot be read costs, for the log line."""
        self._current = Path(directory) / name
        self._old = Path(directory) / f"{name}.old"
        self._limit = limit
        self._unreadable = unreadable
        self._entries = 0  # entries in the current file
        self._fd = -1

    def load(self, decode: Callable[[bytes], int]) -> None:
        """Hands every intact record's payload to ``decode``, oldest first, which returns
        the entries it held; a record ``decode`` raises on is skipped. Cuts a torn record
        off the current file."""
        self._entries = 0
        for path in (self._old, self._current):
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            except OSError as exc:  # its permissions, a disk error: serve starts without it
                log.error(
                    "%s cannot be read (%s): %s; make it readable by serve's user",
                    path, exc, self._unreadable,
                )  # fmt: skip
                continue
            found = spool_records.scan(data)
            if found.damaged:
                log.warning("%s: skipping %d damaged bytes", path, found.damaged_bytes)
            for payload in found.payloads:
                try:
                    entries = decode(payload)
                except Exception:
                    log.warning("%s: skipping a record that does not decode", path)
                    continue
                if path == self._current:
                    self._entries += entries
            if path == self._current and found.torn_at is not None:
                # Left as it is if it cannot be cut: the next load skips the torn bytes as damage.
                with contextlib.suppress(OSError), path.open("r+b") as file:
                    file.truncate(found.torn_at)

    def append(self, payload: bytes, entries: int) -> None:
        """Write one record of ``entries`` entries; rotate once the current file is full."""
        if self._fd >= 0 and os.fstat(self._fd).st_nlink == 0:
            self.close()  # deleted under serve (the spool's files removed): start a new one
            self._entries = 0
        if self._fd < 0:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
            self._fd = os.open(self._current, flags, 0o600)
        spool_records.write_all(self._fd, spool_records.encode(payload))
        self._entries += entries
        if self._entries >= self._limit:
            self.close()
            self._current.replace(self._old)
            self._entries = 0

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
