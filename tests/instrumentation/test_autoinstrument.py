"""`opentelemetry-instrument python app.py` loads tokentrace from its entry point, no code change.

The app runs in a subprocess and exports over real OTLP/HTTP (protobuf) to a receiver here.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

APP = """
import openai
import requests
from tokentrace.instrumentation import tags

client = openai.OpenAI(base_url="{base_url}", api_key="sk-test", max_retries=0)
with tags(feature="checkout-assistant", tenant="store-7"):
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{{"role": "user", "content": "Hi"}}],
        stream=True,
        stream_options={{"include_usage": True}},
        extra_headers={{"x-standin-usage": "input=120,output=30,cache_read=100"}},
    )
    for _ in stream:
        pass
    # The same through `requests`, to an unmapped host, as a plain app does.
    requests.post(
        "{root}/v1/chat/completions",
        json={{"model": "gpt-4o-mini", "messages": [{{"role": "user", "content": "Hi"}}]}},
        headers={{"x-standin-usage": "input=40,output=4"}},
    ).json()
"""


class _Receiver(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[ExportTraceServiceRequest]


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.requests.append(ExportTraceServiceRequest.FromString(body))
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver(("127.0.0.1", 0), _Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def value(any_value: AnyValue) -> object:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [value(item) for item in any_value.array_value.values]
    return getattr(any_value, kind)


def attributes_of(span) -> list[tuple[str, object]]:
    return [(item.key, value(item.value)) for item in span.attributes]


@pytest.mark.slow
def test_opentelemetry_instrument_exports_llm_span(standin, receiver, tmp_path: Path):
    app = tmp_path / "app.py"
    app.write_text(APP.format(base_url=standin.base_url("openai"), root=standin.root))
    port = receiver.server_address[1]
    env = {
        **os.environ,
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
        "OTEL_BSP_SCHEDULE_DELAY": "50",
        "OTEL_RESOURCE_ATTRIBUTES": "service.name=checkout,team=growth",
        "TOKENTRACE_PROVIDER_URLS": f"openai={standin.base_url('openai')}",
    }
    instrument = Path(sys.executable).with_name("opentelemetry-instrument")
    result = subprocess.run(
        [str(instrument), sys.executable, str(app)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr

    found = [
        (resource_spans.resource, span)
        for request in receiver.requests
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        if scope_spans.scope.name == "tokentrace.instrumentation.instrumentor"
        for span in scope_spans.spans
    ]
    assert len(found) == 2
    by_stream = {
        dict(attributes_of(found_span))["gen_ai.request.stream"]: (found_resource, found_span)
        for found_resource, found_span in found
    }
    resource, span = by_stream[True]
    _, plain = by_stream[False]
    resource_attributes = {item.key: value(item.value) for item in resource.attributes}
    assert resource_attributes["service.name"] == "checkout"
    assert resource_attributes["team"] == "growth"
    attributes = {item.key: value(item.value) for item in span.attributes}
    assert attributes.pop("gen_ai.response.time_to_first_chunk") > 0
    assert attributes.pop("gen_ai.response.id").startswith("chatcmpl-standin")
    assert span.name == "chat gpt-4o-mini"
    assert attributes == {
        "feature": "checkout-assistant",
        "tenant": "store-7",
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.stream": True,
        "server.address": "127.0.0.1",
        "server.port": int(standin.root.rsplit(":", 1)[1]),
        "http.response.status_code": 200,
        "gen_ai.response.model": "gpt-4o-mini-2024-08-06",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 120,
        "gen_ai.usage.output_tokens": 30,
        "gen_ai.usage.cache_read.input_tokens": 100,
        "gen_ai.usage.reasoning.output_tokens": 0,
        # "sk-test" is too short to show any of it: HMAC-SHA256("tokentrace", key)[:8] only.
        "tokentrace.api_key": "…#b5c34b76",
    }
    # The httpx2 instrumentation, loaded by the same command, nests its HTTP span under ours.
    http_spans = [
        item
        for request in receiver.requests
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        if scope_spans.scope.name == "opentelemetry.instrumentation.httpx"
        for item in scope_spans.spans
    ]
    assert [item.parent_span_id for item in http_spans] == [span.span_id]

    # The requests call: metered and tagged, its usage exact; the requests instrumentation,
    # loaded by the same command, is its parent (it wraps `Session.send`).
    plain_attributes = dict(attributes_of(plain))
    assert (
        plain_attributes["tenant"],
        plain_attributes["gen_ai.provider.name"],
        plain_attributes["gen_ai.usage.input_tokens"],
        plain_attributes["gen_ai.usage.output_tokens"],
    ) == ("store-7", "openai", 40, 4)
    requests_spans = [
        item
        for request in receiver.requests
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        if scope_spans.scope.name == "opentelemetry.instrumentation.requests"
        for item in scope_spans.spans
        if item.span_id == plain.parent_span_id
    ]
    assert [item.name for item in requests_spans] == ["POST"]
    assert "traceparent" in standin.requests[-1].headers
    assert "baggage" not in standin.requests[-1].headers  # its propagator's, stripped
