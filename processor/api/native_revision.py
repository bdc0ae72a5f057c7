"""Native output framed for the ``client_protocol_version`` an HTTP client asks for.

ClickHouse's HTTP interface writes ``Native`` for the native-protocol revision given in the
``client_protocol_version`` URL parameter: above 0 every block starts with its BlockInfo,
and from 54454 (``DBMS_MIN_REVISION_WITH_CUSTOM_SERIALIZATION``) every column's type is
followed by a one-byte "custom serialization" flag. clickhouse-go (2.39 and later, so the
Grafana ClickHouse data source 4.x in HTTP mode) sends 54460 with every query and decodes
the answer at that revision with no fallback: its first query, ``SELECT displayName(),
version(), revision(), timezone()``, failed on revision-0 blocks, and the data source with it.
clickhouse-connect asks for 54405 once and keeps it only if the answer carries BlockInfo.

chDB writes Native at revision 0 and no setting changes that, so its blocks are re-framed
here: the same column bytes, with BlockInfo and a 0 flag (full serialization, which a server
may always send) put where the revision wants them. Finding where one column's bytes end
means walking its type; types whose layout is not walked here (Variant, Dynamic, JSON,
AggregateFunction) are refused with ClickHouse's NOT_IMPLEMENTED and what to do instead.

One difference is left: for revision 0 ClickHouse writes a top-level ``DateTime('zone')``
column's type as ``DateTime`` (clients older than 54337 could not read the zone), so such a
column reaches the client in the server's time zone (UTC here): the same instants.
"""

from __future__ import annotations

import functools
import re
import struct
from dataclasses import dataclass

from tokentrace.processor.api.clickhouse_errors import NOT_IMPLEMENTED, ClickHouseError

# ClickHouse's VarUInt is protobuf's varint (LEB128): one reader for both wire formats.
from tokentrace.processor.receivers.otlp_wire import varint

WITH_BLOCK_INFO = 1
WITH_CUSTOM_SERIALIZATION = 54454
WITH_OUT_OF_ORDER_BUCKETS = 54480  # BlockInfo's field 3, an empty list here

_FIXED = {
    **dict.fromkeys(("UInt8", "Int8", "Bool", "Enum8", "Nothing"), 1),
    **dict.fromkeys(("UInt16", "Int16", "Date", "Enum16", "BFloat16"), 2),
    **dict.fromkeys(("UInt32", "Int32", "Float32", "Date32", "DateTime", "IPv4", "Time"), 4),
    **dict.fromkeys(("UInt64", "Int64", "Float64", "DateTime64", "Time64"), 8),
    **dict.fromkeys(("UInt128", "Int128", "UUID", "IPv6"), 16),
    **dict.fromkeys(("UInt256", "Int256"), 32),
    "Decimal32": 4,
    "Decimal64": 8,
    "Decimal128": 16,
    "Decimal256": 32,
}
_ALIASES = {  # geo types are named tuples and arrays
    "Point": "Tuple(Float64, Float64)",
    "Ring": "Array(Point)",
    "LineString": "Array(Point)",
    "Polygon": "Array(Ring)",
    "MultiLineString": "Array(LineString)",
    "MultiPolygon": "Array(Polygon)",
}
_NAMED_ELEMENT = re.compile(r"^(?:`(?:[^`\\]|\\.)*`|[A-Za-z_][A-Za-z0-9_]*)\s+(\S.*)$", re.S)
_LC_HAS_ADDITIONAL_KEYS = 1 << 9
_LC_NEED_GLOBAL_DICTIONARY = 1 << 8


class Unsupported(ValueError):
    """A column type whose Native layout is not walked here."""


@dataclass(frozen=True)
class _Type:
    kind: str  # fixed, string, nullable, array, tuple, lowcard
    size: int = 0
    args: tuple[_Type, ...] = ()


def for_revision(body: bytes, revision: int, version: str) -> bytes:
    """chDB's revision-0 Native ``body`` as a server writes it for ``revision``."""
    if revision < WITH_BLOCK_INFO or not body:
        return body
    info = (
        b"\x01\x00\x02\xff\xff\xff\xff"  # is_overflows 0, bucket_num -1
        + (b"\x03\x00" if revision >= WITH_OUT_OF_ORDER_BUCKETS else b"")
        + b"\x00"
    )
    flag = b"\x00" if revision >= WITH_CUSTOM_SERIALIZATION else b""
    out: list[bytes] = []
    pos, end = 0, len(body)
    try:
        while pos < end:
            header = pos
            columns, pos = varint(body, pos)
            rows, pos = varint(body, pos)
            out += (info, body[header:pos])
            for _ in range(columns):
                header = pos
                _, pos = _string(body, pos)  # the column's name
                type_name, pos = _string(body, pos)
                out += (body[header:pos], flag)
                data = pos
                if rows:
                    column = _parse(_name(type_name))
                    pos = _skip_data(column, body, _skip_prefix(column, body, pos), rows)
                out.append(body[data:pos])
    except Unsupported as exc:
        raise ClickHouseError(
            NOT_IMPLEMENTED,
            f"tokentrace cannot send {exc} in Native for client_protocol_version {revision}: "
            "cast the column (toString(...)) or ask for another format (FORMAT JSON)",
            version,
        ) from None
    except (IndexError, struct.error):
        raise ValueError("chDB's Native output ends inside a column") from None
    if pos != end:
        raise ValueError("chDB's Native output ends inside a column")
    return b"".join(out)


