"""Nothing lost, nothing doubled: kill -9 mid-stream, and a ClickHouse that is away."""

from __future__ import annotations

import http.client
import json
import pickle
import random
import shutil
import subprocess
import sys
import threading
import time

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from tokentrace.processor.extract.dedupe import Deduper
from tokentrace.processor.metrics import Registry
from tokentrace.processor.pipeline import Pipeline
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.receivers import otlp_wire
from tokentrace.processor.store import spool_records
from tokentrace.processor.store.spool import Spool

from .otlp import chat, request, span
from .serve_process import ServeProcess, free_port

pytestmark = pytest.mark.slow

SPANS_PER_REQUEST = 20


class LoadGenerator(threading.Thread):
    """Sends numbered requests one after another, each retried until it gets a 200.

    Records the span ids of every acknowledged request, and every answer it saw.
    """

    def __init__(self, server: ServeProcess) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.acked: list[str] = []
        self.answers: list[int | str] = []
        self.stopping = threading.Event()
        self._trace = random.randbytes(16)
        self._next_span = 1

    def _body(self) -> tuple[bytes, list[str]]:
        spans, ids = [], []
        for _ in range(SPANS_PER_REQUEST):
            span_id = self._next_span.to_bytes(8, "big")
            self._next_span += 1
            spans.append(span(chat(**{"gen_ai.response.id": span_id.hex()}),
                              trace_id=self._trace, span_id=span_id))  # fmt: skip
            ids.append(span_id.hex())
        return request(*spans).SerializeToString(), ids

    def run(self) -> None:
        while not self.stopping.is_set():
            body, ids = self._body()
            while True:  # the same body until it is acknowledged, as an exporter retries
                status = self._post(body)
                self.answers.append(status)
                if status == 200:
                    self.acked.extend(ids)
                    break
                time.sleep(0.05)

    def _post(self, body: bytes) -> int | str:
        connection = http.client.HTTPConnection("127.0.0.1", self.server.http_port, timeout=10)
        try:
            connection.request(
                "POST", "/v1/traces", body, {"content-type": "application/x-protobuf"}
            )
            return connection.getresponse().status
        except OSError as exc:
            return type(exc).__name__
        finally:
            connection.close()


def test_kill_9_at_random_points_loses_and_doubles_no_acknowledged_span(tmp_path):
    server = ServeProcess(tmp_path).start()
    generator = LoadGenerator(server)
    generator.start()
    rng = random.Random(20261202)  # seeded: a failure can be run again (bench/kill_soak.py: more)
    for _ in range(3):
        time.sleep(rng.uniform(0.5, 2.0))
        server.kill()
        time.sleep(rng.uniform(0.0, 0.3))
        server.start()
    time.sleep(1.0)
    # At least 20 requests acknowledged in all, however slowly a loaded machine serves them.
    deadline = time.monotonic() + 120
    while len(generator.acked) < 20 * SPANS_PER_REQUEST and time.monotonic() < deadline:
        time.sleep(0.1)
    generator.stopping.set()
    generator.join(60)
    assert not generator.is_alive()
    server.wait_drained()
    assert server.stop() == 0

    failures = [answer for answer in generator.answers if answer != 200]
    assert failures, "the kills never interrupted a request: the test proved nothing"
    rows = server.stored()
    stored = [row["span_id"] for row in rows["calls"]]
    assert len(stored) == len(set(stored)), "a span was stored twice"
    assert sorted(stored) == sorted(generator.acked)
    assert len(generator.acked) >= 20 * SPANS_PER_REQUEST
    # and the rollups every view reads count each call once too
    assert rows["llm_cost_hourly"][0] == rows["llm_cost_daily"][0] == str(len(stored))


