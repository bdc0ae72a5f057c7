"""Panel builders: a view plus where it sits and how it looks, as classic dashboard JSON.

Every panel has exactly one target, taken from a view in ``processor/store/views.py``; the
panel never carries SQL of its own. ``maxDataPoints`` and ``interval`` come from the
view, so the interval Grafana sends is the one :func:`views.render` assumes.
"""

from __future__ import annotations

from typing import Any

from tokentrace.grafana import datasource
from tokentrace.processor.store.views import Format, View

Grid = tuple[int, int, int, int]  # x, y, w, h in grid units (24 columns, 30 px rows)

# The views' columns that count (calls, tokens, days) or flag (0/1), by name: never money,
# whatever the unit of the panel's main number. Without this, a table or bar chart in USD showed
# a count of calls of unknown cost (unpriced_requests: 3) as "$3.00", and a call's priced flag
# as "$0.00" or "$1.00".
COUNTS = (
    r"/^(.*requests|.*_tokens|tokens|token_gap|members|other|priced|change_complete|has_usage"
    r"|.*days)$/"
)

# A cost the views leave NULL is unknown (no price or no usage), never $0.
_UNKNOWN = {"type": "special", "options": {"match": "null", "result": {"text": "unknown"}}}


def target(view: View) -> dict[str, Any]:
    """The plugin query for a view: SQL editor, integer format, the fixed data source."""
    return {
        "refId": "A",
        "datasource": datasource.REF,
        "editorType": "sql",
        "format": int(view.format),
        "queryType": "timeseries" if view.format is Format.TIME_SERIES else "table",
        "rawSql": view.sql,
    }


def _panel(
    kind: str,
    view: View,
    grid: Grid,
    *,
    title: str | None,
    unit: str | None,
    options: dict[str, Any],
    overrides: list[dict[str, Any]] | None = None,
    custom: dict[str, Any] | None = None,
    thresholds: list[tuple[float | None, str]] | None = None,
) -> dict[str, Any]:
    x, y, w, h = grid
    steps = thresholds or [(None, "green")]
    panel: dict[str, Any] = {
        "type": kind,
        "title": title or view.title,
        "description": view.description,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "datasource": datasource.REF,
        "targets": [target(view)],
        "fieldConfig": {
            "defaults": {
                "unit": unit or view.unit,
                "color": {"mode": "thresholds" if thresholds else "palette-classic"},
                "thresholds": {
                    "mode": "absolute",
                    "steps": [{"value": value, "color": color} for value, color in steps],
                },
                # Calls without a tag carry '' in that column; say so instead of a blank.
                "mappings": [
                    {
                        "type": "special",
                        "options": {"match": "empty", "result": {"text": "(untagged)"}},
                    },
                    _UNKNOWN,
                ],
                **({"custom": custom} if custom else {}),
            },
            # counts first: a column's own override, later, wins
            "overrides": [_counts({"unit": "short"}), *(overrides or [])],
        },
        "options": options,
    }
    if view.max_data_points:
        panel["maxDataPoints"] = view.max_data_points
    if view.min_interval_s:
        panel["interval"] = f"{view.min_interval_s}s"
    return panel


def _counts(properties: dict[str, Any]) -> dict[str, Any]:
    """An override of ``properties`` for every count column (:data:`COUNTS`)."""
    return {
        "matcher": {"id": "byRegexp", "options": COUNTS},
        "properties": [{"id": key, "value": value} for key, value in properties.items()],
    }


def _override(field: str, properties: dict[str, Any]) -> dict[str, Any]:
    """A field override: ``properties`` (id -> value) for the column named ``field``."""
    return {
        "matcher": {"id": "byName", "options": field},
        "properties": [{"id": key, "value": value} for key, value in properties.items()],
    }


# What a money stat reads for a window without any call (stored or not): its $0.00 would read
# as spend, its NULL as unknown; the report says "no calls" there too.
NO_CALLS = "no calls"


def _without_calls(stat_panel: dict[str, Any], field: str, calls: tuple[str, ...]) -> None:
    """Make ``stat_panel`` read :data:`NO_CALLS` when every column of ``calls`` is 0.

    Grafana's filterByValue transformation drops the view's one row then, and a stat showing
    every row (``values``) without any shows the field config's ``noValue``. That text is
    worked out from the defaults with the value null, so the null-is-unknown mapping moves to
    ``field``'s override: a row whose cost is NULL (calls of unknown cost or not stored only)
    still reads "unknown"."""
    defaults = stat_panel["fieldConfig"]["defaults"]
    defaults["mappings"] = [m for m in defaults["mappings"] if m != _UNKNOWN]
    defaults["noValue"] = NO_CALLS
    overrides = stat_panel["fieldConfig"]["overrides"]
    named = [o for o in overrides if o["matcher"] == {"id": "byName", "options": field}]
    mapping = {"id": "mappings", "value": [_UNKNOWN]}
    if named:
        named[0]["properties"].append(mapping)
    else:
        overrides.append(_override(field, {"mappings": [_UNKNOWN]}))
    stat_panel["transformations"] = [
        {
            "id": "filterByValue",
            "options": {
                "type": "exclude",
                "match": "all",
                "filters": [
                    {"fieldName": column, "config": {"id": "equal", "options": {"value": 0}}}
                    for column in calls
                ],
            },
        }
    ]
    stat_panel["options"]["reduceOptions"].update(values=True, calcs=[])


