"""Normalised token usage and what a response told us, turned into span attributes.

Every provider reports usage differently; each API module converts its provider's numbers into
`Usage`, whose invariant the processor relies on: `input_tokens` counts ALL input tokens (cache
reads and writes included) and `output_tokens` ALL output tokens (reasoning included).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from opentelemetry.util.types import AttributeValue

from .provider_cost import PROVIDER_COST

INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
CACHE_READ_TOKENS = "gen_ai.usage.cache_read.input_tokens"
CACHE_CREATION_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
REASONING_TOKENS = "gen_ai.usage.reasoning.output_tokens"
# Anthropic's `usage.cache_creation.ephemeral_1h_input_tokens`: part of the cache writes.
CACHE_CREATION_1H_TOKENS = "gen_ai.usage.cache_creation.ephemeral_1h.input_tokens"
USAGE_MISSING = "tokentrace.usage.missing"
USAGE_DEFERRED = "tokentrace.usage.deferred"
"""The call is metered by another span, never by this one: the answer says its usage comes
later (an OpenAI background response queued or still running, a retrieve that ended before
it did), or the span is a batch's results download, whose requests get a span each."""
CALL_KEY = "tokentrace.call.key"
"""The key of a call whose usage can be read more than once (a background response polled
after it completed, a batch's results downloaded twice): the processor counts one call per
key, whatever the trace."""
# Usage billed in units other than tokens (`Usage.by_modality`), genai-prices' unit names.
INPUT_CHARACTERS = "tokentrace.usage.input_characters"
INPUT_AUDIO_SECONDS = "tokentrace.usage.input_audio_seconds"
WEB_SEARCHES = "tokentrace.usage.web_searches"
# The images an image model made, billed per image (Imagen; DALL·E, by size and quality).
OUTPUT_IMAGES = "tokentrace.usage.output_images"
# The file search tool calls of an OpenAI Responses answer (`file_search_call` output items),
# billed per call on top of the tokens; genai-prices' unit name.
STORAGE_SEARCHES = "tokentrace.usage.storage_searches"
# The calls that ran a provider's code execution container (OpenAI Responses'
# `code_interpreter_call` items; an Anthropic answer that names its `container`), billed by
# the container's time, not per call: the call is unpriced. genai-prices' unit name.
CODE_EXECUTIONS = "tokentrace.usage.code_executions"
# Of those, the searches OpenAI's web_search_preview tool ran (its fee differs on GPT-4o and
# GPT-4.1); tokentrace's own unit, not genai-prices'.
PREVIEW_WEB_SEARCHES = "tokentrace.usage.preview_web_searches"
# The tier the provider says served the call (OpenAI's `service_tier`: `flex`, `priority`…),
# recorded when it is not the standard one: flex and batch bill less, priority more.
SERVICE_TIER = "openai.response.service_tier"
STANDARD_TIERS = frozenset({"default", "standard", "auto", "on_demand"})
# Where an Anthropic call's inference ran (`usage.inference_geo`), recorded when it is not the
# default `global`: US-only inference bills 1.1x on Claude Opus 4.6 and later models.
INFERENCE_GEO = "anthropic.response.inference_geo"


@dataclass(slots=True)
class Usage:
    input_tokens: int | None
    """None only for a call billed in another unit alone (`by_modality`: rerank searches)."""
    output_tokens: int | None = None
    cache_read_tokens: int | None = None
    cache_creation_tokens: int | None = None
    reasoning_tokens: int | None = None
    by_modality: dict[str, int] = field(default_factory=dict)
    """Further counts, keyed by attribute name: per modality (`gen_ai.usage.audio.input_tokens`),
    or in a unit other than tokens (`tokentrace.usage.rerank_searches`, after genai-prices'
    unit names)."""
    provider_cost: str | None = None
    """What the provider says the call cost, in USD (`provider_cost`), as decimal text."""

    def attributes(self) -> dict[str, AttributeValue]:
        attributes: dict[str, AttributeValue] = (
            {} if self.input_tokens is None else {INPUT_TOKENS: self.input_tokens}
        )
        if self.output_tokens is not None:
            attributes[OUTPUT_TOKENS] = self.output_tokens
        if self.cache_read_tokens is not None:
            attributes[CACHE_READ_TOKENS] = self.cache_read_tokens
        if self.cache_creation_tokens is not None:
            attributes[CACHE_CREATION_TOKENS] = self.cache_creation_tokens
        if self.reasoning_tokens is not None:
            attributes[REASONING_TOKENS] = self.reasoning_tokens
        if self.by_modality:
            attributes.update(self.by_modality)
        if self.provider_cost is not None:
            attributes[PROVIDER_COST] = self.provider_cost
        return attributes


