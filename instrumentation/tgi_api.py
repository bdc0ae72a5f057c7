"""Hugging Face Text Generation Inference's own API: `POST /generate` and `/generate_stream`.

(Its OpenAI-compatible `/v1/chat/completions` is `openai_api`'s.) The body is `{"inputs": ...,
"parameters": {...}}`, naming no model. `/generate` answers `{"generated_text": ...}` (with
`details` only when asked) and its counts in headers, `x-prompt-tokens` and
`x-generated-tokens`; `/generate_stream` is SSE whose last event carries `generated_text` and
`details` with `input_length`, `generated_tokens` and `finish_reason`
(text-generation-inference's `router/src/server.rs`, huggingface_hub's
`TextGenerationStreamOutputStreamDetails`); `POST /` is either, as the body's `stream` says
(where huggingface_hub's `InferenceClient(base_url=...)` posts). A POST on a path this generic
is a call only when its body has `"inputs"` (`Api.body_marker`). Text Embeddings Inference
takes the same body on `/`: its answer's headers make such a call TEI's (`tei_api`).
"""

from __future__ import annotations

import re
from typing import Any

from . import tei_api
from .api import Api
from .headers import Entries
from .request_body import RequestFields
from .usage import Observed, Usage, count, text

FAMILY = "tgi"
HEADERS = {b"x-prompt-tokens": "input_length", b"x-generated-tokens": "generated_tokens"}
"""`/generate`'s count headers, as `headers.entries` gives their names, by `details`' names."""
NOTED_HEADERS = frozenset(HEADERS) | {tei_api.TOKENS_HEADER}
"""The response headers `observe_headers` reads: TGI's counts, and TEI's on `POST /`."""


class Generate(Api):
    family = FAMILY
    operation = "text_completion"
    body_marker = b'"inputs"'
    sse_marker = re.compile(rb'"generated_text"\s*:\s*"')
    """Matches the stream's last event (the others have `"generated_text": null`)."""

    def __init__(self, stream: bool | None) -> None:
        self._stream = stream

    def request_stream(self, fields: RequestFields, path: str) -> bool:
        return fields.stream if self._stream is None else self._stream

    def observe_headers(self, found: Entries, seen: Observed) -> None:
        counts = {}
        for _, name, value in found:
            key = HEADERS.get(name)
            if key is not None and value.strip().isdigit():
                counts[key] = int(value)
        if "input_length" in counts:
            seen.raw_usage = counts
            seen.usage_final = True
        elif self._stream is None:
            tei_api.answered(found, seen)  # `POST /` on a Text Embeddings Inference server

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        details = document.get("details") if isinstance(document, dict) else None
        if not isinstance(details, dict):
            return
        reason = text(details, "finish_reason")
        if reason:
            seen.finish_reasons = [reason]
        if "input_length" in details:  # a stream's last event; `/generate`'s has none
            seen.raw_usage = details
            seen.usage_final = True

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        input_tokens = count(raw, "input_length")
        if input_tokens is None:
            return tei_api.usage(raw) if self._stream is None else None
        return Usage(input_tokens=input_tokens, output_tokens=count(raw, "generated_tokens"))


GENERATE = Generate(stream=False)
GENERATE_STREAM = Generate(stream=True)
COMPAT = Generate(stream=None)
"""TGI's `POST /`, where huggingface_hub's `InferenceClient(base_url=...).text_generation`
posts: `/generate` (its answer in a list) or, for `"stream": true`, `/generate_stream`."""
