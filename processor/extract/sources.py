"""Who emitted a span, and that source's conventions: where usage sits, which span is the call.

The extractor reads every alias of a field (see ``extractor``); what differs between
sources beyond names is decided here, per source, from the instrumentation scope name and
the resource's ``telemetry.sdk.name`` (which quirks a scope has: one row of
``scopes.SCOPES`` each), never from the numbers alone. Each fact below was
read from a real span of the package named, recorded against the provider stand-ins
(``tests/fixtures/sources/``, recorded by ``tests/fixtures/sources/record/record.py``).

==========================  ==============================  =================================
source (scope / sdk name)   the API call span; wrappers     usage, convention, tags
==========================  ==============================  =================================
tokentrace                  one ``CLIENT`` span per call    ``gen_ai.usage.*``, input
(``tokentrace*``)                                           includes cache
Anthropic SDKs' own         ``anthropic.messages.create``   input includes cache;
tracing (Python 2.15,       (one per call, retries and      ``gen_ai.usage.cache_write.
TypeScript 1.15:            stream included)                input_tokens``;
``com.anthropic.sdk.*``)                                    ``gen_ai.conversation.id``
OpenInference (Python       ``openinference.span.kind``     ``llm.token_count.prompt``
openai 0.1.66, anthropic    ``LLM`` / ``EMBEDDING``;        includes cache (both providers),
3.1.0; JS openai 4.2.7,     ``CHAIN``, ``AGENT``, ``TOOL``,  ``…prompt_details.cache_read|
anthropic 0.2.8:            ``RETRIEVER``… are not calls;
                            JS Anthropic: the SDK's own
                            span is its child
``openinference.*``,                                        cache_write``, ``…completion_
``@arizeai/openinference*``)                                details.reasoning``;
                                                            ``llm.model_name``,
                                                            ``llm.provider``/``llm.system``;
                                                            ``user.id``, ``session.id``. JS
                                                            streams carry no usage. Stream:
                                                            ``"stream": true`` in
                                                            ``llm.invocation_parameters``.
Vercel AI SDK 5 and 6       ``ai.*.doGenerate``,            6: ``ai.usage.inputTokens`` includes
(scope ``ai``)              ``.doStream``, ``.doEmbed``     cache (``inputTokenDetails.
                            (``ai.operationId``); their     noCacheTokens`` is the rest);
                            parents ``ai.generateText``,    ``…cacheReadTokens|
                            ``ai.streamText``… sum steps    cacheWriteTokens``,
                                                            ``ai.usage.cachedInputTokens``,
                                                            ``…reasoningTokens``;
                                                            ``gen_ai.system=openai.chat``
                                                            (provider id . API);
                                                            ``ai.telemetry.metadata.*`` tags.
                                                            5: ``generateText`` has only
                                                            ``ai.usage.promptTokens|
                                                            completionTokens``, streams
                                                            ``inputTokens`` and
                                                            ``cachedInputTokens``; Anthropic
                                                            input EXCLUDES cache and cache
                                                            writes are only in
                                                            ``ai.response.providerMetadata``
                                                            (``anthropic.usage``: the API's
                                                            usage, read for Claude's calls
                                                            of either version, on Vertex AI
                                                            too)
OpenLLMetry Python 0.62     one span per SDK call           input includes cache (OpenAI's
(``opentelemetry.           (``openai.chat``,               ``prompt_tokens``; Anthropic's
instrumentation.openai.v1``, ``anthropic.chat``), in a       input + cache); streamed
``….anthropic``)            trace of its own beside the     Anthropic output is one too high
                            Anthropic SDK's span            (it adds ``message_start``'s 1)
OpenLLMetry JS 0.27         one span per SDK call           Anthropic input EXCLUDES cache
(``@traceloop/               (``chat MODEL``)               (the API's ``input_tokens``);
instrumentation-*``)                                        OpenAI chat streams carry its
                                                            own ESTIMATE (tiktoken on the
                                                            text, without the messages'
                                                            overhead or the cache), and
                                                            nothing marks a stream: its
                                                            chat counts are taken as no
                                                            usage (``Source.usage_is_
                                                            estimate``)
OpenLLMetry JS's LangChain  a framework's span per chat     Claude input the uncached part
0.27 (``@traceloop/         call, never current: the SDK    (a stream's all of it), no
instrumentation-langchain``, spans of its calls are roots    cache counts: unknown
always on in its SDK)       of their own traces (paired
                            by time)
OpenLIT 1.34 (scope        one span per SDK call; none     Anthropic input EXCLUDES cache,
``openlit.otel.tracing``)   for Anthropic's                 and no cache counts; OpenAI
                            ``messages.stream``             input includes cache, no cache
                                                            counts; streamed OpenAI chat
                                                            counts are an ESTIMATE
                                                            (characters / 2: it reads the
                                                            chunk's ``input_tokens``, which
                                                            chat chunks do not have), so
                                                            they are taken as no usage
OpenLIT 1.45 (scopes        one span per SDK call; for      cache counts (``gen_ai.usage.
``openlit.instrumentation.  Bedrock, Converse only. An      cache_read|cache_creation.
openai``, ``….anthropic``,  Ollama stream's span starts     input_tokens``); Anthropic and
``….bedrock``,              once the stream has been read   Bedrock input EXCLUDES cache;
``….google_ai_studio``,     (no response id: paired by      OpenAI streams read the usage
``….ollama``)               time, ``Source.opened_late``)   chunk, and set the cache counts
                                                            only then: without them the
                                                            counts are its ESTIMATE still;
                                                            ``gen_ai.provider.name=gemini``
openai-v2 2.4b0 (scope      ``chat MODEL``                  input includes cache, no cache
``opentelemetry.util.                                       attribute (cached input is billed
genai.handler``); JS                                        at the full rate: the span does
``@opentelemetry/                                           not say); streams without
instrumentation-openai``                                    ``include_usage``: no usage
google-genai 1.3b0          ``generate_content MODEL``      input includes cache
(``opentelemetry.                                           (``promptTokenCount``),
instrumentation.                                            ``gen_ai.provider.name=gemini``
google_genai``)
Pydantic AI / Logfire       ``chat MODEL``; ``agent run``   GenAI conventions
                            (``invoke_agent``) is not
OpenInference LangChain     ``LLM`` (``ChatOpenAI``);       as OpenInference above; no
0.1.80 (``openinference.    ``CHAIN``/``AGENT``/``PROMPT``  response id; the streamed call
instrumentation.            are not calls. With             says ``"stream": false``
langchain``)                OpenInference's OpenAI
                            instrumentation, the SDK's
                            span is a root of its own
                            trace (``RANK_FRAMEWORK``)
OpenLLMetry LangChain 0.62  ``ChatOpenAI.chat``; the        GenAI conventions; LangChain's
(``opentelemetry.           ``workflow`` (``invoke_agent``) own ``ls_*``/``lc_*`` run
instrumentation.            and ``task`` spans are not;     metadata arrives as association
langchain``)                it suppresses OpenLLMetry's     properties (no tags); no stream
                            OpenAI span of the call         attribute: a stream's output
                                                            message has role ``unknown``
OpenInference LlamaIndex     ``LLM`` (``OpenAI.chat``,       as OpenInference above; the
4.6.1 (``openinference.     ``OpenAI.stream_chat``);        invocation parameters are the
instrumentation.            ``CHAIN`` (the engines) are     LLM's settings, no ``stream``;
llama_index``)              not calls, nor                  no response id
                            ``write_response_to_history``
                            (``LLM``, no model or usage).
                            Framework rank: with
                            OpenInference's OpenAI spans,
                            a stream's is elsewhere in
                            the trace, after it in time
Logfire 5.4                 the request span              GenAI conventions (input
``instrument_openai()``,    (``Chat Completion with …``),   includes cache); the log has
``instrument_anthropic()``  but for a stream: its span      them for streams
(``logfire.openai``,        ends when the stream is
``logfire.anthropic``)      returned, with no response;
                            the call is the ``streaming
                            response`` log span
                            (``logfire.span_type=log``),
                            in a trace of its own
Strands Agents 1.62          ``chat`` (one per model call);  GenAI conventions;
(``strands.telemetry.       ``invoke_agent`` (sums the      ``gen_ai.system=strands-agents``
tracer``)                   calls) and                      is the framework: the provider
                            ``execute_event_loop_cycle``    is the model's owner;
                            are not                         ``gen_ai.server.time_to_first_
                                                            token`` in milliseconds
LiteLLM 1.110 (scope        ``litellm_request`` (started    ``gen_ai.usage.*`` (input
``litellm``, its OTel       after the call, a root unless   includes cache) without cache
integration)                a span is active);              counts: those, and reasoning,
                            ``raw_gen_ai_request`` (the     are in ``metadata.usage_object``
                            provider's response) is not a   (its usage, a Python literal).
                            call. Framework rank: the SDK   ``gen_ai.cost.*`` is LiteLLM's
                            span beneath it (OpenInference  own estimate, not read. A stream
                            OpenAI's, which wraps           without usage carries LiteLLM's
                            ``OpenAI.request``) is a root   tokenizer count, which no
                            of its own trace, no response   attribute tells from the
                            id                              provider's
botocore 0.66b2 (scope      ``chat MODEL``, one per boto3   ``gen_ai.system=aws.bedrock``;
``opentelemetry.            Bedrock Runtime call            input EXCLUDES cache (Converse's
instrumentation.botocore.                                   ``inputTokens``, Claude's
bedrock-runtime``)                                          ``input_tokens``); InvokeModel
                                                            on Claude has no cache counts;
                                                            no stream attribute: ``rpc.method``
                                                            ``ConverseStream``, …
MLflow 3.17 tracing         ``CHAT_MODEL``/``LLM``/         ``mlflow.chat.tokenUsage`` (JSON:
(``mlflow.tracing.          ``EMBEDDING`` spans             input includes cache, whatever
provider``, sdk name        (``mlflow.spanType``, JSON as   the provider); model
``mlflow``)                 all its attributes); others     ``mlflow.llm.model``; no response
                            (``CHAIN``, ``AGENT``…) are     id; its un-namespaced attributes
                            not. Its own tracer provider:   are the request's keyword
                            another instrumentation's span  arguments (no tags);
                            of the call is a root of its    ``mlflow.traceTag.*`` are tags.
                            own (``RANK_FRAMEWORK``).       With the GenAI opt-in: GenAI
                            Anthropic ``create(stream=``    conventions, no cache counts.
                            ``True)``: ends at the return,  An ``EMBEDDING`` span has no
                            no usage; ``messages.stream``   ``tokenUsage``: its count is in
                            (sync or async): no span        ``mlflow.spanOutputs``' ``usage``
Langfuse Python SDK 5.2     ``langfuse.observation.type``   ``langfuse.observation.usage_
(scope ``langfuse-sdk``)    ``generation``/``embedding``;   details`` (JSON): the OpenAI
                            ``span``, ``agent``… are not.   drop-in's is OpenAI's usage
                            The OpenAI drop-in's span is    object; by hand, Langfuse's usage
                            not current: the SDK-level      types (``input`` EXCLUDES cache);
                            span is its sibling             model ``…model.name``; no
                            (``RANK_FRAMEWORK``)            response id
OpenLLMetry 0.62.4 per      one span per SDK call, never    Bedrock: input EXCLUDES cache
provider (``opentelemetry.  current (``start_span``; for    (Converse's ``inputTokens``);
instrumentation.bedrock``,  Bedrock, of streams): another   InvokeModel stream: no cache
``….google_generativeai``,  span of the call is a root of   counts; ``global.`` profile ids
``….ollama``)               its own trace; Ollama's and     lose it, and InvokeModel on one
                            Bedrock's, without response     has no usage; no stream flag.
                            id: ``RANK_FRAMEWORK``          Gemini ``gcp.gen_ai``, input
                                                            includes cache. Ollama
                                                            ``llm.is_streaming``
LangSmith 0.15.1's          each run a span once it is      ``gen_ai.usage.*``; cache and
OpenTelemetry mode          over, with ids of its own: the  reasoning counts in
(scope ``langsmith``)       SDK-level span of the call is   ``langsmith.metadata.
                            the root of a trace of its own  usage_metadata`` (LangChain's
                            (``RANK_FRAMEWORK``)            ``input_token_details``);
                                                            stream: ``langsmith.request.
                                                            streaming`` or an
                                                            ``AIMessageChunk`` completion
Langtrace 3.8.21            Chat Completions and Anthropic  Claude input EXCLUDES cache, no
(``langtrace_python_sdk.    spans started with              cache counts; OpenAI's
instrumentation.*``)        ``start_span``, never current,  ``gen_ai.usage.cached_tokens``;
                            no response id                  operations ``openai.responses.
                            (``RANK_FRAMEWORK``); its       create``, ``embed``
                            sampler drops the other spans'
                            start attributes (restored by
                            ``span_attributes.start_span``)
Laminar (lmnr) 0.8.2        one span per SDK call (scope    OpenLLMetry's: input includes
(scope ``lmnr.tracer``,     ``lmnr.tracer`` whatever the    cache, ``gen_ai.usage.cache_
``Laminar.initialize``)     package), never current:        read_input_tokens``; stream only
                            another span of the call is a   ``llm.is_streaming`` on Chat
                            root of its own; embeddings:    Completions; Responses API and
                            no response id                  Claude streams by how their
                            (``RANK_FRAMEWORK``)            spans end (``laminar_streams``)
LlamaIndex's own tracing    a span per method, no           in span events only
(llama-index-observability- attribute (``OpenAI.chat``,     (``extract.events``): the start
otel 0.7.0, scope           ``Anthropic.astream_chat``);    event's model, the end event's
``llamaindex.opentelemetry. a stream's ends when the        ``response.raw.*`` (the
tracer``)                   stream is returned, with no     provider's response: id, model,
                            end event (as OpenInference     usage object); none for streams
                            LlamaIndex's: ``RANK_           or embeddings
                            FRAMEWORK``, ``early_stream``)
xai-sdk 1.21's own tracing  one span per call              xAI's ``SamplingUsage``: output
(``xai_sdk.sync.chat``,     (``chat.sample``,               leaves out ``reasoning_tokens``
``xai_sdk.aio.chat``; the   ``chat.stream``: the name says  (the total adds them); cache
global tracer provider)     a stream); gRPC calls, which    ``gen_ai.usage.cached_prompt_
                            no HTTP hook sees: its span is  text_tokens``; the cost charged
                            the call's only one             ``…cost_in_usd_ticks`` (1e-10 USD)
==========================  ==============================  =================================

Recorded too, with nothing of their own beyond the conventions above: OpenInference's
LiteLLM (model names ``provider/model``), DSPy (its ``LM`` span, without usage, is the
parent of LiteLLM's), CrewAI and smolagents (counts without the cache), Haystack (the same,
but the reply it records has the provider's usage whole: ``Source.reply_usage``), OpenAI
Agents and Google GenAI (``llm.provider=google``: ``gcp.gen_ai``) instrumentations, and
Agno's (1.0.15: its Anthropic ``llm.token_count.prompt`` EXCLUDES the cache, which its
``…prompt_details.cache_read|cache_write`` count); OpenLLMetry's
LiteLLM (no Anthropic cache writes) and LlamaIndex (streamed calls leave no span); Google
ADK's and Semantic Kernel's own tracing (GenAI conventions; Semantic Kernel's without the
cache; ADK 1.x's ``call_llm`` spans name the framework, ``gcp.vertex.agent``, and carry
only input and output, the rest in the response they record: ``gemini_usage``; ADK for
TypeScript 2.0's alike, the response in @google/genai's camelCase); VoltAgent's (2.10,
scope ``@voltagent/core``: an ``llm:*`` span per call with ``llm.model``, ``llm.usage.*``
and ``llm.stream``, Claude's cache writes never counted, ``Source.cache_writes_unread``);
OpenInference's OpenAI Agents JS processor (0.2.15: no stream sign); OpenInference's Google
ADK instrumentation (1.0.5), which writes its ``LLM`` attributes onto ADK's span of the call,
``llm.provider=google`` whatever the model (``gen_ai.provider.name`` is read first), and
the runner's ``user_id`` only on its own parent spans (``user.id``: ``parent_fills``);
AgentOps' SDK (0.4.21, scopes ``openai`` and ``anthropic``: no cache counts, its Claude
input the API's, no ``gen_ai.system`` on Claude, a stream by ``gen_ai.request.streaming``,
no span for the Responses API);
OpenInference's Bedrock (0.1.61: input includes the cache, but InvokeModel streams
have no cache details, read from the message it records in ``output.value``; InvokeModel's
model is the response's, without the profile) and Mistral (2.2.2) instrumentations; the
contrib Vertex AI instrumentation (2.2b0: ``gen_ai.system=vertex_ai``, no cache counts, no
response id, no span for streams: it wraps ``generate_content`` alone, an open issue
upstream, and tokentrace's instrumentation beside it meters them; no provider at all
under the GenAI opt-in), and
OpenLLMetry's release of that name and scope (0.62.4, which pip installs: the contrib one is
a pre-release): ``gen_ai.system=Google``, never current (``RANK_FRAMEWORK``), no response id;
both are Vertex AI's whatever they name, as are OpenInference's (0.1.29:
``llm.provider=google``; its cache count only in the response it records, Gemini's
``usage_metadata``). OpenLLMetry's Gemini output counts (Google GenAI and Vertex AI,
0.62.4) leave a thinking model's thoughts out; their totals have them
(``thoughts_in_total``). OpenLIT's (1.45) do too; its reasoning count has them
(``Source.thoughts_outside_output``). On google-genai's Vertex AI calls, OpenLLMetry
(``gcp.gen_ai``), OpenInference (``google``) and OpenLIT (``gemini``) all name the Gemini
API and record no endpoint (OpenLIT's ``server.address`` is the Gemini API's host
whatever the endpoint): only tokentrace's span says Vertex AI. A source that records the
endpoint (``server.address``, ``url.full``, ``gen_ai.openai.api_base``) has its call
named for the cloud that served it (``CLOUD_HOSTED``). Elastic's EDOT OpenAI
instrumentations (Python 1.2.0, scope ``opentelemetry.instrumentation.openai``; Node
0.5.1, for openai < 5 only): GenAI conventions, no cache counts, no stream attribute.
OpenInference's AutoGen AgentChat instrumentation (0.1.22): an ``LLM`` span per model
client call, AutoGen's usage without cache counts, and zeros for a stream without usage
(read as usage missing: see ``extractor``); autogen-core's ``create_agent`` and
``invoke_agent`` spans (``gen_ai.system=autogen``) are not calls.
OpenInference JS's (0.5.1) and OpenLLMetry JS's (0.27) Bedrock instrumentations: each
span of a call a root of its own trace, without response id (OpenInference's paired as a
framework's); OpenInference's names no model (``llm.model_name`` is the vendor: its
Converse request, ``input.value``, has the ``modelId``), its input EXCLUDES cache (Converse's
cache counts only in the response it records, ``output.value``), it says a call streamed only
there (``"streaming": true``), and its InvokeModel stream's output is ``message_start``'s 1;
OpenLLMetry's Converse spans have no usage, its InvokeModel input EXCLUDES cache.
LangGraph (1.2) under OpenLLMetry's LangChain instrumentation: ``invoke_agent`` and
``execute_task`` spans, not calls, around ``ChatOpenAI.chat``, which is never current
(``RANK_FRAMEWORK``: another instrumentation's span of the call is its sibling).
OpenInference's BeeAI instrumentation (0.1.30): an ``LLM`` span per chat model call (and
one per streamed token, with nothing of a call), its cache counts only BeeAI's
(``metadata.usage.cached_prompt_tokens``, ``…cached_creation_tokens``).
OpenLLMetry's Groq instrumentation (0.62.4): GenAI conventions, a stream's span without
response id (paired as its Ollama spans are); OpenInference's (0.1.33): a stream's span
ends at the return, without model name or usage (only ``llm.invocation_parameters`` names
the model: ``invocation_model``), as does its Portkey instrumentation's (0.1.22, which names
no provider: the model's owner); such a span is the call, usage-missing, held by the
deduper for a span of the call with the usage (``Call.opening``).
OpenLLMetry's Cohere (0.62.4: only beside cohere < 6; its counts are doubles,
``1200.0``) and Mistral (0.62.4: only beside mistralai 1) instrumentations: one span per
call, most in a trace of their own, with the response id. OpenInference's LangChain.js
instrumentation (4.1.1) as its Python one: an ``LLM`` span per call, without response id,
and OpenInference JS's OpenAI span of the call in a trace of its own.
Microsoft Agent Framework 1.23's own tracing (scope ``agent_framework``): GenAI
conventions, ``chat`` spans the calls and ``invoke_agent`` (the sum of its calls,
``gen_ai.provider.name=microsoft.agent_framework``) not; no stream attribute; its Claude
and Bedrock input EXCLUDES cache (the Messages API's ``input_tokens``, Converse's
``inputTokens``).
OpenInference's Anthropic instrumentation (3.1.0) under Phoenix's ``register()``: its
``messages.stream`` span is not current when the request goes out, so the Anthropic SDK's
own span of the stream is a root of another trace (``Source.stream_apart``). The Traceloop
SDK's ``Traceloop.init`` (0.62.4): OpenLLMetry's spans as above, its association
properties copied onto every span of a workflow, other scopes' too. OpenLLMetry's OpenAI
Agents instrumentation (0.62.4): ``openai.response`` spans, the Responses API's usage with
its cache, none on Chat Completions. openai-agents-opentelemetry's bridge of the OpenAI
Agents SDK's tracing (0.4.1, scope ``openai.agents``): ``chat MODEL`` spans (Chat
Completions) the calls, input with the cache but no cache count, never current
(``RANK_FRAMEWORK``); its ``gen_ai.response`` spans (the Responses API) carry nothing
but ``agent.span.type=response``: OpenAI's call, model and cost unknown
(``Source.responses_call``).
AG2 1.2.1's own tracing (``TelemetryMiddleware``, scope
``opentelemetry.instrumentation.ag2``): GenAI conventions, ``chat`` spans the calls
(``invoke_agent`` not), its Claude input EXCLUDES cache, no stream attribute, no response
id; each call's usage copied onto a ``record_usage model_call`` span beside it
(``Source.accounting_copy``: not a call); its ``record_usage subtask`` span sums a
sub-agent's calls, a call where no ``invoke_agent`` span of that agent is in its trace
(``Source.subtask``). Its ``record_usage compaction`` span is the only
span of the summary's call; beside another instrumentation's span of it (same trace,
neither inside the other) it is paired as a framework's (``RANK_FRAMEWORK``).
The AI SDK 7 traced by @ai-sdk/otel's ``OpenTelemetry`` integration (scope ``gen_ai``):
GenAI conventions (``invoke_agent`` and ``agent_step`` spans around ``chat`` ones), no
stream attribute, its telemetry metadata on no span.
Mastra (1.71) through @mastra/otel-exporter (1.4, scope ``@mastra/otel-exporter``): GenAI
conventions, a ``chat MODEL`` span per call (``mastra.span.type=model_inference``) under
``agent_step``, ``model_generation`` and ``invoke_agent`` spans without usage; its provider
is the AI SDK's provider id (``openai.chat``: ``Source.provider``); no response id, and
nothing on the call's span tells a stream (``mastra.completion_start_time`` is on every
call's).

Anything else is read by the GenAI conventions (input includes cache). Where a source's
numbers still cannot be right (input below its cache tokens, output below reasoning),
the extractor repairs them the same way for every source and counts the repair.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from tokentrace.instrumentation.providers import cloud_path, known_host
from tokentrace.processor.extract import scopes

# Provider SDKs' own tracing: they see the exact wire usage, so of two spans describing
# one call with equally rich usage, theirs is kept (after tokentrace's own).
RANK_TOKENTRACE, RANK_PROVIDER_SDK, RANK_OTHER = 3, 2, 1
# Sources whose counts are known to be off for some calls they cannot tell apart: of two
# spans of one call with equally rich usage, the other is kept. OpenLLMetry Python's
# Anthropic instrumentation (0.62.4) adds ``message_start``'s output count to a stream's
# (one too many), and sets nothing that says the call streamed.
RANK_INEXACT = 0
# A framework's span of a model call, above the SDK call that another instrumentation may
# trace as well: OpenInference's LangChain tracer never attaches its span to the context
# (a callback might never detach it), so OpenInference's OpenAI span of the same call is
# the root of a trace of its own, and neither carries a response id. The deduper pairs
# them by time (``dedupe``); on equal usage the SDK's span is kept, hence the lowest rank.
RANK_FRAMEWORK = -1
_RANKS = {
    "tokentrace": RANK_TOKENTRACE,
    "provider_sdk": RANK_PROVIDER_SDK,
    "framework": RANK_FRAMEWORK,
    "inexact": RANK_INEXACT,
}  # ``scopes.RANK_QUIRKS``, highest first

# What ``dedupe`` reads by scope (``scopes.SCOPES``): spans of one call that disagree on its
# usage, paired by time alone (``loose_usage``); a stream's span that ends before its request
# is sent (``early_stream``); a span that may be a framework span's SDK-level twin before any
# framework span is seen (OpenInference's); a stream's span that never has its usage
# (``stream_usage_dropped``), which waits for a framework's span of the call.
LOOSE_USAGE_SCOPES = scopes.scopes_with("loose_usage")
EARLY_STREAM_SCOPES = scopes.scopes_with("early_stream")
FRAMEWORK_PEER_SCOPES = scopes.prefixes_with("openinference")
STREAM_USAGE_DROPPED_SCOPES = frozenset(scopes.scopes_with("stream_usage_dropped"))

# The Anthropic SDK's tracing (Python 1.17) names its scope by the client's platform
# (``com.anthropic.sdk.python.vertex``, ``….foundry``…): ``AnthropicVertex`` and
# ``AnthropicBedrock`` say their cloud in ``gen_ai.provider.name``, ``AnthropicFoundry``
# (Microsoft Foundry) says ``anthropic``, as on Anthropic's API, whatever the host.
_FOUNDRY_SCOPE_SUFFIX = b".foundry"
# OpenLLMetry JS's OpenAI spans read the usage of Responses API calls alone (``resp_…`` ids)
_RESPONSES_ID_PREFIX = "resp_"
# AG2's ``record_usage`` spans (``ag2.usage.kind``) copy its accounting events: of a model
# call its ``chat`` span traced (``model_call``, the same usage, beside it under the turn),
# not a call of its own; or the sum of a sub-agent's calls (``subtask``, recorded:
# ``_ag2_subtask``), a copy while the sub-agent has the middleware too (its ``chat`` spans
# are the calls). One without it has no ``chat`` span: its ``subtask`` span is then its
# calls' only record (left out, 5 rows for 6 calls), so it is read as a call that the
# deduper drops if its trace has an ``invoke_agent`` span of the sub-agent it names
# (``Call.subtask``). Its ``compaction`` and ``aggregation`` events are calls that no
# ``chat`` span traces (its client is called directly, outside the middleware's hooks):
# those stay calls.
_AG2_MODEL_CALL = "model_call"
_AG2_SUBTASK = "subtask"
# Clouds that serve Claude through the Messages API, its usage as it is (``input_tokens``
# without the cache): a source whose Anthropic input count is the API's
# (``anthropic_input_excludes_cache`` in ``scopes.SCOPES``) counts such a call alike. Agent
# Framework's (1.23) ``AnthropicVertexClient`` and ``AnthropicFoundryClient`` name their clouds
# (``google.vertex.ai``, ``azure.ai.foundry``), not ``anthropic``; read as including the
# cache, a call's input was short by its cache tokens unless a repair made up for them.
# Bedrock's own rule (``bedrock_input_excludes_cache``) covers Bedrock.
_CLAUDE_CLOUDS = frozenset({"gcp.vertex_ai", "azure.ai.inference"})
_AWS_STREAMING_METHODS = frozenset({"ConverseStream", "InvokeModelWithResponseStream"})
# LiteLLM's OTel callback (1.110) names a span's operation by LiteLLM's call type: the sync
# chat ``completion`` as ``chat``, but ``acompletion``, ``embedding``, ``responses``… as they
# are. The GenAI conventions' names, as tokentrace's instrumentation stores the same calls
# (a Responses API call is a ``chat``: ``openai_api.RESPONSES``).
_LITELLM_OPERATIONS = {
    "completion": "chat",
    "acompletion": "chat",
    "responses": "chat",
    "aresponses": "chat",
    "embedding": "embeddings",
    "aembedding": "embeddings",
    "text_completion": "text_completion",
    "atext_completion": "text_completion",
    "image_generation": "image_generation",
    "aimage_generation": "image_generation",
    "transcription": "transcription",
    "atranscription": "transcription",
    "speech": "speech",
    "aspeech": "speech",
    # as tokentrace's instrumentation names Cohere's /v1/rerank and /v2/rerank calls
    "rerank": "rerank",
    "arerank": "rerank",
    "moderation": "moderation",
    "amoderation": "moderation",
}
# Langtrace's operation names (3.8.21) that are not the conventions': its Responses API
# spans name the method, its embeddings spans ``embed``.
_LANGTRACE_OPERATIONS = {"openai.responses.create": "chat", "embed": "embeddings"}
# OpenLLMetry's Bedrock instrumentation (0.62.4) names the model by what follows the vendor
# in the Bedrock id: its ``_cross_region_check`` drops ``vendor.`` and, for the ``us.``,
# ``us-gov.``, ``eu.`` and ``apac.`` profiles, the profile too (``titan-embed-text-v2:0``,
# ``claude-sonnet-4-5-20250929-v1:0``); for any other prefix (``global.``) it drops the
# prefix alone (``anthropic.claude-…``). No attribute keeps the vendor.
# Bedrock's model families → their vendor's prefix in Bedrock ids
# (https://docs.aws.amazon.com/bedrock/latest/userguide/models-supported.html).
_BEDROCK_VENDORS = (
    ("claude", "anthropic"),
    ("titan", "amazon"),
    ("nova", "amazon"),
    ("llama", "meta"),
    ("mistral", "mistral"),
    ("mixtral", "mistral"),
    ("pixtral", "mistral"),
    ("magistral", "mistral"),
    ("ministral", "mistral"),
    ("command", "cohere"),
    ("embed-", "cohere"),
    ("rerank-", "cohere"),
    ("j2-", "ai21"),
    ("jamba", "ai21"),
    ("gpt-oss", "openai"),
    ("qwen", "qwen"),
    ("palmyra", "writer"),
)
# The Agents SDK's Chat Completions model (``OpenAIChatCompletionsModel``) gives a streamed
# call's generation the Responses-shaped answer it builds from the chunks, under the
# placeholder id ``__fake_id__`` (its ``FAKE_RESPONSES_ID``); a plain call's output is the
# chat message, without an id. The bridge's preview of that output is its only sign of a
# stream (recorded: the plain call's preview begins ``[{"content": …``).
_PLACEHOLDER_OUTPUT = re.compile(r'^\[\s*\{\s*"id":\s*"__fake_id__"')
# OpenInference's LangChain instrumentations (Python 0.1.80, JS 4.1.1) record
# ``"stream": false`` for a streamed call; the response they record (``output.value``) is
# then LangChain's ``AIMessageChunk``, its type for a streamed message, by its constructor
# id (quotes inside the answer's text are escaped: the text cannot match).
# OpenLLMetry's LangChain spans (0.62.4) set nothing that says a call streamed, but name an
# output message's role from LangChain's message type, ``"ai"`` → ``assistant`` and any
# other → ``unknown``: a streamed answer is an ``AIMessageChunk`` (type ``AIMessageChunk``),
# so a chat span's first output message says ``"role": "unknown"`` for a stream alone.
_UNKNOWN_ROLE_FIRST = re.compile(r'^\[\s*\{\s*"role":\s*"unknown"')
_MESSAGE_CHUNK = re.compile(r'"messages",\s*"AIMessageChunk"\]')
# OpenInference's Google GenAI instrumentation: its response id only in the response it
# records (``Source.output_response_id``), as google-genai's ``response_id`` key.
_GENAI_RESPONSE_ID = re.compile(r'"response_id":\s*"')
# OpenInference's Haystack instrumentation (0.1.46, haystack-ai 3.4.1) records a generator's
# replies (``output.value``) as Haystack's ``ChatMessage`` reprs, whose ``_meta`` is the
# provider's answer: the usage object whole (Chat Completions' with ``prompt_tokens_details.
# cached_tokens``, the Responses API's with ``input_tokens_details``), and, for a streamed
# chat reply only, ``completion_start_time`` (the first chunk's time). An embedder's
# ``meta`` has its ``usage`` too. Its span's own counts have no cache count (Chat
# Completions), only the total (Responses API), or nothing (embeddings).
_META_USAGE = re.compile(r"""['"]usage['"]\s*:\s*\{""")
_STREAMED_META = "'completion_start_time': '"

