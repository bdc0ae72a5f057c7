"""The interface as Grafana's ClickHouse data source reaches it: through clickhouse-go over
HTTP, Native at protocol revision 54460 (``go_client``). Before, every answer was chDB's
revision-0 Native, which that driver cannot decode: the data source's first query (the
driver's hello) failed, so no panel, variable or alert rule read anything.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import chdb
import clickhouse_connect
import httpx
import pytest
from grafana.rules import alert_rules, data_queries, query_sql
from views.seed import NOW, TOTAL_COST, TOTAL_REQUESTS

from grafana import test_queries as board
from tokentrace.processor.api import clickhouse_http
from tokentrace.processor.store import store

from .conftest import DATABASE, TOKEN
from .go_client import GO_REVISION, HELLO, GoClient, Result, decode


class Direct:
    """chDB's own Native answer (revision 0), read by the same reader: what to compare with."""

    def __init__(self, chdb_url: str) -> None:
        self.path = str(Path(store.StoreURL.parse(chdb_url).path).resolve())

    def query(self, sql: str) -> Result:
        conn = chdb.connect(self.path)
        try:
            conn.query(f"USE {DATABASE}")
            return decode(conn.query(sql, "Native").bytes() or b"", 0)
        finally:
            conn.close()


@pytest.fixture(scope="module")
def go(interface: clickhouse_http.Listener) -> GoClient:
    return GoClient(interface.port, DATABASE, TOKEN)


@pytest.fixture(scope="module")
def direct(chdb_url: str, seeded: Any) -> Direct:
    return Direct(chdb_url)


def _same(over_http: Result, on_chdb: Result) -> None:
    assert over_http == on_chdb


def test_the_drivers_hello_query(go: GoClient, direct: Direct) -> None:
    """clickhouse-go's first query on every connection: before, "failed to query server
    hello" (its decoder read chDB's first column name as a BlockInfo)."""
    answer = go.query(HELLO)
    assert answer == direct.query(HELLO)
    [(name, version, revision, timezone)] = answer.result_rows
    assert [(version, timezone)] == direct.query("SELECT version(), timezone()").result_rows
    assert name and revision >= GO_REVISION


def test_the_seeded_store_reads_exactly(go: GoClient, direct: Direct) -> None:
    [(calls, cost)] = go.query("SELECT count(), sum(cost) FROM llm_calls").result_rows
    assert (calls, cost) == (TOTAL_REQUESTS, TOTAL_COST)
    detail = (
        "SELECT ts, provider, model, team, cost, latency_ms, priced, tags FROM llm_calls "
        "ORDER BY ts, model, cost"
    )
    _same(go.query(detail), direct.query(detail))


@pytest.mark.parametrize("selection", [board.ALL, board.SELECTION], ids=["all", "selection"])
@pytest.mark.parametrize(
    ("uid", "panel"), board._panels(), ids=lambda x: x if isinstance(x, str) else x["title"]
)
def test_every_panel_query(
    go: GoClient, direct: Direct, uid: str, panel: dict[str, Any], selection: Any
) -> None:
    _same(board.run_panel(go, panel, selection), board.run_panel(direct, panel, selection))


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: rule["uid"])
def test_every_alert_query(go: GoClient, direct: Direct, rule: dict[str, Any]) -> None:
    for query in data_queries(rule):
        sql = query_sql(query, NOW)
        _same(go.query(sql), direct.query(sql))


# The data source's own queries (grafana/clickhouse-datasource 4.20.0: pkg/plugin/schema.go,
# src/data/CHDatasource.ts): discovery, the query builder's columns, ad hoc filter keys and
# values, the SQL editor's functions.
PLUGIN_QUERIES = [
    "SELECT version()",
    "SELECT currentDatabase()",
    "SELECT database, name FROM system.tables ORDER BY database, name",
    "SHOW DATABASES",
    f'SHOW TABLES FROM "{DATABASE}"',
    f'DESC TABLE "{DATABASE}"."llm_calls"',
    "SELECT database, table, name, type, comment FROM system.columns WHERE "
    f"(database, table) IN (('{DATABASE}', 'llm_cost_daily')) OR (database = currentDatabase() "
    "AND table IN ('llm_calls')) ORDER BY database, table, position",
    f"SELECT name, type, table FROM system.columns WHERE database IN ('{DATABASE}') "
    "AND table = 'llm_cost_daily' ORDER BY name",
    "SELECT 'team' AS col_name, toString(`team`) AS val FROM (SELECT DISTINCT `team` FROM "
    "llm_cost_daily SETTINGS max_execution_time=10) UNION ALL SELECT 'provider' AS col_name, "
    "toString(`provider`) AS val FROM (SELECT DISTINCT `provider` FROM llm_cost_daily SETTINGS "
    "max_execution_time=10) ORDER BY col_name, val",
    "select distinct team from llm_cost_daily order by team limit 1000",
    f"SELECT DISTINCT arrayJoin(tags.keys) as keys FROM (SELECT tags FROM {DATABASE}.llm_calls "
    "LIMIT 1000) ORDER BY keys LIMIT 1000",
    "SELECT name, is_aggregate, case_insensitive, alias_to, origin, description, syntax, "
    "arguments, returned_value, examples, categories FROM system.functions "
    "WHERE name IN ('sum', 'toStartOfDay', 'quantile') ORDER BY name",
]


