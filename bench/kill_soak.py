"""Kill -9 soak: ``tokentrace serve`` killed at seeded random moments under steady OTLP load.

Not run by ``bench/run.py`` (it measures no speed): it checks the durability contract over
many more kills than the test suite can afford (tests/ingest/test_durability.py runs three).
Senders post numbered spans (protobuf over HTTP, JSON over HTTP and gRPC; one sender's spans
started hours ago), each request resent unchanged until it is acknowledged, as exporters do.
serve is killed with SIGKILL at random moments, restarted at once, and at the end stopped
cleanly; then every acknowledged span must be stored exactly once, nothing unacknowledged
stored, and the hourly and daily rollups must count exactly the stored calls.

    python bench/kill_soak.py --kills 30 --seed 7      # exit 1 on any loss or double count
    python bench/kill_soak.py --signal term            # SIGTERM (a clean stop) under load instead

A failure prints the seed and the work directory (kept) with serve's log and store.
"""

from __future__ import annotations

import argparse
import base64
import collections
import http.client
import json
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import grpc
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tokentrace.processor.demo.serve_process import free_port

SPANS_PER_REQUEST = 20
_READ = """
import json, sys
from tokentrace.processor.store import store
client = store.connect(sys.argv[1])
rows = client.query("SELECT trace_id || span_id, count() FROM llm_calls GROUP BY 1").result_rows
hourly = client.query("SELECT sum(requests) FROM llm_cost_hourly").result_rows[0][0]
daily = client.query("SELECT sum(requests) FROM llm_cost_daily").result_rows[0][0]
json.dump({"rows": rows, "hourly": hourly, "daily": daily}, sys.stdout)
"""


class Serve:
    """One ``tokentrace serve`` over a work directory, restarted on the same ports."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.store = f"chdb://{work / 'chdb'}"
        self.http_port, self.grpc_port = free_port(), free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "tokentrace.processor.cli", "serve",
            "--clickhouse", self.store, "--spool-dir", str(self.work / "spool"),
            "--http-port", str(self.http_port), "--grpc-port", str(self.grpc_port),
            "--clickhouse-http-port", "0",
        ]  # fmt: skip
        with (self.work / "serve.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited with {self.process.returncode}")
            try:
                url = f"http://127.0.0.1:{self.http_port}/healthz"
                with urllib.request.urlopen(url, timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("serve did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(120)

    def wait_drained(self, timeout: float = 600) -> None:
        """Wait until the spool is empty: a stop inserts for 5 s at most and leaves the rest
        spooled for the next start, which a loaded machine's replay of every kill's backlog
        can outlast (8 kills at load 19 left 4,320 of 6,720 spans spooled, all stored once
        by the next start: counted as lost here before this wait)."""
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.http_port}/readyz"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    if json.loads(answer.read())["spool_bytes"] == 0:
                        return
            except OSError as exc:
                if getattr(exc, "code", None) != 503:  # 503: spool full, still draining
                    raise
            time.sleep(0.2)
        raise TimeoutError("the spool did not drain")


class Sender(threading.Thread):
    """Posts requests of numbered spans, each resent until acknowledged."""

    def __init__(self, serve: Serve, number: int, transport: str, age_hours: int) -> None:
        super().__init__(daemon=True)
        self.serve, self.transport = serve, transport
        self.trace = number.to_bytes(16, "big")
        self.start_ns = time.time_ns() - age_hours * 3600 * 10**9
        self.next_span = 1
        self.acked: list[str] = []
        self.answers: collections.Counter[str] = collections.Counter()
        self.stopping = threading.Event()

    def _request(self) -> tuple[trace_service_pb2.ExportTraceServiceRequest, list[str]]:
        message = trace_service_pb2.ExportTraceServiceRequest()
        scope = message.resource_spans.add().scope_spans.add()
        scope.scope.name = "tokentrace.instrumentation"
        ids = []
        for _ in range(SPANS_PER_REQUEST):
            span_id = self.next_span.to_bytes(8, "big")
            self.next_span += 1
            attributes = {
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o", "gen_ai.response.id": span_id.hex(),
            }  # fmt: skip
            scope.spans.append(
                Span(
                    trace_id=self.trace, span_id=span_id, name="chat gpt-4o",
                    kind=Span.SPAN_KIND_CLIENT, start_time_unix_nano=self.start_ns,
                    end_time_unix_nano=self.start_ns + 250_000_000,
                    attributes=[KeyValue(key=k, value=AnyValue(string_value=v))
                                for k, v in attributes.items()]
                    + [KeyValue(key="gen_ai.usage.input_tokens", value=AnyValue(int_value=100)),
                       KeyValue(key="gen_ai.usage.output_tokens", value=AnyValue(int_value=10))],
                )
            )  # fmt: skip
            ids.append(self.trace.hex() + span_id.hex())
        return message, ids

    def run(self) -> None:
        while not self.stopping.is_set():
            message, ids = self._request()
            while True:
                answer = self._send(message)
                self.answers[answer] += 1
                if answer == "ok":
                    self.acked.extend(ids)
                    break
                time.sleep(0.05)

    def _send(self, message: trace_service_pb2.ExportTraceServiceRequest) -> str:
        try:
            if self.transport == "grpc":
                endpoint = f"127.0.0.1:{self.serve.grpc_port}"
                with grpc.insecure_channel(endpoint) as channel:
                    trace_service_pb2_grpc.TraceServiceStub(channel).Export(message, timeout=10)
                return "ok"
            if self.transport == "json":
                body = _hex_ids(json_format.MessageToDict(message)).encode()
                content_type = "application/json"
            else:
                body, content_type = message.SerializeToString(), "application/x-protobuf"
            connection = http.client.HTTPConnection("127.0.0.1", self.serve.http_port, timeout=10)
            try:
                connection.request("POST", "/v1/traces", body, {"content-type": content_type})
                status = connection.getresponse().status
            finally:
                connection.close()
            return "ok" if status == 200 else str(status)
        except grpc.RpcError as exc:
            return exc.code().name
        except OSError as exc:
            return type(exc).__name__


def _hex_ids(document: dict) -> str:
    """OTLP/JSON carries trace and span ids as hex, not protobuf JSON's base64."""
    for resource in document.get("resourceSpans", []):
        for scope in resource.get("scopeSpans", []):
            for item in scope.get("spans", []):
                for key in ("traceId", "spanId"):
                    item[key] = base64.b64decode(item[key]).hex()
    return json.dumps(document)