# Span kinds (lower-cased) that are a model call, and their operation: OpenInference's
# ``openinference.span.kind`` (``LLM``, ``EMBEDDING``), MLflow's ``mlflow.spanType``
# (``CHAT_MODEL``, ``LLM``, ``EMBEDDING``), Langfuse's ``langfuse.observation.type``
# (``generation``, ``embedding``). Every other kind (chain, agent, tool, retriever, span,
# event…) wraps or sits beside calls.
CALL_KINDS = {"llm": "chat", "chat_model": "chat", "generation": "chat", "embedding": "embeddings"}

# Vercel AI SDK ``ai.operationId`` suffixes of the spans that are one provider call.
_VERCEL_CALL_SUFFIXES = (".dogenerate", ".dostream", ".doembed")

# Vercel AI SDK provider ids (``openai.chat``, ``google.generative-ai``, …): the part
# before the first dot names the provider, in the SDK's own spelling.
_VERCEL_PROVIDERS = {
    "google": "gcp.gemini",
    # @ai-sdk/google-vertex's Gemini (``google.vertex.chat``): its head alone is the
    # Gemini API's, so the first two parts are looked up first
    "google.vertex": "gcp.vertex_ai",
    "googlevertex": "gcp.vertex_ai",  # @ai-sdk/google-vertex 5 (AI SDK 7)
    "vertex": "gcp.vertex_ai",
    "google-vertex": "gcp.vertex_ai",
    "azure": "azure.ai.openai",
    "azure-openai": "azure.ai.openai",
    "amazon-bedrock": "aws.bedrock",
    "mistral": "mistral_ai",
    "xai": "x_ai",
    "togetherai": "together_ai",
    # @ai-sdk/openai-compatible's providers are named by the application (``together.chat``):
    # the common names of the hosts the instrumentation names otherwise
    "together": "together_ai",
    "fireworks": "fireworks_ai",
}
# The GenAI conventions' provider names with a dot, which @ai-sdk/otel (1.0) writes for the
# AI SDK 7's ids it knows (``mapProviderName``): names already, not ids to look up. It passes
# the others through (@ai-sdk/openai-compatible's ``{name}.chat``, ``googleVertex.chat``).
_DOTTED_NAMES = frozenset(
    {*_VERCEL_PROVIDERS.values(), "azure.ai.inference", "gcp.gen_ai", "ibm.watsonx.ai"}
)

