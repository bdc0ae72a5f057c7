"""The extractor: OTLP spans in, one usage record (:class:`Call`) per LLM API call out.

GenAI spans arrive from many sources, and the same numbers go by many names. The
extractor reads every alias and normalises to one meaning: ``input_tokens`` counts ALL
input tokens, cache reads and writes included; ``output_tokens`` all output tokens,
reasoning included.

Which attribute names each source uses are the aliases of the fields below, GenAI
conventions first; what else differs between sources (which span is the API call,
whether input includes the cache, which tags they use) is in ``sources``, decided per
instrumentation scope and ``telemetry.sdk.name``.

A time to first token longer than the call, read as seconds, is read as milliseconds,
which some sources send under the seconds attribute.

Impossible usage is repaired the same way whatever the source, and counted
(``Extraction.repaired``, ``tokentrace_usage_repaired_total``): an input count below
cache read + cache write cannot include the cache, so the two are added; an output count
below the reasoning count cannot include reasoning, so reasoning is added.
OpenLIT's ``gen_ai.usage.cost`` is its own estimate from its price list, not what the
provider charged, so it is not read as provider cost.

``gen_ai.system`` is an alias of ``gen_ai.provider.name``; provider names are lower-cased
and old spellings mapped to the current ones (``gemini`` → ``gcp.gemini``, …).

What is not stored:

- spans without GenAI attributes (HTTP, database, …) and GenAI spans that describe no
  LLM call (``invoke_agent``, ``execute_tool``, workflow and task spans, wrappers such
  as Vercel's ``ai.generateText`` or OpenInference's ``CHAIN``/``AGENT``, spans that name
  a provider and nothing of a call: no model, usage, response id or error, as agent
  frameworks' turn and run spans do): *ignored*;
- spans with bad data, *rejected* with a reason: a token count that is negative, above
  2^32, NaN, fractional or not a number (numeric strings are accepted, ``"12"`` is 12);
  a start time before 2020-01-01 or more than 30 days after receipt; a trace id that is
  not 16 bytes or a span id that is not 8.

A span without usage (no input or output count, or ``tokentrace.usage.missing=true``) is
stored with ``usage_missing=1`` and whatever counts it has; the pricer leaves it unpriced
(reason ``usage_missing``), never priced at $0. So is another source's span of a call that
succeeded with no tokens at all (counts of 0: what it wrote where it had none). A request the
provider rejected (HTTP status 400 or above, no counts) used nothing: it is not
usage-missing, and costs a known $0; so does one whose connection failed before it was sent
(``tokentrace.request.not_sent``). Except a gateway's answer that the call may have run
behind it (``not_sent.MAY_HAVE_RUN``): that failed call may have been billed, so its cost is
unknown (usage-missing), not $0. A span that counts the input but no cache of a call its
provider caches on its own is marked ``cache_unsaid``: whether that leaves the cost unknown
depends on the model's rates, which the pricer knows (``Pricer.price``).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter as Tally
from datetime import UTC, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from tokentrace.instrumentation.not_sent import MAY_HAVE_RUN
from tokentrace.instrumentation.providers import KNOWN_HOSTS, UNKNOWN, model_owner
from tokentrace.processor.extract import events, sources
from tokentrace.processor.extract import tags as tag_rules
from tokentrace.processor.pricing.pricer import stored_usage_missing
from tokentrace.processor.receivers import otlp_wire

# Token units that refine the counts above (migration 0004), in table order: each is a subset
# of the count it names (cache_write_1h of cache_write, input_audio of input, cache_audio_read
# of cache_read and of input_audio, …), as in genai-prices' unit lattice.
USAGE_UNITS = (
    "cache_write_1h_tokens", "input_audio_tokens", "cache_audio_read_tokens",
    "output_audio_tokens", "input_image_tokens", "cache_image_read_tokens",
    "output_image_tokens", "input_video_tokens", "output_video_tokens",
)  # fmt: skip
# Usage billed in units other than tokens (migration 0018), genai-prices' unit names: the
# characters of text turned into speech (tts-1), the seconds of audio transcribed (whisper-1,
# whole billed seconds), the web searches a server-side tool ran (a fee per search). Their cost
# is in input_cost. The instrumentation reports each as ``tokentrace.usage.<unit>``.
METERED_UNITS = (
    "input_characters", "input_audio_seconds", "web_searches",
    # the pages an OCR model read, and of those the pages it annotated (migration 0020)
    "input_document_pages", "input_annotated_document_pages",
    # of the web searches, those OpenAI's web_search_preview tool ran (migration 0022)
    "preview_web_searches",
    # the images an image model made (Imagen's tokentrace.usage.output_images, migration 0023)
    "output_images",
    # the file search tool calls of an OpenAI response, $2.50 per 1,000 (migration 0025)
    "storage_searches",
    # the calls that ran a provider's code execution container, billed by its time (0026)
    "code_executions",
    # rerank search units (Cohere: one query of up to 100 documents), billed per 1,000 (0033)
    "rerank_searches",
)  # fmt: skip
# Of the cost-by-kind columns, what each unit above is billed at its own rate (migration 0010),
# same order.
UNIT_COST_COLUMNS = tuple(unit.removesuffix("_tokens") + "_cost" for unit in USAGE_UNITS)
# The columns of ``llm_calls``, in table order: a row is a tuple in this order.
COLUMNS = (
    "ts", "trace_id", "span_id", "response_id", "provider", "request_model", "response_model",
    "model", "operation", "service", "environment", "team", "feature", "tenant", "user",
    "conversation", "agent", "input_tokens", "output_tokens", "cache_read_tokens",
    "cache_write_tokens", "reasoning_tokens", "input_cost", "cache_read_cost",
    "cache_write_cost", "output_cost", "cost", "cache_savings", "priced", "price_version",
    "service_tier", "latency_ms", "ttft_ms", "status", "error_type", "http_status", "stream",
    "usage_missing", "tags",
    *USAGE_UNITS, "unpriced_reason", "price_rule", "provider_cost", "cost_source",
    "api_key", "endpoint", "budget_blocked", *UNIT_COST_COLUMNS, *METERED_UNITS,
    "inference_geo", "call_key", "cache_unsaid", "not_sent",
)  # fmt: skip
# The money columns, in table order: integer units of 1e-12 USD in a row (see Call.row),
# ``Decimal(18, 12)`` in the table.
MONEY_COLUMNS = (
    "input_cost", "cache_read_cost", "cache_write_cost", "output_cost", "cost", "cache_savings",
)  # fmt: skip

MAX_TOKENS = 2**32
MIN_TS_NS = 1_577_836_800 * 10**9  # 2020-01-01T00:00:00Z
FUTURE_WINDOW_NS = 30 * 86_400 * 10**9

# Operations that are GenAI but not a billed model call: their usage, if any, is a sum of
# the calls beneath them.
NOT_A_CALL = frozenset(
    {
        "invoke_agent", "create_agent", "execute_tool", "execute_task", "retrieval",
        "agent", "framework", "vectordb", "workflow", "task", "tool",
        "execute_event_loop_cycle",  # Strands Agents' loop turn, around its chat spans
        "invoke_workflow",  # Google ADK's run, around its agents
    }
)  # fmt: skip

PROVIDER_ALIASES = {
    "gemini": "gcp.gemini",
    "google": "gcp.gen_ai",
    "google.ai.studio": "gcp.gen_ai",
    "google-ai-studio": "gcp.gen_ai",
    "vertex_ai": "gcp.vertex_ai",
    "vertexai": "gcp.vertex_ai",
    "googleai": "gcp.gemini",  # Genkit's Gemini API plugin (``googleai/gemini-2.5-flash``)
    "az.ai.openai": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "az.ai.inference": "azure.ai.inference",
    "azure-ai-inference": "azure.ai.inference",
    "bedrock": "aws.bedrock",
    "mistral": "mistral_ai",
    "mistralai": "mistral_ai",
    "xai": "x_ai",
    "ibm.watson.ai": "ibm.watsonx.ai",
    # OpenInference's ``llm.provider`` values
    "azure": "azure.ai.openai",
    "aws": "aws.bedrock",
    # Microsoft Agent Framework's (1.23) Claude clients on Vertex AI and Microsoft Foundry
    # (``AnthropicVertexClient``, ``AnthropicFoundryClient``: their ``OTEL_PROVIDER_NAME``)
    "google.vertex.ai": "gcp.vertex_ai",
    "azure.ai.foundry": "azure.ai.inference",
    # the AI SDK 7's provider id for Claude on Vertex AI (@ai-sdk/google-vertex 5), which
    # @ai-sdk/otel (1.0) passes through as it is, not knowing it
    "googlevertex.anthropic.messages": "gcp.vertex_ai",
}

# When no provider attribute is set, the API host says who answered: the instrumentation's
# table of well-known hosts, so both sides name a host's provider alike; else the model's
# owner, as the instrumentation names it for a call to a host it does not know.
PROVIDER_HOSTS = KNOWN_HOSTS

# Operations whose usage is input alone (no output count to miss).
_INPUT_ONLY_OPERATIONS = frozenset({"embeddings", "embedding"})
# What Bedrock InvokeModel spans name any model's call (OpenLLMetry 0.62.4 and botocore
# 0.66b2: ``text_completion``, OpenInference 0.1.61: ``chat``, or none): on an embedding
# model (``amazon.titan-embed-text-v2:0``, ``cohere.embed-english-v3``) the call is an
# embedding, input only, not a chat whose output count is missing.
_UNSPECIFIC_OPERATIONS = frozenset({"", "chat", "text_completion"})
_EMBEDDING_MODEL = re.compile(r"embed", re.IGNORECASE)
_REQUEST_TYPES = {"chat": "chat", "completion": "text_completion", "embedding": "embeddings"}

# ------------------------------------------------------------------ fields
# Each attribute the extractor reads belongs to one field; a field's aliases are listed in
# order of preference. A raw attribute is parsed and converted to what its field needs
# once, the first time its bytes are seen (``_read``), so most spans cost a scan and a
# few list lookups.

TEXT, LOWER, COUNT, FLAG, SECONDS, STATUS, RAW, MONEY, TICKS = range(9)
_ALIASES: dict[bytes, tuple[int, int, int]] = {}  # key → (field, rank, kind)


def _field(kind: int, *keys: str) -> int:
    index = len({field for field, _, _ in _ALIASES.values()})
    for rank, key in enumerate(keys):
        _ALIASES[key.encode()] = (index, rank, kind)
    return index


# The GenAI conventions' names first, then the other sources' (see ``sources``):
# OpenLLMetry's older ``llm.usage.*``, OpenInference's ``llm.token_count.*`` and
# ``llm.model_name``, the Vercel AI SDK's ``ai.*``.
PROVIDER = _field(
    LOWER,
    "gen_ai.provider.name",
    "gen_ai.system",
    "llm.vendor",
    "llm.provider",
    "llm.system",
    "mlflow.llm.provider",
    # the AI SDK 6's (and 5's) provider id, alone on its embedding spans, which have no
    # ``gen_ai.system``: their provider was the model's owner, none for Bedrock's Titan
    "ai.model.provider",
)
OPERATION = _field(LOWER, "gen_ai.operation.name")
REQUEST_TYPE = _field(LOWER, "llm.request.type")
OPERATION_ID = _field(LOWER, "ai.operationId")
# Whether a span is a call or wraps calls (``sources.CALL_KINDS``).
SPAN_KIND = _field(LOWER, "openinference.span.kind", "mlflow.spanType", "langfuse.observation.type")
SPAN_TYPE = _field(LOWER, "logfire.span_type")  # Logfire's: span, log, …
# openai-agents-opentelemetry's: the OpenAI Agents SDK's span type (``response``, ``turn``…)
AGENT_SPAN_TYPE = _field(LOWER, "agent.span.type")
# AG2's: what its ``record_usage`` span accounts for (``sources.Source.accounting_copy``)
AG2_USAGE_KIND = _field(LOWER, "ag2.usage.kind")
# and the agent it names: the sub-agent whose calls a ``subtask`` span sums (``Call.subtask``)
AG2_USAGE_LABEL = _field(TEXT, "ag2.usage.label")
REQUEST_MODEL = _field(
    TEXT,
    "gen_ai.request.model",
    "llm.request.model",
    "llm.request.model_name",
    "ai.model.id",
    "llm.model",  # VoltAgent's (2.10) ``llm:generateText``/``llm:streamText`` spans
)
RESPONSE_MODEL = _field(
    TEXT,
    "gen_ai.response.model",
    "llm.response.model",
    "llm.response.model_name",
    "ai.response.model",
    "llm.model_name",
    "embedding.model_name",
    "mlflow.llm.model",
    "langfuse.observation.model.name",
)
RESPONSE_ID = _field(TEXT, "gen_ai.response.id", "ai.response.id")
PROVIDER_METADATA = _field(RAW, "ai.response.providerMetadata")
# A usage object set whole as one attribute: LiteLLM's, beside counts of its own that leave
# the cache out; MLflow's and Langfuse's, the only counts of theirs (``sources.UsageObject``).
USAGE_OBJECT = _field(
    RAW, "metadata.usage_object", "mlflow.chat.tokenUsage", "langfuse.observation.usage_details"
)
# OpenInference's ``output.value``: the response as the SDK returned it, JSON. Read only
# for the cache counts of a span that has counts but none of the cache: its Bedrock
# InvokeModelWithResponseStream span sets ``llm.token_count.prompt`` (cache included) but
# no ``…prompt_details``, while the Claude message it records carries the API's usage.
OUTPUT_VALUE = _field(RAW, "output.value")
# OpenInference's ``input.value``: the request, JSON. Read only for the Bedrock model id of
# OpenInference JS's Converse spans (``sources.Source.bedrock_model_id``; InvokeModel's from
# ``output.value``).
INPUT_VALUE = _field(RAW, "input.value")
# LangSmith's OpenTelemetry mode (0.15): a run's ``usage_metadata`` (LangChain's, JSON),
# whose cache and reasoning counts its ``gen_ai.usage.*`` attributes leave out
# (``sources.langchain_usage``).
LANGSMITH_USAGE = _field(RAW, "langsmith.metadata.usage_metadata")
# LangSmith's run outputs (JSON): read only for LangChain's ``AIMessageChunk``, a streamed
# message, the one sign of a stream on its span of a chat model's ``stream()``.
COMPLETION = _field(RAW, "gen_ai.completion")
# MLflow's ``mlflow.spanOutputs``: what the SDK method returned, JSON. Read only for an
# embeddings span's usage, which MLflow (3.17) leaves out of ``mlflow.chat.tokenUsage``
# while the OpenAI response it records has it (``usage.prompt_tokens``).
SPAN_OUTPUTS = _field(RAW, "mlflow.spanOutputs")
# MLflow's ``mlflow.spanInputs``: the SDK method's arguments, JSON. Its Anthropic spans set no
# plain attribute of them (``_request_streams``): ``"stream": true`` there is their only sign
# of a stream.
SPAN_INPUTS = _field(RAW, "mlflow.spanInputs")
# openai-agents-opentelemetry's preview of a generation's output (JSON, cut short): read
# only for the Agents SDK's placeholder response id, its one sign of a streamed Chat
# Completions call (``sources.Source.placeholder_streams``).
OUTPUT_PREVIEW = _field(RAW, "gen_ai.output.preview")
# Genkit's (1.42) action spans: which kind of action (``model``, ``embedder``…), its name
# (``openai/gpt-4o``: the plugin, then the model) and what it returned, JSON; nothing else
# of the call is an attribute (``sources.genkit_call``).
GENKIT_SUBTYPE = _field(LOWER, "genkit:metadata:subtype")
GENKIT_NAME = _field(TEXT, "genkit:name")
GENKIT_OUTPUT = _field(RAW, "genkit:output")
# Google ADK 1.x's whole model response (JSON): read only for its cache and total counts,
# which its spans' attributes lack (``sources.gemini_usage``).
ADK_RESPONSE = _field(RAW, "gcp.vertex.agent.llm_response")
INPUT = _field(
    COUNT,
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.usage.prompt_tokens",
    "llm.token_count.prompt",
    "ai.usage.inputTokens",
    "ai.usage.promptTokens",
    "ai.usage.tokens",  # the Vercel AI SDK's embedding usage
)
OUTPUT = _field(
    COUNT,
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.usage.completion_tokens",
    "llm.token_count.completion",
    "ai.usage.outputTokens",
    "ai.usage.completionTokens",
)
CACHE_READ = _field(
    COUNT,
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "llm.usage.cache_read_input_tokens",
    "llm.token_count.prompt_details.cache_read",
    "ai.usage.inputTokenDetails.cacheReadTokens",
    "ai.usage.cachedInputTokens",
    "metadata.usage.cached_prompt_tokens",  # BeeAI's usage, as OpenInference passes it on
    "gen_ai.usage.cached_tokens",  # Langtrace's (3.8.21): OpenAI's ``cached_tokens``
    "gen_ai.usage.cached_prompt_text_tokens",  # xai-sdk's: xAI's ``SamplingUsage`` field
    "llm.usage.cached_tokens",  # VoltAgent's (2.10): the AI SDK's ``cachedInputTokens``
)
CACHE_WRITE = _field(
    COUNT,
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_write.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "llm.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write",
    "ai.usage.inputTokenDetails.cacheWriteTokens",
)
REASONING = _field(
    COUNT,
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.usage.reasoning_tokens",
    "llm.usage.reasoning_tokens",
    "llm.token_count.completion_details.reasoning",
    "ai.usage.outputTokenDetails.reasoningTokens",
    "ai.usage.reasoningTokens",
)
# Read only where a source's output count may leave out a thinking model's thoughts
# (``sources.thoughts_in_total``).
TOTAL = _field(COUNT, "gen_ai.usage.total_tokens", "llm.usage.total_tokens")
USAGE_MISSING = _field(FLAG, "tokentrace.usage.missing")
# A call whose connection failed before its request was sent (tokentrace's instrumentation:
# refused, no DNS answer, a connect timeout): the provider never saw it.
NOT_SENT = _field(FLAG, "tokentrace.request.not_sent")
# One field per USAGE_UNITS entry, same order. The 1-hour cache write count is Anthropic's
# ``usage.cache_creation.ephemeral_1h_input_tokens`` as tokentrace's instrumentation emits it.
UNITS = (
    _field(COUNT, "gen_ai.usage.cache_creation.ephemeral_1h.input_tokens"),
    _field(COUNT, "gen_ai.usage.audio.input_tokens"),
    _field(COUNT, "gen_ai.usage.audio.cache_read.input_tokens"),
    _field(COUNT, "gen_ai.usage.audio.output_tokens"),
    _field(COUNT, "gen_ai.usage.image.input_tokens"),
    _field(COUNT, "gen_ai.usage.image.cache_read.input_tokens"),
    _field(COUNT, "gen_ai.usage.image.output_tokens"),
    _field(COUNT, "gen_ai.usage.video.input_tokens"),
    _field(COUNT, "gen_ai.usage.video.output_tokens"),
)
# One field per METERED_UNITS entry, same order.
METERED = tuple(_field(COUNT, f"tokentrace.usage.{unit}") for unit in METERED_UNITS)
# What the provider or gateway charged, in USD: the draft ``gen_ai.usage.cost``, and
# ``tokentrace.usage.provider_cost`` (OpenRouter's ``usage.cost``, a gateway's cost header).
PROVIDER_COST = _field(MONEY, "tokentrace.usage.provider_cost", "gen_ai.usage.cost")
# xai-sdk's: the cost xAI charged, an integer of 1e-10 USD (``SamplingUsage.cost_in_usd_ticks``)
PROVIDER_TICKS = _field(TICKS, "gen_ai.usage.cost_in_usd_ticks")
STREAM = _field(
    FLAG,
    "gen_ai.request.stream",
    "gen_ai.request.is_stream",
    "llm.is_streaming",
    "gen_ai.is_streaming",
    # LangSmith's OpenTelemetry mode (0.15): the ``stream`` argument of a wrapped SDK call
    "langsmith.request.streaming",
    "llm.stream",  # VoltAgent's (2.10)
    "gen_ai.request.streaming",  # AgentOps' (0.4.21)
)
# Langfuse's time of a generation's first streamed chunk: its OpenAI drop-in (5.2) sets it on
# streams only, and no other sign of a stream (its ``model.parameters`` leave ``stream`` out).
COMPLETION_START = _field(TEXT, "langfuse.observation.completion_start_time")
# The AWS SDK instrumentation's operation name (``ConverseStream``): whether a call streamed.
RPC_METHOD = _field(TEXT, "rpc.method")
# OpenInference's request parameters (JSON), where its spans say whether the call streamed.
INVOCATION_PARAMETERS = _field(RAW, "llm.invocation_parameters")
TTFT_SECONDS = _field(
    SECONDS,
    "gen_ai.response.time_to_first_chunk",
    "gen_ai.server.time_to_first_token",
    "gen_ai.client.operation.time_to_first_chunk",  # the AI SDK 7's @ai-sdk/otel
)
TTFT_MS = _field(SECONDS, "ai.response.msToFirstChunk")  # the Vercel AI SDK's, in ms
ERROR_TYPE = _field(TEXT, "error.type")
HTTP_STATUS = _field(STATUS, "http.response.status_code")
SERVICE_TIER = _field(
    LOWER,
    "openai.response.service_tier",
    "gen_ai.openai.response.service_tier",
    "anthropic.response.service_tier",
)
# Where an Anthropic call's inference ran when not the default (``us``: 1.1x on recent models).
INFERENCE_GEO = _field(LOWER, "anthropic.response.inference_geo")
SERVER_ADDRESS = _field(LOWER, "server.address")
# The request's URL, where a source records it (the Anthropic SDKs' tracing), or its API base
# URL (OpenLLMetry's OpenAI instrumentation): a cloud's endpoint (``sources.cloud_provider``).
URL = _field(TEXT, "url.full", "gen_ai.openai.api_base")
# An HTTP client span's URL in the older conventions, which @vercel/otel's fetch
# instrumentation (2.1, ``registerOTel``'s default) writes: read for ``Endpoints`` alone.
HTTP_URL = _field(TEXT, "http.url")
API_KEY = _field(TEXT, "tokentrace.api_key")
ENDPOINT = _field(TEXT, "tokentrace.endpoint")
BUDGET_BLOCKED = _field(FLAG, "tokentrace.budget.blocked")
# A span whose call is metered by other spans (``DESIGN.md`` §13): a background response's
# queued answer or unfinished retrieve, a batch's results download. Not a call.
USAGE_DEFERRED = _field(FLAG, "tokentrace.usage.deferred")
# The key of a call whose usage can be read more than once (a background response's id, a
# batch request's ``{batch}/{custom_id}``): counted once per key across traces (``dedupe``).
CALL_KEY = _field(TEXT, "tokentrace.call.key")
DIMENSIONS = tuple(
    _field(TEXT, *keys, *sources.dimension_aliases(dimension))
    for dimension, keys in tag_rules.DIMENSIONS.items()
)
_N_FIELDS = DIMENSIONS[-1] + 1
_unit_counts = itemgetter(*UNITS)  # the UNITS fields' values, as one tuple
_NO_UNITS = (0,) * len(UNITS)
_metered_counts = itemgetter(*METERED)
_NO_METERED = (0,) * len(METERED)
_DIMENSION_FIELDS = slice(DIMENSIONS[0], _N_FIELDS)  # the dimensions come last, in order
_AGENT = tuple(tag_rules.DIMENSIONS).index("agent")
_USAGE = (INPUT, OUTPUT, CACHE_READ, CACHE_WRITE)


# Parent spans whose dimensions and stream sign their calls inherit (``Call.inherits``), by
# trace id + span id: each one's own parent span id, its own value of each dimension (None:
# unset) in ``tags.DIMENSIONS``'s order, and whether it says the call beneath it streamed.
Parents = dict[bytes, tuple[bytes, list[str | None], bool]]
# AG2's tool spans, by trace id + span id: each one's parent span id, start and end (µs). A
# sub-agent run as a tool (``subagent_tool``) makes its calls inside one, and AG2 sums them
# onto the delegating agent's accounting as a ``subtask`` span beside it (``Call.subtask``).
Delegations = dict[bytes, tuple[bytes, int, int]]
# The Claude resource on Vertex AI (``sources.vertex_claude_resource``) that an HTTP client
# span requested, by trace id + the id of its parent span, the call's span: the AI SDK's spans
# of a Claude call on Vertex AI name the bare model and never the endpoint, whose location
# prices Claude Sonnet 4.5 on (``Call.locate``); the fetch instrumentation's span beneath
# the call (``url.full``) names it.
Endpoints = dict[bytes, str]


class Rejected(Exception):
    """A GenAI span with bad data: ``reason`` is the metric label, the message for people."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Call:
    """One LLM API call, as read from one span, before pricing."""

    __slots__ = (
        "api_key",
        "budget_blocked",
        "cache_read_tokens",
        "cache_unsaid",
        "cache_write_tokens",
        "call_key",
        "dimensions",
        "dimensions_own",
        "endpoint",
        "error_type",
        "http_status",
        "inference_geo",
        "inherits",
        "input_tokens",
        "late",
        "latency_ms",
        "metered",
        "not_sent",
        "opening",
        "operation",
        "ours",
        "output_tokens",
        "parent_span_id",
        "provider",
        "provider_cost",
        "rank",
        "reasoning_tokens",
        "request_model",
        "response_id",
        "response_model",
        "scope",
        "service_tier",
        "span_id",
        "status",
        "stream",
        "subtask",
        "tags",
        "trace_id",
        "ts_us",
        "ttft_ms",
        "units",
        "usage_missing",
    )  # fmt: skip

    trace_id: bytes
    span_id: bytes
    parent_span_id: bytes
    response_id: str
    ours: bool
    rank: int
    """How far its source is trusted when two spans describe one call (``sources.RANK_*``)."""
    scope: bytes
    """The instrumentation scope that emitted it: one scope never emits two spans of a call."""
    ts_us: int
    provider: str
    request_model: str
    response_model: str
    operation: str
    dimensions: list[str]
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    usage_missing: int
    cache_unsaid: int
    """1 when another source's span counted input but no cache on a call its provider caches
    on its own (``sources.cache_read_unsaid``: OpenAI, 1,024 tokens or more), and nothing else
    of its usage is missing: whether that changes the price is the pricer's to say
    (``Pricer.price``), as the model may have no cache rate at all."""
    units: tuple[int, ...]  # USAGE_UNITS, same order
    metered: tuple[int, ...]  # METERED_UNITS, same order
    provider_cost: int | None  # units of 1e-12 USD, as reported
    service_tier: str
    inference_geo: str  # "" = the default (global)
    latency_ms: float
    late: bool
    """Its span was opened once the stream had been read (``sources.Source.opened_late``)."""
    opening: bool
    """Its span ended when the stream was returned, with no model name or usage, or is the AI
    SDK 7's span of an ``embed`` operation (``sources.Source.embed_operation``): a later span
    of the call, inside it, may carry them (``dedupe`` holds it a while)."""
    inherits: bool
    """Its span leaves its dimensions or its stream sign to its parent spans
    (``sources.Source.parent_dimensions``: the AI SDK 7's ``chat`` span under ``agent_step``;
    ``parent_streams``: Mastra's; ``parent_fills``: Google ADK's, whose user only
    OpenInference's parent spans name): the call takes them (``parents.TraceMemory``),
    waiting for them a while if they have not come yet."""
    dimensions_own: int
    """Which ``dimensions`` the call's own span set (bit *i*: ``tags.DIMENSIONS``' *i*-th):
    a parent's value fills the others only, nearest first."""
    ttft_ms: float | None
    status: str
    error_type: str
    http_status: int
    stream: int
    tags: dict[str, str]
    api_key: str
    endpoint: str
    budget_blocked: int
    not_sent: int
    """1 when the call's connection failed before its request was sent
    (``tokentrace.request.not_sent``) and no count says otherwise: a known $0 whatever the
    model, kept so by reprice (``pricer.as_stored``)."""
    call_key: str
    """``tokentrace.call.key``: one row per key, however often the call's usage is read."""
    subtask: str
    """The sub-agent named by AG2's ``record_usage subtask`` span, the sum of that agent's
    calls (``sources.Source.subtask``); "" for any other span. It is a copy of those calls
    when the sub-agent is traced too (an ``invoke_agent`` span of that name in its trace,
    ``parents.TraceMemory``), else their only record."""

    def locate(self, endpoints: Endpoints) -> None:
        """Name a Claude model on Vertex AI that the call's span names bare by the endpoint
        an HTTP client span beneath it requested (``Endpoints``), the same model: its
        location prices the call (from Claude Sonnet 4.5 on, a regional endpoint costs 10%
        more than the global one; ``sources.vertex_claude_resource``)."""
        if self.provider != "gcp.vertex_ai" or "/" in self.request_model:
            return
        endpoint = endpoints.get(self.trace_id + self.span_id)
        if endpoint is not None and endpoint.endswith("/models/" + self.request_model):
            self.request_model = endpoint

    @property
    def provider_usd(self) -> Decimal | None:
        """The provider-reported cost in USD, if the span carried one."""
        return None if self.provider_cost is None else Decimal(self.provider_cost).scaleb(-12)

    @property
    def timestamp(self) -> datetime:
        return datetime.fromtimestamp(self.ts_us / 1e6, tz=UTC)

    def row(self, price: Any) -> tuple[Any, ...]:
        """The ``llm_calls`` row (see :data:`COLUMNS`) with ``price`` from the pricer.

        Money is in integer units of 1e-12 USD, the raw value of a ``Decimal(18, 12)``
        column: exact, and cheap to spool and to encode for ClickHouse.
        """
        return (
            self.ts_us,
            self.trace_id.hex(),
            self.span_id.hex(),
            self.response_id,
            self.provider,
            self.request_model,
            self.response_model,
            price.model,  # canonical when priced; for an unpriced call, the name it was sent
            self.operation,
            *self.dimensions,
            self.input_tokens,
            self.output_tokens,
            self.cache_read_tokens,
            self.cache_write_tokens,
            self.reasoning_tokens,
            _units(price.input_cost),
            _units(price.cache_read_cost),
            _units(price.cache_write_cost),
            _units(price.output_cost),
            _units(price.cost),
            _units(price.cache_savings),
            1 if price.priced else 0,
            price.price_version,
            self.service_tier,
            self.latency_ms,
            self.ttft_ms,
            self.status,
            self.error_type,
            self.http_status,
            self.stream,
            stored_usage_missing(self.usage_missing, self.cache_unsaid, price),
            self.tags,
            *self.units,
            price.reason,
            price.rule,
            self.provider_cost,
            price.cost_source,
            self.api_key,
            self.endpoint,
            self.budget_blocked,
            *([_units(cost) for cost in price.unit_costs] if price.unit_costs else _NO_UNIT_COSTS),
            *self.metered,
            self.inference_geo,
            self.call_key,
            self.cache_unsaid,
            self.not_sent,
        )


