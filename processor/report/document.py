"""The report document: every view of the report, as one JSON-ready dict.

This is the stable shape of ``tokentrace report --format json`` (documented in the
README); the terminal and HTML renderers read the same dict. Rows come from the views of
:mod:`tokentrace.processor.store.views` — the SQL the dashboards run — either straight from a
store or through a running ``tokentrace serve`` (whose API answers the same views), so
the fetcher is a parameter. Money is an exact decimal string (``"0.0498"``), token and
request counts are integers, ratios and latencies are numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tokentrace.processor.api import client as serve_client
from tokentrace.processor.reconcile.rows import ALL_TIERS
from tokentrace.processor.report.window import Window
from tokentrace.processor.store import views

Fetch = Callable[..., list[dict[str, Any]]]
"""``fetch(name, top=None)``: rows of the named view for the report's window and filters;
``top`` caps a top-N breakdown (``views.View.top``) before its "(other)" row."""

Source = Callable[..., list[dict[str, Any]]]
"""``source(name, start, end, filters, exact=False, top=None)``: rows of the named view for
any range (end inclusive) and filters, from the store or through an API; ``exact`` counts
only the range where it is not whole days (see ``views.render``), ``top`` as in Fetch."""

DEFAULT_TOP = 10  # rows of a high-cardinality breakdown in the report (``--top``)

TOTAL_COUNTS = (
    "requests",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "unpriced_requests",
    "usage_missing_requests",
    "failed_requests",
    "blocked_requests",
)


# The ``by_tag`` breakdowns both renderers show, in order, with their titles.
BREAKDOWNS = (
    ("team", "Spend by team"),
    ("feature", "Spend by feature"),
    ("tenant", "Spend by tenant"),
    ("api_key", "Spend by API key"),
    ("endpoint", "Top endpoints"),
)


def money(value: Any) -> str:
    """An exact decimal string without exponent or trailing zeros; NULL/None is "0"."""
    if value is None:
        return "0"
    text = format(Decimal(str(value)).normalize(), "f")
    return "0" if text in ("-0", "0") else text


def known_money(value: Any) -> str | None:
    """:func:`money` of a cost that may be unknown: NULL/None (every call behind it has an
    unknown cost) stays None, JSON null, never "0"."""
    return None if value is None else money(value)


def amount_text(
    value: str | None, unknown: int, money_text: Callable[[str], str], lost: int = 0
) -> str:
    """A known cost as people read it: ``unknown`` when there is none, the known cost plus how
    many calls are unknown when some are (a lower bound); never $0.00 for unknown. ``lost``
    calls serve could not store (dead letters) are in no cost: "$12.40 + 3 unknown + 2 not
    stored"."""
    text = "unknown" if value is None else money_text(value)
    if value is not None and unknown:
        text += f" + {unknown:,} unknown"
    return f"{text} + {lost:,} not stored" if lost else text


def spend_text(doc: dict[str, Any], money_text: Callable[[str], str]) -> str:
    """The window's spend (:func:`amount_text`), with the calls serve could not store, which
    no total holds; "no calls" for a window without any, whose $0 is no spend to read."""
    totals = doc["totals"]
    lost = doc.get("dead_lettered_requests", 0)
    if not totals.get("requests") and not lost:
        return "no calls"
    return amount_text(totals["cost"], totals.get("unpriced_requests", 0), money_text, lost)


def tokens_left_out_text(doc: dict[str, Any]) -> str:
    """The calls whose tokens no count holds, said under the tokens: "" when none. A call
    stored without usage and a call not stored add nothing to the counts, which would read
    as complete without it."""
    missing = doc["totals"].get("usage_missing_requests", 0)
    lost = doc.get("dead_lettered_requests", 0)
    parts = [
        f"{count:,} call{'s' * (count != 1)} {what}"
        for count, what in ((missing, "without usage"), (lost, "not stored"))
        if count
    ]
    return f"Not in these counts: the tokens of {' and '.join(parts)}." if parts else ""


def month_text(doc: dict[str, Any], money_text: Callable[[str], str]) -> str:
    """Month to date as :func:`spend_text` says the window's spend."""
    mtd = doc["month_to_date"]
    lost = mtd.get("dead_lettered_requests", 0)
    if not mtd.get("requests", 1) and not lost:
        return "no calls"
    return amount_text(mtd["cost"], mtd.get("unpriced_requests", 0), money_text, lost)


