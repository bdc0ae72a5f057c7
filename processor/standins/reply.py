"""The answer a provider module gives the server to write: a JSON body or a stream of pieces."""

from __future__ import annotations

from dataclasses import dataclass, field

from .plan import dumps


@dataclass
class Reply:
    status: int = 200
    body: bytes | None = None
    """A complete body, sent with Content-Length."""
    pieces: list[bytes] | None = None
    """A streamed body, each piece flushed as one HTTP chunk."""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    cut: bool = False
    """Drop the connection after half the pieces, without ending the chunked body."""
    compressible: bool = True
    """False for a body the provider never compresses (Bedrock's event streams)."""


def json_reply(document: object, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status=status, body=dumps(document), headers=headers or {})


def sse_event(data: object, event: str | None = None) -> bytes:
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + (data if isinstance(data, bytes) else dumps(data)) + b"\n\n"


def sse_reply(
    pieces: list[bytes], cut: bool = False, headers: dict[str, str] | None = None
) -> Reply:
    return Reply(
        pieces=pieces,
        content_type="text/event-stream; charset=utf-8",
        cut=cut,
        headers=headers or {},
    )