_UNIT = Decimal(10**12)
_NO_UNIT_COSTS = (0,) * len(UNIT_COST_COLUMNS)


def _units(usd: Decimal) -> int:
    """USD as integer units of 1e-12 (exact: prices carry at most 12 decimals)."""
    return int(usd * _UNIT) if usd else 0


class Extraction:
    """What one export request held: the calls, and counts of everything else."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.parents: Parents = {}
        """The spans whose dimensions their calls inherit (``Call.inherits``)."""
        self.agents: set[bytes] = set()
        """Trace id + name of each AG2 ``invoke_agent`` span (``Call.subtask``)."""
        self.delegations: Delegations = {}
        """AG2's ``execute_tool`` spans (``Call.subtask``)."""
        self.endpoints: Endpoints = {}
        """The Vertex AI Claude endpoints that HTTP client spans requested, by their parent."""
        self.received = 0
        self.ignored = 0
        self.tags_dropped = 0
        self.secrets_dropped = 0
        """Attributes not stored because their key names a credential (``tags.SECRET``)."""
        self.rejected: Tally[str] = Tally()
        self.repaired: Tally[str] = Tally()
        """Calls whose usage could not be right as sent, by what was repaired."""
        self._examples: dict[str, str] = {}

    def reject(self, rejection: Rejected) -> None:
        self.rejected[rejection.reason] += 1
        self._examples.setdefault(rejection.reason, str(rejection))

    @property
    def rejected_count(self) -> int:
        return sum(self.rejected.values())

    def error_message(self) -> str:
        """The ``partial_success.error_message``: each reason, its count and one example."""
        parts = [
            f"{count} {reason.replace('_', ' ')} (e.g. {self._examples[reason]})"
            for reason, count in sorted(self.rejected.items())
        ]
        return f"{self.rejected_count} span(s) rejected: " + "; ".join(parts) if parts else ""


