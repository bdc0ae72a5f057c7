"""Amazon Bedrock's runtime API: InvokeModel (Claude's Messages body) and Converse, plain and
streamed in AWS event-stream framing.

Paths: `/model/{modelId}/invoke`, `/invoke-with-response-stream`, `/converse`,
`/converse-stream`; the model id is URL-encoded by the SDKs (an ARN's `/` as `%2F`).
Credentials (SigV4 or a bearer API key) are not checked.

- invoke: for Claude, Anthropic's Messages answer (`anthropic.handle`), whose `model` is the
  bare Claude name as Bedrock reports it (`claude-3-5-haiku-20241022` for
  `us.anthropic.claude-3-5-haiku-20241022-v1:0`); streamed, each Anthropic SSE event is one
  `chunk` event `{"bytes": base64(event JSON), "p": padding}`, and the last carries
  `amazon-bedrock-invocationMetrics`. For Amazon Nova and Meta Llama, their own bodies
  (`_nova`, `_llama`), and Titan Text Embeddings' (`_embedding`). A plain answer names its
  token counts in
  `x-amzn-bedrock-input-token-count` / `-output-token-count` headers, whatever the model.
- converse: `usage: {inputTokens, outputTokens, totalTokens, cacheReadInputTokens,
  cacheWriteInputTokens}` (`inputTokens` without the cache); streamed as `messageStart`,
  `contentBlockDelta`…, `messageStop` and a `metadata` event with the usage; the service
  tier asked for (`serviceTier`) is named as the one that served the call.

Every event-stream message has the prelude and message CRC32s botocore checks. Errors are
`{"message": ...}` with `x-amzn-ErrorType`, as Bedrock sends them.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import zlib
from typing import Any
from urllib.parse import unquote

from . import anthropic
from .plan import Plan, dumps
from .reply import Reply

SUFFIXES = ("/invoke", "/invoke-with-response-stream", "/converse", "/converse-stream")
EVENT_STREAM = "application/vnd.amazon.eventstream"
_ids = itertools.count(1)
_ERRORS = {
    400: "ValidationException",
    403: "AccessDeniedException",
    404: "ResourceNotFoundException",
    408: "ModelTimeoutException",
    429: "ThrottlingException",
    500: "InternalServerException",
    503: "ServiceUnavailableException",
}
_CLAUDE = re.compile(r"(?:^|[./])anthropic\.(claude-[\w.-]+?)(?:-v\d+(?::\d+)?)?$")
_PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def handles(path: str) -> bool:
    """Whether a request path is one of Bedrock's runtime operations."""
    return "/model/" in path and path.endswith(SUFFIXES)


def error(status: int) -> Reply:
    kind = _ERRORS.get(status, "InternalServerException")
    headers = {
        "x-amzn-ErrorType": f"{kind}:http://internal.amazon.com/coral/com.amazon.bedrock/",
        "x-amzn-RequestId": f"standin-{next(_ids)}",
    }
    return Reply(
        status=status, body=dumps({"message": f"Stand-in error {status}."}), headers=headers
    )


