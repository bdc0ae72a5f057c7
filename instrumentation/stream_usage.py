"""`TOKENTRACE_STREAM_USAGE=inject`: exact usage for OpenAI-shaped streams that did not ask.

An OpenAI chat (or legacy completions) stream reports usage only when the request sets
`stream_options.include_usage`, which the SDK does not by default. With injection on, such a
request is sent with it set, and the response is put back the way the application asked for it
before the SDK reads it: the extra last chunk (`"choices":[]` with the usage) and the
`"usage":null` member every other chunk then carries are removed. The call's parser sees the
stream as the provider sent it, so the span gets the exact usage.

Trade-offs (stated in the README): the request body differs from what the application built
(one key), and the response is rewritten rather than handed on byte for byte: it is decoded
here (`content-encoding` removed, so httpx does not decode it again) and each SSE event is
passed on when complete rather than chunk by chunk.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .decoding import Decoder

if TYPE_CHECKING:
    from .call import LLMCall

_INCLUDE = b'{"stream_options":{"include_usage":true},'
_STREAM_OPTIONS = b'"stream_options"'
_EVENT_END = re.compile(rb"\r?\n\r?\n")
_USAGE_ONLY = re.compile(rb'"choices"\s*:\s*\[\s*\]')
_USAGE_OBJECT = re.compile(rb'"usage"\s*:\s*\{')
_USAGE_NULL = re.compile(rb',\s*"usage"\s*:\s*null|"usage"\s*:\s*null\s*,?')


def inject(request: Any, body: bytes) -> bool:
    """Sets `stream_options.include_usage` in an httpx/httpx2 request's JSON body; False (and
    the request untouched) when the body is not a JSON object."""
    start = body.lstrip()
    if not start.startswith(b"{"):
        return False
    if _STREAM_OPTIONS not in body:
        rest = start[1:]
        new = _INCLUDE + rest if rest.lstrip()[:1] != b"}" else _INCLUDE[:-1] + b"}"
    else:  # rare: other stream options are set, so the object is edited, not prefixed
        try:
            document = json.loads(body)
            options = document.get("stream_options") or {}
            document["stream_options"] = {**options, "include_usage": True}
        except (ValueError, AttributeError, TypeError):
            return False
        new = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    request.stream = type(request.stream)(new)
    request._content = new
    request.headers["content-length"] = str(len(new))
    return True


class UsageStripper:
    """Decodes the response body and removes what the injection added, event by event."""

    def __init__(self, decode: Decoder | None) -> None:
        self._decode = decode
        self._pending = b""

    def decode(self, chunk: bytes) -> bytes:
        return self._decode(chunk) if self._decode is not None else chunk

    def strip(self, data: bytes) -> bytes:
        """The complete events of `data` (after what was pending) as the application asked."""
        data = self._pending + data if self._pending else data
        cut = 0
        out = []
        for end in _EVENT_END.finditer(data):
            out.append(_event(data[cut : end.end()]))
            cut = end.end()
        self._pending = data[cut:]
        return b"".join(out)

    def flush(self) -> bytes:
        """What is left when the body ends (an event without its closing blank line)."""
        rest, self._pending = self._pending, b""
        return _event(rest) if rest else b""


def _event(event: bytes) -> bytes:
    if _USAGE_ONLY.search(event) is not None and _USAGE_OBJECT.search(event) is not None:
        return b""
    if b'"usage"' in event:
        return _USAGE_NULL.sub(b"", event, count=1)
    return event


def rewritten(chunks: Iterable[bytes], call: LLMCall, stripper: UsageStripper) -> Iterator[bytes]:
    """The raw `chunks` of a stream whose usage was asked for, decoded, fed to `call` as they
    are, and handed on as the application asked for them (`stripper`); the call ends with
    them. Shared by httpx's and requests' rewriting tees (sync: httpx's async tee keeps its
    own loop, an async generator)."""
    try:
        for chunk in chunks:
            data = stripper.decode(chunk)
            call.feed(data)
            out = stripper.strip(data)
            if out:
                yield out
        rest = stripper.flush()
        if rest:
            yield rest
    except BaseException as error:
        call.finish(error)
        raise
    call.finish()
