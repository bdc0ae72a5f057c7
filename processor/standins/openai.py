"""OpenAI's wire format: chat completions, Responses API, embeddings, legacy completions.

Chat streams end with a usage chunk (`choices: []`) only when the request sets
`stream_options.include_usage`, and then every chunk carries `"usage":null`, as OpenAI does.
Mistral (`handle_mistral`) speaks the same chat format but always reports usage in its last
chunk, echoes the model name unchanged and refuses `stream_options.include_usage` (422, as
its API does). xAI (`handle_xai`) echoes it too, and its chat
usage counts reasoning apart: `completion_tokens` leaves the reasoning tokens out,
`total_tokens` adds them (prompt + completion + reasoning). Perplexity (`handle_perplexity`,
Sonar chat and the Agent API's Responses format) echoes it too, names the
`search_context_size` a Sonar chat asked for (`low` by default), and reports what the call
cost (`x-standin-cost`). Groq (`handle_groq`) echoes it too, and puts a stream's usage in its
last chunk's `x_groq.usage` whether or not `include_usage` was asked for (then also as
`usage`, on that chunk), the first chunk's `x_groq` naming the request
(https://console.groq.com/docs/api-reference#chat-create). Together (`handle_together`) and
Fireworks (`handle_fireworks`) echo it too, and put a stream's usage on its last chunk, the one
with the finish reason, whether or not it was asked for: their SDKs have no `stream_options`
(together 3.1, fireworks-ai 1.2), their chunk types a `usage` field (Fireworks: "Usage
statistics", in the final chunk beside `perf_metrics`, https://docs.fireworks.ai/api-reference/post-chatcompletions).
Cerebras (`handle_cerebras`) does the same, asked or not, beside its `time_info`, and ends its
stream without `[DONE]` (recorded from api.cerebras.ai: llamastack/llama-stack's
tests/integration/recordings/responses/eefb4206a4a9.json, a stream with no `stream_options`;
charmbracelet/fantasy's providertests/testdata/TestCerebrasCommon/…/simple_streaming.yaml,
one with `include_usage`: no usage-only chunk either way).
DeepSeek (`handle_deepseek`) echoes it too, and names its cache hits and misses beside OpenAI's
counts (`prompt_cache_hit_tokens`, `prompt_cache_miss_tokens`,
https://api-docs.deepseek.com/api/create-chat-completion), which its SDKs read.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import struct
from typing import Any

from .plan import Plan
from .reply import Reply, json_reply, sse_event, sse_reply

_ids = itertools.count(1)
_DATED = re.compile(r"-\d{4}-\d{2}-\d{2}$")
_OPENAI_MODELS = ("gpt-", "o1", "o3", "o4", "chatgpt-", "davinci", "babbage", "codex", "computer-")
_ERRORS = {
    400: ("invalid_request_error", "invalid_request_error"),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}
CREATED = 1_760_000_000
_USAGE_ON_LAST = frozenset({"together", "fireworks", "cerebras"})
"""The dialects whose streams carry usage on the chunk with the finish reason, always."""
_STREAM_ERROR = "stream_error"
_TIME_INFO = {
    "queue_time": 0.000533844,
    "prompt_time": 0.00128098,
    "completion_time": 0.003694258,
    "total_time": 0.007519960403442383,
    "created": CREATED,
}
"""Cerebras's timings, on the chunk that carries its usage (and on a whole answer)."""


