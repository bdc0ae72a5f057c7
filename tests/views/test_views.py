"""Every view, rendered as Grafana would run it, answers the seeded data exactly on chDB."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest

from tokentrace.processor.store import views
from tokentrace.processor.store.views import VIEWS
from views.seed import (
    DAYS,
    GROWTH_COST,
    MARCH_COST,
    NOW,
    SPIKE_DAY,
    TOTAL_COST,
    TOTAL_REQUESTS,
    calls,
)

LAST_30_DAYS = {"start": NOW - dt.timedelta(days=30), "end": NOW}


def fetch(client: Any, name: str, **kwargs: Any) -> list[dict[str, Any]]:
    return views.fetch(client, VIEWS[name], **{**LAST_30_DAYS, **kwargs})


def test_totals_equal_the_sum_of_the_calls(seeded) -> None:
    [row] = fetch(seeded, "totals")
    seeded_calls = calls()
    assert row["cost"] == TOTAL_COST == sum(c["cost"] for c in seeded_calls)
    assert row["requests"] == TOTAL_REQUESTS == len(seeded_calls)
    assert row["cost"] == seeded.query("SELECT sum(cost) FROM llm_calls").result_rows[0][0]
    # the average of the calls of known cost: the 4 unpriced ones are not in it
    assert row["unpriced_requests"] == 4
    assert row["cost_per_request"] == (TOTAL_COST / (TOTAL_REQUESTS - 4)).quantize(
        Decimal("1e-12"), ROUND_DOWN
    )
    assert row["input_tokens"] == sum(c["input_tokens"] for c in seeded_calls) == 383_000
    assert (row["cache_read_tokens"], row["cache_write_tokens"]) == (21 * 400, 30 * 1000)
    assert row["reasoning_tokens"] == 30 * 100
    assert (row["unpriced_requests"], row["failed_requests"]) == (4, 2)
    assert row["usage_missing_requests"] == 1
    assert row["failed_cost"] == Decimal("0.50")
    assert row["cache_savings"] == 21 * Decimal("0.10") + 30 * Decimal("-0.05")


def test_filters_select_like_the_dashboard_variables(seeded) -> None:
    def cost(**filters: list[str]) -> Decimal:
        return fetch(seeded, "totals", filters=filters)[0]["cost"]

    assert cost(team=["growth"]) == GROWTH_COST
    assert cost(team=["growth", "search"]) == GROWTH_COST + 21 * 2 + 18
    assert cost(team=["growth"], provider=["anthropic"]) == 0
    assert cost(team=[]) == TOTAL_COST  # no values picked = All
    assert cost(tenant=["o'neil"]) == 0  # quoted safely, matches nothing
    assert cost(agent=["retriever"]) == Decimal("2.50")


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"colour": ["red"]}, "unknown filter"),
        ({"team": "growth"}, "list of values"),
        ({"team": ["a\\"]}, "without"),
    ],
)
def test_bad_filters_get_a_clear_error(filters: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        views.render(VIEWS["totals"], **LAST_30_DAYS, filters=filters)


def test_daily_views_count_whole_utc_days(seeded) -> None:
    # A range from 07:59 to 08:01 on one day still counts that whole day (3.00).
    start = dt.datetime(2026, 3, 3, 7, 59, tzinfo=dt.UTC)
    [row] = fetch(seeded, "totals", start=start, end=start + dt.timedelta(minutes=2))
    assert row["cost"] == Decimal("3.00")
    # ...and a range ending at midnight counts the day it ends on.
    [row] = fetch(
        seeded,
        "totals",
        start=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        end=dt.datetime(2026, 3, 3, tzinfo=dt.UTC),
    )
    assert row["cost"] == Decimal("6.00")


def test_month_to_date_and_forecast(seeded) -> None:
    [row] = fetch(seeded, "month_to_date")
    assert row["month_start"] == dt.date(2026, 3, 1)
    assert row["cost"] == MARCH_COST
    # The rest of March at the rate of Mar 8..14: 7 x 3.00 + the 18.00 spike + 2.50 waste
    # + 0.50 failures + the 6.00 call = 48.00 a week.
    assert row["last_week"] == Decimal("48")
    remaining = int((dt.datetime(2026, 4, 1, tzinfo=dt.UTC) - NOW).total_seconds())
    # $48 a week over the 1,423,800 s (16 days 11.5 h) left: 48 x 1,423,800 / 604,800 = 113
    # exactly (a rate cut to 12 places first read 184.999999480200)
    assert remaining == 1_423_800
    assert row["forecast"] == MARCH_COST + 113 == Decimal("185")


def test_spend_change_compares_with_the_days_just_before(seeded) -> None:
    # Last 7 days (Mar 9..15) against Mar 2..8.
    [row] = fetch(seeded, "spend_change", start=NOW - dt.timedelta(days=6), end=NOW)
    assert row["cost"] == 7 * 3 + 18 + Decimal("2.50") + Decimal("0.50") + 6
    assert row["previous_cost"] == 7 * 3
    # calls of unknown cost (grok-9 twice and mystery-2 today, mystery-2 on Mar 5): left out
    # of both costs, the change is that of the known spend, and says it is partial
    assert (row["unpriced_requests"], row["previous_unpriced_requests"]) == (3, 1)
    assert row["change"] == pytest.approx(48 / 21 - 1)
    assert row["change_complete"] == 0
    # team search has none: 7 x 2.00 + the 18.00 spike against 7 x 2.00
    [search] = fetch(
        seeded,
        "spend_change",
        start=NOW - dt.timedelta(days=6),
        end=NOW,
        filters={"team": ["search"]},
    )
    assert (search["cost"], search["previous_cost"]) == (7 * 2 + 18, 7 * 2)
    assert search["change"] == pytest.approx(32 / 14 - 1)
    assert (search["unpriced_requests"], search["change_complete"]) == (0, 1)
    [first] = fetch(seeded, "spend_change")  # nothing before the data: no change to report
    assert first["change"] is None


def test_daily_spend_fills_every_day_of_the_range(seeded) -> None:
    rows = fetch(seeded, "daily_spend")
    assert [r["day"] for r in rows] == [
        dt.date(2026, 2, 13) + dt.timedelta(days=n) for n in range(31)
    ]
    by_day = {r["day"]: (r["cost"], r["requests"]) for r in rows}
    assert by_day[dt.date(2026, 2, 22)] == (0, 0)
    assert by_day[SPIKE_DAY] == (Decimal("21.00"), 11)
    assert sum(cost for cost, _ in by_day.values()) == TOTAL_COST


def test_cost_per_request_per_day(seeded) -> None:
    rows = {r["day"]: r["cost_per_request"] for r in fetch(seeded, "cost_per_request")}
    assert set(rows) == set(DAYS)
    assert rows[dt.date(2026, 3, 1)] == Decimal("1.50")
    assert rows[SPIKE_DAY] == (Decimal(21) / 11).quantize(Decimal("1e-12"), ROUND_DOWN)


def test_token_breakdown_splits_cached_and_reasoning_tokens(seeded) -> None:
    rows = {r["day"]: r for r in fetch(seeded, "token_breakdown")}
    day = rows[dt.date(2026, 3, 1)]  # one A and one B call
    assert day["uncached_input_tokens"] == (1000 - 400) + (3000 - 1000)
    assert (day["cache_read_tokens"], day["cache_write_tokens"]) == (400, 1000)
    assert day["visible_output_tokens"] == 200 + (500 - 100)
    assert day["reasoning_tokens"] == 100


def test_spend_by_model_and_provider_with_share(seeded) -> None:
    models = fetch(seeded, "spend_by_model")
    assert [(r["provider"], r["model"], r["cost"]) for r in models[:3]] == [
        ("anthropic", "claude-sonnet-4", Decimal("60.00")),
        ("openai", "gpt-4o", Decimal("21.50")),
        ("anthropic", "claude-opus-4", Decimal("6.00")),
    ]
    assert sum(r["cost"] or 0 for r in models) == TOTAL_COST
    # A model whose every call has an unknown cost shows no cost, never $0.
    unknown = [r for r in models if r["unpriced_requests"]]
    assert unknown and all(r["cost"] is None for r in unknown)
    assert all(r["unpriced_requests"] == r["requests"] for r in unknown)
    providers = {r["provider"]: r for r in fetch(seeded, "spend_by_provider")}
    assert providers["anthropic"]["cost"] == Decimal("66.00")
    assert providers["anthropic"]["share"] == pytest.approx(66 / 90)
    x_ai = providers["x_ai"]  # only unpriced calls: no cost and no share, not $0 and 0 %
    assert (x_ai["requests"], x_ai["unpriced_requests"], x_ai["cost"], x_ai["share"]) == (
        2,
        2,
        None,
        None,
    )
    assert sum(r["share"] or 0 for r in providers.values()) == pytest.approx(1)


def test_spend_by_tag(seeded) -> None:
    teams = {r["team"]: r["cost"] for r in fetch(seeded, "spend_by_team")}
    assert teams == {
        "search": Decimal("60.00"),
        "growth": GROWTH_COST,
        "research": Decimal("6.00"),
        "": None,  # the untagged unpriced mystery-2 calls: cost unknown, not $0
    }
    features = [r["feature"] for r in fetch(seeded, "spend_by_feature")]
    assert features[:2] == ["summarize", "chat"]
    tenants = {r["tenant"]: r["requests"] for r in fetch(seeded, "spend_by_tenant")}
    assert tenants["globex"] == 30


def test_budget_utilization_for_each_budget_in_its_current_period(seeded) -> None:
    rows = {(r["scope"], r["period"]): r for r in fetch(seeded, "budget_utilization")}
    assert rows[("team=growth", "month")]["utilization"] == Decimal("0.8")
    assert rows[("team=growth", "month")]["spent"] == Decimal("18.00")
    assert rows[("", "day")]["utilization"] == Decimal("0.5")
    # today's 3 calls of unknown cost (grok-9 twice, mystery-2) are not in its spend: said so
    assert rows[("", "day")]["budget"] == "all (day) + 3 unknown"
    assert rows[("team=nobody", "month")]["budget"] == "team=nobody (month)"
    week = rows[("feature=summarize", "week")]
    assert (week["period_start"], week["utilization"]) == (dt.date(2026, 3, 9), Decimal("1"))
    assert rows[("team=nobody", "month")]["spent"] == 0
    # The dashboard variables do not narrow budgets: each budget has its own scope.
    filtered = fetch(seeded, "budget_utilization", filters={"team": ["search"]})
    assert len(filtered) == len(rows) == 4


def test_budget_period_follows_the_range_end(seeded) -> None:
    end = dt.datetime(2026, 3, 8, 23, 0, tzinfo=dt.UTC)  # Sunday before the spike
    rows = {(r["scope"], r["period"]): r for r in fetch(seeded, "budget_utilization", end=end)}
    assert rows[("feature=summarize", "week")]["spent"] == 7 * 2  # Mar 2..8
    assert rows[("team=growth", "month")]["spent"] == 8  # Mar 1..8


def test_budgets_on_several_dimensions_match_every_one(store_client) -> None:
    from views.seed import insert_calls

    seeded_calls = [c for c in calls() if c["ts"].date() == dt.date(2026, 3, 13)]
    insert_calls(store_client, seeded_calls)
    budgets = [
        ("feature=chat,team=growth", {"feature": "chat", "team": "growth"}, Decimal("2")),
        ("feature=rag,team=growth", {"feature": "rag", "team": "growth"}, Decimal("2")),
        ("model=gpt-4o,provider=openai", {"model": "gpt-4o", "provider": "openai"}, Decimal(3)),
        ("tenant=globex", {"tenant": "globex"}, Decimal("4")),
    ]
    store_client.insert(
        "budgets",
        [[scope, filters, "day", amount, NOW, 0] for scope, filters, amount in budgets],
        column_names=["scope", "filters", "period", "amount", "updated_at", "deleted"],
    )
    end = dt.datetime(2026, 3, 13, 23, tzinfo=dt.UTC)
    found = views.fetch(store_client, VIEWS["budget_utilization"], start=end, end=end)
    # Mar 13: chat 1.00 + two failed chat calls 0.50; rag 0.50; gpt-4o 1.50; globex 2.00.
    assert {r["scope"]: r["spent"] for r in found} == {
        "feature=chat,team=growth": Decimal("1.50"),
        "feature=rag,team=growth": Decimal("0.50"),
        "model=gpt-4o,provider=openai": Decimal("1.50"),
        "tenant=globex": Decimal("2.00"),
    }


def test_the_spike_day_is_the_only_anomaly(seeded) -> None:
    rows = fetch(seeded, "anomalies")
    assert {r["day"] for r in rows} == {SPIKE_DAY}
    by_scope = {r["scope"]: (r["cost"], r["baseline"], r["ratio"]) for r in rows}
    assert by_scope == {
        "all": (Decimal("21.00"), Decimal("3.00"), 7.0),
        "team=search": (Decimal("20.00"), Decimal("2.00"), 10.0),
        "feature=summarize": (Decimal("20.00"), Decimal("2.00"), 10.0),
        "tenant=globex": (Decimal("20.00"), Decimal("2.00"), 10.0),
    }
    # Narrowed to team growth, nothing was unusual.
    assert fetch(seeded, "anomalies", filters={"team": ["growth"]}) == []


def test_anomalies_need_three_days_of_history(store_client) -> None:
    from views.seed import insert_calls

    base = calls()[0]
    day = dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC)
    rows = [{**base, "ts": day, "cost": Decimal("1")}]
    rows += [{**base, "ts": day + dt.timedelta(days=n), "cost": Decimal("10")} for n in (1, 3)]
    insert_calls(store_client, rows)
    found = views.fetch(store_client, VIEWS["anomalies"], start=day, end=NOW)
    # Mar 2 is 10x Mar 1 but has 1 day of history; Mar 4 has 3 days (11 / 3 = 3.67/day).
    assert [(r["scope"], r["day"]) for r in found if r["scope"] == "all"] == [
        ("all", dt.date(2026, 3, 4))
    ]
    assert [r["baseline"] for r in found if r["scope"] == "all"] == [
        (Decimal(11) / 3).quantize(Decimal("1e-12"), ROUND_DOWN)
    ]


def test_hourly_burn_rate_adds_up_to_the_spend(seeded) -> None:
    hourly = fetch(seeded, "hourly_burn_rate")  # 30 d at 500 points: 1 h buckets
    assert sum(r["cost_per_hour"] for r in hourly if r["cost_per_hour"] is not None) == TOTAL_COST
    # the hours whose every call has an unknown cost: today 12:00 (grok-9 twice), and the
    # mystery-2 calls
    assert [r["time"] for r in hourly if r["cost_per_hour"] is None] == [
        dt.datetime(2026, 3, 5, 9),
        dt.datetime(2026, 3, 15, 11),
        dt.datetime(2026, 3, 15, 12),
    ]
    spike = {r["time"]: r["cost_per_hour"] for r in hourly}[dt.datetime(2026, 3, 9, 9)]
    assert spike == Decimal("18.00")
    # Daily buckets average the day over 24 hours (Decimal division truncates at 1e-12).
    daily = {r["time"]: r for r in fetch(seeded, "hourly_burn_rate", interval_s=86_400)}
    assert daily[dt.datetime(2026, 3, 9)]["cost_per_hour"] == Decimal("0.875")
    assert daily[dt.datetime(2026, 3, 13)]["failed_cost_per_hour"] == Decimal("0.020833333333")
    total = sum(r["cost_per_hour"] for r in daily.values()) * 24
    assert abs(total - TOTAL_COST) < Decimal("1e-9")


def test_failures_waste_cache_and_unpriced_usage(seeded) -> None:
    chat = fetch(seeded, "failures_by_feature")[0]
    assert (chat["feature"], chat["failed_requests"], chat["failed_cost"]) == (
        "chat",
        2,
        Decimal("0.50"),
    )
    assert chat["error_rate"] == 2 / 25  # 21 daily chat calls, 2 failed, 2 unpriced grok-9
    [waste] = fetch(seeded, "waste_signals")
    assert (waste["agent"], waste["feature"], waste["prompt_to_completion"]) == (
        "retriever",
        "rag",
        50.0,
    )
    cache = {r["model"]: r["cache_savings"] for r in fetch(seeded, "cache_savings")}
    assert cache == {"gpt-4o": Decimal("2.10"), "claude-sonnet-4": Decimal("-1.50")}
    unpriced = {r["model"]: r for r in fetch(seeded, "unpriced_usage")}
    assert set(unpriced) == {"grok-9", "mystery-2"}
    assert unpriced["grok-9"]["unpriced_requests"] == 2
    assert unpriced["grok-9"]["first_seen"] == dt.datetime(2026, 3, 15, 12)
    assert unpriced["mystery-2"]["first_seen"] == dt.datetime(2026, 3, 5, 9)


def test_latency_quantiles_are_exact(seeded) -> None:
    rows = {r["provider"]: r for r in fetch(seeded, "latency_by_provider")}
    # Successful openai calls: the daily A calls (100..120 ms) and five 900 ms waste calls;
    # the two failed 30 s calls are left out. quantileExact returns the value at index
    # floor(level * n) of the sorted latencies.
    latencies = sorted(
        c["latency_ms"] for c in calls() if c["provider"] == "openai" and c["status"] == "ok"
    )
    assert len(latencies) == rows["openai"]["requests"] == 26
    for level, column in ((0.5, "p50_ms"), (0.95, "p95_ms"), (0.99, "p99_ms")):
        assert rows["openai"][column] == latencies[int(level * len(latencies))]
    assert (rows["openai"]["p50_ms"], rows["openai"]["p95_ms"]) == (113.0, 900.0)
    assert rows["anthropic"]["p99_ms"] == 3000.0


def test_people_conversations_and_single_calls(seeded) -> None:
    conversations = fetch(seeded, "cost_by_conversation")
    assert (conversations[0]["conversation"], conversations[0]["cost"]) == (
        "c-globex-spike",
        Decimal("18.00"),
    )
    assert all(r["conversation"] for r in conversations)
    users = [(r["user"], r["tenant"], r["cost"]) for r in fetch(seeded, "cost_by_user")]
    assert users == [
        ("u2", "globex", Decimal("60.00")),
        ("u1", "acme", GROWTH_COST),
        ("u3", "initech", Decimal("6.00")),
    ]
    top = fetch(seeded, "top_calls")
    assert (top[0]["trace_id"], top[0]["cost"]) == ("trace-most-expensive", Decimal("6.00"))
    assert len(top) == 50


def test_alert_sql_has_no_dashboard_variables() -> None:
    for view in VIEWS.values():
        assert "$__conditionalAll" not in view.backend_sql
        assert "${" not in view.backend_sql
        if view.filtered_by:
            # one condition per variable at every place the template filters
            conditions = len(view.filtered_by) * view.template.count("{filters}")
            assert view.sql.count("$__conditionalAll") == conditions > 0


def test_cost_by_unit_and_provider_cost_differences_on_the_seed(seeded) -> None:
    assert fetch(seeded, "cost_by_unit") == [
        {
            "provider": "anthropic",
            "model": "claude-sonnet-4",
            "unit": "input_image",
            "tokens": 2_000,
            "cost": Decimal("0.03"),
            "unpriced_requests": 0,
            "dead_lettered_requests": 0,
        }
    ]
    [row] = fetch(seeded, "provider_cost_differences")
    assert row == {
        "provider": "anthropic",
        "model": "claude-sonnet-4",
        "reported_requests": 1,
        "reported_cost": Decimal("2.00"),
        "compared_requests": 1,
        "compared_reported_cost": Decimal("2.00"),
        "computed_cost": Decimal(0),  # the seed leaves the cost-by-kind columns 0
        "gap": Decimal("2.00"),
        "gap_ratio": None,
        "dead_lettered_requests": 0,
    }
