"""Fixtures: one stand-in server for the session, a fresh instrumented tracer per test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tokentrace.instrumentation import LLMInstrumentor
from tokentrace.instrumentation.usage import Observed
from tokentrace.processor.extract.dedupe import Deduper
from tokentrace.processor.extract.extractor import extract
from tokentrace.processor.metrics import Registry
from tokentrace.processor.pipeline import Pipeline, price_call
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.receivers import otlp_wire
from tokentrace.processor.standins import Standin, start_standin
from tokentrace.processor.store.sink import Sink
from tokentrace.processor.store.spool import Spool


@pytest.fixture(scope="session")
def standin_server() -> Iterator[Standin]:
    with start_standin() as standin:
        yield standin


@pytest.fixture
def standin(standin_server: Standin) -> Standin:
    standin_server.requests.clear()
    standin_server.sent.clear()
    standin_server.compression = "gzip"
    return standin_server


@pytest.fixture
def provider() -> TracerProvider:
    return TracerProvider()


@contextmanager
def instrumented(
    standin: Standin, provider: TracerProvider | None = None, provider_urls: str | None = None
) -> Iterator[InMemorySpanExporter]:
    """httpx/httpx2 instrumented for the block, with the stand-in mapped to its providers
    (`provider_urls=""`: nothing mapped); the spans go to the exporter it yields."""
    if provider is None:
        provider = TracerProvider()
    if provider_urls is None:
        provider_urls = standin.provider_urls()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = LLMInstrumentor()
    instrumentor.instrument(tracer_provider=provider, provider_urls=provider_urls)
    try:
        yield exporter
    finally:
        instrumentor.uninstrument()


@pytest.fixture
def exporter(standin: Standin, provider: TracerProvider) -> Iterator[InMemorySpanExporter]:
    """Instruments httpx/httpx2 for the test, with the stand-in mapped to its providers."""
    with instrumented(standin, provider) as exporter:
        yield exporter


@pytest.fixture
def unmapped(standin, monkeypatch) -> Iterator[InMemorySpanExporter]:
    """Instrumented with nothing configured: no tokentrace variable, no URL map."""
    for name in ("TOKENTRACE_PROVIDER_URLS", "TOKENTRACE_INSTRUMENTATION_ENABLED"):
        monkeypatch.delenv(name, raising=False)
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = LLMInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    yield exporter
    instrumentor.uninstrument()


def llm_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [
        span
        for span in exporter.get_finished_spans()
        if span.instrumentation_scope.name == "tokentrace.instrumentation.instrumentor"
    ]


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    spans = llm_spans(exporter)
    assert len(spans) == 1, [span.name for span in spans]
    return spans[0]


def attributes(span: ReadableSpan, ttfc: bool = False) -> dict[str, Any]:
    """The span's attributes; `time_to_first_chunk` (a duration) is checked and removed, and
    so is the key fingerprint (checked to be one: test_api_keys.py covers it)."""
    found = dict(span.attributes or {})
    key = found.pop("tokentrace.api_key", None)
    assert key is None or re.fullmatch(r"(\S+…\S{4})?…?#[0-9a-f]{8}", key), key
    first_chunk = found.pop("gen_ai.response.time_to_first_chunk", None)
    if ttfc:
        assert isinstance(first_chunk, float) and first_chunk > 0
    else:
        assert first_chunk is None
    for key, value in found.items():
        if isinstance(value, tuple):
            found[key] = list(value)
    return found


def call_attributes(
    standin: Standin,
    provider: str,
    operation: str,
    model: str,
    stream: bool = False,
    status: int | None = 200,
) -> dict[str, Any]:
    """The attributes every span of a call to the stand-in starts with."""
    port = int(standin.root.rsplit(":", 1)[1])
    expected: dict[str, Any] = {
        "gen_ai.operation.name": operation,
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": model,
        "gen_ai.request.stream": stream,
        "server.address": "127.0.0.1",
        "server.port": port,
    }
    if status is not None:
        expected["http.response.status_code"] = status
    return expected


def parse_split(parser_class: type, api: Any, data: bytes, cuts: list[int]) -> Observed:
    """What `api` observes in a streamed body fed to a `parser_class` (`bodies.SseParser`,
    `bodies.NdjsonParser`) in pieces cut at `cuts`."""
    seen = Observed()
    parser = parser_class(api.sse_marker, lambda document: api.observe(document, seen, True))
    start = 0
    for cut in [*sorted(cuts), len(data)]:
        parser.feed(data[start:cut])
        start = cut
    parser.finish()
    return seen


def store_spans(spans, directory, client) -> None:
    """``spans`` through the processor's write path (pipeline, spool, sink) into ``client``."""
    store_exports([spans], directory, client)


def stored_rows(spans, directory, client, columns: str) -> list[tuple]:
    """``spans`` stored (:func:`store_spans`), and ``columns`` of every row, in span order."""
    store_spans(spans, directory, client)
    return client.query(f"SELECT {columns} FROM llm_calls ORDER BY ts").result_rows


def store_exports(exports, directory, client, restarts: bool = False) -> None:
    """Each list of spans in ``exports`` as one export request, in order, through one
    processor's write path (pipeline, spool, sink) into ``client``; ``restarts``: through a
    processor of its own each, as if serve restarted between them (its deduper empty)."""
    if restarts:
        for spans in exports:
            store_exports([spans], directory, client)
        return
    metrics = Registry()
    spool = Spool(directory, 1 << 30, seal_rows=10_000, seal_seconds=0.05)
    sink = Sink(lambda: client, spool, metrics, first_backoff=0.01)
    spool.on_sealed = sink.offer
    sink.start()
    spool.start()
    pipeline = Pipeline(Pricer(), spool, Deduper(), metrics)
    for spans in exports:
        wire = otlp_wire.TraceRequest.FromString(encode_spans(spans).SerializeToString())
        pipeline.accept(wire, "test").durable.result(timeout=10)
    spool.close()
    assert sink.wait_idle(30)
    sink.stop(0)


def span_cost(span: ReadableSpan) -> Decimal:
    """The call's cost exactly as ingest prices it: the span through the extractor and
    `pipeline.price_call` (the response model, else the request model; a Bedrock profile's
    id before the bare name it wraps)."""
    wire = otlp_wire.TraceRequest.FromString(encode_spans([span]).SerializeToString())
    (call,) = extract(wire, span.start_time).calls
    price = price_call(Pricer(prices_file=""), call)
    assert price.priced, (call.request_model, price.reason)
    return price.cost
