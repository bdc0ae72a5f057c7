"""How a view's SQL reaches its readers: the view model, and its rendering.

A :class:`View` is written once, for the Grafana ClickHouse plugin (``views.py`` holds the
catalogue and the rules every view follows). Dashboards take :attr:`View.sql` as written;
alert rules :attr:`View.backend_sql`; the report and the API call :func:`render` or
:func:`bind`, which expand the macros as the plugin would, bind filter values as query
parameters, and narrow a view to the cheapest source that answers it exactly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

from tokentrace.processor.extract.extractor import USAGE_UNITS
from tokentrace.processor.store import macros

# Dashboard variables (and the report's filters), named after the rollup and fact-table
# columns they filter.
VARIABLES = (
    "environment", "service", "provider", "model", "team", "feature", "tenant", "agent",
    "api_key", "endpoint",
)  # fmt: skip

# The instants a view can be asked about: what ClickHouse's DateTime holds (the macros
# compare with toDateTime(seconds)). Outside it ClickHouse would fail or wrap around.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2106, 2, 7, tzinfo=UTC)

# Filters on columns only ``llm_calls`` keeps (the rollups drop them): the report's and the
# API's, not the dashboards' (they would be variables with a value per user).
CALL_FILTERS = ("user", "conversation")

# Tags with their own spend breakdown (the report's ``by_tag``).
TAG_DIMENSIONS = ("team", "feature", "tenant", "agent", "service", "environment")

# High-cardinality dimensions (DESIGN §10) with views of their own, shown as their top N by
# spend plus one "(other)" row, with the calls a budget guard blocked; in the report's ``by_tag``.
TOP_DIMENSIONS = ("api_key", "endpoint")


# What keeps a view's reads from a Grafana dashboard's ad hoc filters (View._shielded).
NO_AD_HOC_FILTERS = "SETTINGS additional_table_filters = {}"


class Format(IntEnum):
    """The plugin's query ``format``: how Grafana turns the result into frames."""

    TIME_SERIES = 0
    TABLE = 1


@dataclass(frozen=True)
class View:
    """One query: ``template`` is its SQL with ``{filters}`` where variable conditions go.

    ``source`` is the table it reads first (a rollup, ``llm_calls`` or ``budgets``);
    ``unit`` the Grafana unit of its main number; ``filtered_by`` the dashboard
    variables that narrow it (none for budgets, which have scopes of their own).
    """

    name: str
    title: str
    description: str
    template: str
    format: Format
    source: str
    unit: str = "currencyUSD"
    filtered_by: tuple[str, ...] = VARIABLES
    # Set on views that use $__timeInterval / $__interval_s: the panel's minimum
    # interval and maxDataPoints, which fix the interval Grafana sends.
    min_interval_s: int | None = None
    max_data_points: int | None = None
    # Counts whole days or periods around the range (month to date, anomalies' trailing
    # week, the previous period), so an exact range never narrows it.
    whole_days: bool = False
    # Set on high-cardinality breakdowns (tenant, user, conversation): the rows returned
    # by default, the largest first, then one "(other)" row summing the rest, so totals
    # stay exact however many values there are. ``{top}`` in the template stands for it.
    top: int | None = None
    # Set on views whose every row repeats range-wide counts of the calls the rows cannot
    # place (top_calls: those of unknown cost, those not stored): (column, scalar subquery)
    # pairs, run alone when there is no row, so that an empty answer still says how many calls
    # it could not list.
    unranked: tuple[tuple[str, str], ...] = ()

    @property
    def sql(self) -> str:
        """The panel query: portable macros plus the dashboard variables."""
        return self.query(self.top)

    @property
    def backend_sql(self) -> str:
        """The same query without variables, for alert rules (backend-only expansion)."""
        return self._shielded(_with_top(_fill_filters(self.template, ()), self.top))

    def query(self, top: int | None) -> str:
        """:attr:`sql` with ``top`` rows before "(other)" (the view's default when None)."""
        return self._shielded(
            _with_top(_fill_filters(self.template, self.filtered_by), top or self.top)
        )

    def _shielded(self, sql: str) -> str:
        """``sql`` kept from a dashboard's ad hoc filters where dashboard variables do not
        narrow the view (budgets: their own scopes; reconciliation: the bill has no tags).

        The plugin applies an ad hoc filter by appending ``settings
        additional_table_filters={'llm_cost_daily': ' team = ...'}`` to every panel query
        naming its table: the metered side alone would be narrowed (a budget of another team
        at $0, every bill "missing calls"). Of two SETTINGS clauses ClickHouse keeps the
        first one's value of a setting, so this one, written first, wins.
        """
        if set(VARIABLES) <= set(self.filtered_by):
            return sql
        return f"{sql}\n{NO_AD_HOC_FILTERS}"


