"""A dashboard panel's query run as Grafana runs it: the range's interval, the variables
rendered (shared by the Grafana query tests and the unknown-cost checks of every surface)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tokentrace.grafana.dashboards import DASHBOARDS
from tokentrace.processor.store import macros


def _variables(selection: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    board = next(iter(DASHBOARDS.values()))()
    return {v["name"]: selection.get(v["name"], ()) for v in board["templating"]["list"]}


def panel_sql(
    panel: dict[str, Any],
    selection: dict[str, tuple[str, ...]],
    start: dt.datetime,
    end: dt.datetime,
) -> str:
    """The panel's query as Grafana sends it for the range (the panel's own interval) and the
    dashboard variables selected (`selection`; the rest All)."""
    minimum = panel.get("interval")
    interval = (
        macros.panel_interval_s(
            start,
            end,
            max_data_points=panel["maxDataPoints"],
            min_interval_s=int(minimum.rstrip("s")) if minimum else None,
        )
        if "maxDataPoints" in panel
        else 1
    )
    [target] = panel["targets"]
    return macros.render_dashboard_query(
        target["rawSql"],
        start=start,
        end=end,
        selections=_variables(selection),
        interval_s=interval,
    )


def run_panel(
    client: Any,
    panel: dict[str, Any],
    selection: dict[str, tuple[str, ...]],
    start: dt.datetime,
    end: dt.datetime,
) -> Any:
    """`panel_sql` run on `client`."""
    return client.query(panel_sql(panel, selection, start, end))


def shown_rows(panel: dict[str, Any], result: Any) -> list[dict[str, Any]]:
    """The rows of `result` (the panel's query run) left by the panel's transformations, as
    Grafana's filterByValue applies them: only the form the dashboards use (exclude a row
    when all its filters match, matcher equal) is known here; any other fails the test."""
    rows = [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
    for step in panel.get("transformations", []):
        options = step["options"]
        assert (step["id"], options["type"], options["match"]) == (
            "filterByValue",
            "exclude",
            "all",
        )
        filters = options["filters"]
        assert all(f["config"]["id"] == "equal" for f in filters)
        rows = [
            r
            for r in rows
            if not all(r[f["fieldName"]] == f["config"]["options"]["value"] for f in filters)
        ]
    return rows
