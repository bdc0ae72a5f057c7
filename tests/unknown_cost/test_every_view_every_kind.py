"""Every view, every Grafana panel and the report, over a period made of one kind of call only:
an unknown cost (no price, no usage, not stored) is never a $0, and a known $0 (a free model, a
call the budget guard blocked) is never unknown.

One store, seeded once through the real write path (extractor, pricer, spool, sink into chDB;
the calls serve could not store through ``dead_letters.add``, as the sink keeps them), each kind
alone in a month of its own, so that every window a view reads (the month to date and its
forecast, the previous period, the trailing week of the anomalies, the budgets' periods) holds
that kind only. A global budget per day and per month.

Costs: ``omni-moderation-latest`` is free (OpenAI's price list,
https://openai.com/api/pricing/: "Moderation: free"); a blocked call was never sent, a known $0
whatever its model (DESIGN §9).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from ingest.ingest_path import Ingest
from rich.console import Console

from grafana.panels import run_panel, shown_rows
from tokentrace.grafana.dashboards import DASHBOARDS
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.report import document, terminal, window
from tokentrace.processor.store import budgets, dead_letters, views
from unknown_cost import calls


def _free() -> dict[str, Any]:
    return {"gen_ai.provider.name": "openai", "gen_ai.request.model": "omni-moderation-latest",
            "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 0}  # fmt: skip


def _blocked(call: dict[str, Any]) -> dict[str, Any]:
    return {**call, "tokentrace.budget.blocked": True}


# Each kind on a day of a month of its own, with the calls the write path stores.
UNKNOWN = {
    "unpriced": (dt.datetime(2026, 3, 18, tzinfo=dt.UTC), [calls.unpriced(), calls.web_search()]),
    "usage_missing": (
        dt.datetime(2026, 4, 15, tzinfo=dt.UTC),
        [calls.usage_missing(), calls.failed_stream()],
    ),
    "not_stored": (dt.datetime(2026, 5, 13, tzinfo=dt.UTC), []),
}
KNOWN_ZERO = {
    "free": (dt.datetime(2026, 6, 17, tzinfo=dt.UTC), [_free(), _free()]),
    # the model without a price too: blocked, it cost nothing
    "blocked": (
        dt.datetime(2026, 7, 16, tzinfo=dt.UTC),
        [_blocked(calls.unpriced()), _blocked(calls.priced())],
    ),
}
KINDS = {**UNKNOWN, **KNOWN_ZERO}
# Not a kind of its own (its costs are lower bounds): a priced call stored and one not stored.
PARTLY_STORED = dt.datetime(2026, 8, 12, tzinfo=dt.UTC)
# Money columns worth the cost of the row's own calls (see test_every_surface.COSTS).
COSTS = (
    "cost", "spent", "cost_per_request", "cost_per_hour", "cache_savings", "cache_read_cost",
    "cache_write_cost", "forecast", "utilization", "share",
)  # fmt: skip
# A share of $0 known spend is no share at all (0 / 0): NULL, with the calls beside it.
UNDEFINED_FOR_ZERO = ("share",)


@pytest.fixture(scope="module")
def store(module_store_client, tmp_path_factory) -> Iterator[Any]:
    client = module_store_client
    ingest = Ingest(tmp_path_factory.mktemp("spool"), lambda: client, Pricer())
    try:
        ingest.send(
            calls.export([
                *((call, day + dt.timedelta(hours=9, minutes=n))
                  for day, kind_calls in KINDS.values()
                  for n, call in enumerate(kind_calls)),
                (calls.priced(), PARTLY_STORED + dt.timedelta(hours=9)),
            ])
        )  # fmt: skip
    finally:
        ingest.close()
    lost = [UNKNOWN["not_stored"][0], PARTLY_STORED]
    letters = calls.rows([(calls.priced(), day + dt.timedelta(hours=11)) for day in lost], lost[1])
    dead_letters.add(
        client, [(f"seg-{n}/0", "INCORRECT_DATA: test", row) for n, row in enumerate(letters)]
    )
    budgets.set_budget(client, "", "1", "day", enforce=True)
    budgets.set_budget(client, "", "1", "month")
    yield client


def _day(kind: str) -> tuple[dt.datetime, dt.datetime]:
    first = KINDS[kind][0]
    return first, first + dt.timedelta(days=1, milliseconds=-1)


def _check(rows: list[dict[str, Any]], kind: str, where: str) -> int:
    """Each cost of ``rows``: unknown (None) for an unknown kind; a real 0 for a known-$0 kind
    (a share of it undefined). The number of costs checked."""
    checked = 0
    for row in rows:
        for key in COSTS:
            if key not in row:
                continue
            checked += 1
            if kind in UNKNOWN or key in UNDEFINED_FOR_ZERO:
                assert row[key] is None, (where, kind, key, row)
            else:
                assert row[key] is not None and row[key] == 0, (where, kind, key, row)
    return checked


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", views.VIEWS)
def test_every_view(store, name: str, kind: str) -> None:
    first, end = _day(kind)
    _check(views.fetch(store, views.VIEWS[name], start=first, end=end), kind, name)


@pytest.mark.parametrize("kind", KINDS)
def test_the_views_are_not_vacuous(store, kind: str) -> None:
    """The costs the views show for the kind's day: enough of them that the check means it."""
    first, end = _day(kind)
    checked = sum(
        _check(views.fetch(store, view, start=first, end=end), kind, name)
        for name, view in views.VIEWS.items()
    )
    assert checked >= 20, checked


