"""The rollups changed by adding what they lack (or hold too much), never deleted and rebuilt.

A rollup (``llm_cost_hourly``, ``llm_cost_daily``: SummingMergeTree) only holds sums, so any
change to it can be an insert of the difference: the summing folds it into the key's row.
Deleting a day's rows and inserting them again from ``llm_calls`` was not safe beside a serve
inserting on a ClickHouse server: an insert landing between the DELETE and the INSERT …
SELECT was counted twice (three ``tokentrace reprice`` runs beside a writing serve:
``llm_calls`` 5,420 calls, ``llm_cost_hourly`` 5,780 requests). An added difference leaves
whatever other inserts bring alone.

A difference is negative where calls leave a key (their price, or their model, changed). The
count and token columns are ``UInt64``, so ``-2`` is stored as ``2**64 - 2``: ``sum()`` wraps
back to the exact total, which every reader takes (``views.py``, ``view_sql.py``, the
dashboards, the alert rules: each sums a rollup column before any other arithmetic on it, and
compares sums, never a stored row). A reader must keep doing so: ``sum(toFloat64(n))`` or a
filter on a row's count would see the wrapped value.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

log = logging.getLogger("tokentrace.serve")

# Each rollup table, the materialized view that feeds it, and its time column (a new rollup
# fed from llm_calls must be listed here).
ROLLUPS = (
    ("llm_cost_hourly", "llm_cost_hourly_mv", "hour"),
    ("llm_cost_daily", "llm_cost_daily_mv", "day"),
)
# How long a key whose rollup differs from llm_calls must stay unchanged before the difference
# is taken as a fault's, not as an insert in flight (llm_calls written, the views not yet).
SETTLE_SECONDS = 1.0
_ATTEMPTS = 3
_NO_DEDUP = {"insert_deduplicate": 0}  # a correction may equal an earlier one: keep it


@dataclass(frozen=True)
class Rollup:
    table: str
    select: str  # the view's SELECT, which reads llm_calls
    time: str  # the time column
    keys: tuple[str, ...]  # the sorting key: what the summing folds rows by
    values: tuple[tuple[str, str], ...]  # (column, type) of the summed columns

    def over(self, source: str) -> str:
        """The view's SELECT reading the calls of ``source`` (a SELECT of llm_calls' columns,
        aliased ``llm_calls`` so that the view's qualified names still resolve)."""
        return re.sub(
            r"\bFROM\s+(?:`?\w+`?\.)?`?llm_calls`?(?=\s|$)",
            lambda _: f"FROM ({source}) AS llm_calls",
            self.select,
            count=1,
        )

    def same(self, sides: tuple, other: tuple) -> bool:
        """Whether two readings of a key's (rollup, llm_calls) sums agree, float columns
        (latency) left out: summed in another order they may differ in the last bit."""
        exact = [i for i, (_, kind) in enumerate(self.values) if not kind.startswith("Float")]
        return all(a[i] == b[i] for a, b in zip(sides, other, strict=True) for i in exact)

    def in_range(self) -> str:
        cast = "toDate" if self.time == "day" else "toDateTime"
        return (
            f"{self.time} >= {cast}({{start:DateTime64(6, 'UTC')}}) "
            f"AND {self.time} < {cast}({{end:DateTime64(6, 'UTC')}})"
        )


def rollups(client: Any) -> list[Rollup]:
    """Every rollup as the store defines it now (its view's query, its columns)."""
    found = []
    for table, view, column in ROLLUPS:
        select, key = client.query(
            "SELECT (SELECT as_select FROM system.tables WHERE database = currentDatabase() "
            "AND name = {view:String}), sorting_key FROM system.tables "
            "WHERE database = currentDatabase() AND name = {table:String}",
            parameters={"view": view, "table": table},
        ).result_rows[0]
        keys = tuple(name.strip() for name in key.split(","))
        columns = client.query(
            "SELECT name, type FROM system.columns WHERE database = currentDatabase() "
            "AND table = {table:String} ORDER BY position",
            parameters={"table": table},
        ).result_rows
        values = tuple((name, kind) for name, kind in columns if name not in keys)
        found.append(Rollup(table, select, column, keys, values))
    return found


