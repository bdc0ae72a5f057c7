"""One stored row per call key (``tokentrace.call.key``), however often and however late the
call's usage is read again.

A call whose usage is read later (an OpenAI background response's retrieve, a batch's results
download) carries a key; every later read carries it again. The deduper remembers keys for as
long as it remembers anything (600,000 keys, one process's life); a retrieve repeated after a
restart, or after that many newer calls, reached the store again and was counted twice. The
store is the one memory that lasts, so the sink asks it: before a segment holding keyed rows
is inserted, its keys are looked up in ``llm_call_keys`` (migration 0021), and a row whose key
is held there by another span, or by an earlier row of the segment, is left out. Once the
segment is stored, its keyed rows' keys and spans are written there.

Why a lookup before the insert rather than a replacing engine: the rollups are summed by
materialized views at insert, so a row once inserted is in every view's totals for good; left
out before, it is in none. Why the span beside the key: a segment replayed after a crash (stored
but not yet deleted) finds its own keys there, held by its own spans, and keeps them, so the
replay inserts the same rows under the same deduplication token and changes nothing. The
segments that hold no key (nearly all of them) cost a scan of one column of empty strings.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from tokentrace.processor.extract.extractor import COLUMNS
from tokentrace.processor.store.spool import Columns

TABLE = "llm_call_keys"
_KEY = COLUMNS.index("call_key")
_TRACE = COLUMNS.index("trace_id")
_SPAN = COLUMNS.index("span_id")
_LOOKUP_KEYS = 10_000  # keys per lookup query: a batch file lists up to 50,000 requests


def keyed(columns: Columns) -> bool:
    """Whether any row of ``columns`` carries a call key (a segment written by a version
    before migration 0021 has no such column, and none)."""
    if len(columns) <= _KEY:
        return False
    keys = columns[_KEY]
    return keys.count("") != len(keys)


def first_calls(client: Any, columns: Columns) -> tuple[Columns, int]:
    """``columns`` less the rows whose call key is held by another span in the store, or by
    an earlier row of ``columns``; and how many rows were left out."""
    keys = columns[_KEY]
    traces, spans = columns[_TRACE], columns[_SPAN]
    held = _held(client, sorted({key for key in keys if key}))
    kept: list[int] = []
    seen: set[str] = set()
    for index, key in enumerate(keys):
        if key:
            if key in seen:
                continue
            holders = held.get(key)
            if holders is not None and (traces[index], spans[index]) not in holders:
                continue
            seen.add(key)
        kept.append(index)
    left_out = len(keys) - len(kept)
    if not left_out:
        return columns, 0
    if not kept:
        return [[] for _ in columns], left_out
    pick = itemgetter(*kept)
    if len(kept) == 1:
        return [[column[kept[0]]] for column in columns], left_out
    return [list(pick(column)) for column in columns], left_out


def record(client: Any, columns: Columns, token: str) -> int:
    """Keep the keys of the keyed rows of a stored segment, with their spans; inserted
    again under the same ``token``, nothing changes. Returns how many."""
    keys, traces, spans = columns[_KEY], columns[_TRACE], columns[_SPAN]
    rows = [[key, traces[i], spans[i]] for i, key in enumerate(keys) if key]
    if not rows:
        return 0
    client.insert(
        TABLE,
        rows,
        column_names=["call_key", "trace_id", "span_id"],
        settings={
            "insert_deduplication_token": token,
            "insert_deduplicate": 1,
            "async_insert": 0,
        },
    )
    return len(rows)


def backfill(client: Any) -> None:
    """Fill a re-created (emptied) table from the keys ``llm_calls`` still holds, so that a
    call stored before is not stored again; rows past ``llm_calls``' retention are gone."""
    client.command(
        f"INSERT INTO {TABLE} (call_key, trace_id, span_id) "
        "SELECT call_key, trace_id, span_id FROM llm_calls WHERE call_key != ''",
        settings={"async_insert": 0},
    )


def _held(client: Any, keys: list[str]) -> dict[str, set[tuple[str, str]]]:
    """The spans that hold each of ``keys`` in the store."""
    held: dict[str, set[tuple[str, str]]] = {}
    for start in range(0, len(keys), _LOOKUP_KEYS):
        result = client.query(
            f"SELECT call_key, trace_id, span_id FROM {TABLE} WHERE call_key IN %(keys)s",
            parameters={"keys": keys[start : start + _LOOKUP_KEYS]},
        )
        for key, trace_id, span_id in result.result_rows:
            held.setdefault(key, set()).add((trace_id, span_id))
    return held