def test_unreachable_clickhouse_spools_refuses_when_full_then_drains_once(tmp_path):
    refusing = f"http://127.0.0.1:{free_port()}"
    server = ServeProcess(tmp_path, clickhouse=refusing, args=("--spool-max-bytes", "40KiB"))
    server.start()
    # Ready to take spans (they are spooled) while ClickHouse is away; the store probe says so.
    status, body = server.get("/readyz")
    assert (status, json.loads(body)["ready"], json.loads(body)["store_ready"]) == (
        200, True, False,
    )  # fmt: skip
    status, body = server.get("/readyz/store")
    assert status == 503
    assert "connect" in json.loads(body)["problem"]

    acked: list[str] = []
    throttled = None
    for number in range(200):
        spans = [span(chat(), trace_id=number.to_bytes(16, "big")) for _ in range(10)]
        connection = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)
        connection.request(
            "POST", "/v1/traces", request(*spans).SerializeToString(),
            {"content-type": "application/x-protobuf"},
        )  # fmt: skip
        answer = connection.getresponse()
        if answer.status == 200:
            acked.extend(item.span_id.hex() for item in spans)
            continue
        throttled = (answer.status, answer.getheader("retry-after"), answer.read())
        break
    assert throttled is not None, "the spool never filled"
    assert throttled[:2] == (503, "2")
    status, body = server.get("/readyz")
    assert (status, json.loads(body)["problems"]) == (503, ["spool full"])
    retry = error_details_pb2.RetryInfo()
    assert status_pb2.Status.FromString(throttled[2]).details[0].Unpack(retry)
    assert retry.retry_delay.seconds == 2
    assert len(acked) >= 50

    with grpc.insecure_channel(server.grpc_endpoint) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            stub.Export(request(span(chat())), timeout=10)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
    trailers = dict(refused.value.trailing_metadata())
    assert (
        error_details_pb2.RetryInfo.FromString(
            trailers["google.rpc.retryinfo-bin"]
        ).retry_delay.seconds
        == 2
    )

    assert server.stop() == 0
    assert list(server.spool_dir.glob("*.wal")), "acknowledged spans must be spooled"

    server.start(clickhouse=server.store_url)  # ClickHouse is back: the same spool drains
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, body = server.get("/readyz")
        if status == 200 and json.loads(body)["spool_bytes"] == 0:
            break
        time.sleep(0.1)
    assert server.stop() == 0
    stored = [row["span_id"] for row in server.stored()["calls"]]
    assert sorted(stored) == sorted(acked)


def _alter_store(url: str, statement: str) -> None:
    """Run DDL on a store no serve holds (chDB: one process per data directory)."""
    script = (
        "import sys\n"
        "from tokentrace.processor.store import store\n"
        "client = store.connect(sys.argv[1])\n"
        "store.migrate(client)\n"
        "client.command(sys.argv[2])\n"
    )
    subprocess.run([sys.executable, "-c", script, url, statement], check=True, timeout=120)


def _post(server: ServeProcess, body: bytes) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=10)
    connection.request("POST", "/v1/traces", body, {"content-type": "application/x-protobuf"})
    answer = connection.getresponse()
    answer.read()
    return answer


