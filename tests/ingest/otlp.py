"""Build real OTLP messages (the generated ``opentelemetry.proto`` classes) for tests."""

from __future__ import annotations

import itertools
import time
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from tokentrace.processor.extract.extractor import Extraction, extract
from tokentrace.processor.receivers import otlp_wire

NOW_NS = time.time_ns()
_ids = itertools.count(1)


def any_value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    if isinstance(value, bytes):
        return AnyValue(bytes_value=value)
    if isinstance(value, list):
        return AnyValue(array_value=ArrayValue(values=[any_value(v) for v in value]))
    return AnyValue(string_value=value)


def attributes(values: dict[str, Any]) -> list[KeyValue]:
    return [KeyValue(key=key, value=any_value(value)) for key, value in values.items()]


def span(
    attrs: dict[str, Any],
    *,
    trace_id: bytes | None = None,
    span_id: bytes | None = None,
    parent: bytes = b"",
    start_ns: int = NOW_NS,
    duration_ms: float = 250.0,
    error: bool = False,
) -> Span:
    number = next(_ids)
    return Span(
        trace_id=trace_id if trace_id is not None else number.to_bytes(16, "big"),
        span_id=span_id if span_id is not None else number.to_bytes(8, "big"),
        parent_span_id=parent,
        name="chat",
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=start_ns,
        end_time_unix_nano=start_ns + int(duration_ms * 1e6),
        attributes=attributes(attrs),
        status=Status(code=Status.STATUS_CODE_ERROR if error else Status.STATUS_CODE_UNSET),
    )


def request(
    *spans: Span, resource: dict[str, Any] | None = None, scope: str = "tokentrace.instrumentation"
) -> ExportTraceServiceRequest:
    message = ExportTraceServiceRequest()
    resource_spans = message.resource_spans.add()
    resource_spans.resource.attributes.extend(attributes(resource or {"service.name": "svc"}))
    scope_spans = resource_spans.scope_spans.add()
    scope_spans.scope.name = scope
    scope_spans.spans.extend(spans)
    return message


def extract_request(message: ExportTraceServiceRequest, now_ns: int = NOW_NS) -> Extraction:
    """Extract as the receivers do: from the wire bytes, through the lean schema."""
    return extract(otlp_wire.TraceRequest.FromString(message.SerializeToString()), now_ns)


def chat(**overrides: Any) -> dict[str, Any]:
    """A tokentrace-style chat span's attributes."""
    values: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 100,
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}
