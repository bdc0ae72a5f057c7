"""OTLP/HTTP bodies in and out: content types, decompression, decoding, answers.

The rules come from the OTLP specification (protocol/otlp.md):

- ``application/x-protobuf`` or ``application/json`` request, and the answer in the same
  encoding; 200 with ``partial_success`` (``rejected_spans``, ``error_message``) when some
  spans are refused, ``partial_success`` left unset on full success;
- every 4xx/5xx body is a ``google.rpc.Status`` (``message`` for people, ``details`` with
  ``BadRequest`` for 400 and ``RetryInfo`` for 429/503, which also carry ``Retry-After``);
- JSON carries trace and span ids as hex, not base64 as protobuf's JSON mapping would,
  enums as integers (names are accepted too), 64-bit integers as strings or numbers, and
  unknown fields are ignored.

Bodies are decompressed in bounded steps so that a small gzip or deflate bomb is refused
with 413 as soon as its output passes the limit instead of being inflated into memory.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any, NamedTuple

from google.protobuf import json_format
from google.protobuf.any_pb2 import Any as AnyProto
from google.protobuf.message import DecodeError
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tokentrace.processor.receivers import otlp_wire

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
CONTENT_TYPES = (PROTOBUF, JSON)
# ``Content-Encoding`` values :func:`decompress` undoes (lower case; "" when absent).
CONTENT_ENCODINGS = ("", "identity", "gzip", "x-gzip", "deflate")

# Spans one request may hold. An exporter's batch is 512 (the SDK) to 8,192 (the Collector);
# a few hundred bytes of gzip can hold a million empty ones.
DEFAULT_MAX_SPANS = 100_000
# Spans parsed per protobuf call; the GIL is free between calls (otlp_wire.slices). About
# 2 ms of parsing each on this machine.
SLICE_SPANS = 5_000

_ID_FIELDS = ("traceId", "trace_id", "spanId", "span_id", "parentSpanId", "parent_span_id")


class BodyError(Exception):
    """A request body the receiver refuses; ``status`` is the HTTP answer."""

    status = 400


class BadData(BodyError):
    status = 400


class TooLarge(BodyError):
    status = 413


class UnsupportedMedia(BodyError):
    status = 415


def body_too_large(what: str, limit: int) -> TooLarge:
    """The refusal of a body over ``--max-body-bytes``; ``what`` says how large it is."""
    return TooLarge(
        f"{what} is over serve's --max-body-bytes limit of {limit} bytes: send smaller batches "
        "(the BatchSpanProcessor's max_export_batch_size, OTEL_BSP_MAX_EXPORT_BATCH_SIZE) or "
        "start serve with a larger --max-body-bytes"
    )


def too_many_spans(limit: int) -> TooLarge:
    return TooLarge(
        f"the request holds more than {limit} spans, the limit per request "
        "(serve --max-spans-per-request): send smaller batches"
    )


def media_type(content_type: str | None) -> str:
    """``application/json; charset=utf-8`` → ``application/json`` (lower case)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """Undo ``Content-Encoding`` (none, gzip, deflate), never producing more than ``limit``.

    gzip may hold several members (RFC 1952); deflate is the zlib format (RFC 1950) that
    HTTP means by it, with raw deflate accepted as well since some clients send that.
    """
    coding = (encoding or "").strip().lower()
    if coding in ("", "identity"):
        if len(body) > limit:
            raise body_too_large(f"a request body of {len(body)} bytes", limit)
        return body
    if coding in ("gzip", "x-gzip"):
        return _inflate(body, 16 + zlib.MAX_WBITS, limit, many_members=True)
    if coding == "deflate":
        wbits = zlib.MAX_WBITS if _zlib_header(body) else -zlib.MAX_WBITS
        return _inflate(body, wbits, limit, many_members=False)
    raise UnsupportedMedia(f"unsupported Content-Encoding {encoding!r}: use gzip, deflate or none")


