"""Two rotating files of spool records, appended to and read once at start: what serve keeps
beside the spool for its next start (``stored_keys``, ``kept_traces``).

``NAME`` takes records until it holds ``limit`` entries, then replaces ``NAME.old``, so
between ``limit`` and twice that many of the latest entries are kept. Written, and fsynced
only when asked (:meth:`RecordLog.sync`): the page cache outlives serve's process, not a
power loss. ``stored_keys`` is synced before the segment its entries describe is deleted (a
power loss could keep the deletion and drop the keys); ``kept_traces`` before a request is
answered, since the spans it remembers were acknowledged (an AG2 sub-agent counted twice, a
call stored without its user after a power loss). A torn last record (a crash mid-write) is
cut off, a damaged one skipped: an entry lost here costs what a restart cost before these
files existed, never a stored span.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from tokentrace.processor.store import spool_records
from tokentrace.processor.store.spool_merge import fsync_directory

log = logging.getLogger(__name__)


class RecordLog:
    """Appended to by one writer at a time, synced by any; read once, at start, before the
    first append."""

    def __init__(self, directory: Path, name: str, limit: int, unreadable: str) -> None:
        """``unreadable`` says what a file that cannot be read costs, for the log line."""
        self._current = Path(directory) / name
        self._old = Path(directory) / f"{name}.old"
        self._limit = limit
        self._unreadable = unreadable
        self._entries = 0  # entries in the current file
        self._fd = -1
        self._lock = threading.Lock()  # an append against a sync's view of the file
        self._appended = self._synced = 0  # records appended, and of them known on disk
        self._created = False  # a file was created since the last sync: its name not on disk

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
        """Write one record of ``entries`` entries; rotate once the current file is full (a
        file that was synced: synced whole first, so that what it held stays on disk)."""
        with self._lock:
            if self._fd >= 0 and os.fstat(self._fd).st_nlink == 0:
                self._close()  # deleted under serve (the spool's files removed): a new one
                self._entries = 0
            if self._fd < 0:
                self._created = self._created or not self._current.exists()
                flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
                self._fd = os.open(self._current, flags, 0o600)
            spool_records.write_all(self._fd, spool_records.encode(payload))
            self._appended += 1
            self._entries += entries
            if self._entries >= self._limit:
                if self._synced:
                    os.fdatasync(self._fd)
                self._close()
                self._current.replace(self._old)
                if self._synced:
                    fsync_directory(self._current.parent)
                    self._synced, self._created = self._appended, False
                self._entries = 0

    def sync(self) -> None:
        """Put every record appended so far on disk (its file's data, and the directory once
        a file was created), outside the appenders' lock: each caller about to acknowledge
        what it appended syncs, and one sync covers every append before it."""
        with self._lock:
            upto = self._appended
            if upto == self._synced or self._fd < 0:
                return
            fd = os.dup(self._fd)  # a rotation meanwhile closes the file, not this
            created, self._created = self._created, False
        try:
            os.fdatasync(fd)
            if created:
                fsync_directory(self._current.parent)
        except OSError:
            self._created = self._created or created
            raise
        finally:
            os.close(fd)
        with self._lock:
            self._synced = max(self._synced, upto)

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
