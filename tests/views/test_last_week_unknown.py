"""month_to_date's last_week (the known spend of the 7 days before today, which the forecast
runs at) is unknown (NULL), not 0, when every call of those days has an unknown cost; the
forecast then runs at this month's own rate, and says it is partial.

2026-03-03..09: one call a day of a model without a price; 2026-03-10 (today, the range end
at 12:00): one call of $2.40. The month's rate: $2.40 over the 9.5 days since Mar 1.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tokentrace.processor.store import views

COLUMNS = ["ts", "trace_id", "provider", "model", "priced", "cost"]


def test_last_week_of_unknown_costs_is_not_zero(store_client: Any) -> None:
    rows = [
        [dt.datetime(2026, 3, day, 9, tzinfo=dt.UTC), f"u{day}", "acme", "acme-1", 0, Decimal(0)]
        for day in range(3, 10)
    ]
    rows.append([dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC), "p", "openai", "gpt-4o", 1,
                 Decimal("2.40")])  # fmt: skip
    store_client.insert("llm_calls", rows, column_names=COLUMNS)
    end = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    [row] = views.fetch(store_client, views.VIEWS["month_to_date"], start=end, end=end)
    assert (row["cost"], row["last_week"], row["last_week_unpriced_requests"]) == (
        Decimal("2.4"), None, 7
    )  # fmt: skip
    elapsed, remaining = 9 * 86_400 + 12 * 3600, 21 * 86_400 + 12 * 3600
    # 2.40 x 1,857,600 / 820,800 = 5.431578947368421…, truncated once at 12 places (a rate cut
    # to 12 places first read 7.831577817600)
    assert Decimal("2.40") * remaining / elapsed == Decimal("5.431578947368421052631578947")
    assert (
        row["forecast"] == Decimal("2.40") + Decimal("5.431578947368") == Decimal("7.831578947368")
    )
