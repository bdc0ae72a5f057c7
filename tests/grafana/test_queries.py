"""Every panel, variable and alert query, expanded as Grafana and the plugin do, on chDB.

Panels go through the three steps of a dashboard query (``$__conditionalAll``, template
variables, backend macros) with the interval Grafana derives from the panel's
``maxDataPoints`` and ``interval``; variables and alert queries through the steps that
apply to them. Results are checked against the seeded data (tests/views/seed.py).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from views.seed import GROWTH_MARCH_COST, MARCH_COST, NOW, SPIKE_DAY

from tokentrace.grafana.dashboards import DASHBOARDS
from tokentrace.processor.store import macros

from . import panels
from .rules import alert_rule, evaluate

UTC = dt.UTC
START = NOW - dt.timedelta(days=30)
ALL: dict[str, tuple[str, ...]] = {}
SELECTION = {"team": ("growth", "search"), "provider": ("openai", "anthropic"), "tenant": ()}


def _panels() -> list[tuple[str, dict[str, Any]]]:
    return [
        (board["uid"], panel)
        for board in (build() for build in DASHBOARDS.values())
        for panel in board["panels"]
        if panel["type"] != "row"
    ]


def run_panel(client: Any, panel: dict[str, Any], selection: dict[str, tuple[str, ...]]) -> Any:
    """The panel over the last 30 days of the seed (`panels.run_panel`)."""
    return panels.run_panel(client, panel, selection, START, NOW)


def _columns_panel_needs(panel: dict[str, Any]) -> set[str]:
    options = panel["options"]
    needed = {
        o["matcher"]["options"]
        for o in panel["fieldConfig"]["overrides"]
        if o["matcher"]["id"] == "byName"
    }
    pattern = options.get("reduceOptions", {}).get("fields", "")
    if pattern:
        needed |= set(pattern.strip("/^$()").split("|"))
    if "xField" in options:
        needed.add(options["xField"])
    for override in panel["fieldConfig"]["overrides"]:
        for prop in override["properties"]:
            needed |= set(re.findall(r"__data\.fields\.(\w+)", str(prop["value"])))
    return needed


@pytest.mark.parametrize("selection", [ALL, SELECTION], ids=["all", "selection"])
@pytest.mark.parametrize(
    ("board", "panel"), _panels(), ids=lambda x: x if isinstance(x, str) else x["title"]
)
def test_every_panel_query_runs_and_has_the_columns_its_panel_uses(
    seeded, board: str, panel: dict[str, Any], selection: dict[str, tuple[str, ...]]
) -> None:
    result = run_panel(seeded, panel, selection)
    assert _columns_panel_needs(panel) <= set(result.column_names), panel["title"]
    if panel["targets"][0]["format"] == 0:
        assert result.column_names[0] in ("day", "time")


def panel(title: str) -> dict[str, Any]:
    return next(p for _, p in _panels() if p["title"] == title)


def rows(client: Any, title: str, selection: dict[str, tuple[str, ...]] = ALL) -> list[dict]:
    result = run_panel(client, panel(title), selection)
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def test_panels_answer_the_seeded_data(seeded) -> None:
    assert rows(seeded, "Spend this month")[0]["cost"] == MARCH_COST
    growth = rows(seeded, "Spend this month", {"team": ("growth",)})
    assert growth[0]["cost"] == GROWTH_MARCH_COST
    assert rows(seeded, "Unpriced requests")[0]["unpriced_requests"] == 4
    assert rows(seeded, "Calls without usage (cost unknown)")[0]["usage_missing_requests"] == 1
    budgets = {r["budget"]: r["utilization"] for r in rows(seeded, "Budget utilization")}
    assert budgets["team=growth (month) + 2 unknown"] == Decimal("0.8")  # grok-9 twice
    assert {r["day"] for r in rows(seeded, "Spend anomalies")} == {SPIKE_DAY}
    assert rows(seeded, "Most expensive calls")[0]["trace_id"] == "trace-most-expensive"
    search_models = rows(seeded, "Spend by model", {"team": ("search",)})
    assert {r["model"] for r in search_models} == {"claude-sonnet-4"}


def test_variable_options_come_from_the_rollup(seeded) -> None:
    board = DASHBOARDS["overview"]()
    options = {}
    for variable in board["templating"]["list"]:
        sql = macros.expand_macros(variable["query"], start=START, end=NOW, interval_s=1)
        options[variable["name"]] = [row[0] for row in seeded.query(sql).result_rows]
    assert options["team"] == ["growth", "research", "search"]  # '' (untagged) left out
    assert options["provider"] == ["anthropic", "mistral_ai", "openai", "x_ai"]
    assert options["environment"] == ["prod"]


# ---------------------------------------------------------------- alert rules


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_budget_rules_fire_per_budget_at_each_threshold(seeded) -> None:
    fifty = evaluate(seeded, alert_rule("tokentrace-budget-50"), NOW)
    growth = (("scope", "team=growth"), ("period", "month"))
    assert set(fifty) == {
        growth,
        (("scope", "all"), ("period", "day")),
        (("scope", "feature=summarize"), ("period", "week")),
    }
    assert fifty[growth] == {"utilization": 0.8, "spent": 18.0, "amount": 22.5}
    eighty = evaluate(seeded, alert_rule("tokentrace-budget-80"), NOW)
    assert {dict(k)["scope"] for k in eighty} == {"team=growth", "feature=summarize"}
    hundred = evaluate(seeded, alert_rule("tokentrace-budget-100"), NOW)
    assert {dict(k)["scope"] for k in hundred} == {"feature=summarize"}


def test_budget_unknown_cost_rule_fires_for_budgets_with_calls_of_unknown_cost(seeded) -> None:
    """Today's grok-9 calls (team growth, no price) and mystery-2 call (no usage): the global
    day budget and growth's month budget leave them out of their spend, and say so; summarize's
    week and nobody's month have none."""
    firing = evaluate(seeded, alert_rule("tokentrace-budget-unknown-cost"), NOW)
    assert firing == {
        # today: A and B at 08:00, grok-9 twice, mystery-2 once
        (("scope", "all"), ("period", "day")): {
            "unknown": 3.0, "requests": 5.0, "amount": 6.0, "not_stored": 0.0,
        },
        # March: A on 15 days, rag on 5, the 2 failures, grok-9 twice
        (("scope", "team=growth"), ("period", "month")): {
            "unknown": 2.0, "requests": 24.0, "amount": 22.5, "not_stored": 0.0,
        },
    }  # fmt: skip
    # Mar 14: every call of every budget's period so far has a known cost
    assert evaluate(seeded, alert_rule("tokentrace-budget-unknown-cost"), at(2026, 3, 14, 20)) == {}


