"""Expand a panel's SQL exactly as Grafana and the ClickHouse plugin (v4) do.

A dashboard query goes through three steps before ClickHouse sees it:

1. the plugin's frontend replaces ``$__conditionalAll(condition, $var)`` with ``1=1``
   when ``var`` is set to All (``applyConditionalAll`` in ``CHDatasource.ts``);
2. Grafana's template service replaces ``${var:singlequote}``, ``${var}`` and ``$var``;
3. the plugin's Go backend expands the time macros (``pkg/macros/macros.go``) with
   the query's time range and interval.

Alert rules skip steps 1 and 2: they run in the backend only. The report and the HTTP
API use the same expansion so that they answer with the very numbers a panel shows,
and the tests use it to run every panel and alert query on chDB.

Assumption: the plugin process runs in UTC (the Grafana image's default), because the
backend formats ``$__dateFilter`` dates in the process's local time zone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

# A variable selection: the values picked, or ALL (no selection means All).
ALL: tuple[str, ...] = ()

# Grafana's built-in variables; the views use the plugin's macros instead, whose
# expansion does not depend on the browser.
_GRAFANA_BUILTINS = frozenset(
    {
        "__interval",
        "__interval_ms",
        "__rate_interval",
        "__range",
        "__range_s",
        "__range_ms",
        "__from",
        "__to",
        "__dashboard",
        "__org",
        "__user",
        "__timezone",
    }
)


class ExpansionError(ValueError):
    """The SQL uses something Grafana or the plugin would not expand as written."""


# ------------------------------------------------------ 1. $__conditionalAll


def apply_conditional_all(sql: str, selections: Mapping[str, Sequence[str]]) -> str:
    """Replace each ``$__conditionalAll(cond, $var)`` by ``1=1`` (All) or ``cond``.

    Mirrors ``applyConditionalAll``: macros are handled from the last one backwards,
    arguments are split on commas at the first bracket level, and a variable counts as
    All when its value is ``$__all`` or empty. Unknown variables keep the condition.
    """
    macro = "$__conditionalAll("
    index = sql.rfind(macro)
    while index != -1:
        params = _frontend_macro_args(sql, index + len(macro) - 1)
        if len(params) != 2:
            raise ExpansionError(
                f"$__conditionalAll needs exactly 2 arguments, got {len(params)}: "
                f"{sql[index : index + 80]!r}"
            )
        condition, variable = params
        match = re.search(r"(?<=\$\{)\w+(?=\})|(?<=\$)\w+", variable.strip())
        phrase = condition
        if match and match[0] in selections and not selections[match[0]]:
            phrase = "1=1"
        sql = sql.replace(f"{macro}{condition},{variable})", phrase, 1)
        index = sql.rfind(macro)
    return sql


def _frontend_macro_args(sql: str, open_paren: int) -> list[str]:
    """``getMacroArgs``: split at commas where the bracket depth is 1, no trimming."""
    args: list[str] = []
    depth = 0
    start = open_paren + 1
    for position in range(open_paren, len(sql)):
        char = sql[position]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 1:
            args.append(sql[start:position])
            start = position + 1
        if depth == 0:
            args.append(sql[start:position])
            return args
    return []


# ------------------------------------------------------ 2. template variables

_VARIABLE = re.compile(
    r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}"
)


def interpolate_variables(sql: str, selections: Mapping[str, Sequence[str]]) -> str:
    """Replace the dashboard variables in ``selections`` as Grafana's template service does.

    Every dashboard variable here is multi-value, so its value is a list: the default
    format (the plugin's ``format``) joins it as ``'a','b'`` without escaping, and
    ``singlequote`` quotes each value and escapes ``'`` as ``\\'``. A variable set to
    All only appears inside ``$__conditionalAll``, which step 1 has removed; anywhere
    else Grafana would list every option of the variable, which only a live dashboard
    knows, so that is refused.
    """

    def replace(match: re.Match[str]) -> str:
        name = match[1] or match[2] or match[4]
        fmt = match[3] or match[6]
        if name in _GRAFANA_BUILTINS:
            raise ExpansionError(f"${name} is expanded by the browser; use a plugin macro")
        if name not in selections:
            return match[0]
        values = list(selections[name])
        if not values:
            raise ExpansionError(
                f"${name} is All here, which expands to every option of the variable; "
                f"wrap the condition in $__conditionalAll(..., ${name})"
            )
        if fmt is None:
            return "'" + "','".join(values) + "'"
        if fmt == "singlequote":
            return ",".join("'" + v.replace("'", "\\'") + "'" for v in values)
        raise ExpansionError(f"unsupported variable format {fmt!r} in {match[0]!r}")

    return _VARIABLE.sub(replace, sql)


def bind_variables(sql: str, selections: Mapping[str, Sequence[str]]) -> tuple[str, dict[str, str]]:
    """:func:`interpolate_variables` with each value a query parameter, not SQL text.

    ``${tenant:singlequote}`` picked as ``a`` and ``b`` becomes ``{f_tenant_0:String},
    {f_tenant_1:String}``, the same list to ``IN``, and the values travel apart from the
    query. So a value can never be read as SQL, and the backend macros that expand after
    this step never see it: a tenant called ``$__fromTime`` or ``{x}`` is just that name.
    The report and the API run views this way; dashboards need the spliced form above.
    """
    parameters: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        name = match[1] or match[2] or match[4]
        fmt = match[3] or match[6]
        if name not in selections or name in _GRAFANA_BUILTINS:
            return match[0]
        if fmt not in (None, "singlequote"):
            raise ExpansionError(f"unsupported variable format {fmt!r} in {match[0]!r}")
        if not selections[name]:
            raise ExpansionError(
                f"${name} is All here; wrap the condition in $__conditionalAll(..., ${name})"
            )
        placeholders = []
        for index, value in enumerate(selections[name]):
            key = f"f_{name}_{index}"
            parameters[key] = value
            placeholders.append(f"{{{key}:String}}")
        return ",".join(placeholders)

    return _VARIABLE.sub(replace, sql), parameters


# ------------------------------------------------------ 3. the plugin's backend macros


def expand_macros(sql: str, *, start: datetime, end: datetime, interval_s: float) -> str:
    """Expand the plugin's backend macros for the time range and query interval."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ExpansionError("start and end must be timezone-aware datetimes")
    if end < start:
        raise ExpansionError(f"time range ends ({end}) before it starts ({start})")
    if "$__conditionalAll" in sql:
        raise ExpansionError("$__conditionalAll is a dashboard macro; the backend cannot expand it")

    def date(t: datetime) -> str:
        return f"toDate('{t.astimezone(UTC):%Y-%m-%d}')"

    def seconds(t: datetime) -> str:
        return f"toDateTime({math.floor(t.timestamp())})"

    def millis(t: datetime) -> str:
        return f"fromUnixTimestamp64Milli({math.floor(t.timestamp() * 1000)})"

    whole_seconds = int(max(interval_s, 1))
    whole_millis = int(max(interval_s * 1000, 1))

    def one(args: list[str], name: str) -> str:
        if len(args) != 1:
            raise ExpansionError(f"$__{name} expects 1 argument, received {len(args)}")
        return args[0]

    def expand(name: str, args: list[str]) -> str:
        if name == "fromTime":
            return seconds(start)
        if name == "toTime":
            return seconds(end)
        if name == "fromTime_ms":
            return millis(start)
        if name == "toTime_ms":
            return millis(end)
        if name == "timeFilter":
            col = one(args, name)
            return f"{col} >= {seconds(start)} AND {col} <= {seconds(end)}"
        if name == "timeFilter_ms":
            col = one(args, name)
            return f"{col} >= {millis(start)} AND {col} <= {millis(end)}"
        if name == "dateFilter":
            col = one(args, name)
            return f"{col} >= {date(start)} AND {col} <= {date(end)}"
        if name in ("dateTimeFilter", "dt"):
            if len(args) != 2:
                raise ExpansionError(f"$__{name} expects 2 arguments, received {len(args)}")
            day, time = args
            return (
                f"({day} >= {date(start)} AND {day} <= {date(end)}) AND "
                f"({time} >= {seconds(start)} AND {time} <= {seconds(end)})"
            )
        if name == "timeInterval":
            col = one(args, name)
            return f"toStartOfInterval(toDateTime({col}), INTERVAL {whole_seconds} second)"
        if name == "timeInterval_ms":
            col = one(args, name)
            return f"toStartOfInterval(toDateTime64({col}, 3), INTERVAL {whole_millis} millisecond)"
        if name == "interval_s":
            return str(whole_seconds)
        raise ExpansionError(f"unknown macro $__{name}")

    out: list[str] = []
    position = 0
    for match in re.finditer(r"\$__(\w+)", sql):
        if match.start() < position:
            continue
        name = match[1]
        args: list[str] = []
        after = match.end()
        if after < len(sql) and sql[after] == "(":
            close = _matching_paren(sql, after)
            args = _split_top_level(sql[after + 1 : close])
            after = close + 1
        out.append(sql[position : match.start()])
        out.append(expand(name, args))
        position = after
    out.append(sql[position:])
    return "".join(out)


def _matching_paren(sql: str, open_paren: int) -> int:
    depth = 0
    for position in range(open_paren, len(sql)):
        if sql[position] == "(":
            depth += 1
        elif sql[position] == ")":
            depth -= 1
            if depth == 0:
                return position
    raise ExpansionError(f"unbalanced parentheses after {sql[max(0, open_paren - 20) :]!r}")


def _split_top_level(args: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    start = 0
    for position, char in enumerate(args):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(args[start:position].strip())
            start = position + 1
    last = args[start:].strip()
    return [*parts, last] if parts or last else []


# ------------------------------------------------------ the query interval


def round_interval(interval_ms: float) -> int:
    """Grafana's ``roundInterval``: snap a raw interval to a readable step (ms)."""
    steps = (
        (15, 10),
        (35, 20),
        (75, 50),
        (150, 100),
        (350, 200),
        (750, 500),
        (1_500, 1_000),
        (3_500, 2_000),
        (7_500, 5_000),
        (12_500, 10_000),
        (17_500, 15_000),
        (25_000, 20_000),
        (45_000, 30_000),
        (90_000, 60_000),
        (210_000, 120_000),
        (450_000, 300_000),
        (750_000, 600_000),
        (1_050_000, 900_000),
        (1_500_000, 1_200_000),
        (2_700_000, 1_800_000),
        (5_400_000, 3_600_000),
        (9_000_000, 7_200_000),
        (16_200_000, 10_800_000),
        (32_400_000, 21_600_000),
        (86_400_000, 43_200_000),
        (604_800_000, 86_400_000),
        (1_814_400_000, 604_800_000),
        (3_628_800_000, 2_592_000_000),
    )
    for below, step in steps:
        if interval_ms < below:
            return step
    return 31_536_000_000


def panel_interval_s(
    start: datetime, end: datetime, *, max_data_points: int, min_interval_s: int | None
) -> float:
    """The interval Grafana sends with a panel query (``calculateInterval``), in seconds.

    With ``maxDataPoints`` set on the panel it, not the panel's pixel width, is the
    resolution, which is what makes the interval reproducible outside a browser.
    """
    span_ms = (end - start) / timedelta(milliseconds=1)
    interval_ms = round_interval(span_ms / max_data_points)
    if min_interval_s is not None:
        interval_ms = max(interval_ms, min_interval_s * 1000)
    return interval_ms / 1000


def render_dashboard_query(
    sql: str,
    *,
    start: datetime,
    end: datetime,
    selections: Mapping[str, Sequence[str]],
    interval_s: float,
) -> str:
    """All three steps, in Grafana's order, for a panel query."""
    sql = apply_conditional_all(sql, selections)
    sql = interpolate_variables(sql, selections)
    return expand_macros(sql, start=start, end=end, interval_s=interval_s)


def bind_dashboard_query(
    sql: str,
    *,
    start: datetime,
    end: datetime,
    selections: Mapping[str, Sequence[str]],
    interval_s: float,
) -> tuple[str, dict[str, str]]:
    """:func:`render_dashboard_query` with the variables' values bound as parameters."""
    sql = apply_conditional_all(sql, selections)
    sql, parameters = bind_variables(sql, selections)
    return expand_macros(sql, start=start, end=end, interval_s=interval_s), parameters