# ``gen_ai.system`` values that name the framework rather than the provider (Strands
# Agents sets ``strands-agents`` whichever model provider answers, Google ADK 1.x
# ``gcp.vertex.agent``, OpenLIT's LiteLLM instrumentation (1.45) ``litellm`` on its spans
# of ``litellm.completion``, which DSPy's ``dspy.LM`` makes): the provider is then the API
# host's or the model's owner (``extractor``).
FRAMEWORK_SYSTEMS = frozenset({"strands-agents", "gcp.vertex.agent", "litellm"})

# Clouds that serve other providers' models and APIs under their own name and price list,
# and the provider names third-party sources give such calls whatever the endpoint:
# OpenLLMetry (``gcp.gen_ai``), OpenInference (``google``), OpenLIT and the contrib
# google-genai instrumentation (``gemini``) on google-genai's Vertex AI calls, the Anthropic
# SDK's tracing of ``AnthropicVertex`` (``anthropic``), the OpenAI SDK's instrumentations on
# Azure OpenAI or on Vertex AI's OpenAI-compatible endpoint (``openai``). Where the span
# records its endpoint (``server.address``; the Anthropic SDK's ``url.full``, OpenLLMetry's
# ``gen_ai.openai.api_base``) and it is the cloud's (its API host: ``providers.
# HOST_SUFFIXES``; or its resource path on any host, as tokentrace's instrumentation reads
# it), the call is the cloud's.
CLOUD_HOSTED = {
    "gcp.vertex_ai": frozenset({"gcp.gemini", "gcp.gen_ai", "anthropic", "openai"}),
    "azure.ai.openai": frozenset({"openai"}),
}
CLOUD_HOSTED_PROVIDERS = frozenset().union(*CLOUD_HOSTED.values())


