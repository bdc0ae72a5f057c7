"""Ollama's native API (`POST /api/chat`, `/api/generate`, `/api/embed`), plain and streamed,
and its legacy `/api/embeddings`, answered as Ollama does: one `embedding`, no counts (a body
with OpenAI's `input` instead of Ollama's `prompt` is answered as OpenAI's embeddings, as an
OpenAI-compatible server on that path, Open WebUI's, answers it).

Streaming is the default, as in Ollama: a body without `"stream": false` is answered with
NDJSON (`application/x-ndjson`), one object per line, the last one `"done": true` with
`done_reason` and the counts. Counts are written as Ollama's Go server writes them, with
`omitempty`: a zero count is left out. `x-standin-fail: stream_error` streams half the reply
and then an `{"error": ...}` line, as Ollama reports a failure once a stream has begun.
Timestamps and durations are fixed, so that two runs of
the same request get the same bytes.
"""

from __future__ import annotations

from typing import Any

from . import openai
from .plan import Plan, dumps
from .reply import Reply, json_reply

CREATED_AT = "2026-01-01T00:00:00.000000Z"
NDJSON = "application/x-ndjson"


def error(status: int, message: str = "") -> Reply:
    return json_reply({"error": message or f"stand-in error {status}"}, status)


def metrics(plan: Plan, output: bool = True) -> dict[str, Any]:
    """The `done` object's durations and counts (zero counts omitted, as Ollama does)."""
    found: dict[str, Any] = {"total_duration": 1_500_000_000, "load_duration": 20_000_000}
    if plan.input_tokens:
        found["prompt_eval_count"] = plan.input_tokens
    found["prompt_eval_duration"] = 300_000_000
    if output:
        if plan.output_tokens:
            found["eval_count"] = plan.output_tokens
        found["eval_duration"] = 1_100_000_000
    return found


def handle(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    if plan.fail and plan.fail not in ("cut", "stream_error"):
        return error(int(plan.fail))
    path = path.split("?", 1)[0]
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return error(400, "model is required")
    if path.endswith("/api/embeddings"):
        if "input" in body and "prompt" not in body:
            return openai.handle(path, body, plan)
        return json_reply({"embedding": [0.125, -0.5, 0.25]})
    if path.endswith("/api/embed"):
        inputs = body.get("input")
        count = len(inputs) if isinstance(inputs, list) else 1
        vectors = [[round(0.125 * (i + 1), 3), -0.5, 0.25] for i in range(count)]
        document = {"model": model, "embeddings": vectors, **metrics(plan, output=False)}
        return json_reply(document)
    if path.endswith("/api/chat"):

        def piece(content: str) -> dict[str, Any]:
            return {"message": {"role": "assistant", "content": content}}

    elif path.endswith("/api/generate"):

        def piece(content: str) -> dict[str, Any]:
            return {"response": content}

    else:
        return error(404, f"404 page not found: {path}")
    head = {"model": model, "created_at": CREATED_AT}
    done = {"done": True, "done_reason": "stop", **metrics(plan)}
    if body.get("stream", True) is False:
        return json_reply({**head, **piece(plan.text), **done})
    lines = [dumps({**head, **piece(word), "done": False}) + b"\n" for word in plan.pieces]
    if plan.fail == "stream_error":
        failure = dumps({"error": "stand-in failure mid-stream"}) + b"\n"
        lines = [*lines[: len(lines) // 2], failure]
    else:
        lines.append(dumps({**head, **piece(""), **done}) + b"\n")
    return Reply(pieces=lines, content_type=NDJSON, cut=plan.fail == "cut")
