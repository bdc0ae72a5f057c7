"""Calls serve could not store (dead letters, DESIGN §11) are in no rollup, so in no total:
every surface that shows a total says how many of them it leaves out (the totals view and so
the API, the report, a Grafana stat and an alert), and once a replay stores them they count
with the others, never twice.

Stored through the real write path (extractor, pricer, spool, sink) into chDB; the dead letters
are the rows the sink keeps (``dead_letters.add``, as it does for a row ClickHouse refuses).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from grafana.rules import alert_rule, evaluate
from ingest.ingest_path import Ingest
from rich.console import Console

from grafana.panels import run_panel
from tokentrace.grafana.dashboards import overview
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.report import document, html, terminal, window
from tokentrace.processor.store import dead_letters, views
from unknown_cost import calls

DAY = dt.datetime(2026, 11, 18, tzinfo=dt.UTC)
NEXT = DAY + dt.timedelta(days=1)


def _seed(client: Any, spool: Path) -> Any:
    """On DAY a priced and an unpriced call stored, and a priced one dead-lettered; on the day
    after, nothing stored and one priced call dead-lettered whose tenant is not UTF-8 (the sink
    kept it with a lone surrogate, which ClickHouse will never take: a replay leaves it)."""
    ingest = Ingest(spool, lambda: client, Pricer())
    try:
        ingest.send(
            calls.export([
                (calls.priced(), DAY + dt.timedelta(hours=9)),
                (calls.unpriced(), DAY + dt.timedelta(hours=10)),
            ])
        )  # fmt: skip
    finally:
        ingest.close()
    lost, alone = calls.rows([
        (calls.priced(), DAY + dt.timedelta(hours=11)),
        (calls.priced(), NEXT + dt.timedelta(hours=11)),
    ], NEXT + dt.timedelta(days=1))  # fmt: skip
    alone["tenant"] = "x\udcff"
    dead_letters.add(
        client,
        [("seg-1/0", "INCORRECT_DATA: test", lost), ("seg-2/0", "cannot encode the row", alone)],
    )
    return client


@pytest.fixture(scope="module")
def store(module_store_client, tmp_path_factory) -> Any:
    """The seeded store, shared by the tests that only read it."""
    return _seed(module_store_client, tmp_path_factory.mktemp("spool"))


@pytest.fixture
def replayed_store(store_client, tmp_path) -> Any:
    """A seeded store of its own, for the test that replays its dead letters."""
    return _seed(store_client, tmp_path / "spool")


def _totals(client: Any, day: dt.datetime, **filters: tuple[str, ...]) -> dict[str, Any]:
    end = day + dt.timedelta(days=1, milliseconds=-1)
    return views.fetch(client, views.VIEWS["totals"], start=day, end=end, filters=filters)[0]


def _seen(totals: dict[str, Any]) -> tuple:
    return (
        totals["cost"],
        totals["requests"],
        totals["unpriced_requests"],
        totals["dead_lettered_requests"],
    )


def test_totals_count_the_calls_serve_could_not_store(store) -> None:
    assert _seen(_totals(store, DAY)) == (calls.PRICED_COST, 2, 1, 1)
    # the day's only call was dead-lettered: its spend is unknown, not $0
    assert _seen(_totals(store, NEXT)) == (None, 0, 0, 1)
    # dashboard variables narrow them as they narrow the stored calls
    assert _totals(store, DAY, team=("growth",))["dead_lettered_requests"] == 1
    assert _totals(store, DAY, team=("support",))["dead_lettered_requests"] == 0


def _report(client: Any, first: dt.datetime, last: dt.datetime) -> dict[str, Any]:
    span = window.build(None, first.date().isoformat(), last.date().isoformat(), None,
                        now=NEXT + dt.timedelta(days=2))  # fmt: skip
    return document.build(document.store_fetcher(client, span), span)


def test_the_report_says_how_many_calls_are_not_in_its_totals(store) -> None:
    doc = _report(store, DAY, NEXT)
    totals = doc["totals"]
    assert (totals["cost"], totals["requests"], totals["unpriced_requests"]) == (
        str(calls.PRICED_COST),
        2,
        1,
    )
    assert (doc["dead_lettered_requests"], totals["cost_complete"]) == (2, False)
    json.dumps(doc)
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=200, color_system=None))
    text = out.getvalue()
    assert "$0.0002 + 1 unknown + 2 not stored" in text
    assert "2 calls not stored (dead letters: tokentrace dead-letters list): not in any total" in (
        text
    )
    page = html.render(doc)
    assert "<b>$0.0002 + 1 unknown + 2 not stored</b><span>spend in window</span>" in page
    assert "<b>2</b><span>calls not stored (tokentrace dead-letters list)</span>" in page

    # only dead letters: unknown, never $0.00
    alone = _report(store, NEXT, NEXT)
    assert (alone["totals"]["cost"], alone["dead_lettered_requests"]) == (None, 1)
    out = io.StringIO()
    terminal.render(alone, Console(file=out, width=200, color_system=None))
    spend = next(line for line in out.getvalue().splitlines() if "Spend in window" in line)
    assert "unknown + 1 not stored" in spend and "$0.00" not in spend


def test_grafana_shows_and_alerts_on_calls_not_stored(store) -> None:
    [stat] = [p for p in overview.panels() if p["title"] == "Calls not stored (dead letters)"]
    end = NEXT + dt.timedelta(days=1, milliseconds=-1)
    result = run_panel(store, stat, {}, start=DAY, end=end)
    assert (
        dict(zip(result.column_names, result.result_rows[0], strict=True))["dead_lettered_requests"]
        == 2
    )
    rule = alert_rule("tokentrace-dead-letters")
    assert evaluate(store, rule, NEXT + dt.timedelta(hours=12)) == {
        (("scope", "all"),): {"dead_lettered": 2.0}
    }
    assert _totals(store, NEXT, tenant=("x\ufffd",))["dead_lettered_requests"] == 1


def test_a_replayed_call_counts_once(replayed_store) -> None:
    """A replay moves a stored call from the dead letters into the totals (the view, the
    report and the alert), never both; the row that cannot be stored stays counted."""
    store = replayed_store
    replayed = dead_letters.replay(store, ["seg-1/0"])
    assert (replayed.stored, replayed.failed) == (["seg-1/0"], [])
    assert _seen(_totals(store, DAY)) == (2 * calls.PRICED_COST, 3, 1, 0)
    dead_letters.replay(store, ["seg-1/0"])  # nothing pending: a second replay stores nothing
    assert _seen(_totals(store, DAY)) == (2 * calls.PRICED_COST, 3, 1, 0)
    assert _seen(_totals(store, NEXT)) == (None, 0, 0, 1)

    replayed = dead_letters.replay(store)  # the other is refused again, and still counted
    assert (replayed.stored, [id_ for id_, _ in replayed.failed]) == ([], ["seg-2/0"])
    after = _report(store, DAY, NEXT)
    assert after["dead_lettered_requests"] == 1
    assert (after["totals"]["requests"], after["totals"]["unpriced_requests"]) == (3, 1)
    assert after["totals"]["cost"] == str(2 * calls.PRICED_COST)
    rule = alert_rule("tokentrace-dead-letters")
    assert evaluate(store, rule, NEXT + dt.timedelta(hours=12)) == {
        (("scope", "all"),): {"dead_lettered": 1.0}
    }
    assert _totals(store, NEXT, tenant=("x\ufffd",))["dead_lettered_requests"] == 1