def forecast_text(doc: dict[str, Any], money_text: Callable[[str], str]) -> str:
    """The month-end forecast (:func:`lower_bound_text`); "no calls" when neither this month
    nor the 7 days before hold any call, whose forecast of $0 is no spend to read."""
    mtd = doc["month_to_date"]
    if mtd.get("forecast_no_calls"):
        return "no calls"
    return lower_bound_text(mtd["forecast"], not mtd.get("forecast_complete", True), money_text)


def lower_bound_text(value: str | None, partial: bool, money_text: Callable[[str], str]) -> str:
    """An amount worked out from known costs (a forecast, savings, an average): ``unknown``
    without any, ``at least`` it when calls of unknown cost are left out of it."""
    if value is None:
        return "unknown"
    return f"at least {money_text(value)}" if partial else money_text(value)


def upper_bound_text(value: str | None, partial: bool, money_text: Callable[[str], str]) -> str:
    """An amount that calls of unknown cost would lower (billed minus a metered cost that
    leaves them out): ``unknown`` without any, ``at most`` it when some are left out."""
    if value is None:
        return "unknown"
    return f"at most {money_text(value)}" if partial else money_text(value)


def unmetered_text(row: dict[str, Any], money_text: Callable[[str], str]) -> str:
    """An ``unmetered_spend`` row's amount: days whose gap sits beside metered calls without a
    price are not in it, only counted ("$3.00 + 1 day unknown", or ``unknown``); calls seen
    without usage are in it, and said ("$3.00 incl. 40 calls without usage")."""
    days = row.get("unknown_cost_days", 0)
    if row["unmetered_cost"] is None:
        return "unknown"
    text = money_text(row["unmetered_cost"])
    missing = row.get("usage_missing_requests", 0)
    if missing:
        text += f" incl. {missing:,} call{'s' * (missing != 1)} without usage"
    return f"{text} + {days} day{'s' * (days != 1)} unknown" if days else text


def tier_model(row: dict[str, Any]) -> str:
    """A ``reconciliation`` row's model and, unless standard, its service tier:
    ``gpt-5 (flex)``; ``(all tiers)`` for the row of a model's day whose bill does not split
    its cost by tier (OpenAI's)."""
    model = row["model"] or "(no model)"
    tier = row.get("service_tier") or ""
    return f"{model} ({'all tiers' if tier == ALL_TIERS else tier})" if tier else model


def key_text(row: dict[str, Any]) -> str:
    """A ``reconciliation_by_key`` row as one line: the key as the provider lists it and its
    status, with how many of its metered calls had no usage (their tokens metered as 0, so a
    token gap beside them is not evidence of uninstrumented calls), how many were not stored,
    and how many billed calls none of those accounts for (where the bill counts them), or,
    for a key not recorded, how many calls of its model were metered without a key."""
    key = row["key_name"] or row["api_key_id"] or "not in the provider's list"
    if row["redacted_value"]:
        key += f" ({row['redacted_value']})"
    text = f"{row['provider']}/{row['model'] or '(no model)'} key {key}: {row['status']}"
    missing = row.get("usage_missing_requests", 0)
    if missing:
        text += f", {missing:,} of {row['metered_requests']:,} calls"
        text += "" if row["status"] == "calls without usage" else " without usage"
    lost = row.get("dead_lettered_requests", 0)
    if lost:
        text += f", {lost:,} call{'s' * (lost != 1)} not stored"
    unseen = row.get("request_gap")
    unkeyed = row.get("unkeyed_requests", 0)
    if row["status"] == "key not recorded":
        text += f", {unkeyed:,} call{'s' * (unkeyed != 1)} of the model metered without a key"
    elif unseen and unseen > 0:
        text += f", {unseen:,} billed call{'s' * (unseen != 1)} never seen"
    return text


def cost_text(row: dict[str, Any], money_text: Callable[[str], str]) -> str:
    """A row's cost as people read it (:func:`amount_text`), with its calls not stored."""
    unknown = row.get("unpriced_requests", 0)
    lost = row.get("dead_lettered_requests", 0)
    if unknown and unknown >= row.get("requests", 0):
        return amount_text(None, unknown, money_text, lost)
    return amount_text(row["cost"], unknown, money_text, lost)


