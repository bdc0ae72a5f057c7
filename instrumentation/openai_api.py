"""OpenAI's wire format: chat completions, legacy completions, embeddings and the Responses API.

Also spoken by Mistral, DeepSeek, Groq, Together, OpenRouter, xAI, Fireworks, Perplexity, Azure
OpenAI, Ollama and vLLM, hence the few non-OpenAI fields read here (DeepSeek's
`prompt_cache_hit_tokens`, Groq's `x_groq.usage`, OpenRouter's and xAI's reported cost), and
xAI's chat usage, whose `completion_tokens` leave out the reasoning tokens that its
`total_tokens` counts.
"""

from __future__ import annotations

import re
from typing import Any

from .api import Api, Deferred
from .provider_cost import from_usage
from .request_body import RequestFields
from .usage import (
    CODE_EXECUTIONS,
    INPUT_AUDIO_SECONDS,
    OUTPUT_IMAGES,
    PREVIEW_WEB_SEARCHES,
    STORAGE_SEARCHES,
    USAGE_DEFERRED,
    WEB_SEARCHES,
    KeyedUsage,
    Observed,
    Usage,
    count,
    text,
)

AUDIO_INPUT_TOKENS = "gen_ai.usage.audio.input_tokens"
IMAGE_INPUT_TOKENS = "gen_ai.usage.image.input_tokens"
AUDIO_OUTPUT_TOKENS = "gen_ai.usage.audio.output_tokens"


def model_or_deployment(fields: RequestFields, path: str) -> str | None:
    """The body's model, else the Azure OpenAI deployment that the path names (Azure may leave
    `model` out of the body)."""
    model = fields.model
    if model is None and "/deployments/" in path:
        model = path.split("/deployments/", 1)[1].split("/", 1)[0]
    return model