class _Resource:
    """A resource's dimensions, tags and SDK name, read once for all its spans."""

    __slots__ = ("dimensions", "sdk_name", "secrets", "tags")

    def __init__(self, attributes: Any) -> None:
        values: dict[str, str] = {}
        self.tags: list[tuple[str, str]] = []
        self.secrets = 0
        for kv in attributes:
            key, value = _decode(kv)
            text = _text(value)
            if not text:
                continue
            kind = tag_rules.key_kind(key)
            if kind == tag_rules.SECRET:
                self.secrets += 1
                continue
            values[key] = text
            if kind == tag_rules.TAG and tag_rules.is_label(text):
                self.tags.append((key, tag_rules.clip(text)))  # clipped once, not per span
        self.dimensions = tuple(
            tag_rules.clip(next((values[k] for k in keys if k in values), ""))
            for keys in tag_rules.DIMENSIONS.values()
        )
        self.sdk_name = values.get("telemetry.sdk.name", "").lower()


def extract(request: Any, now_ns: int) -> Extraction:
    """Every LLM call in ``request`` (an ``otlp_wire.TraceRequest``).

    ``now_ns`` bounds the accepted start times.
    """
    extraction = Extraction()
    latest = now_ns + FUTURE_WINDOW_NS
    for resource_spans in request.resource_spans:
        resource = _Resource(resource_spans.resource.attributes)
        extraction.secrets_dropped += resource.secrets
        for scope_spans in resource_spans.scope_spans:
            source = sources.Source(scope_spans.scope.name, resource.sdk_name)
            for span in scope_spans.spans:
                extraction.received += 1
                try:
                    call = _call(span, resource, source, scope_spans.scope.name, latest, extraction)
                except Rejected as rejection:
                    extraction.reject(rejection)
                    continue
                if call is None:
                    extraction.ignored += 1
                else:
                    extraction.calls.append(call)
    return extraction


