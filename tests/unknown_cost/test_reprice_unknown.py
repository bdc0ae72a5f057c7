"""Reprice turns an unknown cost into a known one and back, and every view follows, rollups
included: a day of calls of a model without a price reads unknown, then its cost once the
prices file names the model, then unknown again once the file no longer does, never $0.

The calls go through the real write path (extractor, pricer, spool, sink) into chDB.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ingest.ingest_path import Ingest

from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.pricing.reprice import reprice
from tokentrace.processor.store import budgets, views
from unknown_cost import calls

DAY = dt.datetime(2026, 11, 18, tzinfo=dt.UTC)
END = DAY + dt.timedelta(days=1, milliseconds=-1)
# The user's own rate for acme-1 (a prices file sets it, USD per million tokens): its cached
# input is read at the input rate, as the file defines. 1,000 x 1 + 100 x 2 = 1,200 per million.
PRICES = "prices:\n  - {provider: acme, model: acme-1, input: 1, output: 2}\n"
ACME_COST = Decimal("0.0012")


def _seen(client: Any) -> tuple:
    """What the views say of the day: totals, daily spend, the model's row, the budget's."""
    [totals] = views.fetch(client, views.VIEWS["totals"], start=DAY, end=END)
    [daily] = views.fetch(client, views.VIEWS["daily_spend"], start=DAY, end=END)
    [model] = views.fetch(client, views.VIEWS["spend_by_model"], start=DAY, end=END)
    [budget] = views.fetch(client, views.VIEWS["budget_utilization"], start=END, end=END)
    return (
        (totals["cost"], totals["unpriced_requests"]),
        (daily["cost"], daily["unpriced_requests"]),
        (model["cost"], model["unpriced_requests"]),
        (budget["spent"], budget["unpriced_requests"], budget["budget"]),
    )


def test_reprice_makes_an_unknown_cost_known_and_unknown_again(store_client, tmp_path) -> None:
    ingest = Ingest(tmp_path / "spool", lambda: store_client, Pricer())
    try:
        ingest.send(
            calls.export([(calls.unpriced(), DAY + dt.timedelta(hours=h)) for h in (9, 10)])
        )
    finally:
        ingest.close()
    budgets.set_budget(store_client, "global", "1", "day")
    unknown = ((None, 2), (None, 2), (None, 2), (None, 2, "all (day) + 2 unknown"))
    assert _seen(store_client) == unknown

    prices = tmp_path / "prices.yaml"
    prices.write_text(PRICES)
    result = reprice(store_client, Pricer(str(prices)), DAY, END)
    assert (result.newly_priced, result.cost_before, result.cost_after) == (2, None, 2 * ACME_COST)
    known = 2 * ACME_COST
    assert _seen(store_client) == ((known, 0), (known, 0), (known, 0), (known, 0, "all (day)"))

    result = reprice(store_client, Pricer(), DAY, END)  # the file no longer names acme-1
    assert (result.newly_unpriced, result.cost_before, result.cost_after) == (2, known, None)
    assert _seen(store_client) == unknown
