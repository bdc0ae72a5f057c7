"""The one definition of every view's SQL: dashboards, alert rules, report and HTTP API.

A view is ClickHouse SQL written for the Grafana ClickHouse plugin: it uses only the
plugin's portable macros (``$__timeFilter``, ``$__dateFilter``, ``$__fromTime``,
``$__toTime``, ``$__timeInterval``, ``$__interval_s``) and, where ``{filters}`` stands,
one ``$__conditionalAll`` condition per dashboard variable. Dashboards get
:attr:`View.sql`; alert rules get :attr:`View.backend_sql` (no variables: alert queries
run in the plugin's backend, where variables do not exist); the report and the API call
:func:`render`, which expands both exactly as Grafana and the plugin would.

Rules every view follows:

* Spend comes from the rollups, filtered on their time column first (their sort key).
  Range totals and breakdowns read ``llm_cost_daily`` and count **whole UTC days**:
  every day from the day of the range start to the day of the range end, inclusive
  (``$__dateFilter``). Hourly series read ``llm_cost_hourly`` and count the hours whose
  start lies in the range. Rollups are SummingMergeTree: always ``sum()`` + GROUP BY.
* Latency quantiles, per-user and per-conversation cost and single calls read the raw
  ``llm_calls`` (``$__timeFilter(ts)``, its sort key's first column).
* "Now" is always the range end (``$__toTime``), never ``now()``: a view answers for
  the range it is given, so a report for last month and a test with a fixed clock see
  the same numbers a dashboard showed then.
* Money is Decimal end to end, and so is budget utilization (80 % is exactly 0.8);
  other ratios (share, change, error rate, anomaly ratio) are Float64.
* ClickHouse resolves aliases before columns, anywhere in the query level: a column
  that a filter or another aggregate uses is never shadowed by an alias of the same
  name, or is qualified with the table alias (``sum(sum(d.cost)) OVER ()``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

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

    @property
    def sql(self) -> str:
        """The panel query: portable macros plus the dashboard variables."""
        return self.query(self.top)

    @property
    def backend_sql(self) -> str:
        """The same query without variables, for alert rules (backend-only expansion)."""
        return _with_top(_fill_filters(self.template, ()), self.top)

    def query(self, top: int | None) -> str:
        """:attr:`sql` with ``top`` rows before "(other)" (the view's default when None)."""
        return _with_top(_fill_filters(self.template, self.filtered_by), top or self.top)


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


# ---------------------------------------------------------------- narrower sources


_DIMENSIONS = (
    "provider, model, operation, service, environment, team, feature, tenant, agent, "
    "api_key, endpoint"
)
# The rollups' sums, computed from the calls: the materialized views' SELECT (migration 0005),
# with every column qualified so no alias can shadow it.
_SUMS_FROM_CALLS = """\
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
        sum(c.latency_ms) AS latency_ms_sum"""
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
    calls themselves. Nothing changes when there is nothing to narrow."""
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

    return _ROLLUP.sub(swap, sql), parameters


_MS = timedelta(milliseconds=1)


def _on(moment: datetime, seconds: int) -> bool:
    return round(moment.timestamp() * 1000) % (seconds * 1000) == 0


def _time(moment: datetime) -> str:
    return f"toDateTime({moment.timestamp():.0f}, 'UTC')"


def _time64(moment: datetime) -> str:
    return f"fromUnixTimestamp64Micro({round(moment.timestamp() * 1_000_000)}, 'UTC')"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "\\'") + "'"


def _narrowable(view: View) -> bool:
    """Views filtered by every dashboard variable count calls of the range, so a call
    filter or an exact range applies to them (not to budgets or reconciliation)."""
    return set(VARIABLES) <= set(view.filtered_by)


# ---------------------------------------------------------------- the views


# A group whose every call has an unknown cost has no cost (NULL, shown as unknown), never $0;
# a group with some has the cost of the others, and says how many are unknown.
_KNOWN_COST = "if(sum(d.unpriced_requests) = sum(d.requests), NULL, sum(d.cost)) AS cost"


def _top(dimension: str, title: str, description: str) -> View:
    """Spend, requests and budget-blocked requests per value of a high-cardinality rollup
    column: the largest ``top`` values and one "(other)" row (see :func:`_top_n`)."""
    return View(
        name=f"spend_by_{dimension}",
        title=title,
        description=description,
        format=Format.TABLE,
        source="llm_cost_daily",
        template=_top_n(
            dimension,
            f"""\
        SELECT {dimension}, sum(cost) AS cost, sum(requests) AS requests,
            sum(blocked_requests) AS blocked_requests, sum(d.unpriced_requests) AS unpriced_requests
        FROM llm_cost_daily AS d
        WHERE $__dateFilter(day){{filters}}
        GROUP BY {dimension}""",
            _KNOWN_COST.replace("d.", "ranked.") + ",\n    sum(ranked.requests) AS requests,\n"
            "    sum(ranked.blocked_requests) AS blocked_requests,\n"
            "    sum(ranked.unpriced_requests) AS unpriced_requests,\n"
            "    toFloat64(cost) / nullIf(toFloat64(sum(sum(ranked.cost)) OVER ()), 0) AS share",
            dimension,
        ),
        top=TOP_DEFAULT,
    )


def _spend_by(dimension: str, description: str, top: int | None = None) -> View:
    """Spend and requests per value of one rollup column, with its share of spend;
    with ``top``, the largest ``top`` values and one "(other)" row (see :func:`_top_n`)."""
    if top is None:
        template = f"""\
SELECT
    {dimension},
    {_KNOWN_COST},
    sum(requests) AS requests,
    sum(d.unpriced_requests) AS unpriced_requests,
    toFloat64(cost) / nullIf(toFloat64(sum(sum(d.cost)) OVER ()), 0) AS share
FROM llm_cost_daily AS d
WHERE $__dateFilter(day){{filters}}
GROUP BY {dimension}
ORDER BY cost DESC, {dimension}"""
    else:
        template = _top_n(
            dimension,
            f"""\
        SELECT
            {dimension}, sum(cost) AS cost, sum(requests) AS requests,
            sum(d.unpriced_requests) AS unpriced_requests
        FROM llm_cost_daily AS d
        WHERE $__dateFilter(day){{filters}}
        GROUP BY {dimension}""",
            _KNOWN_COST.replace("d.", "ranked.") + ",\n    sum(ranked.requests) AS requests,\n"
            "    sum(ranked.unpriced_requests) AS unpriced_requests,\n"
            "    toFloat64(cost) / nullIf(toFloat64(sum(sum(ranked.cost)) OVER ()), 0) AS share",
            dimension,
        )
    return View(
        name=f"spend_by_{dimension}",
        title=f"Spend by {dimension}",
        description=description,
        format=Format.TABLE,
        source="llm_cost_daily",
        template=template,
        top=top,
    )


_VIEWS: list[View] = [
    View(
        name="totals",
        title="Totals",
        description="Spend, requests and tokens over the range (whole days).",
        format=Format.TABLE,
        source="llm_cost_daily",
        template="""\
SELECT
    sum(cost) AS cost,
    sum(requests) AS requests,
    cost / nullIf(requests, 0) AS cost_per_request,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cache_read_tokens) AS cache_read_tokens,
    sum(cache_write_tokens) AS cache_write_tokens,
    sum(reasoning_tokens) AS reasoning_tokens,
    sum(unpriced_requests) AS unpriced_requests,
    sum(usage_missing_requests) AS usage_missing_requests,
    sum(failed_requests) AS failed_requests,
    sum(failed_cost) AS failed_cost,
    sum(cache_savings) AS cache_savings,
    sum(blocked_requests) AS blocked_requests
