"""The response body of an aiohttp call, shown to the call's parser as aiohttp receives it.

aiohttp gives the application every body through one `StreamReader` (`ClientResponse.content`),
which the connection's parser fills (`feed_data`, `feed_eof`, `set_exception`) after undoing the
`content-encoding` when the session decompresses (its default). Whatever the application
reads (`read()`, `text()`, `json()`, `content` iterated by line, `iter_chunked`, `iter_any`,
`iter_chunks`, `readline`, `readexactly`, `read_nowait`) comes out of that buffer, so the call
sees the body where it goes in: the reader of an LLM call becomes a `TeeReader` (its class
changed in place: same slots, nothing copied, no other response's reader touched), whose
`feed_data` shows each piece to the call, then buffers it unchanged. The application reads
the very bytes aiohttp received, however it reads them, and the call sees each once.

The span ends at `feed_eof` (the whole body received), at `set_exception` (connection lost,
timeout, or the application's `release()` / `close()` before the end, which ends it as
`requests`' `close()` does: no error of the call's), or when the reader is garbage-collected.
That is when the body has arrived, which an application reading as it comes is at too.

Bytes that came with the headers are already buffered when the middleware gets the response
(`aiohttp_send`): they are shown first, and the end too when it has come. `StreamReader` has
`__slots__`, so each call is kept beside its reader in `_calls`, by `id`, until it ends.

`TOKENTRACE_STREAM_USAGE=inject`: `feed_data` buffers what `UsageStripper` hands back instead,
the events as the application asked for them (see `stream_usage`); bytes buffered before are
rewritten in place, which reads the reader's private buffer (nothing has been read from it).
"""

from __future__ import annotations

from typing import Any

from aiohttp.streams import StreamReader

from . import failures
from .call import LLMCall
from .stream_usage import UsageStripper

try:  # what `ClientResponse.release()` / `close()` end an unread body with
    from aiohttp.client_reqrep import _CONNECTION_CLOSED_EXCEPTION as _CLOSED
except ImportError:  # pragma: no cover - another aiohttp: the close reads as an error
    _CLOSED = None


class _Tap:
    """One call's view of its reader: how the pieces come (decoded by aiohttp or raw), and the
    stripper of a stream whose usage was asked for."""

    __slots__ = ("call", "decoded", "stripper")

    def __init__(self, call: LLMCall, decoded: bool, stripper: UsageStripper | None) -> None:
        self.call = call
        self.decoded = decoded
        self.stripper = stripper

    def see(self, data: bytes) -> bytes:
        """Shows a piece to the call; returns what the application is to read."""
        if self.decoded:
            self.call.feed_decoded(data)
        else:
            self.call.feed(data)
        return data if self.stripper is None else self.stripper.strip(data)

    def end(self, error: BaseException | None = None) -> bytes:
        """Ends the call; returns the rest the stripper held (an event without its blank line)."""
        rest = self.stripper.flush() if self.stripper is not None and error is None else b""
        self.call.finish(error)
        return rest


_calls: dict[int, _Tap] = {}


class TeeReader(StreamReader):
    __slots__ = ()

    def feed_data(self, data: bytes, *args: Any, **kwargs: Any) -> bool:
        tap = _calls.get(id(self))
        if tap is not None and data:
            try:
                data = tap.see(data)
            except Exception:
                failures.report("reading the response")
        return super().feed_data(data, *args, **kwargs)

    def feed_eof(self) -> None:
        tap = _calls.pop(id(self), None)
        if tap is not None:
            rest = tap.end()
            if rest:
                super().feed_data(rest)
        super().feed_eof()

    def set_exception(self, exc: BaseException, *args: Any, **kwargs: Any) -> None:
        tap = _calls.pop(id(self), None)
        if tap is not None:
            tap.end(None if exc is _CLOSED else exc)
        super().set_exception(exc, *args, **kwargs)

    def __del__(self) -> None:
        tap = _calls.pop(id(self), None)
        if tap is not None:
            tap.end()


def tee(call: LLMCall, response: Any, decoded: bool, stripper: UsageStripper | None) -> None:
    """Shows the call the body of `response` (`decoded`: aiohttp undoes its encoding)."""
    reader = response.content
    if type(reader) is not StreamReader:  # no body (`EMPTY_PAYLOAD`), or not aiohttp's reader
        call.finish()
        return
    tap = _Tap(call, decoded, stripper)
    buffered = reader._buffer
    if stripper is None:
        for piece in buffered:
            tap.see(piece)
    elif buffered:
        kept = b"".join([tap.see(piece) for piece in buffered])
        if reader.is_eof():
            kept += stripper.flush()
        buffered.clear()
        if kept:
            buffered.append(kept)
        reader._size = reader.total_bytes = len(kept)
        if reader._http_chunk_splits:
            reader._http_chunk_splits.clear()  # the offsets of the bytes replaced
    error = reader.exception()
    if error is not None or reader.is_eof():
        tap.end(None if error is _CLOSED else error)
        return
    _calls[id(reader)] = tap
    reader.__class__ = TeeReader
