"""What a request body says about the call, read from its raw bytes without decoding it.

Routing needs the model and the stream flag of every POST whose path looks like an LLM API.
Decoding the JSON costs time in proportion to the prompt (about 80 µs for 100 KB), and so
does even one `bytes.find` over all of it (about 50 µs). The SDKs put `model` and `stream`
either first or right after `messages` (openai, anthropic: `{"messages": ..., "model": ...,
"stream": ...}`), so the keys are looked for in the first and last `WINDOW` bytes; only a
body that has no `"model"` there is searched whole (the model decides whether a request to
an unknown host is an LLM call). `stream` is not searched further: a streamed response is
recognised by its `text/event-stream` content type anyway (`LLMCall.on_response`).

The search is exact for JSON: inside a JSON string a quote is always escaped, so `"model"`
followed by `:` is a key. It may be a nested key (a `metadata.model` string, say): the first
one whose value is a string is taken, which in the bodies the SDKs send is the top-level one
(nested objects that name a `model` key hold a schema object there, not a string).
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

WINDOW = 2048
_MODEL_VALUE = (
    # Without escapes first: the same match when there are none (no model name has any), at a
    # tenth of the cost of the alternation, which the regex engine runs once per character.
    re.compile(rb'\s*:\s*"([^"\\]{1,512})"'),
    re.compile(rb'\s*:\s*"((?:[^"\\]|\\.){1,512})"'),
)
_TRUE = (re.compile(rb"\s*:\s*true"),)
_SMALL_MODEL = re.compile(
    rb'"model"' + b"(?:" + rb"|".join(pattern.pattern for pattern in _MODEL_VALUE) + b")"
)
"""`"model"` followed by `_MODEL_VALUE`'s patterns in their order, as one regex."""
_SMALL_STREAM = re.compile(rb'"stream"' + _TRUE[0].pattern)


class RequestFields(NamedTuple):
    model: str | None
    stream: bool


NO_FIELDS = RequestFields(None, False)

_fields: dict[tuple[str | None, bool], RequestFields] = {}
"""`RequestFields` by value (an application names a handful of models): making the named tuple
costs 3.3 k instructions under callgrind, the lookup 1.8 k."""
_FIELDS_CACHED = 1024


def content(request: Any) -> bytes:
    """The request body, or b"" for a streamed upload (httpx raises RequestNotRead).

    A request that httpx builds to follow a 307/308 redirect re-sends the original's body
    stream unread: when that is a `ByteStream` (bytes in memory, which iterating does not
    consume), its bytes are the body, so the redirected call is recognised as the first was."""
    try:
        return request.content or b""
    except Exception:
        stream = getattr(request, "stream", None)
        if type(stream).__name__ == "ByteStream":
            try:
                return b"".join(stream)
            except Exception:
                return b""
        return b""


def scan(body: bytes) -> RequestFields:
    """The model and stream flag a JSON request body names, from its bytes."""
    if not body:
        return NO_FIELDS
    if len(body) <= 2 * WINDOW:
        # One regex search per key over the whole body: the same first match as `_value`'s
        # loop of `find` and `match` calls (the alternation tries the patterns in its order at
        # each occurrence), a third of its cost under callgrind on a small body.
        found = _SMALL_MODEL.search(body)
        if found is None:
            model = None
        elif found.group(1) is not None:
            model = found.group(1).decode("utf-8", "replace")
        else:
            model = _text(found.group(2))
        return _interned(model, _SMALL_STREAM.search(body) is not None)
    model = _ends(body, b'"model"', _MODEL_VALUE)
    if model is None and len(body) > 2 * WINDOW:
        model = _value(body, b'"model"', _MODEL_VALUE, WINDOW, len(body) - WINDOW)
    return RequestFields(
        None if model is None else _text(model.group(1)),
        _ends(body, b'"stream"', _TRUE) is not None,
    )


def form_fields(request: Any) -> RequestFields:
    """The model and stream flag of a multipart upload (`/audio/transcriptions`,
    `/images/edits`), from the fields of the client's multipart stream: its bytes are not read
    before it is sent (httpx raises RequestNotRead), and the SDKs put the file first. A
    `requests` upload (`files=`) is encoded in memory: its bytes are read (`multipart`)."""
    form = getattr(request, "form", None)
    if form is not None:
        return multipart(form)
    model = None
    stream = False
    for field in getattr(getattr(request, "stream", None), "fields", ()):
        name = getattr(field, "name", None)
        value = getattr(field, "value", None)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if not isinstance(value, str):
            continue
        if name == "model" and model is None:
            model = value
        elif name == "stream":
            stream = value == "true"
    return _interned(model, stream)


