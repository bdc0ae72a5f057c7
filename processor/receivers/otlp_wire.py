"""OTLP spans read straight from the protobuf wire format, for speed.

Walking ``span.attributes`` of the generated OTLP classes creates two Python wrapper
objects per attribute (the ``KeyValue`` and its ``AnyValue``): about 12 µs for a span with
18 attributes, more than all the rest of the extractor's work. So the receiver parses
requests with a *shadow schema*: the same field numbers, but each ``KeyValue`` left as
its raw bytes (``repeated bytes attributes``) and every field the extractor does not
read left out (upb keeps those as unknown fields without parsing them). The extractor
then reads an attribute's key with one slice and decodes only the values it needs with
:func:`key_value` and :func:`any_value` below.

The shadow schema is wire-compatible with ``opentelemetry/proto/trace/v1/trace.proto``:
``ExportTraceServiceRequest.resource_spans = 1``; ``ResourceSpans.resource = 1``,
``scope_spans = 2``; ``Resource.attributes = 1``; ``ScopeSpans.scope = 1``, ``spans = 2``;
``InstrumentationScope.name = 1``; ``Span.trace_id = 1``, ``span_id = 2``,
``parent_span_id = 4``, ``name = 5``, ``start_time_unix_nano = 7`` and ``end_time_unix_nano = 8``
(fixed64), ``attributes = 9``, ``events = 11``, ``status = 15``; ``Event.name = 2``,
``attributes = 3``; ``Status.code = 3``. Events are read only for the sources that describe a
call in them alone (``extract.events``); a span without events pays nothing for them.
Strings are declared as ``bytes`` so that a bad UTF-8 sequence in one attribute spoils
that value (decoded with replacement characters), not the whole request.
"""

from __future__ import annotations

import itertools
import struct
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

COMPLEX = object()
"""What :func:`any_value` returns for arrays, key-value lists and bytes: not a scalar."""

_F = descriptor_pb2.FieldDescriptorProto


def _schema() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto(
        name="tokentrace/otlp_wire.proto", package="tokentrace.otlp_wire", syntax="proto3"
    )
    messages: dict[str, tuple[tuple[str, int, int, str], ...]] = {
        "TraceRequest": (("resource_spans", 1, _F.TYPE_MESSAGE, "ResourceSpans"),),
        "ResourceSpans": (
            ("resource", 1, _F.TYPE_MESSAGE, "Resource"),
            ("scope_spans", 2, _F.TYPE_MESSAGE, "ScopeSpans"),
        ),
        "Resource": (("attributes", 1, _F.TYPE_BYTES, ""),),
        "ScopeSpans": (
            ("scope", 1, _F.TYPE_MESSAGE, "Scope"),
            ("spans", 2, _F.TYPE_MESSAGE, "Span"),
        ),
        "Scope": (("name", 1, _F.TYPE_BYTES, ""),),
        "Span": (
            ("trace_id", 1, _F.TYPE_BYTES, ""),
            ("span_id", 2, _F.TYPE_BYTES, ""),
            ("parent_span_id", 4, _F.TYPE_BYTES, ""),
            ("name", 5, _F.TYPE_BYTES, ""),
            ("start_time_unix_nano", 7, _F.TYPE_FIXED64, ""),
            ("end_time_unix_nano", 8, _F.TYPE_FIXED64, ""),
            ("attributes", 9, _F.TYPE_BYTES, ""),
            ("events", 11, _F.TYPE_MESSAGE, "Event"),
            ("status", 15, _F.TYPE_MESSAGE, "Status"),
        ),
        "Event": (
            ("name", 2, _F.TYPE_BYTES, ""),
            ("attributes", 3, _F.TYPE_BYTES, ""),
        ),
        "Status": (("code", 3, _F.TYPE_INT32, ""),),
    }
    repeated = {"resource_spans", "scope_spans", "spans", "attributes", "events"}
    for name, fields in messages.items():
        message = proto.message_type.add(name=name)
        for field_name, number, field_type, type_name in fields:
            field = message.field.add(
                name=field_name,
                number=number,
                type=field_type,
                label=_F.LABEL_REPEATED if field_name in repeated else _F.LABEL_OPTIONAL,
            )
            if type_name:
                field.type_name = f".tokentrace.otlp_wire.{type_name}"
    return proto


