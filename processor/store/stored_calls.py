"""Spans resent after the deduper forgot their first copy, found in ``llm_calls`` before the insert.

The deduper knows a resent span while its keys are in memory: those of the calls admitted since
start, the spooled segments', the ``stored-keys`` file's (the latest 200,000 to 400,000 calls
stored) and those of the calls stored whose spans started in the last hour (read from
``llm_calls`` at start, up to 200,000). Its memory is bounded (600,000 keys), so a span whose
first copy it no longer holds (a sender draining a persistent queue hours later, a client that
lost serve's answer and retried from disk; above about 55 calls a second, one whose first copy
is minutes old) was admitted and stored a second time.

So before a segment is inserted, its rows of spans that started before the deduper's
``forgets_before_us`` (the *cutoff*: every span it may have forgotten started before it) are
looked up in ``llm_calls`` by trace and span id, within their own span times (``llm_calls`` is
ordered by ``ts``: the lookup reads the ids of that time range, not the table), and those found
are left out. Live traffic, nearly every row, started after the cutoff and costs nothing: the
segment's earliest span time is compared once. The lookup is made once per segment, before its
first insert, so that a retry sends the same rows under the same token (which is what completes
an insert that reached ``llm_calls`` but not every rollup); and, of the segments left by an
earlier run, only for those the sink never began to store (``spool_merge``): one it began may
hold rows it inserted before a crash, which the lookup would find; that replay is settled by
``stored_segments``, then its rows looked up one insert at a time (``sink._Attempt``: found,
they are its own, not sent again). So that such a replay holds no resend either, a
segment the lookup left rows out of is written again without them before it is begun
(``Spool.rewrite``). A segment a release without the spool's ``attempted`` file left (begun or
not, nobody knows: *unsure*, ``spool_merge``) is looked up whole, every row whatever its span
time (:data:`ALL`), after ``stored_segments``.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from tokentrace.processor.extract.extractor import COLUMNS
from tokentrace.processor.store.spool import Columns

ALL = 1 << 62  # a cutoff after every span: each row is looked up (an unsure segment's)
HORIZON_US = 3600 * 10**6  # as far back as the deduper's seed from llm_calls reaches (serve)
_TS = COLUMNS.index("ts")
_TRACE = COLUMNS.index("trace_id")
_SPAN = COLUMNS.index("span_id")
_LOOKUP_SPANS = 5_000  # span ids per query: 100 KB of query text, under max_query_size


def old(columns: Columns, cutoff_us: int) -> bool:
    """Whether any row of ``columns`` is a span that started before ``cutoff_us``."""
    return bool(columns) and bool(columns[_TS]) and min(columns[_TS]) < cutoff_us


def first_copies(client: Any, columns: Columns, cutoff_us: int) -> tuple[Columns, int]:
    """``columns`` less the rows of spans started before ``cutoff_us`` that ``llm_calls``
    holds already; and how many were left out."""
    times, traces, spans = columns[_TS], columns[_TRACE], columns[_SPAN]
    candidates = [index for index, ts in enumerate(times) if ts < cutoff_us]
    stored = _stored(client, candidates, times, traces, spans)
    if not stored:
        return columns, 0
    left = {index for index in candidates if (traces[index], spans[index]) in stored}
    kept = [index for index in range(len(times)) if index not in left]
    if not kept:
        return [[] for _ in columns], len(left)
    if len(kept) == 1:
        return [[column[kept[0]]] for column in columns], len(left)
    pick = itemgetter(*kept)
    return [list(pick(column)) for column in columns], len(left)


def _stored(
    client: Any, candidates: list[int], times: list[int], traces: list[str], spans: list[str]
) -> set[tuple[str, str]]:
    """The (trace id, span id) pairs among ``candidates`` that ``llm_calls`` holds, looked up
    in chunks of neighbouring span times, so that each reads only its own time range."""
    found: set[tuple[str, str]] = set()
    by_time = sorted(candidates, key=times.__getitem__)
    for start in range(0, len(by_time), _LOOKUP_SPANS):
        chunk = by_time[start : start + _LOOKUP_SPANS]
        chunk_times = [times[index] for index in chunk]
        result = client.query(
            "SELECT trace_id, span_id FROM llm_calls "
            "WHERE ts BETWEEN fromUnixTimestamp64Micro({first:Int64}, 'UTC') "
            "AND fromUnixTimestamp64Micro({last:Int64}, 'UTC') "
            "AND span_id IN {spans:Array(String)}",
            parameters={
                "first": min(chunk_times),
                "last": max(chunk_times),
                "spans": sorted({spans[index] for index in chunk}),
            },
        )
        found.update((trace, span) for trace, span in result.result_rows)
    return found