def share_left_out(rows: list[dict[str, Any]], doc: dict[str, Any]) -> str:
    """What a breakdown's shares (of the known spend) leave out ("3 calls of unknown cost and
    1 call not stored"), '' when nothing: said once under it by the terminal and the HTML.

    The counts are the breakdown's own window-wide ones (``share_unpriced_requests``,
    ``share_dead_lettered_requests``) where its rows carry them, else the report's totals (a
    tag breakdown's rows cover the same calls)."""
    first = rows[0] if rows else {}
    unknown = first.get("share_unpriced_requests", doc["totals"]["unpriced_requests"])
    lost = first.get("share_dead_lettered_requests", doc.get("dead_lettered_requests", 0))
    return " and ".join(
        f"{count:,} call{'s' * (count != 1)} {what}"
        for count, what in ((unknown, "of unknown cost"), (lost, "not stored"))
        if count
    )


def unknown_lines(totals: dict[str, Any], lost: int = 0) -> list[str]:
    """The totals' unknown costs, counted ("3 calls without usage: cost unknown"), and the
    ``lost`` calls serve could not store."""
    missing = totals.get("usage_missing_requests", 0)
    unpriced = totals.get("unpriced_requests", 0) - missing
    lines = []
    if lost:
        lines.append(
            f"{lost:,} call{'s' * (lost != 1)} not stored (dead letters: tokentrace "
            "dead-letters list): not in any total"
        )
    if missing:
        lines.append(f"{missing:,} call{'s' * (missing != 1)} without usage: cost unknown")
    if unpriced > 0:
        plural = "s" * (unpriced != 1)
        lines.append(f"{unpriced:,} call{plural} without a known price: cost unknown")
    return lines


def _day(value: Any) -> str:
    return value.isoformat()[:10] if isinstance(value, dt.date) else str(value)[:10]


def _number(value: Any, places: int = 6) -> float | None:
    return None if value is None else round(float(value), places)


def _inclusive_end(end: dt.datetime) -> dt.datetime:
    """Views take an inclusive end, as Grafana sends; the window's end is exclusive."""
    return end - dt.timedelta(milliseconds=1)


def store_source(client: Any) -> Source:
    """Run views on a clickhouse-connect client (embedded chDB or a server)."""

    def rows(
        name: str,
        start: dt.datetime,
        end: dt.datetime,
        filters: dict[str, tuple[str, ...]],
        exact: bool = False,
        top: int | None = None,
    ) -> list[dict[str, Any]]:
        view = views.VIEWS[name]
        return views.fetch(
            client, view, start=start, end=end, filters=filters, exact=exact, top=top
        )

    return rows


def api_source(base_url: str) -> Source:
    """Run views through ``tokentrace serve``'s ``/api/v1/views/{name}``."""

    def rows(
        name: str,
        start: dt.datetime,
        end: dt.datetime,
        filters: dict[str, tuple[str, ...]],
        exact: bool = False,
        top: int | None = None,
    ) -> list[dict[str, Any]]:
        query = [
            ("from", start.isoformat()),
            ("to", end.isoformat()),
            *((key, value) for key, values in filters.items() for value in values),
            *((("exact", "1"),) if exact else ()),
            *((("limit", str(top)),) if top else ()),
        ]
        return serve_client.call(base_url, f"/api/v1/views/{name}", query=query)["rows"]

    return rows


def fetcher(source: Source, window: Window) -> Fetch:
    """The rows of each view for the report's window and filters."""

    def fetch(name: str, top: int | None = None) -> list[dict[str, Any]]:
        view = views.VIEWS.get(name)
        # "now" for month to date and its forecast; the window's own end for the rest
        end = window.end if view is None or view.whole_days else window.window_end
        extra = {"top": top} if top else {}
        return source(name, window.start, _inclusive_end(end), window.filters, True, **extra)

    return fetch


def store_fetcher(client: Any, window: Window) -> Fetch:
    """Run the window's views on a clickhouse-connect client."""
    return fetcher(store_source(client), window)


def api_fetcher(base_url: str, window: Window) -> Fetch:
    """Run the window's views through ``tokentrace serve``'s API."""
    return fetcher(api_source(base_url), window)


def _top(dimension: str, top: int) -> int | None:
    return top if dimension in views.HIGH_CARDINALITY else None


def _tag_row(key: str, row: dict[str, Any]) -> dict[str, Any]:
    """One breakdown row; the "(other)" row of a top-N breakdown says so and how many
    values it folds."""
    out = {
        "value": row[key],
        "cost": known_money(row["cost"]),
        "requests": int(row["requests"]),
        "unpriced_requests": int(row["unpriced_requests"]),
        **_not_stored(row),
    }
    if row.get("other"):
        out.update(other=True, values=int(row["members"]))
    return out


