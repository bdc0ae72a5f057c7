"""Which quirks each instrumentation scope has: one table, read once per scope by
``sources.Source``, so that a new source is one row.

A quirk is a name: the ``Source`` flag of the same name (``langchain``, ``openlit``…, each
read by the ``Source`` method that says what it changes), or one of ``RANK_QUIRKS`` (which
span of a call is kept) and ``DEDUPE_QUIRKS`` (how ``dedupe`` pairs a source's spans).
``SCOPES`` is matched on the whole scope name, ``FAMILIES`` on its beginning (an
instrumentation that names a scope per module or per provider); a scope has the quirks of
every row it matches. Each fact was read from a real span of the package named, recorded
against the provider stand-ins (``tests/fixtures/sources/``).
"""

from __future__ import annotations

from functools import lru_cache

# Which of two spans of one call is kept on equal usage, highest first (``sources.RANK_*``).
RANK_QUIRKS = ("tokentrace", "provider_sdk", "framework", "inexact")
# Read by ``dedupe`` through ``sources``' scope tuples.
DEDUPE_QUIRKS = ("loose_usage", "early_stream", "stream_usage_dropped")

FAMILIES: tuple[tuple[bytes, frozenset[str]], ...] = (
    # tokentrace's own instrumentation: its spans are kept over any other's
    (b"tokentrace", frozenset({"tokentrace"})),
    # the Anthropic SDKs' own tracing (``com.anthropic.sdk.python[.vertex|.foundry…]``): they
    # see the exact wire usage, so theirs is kept next
    (b"com.anthropic.sdk", frozenset({"provider_sdk"})),
    # xai-sdk's own tracing (``xai_sdk.sync.chat``, ``xai_sdk.aio.chat``…): its calls go over
    # gRPC, which no HTTP hook sees, so its span is the only one; exact wire usage
    # (``sources.Source.reasoning_beside_output``)
    (b"xai_sdk.", frozenset({"provider_sdk", "xai_sdk"})),
    # OpenInference: span kinds, a stream only in its parameters or span name; its spans may be
    # a framework span's SDK-level twin before any framework span is seen
    (b"openinference.", frozenset({"openinference"})),
    (b"@arizeai/openinference", frozenset({"openinference"})),
    # OpenLIT (1.34's ``openlit.otel.tracing``, 1.45's ``openlit.instrumentation.*``): its
    # Anthropic input is the API's ``input_tokens``, without the cache; stream estimates
    (b"openlit", frozenset({"openlit", "anthropic_input_excludes_cache"})),
    # MLflow's tracing: its own tracer provider, so another instrumentation's span of a call is
    # a root of its own trace; its usage object counts the cache in ``input_tokens`` whatever
    # the provider; its un-namespaced attributes are the request's keyword arguments, not tags
    (b"mlflow.", frozenset({"framework", "usage_object_normalised", "plain_keys_are_request"})),
    # Logfire's instrumentations of provider SDKs: a stream is a request span and a log span
    (b"logfire.", frozenset({"logfire"})),
    # Langfuse's generations: its OpenAI drop-in does not make its span current, so the
    # SDK-level span of the call is its sibling
    (b"langfuse", frozenset({"framework"})),
    # botocore's Bedrock Runtime spans (0.66b2) and the contrib AWS SDK's for Node (0.79):
    # input without the cache (Converse's ``inputTokens``, Claude's ``input_tokens``); a
    # stream only by ``rpc.method``; Node's: no cache count, InvokeModel stream output 1
    (
        b"opentelemetry.instrumentation.botocore",
        frozenset({"botocore", "bedrock_input_excludes_cache"}),
    ),
    (
        b"@opentelemetry/instrumentation-aws-sdk",
        frozenset({"botocore", "bedrock_input_excludes_cache"}),
    ),
    # Langtrace's SDK (3.8.21, ``langtrace_python_sdk.instrumentation.*``): its Chat
    # Completions and Anthropic spans are started with ``tracer.start_span``, never current,
    # without a response id; its Claude input is the API's, and it sets no cache count; its
    # operations are ``openai.responses.create`` and ``embed``
    (
        b"langtrace_python_sdk.",
        frozenset({"framework", "anthropic_input_excludes_cache", "langtrace"}),
    ),
)