# Rows a top-N breakdown can be asked for (the API's ``limit``, the report's ``--top``).
MAX_TOP = 10_000
TOP_DEFAULT = 100
# Tag dimensions whose values come from end users, unbounded in number.
HIGH_CARDINALITY = ("tenant",)
OTHER = "(other)"


def _with_top(sql: str, top: int | None) -> str:
    if top is None:
        return sql
    if not 1 <= top <= MAX_TOP:
        raise ValueError(f"limit={top} must be between 1 and {MAX_TOP}")
    return sql.replace("{top}", str(int(top)))


def _top_n(key: str, inner: str, columns: str, order: str) -> str:
    """A breakdown as the ``{top}`` largest rows by cost plus one ``(other)`` row.

    ``inner`` groups by ``key`` (SQL ending before ORDER BY, one row per value, with a
    ``cost`` column); rows ranked past ``{top}`` fold into one whose ``key`` is
    ``(other)``, ``other`` is 1 and ``members`` counts what it holds, so every sum over the
    rows is the same as before. ``columns`` aggregates the remaining columns over a rank;
    ``order`` breaks ties between equal costs.
    """
    return f"""\
SELECT
    if(position <= {{top}}, any(ranked.{key}), '{OTHER}') AS {key},
    {columns},
    position > {{top}} AS other,
    count() AS members
FROM (
    SELECT
        *,
        least(row_number() OVER (ORDER BY cost DESC, {order}), {{top}} + 1) AS position
    FROM (
{inner}
    )
) AS ranked
GROUP BY position
ORDER BY position"""


