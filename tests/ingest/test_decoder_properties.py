"""Property tests: the decoders never crash, they decode or refuse cleanly.

And the hand-written wire reader agrees with protobuf's own decoder on every value.
"""

from __future__ import annotations

import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from tokentrace.processor.extract.extractor import extract
from tokentrace.processor.receivers import otlp_codec, otlp_wire

from .otlp import NOW_NS, any_value, chat, extract_request, request, span

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.text(max_size=300),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
)


def _extract_or_refuse(body: bytes, content_type: str) -> None:
    try:
        decoded = otlp_codec.decode(body, content_type)
    except otlp_codec.BadData:
        return
    extraction = extract(decoded.request, NOW_NS)
    assert extraction.received == len(extraction.calls) + extraction.ignored + sum(
        extraction.rejected.values()
    )


@FAST
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_as_protobuf(body):
    _extract_or_refuse(body, otlp_codec.PROTOBUF)


@FAST
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=400))
def test_valid_requests_with_bytes_spliced_in(noise, at):
    body = bytearray(request(span(chat(tenant="t", extra="e"))).SerializeToString())
    at = min(at, len(body))
    body[at:at] = noise
    _extract_or_refuse(bytes(body), otlp_codec.PROTOBUF)


@FAST
@given(st.lists(st.binary(max_size=60), max_size=8))
def test_spans_whose_attributes_are_arbitrary_bytes(raw_attributes):
    message = request(span(chat()))
    wire = otlp_wire.TraceRequest.FromString(message.SerializeToString())
    wire.resource_spans[0].scope_spans[0].spans[0].attributes.extend(raw_attributes)
    wire.resource_spans[0].resource.attributes.extend(raw_attributes)
    extraction = extract(wire, NOW_NS)
    assert extraction.received == 1


@FAST
@given(st.dictionaries(st.text(max_size=40), scalars, max_size=12))
def test_arbitrary_attribute_values_never_crash_the_extractor(attrs):
    extraction = extract_from(chat(**attrs))
    assert extraction.received == 1


def extract_from(attrs):
    return extract_request(request(span(attrs)))


@FAST
@given(scalars)
def test_wire_reader_agrees_with_protobuf(value):
    kv = KeyValue(key="k", value=any_value(value)).SerializeToString()
    key, start, end = otlp_wire.key_value(kv)
    decoded = otlp_wire.any_value(kv, start, end)
    assert key == b"k"
    if isinstance(value, float) and math.isnan(value):
        assert math.isnan(decoded)
    else:
        assert decoded == value and type(decoded) is type(value)


@FAST
@given(st.binary(max_size=80))
def test_wire_reader_on_garbage_raises_only_wire_errors(data):
    try:
        _, start, end = otlp_wire.key_value(data)
        otlp_wire.any_value(data, start, end)
    except otlp_wire.WireError:
        pass


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=30,
)

otlp_keys = st.sampled_from(
    ["resourceSpans", "scopeSpans", "spans", "traceId", "spanId", "parentSpanId", "attributes",
     "key", "value", "stringValue", "intValue", "doubleValue", "boolValue", "arrayValue",
     "kind", "status", "code", "startTimeUnixNano", "links", "resource", "scope", "name"]
)  # fmt: skip

otlp_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=34) | st.floats(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(otlp_keys, children, max_size=5)
    ),
    max_leaves=40,
)


@FAST
@given(json_values)
def test_arbitrary_json(document):
    _extract_or_refuse(json.dumps(document).encode(), otlp_codec.JSON)


@FAST
@given(st.dictionaries(otlp_keys, otlp_like, max_size=4))
def test_otlp_shaped_json(document):
    _extract_or_refuse(json.dumps(document).encode(), otlp_codec.JSON)


@FAST
@given(st.binary(max_size=300))
def test_arbitrary_bytes_as_json(body):
    _extract_or_refuse(body, otlp_codec.JSON)
