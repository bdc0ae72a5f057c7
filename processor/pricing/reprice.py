"""Re-price stored calls after a price change, and make the rollups match them again.

``model`` is part of ``llm_calls``' sort key, so a row whose priced model changes (an unpriced
row whose model now has a price) cannot be updated in place. Changed rows are therefore
replaced: their new versions are inserted first (server-side, joined with the new prices),
then the old versions are deleted by their exact old values. Spans ingested meanwhile are
never deleted: they carry other values.

A run is crash-safe: no call is lost or left counted twice, whatever step it dies in. Its
staged prices live in a MergeTree table (``_reprice_<run>``, the run's window in its comment)
until the run is complete, and the new versions carry a marker (``#reprice:<run>`` after
their ``price_version``) until the old ones are gone. The next ``reprice`` first finishes any
such run from where the store shows it stopped: a partial insert of new versions is removed
and redone, a completed one has its old versions deleted (a delete that died is resumed by
ClickHouse itself, mutations being persistent), then the markers are removed, the rollups
rebuilt and the staging table dropped.

A row is priced as the ingest pipeline prices a span, by the same function
(``stored_price.price_stored``): by its response model, else its request model (else the
stored model), with its provider, timestamp, token counts and service tier.

The rollups are changed by inserts of the difference, never deleted and rebuilt
(``store/rollup_deltas``): before the fact table is touched, each rollup takes the new
versions' contribution less the old versions' (keyed by each version's own model: a call that
becomes priced moves to its priced model's key), one insert deduplicated by a token per run
and rollup. The new versions then reach ``llm_calls`` without passing through the
materialized views: they are inserted into a table of the same structure
(``_repriced_<run>``), whose partitions are moved into ``llm_calls``. Spans ingested
meanwhile, by this serve or any other on the same ClickHouse server, are counted by the views
as always, once. (Delete-and-rebuild counted those landing between the DELETE and the
INSERT … SELECT twice: three runs beside a writing serve gave ``llm_calls`` 5,420 calls and
``llm_cost_hourly`` 5,780 requests.) Last, every rollup key of the range's whole UTC days is
compared with ``llm_calls`` and any difference a fault left is added
(``rollup_deltas.match_facts``: the repair the sink names for a rollup a crash left short).
A run an earlier release staged (new versions inserted through the views) is finished as it
was begun, that comparison setting its rollups right. Latency sums of calls whose model did
not change are left out of the difference, so that no float is subtracted from itself.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from clickhouse_connect.driver.client import Client

from tokentrace.processor.extract.extractor import (
    METERED_UNITS,
    MONEY_COLUMNS,
    UNIT_COST_COLUMNS,
    USAGE_UNITS,
)
from tokentrace.processor.pricing.pricer import (
    ZERO_UNIT_COSTS,
    Price,
    Pricer,
    stored_usage_missing,
)
from tokentrace.processor.pricing.stored_price import price_stored
from tokentrace.processor.store import retention, rollup_deltas

log = logging.getLogger("tokentrace.serve")

# The pricing inputs of a row, then its price as stored: together they identify the rows
# a new price replaces.
INPUT_COLUMNS = (
    "ts",
    "provider",
    "request_model",
    "response_model",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "service_tier",
    "reasoning_tokens",
    *USAGE_UNITS,
    *METERED_UNITS,
    "inference_geo",
    "cache_unsaid",
    "provider_cost",
    "budget_blocked",
    "not_sent",
)
# price_version last: a staged run marks it. usage_missing is the span's, or the pricer's
# finding on a call with cache_unsaid (pricer.stored_usage_missing), which a new price may
# change.
PRICE_COLUMNS = (
    "priced", "model", *MONEY_COLUMNS, *UNIT_COST_COLUMNS, "unpriced_reason", "price_rule",
    "cost_source", "usage_missing",
    "price_version",
)  # fmt: skip
KEY_COLUMNS = INPUT_COLUMNS + PRICE_COLUMNS
_CHUNK_ROWS = 200_000
_STAGING_PREFIX = "_reprice_"
_NEW_PREFIX = "_repriced_"  # a run's new versions, before their partitions move to llm_calls
_NO_DEDUP = {"insert_deduplicate": 0}  # a staged block may equal an earlier one: keep it
_SYNC = {"mutations_sync": 2}


@dataclass(frozen=True)
class ModelChange:
    """Calls of one provider and model whose price changed the same way."""

    provider: str
    model_before: str
    priced_before: bool
    model_after: str
    priced_after: bool
    rows: int
    cost_before: Decimal | None  # None: the calls were unpriced, their cost unknown (not $0)
    cost_after: Decimal | None


@dataclass(frozen=True)
class RepriceResult:
    since: datetime
    until: datetime
    rows: int  # calls in [since, until)
    changed: int  # calls whose stored price changed
    newly_priced: int  # stored unpriced, priced now
    newly_unpriced: int
    # the known cost of the calls in range: a lower bound while unpriced_before/_after calls
    # have an unknown cost, None when every call has
    cost_before: Decimal | None
    cost_after: Decimal | None
    rollups_from: datetime  # whole UTC days rebuilt in the rollups
    rollups_until: datetime
    changes: list[ModelChange]  # by provider and model, largest cost change first
    unpriced_before: int = 0  # calls in range of unknown cost, before and after
    unpriced_after: int = 0


def reprice(
    client: Client, pricer: Pricer, since: datetime, until: datetime | None = None
) -> RepriceResult:
    """Re-price the calls in ``[since, until)`` (``until`` default: the latest call)."""
    finish_unfinished(client)
    since = _utc(since)
    until = _utc(until) if until is not None else _after_latest(client, since)
    if until <= since:
        raise ValueError(f"until ({until.isoformat()}) must be after since ({since.isoformat()})")
    window = {"since": since, "until": until}
    rows, cost_before, unpriced_before = _totals(client, window)
    run = uuid.uuid4().hex[:12]
    staging = f"{_STAGING_PREFIX}{run}"
    # additive: this release's run (see the module's docstring), finished by its own steps
    comment = json.dumps({"since": since.isoformat(), "until": until.isoformat(), "additive": 1})
    literal = comment.replace("\\", "\\\\").replace("'", "\\'")
    client.command(
        f"CREATE TABLE {staging} ENGINE = MergeTree ORDER BY tuple() COMMENT '{literal}' "
        f"AS SELECT {', '.join(KEY_COLUMNS)}, "
        + ", ".join(f"{c} AS new_{c}" for c in PRICE_COLUMNS)
        + ", toUInt64(0) AS calls FROM llm_calls WHERE 0"
    )
    changes: dict[tuple, ModelChange] = {}
    for chunk in _chunks(client, window):
        _stage_changes(client, pricer, chunk, staging, _marker(run), changes)
    _complete(client, staging, window, additive=True)
    start, end = _whole_days(since, until)
    _, cost_after, unpriced_after = _totals(client, window)
    by_model = sorted(changes.values(), key=_known_change, reverse=True)
    return RepriceResult(
        since=since,
        until=until,
        rows=rows,
        changed=sum(c.rows for c in changes.values()),
        newly_priced=sum(c.rows for c in by_model if c.priced_after and not c.priced_before),
        newly_unpriced=sum(c.rows for c in by_model if c.priced_before and not c.priced_after),
        cost_before=cost_before,
        cost_after=cost_after,
        rollups_from=start,
        rollups_until=end,
        changes=by_model,
        unpriced_before=unpriced_before,
        unpriced_after=unpriced_after,
    )


def _known_change(change: ModelChange) -> Decimal:
    """How much a change moved the known cost (the order changes are listed in): a cost that
    was or became unknown moved it by all of the other side."""
    return abs((change.cost_after or Decimal(0)) - (change.cost_before or Decimal(0)))


def check_retention(client: Client, since: datetime) -> None:
    """Refuse days whose calls may have expired (ValueError): rebuilding their rollups from
    the calls left would lose the spend the rollups still hold."""
    kept = retention.days(client)
    if kept is None:
        return
    earliest = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    earliest -= timedelta(days=kept - 1)
    if _utc(since) < earliest:
        raise ValueError(
            f"calls are kept {kept} days (serve --retention-days), so days before "
            f"{earliest:%Y-%m-%d} may have lost theirs and their rollups cannot be rebuilt; "
            f"use --since {earliest:%Y-%m-%d} or later"
        )


def finish_unfinished(client: Client) -> list[str]:
    """Complete the runs an earlier ``reprice`` left (it died midway); their staging tables."""
    found = _staged(client)
    for staging, comment in found:
        bounds = json.loads(comment)
        window = {key: datetime.fromisoformat(bounds[key]) for key in ("since", "until")}
        _complete(client, staging, window, additive=bool(bounds.get("additive")))
    return [name for name, _ in found]


def finish_at_start(client: Client, alone: bool) -> None:
    """At serve's start, before its sink inserts: finish the runs a stop cut short, saying so.

    A run killed while it rebuilt the rollups (serve killed -9 during ``POST /api/v1/reprice``,
    measured: 1.5 s into a run over 5,000 calls) left ``llm_cost_hourly`` with 100 of 5,100
    requests, the calls all in ``llm_calls``, until someone ran ``tokentrace reprice`` again.
    ``alone``: no other process can be running a reprice on this store (an embedded one, which
    one process opens); on a ClickHouse server a ``tokentrace reprice`` may be running right
    now, so serve only says what to do."""
    try:
        found = [name for name, _ in _staged(client)]
        if found and alone:
            finish_unfinished(client)
    except Exception as exc:  # serve starts all the same; the next reprice tries again
        log.error("cannot finish the re-pricing run a stop cut short: %s; run tokentrace "
                  "reprice again to finish it", exc)  # fmt: skip
        return
    for name in found:
        if alone:
            log.warning("finished re-pricing run %s, which a stop cut short: its rollups "
                        "completed", name)  # fmt: skip
        else:
            log.warning("re-pricing run %s was cut short, its days' rollups may be wrong: run "
                        "tokentrace reprice (any range) to finish it", name)  # fmt: skip


def _staged(client: Client) -> list[tuple[str, str]]:
    """(staging table, its window as JSON) of every run not finished, oldest first."""
    return client.query(
        "SELECT name, comment FROM system.tables WHERE database = currentDatabase() "
        "AND startsWith(name, {prefix:String}) ORDER BY metadata_modification_time",
        parameters={"prefix": _STAGING_PREFIX},
    ).result_rows


def _complete(client: Client, staging: str, window: dict, *, additive: bool) -> None:
    """Bring a staged run to its end, from whichever step it is at; idempotent."""
    _fit_staging(client, staging)
    run = staging.removeprefix(_STAGING_PREFIX)
    marker = _marker(run)
    expected = int(client.query(f"SELECT sum(calls) FROM {staging}").result_rows[0][0] or 0)
    if expected:
        old, marked = _progress(client, staging, window, marker)
        if marked != expected and old != expected and (old or additive):
            raise RuntimeError(
                f"re-pricing run {staging} cannot be finished: {old} of {expected} old "
                f"versions and {marked} new ones are stored; nothing more was changed"
            )
        if additive and marked != expected:
            _add_to_rollups(client, window, staging, run)
            _move_new_versions(client, window, staging, run, fill=not marked)
            if _progress(client, staging, window, marker)[1] != expected:
                raise RuntimeError(f"re-pricing run {staging}: new versions missing after move")
        elif old and marked != expected:  # a run an earlier release staged, as it was begun
            if marked:  # an insert that died halfway: take its rows out, then redo it
                client.command(
                    "ALTER TABLE llm_calls DELETE WHERE endsWith(price_version, {marker:String})",
                    parameters={"marker": marker},
                    settings=_SYNC,
                )
            columns, select = _new_versions(client, staging)
            client.command(
                f"INSERT INTO llm_calls ({columns}) {select}",
                parameters=window,
                settings=_NO_DEDUP,
            )
        keys = ", ".join(_key(c) for c in KEY_COLUMNS)
        client.command(
            f"ALTER TABLE llm_calls DELETE WHERE {_in_range('ts')} "
            f"AND ({keys}) IN (SELECT {keys} FROM {staging})",
            parameters=window,
            settings=_SYNC,
        )
        client.command(
            "ALTER TABLE llm_calls UPDATE price_version = replaceOne(price_version, "
            "{marker:String}, '') WHERE endsWith(price_version, {marker:String})",
            parameters={"marker": marker},
            settings=_SYNC,
        )
    start, end = _whole_days(_utc(window["since"]), _utc(window["until"]))
    rollup_deltas.match_facts(client, start, end, settle=True)
    client.command(f"DROP TABLE IF EXISTS {_NEW_PREFIX}{run}")
    client.command(f"DROP TABLE IF EXISTS {staging}")


def _add_to_rollups(client: Client, window: dict, staging: str, run: str) -> None:
    """Each rollup takes the staged calls' new versions and gives back their old ones: one
    insert per rollup, its token the run's, so that a rerun after a crash adds nothing twice.
    A call whose model stays keeps its latency in its key: it is left out of both sides."""
    latency = "if(s.new_model = c.model, 0, c.latency_ms) AS latency_ms"
    _, plus = _new_versions(client, staging, latency_ms=latency)
    _, minus = _versions(client, staging, {"latency_ms": latency})
    for rollup in rollup_deltas.rollups(client):
        rollup_deltas.add_difference(
            client, rollup, plus, minus, window, token=f"reprice-{run}-{rollup.table}"
        )


def _move_new_versions(client: Client, window: dict, staging: str, run: str, fill: bool) -> None:
    """Insert the new versions into a table of ``llm_calls``' structure (``fill``: none has
    reached ``llm_calls`` yet; what a stop cut short is redone), then move its partitions into
    ``llm_calls``: no view sees them, the rollups having had them already."""
    table = f"{_NEW_PREFIX}{run}"
    if fill:
        client.command(f"DROP TABLE IF EXISTS {table}")
        client.command(f"CREATE TABLE {table} AS llm_calls")
        columns, select = _new_versions(client, staging)
        client.command(
            f"INSERT INTO {table} ({columns}) {select}",
            parameters=window,
            settings=_NO_DEDUP,
        )
    partitions = client.query(
        "SELECT DISTINCT partition_id FROM system.parts WHERE database = currentDatabase() "
        "AND table = {table:String} AND active",
        parameters={"table": table},
    ).result_rows
    for (partition,) in partitions:
        client.command(f"ALTER TABLE {table} MOVE PARTITION ID '{partition}' TO TABLE llm_calls")


def _progress(client: Client, staging: str, window: dict, marker: str) -> tuple[int, int]:
    """(old versions still stored, new versions stored) of a staged run."""
    keys = ", ".join(_key(c) for c in KEY_COLUMNS)
    old = client.query(
        f"SELECT count() FROM llm_calls WHERE {_in_range('ts')} "
        f"AND ({keys}) IN (SELECT {keys} FROM {staging})",
        parameters=window,
    ).result_rows[0][0]
    marked = client.query(
        "SELECT count() FROM llm_calls WHERE endsWith(price_version, {marker:String})",
        parameters={"marker": marker},
    ).result_rows[0][0]
    return old, marked


def _marker(run: str) -> str:
    return f"#reprice:{run}"


def result_json(result: RepriceResult) -> dict:
    """A run's result as JSON: the shape of ``tokentrace reprice --format json``."""

    def plain(value: object) -> object:
        if isinstance(value, Decimal):
            return str(value)
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value

    document = {key: plain(value) for key, value in result.__dict__.items() if key != "changes"}
    document["changes"] = [
        {key: plain(value) for key, value in change.__dict__.items()} for change in result.changes
    ]
    return document