def _leaders_and_rest(keys: Sequence[str], inner: str, *, spans: bool = False) -> str:
    """:func:`_top_n`'s rows (the ``{top}`` costliest, then ``(other)``) for a breakdown with
    very many rows (users, conversations), without ranking all of them.

    ``inner`` groups the calls by ``keys`` (the first one is the breakdown's, the others are
    shown beside it) into ``requests``, ``cost``, ``unpriced_requests`` and
    ``dead_lettered_requests`` (the calls serve could not store: a group of those only has 0
    requests and an unknown cost), plus ``first_call`` and ``last_call`` when ``spans``. A week
    of 100M calls holds ~2.5M conversations, and ``row_number()`` over them (a full sort) cost
    more than grouping the calls. Here one pass over the groups keeps the ``{top}`` largest in a
    bounded heap (``groupArraySorted`` on ``(-cost, keys…)``: cost descending, ties by key, as
    :func:`_top_n` ranks) and the totals. ``(other)`` is the totals minus the leaders'; its
    first (last) call is, of the ``{top}`` + 1 earliest first (latest last) calls, the first one
    occurring more often than among the leaders' (a multiset difference: ``{top}`` leaders
    cannot hold all ``{top}`` + 1).
    """
    n = len(keys)
    req, unpriced, first, last = n + 2, n + 3, n + 4, n + 5
    lost = last + 1 if spans else n + 4
    spanned = ("c.first_call", "c.last_call") if spans else ()
    leader = ", ".join(("-c.cost", *(f"c.{key}" for key in keys), "c.requests",
                        "c.unpriced_requests", *spanned, "c.dead_lettered_requests"))  # fmt: skip
    shown = ", ".join(f"t.{i}" for i in range(2, n + 2))
    row = f"toUInt8(0), {shown}, t.{req}, -t.1, t.{unpriced}"
    rest = [
        "toUInt8(1)",
        f"'{OTHER}'",
        *("''" for _ in keys[1:]),
        f"toUInt64(all_requests - arraySum(t -> t.{req}, leaders))",
        "all_cost + arraySum(t -> t.1, leaders)",
        f"toUInt64(all_unpriced - arraySum(t -> t.{unpriced}, leaders))",
    ]
    heaps = ""
    outside = ""
    if spans:
        row += f", t.{first}, t.{last}"
        rest += [
            "arrayFirst(v -> countEqual(firsts, v) > countEqual(leader_firsts, v), firsts)",
            "fromUnixTimestamp64Micro(\n                    "
            "-arrayFirst(v -> countEqual(lasts, v) > countEqual(leader_lasts, v), lasts),\n"
            "                    'UTC')",
        ]
        heaps = (
            "\n            groupArraySorted({top} + 1)(c.first_call) AS firsts,"
            "\n            groupArraySorted({top} + 1)(-toUnixTimestamp64Micro(c.last_call))"
            " AS lasts,"
        )
        outside = (
            f"\n        arrayMap(t -> t.{first}, leaders) AS leader_firsts,"
            f"\n        arrayMap(t -> -toUnixTimestamp64Micro(t.{last}), leaders) AS leader_lasts,"
        )
    row += f", t.{lost}"
    rest += [f"toUInt64(all_lost - arraySum(t -> t.{lost}, leaders))", "toUInt64(groups - {top})"]
    names = [
        *keys,
        "requests",
        "cost",
        "unpriced_requests",
        *(("first_call", "last_call") if spans else ()),
        "dead_lettered_requests",
    ]
    at = {name: f"r.{i}" for i, name in enumerate(names, start=2)}
    # a group whose every call has an unknown cost has an unknown cost, never $0
    at["cost"] = f"if({at['unpriced_requests']} >= {at['requests']}, NULL, {at['cost']})"
    columns = ",\n    ".join(f"{value} AS {name}" for name, value in at.items())
    members = len(names) + 2
    rest_row = ",\n                ".join(rest)
    return f"""\
SELECT
    {columns},
    r.1 AS other,
    r.{members} AS members
FROM
(
    SELECT{outside}
        arrayConcat(
            arrayMap(t -> ({row}, toUInt64(1)), leaders),
            if(groups > {{top}}, [(
                {rest_row}
            )], [])
        ) AS answer
    FROM
    (
        SELECT
            groupArraySorted({{top}})(({leader})) AS leaders,{heaps}
            count() AS groups,
            sum(c.requests) AS all_requests,
            sum(c.cost) AS all_cost,
            sum(c.unpriced_requests) AS all_unpriced,
            sum(c.dead_lettered_requests) AS all_lost
        FROM
        (
{inner}
        ) AS c
    )
)
ARRAY JOIN answer AS r
ORDER BY other, cost DESC, {", ".join(keys)}"""


def _fill_filters(template: str, variables: Sequence[str]) -> str:
    lines = template.splitlines()
    for index, line in enumerate(lines):
        if "{filters}" in line:
            indent = line[: len(line) - len(line.lstrip())]
            conditions = "".join(
                f"\n{indent}  AND $__conditionalAll({v} IN (${{{v}:singlequote}}), ${v})"
                for v in variables
            )
            lines[index] = line.replace("{filters}", conditions)
    return "\n".join(lines)


def render(
    view: View,
    *,
    start: datetime,
    end: datetime,
    filters: Mapping[str, Sequence[str]] | None = None,
    interval_s: float | None = None,
    exact: bool = False,
    top: int | None = None,
) -> str:
    """The SQL exactly as Grafana and the plugin would run it for this range and selection.

    ``filters`` maps dashboard variables to the values picked; a variable left out or
    given no values is All. Variables the view is not filtered by are ignored, as on the
    dashboard. ``interval_s`` defaults to the interval Grafana would send for the panel.
    ``end`` is inclusive, as Grafana's is (its whole-day ranges end at 23:59:59.999):
    daily views count the day ``end`` falls on, so pass an exclusive midnight minus 1 ms.

    Beyond the dashboard: ``filters`` may also hold :data:`CALL_FILTERS` (user,
    conversation), and ``exact`` counts only the range itself where the range is not whole
    days (see :func:`_narrowed`); neither changes a dashboard's query. ``top`` sets how
    many rows a top-N breakdown (:attr:`View.top`) returns before its "(other)" row.
    """
    selections, calls, interval_s = _arguments(view, start, end, filters, interval_s)
    sql = macros.render_dashboard_query(
        view.query(top), start=start, end=end, selections=selections, interval_s=interval_s
    )
    sql, parameters = _narrow(view, sql, start, end, calls, exact)
    for name, value in parameters.items():
        sql = sql.replace(f"{{{name}:String}}", _quote(value))
    return sql


