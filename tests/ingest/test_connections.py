"""Connection hygiene of serve's HTTP server (processor/http_server.py, api/routing.py).

The protocol-level rules run against a real uvicorn server in a thread with small limits;
the open-files and big-request cases against a real ``tokentrace serve`` subprocess.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import logging
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest
import uvicorn
from google.protobuf.internal.encoder import _VarintBytes
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from tokentrace.processor import http_server
from tokentrace.processor.api.routing import InFlight, application, read_body, route
from tokentrace.processor.demo.serve_process import free_port
from tokentrace.processor.metrics import Registry

from .serve_process import ServeProcess
from .test_serve import sdk_spans

HALF_OPEN = 2_000
OPEN_FILES = 1_024
CAP = OPEN_FILES - http_server.FD_RESERVE - http_server.ACCEPT_BACKLOG  # serve's default
MILLION = 1_000_000


# ------------------------------------------------------------ a server in a thread


class Running:
    def __init__(
        self,
        port: int,
        metrics: Registry,
        release: threading.Event,
        server: uvicorn.Server,
        in_flight: InFlight,
    ) -> None:
        self.port = port
        self.metrics = metrics
        self.release = release
        self.server = server
        self.in_flight = in_flight

    def wait_for(self, connections: int = 0, in_flight: int = 0) -> None:
        """Until the server holds at least this many connections and requests in flight."""
        deadline = time.monotonic() + 30
        while (
            len(self.server.server_state.connections) < connections
            or self.in_flight.count < in_flight
        ):
            assert time.monotonic() < deadline, "the server never got there"
            time.sleep(0.01)

    def connect(self) -> socket.socket:
        connection = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return connection

    def request(self, raw: bytes) -> bytes:
        """Send ``raw`` on a new connection; everything the server answers until it closes."""
        with self.connect() as connection:
            connection.sendall(raw)
            return read_all(connection)


def read_all(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".encode()


@contextlib.contextmanager
def running(**limits: float) -> Iterator[Running]:
    metrics = Registry()
    release = threading.Event()

    async def blocked(request: Request) -> Response:
        while not release.is_set():
            await asyncio.sleep(0.01)
        return PlainTextResponse("released\n")

    async def echo(request: Request) -> Response:
        return PlainTextResponse(await read_body(request, 1 << 20))

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    config = http_server.Limits(**limits)  # type: ignore[arg-type]
    in_flight = InFlight(config.max_in_flight, metrics.http_requests_refused)
    app = application(
        [
            route("GET", "/block", blocked, in_flight.middleware()),
            route("POST", "/echo", echo, in_flight.middleware()),
            route("GET", "/healthz", healthz),
        ],
        body_timeout=config.body_timeout,
        refused=metrics.http_requests_refused,
    )
    port = free_port()
    server = http_server.server(app, "127.0.0.1", port, config, metrics)
    thread = threading.Thread(target=http_server.run, args=(server, metrics), daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield Running(port, metrics, release, server, in_flight)
    finally:
        release.set()
        server.should_exit = True
        thread.join(30)


def test_a_request_head_not_sent_in_time_gets_408_and_the_connection_closes():
    with running(head_timeout=0.3) as server:
        answer = server.request(b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-le")
        with server.connect() as silent:  # connects and never says a word
            silent_answer = read_all(silent)
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert silent_answer.startswith(b"HTTP/1.1 408 ")
        assert server.metrics.http_connections_closed.value(reason="head_timeout") == 2


def test_a_body_not_sent_in_time_gets_408():
    with running(body_timeout=0.3) as server:
        answer = server.request(
            b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nonly ten b"
        )
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert b'"the request body did not arrive in time"' in answer
        assert server.metrics.http_requests_refused.value(reason="body_timeout") == 1


def test_a_complete_request_is_answered_and_an_idle_keep_alive_connection_closed():
    with running(idle_timeout=1) as server, server.connect() as connection:
        connection.sendall(b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello")
        answer = read_all(connection)  # returns once the idle connection is closed
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert answer.endswith(b"\r\n\r\nhello")


def test_over_the_cap_the_oldest_half_open_connection_makes_room():
    with running(max_connections=2) as server:
        first, second = server.connect(), server.connect()
        for connection in (first, second):
            connection.sendall(b"GET /healthz HTTP/1.1\r\n")  # a head never finished
        server.wait_for(connections=2)  # both accepted before the third arrives
        assert server.request(get("/healthz")).startswith(b"HTTP/1.1 200 ")
        assert read_all(first) == b""  # evicted, the oldest
        assert server.metrics.http_connections_closed.value(reason="evicted") == 1
        second.close()
        first.close()


def test_when_every_connection_is_busy_a_new_one_gets_503_with_retry_after():
    with running(max_connections=2) as server:
        busy = [server.connect(), server.connect()]
        for connection in busy:
            connection.sendall(get("/block"))
        server.wait_for(in_flight=2)
        refused = server.request(get("/healthz"))
        server.release.set()
        served = [read_all(connection) for connection in busy]
        assert refused.startswith(b"HTTP/1.1 503 ")
        assert b"\r\nretry-after: 2\r\n" in refused
        assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in served)
        assert server.metrics.http_connections_closed.value(reason="full") == 1
        for connection in busy:
            connection.close()


def test_requests_over_the_in_flight_cap_get_503_but_probes_are_answered():
    with running(max_in_flight=1) as server, server.connect() as busy:
        busy.sendall(get("/block"))
        server.wait_for(in_flight=1)
        refused = server.request(get("/block"))
        probe = server.request(get("/healthz"))
        server.release.set()
        assert read_all(busy).startswith(b"HTTP/1.1 200 ")
        assert refused.startswith(b"HTTP/1.1 503 ")
        assert b"\r\nretry-after: 2\r\n" in refused
        assert probe.startswith(b"HTTP/1.1 200 ")
        assert server.metrics.http_requests_refused.value(reason="busy") == 1


def test_loop_errors_are_counted_every_time_and_logged_once_per_period(caplog):
    metrics = Registry()
    handler = http_server.LoopErrorLog(metrics, every=3600)
    context = {
        "message": "socket.accept() out of system resource",
        "exception": OSError(24, "Too many open files"),
    }
    with caplog.at_level(logging.ERROR, logger="tokentrace.http"):
        for _ in range(5_000):
            handler(None, context)  # type: ignore[arg-type]
    assert metrics.http_loop_errors.value(kind=context["message"]) == 5_000
    assert [record.getMessage() for record in caplog.records] == [
        "socket.accept() out of system resource: [Errno 24] Too many open files"
    ]


def test_an_otlp_grpc_exporter_on_the_http_port_gets_one_line_saying_what_to_change(caplog):
    """The Python exporter's default protocol is grpc: a user who sets only
    OTEL_EXPORTER_OTLP_ENDPOINT=http://HOST:4318 sends HTTP/2 to the OTLP/HTTP port. Before:
    uvicorn logged "Invalid HTTP request received." on every retry, nothing else."""
    with (
        running() as server,
        caplog.at_level(logging.INFO),
    ):
        exporter = GrpcSpanExporter(endpoint=f"127.0.0.1:{server.port}", insecure=True, timeout=3)
        try:
            for _ in range(2):  # a second export: still one line a minute
                assert exporter.export(sdk_spans(1)) == SpanExportResult.FAILURE
        finally:
            exporter.shutdown()
        closed = server.metrics.http_connections_closed.value(reason="http2")
    said = [r.getMessage() for r in caplog.records if r.name.startswith(("tokentrace", "uvicorn"))]
    assert said == [
        f"an HTTP/2 client (an OTLP/gRPC exporter?) connected to the OTLP/HTTP port "
        f"{server.port}: send OTLP/gRPC to serve's --grpc-port (4317), or set "
        "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf in the app"
    ]
    assert closed >= 2


def test_spans_posted_to_a_doubled_traces_path_get_one_line_saying_what_to_change(caplog):
    """OTEL_EXPORTER_OTLP_ENDPOINT=http://HOST:4318/v1/traces: the exporter posts to
    /v1/traces/v1/traces and logs only "404, reason: Not Found". Before: serve said nothing."""
    with running() as server, caplog.at_level(logging.INFO):
        url = f"http://127.0.0.1:{server.port}/v1/traces/v1/traces"
        exporter = OTLPSpanExporter(endpoint=url, timeout=3)
        for _ in range(3):
            assert exporter.export(sdk_spans(1)) == SpanExportResult.FAILURE
        exporter.shutdown()
        answer = server.request(
            b"POST /otlp/v1/traces HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n"
            b"connection: close\r\n\r\n"
        )
        other = server.request(
            b"POST /v1/metric HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )
    hint = (
        "OTLP spans were sent to /v1/traces/v1/traces, not /v1/traces: set "
        "OTEL_EXPORTER_OTLP_ENDPOINT to http://HOST:PORT alone (the exporter adds /v1/traces), "
        "or the whole URL in OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; these spans were not stored"
    )
    said = [r.getMessage() for r in caplog.records if r.name.startswith("tokentrace")]
    assert said == [hint]  # three exports and another wrong path: one line a minute
    assert answer.startswith(b"HTTP/1.1 404 ") and b"sent to /otlp/v1/traces, not" in answer
    assert other.startswith(b"HTTP/1.1 404 ") and b'{"error": "no route for /v1/metric"}' in other


# ------------------------------------------------------------ a real serve


@pytest.fixture(scope="module")
def constrained(tmp_path_factory):
    """serve at ``ulimit -n 1024``, taking a million spans per request."""
    process = ServeProcess(
        tmp_path_factory.mktemp("constrained"),
        args=("--max-spans-per-request", str(2 * MILLION), "--head-timeout", "120"),
        open_files=OPEN_FILES,
    ).start()
    yield process
    process.stop()


def metric(server: ServeProcess, sample: str) -> float:
    """The value of ``sample`` (a name, with its labels if it has any); 0 when absent."""
    for line in server.get("/metrics")[1].decode().splitlines():
        name, _, value = line.rpartition(" ")
        if name == sample:
            return float(value)
    return 0.0


@pytest.mark.slow
def test_2000_half_open_connections_at_1024_open_files_leave_a_real_exporter_served(
    constrained,
):
    flood = []
    try:
        for _ in range(HALF_OPEN):
            connection = socket.create_connection(("127.0.0.1", constrained.http_port), 30)
            connection.sendall(b"POST /v1/traces HTTP/1.1\r\nhost: x\r\n")  # and nothing more
            flood.append(connection)
        # Every flood connection accepted: the rest are held, half-open, at the cap.
        evicted = 'tokentrace_http_connections_closed_total{reason="evicted"}'
        while metric(constrained, evicted) < HALF_OPEN - CAP:
            time.sleep(0.2)
        exporter = OTLPSpanExporter(
            endpoint=f"{constrained.url}/v1/traces", compression=Compression.Gzip, timeout=60
        )
        # The head timeout is 120 s: only eviction can have made room for the exporter.
        assert exporter.export(sdk_spans(3, tenant="flooded")) == SpanExportResult.SUCCESS
        assert constrained.get("/healthz") == (200, b"ok\n")
        assert metric(constrained, "tokentrace_spans_accepted_total") >= 3
    finally:
        for connection in flood:
            connection.close()
    assert len(constrained.log().encode()) < 1_000_000


def million_empty_spans() -> bytes:
    """An ExportTraceServiceRequest of 1M empty spans, gzipped (a few KB)."""
    scope_spans = b"\x12\x00" * MILLION  # ScopeSpans.spans = 2, each an empty Span
    resource_spans = b"\x12" + _VarintBytes(len(scope_spans)) + scope_spans
    request = b"\x0a" + _VarintBytes(len(resource_spans)) + resource_spans
    return gzip.compress(request)


@pytest.mark.slow
def test_healthz_answers_while_a_million_span_request_is_processed(constrained):
    received_http = 'tokentrace_spans_received_total{transport="http"}'
    received = metric(constrained, received_http)
    answer: list[int] = []
    big_request = urllib.request.Request(
        f"{constrained.url}/v1/traces",
        million_empty_spans(),
        {"content-type": "application/x-protobuf", "content-encoding": "gzip"},
    )

    def send() -> None:
        with urllib.request.urlopen(big_request, timeout=600) as big_answer:
            answer.append(big_answer.status)

    big = threading.Thread(target=send)
    big.start()
    answered_meanwhile = 0
    while big.is_alive():
        assert constrained.get("/healthz") == (200, b"ok\n")
        answered_meanwhile += big.is_alive()
    big.join()
    assert answer == [200]
    assert answered_meanwhile > 0
    assert metric(constrained, received_http) == received + MILLION