# OpenAI caches the prompt of every call of 1,024 tokens or more on its own, with no opt-in,
# and bills the tokens read from cache at a lower rate (a tenth to a half of the input
# rate); its API always reports how many (``prompt_tokens_details.cached_tokens``, 0
# included). A source that counts such a call's input but sets no cache count cannot tell
# "nothing cached" from "cache not read": pricing the whole input at the input rate may
# overcharge by up to 90 %. Such a call is marked (``Call.cache_unsaid``) and the pricer
# says whether it matters: unknown (usage-missing), never a guess, on a model with a cache
# rate; exact on one without (gpt-3.5-turbo, gpt-4-turbo), which bills every input token
# alike. Below 1,024 tokens nothing is cached: the input rate is the exact one.
# https://platform.openai.com/docs/guides/prompt-caching
_AUTOMATIC_CACHE_MIN_INPUT = {"openai": 1024, "azure.ai.openai": 1024}


def cache_read_unsaid(provider: str, input_tokens: int) -> bool:
    """Whether a call whose source set no cache count may have read from a cache the
    provider applies on its own (``_AUTOMATIC_CACHE_MIN_INPUT``)."""
    least = _AUTOMATIC_CACHE_MIN_INPUT.get(provider)
    return least is not None and input_tokens >= least


def cloud_provider(provider: str, server_address: str | None, url: str | None) -> str:
    """``provider``, or the cloud that served the call when its endpoint says so
    (``CLOUD_HOSTED``)."""
    host = server_address or ""
    path = ""
    if url:
        parts = urlsplit(url)
        host = host or (parts.hostname or "")
        path = parts.path
    cloud = known_host(host) if host else None
    if cloud not in CLOUD_HOSTED:
        cloud = cloud_path(path)
    if cloud is not None and provider in CLOUD_HOSTED[cloud]:
        return cloud
    return provider


_VERTEX_CLAUDE_PATH = re.compile(
    r"/(projects/[^/]+/locations/[^/]+/publishers/anthropic/models/[^/:]+)"
    r":(?:rawPredict|streamRawPredict)"
)


def vertex_claude_resource(url: str) -> str | None:
    """The resource name of a Claude model on Vertex AI in a span's ``url.full``
    (``projects/p/locations/global/publishers/anthropic/models/claude-sonnet-4-5@20250929``),
    the request model as tokentrace's instrumentation names it: from Claude Sonnet 4.5 on,
    a regional endpoint costs 10% more than the global one, so the bare name the Anthropic
    SDK's own tracing of ``AnthropicVertex`` gives cannot be priced (``pricing.names``)."""
    match = _VERTEX_CLAUDE_PATH.search(url)
    return match.group(1) if match else None


# Vertex AI's API hosts, by the location they serve (the Anthropic SDK's ``AnthropicVertex``
# builds them so): ``aiplatform.googleapis.com`` the global endpoint,
# ``aiplatform.{us,eu}.rep.googleapis.com`` the multi-regions, ``{region}-aiplatform.
# googleapis.com`` a region.
_VERTEX_HOST = re.compile(
    r"^(?:(?P<region>[a-z0-9-]+)-aiplatform|aiplatform(?:\.(?P<multi>[a-z]+)\.rep)?)"
    r"\.googleapis\.com$"
)


def vertex_claude_at_host(server_address: str | None, url: str | None, model: str) -> str | None:
    """The resource name of a Claude model on Vertex AI that a span names bare
    (``claude-sonnet-4-5@20250929``), with the location its endpoint's host says, in any
    project (``projects/-/locations/us-east5/publishers/anthropic/models/…``): Agent
    Framework's span records the client's base URL as ``server.address``
    (``https://us-east5-aiplatform.googleapis.com/v1/``), nothing else of the endpoint. From
    Claude Sonnet 4.5 on, a regional endpoint costs 10% more than the global one: without
    the location the call cannot be priced (``vertex_claude_resource``). None for another
    host or model."""
    if not model.startswith("claude"):
        return None
    host = server_address or ""
    if "/" in host or not host:
        host = urlsplit(host if "/" in host else url or "").hostname or ""
    match = _VERTEX_HOST.match(host.lower())
    if match is None:
        return None
    location = match.group("region") or match.group("multi") or "global"
    return f"projects/-/locations/{location}/publishers/anthropic/models/{model}"