# Raw ``KeyValue`` bytes → (field, rank, key, value or raw bytes). Most attributes repeat
# byte for byte from span to span (operation, provider, model, team, …), so a hit skips
# parsing and converting. Only short attributes are remembered, and not response ids (nor
# call keys), which never repeat: remembered, they would fill the cache in a few seconds of
# traffic, and it is emptied when full, so every repeating attribute would be parsed again.
_read_cache: dict[bytes, tuple[int | None, int, str, Any]] = {}
_CACHE_ENTRIES = 65_536
_CACHE_BYTES = 160
_MALFORMED: tuple[None, int, str, None] = (None, 0, "", None)


def _read(kv: bytes) -> tuple[int | None, int, str, Any]:
    """(field, rank, "", converted value) for an attribute the extractor reads, else
    (None, 0, key, kv): the others are decoded only if they turn out to be tags."""
    try:
        raw_key, start, end = otlp_wire.key_value(kv)
    except otlp_wire.WireError:
        return _MALFORMED
    alias = _ALIASES.get(raw_key)
    if alias is None:
        return None, 0, raw_key.decode("utf-8", "replace"), kv
    field, rank, kind = alias
    try:
        value = otlp_wire.any_value(kv, start, end)
    except otlp_wire.WireError:
        value = otlp_wire.COMPLEX
    return field, rank, "", _convert(kind, value, raw_key)