@pytest.mark.parametrize("kind", KINDS)
def test_every_grafana_panel(store, kind: str) -> None:
    """Every panel's query as Grafana sends it (macros expanded), after its transformations."""
    first, end = _day(kind)
    checked = 0
    for board in DASHBOARDS.values():
        for panel in board()["panels"]:
            if panel["type"] == "row":
                continue
            rows = shown_rows(panel, run_panel(store, panel, {}, first, end))
            checked += _check(rows, kind, panel["title"])
    assert checked >= 20, checked


def _report(store: Any, first: dt.datetime) -> dict[str, Any]:
    span = window.build(None, first.date().isoformat(), first.date().isoformat(), None,
                        now=first + dt.timedelta(days=2))  # fmt: skip
    return json.loads(json.dumps(document.build(document.store_fetcher(store, span), span)))


def _text(doc: dict[str, Any]) -> str:
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=200, color_system=None))
    return out.getvalue()


@pytest.mark.parametrize("kind", KINDS)
def test_the_report(store, kind: str) -> None:
    """``report --format json``'s costs: null for an unknown kind, "0" for a known-$0 one."""
    doc = _report(store, KINDS[kind][0])
    shown = [
        doc["totals"]["cost"],
        doc["cost_per_request"]["average"],
        *(d["average"] for d in doc["cost_per_request"]["daily"]),
        *(d["cost"] for d in doc["daily"]),
        *(r["cost"] for key in ("by_model", "by_provider", "top_calls") for r in doc[key]),
        *(b["spent"] for b in doc["month_to_date"]["budgets"]),
        doc["month_to_date"]["cost"],
    ]
    assert len(shown) >= 6, shown
    assert shown == [None if kind in UNKNOWN else "0"] * len(shown), shown
    assert doc["totals"]["cost_complete"] is (kind in KNOWN_ZERO)


def _by_model(text: str) -> list[str]:
    """The lines of the terminal's "Spend by model" table, from its title to its caption."""
    lines = [line.rstrip() for line in text.splitlines()]
    start = lines.index("Spend by model")
    end = next(n for n, line in enumerate(lines[start:], start) if line.startswith("└"))
    return lines[start : end + 2]


def test_the_terminal_shares_are_of_the_known_spend(store) -> None:
    """A share in the terminal is of the known spend, as in the JSON and the HTML: the calls not
    stored it leaves out are said (they were not: "share", 100 %), and a known $0 has no share
    (it read 0.0 %)."""
    table = _by_model(_text(_report(store, PARTLY_STORED)))
    assert "share of known" in table[2]
    assert table[-1] == "share: of the known spend; 1 call not stored not in it"
    [row] = [line for line in table if "gpt-4o-mini" in line]
    assert "100.0%" in row
    free = _by_model(_text(_report(store, KNOWN_ZERO["free"][0])))
    [row] = [line for line in free if "moderation" in line]
    assert [cell.strip() for cell in row.split("│")[1:5]] == ["openai", "moderation", "$0.00", "—"]