class ChatCompletions(Api):
    """`/chat/completions`, `/completions` and `/embeddings`: one body shape, usage in `usage`.

    A stream reports usage in its last chunk only when `stream_options.include_usage` is set
    (Mistral and some others always send it). One that fails part way, its status already
    200, says so in an event of its own, `{"error": {...}}` (the openai SDK raises `APIError`
    on it): the call's error type, as a failed status is.
    """

    family = "openai"
    sse_marker = re.compile(rb'"(?:usage|finish_reason|error)"\s*:\s*["{]')

    def __init__(self, operation: str) -> None:
        self.operation = operation

    def request_model(self, fields: RequestFields, path: str) -> str | None:
        return model_or_deployment(fields, path)

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        # `text` and `count` inlined: a call costs more than the lookup (see `usage`).
        if not isinstance(document, dict):
            return
        get = document.get
        if not seen.response_id:
            value = get("id")
            seen.response_id = value if isinstance(value, str) else None
        if not seen.response_model:
            value = get("model")
            seen.response_model = value if isinstance(value, str) else None
        value = get("service_tier")
        if isinstance(value, str):
            seen.service_tier = value
        choices = get("choices")
        if isinstance(choices, list):
            for choice in choices:
                if isinstance(choice, dict):
                    reason = choice.get("finish_reason")
                    if isinstance(reason, str):
                        seen.finish_reasons.append(reason)
        usage = get("usage")
        if usage is None and streaming:
            error = get("error")
            if isinstance(error, dict):
                seen.error_type = text(error, "type") or text(error, "code") or "error"
        if not isinstance(usage, dict):
            usage = (get("x_groq") or {}).get("usage")
        if isinstance(usage, dict):
            seen.raw_usage = usage
            seen.usage_final = True
            # Mistral names the capacity that served the call in its usage (standard or
            # priority, which is billed at other rates).
            value = usage.get("service_tier")
            if isinstance(value, str) and not seen.service_tier:
                seen.service_tier = value
            # Perplexity Sonar names the search context size, which sets its request fee
            # ($6, $10 or $14 per 1,000 Sonar Pro requests): its price tier.
            value = usage.get("search_context_size")
            if isinstance(value, str):
                seen.service_tier = value
            if "num_search_queries" in usage or "citation_tokens" in usage:
                model = seen.response_model
                if model is not None and "deep-research" in model:  # a copy: see _deep_research
                    seen.raw_usage = {**usage, _DEEP_RESEARCH: True}

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        """`count`'s test inlined (a JSON number is an `int` or a `float`, never another `int`
        subclass than `bool`, which `type(...) is int` leaves out as `count` does): with 12 calls
        of `count` this cost 32 k instructions per call under callgrind, inlined 13 k."""
        prompt = raw.get("prompt_tokens")
        if type(prompt) is not int:
            # Voyage's embeddings report `usage.total_tokens` alone, all of it input.
            total = raw.get("total_tokens") if self.operation == "embeddings" else None
            return Usage(total) if type(total) is int else None
        # Each details object is looked up once, not once per field (and inline: a call of a
        # helper costs more than the test).
        prompt_details = raw.get("prompt_tokens_details")
        if not isinstance(prompt_details, dict):
            prompt_details = _NONE
        completion_details = raw.get("completion_tokens_details")
        if not isinstance(completion_details, dict):
            completion_details = _NONE
        cache_read = prompt_details.get("cached_tokens")
        if type(cache_read) is not int:
            cache_read = raw.get("prompt_cache_hit_tokens")
            if type(cache_read) is not int:
                cache_read = None
        by_modality = {}
        value = prompt_details.get("audio_tokens")
        if value and type(value) is int:
            by_modality[AUDIO_INPUT_TOKENS] = value
        value = prompt_details.get("image_tokens")
        if value and type(value) is int:
            by_modality[IMAGE_INPUT_TOKENS] = value
        value = completion_details.get("audio_tokens")
        if value and type(value) is int:
            by_modality[AUDIO_OUTPUT_TOKENS] = value
        # Mistral's audio input (Voxtral chat): whole seconds, beside prompt tokens that leave
        # the audio out; billed per minute (https://docs.mistral.ai/models/voxtral-small-25-07).
        value = raw.get("prompt_audio_seconds")
        if value and type(value) is int:
            by_modality[INPUT_AUDIO_SECONDS] = value
        output = raw.get("completion_tokens")
        cache_creation = prompt_details.get("cache_write_tokens")
        reasoning = completion_details.get("reasoning_tokens")
        if reasoning and type(reasoning) is int and type(output) is int:
            # xAI counts reasoning apart from `completion_tokens`; its `total_tokens` then adds
            # them (OpenAI's total is prompt + completion, reasoning inside the completion).
            total = raw.get("total_tokens")
            if type(total) is int and total - output - reasoning in (
                prompt,
                prompt + (cache_read or 0),
            ):
                output += reasoning
        if _DEEP_RESEARCH in raw:
            prompt, output, reasoning = _deep_research(raw, prompt, output, by_modality)
        return Usage(
            prompt,
            output if type(output) is int else None,
            cache_read,
            cache_creation if type(cache_creation) is int else None,
            reasoning if type(reasoning) is int else None,
            by_modality,
            from_usage(raw) if "cost" in raw or "cost_in_usd_ticks" in raw else None,
        )


_NONE: dict[str, Any] = {}
"""A details object that is absent or not an object (read, never written)."""

_DEEP_RESEARCH = "tokentrace.deep_research"
"""Set in the usage object kept of a Perplexity Sonar Deep Research answer (`_deep_research`)."""


def _deep_research(
    raw: dict[str, Any], prompt: int, output: Any, by_modality: dict[str, int]
) -> tuple[int, Any, Any]:
    """Sonar Deep Research's usage, as Perplexity bills it
    (https://docs.perplexity.ai/getting-started/pricing: input $2, output $8, citation tokens
    $2, reasoning tokens $3 per million, search queries $5 per 1,000): `citation_tokens`, at
    the input rate, are counted as input; `reasoning_tokens`, reported beside
    `completion_tokens` (the research's own reasoning, not the answer's), join the output as
    its reasoning; `num_search_queries` are its web searches. Only that model's: Sonar and
    Sonar Pro answers may name counts their price does not bill."""
    citations = raw.get("citation_tokens")
    if type(citations) is int:
        prompt += citations
    reasoning = raw.get("reasoning_tokens")
    if type(reasoning) is not int:
        reasoning = None
    elif type(output) is int:
        output += reasoning
    searches = raw.get("num_search_queries")
    if type(searches) is int and searches:
        by_modality[WEB_SEARCHES] = searches
    return prompt, output, reasoning