_PART_NAME = re.compile(rb'\r\ncontent-disposition:[^\r]*?\bname="([^"]*)"([^\r]*)', re.IGNORECASE)


def multipart(body: bytes) -> RequestFields:
    """The model and stream flag a `multipart/form-data` body's text fields name."""
    model = None
    stream = False
    for name, value in _text_parts(body):
        if name == b"model" and model is None:
            model = value.decode("utf-8", "replace")
        elif name == b"stream":
            stream = value == b"true"
    return _interned(model, stream)


def form_values(request: Any) -> dict[str, str]:
    """The text fields of a multipart upload (`/images/variations`' `size`…), read as
    `form_fields` reads its model: from the client's multipart stream, or a `requests`
    upload's bytes (`form`). The first value of a repeated name is kept."""
    values: dict[str, str] = {}
    form = getattr(request, "form", None)
    if form is not None:
        for name, value in _text_parts(form):
            values.setdefault(name.decode("utf-8", "replace"), value.decode("utf-8", "replace"))
        return values
    for field in getattr(getattr(request, "stream", None), "fields", ()):
        name = getattr(field, "name", None)
        value = getattr(field, "value", None)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(name, str) and isinstance(value, str):
            values.setdefault(name, value)
    return values


def _text_parts(body: bytes) -> list[tuple[bytes, bytes]]:
    """The (name, value) of each text part of a `multipart/form-data` body (a part with a
    filename is a file: skipped). The parts are found by their boundary, the body's first
    line, so a file's bytes are jumped over, never decoded."""
    parts: list[tuple[bytes, bytes]] = []
    end = body.find(b"\r\n")
    if not body.startswith(b"--") or end < 0:
        return parts
    boundary = b"\r\n" + body[:end]
    at = end
    while at >= 0:
        following = body.find(boundary, at + 2)
        header_end = body.find(b"\r\n\r\n", at, following if following >= 0 else len(body))
        head = _PART_NAME.search(body, at, header_end) if header_end >= 0 else None
        if head is not None and b"filename=" not in head.group(2):
            value = body[header_end + 4 : following if following >= 0 else len(body)]
            parts.append((head.group(1), value))
        at = following + len(boundary) if following >= 0 else -1
    return parts


def streamed(request: Any) -> bool:
    """Whether the body is sent as it is produced (a generator, a file object), unread before
    it is sent: httpx raises RequestNotRead for it (a redirect's re-sent `ByteStream` aside),
    a `requests` view says so (`streamed`)."""
    flag = getattr(request, "streamed", None)
    if flag is not None:
        return bool(flag)
    try:
        return not isinstance(request.content, bytes)
    except Exception:
        return type(getattr(request, "stream", None)).__name__ != "ByteStream"


def _interned(model: str | None, stream: bool) -> RequestFields:
    key = (model, stream)
    fields = _fields.get(key)
    if fields is None:
        if len(_fields) >= _FIELDS_CACHED:
            _fields.clear()
        fields = _fields[key] = RequestFields(*key)
    return fields


def asks_for_usage(body: bytes) -> bool:
    """True when the body sets `stream_options.include_usage` (or any `include_usage`) true."""
    return _value(body, b'"include_usage"', _TRUE, 0, len(body)) is not None


def _ends(body: bytes, key: bytes, value: tuple[re.Pattern[bytes], ...]) -> re.Match[bytes] | None:
    """`key`'s value in the first or the last `WINDOW` bytes of `body`."""
    if len(body) <= 2 * WINDOW:
        return _value(body, key, value, 0, len(body))
    found = _value(body, key, value, 0, WINDOW)
    return found or _value(body, key, value, len(body) - WINDOW, len(body))


def _value(
    body: bytes, key: bytes, value: tuple[re.Pattern[bytes], ...], start: int, end: int
) -> re.Match[bytes] | None:
    """The first value that follows `key` (a quoted JSON key) in `body[start:end]` and that
    one of the `value` patterns matches, tried in order (the key must start there; its value
    may run past `end`)."""
    at = body.find(key, start, end + len(key) - 1)
    while at >= 0:
        for pattern in value:
            match = pattern.match(body, at + len(key))
            if match is not None:
                return match
        at = body.find(key, at + 1, end + len(key) - 1)
    return None


def _text(raw: bytes) -> str | None:
    """A JSON string's content, escapes undone."""
    if b"\\" not in raw:
        return raw.decode("utf-8", "replace")
    try:
        return json.loads(b'"' + raw + b'"')
    except ValueError:
        return None