def test_clickhouse_disk_full_then_recovery_stores_every_acked_span_once(tmp_path):
    server = ServeProcess(tmp_path, args=("--spool-max-bytes", "40KiB"))
    _alter_store(
        server.store_url,
        "ALTER TABLE llm_calls MODIFY SETTING min_free_disk_bytes_to_perform_insert = 10e18",
    )
    server.start()
    acked: list[str] = []
    refused = None
    for number in range(400):
        spans = [span(chat(), trace_id=number.to_bytes(16, "big")) for _ in range(10)]
        body = request(*spans).SerializeToString()
        answer = _post(server, body)
        if answer.status == 200:
            acked.extend(item.trace_id.hex() + item.span_id.hex() for item in spans)
            continue
        refused = (answer.status, answer.getheader("retry-after"), body, spans)
        break
    assert refused is not None, "the spool never filled"
    assert refused[:2] == (503, "2")
    assert len(acked) >= 50
    deadline = time.monotonic() + 30
    while b'tokentrace_insert_errors_total{kind="retryable"}' not in server.get("/metrics")[1]:
        assert time.monotonic() < deadline, "the sink never tried to insert"
        time.sleep(0.1)
    assert b"tokentrace_rows_written_total 0" in server.get("/metrics")[1]
    assert server.stop() == 0
    assert list(server.spool_dir.glob("*.wal")), "acknowledged spans must stay spooled"
    assert server.stored()["calls"] == []

    # The disk is grown: the same spool drains, and the refused request's retry goes in.
    reset = "ALTER TABLE llm_calls RESET SETTING min_free_disk_bytes_to_perform_insert"
    _alter_store(server.store_url, reset)
    server.start()
    deadline = time.monotonic() + 60
    while _post(server, refused[2]).status != 200:  # as an exporter retries: until it is taken
        assert time.monotonic() < deadline, "the spool never drained"
        time.sleep(0.2)
    acked.extend(item.trace_id.hex() + item.span_id.hex() for item in refused[3])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, body = server.get("/readyz")
        if status == 200 and json.loads(body)["spool_bytes"] == 0:
            break
        time.sleep(0.1)
    assert server.stop() == 0
    stored = server.stored()
    keys = [row["trace_id"] + row["span_id"] for row in stored["calls"]]
    assert len(keys) == len(set(keys)), "a span was stored twice"
    assert sorted(keys) == sorted(acked)
    assert stored["llm_cost_hourly"][0] == stored["llm_cost_daily"][0] == str(len(acked))


