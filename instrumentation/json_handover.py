"""`Response.json()` answered with the document the call already parsed from the same bytes.

Every SDK that reads a JSON answer parses it again after httpx has read it (openai's and
anthropic's `response.json()`), so without this an LLM call's body is decoded twice: once for
the span's usage, once for the application. The call parses the body as it ends (it must: the
span ends with the body, and an application that reads raw bytes never parses), then keeps the
body and its document; the application's first `json()` gets that document instead of a second
`json.loads` (about 44 k instructions under callgrind for a 480-byte chat completion), when:

- it passes no arguments (`parse_float` and the like would change the result);
- the bytes it read (`Response.content`) are the bytes parsed, compared in full;
- the body was parsed whole (a body over `bodies.JSON_LIMIT` is not kept, nor one that ended
  in an error).

The result is `json.loads(content)`'s own: `bodies.loads` returns it or raises its error (a
test compares both), and a body that failed to parse is parsed by httpx again, raising as
before. Later `json()` calls parse again, so no two callers share one mutable document.
`requests.Response.json` is handed over too (`requests_json_handover`), under its own
conditions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .bodies import NOT_PARSED
from .requests_tee import RawTee
from .streams import _Tee


def json_handover(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """The wrapper (`patching`) of `httpx.Response.json` / `httpx2.Response.json`."""
    if not args and not kwargs:
        stream = instance.stream
        if isinstance(stream, _Tee):
            document = stream._call.take_document(instance.content)
            if document is not NOT_PARSED:
                return document
    return wrapped(*args, **kwargs)


_UTF8 = frozenset({"utf-8", "utf8", "utf_8", "u8"})


def requests_json_handover(
    wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """The wrapper (`patching`) of `requests.Response.json` (wrapped only when `requests` parses
    with the stdlib's `json`, not simplejson). `requests` parses `content` decoded as UTF-8
    (its own guess, or a `charset=utf-8` header) or else `text` in a guessed encoding: the
    document is handed over only for a body that is strict UTF-8 without a BOM, where
    `json.loads` of the text and of the bytes are one result."""
    if not args and not kwargs:
        raw = instance.raw
        if isinstance(raw, RawTee):
            encoding = instance.encoding
            content = instance.content
            if (encoding is None or encoding.lower() in _UTF8) and _strict_utf8(content):
                document = raw._call.take_document(content)
                if document is not NOT_PARSED:
                    return document
    return wrapped(*args, **kwargs)


def _strict_utf8(content: bytes) -> bool:
    if content.isascii():
        return True
    if content.startswith(b"\xef\xbb\xbf"):
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
