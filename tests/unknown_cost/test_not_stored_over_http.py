"""Calls serve could not store, read the way Grafana reads them: every dashboard panel and every
alert query sent by clickhouse-connect over HTTP to the ClickHouse interface serve runs
(``clickhouse_http``), not straight to chDB. A NULL cost must cross the wire as NULL: a format
that wrote a Nullable(Decimal) NULL as its zero would show the calls as $0 on every panel.

One store, its calls kept by the sink as dead letters (``dead_letters.add``): on ALONE a priced
and an unpriced call, nothing stored; on DAY a priced call stored ($0.00018, calls.PRICED_COST,
OpenAI's price list) beside one not stored. A global budget per day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import clickhouse_connect
import pytest
from grafana.rules import answers
from ingest.ingest_path import Ingest

from grafana.panels import run_panel, shown_rows
from tokentrace.grafana.dashboards import DASHBOARDS
from tokentrace.processor.api import clickhouse_http
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.store import budgets, dead_letters, store
from unknown_cost import calls

ALONE = dt.datetime(2026, 10, 7, tzinfo=dt.UTC)  # its only calls were not stored
DAY = dt.datetime(2026, 11, 18, tzinfo=dt.UTC)  # one stored, one not
TOKEN = "not-stored-token"
# Money columns worth the cost of the row's own calls (as test_every_view_every_kind.COSTS).
COSTS = (
    "cost", "spent", "cost_per_request", "cost_per_hour", "cache_savings", "cache_read_cost",
    "cache_write_cost", "forecast", "utilization", "share",
)  # fmt: skip


@pytest.fixture(scope="module")
def http(module_store_client, chdb_url: str, tmp_path_factory) -> Iterator[Any]:
    """clickhouse-connect over HTTP to the interface serving the seeded store."""
    client = module_store_client
    ingest = Ingest(tmp_path_factory.mktemp("spool"), lambda: client, Pricer())
    try:
        ingest.send(calls.export([(calls.priced(), DAY + dt.timedelta(hours=9))]))
    finally:
        ingest.close()
    letters = calls.rows([
        (calls.priced(), ALONE + dt.timedelta(hours=9)),
        (calls.unpriced(), ALONE + dt.timedelta(hours=10)),
        (calls.priced(), DAY + dt.timedelta(hours=11)),
    ], DAY + dt.timedelta(days=1))  # fmt: skip
    dead_letters.add(
        client, [(f"seg-{i}/0", "INCORRECT_DATA: test", row) for i, row in enumerate(letters)]
    )
    budgets.set_budget(client, "", "1", "day")
    path = store.StoreURL.parse(chdb_url).path
    listener = clickhouse_http.start(
        path, client.database, "127.0.0.1", 0, TOKEN, clickhouse_http.Limits()
    )
    try:
        yield clickhouse_connect.get_client(
            host="127.0.0.1", port=listener.port, username="grafana", password=TOKEN
        )
    finally:
        listener.stop()


def _panels() -> list[dict[str, Any]]:
    return [
        panel
        for board in (build() for build in DASHBOARDS.values())
        for panel in board["panels"]
        if panel["type"] != "row"
    ]


def _rows(http: Any, panel: dict[str, Any], day: dt.datetime) -> list[dict[str, Any]]:
    end = day + dt.timedelta(days=1, milliseconds=-1)
    return shown_rows(panel, run_panel(http, panel, {}, start=day, end=end))


def test_no_panel_shows_a_day_of_calls_not_stored_as_zero(http) -> None:
    shown = 0
    for panel in _panels():
        for row in _rows(http, panel, ALONE):
            shown += 1
            for column in COSTS:
                assert row.get(column) is None, (panel["title"], column, row)
    assert shown > 20
    [totals] = _rows(http, next(p for p in _panels() if p["title"] == "Spend in range"), ALONE)
    assert (totals["cost"], totals["requests"], totals["dead_lettered_requests"]) == (None, 0, 2)


def test_a_known_cost_beside_calls_not_stored_crosses_as_itself(http) -> None:
    """The day with one stored call: its cost, exact, with the call not stored beside it."""
    [totals] = _rows(http, next(p for p in _panels() if p["title"] == "Spend in range"), DAY)
    assert (totals["cost"], totals["requests"], totals["dead_lettered_requests"]) == (
        calls.PRICED_COST, 1, 1,
    )  # fmt: skip
    shares = [p for p in _panels() if "AS share," in p["targets"][0]["rawSql"]]
    assert len(shares) == 11  # model, provider, six tags (tenant on both boards), key, endpoint
    for panel in shares:
        rows = _rows(http, panel, DAY)
        assert rows and {r["share_dead_lettered_requests"] for r in rows} == {1}, panel["title"]


def test_no_alert_query_reads_calls_not_stored_as_zero(http) -> None:
    """On ALONE the day's budget has no known spend: the budget rules judge nothing (never
    0 % used) and the unknown-cost rule counts the 2 calls not stored."""
    answered = answers(http, ALONE + dt.timedelta(hours=12))
    for (uid, _), rows in answered.items():
        for row in rows:
            assert None not in row.values(), (uid, row)
    for percent in (50, 80, 100):
        assert answered[f"tokentrace-budget-{percent}", "utilization_sql"] == [], percent
    unknown = answered["tokentrace-budget-unknown-cost", "unknown_sql"]
    assert {"scope": "all", "period": "day", "unknown": 2.0} in unknown