def _convert(kind: int, value: Any, raw_key: bytes) -> Any:
    """An attribute value as its field needs it; None when absent or empty."""
    if value is None:
        return None
    if kind == TEXT:
        return tag_rules.clip(_unquoted(_text(value))) or None
    if kind == LOWER:
        return tag_rules.clip(_unquoted(_text(value))).lower() or None
    if kind == COUNT:
        try:
            return _count(value, raw_key.decode())
        except Rejected as rejection:  # raised for the span, not for the whole request
            return rejection
    if kind == FLAG:
        return _flag(value)
    if kind == SECONDS:
        return _seconds(value)
    if kind == RAW:
        return value if value.__class__ is str and value else None
    if kind == MONEY:
        return _usd_units(value)
    if kind == TICKS:  # 1e-10 USD, as 1e-12 units
        return value * 100 if value.__class__ is int and 0 <= value < 10**16 else None
    return _status_code(value) or None


def _scan(attributes: Any) -> tuple[list[Any], list[tuple[str, bytes]]]:
    """Field values, and the other attributes as (key, raw), in one pass."""
    found: list[Any] = [None] * _N_FIELDS
    ranks = [0] * _N_FIELDS
    others: list[tuple[str, bytes]] = []
    cached = _read_cache.get
    for kv in attributes:
        entry = cached(kv)
        if entry is None:
            entry = _read(kv)
            if len(kv) <= _CACHE_BYTES and entry[0] != RESPONSE_ID and entry[0] != CALL_KEY:
                if len(_read_cache) >= _CACHE_ENTRIES:
                    _read_cache.clear()
                _read_cache[kv] = entry
        field, rank, key, value = entry
        if field is None:
            if key:
                others.append((key, value))
        elif value is not None and (found[field] is None or rank < ranks[field]):
            found[field] = value
            ranks[field] = rank
    return found, others