def handle(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    if plan.fail and plan.fail != "cut":
        return error(int(plan.fail))
    route = path.split("?", 1)[0]
    if not handles(route):
        return error(404)
    start = route.find("/model/") + len("/model/")
    model_id, _, operation = unquote(route[start:]).rpartition("/")
    if operation in ("converse", "converse-stream"):
        tier = body.get("serviceTier")
        performance = body.get("performanceConfig")
        return _converse(
            plan,
            operation == "converse-stream",
            tier if isinstance(tier, dict) else None,
            performance if isinstance(performance, dict) else None,
        )
    stream = operation.endswith("-stream")
    if "embed" in model_id and not stream:
        return _embedding(plan)
    if "amazon.nova" in model_id:
        reply = _nova(plan, stream)
    elif "meta.llama" in model_id:
        reply = _llama(plan, stream)
    elif claude := _CLAUDE.search(model_id):
        request = {**body, "model": claude.group(1), "stream": stream}
        reply = anthropic.handle("/v1/messages", request, plan)
        reply.headers = {"x-amzn-RequestId": f"standin-{next(_ids)}"}
        if reply.pieces is not None:
            return _event_stream([_chunk(event, plan) for event in reply.pieces], reply.cut)
    else:
        return error(400)  # Claude's, Nova's and Llama's bodies only
    if reply.pieces is None:
        # InvokeModel names the call's token counts in headers, whatever the model.
        reply.headers["x-amzn-bedrock-input-token-count"] = str(plan.uncached_input)
        reply.headers["x-amzn-bedrock-output-token-count"] = str(plan.output_tokens)
    return reply


def _embedding(plan: Plan) -> Reply:
    """Amazon Titan Text Embeddings' body; the input count in its header too."""
    document = {"embedding": [0.0125, -0.5, 0.25], "inputTextTokenCount": plan.input_tokens}
    headers = {
        "x-amzn-RequestId": f"standin-{next(_ids)}",
        "x-amzn-bedrock-input-token-count": str(plan.input_tokens),
    }
    return Reply(body=dumps(document), headers=headers)


def _llama(plan: Plan, stream: bool) -> Reply:
    """Meta Llama's own invoke body: `generation` text and counts of its own, no usage
    object; streamed, one chunk per piece, the last with Bedrock's invocation metrics."""
    if not stream:
        document = {
            "generation": plan.text,
            "prompt_token_count": plan.input_tokens,
            "generation_token_count": plan.output_tokens,
            "stop_reason": "stop",
        }
        return Reply(body=dumps(document), headers={"x-amzn-RequestId": f"standin-{next(_ids)}"})
    events: list[dict[str, Any]] = [
        {
            "generation": piece,
            "prompt_token_count": plan.input_tokens if i == 0 else None,
            "generation_token_count": i + 1,
            "stop_reason": None,
        }
        for i, piece in enumerate(plan.pieces)
    ]
    events[-1]["stop_reason"] = "stop"
    events[-1]["amazon-bedrock-invocationMetrics"] = _invocation_metrics(plan)
    return _event_stream([_chunk_of(event) for event in events], plan.fail == "cut")


def _chunk(sse: bytes, plan: Plan) -> bytes:
    """One Anthropic SSE event as the `chunk` event Bedrock sends it."""
    data = next(line[6:] for line in sse.splitlines() if line.startswith(b"data: "))
    event = json.loads(data)
    if event["type"] == "message_stop":
        event["amazon-bedrock-invocationMetrics"] = _invocation_metrics(plan)
    return _chunk_of(event)


def _chunk_of(event: dict[str, Any]) -> bytes:
    data = dumps(event)
    payload = {"bytes": base64.b64encode(data).decode(), "p": _padding(len(data))}
    return message({":event-type": "chunk", ":content-type": "application/json"}, dumps(payload))


def _invocation_metrics(plan: Plan) -> dict[str, int]:
    """What Bedrock adds to an invoke stream's last chunk, whatever the model."""
    return {
        "inputTokenCount": plan.uncached_input,
        "outputTokenCount": plan.output_tokens,
        "invocationLatency": 412,
        "firstByteLatency": 198,
        "cacheReadInputTokenCount": plan.cache_read,
        "cacheWriteInputTokenCount": plan.cache_creation,
    }


def _nova(plan: Plan, stream: bool) -> Reply:
    """Amazon Nova's own invoke body: Converse's shape, its cache counts named
    `cacheReadInputTokenCount` / `cacheWriteInputTokenCount`; streamed, Converse's events
    each base64-wrapped in a `chunk`, the usage in `metadata`."""
    usage = {
        "inputTokens": plan.uncached_input,
        "outputTokens": plan.output_tokens,
        "totalTokens": plan.input_tokens + plan.output_tokens,
        "cacheReadInputTokenCount": plan.cache_read,
        "cacheWriteInputTokenCount": plan.cache_creation,
    }
    if not stream:
        document = {
            "output": {"message": {"role": "assistant", "content": [{"text": plan.text}]}},
            "stopReason": "end_turn",
            "usage": usage,
        }
        return Reply(body=dumps(document), headers={"x-amzn-RequestId": f"standin-{next(_ids)}"})
    events: list[dict[str, Any]] = [{"messageStart": {"role": "assistant"}}]
    for piece in plan.pieces:
        events.append({"contentBlockDelta": {"delta": {"text": piece}, "contentBlockIndex": 0}})
    events += [
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"messageStop": {"stopReason": "end_turn"}},
        {
            "metadata": {"usage": usage, "metrics": {}, "trace": {}},
            "amazon-bedrock-invocationMetrics": _invocation_metrics(plan),
        },
    ]
    return _event_stream([_chunk_of(event) for event in events], plan.fail == "cut")