def test_a_damaged_spool_record_costs_only_its_own_spans(tmp_path):
    refusing = f"http://127.0.0.1:{free_port()}"
    server = ServeProcess(tmp_path, clickhouse=refusing).start()
    acked: list[str] = []
    for number in range(12):
        spans = [span(chat(), trace_id=(number * 100 + i).to_bytes(16, "big")) for i in range(5)]
        assert _post(server, request(*spans).SerializeToString()).status == 200
        acked.extend(item.trace_id.hex() for item in spans)
    assert server.stop() == 0

    # Flip one byte inside the first record of the oldest segment, header included.
    path = sorted(server.spool_dir.glob("*.wal"))[0]
    data = bytearray(path.read_bytes())
    found = spool_records.scan(bytes(data))
    start, end = found.records[0]
    lost = pickle.loads(found.payloads[0])[1]  # trace_id is the second column
    data[start + 2] ^= 0x20
    path.write_bytes(bytes(data))
    # And a segment whose one record checks out but is not columns (another version's): it
    # used to stop every start-up with a traceback.
    undecodable = b"".join(spool_records.encode(b"not a pickle"))
    (server.spool_dir / "000000000999-aaaaaaaaaaaa.wal").write_bytes(undecodable)

    server.start(clickhouse=server.store_url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, body = server.get("/readyz")
        if status == 200 and json.loads(body)["spool_bytes"] == 0:
            break
        time.sleep(0.1)
    metrics = server.get("/metrics")[1].decode()
    # prometheus_client writes every sample as a float
    damaged = end - start + len(undecodable)
    assert f"tokentrace_spool_damaged_bytes_total {float(damaged)}\n" in metrics
    assert server.stop() == 0
    assert (server.spool_dir / "damaged").is_dir()
    assert "is damaged at bytes 0-" in server.log()
    assert "a record that does not decode" in server.log()
    stored = sorted(row["trace_id"] for row in server.stored()["calls"])
    assert stored == sorted(set(acked) - set(lost))
    assert len(lost) == 5


def test_a_stored_batch_resent_after_a_crash_is_counted_once_whatever_its_span_time(tmp_path):
    # The exporter never saw the answer (serve was killed after storing the batch) and
    # resends it. serve used to remember only the stored spans that *started* in the last
    # hour: a resent batch of older spans (a collector draining its queue after an outage)
    # was stored twice.
    server = ServeProcess(tmp_path).start()
    two_hours_ago = time.time_ns() - 2 * 3600 * 10**9
    spans = [
        span(chat(), trace_id=(77).to_bytes(16, "big"), span_id=(n + 1).to_bytes(8, "big"),
             start_ns=two_hours_ago)
        for n in range(10)
    ]  # fmt: skip
    body = request(*spans).SerializeToString()
    assert _post(server, body).status == 200
    deadline = time.monotonic() + 60
    while json.loads(server.get("/readyz")[1])["spool_bytes"]:
        assert time.monotonic() < deadline, "the spool never drained"
        time.sleep(0.1)
    server.kill()
    server.start()
    assert _post(server, body).status == 200
    # Resent again after a restart past what serve keeps of the keys stored (the stored-keys
    # file's 200,000 to 400,000 latest calls, gone here): the sink finds the old spans in
    # llm_calls before the insert and leaves them out. Before, stored a second time.
    _wait_drained(server)
    server.kill()
    for kept in server.spool_dir.glob("stored-keys*"):
        kept.unlink()
    server.start()
    assert _post(server, body).status == 200
    assert server.stop() == 0
    stored = server.stored()
    assert sorted(row["span_id"] for row in stored["calls"]) == [
        item.span_id.hex() for item in spans
    ]
    assert stored["llm_cost_hourly"][0] == stored["llm_cost_daily"][0] == "10"


def _wait_drained(server: ServeProcess) -> None:
    deadline = time.monotonic() + 60
    while json.loads(server.get("/readyz")[1])["spool_bytes"]:
        assert time.monotonic() < deadline, "the spool never drained"
        time.sleep(0.1)


def test_a_segment_replayed_after_the_serve_that_migrated_the_store_is_not_counted_twice(
    tmp_path,
):
    # A crash after a segment's insert and before its deletion replays it at the next start,
    # under the same deduplication token. ClickHouse gave the rollup views' blocks other
    # ids in the process that created the views (the first serve on a store, or one that
    # applied migrations) than in any later one: llm_calls deduplicated the replay, every
    # rollup counted it twice.
    written = Spool(tmp_path / "written", 1 << 30)
    written.recover()
    written.start()
    pipeline = Pipeline(Pricer(), written, Deduper(), Registry())
    spans = [span(chat(), trace_id=(88).to_bytes(16, "big"), span_id=(n + 1).to_bytes(8, "big"))
             for n in range(10)]  # fmt: skip
    message = otlp_wire.TraceRequest.FromString(request(*spans).SerializeToString())
    pipeline.accept(message, "test").durable.result(timeout=10)
    written.close()
    [segment] = (tmp_path / "written").glob("*.wal")
    server = ServeProcess(tmp_path)
    server.spool_dir.mkdir()
    (server.spool_dir / segment.name).write_bytes(segment.read_bytes())
    server.start()  # a new store: this serve creates the tables and views, then stores it
    _wait_drained(server)
    assert server.stop() == 0
    (server.spool_dir / segment.name).write_bytes(segment.read_bytes())  # not yet deleted
    server.start()
    _wait_drained(server)
    assert server.stop() == 0
    stored = server.stored()
    assert len(stored["calls"]) == 10
    assert stored["llm_cost_hourly"][0] == stored["llm_cost_daily"][0] == "10"


def test_serve_starts_and_stores_when_it_cannot_write_its_note_in_the_store(tmp_path):
    # serve leaves a note (its pid and API) in the embedded store's directory. On a full disk
    # that write failed with a traceback, so serve could not start to spool what it is sent
    # until the disk was grown. (A directory in the note's place fails the write the same way.)
    server = ServeProcess(tmp_path)
    (tmp_path / "chdb" / "tokentrace-serve.json").mkdir(parents=True)
    server.start()
    assert _post(server, request(span(chat())).SerializeToString()).status == 200
    assert server.stop() == 0
    assert "cannot write" in server.log()
    assert "Traceback" not in server.log()
    assert len(server.stored()["calls"]) == 1


def test_a_second_serve_on_the_same_spool_directory_exits_clearly_and_takes_nothing(tmp_path):
    # Two serves on different stores but one spool directory (the default spool of any
    # --clickhouse URL is the same one): the second recovered the first's segments, its open
    # one included, and stored them in its own store (1,080 of 41,520 spans, measured).
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first = ServeProcess(tmp_path / "first").start()
    generator = LoadGenerator(first)
    generator.start()
    deadline = time.monotonic() + 60
    while len(generator.acked) < 5 * SPANS_PER_REQUEST:  # segments are being written
        assert time.monotonic() < deadline, "nothing was acknowledged"
        time.sleep(0.05)
    second = ServeProcess(tmp_path / "second")
    second.spool_dir = first.spool_dir
    with pytest.raises(RuntimeError) as refused:
        second.start()
    generator.stopping.set()
    generator.join(60)
    assert first.stop() == 0

    assert second.log().strip() == (
        f"tokentrace serve: the spool directory {first.spool_dir} is in use by another "
        f"tokentrace serve (pid {first.process.pid}); stop it first, or give this one a "
        "spool of its own with --spool-dir DIR"
    ), refused.value
    stored = [row["span_id"] for row in first.stored()["calls"]]
    assert len(stored) == len(set(stored)) == len(generator.acked)
    assert sorted(stored) == sorted(generator.acked)
    assert not (tmp_path / "second" / "chdb" / "metadata").exists()


def test_spans_acknowledged_after_the_embedded_store_was_deleted_stay_spooled_until_restart(
    tmp_path,
):
    # The store's directory emptied under a running serve (rm -rf to start afresh, a tmp
    # cleaner): chDB went on taking inserts, writing parts into directories it re-created, with
    # no table metadata left to find them by. The sink then deleted their segments, and every
    # span acknowledged after the deletion was gone once serve restarted.
    server = ServeProcess(tmp_path).start()
    for number in range(3):
        spans = [span(chat(), trace_id=(number * 100 + i).to_bytes(16, "big")) for i in range(10)]
        assert _post(server, request(*spans).SerializeToString()).status == 200
    _wait_drained(server)
    store = tmp_path / "chdb"
    for entry in store.iterdir():
        shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()

    acked: list[str] = []
    for number in range(3, 8):
        spans = [span(chat(), trace_id=(number * 100 + i).to_bytes(16, "big")) for i in range(10)]
        assert _post(server, request(*spans).SerializeToString()).status == 200
        acked.extend(item.trace_id.hex() for item in spans)
    deadline = time.monotonic() + 60
    while "was deleted" not in json.loads(server.get("/readyz/store")[1])["problem"]:
        assert time.monotonic() < deadline, server.get("/readyz/store")
        time.sleep(0.1)
    assert server.stop() == 0
    assert list(server.spool_dir.glob("*.wal")), "acknowledged spans must stay spooled"

    server.start()  # a new store is created where the old one was; the spool drains into it
    _wait_drained(server)
    assert server.stop() == 0
    stored = server.stored()
    assert sorted(row["trace_id"] for row in stored["calls"]) == sorted(acked)
    assert stored["llm_cost_hourly"][0] == stored["llm_cost_daily"][0] == str(len(acked))


def test_spans_acknowledged_after_the_spool_was_deleted_survive_a_crash(tmp_path):
    # The spool's files deleted under a running serve (rm -rf to start afresh): the open
    # segment went on taking appends into a file no longer on disk, each acknowledged, so a
    # crash before the sink stored them lost them; with the directory gone too, every later
    # request failed until a restart.
    (tmp_path / "second").mkdir()
    server = ServeProcess(tmp_path).start()

    def send(number: int) -> list[str]:
        spans = [span(chat(), trace_id=(number * 100 + i).to_bytes(16, "big")) for i in range(10)]
        body = request(*spans).SerializeToString()
        deadline = time.monotonic() + 30
        while _post(server, body).status != 200:  # as an exporter retries
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.05)
        return [item.trace_id.hex() for item in spans]

    kept = send(0) + send(1)
    _wait_drained(server)
    at_risk = send(2)  # its segment is open, and then deleted with every file in the spool
    for entry in server.spool_dir.iterdir():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    kept += send(3)
    _wait_drained(server)
    at_risk += send(4)  # and then the spool directory itself
    shutil.rmtree(server.spool_dir)
    kept += send(5)
    # The directory serve re-created is locked again: a second serve on it would replay the
    # first's open segments into its own store (it took the new, unlocked directory).
    second = ServeProcess(tmp_path / "second")
    second.spool_dir = server.spool_dir
    try:
        with pytest.raises(RuntimeError, match="is in use by another tokentrace serve"):
            second.start()
    finally:
        if second.process is not None and second.process.poll() is None:
            second.kill()
    kept += send(6)
    server.kill()
    server.start()
    _wait_drained(server)
    assert server.stop() == 0
    stored = server.stored()
    keys = [row["trace_id"] for row in stored["calls"]]
    assert len(keys) == len(set(keys))
    assert set(kept) <= set(keys) <= set(kept + at_risk)
    # An at-risk batch's file is gone: killed mid-insert, it has no replay to complete its
    # rollups. Every kept batch has one.
    for rollup in ("llm_cost_hourly", "llm_cost_daily"):
        assert len(kept) <= int(stored[rollup][0]) <= len(keys)