FROM llm_cost_daily
WHERE $__dateFilter(day){filters}""",
    ),
    View(
        name="month_to_date",
        title="Spend this month",
        description=(
            "Spend in the calendar month (UTC) of the range end, and the month-end forecast: "
            "month-to-date spend plus the rest of the month at the average rate of the 7 "
            "whole days before today (at this month's own rate when those had no spend), so "
            "it is sensible on the 1st and does not swing with the hour of day."
        ),
        whole_days=True,
        format=Format.TABLE,
        source="llm_cost_daily",
        template="""\
WITH
    toDate($__toTime, 'UTC') AS today,
    toStartOfMonth(today) AS month_start,
    toDateTime(month_start, 'UTC') AS month_begins,
    dateDiff('second', month_begins, $__toTime) AS elapsed_s,
    dateDiff('second', $__toTime, toDateTime(addMonths(month_start, 1), 'UTC')) AS remaining_s
SELECT
    month_start,
    sumIf(d.cost, day >= month_start) AS cost,
    sumIf(d.cost, day >= today - 7 AND day < today) AS last_week,
    cost + if(last_week > 0, last_week / (7 * 86400), cost / greatest(elapsed_s, 1))
        * greatest(remaining_s, 0) AS forecast
FROM llm_cost_daily AS d
WHERE day >= least(month_start, today - 7) AND day <= today{filters}""",
    ),
    View(
        name="spend_change",
        title="Change vs previous period",
        description=(
            "Spend over the range against the same number of whole days just before it; "
            "change is (cost / previous_cost) - 1, NULL without previous spend."
        ),
        whole_days=True,
        format=Format.TABLE,
        source="llm_cost_daily",
        unit="percentunit",
        template="""\
WITH
    toDate($__fromTime, 'UTC') AS first_day,
    toDate($__toTime, 'UTC') AS last_day,
    dateDiff('day', first_day, last_day) + 1 AS days
SELECT
    sumIf(spent, current) AS cost,
    sumIf(spent, NOT current) AS previous_cost,
    toFloat64(cost) / toFloat64(nullIf(previous_cost, 0)) - 1 AS change
