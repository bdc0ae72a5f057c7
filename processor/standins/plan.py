"""What a stand-in answers, decided from the request alone, so usage is deterministic.

Defaults: input tokens grow with the prompt's length (5 + characters / 4), the reply is
`chunks` words (8, capped by the request's max tokens) and output tokens equal its word count.
Request headers override, which is how a demo produces varied, realistic traffic:

- `x-standin-usage: input=1200,output=80,cache_read=1000,cache_creation=0,reasoning=30`
  normalised counts (input includes cache, output includes reasoning); each module renders
  them in its provider's wire format (Anthropic's `input_tokens` then excludes the cache).
  `web_searches=3`: searches a server-side web search tool ran (Anthropic's
  `usage.server_tool_use.web_search_requests`, OpenAI Responses' `web_search_call` items).
  Gemini's grounding with Google Search: the `webSearchQueries` of the last chunk's candidate.
  `file_searches=2`: OpenAI Responses' `file_search_call` items (the file search tool's calls).
  `image_generations=1`: OpenAI Responses' `image_generation_call` items, their tokens in the
  response's `tool_usage.image_gen` (4,160 image tokens each).
  `citations=9000`: Perplexity Sonar Deep Research's `citation_tokens` (with `web_searches` its
  `num_search_queries` and `reasoning` its `reasoning_tokens`, beside `completion_tokens`).
  `code_executions=1`: OpenAI Responses' `code_interpreter_call` items; for Anthropic, the
  answer names its code execution `container` (in `message_delta`'s delta when streamed).
  `audio_input=600,audio_cache_read=200,audio_output=900`: of those counts, the audio tokens
  (OpenAI chat's `prompt_tokens_details` / `completion_tokens_details.audio_tokens`, Gemini's
  `AUDIO` entries of `promptTokensDetails`, `cacheTokensDetails`, `candidatesTokensDetails`).
  `audio_seconds=203`: the whole seconds of audio input Mistral's chat usage reports apart from
  its token counts (`usage.prompt_audio_seconds`, Voxtral's audio input, billed per minute).
- `x-standin-omit: output` leaves the output count out of the answer (OpenAI chat's
  `completion_tokens`, llama.cpp's `tokens_predicted`, TGI's `x-generated-tokens` and
  `generated_tokens`), as a server that reports part of its usage does.
- `x-standin-tool-call: 1` makes an OpenAI chat request that offers tools, and holds no tool
  result yet, answer with a call of its first tool (its required string arguments set to
  "Say hello"), so that an agent's tool-calling loop runs: delegation, tool, answer.
- `x-standin-chunks: 50` reply words, one per streamed content event.
- `x-standin-fail: 429|500|503|400|...` answer with that status in the provider's error shape;
  `cut` streams half the reply and drops the connection without the end (no usage).
  `stream_error` (OpenAI chat streams) sends the first chunk, then an error event,
  `{"error": {"type": "server_error", ...}}`, and ends, as OpenAI does when a stream fails
  after its 200.
- `x-standin-delay: 0.5` seconds to wait before answering (for client timeouts).
- `x-standin-cloud: azure` answers with Azure OpenAI's response headers (`x-ms-region`…,
  `server.AZURE_HEADERS`), as an Azure resource behind a custom domain does.
- `x-standin-cost: openrouter=0.000123,xai_ticks=37756000,litellm=0.0012,aimlapi=0.0012`
  what the provider or gateway reports it charged, in its own wire format: OpenRouter's
  `usage.cost` and xAI's `usage.cost_in_usd_ticks` in the OpenAI-format usage object, the
  LiteLLM proxy's `x-litellm-response-cost` and AI/ML API's `x-aimlapi-usd-spent` headers;
  `perplexity=input:0.000009;output:0.000384;request:0.005`: Perplexity's `usage.cost`
  breakdown (Sonar chat's `*_tokens_cost` and `request_cost`, or in a Responses-format answer
  the Agent API's `input_cost`, `output_cost`, `tool_calls_cost`), with its `total_cost`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

WORDS = (
    "Stand-in", "replies", "are", "deterministic", "so", "that", "every", "token", "count",
    "is", "exact", "and", "every", "demo", "tells", "the", "same", "story", "about", "cost",
)  # fmt: skip

_MAX_TOKEN_KEYS = ("max_tokens", "max_completion_tokens", "max_output_tokens", "maxOutputTokens")


@dataclass
class Plan:
    input_tokens: int
    output_tokens: int
    cache_read: int
    cache_creation: int
    reasoning: int
    words: list[str]
    fail: str | None
    delay: float
    cost: dict[str, str] = field(default_factory=dict)
    """`x-standin-cost`, by key."""
    web_searches: int = 0
    file_searches: int = 0
    code_executions: int = 0
    citations: int = 0
    image_generations: int = 0
    audio_input: int = 0
    audio_cache_read: int = 0
    audio_output: int = 0
    audio_seconds: int = 0
    omit: frozenset[str] = frozenset()
    """`x-standin-omit`: the counts left out of the answer (`output`)."""
    tool_call: bool = False
    """`x-standin-tool-call`: call the request's first tool until a tool result is sent."""

    def usage_cost(self, responses: bool = False) -> dict[str, Any]:
        """The reported-cost fields of an OpenAI-format usage object (OpenRouter, xAI,
        Perplexity; `responses`: a Responses-format one)."""
        found: dict[str, Any] = {}
        if "openrouter" in self.cost:
            found["cost"] = float(self.cost["openrouter"])
        if "xai_ticks" in self.cost:
            found["cost_in_usd_ticks"] = int(self.cost["xai_ticks"])
        if "perplexity" in self.cost:
            parts = dict(item.split(":", 1) for item in self.cost["perplexity"].split(";"))
            total = sum(Decimal(value) for value in parts.values())
            if responses:
                names = {"input": "input_cost", "output": "output_cost", "tools": "tool_calls_cost"}
                breakdown: dict[str, Any] = {"currency": "USD"}
            else:
                names = {"input": "input_tokens_cost", "output": "output_tokens_cost",
                         "request": "request_cost"}  # fmt: skip
                breakdown = {}
            breakdown.update({names[key]: float(value) for key, value in parts.items()})
            found["cost"] = {**breakdown, "total_cost": float(total)}
        return found

    def cost_headers(self) -> dict[str, str]:
        """The gateways' reported-cost response headers asked for."""
        names = {"litellm": "x-litellm-response-cost", "aimlapi": "x-aimlapi-usd-spent"}
        return {names[key]: value for key, value in self.cost.items() if key in names}

    @property
    def uncached_input(self) -> int:
        return self.input_tokens - self.cache_read - self.cache_creation

    @property
    def text(self) -> str:
        """The whole reply."""
        return " ".join(self.words)

    @property
    def pieces(self) -> list[str]:
        """The reply as streamed, one word per content event; joined, they make `text`."""
        return [word if i == 0 else " " + word for i, word in enumerate(self.words)]