# How a count of calls of unknown cost reads beside the cost that leaves them out.
UNKNOWN_CALLS = "calls of unknown cost"
# And a count of the calls serve could not store (dead letters), which no cost holds.
NOT_STORED_CALLS = "calls not stored"


def _count_beside(column: str, name: str) -> dict[str, Any]:
    """A count of calls a cost leaves out, named ``name``, orange from the first one."""
    return _override(
        column,
        {
            "displayName": name,
            "unit": "short",
            "color": {"mode": "thresholds"},
            "thresholds": {
                "mode": "absolute",
                "steps": [{"value": None, "color": "green"}, {"value": 1, "color": "orange"}],
            },
        },
    )


def stat(
    view: View,
    grid: Grid,
    *,
    field: str,
    title: str,
    unit: str | None = None,
    thresholds: list[tuple[float | None, str]] | None = None,
    unknown: tuple[str, str] | None = None,
    not_stored: str | None = None,
    per_row: bool = False,
    calls: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One number from a one-row table view, picked by column name.

    ``unknown`` is (the column counting the calls of unknown cost that ``field`` leaves out,
    the name ``field`` shows as): a cost is then shown with that count beside it, so a known
    cost that is a lower bound never reads as the whole (orange once there is one).
    ``not_stored`` is the column counting the calls serve could not store that it leaves out
    too (dead letters), shown beside it the same way.
    ``per_row`` shows the row's values as they are, not reduced, so that the name may be
    another column of the row (``${__data.fields.NAME}``, as a gauge's label is).
    ``calls`` are the columns counting the window's calls (stored, not stored): all 0, the
    stat reads "no calls", not $0.00 nor "unknown" (:func:`_without_calls`)."""
    fields = f"/^{field}$/"
    overrides = None
    if unknown is not None:
        count, label = unknown
        counts = count if not_stored is None else f"{count}|{not_stored}"
        fields = f"/^({field}|{counts})$/"
        overrides = [
            _override(field, {"displayName": label}),
            _count_beside(count, UNKNOWN_CALLS),
            *([] if not_stored is None else [_count_beside(not_stored, NOT_STORED_CALLS)]),
        ]
    panel = _panel(
        "stat",
        view,
        grid,
        title=title,
        unit=unit,
        thresholds=thresholds,
        overrides=overrides,
        options={
            "reduceOptions": {
                "values": per_row,
                "calcs": [] if per_row else ["lastNotNull"],
                "fields": fields,
            },
            "colorMode": "value",
            "graphMode": "none",
            "textMode": "value" if unknown is None else "value_and_name",
            "justifyMode": "auto",
            "orientation": "auto",
        },
    )
    if calls:
        _without_calls(panel, field, calls)
    return panel


def gauge(
    view: View,
    grid: Grid,
    *,
    field: str,
    label: str,
    thresholds: list[tuple[float | None, str]],
) -> dict[str, Any]:
    """One gauge per row of a table view, named by its ``label`` column."""
    return _panel(
        "gauge",
        view,
        grid,
        title=None,
        unit=None,
        thresholds=thresholds,
        options={
            "reduceOptions": {"values": True, "calcs": [], "fields": f"/^{field}$/"},
            "showThresholdMarkers": True,
            "showThresholdLabels": False,
            "orientation": "auto",
            "minVizHeight": 75,
            "minVizWidth": 75,
        },
        overrides=[
            _override(field, {"displayName": f"${{__data.fields.{label}}}", "min": 0, "max": 1})
        ],
    )


def timeseries(
    view: View,
    grid: Grid,
    *,
    title: str | None = None,
    stacked: bool = False,
    bars: bool = False,
    right_axis: tuple[str, ...] = (),
    right_unit: str = "short",
) -> dict[str, Any]:
    """A time series panel; ``right_axis`` columns get their own axis and unit (another unit
    than the left's, or Grafana puts them on its scale), drawn as lines, never stacked on the
    left's series (counts of calls beside stacked tokens)."""
    return _panel(
        "timeseries",
        view,
        grid,
        title=title,
        unit=None,
        custom={
            "drawStyle": "bars" if bars else "line",
            "fillOpacity": 80 if bars else 10,
            "lineWidth": 1 if bars else 2,
            "showPoints": "never",
            "stacking": {"mode": "normal" if stacked else "none", "group": "A"},
        },
        overrides=[
            _override(
                name,
                {
                    "custom.axisPlacement": "right",
                    "custom.drawStyle": "line",
                    "unit": right_unit,
                    **({"custom.stacking": {"mode": "none", "group": "A"}} if stacked else {}),
                },
            )
            for name in right_axis
        ],
        options={
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
    )


def table(
    view: View,
    grid: Grid,
    *,
    title: str | None = None,
    units: dict[str, str] | None = None,
    no_rows: str | None = None,
    colours: tuple[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A table; ``units`` overrides the unit of single columns (tokens, ratios, ms);
    ``colours`` is one text column and a colour per value it can take (a status), its text in
    that colour (value mappings, and the cell type "color-text", which Grafana 10 to 12 read).

    ``no_rows`` is what the table reads without a row instead of Grafana's "No data", which
    would say there were no calls when the range's only calls were not stored: a table without
    rows shows the field config's ``noValue`` on Grafana 10 and 11 (the Table's
    ``noValuesDisplayText``, grafana/grafana#82948) and on the TableNG of grafana/grafana#121099
    (its ``EmptyTablePlaceholder``). Grafana 12's TableNG before that change renders an empty
    grid and no text at all, so the panel's description, whose (i) every version shows, says it
    too. Its cells never reach ``noValue``: the defaults' mappings name '' and NULL first."""
    panel = _panel(
        "table",
        view,
        grid,
        title=title,
        unit=None,
        overrides=[_override(column, {"unit": unit}) for column, unit in (units or {}).items()]
        + ([_coloured(*colours)] if colours else []),
        options={
            "showHeader": True,
            "cellHeight": "sm",
            "footer": {"show": False, "reducer": ["sum"], "fields": ""},
        },
    )
    if no_rows is not None:
        panel["fieldConfig"]["defaults"]["noValue"] = no_rows
        panel["description"] += f"\n\nWithout a row: {no_rows}"
    return panel


def _coloured(column: str, colours: dict[str, str]) -> dict[str, Any]:
    """The override that shows each value of ``column`` in its colour."""
    mapped = {
        value: {"text": value, "color": colour, "index": i}
        for i, (value, colour) in enumerate(colours.items())
    }
    return _override(
        column,
        {
            "mappings": [{"type": "value", "options": mapped}],
            "custom.cellOptions": {"type": "color-text"},
        },
    )


_TOOLTIP_ONLY = {"legend": True, "tooltip": False, "viz": True}


def bars(view: View, grid: Grid, *, label: str) -> dict[str, Any]:
    """A horizontal bar chart of the cost per label (spend by team, by feature…)."""
    return _panel(
        "barchart",
        view,
        grid,
        title=None,
        unit=None,
        # one bar of cost per label: the counts (requests, calls of unknown cost) and the
        # share are in the tooltip, never bars on the money axis
        overrides=[
            _counts({"custom.hideFrom": _TOOLTIP_ONLY}),
            _override("share", {"custom.hideFrom": _TOOLTIP_ONLY}),
        ],
        options={
            "orientation": "horizontal",
            "xField": label,
            "showValue": "auto",
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": False},
            "tooltip": {"mode": "single", "sort": "none"},
        },
    )


def pie(view: View, grid: Grid, *, label: str, value: str = "cost") -> dict[str, Any]:
    """A donut of ``value`` per ``label`` (spend share by provider). Its percentages are of
    the known cost (a row of unknown cost has no slice), so its title says so."""
    return _panel(
        "piechart",
        view,
        grid,
        title=f"Share of known {view.title[0].lower()}{view.title[1:]}",
        unit=None,
        options={
            "pieType": "donut",
            "reduceOptions": {"values": True, "calcs": [], "fields": f"/^{value}$/"},
            "displayLabels": ["name", "percent"],
            "legend": {"displayMode": "table", "placement": "right", "values": ["value"]},
        },
        overrides=[_override(value, {"displayName": f"${{__data.fields.{label}}}"})],
    )


def row(title: str, y: int) -> dict[str, Any]:
    """A (never collapsed) row header, one grid unit high."""
    return {
        "type": "row",
        "title": title,
        "collapsed": False,
        "gridPos": {"x": 0, "y": y, "w": 24, "h": 1},
        "panels": [],
    }


def with_ids(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give panels ids in layout order (ids are what alert rules link to)."""
    for index, panel in enumerate(panels, start=1):
        panel["id"] = index
    return panels
