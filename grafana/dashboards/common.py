"""The envelope shared by every tokentrace dashboard: time, refresh, variables, links."""

from __future__ import annotations

from typing import Any

from tokentrace.grafana import variables

FOLDER_UID = "tokentrace"
FOLDER_TITLE = "tokentrace"
SCHEMA_VERSION = 41


def dashboard(
    *, uid: str, title: str, description: str, panels: list[dict[str, Any]]
) -> dict[str, Any]:
    """The envelope shared by every tokentrace dashboard.

    Times are UTC because the rollups' days and hours are UTC: a dashboard in local
    time would put a day's bar across two calendar days.
    """
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["tokentrace", "llm", "cost"],
        "timezone": "utc",
        "weekStart": "monday",
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "time": {"from": "now-30d", "to": "now"},
        "refresh": "5m",
        "timepicker": {},
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                }
            ]
        },
        "links": [
            {
                "type": "dashboards",
                "tags": ["tokentrace"],
                "asDropdown": False,
                "includeVars": True,
                "keepTime": True,
                "title": "tokentrace",
            }
        ],
        "templating": variables.templating(),
        "panels": panels,
    }
