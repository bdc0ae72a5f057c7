"""serve against a ClickHouse server that fails: a real serve process, a stand-in endpoint."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
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


class _StandIn:
    """The stand-in server of a test, on one port and data directory across its restarts."""

    def __init__(self, path: Path) -> None:
        self.path, self.port = path, free_port()
        self.clickhouse = ChdbServer(path, self.port)

    @property
    def url(self) -> str:
        return self.clickhouse.url

    def restart(self) -> None:
        self.clickhouse.stop()
        self.clickhouse = ChdbServer(self.path, self.port)


@contextlib.contextmanager
def _on_stand_in(path: Path, *serves: ServeProcess) -> Iterator[_StandIn]:
    """A stand-in server on ``path``; at the end, whatever happened, ``serves`` still running
    are killed (one that failed a test is not left behind) and the stand-in stopped."""
    stand_in = _StandIn(path)
    try:
        yield stand_in
    finally:
        for serve in serves:
            if serve.process is not None and serve.process.poll() is None:
                serve.kill()
        stand_in.clickhouse.stop()


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
    #    one that loaded them from disk): llm_calls 200, rollups 300. Now the rows are
    #    looked up after the lost answer, and none is sent again (no view reloaded since
    #    the thirteenth round: test_an_upgrade_beside_a_running_serve_...).
    # 2. it stops answering (a partition leaving the connection half-open): the insert waited
    #    clickhouse-connect's 300 s for an answer that never came, and went on waiting after
    #    the server was back, /readyz/store 200 all along. Now a request silent for 20 s
    #    fails, /readyz/store says so, and the insert is retried once the server answers.
    server = ServeProcess(tmp_path)
    with _on_stand_in(tmp_path / "server", server) as stand_in:
        server.start(clickhouse=stand_in.url)
        acked = _acknowledged(server, 5)
        acked += _restarted_before_answering(server, stand_in)
        server.wait_drained(timeout=90)

        stand_in.clickhouse.fault("blackhole")
        acked += _acknowledged(server, 5)  # acknowledged from the spool meanwhile
        deadline = time.monotonic() + 60
        while server.get("/readyz/store")[0] == 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        status, body = server.get("/readyz/store")
        assert status == 503, body
        assert "timed out" in json.loads(body)["problem"]
        assert stand_in.clickhouse.fault("ok") >= 1  # the insert vanished
        server.wait_drained(timeout=90)
        assert server.stop() == 0
    stored = read_store(f"chdb://{tmp_path / 'server'}")
    assert sorted(row["span_id"] for row in stored["calls"]) == sorted(acked)
    assert stored["llm_cost_hourly"][0] == stored["llm_cost_daily"][0] == "300"
    assert "rows are in llm_calls: not sent again" in server.log()


def _acknowledged(server: ServeProcess, requests: int, **times: int) -> list[str]:
    """The span ids of ``requests`` exports of 20 chat spans (``times``: their ``start_ns``,
    a microsecond apart), each answered 200."""
    acked = []
    for _ in range(requests):
        spans = [span(chat(), **{k: v + 1000 * i for k, v in times.items()}) for i in range(20)]
        assert _post(server, request(*spans).SerializeToString()).status == 200
        acked += [item.span_id.hex() for item in spans]
    return acked


def _restarted_before_answering(server: ServeProcess, stand_in: _StandIn) -> list[str]:
    """Once serve has stored what it holds, 100 more spans whose insert the stand-in makes
    and dies before answering; the stand-in started again on its data. The span ids
    acknowledged meanwhile."""
    server.wait_drained()
    stand_in.clickhouse.fault("late", 120)  # the next insert is made, its answer held
    acked = _acknowledged(server, 5)
    stand_in.clickhouse.wait_held()
    stand_in.restart()
    return acked


def test_a_segment_replayed_at_start_after_the_server_restarted_counts_it_once(tmp_path):
    # serve killed -9 while the server held the answer to an insert it had made, the server
    # restarted too (one host's power cycle): the next start replays the segment under its
    # token. The server deduplicated it in llm_calls and, running the views as loaded from
    # disk rather than as the migrations created them, counted it again in each rollup:
    # llm_calls 200, rollups 300. Now a replayed segment's rows are looked up first.
    server = ServeProcess(tmp_path)
    with _on_stand_in(tmp_path / "server", server) as stand_in:
        server.start(clickhouse=stand_in.url)
        acked = _acknowledged(server, 5)
        server.wait_drained()
        stand_in.clickhouse.fault("late", 120)  # the next insert is made, its answer held
        acked += _acknowledged(server, 5)
        stand_in.clickhouse.wait_held()
        server.kill()
        stand_in.restart()
        server.start()
        server.wait_drained(timeout=90)
        assert server.stop() == 0
    stored = read_store(f"chdb://{tmp_path / 'server'}")
    assert sorted(row["span_id"] for row in stored["calls"]) == sorted(acked)
    counts = (len(stored["calls"]), stored["llm_cost_hourly"][0], stored["llm_cost_daily"][0])
    assert counts == (200, "200", "200")
    assert "rows are in llm_calls: not sent again" in server.log()


def test_an_upgrade_beside_a_running_serve_leaves_no_insert_out_of_the_rollups(tmp_path):
    # Two serves on one ClickHouse server (production's set-up); the second starts as an
    # upgrade (a migration to apply) while the first inserts. It reloaded the server's views
    # after migrating (DETACH, ATTACH each): an insert the first made between a view's DETACH
    # and its ATTACH was missing from that rollup for good. The stand-in answers each DETACH
    # 3 s late, as a busy server may, so that inserts fall in the gap.
    first, second = ServeProcess(tmp_path / "a"), ServeProcess(tmp_path / "b")
    for serve in (first, second):
        serve.workdir.mkdir()
    sending, acked = threading.Event(), []

    def send() -> None:
        while not sending.is_set():
            acked.extend(_acknowledged(first, 1))
            time.sleep(0.2)

    sender = threading.Thread(target=send)
    with _on_stand_in(tmp_path / "server", first, second) as stand_in:
        try:
            first.start(clickhouse=stand_in.url)
            _query(stand_in.clickhouse, "ALTER TABLE schema_migrations DELETE WHERE version = 31")
            stand_in.clickhouse.fault("slowdetach", 3)
            sender.start()
            second.start(clickhouse=stand_in.url)
            time.sleep(2)
            sending.set()
            sender.join()
            first.wait_drained()
            assert first.stop() == second.stop() == 0
        finally:
            sending.set()
    stored = read_store(f"chdb://{tmp_path / 'server'}")
    assert sorted(row["span_id"] for row in stored["calls"]) == sorted(acked)
    assert len(acked) >= 100
    counts = (len(stored["calls"]), stored["llm_cost_hourly"][0], stored["llm_cost_daily"][0])
    assert counts == (len(acked), str(len(acked)), str(len(acked)))


def _query(clickhouse: ChdbServer, sql: str) -> None:
    """Run ``sql`` on the stand-in, as an operator would."""
    request = urllib.request.Request(
        f"{clickhouse.url}/?mutations_sync=1", sql.encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()


def test_an_insert_a_rollup_refused_retried_after_the_server_restarted_is_counted_once(tmp_path):
    # The server refuses an insert part way: llm_calls and llm_cost_daily take it, then
    # llm_cost_hourly is out of space (NOT_ENOUGH_SPACE "while pushing to view"); it is
    # restarted before the sink's retry. The retry under the token was deduplicated in
    # llm_calls and counted again in llm_cost_daily: the server that ran the migrations named
    # the views it had altered (MODIFY QUERY, 0005/0010/0017/0034) otherwise than the restarted one
    # that loaded them from disk: llm_calls 200, daily 300. Now the server's restart is seen
    # (view_tokens) and the rows are looked up instead: none is sent again, and the rollup
    # left short is said with the command that rebuilds it, which makes every count exact.
    server = ServeProcess(tmp_path)
    setting = "min_free_disk_bytes_to_perform_insert"
    with _on_stand_in(tmp_path / "server", server) as stand_in:
        clickhouse = stand_in.clickhouse
        server.start(clickhouse=clickhouse.url)
        acked = _acknowledged(server, 5)
        server.wait_drained()
        _query(clickhouse, f"ALTER TABLE llm_cost_hourly MODIFY SETTING {setting} = 1e19")
        acked += _acknowledged(server, 5)
        deadline = time.monotonic() + 60
        while "NOT_ENOUGH_SPACE" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.2)
        # serve paused meanwhile, so that no retry meets the server down (a lost answer,
        # looked up already): a restart between two retries, as a quick one falls.
        os.kill(server.process.pid, signal.SIGSTOP)
        try:
            stand_in.restart()
            clickhouse = stand_in.clickhouse
            _query(clickhouse, f"ALTER TABLE llm_cost_hourly RESET SETTING {setting}")
        finally:
            os.kill(server.process.pid, signal.SIGCONT)
        server.wait_drained(timeout=90)
        stored = read_store(clickhouse.url)
        counts = (len(stored["calls"]), stored["llm_cost_hourly"][0], stored["llm_cost_daily"][0])
        assert counts == (200, "100", "200")
        # The same refusal, then serve killed -9 and started again, the server not restarted:
        # the replay looked the rows up and sent none again, llm_cost_hourly short (300, 200,
        # 300). The refusal's epoch is noted beside the spool: unmoved, the retry goes under
        # the token and completes llm_cost_hourly (100 more everywhere).
        _query(clickhouse, f"ALTER TABLE llm_cost_hourly MODIFY SETTING {setting} = 1e19")
        acked += _acknowledged(server, 5)
        while server.log().count("NOT_ENOUGH_SPACE") < 2 and time.monotonic() < deadline + 60:
            time.sleep(0.2)
        server.kill()
        _query(clickhouse, f"ALTER TABLE llm_cost_hourly RESET SETTING {setting}")
        server.start()
        server.wait_drained(timeout=90)
        assert server.stop() == 0
        stored = read_store(clickhouse.url)
        counts = (len(stored["calls"]), stored["llm_cost_hourly"][0], stored["llm_cost_daily"][0])
        assert counts == (300, "200", "300")
        day = datetime.now(UTC).date()
        since, until = str(day), str(day + timedelta(days=1))
        assert f"run tokentrace reprice --since {since} --until {until}" in server.log()
        reprice = [sys.executable, "-m", "tokentrace.processor.cli", "reprice",
                   "--clickhouse", clickhouse.url, "--since", since, "--until", until]  # fmt: skip
        subprocess.run(reprice, check=True, capture_output=True, timeout=120)
    stored = read_store(f"chdb://{tmp_path / 'server'}")
    assert sorted(row["span_id"] for row in stored["calls"]) == sorted(acked)
    assert sum(Decimal(row["cost"]) for row in stored["calls"]) == Decimal("1.05")  # $0.0035 each
    for rollup in ("llm_cost_hourly", "llm_cost_daily"):
        assert (stored[rollup][0], Decimal(stored[rollup][1])) == ("300", Decimal("1.05"))
    assert "100 of its 100 rows are in llm_calls: not sent again" in server.log()


def test_reprice_beside_a_serve_writing_to_the_same_server_counts_every_call_once(tmp_path):
    # tokentrace reprice run three times against the server while serve keeps inserting into
    # it (each run changes every call's price: the prices files alternate). The rollups were
    # deleted and rebuilt from llm_calls: an insert landing between the DELETE and the
    # INSERT … SELECT was counted twice (last session: llm_calls 5,420, llm_cost_hourly
    # 5,780). The stand-in answers each DELETE 2 s late, as a busy server may, so that inserts
    # fall in that gap. Now each run adds the difference its new prices make and nothing else.
    server = ServeProcess(tmp_path)
    prices = []
    for name, rates in (("a", "input: 2, output: 8"), ("b", "input: 3, output: 12")):
        prices.append(tmp_path / f"{name}.yaml")
        prices[-1].write_text(
            f"prices:\n  - {{provider: openai, model: gpt-4o-2024-08-06, {rates}}}\n"
        )
    sending, acked = threading.Event(), []

    def send() -> None:
        while not sending.is_set():  # each call at its own instant, as real calls are
            acked.extend(_acknowledged(server, 1, start_ns=time.time_ns()))
            time.sleep(0.2)

    sender = threading.Thread(target=send)
    day = datetime.now(UTC).date()
    with _on_stand_in(tmp_path / "server", server) as stand_in:
        try:
            server.start(clickhouse=stand_in.url)
            stand_in.clickhouse.fault("slowdelete", 2)
            sender.start()
            for path in (prices[0], prices[1], prices[0]):
                reprice = [sys.executable, "-m", "tokentrace.processor.cli", "reprice",
                           "--clickhouse", stand_in.url, "--prices-file", str(path),
                           "--since", str(day - timedelta(days=1)),
                           "--until", str(day + timedelta(days=1))]  # fmt: skip
                run = subprocess.run(reprice, capture_output=True, text=True, timeout=600)
                assert run.returncode == 0, run.stderr
        finally:
            sending.set()
        sender.join()
        server.wait_drained()
        assert server.stop() == 0
    stored = read_store(f"chdb://{tmp_path / 'server'}")
    assert sorted(row["span_id"] for row in stored["calls"]) == sorted(acked)
    calls = len(acked)
    assert calls >= 100
    assert (stored["llm_cost_hourly"][0], stored["llm_cost_daily"][0]) == (str(calls), str(calls))
    cost = sum(Decimal(row["cost"]) for row in stored["calls"])
    assert Decimal(stored["llm_cost_hourly"][1]) == Decimal(stored["llm_cost_daily"][1]) == cost
    tokens = str(1000 * calls)
    assert stored["llm_cost_hourly"][2] == stored["llm_cost_daily"][2] == tokens
    # the last run's price ($0.0028 a call) reached the calls stored before it
    costs = {row["cost"] for row in stored["calls"]}
    assert Decimal("0.0028") in {Decimal(c) for c in costs}
    assert {Decimal(c) for c in costs} <= {Decimal("0.0028"), Decimal("0.0035"), Decimal("0.0042")}