def _usage(plan: Plan) -> dict[str, int]:
    return {
        "inputTokens": plan.uncached_input,
        "outputTokens": plan.output_tokens,
        "totalTokens": plan.input_tokens + plan.output_tokens,
        "cacheReadInputTokens": plan.cache_read,
        "cacheWriteInputTokens": plan.cache_creation,
    }


def _converse(
    plan: Plan,
    stream: bool,
    tier: dict[str, Any] | None,
    performance: dict[str, Any] | None = None,
) -> Reply:
    """Converse's answer; the service tier asked for (`serviceTier`) and the latency
    (`performanceConfig`) are named as served."""
    headers = {"x-amzn-RequestId": f"standin-{next(_ids)}"}
    metrics: dict[str, Any] = {"latencyMs": 412}
    served = {"serviceTier": tier} if tier else {}
    if performance:
        served["performanceConfig"] = performance
    if not stream:
        document = {
            "output": {"message": {"role": "assistant", "content": [{"text": plan.text}]}},
            "stopReason": "end_turn",
            "usage": _usage(plan),
            "metrics": metrics,
            **served,
        }
        return Reply(body=dumps(document), headers=headers)
    events: list[tuple[str, dict[str, Any]]] = [("messageStart", {"role": "assistant"})]
    for piece in plan.pieces:
        events.append(("contentBlockDelta", {"delta": {"text": piece}, "contentBlockIndex": 0}))
    events += [
        ("contentBlockStop", {"contentBlockIndex": 0}),
        ("messageStop", {"stopReason": "end_turn"}),
        ("metadata", {"usage": _usage(plan), "metrics": metrics, **served}),
    ]
    pieces = [
        message(
            {":event-type": name, ":content-type": "application/json"},
            dumps({**members, "p": _padding(len(name))}),
        )
        for name, members in events
    ]
    reply = _event_stream(pieces, plan.fail == "cut")
    reply.headers.update(headers)
    return reply


def _event_stream(pieces: list[bytes], cut: bool) -> Reply:
    return Reply(
        pieces=pieces,
        content_type=EVENT_STREAM,
        headers={"x-amzn-bedrock-content-type": "application/json"},
        cut=cut,
        compressible=False,  # Bedrock sends event streams as they are
    )


def _padding(size: int) -> str:
    """Bedrock pads each event with a `p` member of varying length (hiding the content's)."""
    return _PADDING[: 1 + size % len(_PADDING)]


def message(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message: prelude (total and headers lengths, their CRC32), string
    headers, payload, and the CRC32 of all that precedes it (prelude CRC included)."""
    encoded = b"".join(
        bytes([len(name)])
        + name.encode()
        + b"\x07"
        + len(value).to_bytes(2, "big")
        + value.encode()
        for name, value in {":message-type": "event", **headers}.items()
    )
    total = 12 + len(encoded) + len(payload) + 4
    prelude = total.to_bytes(4, "big") + len(encoded).to_bytes(4, "big")
    prelude += zlib.crc32(prelude).to_bytes(4, "big")
    body = prelude + encoded + payload
    return body + zlib.crc32(body).to_bytes(4, "big")