def test_sigterm_during_replay_and_a_large_export_keeps_every_acknowledged_span_once(tmp_path):
    # A graceful stop while the sink replays a spool of many segments and a large export is
    # in flight: the export is answered (or refused, and resent), what the sink could not
    # insert within its drain stays spooled, and the next start stores each span once.
    def batch(number: int, size: int) -> tuple[bytes, list[str]]:
        spans = [span(chat(), trace_id=(number * 10**6 + i).to_bytes(16, "big"))
                 for i in range(size)]  # fmt: skip
        return request(*spans).SerializeToString(), [item.trace_id.hex() for item in spans]

    server = ServeProcess(tmp_path, clickhouse=f"http://127.0.0.1:{free_port()}").start()
    acked: list[str] = []
    for number in range(4):  # spooled while ClickHouse is away: four segments or more
        body, ids = batch(number, 10_000)
        assert _post(server, body).status == 200
        acked.extend(ids)
        time.sleep(1.0)  # a segment seals after a second
    assert server.stop() == 0

    server.start(clickhouse=server.store_url)
    large, large_ids = batch(99, 20_000)
    answers: list[int] = []
    sender = threading.Thread(target=lambda: answers.append(_post(server, large).status))
    sender.start()
    time.sleep(0.2)
    assert server.stop(drained=False) == 0  # SIGTERM during the replay
    sender.join(60)
    if answers != [200]:
        server.start()
        assert _post(server, large).status == 200  # the exporter's retry
    acked.extend(large_ids)
    server.start()
    _wait_drained(server)
    assert server.stop() == 0
    stored = server.stored()
    keys = [row["trace_id"] for row in stored["calls"]]
    assert len(keys) == len(set(keys))
    assert sorted(keys) == sorted(acked)
    assert stored["llm_cost_hourly"][0] == stored["llm_cost_daily"][0] == str(len(acked))


