"""Rollups that a crash left short of ``llm_calls``, given what they lack from it.

An insert reaches ``llm_calls`` and each rollup one after another (``insert``); retried under
its token with the same rows it completes the rollups that missed it. A segment an earlier run
may have begun without the sink knowing (one whose rewrite without its resends failed on a
full disk, so it was not noted as begun; or one a release without the ``attempted`` file left,
``spool_merge``) is looked up row by row instead (``stored_calls``): its own rows, inserted
before the crash, are found there beside the resends and left out, so the retry that would
have completed the rollups never runs. ``llm_calls`` is right; a rollup the cut insert missed
stayed short for good (BENCHMARKS.md, tenth round).

So after such a segment is stored, the requests each rollup counts for the days its rows span
are compared with ``llm_calls``' count, and a day a rollup holds fewer of is given what it
lacks, key by key (``rollup_deltas.match_facts``: an added difference, never a delete and
rebuild), on an embedded store, which no other process writes. On a ClickHouse server the sink
only says what to run (``tokentrace reprice`` over the day, which adds the same difference,
comparing only keys no insert is moving). A rollup holding more than the facts (``llm_calls``'
retention is shorter) is left alone, and so is a day at the edge of that retention, whose calls
may be partly dropped: rebuilt from them, the rollups would lose what only they still count.

Killed before the check is done, a day would stay short until someone ran ``tokentrace
reprice`` over it. So the days are first noted in the spool directory (``rollup-repair``,
fsynced) and the note removed once the check is done; the sink of the next start checks a day
still noted before it inserts anything.
"""

from __future__ import annotations

import contextlib
import logging
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tokentrace.processor.extract.extractor import COLUMNS
from tokentrace.processor.store import retention, rollup_deltas

log = logging.getLogger(__name__)

PENDING = "rollup-repair"  # in the spool directory: days whose check a stop may cut short
Days = tuple[date, date]  # the first and the last UTC day of a segment's span times
_TS = COLUMNS.index("ts")


def days_of(columns: list[list[Any]]) -> Days:
    """The UTC days the span times of ``columns`` (a segment's, not empty) span."""
    times = columns[_TS]
    return _day(min(times)), _day(max(times))


def spanning(days: Days | None, other: Days) -> Days:
    """The days ``days`` (None: none yet) and ``other`` span together."""
    return other if days is None else (min(days[0], other[0]), max(days[1], other[1]))


def short_days(client: Any, days: Days) -> list[tuple[date, int, int]]:
    """(day, calls in ``llm_calls``, requests in the rollup holding fewest) of each day of
    ``days`` that a rollup holds fewer requests of than ``llm_calls`` holds calls."""
    bounds = {"first": days[0], "last": days[1]}
    calls = _per_day(
        client,
        "SELECT toDate(ts) AS day, count() FROM llm_calls "
        "WHERE toDate(ts) BETWEEN {first:Date} AND {last:Date} GROUP BY day",
        bounds,
    )
    hourly = _per_day(
        client,
        "SELECT toDate(hour) AS day, sum(requests) FROM llm_cost_hourly "
        "WHERE toDate(hour) BETWEEN {first:Date} AND {last:Date} GROUP BY day",
        bounds,
    )
    daily = _per_day(
        client,
        "SELECT day, sum(requests) FROM llm_cost_daily "
        "WHERE day BETWEEN {first:Date} AND {last:Date} GROUP BY day",
        bounds,
    )
    short = []
    for day, count in sorted(calls.items()):
        fewest = min(hourly.get(day, 0), daily.get(day, 0))
        if fewest < count:
            short.append((day, count, fewest))
    return short


def note(directory: Path, days: Days) -> None:
    """Note that the rollups of ``days`` are being checked (see the module's docstring); a
    note that cannot be written (a full disk) is logged, and the check runs without it."""
    path = directory / PENDING
    try:
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(f"{days[0].isoformat()} {days[1].isoformat()}\n")
        with temporary.open("rb+") as file:
            os.fsync(file.fileno())
        temporary.replace(path)
    except OSError as exc:
        log.error("sink: cannot note the rollup check of %s to %s in %s (%s): killed during "
                  "it, those days could stay short", days[0], days[1], directory, exc)  # fmt: skip


def pending(directory: Path) -> Days | None:
    """The days a check a stop cut short was making, if any."""
    try:
        first, last = (directory / PENDING).read_text().split()
        return date.fromisoformat(first), date.fromisoformat(last)
    except (OSError, ValueError):
        return None


def done(directory: Path) -> None:
    """The check is over: its note goes."""
    with contextlib.suppress(OSError):
        (directory / PENDING).unlink()


def repair(client: Any, days: Days, *, alone: bool) -> bool:
    """Rebuild the rollups of each day of ``days`` they hold fewer requests of than
    ``llm_calls`` (``alone``: no other process writes into this store), else say in one line
    what to run."""
    kept = retention.days(client)
    whole_since = datetime.now(UTC).date() - timedelta(days=kept - 1) if kept else date.min
    for day, calls, fewest in short_days(client, days):
        if alone and day >= whole_since:
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            rollup_deltas.match_facts(client, start, start + timedelta(days=1), settle=True)
            log.warning(
                "sink: the rollups of %s counted %d requests where llm_calls holds %d calls (an "
                "insert a crash cut short): given what they lacked from llm_calls",
                day, fewest, calls,
            )  # fmt: skip
        elif day >= whole_since:
            log.warning(
                "sink: the rollups of %s count %d requests where llm_calls holds %d calls (an "
                "insert a crash cut short): run tokentrace reprice --since %s --until %s to "
                "complete them",
                day, fewest, calls, day, day + timedelta(days=1),
            )  # fmt: skip
        else:
            log.warning(
                "sink: the rollups of %s count %d requests where llm_calls holds %d calls (an "
                "insert a crash cut short); left as they are: llm_calls' retention (%d days) "
                "may have dropped calls of that day, which a rebuild would take from the rollups",
                day, fewest, calls, kept,
            )  # fmt: skip
    return True


def _per_day(client: Any, sql: str, bounds: dict) -> dict[date, int]:
    return {day: int(count) for day, count in client.query(sql, parameters=bounds).result_rows}


def _day(microseconds: int) -> date:
    return datetime.fromtimestamp(microseconds / 1e6, UTC).date()
