"""Bodies in and answers out, per the OTLP spec: encodings, JSON quirks, limits."""

from __future__ import annotations

import base64
import gzip
import json
import zlib

import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from tokentrace.processor.extract.extractor import extract
from tokentrace.processor.receivers import otlp_codec

from .otlp import NOW_NS, chat, request, span

LIMIT = 64 * 1024


def test_gzip_with_several_members_and_deflate_in_both_framings():
    data = b"a" * 1000
    assert otlp_codec.decompress(gzip.compress(data) + gzip.compress(b"b"), "gzip", LIMIT) == (
        data + b"b"
    )
    assert otlp_codec.decompress(zlib.compress(data), "deflate", LIMIT) == data
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert otlp_codec.decompress(raw.compress(data) + raw.flush(), "Deflate", LIMIT) == data
    assert otlp_codec.decompress(data, None, LIMIT) == data
    assert otlp_codec.decompress(data, "identity", LIMIT) == data


def test_a_zip_bomb_is_refused_once_past_the_limit():
    bomb = gzip.compress(b"\0" * (200 * 1024 * 1024))  # 200 MiB in ~200 KB
    assert len(bomb) < LIMIT * 4
    with pytest.raises(otlp_codec.TooLarge) as refused:
        otlp_codec.decompress(bomb, "gzip", LIMIT)
    assert refused.value.status == 413


def test_an_uncompressed_body_over_the_limit_is_refused():
    with pytest.raises(otlp_codec.TooLarge):
        otlp_codec.decompress(b"x" * (LIMIT + 1), None, LIMIT)


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        (gzip.compress(b"data")[:-6], "gzip"),  # truncated
        (b"not gzip at all", "gzip"),
        (zlib.compress(b"data") + b"junk", "deflate"),
    ],
    # named, not by their bytes: gzip's header holds the time, so two xdist workers collecting
    # a second apart named the first case differently and the run stopped ("Different tests
    # were collected")
    ids=["truncated-gzip", "not-gzip", "deflate-with-junk"],
)
def test_broken_compression_is_bad_data(body, encoding):
    with pytest.raises(otlp_codec.BadData):
        otlp_codec.decompress(body, encoding, LIMIT)


def test_unknown_content_encoding_is_unsupported_media():
    with pytest.raises(otlp_codec.UnsupportedMedia) as refused:
        otlp_codec.decompress(b"x", "br", LIMIT)
    assert refused.value.status == 415


def test_json_ids_are_hex_and_enums_and_int64s_take_either_form():
    message = request(span(chat(), trace_id=bytes(range(16)), span_id=bytes(range(8))))
    document = json_format.MessageToDict(message)
    scope_span = document["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert base64.b64decode(scope_span["traceId"]) == bytes(range(16))
    scope_span["traceId"] = bytes(range(16)).hex().upper()  # OTLP/JSON: hex, any case
    scope_span["spanId"] = bytes(range(8)).hex()
    scope_span["kind"] = "SPAN_KIND_CLIENT"
    scope_span["startTimeUnixNano"] = str(NOW_NS)
    scope_span["endTimeUnixNano"] = NOW_NS + 1_000_000  # a number is accepted too
    scope_span["status"] = {"code": 2}
    scope_span["someFutureField"] = {"ignored": True}
    body = json.dumps(document).encode()

    call = extract(otlp_codec.decode(body, otlp_codec.JSON).request, NOW_NS).calls[0]
    assert call.trace_id == bytes(range(16))
    assert call.span_id == bytes(range(8))
    assert call.ts_us == NOW_NS // 1000
    assert call.latency_ms == 1.0
    assert call.status == "error"


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b'{"resourceSpans": [{"scopeSpans": [{"scope": {"name": 5}, "spans": []}]}]}',
        b'{"resourceSpans": "many"}',
        b"\xff\xfe",
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_undecodable_json_is_bad_data(body):
    with pytest.raises(otlp_codec.BadData):
        otlp_codec.decode(body, otlp_codec.JSON)


def test_a_json_span_that_does_not_decode_is_refused_alone():
    # One bad span made the whole request a 400, which exporters drop without retrying: the
    # request's good spans were lost with it.
    message = request(*(span(chat(), trace_id=bytes([n]) * 16) for n in range(1, 5)))
    document = json_format.MessageToDict(message)
    spans = document["resourceSpans"][0]["scopeSpans"][0]["spans"]
    for item in spans:
        item["traceId"] = base64.b64decode(item["traceId"]).hex()
        item["spanId"] = base64.b64decode(item["spanId"]).hex()
    spans[1]["traceId"] = "not hex"
    spans[2]["attributes"][0]["value"] = {"stringValue": "\ud800"}  # not UTF-8 once encoded
    spans[3]["startTimeUnixNano"] = {"nanos": 1}
    decoded = otlp_codec.decode(json.dumps(document).encode(), otlp_codec.JSON)
    assert decoded.rejected == 3
    assert decoded.message.startswith("3 span(s) could not be decoded, the first: span 1 of")
    assert [call.trace_id for call in extract(decoded.request, NOW_NS).calls] == [b"\x01" * 16]


def test_protobuf_round_trip_and_garbage():
    body = request(span(chat())).SerializeToString()
    assert len(extract(otlp_codec.decode(body, otlp_codec.PROTOBUF).request, NOW_NS).calls) == 1
    with pytest.raises(otlp_codec.BadData):
        otlp_codec.decode(b"\x0a\xff\xff\xff\xff\x0f", otlp_codec.PROTOBUF)
    with pytest.raises(otlp_codec.UnsupportedMedia):
        otlp_codec.decode(body, "text/plain")


def test_media_type_ignores_parameters_and_case():
    assert otlp_codec.media_type("Application/JSON; charset=utf-8") == otlp_codec.JSON
    assert otlp_codec.media_type(None) == ""


def test_success_leaves_partial_success_unset_and_fills_it_on_rejections():
    assert otlp_codec.success(otlp_codec.PROTOBUF) == b""
    assert json.loads(otlp_codec.success(otlp_codec.JSON)) == {}
    answer = ExportTraceServiceResponse.FromString(
        otlp_codec.success(otlp_codec.PROTOBUF, 2, "2 span(s) rejected")
    )
    assert answer.partial_success.rejected_spans == 2
    assert answer.partial_success.error_message == "2 span(s) rejected"
    assert json.loads(otlp_codec.success(otlp_codec.JSON, 3, "why")) == {
        "partialSuccess": {"rejectedSpans": "3", "errorMessage": "why"}
    }


def test_failures_are_google_rpc_status_with_details():
    bad = status_pb2.Status.FromString(otlp_codec.failure(400, "no", otlp_codec.PROTOBUF))
    assert bad.message == "no"
    violation = error_details_pb2.BadRequest()
    assert bad.details[0].Unpack(violation)
    assert violation.field_violations[0].description == "no"

    busy = json.loads(otlp_codec.failure(503, "full", otlp_codec.JSON, retry_after=5))
    assert busy["message"] == "full"
    assert busy["details"] == [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "5s"}
    ]