# Prefixes under which sources put the user's own metadata: the Vercel AI SDK's
# ``experimental_telemetry.metadata``, OpenLLMetry's association properties
# (``Traceloop.set_association_properties``), Laminar's metadata and MLflow's trace tags
# (``mlflow.update_current_trace(tags=…)``). Keys below them that name a dimension are
# read as that dimension; the others become tags without the prefix.
METADATA_PREFIXES = (
    "ai.telemetry.metadata.",
    # the AI SDK 7's runtime context, the keys its ``includeRuntimeContext`` names, which
    # @ai-sdk/otel 1.0 writes on the operation's and step's spans and on an ``embed``
    # call's model span, not on a ``chat`` span
    "ai.settings.context.",
    "traceloop.association.properties.",
    # Laminar's (lmnr 0.8, @lmnr-ai/lmnr 0.8) ``observe(metadata=…)``; its user and session
    # are dimensions of their own (``tags.DIMENSIONS``)
    "lmnr.association.properties.metadata.",
    "mlflow.traceTag.",  # MLflow's trace tags, which it sets on a trace's root span
)
METADATA_HEADS = tuple({prefix.split(".", 1)[0] + "." for prefix in METADATA_PREFIXES})
METADATA_DIMENSIONS = {
    "user": ("userId", "user_id", "user"),
    "conversation": ("sessionId", "session_id", "conversationId", "conversation_id"),
    "agent": ("agentName", "agent_name", "agent"),
    "team": ("team",),
    "feature": ("feature",),
    "tenant": ("tenantId", "tenant_id", "tenant"),
}
METADATA_DIMENSION_KEYS = frozenset(key for keys in METADATA_DIMENSIONS.values() for key in keys)
# LangChain's own run metadata (``ls_provider``, ``ls_model_name``, ``lc_versions``…), which
# OpenLLMetry's LangChain instrumentation passes on as association properties: LangChain's
# description of the call, already in the row, not the user's metadata, so no tags.
FRAMEWORK_METADATA_PREFIXES = ("ls_", "lc_")
# The Vercel AI SDK's ``ai.telemetry.functionId`` (the name of the function making the
# call) is the feature when no ``feature`` is given.
VERCEL_FUNCTION_ID = "ai.telemetry.functionId"


# The operations whose spans carry the dimensions of the calls beneath them, for the
# sources whose call spans do not (``Source.parent_dimensions``).
DIMENSION_PARENTS = frozenset({"invoke_agent", "agent_step"})
# OTLP's ``STATUS_CODE_OK``: set by an instrumentation, never by the SDK on its own.
_STATUS_OK = 1
# Mastra's ``agent_step`` attribute of the model's response headers (JSON).
MASTRA_RESPONSE_HEADERS = "mastra.metadata.headers"
_EVENT_STREAM = re.compile(r'"content-type"\s*:\s*"text/event-stream', re.IGNORECASE)


def event_stream(headers: str) -> bool:
    """Whether response headers (as JSON text) say the body was a server-sent event stream."""
    return _EVENT_STREAM.search(headers) is not None


def dimension_aliases(dimension: str) -> tuple[str, ...]:
    """The attributes other sources name a dimension with, after ``tags.DIMENSIONS``'s."""
    keys = tuple(
        prefix + key
        for prefix in METADATA_PREFIXES
        for key in METADATA_DIMENSIONS.get(dimension, ())
    )
    return (*keys, VERCEL_FUNCTION_ID) if dimension == "feature" else keys


def metadata_key(key: str) -> str | None:
    """A metadata attribute's key without its prefix; None for other attributes."""
    for prefix in METADATA_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix) :]
    return None