def _call(
    span: Any,
    resource: _Resource,
    source: sources.Source,
    scope: bytes,
    latest_ns: int,
    extraction: Extraction,
) -> Call | None:
    found, others = _scan(span.attributes)
    requested = found[URL] or found[HTTP_URL]
    if requested is not None and span.parent_span_id:
        endpoint = sources.vertex_claude_resource(requested)
        if endpoint is not None:
            extraction.endpoints[span.trace_id + span.parent_span_id] = endpoint
    if source.span_events and span.events:
        _read_events(span.events, found)
    provider = found[PROVIDER] or ""
    operation = found[OPERATION] or ""
    if not operation:
        request_type = found[REQUEST_TYPE] or ""
        operation = _REQUEST_TYPES.get(request_type, request_type)
    operation = source.operation(operation)
    if source.inherits and (
        operation in sources.DIMENSION_PARENTS
        or (source.parent_fills and not (found[REQUEST_MODEL] or found[RESPONSE_MODEL]))
    ):
        extraction.parents[span.trace_id + span.span_id] = (
            span.parent_span_id,
            found[_DIMENSION_FIELDS],
            source.parent_streams and _parent_streams(others),
        )
    elif source.ag2 and operation == "invoke_agent":
        # a ``subtask`` span beneath waits for it, by when its sub-agent's span has ended
        extraction.parents[span.trace_id + span.span_id] = (
            span.parent_span_id,
            [None] * len(DIMENSIONS),
            False,
        )
        agent = found[DIMENSIONS[_AGENT]]
        if agent:
            extraction.agents.add(span.trace_id + agent.encode())
    elif source.ag2 and operation == "execute_tool":
        # a tool that may run a sub-agent, whose calls another instrumentation's spans
        # beneath it may have counted (``Call.subtask``)
        extraction.delegations[span.trace_id + span.span_id] = (
            span.parent_span_id,
            span.start_time_unix_nano // 1000,
            span.end_time_unix_nano // 1000,
        )
    if found[OPERATION_ID] is not None or found[SPAN_KIND] is not None:
        if sources.is_wrapper(found[OPERATION_ID], found[SPAN_KIND]):
            return None
        if not operation:
            operation = (
                sources.vercel_operation(found[OPERATION_ID])
                if found[OPERATION_ID]
                else sources.CALL_KINDS.get(found[SPAN_KIND] or "", "")
            )
    if source.genkit:
        genkit = sources.genkit_call(
            found[GENKIT_SUBTYPE], found[GENKIT_NAME], found[GENKIT_OUTPUT]
        )
        if genkit is None:
            return None  # a flow, a ``generate`` step (its usage sums its model calls'), a tool
        provider, found[REQUEST_MODEL], operation, found[USAGE_OBJECT] = genkit
    model_id = source.bedrock_model_id(found[INPUT_VALUE], found[OUTPUT_VALUE])
    if model_id:
        found[REQUEST_MODEL] = tag_rules.clip(model_id)
        found[RESPONSE_MODEL] = None  # ``llm.model_name``: the vendor, not a model
    bridged_response = source.responses_call(found[AGENT_SPAN_TYPE])
    if bridged_response:
        provider = provider or "openai"
        operation = operation or "chat"
    unnamed = (
        source.openinference
        and not (found[REQUEST_MODEL] or found[RESPONSE_MODEL])
        and bool(found[INVOCATION_PARAMETERS])
    )
    if unnamed:
        # the span of a stream that ends when the stream is returned, with neither model nor
        # usage (OpenInference's Groq and Portkey instrumentations): the call, usage-missing
        model = sources.invocation_model(found[INVOCATION_PARAMETERS])
        found[REQUEST_MODEL] = tag_rules.clip(model) if model else None
    if not (
        bridged_response
        or found[REQUEST_MODEL]
        or found[RESPONSE_MODEL]
        or any(found[field] is not None for field in _USAGE)
        or (provider and (found[RESPONSE_ID] or found[ERROR_TYPE] or span.status.code == 2))
    ):
        return None
    if operation in _UNSPECIFIC_OPERATIONS and _EMBEDDING_MODEL.search(
        found[REQUEST_MODEL] or found[RESPONSE_MODEL] or ""
    ):
        operation = "embeddings"
    if (
        operation in NOT_A_CALL
        or source.preparation(span)
        or source.accounting_copy(found[AG2_USAGE_KIND], found[AG2_USAGE_LABEL])
    ):
        return None
    if found[USAGE_DEFERRED] and found[INPUT] is None and found[OUTPUT] is None:
        return None  # metered by the span that reads the call's usage
    if source.logfire and source.stream_opening(
        found[SPAN_TYPE],
        bool(found[RESPONSE_ID])
        or found[INPUT] is not None
        or found[OUTPUT] is not None
        or span.status.code == 2
        or found[ERROR_TYPE] is not None,
    ):
        return None

    call = Call()
    call.trace_id = span.trace_id
    call.span_id = span.span_id
    if len(call.trace_id) != 16 or len(call.span_id) != 8:
        raise Rejected(
            "invalid_id",
            f"trace id must be 16 bytes and span id 8, got {len(call.trace_id)} "
            f"and {len(call.span_id)}",
        )
    call.parent_span_id = span.parent_span_id
    start = span.start_time_unix_nano
    if start < MIN_TS_NS or start > latest_ns:
        raise Rejected(
            "invalid_timestamp",
            f"start time {_iso(start)} is outside the accepted window "
            "(2020-01-01 to 30 days from now)",
        )
    call.ts_us = start // 1000
    end = span.end_time_unix_nano
    call.latency_ms = (end - start) / 1e6 if end > start else 0.0

    # canonical before any rule keyed on the provider reads the counts (``aws`` is Bedrock)
    provider = source.provider(provider)
    provider = PROVIDER_ALIASES.get(provider, provider)
    span_model = found[RESPONSE_MODEL] or found[REQUEST_MODEL] or ""
    input_tokens = _valid(found[INPUT])
    output_tokens = _valid(found[OUTPUT])
    call.stream = int(
        bool(found[STREAM])
        or sources.streams(found[OPERATION_ID])
        or sources.invocation_streams(found[INVOCATION_PARAMETERS])
        or source.streamed_result(found[SPAN_TYPE])
        or source.rpc_streams(found[RPC_METHOD])
        or source.name_streams(span)
        or source.laminar_streams(
            span, input_tokens is not None or output_tokens is not None, found[TOTAL]
        )
        or source.timing_streams(found[TTFT_SECONDS])
        or source.output_streams(found[OUTPUT_VALUE])
        or source.placeholder_streams(found[OUTPUT_PREVIEW])
        or found[COMPLETION_START] is not None
        or _request_streams(others, source)
        or _chunk_streams(others, source)
        or sources.invocation_streams(found[SPAN_INPUTS])
        or sources.message_chunk(found[COMPLETION])
    )
    cache_counted = found[CACHE_READ] is not None or found[CACHE_WRITE] is not None
    cache_known = cache_counted
    if source.usage_is_estimate(
        provider, bool(call.stream), cache_counted, found[RESPONSE_ID] or ""
    ):
        input_tokens = output_tokens = None
    cache_read = _valid(found[CACHE_READ]) or 0
    cache_write = _valid(found[CACHE_WRITE]) or 0
    reasoning = _valid(found[REASONING]) or 0
    # AI SDK 5 counts Claude's input without the cache, on Anthropic's API and on Vertex AI
    # alike: the Messages API's own usage, where the metadata has it, says all four counts.
    if source.vercel and found[PROVIDER_METADATA]:
        wire = sources.vercel_anthropic_usage(found[PROVIDER_METADATA])
        if wire is not None:
            uncached, output_tokens, cache_read, cache_write = wire
            input_tokens = uncached + cache_read + cache_write
            cache_known = True
    # Most spans carry none of the finer units: no per-unit work for them.
    units = _unit_counts(found)
    units = tuple(_valid(count) or 0 for count in units) if any(units) else _NO_UNITS
    if found[USAGE_OBJECT]:
        # only what the span's own attributes do not say
        usage = sources.UsageObject(found[USAGE_OBJECT], source.usage_object_normalised)
        if input_tokens is None and output_tokens is None:
            input_tokens, output_tokens = usage.input, usage.output
        if found[CACHE_READ] is None and usage.cache_read is not None:
            cache_read = usage.cache_read
        if found[CACHE_WRITE] is None and usage.cache_write is not None:
            cache_write = usage.cache_write
        cache_known = cache_known or usage.cache_read is not None or usage.cache_write is not None
        if found[REASONING] is None and usage.reasoning is not None:
            reasoning = usage.reasoning
        if found[UNITS[0]] is None and usage.cache_write_1h:
            units = (usage.cache_write_1h, *units[1:])
    if found[LANGSMITH_USAGE] and found[CACHE_READ] is None and found[CACHE_WRITE] is None:
        details = sources.langchain_usage(found[LANGSMITH_USAGE])
        if details is not None:
            cache_read, cache_write, write_1h, langchain_reasoning = details
            cache_known = True
            if found[REASONING] is None:
                reasoning = langchain_reasoning
            if found[UNITS[0]] is None and write_1h:
                units = (write_1h, *units[1:])
    if (
        found[SPAN_OUTPUTS]
        and input_tokens is None
        and output_tokens is None
        and operation in _INPUT_ONLY_OPERATIONS
    ):
        output_usage = sources.response_usage(found[SPAN_OUTPUTS])
        if output_usage is not None:
            input_tokens = output_usage.input
    reply = source.reply_usage(found[OUTPUT_VALUE])
    if reply is not None and found[CACHE_READ] is None and found[CACHE_WRITE] is None:
        if input_tokens is None and output_tokens is None:
            input_tokens, output_tokens = reply.input, reply.output
        cache_read = reply.cache_read or 0
        cache_write = reply.cache_write or 0
        cache_known = reply.cache_read is not None or reply.cache_write is not None
        if found[REASONING] is None and reply.reasoning is not None:
            reasoning = reply.reasoning
    elif (
        found[OUTPUT_VALUE]
        and found[CACHE_READ] is None
        and found[CACHE_WRITE] is None
        and input_tokens is not None
        and not found[USAGE_OBJECT]
    ):
        output_usage = sources.response_usage(found[OUTPUT_VALUE])
        if output_usage is not None:
            cache_read = output_usage.cache_read or 0
            cache_write = output_usage.cache_write or 0
            # a usage object without cache counts (AutoGen's ``RequestUsage``) says no more
            cache_known = (
                output_usage.cache_read is not None or output_usage.cache_write is not None
            )
    total = found[TOTAL]
    if found[ADK_RESPONSE] and found[CACHE_READ] is None and input_tokens is not None:
        gemini = sources.gemini_usage(found[ADK_RESPONSE])
        if gemini is not None:
            cache_read = gemini[0] or cache_read
            total = total or gemini[1]
    cache_write = max(cache_write, units[0])  # a source may report 1-hour writes only
    if input_tokens is not None and (cache_read or cache_write):
        if source.input_excludes_cache(provider, span_model):
            input_tokens += cache_read + cache_write
        elif input_tokens < cache_read + cache_write:  # cannot include them: add them
            input_tokens += cache_read + cache_write
            extraction.repaired["input_below_cache"] += 1
    if (
        reasoning
        and output_tokens is not None
        and source.reasoning_beside_output(total, input_tokens, output_tokens, reasoning)
    ):
        output_tokens += reasoning
    if output_tokens is not None and output_tokens < reasoning:  # cannot include reasoning
        output_tokens += reasoning
        extraction.repaired["output_below_reasoning"] += 1
    call.input_tokens = input_tokens or 0
    call.output_tokens = output_tokens or 0
    call.cache_read_tokens = cache_read
    call.cache_write_tokens = cache_write
    call.reasoning_tokens = reasoning
    call.units = units
    metered = _metered_counts(found)
    if source.xai_sdk and operation == XAI_IMAGE_OPERATION:
        metered = _xai_images(metered, others)
    call.metered = tuple(_valid(count) or 0 for count in metered) if any(metered) else _NO_METERED
    provider_cost = found[PROVIDER_COST]
    call.provider_cost = None if source.openlit else provider_cost or found[PROVIDER_TICKS]
    call.usage_missing = int(
        (input_tokens is None and output_tokens is None and not any(call.metered))
        or bool(found[USAGE_MISSING])
        or (
            source.rank != sources.RANK_TOKENTRACE
            and _partial(
                input_tokens,
                output_tokens,
                operation,
                source.input_excludes_cache(provider, span_model),
                cache_known,
            )
        )
    )

    call.request_model = source.bedrock_model(found[REQUEST_MODEL] or "")
    call.response_model = source.bedrock_model(found[RESPONSE_MODEL] or "")
    if provider in sources.FRAMEWORK_SYSTEMS:
        provider = ""  # names the framework, not who answered
    if not provider:
        provider = PROVIDER_HOSTS.get(found[SERVER_ADDRESS] or "", "")
    if not provider or provider == UNKNOWN:
        # the model's owner, as the instrumentation names it on an unknown host; and when it
        # could not (a streamed request body names no model before it is sent), the answer's
        provider = model_owner(call.response_model or call.request_model) or provider
    call.provider = PROVIDER_ALIASES.get(provider, provider)
    if call.provider in sources.CLOUD_HOSTED_PROVIDERS and (found[SERVER_ADDRESS] or found[URL]):
        call.provider = sources.cloud_provider(call.provider, found[SERVER_ADDRESS], found[URL])
    writes = (
        sources.langchain_cache_writes(found[OUTPUT_VALUE])
        if source.langchain_js and call.provider == "anthropic" and found[CACHE_WRITE] is None
        else None
    )
    if writes is not None:
        call.cache_write_tokens = writes[0]
        if writes[1]:
            call.units = (writes[1], *call.units[1:])
    elif source.cache_writes_unread(call.provider, found[CACHE_WRITE]):
        call.usage_missing = 1  # its cache writes, billed above the input rate, are not counted
    if source.anthropic_start_counted(call.provider, bool(call.stream)) or source.stream_unread(
        found[OUTPUT_VALUE]
    ):
        call.usage_missing = 1  # the output count is off by message_start's placeholder
        call.output_tokens = 0
    if source.stream_count_estimated(call.provider, bool(call.stream), cache_known):
        call.usage_missing = 1  # the source's own guess, not the provider's usage: no counts
        call.input_tokens = call.output_tokens = 0
    cache_unsaid = (
        input_tokens is not None
        and not cache_known
        and source.rank != sources.RANK_TOKENTRACE
        and operation not in _INPUT_ONLY_OPERATIONS  # an embedding reads no cache
        and sources.cache_read_unsaid(call.provider, input_tokens)
    )
    if call.provider == "gcp.vertex_ai" and "/" not in call.request_model:
        call.request_model = (
            (found[URL] and sources.vertex_claude_resource(found[URL]))
            or sources.vertex_claude_at_host(found[SERVER_ADDRESS], found[URL], call.request_model)
            or call.request_model
        )
    model = call.response_model or call.request_model
    if (
        reasoning
        and output_tokens is not None
        and source.thoughts_outside_output(call.provider, model)
    ):
        call.output_tokens += reasoning
    if total and not reasoning and output_tokens is not None:
        thoughts = sources.thoughts_in_total(
            call.provider, model, total, call.input_tokens + call.output_tokens
        )
        if thoughts:
            call.output_tokens += thoughts
            call.reasoning_tokens = thoughts
            extraction.repaired["output_without_thoughts"] += 1
    elif output_tokens is not None and source.thoughts_unknown(model, total, found[REASONING]):
        call.usage_missing = 1  # the thoughts, billed as output, are not counted
    # its cache reads, billed at a lower rate, are not counted: the pricer says if it matters
    call.cache_unsaid = int(cache_unsaid and not call.usage_missing)
    call.operation = operation or "chat"
    call.response_id = found[RESPONSE_ID] or source.output_response_id(found[OUTPUT_VALUE])
    call.late = source.opened_late(bool(call.stream), call.response_id)
    call.opening = bool(call.usage_missing) and (
        (unnamed and bool(call.stream)) or source.embed_operation(call.operation, True)
    )
    call.service_tier = found[SERVICE_TIER] or ""
    call.inference_geo = found[INFERENCE_GEO] or ""
    ttft = found[TTFT_SECONDS]
    call.ttft_ms = found[TTFT_MS] if ttft is None else ttft * 1000.0
    if call.ttft_ms is None and found[COMPLETION_START] is not None:
        call.ttft_ms = sources.completion_start_ms(found[COMPLETION_START], start, end)
    if ttft is not None and call.ttft_ms > call.latency_ms >= ttft and not call.late:
        # longer than the call as seconds, not as milliseconds: sent in milliseconds
        # (Strands Agents' ``gen_ai.server.time_to_first_token``); a span opened after
        # its stream is shorter than the stream's first token by nature
        call.ttft_ms = ttft
    call.error_type = found[ERROR_TYPE] or ""
    call.status = "error" if span.status.code == 2 or call.error_type else "ok"
    call.http_status = found[HTTP_STATUS] or 0
    if 300 <= call.http_status < 400 and input_tokens is None and output_tokens is None:
        return None  # a redirect, not a call: the client sends the call again where it points
    call.not_sent = 0
    if ((call.http_status >= 400 and call.http_status not in MAY_HAVE_RUN) or found[NOT_SENT]) and (
        input_tokens is None and output_tokens is None
    ):
        # a rejected request, or one never sent, used nothing: its cost is a known $0
        call.usage_missing = 0
        call.not_sent = int(bool(found[NOT_SENT]))
    elif (
        call.status == "ok"
        and source.rank != sources.RANK_TOKENTRACE
        and not (input_tokens or output_tokens or cache_read or cache_write or any(units))
        and not any(call.metered)
    ):
        # No model call that succeeded used no tokens at all: a source that writes zeros
        # where it had no usage (AutoGen's ``RequestUsage(0, 0)`` for a stream that carried
        # none, which OpenInference's AutoGen instrumentation copies) has none to give.
        call.usage_missing = 1
    dimensions = found[_DIMENSION_FIELDS]  # a new list: the span's own value, else the resource's
    call.inherits = bool(span.parent_span_id) and (
        (
            operation == "chat"
            and (
                source.parent_streams
                or (source.parent_dimensions and all(value is None for value in dimensions))
            )
        )
        or (source.parent_fills and None in dimensions)
    )
    call.dimensions_own = 0
    for index, value in enumerate(dimensions):
        if value is None:
            dimensions[index] = resource.dimensions[index]
        else:
            call.dimensions_own |= 1 << index
    call.dimensions = dimensions
    call.api_key = found[API_KEY] or ""
    call.endpoint = found[ENDPOINT] or ""
    call.budget_blocked = int(bool(found[BUDGET_BLOCKED]))
    call.call_key = found[CALL_KEY] or ""
    call.ours = source.rank == sources.RANK_TOKENTRACE
    call.subtask = (found[AG2_USAGE_LABEL] or "") if source.subtask(found[AG2_USAGE_KIND]) else ""
    if call.subtask and span.parent_span_id:
        call.inherits = True  # waits for its parent span, the delegating agent's
    framework = call.late or (source.stream_apart and call.stream)
    call.rank = sources.RANK_FRAMEWORK if framework else source.rank
    call.scope = scope
    call.tags = _tags(others, resource, call, source, extraction)
    return call