@pytest.mark.parametrize("sql", PLUGIN_QUERIES)
def test_the_data_sources_own_queries(go: GoClient, direct: Direct, sql: str) -> None:
    _same(go.query(sql), direct.query(sql))


def test_the_data_sources_row_limit_setting(interface: clickhouse_http.Listener) -> None:
    """ "Row limit" on the data source: the driver sends the setting ``limit`` in the URL."""
    limited = GoClient(interface.port, DATABASE, TOKEN, limit="3")
    assert len(limited.query("SELECT ts FROM llm_calls").result_rows) == 3


NESTED_TYPES = (
    "SELECT number AS n, toString(number) AS s, toNullable(number) AS nn, [number, 1] AS a, "
    "map('k', number) AS m, toLowCardinality(toString(number % 3)) AS lc, "
    "CAST((number, 'x'), 'Tuple(id UInt64, label LowCardinality(Nullable(String)))') AS t, "
    "CAST(['x'], 'Array(LowCardinality(String))') AS al, CAST(map('k', 1), "
    "'Map(LowCardinality(String), UInt8)') AS ml, toDecimal128(number, 6) AS d, "
    "toFixedString('ab', 2) AS f, NULL AS nothing, toDateTime64(number, 3, 'UTC') AS t64, "
    "CAST('a, (b)', 'Enum8(\\'a, (b)\\' = 1, \\'c\\' = 2)') AS e, [[number]] AS aa, "
    "toIPv6('::1') AS ip, (1.5, 2.5)::Point AS p FROM numbers(2000) ORDER BY n"
)


def test_column_types_a_query_may_return(go: GoClient, direct: Direct) -> None:
    """Each type's bytes found and framed: strings, Nullable, arrays, maps, named tuples,
    LowCardinality (its state prefix before the data, also nested), decimals, geo types."""
    answer = go.query(NESTED_TYPES)
    assert len(answer.result_rows) == 2000
    _same(answer, direct.query(NESTED_TYPES))


def test_an_empty_answer(go: GoClient) -> None:
    """An empty result is an empty body, which the driver reads as no rows."""
    answer = go.post("SELECT ts FROM llm_calls WHERE cost < 0")
    assert (answer.status_code, answer.content) == (200, b"")


def test_a_type_not_framed_is_refused_in_one_line(go: GoClient) -> None:
    answer = go.post("SELECT 1::Variant(UInt8, String) AS v")
    assert answer.status_code == 501
    assert answer.headers["x-clickhouse-exception-code"] == "48"
    assert "Variant(String, UInt8)" in answer.text
    assert "FORMAT JSON" in answer.text
    assert answer.text.count("\n") == 1


def test_a_bad_protocol_version_is_refused(interface: clickhouse_http.Listener) -> None:
    answer = httpx.get(
        f"http://127.0.0.1:{interface.port}/",
        params={"query": "SELECT 1", "client_protocol_version": "new", "password": TOKEN},
    )
    assert answer.status_code == 400
    assert "client_protocol_version must be a whole number, not 'new'" in answer.text


def test_clickhouse_connect_keeps_the_protocol_version_it_asks_for(
    interface: clickhouse_http.Listener,
) -> None:
    """clickhouse-connect asks for 54405 once and keeps it only when the answer carries
    BlockInfo (a proxy may drop the parameter): before, it fell back to revision 0."""
    client = clickhouse_connect.get_client(
        host="127.0.0.1", port=interface.port, username="grafana", password=TOKEN
    )
    assert client.protocol_version == 54405
    assert client.query("SELECT count() FROM llm_calls").result_rows == [(TOTAL_REQUESTS,)]