def test_daily_anomaly_rule_fires_per_scope_on_the_spike_day_only(seeded) -> None:
    rule = alert_rule("tokentrace-daily-spend-anomaly")
    assert evaluate(seeded, rule, NOW) == {}  # no rows: noDataState OK
    firing = evaluate(seeded, rule, at(2026, 3, 9, 23, 0))
    assert firing == {
        (("scope", "all"),): {"ratio": 7.0, "spend": 21.0, "baseline": 3.0},
        (("scope", "team=search"),): {"ratio": 10.0, "spend": 20.0, "baseline": 2.0},
        (("scope", "feature=summarize"),): {"ratio": 10.0, "spend": 20.0, "baseline": 2.0},
        (("scope", "tenant=globex"),): {"ratio": 10.0, "spend": 20.0, "baseline": 2.0},
    }
    assert evaluate(seeded, rule, at(2026, 3, 10, 23, 0)) == {}


def test_burn_rate_rule_compares_this_hour_with_the_24_before(seeded) -> None:
    rule = alert_rule("tokentrace-hourly-burn-spike")
    # this hour's calls (grok-9, unpriced) have an unknown cost: no data, nothing fires
    assert evaluate(seeded, rule, NOW) == {}
    # 09:30 on the spike day: 18.00 so far this hour; the 24 hours before hold one 08:00
    # batch of 3.00 (yesterday's 08:00 batch is 25 hours back).
    [values] = evaluate(seeded, rule, at(2026, 3, 9, 9, 30)).values()
    assert values == {"ratio": 144.0, "current": 18.0, "baseline": 0.125}
    # 08:30 on Mar 6: 3.00 this hour; of the 24 hours before, Mar 5 09:00 holds only
    # mystery-2's call of unknown cost: left out of the average (3.00 over 23 hours), not a $0
    # hour that would lower it
    [values] = evaluate(seeded, rule, at(2026, 3, 6, 8, 30)).values()
    assert values == {"ratio": pytest.approx(23.0), "current": 3.0, "baseline": 3 / 23}


def test_failed_cost_rule(seeded) -> None:
    rule = alert_rule("tokentrace-failed-cost-spike")
    assert evaluate(seeded, rule, NOW) == {}
    # 10:30 on Mar 13: 0.50 failed this hour; the 24 hours before spent 6.00 + 3.00 + 0.50.
    [values] = evaluate(seeded, rule, at(2026, 3, 13, 10, 30)).values()
    assert values == {"share": pytest.approx(0.5 / (9.5 / 24)), "failed": 0.5}


def test_unpriced_model_rule_fires_for_new_models_only(seeded) -> None:
    rule = alert_rule("tokentrace-unpriced-model")
    assert evaluate(seeded, rule, NOW) == {(("scope", "x_ai/grok-9"),): {"unpriced": 2.0}}
    assert evaluate(seeded, rule, at(2026, 3, 15, 14, 30)) == {}  # no longer new


def test_usage_missing_rule_fires_for_the_hour_with_calls_without_usage(seeded) -> None:
    rule = alert_rule("tokentrace-usage-missing")
    firing = evaluate(seeded, rule, at(2026, 3, 15, 11, 50))
    assert firing == {(("scope", "mistral_ai/mystery-2"),): {"missing": 1.0, "not_stored": 0.0}}
    assert evaluate(seeded, rule, at(2026, 3, 15, 13, 30)) == {}  # that hour has passed
