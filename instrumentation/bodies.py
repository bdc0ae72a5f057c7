"""Incremental parsers for response bodies: SSE streams, NDJSON streams and (bounded) JSON
documents.

All receive decoded chunks as the application reads them and hand complete JSON documents to
`on_document`. Neither delays or alters the application's bytes; they only look.

SSE: events are split at blank lines; an event is decoded only when it is the first one or the
API's `sse_marker` matches it, so the usual content delta costs part of a regex scan, not a
`json.loads`.

NDJSON (Ollama's streams): one JSON document per line; as for SSE, a line is decoded only when it
is the first one or the API's `sse_marker` matches it.

JSON: the body is kept (as the chunk list httpx hands out anyway) up to `JSON_LIMIT` bytes and
decoded once at the end. A larger body (a big embeddings batch) is not kept: only its last
`TAIL_BYTES` are, from which the final `usage`/`usageMetadata` object, `model` and Ollama's
`prompt_eval_count` (an `/api/embed` answer's last key) are read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

try:
    import orjson
except ImportError:  # no wheel for this platform: the stdlib decodes, as exactly, for more CPU
    orjson = None  # type: ignore[assignment]

JSON_LIMIT = 256 * 1024
TAIL_BYTES = 64 * 1024
SSE_EVENT_LIMIT = 1024 * 1024
"""An incomplete SSE event longer than this is dropped rather than kept growing."""

OnDocument = Callable[[Any], None]
NOT_PARSED: Any = object()
"""No whole JSON document was parsed (none yet, too large, or not JSON)."""

_EVENT_BREAK = re.compile(rb"\r?\n\r?\n")
_TAIL_USAGE = re.compile(rb'"(usage|usageMetadata|meta)"\s*:\s*\{')
"""Where usage sits: OpenAI's `usage`, Gemini's `usageMetadata`, Cohere's `meta` (last in an
embed response, after the vectors)."""
_TAIL_MODEL = re.compile(rb'"(?:model|modelVersion)"\s*:\s*("(?:[^"\\]|\\.)*")')
_TAIL_PROMPT_EVAL_COUNT = re.compile(rb'"prompt_eval_count"\s*:\s*(\d+)')
_IMAGE_KEYS = (b'"bytesBase64Encoded"', b'"b64_json"')
"""The key of each image in Google's `predict` answers (Imagen) and in OpenAI's Images API
answers (DALL·E): a body too large to keep counts its images as it goes by (`IMAGES_COUNTED`
in the summary); each image is larger than `TAIL_BYTES`, so the tail alone cannot tell."""
_LONGEST_IMAGE_KEY = max(len(key) for key in _IMAGE_KEYS)
IMAGES_COUNTED = "images_counted"


class _RecordParser:
    """The framing the streamed formats share: bytes are held until a record boundary, then
    the whole records are decoded (`_records`: the first, then only those the marker
    matches); a pending record longer than `SSE_EVENT_LIMIT` is dropped. Each format says
    what separates its records (`_separator`) and how one is decoded (`_decode`)."""

    _separator: bytes

    def __init__(self, marker: re.Pattern[bytes], on_document: OnDocument) -> None:
        self._marker = marker
        self._on_document = on_document
        self._pending = b""
        self._first = True

    def feed(self, data: bytes) -> None:
        if self._pending:
            data = self._pending + data
        end = self._complete(data)
        if not end:
            self._pending = data if len(data) <= SSE_EVENT_LIMIT else b""
            return
        self._pending = data[end:]
        self._records(data[:end] if end < len(data) else data)

    def finish(self) -> None:
        """Decodes a last record that the server ended without its separator."""
        if self._pending.strip():
            self._records(self._pending)
        self._pending = b""

    def _complete(self, data: bytes) -> int:
        """The length of the whole records at the start of ``data`` (0: none yet)."""
        raise NotImplementedError

    def _records(self, block: bytes) -> None:
        """Decodes the first record, then only the records that the marker matches.

        After the first record the marker is searched over the whole block at once, jumping
        from match to match: one scan in C instead of a split and a search per record."""
        separator = self._separator
        step = len(separator)
        pos, size = 0, len(block)
        while pos < size:
            if not self._first:
                match = self._marker.search(block, pos)
                if match is None:
                    return
                before = block.rfind(separator, pos, match.start())
                if before >= 0:
                    pos = before + step
            end = block.find(separator, pos)
            if end < 0:
                end = size
            record = block[pos:end]
            pos = end + step
            if self._first or self._marker.search(record):  # no match across two records
                self._decode(record)

    def _decode(self, record: bytes) -> None:
        """Hands the record's document on, if it has one (the first one clears `_first`)."""
        raise NotImplementedError


