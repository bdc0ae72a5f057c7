"""``tokentrace serve --clickhouse-http-port``: a real serve, fed over OTLP, read by
clickhouse-connect as a ClickHouse server while it ingests."""

from __future__ import annotations

import socket
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import clickhouse_connect
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError
from ingest.otlp import chat, request, span
from ingest.serve_process import ServeProcess

from tokentrace.processor.server import ServeConfig, _start_clickhouse_http

pytestmark = pytest.mark.slow

TOKEN = "s3cret-token"


def send_calls(server: ServeProcess, count: int) -> None:
    body = request(*(span(chat(tenant="acme")) for _ in range(count))).SerializeToString()
    headers = {"content-type": "application/x-protobuf", "authorization": f"Bearer {TOKEN}"}
    sent = urllib.request.Request(f"{server.url}/v1/traces", body, headers, method="POST")
    with urllib.request.urlopen(sent, timeout=30) as answer:
        assert answer.status == 200


def test_serve_answers_clickhouse_clients_while_it_ingests(tmp_path: Path) -> None:
    with socket.socket() as probe:  # held while serve's own ports are chosen: all differ
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        server = ServeProcess(
            tmp_path,
            args=("--clickhouse-http-port", str(port)),
            env={"TOKENTRACE_AUTH_TOKEN": TOKEN},
        )
    server.start()
    try:
        client = clickhouse_connect.get_client(
            host="127.0.0.1", port=port, username="grafana", password=TOKEN
        )
        send_calls(server, 4)
        deadline = time.monotonic() + 60
        while client.command("SELECT count() FROM llm_calls") != 4:  # the sink inserts ~1/s
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.2)
        [(calls, cost, tenants)] = client.query(
            "SELECT count(), sum(cost), groupUniqArray(tenant) FROM llm_calls"
        ).result_rows
        assert (calls, cost, tenants) == (4, Decimal("0.014"), ["acme"])
        with pytest.raises(DatabaseError, match=r"Code: 164\."):
            client.command("TRUNCATE TABLE llm_calls")
        with pytest.raises(DatabaseError, match=r"Code: 516\."):
            clickhouse_connect.get_client(host="127.0.0.1", port=port, password="guess")
        assert f"read-only ClickHouse HTTP interface http://127.0.0.1:{port}" in server.log()
    finally:
        assert server.stop() == 0
    assert len(server.stored()["calls"]) == 4


def test_a_taken_port_is_said_in_one_line_and_serve_runs_without_it(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = ServeProcess(
            tmp_path,
            args=("--clickhouse-http-port", str(port)),
            env={"TOKENTRACE_AUTH_TOKEN": TOKEN},
        ).start()
        try:
            send_calls(server, 2)
        finally:
            assert server.stop() == 0
    lines = [line for line in server.log().splitlines() if f"port 127.0.0.1:{port}" in line]
    assert len(lines) == 1, server.log()
    assert "running without the ClickHouse interface" in lines[0]
    assert "Traceback" not in server.log()
    assert len(server.stored()["calls"]) == 2


def test_port_zero_turns_it_off(tmp_path: Path) -> None:
    config = ServeConfig(
        host="127.0.0.1",
        http_port=0,
        grpc_port=0,
        clickhouse_url=f"chdb://{tmp_path}",
        cluster=None,
        spool_dir=tmp_path / "spool",
        spool_max_bytes=1 << 20,
        max_body_bytes=1 << 20,
        auth_token=None,
        clickhouse_http_port=0,
    )
    assert _start_clickhouse_http(config) is None
