"""The reconciliation import API: how ``tokentrace reconcile`` writes through a running serve.

chDB lets one process open a data directory, so while serve holds the embedded store the
command fetches the providers' reports itself (with the admin keys of *its* environment,
which never travel) and hands serve the rows:

- ``GET /api/v1/reconcile/plan?provider=openai&since=2026-11-01&today=2026-11-30``: the first
  and last day to fetch (``{"first": …, "last": …}``), from the days already imported;
- ``POST /api/v1/reconcile/reports`` with a report (``rows.to_json``): replaces its days;
  answers what was written.

Bad input answers 400 with what is wrong. With ``TOKENTRACE_AUTH_TOKEN`` set these routes
want the same bearer token as every other route.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tokentrace.processor.api.routing import BodyTooLarge, json_response, read_json
from tokentrace.processor.api.store_calls import StoreCalls
from tokentrace.processor.reconcile import rows, store_days

MAX_BODY_BYTES = 64 * 1024 * 1024  # 31 days of a large organisation's grouped buckets


class ReconcileApi:
    def __init__(self, connect: Callable[[], Any], cluster: str | None = None) -> None:
        """``connect`` opens a store client of this API's own (serve's engine is shared);
        ``cluster``: the store's, to create a dropped bookkeeping table again."""
        self._call = StoreCalls(connect, cluster)

    async def plan(self, request: Request) -> Response:
        try:
            provider = request.query_params["provider"]
            since = date.fromisoformat(request.query_params["since"])
            today = date.fromisoformat(request.query_params["today"])
        except (KeyError, ValueError) as exc:
            return json_response(
                {"error": f"want provider, since and today (ISO dates): {exc}"}, 400
            )
        first, last = await asyncio.to_thread(
            self._call, store_days.days_to_import, provider, since, today
        )
        return json_response({"first": first.isoformat(), "last": last.isoformat()})

    async def reports(self, request: Request) -> Response:
        try:
            report = rows.from_json(await read_json(request, MAX_BODY_BYTES))
        except BodyTooLarge as exc:
            return json_response({"error": f"{exc}: import fewer days at a time (--since)"}, 413)
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        written = await asyncio.to_thread(self._call, store_days.write, report)
        return json_response(dataclasses.asdict(written))