class Source:
    """The conventions of the spans of one scope of one resource, decided once per scope."""

    __slots__ = (
        "ag2", "agents_bridge", "anthropic_input_excludes_cache", "azure_named_inference",
        "bedrock_input_excludes_cache",
        "bedrock_vendor_dropped", "botocore", "cache_writes_unsaid", "chunk_timed", "foundry",
        "genkit", "haystack", "inherits",
        "laminar", "langchain", "langchain_js", "langtrace", "litellm", "llama_index", "logfire",
        "openinference", "openinference_js_bedrock", "openlit", "openllmetry_js_openai",
        "openllmetry_langchain",
        "operation_spans", "parent_dimensions", "parent_fills", "parent_streams",
        "plain_keys_are_request",
        "provider_ids", "rank", "response_id_in_output", "span_events", "stream_apart",
        "usage_object_normalised",
        "vercel", "vertexai", "vertexai_sdk", "xai_sdk",
    )  # fmt: skip

    def __init__(self, scope_name: bytes, sdk_name: str) -> None:
        quirks = scopes.quirks(scope_name, sdk_name)
        self.rank = next((_RANKS[q] for q in scopes.RANK_QUIRKS if q in quirks), RANK_OTHER)
        for flag in _FLAGS:
            setattr(self, flag, flag in quirks)
        self.inherits = self.parent_dimensions or self.parent_fills or self.parent_streams
        self.foundry = self.rank == RANK_PROVIDER_SDK and scope_name.endswith(_FOUNDRY_SCOPE_SUFFIX)

    def stream_opening(self, span_type: str | None, answered: bool) -> bool:
        """Whether a span is Logfire's span of a streamed request, not the call: it ends
        when the stream is returned, without any of the response (``answered``: a
        response id, usage or an error); the call is the ``streaming response`` log
        (``logfire.span_type=log``) written once the stream has been read, with the
        response's id and usage, in a trace of its own. Logfire's OpenAI Agents spans of
        no call (turn, agent run, workflow: ``gen_ai.system`` and nothing else) are
        alike."""
        return self.logfire and span_type != "log" and not answered

    def streamed_result(self, span_type: str | None) -> bool:
        """Whether a span is Logfire's ``streaming response`` log: a streamed call."""
        return self.logfire and span_type == "log"

    def opened_late(self, stream: bool, response_id: str) -> bool:
        """Whether a span of a stream may have been opened once the stream had been read,
        and carries no response id to pair it with another span of the call by.

        OpenLIT (1.45) opens its span of a stream for most providers (Ollama, Google AI
        Studio, Bedrock, Mistral, Cohere, Groq…) at the stream's ``StopIteration``, with
        whatever context is current then: it neither covers the call nor is related to
        another instrumentation's span of it, and Ollama's API has no response id. Such a
        span is paired as a framework's is (``RANK_FRAMEWORK``), with a span of the same
        usage that ended shortly before it opened (``dedupe``)."""
        return self.openlit and stream and not response_id

    def input_excludes_cache(self, provider: str, model: str) -> bool:
        """Whether this source's input count leaves out cache reads and writes. ``provider``
        is the canonical name (``extractor.PROVIDER_ALIASES``: OpenInference's ``aws`` is
        ``aws.bedrock`` by then), ``model`` the span's, for Claude on another cloud
        (``_CLAUDE_CLOUDS``) or on a span that names no provider (AgentOps' Anthropic spans:
        the provider is the model's owner, decided later)."""
        if provider == "aws.bedrock":
            return self.bedrock_input_excludes_cache
        return self.anthropic_input_excludes_cache and (
            provider == "anthropic"
            or ((not provider or provider in _CLAUDE_CLOUDS) and "claude" in model.lower())
        )

    def name_streams(self, span: Any) -> bool:
        """Whether an OpenInference call span's name says the call streamed: it names the
        method called (``GenerateContentStream``, ``stream_generate_content``,
        ``bedrock.converse_stream``, ``OpenAI.stream_chat``, ``Claude.invoke_stream``,
        ``OpenAIModel.generate_stream``), and most of its instrumentations (Google GenAI,
        Vertex AI, Bedrock, LlamaIndex, Agno, AutoGen, smolagents) set no other sign of a
        stream. LlamaIndex's own spans (``span_events``) are named alike
        (``OpenAI.astream_chat``), and a stream's has no other sign; so are xai-sdk's
        (``chat.stream grok-3-mini`` beside ``chat.sample …``). Takes the span, so that no
        other source's span has its name read."""
        return (self.openinference or self.span_events or self.xai_sdk) and b"stream" in (
            span.name.rsplit(b".", 1)[-1].lower()
        )

    def preparation(self, span: Any) -> bool:
        """Whether an OpenInference LlamaIndex span is of a method that prepares a request
        (``OpenAI._prepare_chat_with_tools``): no call (``scopes.SCOPES``)."""
        return self.llama_index and span.name.rsplit(b".", 1)[-1].startswith(b"_prepare")

    def accounting_copy(self, usage_kind: str | None, label: str | None) -> bool:
        """Whether a span is AG2's ``record_usage`` span of usage that a ``chat`` span
        carries too: counted, it doubled every AG2 call (10 rows for 5 calls, recorded). A
        ``subtask`` span naming no agent cannot be told from a copy, and is taken for one."""
        return self.ag2 and (
            usage_kind == _AG2_MODEL_CALL or (usage_kind == _AG2_SUBTASK and not label)
        )

    def subtask(self, usage_kind: str | None) -> bool:
        """Whether a span is AG2's ``record_usage subtask`` span, a sub-agent's calls summed:
        a copy of their ``chat`` spans, or their only record (``Call.subtask``)."""
        return self.ag2 and usage_kind == _AG2_SUBTASK

    def responses_call(self, agent_span_type: str | None) -> bool:
        """Whether a span is openai-agents-opentelemetry's ``gen_ai.response`` span (its
        ``agent.span.type=response``): the Agents SDK's span of a Responses API call, which
        the bridge (0.4.1) maps when it starts, before the response, with no model, usage
        or response id. It is the call all the same: OpenAI's, its cost unknown."""
        return self.agents_bridge and agent_span_type == "response"

    def embed_operation(self, operation: str, usage_missing: bool) -> bool:
        """Whether a span may be the AI SDK 7's span of an ``embed``/``embedMany`` call
        (@ai-sdk/otel 1.0), not of the model call beneath it: both are ``embeddings MODEL``
        spans alike, but only the model call's gets the usage, and the operation's can end
        first (recorded: 0.25 ms before it). Sent alone it came first and was the call's
        row, usage-missing: ``dedupe`` holds it for its child, as a stream's opening span."""
        return self.operation_spans and operation == "embeddings" and usage_missing

    def laminar_streams(self, span: Any, counted: bool, total: int | None) -> bool:
        """Whether a span of Laminar's Python SDK (lmnr 0.8.2) is of a stream that it says
        nothing else of: its wrappers (read in the package) end them apart. A Responses API
        stream's span is ended by its ``TracedResponseStream`` with status ``OK``, a plain
        call's by ``_process_response`` with none (``UNSET``); a Claude stream's usage is
        set by ``streaming._set_token_usage``, which, unlike the plain call's, sets no
        ``llm.usage.total_tokens``. Its chat streams say ``llm.is_streaming``."""
        if not self.laminar:
            return False
        if span.name == b"openai.response":
            return span.status.code == _STATUS_OK
        return span.name == b"anthropic.chat" and counted and total is None

    def timing_streams(self, time_to_first_chunk: float | None) -> bool:
        """Whether the AI SDK 7's or Pydantic AI's span has a time to first chunk: only
        streams have one."""
        return self.chunk_timed and time_to_first_chunk is not None

    def stream_count_estimated(self, provider: str, stream: bool, cache_known: bool) -> bool:
        """Whether LiteLLM's own span (``litellm_request``) of an OpenAI stream carries its
        tokenizer's count rather than the API's: a stream without ``include_usage`` has no
        usage chunk, and LiteLLM counts the text itself (recorded: 9 in and 9 out, priced
        as exact). Its ``metadata.usage_object`` then has no ``prompt_tokens_details``,
        which the providers that cache on their own always report (``cached_tokens``, 0
        included; ``_AUTOMATIC_CACHE_MIN_INPUT``): a stream whose usage names no cache count
        was not counted by the API."""
        return (
            self.litellm and stream and provider in _AUTOMATIC_CACHE_MIN_INPUT and not cache_known
        )

    def cache_writes_unread(self, provider: str, cache_write: int | None) -> bool:
        """Whether a Claude call's cache writes may be billed but not counted: OpenLLMetry's
        LangChain span says 0 (or nothing) where langchain-anthropic moved them to keys it
        does not read (``scopes.SCOPES``); OpenInference's LangChain spans
        (JS 4.1.1 on @langchain/anthropic 1.5) set the cache reads
        (``llm.token_count.prompt_details.cache_read``) and never the writes, which their
        1,200 input tokens include (recorded: $0.0021 for a $0.002175 call). Writes cost
        1.25 or 2 times the input rate, so pricing them as plain input undercounts: the cost
        is unknown. VoltAgent (2.10) and OpenLLMetry's LiteLLM (0.62.4: LiteLLM's
        ``cached_tokens`` alone) likewise count the reads and never the writes."""
        return (
            (self.openllmetry_langchain or self.langchain or self.cache_writes_unsaid)
            and provider == "anthropic"
            and not cache_write
        )

    def anthropic_start_counted(self, provider: str, stream: bool) -> bool:
        """Whether the output count of a Claude stream adds ``message_start``'s placeholder
        to the real one: @langchain/anthropic (1.5.11, ``_makeMessageChunkFromAnthropicEvent``)
        gives the ``message_start`` chunk the usage of that event (``output_tokens``: 1 on the
        stand-in, 1 or a few on the API) and the ``message_delta`` chunk the final, cumulative
        count, and LangChain.js sums the chunks' usage: recorded 81 for 80. The placeholder
        is on no span, so the output count, and the cost, are unknown."""
        return self.langchain_js and stream and provider == "anthropic"

    def output_streams(self, output: str | None) -> bool:
        """Whether OpenInference's LangChain span recorded a streamed message (LangChain's
        ``AIMessageChunk``) as the response, where its parameters say ``"stream": false``;
        or its Haystack span a reply whose metadata has the first chunk's time
        (``scopes.SCOPES``), Haystack's only sign of a stream (the callback is the
        component's, not the run's)."""
        if not output:
            return False
        if self.openinference_js_bedrock:
            return _json_object(output).get("streaming") is True
        if self.haystack:
            return _STREAMED_META in output[output.rfind("_meta={") :]
        return self.langchain and _MESSAGE_CHUNK.search(output) is not None

    def bedrock_model_id(self, request: str | None, response: str | None) -> str:
        """The Bedrock model id (``global.anthropic.claude-…``) of the Converse request that
        OpenInference JS's Bedrock span records whole (``input.value``): its
        ``llm.model_name`` is the vendor alone (``anthropic``), so each of its calls was
        ``unknown_model``, while the id names the model and the profile that sets its rate.
        An InvokeModel request body names no model; the Claude message it answers with
        (``output.value``) names the base model (``claude-sonnet-4-5-20250929``), without
        the profile: the pricer leaves it unpriced where a profile sets the rate. Empty for
        other sources, and where neither names one (a stream's response)."""
        if not (self.openinference_js_bedrock and request):
            return ""
        model_id = _json_object(request).get("modelId")
        if model_id is None and response:
            model_id = _json_object(response).get("model")
        return model_id if model_id.__class__ is str else ""

    def stream_unread(self, output: str | None) -> bool:
        """Whether OpenInference JS's Bedrock span of a stream read none of its content
        (0.5.1: the reply it records, ``"streaming": true``, has neither text nor a tool
        call, recorded on an InvokeModel stream): its usage is then ``message_start``'s, the
        input and cache counts but a placeholder output (1 for 80), which the later
        ``message_delta`` it did not read would have replaced. The output, and the cost, are
        unknown."""
        if not (self.openinference_js_bedrock and output):
            return False
        reply = _json_object(output)
        return (
            reply.get("streaming") is True and not reply.get("text") and not reply.get("tool_calls")
        )

    def reply_usage(self, output: str | None) -> UsageObject | None:
        """The provider's usage in the metadata of the reply that OpenInference's Haystack
        span records (``scopes.SCOPES``): alone, every Haystack call was usage-missing
        (recorded: 6 of 6, where the metadata had the exact counts). The last usage object
        in the text is the metadata's (the reply's words come before it); None for other
        sources, or when there is none."""
        if not (self.haystack and output):
            return None
        matches = list(_META_USAGE.finditer(output))
        if not matches:
            return None
        found = matches[-1]
        depth, end = 0, found.end() - 1
        for end in range(found.end() - 1, len(output)):
            depth += {"{": 1, "}": -1}.get(output[end], 0)
            if depth == 0:
                break
        return UsageObject(output[found.end() - 1 : end + 1], input_includes_cache=False)

    def placeholder_streams(self, preview: str | None) -> bool:
        """Whether openai-agents-opentelemetry's generation span previews the Agents SDK's
        answer to a streamed Chat Completions call (``_PLACEHOLDER_OUTPUT``)."""
        if not (self.agents_bridge and preview):
            return False
        return _PLACEHOLDER_OUTPUT.match(preview) is not None

    def chunk_role_streams(self, output_messages: str) -> bool:
        """Whether OpenLLMetry's LangChain span's ``gen_ai.output.messages`` is a streamed
        message (``_UNKNOWN_ROLE_FIRST``): its only sign of a stream."""
        return self.openllmetry_langchain and _UNKNOWN_ROLE_FIRST.match(output_messages) is not None

    def output_response_id(self, output: str | None) -> str:
        """The response id of OpenInference's Google GenAI span (1.4.14), which sets no
        ``gen_ai.response.id``: google-genai's ``response_id`` in the response it records
        whole (``output.value``). Its span of an async stream is a root of its own trace,
        never the context of the SDK's request, so without the id another
        instrumentation's span of the stream (tokentrace's) was a second row of the call.
        Empty for other sources, and when the text is not such a response."""
        if not (self.response_id_in_output and output and _GENAI_RESPONSE_ID.search(output)):
            return ""
        try:
            response_id = json.loads(output).get("response_id")
        except (ValueError, AttributeError):
            return ""
        return response_id if response_id.__class__ is str else ""

    def operation(self, operation: str) -> str:
        """The GenAI conventions' name of a span's operation: LiteLLM's call types
        (``acompletion``, ``aembedding``, ``responses``…) split what other sources and
        tokentrace's instrumentation name ``chat`` or ``embeddings``, and an ``aembedding``
        was not known to be input only (usage-missing)."""
        if self.litellm:
            return _LITELLM_OPERATIONS.get(operation, operation)
        return _LANGTRACE_OPERATIONS.get(operation, operation) if self.langtrace else operation

    def bedrock_model(self, model: str) -> str:
        """The Bedrock id of a model OpenLLMetry's Bedrock span names without its vendor
        (``titan-embed-text-v2:0`` → ``amazon.titan-embed-text-v2:0``): the name alone
        matches no Bedrock price, so such a call stayed unpriced (``unknown_model``). The
        profile it dropped is not restored: the id is the bare one, which the pricer leaves
        unpriced (``no_rate``) where a profile sets the rate (Claude Sonnet 4.5 and later:
        10% less through ``global.``). Other sources' models, and ids that keep a vendor
        or name no family known here, are returned as they are."""
        if not self.bedrock_vendor_dropped or not model or "." in model:
            return model
        lowered = model.lower()
        for family, vendor in _BEDROCK_VENDORS:
            if lowered.startswith(family):
                return f"{vendor}.{model}"
        return model

    def rpc_streams(self, method: str | None) -> bool:
        """Whether an AWS SDK span's ``rpc.method`` is a streaming Bedrock operation."""
        return self.botocore and method in _AWS_STREAMING_METHODS

    def thoughts_outside_output(self, provider: str, model: str) -> bool:
        """Whether this source's output count of a Gemini call leaves out the thoughts that
        its reasoning count gives: OpenLIT's (1.45) output is Gemini's
        ``candidatesTokenCount``, its ``gen_ai.usage.reasoning_tokens`` the
        ``thoughtsTokenCount`` (its ``gen_ai.client.token.usage`` is their input plus
        output: no total with the thoughts)."""
        return self.openlit and is_gemini(provider, model)

    def reasoning_beside_output(
        self, total: int | None, input_tokens: int | None, output_tokens: int, reasoning: int
    ) -> bool:
        """Whether the output count leaves out the reasoning counted beside it: xai-sdk's
        spans carry xAI's ``SamplingUsage`` as it is, whose ``completion_tokens`` leave out
        the ``reasoning_tokens`` (billed as output) that ``total_tokens`` adds, as in xAI's
        REST usage (``instrumentation/openai_api``); only when the total says so."""
        return self.xai_sdk and (
            total is None or total == (input_tokens or 0) + output_tokens + reasoning
        )

    def thoughts_unknown(self, model: str, total: int | None, reasoning: int | None) -> bool:
        """Whether a thinking Gemini model's output count may leave its thoughts out with
        nothing that counts them: the contrib Vertex AI instrumentation (2.2b0) sets Gemini's
        ``candidatesTokenCount`` as the output, without ``thoughtsTokenCount`` or the total
        (OpenLLMetry's release of that name sets the total: ``thoughts_in_total``). Gemini
        2.5 and later think unless told not to, and bill the thoughts as output: the call's
        cost is unknown, not that of its answer alone (recorded: 50 of 80 output tokens,
        $0.000215 for a $0.00029 call)."""
        return (
            self.vertexai_sdk
            and total is None
            and reasoning is None
            and model.startswith(_THINKING_GEMINI)
        )

    def usage_is_estimate(
        self, provider: str, stream: bool, cache_counted: bool, response_id: str
    ) -> bool:
        """Whether the counts are, or cannot be told from, the source's guess rather than
        the provider's usage.

        OpenLIT counts a streamed OpenAI chat call itself (characters / 2) unless the
        stream's usage chunk came: 1.34 always did (it looked for ``input_tokens`` in
        chat chunks), 1.45 reads the chunk, and only then sets ``gen_ai.usage.cache_read.
        input_tokens`` (``cache_counted``, even when 0).

        OpenLLMetry JS's OpenAI spans of chat and completions calls
        (``scopes.SCOPES``): a stream's counts are its estimate, and its
        span of a plain call looks the same, so neither is taken as exact; a release that
        reads the API's usage would carry its cache count. Its Responses API spans
        (``resp_…``) carry the response's usage."""
        if self.openllmetry_js_openai:
            return not cache_counted and not response_id.startswith(_RESPONSES_ID_PREFIX)
        return self.openlit and stream and provider == "openai" and not cache_counted

    def provider(self, name: str) -> str:
        """The provider name as the extractor knows it (before the common aliases); ``""``
        where the span names none."""
        if self.vertexai:
            return "gcp.vertex_ai"
        if self.foundry and name == "anthropic":
            return "azure.ai.foundry"  # as Agent Framework names it: Azure AI's
        if self.azure_named_inference and name == "azure.ai.inference":
            # @ai-sdk/otel (1.0, ``mapProviderName``) names every ``azure…`` id Azure AI
            # Inference's, while the AI SDK's ``azure`` provider (@ai-sdk/azure) is Azure
            # OpenAI, as the AI SDK 6's and Mastra's ids (``azure.chat``) are read
            return "azure.ai.openai"
        if self.provider_ids and name not in _DOTTED_NAMES:
            # @ai-sdk/amazon-bedrock's id has no dot (``amazon-bedrock``)
            head, _, rest = name.partition(".")
            second = rest.partition(".")[0]
            return _VERCEL_PROVIDERS.get(f"{head}.{second}") or _VERCEL_PROVIDERS.get(head, head)
        return name


