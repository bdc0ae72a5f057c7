"""Response byte streams that tee every chunk to the call's parser, unchanged and unbuffered.

A tee replaces `response.stream` inside the client's send, so the SDK (and the Anthropic SDK's
own span-ending wrapper) sit on top of it. Each chunk is shown to the parser and then handed
on; the call's span ends when iteration ends or fails, on `close()`, or when the stream is
garbage-collected unread. httpx checks `isinstance(response.stream, SyncByteStream)`, so the
classes are built per module (`httpx` and `httpx2` have distinct base classes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from .call import LLMCall
from .stream_usage import UsageStripper, rewritten


class _Tee:
    """What the sync and async tees share: the wrapped stream, the call, and the GC end."""

    def __init__(self, inner: Any, call: LLMCall) -> None:
        self._inner = inner
        self._call = call

    @property
    def elapsed(self) -> Any:
        """httpx2's `Response.elapsed` reads it from `response.stream`."""
        return getattr(self._inner, "elapsed", None)

    def __del__(self) -> None:
        self._call.finish()


class _SyncTee(_Tee):
    def __iter__(self) -> Iterator[bytes]:
        call = self._call
        feed = call.feed
        try:
            for chunk in self._inner:
                feed(chunk)
                yield chunk
        except BaseException as error:
            call.finish(error)
            raise
        call.finish()

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._call.finish()


class _AsyncTee(_Tee):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        call = self._call
        feed = call.feed
        try:
            async for chunk in self._inner:
                feed(chunk)
                yield chunk
        except BaseException as error:
            call.finish(error)
            raise
        call.finish()

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            self._call.finish()


class _SyncRewriteTee(_SyncTee):
    """A tee that hands on the stream as `UsageStripper` puts it back (see `stream_usage`):
    the call parses the decoded body as sent, the application reads it as it asked for it."""

    def __init__(self, inner: Any, call: LLMCall, stripper: UsageStripper) -> None:
        super().__init__(inner, call)
        self._stripper = stripper

    def __iter__(self) -> Iterator[bytes]:
        yield from rewritten(self._inner, self._call, self._stripper)


class _AsyncRewriteTee(_AsyncTee):
    """The async `_SyncRewriteTee`."""

    def __init__(self, inner: Any, call: LLMCall, stripper: UsageStripper) -> None:
        super().__init__(inner, call)
        self._stripper = stripper

    async def __aiter__(self) -> AsyncIterator[bytes]:
        call = self._call
        stripper = self._stripper
        try:
            async for chunk in self._inner:
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


class DecodedTee:
    """Stands in for a response's content decoder (`Response._decoder`, which httpx and httpx2
    create on the first decoded read and keep), handing the call each piece it decodes for the
    application: the call then parses those instead of decompressing the raw chunks a second
    time (33 k instructions per call of our own gunzip, under callgrind, for a small gzip
    chat completion). JSON bodies only: see `LLMCall.decoder_name`. Raw chunks still pass
    through the stream tee: an application that reads raw bytes never decodes, and the call
    decodes those itself (`LLMCall.decoding`).

    httpx's decoder returns bytes; httpx2's an iterator of pieces of at most 1 MiB, which is
    drained at once here: the call must see all of each raw chunk it saw, as when it decoded
    the chunk itself (an application that stops reading within a chunk would otherwise leave
    part of it unparsed). That holds one chunk's decoded pieces at once, which our own decoding
    of the chunk held too. The application gets the same pieces in the same order, and an
    error of httpx's decoder after the pieces before it."""

    __slots__ = ("_call", "_inner")

    def __init__(self, inner: Any, call: LLMCall) -> None:
        self._inner = inner
        self._call = call

    def decode(self, data: bytes) -> Any:
        call = self._call
        try:
            out = self._inner.decode(data)
        except Exception:
            call.decode_failed()
            raise
        if not call.decoding(data):
            return out
        if type(out) is bytes:
            call.take_decoded(out, len(data))
            return out
        pieces = []
        try:
            for piece in out:
                pieces.append(piece)
        except Exception as error:
            call.decode_failed()
            return _then_raise(pieces, error)
        call.take_decoded(pieces, len(data))
        return pieces

    def flush(self) -> Any:
        """httpx flushes after the body's last chunk, when the call has ended; our own decoder
        is not flushed either (a whole body leaves nothing to flush)."""
        return self._inner.flush()


def _then_raise(pieces: list[bytes], error: Exception) -> Iterator[bytes]:
    """The pieces httpx2's decoder gave before failing, then its error."""
    yield from pieces
    raise error


def tee_decoder(response: Any, call: LLMCall) -> None:
    """Puts a `DecodedTee` in front of the response's content decoder, when it is the one the
    call would decode with itself (same encoding, httpx's decoder class for it)."""
    name = call.decoder_name()
    get_decoder = getattr(response, "_get_content_decoder", None)
    if name is None or get_decoder is None:
        return
    try:
        decoder = get_decoder()
    except Exception:  # httpx raises it again when the application reads: not ours to report
        return
    if type(decoder).__name__ == name and getattr(response, "_decoder", None) is decoder:
        response._decoder = DecodedTee(decoder, call)


@dataclass(frozen=True)
class Tees:
    """The tee stream classes of one HTTP library (`httpx` or `httpx2`)."""

    sync: type
    async_: type
    sync_rewrite: type
    async_rewrite: type


def tee_classes(module: Any) -> Tees:
    """The tee stream classes for `httpx` or `httpx2`."""
    return Tees(
        type("SyncTeeStream", (_SyncTee, module.SyncByteStream), {}),
        type("AsyncTeeStream", (_AsyncTee, module.AsyncByteStream), {}),
        type("SyncRewriteTeeStream", (_SyncRewriteTee, module.SyncByteStream), {}),
        type("AsyncRewriteTeeStream", (_AsyncRewriteTee, module.AsyncByteStream), {}),
    )