def bind(
    view: View,
    *,
    start: datetime,
    end: datetime,
    filters: Mapping[str, Sequence[str]] | None = None,
    interval_s: float | None = None,
    exact: bool = False,
    top: int | None = None,
) -> tuple[str, dict[str, str]]:
    """:func:`render`'s query with the filter values as parameters instead of SQL text.

    What the report and the API run: the same SQL, but no filter value is ever spliced
    into it or seen by macro expansion (see ``macros.bind_variables``).
    """
    selections, calls, interval_s = _arguments(view, start, end, filters, interval_s)
    sql, parameters = macros.bind_dashboard_query(
        view.query(top), start=start, end=end, selections=selections, interval_s=interval_s
    )
    sql, narrowing = _narrow(view, sql, start, end, calls, exact)
    return sql, {**parameters, **narrowing}


def _narrow(
    view: View,
    sql: str,
    start: datetime,
    end: datetime,
    calls: dict[str, tuple[str, ...]],
    exact: bool,
) -> tuple[str, dict[str, str]]:
    if not _narrowable(view):
        return sql, {}
    return _narrowed(sql, start, end, calls, exact and not view.whole_days)


def _arguments(
    view: View,
    start: datetime,
    end: datetime,
    filters: Mapping[str, Sequence[str]] | None,
    interval_s: float | None,
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], float]:
    """The checked selections, call filters and interval, for :func:`render` and :func:`bind`."""
    for name, moment in (("from", start), ("to", end)):
        check_instant(name, moment)
    filters = dict(filters or {})
    unknown = sorted(set(filters) - set(VARIABLES) - set(CALL_FILTERS))
    if unknown:
        known = ", ".join(VARIABLES + CALL_FILTERS)
        raise ValueError(f"unknown filter(s) {unknown}; known: {known}")
    selections: dict[str, tuple[str, ...]] = {}
    calls: dict[str, tuple[str, ...]] = {}
    for name in VARIABLES + CALL_FILTERS:
        values = filters.get(name) or macros.ALL
        if isinstance(values, str):
            raise ValueError(f"filter {name!r} takes a list of values, not the string {values!r}")
        for value in values:
            if not isinstance(value, str) or "\\" in value:
                raise ValueError(f"filter {name}={value!r}: values are strings without '\\'")
        if name in CALL_FILTERS:
            if values:
                calls[name] = tuple(values)
        else:
            selections[name] = tuple(values)
    if interval_s is None:
        interval_s = (
            macros.panel_interval_s(
                start,
                end,
                max_data_points=view.max_data_points,
                min_interval_s=view.min_interval_s,
            )
            if view.max_data_points
            else 1.0
        )
    return selections, calls, interval_s


def check_instant(name: str, moment: datetime) -> datetime:
    """``moment`` if a view can be asked about it (:data:`EARLIEST` … :data:`LATEST`)."""
    if moment.tzinfo is None or not EARLIEST <= moment < LATEST:
        raise ValueError(
            f"{name}={moment.isoformat()} is outside {EARLIEST:%Y-%m-%d} … {LATEST:%Y-%m-%d} "
            "(UTC), the range ClickHouse DateTime holds"
        )
    return moment


def fetch(client: Any, view: View, **render_args: Any) -> list[dict[str, Any]]:
    """Run a view through a clickhouse-connect client; rows as dicts (Decimals kept).

    Filter values are bound as query parameters (:func:`bind`), never spliced.
    """
    sql, parameters = bind(view, **render_args)
    result = client.query(sql, parameters=parameters)
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def fetch_unranked(
    client: Any, view: View, rows: list[dict[str, Any]], **render_args: Any
) -> dict[str, Any]:
    """The range's calls ``view``'s rows cannot place (:attr:`View.unranked`; {} for a view
    without), from the first of ``rows``, which each repeat them, or counted on their own when
    there is none: an empty list of the costliest calls of a range whose only calls were not
    stored must still say how many there were. Same range, filters and narrowing as the rows."""
    if not view.unranked:
        return {}
    if not rows:
        counts = "SELECT" + ",".join(f"\n    {sql} AS {name}" for name, sql in view.unranked)
        rows = fetch(client, replace(view, template=counts, unranked=()), **render_args)
    return {name: rows[0][name] for name, _ in view.unranked}


