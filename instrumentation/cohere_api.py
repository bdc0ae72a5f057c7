"""Cohere v2 chat (`/v2/chat`).

Usage is `usage.billed_units` (what Cohere charges) with `usage.tokens` (what the model
processed) as the fallback, and `usage.cached_tokens` as cache reads. A stream sends it in the
`message-end` event. Cohere's responses do not name the model.
"""

from __future__ import annotations

import re
from typing import Any

from .api import Api
from .usage import Observed, Usage, count, text


class Chat(Api):
    operation = "chat"
    family = "cohere"
    sse_marker = re.compile(rb'"type"\s*:\s*"message-end"')

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if not isinstance(document, dict):
            return
        seen.response_id = seen.response_id or text(document, "id")
        body = document.get("delta") if document.get("type") == "message-end" else document
        if not isinstance(body, dict):
            return
        reason = text(body, "finish_reason")
        if reason is not None:
            seen.finish_reasons = [reason]
        usage = body.get("usage")
        if isinstance(usage, dict):
            seen.raw_usage = usage
            seen.usage_final = True

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        billed = raw.get("billed_units") if isinstance(raw.get("billed_units"), dict) else {}
        tokens = raw.get("tokens") if isinstance(raw.get("tokens"), dict) else {}
        input_tokens = count(billed, "input_tokens")
        if input_tokens is None:
            input_tokens = count(tokens, "input_tokens")
        if input_tokens is None:
            return None
        output_tokens = count(billed, "output_tokens")
        if output_tokens is None:
            output_tokens = count(tokens, "output_tokens")
        return Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=count(raw, "cached_tokens"),
        )


CHAT = Chat()
