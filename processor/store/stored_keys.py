"""The dedupe keys of the rows the sink stored last, kept beside the spool for the next start.

A request made durable just before a crash may never have been answered, and its sender
resends it after the restart. While its segment is still spooled, the replayed spool seeds
the deduper with its keys; once the segment is stored and deleted, only ClickHouse knows it,
and serve seeds from ClickHouse only the rows whose *span* time is within the last hour (the
fact table is ordered by that time). A resent batch of older spans (a collector draining its
queue after an outage, a client whose clock is behind) was stored twice. So the sink writes
each stored segment's keys (trace id, span id, response id) here before it deletes the
segment, and serve seeds from them at start, whatever the spans' times. With each key goes its
span's start: the deduper raises its cutoff past the latest start of the keys it forgets
(``Deduper.remember``), so that a resend of a span dated ahead of serve's clock (a client's
clock fast), seeded from here while the store was away at start and forgotten since, is still
looked up in the store (``stored_calls``); seeded without it, it was stored twice. Records an
earlier version wrote hold no start (0).

Two files of spool records (``spool_records``), one record per stored segment (its key
columns, marshalled): ``stored-keys``
and ``stored-keys.old``. When the first holds ``rows`` rows it replaces the second, so between
``rows`` and twice that many of the latest keys are kept, like the deduper's two generations.
A torn last record (a crash mid-write) is cut off; damaged records are skipped: a key lost
here costs at most a double count of a resent span, never a stored one.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
from pathlib import Path

from tokentrace.processor.store import spool_records

log = logging.getLogger(__name__)

NAME = "stored-keys"

# trace ids, span ids, response ids and span starts (µs)
Keys = tuple[list[str], list[str], list[str], list[int]]
Key = tuple[str, str, str, int]


class StoredKeys:
    """Appended to by the sink thread only; read once, at start, before the sink runs."""

    def __init__(self, directory: Path, rows: int) -> None:
        self._current = Path(directory) / NAME
        self._old = Path(directory) / f"{NAME}.old"
        self._limit = rows
        self._rows = 0  # rows in the current file
        self._fd = -1

    def load(self) -> list[Key]:
        """Every key kept, oldest first; cuts a torn record off the current file."""
        keys: list[Key] = []
        self._rows = 0
        for path in (self._old, self._current):
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            except OSError as exc:  # its permissions, a disk error: serve starts without them
                log.error(
                    "%s cannot be read (%s): a resend of a span stored before the last stop may "
                    "be stored twice; make it readable by serve's user",
                    path, exc,
                )  # fmt: skip
                continue
            found = spool_records.scan(data)
            if found.damaged:
                log.warning("%s: skipping %d damaged bytes", path, found.damaged_bytes)
            for payload in found.payloads:
                try:
                    batch = _keys_of(marshal.loads(payload))
                except Exception:
                    log.warning("%s: skipping a record that does not decode", path)
                    continue
                keys.extend(batch)
                if path == self._current:
                    self._rows += len(batch)
            if path == self._current and found.torn_at is not None:
                # Left as it is if it cannot be cut: the next load skips the torn bytes as damage.
                with contextlib.suppress(OSError), path.open("r+b") as file:
                    file.truncate(found.torn_at)
        return keys

    def add(self, keys: Keys) -> None:
        """Keep the keys of a stored segment, before it is deleted.

        Written, not fsynced: what this guards against is a resend after serve's process
        died, and the page cache outlives the process. (After a power loss, ClickHouse's
        own parts are not fsynced either.) marshal, not pickle: 2 ms for 50,000 rows'
        keys rather than 27.
        """
        payload = marshal.dumps(keys)
        if self._fd >= 0 and os.fstat(self._fd).st_nlink == 0:
            self.close()  # deleted under serve (the spool's files removed): start a new one
            self._rows = 0
        if self._fd < 0:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
            self._fd = os.open(self._current, flags, 0o600)
        spool_records.write_all(self._fd, spool_records.encode(payload))
        self._rows += len(keys[0])
        if self._rows >= self._limit:
            self.close()
            self._current.replace(self._old)
            self._rows = 0

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _keys_of(record: tuple) -> list[Key]:
    """The keys of one record: four columns, or three (an earlier version's: no start)."""
    if len(record) == 3:
        trace_ids, span_ids, response_ids = record
        return [(*key, 0) for key in zip(trace_ids, span_ids, response_ids, strict=True)]
    trace_ids, span_ids, response_ids, starts = record
    return list(zip(trace_ids, span_ids, response_ids, starts, strict=True))