def _share_leaves_out(row: dict[str, Any]) -> dict[str, int]:
    """What a breakdown's share (of the known spend) leaves out, the same on every row: the
    calls of unknown cost and the calls serve could not store of the whole window, so a reader
    of one row, or of a cut list, still knows what 100 % is not."""
    return {
        "share_unpriced_requests": int(row.get("share_unpriced_requests") or 0),
        "share_dead_lettered_requests": int(row.get("share_dead_lettered_requests") or 0),
    }


def _not_stored(row: dict[str, Any]) -> dict[str, int]:
    """A breakdown row's calls serve could not store (dead letters): in no cost of it, and
    in none of its requests (a row of 0 requests when they are its only calls)."""
    return {"dead_lettered_requests": int(row.get("dead_lettered_requests") or 0)}


def _budget_applies(scope: str, filters: dict[str, tuple[str, ...]]) -> bool:
    """A budget belongs in a filtered report unless it is scoped to other values of a
    filtered key (``--where team=growth`` drops team=support's budget; the global budget,
    and budgets on keys not filtered, stay)."""
    for part in filter(None, scope.split(",")):
        key, _, value = part.partition("=")
        if key in filters and value not in filters[key]:
            return False
    return True


def build(fetch: Fetch, window: Window, top: int = DEFAULT_TOP) -> dict[str, Any]:
    """The whole report document for ``window``; high-cardinality breakdowns (tenant) list
    their ``top`` largest values, then one ``"(other)"`` row with ``"other": true``."""
    totals = (fetch("totals") or [{}])[0]
    mtd = (fetch("month_to_date") or [{}])[0]
    first_day, last_day = window.days()
    partial = {
        day.isoformat()
        for day, whole in (
            (first_day, window.start.time() == dt.time(0)),
            (last_day, window.end.time() == dt.time(0) and not window.until_now),
        )
        if not whole
    }
    daily = [
        {
            "date": _day(r["day"]),
            "cost": known_money(r["cost"]),
            "requests": int(r["requests"]),
            "partial": _day(r["day"]) in partial,
            "unpriced_requests": int(r["unpriced_requests"]),
            **_not_stored(r),
        }
        for r in fetch("daily_spend")
    ]
    requests = int(totals.get("requests") or 0)
    unknown = int(totals.get("unpriced_requests") or 0)
    lost = int(totals.get("dead_lettered_requests") or 0)
    failed_unknown = int(totals.get("failed_unpriced_requests") or 0)
    failed_lost = int(totals.get("failed_dead_lettered_requests") or 0)
    month_unknown = int(mtd.get("unpriced_requests") or 0)
    forecast_unknown = month_unknown + int(mtd.get("last_week_unpriced_requests") or 0)
    month_lost = int(mtd.get("dead_lettered_requests") or 0)
    forecast_lost = int(mtd.get("forecast_dead_lettered_requests") or 0)
    return {
        "currency": "USD",
        "window": {
            "from": window.start.isoformat(),
            "to": window.end.isoformat(),
            "label": window.label(),
            "days": {"from": first_day.isoformat(), "to": last_day.isoformat()},
        },
        "filters": {key: list(values) for key, values in window.filters.items()},
        # calls serve could not store (``tokentrace dead-letters list``): in no total below,
        # until a replay stores them (then counted there, once)
        "dead_lettered_requests": lost,
        "totals": {
            # null when every call has an unknown cost (or was not stored: dead_lettered_
            # requests below); a lower bound unless cost_complete
            "cost": known_money(totals.get("cost")) if requests or lost else "0",
            **{key: int(totals.get(key) or 0) for key in TOTAL_COUNTS},
            # null when every failed call has an unknown cost; a lower bound unless
            # failed_cost_complete (no failed calls at all: a real 0)
            "failed_cost": known_money(totals.get("failed_cost"))
            if requests or failed_lost
            else "0",
            "cost_complete": not unknown and not lost,
            "failed_unpriced_requests": failed_unknown,
            # failed calls serve could not store: in no failed count or cost
            "failed_dead_lettered_requests": failed_lost,
            "failed_cost_complete": not failed_unknown and not failed_lost,
            # no call at all, stored or not: cost "0" is then no spend to read ("no calls")
            "no_calls": not requests and not lost,
        },
        "month_to_date": {
            "cost": known_money(mtd.get("cost")) if mtd else "0",
            "forecast": known_money(mtd.get("forecast")) if mtd else "0",
            "unpriced_requests": month_unknown,
            # the month's calls serve could not store: in neither cost nor forecast
            "dead_lettered_requests": month_lost,
            # this month's or the 7 days before's: the forecast leaves them out
            "forecast_dead_lettered_requests": forecast_lost,
            "requests": int(mtd.get("requests") or 0),
            "cost_complete": not month_unknown and not month_lost,
            "forecast_complete": not forecast_unknown and not forecast_lost,
            # no call this month (stored or not), and none in the 7 days before either: the
            # forecast's "0" is then no spend to read ("no calls")
            "no_calls": not int(mtd.get("requests") or 0) and not month_lost,
            "forecast_no_calls": not int(mtd.get("requests") or 0)
            and not int(mtd.get("last_week_requests") or 0)
            and not forecast_lost,
            "budgets": [
                {
                    "scope": r["scope"],
                    "period": r["period"],
                    "amount": money(r["amount"]),
                    "spent": known_money(r["spent"]),
                    "utilization": None if r["spent"] is None else _number(r["utilization"]) or 0.0,
                    "unpriced_requests": int(r["unpriced_requests"]),
                    # the period's calls serve could not store: in no spend
                    "dead_lettered_requests": int(r["dead_lettered_requests"]),
                    "spent_complete": not int(r["unpriced_requests"])
                    and not int(r["dead_lettered_requests"]),
                }
                for r in fetch("budget_utilization")
                if _budget_applies(r["scope"], window.filters)
            ],
        },
        "daily": daily,
        "by_provider": [
            {
                "provider": r["provider"],
                "cost": known_money(r["cost"]),
                "requests": int(r["requests"]),
                "unpriced_requests": int(r["unpriced_requests"]),
                "share": _number(r["share"]),
                # share is of the known spend: these calls of unknown cost are not in it
                **_share_leaves_out(r),
                **_not_stored(r),
            }
            for r in fetch("spend_by_provider")
        ],
        "by_model": [
            {
                "provider": r["provider"],
                "model": r["model"],
                "cost": known_money(r["cost"]),
                "requests": int(r["requests"]),
                "unpriced_requests": int(r["unpriced_requests"]),
                "input_tokens": int(r["input_tokens"]),
                "output_tokens": int(r["output_tokens"]),
                # of the known spend, as by_provider's
                "share": _number(r["share"]),
                **_share_leaves_out(r),
                **_not_stored(r),
            }
            for r in fetch("spend_by_model")
        ],
        "by_tag": {
            **{
                key: [_tag_row(key, r) for r in fetch(f"spend_by_{key}", top=_top(key, top))]
                for key in views.TAG_DIMENSIONS
            },
            **{
                key: [
                    {**_tag_row(key, r), "blocked_requests": int(r["blocked_requests"])}
                    for r in fetch(f"spend_by_{key}", top=top)
                ]
                for key in views.TOP_DIMENSIONS
            },
        },
        # the average of the calls of known cost; unpriced_requests are not in it
        "cost_per_request": {
            # calls not stored only: unknown, not "0"
            "average": known_money(totals.get("cost_per_request"))
            if requests
            else (None if lost else "0"),
            "unpriced_requests": unknown,
            "daily": [
                {
                    "date": _day(r["day"]),
                    "average": known_money(r["cost_per_request"]),
                    "unpriced_requests": int(r["unpriced_requests"]),
                }
                for r in fetch("cost_per_request")
            ],
        },
        "latency_by_provider": [
            {
                "provider": r["provider"],
                "p50_ms": _number(r["p50_ms"], 3),
                "p95_ms": _number(r["p95_ms"], 3),
                "p99_ms": _number(r["p99_ms"], 3),
            }
            for r in fetch("latency_by_provider")
        ],
        "anomalies": [
            {
                "scope": r["scope"],
                "date": _day(r["day"]),
                "cost": money(r["cost"]),
                "baseline": money(r["baseline"]),
                "ratio": _number(r["ratio"], 4),
                "unpriced_requests": int(r["unpriced_requests"]),
                "baseline_unpriced_requests": int(r["baseline_unpriced_requests"]),
                # calls serve could not store, of the day and of the 7 days before: in neither
                "dead_lettered_requests": int(r["dead_lettered_requests"]),
                "baseline_dead_lettered_requests": int(r["baseline_dead_lettered_requests"]),
            }
            for r in fetch("anomalies")
        ],
        # null when every call has an unknown cost or was not stored; a lower bound when some
        "cache_savings": known_money(totals.get("cache_savings")) if requests or lost else "0",
        "vs_previous_period": _change(fetch),
        "unpriced": [
            {
                "provider": r["provider"],
                "model": r["model"],
                "requests": int(r["unpriced_requests"]),
                "usage_missing_requests": int(r["usage_missing_requests"]),
                # the model's calls serve could not store: of unknown cost too
                **_not_stored(r),
            }
            for r in fetch("unpriced_usage")
        ],
        **_reconciliation(fetch),
        **_provider_and_unit_costs(fetch),
        "failures_by_feature": [
            {
                "feature": r["feature"],
                "requests": int(r["requests"]),
                "failed_requests": int(r["failed_requests"]),
                "error_rate": _number(r["error_rate"]),
                "failed_cost": known_money(r["failed_cost"]),
                "failed_unpriced_requests": int(r["failed_unpriced_requests"]),
                # the feature's calls serve could not store, and those of them that failed:
                # in no column above (error_rate null without a stored call)
                **_not_stored(r),
                "failed_dead_lettered_requests": int(r.get("failed_dead_lettered_requests") or 0),
            }
            for r in fetch("failures_by_feature")
            if int(r["failed_requests"]) or int(r.get("failed_dead_lettered_requests") or 0)
        ],
        **_costliest(fetch, unknown, lost),
    }