FROM
(
    -- a plain sum() per period, so the rollup's projection without tenant can answer it
    SELECT day >= first_day AS current, sum(d.cost) AS spent
    FROM llm_cost_daily AS d
    WHERE day >= first_day - days AND day <= last_day{filters}
    GROUP BY current
)""",
    ),
    View(
        name="daily_spend",
        title="Daily spend",
        description=(
            "Spend and requests per UTC day (days without calls show 0); cost is the known "
            "cost, unpriced_requests the calls whose cost is unknown."
        ),
        format=Format.TIME_SERIES,
        source="llm_cost_daily",
        template="""\
SELECT
    day,
    sum(cost) AS cost,
    sum(requests) AS requests,
    sum(d.unpriced_requests) AS unpriced_requests
FROM llm_cost_daily AS d
WHERE $__dateFilter(day){filters}
GROUP BY day
ORDER BY day WITH FILL FROM toDate($__fromTime, 'UTC') TO toDate($__toTime, 'UTC') + 1""",
    ),
    View(
        name="cost_per_request",
        title="Cost per request",
        description="Average cost of one call per UTC day (days with calls only).",
        format=Format.TIME_SERIES,
        source="llm_cost_daily",
        template="""\
SELECT
    day,
    sum(cost) / sum(requests) AS cost_per_request
FROM llm_cost_daily
WHERE $__dateFilter(day){filters}
GROUP BY day
HAVING sum(requests) > 0
ORDER BY day""",
    ),
    View(
        name="token_breakdown",
        title="Token breakdown",
        description=(
            "Tokens per UTC day by kind. input_tokens counts every input token, cached "
            "included, so uncached input is what remains after cache reads and writes; "
            "output_tokens includes reasoning, so visible output is what remains after it."
        ),
        format=Format.TIME_SERIES,
        source="llm_cost_daily",
        unit="short",
        template="""\
SELECT
    day,
    sum(d.input_tokens)
        - least(sum(d.input_tokens), sum(d.cache_read_tokens) + sum(d.cache_write_tokens))
        AS uncached_input_tokens,
    sum(d.cache_read_tokens) AS cache_read_tokens,
    sum(d.cache_write_tokens) AS cache_write_tokens,
    sum(d.output_tokens) - least(sum(d.output_tokens), sum(d.reasoning_tokens))
        AS visible_output_tokens,
    sum(d.reasoning_tokens) AS reasoning_tokens
FROM llm_cost_daily AS d
WHERE $__dateFilter(day){filters}
GROUP BY day
ORDER BY day WITH FILL FROM toDate($__fromTime, 'UTC') TO toDate($__toTime, 'UTC') + 1""",
    ),
    View(
        name="spend_by_model",
        title="Spend by model",
        description=(
            "Spend, requests and tokens per provider and model, with share of spend; "
            "unpriced_requests have an unknown cost (not in cost)."
        ),
        format=Format.TABLE,
        source="llm_cost_daily",
        template=f"""\
SELECT
    provider,
    model,
    {_KNOWN_COST},
    sum(requests) AS requests,
    sum(d.unpriced_requests) AS unpriced_requests,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    toFloat64(cost) / nullIf(toFloat64(sum(sum(d.cost)) OVER ()), 0) AS share
FROM llm_cost_daily AS d
WHERE $__dateFilter(day){{filters}}
GROUP BY provider, model
ORDER BY cost DESC, provider, model""",
    ),
    _spend_by("provider", "Spend and requests per provider, with share of spend."),
    *(
        _spend_by(
            dimension,
            f"Spend and requests per {dimension} ('' = calls without the tag), "
            "with share of spend"
            + (
                f": the {TOP_DEFAULT} largest, then one '{OTHER}' row for the rest."
                if dimension in HIGH_CARDINALITY
                else "."
            ),
            TOP_DEFAULT if dimension in HIGH_CARDINALITY else None,
        )
        for dimension in TAG_DIMENSIONS
    ),
    _top(
        "api_key",
        "Spend by API key",
        f"The {TOP_DEFAULT} API keys that spent most (fingerprints: redacted form and salted "
        f"hash, never the key; '' = calls without a key), the rest as '{OTHER}'; with the calls a "
        "budget guard blocked.",
    ),
    _top(
        "endpoint",
        "Top endpoints",
        f"The {TOP_DEFAULT} application routes or worker tasks that spent most ('' = calls "
        f"outside a server span), the rest as '{OTHER}'; with the calls a budget guard blocked.",
    ),
    View(
        name="cache_savings",
        title="Prompt-cache savings",
        description=(
            "Per provider and model: cached tokens, what cache reads and writes cost, and "
            "the savings net of cache-write premiums (the cache_savings column)."
        ),
        format=Format.TABLE,
        source="llm_cost_daily",
        template="""\
SELECT
    provider,
    model,
    sum(cache_read_tokens) AS cache_read_tokens,
    sum(cache_write_tokens) AS cache_write_tokens,
    sum(cache_read_cost) AS cache_read_cost,
    sum(cache_write_cost) AS cache_write_cost,
    sum(cache_savings) AS cache_savings
