"""OpenAI's organisation admin API: Usage API, Costs API, projects and project API keys.

``GET /v1/organization/usage/{endpoint}``: ``start_time`` (required) and ``end_time`` in Unix
seconds, ``bucket_width`` (``1d``; the stand-in has daily records only), ``group_by``
(repeated, or ``group_by[]``), ``limit`` (1d: default 7, at most 31), ``page``. Answers
``{"object": "page", "data": [bucket…], "has_more", "next_page"}``, each bucket
``{"object": "bucket", "start_time", "end_time", "results": […]}`` with results
``organization.usage.<endpoint>.result``. ``GET /v1/organization/costs`` is the same with
``organization.costs.result`` (``amount: {value, currency: "usd"}``, ``line_item``,
``project_id``; limit up to 180). Admin keys go in ``Authorization: Bearer``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from .admin_ledger import BadRequest, Ledger, aggregate, days, limit_of, listing, page_of
from .reply import Reply, json_reply

_ids = itertools.count(1)

# endpoint: (group_by dimensions, summed fields), per the Usage API reference
_USAGE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "completions": (
        ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier"),
        (
            "input_tokens",
            "output_tokens",
            "input_cached_tokens",
            "input_audio_tokens",
            "output_audio_tokens",
            "num_model_requests",
        ),
    ),
    "embeddings": (
        ("project_id", "user_id", "api_key_id", "model"),
        ("input_tokens", "num_model_requests"),
    ),
    "moderations": (
        ("project_id", "user_id", "api_key_id", "model"),
        ("input_tokens", "num_model_requests"),
    ),
    "images": (
        ("project_id", "user_id", "api_key_id", "model", "source", "size"),
        ("images", "num_model_requests"),
    ),
    "audio_speeches": (
        ("project_id", "user_id", "api_key_id", "model"),
        ("characters", "num_model_requests"),
    ),
    "audio_transcriptions": (
        ("project_id", "user_id", "api_key_id", "model"),
        ("seconds", "num_model_requests"),
    ),
}
_COSTS = (("project_id", "line_item"), ("amount",))


def error(status: int, message: str) -> Reply:
    kinds = {400: "invalid_request_error", 401: "invalid_request_error", 403: "permission_error"}
    codes = {401: "invalid_api_key", 429: "rate_limit_exceeded"}
    document = {
        "error": {
            "message": message,
            "type": kinds.get(status, "server_error" if status >= 500 else "requests"),
            "param": None,
            "code": codes.get(status),
        }
    }
    return json_reply(document, status, {"x-request-id": f"req_admin{next(_ids)}"})


def authorized(headers: Mapping[str, str], key: str) -> Reply | None:
    """``None`` when the bearer token is the admin key, else the 401 OpenAI answers."""
    scheme, _, given = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and given.strip() == key:
        return None
    return error(401, "Incorrect API key provided. You must be an organization owner.")


def handle(path: str, query: Mapping[str, list[str]], ledger: Ledger) -> Reply:
    try:
        if path.startswith("/v1/organization/usage/"):
            endpoint = path.removeprefix("/v1/organization/usage/")
            if endpoint not in _USAGE:
                return error(404, f"Invalid URL (GET {path})")
            dims, sums = _USAGE[endpoint]
            records = [
                r for r in ledger.openai_usage if r.get("endpoint", "completions") == endpoint
            ]
            obj = f"organization.usage.{endpoint}.result"
            return _buckets(query, records, dims, sums, obj, max_limit=31)
        if path == "/v1/organization/costs":
            return _buckets(query, ledger.openai_costs, *_COSTS, "organization.costs.result", 180)
        if path == "/v1/organization/projects":
            page = listing(ledger.openai_projects, _limit(query), _one(query, "after"))
            return json_reply({"object": "list", **page})
        if path.startswith("/v1/organization/projects/") and path.endswith("/api_keys"):
            project = path.split("/")[4]
            keys = [
                {k: v for k, v in key.items() if k != "project_id"}
                for key in ledger.openai_keys
                if key["project_id"] == project
            ]
            return json_reply(
                {"object": "list", **listing(keys, _limit(query), _one(query, "after"))}
            )
    except BadRequest as exc:
        return error(400, str(exc))
    return error(404, f"Invalid URL (GET {path})")


def _one(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name) or query.get(f"{name}[]")
    return values[-1] if values else None


def _limit(query: Mapping[str, list[str]]) -> int:
    return limit_of(_one(query, "limit"), 20, 100)


def _buckets(
    query: Mapping[str, list[str]],
    records: list[dict[str, Any]],
    dims: tuple[str, ...],
    sums: tuple[str, ...],
    obj: str,
    max_limit: int,
) -> Reply:
    start_text = _one(query, "start_time")
    if start_text is None:
        raise BadRequest("Missing required parameter: 'start_time'.")
    if (_one(query, "bucket_width") or "1d") != "1d":
        raise BadRequest("the stand-in has daily records only: bucket_width=1d")
    try:
        start = datetime.fromtimestamp(int(start_text), UTC)
        end_text = _one(query, "end_time")
        end = datetime.fromtimestamp(int(end_text), UTC) if end_text else datetime.now(UTC)
    except ValueError:
        raise BadRequest("start_time and end_time are Unix seconds") from None
    first = start.date()
    last = (end - timedelta(microseconds=1)).date()
    group_by = query.get("group_by", []) + query.get("group_by[]", [])
    chosen, token = page_of(
        days(first, last + timedelta(days=1)),
        limit_of(_one(query, "limit"), 7, max_limit),
        _one(query, "page"),
    )
    data = []
    for day in chosen:
        begins = int(datetime.combine(day, datetime.min.time(), UTC).timestamp())
        results = aggregate(records, day, group_by, dims, sums)
        for result in results:
            result["object"] = obj
            if "amount" in result:
                # a JSON number, as OpenAI sends it (repr of a float round-trips exactly)
                result["amount"] = {"value": float(result["amount"]), "currency": "usd"}
        data.append(
            {
                "object": "bucket",
                "start_time": begins,
                "end_time": begins + 86400,
                "results": results,
            }
        )
    return json_reply(
        {"object": "page", "data": data, "has_more": token is not None, "next_page": token}
    )
