"""The anomaly baseline leaves out a day whose every call has an unknown cost, rather than
averaging it in as a $0 day (which lowers the baseline and raises false anomalies).

Mar 1-3: one call of $1.00 a day; Mar 4-5: one call a day of a model without a price; Mar 6:
$2.50. The baseline of Mar 6 is the $3.00 of the three known days over those 3 days, $1.00
(not $3.00 over 5 days, $0.60): Mar 6 is 2.5x it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tokentrace.processor.report import document, html
from tokentrace.processor.report.window import Window
from tokentrace.processor.store import views

COLUMNS = ["ts", "trace_id", "provider", "model", "priced", "cost"]
DAYS = [dt.date(2026, 3, day) for day in range(1, 7)]
COSTS = ["1.00", "1.00", "1.00", None, None, "2.50"]


def test_a_day_of_unknown_costs_is_not_a_zero_day_in_the_baseline(store_client: Any) -> None:
    store_client.insert(
        "llm_calls",
        [
            [dt.datetime.combine(day, dt.time(9), dt.UTC), str(day), "openai",
             "gpt-4o" if cost else "mystery-1", int(cost is not None), Decimal(cost or 0)]
            for day, cost in zip(DAYS, COSTS, strict=True)
        ],
        column_names=COLUMNS,
    )  # fmt: skip
    start = dt.datetime(2026, 3, 6, tzinfo=dt.UTC)
    rows = views.fetch(store_client, views.VIEWS["anomalies"], start=start, end=start)
    assert [
        (
            r["scope"],
            r["day"],
            r["cost"],
            r["baseline"],
            r["ratio"],
            r["baseline_unpriced_requests"],
        )
        for r in rows
    ] == [("all", DAYS[-1], Decimal("2.5"), Decimal(1), 2.5, 2)]


def test_a_day_of_calls_not_stored_is_not_a_zero_day_in_the_baseline(store_client: Any) -> None:
    """The same days, but Mar 4-5's calls were not stored (dead letters, ``team=growth``): left
    out of the average the same way, and counted (without them, Mar 6's baseline was $3.00 over
    5 days, $0.60, and its ratio 4.2)."""
    from tokentrace.processor.store import dead_letters

    known = [(day, cost) for day, cost in zip(DAYS, COSTS, strict=True) if cost is not None]
    store_client.insert(
        "llm_calls",
        [[dt.datetime.combine(day, dt.time(9), dt.UTC), str(day), "openai", "gpt-4o", 1,
          Decimal(cost)] for day, cost in known],
        column_names=COLUMNS,
    )  # fmt: skip
    dead_letters.add(
        store_client,
        [
            (f"seg-{day.day}/0", "test", {"ts": int(dt.datetime.combine(day, dt.time(9), dt.UTC)
             .timestamp() * 1e6), "provider": "openai", "team": "growth"})
            for day in DAYS[3:5]
        ],
    )  # fmt: skip
    start = dt.datetime(2026, 3, 6, tzinfo=dt.UTC)
    rows = views.fetch(store_client, views.VIEWS["anomalies"], start=start, end=start)
    assert [
        (r["scope"], r["day"], r["cost"], r["baseline"], r["ratio"],
         r["baseline_dead_lettered_requests"], r["dead_lettered_requests"])
        for r in rows
    ] == [("all", DAYS[-1], Decimal("2.5"), Decimal(1), 2.5, 2, 0)]  # fmt: skip
    # team growth's only calls were not stored: a baseline of those is no $0 baseline
    assert not [r for r in rows if r["scope"] == "team=growth"]
    # the HTML report's incident beside its usual day: the 2 calls not stored it leaves out
    window = Window(start=start, end=start + dt.timedelta(days=1, milliseconds=-1))
    page = html.render(document.build(document.store_fetcher(store_client, window), window))
    incidents = page[page.index("Anomalies, by incident") :]
    assert "<td class=n>$2.50</td><td class=n>$1.00 + 2 not stored</td>" in incidents