FROM llm_cost_daily
WHERE $__dateFilter(day){filters}
GROUP BY provider, model
HAVING cache_read_tokens + cache_write_tokens > 0
ORDER BY cache_savings DESC, provider, model""",
    ),
    View(
        name="budget_utilization",
        title="Budget utilization",
        description=(
            "Every budget in the budgets table: spend in its current period (day, ISO week "
            "from Monday, or calendar month, UTC, of the range end) over its amount. A "
            "budget's filters match the rollup dimensions; '' scope is the global budget."
        ),
        whole_days=True,
        format=Format.TABLE,
        source="budgets",
        unit="percentunit",
        filtered_by=(),
        template="""\
WITH
    toDate($__toTime, 'UTC') AS today,
    (SELECT groupUniqArrayArray(mapKeys(filters)) FROM budgets FINAL WHERE deleted = 0)
        AS budget_keys
SELECT
    b.scope AS scope,
    b.period AS period,
    concat(if(b.scope = '', 'all', b.scope), ' (', b.period, ')') AS budget,
    multiIf(b.period = 'day', today, b.period = 'week', toMonday(today), toStartOfMonth(today))
        AS period_start,
    b.amount AS amount,
    sumIf(
        multiIf(b.period = 'day', s.day_cost, b.period = 'week', s.week_cost, s.month_cost),
        arrayAll((k, v) -> s.dims[k] = v, mapKeys(b.filters), mapValues(b.filters))
    ) AS spent,
    spent / nullIf(b.amount, 0) AS utilization
FROM
(
    SELECT scope, filters, period, amount
    FROM budgets FINAL
    WHERE deleted = 0
) AS b
CROSS JOIN
(
    -- Spend in each period (today, this week, this month) by the dimensions that some
    -- budget filters on (the others blanked), so that the join sees a handful of rows
    -- rather than every rollup row of every day.
    SELECT
        map(
            'provider', k_provider, 'model', k_model, 'operation', k_operation,
            'service', k_service, 'environment', k_environment, 'team', k_team,
            'feature', k_feature, 'tenant', k_tenant, 'agent', k_agent,
            'api_key', k_api_key, 'endpoint', k_endpoint
        ) AS dims,
        sumIf(cost, day = today) AS day_cost,
        sumIf(cost, day >= toMonday(today)) AS week_cost,
        sumIf(cost, day >= toStartOfMonth(today)) AS month_cost
    FROM
    (
        SELECT
            day,
            cost,
            if(has(budget_keys, 'provider'), provider, '') AS k_provider,
            if(has(budget_keys, 'model'), model, '') AS k_model,
            if(has(budget_keys, 'operation'), operation, '') AS k_operation,
            if(has(budget_keys, 'service'), service, '') AS k_service,
            if(has(budget_keys, 'environment'), environment, '') AS k_environment,
            if(has(budget_keys, 'team'), team, '') AS k_team,
            if(has(budget_keys, 'feature'), feature, '') AS k_feature,
            if(has(budget_keys, 'tenant'), tenant, '') AS k_tenant,
            if(has(budget_keys, 'agent'), agent, '') AS k_agent,
            if(has(budget_keys, 'api_key'), api_key, '') AS k_api_key,
            if(has(budget_keys, 'endpoint'), endpoint, '') AS k_endpoint
        FROM llm_cost_daily
        WHERE day >= least(toMonday(today), toStartOfMonth(today)) AND day <= today
    )
    GROUP BY k_provider, k_model, k_operation, k_service, k_environment, k_team, k_feature,
        k_tenant, k_agent, k_api_key, k_endpoint
    UNION ALL
    -- keeps budgets without any spend in the result (at 0)
    SELECT
        CAST(map(), 'Map(String, String)'),
        toDecimal128(0, 12),
        toDecimal128(0, 12),
        toDecimal128(0, 12)
) AS s
GROUP BY b.scope, b.period, b.amount, b.filters
ORDER BY utilization DESC, scope, period""",
    ),
    View(
        name="anomalies",
        title="Spend anomalies",
        description=(
            "Days whose spend exceeds 2x the trailing daily average, per scope (all, and "
            "each team, feature and tenant). The baseline is the spend of the 7 days before "
            "averaged over the days since the scope was first seen in that window (days "
            "without spend count as 0); a scope needs 3 days of history to be judged."
        ),
        whole_days=True,
        format=Format.TABLE,
        source="llm_cost_daily",
        template="""\
SELECT
    scope,
    day,
    cost,
    baseline,
    toFloat64(cost) / toFloat64(baseline) AS ratio
FROM
(
    SELECT
        scope,
        day,
        cost,
        count() OVER trailing AS trailing_days,
        min(day) OVER trailing AS first_day,
        sum(cost) OVER trailing / greatest(day - first_day, 1) AS baseline
    FROM
    (
        SELECT
            multiIf(
                grouping(team) = 0, concat('team=', team),
                grouping(feature) = 0, concat('feature=', feature),
                grouping(tenant) = 0, concat('tenant=', tenant),
                'all'
            ) AS scope,
            day,
            sum(cost) AS cost
        FROM llm_cost_daily
        WHERE day >= toDate($__fromTime, 'UTC') - 7 AND day <= toDate($__toTime, 'UTC'){filters}
        GROUP BY GROUPING SETS ((day), (day, team), (day, feature), (day, tenant))
        HAVING NOT endsWith(scope, '=')
    )
    WINDOW trailing AS (PARTITION BY scope ORDER BY day RANGE BETWEEN 7 PRECEDING AND 1 PRECEDING)
)
WHERE day >= toDate($__fromTime, 'UTC')
  AND trailing_days > 0
  AND day - first_day >= 3
  AND cost > 2 * baseline
