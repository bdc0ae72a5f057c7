"""Mistral's OCR API (`POST /v1/ocr`, the mistralai SDK's `ocr.process`).

It answers one page object per page (markdown, images, dimensions), the model, a
`document_annotation` (a JSON string when `document_annotation_format` asked for one, else
null) and `usage_info` with `pages_processed` (here the plan's input count: the usage header's
`input`) and `doc_size_bytes`. Errors are the OpenAI-style ones Mistral sends elsewhere.
"""

from __future__ import annotations

from typing import Any

from .openai import error
from .plan import Plan
from .reply import Reply, json_reply


def handle(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    if plan.fail and plan.fail != "cut":
        return error(int(plan.fail))
    pages = [
        {
            "index": index,
            "markdown": f"# Page {index + 1}\n\n{plan.text}",
            "images": [],
            "dimensions": {"dpi": 200, "height": 2200, "width": 1700},
        }
        for index in range(plan.input_tokens)
    ]
    annotation = '{"title": "Stand-in"}' if body.get("document_annotation_format") else None
    return json_reply(
        {
            "pages": pages,
            "model": str(body.get("model", "mistral-ocr-latest")),
            "document_annotation": annotation,
            "usage_info": {"pages_processed": plan.input_tokens, "doc_size_bytes": 3072},
        }
    )
