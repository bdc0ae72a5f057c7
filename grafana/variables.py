"""Dashboard variables: one multi-select per dimension, options read from the daily rollup.

Each variable's name is the column it filters (``views.VARIABLES``), so a panel's
``$__conditionalAll(team IN (${team:singlequote}), $team)`` and the variable line up
by construction. Options exclude '': the plugin treats a selection whose value is ''
as All, so untagged calls are only reachable through All (and show as "(untagged)").
"""

from __future__ import annotations

from typing import Any

from tokentrace.grafana import datasource
from tokentrace.processor.store.views import VARIABLES

LABELS = {
    "environment": "Environment",
    "service": "Service",
    "provider": "Provider",
    "model": "Model",
    "team": "Team",
    "feature": "Feature",
    "tenant": "Tenant",
    "agent": "Agent",
    "api_key": "API key",
    "endpoint": "Endpoint",
}


def options_sql(name: str) -> str:
    """The option query: the values seen in the dashboard's time range."""
    return (
        f"SELECT DISTINCT {name} FROM llm_cost_daily "
        f"WHERE $__dateFilter(day) AND {name} != '' ORDER BY {name} LIMIT 1000"
    )


def variable(name: str) -> dict[str, Any]:
    sql = options_sql(name)
    return {
        "type": "query",
        "name": name,
        "label": LABELS[name],
        "datasource": datasource.REF,
        "query": sql,
        "definition": sql,
        # 2 = refresh on time range change: options follow the range.
        "refresh": 2,
        "multi": True,
        "includeAll": True,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [],
        "sort": 1,
        "hide": 0,
        "skipUrlSync": False,
    }


def templating() -> dict[str, Any]:
    return {"list": [variable(name) for name in VARIABLES]}