ORDER BY day DESC, ratio DESC, scope""",
    ),
    View(
        name="hourly_burn_rate",
        title="Hourly burn rate",
        description=(
            "Spend per hour (and the part spent on failed calls), averaged over each "
            "interval of at least an hour."
        ),
        format=Format.TIME_SERIES,
        source="llm_cost_hourly",
        min_interval_s=3600,
        max_data_points=500,
        template="""\
SELECT
    $__timeInterval(hour) AS time,
    sum(cost) * 3600 / greatest($__interval_s, 3600) AS cost_per_hour,
    sum(failed_cost) * 3600 / greatest($__interval_s, 3600) AS failed_cost_per_hour
FROM llm_cost_hourly
WHERE $__timeFilter(hour){filters}
GROUP BY time
ORDER BY time WITH FILL STEP greatest($__interval_s, 3600)""",
    ),
    View(
        name="failures_by_feature",
        title="Failed calls by feature",
        description="Error rate and the cost of failed calls per feature.",
        format=Format.TABLE,
        source="llm_cost_daily",
        template="""\
SELECT
    feature,
    sum(requests) AS requests,
    sum(failed_requests) AS failed_requests,
    failed_requests / requests AS error_rate,
    sum(failed_cost) AS failed_cost
FROM llm_cost_daily
WHERE $__dateFilter(day){filters}
GROUP BY feature
ORDER BY failed_cost DESC, failed_requests DESC, feature""",
    ),
    View(
        name="waste_signals",
        title="Waste signals",
        description=(
            "Agents and features whose prompts exceed 10x their completions (embeddings "
            "excluded): oversized context, repeated history, retrieval overreach."
        ),
        format=Format.TABLE,
        source="llm_cost_daily",
        template="""\
SELECT
    agent,
    feature,
    sum(requests) AS requests,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    input_tokens / output_tokens AS prompt_to_completion,
    sum(cost) AS cost
FROM llm_cost_daily
WHERE $__dateFilter(day)
  AND operation != 'embeddings'{filters}
GROUP BY agent, feature
HAVING output_tokens > 0 AND input_tokens > 10 * output_tokens
ORDER BY cost DESC, agent, feature""",
    ),
    View(
        name="unpriced_usage",
        title="Unpriced usage",
        description=(
            "Calls stored without a cost (model or rate unknown to the price data, or no "
            "usage), per provider and model, with the first and last hour they were seen; "
            "usage_missing_requests of them had no usage."
        ),
        format=Format.TABLE,
        source="llm_cost_hourly",
        unit="short",
        template="""\
SELECT
    provider,
    model,
    sum(h.unpriced_requests) AS unpriced_requests,
    sum(h.usage_missing_requests) AS usage_missing_requests,
    min(h.hour) AS first_seen,
    max(h.hour) AS last_seen
FROM llm_cost_hourly AS h
WHERE $__timeFilter(hour)
  AND h.unpriced_requests > 0{filters}
GROUP BY provider, model
ORDER BY unpriced_requests DESC, provider, model""",
    ),
    View(
        name="usage_missing",
        title="Calls without usage (cost unknown)",
        description=(
            "Calls whose span carried no token usage (an OpenAI stream without "
            "stream_options.include_usage, a stream cut off), per provider and model: their "
            "cost is unknown, not $0."
        ),
        format=Format.TABLE,
        source="llm_cost_hourly",
        unit="short",
        template="""\
SELECT
    provider,
    model,
    sum(h.usage_missing_requests) AS usage_missing_requests,
    min(h.hour) AS first_seen,
    max(h.hour) AS last_seen
FROM llm_cost_hourly AS h
WHERE $__timeFilter(hour)
  AND h.usage_missing_requests > 0{filters}
GROUP BY provider, model
ORDER BY usage_missing_requests DESC, provider, model""",
    ),
    View(
        name="latency_by_provider",
        title="Latency by provider",
        description="Exact p50/p95/p99 latency of successful calls per provider.",
        format=Format.TABLE,
        source="llm_calls",
        unit="ms",
        template="""\
SELECT
    provider,
    count() AS requests,
    quantilesExact(0.5, 0.95, 0.99)(latency_ms)[1] AS p50_ms,
    quantilesExact(0.5, 0.95, 0.99)(latency_ms)[2] AS p95_ms,
    quantilesExact(0.5, 0.95, 0.99)(latency_ms)[3] AS p99_ms
FROM llm_calls
WHERE $__timeFilter(ts)
  AND status != 'error'{filters}
