"""Write an imported report into the store so that re-importing a day replaces it.

Order (see migration 0006): rows under a new version → one ``billed_imports`` marker per
day and report, empty days included → delete the older versions of those days. Readers
only see the newest marked version, so a day never reads half-replaced, and a crash
before the markers leaves the previous import in force.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tokentrace.processor.reconcile.rows import Report

USAGE_COLUMNS = (
    "provider", "day", "version", "endpoint", "model", "reported_model", "project_id",
    "api_key_id", "service_tier", "input_tokens", "cache_read_tokens", "cache_write_tokens",
    "output_tokens", "requests",
)  # fmt: skip
COST_COLUMNS = (
    "provider", "day", "version", "model", "reported_model", "line_item", "project_id",
    "cost_type", "token_type", "service_tier", "amount", "currency",
)  # fmt: skip
KEY_COLUMNS = (
    "provider", "key_id", "name", "redacted_value", "hint_prefix", "hint_suffix",
    "project_id", "status", "imported_at",
)  # fmt: skip
REPORTS = ("usage", "cost")
ALWAYS_REIMPORT_DAYS = 2  # today and yesterday: providers finalise their reports late


@dataclass(frozen=True)
class Written:
    provider: str
    days: int
    usage_rows: int
    cost_rows: int
    keys: int


def write(client: Any, report: Report) -> Written:
    """Replace ``report.days`` of ``report.provider`` with the report's rows."""
    version = time.time_ns() // 1000
    now = datetime.now(UTC)
    provider = report.provider
    if report.usage:
        client.insert(
            "billed_usage",
            [[provider, r.day, version, *_usage_values(r)] for r in report.usage],
            column_names=USAGE_COLUMNS,
        )
    if report.costs:
        client.insert(
            "billed_costs",
            [[provider, r.day, version, *_cost_values(r)] for r in report.costs],
            column_names=COST_COLUMNS,
        )
    counts = {
        "usage": _per_day(r.day for r in report.usage),
        "cost": _per_day(r.day for r in report.costs),
    }
    client.insert(
        "billed_imports",
        [
            [provider, name, day, version, counts[name].get(day, 0), now]
            for name in REPORTS
            for day in report.days
        ],
        column_names=("provider", "report", "day", "version", "rows", "imported_at"),
    )
    if report.keys:
        client.insert(
            "provider_api_keys",
            [
                [provider, k.key_id, k.name, k.redacted_value, *k.hint, k.project_id, k.status, now]
                for k in report.keys
            ],
            column_names=KEY_COLUMNS,
        )
    if report.days:
        _drop_older(client, provider, min(report.days), max(report.days), version)
    return Written(
        provider, len(report.days), len(report.usage), len(report.costs), len(report.keys)
    )


def _usage_values(r: Any) -> list[Any]:
    return [
        r.endpoint, r.model, r.reported_model, r.project_id, r.api_key_id, r.service_tier,
        r.input_tokens, r.cache_read_tokens, r.cache_write_tokens, r.output_tokens, r.requests,
    ]  # fmt: skip


def _cost_values(r: Any) -> list[Any]:
    return [
        r.model, r.reported_model, r.line_item, r.project_id, r.cost_type, r.token_type,
        r.service_tier, r.amount, r.currency,
    ]  # fmt: skip


def _per_day(days: Any) -> dict[date, int]:
    counts: dict[date, int] = {}
    for day in days:
        counts[day] = counts.get(day, 0) + 1
    return counts


def _drop_older(client: Any, provider: str, first: date, last: date, version: int) -> None:
    """Delete the replaced versions of the imported days (readers already ignore them)."""
    parameters = {"provider": provider, "first": first, "last": last, "version": version}
    for table in ("billed_usage", "billed_costs", "billed_imports"):
        client.command(
            f"DELETE FROM {table} WHERE provider = {{provider:String}} "
            "AND day >= {first:Date} AND day <= {last:Date} AND version < {version:UInt64}",
            parameters=parameters,
        )


def days_to_import(client: Any, provider: str, since: date, today: date) -> tuple[date, date]:
    """The first and last day to fetch: from the first day in ``since``..``today`` never
    imported (for both reports), but always at least the last two days."""
    result = client.query(
        "SELECT day FROM billed_imports WHERE provider = {provider:String} "
        "AND day >= {since:Date} AND day <= {today:Date} "
        "GROUP BY day HAVING uniqExact(report) = {reports:UInt8}",
        parameters={"provider": provider, "since": since, "today": today, "reports": len(REPORTS)},
    )
    done = {row[0] for row in result.result_rows}
    recent = today - timedelta(days=ALWAYS_REIMPORT_DAYS - 1)
    day = since
    while day < recent and day in done:
        day += timedelta(days=1)
    return min(day, recent), today
