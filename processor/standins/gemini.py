"""Google Gemini `models/{model}:generateContent` and `:streamGenerateContent`.

Streams are SSE with `?alt=sse` (events end in `\\r\\n\\r\\n`, as Google sends them) or, without
it, one JSON array written element by element. Every stream chunk repeats a running
`usageMetadata`; the last one carries the `finishReason` and the final counts.
`promptTokenCount` includes `cachedContentTokenCount`; `thoughtsTokenCount` is separate from
`candidatesTokenCount`. Counts are split by modality (`promptTokensDetails`, and for an
implicit or explicit cache hit `cacheTokensDetails`, whose tokens are among the prompt's).

Embeddings: `:batchEmbedContents` (the Gemini API; one embedding per request) and
`:embedContent` (Vertex AI's Gemini embedding models) answer a `usageMetadata` of input counts;
`:predict` (Vertex AI's text embedding models) answers one prediction per instance with its
`statistics.token_count` (the plan's input tokens spread over the instances, the remainder on
the first) and `metadata.billableCharacterCount` (the instances' characters). Imagen's
`:predict` answers `parameters.sampleCount` images (4 by default), each `IMAGE_BASE64_BYTES` of
base64 (two are over the instrumentation's JSON limit, as real images are), and no usage.
"""

from __future__ import annotations

import itertools
from typing import Any

from .plan import Plan, dumps
from .reply import Reply, json_reply

_ids = itertools.count(1)
_STATUSES = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def error(status: int) -> Reply:
    document = {
        "error": {
            "code": status,
            "message": f"Stand-in error {status}.",
            "status": _STATUSES.get(status, "UNKNOWN"),
        }
    }
    return json_reply(document, status)


def usage_metadata(plan: Plan, output_tokens: int | None) -> dict[str, Any]:
    visible = None if output_tokens is None else output_tokens - plan.reasoning
    document: dict[str, Any] = {"promptTokenCount": plan.input_tokens}
    if visible is not None:
        document["candidatesTokenCount"] = visible
    total = plan.input_tokens + (output_tokens or 0)
    document["totalTokenCount"] = total
    if plan.cache_read:
        document["cachedContentTokenCount"] = plan.cache_read
    document["promptTokensDetails"] = _by_modality(plan.input_tokens, plan.audio_input)
    if plan.cache_read:
        document["cacheTokensDetails"] = _by_modality(plan.cache_read, plan.audio_cache_read)
    if plan.audio_output and visible is not None:
        document["candidatesTokensDetails"] = [{"modality": "AUDIO", "tokenCount": visible}]
    if plan.reasoning and output_tokens is not None:
        document["thoughtsTokenCount"] = plan.reasoning
    return document


def _by_modality(tokens: int, audio: int) -> list[dict[str, Any]]:
    """A `*TokensDetails` list: the text tokens, then the audio ones when there are any."""
    details = [{"modality": "TEXT", "tokenCount": tokens - audio}]
    if audio:
        details.append({"modality": "AUDIO", "tokenCount": audio})
    return details


def handle(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    if plan.fail and plan.fail != "cut":
        return error(int(plan.fail))
    route, _, query = path.partition("?")
    name = route.rsplit("/", 1)[-1]
    model, _, method = name.partition(":")
    if method == "predict" and model.startswith("imagen"):
        return _images(body)
    if method in EMBEDDINGS:
        return EMBEDDINGS[method](body, plan)
    if method not in ("generateContent", "streamGenerateContent"):
        return error(404)
    response_id = f"standin{next(_ids)}"

    def chunk(text: str, last: bool, output_tokens: int | None) -> dict[str, Any]:
        candidate: dict[str, Any] = {
            "content": {"parts": [{"text": text}], "role": "model"},
            "index": 0,
        }
        if last:
            candidate["finishReason"] = "STOP"
            if plan.web_searches:  # grounding with Google Search: the queries it ran
                queries = [f"query {n}" for n in range(plan.web_searches)]
                candidate["groundingMetadata"] = {"webSearchQueries": queries}
        return {
            "candidates": [candidate],
            "usageMetadata": usage_metadata(plan, output_tokens),
            "modelVersion": model,
            "responseId": response_id,
        }

    if method == "generateContent":
        return json_reply(chunk(plan.text, True, plan.output_tokens))
    texts = plan.pieces
    last = len(texts) - 1
    documents = [
        chunk(piece, i == last, plan.output_tokens if i == last else None)
        for i, piece in enumerate(texts)
    ]
    cut = plan.fail == "cut"
    if "alt=sse" in query:
        pieces = [b"data: " + dumps(document) + b"\r\n\r\n" for document in documents]
        return Reply(pieces=pieces, content_type="text/event-stream", cut=cut)
    pieces = [
        (b"[" if i == 0 else b",\r\n") + dumps(document) for i, document in enumerate(documents)
    ]
    pieces.append(b"]")
    return Reply(pieces=pieces, content_type="application/json; charset=UTF-8", cut=cut)


VECTOR = [0.125, -0.25, 0.5, -1.0]


def _input_usage(plan: Plan) -> dict[str, Any]:
    details = [{"modality": "TEXT", "tokenCount": plan.input_tokens}]
    return {
        "promptTokenCount": plan.input_tokens,
        "promptTokensDetails": details,
        "totalTokenCount": plan.input_tokens,
    }


def _batch_embed(body: dict[str, Any], plan: Plan) -> Reply:
    embeddings = [{"values": VECTOR} for _ in body.get("requests") or [{}]]
    return json_reply({"embeddings": embeddings, "usageMetadata": _input_usage(plan)})


def _embed(body: dict[str, Any], plan: Plan) -> Reply:
    return json_reply(
        {"embedding": {"values": VECTOR}, "usageMetadata": _input_usage(plan), "truncated": False}
    )


def _predict(body: dict[str, Any], plan: Plan) -> Reply:
    instances = body.get("instances") or [{}]
    share, extra = divmod(plan.input_tokens, len(instances))
    predictions = [
        {
            "embeddings": {
                "statistics": {"truncated": False, "token_count": share + (extra if i == 0 else 0)},
                "values": VECTOR,
            }
        }
        for i in range(len(instances))
    ]
    characters = sum(len(str(instance.get("content", ""))) for instance in instances)
    return json_reply(
        {"predictions": predictions, "metadata": {"billableCharacterCount": characters}}
    )


EMBEDDINGS = {"batchEmbedContents": _batch_embed, "embedContent": _embed, "predict": _predict}


IMAGE_BASE64_BYTES = 160 * 1024


def _images(body: dict[str, Any]) -> Reply:
    count = int((body.get("parameters") or {}).get("sampleCount") or 4)
    image = "iVBORw0KGgo" + "A" * (IMAGE_BASE64_BYTES - 11)
    predictions = [{"bytesBase64Encoded": image, "mimeType": "image/png"} for _ in range(count)]
    return json_reply({"predictions": predictions})