# The ``Source`` flags that ``scopes.SCOPES`` names; a quirk the table names that is neither
# one of them nor a rank or ``dedupe``'s is a typo, which would pass silently: refused here.
_FLAGS = tuple(name for name in Source.__slots__ if name not in ("rank", "inherits", "foundry"))
_UNKNOWN = set().union(*scopes.SCOPES.values(), *(family for _, family in scopes.FAMILIES)) - {
    *_FLAGS,
    *scopes.RANK_QUIRKS,
    *scopes.DEDUPE_QUIRKS,
}
if _UNKNOWN:
    raise ValueError(f"scopes.py names quirks no source has: {sorted(_UNKNOWN)}")


# Gemini counts a thinking model's thoughts apart from its answer (``thoughtsTokenCount``
# beside ``candidatesTokenCount``), bills them as output
# (https://ai.google.dev/gemini-api/docs/pricing: "output price, including thinking
# tokens") and counts them in ``totalTokenCount``. OpenLLMetry's Google GenAI and Vertex AI
# instrumentations (0.62.4) copy ``candidatesTokenCount`` as the output count and
# ``totalTokenCount`` as the total: the difference is the thoughts.
_GEMINI_PROVIDERS = frozenset({"gcp.gemini", "gcp.gen_ai"})
# Gemini models that think by default, or can be told to (2.5 Flash-Lite): their thoughts
# are not provably none (https://ai.google.dev/gemini-api/docs/thinking).
_THINKING_GEMINI = ("gemini-2.5", "gemini-3")


def is_gemini(provider: str, model: str) -> bool:
    """Whether a call is a Gemini model's, on the Gemini API or Vertex AI."""
    return provider in _GEMINI_PROVIDERS or (
        provider == "gcp.vertex_ai" and model.startswith("gemini")
    )


def thoughts_in_total(provider: str, model: str, total: int, counted: int) -> int:
    """The thinking tokens that a Gemini call's total has beyond its input and output counts
    (``counted``), which then left them out; 0 where there are none, or the call is not
    Gemini's (other providers' totals are not read)."""
    if not is_gemini(provider, model):
        return 0
    return total - counted if 0 < total - counted <= 2**32 else 0


def gemini_usage(response: str) -> tuple[int | None, int | None] | None:
    """(cached input, total) from the ``usage_metadata`` of a Gemini response recorded whole
    as JSON (Google ADK 1.x's ``gcp.vertex.agent.llm_response``, google-genai's field
    names; ADK for TypeScript 2.0's, @google/genai's: ``usageMetadata``,
    ``cachedContentTokenCount``), whose span has only the input and output counts (output
    without the thoughts); None when the text is not such a response."""
    try:
        response = json.loads(response)
        usage = response.get("usage_metadata") or response.get("usageMetadata")
    except (ValueError, AttributeError):
        return None
    if usage.__class__ is not dict:
        return None
    counts = (
        usage.get("cached_content_token_count", usage.get("cachedContentTokenCount")),
        usage.get("total_token_count", usage.get("totalTokenCount")),
    )
    valid = tuple(c if c.__class__ is int and 0 <= c <= 2**32 else None for c in counts)
    return valid  # type: ignore[return-value]


_GENKIT_OPERATIONS = {"model": "chat", "embedder": "embeddings"}


def genkit_call(
    subtype: str | None, name: str | None, output: str | None
) -> tuple[str, str, str, str | None] | None:
    """(provider, model, operation, usage object) of a Genkit model or embedder action span;
    None for its other spans. Its span names the plugin and the model only in
    ``genkit:name`` (``openai/gpt-4o``) and records what the action returned
    (``genkit:output``, JSON): Genkit's own ``usage`` leaves out the cache (its
    @genkit-ai/compat-oai OpenAI plugin, 1.42: 1,200 input, no cached count), the provider's
    response (``raw``) has the API's usage whole, read as a usage object (``UsageObject``).
    Without it the counts are unknown (usage-missing), never Genkit's partial ones: its
    embedder's output has no usage at all."""
    operation = _GENKIT_OPERATIONS.get(subtype or "")
    if operation is None or not name:
        return None
    plugin, _, model = name.rpartition("/")
    try:
        raw = json.loads(output or "").get("raw")
        usage = raw.get("usage") if raw.__class__ is dict else None
    except (ValueError, AttributeError):
        usage = None
    return plugin, model, operation, json.dumps(usage) if usage.__class__ is dict else None


def vercel_operation(operation_id: str) -> str:
    """The GenAI operation of a Vercel AI SDK call span, which sets none."""
    return "embeddings" if operation_id.endswith(".doembed") else "chat"


def streams(operation_id: str | None) -> bool:
    """Whether a Vercel AI SDK span is a streamed call (it sets no stream attribute)."""
    return bool(operation_id) and operation_id.endswith(".dostream")


def is_wrapper(operation_id: str | None, span_kind: str | None) -> bool:
    """True for a span that wraps calls rather than making one (Vercel's ``ai.generateText``
    around ``ai.generateText.doGenerate``; OpenInference's ``CHAIN``/``AGENT`` spans,
    MLflow's and Langfuse's alike: see ``CALL_KINDS``)."""
    if operation_id and not operation_id.endswith(_VERCEL_CALL_SUFFIXES):
        return True
    return bool(span_kind) and span_kind not in CALL_KINDS


def invocation_streams(parameters: str | None) -> bool:
    """Whether OpenInference's ``llm.invocation_parameters`` (the request's parameters as
    JSON) ask for a stream: its spans have no other stream attribute."""
    if not parameters or '"stream"' not in parameters:
        return False  # most spans: no JSON parsed
    try:
        return json.loads(parameters).get("stream") is True
    except (ValueError, AttributeError):
        return False


def invocation_model(parameters: str) -> str | None:
    """The model that OpenInference's ``llm.invocation_parameters`` (the request's
    parameters as JSON) name: its Groq (0.1.33) and Portkey instrumentations' span of a
    stream ends when the stream is returned, with no ``llm.model_name`` and no usage, and
    is the only span of the call such an instrumentation makes. None when the parameters
    name none."""
    try:
        model = json.loads(parameters).get("model")
    except (ValueError, AttributeError):
        return None
    return (model.strip() or None) if model.__class__ is str else None


