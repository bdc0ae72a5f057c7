"""Response byte streams that tee every chunk to the call's parser, unchanged and unbuffered.

A tee replaces `response.stream` inside the client's send, so the SDK (and the Anthropic SDK's
own span-ending wrapper) sit on top of it. Each chunk is shown to the parser and then handed
on; the call's span ends when iteration ends or fails, on `close()`, or when the stream is
garbage-collected unread. httpx checks `isinstance(response.stream, SyncByteStream)`, so the
classes are built per module (`httpx` and `httpx2` have distinct base classes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from .call import LLMCall


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


def tee_classes(module: Any) -> tuple[type, type]:
    """The sync and async tee stream classes for `httpx` or `httpx2`."""
    sync_tee = type("SyncTeeStream", (_SyncTee, module.SyncByteStream), {})
    async_tee = type("AsyncTeeStream", (_AsyncTee, module.AsyncByteStream), {})
    return sync_tee, async_tee
