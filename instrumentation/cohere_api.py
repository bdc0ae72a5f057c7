"""Cohere's APIs: v2 chat (`/v2/chat`), v1 chat (`/v1/chat`), embed (`/v1/embed`, `/v2/embed`)
and rerank (`/v1/rerank`, `/v2/rerank`, a shape Voyage, Jina, Together and OpenRouter serve too).

v2 chat reports usage as `usage.billed_units` (what Cohere charges) with `usage.tokens` (what
the model processed) as the fallback, and `usage.cached_tokens` as cache reads; a stream sends
it in the `message-end` event. Every other Cohere endpoint (v1 chat, embed and rerank, v1 or v2)
reports the same two objects under `meta` (`meta.billed_units`, `meta.tokens`). The v1 chat
stream is NDJSON (`application/stream+json`), its last line the `stream-end` event, which
holds the whole response, `meta` included. Rerank is billed per search unit
(`meta.billed_units.search_units`: a query with up to 100 documents is one), which is recorded
as `tokentrace.usage.rerank_searches` (genai-prices' unit name), not as tokens; the others that
serve the shape bill it per token (`usage.total_tokens`, or Together's `usage.prompt_tokens`).
Cohere's responses do not name the model.
"""

from __future__ import annotations

import re
from typing import Any

from .api import Api
from .usage import Observed, Usage, count, text

RERANK_SEARCHES = "tokentrace.usage.rerank_searches"
"""Rerank search units (Cohere bills $2.00 per 1,000 for rerank-v3.5): a count billed in a unit
other than tokens, named after genai-prices' `rerank_searches` unit."""


def _tokens(raw: dict[str, Any], key: str) -> int | None:
    """`billed_units[key]`, else `tokens[key]`: what Cohere charges, else what it processed."""
    found = count(raw, "billed_units", key)
    return count(raw, "tokens", key) if found is None else found


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
        input_tokens = _tokens(raw, "input_tokens")
        if input_tokens is None:
            return None
        return Usage(
            input_tokens=input_tokens,
            output_tokens=_tokens(raw, "output_tokens"),
            cache_read_tokens=count(raw, "cached_tokens"),
        )


class _Meta(Api):
    """The Cohere endpoints whose response reports usage in `meta`."""

    family = "cohere"

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if not isinstance(document, dict):
            return
        seen.response_id = seen.response_id or text(document, "id")
        meta = document.get("meta")
        if isinstance(meta, dict):
            seen.raw_usage = meta
            seen.usage_final = True


class ChatV1(_Meta):
    """`/v1/chat` (the cohere SDK's `Client.chat` and `chat_stream`)."""

    operation = "chat"
    sse_marker = re.compile(rb'"event_type"\s*:\s*"stream-end"')

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if not isinstance(document, dict):
            return
        if document.get("event_type") == "stream-end":
            reason = text(document, "finish_reason")
            document = document.get("response")
            if not isinstance(document, dict):
                return
        else:
            reason = text(document, "finish_reason")
        seen.response_id = seen.response_id or text(document, "response_id")
        if reason is not None:
            seen.finish_reasons = [reason]
        super().observe(document, seen, streaming)

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        input_tokens = _tokens(raw, "input_tokens")
        if input_tokens is None:
            return None
        return Usage(input_tokens=input_tokens, output_tokens=_tokens(raw, "output_tokens"))


class Embed(_Meta):
    """`/v1/embed` and `/v2/embed`: input tokens only. A request that embedded images is
    billed for them apart (Embed 4: $0.47 per million image tokens against $0.12 for text,
    https://cohere.com/pricing), and `billed_units` counts them as `images` beside the text's
    `input_tokens`, not in image tokens: such a call's usage is missing (cost unknown), never
    its text alone."""

    operation = "embeddings"

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        input_tokens = _tokens(raw, "input_tokens")
        if input_tokens is None or count(raw, "billed_units", "images"):
            return None
        return Usage(input_tokens=input_tokens)


class Rerank(_Meta):
    """`/rerank`: Cohere's search units in `meta`, or the tokens the others report in `usage`
    (Voyage and Jina `total_tokens`, Together `prompt_tokens`, OpenRouter both and its
    `search_units`)."""

    operation = "rerank"

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if not isinstance(document, dict):
            return
        seen.response_model = seen.response_model or text(document, "model")
        usage = document.get("usage")
        if isinstance(usage, dict):
            seen.response_id = seen.response_id or text(document, "id")
            seen.raw_usage = {"usage": usage}
            seen.usage_final = True
            return
        super().observe(document, seen, streaming)

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        usage = raw.get("usage")
        if isinstance(usage, dict):
            tokens = count(usage, "prompt_tokens")
            if tokens is None:
                tokens = count(usage, "total_tokens")
            searches = count(usage, "search_units")
        else:
            tokens = _tokens(raw, "input_tokens")
            searches = count(raw, "billed_units", "search_units")
        if tokens is None and searches is None:
            return None
        return Usage(
            input_tokens=tokens, by_modality={RERANK_SEARCHES: searches} if searches else {}
        )


CHAT = Chat()
CHAT_V1 = ChatV1()
EMBED = Embed()
RERANK = Rerank()
