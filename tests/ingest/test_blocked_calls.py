"""A call the budget guard blocked never reached the provider: a known $0 whatever the
model, as ingest prices it and as reprice prices it again, and not in the average cost per
request."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tokentrace.processor.pipeline import price_call
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.pricing.reprice import reprice
from tokentrace.processor.store import views
from tokentrace.processor.store.views import VIEWS

from .otlp import chat, extract_request, request, span

# As instrumentation/call.py's Call.block ends the span: 429, no tokens used.
BLOCKED = {
    "tokentrace.budget.blocked": True,
    "tokentrace.budget.scope": "team=growth",
    "http.response.status_code": 429,
    "error.type": "budget_blocked",
    "gen_ai.usage.input_tokens": 0,
    "gen_ai.usage.output_tokens": 0,
    "gen_ai.response.model": None,
}
DAY = dt.datetime(2026, 11, 3, tzinfo=dt.UTC)


def _priced(**attrs: Any):
    [call] = extract_request(request(span(chat(**attrs)))).calls
    return call, price_call(Pricer(prices_file=""), call)


def test_a_blocked_call_of_a_model_without_a_price_costs_a_known_zero() -> None:
    call, price = _priced(**BLOCKED, **{"gen_ai.request.model": "acme-frontier-9"})
    assert (call.budget_blocked, price.priced, price.cost, price.reason) == (1, True, 0, "")
    assert price.price_version == "budget-guard"
    # the same 429 not blocked by the guard: the model has no price, so its cost is unknown
    unblocked = {**BLOCKED, "tokentrace.budget.blocked": None, "error.type": "rate_limited"}
    _, price = _priced(**unblocked, **{"gen_ai.request.model": "acme-frontier-9"})
    assert (price.priced, price.reason) == (False, "unknown_model")


def test_a_blocked_call_of_a_priced_model_costs_zero_too() -> None:
    _, price = _priced(**BLOCKED, **{"gen_ai.request.model": "gpt-4o-mini"})
    assert (price.priced, price.cost, price.model) == (True, 0, "gpt-4o-mini")


def _row(minute: int, model: str, cost: str, blocked: int, priced: int) -> list[Any]:
    return [DAY + dt.timedelta(minutes=minute), f"t{minute}", f"s{minute}", "openai", model,
            model, Decimal(cost), blocked, "error" if blocked else "ok", priced,
            "" if not priced else "genai-prices@0.2.3"]  # fmt: skip


COLUMNS = ["ts", "trace_id", "span_id", "provider", "request_model", "model", "cost",
           "budget_blocked", "status", "priced", "price_version"]  # fmt: skip


def test_blocked_calls_are_not_in_the_average_cost_per_request(store_client) -> None:
    rows = [
        _row(1, "gpt-4o-mini", "0.0015", 0, 1),
        _row(2, "gpt-4o-mini", "0.0010", 0, 1),
        _row(3, "gpt-4o-mini", "0", 1, 1),  # blocked: never sent
        _row(4, "acme-frontier-9", "0", 0, 0),  # no price: not in the average either
    ]
    store_client.insert("llm_calls", rows, column_names=COLUMNS)
    window = {"start": DAY, "end": DAY + dt.timedelta(days=1)}
    [totals] = views.fetch(store_client, VIEWS["totals"], **window)
    assert (totals["requests"], totals["blocked_requests"], totals["unpriced_requests"]) == (
        4, 1, 1
    )  # fmt: skip
    assert totals["cost_per_request"] == Decimal("0.00125")  # 0.0025 over the 2 sent calls
    [day] = views.fetch(store_client, VIEWS["cost_per_request"], **window)
    assert day["cost_per_request"] == Decimal("0.00125")


def test_reprice_prices_a_blocked_call_stored_unpriced_at_a_known_zero(store_client) -> None:
    # stored by a version that priced a blocked call of a model without a price as unknown
    store_client.insert("llm_calls", [_row(5, "acme-frontier-9", "0", 1, 0)], column_names=COLUMNS)
    reprice(store_client, Pricer(prices_file=""), DAY, DAY + dt.timedelta(days=1))
    assert store_client.query(
        "SELECT priced, cost, price_version, budget_blocked FROM llm_calls"
    ).result_rows == [(1, 0, "budget-guard", 1)]
    assert store_client.query(
        "SELECT sum(requests), sum(unpriced_requests), sum(blocked_requests) FROM llm_cost_daily"
    ).result_rows == [(1, 0, 1)]
