"""Anthropic's Admin API: messages usage report, cost report and the API key list.

``GET /v1/organizations/usage_report/messages``: ``starting_at`` (required) and ``ending_at``
(RFC 3339), ``bucket_width`` (``1d`` here), ``group_by[]``, ``limit`` (1d: default 7, at most
31), ``page``. Answers ``{"data": [{"starting_at", "ending_at", "results": […]}], "has_more",
"next_page"}``; results split input into ``uncached_input_tokens``,
``cache_read_input_tokens`` and ``cache_creation.ephemeral_5m_input_tokens`` /
``ephemeral_1h_input_tokens``. ``GET /v1/organizations/cost_report`` groups by
``workspace_id`` and ``description`` and reports ``amount`` as a decimal string in cents.
Admin keys go in ``x-api-key``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .admin_ledger import BadRequest, Ledger, aggregate, days, limit_of, listing, page_of
from .reply import Reply, json_reply

_ids = itertools.count(1)

_USAGE_DIMS = ("api_key_id", "workspace_id", "model", "service_tier", "context_window")
_USAGE_SUMS = (
    "uncached_input_tokens",
    "cache_read_input_tokens",
    "ephemeral_5m_input_tokens",
    "ephemeral_1h_input_tokens",
    "output_tokens",
    "web_search_requests",
)
_COST_DIMS = ("workspace_id", "description")
# Set from the description when grouping by it; null otherwise.
_DESCRIBED = ("cost_type", "model", "service_tier", "token_type", "context_window")
_ERRORS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def error(status: int, message: str) -> Reply:
    request_id = f"req_admin{next(_ids)}"
    document = {
        "type": "error",
        "error": {"type": _ERRORS.get(status, "api_error"), "message": message},
        "request_id": request_id,
    }
    return json_reply(document, status, {"request-id": request_id})


def authorized(headers: Mapping[str, str], key: str) -> Reply | None:
    if headers.get("x-api-key") == key:
        return None
    return error(401, "invalid x-api-key")


def handle(path: str, query: Mapping[str, list[str]], ledger: Ledger) -> Reply:
    try:
        if path == "/v1/organizations/usage_report/messages":
            return _report(query, ledger.anthropic_usage)
        if path == "/v1/organizations/cost_report":
            return _report(query, None, ledger.anthropic_costs)
        if path == "/v1/organizations/api_keys":
            limit = limit_of(_one(query, "limit"), 20, 1000)
            return json_reply(listing(ledger.anthropic_keys, limit, _one(query, "after_id")))
    except BadRequest as exc:
        return error(400, str(exc))
    return error(404, f"Not found: {path}")


def _one(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _instant(text: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name} must be an RFC 3339 timestamp: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _report(
    query: Mapping[str, list[str]],
    usage: list[dict[str, Any]] | None,
    costs: list[dict[str, Any]] | None = None,
) -> Reply:
    start_text = _one(query, "starting_at")
    if start_text is None:
        raise BadRequest("starting_at: Field required")
    if (_one(query, "bucket_width") or "1d") != "1d":
        raise BadRequest("the stand-in has daily records only: bucket_width=1d")
    first = _instant(start_text, "starting_at").astimezone(UTC).date()
    end_text = _one(query, "ending_at")
    end = _instant(end_text, "ending_at") if end_text else datetime.now(UTC)
    last = (end.astimezone(UTC) - timedelta(microseconds=1)).date()
    group_by = query.get("group_by[]", []) + query.get("group_by", [])
    chosen, token = page_of(
        days(first, last + timedelta(days=1)),
        limit_of(_one(query, "limit"), 7, 31),
        _one(query, "page"),
    )
    data = []
    for day in chosen:
        if usage is not None:
            results = [
                _usage_result(r) for r in aggregate(usage, day, group_by, _USAGE_DIMS, _USAGE_SUMS)
            ]
        else:
            results = _cost_results(costs or [], day, group_by)
        data.append(
            {
                "starting_at": _rfc3339(day),
                "ending_at": _rfc3339(day + timedelta(days=1)),
                "results": results,
            }
        )
    return json_reply({"data": data, "has_more": token is not None, "next_page": token})


def _rfc3339(day: date) -> str:
    return datetime.combine(day, datetime.min.time(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _usage_result(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "uncached_input_tokens": result["uncached_input_tokens"],
        "cache_creation": {
            "ephemeral_1h_input_tokens": result["ephemeral_1h_input_tokens"],
            "ephemeral_5m_input_tokens": result["ephemeral_5m_input_tokens"],
        },
        "cache_read_input_tokens": result["cache_read_input_tokens"],
        "output_tokens": result["output_tokens"],
        "server_tool_use": {"web_search_requests": result["web_search_requests"]},
        **{name: result[name] for name in _USAGE_DIMS},
    }


def _cost_results(
    records: list[dict[str, Any]], day: date, group_by: list[str]
) -> list[dict[str, Any]]:
    described = "description" in group_by
    dims = (*_COST_DIMS, *_DESCRIBED) if described else _COST_DIMS
    keys = [*group_by, *(_DESCRIBED if described else ())]
    if sorted(set(group_by) - set(_COST_DIMS)):
        raise BadRequest(f"invalid group_by value(s); allowed: {', '.join(_COST_DIMS)}")
    results = []
    for result in aggregate(records, day, keys, dims, ("amount",)):
        result["amount"] = format(result["amount"], "f")
        result["currency"] = "USD"
        for name in _DESCRIBED:
            result.setdefault(name, None)
        results.append(result)
    return results
