"""The shape of one provider API: what its request and response bodies say about a call.

Each API module (`openai_api`, `anthropic_api`, `gemini_api`, `cohere_api`) subclasses `Api`.
The body parsers hand every decoded JSON document (a whole body, or one SSE event) to
`observe`; `sse_marker` lets the SSE parser skip, without decoding, the events that cannot
carry id, model, finish reason or usage, which is most of a stream.
"""

from __future__ import annotations

import re
from typing import Any

from .usage import Observed, Usage


class Api:
    operation: str
    """`gen_ai.operation.name` of calls to this API."""

    sse_marker: re.Pattern[bytes] = re.compile(rb"(?!)")
    """Matches the raw SSE events worth decoding; the first event is always decoded."""

    reads_request_body = True
    """False when `request_model` and `request_stream` need only the path, so routing skips
    decoding the request body (which grows with the prompt)."""

    def request_model(self, body: Any, path: str) -> str | None:
        model = body.get("model") if isinstance(body, dict) else None
        return model if isinstance(model, str) else None

    def request_stream(self, body: Any, path: str) -> bool:
        return isinstance(body, dict) and body.get("stream") is True

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        """Records what one decoded body or SSE event says about the call."""
        raise NotImplementedError

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        """The provider's usage object, normalised; None when it lacks the input count."""
        raise NotImplementedError