def _zlib_header(body: bytes) -> bool:
    """RFC 1950: compression method 8 and a header checksum divisible by 31."""
    return len(body) >= 2 and (body[0] & 0x0F) == 8 and (body[0] << 8 | body[1]) % 31 == 0


def _inflate(data: bytes, wbits: int, limit: int, *, many_members: bool) -> bytes:
    out = bytearray()
    while True:
        inflater = zlib.decompressobj(wbits)
        pending = data
        try:
            while pending:
                # max_length stays >= 1: zero would mean "no limit" to zlib.
                out += inflater.decompress(pending, limit + 1 - len(out))
                if len(out) > limit:
                    raise body_too_large("the decompressed body", limit)
                pending = inflater.unconsumed_tail
            out += inflater.flush()
        except zlib.error as exc:
            raise BadData(f"body is not valid {_coding_name(wbits)} data: {exc}") from None
        if len(out) > limit:
            raise body_too_large("the decompressed body", limit)
        if not inflater.eof:
            raise BadData(f"{_coding_name(wbits)} body is truncated")
        data = inflater.unused_data
        if not data:
            return bytes(out)
        if not many_members:
            raise BadData(f"trailing bytes after the {_coding_name(wbits)} stream")


def _coding_name(wbits: int) -> str:
    return "gzip" if wbits > zlib.MAX_WBITS else "deflate"


class Decoded(NamedTuple):
    """A decoded request (the extractor's lean view of it, an ``otlp_wire.TraceRequest``) and
    the spans refused while decoding it, for the answer's ``partial_success``."""

    request: Any
    rejected: int = 0
    message: str = ""


def decode(body: bytes, content_type: str, max_spans: int = DEFAULT_MAX_SPANS) -> Decoded:
    """Decode an ``ExportTraceServiceRequest`` in either OTLP/HTTP encoding.

    More than ``max_spans`` spans raise :class:`TooLarge`.
    """
    if content_type == PROTOBUF:
        return Decoded(decode_protobuf(body, max_spans))
    if content_type == JSON:
        return decode_json(body, max_spans)
    raise UnsupportedMedia(f"unsupported Content-Type {content_type!r}: use {PROTOBUF} or {JSON}")


def decode_protobuf(body: bytes, max_spans: int = DEFAULT_MAX_SPANS) -> Any:
    """Counted and parsed slice by slice (see ``otlp_wire.slices``)."""
    try:
        parts = otlp_wire.slices(body, max_spans, SLICE_SPANS)
    except otlp_wire.TooManySpans:
        raise too_many_spans(max_spans) from None
    request = otlp_wire.TraceRequest()
    try:
        for part in parts:
            request.MergeFromString(part)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise BadData(f"body is not a protobuf ExportTraceServiceRequest: {exc}") from None
    return request