_pool = descriptor_pool.DescriptorPool()
_pool.Add(_schema())
TraceRequest: Any = message_factory.GetMessageClass(
    _pool.FindMessageTypeByName("tokentrace.otlp_wire.TraceRequest")
)
"""``ExportTraceServiceRequest`` as the extractor reads it (see the module docstring)."""

_DOUBLE = struct.Struct("<d")


class WireError(ValueError):
    """Bytes that are not a well-formed ``KeyValue`` or ``AnyValue``."""


def varint(data: bytes, pos: int) -> tuple[int, int]:
    """The varint at ``data[pos]`` and the position after it."""
    byte = data[pos]
    if byte < 0x80:
        return byte, pos + 1
    result = 0
    shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError("varint longer than 10 bytes")


def key_value(data: bytes) -> tuple[bytes, int, int]:
    """A raw ``KeyValue``: its key and where its ``AnyValue`` starts and ends in ``data``."""
    # Fast path: the key first with a one-byte length, as every SDK writes it.
    size = len(data)
    if size > 1 and data[0] == 0x0A and data[1] < 0x80:
        end = 2 + data[1]
        if end == size:
            return data[2:end], end, end
        if end < size - 1 and data[end] == 0x12 and data[end + 1] < 0x80:
            start = end + 2
            if start + data[end + 1] == size:
                return data[2:end], start, size
    return _key_value_slow(data)


def _key_value_slow(data: bytes) -> tuple[bytes, int, int]:
    key = b""
    value_start = value_end = len(data)
    pos = 0
    try:
        while pos < len(data):
            tag, pos = varint(data, pos)
            field, wire_type = tag >> 3, tag & 7
            if wire_type == 2:
                length, pos = varint(data, pos)
                if pos + length > len(data):
                    raise WireError("length past the end of the KeyValue")
                if field == 1:
                    key = data[pos : pos + length]
                elif field == 2:
                    value_start, value_end = pos, pos + length
                pos += length
            else:
                pos = _skip(data, pos, wire_type)
    except IndexError:
        raise WireError("truncated KeyValue") from None
    return key, value_start, value_end


def any_value(data: bytes, pos: int, end: int) -> Any:
    """The ``AnyValue`` in ``data[pos:end]``: str, bool, int, float, None (unset) or COMPLEX."""
    value: Any = None
    try:
        while pos < end:
            tag = data[pos]
            pos += 1
            if tag == 0x0A:  # string_value
                length, pos = varint(data, pos)
                if pos + length > end:
                    raise WireError("string past the end of the AnyValue")
                value = data[pos : pos + length].decode("utf-8", "replace")
                pos += length
            elif tag == 0x10:  # bool_value
                number, pos = varint(data, pos)
                value = number != 0
            elif tag == 0x18:  # int_value, int64 two's complement
                number, pos = varint(data, pos)
                value = number - (1 << 64) if number >= 1 << 63 else number
            elif tag == 0x21:  # double_value
                if pos + 8 > end:
                    raise WireError("double past the end of the AnyValue")
                value = _DOUBLE.unpack_from(data, pos)[0]
                pos += 8
            elif tag in (0x2A, 0x32, 0x3A):  # array, kvlist, bytes
                length, pos = varint(data, pos)
                pos += length
                value = COMPLEX
            else:
                pos = _skip(data, pos, tag & 7)
    except IndexError:
        raise WireError("truncated AnyValue") from None
    if pos > end:
        raise WireError("AnyValue runs past its end")
    return value


def _skip(data: bytes, pos: int, wire_type: int) -> int:
    if wire_type == 0:
        return varint(data, pos)[1]
    if wire_type == 1:
        return pos + 8
    if wire_type == 2:
        length, pos = varint(data, pos)
        return pos + length
    if wire_type == 5:
        return pos + 4
    raise WireError(f"unsupported wire type {wire_type}")


