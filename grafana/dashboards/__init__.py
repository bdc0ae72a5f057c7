"""The dashboards, as code: each module's ``dashboard()`` returns classic dashboard JSON."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tokentrace.grafana.dashboards import drilldown, overview

DASHBOARDS: dict[str, Callable[[], dict[str, Any]]] = {
    "overview": overview.dashboard,
    "drilldown": drilldown.dashboard,
}