TOP = 10


def _change(fetch: Fetch) -> dict[str, Any]:
    """The window's spend against as many whole days just before it (view ``spend_change``):
    change null says why in ``change_basis`` ("no calls before" is not "previous cost
    unknown"); "change of known spend" when calls of unknown cost are left out of it."""
    row = (fetch("spend_change") or [{}])[0]
    return {
        "cost": known_money(row.get("cost", 0)),
        "previous_cost": known_money(row.get("previous_cost", 0)),
        "change": _number(row.get("change")),
        "change_basis": row.get("change_basis", "no calls before"),
        "unpriced_requests": int(row.get("unpriced_requests") or 0),
        "previous_unpriced_requests": int(row.get("previous_unpriced_requests") or 0),
        # each period's calls serve could not store: in neither cost
        "dead_lettered_requests": int(row.get("dead_lettered_requests") or 0),
        "previous_dead_lettered_requests": int(row.get("previous_dead_lettered_requests") or 0),
    }


def change_text(change: dict[str, Any]) -> str:
    """The change as people read it: "+12.5%", "-3.0% (change of known spend: 4 calls of unknown
    cost left out)", or why there is none: "unknown (previous cost unknown)" when a cost it
    needs is unknown, "none (no calls before)" when there was nothing to compare with."""
    basis = change["change_basis"]
    if change["change"] is None:
        return f"{'unknown' if basis.endswith('unknown') else 'none'} ({basis})"
    text = f"{change['change']:+.1%}"
    left_out = [
        f"{count:,} call{'s' * (count != 1)} {what}"
        for count, what in (
            (change["unpriced_requests"] + change["previous_unpriced_requests"], "of unknown cost"),
            (
                change.get("dead_lettered_requests", 0)
                + change.get("previous_dead_lettered_requests", 0),
                "not stored",
            ),
        )
        if count
    ]
    if left_out:
        text += f" ({basis}: {' and '.join(left_out)} left out)"
    return text


