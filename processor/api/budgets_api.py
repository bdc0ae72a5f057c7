"""The budgets API: set, list and delete budgets on the store ``tokentrace serve`` holds.

chDB lets one process open a data directory, so while serve runs the embedded store,
``tokentrace budget`` talks to these routes instead of the store:

- ``GET /api/v1/budgets``: every budget;
- ``PUT /api/v1/budgets`` with ``{"scope": "team=growth", "amount": "500", "period": "month",
  "enforce": true}``: create or replace one (``enforce`` defaults to false);
- ``DELETE /api/v1/budgets?scope=team=growth&period=month``: delete one (404 if none);
- ``GET /api/v1/budgets/enforced``: the enforced budgets and where they stand now, which the
  instrumentation's budget guard polls every few seconds (answered from a copy at most
  ``ENFORCED_TTL_SECONDS`` old, so a fleet of guards costs one query per second).

The same validation as the command line (``processor/store/budgets.py``) answers 400 with its
message; a body over 64 KiB gets 413. With ``TOKENTRACE_AUTH_TOKEN`` set these routes want
the same bearer token.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tokentrace.processor.api.routing import json_response, read_json
from tokentrace.processor.api.store_calls import StoreCalls
from tokentrace.processor.store import budgets

MAX_BODY_BYTES = 64 * 1024
ENFORCED_TTL_SECONDS = 1.0


def budget_json(budget: budgets.Budget) -> dict[str, Any]:
    """One budget as JSON: the shape of ``tokentrace budget list --format json``."""
    return {
        "scope": budget.scope,
        "filters": budget.filters,
        "period": budget.period,
        "amount": f"{budget.amount.normalize():f}",
        "updated_at": budget.updated_at.isoformat(),
        "enforce": budget.enforce,
    }


def enforced_json(state: budgets.EnforcedState) -> dict[str, Any]:
    """One enforced budget as the guard reads it: ``spent`` and ``utilization`` are null when
    every call of the period has an unknown cost (or was not stored), lower bounds when
    ``unpriced_requests`` or ``dead_lettered_requests`` (calls serve could not store) > 0."""
    known = state.spent is not None and state.utilization is not None
    return {
        "scope": state.budget.scope,
        "filters": state.budget.filters,
        "period": state.budget.period,
        "amount": f"{state.budget.amount.normalize():f}",
        "spent": f"{state.spent.normalize():f}" if state.spent is not None else None,
        "utilization": float(state.utilization) if state.utilization is not None else None,
        "exceeded": state.exceeded,
        "unpriced_requests": state.unpriced_requests,
        "dead_lettered_requests": state.dead_lettered_requests,
        "spent_complete": known
        and not state.unpriced_requests
        and not state.dead_lettered_requests,
    }


class BudgetsApi:
    def __init__(self, connect: Callable[[], Any], cluster: str | None = None) -> None:
        """``connect`` opens a store client of this API's own (serve's engine is shared);
        ``cluster``: the store's, to create a dropped bookkeeping table again."""
        self._call = StoreCalls(connect, cluster)
        self._enforced: tuple[float, dict[str, Any]] | None = None

    async def list(self, request: Request) -> Response:
        found = await asyncio.to_thread(self._call, budgets.list_budgets)
        return json_response({"budgets": [budget_json(b) for b in found]})

    async def put(self, request: Request) -> Response:
        try:
            body = await read_json(request, MAX_BODY_BYTES)
            if not isinstance(body, dict):
                raise ValueError("the body is a JSON object: {scope, amount, period}")
            if "amount" not in body:
                raise ValueError("the body needs an amount: {scope, amount, period}")
            scope, amount = str(body.get("scope", "")), str(body["amount"])
            period = str(body.get("period", "month"))
            enforce = body.get("enforce", False)
            if not isinstance(enforce, bool):
                raise ValueError(f"enforce is true or false, not {enforce!r}")
            budgets.parse_scope(scope)
            budgets.parse_amount(amount)
            budgets.check_period(period)
        except ValueError as exc:
            return json_response({"error": f"bad budget: {exc}"}, 400)
        budget = await asyncio.to_thread(
            self._call, budgets.set_budget, scope, amount, period, enforce
        )
        # Extra fields (contract: extend only): scope values no call has yet, a likely typo.
        unseen = await asyncio.to_thread(self._call, budgets.unseen_values, budget.filters)
        answer = budget_json(budget)
        answer["unseen"] = unseen
        answer["note"] = budgets.unseen_note(budget.filters, unseen)
        return json_response(answer)

    async def enforced(self, request: Request) -> Response:
        now = time.monotonic()
        cached = self._enforced
        if cached is None or now - cached[0] > ENFORCED_TTL_SECONDS:
            states = await asyncio.to_thread(self._call, budgets.enforced_state)
            cached = self._enforced = (now, {"budgets": [enforced_json(s) for s in states]})
        return json_response(cached[1])

    async def delete(self, request: Request) -> Response:
        scope = request.query_params.get("scope", "")
        period = request.query_params.get("period", "month")
        try:
            budgets.parse_scope(scope)
            budgets.check_period(period)
        except ValueError as exc:
            return json_response({"error": f"bad budget: {exc}"}, 400)
        try:
            budget = await asyncio.to_thread(self._call, budgets.delete_budget, scope, period)
        except LookupError as exc:
            return json_response({"error": exc.args[0]}, 404)
        return json_response(budget_json(budget))
