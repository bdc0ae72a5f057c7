"""Anthropic's Messages API (`POST /v1/messages`), plain and streamed; Claude on Vertex AI.

`usage.input_tokens` excludes the cache (`cache_read_input_tokens`,
`cache_creation_input_tokens`). A stream opens with `message_start` (input usage and a
placeholder `output_tokens: 1`) and closes with `message_delta`, whose usage is cumulative.
Reasoning tokens appear as a thinking block and `usage.output_tokens_details.thinking_tokens`.
"""

from __future__ import annotations

import itertools
from typing import Any

from .plan import Plan
from .reply import Reply, json_reply, sse_event, sse_reply

_ids = itertools.count(1)
_ERRORS = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def error(status: int) -> Reply:
    request_id = f"req_standin{next(_ids)}"
    document = {
        "type": "error",
        "error": {"type": _ERRORS.get(status, "api_error"), "message": f"Stand-in error {status}."},
        "request_id": request_id,
    }
    return json_reply(document, status, {"request-id": request_id})


def usage(plan: Plan, output_tokens: int) -> dict[str, Any]:
    document: dict[str, Any] = {
        "input_tokens": plan.uncached_input,
        "cache_creation_input_tokens": plan.cache_creation,
        "cache_read_input_tokens": plan.cache_read,
        "cache_creation": {
            "ephemeral_5m_input_tokens": plan.cache_creation,
            "ephemeral_1h_input_tokens": 0,
        },
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }
    if plan.reasoning:
        document["output_tokens_details"] = {"thinking_tokens": plan.reasoning}
    if plan.web_searches:
        document["server_tool_use"] = {
            "web_search_requests": plan.web_searches,
            "web_fetch_requests": 0,
        }
    return document


def _served(body: dict[str, Any]) -> dict[str, Any]:
    """Where and how fast the call was served, as the request asked: `inference_geo` (`global`
    unless the request names one) and `speed` (`fast` when asked, else `standard`)."""
    return {
        "inference_geo": str(body.get("inference_geo") or "global"),
        "speed": "fast" if body.get("speed") == "fast" else "standard",
    }


def handle_vertex(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    """Claude on Vertex AI: `…/publishers/anthropic/models/{model}:rawPredict` (or
    `:streamRawPredict`), the Messages API with the model in the path, not the body."""
    model = path.split("?", 1)[0].rsplit("/", 1)[-1].rsplit(":", 1)[0]
    return handle("/v1/messages", {**body, "model": model}, plan)


def handle(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    if plan.fail and plan.fail != "cut":
        return error(int(plan.fail))
    if not path.split("?", 1)[0].endswith("/v1/messages"):
        return error(404)
    request_id = f"req_standin{next(_ids)}"
    headers = {"request-id": request_id}
    content: list[dict[str, Any]] = []
    if plan.reasoning:
        thinking = {"type": "thinking", "thinking": "Planning the reply.", "signature": "c2ln"}
        content.append(thinking)
    content.append({"type": "text", "text": plan.text})
    message = {
        "id": f"msg_standin{next(_ids)}",
        "type": "message",
        "role": "assistant",
        "model": str(body.get("model", "claude-sonnet-4-6")),
        "content": content,
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {**usage(plan, plan.output_tokens), **_served(body)},
    }
    container = None
    if plan.code_executions:  # a code execution tool ran, in this container
        container = {"id": "container_standin", "expires_at": "2026-12-03T07:00:00Z"}
        message["container"] = container
    if not body.get("stream"):
        return json_reply(message, headers=headers)

    start = {**message, "content": [], "stop_reason": None, "usage": usage(plan, 1)}
    start.pop("container", None)  # named in message_delta's delta
    start["usage"].pop("output_tokens_details", None)
    start["usage"].pop("server_tool_use", None)  # counted in message_delta's usage
    pieces = [sse_event({"type": "message_start", "message": start}, "message_start")]
    index = 0
    if plan.reasoning:
        block = {"type": "thinking", "thinking": "", "signature": ""}
        pieces += [
            _block_start(index, block),
            _delta(index, {"type": "thinking_delta", "thinking": "Planning the reply."}),
            _delta(index, {"type": "signature_delta", "signature": "c2ln"}),
            _block_stop(index),
        ]
        index += 1
    pieces.append(_block_start(index, {"type": "text", "text": ""}))
    pieces.append(sse_event({"type": "ping"}, "ping"))
    for piece in plan.pieces:
        pieces.append(_delta(index, {"type": "text_delta", "text": piece}))
    pieces.append(_block_stop(index))
    final = {**usage(plan, plan.output_tokens), **_served(body)}
    final.pop("cache_creation")
    final.pop("service_tier")
    delta = {
        "type": "message_delta",
        "delta": {
            "stop_reason": "end_turn",
            "stop_sequence": None,
            **({"container": container} if container else {}),
        },
        "usage": final,
    }
    pieces.append(sse_event(delta, "message_delta"))
    pieces.append(sse_event({"type": "message_stop"}, "message_stop"))
    return sse_reply(pieces, cut=plan.fail == "cut", headers=headers)


def _block_start(index: int, block: dict[str, Any]) -> bytes:
    event = {"type": "content_block_start", "index": index, "content_block": block}
    return sse_event(event, "content_block_start")


def _delta(index: int, delta: dict[str, Any]) -> bytes:
    event = {"type": "content_block_delta", "index": index, "delta": delta}
    return sse_event(event, "content_block_delta")


def _block_stop(index: int) -> bytes:
    return sse_event({"type": "content_block_stop", "index": index}, "content_block_stop")
