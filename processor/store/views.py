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
* Latency quantiles, per-conversation cost and single calls read the raw ``llm_calls``
  (``$__timeFilter(ts)``, its sort key's first column); latency over 12 hours or more reads
  per-bucket counts and the calls of one bucket per quantile from its projections (0012).
  Per-user cost reads it over whole UTC days (``toDate(ts)``), which its per-(day, tenant,
  user) projection answers.
* "Now" is always the range end (``$__toTime``), never ``now()``: a view answers for
  the range it is given, so a report for last month and a test with a fixed clock see
  the same numbers a dashboard showed then.
* Money is Decimal end to end, and so is budget utilization (80 % is exactly 0.8);
  other ratios (share, change, error rate, anomaly ratio) are Float64.
* ClickHouse resolves aliases before columns, anywhere in the query level: a column
  that a filter or another aggregate uses is never shadowed by an alias of the same
  name, or is qualified with the table alias (``sum(sum(d.cost)) OVER ()``).

The view model and its rendering live in ``view_sql.py``; the reconciliation views, which
read the providers' bills, in ``reconciliation_views.py``. This module is the catalogue, and
what readers import: :data:`VIEWS` and the rendering functions with it.
"""

from __future__ import annotations

from tokentrace.processor.extract.extractor import USAGE_UNITS
from tokentrace.processor.store.reconciliation_views import RECONCILIATION_VIEWS
from tokentrace.processor.store.view_sql import (
    CALL_FILTERS,
    HIGH_CARDINALITY,
    MAX_TOP,
    OTHER,
    TAG_DIMENSIONS,
    TOP_DEFAULT,
    TOP_DIMENSIONS,
    VARIABLES,
    WHOLE_TABLES,
    Format,
    View,
    _leaders_and_rest,
    _top_n,
    bind,
    check_instant,
    fetch,
    pending,
    render,
)

# What readers use through this module (the catalogue and the functions that render it).
__all__ = [
    "CALL_FILTERS",
    "HIGH_CARDINALITY",
    "MAX_TOP",
    "OTHER",
    "TAG_DIMENSIONS",
    "TOP_DIMENSIONS",
    "VARIABLES",
    "VIEWS",
    "Format",
    "View",
    "bind",
    "check_instant",
    "fetch",
    "render",
]


# ---------------------------------------------------------------- the views


# A group whose every call has an unknown cost has no cost (NULL, shown as unknown), never $0;
# a group with some has the cost of the others, and says how many are unknown.
_KNOWN_COST = "if(sum(d.unpriced_requests) = sum(d.requests), NULL, sum(d.cost)) AS cost"


# The same for any sum of the rollup (alias ``d``) over a range that may hold no call at all:
# calls made and every one of unknown cost is NULL; no calls at all is a real 0.
_KNOWN_SUM = (
    "if(sum(d.requests) > 0 AND sum(d.unpriced_requests) >= sum(d.requests), NULL, sum(d.{}))"
)


# The average cost of a call sent to a provider, over the calls of known cost (the calls a budget
# guard blocked never reached one: a known $0 that would halve the average). NULL when no sent
# call has a known cost; but calls that were all blocked are a known $0 each, so their average
# is $0, never unknown (it read "unknown" with no call of unknown cost beside it).
_COST_PER_REQUEST = """if(sum(d.requests) > 0 AND sum(d.blocked_requests) = sum(d.requests),
        toDecimal128(0, 12),
        sum(d.cost)
            / nullIf(sum(d.requests) - sum(d.unpriced_requests) - sum(d.blocked_requests), 0))
        AS cost_per_request"""


# The cost of failed calls, the same way: NULL when every failed call has an unknown cost
# (failed_unpriced_requests, migration 0017), the known part of it otherwise; no failed calls
# at all is a real 0.
_FAILED_COST = (
    "if(sum(d.failed_requests) > 0 AND sum(d.failed_unpriced_requests) >= sum(d.failed_requests),"
    " NULL, sum(d.failed_cost))"
)


# The extra usage units (extract.USAGE_UNITS), as (unit, tokens, cost) tuples of the rollup's
# sums: migration 0010.
_UNIT_SUMS = ",\n        ".join(
    f"('{unit}', sum(d.{unit}_tokens), sum(d.{unit}_cost))"
    for unit in (unit.removesuffix("_tokens") for unit in USAGE_UNITS)
)


# Exact latency quantiles (migration 0012). quantilesExact(level) is the element at 0-based
# rank floor(level * n) of the sorted latencies, NaN skipped (n counts the others). The plan,
# one scalar subquery (run once), counts the successful calls per provider and latency bucket
# and finds the bucket holding each rank and the rank within it: whole UTC days of the range
# from the latency_daily projection, the other whole hours from latency_hourly, the partial
# first and last hour from the calls. Then only the calls of those buckets are read (the
# latency_values projection keeps a provider's bucket in a time range as one slice) and
# sorted. That costs a few more table reads than sorting every call (each read of llm_calls
# costs 5-10 ms of planning at 100M calls, 24 parts, even one that selects nothing), so it pays
# from about 1M calls: ranges shorter than :data:`_LATENCY_COUNTS_FROM` (12 hours, ~0.6-0.9M
# calls at 100M calls in 90 days; at 100M the two cost the same at 12 hours, counting saves
# ~25 % at 24 hours and ~30 % at 29) sort every call as before. So does a range with a
# dashboard variable set (the projections hold none but provider): ``from_counts`` checks the
# variables' conditions against a row no selection matches (NUL values). So do the report's
# and the API's call filters and exact ranges, which swap the table for a subquery
# (``whole_tables``, view_sql._narrowed). Each branch reads nothing when the other answers,
# and both apply every condition, so either gives the answer.
#
# The bucket is the top 17 bits of the Float64 (sign, 11 of exponent, 5 of mantissa: 32 per
# doubling, each ~2.2 % wide), which never decreases as a positive latency grows; zero and
# below share bucket 0, NaN has 65535. Migration 0012 spells the same expression (ClickHouse
# matches projections by expression).
_LATENCY_BUCKET = (
    "multiIf(isNaN(latency_ms), 65535, latency_ms <= 0, 0, "
    "toUInt16(bitShiftRight(reinterpretAsUInt64(latency_ms), 47)))"
)
# The calls each source counts: whole days, the remaining whole hours, the partial hours.
_LATENCY_TIERS = (
    "toDate(ts) >= first_day AND toDate(ts) < end_day",
    "toStartOfHour(ts) >= first_hour AND toStartOfHour(ts) < end_hour\n                  AND "
    "(toStartOfHour(ts) < first_day_start OR toStartOfHour(ts) >= end_day_start)",
    "$__timeFilter(ts) AND (ts < first_hour OR ts >= end_hour)",
)
_LATENCY_COUNTS = "\n                UNION ALL\n".join(
    f"""\
                SELECT provider, {_LATENCY_BUCKET} AS bucket, count() AS calls
                FROM llm_calls
                WHERE {tier} AND from_counts
                  AND status != 'error'{{filters}}
                GROUP BY provider, bucket"""
    for tier in _LATENCY_TIERS
)
_LATENCY_COUNTS_FROM = 12 * 3600
_NO_SELECTION = ", ".join(f"char(0) AS {variable}" for variable in VARIABLES)
_LATENCY_QUANTILES = f"""\
WITH
    toDateTime($__fromTime, 'UTC') AS range_start,
    toDateTime($__toTime, 'UTC') AS range_end,
    toStartOfHour(range_start + 3599) AS first_hour,
    toStartOfHour(range_end) AS end_hour,
    toDate(range_start + 86399, 'UTC') AS first_day,
    toDate(range_end, 'UTC') AS end_day,
    toDateTime(first_day, 'UTC') AS first_day_start,
    toDateTime(end_day, 'UTC') AS end_day_start,
    {WHOLE_TABLES},
    whole_tables AND dateDiff('second', range_start, range_end) >= {_LATENCY_COUNTS_FROM} AND (
        SELECT count() = 1
        FROM (SELECT {_NO_SELECTION})
        WHERE 1 = 1{{filters}}
    ) AS from_counts,
    (
        SELECT groupArray((provider, requests, targets))
        FROM (
            SELECT
                provider,
                sum(calls) AS requests,
                arraySort(groupArrayIf((bucket, calls), bucket != 65535)) AS histogram,
                arrayCumSum(arrayMap(h -> h.2, histogram)) AS cumulative,
                arrayMap(level -> toUInt64(level * cumulative[-1]), [0.5, 0.95, 0.99]) AS ranks,
                arrayMap(rank -> arrayFirstIndex(c -> c > rank, cumulative), ranks) AS positions,
                if(empty(histogram), [], arrayMap((rank, i) -> (histogram[i].1,
                    rank - (cumulative[i] - histogram[i].2)), ranks, positions)) AS targets
            FROM (
                SELECT provider, bucket, sum(calls) AS calls
                FROM (
{_LATENCY_COUNTS}
                )
                GROUP BY provider, bucket
            )
            GROUP BY provider
        )
    ) AS plan
SELECT provider, requests, p50_ms, p95_ms, p99_ms
FROM (
    SELECT
        p.provider AS provider,
        p.requests AS requests,
        arrayFirst(s -> s.1 = p.targets[1].1, v.slices).2[p.targets[1].2 + 1] AS p50_ms,
        arrayFirst(s -> s.1 = p.targets[2].1, v.slices).2[p.targets[2].2 + 1] AS p95_ms,
        arrayFirst(s -> s.1 = p.targets[3].1, v.slices).2[p.targets[3].2 + 1] AS p99_ms
    FROM (
        SELECT entry.1 AS provider, entry.2 AS requests, entry.3 AS targets
        FROM (SELECT arrayJoin(plan) AS entry)
    ) AS p
    LEFT JOIN (
        SELECT provider, groupArray((bucket, sorted)) AS slices
        FROM (
            SELECT
                provider, {_LATENCY_BUCKET} AS bucket,
                arraySort(groupArray(latency_ms)) AS sorted
            FROM llm_calls
            WHERE $__timeFilter(ts) AND from_counts
              AND status != 'error'{{filters}}
              AND (provider, bucket) IN (
                SELECT arrayJoin(arrayFlatten(arrayMap(e -> arrayMap(t -> (e.1, t.1), e.3), plan))))
            GROUP BY provider, bucket
        )
        GROUP BY provider
    ) AS v ON v.provider = p.provider
    UNION ALL
    SELECT
        provider,
        count() AS requests,
        quantilesExact(0.5, 0.95, 0.99)(latency_ms)[1] AS p50_ms,
        quantilesExact(0.5, 0.95, 0.99)(latency_ms)[2] AS p95_ms,
        quantilesExact(0.5, 0.95, 0.99)(latency_ms)[3] AS p99_ms
    FROM llm_calls
    WHERE $__timeFilter(ts) AND NOT from_counts
      AND status != 'error'{{filters}}
    GROUP BY provider
)
ORDER BY provider"""


# The 50 costliest calls of the range (migrations 0014, 0030). Reading 13 columns of 50 rows
# scattered over the range costs more at 100M calls than finding them (each row decompresses a
# block of every column: ~2 ms a row), so the whole UTC days of the range come from the
# top_calls_known_first projection, which keeps each day's 50 costliest calls whole as tuples
# in the view's order: the 50 costliest of several days are among the union of each day's 50.
# Only the calls of the partial first and last day are read from the table, and only those at
# or above the 50th cost of the whole days (``floor``; the cost index skips the granules below
# it), so few rows are read whole. A range without a whole day, or with a dashboard variable
# set (the projection holds none), or the report's and the API's call filters and exact ranges
# (``whole_tables``, view_sql._narrowed) take the other branch: the 50 costliest calls straight
# from the table.
# Each branch reads nothing when the other answers, and both apply every condition.
_TOP_CALL_COLUMNS = (
    "ts", "trace_id", "span_id", "provider", "model", "team", "feature", "tenant", "user",
    "input_tokens", "output_tokens", "cost", "priced", "latency_ms", "status",
)  # fmt: skip
# Descending cost, then known before unknown cost, then descending time, as the view orders;
# the columns after break exact ties only. Migration 0030 spells the same expression.
_TOP_CALL_KEY = ("-cost", "-priced", "-toUnixTimestamp64Micro(ts)")
_TOP_CALL = f"({', '.join(_TOP_CALL_KEY + _TOP_CALL_COLUMNS)})"
# The view's order, the same as far as a call's ids: calls of equal cost and time come out in
# one order, and the same ones are cut at the 50th, every time (a script reading `report
# --format json` relies on it). Cost comes first, for the cost index's top-K filter. A call of
# unknown cost (stored at 0) ranks at its lower bound, after the calls known to cost 0 dollars,
# not among them by time (migration 0030). The ids tell calls apart (the deduper stores a span
# once), so the other columns stay out of the sort and are read for the 50 rows kept only
# (ClickHouse's lazy columns: every column in the sort cost ~18 % more time on the exact branch
# at 1M calls).
_TOP_CALL_ORDER = "cost DESC, priced DESC, ts DESC, trace_id, span_id"
_TOP_CALL_SELECT = ",\n        ".join(_TOP_CALL_COLUMNS)
_TOP_CALL_FROM_LEADER = ",\n        ".join(
    f"leader.{n} AS {column}"
    for n, column in enumerate(_TOP_CALL_COLUMNS, start=len(_TOP_CALL_KEY) + 1)
)
_TOP_CALLS = f"""\
WITH
    toDateTime($__fromTime, 'UTC') AS range_start,
    toDateTime($__toTime, 'UTC') AS range_end,
    toDate(range_start + 86399, 'UTC') AS first_day,
    toDate(range_end, 'UTC') AS end_day,
    toDateTime(first_day, 'UTC') AS first_day_start,
    toDateTime(end_day, 'UTC') AS end_day_start,
    {WHOLE_TABLES},
    whole_tables AND first_day < end_day AND (
        SELECT count() = 1
        FROM (SELECT {_NO_SELECTION})
        WHERE 1 = 1{{filters}}
    ) AS from_days,
    (
        SELECT groupArraySortedArray(50)(leaders)
        FROM (
            SELECT groupArraySorted(50)({_TOP_CALL}) AS leaders
            FROM llm_calls
            WHERE toDate(ts) >= first_day AND toDate(ts) < end_day AND from_days{{filters}}
            GROUP BY toDate(ts)
        )
    ) AS day_leaders,
    if(length(day_leaders) < 50, NULL, -day_leaders[50].1) AS floor
SELECT
    {", ".join(_TOP_CALL_COLUMNS)}
FROM (
    SELECT
        {_TOP_CALL_FROM_LEADER}
    FROM (SELECT arrayJoin(day_leaders) AS leader)
    UNION ALL
    SELECT
        {_TOP_CALL_SELECT}
    FROM llm_calls
    WHERE $__timeFilter(ts) AND (ts < first_day_start OR ts >= end_day_start) AND from_days
      AND (floor IS NULL OR cost >= floor){{filters}}
    ORDER BY {_TOP_CALL_ORDER}
    LIMIT 50
    UNION ALL
    SELECT
        {_TOP_CALL_SELECT}
    FROM llm_calls
    WHERE $__timeFilter(ts) AND NOT from_days{{filters}}
    ORDER BY {_TOP_CALL_ORDER}
    LIMIT 50
)
ORDER BY {_TOP_CALL_ORDER}
LIMIT 50"""
# The range's calls no ranking by cost can place, which every row of top_calls repeats, and
# which the API answers on their own when there is no row (View.unranked).
_UNRANKED = (
    (
        "unpriced_requests",
        "(\n        SELECT countIf(priced = 0)\n        FROM llm_calls\n"
        "        WHERE $__timeFilter(ts){filters}\n    )",
    ),
    (
        "dead_lettered_requests",
        f"(\n        SELECT count()\n        {pending('$__timeFilter(l.ts)')}\n    )",
    ),
)
# What the view shows of them: an unpriced call's cost is unknown (NULL), never $0. Around the
# query, so that its order and cut read the stored cost. Beside every row, the range's calls no
# ranking by cost can place (any of them may cost more than the calls listed): those of unknown
# cost (ranked at 0 dollars, after the calls known to cost that, listed if at all) and those
# serve could not store (never listed).
_TOP_CALLS_SHOWN = (
    "SELECT\n    "
    + ",\n    ".join(
        "if(t.priced = 0, NULL, t.cost) AS cost" if c == "cost" else f"t.{c} AS {c}"
        for c in _TOP_CALL_COLUMNS
    )
    + "".join(f",\n    {sql} AS {name}" for name, sql in _UNRANKED)
    + f"\nFROM\n(\n{_TOP_CALLS}\n) AS t\nORDER BY "
    + ", ".join(f"t.{term}" for term in _TOP_CALL_ORDER.split(", "))
)


# A share is of the known spend: the calls of unknown cost of every row (their cost is in no
# row's share, nor in the whole it is a share of) are counted beside it, so a share that reads
# 100 % of $5 known never passes for the whole when 40 calls cost an unknown amount; and so are
# the calls serve could not store, of every row (a row's own are in dead_lettered_requests, but
# a reader of one row, or of a top-N cut, cannot add up the window's).
_SHARE_LEAVES_OUT = (
    "sum(sum({0}.unpriced_requests)) OVER () AS share_unpriced_requests,\n"
    "    sum(sum({0}.dead_lettered_requests)) OVER () AS share_dead_lettered_requests"
)


# What a breakdown sums of the rollup (with the calls not stored beside: _with_dead_letters).
_SUMS = ("cost", "requests", "unpriced_requests")
_REPORTED_SUMS = (
    "reported_requests", "reported_cost", "compared_requests", "compared_reported_cost",
    "compared_computed_cost",
)  # fmt: skip
_CACHE_SUMS = (
    "requests", "unpriced_requests", "cache_read_tokens", "cache_write_tokens",
    "cache_read_cost", "cache_write_cost", "cache_savings",
)  # fmt: skip
_BLOCKED_SUMS = (*_SUMS, "blocked_requests")
_TOKEN_SUMS = (
    "input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens",
    "reasoning_tokens", "usage_missing_requests",
)  # fmt: skip


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
            _with_dead_letters(dimension, _BLOCKED_SUMS, indent="        "),
            _KNOWN_COST.replace("d.", "ranked.") + ",\n    sum(ranked.requests) AS requests,\n"
            "    sum(ranked.blocked_requests) AS blocked_requests,\n"
            "    sum(ranked.unpriced_requests) AS unpriced_requests,\n"
            "    toFloat64(cost) / nullIf(toFloat64(sum(sum(ranked.cost)) OVER ()), 0) AS share,\n"
            f"    {_SHARE_LEAVES_OUT.format('ranked')},\n"
            "    sum(ranked.dead_lettered_requests) AS dead_lettered_requests",
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
    toFloat64(cost) / nullIf(toFloat64(sum(sum(d.cost)) OVER ()), 0) AS share,
    {_SHARE_LEAVES_OUT.format("d")},
    sum(d.dead_lettered_requests) AS dead_lettered_requests
FROM
(
{_with_dead_letters(dimension, _SUMS, indent="    ")}
) AS d
GROUP BY {dimension}
ORDER BY cost DESC, {dimension}"""
    else:
        template = _top_n(
            dimension,
            _with_dead_letters(dimension, _SUMS, indent="        "),
            _KNOWN_COST.replace("d.", "ranked.") + ",\n    sum(ranked.requests) AS requests,\n"
            "    sum(ranked.unpriced_requests) AS unpriced_requests,\n"
            "    toFloat64(cost) / nullIf(toFloat64(sum(sum(ranked.cost)) OVER ()), 0) AS share,\n"
            f"    {_SHARE_LEAVES_OUT.format('ranked')},\n"
            "    sum(ranked.dead_lettered_requests) AS dead_lettered_requests",
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


# The budget dimensions a projection of the rollup without tenant holds (migrations 0002, 0009).
_NARROW_BUDGET_KEYS = (
    "provider", "model", "operation", "service", "environment", "team", "feature", "agent",
)  # fmt: skip
_ALL_BUDGET_KEYS = (*_NARROW_BUDGET_KEYS[:7], "tenant", "agent", "api_key", "endpoint")


# A budget period, and the days of its spend (``today`` is the day of the range end).
_BUDGET_PERIODS = (
    ("day", "day = today"),
    ("week", "day >= toMonday(today)"),
    ("month", "day >= toStartOfMonth(today)"),
)


def _budget_of_period(column: str) -> str:
    """The budget's ``column`` (cost, calls, unknown, lost) of the spend rows it matches: those
    of its source, and the calls not stored (source 0), which match every budget's keys."""
    return (
        f"sumIf(multiIf(b.period = 'day', s.day_{column}, b.period = 'week', s.week_{column}, "
        f"s.month_{column}),\n        s.source IN (b.source, 0) AND arrayAll((k, v) -> "
        "s.dims[k] = v, mapKeys(b.filters), mapValues(b.filters)))"
    )


_BUDGET_COLUMNS = ("cost", "calls", "unknown", "lost")


def _budget_spend(source: int, keys: tuple[str, ...]) -> str:
    """Spend in each period (today, this week, this month) by ``keys``, those that no budget
    filters on blanked, for the budgets of ``source``: summed per day by plain columns first,
    so that the rollup's smallest projection holding ``keys`` answers it. Source 0 is the
    calls serve could not store (pending dead letters), by every key: ``lost``."""
    blanked = ",\n            ".join(f"if(has(budget_keys, '{k}'), {k}, '') AS k_{k}" for k in keys)
    dims = ", ".join(f"'{k}', k_{k}" for k in keys)
    sums = ",\n        ".join(
        f"sumIf({column}, {since}) AS {period}_{column}"
        for period, since in _BUDGET_PERIODS
        for column in _BUDGET_COLUMNS
    )
    group = ", ".join(f"k_{k}" for k in keys)
    days = "day >= least(toMonday(today), toStartOfMonth(today)) AND day <= today"
    if source == 0:
        inner = f"""\
        SELECT
            l.day AS day,
            {blanked},
            toDecimal128(0, 12) AS cost,
            toUInt64(0) AS calls,
            toUInt64(0) AS unknown,
            count() AS lost
        {pending(days, filters=False)}
        GROUP BY day, {group}"""
    else:
        needed = "" if source == 1 else f"\n          AND has(sources, {source})"
        inner = f"""\
        SELECT
            day,
            {blanked},
            sum(d.cost) AS cost,
            sum(d.requests) AS calls,
            sum(d.unpriced_requests) AS unknown,
            toUInt64(0) AS lost
        FROM llm_cost_daily AS d
        WHERE {days}{needed}
        GROUP BY day, {group}"""
    return f"""\
    SELECT
        {source} AS source,
        map({dims}) AS dims,
        {sums}
    FROM
    (
{inner}
    )
    GROUP BY {group}"""


# Which spend rows a budget is matched against: 1, by the dimensions of the projection without
# tenant (and the global budget); 2, by tenant alone (the (day, tenant) projection); 3, by
# every dimension (the rollup itself), only for budgets that need it.
_BUDGET_SOURCE = (
    "multiIf(arrayAll(k -> has(["
    + ", ".join(f"'{k}'" for k in _NARROW_BUDGET_KEYS)
    + "], k), mapKeys(filters)), 1, mapKeys(filters) = ['tenant'], 2, 3)"
)

_BUDGET_UTILIZATION = f"""\
WITH
    toDate($__toTime, 'UTC') AS today,
    (SELECT groupUniqArrayArray(mapKeys(filters)) FROM budgets FINAL WHERE deleted = 0)
        AS budget_keys,
    (SELECT groupUniqArray({_BUDGET_SOURCE}) FROM budgets FINAL WHERE deleted = 0) AS sources
SELECT
    b.scope AS scope,
    b.period AS period,
    -- the label a gauge shows: with the calls of unknown cost its spend leaves out, if any
    concat(if(b.scope = '', 'all', b.scope), ' (', b.period, ')',
        if(unpriced_requests > 0, concat(' + ', toString(unpriced_requests), ' unknown'), ''),
        if(dead_lettered_requests > 0,
            concat(' + ', toString(dead_lettered_requests), ' not stored'), ''))
        AS budget,
    multiIf(b.period = 'day', today, b.period = 'week', toMonday(today), toStartOfMonth(today))
        AS period_start,
    b.amount AS amount,
    if(requests > 0 AND unpriced_requests >= requests
        OR requests = 0 AND dead_lettered_requests > 0, NULL,
        {_budget_of_period("cost")}) AS spent,
    spent / nullIf(b.amount, 0) AS utilization,
    {_budget_of_period("calls")} AS requests,
    {_budget_of_period("unknown")} AS unpriced_requests,
    -- the calls of the period serve could not store: in no spend above
    {_budget_of_period("lost")} AS dead_lettered_requests
FROM
(
    SELECT scope, filters, period, amount, {_BUDGET_SOURCE} AS source
    FROM budgets FINAL
    WHERE deleted = 0
) AS b
CROSS JOIN
(
    -- Spend by the dimensions that some budget filters on (the others blanked), so that the
    -- join sees a handful of rows rather than every rollup row of every day; each budget
    -- reads the rows of its source.
{_budget_spend(1, _NARROW_BUDGET_KEYS)}
    UNION ALL
{_budget_spend(2, ("tenant",))}
    UNION ALL
{_budget_spend(3, _ALL_BUDGET_KEYS)}
    UNION ALL
{_budget_spend(0, _ALL_BUDGET_KEYS)}
    UNION ALL
    -- keeps budgets without any spend in the result (at 0)
    SELECT
        0,
        CAST(map(), 'Map(String, String)'),
        {", ".join(["toDecimal128(0, 12), toUInt64(0), toUInt64(0), toUInt64(0)"] * 3)}
) AS s
GROUP BY b.scope, b.period, b.amount, b.filters
ORDER BY utilization DESC, scope, period"""


# The anomalies view's scopes: all, and one branch per team, feature and tenant.
_ANOMALY_DAYS = "day >= toDate($__fromTime, 'UTC') - 7 AND day <= toDate($__toTime, 'UTC')"
_LETTER_DAYS = "l.day >= toDate($__fromTime, 'UTC') - 7 AND l.day <= toDate($__toTime, 'UTC')"
_ANOMALY_SCOPES = "\n        UNION ALL\n".join(
    (
        "        SELECT 'all' AS scope, day, sum(d.cost) AS cost,\n"
        "            sum(d.unpriced_requests) AS unknown, sum(d.requests) AS calls,\n"
        "            toUInt64(0) AS lost\n"
        "        FROM llm_cost_daily AS d\n"
        f"        WHERE {_ANOMALY_DAYS}{{filters}}\n"
        "        GROUP BY day",
        *(
            f"        SELECT concat('{scope}=', d.{scope}), day, sum(d.cost),\n"
            "            sum(d.unpriced_requests), sum(d.requests), toUInt64(0)\n"
            "        FROM llm_cost_daily AS d\n"
            f"        WHERE {_ANOMALY_DAYS}\n"
            f"          AND d.{scope} != ''{{filters}}\n"
            f"        GROUP BY d.{scope}, day"
            for scope in ("team", "feature", "tenant")
        ),
        # the calls serve could not store, per scope and day: a day of those only is no $0 day
        *(
            f"        SELECT {label}, l.day, toDecimal128(0, 12), toUInt64(0), toUInt64(0), "
            "count()\n"
            f"        {pending(_LETTER_DAYS)}"
            f"{where}\n"
            f"        GROUP BY {group}"
            for label, where, group in (
                ("'all'", "", "l.day"),
                *(
                    (
                        f"concat('{scope}=', l.{scope})",
                        f"\n          AND l.{scope} != ''",
                        f"l.{scope}, l.day",
                    )
                    for scope in ("team", "feature", "tenant")
                ),
            )
        ),
    )
)

_DEAD_LETTERED = f"""(
        SELECT count()
        {pending()}
    ) AS dead_lettered_requests"""


def _with_dead_letters(keys: str, sums: tuple[str, ...], indent: str = "") -> str:
    """Rows of the rollup by ``keys`` (its ``sums``) over the range, with the pending dead
    letters of each (``dead_lettered_requests``): a value whose only calls were not stored has
    a row of 0 calls and as many not stored, so no breakdown leaves them out silently."""
    money = {s: "toDecimal128(0, 12)" for s in sums if s.endswith(("cost", "savings"))}
    summed = ", ".join(f"sum(w.{s}) AS {s}" for s in sums)
    rolled = ", ".join(f"sum(d.{s}) AS {s}" for s in sums)
    zeros = ", ".join(money.get(s, "toUInt64(0)") for s in sums)
    sql = f"""\
SELECT {keys}, {summed}, sum(w.dead_lettered_requests) AS dead_lettered_requests
FROM
(
    SELECT {keys}, {rolled}, toUInt64(0) AS dead_lettered_requests
    FROM llm_cost_daily AS d
    WHERE $__dateFilter(day){{filters}}
    GROUP BY {keys}
    UNION ALL
    SELECT {keys}, {zeros}, count()
    {pending(indent="    ")}
    GROUP BY {keys}
) AS w
GROUP BY {keys}"""
    return "\n".join(indent + line if line else line for line in sql.splitlines())


# The letters of the conversations of the range (their own instant, migration 0029).
_CONVERSATION_LETTERS = "$__timeFilter(l.ts)\n                  AND l.conversation != ''"


def _calls_and_letters(keys: str, merged: str, calls: str, group: str, letters: str) -> str:
    """The groups of the range's calls by ``keys`` (``calls``: their SELECT … WHERE, ``group``
    its GROUP BY), with the groups of the pending dead letters (``letters``, a SELECT) merged in
    by ``merged``, a SELECT list over ``w``.

    Merging means grouping every group again by its string keys: 25–28 % of cost_by_conversation's
    CPU and 13–18 % of cost_by_user's at 10M calls (BENCHMARKS.md, issue 15), for letters that
    are usually not there. So the calls' groups are the answer as they are when the range holds
    no letter, and are merged (grouped again) only when it does. Each branch's condition is a
    scalar subquery, a constant by the time the reads are planned, so the other branch reads
    nothing; with no letter the first keeps 0008's projection for cost_by_user."""
    has = f"(SELECT count() > 0 FROM ({letters}))"
    return f"""\
            SELECT * FROM
            (
                {calls}
                  AND NOT {has}
                {group}
            )
            UNION ALL
            SELECT
                {merged}
            FROM
            (
                {calls}
                  AND {has}
                {group}
                UNION ALL
                -- the calls serve could not store (migration 0029): 0 requests, cost unknown
                {letters}
            ) AS w
            GROUP BY {keys}"""


_VIEWS: list[View] = [
    View(
        name="totals",
        title="Totals",
        description=(
            "Spend, requests and tokens over the range (whole days). cost is the known cost: "
            "a lower bound when unpriced_requests > 0, NULL (unknown) when every call's cost "
            "is unknown; cost_per_request averages the calls of known cost sent to a provider (not "
            "the calls a budget guard blocked; 0 when every call was blocked). failed_cost is "
            "the same for the failed calls (failed_unpriced_requests of them unknown). "
            "dead_lettered_requests are calls serve could not store (tokentrace dead-letters "
            "list): in no other column, cost NULL when they are the range's only calls; "
            "failed_dead_lettered_requests those of them that failed (failed_cost NULL when "
            "they are the only failed calls, a lower bound beside them)."
        ),
        format=Format.TABLE,
        source="llm_cost_daily",
        template=f"""\
SELECT
    if(sum(d.requests) = 0 AND dead_lettered_requests > 0, NULL, {_KNOWN_SUM.format("cost")})
        AS cost,
    sum(d.requests) AS requests,
    {_COST_PER_REQUEST},
    sum(d.input_tokens) AS input_tokens,
    sum(d.output_tokens) AS output_tokens,
    sum(d.cache_read_tokens) AS cache_read_tokens,
    sum(d.cache_write_tokens) AS cache_write_tokens,
    sum(d.reasoning_tokens) AS reasoning_tokens,
    sum(d.unpriced_requests) AS unpriced_requests,
    sum(d.usage_missing_requests) AS usage_missing_requests,
    sum(d.failed_requests) AS failed_requests,
    -- the only failed calls were not stored: what failures cost is unknown, not zero
    if(sum(d.failed_requests) = 0 AND failed_dead_lettered_requests > 0, NULL, {_FAILED_COST})
        AS failed_cost,
    sum(d.failed_unpriced_requests) AS failed_unpriced_requests,
    if(sum(d.requests) = 0 AND dead_lettered_requests > 0, NULL,
        {_KNOWN_SUM.format("cache_savings")}) AS cache_savings,
    sum(d.blocked_requests) AS blocked_requests,
    {_DEAD_LETTERED},
    (
        SELECT count()
        {pending("$__dateFilter(l.day) AND l.status = 'error'")}
    ) AS failed_dead_lettered_requests
FROM llm_cost_daily AS d
WHERE $__dateFilter(day){{filters}}""",
    ),
    View(
        name="month_to_date",
        title="Spend this month",
        description=(
            "Spend in the calendar month (UTC) of the range end, and the month-end forecast: "
            "month-to-date spend plus the rest of the month at the average rate of the 7 "
            "whole days before today (at this month's own rate when those had no spend), so "
            "it is sensible on the 1st and does not swing with the hour of day. Both are "
            "lower bounds while unpriced_requests (this month) or last_week_unpriced_requests "
            "> 0 (forecast_unpriced_requests: the calls of either, counted once), and NULL "
            "(unknown) when every call this month has an unknown cost. dead_lettered_requests "
            "are this month's calls serve could not store, in neither (lower bounds while there "
            "are some; NULL when they are the month's only calls); "
            "forecast_dead_lettered_requests: those of this month or of the 7 days before. "
            "last_week_requests are the calls stored in those 7 days: with it, requests and "
            "forecast_dead_lettered_requests all 0, the forecast is of no calls. last_week is "
            "the known spend of those 7 days (NULL when all their calls have an unknown cost "
            "or were not stored: last_week_dead_lettered_requests)."
        ),
        whole_days=True,
        format=Format.TABLE,
        source="llm_cost_daily",
        template=f"""\
WITH
    toDate($__toTime, 'UTC') AS today,
    toStartOfMonth(today) AS month_start,
    toDateTime(month_start, 'UTC') AS month_begins,
    dateDiff('second', month_begins, $__toTime) AS elapsed_s,
    dateDiff('second', $__toTime, toDateTime(addMonths(month_start, 1), 'UTC')) AS remaining_s,
    (
        SELECT (
            countIf(l.day >= month_start), count(), countIf(l.day >= today - 7 AND l.day < today)
        )
        {pending("l.day >= least(month_start, today - 7) AND l.day <= today")}
    ) AS pending
SELECT
    month_start,
    -- no stored call this month but some not stored: unknown, not zero
    if(requests > 0 AND unpriced_requests >= requests OR requests = 0 AND pending.1 > 0, NULL,
        sumIf(p.spent, p.this_month)) AS cost,
    -- the 7 days before today whose every call has an unknown cost, or was not stored, have
    -- no known spend (NULL), not 0; the forecast then runs at this month's rate, as without spend
    if(sumIf(p.calls, p.in_last_week) > 0
        AND last_week_unpriced_requests >= sumIf(p.calls, p.in_last_week)
        OR sumIf(p.calls, p.in_last_week) = 0 AND pending.3 > 0, NULL,
        sumIf(p.spent, p.in_last_week)) AS last_week,
    -- spend times the seconds left over the seconds it took, multiplied first so that the one
    -- division truncates once at 12 places (a per-second rate cut to 12 places first lost up
    -- to ~0.6 % of a tiny spend: 0.000299232115 dollars for 0.000300000192)
    cost + if(last_week > 0, last_week * greatest(remaining_s, 0) / (7 * 86400),
        cost * greatest(remaining_s, 0) / greatest(elapsed_s, 1)) AS forecast,
    sumIf(p.calls, p.this_month) AS requests,
    sumIf(p.unknown, p.this_month) AS unpriced_requests,
    sumIf(p.unknown, p.in_last_week) AS last_week_unpriced_requests,
    -- the calls of the 7 days before today: with none, nor any this month, the forecast's 0 is
    -- no spend to read (the forecast stat says "no calls")
    sumIf(p.calls, p.in_last_week) AS last_week_requests,
    -- the calls of unknown cost the forecast leaves out: this month's and last week's, once
    sumIf(p.unknown, p.this_month OR p.in_last_week) AS forecast_unpriced_requests,
    -- the calls serve could not store: this month's, and those the forecast leaves out
    pending.1 AS dead_lettered_requests,
    pending.2 AS forecast_dead_lettered_requests,
    -- and those of the 7 days before today, in no last_week
    pending.3 AS last_week_dead_lettered_requests
FROM
(
    -- a plain sum() per period, so the rollup's smallest projection can answer it
    SELECT
        day >= month_start AS this_month,
        day >= today - 7 AND day < today AS in_last_week,
        sum(d.cost) AS spent,
        sum(d.requests) AS calls,
        sum(d.unpriced_requests) AS unknown
    FROM llm_cost_daily AS d
    WHERE day >= least(month_start, today - 7) AND day <= today{{filters}}
    GROUP BY this_month, in_last_week
) AS p""",
    ),
    View(
        name="spend_change",
        title="Change vs previous period",
        description=(
            "Spend over the range against the same number of whole days just before it; "
            "change is (cost / previous_cost) - 1 over the calls of known cost, NULL without "
            "previous spend or when either period's cost is unknown. Calls of unknown cost "
            "(unpriced_requests, previous_unpriced_requests) are left out of both costs (a "
            "lower bound then, NULL if all are): change_complete is 0 when there are some "
            "(compared_unpriced_requests: both periods'), the change then that of the known "
            "spend only (a self-hosted model without a price leaves it exact for the rest). "
            "change_basis says which: 'change', 'change of known spend', or why change is "
            "NULL: 'no calls before', 'no spend before' (calls of a known $0), 'previous cost "
            "unknown', 'cost unknown' (every call of the range of unknown cost). "
            "dead_lettered_requests and previous_dead_lettered_requests are each period's calls "
            "serve could not store, left out of its cost the same way (change_complete 0)."
        ),
        whole_days=True,
        format=Format.TABLE,
        source="llm_cost_daily",
        unit="percentunit",
        template=f"""\
WITH
    toDate($__fromTime, 'UTC') AS first_day,
    toDate($__toTime, 'UTC') AS last_day,
    dateDiff('day', first_day, last_day) + 1 AS days,
    (
        SELECT (countIf(l.day >= first_day), countIf(l.day < first_day))
        {pending("l.day >= first_day - days AND l.day <= last_day")}
    ) AS pending
SELECT
    if(sumIf(calls, current) > 0 AND unpriced_requests >= sumIf(calls, current)
        OR sumIf(calls, current) = 0 AND dead_lettered_requests > 0, NULL,
        sumIf(spent, current)) AS cost,
    if(sumIf(calls, NOT current) > 0 AND previous_unpriced_requests >= sumIf(calls, NOT current)
        OR sumIf(calls, NOT current) = 0 AND previous_dead_lettered_requests > 0,
        NULL, sumIf(spent, NOT current)) AS previous_cost,
    toFloat64(cost) / toFloat64(nullIf(previous_cost, 0)) - 1 AS change,
    sumIf(unknown, current) AS unpriced_requests,
    sumIf(unknown, NOT current) AS previous_unpriced_requests,
    -- the calls serve could not store, of each period: in neither cost
    pending.1 AS dead_lettered_requests,
    pending.2 AS previous_dead_lettered_requests,
    toUInt8(unpriced_requests + previous_unpriced_requests = 0
        AND dead_lettered_requests + previous_dead_lettered_requests = 0) AS change_complete,
    -- the calls of unknown cost the change leaves out: both periods'
    unpriced_requests + previous_unpriced_requests AS compared_unpriced_requests,
    -- what the change is, and why it is NULL: no calls before is not an unknown cost before
    multiIf(
        cost IS NULL, 'cost unknown',
        sumIf(calls, NOT current) = 0 AND previous_dead_lettered_requests = 0, 'no calls before',
        previous_cost IS NULL, 'previous cost unknown',
        previous_cost = 0, 'no spend before',
        NOT change_complete, 'change of known spend',
        'change') AS change_basis
FROM
(
    -- a plain sum() per period, so the rollup's projection without tenant can answer it
    SELECT
        day >= first_day AS current,
        sum(d.cost) AS spent,
        sum(d.requests) AS calls,
        sum(d.unpriced_requests) AS unknown
    FROM llm_cost_daily AS d
    WHERE day >= first_day - days AND day <= last_day{{filters}}
    GROUP BY current
)""",
    ),
    View(
        name="daily_spend",
        title="Daily spend",
        description=(
            "Spend and requests per UTC day (days without calls show 0); cost is the known "
            "cost, unpriced_requests the calls whose cost is unknown (NULL when all are); "
            "dead_lettered_requests the day's calls serve could not store, in no other column "
            "(cost NULL when they are the day's only calls)."
        ),
        format=Format.TIME_SERIES,
        source="llm_cost_daily",
        template=f"""\
SELECT
    day,
    if(requests > 0 AND unpriced_requests >= requests
        OR requests = 0 AND dead_lettered_requests > 0, NULL, known_cost) AS cost,
    requests,
    unpriced_requests,
    dead_lettered_requests
FROM
(
    SELECT
        day,
        w.cost AS known_cost,
        w.requests AS requests,
        w.unpriced_requests AS unpriced_requests,
        w.dead_lettered_requests AS dead_lettered_requests
    FROM
    (
{_with_dead_letters("day", _SUMS, indent="        ")}
    ) AS w
    ORDER BY day WITH FILL FROM toDate($__fromTime, 'UTC') TO toDate($__toTime, 'UTC') + 1
)
ORDER BY day""",
    ),
    View(
        name="cost_per_request",
        title="Cost per request",
        description=(
            "Average cost of one call of known cost per UTC day (days with calls only; NULL "
            "when no call of the day has a known cost); unpriced_requests are not in it, nor "
            "the calls a budget guard blocked (never sent, cost 0), unless they are all the "
            "day's calls: 0 then."
        ),
        format=Format.TIME_SERIES,
        source="llm_cost_daily",
        template=f"""\
SELECT
    day,
    {_COST_PER_REQUEST},
    sum(d.unpriced_requests) AS unpriced_requests
FROM llm_cost_daily AS d
WHERE $__dateFilter(day){{filters}}
GROUP BY day
HAVING sum(d.requests) > 0
ORDER BY day""",
    ),
    View(
        name="token_breakdown",
        title="Token breakdown",
        description=(
            "Tokens per UTC day by kind. input_tokens counts every input token, cached "
            "included, so uncached input is what remains after cache reads and writes; "
            "output_tokens includes reasoning, so visible output is what remains after it. "
            "Beside them, the day's calls whose tokens are in no column: usage_missing_requests "
            "(stored without usage) and dead_lettered_requests (not stored)."
        ),
        format=Format.TIME_SERIES,
        source="llm_cost_daily",
        unit="short",
        template=f"""\
SELECT
    day,
    w.input_tokens - least(w.input_tokens, w.cache_read_tokens + w.cache_write_tokens)
        AS uncached_input_tokens,
    w.cache_read_tokens AS cache_read_tokens,
    w.cache_write_tokens AS cache_write_tokens,
    w.output_tokens - least(w.output_tokens, w.reasoning_tokens) AS visible_output_tokens,
    w.reasoning_tokens AS reasoning_tokens,
    w.usage_missing_requests AS usage_missing_requests,
    w.dead_lettered_requests AS dead_lettered_requests
FROM
(
{_with_dead_letters("day", _TOKEN_SUMS, indent="    ")}
) AS w
ORDER BY day WITH FILL FROM toDate($__fromTime, 'UTC') TO toDate($__toTime, 'UTC') + 1""",
    ),
    View(
        name="spend_by_model",
        title="Spend by model",
        description=(
            "Spend, requests and tokens per provider and model, with share of the known "
            "spend; unpriced_requests have an unknown cost (not in cost), "
            "share_unpriced_requests those of every row (not in the spend shared), "
            "share_dead_lettered_requests every row's calls serve could not store (neither)."
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
    toFloat64(cost) / nullIf(toFloat64(sum(sum(d.cost)) OVER ()), 0) AS share,
    {_SHARE_LEAVES_OUT.format("d")},
    sum(d.dead_lettered_requests) AS dead_lettered_requests
FROM
(
{_with_dead_letters("provider, model", (*_SUMS, "input_tokens", "output_tokens"), indent="    ")}
) AS d
GROUP BY provider, model
ORDER BY cost DESC, provider, model""",
    ),
    View(
        name="cost_by_unit",
        title="Cost by usage unit",
        description=(
            "Per provider and model, what each extra usage unit cost at its own rate "
            "(1-hour cache writes, audio, image and video tokens in and out, cached audio and "
            "image tokens), where that cost is not zero; exact. It is part of the input, cache "
            "or output cost it refines. A unit with no rate of its own is billed at its "
            "parent's rate and is not listed. unpriced_requests are the model's calls of unknown "
            "cost: their tokens are counted, their cost is not (a lower bound then); a unit "
            "with tokens but no known cost beside them is listed, its cost NULL (unknown). "
            "dead_lettered_requests are the model's calls serve could not store: in neither."
        ),
        format=Format.TABLE,
        source="llm_cost_daily",
        template=f"""\
SELECT
    units.provider AS provider,
    units.model AS model,
    u.1 AS unit,
    u.2 AS tokens,
    -- no known cost of the unit beside calls of unknown cost: unknown, never 0
    if(u.3 = 0, NULL, u.3) AS cost,
    unknown.unpriced_requests AS unpriced_requests,
    unknown.dead_lettered_requests AS dead_lettered_requests
FROM
(
    SELECT
        provider,
        model,
        [{_UNIT_SUMS}] AS units
    FROM llm_cost_daily AS d
    WHERE $__dateFilter(day){{filters}}
    GROUP BY provider, model
) AS units
-- the model's calls of unknown cost, apart: each side reads a projection that holds its sums
-- and those serve could not store: in neither tokens nor cost
LEFT JOIN
(
{_with_dead_letters("provider, model", ("unpriced_requests",), indent="    ")}
) AS unknown ON unknown.provider = units.provider AND unknown.model = units.model
ARRAY JOIN units.units AS u
WHERE u.3 != 0 OR (u.2 > 0 AND unknown.unpriced_requests > 0)
ORDER BY cost DESC NULLS LAST, provider, model, unit""",
    ),
    View(
        name="provider_cost_differences",
        title="Provider-reported against computed cost",
        description=(
            "Per provider and model, the calls whose provider or gateway reported what it "
            "charged (reported_requests, reported_cost: that cost counts). Of those, the "
            "compared_requests also have a computed cost: what they reported against what "
            "tokentrace computed, and the gap (reported minus computed; gap_ratio of the "
            "computed cost; all three NULL when no call has a computed cost, as for a model "
            "without a price). dead_lettered_requests are the model's calls serve could not "
            "store, in no column (whether their provider reported a cost is not known)."
        ),
        format=Format.TABLE,
        source="llm_cost_daily",
        template=f"""\
SELECT
    provider,
    model,
    sum(d.reported_requests) AS reported_requests,
    sum(d.reported_cost) AS reported_cost,
    sum(d.compared_requests) AS compared_requests,
    -- no call with a computed cost: nothing compared, the computed cost unknown (not 0)
    if(compared_requests = 0, NULL, sum(d.compared_reported_cost)) AS compared_reported_cost,
    if(compared_requests = 0, NULL, sum(d.compared_computed_cost)) AS computed_cost,
    compared_reported_cost - computed_cost AS gap,
    toFloat64(gap) / nullIf(toFloat64(computed_cost), 0) AS gap_ratio,
    sum(d.dead_lettered_requests) AS dead_lettered_requests
FROM
(
{_with_dead_letters("provider, model", _REPORTED_SUMS, indent="    ")}
) AS d
GROUP BY provider, model
HAVING reported_requests > 0
ORDER BY abs(gap) DESC, reported_cost DESC, provider, model""",
    ),
    _spend_by(
        "provider",
        "Spend and requests per provider, with share of the known spend "
        "(share_unpriced_requests: the calls of unknown cost of every row, not in it; "
        "share_dead_lettered_requests: every row's calls not stored, not in it either).",
    ),
    *(
        _spend_by(
            dimension,
            f"Spend and requests per {dimension} ('' = calls without the tag), "
            "with share of the known spend (share_unpriced_requests: the calls of unknown "
            "cost of every row, not in it; share_dead_lettered_requests: every row's calls not "
            "stored, not in it either)"
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
            "the savings net of cache-write premiums (the cache_savings column); NULL "
            "(unknown) for a model whose every call has an unknown cost. "
            "dead_lettered_requests are the model's calls serve could not store, in no "
            "column (the savings a lower bound beside them)."
        ),
        format=Format.TABLE,
        source="llm_cost_daily",
        template=f"""\
SELECT
    provider,
    model,
    sum(d.cache_read_tokens) AS cache_read_tokens,
    sum(d.cache_write_tokens) AS cache_write_tokens,
    {_KNOWN_SUM.format("cache_read_cost")} AS cache_read_cost,
    {_KNOWN_SUM.format("cache_write_cost")} AS cache_write_cost,
    {_KNOWN_SUM.format("cache_savings")} AS cache_savings,
    sum(d.unpriced_requests) AS unpriced_requests,
    sum(d.dead_lettered_requests) AS dead_lettered_requests
FROM
(
{_with_dead_letters("provider, model", _CACHE_SUMS, indent="    ")}
) AS d
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
            "budget's filters match the rollup dimensions; '' scope is the global budget. "
            "spent is the known cost: a lower bound (and so is utilization) when "
            "unpriced_requests > 0 (the budget label then ends '+ N unknown'), NULL (unknown) "
            "when every call of the period has an unknown cost. dead_lettered_requests are the "
            "period's calls serve could not store, in no spend ('+ N not stored'): spent is a "
            "lower bound while there are some, NULL when they are its only calls."
        ),
        whole_days=True,
        format=Format.TABLE,
        source="budgets",
        unit="percentunit",
        filtered_by=(),
        template=_BUDGET_UTILIZATION,
    ),
    View(
        name="anomalies",
        title="Spend anomalies",
        description=(
            "Days whose spend exceeds 2x the trailing daily average, per scope (all, and "
            "each team, feature and tenant). The baseline is the spend of the 7 days before "
            "averaged over the days since the scope was first seen in that window (days "
            "without spend count as 0); a scope needs 3 days of history to be judged. Both "
            "count known costs only: unpriced_requests (of the day) and "
            "baseline_unpriced_requests (of the 7 days before) are calls of unknown cost, "
            "whose days may hide or exaggerate an anomaly; a day before whose every call has "
            "an unknown cost is left out of the average, not counted as a $0 day. "
            "dead_lettered_requests (of the day) and baseline_dead_lettered_requests (of the 7 "
            "days before) are calls serve could not store, in no cost: a day of those only is "
            "left out of the average the same way."
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
    toFloat64(cost) / toFloat64(baseline) AS ratio,
    unknown AS unpriced_requests,
    baseline_unknown AS baseline_unpriced_requests,
    lost AS dead_lettered_requests,
    baseline_lost AS baseline_dead_lettered_requests
FROM
(
    SELECT
        scope,
        day,
        cost,
        unknown,
        lost,
        sum(unknown) OVER trailing AS baseline_unknown,
        sum(lost) OVER trailing AS baseline_lost,
        count() OVER trailing AS trailing_days,
        min(day) OVER trailing AS first_day,
        -- a day whose every call has an unknown cost (or was not stored) is no zero-cost day:
        -- left out of the average
        countIf(unknown >= calls) OVER trailing AS unknown_days,
        sum(cost) OVER trailing / greatest(day - first_day - unknown_days, 1) AS baseline
    FROM
    (
        SELECT b.scope AS scope, b.day AS day, sum(b.cost) AS cost, sum(b.unknown) AS unknown,
            sum(b.calls) AS calls, sum(b.lost) AS lost
        FROM
        (
        -- One branch per kind of scope (not GROUPING SETS), so that each reads the rollup's
        -- smallest projection holding its columns: the tenant branch the (day, tenant) one.
"""
        + _ANOMALY_SCOPES
        + """
        ) AS b
        GROUP BY b.scope, b.day
    )
    WINDOW trailing AS (PARTITION BY scope ORDER BY day RANGE BETWEEN 7 PRECEDING AND 1 PRECEDING)
)
WHERE day >= toDate($__fromTime, 'UTC')
  AND trailing_days > 0
  AND day - first_day >= 3
  AND cost > 2 * baseline
  -- a baseline of calls whose cost is all unknown (or not stored) is no baseline, not zero
  AND NOT (baseline = 0 AND baseline_unknown + baseline_lost > 0)
ORDER BY day DESC, ratio DESC, scope""",
    ),
    View(
        name="hourly_burn_rate",
        title="Hourly burn rate",
        description=(
            "Spend per hour (and the part spent on failed calls), averaged over each "
            "interval of at least an hour: the known cost, a lower bound where "
            "unpriced_requests > 0, NULL (unknown) where every call's cost is unknown (for "
            "failed calls: failed_unpriced_requests, every failed call). "
            "dead_lettered_requests are the calls serve could not store (by their hour), in "
            "no cost: a lower bound beside them, NULL when they are the interval's only calls."
        ),
        format=Format.TIME_SERIES,
        source="llm_cost_hourly",
        min_interval_s=3600,
        max_data_points=500,
        template=f"""\
SELECT
    time,
    if(requests > 0 AND unpriced_requests >= requests
        OR requests = 0 AND dead_lettered_requests > 0, NULL, known_cost) AS cost_per_hour,
    if(failed > 0 AND failed_unpriced_requests >= failed, NULL, known_failed_cost)
        AS failed_cost_per_hour,
    unpriced_requests,
    failed_unpriced_requests,
    dead_lettered_requests
FROM
(
    SELECT
        time,
        sum(w.cost) * 3600 / greatest($__interval_s, 3600) AS known_cost,
        sum(w.failed_cost) * 3600 / greatest($__interval_s, 3600) AS known_failed_cost,
        sum(w.requests) AS requests,
        sum(w.unpriced_requests) AS unpriced_requests,
        sum(w.failed) AS failed,
        sum(w.failed_unpriced_requests) AS failed_unpriced_requests,
        sum(w.dead_lettered_requests) AS dead_lettered_requests
    FROM
    (
        SELECT
            $__timeInterval(hour) AS time,
            sum(d.cost) AS cost,
            sum(d.failed_cost) AS failed_cost,
            sum(d.requests) AS requests,
            sum(d.unpriced_requests) AS unpriced_requests,
            sum(d.failed_requests) AS failed,
            sum(d.failed_unpriced_requests) AS failed_unpriced_requests,
            toUInt64(0) AS dead_lettered_requests
        FROM llm_cost_hourly AS d
        WHERE $__timeFilter(hour){{filters}}
        GROUP BY time
        UNION ALL
        -- the calls serve could not store, by their hour (migration 0028)
        SELECT $__timeInterval(l.hour), toDecimal128(0, 12), toDecimal128(0, 12), toUInt64(0),
            toUInt64(0), toUInt64(0), toUInt64(0), count()
        {pending("$__timeFilter(l.hour)")}
        GROUP BY 1
    ) AS w
    GROUP BY time
    ORDER BY time WITH FILL STEP greatest($__interval_s, 3600)
)
ORDER BY time""",
    ),
    View(
        name="failures_by_feature",
        title="Failed calls by feature",
        description=(
            "Error rate and the cost of failed calls per feature: the known cost, a lower "
            "bound when failed_unpriced_requests > 0, NULL (unknown) when every failed call's "
            "cost is unknown. dead_lettered_requests are the feature's calls serve could not "
            "store, failed_dead_lettered_requests those of them that failed: in no other column "
            "(error_rate is of the stored calls, NULL without any; failed_cost NULL when the "
            "only failed calls were not stored)."
        ),
        format=Format.TABLE,
        source="llm_cost_daily",
        template=f"""\
SELECT
    feature,
    sum(d.requests) AS requests,
    sum(d.failed_requests) AS failed_requests,
    failed_requests / nullIf(requests, 0) AS error_rate,
    -- failed calls not stored only: their cost is unknown, not zero
    if(failed_requests = 0 AND failed_dead_lettered_requests > 0, NULL, {_FAILED_COST})
        AS failed_cost,
    sum(d.failed_unpriced_requests) AS failed_unpriced_requests,
    sum(d.dead_lettered_requests) AS dead_lettered_requests,
    sum(d.failed_dead_lettered_requests) AS failed_dead_lettered_requests
FROM
(
    SELECT feature, sum(d.requests) AS requests, sum(d.failed_requests) AS failed_requests,
        sum(d.failed_cost) AS failed_cost,
        sum(d.failed_unpriced_requests) AS failed_unpriced_requests,
        toUInt64(0) AS dead_lettered_requests, toUInt64(0) AS failed_dead_lettered_requests
    FROM llm_cost_daily AS d
    WHERE $__dateFilter(day){{filters}}
    GROUP BY feature
    UNION ALL
    -- the calls serve could not store, and those of them that failed (migration 0029)
    SELECT l.feature, 0, 0, toDecimal128(0, 12), 0, count(), countIf(l.status = 'error')
    {pending(indent="    ")}
    GROUP BY l.feature
) AS d
GROUP BY feature
ORDER BY failed_cost DESC, failed_requests DESC, feature""",
    ),
    View(
        name="waste_signals",
        title="Waste signals",
        description=(
            "Agents and features whose prompts exceed 10x their completions (embeddings "
            "excluded): oversized context, repeated history, retrieval overreach. "
            "dead_lettered_requests are the row's calls serve could not store, in no tokens "
            "or cost (a lower bound beside them)."
        ),
        format=Format.TABLE,
        source="llm_cost_daily",
        template=f"""\
SELECT
    agent,
    feature,
    sum(requests) AS requests,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    input_tokens / output_tokens AS prompt_to_completion,
    {_KNOWN_COST},
    sum(d.unpriced_requests) AS unpriced_requests,
    sum(d.dead_lettered_requests) AS dead_lettered_requests
FROM
(
    SELECT agent, feature, sum(d.requests) AS requests, sum(d.input_tokens) AS input_tokens,
        sum(d.output_tokens) AS output_tokens, sum(d.cost) AS cost,
        sum(d.unpriced_requests) AS unpriced_requests, toUInt64(0) AS dead_lettered_requests
    FROM llm_cost_daily AS d
    WHERE $__dateFilter(day)
      AND operation != 'embeddings'{{filters}}
    GROUP BY agent, feature
    UNION ALL
    -- the calls serve could not store: in no tokens or cost of the row (a lower bound)
    SELECT l.agent, l.feature, 0, 0, 0, toDecimal128(0, 12), 0, count()
    {pending("$__dateFilter(l.day) AND l.operation != 'embeddings'", indent="    ")}
    GROUP BY l.agent, l.feature
) AS d
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
            "usage_missing_requests of them had no usage. no_price_first_seen is the first hour "
            "with calls that had usage but no price (NULL if none): a model whose streams lack "
            "usage can still gain a rate it has no price for (a tier, a tool, a unit). "
            "dead_lettered_requests are the model's calls serve could not store, of unknown "
            "cost too (first_seen and last_seen count their hours; a model may have only them)."
        ),
        format=Format.TABLE,
        source="llm_cost_hourly",
        unit="short",
        template=f"""\
SELECT
    provider,
    model,
    sum(m.unpriced) AS unpriced_requests,
    sum(m.usage_missing) AS usage_missing_requests,
    min(m.hour) AS first_seen,
    max(m.hour) AS last_seen,
    if(countIf(m.unpriced > m.usage_missing) = 0, NULL,
        minIf(m.hour, m.unpriced > m.usage_missing)) AS no_price_first_seen,
    sum(m.lost) AS dead_lettered_requests
FROM
(
    -- the hours of each model with unpriced calls, summed per hour first (a condition on
    -- the sums, not on the rollup's rows, so its smallest projection can answer it); calls
    -- without usage are unpriced unless the provider reported their cost
    SELECT
        h.provider AS provider,
        h.model AS model,
        h.hour AS hour,
        sum(h.unpriced_requests) AS unpriced,
        sum(h.usage_missing_requests) AS usage_missing,
        toUInt64(0) AS lost
    FROM llm_cost_hourly AS h
    WHERE $__timeFilter(hour){{filters}}
    GROUP BY h.provider, h.model, h.hour
    HAVING unpriced > 0
    UNION ALL
    -- the calls serve could not store, by their hour: of unknown cost too
    SELECT l.provider, l.model, l.hour, 0, 0, count()
    {pending("$__timeFilter(l.hour)", indent="    ")}
    GROUP BY l.provider, l.model, l.hour
) AS m
GROUP BY provider, model
ORDER BY unpriced_requests + dead_lettered_requests DESC, provider, model""",
    ),
    View(
        name="usage_missing",
        title="Calls without usage (cost unknown)",
        description=(
            "Calls whose span carried no token usage (an OpenAI stream without "
            "stream_options.include_usage, a stream cut off, a call a gateway gave up on with "
            "502, 504 or 524), per provider and model: their cost is unknown, not $0. "
            "dead_lettered_requests are such calls serve could not store."
        ),
        format=Format.TABLE,
        source="llm_cost_hourly",
        unit="short",
        template=f"""\
SELECT
    provider,
    model,
    sum(m.usage_missing) AS usage_missing_requests,
    min(m.hour) AS first_seen,
    max(m.hour) AS last_seen,
    sum(m.lost) AS dead_lettered_requests
FROM
(
    -- the hours of each model with such calls, summed per hour first (see unpriced_usage)
    SELECT
        h.provider AS provider,
        h.model AS model,
        h.hour AS hour,
        sum(h.usage_missing_requests) AS usage_missing,
        toUInt64(0) AS lost
    FROM llm_cost_hourly AS h
    WHERE $__timeFilter(hour){{filters}}
    GROUP BY h.provider, h.model, h.hour
    HAVING usage_missing > 0
    UNION ALL
    -- the calls without usage serve could not store, by their hour (migration 0029)
    SELECT l.provider, l.model, l.hour, 0, count()
    {pending("$__timeFilter(l.hour) AND l.usage_missing = 1", indent="    ")}
    GROUP BY l.provider, l.model, l.hour
) AS m
GROUP BY provider, model
ORDER BY usage_missing_requests + dead_lettered_requests DESC, provider, model""",
    ),
    View(
        name="latency_by_provider",
        title="Latency by provider",
        description="Exact p50/p95/p99 latency of successful calls per provider.",
        format=Format.TABLE,
        source="llm_calls",
        unit="ms",
        template=_LATENCY_QUANTILES,
    ),
    View(
        name="cost_by_conversation",
        title="Cost per conversation",
        description=(
            f"The {TOP_DEFAULT} most expensive conversations in the range, then one "
            f"'{OTHER}' row for the rest. dead_lettered_requests are a conversation's calls "
            "serve could not store, in neither requests nor cost (0 requests and cost NULL "
            "when they are its only calls)."
        ),
        format=Format.TABLE,
        source="llm_calls",
        top=TOP_DEFAULT,
        template=_leaders_and_rest(
            ("conversation", "tenant", "user"),
            _calls_and_letters(
                "conversation, tenant, user",
                """conversation, tenant, user, sum(w.requests) AS requests, sum(w.cost) AS cost,
                sum(w.unpriced_requests) AS unpriced_requests, min(w.first_call) AS first_call,
                max(w.last_call) AS last_call,
                sum(w.dead_lettered_requests) AS dead_lettered_requests""",
                """SELECT
                    conversation, tenant, user, count() AS requests, sum(cost) AS cost,
                    countIf(priced = 0) AS unpriced_requests, min(ts) AS first_call,
                    max(ts) AS last_call, toUInt64(0) AS dead_lettered_requests
                FROM llm_calls
                WHERE $__timeFilter(ts)
                  AND conversation != ''{filters}""",
                "GROUP BY conversation, tenant, user",
                f"""SELECT l.conversation, l.tenant, l.user, 0, toDecimal128(0, 12), 0,
                    min(l.ts), max(l.ts), count()
                {pending(_CONVERSATION_LETTERS, indent="                ")}
                GROUP BY l.conversation, l.tenant, l.user""",
            ),
            spans=True,
        ),
    ),
    View(
        name="cost_by_user",
        title="Cost per user",
        description=(
            f"The {TOP_DEFAULT} most expensive users over the range (whole UTC days), with "
            f"their tenant, then one '{OTHER}' row for the rest. dead_lettered_requests as "
            "cost_by_conversation's."
        ),
        format=Format.TABLE,
        source="llm_calls",
        top=TOP_DEFAULT,
        # Whole UTC days, like every rollup breakdown: so the calls' per-(day, tenant, user)
        # projection (migration 0008) can answer it when no dashboard variable is set
        # (ClickHouse picks it by itself, and reads the calls when one is). The report and
        # the API's ``exact`` still count the range itself (view_sql._narrowed).
        template=_leaders_and_rest(
            ("user", "tenant"),
            _calls_and_letters(
                "user, tenant",
                """user, tenant, sum(w.requests) AS requests, sum(w.cost) AS cost,
                sum(w.unpriced_requests) AS unpriced_requests,
                sum(w.dead_lettered_requests) AS dead_lettered_requests""",
                """SELECT
                    user, tenant, count() AS requests, sum(cost) AS cost,
                    countIf(priced = 0) AS unpriced_requests,
                    toUInt64(0) AS dead_lettered_requests
                FROM llm_calls
                WHERE toDate(ts) >= toDate($__fromTime, 'UTC')
                  AND toDate(ts) <= toDate($__toTime, 'UTC')
                  AND user != ''{filters}""",
                "GROUP BY user, tenant",
                f"""SELECT l.user, l.tenant, 0, toDecimal128(0, 12), 0, count()
                {pending("$__dateFilter(l.day) AND l.user != ''", indent="                ")}
                GROUP BY l.user, l.tenant""",
            ),
        ),
    ),
    View(
        name="top_calls",
        title="Most expensive calls",
        description=(
            "The 50 most expensive single calls in the range, with their trace ids; cost NULL "
            "for a call of unknown cost (ranked at $0, its lower bound, after the calls known to "
            "cost $0). Beside every row, the range's calls "
            "no ranking by cost can place: unpriced_requests (of unknown cost) and "
            "dead_lettered_requests (calls serve could not store, never listed)."
        ),
        format=Format.TABLE,
        source="llm_calls",
        template=_TOP_CALLS_SHOWN,
        unranked=_UNRANKED,
    ),
]

VIEWS: dict[str, View] = {view.name: view for view in (*_VIEWS, *RECONCILIATION_VIEWS)}
