"""Anthropic's Admin API reports: messages usage, cost report and the API key list.

- Usage: ``GET /v1/organizations/usage_report/messages`` with ``starting_at``/``ending_at``
  (RFC 3339), ``bucket_width=1d``, ``group_by[]`` (here ``model``, ``api_key_id``,
  ``workspace_id``, ``service_tier``), ``limit`` (at most 31 daily buckets) and ``page`` =
  ``next_page`` while ``has_more``. Each result splits input into
  ``uncached_input_tokens``, ``cache_read_input_tokens`` and
  ``cache_creation.ephemeral_5m_input_tokens`` / ``ephemeral_1h_input_tokens``; it counts
  no requests.
- Costs: ``GET /v1/organizations/cost_report`` (``1d`` only) grouped by ``workspace_id`` and
  ``description``; ``amount`` is a decimal string in the currency's lowest unit (cents:
  ``"123.45"`` USD is $1.2345), with ``model``, ``cost_type``, ``token_type`` and
  ``service_tier`` when grouped by description.
- Keys: ``GET /v1/organizations/api_keys`` paged by ``after_id`` = ``last_id``; each key shows
  its ``partial_key_hint`` (``sk-ant-api03-R2D...igAA``).

Reference: https://docs.anthropic.com/en/api/admin-api/usage-cost/get-messages-usage-report,
https://docs.anthropic.com/en/api/admin-api/usage-cost/get-cost-report and
https://docs.anthropic.com/en/api/admin-api/apikeys/list-api-keys
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from tokentrace.processor.reconcile import models
from tokentrace.processor.reconcile.http import AdminClient
from tokentrace.processor.reconcile.rows import CostRow, KeyRow, Report, UsageRow, tier

PROVIDER = "anthropic"
DEFAULT_URL = "https://api.anthropic.com"
KEY_ENV = "ANTHROPIC_ADMIN_KEY"
URL_ENV = "TOKENTRACE_ANTHROPIC_ADMIN_URL"
API_VERSION = "2023-06-01"

USAGE_GROUP_BY = ("model", "api_key_id", "workspace_id", "service_tier")
COST_GROUP_BY = ("workspace_id", "description")
PAGE_DAYS = 31
CENTS = Decimal(100)


def client(key: str, base_url: str) -> AdminClient:
    return AdminClient(
        name="Anthropic",
        key_env=KEY_ENV,
        url_env=URL_ENV,
        base_url=base_url,
        default_url=DEFAULT_URL,
        headers={"x-api-key": key, "anthropic-version": API_VERSION},
    )


def _rfc3339(day: date) -> str:
    return datetime.combine(day, datetime.min.time(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fetch(api: AdminClient, first: date, last: date) -> Report:
    """Every usage, cost and key row for the UTC days ``first`` to ``last`` inclusive."""
    window = [
        ("starting_at", _rfc3339(first)),
        ("ending_at", _rfc3339(last + timedelta(days=1))),
        ("bucket_width", "1d"),
        ("limit", PAGE_DAYS),
    ]
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    report = Report(PROVIDER, days)
    query = [*window, *(("group_by[]", g) for g in USAGE_GROUP_BY)]
    for page in api.pages("/v1/organizations/usage_report/messages", query):
        for bucket in page["data"]:
            day = _day(bucket["starting_at"])
            report.usage.extend(_usage_row(day, r) for r in bucket.get("results") or [])
    query = [*window, *(("group_by[]", g) for g in COST_GROUP_BY)]
    for page in api.pages("/v1/organizations/cost_report", query):
        for bucket in page["data"]:
            day = _day(bucket["starting_at"])
            report.costs.extend(_cost_row(day, r) for r in bucket.get("results") or [])
    report.keys = [
        KeyRow(
            key_id=key["id"],
            name=key.get("name") or "",
            redacted_value=key.get("partial_key_hint") or "",
            project_id=key.get("workspace_id") or "",
            status=key.get("status") or "",
        )
        for key in api.listing("/v1/organizations/api_keys", [("limit", 1000)], after="after_id")
    ]
    return report


def _day(text: str) -> date:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).date()


def _usage_row(day: date, result: dict[str, Any]) -> UsageRow:
    creation = result.get("cache_creation") or {}
    cache_write = int(creation.get("ephemeral_5m_input_tokens") or 0) + int(
        creation.get("ephemeral_1h_input_tokens") or 0
    )
    cache_read = int(result.get("cache_read_input_tokens") or 0)
    uncached = int(result.get("uncached_input_tokens") or 0)
    reported = result.get("model") or ""
    return UsageRow(
        day=day,
        endpoint="messages",
        model=models.canonical(PROVIDER, reported),
        reported_model=reported,
        project_id=result.get("workspace_id") or "",
        api_key_id=result.get("api_key_id") or "",
        service_tier=tier(result.get("service_tier")),
        input_tokens=uncached + cache_read + cache_write,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        output_tokens=int(result.get("output_tokens") or 0),
        requests=None,
    )


def _cost_row(day: date, result: dict[str, Any]) -> CostRow:
    reported = result.get("model") or ""
    return CostRow(
        day=day,
        model=models.canonical(PROVIDER, reported),
        reported_model=reported,
        line_item=result.get("description") or "",
        project_id=result.get("workspace_id") or "",
        cost_type=result.get("cost_type") or "",
        token_type=result.get("token_type") or "",
        service_tier=tier(result.get("service_tier")),
        amount=Decimal(str(result.get("amount") or "0")) / CENTS,
        currency=str(result.get("currency") or "USD").upper(),
    )