def add_difference(
    client: Any, rollup: Rollup, plus: str, minus: str, parameters: dict, token: str
) -> None:
    """Add to ``rollup`` what the calls ``plus`` selects count, less what those of ``minus``
    count: one insert, deduplicated by ``token`` (a rerun after a crash adds nothing twice)."""
    keys = ", ".join(rollup.keys)
    names = [name for name, _ in rollup.values]
    sums = ", ".join(f"sumIf({n}, _plus) - sumIf({n}, NOT _plus) AS {n}" for n in names)
    client.command(
        f"INSERT INTO {rollup.table} ({keys}, {', '.join(names)}) SELECT {keys}, {sums} "
        f"FROM (SELECT *, 1 AS _plus FROM ({rollup.over(plus)}) "
        f"UNION ALL SELECT *, 0 AS _plus FROM ({rollup.over(minus)})) GROUP BY {keys}",
        parameters=parameters,
        settings={"insert_deduplicate": 1, "insert_deduplication_token": token},
    )


def match_facts(client: Any, start: datetime, end: datetime, *, settle: bool) -> int:
    """Make every rollup count what ``llm_calls`` holds in ``[start, end)`` (whole hours or
    days, all within the calls' retention), key by key; the number of keys changed.

    ``settle``: other processes may be inserting (a ClickHouse server). Their calls reach
    ``llm_calls`` first and the rollups a moment later, so a key that differs is changed only
    if neither side of it moved in ``SETTLE_SECONDS``; one that keeps moving is tried again,
    then left with a line saying to run ``tokentrace reprice`` over its day again."""
    bounds = {"start": start, "end": end}
    changed = 0
    for rollup in rollups(client):
        for _ in range(_ATTEMPTS):
            first = _differing(client, rollup, bounds)
            if not first:
                break
            second = first
            if settle:
                time.sleep(SETTLE_SECONDS)
                second = _differing(client, rollup, bounds)
            steady = {
                key: sides
                for key, sides in second.items()
                if key in first and rollup.same(first[key], sides)
            }
            _insert_differences(client, rollup, steady)
            changed += len(steady)
            if len(steady) == len(second):
                break
        else:
            log.warning("the rollup %s of %s to %s kept changing while it was compared with "
                        "llm_calls; run tokentrace reprice over those days again", rollup.table,
                        start, end)  # fmt: skip
    return changed


def _differing(client: Any, rollup: Rollup, bounds: dict) -> dict[tuple, tuple]:
    """(the rollup's sums, llm_calls' sums) by key, of the keys where they differ. The
    rollup is read first: a call in flight then shows as one the rollup lacks, never the
    reverse."""
    keys = ", ".join(rollup.keys)
    names = ", ".join(name for name, _ in rollup.values)
    sums = ", ".join(f"sum({name})" for name, _ in rollup.values)
    held = client.query(
        f"SELECT {keys}, {sums} FROM {rollup.table} WHERE {rollup.in_range()} GROUP BY {keys}",
        parameters=bounds,
    ).result_rows
    source = (
        "SELECT * FROM llm_calls WHERE ts >= {start:DateTime64(6, 'UTC')} "
        "AND ts < {end:DateTime64(6, 'UTC')}"
    )
    facts = client.query(
        f"SELECT {keys}, {names} FROM ({rollup.over(source)})", parameters=bounds
    ).result_rows
    width = len(rollup.keys)
    zero = tuple(0 for _ in rollup.values)
    sides: dict[tuple, list] = {}
    for side, rows in ((0, held), (1, facts)):
        for row in rows:
            sides.setdefault(tuple(row[:width]), [zero, zero])[side] = tuple(row[width:])
    return {
        key: (held_sums, fact_sums)
        for key, (held_sums, fact_sums) in sides.items()
        if not rollup.same((tuple(map(_wrapped, held_sums)),), (fact_sums,))
    }


def _insert_differences(client: Any, rollup: Rollup, differing: dict[tuple, tuple]) -> None:
    """Insert, for each key, llm_calls' sums less the rollup's (``UInt64`` ones modulo 2**64,
    as ClickHouse stores a negative in them)."""
    if not differing:
        return
    unsigned = [kind.startswith("UInt") for _, kind in rollup.values]
    rows = []
    for key, (held, facts) in differing.items():
        deltas = [
            (f - _wrapped(h)) % 2**64 if u else f - h
            for h, f, u in zip(held, facts, unsigned, strict=True)
        ]
        rows.append([*key, *deltas])
    client.insert(
        rollup.table,
        rows,
        column_names=[*rollup.keys, *(name for name, _ in rollup.values)],
        settings=_NO_DEDUP,
    )


def _wrapped(value: Any) -> Any:
    """A ``UInt64`` sum as the signed total it stands for (a negative difference not yet
    summed with what it cancels, read alone, wraps above 2**63)."""
    return value - 2**64 if isinstance(value, int) and value >= 2**63 else value