GROUP BY provider
ORDER BY provider""",
    ),
    View(
        name="cost_by_conversation",
        title="Cost per conversation",
        description=(
            f"The {TOP_DEFAULT} most expensive conversations in the range, then one "
            f"'{OTHER}' row for the rest."
        ),
        format=Format.TABLE,
        source="llm_calls",
        top=TOP_DEFAULT,
        template=_top_n(
            "conversation",
            """\
        SELECT
            conversation, tenant, user, count() AS requests, sum(cost) AS cost,
            countIf(priced = 0) AS unpriced_requests, min(ts) AS first_call,
            max(ts) AS last_call
        FROM llm_calls
        WHERE $__timeFilter(ts)
          AND conversation != ''{filters}
        GROUP BY conversation, tenant, user""",
            "if(position <= {top}, any(ranked.tenant), '') AS tenant,\n"
            "    if(position <= {top}, any(ranked.user), '') AS user,\n"
            "    sum(ranked.requests) AS requests,\n    sum(ranked.cost) AS cost,\n"
            "    sum(ranked.unpriced_requests) AS unpriced_requests,\n"
            "    min(ranked.first_call) AS first_call,\n    max(ranked.last_call) AS last_call",
            "conversation, tenant, user",
        ),
    ),
    View(
        name="cost_by_user",
        title="Cost per user",
        description=(
            f"The {TOP_DEFAULT} most expensive users in the range, with their tenant, then "
            f"one '{OTHER}' row for the rest."
        ),
        format=Format.TABLE,
        source="llm_calls",
        top=TOP_DEFAULT,
        template=_top_n(
            "user",
            """\
        SELECT
            user, tenant, count() AS requests, sum(cost) AS cost,
            countIf(priced = 0) AS unpriced_requests
        FROM llm_calls
        WHERE $__timeFilter(ts)
          AND user != ''{filters}
        GROUP BY user, tenant""",
            "if(position <= {top}, any(ranked.tenant), '') AS tenant,\n"
            "    sum(ranked.requests) AS requests,\n    sum(ranked.cost) AS cost,\n"
            "    sum(ranked.unpriced_requests) AS unpriced_requests",
            "user, tenant",
        ),
    ),
    View(
        name="top_calls",
        title="Most expensive calls",
        description="The 50 most expensive single calls in the range, with their trace ids.",
        format=Format.TABLE,
        source="llm_calls",
        template="""\
SELECT
    ts,
    trace_id,
    span_id,
    provider,
    model,
    team,
    feature,
    tenant,
    user,
    input_tokens,
    output_tokens,
    cost,
    priced,
    latency_ms,
    status
FROM llm_calls
WHERE $__timeFilter(ts){filters}
ORDER BY cost DESC, ts DESC
LIMIT 50""",
    ),
]

# ---------------------------------------------------------------- reconciliation
#
# The bill (billed_usage, billed_costs: the providers' organisation reports, migration 0006)
# against the metered calls (llm_cost_daily), per provider, UTC day and model. Only the newest
# import of each provider, report and day counts (billed_imports), and metered calls only on
# the days a provider's reports were imported, so a provider without an admin key is not
# shown as "not billed". The bill has no tags: these views filter on provider and model only.

RECONCILIATION_FILTERS = ("provider", "model")
TOKEN_TOLERANCE = 0.01
"""Billed and metered tokens within 1 % of each other count as matching."""


def _newest(report: str, alias: str) -> str:
    return f"""({alias}.provider, {alias}.day, {alias}.version) IN (
        SELECT provider, day, max(version) FROM billed_imports
        WHERE report = '{report}' AND $__dateFilter(day)
        GROUP BY provider, day
    )"""


_RECONCILIATION_ROWS = f"""\
SELECT
    provider,
    day,
    model,
    sum(r.billed_cost) AS billed_cost,
    sum(r.metered_cost) AS metered_cost,
    billed_cost - metered_cost AS gap,
    toFloat64(gap) / nullIf(toFloat64(billed_cost), 0) AS gap_ratio,
    sum(r.billed_input_tokens) AS billed_input_tokens,
    sum(r.metered_input_tokens) AS metered_input_tokens,
    sum(r.billed_output_tokens) AS billed_output_tokens,
    sum(r.metered_output_tokens) AS metered_output_tokens,
    sum(r.billed_requests) AS billed_requests,
    sum(r.metered_requests) AS metered_requests,
    sum(r.unpriced_requests) AS unpriced_requests,
    max(r.has_usage) AS has_usage,
    toInt64(billed_input_tokens + billed_output_tokens)
        - toInt64(metered_input_tokens + metered_output_tokens) AS token_gap,
    multiIf(
        billed_cost = 0 AND billed_input_tokens + billed_output_tokens = 0, 'not billed',
        metered_requests = 0, 'unmetered',
        unpriced_requests > 0, 'unpriced calls',
        has_usage = 0, 'cost only',
        abs(token_gap) > {TOKEN_TOLERANCE} * (billed_input_tokens + billed_output_tokens),
            if(token_gap > 0, 'missing calls', 'more metered than billed'),
        abs(gap) > {TOKEN_TOLERANCE} * billed_cost, 'price or tier',
        'matches'
    ) AS cause
