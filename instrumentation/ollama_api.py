"""Ollama's native API: `/api/chat`, `/api/generate`, `/api/embed` and `/api/embeddings`.

(Ollama's OpenAI-compatible `/v1` API is `openai_api`'s.) Usage is `prompt_eval_count` (input)
and `eval_count` (output) in the response object, or, streamed, in the last NDJSON line, the
one with `"done": true` (with `done_reason`). `/api/embed` answers one object with
`prompt_eval_count` only and no `done` (from the tail of a body too large to keep whole, as
OpenAI's `usage` is). The legacy `/api/embeddings` (one `prompt`, answered with one
`embedding`) reports no count at all: its calls are metered with their usage missing (it was
read as OpenAI's `/embeddings`, of provider `unknown`). The server writes both counts with
Go's `omitempty`, so a finished response that lacks one of them reports 0 there; one that lacks
both has no usage (`tokentrace.usage.missing`). Streaming is the default when the body does not say
`"stream": false`: a streamed response is recognised by its `application/x-ndjson` content type
(`LLMCall.on_response`). Responses name the model but carry no id.
"""

from __future__ import annotations

import re
from typing import Any

from .api import Api
from .usage import Observed, Usage, count, text


class Native(Api):
    family = "ollama"
    sse_marker = re.compile(rb'"(?:done"\s*:\s*true|error"\s*:)')
    """Matches the NDJSON lines worth decoding (`bodies.NdjsonParser`): the last one, which
    carries the usage, and an error reported inside the stream."""

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self._embeddings = operation == "embeddings"

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if not isinstance(document, dict):
            return
        seen.response_model = seen.response_model or text(document, "model")
        if isinstance(document.get("error"), str):
            seen.error_type = "error"  # Ollama's errors are a message, without a type
            return
        if document.get("done") is True or (
            # A body too large to keep is summed up from its tail (`bodies._tail_summary`),
            # which has the count but not the vectors.
            self._embeddings and ("embeddings" in document or "prompt_eval_count" in document)
        ):
            reason = text(document, "done_reason")
            if reason is not None:
                seen.finish_reasons = [reason]
            seen.raw_usage = document
            seen.usage_final = True

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        input_tokens = count(raw, "prompt_eval_count")
        output_tokens = None if self._embeddings else count(raw, "eval_count")
        if input_tokens is None and output_tokens is None:
            return None
        return Usage(
            input_tokens=input_tokens or 0,
            output_tokens=None if self._embeddings else output_tokens or 0,
        )


class LegacyEmbed(Native):
    body_marker = b'"prompt"'
    """Ollama's legacy `/api/embeddings` takes one `prompt`; an OpenAI-shaped server on the
    same path (Open WebUI's) takes OpenAI's `input` and answers with OpenAI's `usage`, and is
    read as OpenAI's embeddings (`routing._SAME_PATH`)."""

    def __init__(self) -> None:
        super().__init__("embeddings")


CHAT = Native("chat")
GENERATE = Native("text_completion")
EMBED = Native("embeddings")
LEGACY_EMBED = LegacyEmbed()