def decode_json(body: bytes, max_spans: int = DEFAULT_MAX_SPANS) -> Decoded:
    """OTLP/JSON, span by span: a span that does not decode (an id that is not hex, a string
    that is not UTF-8, a value of the wrong type) is refused alone, in ``partial_success``, and
    the request's other spans are taken. Refusing the whole request with 400 lost them all: an
    exporter does not retry a 400, and drops the batch. What is not a span (the body, a
    resource, a scope) still fails the whole request."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadData(f"body is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BadData("body must be a JSON object (an ExportTraceServiceRequest)")
    scopes = [
        scope_spans
        for resource_spans in _items(document, "resourceSpans", "resource_spans")
        for scope_spans in _items(resource_spans, "scopeSpans", "scope_spans")
    ]
    if sum(len(_items(scope_spans, "spans")) for scope_spans in scopes) > max_spans:
        raise too_many_spans(max_spans)
    spans = [_decode_spans(scope_spans) for scope_spans in scopes]
    request = ExportTraceServiceRequest()
    try:
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        raise BadData(f"body is not an OTLP/JSON ExportTraceServiceRequest: {exc}") from None
    parsed = [scope for resource in request.resource_spans for scope in resource.scope_spans]
    rejected, first_error = 0, ""
    for scope, (kept, refused) in zip(parsed, spans, strict=True):
        scope.spans.extend(kept)
        rejected += len(refused)
        first_error = first_error or next(iter(refused), "")
    message = ""
    if rejected:
        message = f"{rejected} span(s) could not be decoded, the first: {first_error}"
    return Decoded(
        otlp_wire.TraceRequest.FromString(request.SerializeToString()), rejected, message
    )


def _decode_spans(scope_spans: Any) -> tuple[list[Span], list[str]]:
    """A scope's spans decoded one by one (and taken out of the document, which is then
    decoded without them), and the reasons of those that do not decode."""
    if not isinstance(scope_spans, dict) or not isinstance(scope_spans.get("spans"), list):
        return [], []
    kept: list[Span] = []
    refused: list[str] = []
    for index, span in enumerate(scope_spans["spans"]):
        message = Span()
        try:
            if not isinstance(span, dict):
                raise BadData("a span must be a JSON object")
            _convert_ids(span)
            for link in _items(span, "links"):
                _convert_ids(link)
            json_format.ParseDict(span, message, ignore_unknown_fields=True)
            message.SerializeToString()  # a string that is not UTF-8 fails here
        except (BadData, json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
            refused.append(f"span {index} of its scope: {' '.join(str(exc).split())[:200]}")
            continue
        kept.append(message)
    scope_spans["spans"] = []
    return kept, refused


def _items(parent: Any, *names: str) -> list[Any]:
    if not isinstance(parent, dict):
        return []
    for name in names:
        value = parent.get(name)
        if isinstance(value, list):
            return value
    return []


def _convert_ids(obj: Any) -> None:
    if not isinstance(obj, dict):
        return
    for name in _ID_FIELDS:
        value = obj.get(name)
        if isinstance(value, str):
            try:
                obj[name] = base64.b64encode(bytes.fromhex(value)).decode("ascii")
            except ValueError:
                raise BadData(
                    f"{name} must be hex-encoded in OTLP/JSON, got {value[:64]!r}"
                ) from None


# ------------------------------------------------------------------- answers


def success(content_type: str, rejected: int = 0, message: str = "") -> bytes:
    """``ExportTraceServiceResponse``; ``partial_success`` only when spans were refused."""
    response = ExportTraceServiceResponse()
    if rejected or message:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    return _encode(response, content_type)


_CODES = {
    400: code_pb2.INVALID_ARGUMENT,
    401: code_pb2.UNAUTHENTICATED,
    404: code_pb2.NOT_FOUND,
    405: code_pb2.UNIMPLEMENTED,
    413: code_pb2.RESOURCE_EXHAUSTED,
    415: code_pb2.INVALID_ARGUMENT,
    429: code_pb2.RESOURCE_EXHAUSTED,
    503: code_pb2.UNAVAILABLE,
}


def failure(
    status: int, message: str, content_type: str, retry_after: float | None = None
) -> bytes:
    """A ``google.rpc.Status`` body for a 4xx/5xx answer."""
    return _encode(status_message(status, message, retry_after), content_type)


def status_message(
    status: int, message: str, retry_after: float | None = None
) -> status_pb2.Status:
    rpc_status = status_pb2.Status(code=_CODES.get(status, code_pb2.UNKNOWN), message=message)
    if status == 400:
        bad_request = error_details_pb2.BadRequest()
        bad_request.field_violations.add(field="body", description=message)
        rpc_status.details.append(_pack(bad_request))
    if retry_after is not None:
        rpc_status.details.append(_pack(retry_info(retry_after)))
    return rpc_status


def retry_info(seconds: float) -> error_details_pb2.RetryInfo:
    info = error_details_pb2.RetryInfo()
    info.retry_delay.seconds = int(seconds)
    info.retry_delay.nanos = int((seconds - int(seconds)) * 1e9)
    return info


def _pack(message: Any) -> AnyProto:
    packed = AnyProto()
    packed.Pack(message)
    return packed


def _encode(message: Any, content_type: str) -> bytes:
    if content_type == JSON:
        return json.dumps(json_format.MessageToDict(message)).encode()
    return message.SerializeToString()