class SseParser(_RecordParser):
    _separator = b"\n\n"

    def _complete(self, data: bytes) -> int:
        if data.endswith(b"\n\n"):  # the usual case: whole events, nothing left pending
            return len(data)
        lf = data.rfind(b"\n\n")
        crlf = data.rfind(b"\r\n\r\n")
        return max(lf + 2 if lf >= 0 else 0, crlf + 4 if crlf >= 0 else 0)

    def _records(self, block: bytes) -> None:
        if b"\r" in block:  # CRLF line ends (Gemini): event by event
            for event in _EVENT_BREAK.split(block):
                if self._first or self._marker.search(event):
                    self._decode(event)
            return
        super()._records(block)

    def _decode(self, event: bytes) -> None:
        payload = b"\n".join(
            line[5:].lstrip(b" ") for line in event.splitlines() if line.startswith(b"data:")
        )
        if not payload or payload == b"[DONE]":
            return
        self._first = False
        self._on_document(loads(payload))


class NdjsonParser(_RecordParser):
    _separator = b"\n"

    def _complete(self, data: bytes) -> int:
        return data.rfind(b"\n") + 1

    def _decode(self, line: bytes) -> None:
        line = line.strip()
        if line:
            self._first = False
            self._on_document(loads(line))


class JsonParser:
    body = b""
    """The whole body decoded (`finish`), kept with `document` for the application's
    `Response.json()` (`json_handover`)."""
    document: Any = NOT_PARSED

    def __init__(self, on_document: OnDocument) -> None:
        self._on_document = on_document
        self._parts: list[bytes] = []
        self._size = 0
        self._tail = b""

    _images = 0
    """Images counted in a body too large to keep (a class default: no cost per call)."""

    def feed(self, data: bytes) -> None:
        self._size += len(data)
        if self._size <= JSON_LIMIT:
            self._parts.append(data)
            return
        if self._parts:
            data = b"".join(self._parts) + data
            self._parts = []
        # The key may straddle two pieces: count it over the end of the tail and the piece.
        window = self._tail[1 - _LONGEST_IMAGE_KEY :] + data
        self._images += sum(window.count(key) for key in _IMAGE_KEYS)
        self._tail = (self._tail + data)[-TAIL_BYTES:]

    def finish(self) -> None:
        if self._parts:
            body = b"".join(self._parts)
            document = loads(body)
            self.body, self.document = body, document
            self._on_document(document)
        elif self._tail:
            summary = _tail_summary(self._tail)
            if self._images:
                summary[IMAGES_COUNTED] = self._images
            self._on_document(summary)


_DIGIT_MAP = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
"""Every digit to `0`, every other byte to a space: `_LONG_DIGITS` is then found in C."""
_LONG_DIGITS = b"0" * 19
_scan_once = json.JSONDecoder().scan_once
_whitespace = json.decoder.WHITESPACE.match


def loads(data: bytes) -> Any:
    """`json.loads(data)`: its result, or its error. Under callgrind, for a 480-byte chat
    completion, `json.loads` costs 56 k instructions, the stdlib's scanner called directly 44 k,
    and orjson (with the check below) 23 k.

    orjson gives `json.loads`' very result for every document it accepts but one kind: an
    integer beyond 64 bits, which it turns into a float. So a body with a run of 19 digits
    or more (where such an integer would be: found in C, by mapping bytes to digits and not) is
    left to the stdlib, and so is every body orjson rejects (`NaN`, a lone surrogate, another
    encoding than UTF-8, invalid JSON), which then raises exactly what `json.loads` raises. A
    test compares both on valid, invalid and odd bodies."""
    if orjson is not None and _LONG_DIGITS not in data.translate(_DIGIT_MAP):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return _stdlib_loads(data)


def _stdlib_loads(data: bytes) -> Any:
    """`json.loads(data)`, without its Python steps when `data` is a UTF-8 object (the encoding
    guess, the decoder's method calls). A body that opens with `{` and no NUL byte is UTF-8 to
    `json.detect_encoding`; any other body, and any failure, goes to `json.loads` itself, so
    the result or the error is its own."""
    if data[:1] != b"{" or data[1:2] == b"\x00":
        return json.loads(data)
    text = data.decode("utf-8", "surrogatepass")
    try:
        document, end = _scan_once(text, 0)
    except StopIteration:
        return json.loads(data)
    if end != len(text) and _whitespace(text, end).end() != len(text):
        return json.loads(data)
    return document


def _tail_summary(tail: bytes) -> dict[str, Any]:
    """The last usage object and model named in the end of a body too large to decode whole."""
    summary: dict[str, Any] = {}
    usages = list(_TAIL_USAGE.finditer(tail))
    if usages:
        usage = usages[-1]
        key = usage.group(1).decode()
        text = tail[usage.end() - 1 :].decode("utf-8", "replace")
        summary[key] = json.JSONDecoder().raw_decode(text)[0]
    counts = _TAIL_PROMPT_EVAL_COUNT.findall(tail)
    if counts:
        summary["prompt_eval_count"] = int(counts[-1])
    models = _TAIL_MODEL.findall(tail)
    if models:
        model = json.loads(models[-1])
        summary["modelVersion" if b'"modelVersion"' in tail else "model"] = model
    return summary
