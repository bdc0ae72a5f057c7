"""The overview: the seven core views on the first 1080p screen, operations below.

First screen (rows 0-27): spend this month and its forecast, the range's spend, change,
requests, cost per request and unpriced requests; the daily trend and budget gauges;
spend by model, team and feature; cost per request, token breakdown, provider share.
Below: burn rate, latency, anomalies, failures, cache savings, waste, unpriced usage,
tenants and the most expensive calls.
"""

from __future__ import annotations

from typing import Any

from tokentrace.grafana import panels as p
from tokentrace.grafana.dashboards.common import dashboard as envelope
from tokentrace.processor.store.views import VIEWS

UID = "tokentrace-overview"

_COUNT_AND_SHARE = {"requests": "short", "share": "percentunit"}
_TOKENS = {"input_tokens": "short", "output_tokens": "short", "requests": "short"}
# What "Most expensive calls" reads without a row: no stored call in the range, though there
# may be calls serve could not store (never listed, their cost unknown), not "No data".
NOT_STORED_TITLE = "Calls not stored (dead letters)"
# reconciliation_by_key's statuses: red, billed calls nobody metered; orange, calls seen whose
# tokens are not metered or whose key is not recorded (the gap theirs first); blue, nothing
# billed is missing; green, matches.
KEY_STATUS = {
    "uninstrumented": "red",
    "partly instrumented": "red",
    "calls not stored": "orange",
    "calls without usage": "orange",
    "key not recorded": "orange",
    "unlisted key": "blue",
    "more metered than billed": "blue",
    "matches": "green",
}

NO_STORED_CALLS = (
    f"No stored calls in this range. Calls not stored are never listed (cost unknown): "
    f"see {NOT_STORED_TITLE}."
)


