"""The dead-letter table: rows ClickHouse can never take, kept with the reason.

The sink puts a row here only after bisecting a refused batch down to it (see ``sink``), so
one bad row never costs the rows stored beside it. ``tokentrace dead-letters list`` shows what
is here and why; ``replay`` tries the rows again (after an upgrade or a schema fix), each under a
deduplication token of its own so that a replay repeated after a crash stores a row once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tokentrace.processor.extract.extractor import COLUMNS
from tokentrace.processor.store import rollup_repair, stored_calls
from tokentrace.processor.store.insert import insert_calls
from tokentrace.processor.store.refusals import describe

TABLE = "dead_letters"
_COLUMNS = ("id", "failed_at", "reason", "row", "replayed", "updated_at")
# The call's dimensions, kept as columns beside its JSON (migration 0027) with its UTC day:
# every view that shows a total counts the pending letters by them (views._dead_letters); the
# hourly burn rate by its UTC hour (migration 0028); the report's call filters and exact ranges,
# the per-user and per-conversation views, failures and calls without usage by its instant,
# user, conversation, status and usage_missing (migration 0029).
DIMENSIONS = (
    "provider", "model", "operation", "service", "environment", "team", "feature", "tenant",
    "agent", "api_key", "endpoint",
)  # fmt: skip
CALL_COLUMNS = ("user", "conversation", "status")
_WRITTEN = (*_COLUMNS, "day", "hour", *DIMENSIONS, "ts", *CALL_COLUMNS, "usage_missing")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class DeadLetter:
    id: str  # "<spool segment>/<row index>"
    failed_at: datetime
    reason: str
    row: dict[str, Any]  # the llm_calls row, as the sink inserts it
    replayed: bool


@dataclass(frozen=True)
class Replayed:
    stored: list[str]  # ids now in llm_calls
    failed: list[tuple[str, str]]  # (id, reason) still refused
    unknown: list[str] = field(default_factory=list)
    """Ids asked for that no dead letter has (a typo): one replayed before is known, not here."""


def row_of(columns: list[list[Any]], index: int) -> dict[str, Any]:
    """Row ``index`` of a column-oriented batch, by column name. A spool segment written by
    an earlier version has fewer columns (``insert.arrow_table``): its row lacks the later
    ones, as its insert did, rather than failing the sink on it for ever."""
    return {name: column[index] for name, column in zip(COLUMNS, columns, strict=False)}


def add(client: Any, letters: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Keep ``(id, reason, row)`` entries; ASCII-only JSON, so any row can be kept."""
    now = datetime.now(UTC)
    client.insert(
        TABLE,
        [[id_, now, reason, json.dumps(row), 0, now, *_where(row)] for id_, reason, row in letters],
        column_names=list(_WRITTEN),
    )


def _where(row: dict[str, Any]) -> list[Any]:
    """The call's UTC day, hour, dimensions, instant, user, conversation, status and whether
    its usage was missing, as the views count it. Text that is not UTF-8 (lone surrogates,
    which ClickHouse cannot take) reads as U+FFFD, as the JSON's did in 0027."""
    ts_us = int(row.get("ts") or 0)
    at = datetime.fromtimestamp(ts_us // 1_000_000, UTC).replace(microsecond=ts_us % 1_000_000)
    hour = at.replace(minute=0, second=0, microsecond=0)
    return [
        at.date(),
        hour,
        *(_text(row.get(name)) for name in DIMENSIONS),
        at,
        *(_text(row.get(name)) for name in CALL_COLUMNS),
        int(bool(row.get("usage_missing"))),
    ]


def _text(value: Any) -> str:
    return _SURROGATE.sub("\ufffd", str(value or ""))


def pending(client: Any, *, include_replayed: bool = False, limit: int = 1000) -> list[DeadLetter]:
    """The dead letters, oldest first (those not yet replayed, unless asked)."""
    where = "" if include_replayed else "WHERE replayed = 0"
    result = client.query(
        f"SELECT {', '.join(_COLUMNS[:5])} FROM {TABLE} FINAL {where} "
        "ORDER BY failed_at, id LIMIT {limit:UInt32}",
        parameters={"limit": limit},
    )
    return [
        DeadLetter(id_, _utc(failed_at), reason, json.loads(row), bool(replayed))
        for id_, failed_at, reason, row, replayed in result.result_rows
    ]


def replay(client: Any, ids: list[str] | None = None, *, alone: bool = False) -> Replayed:
    """Insert the pending dead letters (those in ``ids``, or all) into ``llm_calls`` again.

    A row stored is marked replayed; a row refused again stays, with the new reason. A row
    whose span ``llm_calls`` holds already is marked replayed without being inserted: a replay
    stopped between storing a row and marking it, repeated, sent it again under its token,
    which ClickHouse had forgotten after 100,000 inserts (stored twice), or which a server
    restarted meanwhile deduplicated in ``llm_calls`` only (counted twice in each rollup).

    Such a row may be in ``llm_calls`` and not in every rollup (a replay refused part way: a
    rollup out of space once ``llm_calls`` had taken it; left so, that rollup stayed a call
    short for good), so the rollups of its days are checked against ``llm_calls`` after the
    replay (``rollup_repair``): rebuilt when ``alone`` (nothing else inserts meanwhile: an
    embedded store, serve's sink paused), else the ``tokentrace reprice`` to run is logged.
    """
    wanted = None if ids is None else set(ids)
    stored, failed = [], []
    found: rollup_repair.Days | None = None
    for letter in pending(client, limit=1_000_000):
        if wanted is not None and letter.id not in wanted:
            continue
        try:
            # A row kept by an earlier version lacks the columns appended since: ClickHouse
            # fills in their defaults (insert.arrow_table).
            columns = [[letter.row[name]] for name in COLUMNS if name in letter.row]
            if stored_calls.first_copies(client, columns, stored_calls.ALL)[1]:
                found = rollup_repair.spanning(found, rollup_repair.days_of(columns))
            else:
                insert_calls(client, columns, f"dead-letter/{letter.id}")
        except Exception as exc:
            reason = describe(exc)
            failed.append((letter.id, reason))
            _version(client, letter, reason, replayed=False)
            continue
        stored.append(letter.id)
        _version(client, letter, letter.reason, replayed=True)
    if found is not None:
        rollup_repair.repair(client, found, alone=alone)
    return Replayed(stored, failed, _unknown(client, ids, {*stored, *(id_ for id_, _ in failed)}))


def _unknown(client: Any, ids: list[str] | None, answered: set[str]) -> list[str]:
    """The ids in ``ids`` neither ``answered`` nor of any dead letter, replayed or not, in the
    order asked: without them a typo read as "0 rows replayed"."""
    asked = [id_ for id_ in dict.fromkeys(ids or ()) if id_ not in answered]
    if not asked:
        return []
    known = client.query(
        f"SELECT DISTINCT id FROM {TABLE} WHERE has({{ids:Array(String)}}, id)",
        parameters={"ids": asked},
    ).result_rows
    found = {id_ for (id_,) in known}
    return [id_ for id_ in asked if id_ not in found]


def _version(client: Any, letter: DeadLetter, reason: str, *, replayed: bool) -> None:
    client.insert(
        TABLE,
        [[letter.id, letter.failed_at, reason, json.dumps(letter.row), int(replayed),
          datetime.now(UTC), *_where(letter.row)]],
        column_names=list(_WRITTEN),
    )  # fmt: skip


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