def _name(raw: bytes) -> str:
    try:
        return raw.decode()
    except UnicodeDecodeError:  # output_format_native_encode_types_in_binary_format
        raise Unsupported("a binary-encoded column type") from None


@functools.lru_cache(maxsize=512)
def _parse(name: str) -> _Type:
    name = _ALIASES.get(name.strip(), name.strip())
    head, _, rest = name.partition("(")
    args = _split(rest[:-1]) if rest else []
    if head in _FIXED:
        return _Type("fixed", _FIXED[head])
    if head in ("String", "JSONAsString"):
        return _Type("string")
    if head == "FixedString":
        return _Type("fixed", int(args[0]))
    if head == "Decimal":
        precision = int(args[0])
        return _Type(
            "fixed",
            4 if precision <= 9 else 8 if precision <= 18 else 16 if precision <= 38 else 32,
        )
    if head.startswith("Interval"):
        return _Type("fixed", 8)
    if head == "SimpleAggregateFunction":
        return _parse(args[-1])
    if head == "Nullable":
        return _Type("nullable", args=(_parse(args[0]),))
    if head == "LowCardinality":
        inner = _parse(args[0])
        keys = inner.args[0] if inner.kind == "nullable" else inner
        return _Type("lowcard", args=(keys,))
    if head == "Array":
        return _Type("array", args=(_parse(args[0]),))
    if head == "Map":
        return _Type("array", args=(_Type("tuple", args=(_parse(args[0]), _parse(args[1]))),))
    if head in ("Tuple", "Nested"):
        elements = tuple(_parse(_element_type(arg)) for arg in args)
        tuple_type = _Type("tuple", args=elements)
        return _Type("array", args=(tuple_type,)) if head == "Nested" else tuple_type
    raise Unsupported(f"a column of type {name}")


def _element_type(arg: str) -> str:
    """A tuple element's type, without its name (``Tuple(cost Float64, n UInt64)``)."""
    match = _NAMED_ELEMENT.match(arg.strip())
    return match.group(1) if match else arg


def _split(args: str) -> list[str]:
    """Top-level comma-separated arguments (quotes and nested parentheses kept whole)."""
    parts, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(args):
        char = args[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'`\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(args[start:i])
            start = i + 1
        i += 1
    parts.append(args[start:])
    return [part.strip() for part in parts]


def _skip_prefix(column: _Type, body: bytes, pos: int) -> int:
    """Past the serialization state prefixes, which come before any column data: one
    version number per LowCardinality anywhere in the type."""
    if column.kind == "lowcard":
        return pos + 8
    for arg in column.args:
        pos = _skip_prefix(arg, body, pos)
    return pos


def _skip_data(column: _Type, body: bytes, pos: int, rows: int) -> int:
    if rows == 0:
        return pos
    kind = column.kind
    if kind == "fixed":
        return _check(body, pos + column.size * rows)
    if kind == "string":
        for _ in range(rows):
            length = body[pos]
            if length < 0x80:  # most strings: a one-byte length, read inline
                pos += 1 + length
            else:
                length, pos = varint(body, pos)
                pos += length
        return _check(body, pos)
    if kind == "nullable":
        return _skip_data(column.args[0], body, pos + rows, rows)
    if kind == "array":
        pos = _check(body, pos + 8 * rows)
        (total,) = struct.unpack_from("<Q", body, pos - 8)
        return _skip_data(column.args[0], body, pos, total)
    if kind == "tuple":
        for element in column.args:
            pos = _skip_data(element, body, pos, rows)
        return pos
    (flags,) = struct.unpack_from("<Q", body, pos)  # LowCardinality
    pos += 8
    if flags & _LC_NEED_GLOBAL_DICTIONARY:
        raise Unsupported("a LowCardinality column with a global dictionary")
    if flags & _LC_HAS_ADDITIONAL_KEYS:
        (keys,) = struct.unpack_from("<Q", body, pos)
        pos = _skip_data(column.args[0], body, pos + 8, keys)
    (indexes,) = struct.unpack_from("<Q", body, pos)
    return _check(body, pos + 8 + indexes * (1 << (flags & 0xFF)))


def _check(body: bytes, pos: int) -> int:
    if pos > len(body):
        raise ValueError("Native output ends inside a column")
    return pos


def _string(body: bytes, pos: int) -> tuple[bytes, int]:
    length, pos = varint(body, pos)
    return body[pos : pos + length], _check(body, pos + length)
