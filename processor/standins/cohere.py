"""Cohere: v2 chat (`POST /v2/chat`, plain and streamed as SSE `message-start` ... `message-end`),
v1 chat (`POST /v1/chat`, plain and streamed as NDJSON, `application/stream+json`, from
`stream-start` to `stream-end`), embed (`/v1/embed`, `/v2/embed`) and rerank (`/v1/rerank`,
`/v2/rerank`).

v2 chat's usage has `billed_units` (what Cohere charges), `tokens` (what the model processed;
here the same numbers) and `cached_tokens`. The other endpoints report `billed_units` and
`tokens` under `meta`, beside `api_version`; rerank bills one search unit per query of up to
100 documents (`meta.billed_units.search_units`). Cohere's responses do not name the model.
"""

from __future__ import annotations

import itertools
from typing import Any

from .plan import Plan, dumps
from .reply import Reply, json_reply, sse_event, sse_reply

_ids = itertools.count(1)
STREAM_JSON = "application/stream+json"
DIMENSIONS = 4
"""Each stand-in embedding's length (Cohere's are 1024 to 1536 floats)."""


def error(status: int) -> Reply:
    return json_reply(
        {"id": f"standin-{next(_ids)}", "message": f"Stand-in error {status}."}, status
    )


def usage(plan: Plan) -> dict[str, Any]:
    counts = {"input_tokens": plan.input_tokens, "output_tokens": plan.output_tokens}
    return {"billed_units": counts, "tokens": dict(counts), "cached_tokens": plan.cache_read}


def meta(version: str, billed: dict[str, int], tokens: dict[str, int] | None) -> dict[str, Any]:
    document: dict[str, Any] = {"api_version": {"version": version}, "billed_units": billed}
    if tokens is not None:
        document["tokens"] = tokens
    return document


def handle(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    if plan.fail and plan.fail != "cut":
        return error(int(plan.fail))
    route = path.split("?", 1)[0]
    if route.endswith("/v2/chat"):
        return _chat_v2(body, plan)
    if route.endswith("/v1/chat"):
        return _chat_v1(body, plan)
    if route.endswith(("/v1/embed", "/v2/embed")):
        return _embed(route[-8:-6], body, plan)
    if route.endswith(("/v1/rerank", "/v2/rerank")):
        return _rerank(route[-9:-7], body)
    return error(404)


def _chat_v2(body: dict[str, Any], plan: Plan) -> Reply:
    ident = f"standin-{next(_ids)}"
    if not body.get("stream"):
        message = {"role": "assistant", "content": [{"type": "text", "text": plan.text}]}
        document = {
            "id": ident,
            "finish_reason": "COMPLETE",
            "message": message,
            "usage": usage(plan),
        }
        return json_reply(document)
    start_message = {
        "role": "assistant",
        "content": [],
        "tool_plan": "",
        "tool_calls": [],
        "citations": [],
    }
    pieces = [
        sse_event(
            {"id": ident, "type": "message-start", "delta": {"message": start_message}},
            "message-start",
        ),
        sse_event(
            {
                "type": "content-start",
                "index": 0,
                "delta": {"message": {"content": {"type": "text", "text": ""}}},
            },
            "content-start",
        ),
    ]
    for piece in plan.pieces:
        delta = {"message": {"content": {"text": piece}}}
        pieces.append(
            sse_event({"type": "content-delta", "index": 0, "delta": delta}, "content-delta")
        )
    pieces.append(sse_event({"type": "content-end", "index": 0}, "content-end"))
    end = {"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": usage(plan)}}
    pieces.append(sse_event(end, "message-end"))
    return sse_reply(pieces, cut=plan.fail == "cut")


def _chat_v1(body: dict[str, Any], plan: Plan) -> Reply:
    """v1 chat: the response, or its NDJSON stream whose `stream-end` line holds it."""
    counts = {"input_tokens": plan.input_tokens, "output_tokens": plan.output_tokens}
    generation = f"standin-generation-{next(_ids)}"
    response = {
        "response_id": f"standin-{next(_ids)}",
        "text": plan.text,
        "generation_id": generation,
        "chat_history": [
            {"role": "USER", "message": str(body.get("message", ""))},
            {"role": "CHATBOT", "message": plan.text},
        ],
        "finish_reason": "COMPLETE",
        "meta": meta("1", counts, dict(counts)),
    }
    if not body.get("stream"):
        return json_reply(response)
    lines = [{"is_finished": False, "event_type": "stream-start", "generation_id": generation}]
    lines += [
        {"is_finished": False, "event_type": "text-generation", "text": piece}
        for piece in plan.pieces
    ]
    lines.append(
        {
            "is_finished": True,
            "event_type": "stream-end",
            "finish_reason": "COMPLETE",
            "response": response,
        }
    )
    return Reply(
        pieces=[dumps(line) + b"\n" for line in lines],
        content_type=STREAM_JSON,
        cut=plan.fail == "cut",
    )


def _embed(version: str, body: dict[str, Any], plan: Plan) -> Reply:
    """embed: one vector per text; v1 answers a list of float lists unless `embedding_types`
    asks for types (then, as v2 always does, vectors by type)."""
    texts = [str(text) for text in body.get("texts") or []]
    vector = [0.125 * (i + 1) for i in range(DIMENSIONS)]
    types = body.get("embedding_types")
    by_type = version == "v2" or bool(types)
    embeddings: Any = (
        {kind: [vector for _ in texts] for kind in types or ["float"]}
        if by_type
        else [vector for _ in texts]
    )
    return json_reply(
        {
            "id": f"standin-{next(_ids)}",
            "embeddings": embeddings,
            "texts": texts,
            "meta": meta(version[1], {"input_tokens": plan.input_tokens}, None),
            "response_type": "embeddings_by_type" if by_type else "embeddings_floats",
        }
    )


def _rerank(version: str, body: dict[str, Any]) -> Reply:
    """rerank: the documents by a made-up relevance, one search unit per 100 documents."""
    documents = body.get("documents") or []
    top = body.get("top_n") or len(documents)
    results = [
        {"index": index, "relevance_score": round(1 / (index + 1), 6)}
        for index in range(min(top, len(documents)))
    ]
    searches = max(1, -(-len(documents) // 100))
    return json_reply(
        {
            "id": f"standin-{next(_ids)}",
            "results": results,
            "meta": meta(version[1], {"search_units": searches}, None),
        }
    )
