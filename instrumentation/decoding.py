"""Undoes a response's `content-encoding` on our copy of the bytes, chunk by chunk.

The application still gets the raw bytes from httpx and decodes them itself. When it reads a
JSON body decoded (`iter_bytes`, `read`: what the SDKs do), the call parses the pieces httpx
decodes (`streams.DecodedTee`); an SSE stream, a body read as raw bytes (`iter_raw`) or a zstd
one is decoded a second time here, incrementally, only to read usage. An encoding we cannot
undo disables parsing for that call (its usage is then reported missing), it never touches the
application's bytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

try:
    import brotli
except ImportError:  # pragma: no cover - brotli ships with the test and processor extras
    brotli = None
try:
    from compression.zstd import ZstdDecompressor  # Python 3.14+
except ImportError:
    try:
        from backports.zstd import ZstdDecompressor
    except ImportError:  # pragma: no cover - zstd is only offered when httpx can decode it
        ZstdDecompressor = None

Decoder = Callable[[bytes], bytes]


class UnsupportedEncoding(Exception):
    pass


class _Deflate:
    """`deflate` is zlib-wrapped per the RFC but raw deflate from some servers: try both."""

    def __init__(self) -> None:
        self._inflate = zlib.decompressobj()
        self._first = True

    def __call__(self, data: bytes) -> bytes:
        if self._first:
            self._first = False
            try:
                return self._inflate.decompress(data)
            except zlib.error:
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._inflate.decompress(data)


class _Zstd:
    """`zstd`, which httpx2 asks for when a zstd module is installed; frames may follow frames."""

    def __init__(self) -> None:
        self._inflate = ZstdDecompressor()

    def __call__(self, data: bytes) -> bytes:
        if self._inflate.eof:
            data = self._inflate.unused_data + data
            self._inflate = ZstdDecompressor()
        return self._inflate.decompress(data)


def _gzip() -> Decoder:
    return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress


def _brotli() -> Decoder:
    return brotli.Decompressor().process


def decoder_factory(content_encoding: str) -> Callable[[], Decoder] | None:
    """What makes a decoder for the header value, None for identity; raises
    UnsupportedEncoding. (A call makes its decoder only when it reads raw chunks: most bodies
    are read decoded by httpx, see `streams.DecodedTee`, and a zlib decoder costs 3 k
    instructions to make.)"""
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return _gzip
    if encoding == "deflate":
        return _Deflate
    if encoding == "br" and brotli is not None:
        return _brotli
    if encoding == "zstd" and ZstdDecompressor is not None:
        return _Zstd
    raise UnsupportedEncoding(encoding)


def decoder_for(content_encoding: str) -> Decoder | None:
    """A decoder for the header value, None for identity; raises UnsupportedEncoding."""
    factory = decoder_factory(content_encoding)
    return None if factory is None else factory()
