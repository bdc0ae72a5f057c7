"""The response body of a `requests` call, shown to the call's parser as the application reads it.

`requests` keeps the urllib3 response as `Response.raw` and reads every body through it:
`iter_content`, `iter_lines`, `.content`, `.json()` and `.text` through `raw.stream(...,
decode_content=True)`, an application that wants the bytes as sent through `raw.read()`,
`raw.stream()` or iteration. `RawTee` stands in for `raw` and wraps exactly those reads: each
piece goes to the call (`LLMCall.feed_decoded` when urllib3 undid `content-encoding` for it,
`LLMCall.feed` when the piece is raw) and on to the application unchanged; every other
attribute is the urllib3 response's own. Pieces read inside `stream` are not seen again by
`read` (the inner response's `stream` calls its own `read`), so none is counted twice.

The span ends when a read reaches the end of the body or fails, on `close()` or
`release_conn()` (`Response.close`, a redirect, the connection going back to the pool), or when
the response is garbage-collected unread. (`isinstance(response.raw, urllib3.HTTPResponse)`
is False for an LLM call's response; nothing in `requests` asks it.)

`RewriteRawTee` is the tee of a stream whose usage tokentrace asked for
(`TOKENTRACE_STREAM_USAGE=inject`): it reads the body raw, decodes it and hands on the events as
`UsageStripper` puts them back, whichever read the application uses, as `streams`' rewrite tees
do for httpx.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .call import LLMCall
from .stream_usage import UsageStripper, rewritten


class RawTee:
    def __init__(self, inner: Any, call: LLMCall) -> None:
        self._inner = inner
        self._call = call

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _feed(self, data: bytes, decode_content: bool | None) -> None:
        if decode_content is None:
            decode_content = self._inner.decode_content
        if decode_content:
            self._call.feed_decoded(data)
        else:
            self._call.feed(data)

    def stream(
        self, amt: int | None = 2**16, decode_content: bool | None = None
    ) -> Iterator[bytes]:
        yield from self._teed(
            self._inner.stream(amt, decode_content=decode_content), decode_content
        )

    def read_chunked(
        self, amt: int | None = None, decode_content: bool | None = None
    ) -> Iterator[bytes]:
        chunks = self._inner.read_chunked(amt, decode_content=decode_content)
        yield from self._teed(chunks, decode_content)

    def _teed(self, chunks: Iterator[bytes], decode_content: bool | None) -> Iterator[bytes]:
        """`chunks` as urllib3 yields them, each fed to the call; the call ends with them."""
        call = self._call
        try:
            for chunk in chunks:
                self._feed(chunk, decode_content)
                yield chunk
        except BaseException as error:
            call.finish(error)
            raise
        call.finish()

    def read(
        self, amt: int | None = None, decode_content: bool | None = None, *args: Any, **kwargs: Any
    ) -> bytes:
        try:
            data = self._inner.read(amt, decode_content, *args, **kwargs)
        except BaseException as error:
            self._call.finish(error)
            raise
        if data:
            self._feed(data, decode_content)
        if amt is None or (not data and amt != 0):  # `read(0)` is b"" mid-body
            self._call.finish()
        return data

    def readinto(self, buffer: Any) -> int:
        """As urllib3's: `read` into a buffer (`io.BufferedReader(response.raw)`)."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def __iter__(self) -> Iterator[bytes]:
        """Lines, as urllib3's response iterates (decoded): through `stream`, so seen."""
        pending: list[bytes] = []
        for chunk in self.stream(decode_content=True):
            lines = chunk.split(b"\n")
            for line in lines[:-1]:
                yield b"".join(pending) + line + b"\n"
                pending = []
            if lines[-1]:
                pending.append(lines[-1])
        if pending:
            yield b"".join(pending)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._call.finish()

    def release_conn(self) -> None:
        try:
            self._inner.release_conn()
        finally:
            self._call.finish()

    def __del__(self) -> None:
        self._call.finish()


class RewriteRawTee(RawTee):
    def __init__(self, inner: Any, call: LLMCall, stripper: UsageStripper) -> None:
        super().__init__(inner, call)
        self._stripper = stripper
        self._events: Iterator[bytes] | None = None
        self._out = b""
        """Rewritten bytes made but not yet read (`read(amt)` hands out at most `amt`)."""

    def _rewritten(self, amt: int | None) -> Iterator[bytes]:
        chunks = self._inner.stream(amt, decode_content=False)
        yield from rewritten(chunks, self._call, self._stripper)

    def _source(self, amt: int | None) -> Iterator[bytes]:
        if self._events is None:
            self._events = self._rewritten(amt)
        return self._events

    def stream(
        self, amt: int | None = 2**16, decode_content: bool | None = None
    ) -> Iterator[bytes]:
        if self._out:
            out, self._out = self._out, b""
            yield out
        yield from self._source(amt)

    def read_chunked(
        self, amt: int | None = None, decode_content: bool | None = None
    ) -> Iterator[bytes]:
        return self.stream(amt, decode_content)

    def read(
        self, amt: int | None = None, decode_content: bool | None = None, *args: Any, **kwargs: Any
    ) -> bytes:
        source = self._source(amt or 2**16)
        out = self._out
        while amt is None or len(out) < amt:
            event = next(source, None)
            if event is None:
                break
            out += event
        if amt is None:
            self._out = b""
            return out
        self._out = out[amt:]
        return out[:amt]