def _read_events(span_events: Any, found: list[Any]) -> None:
    """Fill the fields that a span's attributes leave empty from what its events say of its
    call (``events``: LlamaIndex's spans, whose only data they are)."""
    described = events.described(span_events)
    if described is None:
        return
    for field, value in (
        (REQUEST_MODEL, described.model),
        (OPERATION, described.operation),
        (RESPONSE_MODEL, described.response_model),
        (RESPONSE_ID, described.response_id),
        (USAGE_OBJECT, described.usage),
    ):
        if found[field] is None and value:
            found[field] = value if field == USAGE_OBJECT else tag_rules.clip(value)


def _partial(
    input_tokens: int | None,
    output_tokens: int | None,
    operation: str,
    input_excludes_cache: bool,
    cache_known: bool,
) -> bool:
    """Whether another source's usage lacks a count the call may have billed, so that
    pricing what it has would undercount: an input count without an output count, or the
    other way round (but an embedding's, which has no output); or an input count without the
    cache from a source that sets no cache count, where the cache's reads and writes may be
    billed beside it. Such a call's cost is unknown (usage-missing), not that of its known
    part."""
    if (input_tokens is None) != (output_tokens is None):
        return not (output_tokens is None and operation in _INPUT_ONLY_OPERATIONS)
    return (
        input_tokens is not None
        and input_excludes_cache
        and not cache_known
        and operation not in _INPUT_ONLY_OPERATIONS  # an embedding reads no cache
    )