FROM
(
    SELECT
        c.provider AS provider, c.day AS day, c.model AS model,
        sum(c.amount) AS billed_cost, toDecimal128(0, 12) AS metered_cost,
        toUInt64(0) AS billed_input_tokens, toUInt64(0) AS metered_input_tokens,
        toUInt64(0) AS billed_output_tokens, toUInt64(0) AS metered_output_tokens,
        CAST(NULL, 'Nullable(UInt64)') AS billed_requests, toUInt64(0) AS metered_requests,
        toUInt64(0) AS unpriced_requests, toUInt8(0) AS has_usage
    FROM billed_costs AS c
    WHERE $__dateFilter(day)
      AND {_newest("cost", "c")}{{filters}}
    GROUP BY provider, day, model
    UNION ALL
    SELECT
        u.provider, u.day, u.model,
        toDecimal128(0, 12), toDecimal128(0, 12),
        sum(u.input_tokens), toUInt64(0),
        sum(u.output_tokens), toUInt64(0),
        sum(u.requests), toUInt64(0),
        toUInt64(0), toUInt8(1)
    FROM billed_usage AS u
    WHERE $__dateFilter(day)
      AND {_newest("usage", "u")}{{filters}}
    GROUP BY u.provider, u.day, u.model
    UNION ALL
    SELECT
        m.provider, m.day, m.model,
        toDecimal128(0, 12), sum(m.cost),
        toUInt64(0), sum(m.input_tokens),
        toUInt64(0), sum(m.output_tokens),
        CAST(NULL, 'Nullable(UInt64)'), sum(m.requests),
        -- calls without usage are metered calls whose tokens went missing: their gap reads
        -- as missing calls; only calls without a price are 'unpriced calls'
        toUInt64(sum(m.unpriced_requests) - least(sum(m.unpriced_requests),
            sum(m.usage_missing_requests))),
        toUInt8(0)
    FROM llm_cost_daily AS m
    WHERE $__dateFilter(day)
      AND (m.provider, m.day) IN (
        SELECT provider, day FROM billed_imports WHERE $__dateFilter(day)
      ){{filters}}
    GROUP BY m.provider, m.day, m.model
) AS r
GROUP BY provider, day, model"""

_VIEWS += [
    View(
        name="reconciliation",
        title="Billed vs metered",
        description=(
            "Per provider, UTC day and model: what the provider billed (its usage and cost "
            "reports) against what tokentrace metered, the gap (billed - metered) and its "
            "share of the bill, and the likely cause: 'unmetered' (billed, never seen), "
            "'missing calls' (billed tokens above metered), 'price or tier' (tokens match "
            "within 1 %, cost does not), 'unpriced calls', 'not billed', 'cost only' (no usage "
            "in the report, e.g. web search), 'matches'. Input tokens include cached ones."
        ),
        format=Format.TABLE,
        source="billed_costs",
        filtered_by=RECONCILIATION_FILTERS,
        template=f"""\
{_RECONCILIATION_ROWS}
ORDER BY day DESC, abs(gap) DESC, provider, model""",
    ),
    View(
        name="unmetered_spend",
        title="Unmetered spend",
        description=(
            "Billed spend the instrumentation never saw, per provider and model over the "
            "range: the whole bill of a model on days without any metered call of it, plus "
            "the gap on days where billed tokens exceed metered ones ('missing calls')."
        ),
        format=Format.TABLE,
        source="billed_costs",
        filtered_by=RECONCILIATION_FILTERS,
        template=f"""\
SELECT
    provider,
    model,
    sumIf(d.billed_cost, d.cause = 'unmetered') + sumIf(d.gap, d.cause = 'missing calls')
        AS unmetered_cost,
    sum(d.billed_cost) AS billed_cost,
    toFloat64(unmetered_cost) / nullIf(toFloat64(billed_cost), 0) AS unmetered_share,
    countIf(d.cause IN ('unmetered', 'missing calls')) AS days
FROM
(
{_RECONCILIATION_ROWS}
) AS d
GROUP BY provider, model
HAVING unmetered_cost > 0
ORDER BY unmetered_cost DESC, provider, model""",
    ),
    View(
        name="billed_by_key",
        title="Billed usage by API key",
        description=(
            "Billed tokens per provider, project (OpenAI) or workspace (Anthropic), API key "
            "and model over the range, with the key's name and redacted value from the "
            "provider's key list: where a gap comes from when a key is not instrumented."
        ),
        format=Format.TABLE,
        source="billed_usage",
        unit="short",
        filtered_by=RECONCILIATION_FILTERS,
        template=f"""\
SELECT
    u.provider AS provider,
    u.project_id AS project_id,
    u.api_key_id AS api_key_id,
    any(k.name) AS key_name,
    any(k.redacted_value) AS redacted_value,
    u.model AS model,
    sum(u.input_tokens) AS billed_input_tokens,
    sum(u.output_tokens) AS billed_output_tokens,
    sum(u.requests) AS billed_requests
