"""Spend by API key and top endpoints (top N plus "(other)"), blocked calls, their filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tokentrace.processor.store import budgets, views
from tokentrace.processor.store.views import OTHER, VIEWS

TOP_N = 20
NOW = dt.datetime(2026, 3, 15, 12, 30, tzinfo=dt.UTC)
RANGE = {"start": NOW - dt.timedelta(hours=1), "end": NOW}
KEYS = [f"sk-…{i:04d}#0000{i:04d}" for i in range(TOP_N + 2)]


def _call(key: str, endpoint: str, cost: Decimal, blocked: int = 0) -> list[Any]:
    return [NOW - dt.timedelta(minutes=5), "openai", "gpt-4o-mini", cost, key, endpoint, blocked,
            "error" if blocked else "ok", 1]  # fmt: skip


def _seed(client: Any) -> None:
    rows = [
        _call(key, "/summarise" if i % 2 else "/search", Decimal(i + 1))
        for i, key in enumerate(KEYS)
    ]
    rows.append(_call(KEYS[-1], "/summarise", Decimal(0), blocked=1))
    rows.append(_call("", "", Decimal("0.5")))  # a call without key or endpoint
    client.insert(
        "llm_calls",
        rows,
        column_names=["ts", "provider", "model", "cost", "api_key", "endpoint", "budget_blocked",
                      "status", "priced"],
    )  # fmt: skip


def test_spend_by_api_key_is_the_top_n_and_other(store_client) -> None:
    _seed(store_client)
    rows = views.fetch(store_client, VIEWS["spend_by_api_key"], **RANGE, top=TOP_N)
    assert len(rows) == TOP_N + 1
    top = rows[0]
    assert (top["api_key"], top["cost"], top["requests"], top["blocked_requests"]) == (
        KEYS[-1],
        Decimal(TOP_N + 2),
        2,
        1,
    )
    # The 20 largest are keys 22 down to 3; '' (0.50), key 1 (1.00) and key 2 (2.00) are other.
    assert [row["api_key"] for row in rows[:TOP_N]] == KEYS[:1:-1]
    other = rows[-1]
    assert (other["api_key"], other["cost"], other["requests"], other["members"]) == (
        OTHER,
        Decimal("3.5"),
        3,
        3,
    )
    total = sum(Decimal(i + 1) for i in range(TOP_N + 2)) + Decimal("0.5")
    assert sum(row["cost"] for row in rows) == total
    assert abs(sum(row["share"] for row in rows) - 1) < 1e-9


def test_top_endpoints_and_filters(store_client) -> None:
    _seed(store_client)
    rows = views.fetch(store_client, VIEWS["spend_by_endpoint"], **RANGE, top=TOP_N)
    by_endpoint = {row["endpoint"]: row for row in rows}
    odd = sum(Decimal(i + 1) for i in range(1, TOP_N + 2, 2))  # keys 2, 4, …, 22
    assert by_endpoint["/summarise"]["cost"] == odd
    assert by_endpoint["/summarise"]["blocked_requests"] == 1
    assert by_endpoint[""]["cost"] == Decimal("0.5")
    [totals] = views.fetch(store_client, VIEWS["totals"], **RANGE, filters={"api_key": [KEYS[-1]]})
    assert (totals["cost"], totals["requests"], totals["blocked_requests"]) == (
        Decimal(TOP_N + 2),
        2,
        1,
    )
    [totals] = views.fetch(
        store_client, VIEWS["totals"], **RANGE, filters={"endpoint": ["/search"]}
    )
    assert totals["cost"] == sum(Decimal(i + 1) for i in range(0, TOP_N + 2, 2))


def test_a_budget_can_be_scoped_to_a_key_or_an_endpoint(store_client) -> None:
    _seed(store_client)
    budgets.set_budget(store_client, f"api_key={KEYS[-1]}", "11", "day")
    budgets.set_budget(store_client, "endpoint=/search,provider=openai", "242", "day")
    rows = views.fetch(store_client, VIEWS["budget_utilization"], **RANGE)
    assert {row["scope"]: row["utilization"] for row in rows} == {
        f"api_key={KEYS[-1]}": Decimal(2),
        "endpoint=/search,provider=openai": Decimal("0.5"),
    }
