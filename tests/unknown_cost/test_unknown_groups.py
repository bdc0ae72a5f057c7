"""A period mixing priced calls with calls of unknown cost, where some groups (a team, a feature,
an API key, an endpoint, a conversation, a budget's scope, an hour) hold unknown costs only:
each such group shows its cost as unknown (None / null) with its count of calls of unknown cost,
never $0, in the views, the budgets, ``report --format json`` and the Grafana panels; the priced
group keeps its exact cost. (test_every_view_every_kind checks periods of one kind only, where
every call has the same tags: this checks the groups inside a mixed period.)

Calls, one day: team ``growth`` 3 gpt-4o-mini calls of :data:`calls.PRICED_COST` each; team
``support`` 3 calls of a model without a price; team ``ops`` 3 OpenAI streams without usage.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from ingest.ingest_path import Ingest

from grafana.panels import run_panel, shown_rows
from tokentrace.grafana.dashboards import DASHBOARDS
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.report import document, window
from tokentrace.processor.store import budgets, views
from unknown_cost import calls

DAY = dt.datetime(2026, 3, 18, tzinfo=dt.UTC)
END = DAY + dt.timedelta(days=1, milliseconds=-1)
GROWTH = 3 * calls.PRICED_COST
# Each team's calls, their tags (one value per team) and their hour.
TEAMS = {
    "growth": (calls.priced, "chat", "sk-...aaaa#1", "POST /a", "c-a", 9),
    "support": (calls.unpriced, "search", "sk-...bbbb#2", "POST /b", "c-b", 10),
    "ops": (calls.usage_missing, "sum", "sk-...cccc#3", "POST /c", "c-c", 11),
}


@pytest.fixture(scope="module")
def store(module_store_client, tmp_path_factory) -> Iterator[Any]:
    client = module_store_client
    message = calls.export([])
    scope = message.resource_spans[0].scope_spans[0]
    for team, (call, feature, key, endpoint, conversation, hour) in TEAMS.items():
        tags = {
            "team": team,
            "feature": feature,
            "tokentrace.api_key": key,
            "tokentrace.endpoint": endpoint,
            "gen_ai.conversation.id": conversation,
        }
        for minute in range(3):
            attributes = {"gen_ai.operation.name": "chat", **calls.DIMENSIONS, **call(), **tags}
            start = DAY + dt.timedelta(hours=hour, minutes=minute)
            scope.spans.append(calls._span(attributes, start))
    ingest = Ingest(tmp_path_factory.mktemp("spool"), lambda: client, Pricer())
    try:
        ingest.send(message)
    finally:
        ingest.close()
    for team, period in (("growth", "month"), ("support", "day"), ("ops", "month")):
        budgets.set_budget(client, f"team={team}", "1", period, enforce=True)
    yield client


def _by(rows: list[dict[str, Any]], key: str, *columns: str) -> dict[Any, tuple[Any, ...]]:
    return {row[key]: tuple(row[c] for c in columns) for row in rows}


def _view(store: Any, name: str) -> list[dict[str, Any]]:
    return views.fetch(store, views.VIEWS[name], start=DAY, end=END)


@pytest.mark.parametrize(
    ("name", "key", "values"),
    [
        ("spend_by_team", "team", ("growth", "support", "ops")),
        ("spend_by_feature", "feature", ("chat", "search", "sum")),
        ("spend_by_api_key", "api_key", ("sk-...aaaa#1", "sk-...bbbb#2", "sk-...cccc#3")),
        ("spend_by_endpoint", "endpoint", ("POST /a", "POST /b", "POST /c")),
        ("cost_by_conversation", "conversation", ("c-a", "c-b", "c-c")),
    ],
)
def test_a_group_of_unknown_costs_only_is_unknown_with_its_count(store, name, key, values) -> None:
    growth, support, ops = values
    assert _by(_view(store, name), key, "cost", "requests", "unpriced_requests") == {
        growth: (GROWTH, 3, 0),
        support: (None, 3, 3),
        ops: (None, 3, 3),
    }


def test_an_hour_of_unknown_costs_only_is_unknown_with_its_count(store) -> None:
    rows = _view(store, "hourly_burn_rate")
    assert [(r["time"].hour, r["cost_per_hour"], r["unpriced_requests"]) for r in rows] == [
        (9, GROWTH, 0),
        (10, None, 3),
        (11, None, 3),
    ]


def test_a_budget_of_unknown_costs_only_is_not_under_budget_at_zero(store) -> None:
    rows = _view(store, "budget_utilization")
    assert _by(rows, "scope", "budget", "spent", "utilization", "unpriced_requests") == {
        "team=growth": ("team=growth (month)", GROWTH, GROWTH, 0),
        "team=support": ("team=support (day) + 3 unknown", None, None, 3),
        "team=ops": ("team=ops (month) + 3 unknown", None, None, 3),
    }


def test_the_budget_guard_state_of_unknown_costs_only_is_unknown_not_zero(store) -> None:
    """What the guard polls: the unknown scopes have no spend (None, with the count), not $0;
    the guard fails open on them (not exceeded) and its warning counts them."""
    states = budgets.enforced_state(store, now=DAY + dt.timedelta(hours=12))
    assert {
        s.budget.scope: (s.spent, s.utilization, s.unpriced_requests, s.exceeded) for s in states
    } == {
        "team=growth": (GROWTH, GROWTH, 0, False),
        "team=support": (None, None, 3, False),
        "team=ops": (None, None, 3, False),
    }


def test_the_report_json_by_tag(store) -> None:
    span = window.build(None, DAY.date().isoformat(), DAY.date().isoformat(), None,
                        now=DAY + dt.timedelta(days=2))  # fmt: skip
    doc = json.loads(json.dumps(document.build(document.store_fetcher(store, span), span)))
    shown = {t: [(r["value"], r["cost"], r["unpriced_requests"]) for r in rows]
             for t, rows in doc["by_tag"].items() if t in ("team", "feature")}  # fmt: skip
    assert shown == {
        "team": [("growth", "0.00054", 0), ("ops", None, 3), ("support", None, 3)],
        "feature": [("chat", "0.00054", 0), ("search", None, 3), ("sum", None, 3)],
    }
    assert (doc["totals"]["cost"], doc["totals"]["unpriced_requests"]) == ("0.00054", 6)
    assert doc["totals"]["cost_complete"] is False


@pytest.mark.parametrize(
    ("title", "key", "column"),
    [
        ("Spend by team", "team", "cost"),
        ("Spend by API key", "api_key", "cost"),
        ("Top endpoints", "endpoint", "cost"),
        ("Cost per conversation", "conversation", "cost"),
        ("Budget utilization", "scope", "spent"),
    ],
)
def test_grafana_panels_show_groups_of_unknown_costs_as_unknown(store, title, key, column) -> None:
    [panel] = [
        p for board in DASHBOARDS.values() for p in board()["panels"] if p.get("title") == title
    ]
    rows = shown_rows(panel, run_panel(store, panel, {}, DAY, END))
    shown = {(r[column], int(r["unpriced_requests"])) for r in rows}
    assert shown == {(GROWTH, 0), (None, 3)}, rows
    assert sum(1 for r in rows if r[column] is None) == 2
    assert all(isinstance(r[column], (Decimal, type(None))) for r in rows)


# Money columns worth the cost of the row's own calls (see test_every_surface.COSTS).
COSTS = (
    "cost", "spent", "cost_per_request", "cost_per_hour", "cache_savings", "cache_read_cost",
    "cache_write_cost", "forecast", "utilization", "share",
)  # fmt: skip


@pytest.mark.parametrize("team", ["support", "ops"])
def test_every_view_filtered_to_a_team_of_unknown_costs_has_no_zero_cost(store, team) -> None:
    """The dashboards' team variable, the API's and the report's filter: every cost of every
    view over the team's calls is unknown, none $0, with the team's 3 calls of unknown cost
    (but the budgets, which are not filtered)."""
    checked = []
    for name, view in views.VIEWS.items():
        for row in views.fetch(store, view, start=DAY, end=END, filters={"team": [team]}):
            checked += [(name, key, row[key]) for key in COSTS if key in row]
    # Budgets answer as without the filter (a budget is of its own scope): growth's is known.
    known = [(name, key, value) for name, key, value in checked if value is not None]
    assert known == [("budget_utilization", k, GROWTH) for k in ("spent", "utilization")]
    assert len(checked) >= 15, checked
    [totals] = views.fetch(
        store, views.VIEWS["totals"], start=DAY, end=END, filters={"team": [team]}
    )
    assert (totals["cost"], totals["requests"], totals["unpriced_requests"]) == (None, 3, 3)