def panels() -> list[dict[str, Any]]:
    v = VIEWS
    return p.with_ids(
        [
            # ---- first screen: the seven core views
            # a cost beside the calls of unknown cost it leaves out (a lower bound then)
            p.stat(
                v["month_to_date"],
                (0, 0, 4, 4),
                field="cost",
                title="Spend this month",
                unknown=("unpriced_requests", "known spend"),
                not_stored="dead_lettered_requests",
                calls=("requests", "dead_lettered_requests"),
            ),
            p.stat(
                v["month_to_date"],
                (4, 0, 4, 4),
                field="forecast",
                title="Month-end forecast",
                unknown=("forecast_unpriced_requests", "from known spend"),
                not_stored="forecast_dead_lettered_requests",
                # no call this month nor the 7 days before: "no calls", not a $0.00 forecast
                calls=("requests", "last_week_requests", "forecast_dead_lettered_requests"),
            ),
            p.stat(
                v["totals"],
                (8, 0, 4, 4),
                field="cost",
                title="Spend in range",
                unknown=("unpriced_requests", "known spend"),
                not_stored="dead_lettered_requests",
                calls=("requests", "dead_lettered_requests"),
            ),
            p.stat(
                v["spend_change"],
                (12, 0, 3, 4),
                field="change",
                title="vs previous period",
                thresholds=[(None, "green"), (0.2, "orange"), (0.5, "red")],
                # named by change_basis: "no calls before" and "previous cost unknown" are
                # not the same blank
                unknown=("compared_unpriced_requests", "${__data.fields.change_basis}"),
                per_row=True,
            ),
            p.stat(v["totals"], (15, 0, 3, 4), field="requests", title="Requests", unit="short"),
            p.stat(
                v["totals"],
                (18, 0, 3, 4),
                field="cost_per_request",
                title="Cost per request",
                unknown=("unpriced_requests", "per call of known cost"),
                calls=("requests", "dead_lettered_requests"),
            ),
            p.stat(
                v["totals"],
                (21, 0, 3, 4),
                field="unpriced_requests",
                title="Unpriced requests",
                unit="short",
                thresholds=[(None, "green"), (1, "orange")],
            ),
            p.timeseries(
                v["daily_spend"],
                (0, 4, 16, 8),
                title="Daily spend (30 days)",
                bars=True,
                right_axis=("requests", "unpriced_requests", "dead_lettered_requests"),
            ),
            p.gauge(
                v["budget_utilization"],
                (16, 4, 8, 8),
                field="utilization",
                label="budget",
                thresholds=[(None, "green"), (0.5, "yellow"), (0.8, "orange"), (1, "red")],
            ),
            p.table(v["spend_by_model"], (0, 12, 10, 8), units={**_COUNT_AND_SHARE, **_TOKENS}),
            p.bars(v["spend_by_team"], (10, 12, 7, 8), label="team"),
            p.bars(v["spend_by_feature"], (17, 12, 7, 8), label="feature"),
            p.timeseries(v["cost_per_request"], (0, 20, 8, 8), right_axis=("unpriced_requests",)),
            # the tokens stacked; beside them, the calls whose tokens are in none of them
            p.timeseries(
                v["token_breakdown"],
                (8, 20, 8, 8),
                stacked=True,
                bars=True,
                right_axis=("usage_missing_requests", "dead_lettered_requests"),
                right_unit="none",
            ),
            p.pie(v["spend_by_provider"], (16, 20, 8, 8), label="provider"),
            # ---- operations
            p.row("Operations", 28),
            p.timeseries(
                v["hourly_burn_rate"],
                (0, 29, 12, 8),
                right_axis=(
                    "unpriced_requests",
                    "failed_unpriced_requests",
                    "dead_lettered_requests",
                ),
            ),
            p.table(
                v["latency_by_provider"],
                (12, 29, 12, 8),
                units={"requests": "short"},
            ),
            p.table(v["anomalies"], (0, 37, 12, 8), units={"ratio": "none"}),
            p.table(
                v["failures_by_feature"],
                (12, 37, 12, 8),
                units={
                    "requests": "short",
                    "failed_requests": "short",
                    "error_rate": "percentunit",
                    "failed_unpriced_requests": "short",
                },
            ),
            p.stat(
                v["totals"],
                (0, 45, 4, 8),
                field="cache_savings",
                title="Cache savings",
                unknown=("unpriced_requests", "known savings"),
                calls=("requests", "dead_lettered_requests"),
            ),
            p.table(
                v["cache_savings"],
                (4, 45, 8, 8),
                units={"cache_read_tokens": "short", "cache_write_tokens": "short"},
            ),
            p.table(
                v["waste_signals"],
                (12, 45, 12, 8),
                units={**_TOKENS, "prompt_to_completion": "none"},
            ),
            p.table(v["unpriced_usage"], (0, 53, 12, 8)),
            p.table(v["spend_by_tenant"], (12, 53, 12, 8), units=_COUNT_AND_SHARE),
            p.table(
                v["top_calls"],
                (0, 61, 24, 10),
                units={"input_tokens": "short", "output_tokens": "short", "latency_ms": "ms"},
                no_rows=NO_STORED_CALLS,
            ),
            # ---- the providers' bill against the metered cost (`tokentrace reconcile`)
            p.row("Reconciliation", 71),
            p.table(
                v["reconciliation"],
                (0, 72, 24, 10),
                units={
                    "gap_ratio": "percentunit",
                    **{
                        f"{side}_{kind}": "short"
                        for side in ("billed", "metered")
                        for kind in ("input_tokens", "output_tokens", "requests")
                    },
                    "unpriced_requests": "short",
                    "unknown_cost_requests": "short",
                    "usage_missing_requests": "short",
                    "has_usage": "short",
                    "token_gap": "short",
                },
            ),
            p.table(
                v["unmetered_spend"],
                (0, 82, 10, 8),
                units={
                    "unmetered_share": "percentunit",
                    "days": "short",
                    "unknown_cost_days": "short",
                    "usage_missing_requests": "short",
                },
            ),
            p.table(
                v["billed_by_key"],
                (10, 82, 14, 8),
                units={"billed_requests": "short"},
            ),
            p.table(v["reconciliation_by_key"], (0, 90, 24, 8), colours=("status", KEY_STATUS)),
            # Calls whose cost is unknown because their span had no usage: never counted as $0.
            p.stat(
                v["totals"],
                (0, 98, 4, 4),
                field="usage_missing_requests",
                title="Calls without usage (cost unknown)",
                unit="short",
                thresholds=[(None, "green"), (1, "orange")],
            ),
            # Calls serve could not store (dead letters): in no total above until replayed.
            p.stat(
                v["totals"],
                (0, 102, 4, 4),
                field="dead_lettered_requests",
                title=NOT_STORED_TITLE,
                unit="short",
                thresholds=[(None, "green"), (1, "red")],
            ),
            p.table(v["usage_missing"], (4, 98, 20, 8)),
            # What providers and gateways reported they charged, against the computed cost;
            # what each extra usage unit (audio, image, 1-hour cache writes…) cost.
            p.table(
                v["provider_cost_differences"],
                (0, 106, 14, 8),
                units={
                    "reported_requests": "short",
                    "compared_requests": "short",
                    "gap_ratio": "percentunit",
                },
            ),
            p.table(v["cost_by_unit"], (14, 106, 10, 8), units={"tokens": "short"}),
        ]
    )


def dashboard() -> dict[str, Any]:
    return envelope(
        uid=UID,
        title="LLM cost overview",
        description="What LLM calls cost, by model, team, feature and tenant (tokentrace).",
        panels=panels(),
    )
