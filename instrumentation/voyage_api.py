"""Voyage AI's embedding APIs beside `/v1/embeddings` (which is OpenAI's shape, `openai_api`):
`/v1/contextualizedembeddings` (voyage-context-3, chunks embedded in their document's context)
and `/v1/multimodalembeddings` (voyage-multimodal-3: text, images and video frames).

Both name the model and report `usage.total_tokens`; the multimodal one splits it, and bills
text tokens ($0.12 per million for voyage-multimodal-3) and image pixels ($0.60 per billion)
apart (https://docs.voyageai.com/docs/pricing): its `usage.text_tokens` are the input tokens
and `usage.image_pixels` are recorded as `tokentrace.usage.input_pixels` (genai-prices' unit
name). Their total counts the pixels again as tokens, so it is not the billed input.
"""

from __future__ import annotations

from typing import Any

from .api import Api
from .usage import Observed, Usage, count, text

INPUT_PIXELS = "tokentrace.usage.input_pixels"


class Embeddings(Api):
    operation = "embeddings"
    family = "voyage"

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if not isinstance(document, dict):
            return
        seen.response_model = seen.response_model or text(document, "model")
        usage = document.get("usage")
        if isinstance(usage, dict):
            seen.raw_usage = usage
            seen.usage_final = True

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        pixels = count(raw, "image_pixels")
        tokens = count(raw, "text_tokens") if pixels is not None else None
        if tokens is None:
            tokens = count(raw, "total_tokens")
        if tokens is None:
            return None
        return Usage(input_tokens=tokens, by_modality={INPUT_PIXELS: pixels} if pixels else {})


EMBEDDINGS = Embeddings()