_BACKGROUND = "tokentrace.background"
"""Set, with the response id, in the usage object kept of a background response (`Responses`)."""
_PENDING: dict[str, Any] = {_BACKGROUND: ""}
"""The usage kept of a background response that has none yet (read, never written)."""
_WEB_SEARCHES = "tokentrace.web_searches"
"""Set, with the count of billed searches, in the usage object kept of a response whose web
search tool searched (`_tool_calls`)."""
_PREVIEW_SEARCHES = "tokentrace.preview_web_searches"
"""Set beside it, the same count, when those searches may be web_search_preview's."""
_FILE_SEARCHES = "tokentrace.storage_searches"
"""Set, with the count of file search tool calls, in the usage object kept of a response whose
file search tool ran (`_tool_calls`)."""
_CODE_CALLS = "tokentrace.code_executions"
"""Set, with the count of code interpreter calls, in the usage object kept of a response whose
code interpreter ran (`_tool_calls`)."""
_IMAGE_CALLS = "tokentrace.output_images"
"""Set, with the count of image generation calls, in the usage object kept of a response whose
image generation tool ran (`_tool_calls`)."""


def _preview_tool(tools: Any) -> bool:
    """Whether the searches of a response may be web_search_preview's (`web_search_preview`,
    `web_search_preview_2025_03_11`), from the tools the response echoes: unless the only web
    search tool it lists is web_search (`web_search`, `web_search_2025_08_26`), whose fee is
    billed differently on GPT-4o and GPT-4.1; a response that lists neither may be either."""
    types = [t.get("type") for t in tools if isinstance(t, dict)] if isinstance(tools, list) else []
    searches = [t for t in types if isinstance(t, str) and t.startswith("web_search")]
    return not searches or any(t.startswith("web_search_preview") for t in searches)


def _tool_calls(output: Any) -> tuple[int, int, int, int]:
    """The tool calls a response's output items bill: web searches, `web_search_call` items
    whose action is a search ("Search actions incur a tool call cost"; opening a page or
    finding in it does not: https://platform.openai.com/docs/guides/tools-web-search; an item
    without an action, of the first versions of the tool, is a search), and file searches,
    each `file_search_call` item ("File search tool call $2.50 / 1k tool calls",
    https://platform.openai.com/docs/pricing#built-in-tools), `code_interpreter_call`
    items, whose container is billed by its time, not per call, and `image_generation_call`
    items, whose image tokens the image model bills at its own rates (`tool_usage.image_gen`,
    apart from the response's `usage`)."""
    if not isinstance(output, list):
        return 0, 0, 0, 0
    searches = files = code = images = 0
    for item in output:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "web_search_call":
            action = item.get("action")
            if not isinstance(action, dict) or action.get("type", "search") == "search":
                searches += 1
        elif kind == "file_search_call":
            files += 1
        elif kind == "code_interpreter_call":
            code += 1
        elif kind == "image_generation_call":
            images += 1
    return searches, files, code, images


