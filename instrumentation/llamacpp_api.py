"""llama.cpp's server's own completion API: `POST /completion`.

(Its OpenAI-compatible `/v1/...` API is `openai_api`'s.) The body is `{"prompt": ..., "n_predict":
...}`, naming no model. The answer, whole or as the last SSE event of a stream (the one with
`"stop": true`; no `[DONE]`), has `tokens_evaluated` (the prompt's tokens, cached ones included),
`tokens_predicted` (output), `stop_type` (`eos`, `limit`, `word`) and `model` (its alias, or
`gpt-3.5-turbo` without one: never taken to name a provider). A POST on a path this generic
is a call only when its body has a `"prompt"` (`Api.body_marker`).
"""

from __future__ import annotations

import re
from typing import Any

from .api import Api
from .usage import Observed, Usage, count, text

FAMILY = "llama_cpp"


class Completion(Api):
    family = FAMILY
    operation = "text_completion"
    body_marker = b'"prompt"'
    sse_marker = re.compile(rb'"stop"\s*:\s*true')
    """Matches the stream's last event, the one with the counts."""

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if not isinstance(document, dict) or document.get("stop") is not True:
            return
        seen.response_model = seen.response_model or text(document, "model")
        reason = text(document, "stop_type")
        if reason:
            seen.finish_reasons = [reason]
        seen.raw_usage = document
        seen.usage_final = True

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        input_tokens = count(raw, "tokens_evaluated")
        if input_tokens is None:
            return None
        return Usage(input_tokens=input_tokens, output_tokens=count(raw, "tokens_predicted"))


COMPLETION = Completion()