def result_from_json(document: dict) -> RepriceResult:
    """The inverse of :func:`result_json` (a run's result as serve's API answers it)."""
    instants = ("since", "until", "rollups_from", "rollups_until")
    money = ("cost_before", "cost_after")
    plain = {
        key: datetime.fromisoformat(value)
        if key in instants
        else _money(value)
        if key in money
        else value
        for key, value in document.items()
        if key != "changes"
    }
    changes = [
        ModelChange(**{k: _money(v) if k in money else v for k, v in change.items()})
        for change in document["changes"]
    ]
    return RepriceResult(**plain, changes=changes)


def _money(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _chunks(client: Client, window: dict) -> Iterator[dict]:
    """Sub-windows of whole hours holding about ``_CHUNK_ROWS`` calls each, to bound memory."""
    hours = client.query(
        "SELECT toStartOfHour(ts) AS hour, count() FROM llm_calls "
        f"WHERE {_in_range('ts')} "
        "GROUP BY hour ORDER BY hour",
        parameters=window,
    ).result_rows
    start, size = window["since"], 0
    for hour, count in hours:
        hour = _utc(hour)
        if size and size + count > _CHUNK_ROWS:
            yield {"since": start, "until": hour}
            start, size = hour, 0
        size += count
    if size:
        yield {"since": start, "until": window["until"]}


def _stage_changes(
    client: Client,
    pricer: Pricer,
    chunk: dict,
    staging: str,
    marker: str,
    changes: dict[tuple, ModelChange],
) -> None:
    """Price every distinct row of the chunk; stage those whose price differs."""
    staged = []
    rows = client.query(
        f"SELECT {', '.join(KEY_COLUMNS)}, count() FROM llm_calls "
        f"WHERE {_in_range('ts')} "
        f"GROUP BY {', '.join(KEY_COLUMNS)}",
        parameters=chunk,
    ).result_rows
    for *key, count in rows:
        values = dict(zip(KEY_COLUMNS, key, strict=True))
        inputs = _StoredRow(values)
        new = price_stored(pricer, inputs, unnamed=values["model"])
        fresh = _as_row(new, stored_usage_missing(inputs.usage_missing, inputs.cache_unsaid, new))
        if fresh == tuple(values[c] for c in PRICE_COLUMNS):
            continue
        staged.append([*key, *fresh[:-1], fresh[-1] + marker, count])
        group = (values["provider"], values["model"], values["priced"], new.model, new.priced)
        seen = changes.get(group)
        changes[group] = ModelChange(
            provider=values["provider"],
            model_before=values["model"],
            priced_before=bool(values["priced"]),
            model_after=new.model,
            priced_after=new.priced,
            rows=count + (seen.rows if seen else 0),
            # one group is priced, or not, on each side: an unpriced side has no cost
            cost_before=values["cost"] * count + (seen.cost_before if seen else 0)
            if values["priced"]
            else None,
            cost_after=new.cost * count + (seen.cost_after if seen else 0) if new.priced else None,
        )
    if staged:
        client.insert(
            staging,
            staged,
            column_names=[*KEY_COLUMNS, *(f"new_{c}" for c in PRICE_COLUMNS), "calls"],
        )


class _StoredRow:
    """A stored row's pricing inputs (``INPUT_COLUMNS`` by name) as
    :class:`~tokentrace.processor.pricing.stored_price.PricingInputs`, so that it is priced
    as ingest prices the call it came from."""

    def __init__(self, values: dict) -> None:
        self.__dict__.update((column, values[column]) for column in INPUT_COLUMNS)
        # the span's own: a stored 1 beside cache_unsaid is the pricer's (stored_usage_missing)
        self.usage_missing = 0 if values["cache_unsaid"] else values["usage_missing"]
        self.units = tuple(values[unit] for unit in USAGE_UNITS)
        self.metered = tuple(values[unit] for unit in METERED_UNITS)
        self.timestamp = values["ts"]
        self.provider_usd = values["provider_cost"]


def _fit_staging(client: Client, staging: str) -> None:
    """Give a run staged by an earlier version the columns this one keys and prices by.

    Each version stages ``KEY_COLUMNS`` and ``new_`` ``PRICE_COLUMNS`` as they then were; a run
    a stop cut short is finished by the next start, which may be an upgrade's (0031 added
    ``cache_unsaid`` to the keys and moved ``usage_missing`` to the prices): the finish then
    failed on the missing column, leaving the run's days' rollups wrong. A key column it
    lacks holds, in ``llm_calls``, the default the migration gave the rows it staged; a new
    price it lacks is the staged row's own value where it staged one as a key, else that
    default."""
    have = {
        name
        for (name,) in client.query(
            "SELECT name FROM system.columns WHERE database = currentDatabase() "
            "AND table = {table:String}",
            parameters={"table": staging},
        ).result_rows
    }
    calls = {
        name: (kind, default)
        for name, kind, default in client.query(
            "SELECT name, type, default_expression FROM system.columns "
            "WHERE database = currentDatabase() AND table = 'llm_calls'"
        ).result_rows
    }
    added = [(column, *calls[column]) for column in KEY_COLUMNS if column not in have] + [
        (f"new_{column}", calls[column][0], column if column in have else calls[column][1])
        for column in PRICE_COLUMNS
        if f"new_{column}" not in have
    ]
    for name, kind, default in added:
        client.command(
            f"ALTER TABLE {staging} ADD COLUMN IF NOT EXISTS {name} {kind}"
            + (f" DEFAULT {default}" if default else "")
        )


def _new_versions(client: Client, staging: str, **replaced: str) -> tuple[str, str]:
    """The columns and SELECT of the new version of every staged call (its price_version marked),
    with ``replaced`` expressions for some columns."""
    new = {c: f"s.new_{c} AS {c}" for c in PRICE_COLUMNS}
    return _versions(client, staging, {**new, **replaced})


def _versions(client: Client, staging: str, replaced: dict[str, str]) -> tuple[str, str]:
    """The columns and SELECT of every stored call the run staged, each column as stored unless
    ``replaced`` gives its expression (over ``c``, the call, and ``s``, its staged row)."""
    columns = [
        row[0]
        for row in client.query(
            "SELECT name FROM system.columns WHERE database = currentDatabase() "
            "AND table = 'llm_calls' AND default_kind NOT IN ('MATERIALIZED', 'ALIAS') "
            "ORDER BY position"
        ).result_rows
    ]
    select = ", ".join(replaced.get(c, f"c.{c} AS {c}") for c in columns)
    join = " AND ".join(f"{_key('c.' + c)} = {_key('s.' + c)}" for c in KEY_COLUMNS)
    return ", ".join(columns), (
        f"SELECT {select} FROM llm_calls AS c "
        f"INNER JOIN {staging} AS s ON {join} WHERE {_in_range('c.ts')}"
    )


def _key(column: str) -> str:
    """A key column as compared: NULL never equals NULL in a join or IN, so the one nullable
    column (provider_cost) compares as -1 when NULL (a cost is never negative)."""
    return f"ifNull({column}, -1)" if column.endswith("provider_cost") else column


def _in_range(column: str) -> str:
    return (
        f"{column} >= {{since:DateTime64(6, 'UTC')}} AND {column} < {{until:DateTime64(6, 'UTC')}}"
    )


def _totals(client: Client, window: dict) -> tuple[int, Decimal | None, int]:
    """Calls in range, their known cost (None when every one's cost is unknown) and how many
    have an unknown cost."""
    rows, cost, unpriced = client.query(
        f"SELECT count(), sum(cost), countIf(priced = 0) FROM llm_calls WHERE {_in_range('ts')}",
        parameters=window,
    ).result_rows[0]
    return rows, None if rows and unpriced == rows else Decimal(cost), unpriced


def _after_latest(client: Client, since: datetime) -> datetime:
    latest = client.query(
        "SELECT max(ts), count() FROM llm_calls WHERE ts >= {since:DateTime64(6, 'UTC')}",
        parameters={"since": since},
    ).result_rows[0]
    if not latest[1]:
        return since + timedelta(microseconds=1)
    return _utc(latest[0]) + timedelta(microseconds=1)


def _as_row(price: Price, usage_missing: int) -> tuple:
    """A price and the call's stored ``usage_missing`` in ``PRICE_COLUMNS`` order."""
    return (
        int(price.priced),
        price.model,
        *(getattr(price, column) for column in MONEY_COLUMNS),
        *(price.unit_costs or ZERO_UNIT_COSTS),
        price.reason,
        price.rule,
        price.cost_source,
        usage_missing,
        price.price_version,
    )


def _whole_days(since: datetime, until: datetime) -> tuple[datetime, datetime]:
    start = datetime.combine(since.date(), time(0), tzinfo=UTC)
    end = datetime.combine(until.date(), time(0), tzinfo=UTC)
    if end < until:
        end += timedelta(days=1)
    return start, end


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
