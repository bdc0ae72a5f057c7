"""Google Gemini `generateContent` / `streamGenerateContent` (Gemini API and Vertex AI paths), and
Google's embeddings: `embedContent` / `batchEmbedContents` (Gemini embedding models, the
google-genai SDK's `embed_content`) and Vertex AI's `predict` for its text embedding models.

The model is in the path (`models/{model}:generateContent`). `promptTokenCount` already includes
`cachedContentTokenCount`; output is `candidatesTokenCount` plus `thoughtsTokenCount`. A stream
(SSE with `?alt=sse`, or one JSON array) repeats a running `usageMetadata` in every chunk: only
the chunk with a `finishReason` carries the final counts. The Google Search queries a grounded
answer ran (its candidates' `groundingMetadata.webSearchQueries`) are counted as
`tokentrace.usage.web_searches`: grounding bills a fee beyond a free allowance
(`pricing.rules.GEMINI_GROUNDING`).

`embedContent` / `batchEmbedContents` report `usageMetadata` as generation does, with input
counts only. Vertex AI's text embedding models (`text-embedding-005`,
`text-multilingual-embedding-002`, `gemini-embedding-001` through `predict`) report each input's
`embeddings.statistics.token_count` in `predictions`, and `metadata.billableCharacterCount`,
the characters Vertex bills the older models by (recorded as
`tokentrace.usage.input_characters`, genai-prices' unit name).
"""

from __future__ import annotations

import re
from typing import Any

from .api import Api
from .bodies import IMAGES_COUNTED
from .request_body import RequestFields
from .usage import OUTPUT_IMAGES, WEB_SEARCHES, Observed, Usage, count, text

INPUT_CHARACTERS = "tokentrace.usage.input_characters"
_SEARCHES = "tokentrace.web_searches"
"""Set, with the count of Google Search queries, in the usage object kept of a grounded answer."""

_MODALITIES = {"IMAGE": "image", "AUDIO": "audio", "VIDEO": "video"}
_DETAILS = (
    ("promptTokensDetails", "input", _MODALITIES),
    ("candidatesTokensDetails", "output", _MODALITIES),
    # The cached share of the prompt's modalities (implicit or explicit caching): cached audio
    # has a rate of its own (gemini-2.5-flash: $0.10 per million against $0.03 for text), and
    # without it the cache hits would all be counted as text, which the audio part of the
    # prompt, counted whole above, then contradicts. Cached video is billed as cached text.
    ("cacheTokensDetails", "cache_read.input", {"IMAGE": "image", "AUDIO": "audio"}),
)


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
        searches = 0
        candidates = document.get("candidates")
        if isinstance(candidates, list):
            for candidate in candidates:
                reason = text(candidate, "finishReason")
                if reason is not None:
                    seen.finish_reasons.append(reason)
                    finished = True
                if isinstance(candidate, dict) and "groundingMetadata" in candidate:
                    searches += _search_queries(candidate["groundingMetadata"])
        before = seen.raw_usage.get(_SEARCHES, 0) if isinstance(seen.raw_usage, dict) else 0
        searches = max(searches, before)  # a stream may name them before its last chunk
        usage = document.get("usageMetadata")
        if isinstance(usage, dict):
            # A copy when it is marked: the application's document stays as it came.
            seen.raw_usage = {**usage, _SEARCHES: searches} if searches else usage
            seen.usage_final = seen.usage_final or finished or not streaming
        elif searches and isinstance(seen.raw_usage, dict):
            seen.raw_usage = {**seen.raw_usage, _SEARCHES: searches}

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        prompt = count(raw, "promptTokenCount")
        if prompt is None:
            return None
        thoughts = count(raw, "thoughtsTokenCount")
        candidates = count(raw, "candidatesTokenCount")
        by_modality: dict[str, int] = {}
        for key, side, modalities in _DETAILS:
            for detail in raw.get(key) or ():
                modality = modalities.get(text(detail, "modality") or "")
                tokens = count(detail, "tokenCount")
                if modality and tokens:
                    by_modality[f"gen_ai.usage.{modality}.{side}_tokens"] = tokens
        if raw.get(_SEARCHES):
            by_modality[WEB_SEARCHES] = raw[_SEARCHES]
        return Usage(
            input_tokens=prompt + (count(raw, "toolUsePromptTokenCount") or 0),
            output_tokens=(candidates or 0) + (thoughts or 0),
            cache_read_tokens=count(raw, "cachedContentTokenCount"),
            reasoning_tokens=thoughts,
            by_modality=by_modality,
        )


