"""An incremental reader of AWS event-stream framing (`application/vnd.amazon.eventstream`),
in which Amazon Bedrock streams its answers.

A message is: a 12-byte prelude (total length, headers length, both big-endian uint32, then
the prelude's CRC32), the headers, the payload, and the message's CRC32. Each header is a
one-byte name length, the name, a one-byte value type and the value; Bedrock's headers
(`:event-type`, `:message-type`, `:content-type`, `:exception-type`) are strings (type 7: a
two-byte length, then the bytes). The CRCs are not checked here: the application's own
decoder (botocore's, which the anthropic SDK uses too) checks them on the very bytes and
raises for a corrupt stream, and this reader only looks for usage.

Bedrock's two streaming APIs put their events in the payload differently:
- InvokeModelWithResponseStream: `:event-type: chunk`, payload `{"bytes": "<base64>"}`, the
  base64 of the model's own event (for Claude, one Anthropic Messages SSE event's JSON);
- ConverseStream: the event's name in `:event-type` (`messageStart`, `contentBlockDelta`,
  `messageStop`, `metadata`…) and its JSON members in the payload, handed on as
  `{event_type: payload}` (the shape botocore gives the application).
An `exception` (or `error`) message is handed on as `{EXCEPTION: its type}`.

As with the SSE parser (`bodies`), only the first event and those the API's marker matches
(in the decoded chunk, or the payload) are decoded as JSON: the content deltas that make up
most of a stream cost a frame split, a base64 decode and a regex scan.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from typing import Any

from .bodies import loads

EXCEPTION = ":exception-type"
"""The key of the document handed on for an exception message: the exception's type."""

MESSAGE_LIMIT = 24 * 1024 * 1024
"""A frame claiming more than this is not event-stream framing (AWS caps messages at 16 MiB):
reading stops rather than waiting for bytes that will not come."""

_PRELUDE = 12
_STRING = 7
_VALUE_SIZES = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}
"""The fixed sizes of the other header value types (bool true/false, byte, short, integer,
long, timestamp, uuid); byte arrays (6) and strings (7) carry a two-byte length."""
_CHUNK_BYTES = re.compile(rb'"bytes"\s*:\s*"([A-Za-z0-9+/=]*)"')


class EventStreamParser:
    """Reads event-stream messages from raw body bytes and hands each event's JSON document
    worth reading to `on_document` (the interface of `bodies.SseParser`)."""

    def __init__(self, marker: re.Pattern[bytes], on_document: Callable[[Any], None]) -> None:
        self._marker = marker
        self._on_document = on_document
        self._pending = b""
        self._first = True

    def feed(self, data: bytes) -> None:
        if self._pending:
            data = self._pending + data
        pos, size = 0, len(data)
        while size - pos >= _PRELUDE:
            total = int.from_bytes(data[pos : pos + 4], "big")
            headers_end = pos + _PRELUDE + int.from_bytes(data[pos + 4 : pos + 8], "big")
            if total < _PRELUDE + 4 or total > MESSAGE_LIMIT or headers_end > pos + total - 4:
                raise ValueError("not AWS event-stream framing")
            if size - pos < total:
                break
            self._message(data, pos + _PRELUDE, headers_end, pos + total - 4)
            pos += total
        self._pending = data[pos:] if pos < size else b""

    def finish(self) -> None:
        """A message cut short is not read: the stream ended without it."""
        self._pending = b""

    def _message(self, data: bytes, start: int, headers_end: int, end: int) -> None:
        headers = _headers(data, start, headers_end)
        kind = headers.get(":message-type", "event")
        if kind != "event":
            found = headers.get(":exception-type") or headers.get(":error-code") or kind
            self._on_document({EXCEPTION: found})
            return
        payload = data[headers_end:end]
        event = headers.get(":event-type", "")
        if event == "chunk":
            match = _CHUNK_BYTES.search(payload)
            if match is not None:
                encoded: Any = match.group(1)
            else:  # escaped (`\/`) or spaced otherwise: decoded as JSON
                encoded = loads(payload).get("bytes")
                if not isinstance(encoded, str):
                    return
            try:
                inner = binascii.a2b_base64(encoded)
            except binascii.Error:
                return
            if self._first or self._marker.search(inner):
                self._first = False
                self._on_document(loads(inner))
        elif self._first or self._marker.search(payload):
            self._first = False
            self._on_document({event: loads(payload)})


def _headers(data: bytes, pos: int, end: int) -> dict[str, str]:
    """The message's string headers (the others are skipped)."""
    found: dict[str, str] = {}
    while pos < end:
        name_end = pos + 1 + data[pos]
        name = data[pos + 1 : name_end]
        kind = data[name_end]
        pos = name_end + 1
        if kind in (6, _STRING):
            length = int.from_bytes(data[pos : pos + 2], "big")
            if kind == _STRING:
                found[name.decode("utf-8", "replace")] = data[pos + 2 : pos + 2 + length].decode(
                    "utf-8", "replace"
                )
            pos += 2 + length
        else:
            size = _VALUE_SIZES.get(kind)
            if size is None:
                raise ValueError(f"unknown event-stream header type {kind}")
            pos += size
    return found
