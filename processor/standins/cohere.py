"""Cohere v2 chat (`POST /v2/chat`), plain and streamed (SSE `message-start` ... `message-end`).

Usage has `billed_units` (what Cohere charges), `tokens` (what the model processed; here the
same numbers) and `cached_tokens`. Cohere's responses do not name the model.
"""

from __future__ import annotations

import itertools
from typing import Any

from .plan import Plan
from .reply import Reply, json_reply, sse_event, sse_reply

_ids = itertools.count(1)


def error(status: int) -> Reply:
    return json_reply(
        {"id": f"standin-{next(_ids)}", "message": f"Stand-in error {status}."}, status
    )


def usage(plan: Plan) -> dict[str, Any]:
    counts = {"input_tokens": plan.input_tokens, "output_tokens": plan.output_tokens}
    return {"billed_units": counts, "tokens": dict(counts), "cached_tokens": plan.cache_read}


def handle(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    if plan.fail and plan.fail != "cut":
        return error(int(plan.fail))
    if not path.split("?", 1)[0].endswith("/v2/chat"):
        return error(404)
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