def test_a_crash_loop_while_the_store_is_away_does_not_pile_up_segments(tmp_path):
    # Each start left the last run's open segment behind, a descriptor each: killed again and
    # again while ClickHouse was away, serve added a segment a start, until "spool full: 64 of
    # 64 segments" at a hard open-files limit of 1,024, whatever it held in bytes. The segments
    # the sink never began to store are merged at start now.
    refusing = f"http://127.0.0.1:{free_port()}"
    server = ServeProcess(tmp_path, clickhouse=refusing)
    acked: list[str] = []
    segments = []
    for run in range(8):
        server.start()
        for number in range(3):
            spans = [span(chat(), trace_id=(run * 100 + number).to_bytes(16, "big"))
                     for _ in range(10)]  # fmt: skip
            assert _post(server, request(*spans).SerializeToString()).status == 200
            acked.extend(item.span_id.hex() for item in spans)
        server.kill()
        segments.append(len(list(server.spool_dir.glob("*.wal"))))
    assert max(segments) <= 3, segments  # before: 1, 2, 3, ..., 8

    server.start(clickhouse=server.store_url)
    assert server.stop() == 0
    stored = server.stored()
    assert sorted(row["span_id"] for row in stored["calls"]) == sorted(acked)
    assert stored["llm_cost_hourly"][0] == stored["llm_cost_daily"][0] == str(len(acked))