OUTPUT_OPERATIONS = frozenset({"chat", "text_completion", "generate_content"})
"""The operations whose calls bill output tokens: an answer that counts their input but not
their output reports part of its usage (`partial`)."""


def partial(usage: Usage, operation: str) -> bool:
    """Whether `usage` counts a generating call's input but not its output (llama.cpp's
    `/completion` without `tokens_predicted`, TGI without `x-generated-tokens`, an
    OpenAI-compatible server's `usage` with `prompt_tokens` alone): pricing what it has would
    read the missing count as 0, so the call is usage-missing (`USAGE_MISSING`), its cost
    unknown. An API that leaves a zero count out (Ollama's and Gemini's) reads it as 0 in its
    own `usage`."""
    return (
        usage.output_tokens is None
        and usage.input_tokens is not None
        and operation in OUTPUT_OPERATIONS
    )


@dataclass(slots=True)
class KeyedUsage(Usage):
    """Usage that can be read again later, with its `CALL_KEY`."""

    call_key: str = ""

    def attributes(self) -> dict[str, AttributeValue]:
        attributes = Usage.attributes(self)  # no `super()`: slots make a new class
        attributes[CALL_KEY] = self.call_key
        return attributes


@dataclass(slots=True)
class Observed:
    """What the response body has told us so far; filled in by an API module's `observe`."""

    response_id: str | None = None
    response_model: str | None = None
    finish_reasons: list[str] = field(default_factory=list)
    raw_usage: dict[str, Any] | None = None
    """The provider's own usage object, merged as stream events arrive."""
    usage_final: bool = False
    """True once the provider has sent the usage that it bills (not a running placeholder)."""
    error_type: str | None = None
    """An error reported inside a successful response, such as Anthropic's `error` stream event."""
    service_tier: str | None = None
    """The tier that served the call, as the response names it (the latest event's wins)."""
    inference_geo: str | None = None
    """Where the call's inference ran, as the response names it (Anthropic's `inference_geo`)."""
    served_by: str | None = None
    """The cloud the response's headers say served an `openai` call (`call.AZURE_REGION`), or
    the server a self-hosted path's answer names (`tei_api`)."""
    operation: str | None = None
    """The operation the answer names, when its path is another API's too (TEI's embeddings
    on TGI's `POST /`); read only beside `served_by`."""
    code_execution_free: bool = False
    """The request makes code execution free (Anthropic's, beside web search or web fetch of
    version 20260209 or later): a container the answer names is not billed."""
    free_code_requests: frozenset[str] = frozenset()
    """Of an Anthropic Message Batches create, the `custom_id`s of the requests whose code
    execution is free, as `code_execution_free` (`batch_api.AnthropicBatchCreate`)."""


def response_attributes(seen: Observed) -> dict[str, AttributeValue]:
    """What an answer says of itself (id, model, finish reasons, tier, where it ran) as span
    attributes, as `LLMCall._record` sets them: for the calls read out of an answer that
    lists several (`batch_api`), which must be priced as the same call made alone would be.
    (`_record` inlines the same checks: it runs once per call on the hot path.)"""
    found: dict[str, AttributeValue] = {}
    if seen.response_id:
        found["gen_ai.response.id"] = seen.response_id
    if seen.response_model:
        found["gen_ai.response.model"] = seen.response_model
    if seen.finish_reasons:
        found["gen_ai.response.finish_reasons"] = seen.finish_reasons
    if seen.service_tier and seen.service_tier not in STANDARD_TIERS:
        found[SERVICE_TIER] = seen.service_tier
    if seen.inference_geo and seen.inference_geo != "global":
        found[INFERENCE_GEO] = seen.inference_geo
    return found


def count(data: Any, *path: str) -> int | None:
    """The integer at `path` in nested dicts, or None when any level is missing or not a count."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data if isinstance(data, int) and not isinstance(data, bool) else None


def text(data: Any, key: str) -> str | None:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None
