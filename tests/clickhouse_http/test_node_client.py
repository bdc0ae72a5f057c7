"""The official Node client, ``@clickhouse/client`` (tests/clickhouse_http/node, installed
with ``npm ci --prefix tests/clickhouse_http/node``), against the interface: every panel
and alert query, byte for byte what chDB writes, and the write paths refused."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from grafana.rules import alert_rules, data_queries, query_sql

from grafana import panels
from grafana import test_queries as board
from tokentrace.processor.api import clickhouse_http

from .conftest import DATABASE, TOKEN
from .test_clickhouse_connect import direct
from .test_grafana_queries import MOMENTS

NODE_DIR = Path(__file__).with_name("node")
FORMAT = "JSONEachRow"


def _panel_sql(panel: dict[str, Any], selection: dict[str, tuple[str, ...]]) -> str:
    return panels.panel_sql(panel, selection, board.START, board.NOW)


def _alert_sql() -> list[str]:
    found = []
    for rule in alert_rules():
        for query in data_queries(rule):
            found.extend(query_sql(query, now) for now in MOMENTS)
    return found


def run_node(spec: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    assert (NODE_DIR / "node_modules/@clickhouse/client").is_dir(), (
        "run: npm ci --prefix tests/clickhouse_http/node"
    )
    done = subprocess.run(
        [node, "queries.mjs"],
        cwd=NODE_DIR,
        input=json.dumps(spec).encode(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def test_node_client(interface: clickhouse_http.Listener, chdb_url: str) -> None:
    queries = [
        _panel_sql(panel, selection)
        for _, panel in board._panels()
        for selection in (board.ALL, board.SELECTION)
    ] + _alert_sql()
    out = run_node(
        {
            "url": f"http://127.0.0.1:{interface.port}",
            "username": "grafana",
            "password": TOKEN,
            "database": DATABASE,
            "queries": [{"query": sql, "format": FORMAT} for sql in queries],
        }
    )
    assert out["ping"] is True
    assert len(out["texts"]) == len(queries)
    for sql, text in zip(queries, out["texts"], strict=True):
        assert text.encode() == direct(chdb_url, sql, FORMAT), sql
    assert out["rows"]["money"] == [{"calls": 63, "cost": 90}]
    assert out["rows"]["params"] == [{"y": 42, "s": "it's"}]
    for write in ("command", "insert", "exec", "setting"):
        assert out["errors"][write]["code"] == "164", out["errors"][write]
    assert out["errors"]["password"]["code"] == "516"
    assert "AUTHENTICATION_FAILED" in out["errors"]["password"]["type"]