def usage_header(**counts: int) -> dict[str, str]:
    """The `x-standin-usage` header, e.g. `usage_header(input=900, cache_read=800)`."""
    return {"x-standin-usage": ",".join(f"{key}={value}" for key, value in counts.items())}


def plan_for(headers: dict[str, str], body: Any) -> Plan:
    chunks = int(headers.get("x-standin-chunks", "8"))
    limit = _max_tokens(body)
    if limit is not None:
        chunks = min(chunks, limit)
    words = [WORDS[i % len(WORDS)] for i in range(max(chunks, 1))]
    counts = {
        "input": 5 + len(_prompt_text(body)) // 4,
        "output": len(words),
        "cache_read": 0,
        "cache_creation": 0,
        "reasoning": 0,
        "web_searches": 0,
        "file_searches": 0,
        "code_executions": 0,
        "citations": 0,
        "image_generations": 0,
        "audio_input": 0,
        "audio_cache_read": 0,
        "audio_output": 0,
        "audio_seconds": 0,
    }
    for item in headers.get("x-standin-usage", "").split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip() in counts:
            counts[key.strip()] = int(value)
    return Plan(
        input_tokens=counts["input"],
        output_tokens=counts["output"],
        cache_read=counts["cache_read"],
        cache_creation=counts["cache_creation"],
        reasoning=counts["reasoning"],
        web_searches=counts["web_searches"],
        file_searches=counts["file_searches"],
        code_executions=counts["code_executions"],
        citations=counts["citations"],
        image_generations=counts["image_generations"],
        audio_input=counts["audio_input"],
        audio_cache_read=counts["audio_cache_read"],
        audio_output=counts["audio_output"],
        audio_seconds=counts["audio_seconds"],
        words=words,
        tool_call=headers.get("x-standin-tool-call") == "1",
        fail=headers.get("x-standin-fail"),
        delay=float(headers.get("x-standin-delay", "0")),
        omit=frozenset(
            name.strip() for name in headers.get("x-standin-omit", "").split(",") if name.strip()
        ),
        cost=dict(
            (key.strip(), value.strip())
            for key, sep, value in (
                item.partition("=") for item in headers.get("x-standin-cost", "").split(",")
            )
            if sep
        ),
    )


def _max_tokens(body: Any) -> int | None:
    if not isinstance(body, dict):
        return None
    places = [body, body.get("generationConfig") or body.get("generation_config") or {}]
    for place in places:
        for key in _MAX_TOKEN_KEYS:
            if isinstance(place.get(key), int):
                return place[key]
    return None


def _prompt_text(body: Any) -> str:
    """Every string in the prompt-bearing fields, so longer prompts cost more input tokens."""
    if not isinstance(body, dict):
        return ""
    fields = (
        "messages",
        "input",
        "prompt",
        "contents",
        "system",
        "systemInstruction",
        "instructions",
    )
    return "".join(_strings(body.get(key)) for key in fields)


def _strings(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "".join(_strings(item) for item in value.values())
    if isinstance(value, list):
        return "".join(_strings(item) for item in value)
    return ""


def dumps(document: Any) -> bytes:
    """Compact JSON, as the providers send it."""
    return json.dumps(document, separators=(",", ":")).encode()
