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
