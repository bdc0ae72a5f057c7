"""serve against a ClickHouse server that fails: a real serve process, a stand-in endpoint."""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path

import pytest

from .chdb_server import ChdbServer
from .otlp import chat, request, span
from .serve_process import ServeProcess, free_port, read_store
from .test_durability import _post

pytestmark = pytest.mark.slow


class _Hanging(http.server.BaseHTTPRequestHandler):
    """Takes the connection and the request, never answers (a hung server, or a load
    balancer whose backends are gone)."""

    def _hang(self) -> None:
        self.server.released.wait()  # type: ignore[attr-defined]

    do_GET = do_POST = _hang

    def log_message(self, *args: object) -> None:
        pass


def test_serve_starts_and_spools_against_a_clickhouse_that_never_answers(tmp_path):
    # clickhouse-connect waits 300 s for each answer while it connects: serve did not answer
    # /healthz within 180 s, so no span was acknowledged while ClickHouse hung.
    hanging = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hanging)
    hanging.daemon_threads = True
    hanging.released = threading.Event()  # type: ignore[attr-defined]
    threading.Thread(target=hanging.serve_forever, daemon=True).start()
    server = ServeProcess(tmp_path)
    try:
        server.start(clickhouse=f"http://127.0.0.1:{hanging.server_address[1]}", timeout=90)
        acked = _acknowledged(server, 5)
        status, body = server.get("/readyz/store")
        assert (status, json.loads(body)["ready"]) == (503, False)
        assert server.stop(drained=False) == 0
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()  # it did not start (the test failed): not left behind
        hanging.released.set()  # type: ignore[attr-defined]
        hanging.shutdown()
    assert "ClickHouse is not reachable (" in server.log()
    assert "Read timed out" in server.log()

    server.start(clickhouse=server.store_url)
    assert server.stop() == 0
    stored = server.stored()
    assert sorted(row["span_id"] for row in stored["calls"]) == sorted(acked)
    assert stored["llm_cost_hourly"][0] == stored["llm_cost_daily"][0] == str(len(acked))


def test_a_clickhouse_server_that_restarts_or_stops_answering_mid_run_stores_each_span_once(
    tmp_path,
):
    # Two faults of a ClickHouse server while serve runs, on one server (its migrations take
    # most of the test's time):
    # 1. it makes an insert, then dies before answering, and is started again on its data:
    #    the sink's retry under the token was deduplicated in llm_calls and not in the
    #    rollups (the server that ran the migrations gave the views' blocks other ids than
    #    one that loaded them from disk): llm_calls 200, rollups 300.
    # 2. it stops answering (a partition leaving the connection half-open): the insert waited
    #    clickhouse-connect's 300 s for an answer that never came, and went on waiting after
    #    the server was back, /readyz/store 200 all along. Now a request silent for 20 s
    #    fails, /readyz/store says so, and the insert is retried once the server answers.
    port = free_port()
    clickhouse = ChdbServer(tmp_path / "server", port)
    server = ServeProcess(tmp_path)
    try:
        server.start(clickhouse=clickhouse.url)
        acked = _acknowledged(server, 5)
        clickhouse, more = _restarted_before_answering(server, clickhouse, tmp_path, port)
        acked += more
        server.wait_drained(timeout=90)

        clickhouse.fault("blackhole")
        acked += _acknowledged(server, 5)  # acknowledged from the spool meanwhile
        deadline = time.monotonic() + 60
        while server.get("/readyz/store")[0] == 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        status, body = server.get("/readyz/store")
        assert status == 503, body
        assert "timed out" in json.loads(body)["problem"]
        assert clickhouse.fault("ok") >= 1  # the insert vanished
        server.wait_drained(timeout=90)
        assert server.stop() == 0
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()
        clickhouse.stop()
    stored = read_store(f"chdb://{tmp_path / 'server'}")
    assert sorted(row["span_id"] for row in stored["calls"]) == sorted(acked)
    assert stored["llm_cost_hourly"][0] == stored["llm_cost_daily"][0] == "300"


def _acknowledged(server: ServeProcess, requests: int) -> list[str]:
    """The span ids of ``requests`` exports of 20 chat spans, each answered 200."""
    acked = []
    for _ in range(requests):
        spans = [span(chat()) for _ in range(20)]
        assert _post(server, request(*spans).SerializeToString()).status == 200
        acked += [item.span_id.hex() for item in spans]
    return acked


def _restarted_before_answering(
    server: ServeProcess, clickhouse: ChdbServer, path: Path, port: int, **options: bool
) -> tuple[ChdbServer, list[str]]:
    """Once serve has stored what it holds, 100 more spans whose insert ``clickhouse`` makes
    and dies before answering; the server started again on its data (returned, for the
    caller's clean-up whatever happens next) and the span ids acknowledged meanwhile."""
    server.wait_drained()
    clickhouse.fault("late", 120)  # the next insert is made, its answer held
    acked = _acknowledged(server, 5)
    time.sleep(4)
    clickhouse.stop()
    return ChdbServer(path / "server", port, **options), acked


def test_a_server_restarted_before_answering_an_insert_counts_it_once_for_a_writer_without_drop(
    tmp_path,
):
    # deploy/'s least-privilege writer has no DROP, so serve cannot reload the views after
    # migrating (store.reload_views): a server that made an insert and was restarted before
    # answering it then deduplicated the sink's retry in llm_calls and not in the rollups
    # (llm_calls 200, rollups 300, until the server's next restart). Now the sink looks the
    # rows up after the lost answer and sends none again.
    port = free_port()
    clickhouse = ChdbServer(tmp_path / "server", port, grants_drop=False)
    server = ServeProcess(tmp_path)
    try:
        server.start(clickhouse=clickhouse.url)
        acked = _acknowledged(server, 5)
        clickhouse, more = _restarted_before_answering(
            server, clickhouse, tmp_path, port, grants_drop=False
        )
        acked += more
        server.wait_drained(timeout=90)
        assert server.stop() == 0
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()
        clickhouse.stop()
    assert "grant the writer DROP VIEW" in server.log()  # the reload was refused
    stored = read_store(f"chdb://{tmp_path / 'server'}")
    assert sorted(row["span_id"] for row in stored["calls"]) == sorted(acked)
    assert (stored["llm_cost_hourly"][0], stored["llm_cost_daily"][0]) == ("200", "200")
    assert "rows are in llm_calls: not sent again" in server.log()