FROM billed_usage AS u
LEFT JOIN
(
    SELECT provider, key_id, name, redacted_value FROM provider_api_keys FINAL
) AS k ON k.provider = u.provider AND k.key_id = u.api_key_id
WHERE $__dateFilter(day)
  AND {_newest("usage", "u")}{{filters}}
GROUP BY u.provider, u.project_id, u.api_key_id, u.model
ORDER BY billed_input_tokens + billed_output_tokens DESC,
    provider, project_id, api_key_id, model""",
    ),
]

# An instrumentation fingerprint is the key's redacted form and a salted hash,
# `sk-proj-…abcd#1a2b3c4d`; a provider lists the same key as `sk-proj-...abcd` (OpenAI) or
# `sk-ant-api03-R2D...igAA` (Anthropic). They name the same key when the last four characters
# agree and one visible prefix starts with the other.
_FINGERPRINT_PREFIX = "splitByString('…', m.api_key)[1]"
_FINGERPRINT_SUFFIX = "splitByChar('#', arrayElement(splitByString('…', m.api_key), 2))[1]"

_VIEWS.append(
    View(
        name="reconciliation_by_key",
        title="Billed vs metered by API key",
        description=(
            "Per provider, API key (from the provider's key list) and model over the range: "
            "billed tokens against the tokens of metered calls whose key fingerprint matches "
            "the key's redacted value. 'uninstrumented': billed, no metered call with that "
            "key; 'partly instrumented': billed tokens above metered; 'unlisted key': metered "
            "calls whose key the provider does not list; 'matches' within 1 %."
        ),
        format=Format.TABLE,
        source="billed_usage",
        unit="short",
        filtered_by=RECONCILIATION_FILTERS,
        template=f"""\
SELECT
    r.provider AS provider,
    r.api_key_id AS api_key_id,
    any(k.name) AS key_name,
    any(k.redacted_value) AS redacted_value,
    r.model AS model,
    sum(r.billed_input_tokens) AS billed_input_tokens,
    sum(r.billed_output_tokens) AS billed_output_tokens,
    sum(r.billed_requests) AS billed_requests,
    sum(r.metered_input_tokens) AS metered_input_tokens,
    sum(r.metered_output_tokens) AS metered_output_tokens,
    sum(r.metered_requests) AS metered_requests,
    toInt64(billed_input_tokens + billed_output_tokens)
        - toInt64(metered_input_tokens + metered_output_tokens) AS token_gap,
    multiIf(
        api_key_id = '', 'unlisted key',
        metered_requests = 0, 'uninstrumented',
        abs(token_gap) > {TOKEN_TOLERANCE} * (billed_input_tokens + billed_output_tokens),
            if(token_gap > 0, 'partly instrumented', 'more metered than billed'),
        'matches'
    ) AS status
FROM
(
    SELECT
        u.provider AS provider, u.api_key_id AS api_key_id, u.model AS model,
        sum(u.input_tokens) AS billed_input_tokens, sum(u.output_tokens) AS billed_output_tokens,
        sum(u.requests) AS billed_requests,
        toUInt64(0) AS metered_input_tokens, toUInt64(0) AS metered_output_tokens,
        toUInt64(0) AS metered_requests
    FROM billed_usage AS u
    WHERE $__dateFilter(day)
      AND {_newest("usage", "u")}{{filters}}
    GROUP BY provider, api_key_id, model
    UNION ALL
    SELECT
        m.provider,
        if(
            {_FINGERPRINT_PREFIX} != ''
                AND (startsWith(k.hint_prefix, {_FINGERPRINT_PREFIX})
                     OR startsWith({_FINGERPRINT_PREFIX}, k.hint_prefix)),
            k.key_id,
            ''
        ),
        m.model,
        toUInt64(0), toUInt64(0), CAST(NULL, 'Nullable(UInt64)'),
        sum(m.input_tokens), sum(m.output_tokens), sum(m.requests)
    FROM llm_cost_daily AS m
    LEFT JOIN
    (
        SELECT provider, key_id, hint_prefix, hint_suffix FROM provider_api_keys FINAL
        WHERE hint_suffix != ''
    ) AS k ON k.provider = m.provider AND k.hint_suffix = {_FINGERPRINT_SUFFIX}
    WHERE $__dateFilter(day)
      AND m.api_key != ''
      AND (m.provider, m.day) IN (
        SELECT provider, day FROM billed_imports WHERE $__dateFilter(day)
      ){{filters}}
    GROUP BY 1, 2, 3
) AS r
LEFT JOIN
(
    SELECT provider, key_id, name, redacted_value FROM provider_api_keys FINAL
) AS k ON k.provider = r.provider AND k.key_id = r.api_key_id
GROUP BY r.provider, r.api_key_id, r.model
ORDER BY billed_input_tokens + billed_output_tokens DESC, provider, api_key_id, model""",
    )
)

VIEWS: dict[str, View] = {view.name: view for view in _VIEWS}