# ---------------------------------------------------------------- narrower sources


_DIMENSIONS = (
    "provider, model, operation, service, environment, team, feature, tenant, agent, "
    "api_key, endpoint"
)
# The rollups' sums, computed from the calls: the materialized views' SELECT (migration 0017),
# with every column qualified so no alias can shadow it.
_SUMS_FROM_CALLS = (
    """\
count() AS requests,
        countIf(c.status = 'error') AS failed_requests,
        countIf(c.priced = 0) AS unpriced_requests,
        countIf(c.usage_missing = 1) AS usage_missing_requests,
        countIf(c.budget_blocked = 1) AS blocked_requests,
        countIf(c.budget_blocked = 1) AS blocked_requests,
        sum(c.input_tokens) AS input_tokens,
        sum(c.output_tokens) AS output_tokens,
        sum(c.cache_read_tokens) AS cache_read_tokens,
        sum(c.cache_write_tokens) AS cache_write_tokens,
        sum(c.reasoning_tokens) AS reasoning_tokens,
        sum(c.input_cost) AS input_cost,
        sum(c.cache_read_cost) AS cache_read_cost,
        sum(c.cache_write_cost) AS cache_write_cost,
        sum(c.output_cost) AS output_cost,
        sum(c.cost) AS cost,
        sum(c.cache_savings) AS cache_savings,
        sumIf(c.cost, c.status = 'error') AS failed_cost,
        sum(c.latency_ms) AS latency_ms_sum,
        countIf(c.status = 'error' AND c.priced = 0) AS failed_unpriced_requests,
        """
    + ",\n        ".join(
        f"sum(c.{unit}_tokens) AS {unit}_tokens, sum(c.{unit}_cost) AS {unit}_cost"
        for unit in (unit.removesuffix("_tokens") for unit in USAGE_UNITS)
    )
    + """,
        countIf(c.cost_source = 'provider') AS reported_requests,
        sumIf(assumeNotNull(c.provider_cost), c.cost_source = 'provider') AS reported_cost,
        countIf(c.cost_source = 'provider' AND c.unpriced_reason = '') AS compared_requests,
        sumIf(assumeNotNull(c.provider_cost), c.cost_source = 'provider'
            AND c.unpriced_reason = '') AS compared_reported_cost,
        sumIf(c.input_cost + c.cache_read_cost + c.cache_write_cost + c.output_cost,
            c.cost_source = 'provider' AND c.unpriced_reason = '') AS compared_computed_cost"""
)
_SUMS = re.findall(r"AS (\w+)", _SUMS_FROM_CALLS)
_ROLLUP = re.compile(r"\bFROM (llm_cost_daily|llm_cost_hourly|llm_calls)\b")