class TooManySpans(ValueError):
    """A request holding more spans than the receiver takes at once."""


def slices(body: bytes, max_spans: int, slice_spans: int) -> list[bytes]:
    """Cut a serialized ``ExportTraceServiceRequest`` into requests of ``slice_spans`` spans.

    Parsing is one C call that holds the GIL: about 0.4 s for a million spans, during
    which no other thread, the event loop included, runs. Parsed slice by slice (each
    with ``MergeFromString``), the GIL is released between slices. The spans are counted
    off the wire on the way, so a request over ``max_spans`` is refused with
    :class:`TooManySpans` before anything is parsed. Each slice repeats its resource's and
    scope's other fields, so every span keeps its resource and scope.

    A request of one slice comes back whole. Bytes that do not walk as protobuf come
    back whole too, for the parser to refuse with its own message.
    """
    try:
        cuts = _cuts(body, max_spans, slice_spans)
    except (IndexError, WireError):
        return [body]
    if cuts is None:
        return [body]
    return [_frame(1, resource) for resource in cuts]


def _cuts(body: bytes, max_spans: int, slice_spans: int) -> list[bytes] | None:
    """Each slice as ``ResourceSpans`` bytes; None when the request fits in one slice."""
    spans = 0
    resources: list[tuple[bytes, list[tuple[bytes, bytes, list[int]]]]] = []
    for field, start, end in _walk(body, 0, len(body)):
        if field != 1:
            continue
        resource_head: list[bytes] = []
        scopes: list[tuple[bytes, bytes, list[int]]] = []
        for inner, inner_start, inner_end in _walk(body, _value_start(body, start), end):
            if inner != 2:
                resource_head.append(body[inner_start:inner_end])
                continue
            value_start = _value_start(body, inner_start)
            scope_head: list[bytes] = []
            bounds: list[int] = []  # span-group boundaries, as offsets into the scope's bytes
            scope = body[value_start:inner_end]
            count = 0
            pos = 0
            size = len(scope)
            while pos < size:
                field_start = pos
                tag, pos = varint(scope, pos)
                if tag == 0x12:  # ScopeSpans.spans
                    if count % slice_spans == 0:
                        bounds.append(field_start)
                        if spans + count >= max_spans:
                            raise TooManySpans(f"more than {max_spans} spans")
                    length, pos = varint(scope, pos)
                    pos += length
                    count += 1
                else:
                    pos = _skip(scope, pos, tag & 7)
                    scope_head.append(scope[field_start:pos])
            if pos != size:
                raise WireError("ScopeSpans runs past its end")
            spans += count
            if spans > max_spans:
                raise TooManySpans(f"more than {max_spans} spans")
            bounds.append(size)
            scopes.append((b"".join(scope_head), scope, bounds))
        resources.append((b"".join(resource_head), scopes))
    if spans <= slice_spans:
        return None
    cuts = []
    for resource_head, scopes in resources:
        for scope_head, scope, bounds in scopes:
            for group_start, group_end in itertools.pairwise(bounds):
                scope_spans = scope_head + scope[group_start:group_end]
                cuts.append(resource_head + _frame(2, scope_spans))
    return cuts


def _walk(data: bytes, pos: int, end: int) -> list[tuple[int, int, int]]:
    """The fields of the message in ``data[pos:end]``: (number, start, end) of each."""
    fields = []
    while pos < end:
        start = pos
        tag, pos = varint(data, pos)
        pos = _skip(data, pos, tag & 7)
        fields.append((tag >> 3, start, pos))
    if pos != end:
        raise WireError("message runs past its end")
    return fields


def _value_start(data: bytes, field_start: int) -> int:
    """Where a length-delimited field's value starts, past its tag and length."""
    return varint(data, varint(data, field_start)[1])[1]


def _frame(field: int, value: bytes) -> bytes:
    """``value`` as length-delimited field ``field``."""
    size = len(value)
    length = bytearray()
    while size >= 0x80:
        length.append(size & 0x7F | 0x80)
        size >>= 7
    length.append(size)
    return bytes([field << 3 | 2]) + bytes(length) + value