def handle(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    return _handle(path, body, plan, "openai")


def handle_mistral(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    return _handle(path, body, plan, "mistral")


def handle_xai(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    return _handle(path, body, plan, "xai")


def handle_perplexity(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    return _handle(path, body, plan, "perplexity")


def handle_groq(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    return _handle(path, body, plan, "groq")


def handle_deepseek(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    return _handle(path, body, plan, "deepseek")


def handle_together(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    return _handle(path, body, plan, "together")


def handle_fireworks(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    return _handle(path, body, plan, "fireworks")


def handle_cerebras(path: str, body: dict[str, Any], plan: Plan) -> Reply:
    return _handle(path, body, plan, "cerebras")


def error(status: int) -> Reply:
    kind, code = _ERRORS.get(status, ("server_error", None))
    message = f"Stand-in error {status}."
    document = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return json_reply(document, status, {"x-request-id": f"req_standin{next(_ids)}"})


def _extra_forbidden(loc: list[str], value: object) -> Reply:
    """Mistral's refusal of a key its API does not take (its request models forbid extras), as
    it answers `stream_options.include_usage`
    (https://github.com/openai/openai-agents-python/issues/442)."""
    detail = {"type": "extra_forbidden", "loc": loc, "msg": "Extra inputs are not permitted"}
    document = {
        "object": "error",
        "message": {"detail": [{**detail, "input": value}]},
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    return json_reply(document, 422)


AGENT_MODEL = "mistral-small-2506"
"""The model a Mistral agent (`/v1/agents/completions`, a body naming an `agent_id` and no
model) runs, as Mistral's answer names it."""


def _handle(path: str, body: dict[str, Any], plan: Plan, flavor: str) -> Reply:
    """``flavor``: whose dialect of the format (``openai``, ``mistral``, ``xai``,
    ``perplexity``, ``groq``, ``deepseek``)."""
    if plan.fail and plan.fail not in ("cut", _STREAM_ERROR):
        return error(int(plan.fail))
    options = body.get("stream_options")
    if flavor == "mistral" and isinstance(options, dict) and "include_usage" in options:
        return _extra_forbidden(
            ["body", "stream_options", "include_usage"], options["include_usage"]
        )
    model = str(body.get("model", AGENT_MODEL if "agent_id" in body else "gpt-4o-mini"))
    if flavor == "openai":
        model = dated(model)
    path = path.split("?", 1)[0]
    if path.endswith(("/chat/completions", "/agents/completions")):
        return _chat(body, plan, model, flavor)
    if path.endswith("/responses"):
        return _responses(body, plan, model)
    if path.endswith("/embeddings"):
        return _embeddings(body, plan, model)
    if path.endswith("/completions"):
        return _completions(body, plan, model)
    return error(404)


def dated(model: str) -> str:
    """The model name OpenAI answers with: dated (`gpt-4o-mini-2024-08-06`). Another vendor's
    model served on OpenAI's API (Azure's v1 API serves DeepSeek-R1, Llama…) is answered as
    named."""
    if _DATED.search(model) or not model.startswith(_OPENAI_MODELS):
        return model
    return model + "-2024-08-06"


def chat_usage(plan: Plan, flavor: str = "openai") -> dict[str, Any]:
    # xAI's completion_tokens leave the reasoning out (its total adds them back).
    completion = plan.output_tokens - plan.reasoning if flavor == "xai" else plan.output_tokens
    counts: dict[str, Any] = {"prompt_tokens": plan.input_tokens, "completion_tokens": completion}
    if "output" in plan.omit:
        del counts["completion_tokens"]
    return {
        **counts,
        "total_tokens": plan.input_tokens + plan.output_tokens,
        "prompt_tokens_details": {
            "cached_tokens": plan.cache_read,
            "audio_tokens": plan.audio_input,
        },
        "completion_tokens_details": {
            "reasoning_tokens": plan.reasoning,
            "audio_tokens": plan.audio_output,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
        **plan.usage_cost(),
        **(
            {
                "prompt_cache_hit_tokens": plan.cache_read,
                "prompt_cache_miss_tokens": plan.input_tokens - plan.cache_read,
            }
            if flavor == "deepseek"
            else {}
        ),
        # Mistral's audio input (Voxtral), in whole seconds beside the text tokens.
        **({"prompt_audio_seconds": plan.audio_seconds} if plan.audio_seconds else {}),
    }


def service_tier(body: dict[str, Any]) -> str:
    """The tier OpenAI names in its response: the one asked for, when it can be granted
    (`flex`, `priority`, `scale`), else `default` (`auto` and no tier are the default)."""
    asked = body.get("service_tier")
    return asked if asked in ("flex", "priority", "scale") else "default"


def _chat(body: dict[str, Any], plan: Plan, model: str, flavor: str) -> Reply:
    ident = f"chatcmpl-standin{next(_ids)}"
    head = {"id": ident, "object": "chat.completion", "created": CREATED, "model": model}
    if flavor == "openai":  # Mistral, xAI and Perplexity name no tier
        head["service_tier"] = service_tier(body)
    always_usage = flavor == "mistral"
    usage = chat_usage(plan, flavor)
    if flavor == "mistral" and body.get("service_tier") is not None:
        # Mistral names the capacity that served the request in its usage
        usage["service_tier"] = "priority" if body["service_tier"] == "priority" else "standard"
    if flavor == "perplexity":  # Sonar: the search context size that set the request fee
        options = body.get("web_search_options") or {}
        usage["search_context_size"] = options.get("search_context_size") or "low"
        if "deep-research" in model:  # its research's counts, reasoning beside the answer's
            del usage["completion_tokens_details"]
            usage["completion_tokens"] = plan.output_tokens - plan.reasoning
            usage["total_tokens"] = plan.input_tokens + usage["completion_tokens"]
            usage["citation_tokens"] = plan.citations
            usage["num_search_queries"] = plan.web_searches
            usage["reasoning_tokens"] = plan.reasoning
    if not body.get("stream"):
        message = {"role": "assistant", "content": plan.text, "refusal": None}
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
        call = _tool_call(body) if plan.tool_call else None
        if call is not None:
            message.update(content=None, tool_calls=[call])
            choice["finish_reason"] = "tool_calls"
        groq = {"x_groq": {"id": ident.replace("chatcmpl", "req")}} if flavor == "groq" else {}
        return json_reply({**head, "choices": [choice], "usage": usage, **groq})
    include_usage = always_usage or bool((body.get("stream_options") or {}).get("include_usage"))
    head["object"] = "chat.completion.chunk"
    # (Cerebras's chunks have no usage member but the one with it, asked or not)
    extra = {"usage": None} if include_usage and flavor not in ("mistral", "cerebras") else {}

    def chunk(delta: dict[str, Any], finish: str | None, **more: Any) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse_event({**head, "choices": [choice], **extra, **more})

    groq = {"id": ident.replace("chatcmpl", "req")}
    first = {"x_groq": groq} if flavor == "groq" else {}
    pieces = [chunk({"role": "assistant", "content": ""}, None, **first)]
    if plan.fail == _STREAM_ERROR:  # a stream that fails after its 200
        message = "The server had an error while processing your request."
        document = {"error": {"message": message, "type": "server_error", "code": None}}
        return sse_reply([*pieces, sse_event(document)])
    pieces += [chunk({"content": piece}, None) for piece in plan.pieces]
    if flavor == "groq":
        last = {"usage": usage} if include_usage else {}
        pieces.append(chunk({}, "stop", x_groq={**groq, "usage": usage}, **last))
    elif flavor == "cerebras":  # its timings beside the usage
        pieces.append(chunk({}, "stop", usage=usage, time_info=_TIME_INFO))
    elif flavor in _USAGE_ON_LAST:
        pieces.append(chunk({}, "stop", usage=usage))
    elif always_usage:
        choice = {"index": 0, "delta": {}, "finish_reason": "stop"}
        pieces.append(sse_event({**head, "choices": [choice], "usage": usage}))
    else:
        pieces.append(chunk({}, "stop"))
        if include_usage:
            pieces.append(sse_event({**head, "choices": [], "usage": usage}))
    if flavor != "cerebras":  # Cerebras ends a stream without it
        pieces.append(sse_event(b"[DONE]"))
    return sse_reply(pieces, cut=plan.fail == "cut")


def _tool_call(body: dict[str, Any]) -> dict[str, Any] | None:
    """A call of the request's first function tool, its required string arguments set to
    "Say hello"; None when it offers none or already holds a tool's result (the loop's
    second request, which is answered)."""
    tools = [tool for tool in body.get("tools") or [] if tool.get("type") == "function"]
    messages = body.get("messages") or []
    if not tools or any(message.get("role") == "tool" for message in messages):
        return None
    function = tools[0]["function"]
    schema = function.get("parameters") or {}
    properties = schema.get("properties") or {}
    arguments = {
        name: "Say hello"
        for name in schema.get("required") or []
        if (properties.get(name) or {}).get("type") == "string"
    }
    return {
        "id": f"call_standin{next(_ids)}",
        "type": "function",
        "function": {"name": function["name"], "arguments": json.dumps(arguments)},
    }


def _completions(body: dict[str, Any], plan: Plan, model: str) -> Reply:
    head = {
        "id": f"cmpl-standin{next(_ids)}",
        "object": "text_completion",
        "created": CREATED,
        "model": model,
    }
    usage = chat_usage(plan)
    if not body.get("stream"):
        choice = {
            "text": plan.text,
            "index": 0,
            "logprobs": None,
            "finish_reason": "stop",
        }
        return json_reply({**head, "choices": [choice], "usage": usage})
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    last = len(plan.words) - 1
    pieces = [
        sse_event(
            {
                **head,
                "choices": [
                    {
                        "text": piece,
                        "index": 0,
                        "logprobs": None,
                        "finish_reason": "stop" if i == last else None,
                    }
                ],
            }
        )
        for i, piece in enumerate(plan.pieces)
    ]
    if include_usage:
        pieces.append(sse_event({**head, "choices": [], "usage": usage}))
    pieces.append(sse_event(b"[DONE]"))
    return sse_reply(pieces, cut=plan.fail == "cut")


def _responses(body: dict[str, Any], plan: Plan, model: str) -> Reply:
    return responses_reply(Responses(body, plan, model), bool(body.get("stream")))


def compact(body: dict[str, Any], plan: Plan) -> Reply:
    """`POST /responses/compact`: a compaction pass, billed by its usage; its object
    (`response.compaction`, the openai SDK's `CompactedResponse`) names no model."""
    response = Responses(body, plan, "")
    document = {
        "id": f"cmp_standin{next(_ids)}",
        "object": "response.compaction",
        "created_at": CREATED,
        "output": [{"id": f"cmpitem_standin{next(_ids)}", "type": "compaction",
                    "encrypted_content": "c3RhbmQtaW4="}],
        "usage": response.usage,
    }  # fmt: skip
    return json_reply(document, 200, {"x-request-id": f"req_standin{next(_ids)}"})


class Responses:
    """One Responses API response: its object at each status, and its stream of events."""

    def __init__(
        self, body: dict[str, Any], plan: Plan, model: str, background: bool = False
    ) -> None:
        self.plan = plan
        self.model = model
        self.background = background
        self.tier = service_tier(body)
        self.tools = body.get("tools") or []
        self.ident = f"resp_standin{next(_ids)}"
        self.item_id = f"msg_standin{next(_ids)}"
        self.usage = {
            "input_tokens": plan.input_tokens,
            "input_tokens_details": {"cached_tokens": plan.cache_read},
            "output_tokens": plan.output_tokens,
            "output_tokens_details": {"reasoning_tokens": plan.reasoning},
            "total_tokens": plan.input_tokens + plan.output_tokens,
            **plan.usage_cost(responses=True),
        }
        self.part = {"type": "output_text", "annotations": [], "logprobs": [], "text": plan.text}
        self.item = {
            "id": self.item_id,
            "type": "message",
            "status": "completed",
            "content": [self.part],
            "role": "assistant",
        }
        # A web search tool's calls, before the answer: one search action per search asked
        # for (each billed), then a page opened (not billed).
        self.searches = [
            {"id": f"ws_standin{next(_ids)}", "type": "web_search_call", "status": "completed",
             "action": {"type": "search", "query": f"query {n}"}}
            for n in range(plan.web_searches)
        ]  # fmt: skip
        if self.searches:
            self.searches.append(
                {"id": f"ws_standin{next(_ids)}", "type": "web_search_call",
                 "status": "completed",
                 "action": {"type": "open_page", "url": "https://example.com/"}}
            )  # fmt: skip
        # A file search tool's calls, one item each (each billed).
        self.searches += [
            {"id": f"fs_standin{next(_ids)}", "type": "file_search_call", "status": "completed",
             "queries": [f"query {n}"], "results": None}
            for n in range(plan.file_searches)
        ]  # fmt: skip
        # A code interpreter's calls, in one container.
        self.searches += [
            {"id": f"ci_standin{next(_ids)}", "type": "code_interpreter_call",
             "status": "completed", "code": "print(6 * 7)", "container_id": "cntr_standin",
             "outputs": None}
            for n in range(plan.code_executions)
        ]  # fmt: skip
        # An image generation tool's calls; their tokens in tool_usage, not in usage.
        self.searches += [
            {"id": f"ig_standin{next(_ids)}", "type": "image_generation_call",
             "status": "completed", "result": "aW1hZ2U="}
            for n in range(plan.image_generations)
        ]  # fmt: skip
        self.tool_usage = None
        if plan.image_generations:
            image_tokens = 4160 * plan.image_generations
            self.tool_usage = {
                "image_gen": {
                    "input_tokens": 50, "input_tokens_details": {"image_tokens": 0,
                                                                 "text_tokens": 50},
                    "output_tokens": image_tokens, "total_tokens": 50 + image_tokens,
                    "output_tokens_details": {"image_tokens": image_tokens, "text_tokens": 0},
                },
                "web_search": {"num_requests": plan.web_searches},
            }  # fmt: skip

    def document(self, status: str = "completed") -> dict[str, Any]:
        """The response object at `status`: with its output and usage once it has ended
        (`completed`, `incomplete`, `failed`, `cancelled`), without before."""
        ended = status not in ("queued", "in_progress")
        return {
            "id": self.ident,
            "object": "response",
            "created_at": CREATED,
            "status": status,
            "background": self.background,
            "error": {"code": "server_error", "message": "Stand-in failure."}
            if status == "failed"
            else None,
            "incomplete_details": {"reason": "max_output_tokens"}
            if status == "incomplete"
            else None,
            "instructions": None,
            "max_output_tokens": None,
            "model": self.model,
            "output": [*self.searches, self.item] if ended and status != "failed" else [],
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None},
            "service_tier": self.tier,
            "store": True,
            "temperature": 1.0,
            "text": {"format": {"type": "text"}},
            "tool_choice": "auto",
            "tools": self.tools,
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": self.usage if ended else None,
            **({"tool_usage": self.tool_usage} if ended and self.tool_usage else {}),
            "user": None,
            "metadata": {},
        }

    def events(self, status: str = "completed") -> list[bytes]:
        """The stream of the response, ending at `status` (`completed`, `incomplete`,
        `failed`), each event with its `sequence_number` from 0."""
        sequence = itertools.count()

        def event(kind: str, **fields: Any) -> bytes:
            return sse_event({"type": kind, "sequence_number": next(sequence), **fields}, kind)

        item_id, part = self.item_id, self.part
        pending = {**self.item, "status": "in_progress", "content": []}
        where = {"item_id": item_id, "output_index": 0, "content_index": 0}
        start = "queued" if self.background else "in_progress"
        pieces = [
            event("response.created", response=self.document(start)),
            event("response.in_progress", response=self.document("in_progress")),
            event("response.output_item.added", output_index=0, item=pending),
            event("response.content_part.added", part={**part, "text": ""}, **where),
        ]
        pieces += [
            event("response.output_text.delta", delta=piece, logprobs=[], **where)
            for piece in self.plan.pieces
        ]
        pieces += [
            event("response.output_text.done", text=self.plan.text, logprobs=[], **where),
            event("response.content_part.done", part=part, **where),
            event("response.output_item.done", output_index=0, item=self.item),
            event(f"response.{status}", response=self.document(status)),
        ]
        return pieces


def responses_reply(
    response: Responses, stream: bool, status: str = "completed", starting_after: int = -1
) -> Reply:
    """The response whole, or its stream from the event after `starting_after`."""
    if not stream:
        return json_reply(response.document(status))
    pieces = response.events(status)[starting_after + 1 :]
    return sse_reply(pieces, cut=response.plan.fail == "cut")


def _embeddings(body: dict[str, Any], plan: Plan, model: str) -> Reply:
    inputs = body.get("input")
    count = (
        len(inputs) if isinstance(inputs, list) and inputs and not isinstance(inputs[0], int) else 1
    )
    vector = [round(0.1 * (i + 1), 3) for i in range(8)]
    if body.get("encoding_format") == "base64":
        embedding: Any = base64.b64encode(struct.pack("<8f", *vector)).decode()
    else:
        embedding = vector
    data = [{"object": "embedding", "index": i, "embedding": embedding} for i in range(count)]
    usage = {"prompt_tokens": plan.input_tokens, "total_tokens": plan.input_tokens}
    # Embeddings answer with the model name as requested, undated.
    model = str(body.get("model", model))
    return json_reply({"object": "list", "data": data, "model": model, "usage": usage})
