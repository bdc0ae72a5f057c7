"""SGLang's native generation API: `POST /generate` (https://docs.sglang.io, native APIs).

(Its OpenAI-compatible `/v1/...` API is `openai_api`'s.) The body is `{"text": ...,
"sampling_params": {...}, "stream": ...}`, naming no model, on the path TGI's `/generate`
has: a body with `"sampling_params"` (and no `"inputs"`, TGI's) is SGLang's. A body without
sampling parameters (`{"text"}` alone) is not told from another app's POST: it is SGLang's on
a base URL mapped as `sglang` or on SGLang's default port on loopback, and elsewhere left
alone and said once per URL (`routing._sglang_unsampled`). The answer is
`{"text", "meta_info": {"prompt_tokens", "completion_tokens", "cached_tokens",
"finish_reason": {"type": "length", ...}}}`, or a list of them for a batch of prompts (one
call: its counts are the sum of the elements', each final, i.e. with a `finish_reason`);
streamed, SSE events with the running counts in `meta_info`, the last with a
`finish_reason`, then `[DONE]`; a streamed batch interleaves its prompts' events, each
naming its prompt's `index`, and is one call whose counts are the sum of each prompt's final
event's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .api import Api
from .usage import Observed, Usage, count

FAMILY = "sglang"
_ELEMENTS = "tokentrace.elements"
"""A streamed batch's prompts in its `raw_usage`: index -> final `meta_info`, None until it
comes (`Generate._observe_batch_event`)."""


class Generate(Api):
    family = FAMILY
    operation = "text_completion"
    body_marker = b'"sampling_params"'
    sse_marker = re.compile(rb'"finish_reason"\s*:\s*\{')
    """Matches the stream's last event, the one with the final counts."""

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if isinstance(document, list) and not streaming:
            self._observe_batch(document, seen)
            return
        if streaming and isinstance(document, dict) and "index" in document:
            self._observe_batch_event(document, seen)
            return
        meta = _final_meta(document)
        if meta is None:
            return  # a running count, or not SGLang's
        reason = meta["finish_reason"].get("type")
        if isinstance(reason, str):
            seen.finish_reasons = [reason]
        seen.raw_usage = meta
        seen.usage_final = True

    def _observe_batch(self, answers: list[Any], seen: Observed) -> None:
        """A batch's answer: its counts summed when every element's are final (else it stays
        usage-missing: a partial sum would read as an exact, too low count)."""
        if not answers:
            return
        total: dict[str, Any] = {"prompt_tokens": 0, "completion_tokens": 0}
        reasons = _summed((_final_meta(answer) for answer in answers), total)
        if reasons is None:
            return
        seen.finish_reasons = reasons
        seen.raw_usage = total
        seen.usage_final = True

    def _observe_batch_event(self, document: dict[str, Any], seen: Observed) -> None:
        """One event of a streamed batch: SGLang interleaves the prompts' events, each with
        the prompt's `index`, and each prompt's last one has its final counts. The call's are
        the sum over the prompts, once every prompt seen has sent its final event (the last
        event alone is one prompt's: it was taken for the whole call's)."""
        raw = seen.raw_usage
        elements = raw.get(_ELEMENTS) if raw is not None else None
        if elements is None:
            elements = {}
        index = document["index"]
        meta = _final_meta(document)
        if meta is None:
            elements.setdefault(index, None)
        else:
            elements[index] = meta
        total: dict[str, Any] = {"prompt_tokens": 0, "completion_tokens": 0, _ELEMENTS: elements}
        seen.raw_usage = total
        seen.usage_final = False
        reasons = _summed(elements.values(), total)
        if reasons is None:
            return
        seen.finish_reasons = reasons
        seen.usage_final = True

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        input_tokens = count(raw, "prompt_tokens")
        if input_tokens is None:
            return None
        return Usage(input_tokens=input_tokens, output_tokens=count(raw, "completion_tokens"))


def _summed(finals: Iterable[dict[str, Any] | None], total: dict[str, Any]) -> list[str] | None:
    """Adds each prompt's final counts to `total` and gives their finish reasons; None as soon
    as a prompt has no final event or count yet (a partial sum would read as exact). A batch's
    answer and a streamed batch's events both end here."""
    reasons = []
    for final in finals:
        if final is None:
            return None
        for key in ("prompt_tokens", "completion_tokens"):
            value = count(final, key)
            if value is None:
                return None
            total[key] += value
        reason = final["finish_reason"].get("type")
        if isinstance(reason, str):
            reasons.append(reason)
    return reasons


def _final_meta(document: Any) -> dict[str, Any] | None:
    """An answer's `meta_info` once final (it names a `finish_reason`), else None."""
    meta = document.get("meta_info") if isinstance(document, dict) else None
    if isinstance(meta, dict) and isinstance(meta.get("finish_reason"), dict):
        return meta
    return None


GENERATE = Generate()