# Keys of the counts in a usage object set whole as one attribute's text, by what they
# count. The input count's key says whether it includes the cache: OpenAI's chat
# ``prompt_tokens`` does (``prompt_tokens_details.cached_tokens`` is part of it), the
# Responses API's ``input_tokens`` does (with ``input_tokens_details``), the Messages API's
# ``input_tokens`` does not (``cache_read_input_tokens`` and
# ``cache_creation_input_tokens`` are beside it), nor does Langfuse's ``input`` (its usage
# types are disjoint: a generation's total is their sum).
_PROMPT, _INPUT_TOKENS, _INPUT, _OUTPUT, _READ, _WRITE, _WRITE_1H, _REASONING = range(8)
_USAGE_OBJECT_KEYS = {
    "prompt_tokens": _PROMPT, "input_tokens": _INPUT_TOKENS, "input": _INPUT,
    "completion_tokens": _OUTPUT, "output_tokens": _OUTPUT, "output": _OUTPUT,
    "cache_read_input_tokens": _READ, "cached_tokens": _READ, "input_cached_tokens": _READ,
    "cache_creation_input_tokens": _WRITE, "cache_creation_tokens": _WRITE,
    "cache_write_tokens": _WRITE,
    "ephemeral_1h_input_tokens": _WRITE_1H, "cache_creation_input_tokens_above_1hr": _WRITE_1H,
    "reasoning_tokens": _REASONING, "output_reasoning_tokens": _REASONING,
    # Gemini's ``usage_metadata`` (the Vertex AI SDK's response as a dict)
    "cached_content_token_count": _READ, "cachedContentTokenCount": _READ,
    # Bedrock Converse's ``usage`` (OpenInference JS's ``output.value``, the response whole)
    "cacheReadInputTokens": _READ, "cacheWriteInputTokens": _WRITE,
}  # fmt: skip
# ``'key': 123`` (a Python literal) or ``"key": 123`` (JSON): one pattern reads both, and
# nothing is evaluated. A key that is ``None`` or ``null`` has no count.
_USAGE_OBJECT_COUNT = re.compile(
    "['\"](" + "|".join(_USAGE_OBJECT_KEYS) + r")['\"]\s*:\s*(\d{1,10})\b"
)
_RESPONSES_DETAILS = re.compile(r"""['"]input_tokens_details['"]\s*:\s*\{""")
# Langfuse's usage types are disjoint: its JS SDK flattens OpenAI's ``prompt_tokens_details``
# and ``completion_tokens_details`` (or the Responses API's ``…_tokens_details``) into
# ``input_<detail>`` and ``output_<detail>`` and takes each out of ``input`` and ``output``
# (``input_cached_tokens``, ``input_audio_tokens``, ``output_reasoning_tokens``…).
_LANGFUSE_DETAIL = re.compile(r"""['"](input|output)_(\w+)['"]\s*:\s*(\d{1,10})\b""")
_NOT_DETAILS = frozenset({"tokens", "cached_tokens"})  # a count, or read as the cache


class UsageObject:
    """The counts of a usage object that a source sets whole as one attribute's text,
    normalised as the extractor's (``input`` includes the cache); None where it has none.

    LiteLLM's ``metadata.usage_object`` (a Python literal of OpenAI's chat usage plus, for
    Anthropic calls, ``cache_read_input_tokens`` and ``cache_creation_input_tokens``,
    which its ``gen_ai.usage.*`` attributes lack), MLflow's ``mlflow.chat.tokenUsage``
    (JSON: ``input_tokens``, ``output_tokens``, ``cache_read_input_tokens``,
    ``cache_creation_input_tokens``, ``cache_creation_input_tokens_above_1hr``), Langfuse's
    ``langfuse.observation.usage_details`` (JSON: the provider's usage object as its Python
    OpenAI integration passes it, or usage types such as ``input``, ``output``,
    ``cache_read_input_tokens``, and its JS OpenAI integration's ``input_cached_tokens``,
    ``output_reasoning_tokens``…, each taken out of ``input`` or ``output``). The first
    key of each count that the object has is read (each names it once); a count above
    2^32, beyond the extractor's bounds, is none.
    ``input_includes_cache``: the source counts the cache in ``input_tokens`` whatever
    the provider (``Source.usage_object_normalised``).
    """

    __slots__ = ("cache_read", "cache_write", "cache_write_1h", "input", "output", "reasoning")

    def __init__(self, usage: str, input_includes_cache: bool) -> None:
        counts: list[int | None] = [None] * 8
        for key, digits in _USAGE_OBJECT_COUNT.findall(usage):
            index = _USAGE_OBJECT_KEYS[key]
            if counts[index] is None and int(digits) <= 2**32:
                counts[index] = int(digits)
        self.output = counts[_OUTPUT]
        self.cache_read = counts[_READ]
        self.cache_write = counts[_WRITE]
        self.cache_write_1h = counts[_WRITE_1H]
        self.reasoning = counts[_REASONING]
        cache = (self.cache_read or 0) + (self.cache_write or 0)
        if counts[_PROMPT] is not None:
            self.input = counts[_PROMPT]
        elif counts[_INPUT_TOKENS] is not None:
            self.input = counts[_INPUT_TOKENS]
            if not (input_includes_cache or _RESPONSES_DETAILS.search(usage)):
                self.input += cache  # the Messages API's usage
        elif counts[_INPUT] is not None:
            details = {"input": 0, "output": 0}
            for side, name, digits in _LANGFUSE_DETAIL.findall(usage):
                if name not in _NOT_DETAILS:
                    details[side] += int(digits)
            self.input = counts[_INPUT] + cache + details["input"]
            if self.output is not None:
                self.output += details["output"]
        else:
            self.input = None


_RESPONSE_USAGE = re.compile(
    r'^\s*\{.*"(?:usage|usage_metadata|usageMetadata)"\s*:\s*\{', re.DOTALL
)


def langchain_cache_writes(output: str | None) -> tuple[int, int] | None:
    """(cache writes, of which 1-hour writes) of a Claude call from the message that
    OpenInference's LangChain.js span records (``output.value``): @langchain/anthropic keeps
    the rest of Anthropic's usage in the message's ``response_metadata.usage``
    (``cache_creation_input_tokens``, ``cache_creation.ephemeral_1h_input_tokens``), where
    the span's attributes have no writes. None where the message has no such count."""
    if not output:
        return None
    try:
        message = json.loads(output)["generations"][0][0]["message"]["kwargs"]
        usage = message["response_metadata"]["usage"]
        writes = usage["cache_creation_input_tokens"]
        hour = (usage.get("cache_creation") or {}).get("ephemeral_1h_input_tokens") or 0
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
    if not (isinstance(writes, int) and isinstance(hour, int) and 0 <= hour <= writes < 2**32):
        return None
    return writes, hour


def message_chunk(completion: str | None) -> bool:
    """Whether a run's outputs (LangSmith's ``gen_ai.completion``, JSON) are LangChain's
    ``AIMessageChunk``: a chat model's ``stream()`` builds its message from chunks, its
    ``invoke()`` an ``AIMessage`` (quotes inside the answer's text are escaped: the text
    cannot match)."""
    return bool(completion) and _MESSAGE_CHUNK.search(completion) is not None


_LANGCHAIN_WRITES = ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")


def langchain_usage(usage_metadata: str) -> tuple[int, int, int, int] | None:
    """(cache reads, cache writes, of which 1-hour writes, reasoning) of LangChain's
    ``usage_metadata`` (JSON), which LangSmith's OpenTelemetry mode (0.15) records whole
    while its ``gen_ai.usage.input_tokens`` (cache included, LangChain's convention) has no
    cache count beside it. langchain-anthropic (1.7) moves the writes to
    ``ephemeral_5m_input_tokens`` / ``ephemeral_1h_input_tokens`` and leaves
    ``cache_creation`` 0 when Anthropic breaks them down, so those win when present. None
    without ``input_token_details``: then nothing says whether the cache was read."""
    usage = _json_object(usage_metadata)
    details = usage.get("input_token_details")
    output_details = usage.get("output_token_details") or {}
    if details.__class__ is not dict or output_details.__class__ is not dict:
        return None
    counts = [details.get("cache_read"), details.get("cache_creation")]
    counts += [output_details.get("reasoning"), *(details.get(key) for key in _LANGCHAIN_WRITES)]
    if not all(count is None or _bounded(count) for count in counts):
        return None
    read, creation, reasoning, five_minutes, hour = (count or 0 for count in counts)
    writes = five_minutes + hour if counts[3] is not None or counts[4] is not None else creation
    return read, writes, hour, reasoning


def _bounded(count: object) -> bool:
    """Whether a count read from a recorded object is one the extractor stores."""
    return count.__class__ is int and 0 <= count < 2**32  # type: ignore[operator]


def _json_object(text: str) -> dict[str, Any]:
    """A JSON object recorded as an attribute's text; empty when the text is not one."""
    try:
        document = json.loads(text)
    except ValueError:
        return {}
    return document if document.__class__ is dict else {}


def response_usage(output: str) -> UsageObject | None:
    """The usage object of a response recorded whole as JSON (OpenInference's
    ``output.value``, MLflow's ``mlflow.spanOutputs``): OpenAI's or Anthropic's
    ``usage``, Gemini's ``usage_metadata`` (OpenInference's Vertex AI instrumentation,
    whose cache count is only there). None when the text is not a JSON object with such
    an object: an answer's text that merely mentions such keys is not read."""
    if not _RESPONSE_USAGE.match(output):
        return None
    try:
        document = json.loads(output)
        usage = (
            document.get("usage") or document.get("usage_metadata") or document.get("usageMetadata")
        )
    except (ValueError, AttributeError):
        return None
    if usage.__class__ is not dict:
        return None
    return UsageObject(json.dumps(usage), input_includes_cache=False)


_ANTHROPIC_USAGE_KEYS = (
    "input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens",
)  # fmt: skip


def vercel_anthropic_usage(provider_metadata: str) -> tuple[int, int, int, int] | None:
    """(input without cache, output, cache read, cache write) from a Vercel AI SDK span's
    ``ai.response.providerMetadata``: its ``anthropic.usage`` is the Messages API's own
    usage object, whichever provider package served it (@ai-sdk/anthropic, or
    @ai-sdk/google-vertex/anthropic's Claude on Vertex AI, whose metadata is keyed
    ``anthropic`` too). None when it is absent or not what that API sends."""
    try:
        usage = json.loads(provider_metadata)["anthropic"]["usage"]
        counts = tuple(usage.get(key, 0) or 0 for key in _ANTHROPIC_USAGE_KEYS)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if not all(count.__class__ is int and 0 <= count <= 2**32 for count in counts):
        return None
    return counts  # type: ignore[return-value]


def completion_start_ms(completion_start: str, start_ns: int, end_ns: int) -> float | None:
    """The time to first token (ms) that Langfuse's ``completion_start_time`` says (the
    first chunk's time, ISO 8601, ``2026-12-03T08:48:12.274670Z``, JSON-encoded on the span
    and unquoted as text fields are; set on streams only), from the span's start; None
    where it does not parse or falls outside the span."""
    try:
        moment = datetime.fromisoformat(completion_start.strip('"'))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    # whole microseconds, so that the float's rounding never moves the difference
    first_us = int(moment.timestamp()) * 1_000_000 + moment.microsecond
    if not start_ns // 1000 <= first_us <= end_ns // 1000 + 1:
        return None
    return (first_us * 1000 - start_ns) / 1e6
