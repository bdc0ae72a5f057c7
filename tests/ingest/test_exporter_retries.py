"""serve's back-pressure against the real OTel exporters' retry schedules.

While serve cannot spool it answers 503 + ``Retry-After`` (gRPC UNAVAILABLE + ``RetryInfo``);
the Python exporters (opentelemetry-exporter-otlp-proto-http and -grpc 1.45) wait exactly
that long, and give up once the next wait would pass their export timeout (10 s by default)
or after six attempts. With ``Retry-After: 5`` they tried twice, 5 s apart, and dropped the
batch: a 6 s outage lost every batch first sent in its first second.
"""

from __future__ import annotations

import re
import threading
import time

import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from .otlp import chat
from .reset_proxy import ResetProxy
from .serve_process import ServeProcess

pytestmark = pytest.mark.slow

OUTAGE_SECONDS = 6.0  # longer than one Retry-After of 5 s, shorter than the exporters' 10 s


class Application(threading.Thread):
    """Makes LLM-call spans at a steady rate through a real BatchSpanProcessor."""

    def __init__(self, exporter, per_second: float = 40) -> None:
        super().__init__(daemon=True)
        self.provider = TracerProvider()
        self.provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=200))
        self.tracer = self.provider.get_tracer("tokentrace.instrumentation")
        self.interval = 1 / per_second
        self.made: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            with self.tracer.start_as_current_span("chat gpt-4o", attributes=chat()) as current:
                self.made.append(format(current.get_span_context().span_id, "016x"))

    def finish(self) -> None:
        self.stopping.set()
        self.join(30)
        self.provider.shutdown()  # exports what is queued


def test_a_spool_outage_shorter_than_the_exporters_timeout_loses_no_span(tmp_path):
    server = ServeProcess(tmp_path).start()
    apps = [
        Application(HttpExporter(endpoint=f"{server.url}/v1/traces")),
        Application(GrpcExporter(endpoint=server.grpc_endpoint, insecure=True)),
    ]
    for app in apps:
        app.start()
    time.sleep(1.5)
    # The spool cannot take a segment: its directory moved away, a file in its place (no
    # privileges needed, unlike a full disk). The open segment takes writes until it seals.
    away = server.spool_dir.with_name("spool-away")
    server.spool_dir.rename(away)
    server.spool_dir.write_bytes(b"")
    time.sleep(OUTAGE_SECONDS)
    server.spool_dir.unlink()
    away.rename(server.spool_dir)
    time.sleep(1.5)
    for app in apps:
        app.finish()
    metrics = server.get("/metrics")[1].decode()
    assert server.stop() == 0

    assert 'tokentrace_requests_total{code="503",transport="http"}' in metrics
    assert 'tokentrace_requests_total{code="UNAVAILABLE",transport="grpc"}' in metrics
    stored = [row["span_id"] for row in server.stored()["calls"]]
    assert len(stored) == len(set(stored))
    assert sorted(stored) == sorted(apps[0].made + apps[1].made)


class Recording(SpanExporter):
    """The real exporter, noting the spans of each export it reports as acknowledged."""

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter
        self.acknowledged: list[str] = []

    def export(self, spans) -> SpanExportResult:
        result = self.exporter.export(spans)
        if result is SpanExportResult.SUCCESS:
            self.acknowledged += [format(item.context.span_id, "016x") for item in spans]
        return result

    def shutdown(self) -> None:
        self.exporter.shutdown()


def test_the_grpc_exporter_through_connection_resets_stores_every_acknowledged_span_once(
    tmp_path,
):
    # The OTLP/gRPC exporter had never been run through resets (the HTTP one had: 15 resets,
    # each batch resent and acknowledged as a duplicate). Every third answer serve finishes
    # never reaches it: the connection is reset after serve made the batch durable.
    server = ServeProcess(tmp_path).start()
    proxy = ResetProxy(("127.0.0.1", server.grpc_port), every=3)
    exporter = Recording(GrpcExporter(endpoint=proxy.endpoint, insecure=True))
    app = Application(exporter)
    app.start()
    deadline = time.monotonic() + 120  # a guard against a wait that never ends, not a speed
    while proxy.resets < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    app.finish()
    proxy.close()
    metrics = server.get("/metrics")[1].decode()
    assert server.stop() == 0

    assert proxy.resets >= 4, server.log()
    stored = [row["span_id"] for row in server.stored()["calls"]]
    assert len(stored) == len(set(stored)), "a span was stored twice"
    assert set(exporter.acknowledged) <= set(stored) <= set(app.made)
    assert len(exporter.acknowledged) >= len(app.made) // 2
    # each reset batch was resent, and acknowledged as the duplicate it was
    duplicates = re.search(r"^tokentrace_spans_duplicate_total (\S+)$", metrics, re.M)
    assert duplicates is not None and float(duplicates[1]) > 0
