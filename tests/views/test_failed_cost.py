"""The cost of failed calls is never $0 for failed calls whose cost is unknown (DESIGN §9): the
views count them (failed_unpriced_requests, migration 0017) and leave failed_cost NULL when every
failed call is one, a lower bound when some are; the report says so in JSON, text and HTML.

Two UTC days of chat calls:

* 2026-03-10: two failed streams cut off before usage (unpriced, usage missing);
* 2026-03-11: a failed call of known cost ($0.25), a failed call of a model without a price,
  and a successful call ($1.00) of feature search.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from rich.console import Console

from tokentrace.processor.report import document, html, terminal
from tokentrace.processor.report.window import Window
from tokentrace.processor.store import views
from views.migrating import store_before

D1, D2 = dt.date(2026, 3, 10), dt.date(2026, 3, 11)
COLUMNS = ["ts", "trace_id", "provider", "model", "feature", "status", "priced", "cost",
           "usage_missing"]  # fmt: skip


def _call(day: dt.date, n: int, feature: str, status: str, cost: str | None) -> list[Any]:
    ts = dt.datetime.combine(day, dt.time(10, n), dt.UTC)
    known = cost is not None
    return [ts, f"{day}-{n}", "openai", "gpt-4o-mini", feature, status, int(known),
            Decimal(cost or 0), int(day == D1)]  # fmt: skip


CALLS = [
    _call(D1, 1, "chat", "error", None),
    _call(D1, 2, "chat", "error", None),
    _call(D2, 1, "chat", "error", "0.25"),
    _call(D2, 2, "chat", "error", None),
    _call(D2, 3, "search", "ok", "1.00"),
]


def _day(first: dt.date, last: dt.date | None = None) -> dict[str, dt.datetime]:
    last = last or first
    return {
        "start": dt.datetime.combine(first, dt.time(), dt.UTC),
        "end": dt.datetime.combine(last, dt.time(23, 59, 59, 999000), dt.UTC),
    }


def _rows(client: Any, name: str, first: dt.date, last: dt.date | None = None) -> list[dict]:
    return views.fetch(client, views.VIEWS[name], **_day(first, last))


def _failed(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["failed_requests"], row["failed_cost"], row["failed_unpriced_requests"]


def test_failed_calls_of_unknown_cost_are_not_zero_in_the_views(store_client: Any) -> None:
    store_client.insert("llm_calls", CALLS, column_names=COLUMNS)
    [d1] = _rows(store_client, "totals", D1)
    assert _failed(d1) == (2, None, 2)
    [d2] = _rows(store_client, "totals", D2)
    assert _failed(d2) == (2, Decimal("0.25"), 1)
    [both] = _rows(store_client, "totals", D1, D2)
    assert _failed(both) == (4, Decimal("0.25"), 3)
    features = [
        (r["feature"], *_failed(r)) for r in _rows(store_client, "failures_by_feature", D1, D2)
    ]
    assert features == [("chat", 4, Decimal("0.25"), 3), ("search", 0, Decimal(0), 0)]
    [(feature, *failed)] = [
        (r["feature"], *_failed(r)) for r in _rows(store_client, "failures_by_feature", D1)
    ]
    assert (feature, *failed) == ("chat", 2, None, 2)
    hours = {r["time"].hour: r for r in _rows(store_client, "hourly_burn_rate", D1)}
    assert (hours[10]["failed_cost_per_hour"], hours[10]["failed_unpriced_requests"]) == (None, 2)


def test_narrowed_sources_count_the_failed_calls_of_unknown_cost(store_client: Any) -> None:
    """The report's call filters and exact ranges read the calls (or the hourly rollup) in
    place of the daily rollup: they count the same failed calls of unknown cost."""
    store_client.insert("llm_calls", CALLS, column_names=COLUMNS)
    store_client.command(
        "ALTER TABLE llm_calls UPDATE user = 'u1' WHERE 1 SETTINGS mutations_sync = 1"
    )
    day = _day(D1)
    for narrowing in (
        {"filters": {"user": ["u1"]}},  # the calls themselves
        {"exact": True, "start": day["start"] + dt.timedelta(hours=10)},  # whole hours
        {"exact": True, "start": day["start"] + dt.timedelta(hours=10, minutes=1)},  # the calls
    ):
        [d1] = views.fetch(store_client, views.VIEWS["totals"], **{**day, **narrowing})
        assert _failed(d1) == (2, None, 2), narrowing
        [chat] = views.fetch(
            store_client, views.VIEWS["failures_by_feature"], **{**day, **narrowing}
        )
        assert _failed(chat) == (2, None, 2), narrowing


def _report(client: Any, first: dt.date, last: dt.date) -> tuple[dict, str, str]:
    window = Window(
        start=dt.datetime.combine(first, dt.time(), dt.UTC),
        end=dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC),
    )
    doc = document.build(document.store_fetcher(client, window), window)
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=160))
    return doc, out.getvalue(), html.render(doc)


def test_the_report_says_the_cost_of_failed_calls_is_unknown(store_client: Any) -> None:
    store_client.insert("llm_calls", CALLS, column_names=COLUMNS)
    doc, text, page = _report(store_client, D1, D1)
    totals = doc["totals"]
    assert (totals["failed_cost"], totals["failed_unpriced_requests"]) == (None, 2)
    assert totals["failed_cost_complete"] is False
    assert [(r["feature"], r["failed_cost"], r["failed_unpriced_requests"])
            for r in doc["failures_by_feature"]] == [("chat", None, 2)]  # fmt: skip
    assert "2  (2 failed, costing unknown)" in text
    assert "failed requests (unknown)" in page and "2 of 2 calls failed; they cost unknown" in page
    assert "$0.00" not in text and "$0.00" not in page

    doc, text, page = _report(store_client, D2, D2)
    assert (doc["totals"]["failed_cost"], doc["totals"]["failed_cost_complete"]) == ("0.25", False)
    assert "3  (2 failed, costing $0.25 + 1 unknown)" in text
    assert "failed requests ($0.25 + 1 unknown)" in page


def test_migration_0017_counts_the_failed_calls_of_unknown_cost_stored_before(
    chdb_url: str,
) -> None:
    with store_before(chdb_url, 17, COLUMNS, [CALLS]) as (client, applied):
        assert applied[0] == 17
        [both] = _rows(client, "totals", D1, D2)
        assert _failed(both) == (4, Decimal("0.25"), 3)
        [d1] = _rows(client, "totals", D1)
        assert _failed(d1) == (2, None, 2)
        # and calls stored after it are counted by the materialized views
        client.insert("llm_calls", [_call(D1, 5, "chat", "error", None)], column_names=COLUMNS)
        [d1] = _rows(client, "totals", D1)
        assert _failed(d1) == (3, None, 3)
