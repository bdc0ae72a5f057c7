"""The readers' HTTP API: the views of ``processor/store/views.py`` over the store serve holds.

chDB lets one process open a data directory, so while ``tokentrace serve`` runs the
embedded store, this is how anything else reads it. Named views only, never arbitrary
SQL:

- ``GET /api/v1/views``: every view, with its title, description and filters;
- ``GET /api/v1/views/{name}?from=ISO&to=ISO&<filter>=<value>``: the view's rows as JSON.
  ``from`` defaults to 7 days before ``to``, ``to`` to now; both are ISO 8601, UTC when
  no offset is given; ``to`` is inclusive, as a dashboard's range end. Filters are the
  dashboard variables (``team``, ``tenant``, ``model``, …) plus ``user`` and
  ``conversation``, and repeat for several values; ``exact=1`` counts only the range where
  it is not whole days, as the report does (``views.render``). Decimal money comes back
  as strings, exactly; times as ISO 8601. High-cardinality breakdowns (tenant, user,
  conversation) return their 100 largest rows, or ``limit=N``, then one ``(other)`` row
  (``other`` 1, ``members``: how many values it folds), so totals stay exact.

With ``TOKENTRACE_AUTH_TOKEN`` set these routes want the same bearer token as OTLP.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tokentrace.processor.api.routing import Request, Response, bearer_ok, unauthorized
from tokentrace.processor.store import views

DEFAULT_RANGE = timedelta(days=7)


class ViewsApi:
    def __init__(self, connect: Callable[[], Any], auth_token: str | None) -> None:
        """``connect`` opens a store client for reads (its own, apart from the sink's)."""
        self._connect = connect
        self._client: Any = None
        self._auth_token = auth_token
        self._lock = threading.Lock()  # one query at a time on the reader's client

    async def list_views(self, request: Request) -> Response:
        if not bearer_ok(request.headers.get("authorization"), self._auth_token):
            return unauthorized()
        return Response.json(
            {
                "views": [
                    {
                        "name": view.name,
                        "title": view.title,
                        "description": view.description,
                        "filters": list(view.filtered_by),
                    }
                    for view in views.VIEWS.values()
                ]
            }
        )

    async def run_view(self, request: Request) -> Response:
        if not bearer_ok(request.headers.get("authorization"), self._auth_token):
            return unauthorized()
        view = views.VIEWS.get(request.path_params["name"])
        if view is None:
            return Response.json({"error": f"no view {request.path_params['name']!r}"}, 404)
        try:
            end = _instant(request.query, "to") or datetime.now(UTC)
            start = _instant(request.query, "from") or end - DEFAULT_RANGE
            if start > end:
                raise ValueError("from must not be after to")
            filters = {
                k: v for k, v in request.query.items() if k not in ("from", "to", "exact", "limit")
            }
            exact = request.query.get("exact", ["0"])[-1] == "1"
            top = _limit(view, request.query)
            views.render(view, start=start, end=end, filters=filters, top=top)  # validates
        except ValueError as exc:
            return Response.json({"error": str(exc)}, 400)
        rows = await asyncio.to_thread(self._fetch, view, start, end, filters, exact, top)
        return Response.json(
            {
                "view": view.name,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "rows": [{key: _json_value(value) for key, value in row.items()} for row in rows],
            }
        )

    def _fetch(
        self,
        view: views.View,
        start: datetime,
        end: datetime,
        filters: dict[str, list[str]],
        exact: bool,
        top: int | None,
    ) -> list[dict[str, Any]]:
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return views.fetch(
                self._client, view, start=start, end=end, filters=filters, exact=exact, top=top
            )


def _limit(view: views.View, query: dict[str, list[str]]) -> int | None:
    """``limit=N``: the rows of a top-N breakdown before its "(other)" row."""
    values = query.get("limit")
    if not values:
        return None
    if view.top is None:
        raise ValueError(f"view {view.name!r} takes no limit: it is not a top-N breakdown")
    text = values[-1].strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= views.MAX_TOP:
        raise ValueError(f"limit={values[-1]!r}: use a whole number from 1 to {views.MAX_TOP}")
    return int(text)


def _instant(query: dict[str, list[str]], name: str) -> datetime | None:
    values = query.get(name)
    if not values:
        return None
    try:
        moment = datetime.fromisoformat(values[-1].strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name}={values[-1]!r} is not an ISO 8601 date or time") from None
    return views.check_instant(name, moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")  # exact, and never in exponent form
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):  # NaN and ±inf are not JSON
        return None
    return value