def test_a_damaged_part_of_the_store_is_said_and_spooled_spans_are_still_stored(tmp_path):
    # A column file of llm_calls' part cut short (a full disk, a bad restore): chDB sets the
    # part aside at start (detached, broken-on-start) and opens the table without it. Before,
    # serve started ready and silent, 20 of the calls gone from llm_calls while the rollups
    # counted them. The 20 spans acknowledged while the store was away are stored all the same.
    server = ServeProcess(tmp_path).start()
    assert (
        _post(server, request(*(span(chat()) for _ in range(20))).SerializeToString()).status == 200
    )
    assert server.stop() == 0
    server.start(clickhouse="http://127.0.0.1:1")  # the store away
    assert (
        _post(server, request(*(span(chat()) for _ in range(20))).SerializeToString()).status == 200
    )
    assert server.stop() == 0
    [column_file] = (tmp_path / "chdb" / "data" / "default" / "llm_calls").glob("*/data.bin")
    with column_file.open("r+b") as damaged:
        damaged.truncate(100)
    server.start(clickhouse=server.store_url)
    assert server.stop() == 0
    lines = [line for line in server.log().splitlines() if "damaged part" in line]
    part = column_file.parent.name
    assert lines == [
        f"{lines[0].split(' tokentrace.serve ')[0]} tokentrace.serve ERROR the store's table "
        "llm_calls has a damaged part that ClickHouse set aside (broken-on-start, in the "
        f"table's detached/broken-on-start_{part}): the rows it held are not counted in "
        "llm_calls; restore that part from a backup and ALTER TABLE llm_calls ATTACH PART, or "
        "delete it once given up"
    ], server.log()
    stored = server.stored()
    assert len(stored["calls"]) == 20  # the spooled ones; the first 20 in the part set aside
    assert stored["llm_cost_hourly"][0] == "40"


_CUT_REPRICE = """
import sys
from datetime import UTC, datetime, timedelta
from tokentrace.processor.pricing import reprice
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.store import store

client = store.connect(sys.argv[1])
def cut(*args, **kwargs):  # killed once the rollups took the new prices, llm_calls not yet
    raise SystemExit(3)
reprice._move_new_versions = cut
reprice.reprice(client, Pricer(sys.argv[2]), datetime.now(UTC) - timedelta(days=1))
"""


def test_a_reprice_cut_short_is_finished_by_serves_next_start(tmp_path):
    # serve killed -9 while POST /api/v1/reprice rebuilt the rollups (1.5 s into a run over
    # 5,000 calls) left llm_cost_hourly with 100 of 5,100 requests until someone ran
    # tokentrace reprice again; Grafana's spend panels read the rollups. The rollups are no
    # longer rebuilt: cut once they took the new prices ($0.0028 a call instead of $0.0035)
    # and llm_calls not yet, the run is finished from there.
    prices = tmp_path / "prices.yaml"
    prices.write_text(
        "prices:\n  - {provider: openai, model: gpt-4o-2024-08-06, input: 2, output: 8}\n"
    )
    server = ServeProcess(tmp_path).start()
    assert (
        _post(server, request(*(span(chat()) for _ in range(20))).SerializeToString()).status == 200
    )
    assert server.stop() == 0
    cut = subprocess.run(
        [sys.executable, "-c", _CUT_REPRICE, server.store_url, str(prices)],
        capture_output=True,
        timeout=300,
    )
    assert cut.returncode == 3, cut.stderr.decode()
    server.start()
    assert server.stop() == 0
    stored = server.stored()
    assert len(stored["calls"]) == 20
    assert (
        stored["llm_cost_hourly"] == stored["llm_cost_daily"] == ["20", "0.056000000000", "20000"]
    )
    assert {row["cost"] for row in stored["calls"]} == {"0.0028"}
    [line] = [line for line in server.log().splitlines() if "re-pricing run" in line]
    assert line.endswith("which a stop cut short: its rollups completed"), line