def _provider_and_unit_costs(fetch: Fetch) -> dict[str, Any]:
    """Where the cost providers reported differs from the computed one (the reported cost
    counts), and what each extra usage unit cost at its own rate; both exact."""
    return {
        "provider_cost_differences": [
            {
                "provider": r["provider"],
                "model": r["model"],
                "reported_requests": int(r["reported_requests"]),
                "reported_cost": money(r["reported_cost"]),
                "compared_requests": int(r["compared_requests"]),
                # null when no call has a computed cost (a model without a price), not "0"
                "compared_reported_cost": known_money(r["compared_reported_cost"]),
                "computed_cost": known_money(r["computed_cost"]),
                "gap": known_money(r["gap"]),
                "gap_ratio": _number(r["gap_ratio"]),
                **_not_stored(r),
            }
            for r in fetch("provider_cost_differences")
        ],
        "cost_by_unit": [
            {
                "provider": r["provider"],
                "model": r["model"],
                "unit": r["unit"],
                "tokens": int(r["tokens"]),
                # null: no known cost of the unit, only calls of unknown cost (never "0")
                "cost": known_money(r["cost"]),
                # the model's calls of unknown cost: in tokens, not in cost (a lower bound)
                "unpriced_requests": int(r["unpriced_requests"]),
                # and those serve could not store: in neither tokens nor cost
                **_not_stored(r),
            }
            for r in fetch("cost_by_unit")
        ],
    }