# Frameworks' spans of a model call ("framework"): not current, or started after the call,
# so another instrumentation's span of it is a root of its own trace, without a response
# id to pair them by; ``dedupe`` pairs them by time, and on equal usage keeps the other.
SCOPES: dict[bytes, frozenset[str]] = {
    # OpenLLMetry Python's Anthropic (0.62.4) adds ``message_start``'s 1 to a stream's output
    # and says nothing of the stream: of equal spans, the other is kept
    b"opentelemetry.instrumentation.anthropic": frozenset({"inexact"}),
    # OpenInference's LangChain tracers (Python 0.1.80, JS 4.1.1) never attach their span;
    # a stream says ``"stream": false`` (``Source.output_streams``); JS: Claude's cache writes
    # only in the message, a stream's output off by ``message_start``'s
    b"openinference.instrumentation.langchain": frozenset({"framework", "langchain"}),
    b"@arizeai/openinference-instrumentation-langchain": frozenset(
        {"framework", "langchain", "langchain_js"}
    ),
    # OpenLLMetry's (0.62.4) Ollama, Groq, Together, watsonx, Replicate, SageMaker and Aleph
    # Alpha spans: ``tracer.start_span``, never current
    b"opentelemetry.instrumentation.ollama": frozenset({"framework"}),
    b"opentelemetry.instrumentation.groq": frozenset({"framework"}),
    b"opentelemetry.instrumentation.together": frozenset({"framework"}),
    b"opentelemetry.instrumentation.watsonx": frozenset({"framework"}),
    b"opentelemetry.instrumentation.replicate": frozenset({"framework"}),
    b"opentelemetry.instrumentation.sagemaker": frozenset({"framework"}),
    b"opentelemetry.instrumentation.alephalpha": frozenset({"framework"}),
    # OpenLLMetry's LiteLLM (0.62.4): never current either, and its response id is LiteLLM's
    # (``chatcmpl-<uuid>`` for Claude), not the provider's: paired by time; it reads
    # LiteLLM's ``cached_tokens`` and never Claude's cache writes, which its input includes
    b"opentelemetry.instrumentation.litellm": frozenset({"framework", "cache_writes_unsaid"}),
    # OpenLLMetry's Bedrock (0.62.4): never current (streams); input without the cache; the
    # model id without its vendor (``Source.bedrock_model``)
    b"opentelemetry.instrumentation.bedrock": frozenset(
        {"framework", "bedrock_input_excludes_cache", "bedrock_vendor_dropped"}
    ),
    # OpenInference's LlamaIndex (4.6.1): a stream's span ends when the stream is returned,
    # before the request (``dedupe``); ``_prepare_chat_with_tools`` spans send nothing
    b"openinference.instrumentation.llama_index": frozenset(
        {"framework", "llama_index", "early_stream"}
    ),
    # LlamaIndex's own tracing (llama-index-observability-otel 0.7.0): spans without
    # attributes, the call only in their events (``extract.events``); as OpenInference's
    # LlamaIndex spans, a stream's ends when the stream is returned (no end event: no usage),
    # and ``_prepare_chat_with_tools`` spans send nothing
    b"llamaindex.opentelemetry.tracer": frozenset(
        {"framework", "llama_index", "early_stream", "span_events"}
    ),
    # OpenLLMetry's LangChain (0.62.4): never current; a stream only by an ``unknown`` role;
    # Claude's cache writes read where langchain-anthropic sets 0
    b"opentelemetry.instrumentation.langchain": frozenset({"framework", "openllmetry_langchain"}),
    # OpenInference's BeeAI (0.1.30): BeeAI's chat model span is never current
    b"openinference.instrumentation.beeai": frozenset({"framework"}),
    # openai-agents-opentelemetry's bridge (0.4.1): never attached; its ``gen_ai.response``
    # spans are calls without model or usage; a stream only by its placeholder output
    b"openai.agents": frozenset({"framework", "agents_bridge"}),
    # OpenInference JS's Bedrock (0.5.1) and OpenLLMetry JS's (0.27): roots of two traces,
    # input without the cache, and counts that disagree (paired by time alone); OpenInference
    # names no model (``modelId`` in ``input.value``) and says a stream only in its output
    b"@arizeai/openinference-instrumentation-bedrock": frozenset(
        {"framework", "bedrock_input_excludes_cache", "openinference_js_bedrock", "loose_usage"}
    ),
    # OpenLLMetry JS's LangChain (0.27, always on in its SDK): never current, so the SDK
    # instrumentations' spans of its calls are roots of traces of their own; Claude's input
    # without the cache (100 of 1,200), the cache never counted
    b"@traceloop/instrumentation-langchain": frozenset({"framework", "cache_writes_unsaid"}),
    b"@traceloop/instrumentation-bedrock": frozenset(
        {"bedrock_input_excludes_cache", "loose_usage"}
    ),
    # LiteLLM's OTel callback (1.110): started after the call; its operations are its call
    # types; a stream without usage carries its tokenizer's count
    b"litellm": frozenset({"framework", "litellm"}),
    # the Vertex AI SDK's instrumentations, contrib (2.2b0) and OpenLLMetry's (0.62.4), one
    # scope: Vertex AI's whatever they name; OpenLLMetry's never current; the contrib one's
    # output without a thinking model's thoughts. OpenInference's (0.1.29): Vertex AI's too
    b"opentelemetry.instrumentation.vertexai": frozenset({"framework", "vertexai", "vertexai_sdk"}),
    b"openinference.instrumentation.vertexai": frozenset({"vertexai"}),
    # AG2 1.2.1's ``TelemetryMiddleware``: ``record_usage`` spans copy or sum calls, its
    # compaction span started after the call; its Claude input is the API's, without the cache
    b"opentelemetry.instrumentation.ag2": frozenset(
        {"framework", "ag2", "anthropic_input_excludes_cache"}
    ),
    # OpenLLMetry JS's OpenAI (0.27): chat counts are its own tiktoken estimate
    b"@traceloop/instrumentation-openai": frozenset({"openllmetry_js_openai"}),
    # Claude's input as the API's ``input_tokens``, without the cache: OpenLLMetry JS (0.27),
    # OpenInference's Agno (Agno's metrics), Microsoft Agent Framework 1.23 (and Converse's
    # ``inputTokens`` on Bedrock), OpenLIT 1.45's Bedrock
    b"@traceloop/instrumentation-anthropic": frozenset({"anthropic_input_excludes_cache"}),
    b"openinference.instrumentation.agno": frozenset({"anthropic_input_excludes_cache"}),
    b"agent_framework": frozenset(
        {"anthropic_input_excludes_cache", "bedrock_input_excludes_cache"}
    ),
    b"openlit.instrumentation.bedrock": frozenset({"bedrock_input_excludes_cache"}),
    # OpenInference's Anthropic (3.1.0; JS 0.2.8): its ``messages.stream`` span is not current
    # when the request goes out, and has no response id
    b"openinference.instrumentation.anthropic": frozenset({"stream_apart"}),
    b"@arizeai/openinference-instrumentation-anthropic": frozenset({"stream_apart"}),
    # OpenInference JS's OpenAI (4.2): a stream's span never has its usage, so it waits for a
    # framework's span of the call (LangChain.js's), which may
    b"@arizeai/openinference-instrumentation-openai": frozenset({"stream_usage_dropped"}),
    # the Vercel AI SDK (scope ``ai``) and Mastra's exporter (1.4): the provider is the AI SDK's
    # provider id (``openai.chat``); Mastra says a call streamed only on its ``agent_step``
    b"ai": frozenset({"vercel", "provider_ids"}),
    b"@mastra/otel-exporter": frozenset({"provider_ids", "parent_streams"}),
    # the AI SDK 7 through @ai-sdk/otel (scope ``gen_ai``), Pydantic AI (2.68), Strands Agents
    # (1.62): a stream only by its time to first chunk; the AI SDK 7's ``embed`` operation
    # span looks like its model call's, and its dimensions are on its parents' spans; the
    # provider ids @ai-sdk/otel does not know it passes through (``together.chat``); it names
    # @ai-sdk/azure's (Azure OpenAI) ``azure.ai.inference``
    b"gen_ai": frozenset(
        {
            "azure_named_inference",
            "chunk_timed",
            "operation_spans",
            "parent_dimensions",
            "provider_ids",
        }
    ),
    b"pydantic-ai": frozenset({"chunk_timed"}),
    b"strands.telemetry.tracer": frozenset({"chunk_timed"}),
    # OpenInference's Haystack (0.1.46): the usage and a stream's first-chunk time only in the
    # replies it records
    b"openinference.instrumentation.haystack": frozenset({"haystack"}),
    # OpenInference's Google GenAI (1.4.14): its response id only in the response it records
    b"openinference.instrumentation.google_genai": frozenset({"response_id_in_output"}),
    # LangSmith's OpenTelemetry mode (0.15.1): it writes each run as a span once the run is
    # over, with trace and span ids of its own, while the context it sets for the call has
    # others (from the run's UUIDs): the SDK-level span of a call is the root of a trace of
    # its own, inside it in time, and LangChain's runs have no response id
    b"langsmith": frozenset({"framework"}),
    # Laminar's SDK (lmnr 0.8.2): every span of its own instrumentations has this scope (the
    # instrumented package in ``lmnr.span.instrumentation_scope.name``) and is never current:
    # another instrumentation's span of the call is the root of a trace of its own, and its
    # embeddings span has no response id; its Responses API and Claude streams are told only
    # by how its wrappers end their spans (``Source.laminar_streams``)
    b"lmnr.tracer": frozenset({"framework", "laminar"}),
    # AgentOps' SDK (agentops 0.4.21) names its Anthropic instrumentation's scope
    # ``anthropic``: its Claude input is the API's ``input_tokens``, without the cache, and it
    # sets no cache count; its ``anthropic.messages.stream`` span has no response id, beside
    # the Anthropic SDK's own span of the stream (paired as a framework's, by time)
    b"anthropic": frozenset({"framework", "anthropic_input_excludes_cache"}),
    # VoltAgent (2.10): its ``llm:*`` span of a call has the AI SDK's usage, with the cache
    # reads (``llm.usage.cached_tokens``) and never Claude's cache writes, which its input
    # includes
    b"@voltagent/core": frozenset({"cache_writes_unsaid"}),
    # Genkit (1.42): its model and embedder actions' spans have no attribute of the call's but
    # their name and what they returned (``Source.genkit``)
    b"genkit-tracer": frozenset({"genkit"}),
    # Google ADK's own tracing (Python 1.x and 2.13, JS 2.0) and OpenInference's ADK
    # instrumentation (1.0.5), which writes its LLM attributes onto ADK's span of the call:
    # ADK's ``user_id`` is only on OpenInference's ``invocation``/``invoke_workflow``/
    # ``agent_run`` spans (``user.id``), never on the call's. A call span takes the dimensions
    # it lacks from its parents, and every span of these scopes naming no model is such a
    # parent (``parents.TraceMemory``)
    b"gcp.vertex.agent": frozenset({"parent_fills"}),
    b"openinference.instrumentation.google_adk": frozenset({"parent_fills"}),
}

# The OpenLIT family's quirks, which its tracer provider (``telemetry.sdk.name=openlit``)
# gives a span with no scope name (OpenLIT 1.34).
OPENLIT_UNNAMED = dict(FAMILIES)[b"openlit"]


@lru_cache(maxsize=1024)
def quirks(scope_name: bytes, sdk_name: str) -> frozenset[str]:
    """The quirks of a scope: its row's, and its families'."""
    found = set(SCOPES.get(scope_name, ()))
    for prefix, family in FAMILIES:
        if scope_name.startswith(prefix):
            found |= family
    if not scope_name and sdk_name == "openlit":
        found |= OPENLIT_UNNAMED
    return frozenset(found)


def scopes_with(quirk: str) -> tuple[bytes, ...]:
    """The scope names whose row has ``quirk``, in the table's order."""
    return tuple(name for name, named in SCOPES.items() if quirk in named)


def prefixes_with(quirk: str) -> tuple[bytes, ...]:
    """The family prefixes that have ``quirk``, in the table's order."""
    return tuple(prefix for prefix, family in FAMILIES if quirk in family)
