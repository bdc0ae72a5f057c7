"""OpenAI's organisation reports: the Usage API, the Costs API and the project key lists.

- Usage: ``GET /organization/usage/{completions,embeddings,images,audio_speeches,
  audio_transcriptions}`` with ``start_time``/``end_time`` (Unix seconds), ``bucket_width=1d``,
  ``group_by`` (repeated), ``limit`` (buckets per page) and ``page`` = the last answer's
  ``next_page`` while ``has_more``. Results are ``organization.usage.<endpoint>.result``;
  completions carry ``input_tokens`` (cached included), ``input_cached_tokens``,
  ``output_tokens``, ``input_audio_tokens``/``output_audio_tokens`` and
  ``num_model_requests``, grouped here by ``model``, ``project_id``, ``api_key_id`` and, for
  completions (the only endpoint that has them), ``batch`` and ``service_tier`` (``default``,
  ``flex``, ``priority``, ``scale``: the tier that served the calls, as their responses say).
  Images and audio have no tokens: their requests are kept, their money comes from the Costs
  API.
- Costs: ``GET /organization/costs`` (only ``1d`` buckets) grouped by ``line_item`` and
  ``project_id``; ``amount.value`` is a JSON number in ``amount.currency`` (lower-case).
  Model line items read ``"<model>, input"`` / ``"<model>, output"``: the model is the part
  before the comma. The Costs API cannot group by tier (``group_by`` takes ``project_id``,
  ``line_item`` and ``api_key_id`` only), so its rows carry :data:`rows.ALL_TIERS`.
- Keys: ``GET /organization/projects`` then ``/organization/projects/{id}/api_keys``, paged
  by ``after`` = ``last_id``; each key shows only its ``redacted_value``.

Reference: https://platform.openai.com/docs/api-reference/usage and
https://platform.openai.com/docs/api-reference/project-api-keys
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tokentrace.processor.reconcile import models
from tokentrace.processor.reconcile.http import AdminClient
from tokentrace.processor.reconcile.rows import ALL_TIERS, CostRow, KeyRow, Report, UsageRow, tier

PROVIDER = "openai"
DEFAULT_URL = "https://api.openai.com/v1"
KEY_ENV = "OPENAI_ADMIN_KEY"
URL_ENV = "TOKENTRACE_OPENAI_ADMIN_URL"

USAGE_ENDPOINTS = ("completions", "embeddings", "images", "audio_speeches", "audio_transcriptions")
USAGE_GROUP_BY = ("model", "project_id", "api_key_id")
# The only usage endpoint that groups by `batch` and `service_tier`.
TIER_GROUP_BY = {"completions": ("batch", "service_tier")}
COST_GROUP_BY = ("line_item", "project_id")
PAGE_DAYS = 31  # usage buckets per page (the API's 1d maximum); costs allow up to 180


def client(key: str, base_url: str) -> AdminClient:
    return AdminClient(
        name="OpenAI",
        key_env=KEY_ENV,
        url_env=URL_ENV,
        base_url=base_url,
        default_url=DEFAULT_URL,
        headers={"Authorization": f"Bearer {key}"},
    )


def fetch(api: AdminClient, first: date, last: date) -> Report:
    """Every usage, cost and key row for the UTC days ``first`` to ``last`` inclusive."""
    start = int(datetime.combine(first, datetime.min.time(), UTC).timestamp())
    end = int(datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC).timestamp())
    window = [("start_time", start), ("end_time", end), ("bucket_width", "1d")]
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    report = Report(PROVIDER, days)
    for endpoint in USAGE_ENDPOINTS:
        group_by = (*USAGE_GROUP_BY, *TIER_GROUP_BY.get(endpoint, ()))
        query = [*window, *(("group_by", g) for g in group_by), ("limit", PAGE_DAYS)]
        for bucket in _buckets(api, f"/organization/usage/{endpoint}", query):
            day = _day(bucket["start_time"])
            report.usage.extend(_usage_row(day, endpoint, r) for r in bucket["results"])
    query = [*window, *(("group_by", g) for g in COST_GROUP_BY), ("limit", PAGE_DAYS)]
    for bucket in _buckets(api, "/organization/costs", query):
        day = _day(bucket["start_time"])
        report.costs.extend(_cost_row(day, r) for r in bucket["results"])
    report.keys = list(_keys(api))
    return report


def _buckets(api: AdminClient, path: str, query: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    # The Costs API documents its bucket list as `results`, the Usage API as `result`
    # in places: accept both spellings.
    found = []
    for page in api.pages(path, query):
        for bucket in page["data"]:
            bucket["results"] = bucket.get("results", bucket.get("result")) or []
            found.append(bucket)
    return found


def _day(unix: int) -> date:
    return datetime.fromtimestamp(int(unix), UTC).date()


def _int(result: dict[str, Any], name: str) -> int:
    return int(result.get(name) or 0)


def _usage_row(day: date, endpoint: str, result: dict[str, Any]) -> UsageRow:
    reported = result.get("model") or ""
    return UsageRow(
        day=day,
        endpoint=endpoint,
        model=models.canonical(PROVIDER, reported),
        reported_model=reported,
        project_id=result.get("project_id") or "",
        api_key_id=result.get("api_key_id") or "",
        service_tier="batch" if result.get("batch") else tier(result.get("service_tier")),
        input_tokens=_int(result, "input_tokens") + _int(result, "input_audio_tokens"),
        cache_read_tokens=_int(result, "input_cached_tokens"),
        cache_write_tokens=0,
        output_tokens=_int(result, "output_tokens") + _int(result, "output_audio_tokens"),
        requests=_int(result, "num_model_requests"),
    )


_MODEL_ID = re.compile(r"[a-z0-9][a-z0-9.:_/-]*")


def model_of_line_item(line_item: str) -> str:
    """``"gpt-4o-2024-08-06, input"`` → ``gpt-4o-2024-08-06``; '' for other line items
    (``"Image models"``, ``"Fine-tuning, training"``: not a model id)."""
    model, sep, _ = line_item.partition(", ")
    return model if sep and _MODEL_ID.fullmatch(model) else ""


def _cost_row(day: date, result: dict[str, Any]) -> CostRow:
    amount = result.get("amount") or {}
    line_item = result.get("line_item") or ""
    reported = model_of_line_item(line_item)
    return CostRow(
        day=day,
        model=models.canonical(PROVIDER, reported),
        reported_model=reported,
        line_item=line_item,
        project_id=result.get("project_id") or "",
        cost_type="tokens" if reported else "",
        token_type=line_item.partition(", ")[2] if reported else "",
        service_tier=ALL_TIERS,
        amount=Decimal(str(amount.get("value") or 0)),
        currency=str(amount.get("currency") or "usd").upper(),
    )


def _keys(api: AdminClient) -> list[KeyRow]:
    keys = []
    for project in api.listing("/organization/projects", [("limit", 100)], after="after"):
        path = f"/organization/projects/{project['id']}/api_keys"
        for key in api.listing(path, [("limit", 100)], after="after"):
            keys.append(
                KeyRow(
                    key_id=key["id"],
                    name=key.get("name") or "",
                    redacted_value=key.get("redacted_value") or "",
                    project_id=project["id"],
                    status=str(project.get("status") or "active"),
                )
            )
    return keys