def soak(work: Path, kills: int, seed: int, clean: bool = False) -> bool:
    rng = random.Random(seed)
    serve = Serve(work)
    serve.start()
    kinds = [("protobuf", 0), ("json", 0), ("grpc", 0), ("protobuf", 3)]  # (transport, age h)
    senders = [Sender(serve, n + 1, kind, age) for n, (kind, age) in enumerate(kinds)]
    for sender in senders:
        sender.start()
    for _ in range(kills):
        time.sleep(rng.uniform(0.05, 3.0))
        if clean:
            assert serve.stop() == 0, "serve did not stop cleanly"
        else:
            serve.kill()
        time.sleep(rng.uniform(0.0, 0.3))
        serve.start()
    time.sleep(1.0)
    for sender in senders:
        sender.stopping.set()
    for sender in senders:
        sender.join(60)
    serve.wait_drained()
    code = serve.stop()
    read = subprocess.run(
        [sys.executable, "-c", _READ, serve.store], capture_output=True, check=True, text=True
    )
    stored = json.loads(read.stdout)
    counts = dict(stored["rows"])
    acked = {key for sender in senders for key in sender.acked}
    lost = acked - counts.keys()
    doubled = sum(count - 1 for count in counts.values() if count > 1)
    unacked = counts.keys() - acked
    rows = sum(counts.values())
    answers = sum((sender.answers for sender in senders), collections.Counter())
    print(
        f"seed {seed}, {kills} kills: acked {len(acked)}, stored rows {rows}, lost {len(lost)}, "
        f"doubled {doubled}, stored unacknowledged {len(unacked)}, "
        f"rollups hourly {stored['hourly']} daily {stored['daily']}; serve stop exit {code}; "
        f"answers {dict(answers)}"
    )
    return (
        code == 0
        and not lost
        and not doubled
        and not unacked
        and int(stored["hourly"]) == int(stored["daily"]) == rows
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--signal", choices=("kill", "term"), default="kill")
    parser.add_argument("--work", type=Path, help="work directory (default: a new temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="tokentrace-kill-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    ok = soak(work, args.kills, args.seed, clean=args.signal == "term")
    print(("ok" if ok else "FAILED") + f": work directory {work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
