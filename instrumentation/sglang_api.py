"""SGLang's native generation API: `POST /generate` (https://docs.sglang.io, native APIs).

(Its OpenAI-compatible `/v1/...` API is `openai_api`'s.) The body is `{"text": ...,
"sampling_params": {...}, "stream": ...}`, naming no model, on the path TGI's `/generate`
has: a body with `"sampling_params"` (and no `"inputs"`, TGI's) is SGLang's. A body without
sampling parameters is not told from another app's POST and is left alone. The answer is
`{"text", "meta_info": {"prompt_tokens", "completion_tokens", "cached_tokens",
"finish_reason": {"type": "length", ...}}}` (a list of them for a batch of prompts, whose
calls are left usage-missing); streamed, SSE events with the running counts in `meta_info`,
the last with a `finish_reason`, then `[DONE]`.
"""

from __future__ import annotations

import re
from typing import Any

from .api import Api
from .usage import Observed, Usage, count

FAMILY = "sglang"


class Generate(Api):
    family = FAMILY
    operation = "text_completion"
    body_marker = b'"sampling_params"'
    sse_marker = re.compile(rb'"finish_reason"\s*:\s*\{')
    """Matches the stream's last event, the one with the final counts."""

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        meta = document.get("meta_info") if isinstance(document, dict) else None
        if not isinstance(meta, dict) or not isinstance(meta.get("finish_reason"), dict):
            return  # a running count; or a batch's list (left usage-missing), or not SGLang's
        reason = meta["finish_reason"].get("type")
        if isinstance(reason, str):
            seen.finish_reasons = [reason]
        seen.raw_usage = meta
        seen.usage_final = True

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        input_tokens = count(raw, "prompt_tokens")
        if input_tokens is None:
            return None
        return Usage(input_tokens=input_tokens, output_tokens=count(raw, "completion_tokens"))


GENERATE = Generate()
