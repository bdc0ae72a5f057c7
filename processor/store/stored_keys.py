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

One record per stored segment (its key columns, marshalled) in ``stored-keys`` and
``stored-keys.old`` (``record_log``): between ``rows`` and twice that many of the latest keys
are kept, like the deduper's two generations. A key lost here costs at most a double count
of a resent span, never a stored one.
"""

from __future__ import annotations

import marshal
from pathlib import Path

from tokentrace.processor.store.record_log import RecordLog

NAME = "stored-keys"

# trace ids, span ids, response ids and span starts (µs)
Keys = tuple[list[str], list[str], list[str], list[int]]
Key = tuple[str, str, str, int]


class StoredKeys:
    """Appended to by the sink thread only; read once, at start, before the sink runs."""

    def __init__(self, directory: Path, rows: int) -> None:
        self._log = RecordLog(
            directory,
            NAME,
            rows,
            "a resend of a span stored before the last stop may be stored twice",
        )

    def load(self) -> list[Key]:
        """Every key kept, oldest first."""
        keys: list[Key] = []

        def decode(payload: bytes) -> int:
            batch = _keys_of(marshal.loads(payload))
            keys.extend(batch)
            return len(batch)

        self._log.load(decode)
        return keys

    def add(self, keys: Keys) -> None:
        """Keep the keys of a stored segment, before it is deleted (then :meth:`sync`).
        marshal, not pickle: 2 ms for 50,000 rows' keys rather than 27."""
        self._log.append(marshal.dumps(keys), len(keys[0]))

    def sync(self) -> None:
        """Put the keys added so far on disk (``RecordLog.sync``), before the segment they
        describe is deleted: unsynced, a power loss could keep the deletion and lose the keys,
        and a span of a client whose clock is fast, resent after the restart while the store
        was away, was stored twice (BENCHMARKS.md, fourteenth round). One fdatasync per stored
        segment, in the sink's thread (no answer waits for it)."""
        self._log.sync()

    def close(self) -> None:
        self._log.close()


def _keys_of(record: tuple) -> list[Key]:
    """The keys of one record: four columns, or three (an earlier version's: no start)."""
    if len(record) == 3:
        trace_ids, span_ids, response_ids = record
        return [(*key, 0) for key in zip(trace_ids, span_ids, response_ids, strict=True)]
    trace_ids, span_ids, response_ids, starts = record
    return list(zip(trace_ids, span_ids, response_ids, starts, strict=True))
