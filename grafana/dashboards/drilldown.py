"""The drill-down: who spends it — tenants, users, conversations, agents, services, API keys
and application endpoints."""

from __future__ import annotations

from typing import Any

from tokentrace.grafana import panels as p
from tokentrace.grafana.dashboards.common import dashboard as envelope
from tokentrace.processor.store.views import VIEWS

UID = "tokentrace-drilldown"

_COUNT_AND_SHARE = {"requests": "short", "share": "percentunit"}
_TOP = {**_COUNT_AND_SHARE, "blocked_requests": "short"}


def panels() -> list[dict[str, Any]]:
    v = VIEWS
    return p.with_ids(
        [
            p.table(v["spend_by_tenant"], (0, 0, 8, 10), units=_COUNT_AND_SHARE),
            p.table(v["cost_by_user"], (8, 0, 8, 10), units={"requests": "short"}),
            p.bars(v["spend_by_agent"], (16, 0, 8, 10), label="agent"),
            p.table(v["cost_by_conversation"], (0, 10, 24, 10), units={"requests": "short"}),
            p.bars(v["spend_by_service"], (0, 20, 12, 8), label="service"),
            p.bars(v["spend_by_environment"], (12, 20, 12, 8), label="environment"),
            p.table(v["spend_by_api_key"], (0, 28, 12, 10), units=_TOP),
            p.table(v["spend_by_endpoint"], (12, 28, 12, 10), units=_TOP),
        ]
    )


def dashboard() -> dict[str, Any]:
    return envelope(
        uid=UID,
        title="LLM cost drill-down",
        description=(
            "Spend per tenant, user, conversation, agent, service, API key and endpoint "
            "(tokentrace)."
        ),
        panels=panels(),
    )
