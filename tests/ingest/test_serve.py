"""``tokentrace serve`` as a real process, fed by the real OTLP exporters and raw HTTP."""

from __future__ import annotations

import base64
import gzip
import json
import re
import urllib.request
from decimal import Decimal

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from .otlp import chat, request, span
from .serve_process import ServeProcess

pytestmark = pytest.mark.slow

TOKEN = "s3cret-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}
PROTOBUF = {"content-type": "application/x-protobuf", **AUTH}
JSON = {"content-type": "application/json", **AUTH}


def post(server: ServeProcess, body: bytes, headers: dict[str, str]) -> tuple[int, dict, bytes]:
    http_request = urllib.request.Request(f"{server.url}/v1/traces", body, headers, method="POST")
    try:
        with urllib.request.urlopen(http_request, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def sdk_spans(count: int, **attributes) -> list:
    """Spans made by the real SDK, as an instrumented application makes them."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": "checkout", "deployment.environment.name": "prod", "team": "growth"}
        )
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tokentrace.instrumentation")
    for index in range(count):
        with tracer.start_as_current_span("chat gpt-4o", attributes=chat(**attributes)) as current:
            current.set_attribute("gen_ai.response.id", f"chatcmpl-{index}")
    return list(exporter.get_finished_spans())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServeProcess(
        tmp_path_factory.mktemp("serve"),
        args=("--max-body-bytes", "1MiB"),
        env={"TOKENTRACE_AUTH_TOKEN": TOKEN},
    ).start()
    yield process
    process.stop()


def test_real_exporters_over_http_grpc_and_json_store_exact_rows(tmp_path):
    server = ServeProcess(tmp_path, env={"TOKENTRACE_AUTH_TOKEN": TOKEN}).start()
    http = HttpExporter(
        endpoint=f"{server.url}/v1/traces", headers=AUTH, compression=Compression.Gzip
    )
    assert http.export(sdk_spans(3, tenant="via-http")) == SpanExportResult.SUCCESS
    grpc_exporter = GrpcExporter(
        endpoint=server.grpc_endpoint,
        insecure=True,
        headers=(("authorization", f"Bearer {TOKEN}"),),
        compression=grpc.Compression.Gzip,
    )
    assert grpc_exporter.export(sdk_spans(2, tenant="via-grpc")) == SpanExportResult.SUCCESS
    document = json_format.MessageToDict(request(span(chat(tenant="via-json"))))
    for resource_spans in document["resourceSpans"]:
        for item in resource_spans["scopeSpans"][0]["spans"]:
            item["traceId"] = bytes.fromhex("0af7651916cd43dd8448eb211c80319c").hex()
            item["spanId"] = "b7ad6b7169203331"
    status, headers, body = post(server, json.dumps(document).encode(), JSON)
    assert (status, headers["content-type"], json.loads(body)) == (200, "application/json", {})
    http.shutdown()
    grpc_exporter.shutdown()
    assert server.stop() == 0

    stored = server.stored()
    calls = sorted(stored["calls"], key=lambda row: (row["tenant"], row["response_id"]))
    assert [row["tenant"] for row in calls] == ["via-grpc"] * 2 + ["via-http"] * 3 + ["via-json"]
    assert {(row["service"], row["team"], row["provider"], row["model"]) for row in calls[:5]} == {
        ("checkout", "growth", "openai", "gpt-4o")
    }
    assert calls[-1]["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert calls[-1]["span_id"] == "b7ad6b7169203331"
    assert {Decimal(row["cost"]) for row in calls} == {Decimal("0.0035")}
    for rollup in ("llm_cost_hourly", "llm_cost_daily"):
        requests, cost, input_tokens = stored[rollup]
        assert (int(requests), Decimal(cost), int(input_tokens)) == (6, Decimal("0.021"), 6000)


def test_partial_success_counts_rejected_spans_in_the_request_encoding(server):
    good, bad = span(chat()), span(chat(**{"gen_ai.usage.input_tokens": "lots"}))
    body = request(good, bad).SerializeToString()
    status, headers, answer = post(server, body, PROTOBUF)
    assert (status, headers["content-type"]) == (200, "application/x-protobuf")
    response = trace_service_pb2.ExportTraceServiceResponse.FromString(answer)
    assert response.partial_success.rejected_spans == 1
    assert "invalid usage" in response.partial_success.error_message

    document = json_format.MessageToDict(request(span(chat(**{"gen_ai.usage.output_tokens": -1}))))
    for item in document["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        item["traceId"] = "ab" * 16
        item["spanId"] = "cd" * 8
    status, headers, answer = post(server, json.dumps(document).encode(), JSON)
    assert status == 200
    assert json.loads(answer)["partialSuccess"]["rejectedSpans"] == "1"


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"\x0a\xff\xff", PROTOBUF, 400),
        (b"{not json", JSON, 400),
        (b"", {"content-type": "text/plain", **AUTH}, 415),
        (b"x", {**PROTOBUF, "content-encoding": "br"}, 415),
        (b"x" * (2 << 20), PROTOBUF, 413),
        (gzip.compress(b"\0" * (50 << 20)), {**PROTOBUF, "content-encoding": "gzip"}, 413),
        (b"", {"content-type": "application/x-protobuf"}, 401),
        (b"", {**PROTOBUF, "authorization": "Bearer wrong"}, 401),
    ],
    ids=["protobuf", "json", "type", "encoding", "size", "bomb", "no-token", "wrong-token"],
)
def test_failures_answer_with_a_status_message(server, body, headers, status):
    got, answer_headers, answer = post(server, body, headers)
    assert got == status
    if answer_headers["content-type"] == "application/json":
        message = json.loads(answer)["message"]
    else:
        message = status_pb2.Status.FromString(answer).message
    assert message
    if status == 401:
        assert answer_headers["www-authenticate"] == "Bearer"


def test_empty_request_is_a_success(server):
    assert post(server, b"", PROTOBUF)[:1] == (200,)


def test_grpc_checks_the_bearer_token_and_decodes(server):
    with grpc.insecure_channel(server.grpc_endpoint) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        message = request(span(chat()))
        with pytest.raises(grpc.RpcError) as denied:
            stub.Export(message, timeout=10)
        assert denied.value.code() == grpc.StatusCode.UNAUTHENTICATED
        bad = request(span(chat(**{"gen_ai.usage.input_tokens": -5})))
        answer = stub.Export(bad, metadata=(("authorization", f"Bearer {TOKEN}"),), timeout=10)
        assert answer.partial_success.rejected_spans == 1


def test_health_metrics_and_views_api(server):
    assert server.get("/healthz") == (200, b"ok\n")
    status, body = server.get("/readyz")
    assert (status, json.loads(body)["ready"]) == (200, True)
    status, body = server.get("/readyz/store")
    assert (status, json.loads(body)["ready"], json.loads(body)["problem"]) == (200, True, "")
    post(server, request(span(chat(tenant="metrics"))).SerializeToString(), PROTOBUF)
    status, body = server.get("/metrics")
    text = body.decode()
    assert status == 200
    assert 'tokentrace_requests_total{code="200",transport="http"}' in text
    assert "tokentrace_spans_accepted_total " in text
    assert "tokentrace_insert_duration_seconds_bucket" in text
    # the exposition parses with Prometheus' own parser: names, types and the labelled sample
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert families["tokentrace_requests"].type == "counter"
    assert families["tokentrace_insert_duration_seconds"].type == "histogram"
    served = [s for s in families["tokentrace_requests"].samples if s.labels["code"] == "200"]
    assert len(served) == 1 and served[0].value >= 1  # the module's server has served others too

    assert server.get("/api/v1/views")[0] == 401
    status, body = server.get("/api/v1/views", AUTH)
    names = [view["name"] for view in json.loads(body)["views"]]
    assert status == 200 and "totals" in names
    status, body = server.get("/api/v1/views/totals?tenant=metrics&team=nobody", AUTH)
    assert status == 200
    assert json.loads(body)["view"] == "totals"
    assert server.get("/api/v1/views/totals?planet=mars", AUTH)[0] == 400
    assert server.get("/api/v1/views/totals?from=yesterday", AUTH)[0] == 400
    assert server.get("/api/v1/views/nope", AUTH)[0] == 404
    assert server.get("/v1/traces")[0] == 405


def test_a_second_serve_on_the_same_embedded_store_exits_clearly(server, tmp_path):
    second = ServeProcess(tmp_path)
    second.store_url = second.clickhouse = server.store_url
    with pytest.raises(RuntimeError) as failed:
        second.start()
    assert "exited with 1" in str(failed.value)
    assert "is in use by tokentrace serve (pid" in str(failed.value)
    assert "stop it first, or read through it with --api" in str(failed.value)


def accepted_spans(server: ServeProcess) -> float:
    for line in server.get("/metrics")[1].decode().splitlines():
        if line.startswith("tokentrace_spans_accepted_total "):
            return float(line.split()[1])
    raise AssertionError("no tokentrace_spans_accepted_total")


def test_the_http_exporter_with_deflate(server):
    before = accepted_spans(server)
    exporter = HttpExporter(
        endpoint=f"{server.url}/v1/traces", headers=AUTH, compression=Compression.Deflate
    )
    assert exporter.export(sdk_spans(2, tenant="deflate")) == SpanExportResult.SUCCESS
    exporter.shutdown()
    assert accepted_spans(server) == before + 2


def refused_requests(server: ServeProcess, transport: str, code: str) -> float:
    text = server.get("/metrics")[1].decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "tokentrace_requests_total" and sample.labels == {
                "transport": transport,
                "code": code,
            }:
                return sample.value
    return 0.0


def test_a_batch_over_the_body_limit_is_refused_saying_what_to_do_and_logged_once(server, caplog):
    # 64 spans recording 32 KB prompts (as OpenLLMetry does by default): 2.1 MB against the
    # module's 1 MiB. gRPC refused it before serve's code ran ("Received message larger than
    # max"): nothing said what to do, and serve logged and counted nothing.
    big = sdk_spans(64, **{"gen_ai.prompt.0.content": "x" * 32_768})
    advice = "is over serve's --max-body-bytes limit of 1048576 bytes: send smaller batches"
    before = accepted_spans(server)
    grpc_exporter = GrpcExporter(
        endpoint=server.grpc_endpoint,
        insecure=True,
        headers=(("authorization", f"Bearer {TOKEN}"),),
        timeout=3,
    )
    with caplog.at_level("WARNING", logger="opentelemetry.exporter.otlp.proto.grpc"):
        # Returns: the Python exporter retries RESOURCE_EXHAUSTED (even without RetryInfo)
        # only until its timeout, then logs the status's message and drops the batch.
        assert grpc_exporter.export(big) == SpanExportResult.FAILURE
    grpc_exporter.shutdown()
    assert "StatusCode.RESOURCE_EXHAUSTED" in caplog.text and advice in caplog.text
    http_exporter = HttpExporter(endpoint=f"{server.url}/v1/traces", headers=AUTH)
    assert http_exporter.export(big) == SpanExportResult.FAILURE  # 413: not retried
    http_exporter.shutdown()
    assert refused_requests(server, "http", "413") >= 1
    attempts = refused_requests(server, "grpc", "RESOURCE_EXHAUSTED")
    assert attempts >= 1
    refusals = [line for line in server.log().splitlines() if "OTLP/gRPC export refused" in line]
    assert len(refusals) == 1, refusals  # however many times the exporter sent it
    assert re.search(
        r"OTLP/gRPC export refused: a request of \d+ bytes " + re.escape(advice), refusals[0]
    )
    assert accepted_spans(server) == before


def test_a_json_export_with_one_undecodable_span_stores_the_others(server):
    document = json_format.MessageToDict(
        request(*(span(chat(tenant="json-partly")) for _ in range(3)))
    )
    spans = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
    for item in spans:
        for name in ("traceId", "spanId"):
            item[name] = base64.b64decode(item[name]).hex()
    spans[1]["spanId"] = "xyz"
    before = accepted_spans(server)
    status, _, answer = post(server, json.dumps(document).encode(), JSON)
    assert status == 200
    partial = json.loads(answer)["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "span 1 of its scope: spanId must be hex-encoded" in partial["errorMessage"]
    assert accepted_spans(server) == before + 2
