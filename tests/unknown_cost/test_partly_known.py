"""A call partly known (its tokens have a price, one of its units has none) has an unknown
cost, never the cost of its tokens alone, nor $0; so has a failed call the provider may have
run (a gateway timed out on it); and a model whose streams lacked usage still alerts the first
time one of its calls has usage but no price.

The calls go through the real write path (extractor, pricer, spool, sink) into chDB.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from grafana.rules import alert_rule, evaluate
from ingest.ingest_path import Ingest

from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.store import views
from unknown_cost import calls

NOW = dt.datetime(2026, 11, 20, 15, 30, tzinfo=dt.UTC)
TODAY = dt.datetime.combine(NOW.date(), dt.time(), dt.UTC)
# A call an LLM gateway passed on and then gave up waiting for: the provider may have run it.
GATEWAY_TIMEOUT = {
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "error.type": "504",
    "http.response.status_code": 504,
}


@pytest.fixture(scope="module")
def store(module_store_client, tmp_path_factory) -> Iterator[Any]:
    """Yesterday a gpt-4o-mini stream without usage and a call a gateway timed out on (504);
    today, in the hour before NOW, a gpt-4o-mini call of known cost (:data:`calls.PRICED_COST`)
    and one with a web search."""
    client = module_store_client
    ingest = Ingest(tmp_path_factory.mktemp("spool"), lambda: client, Pricer())
    try:
        ingest.send(
            calls.export([
                (calls.usage_missing(), NOW - dt.timedelta(days=1)),
                (GATEWAY_TIMEOUT, NOW - dt.timedelta(days=1, minutes=-5)),
                (calls.priced(), NOW - dt.timedelta(minutes=25)),
                (calls.web_search(), NOW - dt.timedelta(minutes=20)),
            ])
        )  # fmt: skip
    finally:
        ingest.close()
    yield client


def _view(client: Any, name: str, day: dt.datetime = TODAY) -> list[dict]:
    end = day + dt.timedelta(days=1, milliseconds=-1)
    return views.fetch(client, views.VIEWS[name], start=day, end=end)


def test_a_call_with_a_unit_of_unknown_price_has_an_unknown_cost(store) -> None:
    [stored] = store.query(
        "SELECT priced, unpriced_reason, input_tokens, web_searches FROM llm_calls "
        "WHERE web_searches > 0"
    ).result_rows
    assert stored == (0, "no_rate", 1000, 1)
    [totals] = _view(store, "totals")
    # the known cost is the other call's alone, and says one call is left out
    assert (totals["cost"], totals["requests"], totals["unpriced_requests"]) == (
        calls.PRICED_COST,
        2,
        1,
    )
    assert totals["usage_missing_requests"] == 0
    [model] = _view(store, "spend_by_model")
    assert (model["cost"], model["unpriced_requests"]) == (calls.PRICED_COST, 1)
    assert [c["cost"] for c in _view(store, "top_calls")] == [calls.PRICED_COST, None]
    [daily] = _view(store, "daily_spend")
    assert (daily["cost"], daily["unpriced_requests"]) == (
        calls.PRICED_COST,
        1,
    )


def test_a_models_first_call_without_a_price_alerts_after_calls_without_usage(store) -> None:
    """gpt-4o-mini's calls without usage (yesterday) are not news of a missing price: the
    unpriced-model rule fires for the first call with usage and no price (today's search)."""
    [unpriced] = views.fetch(
        store, views.VIEWS["unpriced_usage"], start=NOW - dt.timedelta(days=2), end=NOW
    )
    assert (
        unpriced["model"],
        unpriced["unpriced_requests"],
        unpriced["usage_missing_requests"],
        unpriced["first_seen"],
        unpriced["no_price_first_seen"],
    ) == (
        "gpt-4o-mini",
        3,
        2,
        dt.datetime(2026, 11, 19, 15),
        dt.datetime(2026, 11, 20, 15),
    )
    rule = alert_rule("tokentrace-unpriced-model")
    assert evaluate(store, rule, NOW) == {(("scope", "openai/gpt-4o-mini"),): {"unpriced": 1.0}}
    assert evaluate(store, rule, NOW + dt.timedelta(hours=2)) == {}  # no longer new


def test_a_failed_call_a_gateway_timed_out_on_has_an_unknown_cost(store) -> None:
    """Yesterday's failed call may have been billed: its cost is unknown, never $0, and so is
    the day's, whose other call had no usage."""
    yesterday = _view(store, "totals", TODAY - dt.timedelta(days=1))[0]
    assert {k: yesterday[k] for k in (
        "cost", "requests", "unpriced_requests", "usage_missing_requests", "failed_requests",
        "failed_unpriced_requests", "failed_cost",
    )} == {
        "cost": None, "requests": 2, "unpriced_requests": 2, "usage_missing_requests": 2,
        "failed_requests": 1, "failed_unpriced_requests": 1, "failed_cost": None,
    }  # fmt: skip
    [feature] = _view(store, "failures_by_feature", TODAY - dt.timedelta(days=1))
    assert (feature["failed_requests"], feature["failed_cost"]) == (1, None)