def _narrowed(
    sql: str,
    start: datetime,
    end: datetime,
    calls: Mapping[str, Sequence[str]],
    exact: bool,
) -> tuple[str, dict[str, str]]:
    """``sql`` with its tables swapped for subqueries of the same columns that keep only
    the calls matching ``calls`` (user, conversation) and, when ``exact``, only the rows in
    [start, end] — read from the hourly rollup when the range is whole hours, else from the
    calls themselves; the pending dead letters the same way, from their own columns. Nothing
    changes when there is nothing to narrow."""
    whole_hours = _on(start, 3600) and _on(end + _MS, 3600)
    whole_days = _on(start, 86400) and _on(end + _MS, 86400)
    exact = exact and not whole_days
    if not calls and not exact:
        return sql, {}
    parameters: dict[str, str] = {}
    conditions = []
    for key, values in calls.items():
        names = [f"c_{key}_{index}" for index in range(len(values))]
        parameters.update(zip(names, values, strict=True))
        conditions.append(f"c.{key} IN ({', '.join(f'{{{n}:String}}' for n in names)})")
    if exact:
        conditions.append(f"c.ts >= {_time64(start)} AND c.ts <= {_time64(end)}")
    where = " AND ".join(conditions)
    hourly_source = not calls and whole_hours
    if hourly_source and not calls and not exact:
        return sql, {}

    def rolled(period: str) -> str:
        if hourly_source:
            bucket = "toDate(h.hour)" if period == "day" else "h.hour"
            sums = ",\n        ".join(f"sum(h.{s}) AS {s}" for s in _SUMS)
            return (
                f"FROM (SELECT {bucket} AS {period}, {_DIMENSIONS},\n        {sums}\n"
                f"    FROM llm_cost_hourly AS h\n"
                f"    WHERE h.hour >= {_time(start)} AND h.hour <= {_time(end)}\n"
                f"    GROUP BY {period}, {_DIMENSIONS})"
            )
        # a window that starts mid-hour puts its first calls in a bucket starting with it
        hour = f"greatest(toStartOfHour(c.ts), {_time(start)})" if exact else "toStartOfHour(c.ts)"
        bucket = "toDate(c.ts)" if period == "day" else hour
        return (
            f"FROM (SELECT {bucket} AS {period}, {_DIMENSIONS},\n        {_SUMS_FROM_CALLS}\n"
            f"    FROM llm_calls AS c\n    WHERE {where}\n"
            f"    GROUP BY {period}, {_DIMENSIONS})"
        )

    def swap(match: re.Match[str]) -> str:
        table = match[1]
        if table == "llm_calls":
            return f"FROM (SELECT * FROM llm_calls AS c WHERE {where})"
        if table == "llm_cost_hourly" and hourly_source:
            return match[0]  # whole hours: the hourly rollup is exact already
        return rolled("day" if table == "llm_cost_daily" else "hour")

    # the calls serve could not store, narrowed the same way: by their own instant, user and
    # conversation (migration 0029), not by their whole day
    letters = f"FROM (SELECT * FROM dead_letters AS c FINAL WHERE {where}) AS l"
    sql = _ROLLUP.sub(swap, sql).replace(LETTERS, letters)
    return sql.replace(WHOLE_TABLES, NARROWED_TABLES), parameters


# A view whose answer comes faster from projections of the tables than from the rows, but
# that has a branch reading the rows, defines this alias and takes that branch when it is 0:
# narrowing sets it to 0, since projections cannot serve the subqueries it swaps in.
WHOLE_TABLES = "1 AS whole_tables"
NARROWED_TABLES = "0 AS whole_tables"

_MS = timedelta(milliseconds=1)

# The calls serve could not store (the dead_letters table, migration 0003) that are still
# pending: in no rollup, so in no total and no count; with ``replayed = 1`` once a replay has
# stored them, when the rollups count them instead (never both). Counted by the day (or hour) of
# the call and its dimensions, which the sink writes as columns beside the row it keeps
# (migrations 0027-0029: no JSON is read at query time). Every view reads them through
# :func:`pending`, so that :func:`_narrowed` finds them: the report's and the API's call filters
# (user, conversation) and exact ranges narrow them by their own user, conversation and instant.
LETTERS = "FROM dead_letters AS l FINAL"


def pending(
    days: str = "$__dateFilter(l.day)", indent: str = "        ", *, filters: bool = True
) -> str:
    """FROM and WHERE of the pending dead letters of ``days``, matching the dashboard variables
    unless ``filters`` is False (a budget: its scope is its own, never the dashboard's)."""
    return f"{LETTERS}\n{indent}WHERE l.replayed = 0 AND {days}" + ("{filters}" * filters)


def _on(moment: datetime, seconds: int) -> bool:
    return round(moment.timestamp() * 1000) % (seconds * 1000) == 0


def _time(moment: datetime) -> str:
    """The second ``moment`` falls in (rounded down: an inclusive end of 11:59:59.999 is in the
    11:00 hour, not the 12:00 one)."""
    return f"toDateTime({math.floor(moment.timestamp())}, 'UTC')"


def _time64(moment: datetime) -> str:
    return f"fromUnixTimestamp64Micro({round(moment.timestamp() * 1_000_000)}, 'UTC')"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "\\'") + "'"


def _narrowable(view: View) -> bool:
    """Views filtered by every dashboard variable count calls of the range, so a call
    filter or an exact range applies to them (not to budgets or reconciliation)."""
    return set(VARIABLES) <= set(view.filtered_by)
