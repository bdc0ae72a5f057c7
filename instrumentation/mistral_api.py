"""Mistral's OCR API (`/v1/ocr`, the mistralai SDK's `ocr.process`): billed per page, not per
token (mistral-ocr-2505: $1 per 1,000 pages, $3 per 1,000 annotated pages;
https://mistral.ai/pricing#api-pricing).

The response names the model and reports `usage_info.pages_processed`, recorded as
`tokentrace.usage.input_document_pages`, or, when the request asked for annotations
(`document_annotation_format`, `bbox_annotation_format`), also as
`tokentrace.usage.input_annotated_document_pages` (genai-prices' unit names: annotated pages
refine pages, and are billed at their own rate). Token counts: none.
"""

from __future__ import annotations

from typing import Any

from .api import Api
from .usage import Observed, Usage, count, text

INPUT_DOCUMENT_PAGES = "tokentrace.usage.input_document_pages"
INPUT_ANNOTATED_DOCUMENT_PAGES = "tokentrace.usage.input_annotated_document_pages"


class Ocr(Api):
    operation = "ocr"
    family = "mistral"

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if not isinstance(document, dict):
            return
        seen.response_model = seen.response_model or text(document, "model")
        usage = document.get("usage_info")
        if isinstance(usage, dict):
            annotated = document.get("document_annotation") is not None or any(
                isinstance(page, dict)
                and any(
                    isinstance(image, dict) and image.get("image_annotation") is not None
                    for image in page.get("images") or ()
                )
                for page in document.get("pages") or ()
            )
            seen.raw_usage = {**usage, "annotated": annotated}
            seen.usage_final = True

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        pages = count(raw, "pages_processed")
        if pages is None:
            return None
        by_unit = {INPUT_DOCUMENT_PAGES: pages}
        if raw.get("annotated"):
            by_unit[INPUT_ANNOTATED_DOCUMENT_PAGES] = pages
        return Usage(input_tokens=None, by_modality=by_unit)


OCR = Ocr()