class Responses(Api):
    """`/responses`: usage in the response object, streamed in `response.completed`.

    `response.incomplete` and `response.failed` close a stream too, with the usage billed so far.
    The finish reason is the response `status`, or `incomplete_details.reason` when it has one.

    A background response (`background: true`) answers `queued` with no usage: its usage comes
    with a later retrieve (`ResponsesRetrieve`), so the span is marked `usage.deferred`, not
    `usage.missing`. A background stream that is cut off is deferred alike (the application
    resumes it with a retrieve); one that completes carries the usage, and the response id as
    its `call.key`, as every retrieve of it will, so that the call is counted once.
    """

    operation = "chat"
    family = "openai"
    sse_marker = re.compile(rb'"type"\s*:\s*"response\.(?:completed|incomplete|failed)"')

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if not isinstance(document, dict):
            return
        response = document.get("response") if "type" in document else document
        if not isinstance(response, dict):
            return
        seen.response_id = text(response, "id") or seen.response_id
        seen.response_model = text(response, "model") or seen.response_model
        seen.service_tier = text(response, "service_tier") or seen.service_tier
        usage = response.get("usage")
        background = response.get("background") is True
        if isinstance(usage, dict):
            searches, files, code, images = _tool_calls(response.get("output"))
            tool_usage = response.get("tool_usage")
            if tool_usage is not None:
                if not images and _image_tokens(tool_usage):
                    images = 1  # an image generated, its call item not kept in the output
                billed = count(tool_usage, "web_search", "num_requests")
                if billed is not None:  # OpenAI's count of billable searches wins
                    searches = billed
            if background or searches or files or code or images:  # a copy: the document
                usage = {**usage, _BACKGROUND: seen.response_id} if background else {**usage}
                if searches:
                    usage[_WEB_SEARCHES] = searches
                    if _preview_tool(response.get("tools")):
                        usage[_PREVIEW_SEARCHES] = searches
                if files:
                    usage[_FILE_SEARCHES] = files
                if code:
                    usage[_CODE_CALLS] = code
                if images:
                    usage[_IMAGE_CALLS] = images
            seen.raw_usage = usage
            seen.usage_final = True
            reason = text(response.get("incomplete_details"), "reason") or text(response, "status")
            if reason is not None:
                seen.finish_reasons = [reason]
        elif background and not seen.usage_final:
            seen.raw_usage = _PENDING

    def without_usage(self, seen: Observed, status: int) -> str | None:
        if seen.raw_usage is _PENDING:
            return USAGE_DEFERRED
        return Api.without_usage(self, seen, status)

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        input_tokens = count(raw, "input_tokens")
        if input_tokens is None:
            return None
        key = raw.get(_BACKGROUND)
        return (KeyedUsage if key else Usage)(
            input_tokens=input_tokens,
            output_tokens=count(raw, "output_tokens"),
            cache_read_tokens=count(raw, "input_tokens_details", "cached_tokens"),
            cache_creation_tokens=count(raw, "input_tokens_details", "cache_write_tokens"),
            reasoning_tokens=count(raw, "output_tokens_details", "reasoning_tokens"),
            provider_cost=from_usage(raw),
            by_modality={} if _TOOL_KEYS.keys().isdisjoint(raw) else _tools(raw),
            **({"call_key": key} if key else {}),
        )


_TOOL_KEYS = {
    _WEB_SEARCHES: WEB_SEARCHES,
    _PREVIEW_SEARCHES: PREVIEW_WEB_SEARCHES,
    _FILE_SEARCHES: STORAGE_SEARCHES,
    _CODE_CALLS: CODE_EXECUTIONS,
    _IMAGE_CALLS: OUTPUT_IMAGES,
}


# `tool_usage.web_search.num_requests` "counts billable searches. Discounted searches and
# actions such as opening a page are excluded" (the openai SDK's `ToolUsage`): when a response
# has it, it is the count of searches billed, in place of the output items' count.


def _image_tokens(tool_usage: Any) -> bool:
    """Whether a response's `tool_usage.image_gen` counts tokens: the image generation tool's
    usage, which the response's `usage` leaves out."""
    image_gen = tool_usage.get("image_gen") if isinstance(tool_usage, dict) else None
    return bool(count(image_gen, "total_tokens") or count(image_gen, "output_tokens"))


def _tools(raw: dict[str, Any]) -> dict[str, int]:
    """The tool calls counted in a kept usage object, as span attributes."""
    return {name: raw[key] for key, name in _TOOL_KEYS.items() if key in raw}


class ResponsesRetrieve(Deferred, Responses):
    """`GET /responses/{id}` (`stream=true` too, resumed with `starting_after`) and
    `POST /responses/{id}/cancel`: the response as it stands. Only a background response's
    answer is metered here, once it carries usage (`completed`, or `incomplete`, `failed`,
    `cancelled` with the usage billed so far), keyed by its id; any other answer is not a
    call (`Deferred`): a response that was not in the background was metered by its POST."""

    reads_request_body = False

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if not isinstance(document, dict):
            return
        response = document.get("response") if "type" in document else document
        if isinstance(response, dict) and response.get("background") is True:
            Responses.observe(self, document, seen, streaming)


CHAT = ChatCompletions("chat")
COMPLETIONS = ChatCompletions("text_completion")
EMBEDDINGS = ChatCompletions("embeddings")
RESPONSES = Responses()
RESPONSES_RETRIEVE = ResponsesRetrieve()
