"""Voyage AI and Jina AI: embeddings (`POST /v1/embeddings`) and rerank (`POST /v1/rerank`);
Voyage's contextualized (`/v1/contextualizedembeddings`) and multimodal
(`/v1/multimodalembeddings`) embeddings.

Both bill per token and report one count, `usage.total_tokens` (Jina's embeddings add an equal
`prompt_tokens`); both name the model. Voyage lists results in `data`, Jina in `results`.
Voyage's multimodal usage splits `text_tokens` (the plan's input tokens) and `image_pixels`
(each image content item is a 1000 × 1000 image here), and counts every 560 pixels as a token
in its `total_tokens`. Errors are FastAPI's `{"detail": ...}` on both.
"""

from __future__ import annotations

from typing import Any

from .plan import Plan
from .reply import Reply, json_reply

DIMENSIONS = 4
PIXELS_PER_IMAGE = 1_000_000


def error(status: int) -> Reply:
    return json_reply({"detail": f"Stand-in error {status}."}, status)


def handle_voyage(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    return _handle(path, body, plan, jina=False)


def handle_jina(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    return _handle(path, body, plan, jina=True)


def _handle(path: str, body: dict[str, Any], plan: Plan, jina: bool) -> Reply:
    if plan.fail and plan.fail != "cut":
        return error(int(plan.fail))
    route = path.split("?", 1)[0]
    model = str(body.get("model", ""))
    usage: dict[str, int] = {"total_tokens": plan.input_tokens}
    vector = [0.125 * (i + 1) for i in range(DIMENSIONS)]
    if route.endswith("/contextualizedembeddings"):
        documents = [
            {
                "object": "list",
                "data": [
                    {"object": "embedding", "embedding": vector, "index": index}
                    for index in range(len(chunks))
                ],
                "index": number,
            }
            for number, chunks in enumerate(body.get("inputs") or [])
        ]
        return json_reply({"object": "list", "data": documents, "model": model, "usage": usage})
    if route.endswith("/multimodalembeddings"):
        inputs = body.get("inputs") or []
        images = sum(
            1
            for item in inputs
            for content in item.get("content") or []
            if str(content.get("type", "")).startswith("image")
        )
        pixels = images * PIXELS_PER_IMAGE
        usage = {
            "text_tokens": plan.input_tokens,
            "image_pixels": pixels,
            "total_tokens": plan.input_tokens + pixels // 560,
        }
        data = [
            {"object": "embedding", "embedding": vector, "index": index}
            for index in range(len(inputs))
        ]
        return json_reply({"object": "list", "data": data, "model": model, "usage": usage})
    if route.endswith("/embeddings"):
        texts = body.get("input") or []
        texts = [texts] if isinstance(texts, str) else texts
        data = [
            {"object": "embedding", "embedding": vector, "index": index}
            for index in range(len(texts))
        ]
        if jina:
            usage["prompt_tokens"] = plan.input_tokens
        return json_reply({"object": "list", "data": data, "model": model, "usage": usage})
    if route.endswith("/rerank"):
        documents = body.get("documents") or []
        top = body.get("top_k") or body.get("top_n") or len(documents)
        results = [
            {"index": index, "relevance_score": round(1 / (index + 1), 6)}
            for index in range(min(top, len(documents)))
        ]
        if jina:
            return json_reply({"model": model, "usage": usage, "results": results})
        return json_reply({"object": "list", "data": results, "model": model, "usage": usage})
    return error(404)
