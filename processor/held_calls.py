"""The calls the deduper holds, as a versioned JSON document (the pipeline's ``held_path``).

Held spans (OpenInference's Groq and Portkey streams, ``Deduper.admit``) were acknowledged, so
they are written to disk before the answer and held again at the next start. They were pickled
``Call`` objects: an upgrade that added a field to ``Call`` read them back without it (the
first use of it failed), and one that renamed the class or its module could not read them at
all, so the file was moved aside and its spans were lost. Here each call is a JSON object of
its fields by name; the usage units, metered units and dimensions by their names too, so that
a version that adds one reads an older file (the missing ones are 0 or empty, as in a span
without them) and ignores what it does not know. :data:`VERSION` changes only with the
encoding: a file of a later one is refused, to be moved aside by the caller, never misread.
"""

from __future__ import annotations

import json
from typing import Any

from tokentrace.processor.extract.extractor import METERED_UNITS, USAGE_UNITS, Call
from tokentrace.processor.extract.tags import DIMENSIONS

VERSION = 1
_BYTES = frozenset(("trace_id", "span_id", "parent_span_id", "scope"))
_BY_NAME = {"units": USAGE_UNITS, "metered": METERED_UNITS, "dimensions": tuple(DIMENSIONS)}
# A field a file lacks (written before the field existed), by its annotation.
_DEFAULTS: dict[str, Any] = {
    "bytes": b"",
    "str": "",
    "int": 0,
    "bool": False,
    "float": 0.0,
    "int | None": None,
    "float | None": None,
    "dict[str, str]": {},
}


def dumps(calls: list[Call]) -> bytes:
    """``calls`` as the document :func:`loads` reads (ASCII: any text, lone surrogates too)."""
    return json.dumps({"version": VERSION, "calls": [_encode(call) for call in calls]}).encode()


def loads(data: bytes) -> list[Call]:
    """The calls of a document :func:`dumps` wrote, in this version or an earlier one."""
    document = json.loads(data)
    version = document.get("version") if isinstance(document, dict) else None
    if version != VERSION:
        raise ValueError(f"held calls of format version {version!r}; this serve reads {VERSION}")
    return [complete(_decode(item)) for item in document["calls"]]


def complete(call: Call) -> Call:
    """``call`` with every field it lacks set as :func:`loads` sets it (a call an earlier
    version pickled, before the field existed)."""
    for name in Call.__slots__:
        if not hasattr(call, name):
            setattr(call, name, _decode_value(name, None))
    return call


def _encode(call: Call) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in Call.__slots__:
        value = getattr(call, name)
        if name in _BYTES:
            value = value.hex()
        elif name in _BY_NAME:
            value = dict(zip(_BY_NAME[name], value, strict=True))
        fields[name] = value
    return fields


def _decode(fields: dict[str, Any]) -> Call:
    call = Call.__new__(Call)
    for name in Call.__slots__:
        setattr(call, name, _decode_value(name, fields.get(name)))
    return call


def _decode_value(name: str, value: Any) -> Any:
    if name in _BYTES:
        return bytes.fromhex(value or "")
    if name in _BY_NAME:
        known = value or {}
        default = "" if name == "dimensions" else 0
        decoded = [known.get(key, default) for key in _BY_NAME[name]]
        return decoded if name == "dimensions" else tuple(decoded)
    if value is None:
        default = _DEFAULTS[Call.__annotations__[name]]
        return dict(default) if isinstance(default, dict) else default
    return value
