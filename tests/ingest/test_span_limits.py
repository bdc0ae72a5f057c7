"""Spans per request: counted off the wire, refused over the limit (HTTP 413, gRPC
RESOURCE_EXHAUSTED without RetryInfo), and big requests parsed slice by slice with every
span keeping its resource and scope."""

from __future__ import annotations

import asyncio
import gzip
import json
import math

import grpc
import httpx
import pytest
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from tokentrace.processor.api.routing import application, route
from tokentrace.processor.extract.dedupe import Deduper
from tokentrace.processor.extract.extractor import Call, extract
from tokentrace.processor.metrics import Registry
from tokentrace.processor.pipeline import Pipeline
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.receivers import otlp_codec, otlp_wire
from tokentrace.processor.receivers import otlp_grpc as receiver_grpc
from tokentrace.processor.receivers.otlp_http import OtlpHttpReceiver
from tokentrace.processor.store.spool import Spool

from .otlp import NOW_NS, chat, request, span
from .serve_process import free_port

LIMIT_MESSAGE = (
    "the request holds more than 3 spans, the limit per request "
    "(serve --max-spans-per-request): send smaller batches"
)


def two_resources() -> bytes:
    """Seven chat spans under two resources and three scopes."""
    message = request(*(span(chat(tenant=f"a{n}")) for n in range(3)), resource={"team": "a"})
    second = request(*(span(chat(tenant=f"b{n}")) for n in range(2)), resource={"team": "b"})
    third = request(*(span(chat(tenant=f"c{n}")) for n in range(2)), scope="other.scope")
    second.resource_spans[0].scope_spans.extend(third.resource_spans[0].scope_spans)
    message.resource_spans.extend(second.resource_spans)
    return message.SerializeToString()


def rows(decoded) -> list[dict]:
    """Every field of every call the extractor reads from ``decoded``."""
    calls = extract(decoded, NOW_NS).calls
    return [{name: getattr(call, name) for name in Call.__slots__} for call in calls]


@pytest.mark.parametrize("slice_spans", [1, 2, 3, 5, 100])
def test_slices_parse_to_the_same_calls_as_one_parse(slice_spans):
    body = two_resources()
    parts = otlp_wire.slices(body, 1_000, slice_spans)
    sliced = otlp_wire.TraceRequest()
    for part in parts:
        sliced.MergeFromString(part)
    whole = otlp_wire.TraceRequest.FromString(body)
    per_scope = sum(math.ceil(spans / slice_spans) for spans in (3, 2, 2))
    assert len(parts) == (1 if slice_spans >= 7 else per_scope)  # one slice: the body itself
    assert rows(sliced) == rows(whole)
    assert len(rows(whole)) == 7


def test_spans_over_the_limit_are_refused_before_parsing():
    body = two_resources()
    with pytest.raises(otlp_wire.TooManySpans):
        otlp_wire.slices(body, 6, 2)
    assert len(otlp_wire.slices(body, 7, 2)) > 1
    with pytest.raises(otlp_codec.TooLarge, match="more than 3 spans"):
        otlp_codec.decode(body, otlp_codec.PROTOBUF, 3)


def test_bytes_that_are_not_protobuf_still_get_the_parsers_400():
    for garbage in (b"\x0a\xff\xff\xff", b"\x0a\x05\x12\x09abc", b"\xff" * 20):
        with pytest.raises(otlp_codec.BadData):
            otlp_codec.decode(garbage, otlp_codec.PROTOBUF)


@pytest.fixture
def spool(tmp_path):
    spool = Spool(tmp_path, 1 << 30)
    spool.recover()
    spool.start()
    yield spool
    spool.close()


@pytest.mark.parametrize("content_type", [otlp_codec.PROTOBUF, otlp_codec.JSON])
def test_http_answers_413_naming_the_limit(spool, content_type):
    metrics = Registry()
    receiver = OtlpHttpReceiver(
        Pipeline(Pricer(), spool, Deduper(), metrics),
        spool,
        metrics,
        max_body_bytes=1 << 20,
        auth_token=None,
        max_spans=3,
    )
    router = application([route("POST", "/v1/traces", receiver.traces)])
    body = two_resources()
    if content_type == otlp_codec.JSON:
        document = json_format.MessageToDict(
            request().FromString(body), preserving_proto_field_name=False
        )
        body = json.dumps(document).encode()

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=router)
        async with httpx.AsyncClient(transport=transport, base_url="http://otlp") as client:
            return await client.post(
                "/v1/traces", content=body, headers={"content-type": content_type}
            )

    answer = asyncio.run(post())
    assert answer.status_code == 413
    if content_type == otlp_codec.JSON:
        assert answer.json()["message"] == LIMIT_MESSAGE
    assert metrics.spans_received.value(transport="http") == 0


def test_grpc_answers_resource_exhausted_without_retry_info(spool):
    metrics = Registry()
    receiver = receiver_grpc.OtlpGrpcReceiver(
        Pipeline(Pricer(), spool, Deduper(), metrics),
        spool,
        metrics,
        max_body_bytes=1 << 20,
        auth_token=None,
        max_spans=3,
    )
    port = free_port()
    server = receiver_grpc.start(receiver, "127.0.0.1", port)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = trace_service_pb2_grpc.TraceServiceStub(channel)
            with pytest.raises(grpc.RpcError) as refused:
                stub.Export(request().FromString(two_resources()), timeout=10)
    finally:
        server.stop(0)
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert refused.value.details() == LIMIT_MESSAGE
    assert "google.rpc.retryinfo-bin" not in dict(refused.value.trailing_metadata())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(
        st.binary(max_size=200),
        st.binary(max_size=200).map(gzip.compress),
        st.just(two_resources()),
        st.just(two_resources()).map(lambda data: data[: len(data) // 2]),
        st.text(max_size=100).map(str.encode),
    ),
    content_type=st.sampled_from([otlp_codec.PROTOBUF, otlp_codec.JSON, "text/plain", ""]),
    encoding=st.sampled_from(["", "gzip", "deflate", "br", "identity"]),
)
def test_no_otlp_body_gets_a_500(tmp_path_factory, body, content_type, encoding):
    spool = Spool(tmp_path_factory.mktemp("fuzz"), 1 << 30)
    spool.recover()
    spool.start()
    metrics = Registry()
    receiver = OtlpHttpReceiver(
        Pipeline(Pricer(), spool, Deduper(), metrics),
        spool,
        metrics,
        max_body_bytes=1 << 16,
        auth_token=None,
        max_spans=5,
    )
    router = application([route("POST", "/v1/traces", receiver.traces)])

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=router)
        async with httpx.AsyncClient(transport=transport, base_url="http://otlp") as client:
            headers = {"content-type": content_type, "content-encoding": encoding}
            return await client.post("/v1/traces", content=body, headers=headers)

    try:
        answer = asyncio.run(post())
    finally:
        spool.close()
    assert answer.status_code in (200, 400, 413, 415)