def _costliest(fetch: Fetch, unknown: int, lost: int) -> dict[str, Any]:
    """The most expensive calls, users and conversations of the window (10 each; the
    "(other)" row of the per-user and per-conversation views is left to ``by_tag``), and the
    window's calls no ranking by cost can place (``top_calls_unranked``, as the view says beside
    each row, here even without a row): those of unknown cost, ranked as $0 if listed at all,
    and those serve could not store, never listed."""
    return {
        "top_calls_unranked": {"unpriced_requests": unknown, "dead_lettered_requests": lost},
        "top_calls": [
            {
                "ts": _instant(r["ts"]),
                "trace_id": r["trace_id"],
                "provider": r["provider"],
                "model": r["model"],
                "team": r["team"],
                "feature": r["feature"],
                "user": r["user"],
                "input_tokens": int(r["input_tokens"]),
                "output_tokens": int(r["output_tokens"]),
                "cost": known_money(r["cost"]),
                "priced": bool(r["priced"]),
                "latency_ms": _number(r["latency_ms"], 3),
                "status": r["status"],
            }
            for r in fetch("top_calls")[:TOP]
        ],
        "top_users": [
            {
                "user": r["user"],
                "tenant": r["tenant"],
                "requests": int(r["requests"]),
                "cost": known_money(r["cost"]),
                "unpriced_requests": int(r["unpriced_requests"]),
                **_not_stored(r),
            }
            for r in fetch("cost_by_user", top=TOP)
            if not r.get("other")
        ],
        "top_conversations": [
            {
                "conversation": r["conversation"],
                "tenant": r["tenant"],
                "user": r["user"],
                "requests": int(r["requests"]),
                "cost": known_money(r["cost"]),
                "unpriced_requests": int(r["unpriced_requests"]),
                **_not_stored(r),
            }
            for r in fetch("cost_by_conversation", top=TOP)
            if not r.get("other")
        ],
    }


