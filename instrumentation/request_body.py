"""What a request body says about the call, read from its raw bytes without decoding it.

Routing needs the model and the stream flag of every POST whose path looks like an LLM API.
Decoding the JSON costs time in proportion to the prompt (about 1 ms for 100 KB); searching
the bytes for the `"model"` and `"stream"` keys costs a `bytes.find` (about 5 µs for 100 KB,
see bench/instrumentation_overhead.py). The search is exact for JSON: inside a JSON string a
quote is always escaped, so `"model"` followed by `:` is a key. It may be a nested key (a
`metadata.model` string, say): the first one whose value is a string is taken, which in the
bodies the SDKs send is the top-level one (nested objects that name a `model` key hold a
schema object there, not a string).
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

_MODEL_VALUE = re.compile(rb'\s*:\s*"((?:[^"\\]|\\.){1,512})"')
_TRUE = re.compile(rb"\s*:\s*true")


class RequestFields(NamedTuple):
    model: str | None
    stream: bool


NO_FIELDS = RequestFields(None, False)


def content(request: Any) -> bytes:
    """The request body, or b"" for a streamed upload (httpx raises RequestNotRead)."""
    try:
        return request.content or b""
    except Exception:
        return b""


def scan(body: bytes) -> RequestFields:
    """The model and stream flag a JSON request body names, from its bytes."""
    if not body:
        return NO_FIELDS
    model = _value(body, b'"model"', _MODEL_VALUE)
    return RequestFields(
        None if model is None else _text(model.group(1)),
        _value(body, b'"stream"', _TRUE) is not None,
    )


def asks_for_usage(body: bytes) -> bool:
    """True when the body sets `stream_options.include_usage` (or any `include_usage`) true."""
    return _value(body, b'"include_usage"', _TRUE) is not None


def _value(body: bytes, key: bytes, value: re.Pattern[bytes]) -> re.Match[bytes] | None:
    """The first `value` that follows `key` (a quoted JSON key) in `body`."""
    start = body.find(key)
    while start >= 0:
        match = value.match(body, start + len(key))
        if match is not None:
            return match
        start = body.find(key, start + 1)
    return None


def _text(raw: bytes) -> str | None:
    """A JSON string's content, escapes undone."""
    if b"\\" not in raw:
        return raw.decode("utf-8", "replace")
    try:
        return json.loads(b'"' + raw + b'"')
    except ValueError:
        return None
