"""Google Gemini `generateContent` / `streamGenerateContent` (Gemini API and Vertex AI paths).

The model is in the path (`models/{model}:generateContent`). `promptTokenCount` already includes
`cachedContentTokenCount`; output is `candidatesTokenCount` plus `thoughtsTokenCount`. A stream
(SSE with `?alt=sse`, or one JSON array) repeats a running `usageMetadata` in every chunk: only
the chunk with a `finishReason` carries the final counts.
"""

from __future__ import annotations

import re
from typing import Any

from .api import Api
from .request_body import RequestFields
from .usage import Observed, Usage, count, text

_MODALITIES = {"IMAGE": "image", "AUDIO": "audio", "VIDEO": "video"}


class GenerateContent(Api):
    operation = "generate_content"
    family = "gemini"
    sse_marker = re.compile(rb'"finishReason"')
    reads_request_body = False

    def request_model(self, fields: RequestFields, path: str) -> str | None:
        last = path.rsplit("/", 1)[-1]
        return last.split(":", 1)[0] or None

    def request_stream(self, fields: RequestFields, path: str) -> bool:
        return path.endswith(":streamGenerateContent")

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if isinstance(document, list):
            for item in document:
                self.observe(item, seen, streaming)
            return
        if not isinstance(document, dict):
            return
        seen.response_id = seen.response_id or text(document, "responseId")
        seen.response_model = seen.response_model or text(document, "modelVersion")
        finished = False
        candidates = document.get("candidates")
        if isinstance(candidates, list):
            for candidate in candidates:
                reason = text(candidate, "finishReason")
                if reason is not None:
                    seen.finish_reasons.append(reason)
                    finished = True
        usage = document.get("usageMetadata")
        if isinstance(usage, dict):
            seen.raw_usage = usage
            seen.usage_final = seen.usage_final or finished or not streaming

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        prompt = count(raw, "promptTokenCount")
        if prompt is None:
            return None
        thoughts = count(raw, "thoughtsTokenCount")
        candidates = count(raw, "candidatesTokenCount")
        by_modality: dict[str, int] = {}
        for key, side in (("promptTokensDetails", "input"), ("candidatesTokensDetails", "output")):
            for detail in raw.get(key) or ():
                modality = _MODALITIES.get(text(detail, "modality") or "")
                tokens = count(detail, "tokenCount")
                if modality and tokens:
                    by_modality[f"gen_ai.usage.{modality}.{side}_tokens"] = tokens
        return Usage(
            input_tokens=prompt + (count(raw, "toolUsePromptTokenCount") or 0),
            output_tokens=(candidates or 0) + (thoughts or 0),
            cache_read_tokens=count(raw, "cachedContentTokenCount"),
            reasoning_tokens=thoughts,
            by_modality=by_modality,
        )


GENERATE_CONTENT = GenerateContent()