def _search_queries(grounding: Any) -> int:
    """The Google Search queries a candidate's grounding ran (`webSearchQueries`)."""
    queries = grounding.get("webSearchQueries") if isinstance(grounding, dict) else None
    return len(queries) if isinstance(queries, list) else 0


class EmbedContent(GenerateContent):
    """`embedContent` / `batchEmbedContents`: `usageMetadata`, input only."""

    operation = "embeddings"

    def request_stream(self, fields: RequestFields, path: str) -> bool:
        return False

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        usage = super().usage(raw)
        if usage is not None:
            usage.output_tokens = usage.reasoning_tokens = None
        return usage


class PredictEmbeddings(EmbedContent):
    """Vertex AI's `predict` on a text embedding model: per-input token counts, summed, and
    the billable characters."""

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if not isinstance(document, dict) or not isinstance(document.get("predictions"), list):
            return
        tokens = 0
        for prediction in document["predictions"]:
            embeddings = prediction.get("embeddings") if isinstance(prediction, dict) else None
            statistics = embeddings.get("statistics") if isinstance(embeddings, dict) else None
            value = statistics.get("token_count") if isinstance(statistics, dict) else None
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                return  # a count missing: the usage is not known
            tokens += int(value)
        seen.raw_usage = {"tokens": tokens, "metadata": document.get("metadata")}
        seen.usage_final = True

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        characters = count(raw, "metadata", "billableCharacterCount")
        return Usage(
            input_tokens=raw["tokens"],
            by_modality={INPUT_CHARACTERS: characters} if characters is not None else {},
        )


class PredictImages(EmbedContent):
    """`predict` on an Imagen model (the google-genai SDK's `generate_images`, on the Gemini API
    and Vertex AI): billed per image generated (imagen-4.0-generate-001: $0.04 an image,
    https://ai.google.dev/gemini-api/docs/pricing), so the images are counted, as
    `tokentrace.usage.output_images`: the predictions that carry one (`bytesBase64Encoded`, or
    `gcsUri` when written to Cloud Storage; an image filtered out by Responsible AI is not
    billed and has neither). A body too large to keep is counted as it goes by
    (`bodies.IMAGES_COUNTED`). No token counts."""

    operation = "image_generation"

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if not isinstance(document, dict):
            return
        images = document.get(IMAGES_COUNTED)
        predictions = document.get("predictions")
        if isinstance(predictions, list):
            images = sum(
                1
                for prediction in predictions
                if isinstance(prediction, dict)
                and ("bytesBase64Encoded" in prediction or "gcsUri" in prediction)
            )
        if isinstance(images, int):
            seen.raw_usage = {"images": images}
            seen.usage_final = True

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        return Usage(input_tokens=None, by_modality={OUTPUT_IMAGES: raw["images"]})


GENERATE_CONTENT = GenerateContent()
EMBED_CONTENT = EmbedContent()
PREDICT_EMBEDDINGS = PredictEmbeddings()
PREDICT_IMAGES = PredictImages()
OTHER_METHODS = (":embedContent", ":batchEmbedContents", ":predict")
"""The path suffixes of `api_for` (routing tries them after the common APIs)."""


def api_for(path: str) -> Api | None:
    """The API of a path ending in one of `OTHER_METHODS`. `predict` serves every Vertex AI
    model (custom endpoints too): only an embedding model's and Imagen's are metered here."""
    if not path.endswith(":predict"):
        return EMBED_CONTENT
    model = path.rsplit("/", 1)[-1]
    if "embedding" in model or "gecko" in model:
        return PREDICT_EMBEDDINGS
    return PREDICT_IMAGES if model.startswith("imagen") else None
