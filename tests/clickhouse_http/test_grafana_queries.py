"""Every shipped panel, variable and alert query through the interface, as Grafana's data
source would send them, with the plugin's macros expanded (tests/grafana/test_queries.py):
the same columns, types and rows as on chDB directly, and the seeded known answers.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import clickhouse_connect
import pytest
import yaml
from grafana.rules import alert_rules, data_queries, query_sql
from views.seed import NOW, TOTAL_REQUESTS

from grafana import panels
from grafana import test_queries as board
from tokentrace.grafana import generate

from .conftest import DATABASE, TOKEN


def _same(over_http: Any, on_chdb: Any) -> None:
    assert over_http.column_names == on_chdb.column_names
    assert [t.name for t in over_http.column_types] == [t.name for t in on_chdb.column_types]
    assert over_http.result_rows == on_chdb.result_rows


@pytest.mark.parametrize("selection", [board.ALL, board.SELECTION], ids=["all", "selection"])
@pytest.mark.parametrize(
    ("uid", "panel"), board._panels(), ids=lambda x: x if isinstance(x, str) else x["title"]
)
def test_every_panel_query_answers_as_on_chdb(
    http_client: Any, seeded: Any, uid: str, panel: dict[str, Any], selection: Any
) -> None:
    _same(board.run_panel(http_client, panel, selection), board.run_panel(seeded, panel, selection))


def test_panels_and_variables_give_the_known_answers(http_client: Any) -> None:
    board.test_panels_answer_the_seeded_data(http_client)
    board.test_variable_options_come_from_the_rollup(http_client)


MOMENTS = [
    NOW,
    board.at(2026, 3, 9, 9, 30),
    board.at(2026, 3, 9, 23, 0),
    board.at(2026, 3, 13, 10, 30),
]


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: rule["uid"])
def test_every_alert_query_answers_as_on_chdb(
    http_client: Any, seeded: Any, rule: dict[str, Any]
) -> None:
    queries = data_queries(rule)
    assert queries
    for now in MOMENTS:
        for query in queries:
            sql = query_sql(query, now)
            _same(http_client.query(sql), seeded.query(sql))


def test_alert_rules_fire_as_on_chdb(http_client: Any) -> None:
    board.test_budget_rules_fire_per_budget_at_each_threshold(http_client)
    board.test_budget_unknown_cost_rule_fires_for_budgets_with_calls_of_unknown_cost(http_client)
    board.test_daily_anomaly_rule_fires_per_scope_on_the_spike_day_only(http_client)
    board.test_burn_rate_rule_compares_this_hour_with_the_24_before(http_client)
    board.test_failed_cost_rule(http_client)
    board.test_unpriced_model_rule_fires_for_new_models_only(http_client)


def test_the_provisioned_data_source_reaches_the_interface_unchanged(
    interface: Any, seeded: Any
) -> None:
    """grafana/provisioning's data source, its ``$TOKENTRACE_CLICKHOUSE_*`` filled in as
    Grafana does from the environment, is all a client needs."""
    text = (generate.DEFAULT_DIR / "datasources/tokentrace.yaml").read_text(encoding="utf-8")
    environment = {
        "TOKENTRACE_CLICKHOUSE_HOST": "127.0.0.1",
        "TOKENTRACE_CLICKHOUSE_PORT": str(interface.port),
        "TOKENTRACE_CLICKHOUSE_SECURE": "false",
        "TOKENTRACE_CLICKHOUSE_USER": "default",
        "TOKENTRACE_CLICKHOUSE_PASSWORD": TOKEN,
        "TOKENTRACE_CLICKHOUSE_DATABASE": DATABASE,
    }
    for name, value in environment.items():
        text = text.replace(f"${name}", value)
    [source] = yaml.safe_load(text)["datasources"]
    settings = source["jsonData"]
    assert (settings["protocol"], settings["secure"]) == ("http", False)
    client = clickhouse_connect.get_client(
        interface="https" if settings["secure"] else "http",
        host=settings["host"],
        port=int(settings["port"]),
        username=settings["username"],
        password=source["secureJsonData"]["password"],
        database=settings["defaultDatabase"],
    )
    assert client.query("SELECT count() FROM llm_calls").result_rows == [(TOTAL_REQUESTS,)]


def test_a_dashboard_refresh_all_at_once_queues_and_answers(interface: Any, seeded: Any) -> None:
    """Grafana sends every panel of a dashboard at once: more than run at a time
    (``Limits.max_running``), so most wait their turn; every one answers as on chDB."""
    panels = [panel for _, panel in board._panels()]
    assert len(panels) > interface.app.limits.max_running

    def run(panel: dict[str, Any]) -> Any:
        client = clickhouse_connect.get_client(
            host="127.0.0.1",
            port=interface.port,
            password=TOKEN,
            database=DATABASE,
            autogenerate_session_id=False,
        )
        try:
            return board.run_panel(client, panel, board.ALL)
        finally:
            client.close()

    with ThreadPoolExecutor(len(panels)) as pool:
        answers = list(pool.map(run, panels))
    for panel, over_http in zip(panels, answers, strict=True):
        _same(over_http, board.run_panel(seeded, panel, board.ALL))


def _ad_hoc(sql: str, table: str, key: str, value: str) -> str:
    """``sql`` as the plugin sends it with a dashboard ad hoc filter ``key = value`` whose
    target is ``table`` (``AdHocFilter.apply`` in grafana-clickhouse-datasource 4.20)."""
    return f"{sql} settings additional_table_filters={{'{table}' : ' {key} = \\'{value}\\' '}}"


@pytest.mark.parametrize(
    ("uid", "panel"), board._panels(), ids=lambda x: x if isinstance(x, str) else x["title"]
)
def test_an_ad_hoc_filter_narrows_a_panel_as_its_variable_does(
    http_client: Any, uid: str, panel: dict[str, Any]
) -> None:
    """A Grafana user adds an "Ad hoc filters" variable (team = growth): the plugin appends it
    to every query naming its table. Panels the team variable narrows answer as with the
    variable set to growth; the budget and reconciliation panels, which no variable of theirs
    narrows (budgets have their own scopes, the bill has no tags), answer as without it.
    Before: "Budget utilization" and "Billed vs metered" read the metered side of growth
    alone (every budget's spend growth's part, the whole bill against growth's calls)."""
    sql = panels.panel_sql(panel, board.ALL, board.START, NOW)
    if "llm_cost_daily" not in sql:
        return
    filtered = http_client.query(_ad_hoc(sql, "llm_cost_daily", "team", "growth")).result_rows
    narrowed = "team" in panel["targets"][0]["rawSql"]
    expected = panels.panel_sql(panel, {"team": ("growth",)} if narrowed else board.ALL,
                                board.START, NOW)  # fmt: skip
    assert filtered == http_client.query(expected).result_rows
