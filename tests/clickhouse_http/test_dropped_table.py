"""A bookkeeping table dropped by hand under serve, read through the ClickHouse interface."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import httpx

from tokentrace.processor.api import clickhouse_http
from tokentrace.processor.server import ServeConfig, _start_clickhouse_http
from tokentrace.processor.store import store


def test_a_dropped_dead_letter_table_is_named_with_what_to_do(
    chdb_url: str, store_client: Any
) -> None:
    # The interface is read-only: it cannot create the table again itself. Before, the answer
    # was chDB's "Unknown table expression identifier" with nothing saying what to do.
    database = store_client.database
    store_client.command("DROP TABLE dead_letters")
    path = store.StoreURL.parse(chdb_url).path
    listener = clickhouse_http.start(path, database, "127.0.0.1", 0, None)
    try:
        answer = httpx.get(
            f"http://127.0.0.1:{listener.port}/",
            params={"query": "SELECT count() FROM dead_letters"},
        )
        fine = httpx.get(
            f"http://127.0.0.1:{listener.port}/", params={"query": "SELECT count() FROM llm_calls"}
        )
    finally:
        listener.stop()
    version = listener.app.reader.version
    assert (answer.status_code, answer.headers["x-clickhouse-exception-code"]) == (404, "60")
    assert answer.text == (
        f"Code: 60. DB::Exception: Table {database}.dead_letters does not exist: it was dropped "
        "by hand under tokentrace serve; GET /api/v1/dead-letters on serve (or serve's "
        "restart) creates it again as the migrations leave it, then retry. "
        f"(UNKNOWN_TABLE) (version {version})\n"
    )
    assert (fine.status_code, fine.text) == (200, "0\n")


def test_serves_interface_creates_a_dropped_table_again_as_its_other_readers_do(
    chdb_url: str, store_client: Any, tmp_path: Path
) -> None:
    # Before, serve's interface named the table (above) and Grafana's panels counting dead
    # letters failed until GET /api/v1/dead-letters or a restart created it again.
    database = store_client.database
    migrated = store_client.command("SHOW CREATE TABLE dead_letters")
    store_client.command("DROP TABLE dead_letters")
    config = ServeConfig(
        host="127.0.0.1",
        http_port=0,
        grpc_port=0,
        clickhouse_url=f"{chdb_url}?database={database}",
        cluster=None,
        spool_dir=tmp_path / "spool",
        spool_max_bytes=1 << 20,
        max_body_bytes=1 << 20,
        auth_token=None,
        clickhouse_http_port=free_port(),
    )
    listener = _start_clickhouse_http(config)
    assert listener is not None
    try:
        answer = httpx.get(
            f"http://127.0.0.1:{listener.port}/",
            params={"query": "SELECT count() FROM dead_letters"},
        )
    finally:
        listener.stop()
    assert (answer.status_code, answer.text) == (200, "0\n")
    assert store_client.command("SHOW CREATE TABLE dead_letters") == migrated


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