def _instant(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    return str(value)


def incidents(anomalies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Anomalous days grouped into incidents: one per run of consecutive dates, with every
    scope that spiked in it (the whole spend, a team, a feature, a tenant…), so one
    runaway afternoon is one line rather than one per scope it touched."""
    by_date: dict[str, list[dict[str, Any]]] = {}
    for row in anomalies:
        by_date.setdefault(row["date"], []).append(row)
    groups: list[list[str]] = []
    for date in sorted(by_date):
        day = dt.date.fromisoformat(date)
        if groups and dt.date.fromisoformat(groups[-1][-1]) + dt.timedelta(days=1) == day:
            groups[-1].append(date)
        else:
            groups.append([date])
    found = []
    for dates in reversed(groups):  # newest first, as the anomalies are
        rows = [row for date in dates for row in by_date[date]]
        overall = [row for row in rows if row["scope"] == "all"]
        peak = max(rows, key=lambda row: row["ratio"] or 0)
        scopes = sorted({row["scope"] for row in rows}, key=lambda s: (s != "all", s))
        found.append(
            {
                "from": dates[0],
                "to": dates[-1],
                "scopes": scopes,
                "peak_ratio": peak["ratio"],
                "peak_scope": peak["scope"],
                "cost": money(sum(Decimal(row["cost"]) for row in overall)) if overall else None,
                "baseline": overall[0]["baseline"] if overall else None,
                # the calls each leaves out: of unknown cost, and not stored (dead letters)
                "unpriced_requests": sum(row.get("unpriced_requests", 0) for row in overall),
                "dead_lettered_requests": sum(
                    row.get("dead_lettered_requests", 0) for row in overall
                ),
                **{
                    key: overall[0].get(key, 0) if overall else 0
                    for key in ("baseline_unpriced_requests", "baseline_dead_lettered_requests")
                },
            }
        )
    return found


RECONCILIATION_TOKENS = (
    "billed_input_tokens",
    "metered_input_tokens",
    "billed_output_tokens",
    "metered_output_tokens",
)


def _reconciliation(fetch: Fetch) -> dict[str, Any]:
    """The bill against the metered cost (empty lists until ``tokentrace reconcile`` ran).

    ``reconciliation`` rows have exactly the documented keys; the likely cause of each gap
    sits in ``reconciliation_causes`` (same order), the spend never metered in
    ``unmetered_spend``, and the billed usage per API key against the metered calls whose
    key fingerprint matches it in ``reconciliation_by_key``.
    """
    rows = fetch("reconciliation")
    return {
        "reconciliation": [
            {
                "provider": r["provider"],
                "date": _day(r["day"]),
                "model": r["model"],
                # '' standard; "*" the model's day over all its tiers, where the bill does not
                # split the cost by tier (OpenAI's): its tier rows' billed_cost is then null
                "service_tier": r["service_tier"],
                "billed_cost": known_money(r["billed_cost"]),
                # null when every metered call has an unknown cost (and so is the gap)
                "metered_cost": known_money(r["metered_cost"]),
                "gap": known_money(r["gap"]),
                "gap_ratio": _number(r["gap_ratio"]),
                **{key: int(r[key]) for key in RECONCILIATION_TOKENS},
            }
            for r in rows
        ],
        "reconciliation_causes": [
            {
                "provider": r["provider"],
                "date": _day(r["day"]),
                "model": r["model"],
                "service_tier": r["service_tier"],
                "cause": r["cause"],
                "billed_requests": None
                if r["billed_requests"] is None
                else int(r["billed_requests"]),
                "metered_requests": int(r["metered_requests"]),
                # metered calls of unknown cost (no price): metered_cost leaves them out
                "unpriced_requests": int(r["unpriced_requests"]),
                # every metered call of unknown cost (no price, or no usage): metered_cost is
                # a lower bound and gap an upper bound unless metered_cost_complete
                "unknown_cost_requests": int(r["unknown_cost_requests"]),
                "metered_cost_complete": not int(r["unknown_cost_requests"])
                and not int(r["dead_lettered_requests"]),
                # metered calls serve could not store: in no metered count, cost or tokens
                "dead_lettered_requests": int(r["dead_lettered_requests"]),
                # of those, the calls without usage: their billed tokens are in the token gap
                "usage_missing_requests": int(r["usage_missing_requests"]),
            }
            for r in rows
        ],
        "reconciliation_by_key": [
            {
                "provider": r["provider"],
                "api_key_id": r["api_key_id"],
                "key_name": r["key_name"],
                "redacted_value": r["redacted_value"],
                "model": r["model"],
                "status": r["status"],
                **{key: int(r[key]) for key in RECONCILIATION_TOKENS},
                "metered_requests": int(r["metered_requests"]),
                # metered calls without usage: in metered_requests, their tokens counted as 0
                "usage_missing_requests": int(r["usage_missing_requests"]),
                # the key's calls serve could not store: in no metered count or tokens
                "dead_lettered_requests": int(r["dead_lettered_requests"]),
                "billed_requests": None
                if r["billed_requests"] is None
                else int(r["billed_requests"]),
                # billed requests no metered or not stored call accounts for; None where the
                # bill counts no requests (Anthropic's)
                "request_gap": None if r["request_gap"] is None else int(r["request_gap"]),
                # the provider and model's calls metered without a key fingerprint: the key's
                # billed calls may be among them (status "key not recorded")
                "unkeyed_requests": int(r["unkeyed_requests"]),
            }
            for r in fetch("reconciliation_by_key")
        ],
        "unmetered_spend": [
            {
                "provider": r["provider"],
                "model": r["model"],
                "unmetered_cost": known_money(r["unmetered_cost"]),
                "billed_cost": money(r["billed_cost"]),
                "unmetered_share": _number(r["unmetered_share"]),
                "days": int(r["days"]),
                # days of them whose gap sits beside metered calls without a price: not summed
                "unknown_cost_days": int(r["unknown_cost_days"]),
                "unmetered_cost_complete": not int(r["unknown_cost_days"]),
                # calls seen without usage whose billed spend unmetered_cost includes
                "usage_missing_requests": int(r["usage_missing_requests"]),
            }
            for r in fetch("unmetered_spend")
        ],
    }