def _valid(count: Any) -> int | None:
    """A token count field: the count, None when absent; a bad one rejects the span."""
    if count.__class__ is Rejected:
        raise count
    return count


def _request_streams(others: list[tuple[str, bytes]], source: sources.Source) -> bool:
    """Whether MLflow's span of a call says ``stream: true`` among the request's keyword
    arguments it sets as plain attributes (``sources.Source.plain_keys_are_request``): its
    Responses API and chat streams carry no other sign (MLflow 3.17)."""
    if not source.plain_keys_are_request:
        return False
    for key, kv in others:
        if key == "stream":
            return _text(_decode(kv)[1]).lower() == "true"
    return False


def _chunk_streams(others: list[tuple[str, bytes]], source: sources.Source) -> bool:
    """Whether OpenLLMetry's LangChain span recorded a streamed message as the answer
    (``sources.Source.chunk_role_streams``): read for that scope alone, so that no other
    span pays for decoding its output messages."""
    if not source.openllmetry_langchain:
        return False
    for key, kv in others:
        if key == "gen_ai.output.messages":
            return source.chunk_role_streams(_text(_decode(kv)[1]))
    return False


def _tags(
    others: list[Any],
    resource: _Resource,
    call: Call,
    source: sources.Source,
    extraction: Extraction,
) -> dict:
    tags: dict[str, str] = {}
    dropped = 0
    for key, kv in others:
        if key.startswith("tokentrace."):
            call.ours = True
            call.rank = sources.RANK_TOKENTRACE
            continue
        if source.plain_keys_are_request and "." not in key:
            continue
        if key.startswith(sources.METADATA_HEADS):
            metadata = sources.metadata_key(key)
            if metadata is not None:
                if metadata in sources.METADATA_DIMENSION_KEYS or metadata.startswith(
                    sources.FRAMEWORK_METADATA_PREFIXES
                ):
                    continue
                key = metadata
        kind = tag_rules.key_kind(key)
        if kind != tag_rules.TAG or key in tags:
            extraction.secrets_dropped += kind == tag_rules.SECRET
            continue
        text = _text(_decode(kv)[1])  # only now: a huge prompt attribute is never decoded
        if not text or not tag_rules.is_label(text):
            continue
        if len(key) > tag_rules.MAX_KEY_CHARS or len(tags) >= tag_rules.MAX_EXTRA_TAGS:
            dropped += 1
            continue
        tags[key] = tag_rules.clip(text)
    for key, text in resource.tags:
        if key in tags:
            continue
        if len(key) > tag_rules.MAX_KEY_CHARS or len(tags) >= tag_rules.MAX_EXTRA_TAGS:
            dropped += 1
            continue
        tags[key] = text
    extraction.tags_dropped += dropped
    return tags


# --------------------------------------------------------------- values


XAI_IMAGE_OPERATION = "generate_image"
"""xai-sdk's image calls' operation (``image.sample``, ``image.sample_batch``)."""
_XAI_IMAGE_PREFIX = "gen_ai.response."
_XAI_IMAGE_SUFFIX = ".image.respect_moderation"
_OUTPUT_IMAGES = METERED_UNITS.index("output_images")


def _xai_images(metered: tuple[Any, ...], others: list[tuple[str, bytes]]) -> tuple[Any, ...]:
    """``metered`` with the images an xai-sdk image call made (billed per image): its span
    names no count but one ``gen_ai.response.{i}.image.*`` group per image returned, each
    with ``respect_moderation`` (xai-sdk 1.21's ``_collect_per_image_attributes``). They were
    counted as none: a prices file's per-image rate priced such a call at $0."""
    images = sum(
        1
        for key, _ in others
        if key.startswith(_XAI_IMAGE_PREFIX) and key.endswith(_XAI_IMAGE_SUFFIX)
    )
    if not images:
        return metered
    counts = list(metered)
    counts[_OUTPUT_IMAGES] = images
    return tuple(counts)


def _parent_streams(others: list[tuple[str, bytes]]) -> bool:
    """Whether a Mastra ``agent_step`` span's response headers say its call streamed."""
    for key, kv in others:
        if key == sources.MASTRA_RESPONSE_HEADERS:
            return sources.event_stream(_text(_decode(kv)[1]))
    return False


def _decode(kv: bytes) -> tuple[str, Any]:
    """A raw ``KeyValue`` as (key, Python value); malformed values read as unset."""
    try:
        key, start, end = otlp_wire.key_value(kv)
        value = otlp_wire.any_value(kv, start, end)
    except otlp_wire.WireError:
        return "", None
    return key.decode("utf-8", "replace"), value


def _text(value: Any) -> str:
    if value.__class__ is str:
        return value
    if value is None or value is otlp_wire.COMPLEX:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return repr(value) if isinstance(value, float) else str(value)


def _unquoted(text: str) -> str:
    """A text value that is a JSON string literal, decoded: MLflow sets every attribute as
    JSON (``mlflow.llm.model`` is ``"gpt-4o"``, quotes included). No name or label the
    extractor reads starts and ends with a double quote."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        try:
            decoded = json.loads(text)
        except ValueError:
            return text
        return decoded if decoded.__class__ is str else text
    return text


def _count(value: Any, key: str) -> int:
    if value.__class__ is int:
        count = value
    elif value.__class__ is str:
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 12):
            raise Rejected("invalid_usage", f"{key}={text[:32]!r} is not a token count")
        count = int(text)
    elif value.__class__ is float:
        if not math.isfinite(value) or value != int(value):
            raise Rejected("invalid_usage", f"{key}={value!r} is not a whole token count")
        count = int(value)
    else:
        kind = "boolean" if value.__class__ is bool else "list, map or bytes"
        raise Rejected("invalid_usage", f"{key} holds a {kind}, not a token count")
    if count < 0 or count > MAX_TOKENS:
        raise Rejected("invalid_usage", f"{key}={count} is outside 0..2^32")
    return count


def _flag(value: Any) -> bool:
    if value.__class__ is bool:
        return value
    if value.__class__ is str:
        return value.strip().lower() in ("true", "1", "yes")
    if value.__class__ is int:
        return value != 0
    return False


def _usd_units(value: Any) -> int | None:
    """A cost in USD as integer units of 1e-12 (half-even); None when not a finite amount >= 0."""
    if value.__class__ is str:
        text = value.strip()
    elif value.__class__ in (int, float):
        text = repr(value)  # the shortest text that reads back as the float
    else:
        return None
    try:
        amount = Decimal(text)
    except ArithmeticError:
        return None
    if not amount.is_finite() or amount < 0 or amount >= 10**6:
        return None
    return int(amount.scaleb(12).to_integral_value())


def _seconds(value: Any) -> float | None:
    if value.__class__ in (int, float) and math.isfinite(value) and value >= 0:
        return float(value)
    return None


def _status_code(value: Any) -> int:
    if value.__class__ is int and 0 <= value <= 65535:
        return value
    if value.__class__ is str and value.strip().isdigit() and len(value.strip()) <= 5:
        return min(int(value.strip()), 65535)
    return 0


def _iso(ns: int) -> str:
    try:
        return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return f"{ns} ns"
