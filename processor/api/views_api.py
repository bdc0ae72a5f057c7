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
  (``other`` 1, ``members``: how many values it folds), so totals stay exact. ``top_calls``
  also answers ``unranked``: the range's calls its rows cannot place (of unknown cost, not
  stored), which each row repeats, so that a range whose only calls were not stored answers
  no rows but still their count.

With ``TOKENTRACE_AUTH_TOKEN`` set these routes want the same bearer token as OTLP.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from tokentrace.processor.api.routing import json_response
from tokentrace.processor.api.store_calls import StoreCalls
from tokentrace.processor.store import view_sql, views

DEFAULT_RANGE = timedelta(days=7)


class ViewsApi:
    def __init__(self, connect: Callable[[], Any], cluster: str | None = None) -> None:
        """``connect`` opens a store client for reads (its own, apart from the sink's);
        ``cluster``: the store's, to create a dropped bookkeeping table again."""
        self._call = StoreCalls(connect, cluster)

    async def list_views(self, request: Request) -> Response:
        return json_response(
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
        view = views.VIEWS.get(request.path_params["name"])
        if view is None:
            return json_response({"error": f"no view {request.path_params['name']!r}"}, 404)
        try:
            query = request.query_params
            end = _instant(query, "to") or datetime.now(UTC)
            start = _instant(query, "from") or end - DEFAULT_RANGE
            if start > end:
                raise ValueError("from must not be after to")
            filters = {
                k: query.getlist(k) for k in query if k not in ("from", "to", "exact", "limit")
            }
            exact = query.get("exact", "0") == "1"
            top = _limit(view, query)
            views.render(view, start=start, end=end, filters=filters, top=top)  # validates
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)
        arguments = {"start": start, "end": end, "filters": filters, "exact": exact, "top": top}
        rows = await asyncio.to_thread(self._call, views.fetch, view=view, **arguments)
        answer = {
            "view": view.name,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "rows": [{key: _json_value(value) for key, value in row.items()} for row in rows],
        }
        if view.unranked:
            answer["unranked"] = await asyncio.to_thread(
                self._call, view_sql.fetch_unranked, view=view, rows=rows, **arguments
            )
        return json_response(answer)


def _limit(view: views.View, query: QueryParams) -> int | None:
    """``limit=N`` (the last one given): the rows of a top-N breakdown before its "(other)"
    row."""
    value = query.get("limit")
    if value is None:
        return None
    if view.top is None:
        raise ValueError(f"view {view.name!r} takes no limit: it is not a top-N breakdown")
    text = value.strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= views.MAX_TOP:
        raise ValueError(f"limit={value!r}: use a whole number from 1 to {views.MAX_TOP}")
    return int(text)


def _instant(query: QueryParams, name: str) -> datetime | None:
    """The last ``name=`` given, as an aware datetime."""
    value = query.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name}={value!r} is not an ISO 8601 date or time") from None
    return views.check_instant(name, moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")  # exact, and never in exponent form
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):  # NaN and ±inf are not JSON
        return None
    return value
