"""Every third-party source's real spans, replayed into chDB: one row per call, exact cost.

Each fixture in ``tests/fixtures/sources/`` is the OTLP/HTTP JSON body of the spans that
a real instrumentation package emitted for calls to the provider stand-ins, recorded by
``tests/fixtures/sources/record/record.py`` (which says how to install the packages):
a plain and a streamed call with cached input for each provider the source instruments
(1,200 input tokens, 1,000 of them cache reads and, for Anthropic, 100 cache writes; 80
output tokens), and for OpenAI a stream without ``include_usage``. The tests post each
body to the real OTLP/HTTP receiver, which extracts, dedupes, prices and spools it; the
sink writes it to chDB; the rows are read back.

Prices (USD per million tokens), as genai-prices 0.2.3 has them for these dates:

- gpt-4o: input 2.50, cached input 1.25, output 10
  (https://platform.openai.com/docs/pricing);
- claude-sonnet-4-5: input 3, cache read 0.30, 5-minute cache write 3.75, output 15
  (https://docs.anthropic.com/en/docs/about-claude/pricing);
- gemini-2.5-flash: input 0.30, cached input 0.03, output 2.50
  (https://ai.google.dev/gemini-api/docs/pricing).

So a cached gpt-4o call costs 200 × 2.50 + 1,000 × 1.25 + 80 × 10 = $0.00255 per million
… i.e. 0.0005 + 0.00125 + 0.0008 = $0.00255; a cached claude-sonnet-4-5 call 100 × 3 +
1,000 × 0.30 + 100 × 3.75 + 80 × 15 per million = $0.002175; a cached gemini-2.5-flash
call 200 × 0.30 + 1,000 × 0.03 + 80 × 2.50 per million = $0.00029.

LangChain (langchain-core 1.8.3, langchain-openai 1.7.4) calls OpenAI only, through a
prompt | ChatOpenAI | parser chain, plain (run named ``greeter_agent``) and streamed
(``stream_usage=True``): two cached gpt-4o calls.

LiteLLM 1.110.2 calls OpenAI (plain, streamed, and gpt-4o-mini streamed without usage)
and Anthropic (plain and streamed) through ``litellm.completion``, traced by its own
OpenTelemetry integration (``litellm.callbacks = ["otel"]``, over the global tracer
provider) alone, under the latest GenAI conventions, with openinference-instrumentation-
openai 0.1.66, with tokentrace's own instrumentation and with Logfire 5.4's
``instrument_openai()``; and by OpenInference's LiteLLM instrumentation (0.1.51, with its
OpenAI one) and OpenLLMetry's (0.62.4, with its OpenAI one). A gpt-4o-mini call of 9
input and 9 output tokens costs 9 × 0.15 + 9 × 0.60 per million = $0.00000675.

LlamaIndex (llama-index-core 0.14.25, llama-index-llms-openai 0.8.3, openai 2.54) calls
OpenAI through a ``SimpleChatEngine``: plain, streamed with usage, and gpt-4o-mini
streamed without; with OpenInference's instrumentations (llama-index 4.6.1, openai
0.1.66) and with OpenLLMetry's (llamaindex and openai 0.62.4).

CrewAI 1.15.30 (openai 2.54) kicks off a one-task crew with a plain and a streaming LLM.

Haystack 3.4.1 runs an ``OpenAIChatGenerator`` pipeline, plain and streamed.

DSPy 3.4.1 (over LiteLLM 1.110.2) runs a ``Predict`` on gpt-4o: two calls (its
``ChatAdapter``, then its ``JSONAdapter``, as the stand-in's reply has no answer field).

Semantic Kernel 1.45.0 (openai 3.57) calls its OpenAI chat service plain and streamed.

Google ADK 2.13.0 runs an agent on gemini-2.5-flash, plain and streamed.

Strands Agents 1.62.0 (openai 1.109, anthropic 0.125) runs an agent on each provider,
invoked and streamed.

The OpenAI Agents SDK 0.24 (openai 3.57) runs an agent on gpt-4o, plain and streamed,
through the Responses API, with OpenInference's instrumentations and with Logfire's.

Logfire 5.4.0 (``instrument_openai()``, ``instrument_anthropic()``; openai 3.57,
anthropic 2.15) makes the same calls as the OpenAI and Anthropic sources above.

Amazon Bedrock (Claude Sonnet 4.5 through cross-region profiles): boto3 1.44 traced by
opentelemetry-instrumentation-botocore 0.66b2, beside the anthropic SDK's
``AnthropicBedrock`` traced by tokentrace; and LiteLLM 1.110.2's bedrock provider (Converse
and InvokeModel, over httpx) traced by its OTel callback and by tokentrace.

MLflow 3.17.2 (``mlflow-tracing``; openai 3.57, anthropic 2.16) autologs the same calls,
plus an Anthropic ``messages.create(stream=True)``, exported by its own OTLP exporter:
natively, under ``MLFLOW_ENABLE_OTEL_GENAI_SEMCONV=true``, and beside tokentrace's
instrumentation.

Agno 3.1 (openai 3.57, anthropic 2.16) runs an agent on each provider, plain and
streamed, with OpenInference's Agno instrumentation, alone and with its OpenAI one.

smolagents 1.26 (openai 3.57) runs a ``CodeAgent`` on gpt-4o twice, its model plain then
streaming, with OpenInference's smolagents instrumentation, alone and with its OpenAI one.

Langfuse 5.2.0 (openai 3.57, anthropic 2.16) on the application's tracer provider: its
OpenAI drop-in makes the OpenAI calls under an ``@observe`` function, and an ``@observe(
as_type="generation")`` the plain Anthropic call, its usage set by hand as Langfuse's docs
do (https://langfuse.com/docs/model-usage-and-cost); the Anthropic SDK traces itself on
the global provider. Alone and beside tokentrace's instrumentation.

Not recorded: the Anthropic TypeScript SDK's own tracing under OpenLLMetry JS, whose
Anthropic instrumentation (0.27) patches only the 0.x SDK layout, which has no tracing of
its own; OpenLIT with the Anthropic Python SDK's own tracing, since OpenLIT 1.34 pins
anthropic < 1 (no tracing either); LiteLLM beside the openai-v2 instrumentation, which
like OpenLLMetry's OpenAI one wraps ``Completions.create``: LiteLLM 1.110 posts through
the openai client (``client.post``), so it emits no span of its calls (tried: LiteLLM's
10 spans only); openai-v2 2.4b0 under ``OTEL_SEMCONV_STABILITY_OPT_IN=
gen_ai_latest_experimental``, whose spans have the attribute names of ``openai_v2.json``
(tried: the same names and values).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

GPT_4O = Decimal("0.00255")  # cached gpt-4o call (see the module docstring)
GPT_4O_UNCACHED = Decimal("0.0038")  # 1,200 × 2.50 + 80 × 10 per million: no cache reported
# A gpt-4o call of 1,200 input tokens whose span sets no cache count: OpenAI caches prompts
# of 1,024 tokens or more on its own (https://platform.openai.com/docs/guides/prompt-caching),
# so the span cannot say how many were read at the cached rate. It was priced as if none
# were, $0.0038 (GPT_4O_UNCACHED) for $0.00255: its cost is unknown (usage-missing).
CACHE_UNSAID = ("openai", "gpt-4o", 1200, 80, 0, 0, 1, 0)
SONNET = Decimal("0.002175")
FLASH = Decimal("0.00029")

# Each row is checked for ``conftest.FIELDS``, in that order.
OPENAI = ("openai", "gpt-4o", 1200, 80, 1000, 0, 0, GPT_4O)
ANTHROPIC = ("anthropic", "claude-sonnet-4-5", 1200, 80, 1000, 100, 0, SONNET)


def assert_no_usage(row: tuple[Any, ...]) -> None:
    """The gpt-4o-mini stream without ``include_usage``: no counts, marked usage-missing.

    Its model is the response's (``gpt-4o-mini-2024-08-06``) where the source records it;
    its cost is not this module's to decide (unknown, never $0: issue 9 item 6).
    """
    assert row[0] == "openai" and row[1].startswith("gpt-4o-mini")
    assert row[2:7] == (0, 0, 0, 0, 1)


def test_openinference_python(replay):
    """OpenInference (openai 0.1.66, anthropic 3.1.0): ``llm.token_count.*`` with cache
    included, ``llm.model_name`` the response's model, ``user.id``/``session.id`` tags."""
    result = replay("openinference_py")
    rows = result.rows()
    assert rows[:2] == [ANTHROPIC, ANTHROPIC]
    assert rows[2:4] == [OPENAI, OPENAI]
    assert_no_usage(rows[4])
    assert result.rows("user", "conversation") == [("user-1", "session-1")] * 5
    assert result.metrics.spans_duplicate.value() == 0
    # "stream": true in llm.invocation_parameters, OpenInference's only word on it
    streams = [("anthropic", 0), ("anthropic", 1), ("openai", 0), ("openai", 1), ("openai", 1)]
    assert result.rows("provider", "stream") == streams


def test_openinference_js(replay):
    """OpenInference JS (openai 4.2.7) records no usage for streams, with or without
    ``include_usage``: those calls are stored as usage-missing."""
    result = replay("openinference_js")
    rows = result.rows("model", "input_tokens", "cache_read_tokens", "usage_missing", "cost")
    assert rows[0] == ("gpt-4o", 0, 0, 1, rows[0][4])
    assert rows[1] == ("gpt-4o", 1200, 1000, 0, GPT_4O)
    assert rows[2][:4] == ("gpt-4o-mini", 0, 0, 1)
    assert result.rows("user", "conversation") == [("user-1", "session-1")] * 3
    assert result.rows("stream") == [(0,), (1,), (1,)]


def test_openinference_js_anthropic_and_anthropic_sdk_count_each_call_once(replay):
    """OpenInference JS's Anthropic span (0.2.8) is the parent of the Anthropic TypeScript
    SDK's own span of the same call: one row each, the SDK's (equal usage; the provider
    SDK's own span carries the response id)."""
    result = replay("openinference_js_anthropic")
    assert result.spans == 4
    assert result.rows() == [ANTHROPIC, ANTHROPIC]
    assert result.rows("response_id", "stream") == [("msg_standin2", 0), ("msg_standin4", 1)]
    assert result.metrics.spans_duplicate.value() == 2


def test_vercel_ai_sdk(replay):
    """Vercel AI SDK 6: the ``.doGenerate``/``.doStream`` spans are the calls, not the
    ``ai.generateText``/``ai.streamText`` wrappers; ``gen_ai.system=openai.chat`` names
    OpenAI; cache reads and writes come from ``ai.usage.inputTokenDetails.*``;
    ``ai.telemetry.metadata.*`` become dimensions and tags."""
    result = replay("vercel_ai")
    assert result.spans == 8
    assert result.rows() == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert result.rows("user", "conversation", "team", "feature", "stream") == [
        ("user-1", "session-1", "growth", "plain", 0),
        ("user-1", "session-1", "growth", "plain", 0),
        ("user-1", "session-1", "growth", "streamed", 1),
        ("user-1", "session-1", "growth", "streamed", 1),
    ]
    assert result.rows("toJSONString(tags)") == [("{}",)] * 4
    assert result.metrics.spans_ignored.value() == 4
    # ai.response.msToFirstChunk, as recorded
    ttft = result.rows("stream", "round(ifNull(ttft_ms, -1), 3)")
    assert ttft == [(0, -1), (0, -1), (1, 32.85), (1, 36.704)]


def test_vercel_ai_sdk_5(replay):
    """AI SDK 5: ``generateText`` reports only ``ai.usage.promptTokens|completionTokens``
    (OpenAI's cached tokens are lost: billed as input), streams ``cachedInputTokens``;
    Anthropic's input leaves out the cache, whose writes only ``ai.response.
    providerMetadata`` has (the API's usage object, read for Anthropic calls)."""
    result = replay("vercel_ai_5")
    rows = result.rows()
    assert rows[:2] == [ANTHROPIC, ANTHROPIC]
    assert rows[2:] == [CACHE_UNSAID, OPENAI]
    assert result.metrics.spans_ignored.value() == 4
    assert result.metrics.usage_repaired.value(repair="input_below_cache") == 0


def test_openllmetry_python_and_anthropic_sdk_count_each_call_once(replay):
    """OpenLLMetry's Anthropic span and the Anthropic SDK's own span of one call sit in
    two traces with one ``gen_ai.response.id``: one row each call, the SDK's (the
    streamed OpenLLMetry span says 81 output tokens, one too many)."""
    result = replay("openllmetry_py")
    assert result.spans == 7
    rows = result.rows()
    assert rows[:2] == [ANTHROPIC, ANTHROPIC]
    assert rows[2:4] == [OPENAI, OPENAI]
    assert_no_usage(rows[4])
    assert result.metrics.spans_duplicate.value() == 2
    streams = [("anthropic", 0), ("anthropic", 1), ("openai", 0), ("openai", 1), ("openai", 1)]
    assert result.rows("provider", "stream") == streams


def test_openllmetry_js(replay):
    """OpenLLMetry JS 0.27: its Anthropic input count leaves out the cache (the API's
    ``input_tokens``), unlike OpenLLMetry Python's; its OpenAI chat spans carry no cached
    tokens, and streams no usage or, with ``enrichTokens``, its estimate, which nothing on
    the span tells from a plain call's usage: no OpenAI chat count is taken as exact
    (``sources.Source.usage_is_estimate``; the plain call's 1,200 / 80 were usage-missing
    for the unsaid cache already)."""
    result = replay("openllmetry_js")
    rows = result.rows()
    assert rows[:2] == [ANTHROPIC, ANTHROPIC]
    assert rows[2:4] == [("openai", "gpt-4o", 0, 0, 0, 0, 1, 0)] * 2
    assert_no_usage(rows[4])
    assert result.metrics.usage_repaired.value(repair="input_below_cache") == 0


def test_anthropic_sdk_python(replay):
    result = replay("anthropic_sdk_py")
    assert result.rows() == [ANTHROPIC, ANTHROPIC]
    assert result.rows("conversation", "stream") == [("conversation-1", 0), ("conversation-1", 1)]


def test_anthropic_sdk_typescript(replay):
    result = replay("anthropic_sdk_ts")
    assert result.rows() == [ANTHROPIC, ANTHROPIC]
    assert result.rows("conversation", "stream") == [("conversation-1", 0), ("conversation-1", 1)]


def test_openai_v2(replay):
    """opentelemetry-instrumentation-openai-v2 2.4b0 reports no cached tokens: the span
    cannot say that 1,000 of the 1,200 were cached, so they are billed as input."""
    result = replay("openai_v2")
    rows = result.rows()
    assert rows[:2] == [CACHE_UNSAID] * 2
    assert_no_usage(rows[2])


def test_openai_v2_broken_beside_tokentrace(replay):
    """openai-v2 as pip installs it today (2.4b0 beside opentelemetry-util-genai 1.3b0,
    which renamed ``opentelemetry.util.genai.instruments``) fails to import and traces
    nothing; tokentrace's instrumentation beside it meters every call: the two cached
    gpt-4o calls at $0.00255 each (``GPT_4O``) and the stream without ``include_usage``
    usage-missing. Recorded with the broken pair: only tokentrace's three spans."""
    result = replay("openai_v2_broken_tokentrace")
    assert result.spans == 3
    rows = result.rows()
    assert rows[:2] == [OPENAI, OPENAI]
    assert_no_usage(rows[2])
    assert len(rows) == 3
    assert result.rows("stream") == [(0,), (1,), (1,)]


def test_opentelemetry_instrumentation_openai_js(replay):
    """``@opentelemetry/instrumentation-openai`` 0.21: no cached tokens either; a stream
    without ``include_usage`` has no usage."""
    result = replay("otel_openai_js")
    rows = result.rows()
    assert rows[:2] == [CACHE_UNSAID] * 2
    assert_no_usage(rows[2])


def test_google_genai(replay):
    """The google-genai instrumentation 1.3b0: ``gen_ai.provider.name=gemini``, input
    including the cached tokens."""
    result = replay("google_genai")
    flash = ("gcp.gemini", "gemini-2.5-flash", 1200, 80, 1000, 0, 0, FLASH)
    assert result.rows() == [flash, flash]


def test_openinference_google_genai(replay):
    """OpenInference's Google GenAI instrumentation (1.4.14, google-genai 3.6.1):
    ``llm.provider=google``, which names any Google generative AI endpoint
    (``gcp.gen_ai``), input including the cached tokens."""
    result = replay("openinference_google_genai")
    flash = ("gcp.gen_ai", "gemini-2.5-flash", 1200, 80, 1000, 0, 0, FLASH)
    assert result.rows() == [flash, flash]


def test_openlit(replay):
    """OpenLIT 1.34: Anthropic input without the cache and no cache counts, so the cache
    cannot be billed: the span does not say, and its cost is unknown (usage-missing; it was
    100 × 3 + 80 × 15 per million, $0.0015, for a call of $0.002175, its 1,000 cache reads
    and 100 writes left out); no span for Anthropic's ``messages.stream``; streamed OpenAI
    counts are OpenLIT's estimate (characters / 2), stored as no usage."""
    result = replay("openlit_py")
    rows = result.rows()
    assert rows[0] == ("anthropic", "claude-sonnet-4-5", 100, 80, 0, 0, 1, Decimal(0))
    assert rows[1][:3] == ("openai", "gpt-4o", 0) and rows[1][2:7] == (0, 0, 0, 0, 1)
    assert rows[2] == CACHE_UNSAID
    assert_no_usage(rows[3])
    assert result.rows("service", "environment")[0] == ("record-openlit", "default")


def test_openlit_and_tokentrace_count_each_call_once(replay):
    """OpenLIT's span around the SDK call and tokentrace's around its HTTP exchange: the
    parent/child pairs (plain calls) and the cross-trace pairs (OpenLIT's stream spans are
    roots of their own) each make one row, tokentrace's, whose usage is the exact one."""
    result = replay("openlit_tokentrace")
    assert result.spans == 9
    rows = result.rows()
    assert rows[:4] == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[4])
    assert result.metrics.spans_duplicate.value() == 4


def test_pydantic_ai(replay):
    """Pydantic AI 2.68: ``chat MODEL`` spans are the calls, under ``invoke_agent``
    spans whose ``gen_ai.aggregated_usage.*`` sums them (not calls); the agent's name is
    the agent dimension."""
    result = replay("pydantic_ai")
    assert result.spans == 8
    assert result.rows() == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert result.metrics.spans_ignored.value() == 4


def test_openinference_langchain(replay):
    """OpenInference's LangChain instrumentation (0.1.80) over langchain-openai 1.7: the
    ``ChatOpenAI`` spans (``LLM``) are the calls, not the ``greeter_agent`` (``AGENT``),
    ``RunnableSequence`` and ``StrOutputParser`` (``CHAIN``) or ``ChatPromptTemplate``
    (``PROMPT``) spans. Its
    ``llm.invocation_parameters`` say ``"stream": false`` for the streamed call too (the
    model's ``streaming`` setting, not how ``chain.stream`` called it); the response it
    records is LangChain's ``AIMessageChunk``, a streamed message: stored as streamed (it
    was stored as not)."""
    result = replay("openinference_langchain")
    assert result.spans == 8
    assert result.rows() == [OPENAI, OPENAI]
    assert result.rows("model", "stream") == [("gpt-4o", 0), ("gpt-4o", 1)]
    assert result.metrics.spans_ignored.value() == 6


def test_openinference_langchain_and_openai_count_each_call_once(replay):
    """With OpenInference's OpenAI instrumentation as well, each call has a LangChain
    ``LLM`` span and an OpenAI one, in two traces: the LangChain tracer never attaches its
    span to the context, so the OpenAI span is a root of its own, and neither carries a
    response id. One row each call, the OpenAI span's (equal usage; it is the SDK's, and
    its invocation parameters say which call streamed, LangChain's do not)."""
    result = replay("openinference_langchain_openai")
    assert result.spans == 10
    assert result.rows() == [OPENAI, OPENAI]
    # the OpenAI spans' (roots of their own traces), whose model is the response's
    assert result.rows("stream") == [(0,), (1,)]  # the OpenAI spans' invocation parameters
    assert result.rows("response_model", "trace_id") == [
        ("gpt-4o-2024-08-06", "2292a6006eb936032d481a34d4e0448f"),
        ("gpt-4o-2024-08-06", "d0f968b10ffc9e3d88a79a0660c5bf94"),
    ]
    assert result.metrics.spans_duplicate.value() == 2
    assert result.metrics.spans_ignored.value() == 6


def test_openinference_langchain_and_openai_spans_exported_one_by_one(replay):
    """As Phoenix's ``register()`` exports by default (a simple span processor): each span
    in a request of its own, the OpenAI span of a call before LangChain's. One row each
    call, the OpenAI span's (the first seen: a stored row is not taken back)."""
    result = replay("openinference_langchain_openai", alone=True)
    assert result.rows() == [OPENAI, OPENAI]
    assert result.rows("response_model", "stream") == [
        ("gpt-4o-2024-08-06", 0),
        ("gpt-4o-2024-08-06", 1),
    ]
    assert result.metrics.spans_duplicate.value() == 2


def test_openllmetry_langchain(replay):
    """OpenLLMetry's LangChain instrumentation (0.62) with its OpenAI one: the
    ``ChatOpenAI.chat`` spans are the calls; the ``workflow`` spans (``gen_ai.operation.name
    =invoke_agent``, one of them the ``greeter_agent`` run) and the ``task`` spans are not;
    the OpenAI instrumentation is suppressed under LangChain's, so there is no second span
    of a call. The streamed span has no response id and no stream attribute; its output
    message's role ``unknown`` (LangChain's ``AIMessageChunk``) is its sign of a stream.
    LangChain's ``ls_*``/``lc_*`` run metadata arrives as
    ``traceloop.association.properties.*`` and gives no tags."""
    result = replay("openllmetry_langchain")
    assert result.spans == 8
    assert result.rows() == [OPENAI, OPENAI]
    # no stream attribute: it was stored as not streamed
    assert result.rows("response_id", "stream") == [("", 1), ("chatcmpl-standin5", 0)]
    # LangChain's ls_*/lc_* run metadata, sent as association properties, are not tags
    assert result.rows("toJSONString(tags)") == [("{}",)] * 2
    assert result.metrics.spans_ignored.value() == 6


def test_litellm(replay):
    """LiteLLM's OpenTelemetry integration (``litellm.callbacks = ["otel"]``): the
    ``litellm_request`` spans are the calls; their ``gen_ai.usage.*`` leave the cache out,
    which only ``metadata.usage_object`` (LiteLLM's usage, as a Python literal) has; the
    ``raw_gen_ai_request`` spans under them (the provider's response) are not calls. The
    gpt-4o-mini stream without ``include_usage`` carries LiteLLM's own count (9 in, 9 out,
    its tokenizer's), once stored as exact ($0.00000675): its usage object has no
    ``prompt_tokens_details``, which OpenAI's always has, so it is usage-missing."""
    result = replay("litellm_otel")
    assert result.spans == 10
    rows = result.rows()
    assert rows[:4] == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[4])
    assert result.rows("provider", "stream") == [
        ("anthropic", 0), ("anthropic", 1), ("openai", 0), ("openai", 1), ("openai", 1),
    ]  # fmt: skip
    assert result.metrics.spans_ignored.value() == 5
    # ``litellm.*`` (call id, cache hit, model) are LiteLLM's telemetry, not tags; nor is its
    # un-namespaced ``hidden_params`` (its response parameters as JSON: a structure)
    assert result.rows("mapKeys(tags)") == [([],)] * 5


def test_litellm_latest_semantic_conventions(replay):
    """Under ``OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental``, LiteLLM's span of
    a call is ``chat MODEL``, with ``gen_ai.usage.cache_*`` for Anthropic calls (from the
    usage object's top-level cache keys) but not for OpenAI's, whose cached tokens are in
    ``prompt_tokens_details``: ``metadata.usage_object`` has them still."""
    result = replay("litellm_otel_latest")
    assert result.spans == 5
    rows = result.rows()
    assert rows[:4] == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[4])
    assert result.rows("provider", "stream") == [
        ("anthropic", 0), ("anthropic", 1), ("openai", 0), ("openai", 1), ("openai", 1),
    ]  # fmt: skip


def test_litellm_and_tokentrace_count_each_call_once(replay):
    """LiteLLM's spans and tokentrace's own around the HTTP exchanges beneath them, each
    the root of a trace of its own: an OpenAI pair shares its response id; an Anthropic
    pair does not (LiteLLM's is its own ``chatcmpl-…`` id), and is paired by time, the
    exchange inside LiteLLM's span. One row each call, tokentrace's (exact usage), but for
    the stream without usage, LiteLLM's count (usage present, see ``test_litellm``)."""
    result = replay("litellm_tokentrace")
    assert result.spans == 15
    rows = result.rows()
    assert rows[:4] == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[4])
    assert result.rows("response_id") == [
        ("chatcmpl-standin1",), ("chatcmpl-standin2",), ("chatcmpl-standin3",),
        ("msg_standin2",), ("msg_standin4",),
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 5


def test_litellm_and_tokentrace_spans_exported_one_by_one(replay):
    """Each span alone, in the order they ended: the OpenAI pairs by response id (their
    LiteLLM spans, duplicates, are the first framework spans seen), then each Anthropic
    exchange, which ends before LiteLLM's span, is matched by it. One row each call, the
    first seen: tokentrace's, usage-missing for the stream without usage."""
    result = replay("litellm_tokentrace", alone=True)
    rows = result.rows()
    assert rows[:4] == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[4])
    assert len(rows) == 5
    assert result.metrics.spans_duplicate.value() == 5


@pytest.mark.parametrize("alone", [False, True])
def test_litellm_and_tokentrace_stream_span_outliving_litellms(replay, alone):
    """The same calls recorded on a loaded machine: LiteLLM ends its span of the Anthropic
    stream from its success callback at the last chunk, 1.2 ms before tokentrace's span of
    the exchange ends (when the stream is closed), so the exchange is no longer inside it.
    A stream's span need only start inside a framework's span of a stream: one row each
    call. It was a second row for the stream ($0.002175 counted twice)."""
    result = replay("litellm_tokentrace_loaded", alone=alone)
    assert result.spans == 15
    rows = result.rows()
    assert rows[:4] == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    if alone:
        assert_no_usage(rows[4])
    else:
        assert_no_usage(rows[4])
    assert len(rows) == 5
    assert result.rows("provider", "stream")[:2] == [("anthropic", 0), ("anthropic", 1)]
    assert result.metrics.spans_duplicate.value() == 5


def test_openinference_litellm_and_openai_count_each_call_once(replay):
    """OpenInference's LiteLLM instrumentation (0.1.51; Logfire's ``instrument_litellm()``
    uses it) with its OpenAI instrumentation: each OpenAI call's ``completion`` span is the
    parent of its ``ChatCompletion`` span, one row each call, the child's. Its model name
    is LiteLLM's (``anthropic/claude-sonnet-4-5``); its Anthropic stream carries no usage:
    stored as usage-missing (unknown cost, never $0)."""
    result = replay("openinference_litellm")
    assert result.spans == 8
    rows = result.rows()
    assert rows[0] == ("anthropic", "claude-sonnet-4-5", 0, 0, 0, 0, 1, rows[0][-1])
    assert rows[1:4] == [ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[4])
    assert len(rows) == 5
    assert result.rows("usage_missing", "priced") == [(0, 1)] * 3 + [(1, 0)] * 2
    assert result.metrics.spans_duplicate.value() == 3


def test_openllmetry_litellm(replay):
    """OpenLLMetry's LiteLLM instrumentation (0.62.4), its OpenAI instrumentation on too:
    one ``litellm.chat`` span per call (LiteLLM bypasses ``Completions.create``, so the
    OpenAI instrumentation sees none). Its Anthropic span has the cache reads but never the
    cache writes (it reads LiteLLM's ``cached_tokens`` alone), which its 1,200 input tokens
    include: billed as plain input it read $0.0021 for a $0.002175 call; now usage-missing,
    its cost unknown (``cache_writes_unsaid``). Its streams have usage only from OpenAI,
    with ``include_usage``: the others are usage-missing (unknown, never $0)."""
    result = replay("openllmetry_litellm")
    assert result.spans == 5
    rows = result.rows()
    assert rows[0] == ("anthropic", "claude-sonnet-4-5", 0, 0, 0, 0, 1, rows[0][-1])
    assert rows[1][:7] == ("anthropic", "claude-sonnet-4-5", 1200, 80, 1000, 0, 1)
    assert rows[2:4] == [OPENAI, OPENAI]
    assert_no_usage(rows[4])
    assert result.rows("usage_missing", "priced") == [(0, 1)] * 2 + [(1, 0)] * 3
    assert result.rows("provider", "stream") == [
        ("anthropic", 0), ("anthropic", 1), ("openai", 0), ("openai", 1), ("openai", 1),
    ]  # fmt: skip


@pytest.mark.parametrize("alone", [False, True])
@pytest.mark.parametrize(
    "fixture", ["openllmetry_litellm_tokentrace", "openinference_litellm_tokentrace"]
)
def test_litellm_instrumentations_beside_tokentrace(replay, alone, fixture):
    """OpenLLMetry's (0.62.4) and OpenInference's (0.1.51) LiteLLM instrumentations alone
    beside tokentrace's (litellm 1.110.2, the same 5 calls; recorded 2026-12-04): one row
    a call, tokentrace's, $0.00945 for the 4 with usage, the stream without
    ``include_usage`` unknown. OpenLLMetry's spans are never current (``start_span``), so
    tokentrace's span of a call is the root of a trace of its own, and its Claude spans
    carry LiteLLM's response id (``chatcmpl-<uuid>``), not Anthropic's: both Claude calls
    were counted twice (7 rows, $0.0021 and an unknown more), now paired by time as a
    framework's. OpenInference's are the parents of tokentrace's: paired as such."""
    result = replay(fixture, alone=alone)
    assert result.spans == 10
    rows = result.rows()
    assert rows[:4] == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[4])
    assert len(rows) == 5
    assert sum(row[-1] for row in rows[:4]) == Decimal("0.00945")
    assert result.rows("stream") == [(0,), (0,), (1,), (1,), (1,)]
    assert result.metrics.spans_duplicate.value() == 5


def test_litellm_and_logfire_openai_count_each_call_once(replay):
    """LiteLLM's spans with Logfire's ``instrument_openai()`` (5.4), which wraps the openai
    client's ``request`` and so sees LiteLLM's OpenAI calls: each has LiteLLM's span and
    Logfire's (for a stream, its ``streaming response`` log; the request span is no
    call), in two traces with one response id. One row each call: in one request the
    richer (LiteLLM's count for the stream without usage), sent one by one the first seen
    (Logfire's, usage-missing for that stream)."""
    result = replay("litellm_logfire")
    assert result.spans == 15
    rows = result.rows()
    assert rows[:4] == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[4])
    assert result.metrics.spans_duplicate.value() == 3
    assert result.metrics.spans_ignored.value() == 7


def test_litellm_and_logfire_openai_spans_exported_one_by_one(replay):
    result = replay("litellm_logfire", alone=True)
    rows = result.rows()
    assert rows[:4] == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[4])
    assert len(rows) == 5
    assert result.metrics.spans_duplicate.value() == 3


def test_litellm_and_openinference_openai_count_each_call_once(replay):
    """LiteLLM posts its OpenAI calls through the openai SDK's client, whose ``request``
    OpenInference's OpenAI instrumentation wraps: each OpenAI call has LiteLLM's span and
    OpenInference's, each the root of a trace of its own (LiteLLM starts its span after
    the call, from its success callback), OpenInference's without a response id. One row
    each call, OpenInference's (equal usage; the SDK's); the stream without usage has
    none on either (LiteLLM's count is its own guess, see ``test_litellm``)."""
    result = replay("litellm_openinference")
    assert result.spans == 13
    rows = result.rows()
    assert rows[:4] == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[4])
    assert result.rows("provider", "response_model") == [
        ("anthropic", "claude-sonnet-4-5"), ("anthropic", "claude-sonnet-4-5"),
        ("openai", "gpt-4o-2024-08-06"), ("openai", "gpt-4o-2024-08-06"),
        ("openai", "gpt-4o-mini-2024-08-06"),
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 3


def test_litellm_and_openinference_openai_spans_exported_one_by_one(replay):
    """The same spans, each in a request of its own: OpenInference's span of a call ends
    (and is sent) before LiteLLM's. One row each call, the first seen: OpenInference's,
    usage-missing for the stream without usage (LiteLLM's count of it comes after, and
    nests it: see ``dedupe``'s ``M`` keys)."""
    result = replay("litellm_openinference", alone=True)
    rows = result.rows()
    assert rows[:4] == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[4])
    assert len(rows) == 5
    assert result.metrics.spans_duplicate.value() == 3


def test_openinference_llama_index(replay):
    """OpenInference's LlamaIndex instrumentation (4.6.1) over LlamaIndex's OpenAI LLM
    (llama-index-core 0.14.25, llama-index-llms-openai 0.8.3, openai 2.54): the
    ``OpenAI.chat``/``OpenAI.stream_chat`` spans (``LLM``) are the calls, not the
    ``SimpleChatEngine`` spans (``CHAIN``), nor ``write_response_to_history`` (an ``LLM``
    span without model, provider or usage). The invocation parameters are LlamaIndex's
    model settings, without the request's ``stream``; the span's name says which
    streamed (``OpenAI.stream_chat``: ``Source.name_streams``; was stored as not
    streamed)."""
    result = replay("openinference_llama_index")
    assert result.spans == 8
    rows = result.rows()
    assert rows[:2] == [OPENAI, OPENAI]
    assert_no_usage(rows[2])
    assert len(rows) == 3
    assert result.rows("stream") == [(0,), (1,), (1,)]
    assert result.metrics.spans_ignored.value() == 5


def test_openinference_llama_index_anthropic(replay):
    """OpenInference's LlamaIndex instrumentation over LlamaIndex's Anthropic LLM
    (llama-index-llms-anthropic 0.12.3, anthropic 0.125): input with the cache, reads and
    writes, plain and streamed."""
    result = replay("openinference_llama_index_anthropic")
    assert result.spans == 5
    assert result.rows() == [ANTHROPIC, ANTHROPIC]
    assert result.metrics.spans_ignored.value() == 3


def test_openinference_openai_agents(replay):
    """The OpenAI Agents SDK (0.24, Responses API) with OpenInference's Agents (2.6.0) and
    OpenAI (0.1.66) instrumentations: each model call is the Agents ``response`` span
    (``LLM``) and, its child, OpenAI's ``Response`` span, which for the stream carries no
    usage; the ``Agent workflow``, agent and ``turn`` spans are not calls. One row each
    call: of a parent/child pair, the richer (the stream's parent, with usage)."""
    result = replay("openinference_openai_agents")
    assert result.spans == 12
    assert result.rows() == [OPENAI, OPENAI]
    assert result.metrics.spans_duplicate.value() == 2
    assert result.metrics.spans_ignored.value() == 8


def test_openinference_openai_agents_spans_exported_one_by_one(replay):
    """Each span alone: the stream's OpenAI span, without usage, ends and is stored before
    its parent, which is then its duplicate (a stored row is not taken back): the call
    counts once, usage-missing (unknown cost, never $0)."""
    result = replay("openinference_openai_agents", alone=True)
    rows = result.rows()
    assert rows == [("openai", "gpt-4o", 0, 0, 0, 0, 1, rows[0][-1]), OPENAI]
    assert result.rows("usage_missing", "priced") == [(0, 1), (1, 0)]
    assert result.metrics.spans_duplicate.value() == 2


def test_strands_agents(replay):
    """Strands Agents 1.62's own tracing, an agent on OpenAI and on Anthropic, invoked and
    streamed (its models stream every call): the ``chat`` spans are the calls, not
    ``invoke_agent`` (which sums them) nor ``execute_event_loop_cycle``. Its
    ``gen_ai.system`` is ``strands-agents``, the framework, not who answered: the provider
    is the model's owner. Its time to first token is in milliseconds."""
    result = replay("strands_agents")
    assert result.spans == 12
    rows = result.rows()
    assert rows == [ANTHROPIC] * 2 + [OPENAI] * 2
    assert result.metrics.spans_ignored.value() == 8
    assert result.metrics.spans_duplicate.value() == 0
    # within the call, not a thousand times longer
    assert result.rows("ttft_ms > 0 AND ttft_ms <= latency_ms") == [(1,)] * 4


def test_google_adk(replay):
    """Google ADK 2.13's own tracing (google-genai 2.34): the ``generate_content MODEL``
    spans are the calls (GenAI conventions, input with the cache), not ``invoke_agent`` or
    ``invoke_workflow``; the agent's name is the agent dimension, the session the
    conversation. The streamed (server-sent events) call says nothing of streaming."""
    result = replay("google_adk")
    assert result.spans == 6
    flash = ("gcp.gemini", "gemini-2.5-flash", 1200, 80, 1000, 0, 0, FLASH)
    assert result.rows() == [flash, flash]
    assert result.rows("agent", "conversation != ''", "stream") == [("greeter", 1, 0)] * 2
    assert result.metrics.spans_ignored.value() == 4


def test_google_adk_1(replay):
    """Google ADK 1.14.1, what pip resolves beside OpenTelemetry 1.45 (google-genai 1.75), on
    thinking calls (30 of 80 output tokens are thoughts): a ``call_llm`` span per call with
    ``gen_ai.system=gcp.vertex.agent`` (the framework, not who answered: the model's owner
    is), input and output (Gemini's ``candidatesTokenCount``, 50) only; the cache and the
    total (with the thoughts) are in ``gcp.vertex.agent.llm_response``, the response as
    JSON. It was ``gcp.vertex.agent``, 1,200 input of which none cached, 50 output: 1,200 ×
    0.30 + 50 × 2.50 per million, $0.000485 a call; now FLASH (the thoughts billed as
    output, https://ai.google.dev/gemini-api/docs/pricing)."""
    result = replay("google_adk_1")
    assert result.spans == 6
    flash = ("gcp.gemini", "gemini-2.5-flash", 1200, 80, 1000, 0, 0, FLASH)
    assert result.rows() == [flash, flash]
    assert result.rows("reasoning_tokens") == [(30,), (30,)]
    assert result.metrics.spans_ignored.value() == 4


def test_openinference_dspy_and_litellm_count_each_call_once(replay):
    """DSPy 3.4.1 with OpenInference's DSPy (0.1.48) and LiteLLM (0.1.51)
    instrumentations: each model call is DSPy's ``LM.__call__`` span (``LLM``, without
    usage) and, its child, LiteLLM's ``completion`` span (with usage); the adapters' and
    ``Predict``'s spans are ``CHAIN``. One row each call, the child's."""
    result = replay("openinference_dspy")
    assert result.spans == 8
    assert result.rows() == [OPENAI, OPENAI]
    assert result.metrics.spans_duplicate.value() == 2
    assert result.metrics.spans_ignored.value() == 4


def test_openinference_dspy_and_litellm_spans_exported_one_by_one(replay):
    """Each span alone: the child ends first and is stored; its parent is its duplicate."""
    result = replay("openinference_dspy", alone=True)
    assert result.rows() == [OPENAI, OPENAI]
    assert result.metrics.spans_duplicate.value() == 2


def test_openinference_crewai(replay):
    """CrewAI 1.15 (its native OpenAI client) with OpenInference's CrewAI (1.1.21) and
    OpenAI (0.1.66) instrumentations: the ``ChatCompletion`` spans are the calls, not the
    crew's ``CHAIN`` and the agent's ``AGENT`` spans."""
    result = replay("openinference_crewai")
    assert result.spans == 6
    assert result.rows() == [OPENAI, OPENAI]
    assert result.rows("stream") == [(0,), (1,)]
    assert result.metrics.spans_ignored.value() == 4


def test_openinference_haystack(replay):
    """OpenInference's Haystack instrumentation (0.1.46, haystack-ai 3.4.1): the
    ``OpenAIChatGenerator.run`` spans (``LLM``) are the calls, not ``Pipeline.run``
    (``CHAIN``). Its counts leave out the cached tokens; its ``output.value`` text has
    them, in the reply's metadata after the model's own words (``Source.reply_usage``),
    and, for the streamed reply only, the first chunk's time: both calls exact, the stream
    flagged. Before, both were usage-missing (cost unknown) and neither flagged."""
    result = replay("openinference_haystack")
    assert result.spans == 4
    assert result.rows() == [OPENAI] * 2
    assert result.rows("stream") == [(0,), (1,)]
    assert result.metrics.spans_ignored.value() == 2


def test_openinference_haystack_and_openai_count_each_call_once(replay):
    """With OpenInference's OpenAI instrumentation as well, the generator's span is the
    parent of the SDK call's, which has the cached tokens: one row each call, the child's
    (the richer), in one request and sent one by one."""
    result = replay("openinference_haystack_openai")
    assert result.spans == 6
    assert result.rows() == [OPENAI, OPENAI]
    assert result.metrics.spans_duplicate.value() == 2


def test_openinference_haystack_and_openai_spans_exported_one_by_one(replay):
    result = replay("openinference_haystack_openai", alone=True)
    assert result.rows() == [OPENAI, OPENAI]
    assert result.metrics.spans_duplicate.value() == 2


def test_logfire_openai_agents(replay):
    """The OpenAI Agents SDK with Logfire's ``instrument_openai_agents()``: the ``Responses
    API with …`` spans are the calls; the turn, agent run and workflow spans carry
    ``gen_ai.system`` but no model, response or usage (Logfire's spans of no call), and
    are not rows."""
    result = replay("logfire_openai_agents")
    assert result.spans == 10
    assert result.rows() == [OPENAI, OPENAI]
    assert result.metrics.spans_ignored.value() == 8


def test_logfire_openai_agents_spans_exported_one_by_one(replay):
    """Sent one by one, a wrapper span's child is no counted call whose key would make it
    a duplicate: it is not a row because it is no call."""
    result = replay("logfire_openai_agents", alone=True)
    assert result.rows() == [OPENAI, OPENAI]
    assert result.metrics.spans_ignored.value() == 8


def test_semantic_kernel(replay):
    """Semantic Kernel 1.45's own GenAI diagnostics: a ``chat MODEL`` span per call, with
    no cached tokens (billed as input: the span does not say) and nothing of streaming."""
    result = replay("semantic_kernel")
    assert result.spans == 2
    assert result.rows() == [CACHE_UNSAID] * 2
    assert result.rows("response_id") == [("chatcmpl-standin1",), ("chatcmpl-standin2",)]


def test_openllmetry_llama_index(replay):
    """OpenLLMetry's LlamaIndex and OpenAI instrumentations (0.62.4), as ``Traceloop.init``
    turns them on: the plain call is its ``openai.chat`` span, under the engine's
    ``workflow`` span (not a call). The streamed calls leave no span to count: the stream
    is read under the ``StreamingAgentChatResponse.task`` span, which suppresses the
    OpenAI instrumentation, and the LlamaIndex instrumentation makes no span of the LLM
    call itself (an OpenLLMetry limitation; nothing in the spans says the calls happened)."""
    result = replay("openllmetry_llama_index")
    assert result.spans == 6
    assert result.rows() == [OPENAI]
    assert result.metrics.spans_ignored.value() == 5


def test_openinference_llama_index_and_openai_count_each_call_once(replay):
    """With OpenInference's OpenAI instrumentation as well, each call has a LlamaIndex
    ``LLM`` span and an OpenAI one in one trace: the plain call's OpenAI span is the
    LlamaIndex span's child; a streamed call's is not (it sits under
    ``write_response_to_history``, where the stream is read) and starts after the
    LlamaIndex span ended (which ends when the stream is returned). One row each call,
    the OpenAI span's (equal usage; the SDK's), for the stream without usage too."""
    result = replay("openinference_llama_index_openai")
    assert result.spans == 11
    # the OpenAI spans' (response models; their invocation parameters say which streamed)
    assert_llama_index_calls_once(result, [
        ("gpt-4o-2024-08-06", 0), ("gpt-4o-2024-08-06", 1), ("gpt-4o-mini-2024-08-06", 1),
    ])  # fmt: skip


def test_openinference_llama_index_and_openai_spans_exported_one_by_one(replay):
    """The same spans, each in a request of its own (Phoenix's ``register()`` default): a
    streamed call's LlamaIndex span ends first and is kept, the OpenAI span after it is
    its duplicate; the plain call's OpenAI span ends before its parent and is kept. The
    stream without usage: its LlamaIndex span is held for a span with the usage
    (``dedupe.waits``), and found a duplicate of the OpenAI span, without usage too, when
    released: that span is the row, as in one request (the LlamaIndex span was)."""
    result = replay("openinference_llama_index_openai", alone=True)
    assert_llama_index_calls_once(result, [
        ("gpt-4o", 1), ("gpt-4o-2024-08-06", 0), ("gpt-4o-mini-2024-08-06", 1),
    ])  # fmt: skip


def assert_llama_index_calls_once(result, kept: list[tuple[str, int]]) -> None:
    """The LlamaIndex + OpenAI recording's three calls, one row each: two cached gpt-4o
    calls and the stream without usage; ``kept``: each row's (response model, stream), which
    say whose span was kept."""
    rows = result.rows()
    assert rows[:2] == [OPENAI, OPENAI]
    assert_no_usage(rows[2])
    assert len(rows) == 3
    assert result.rows("response_model", "stream") == kept
    assert result.metrics.spans_duplicate.value() == 3


def test_logfire(replay):
    """Logfire 5.4's ``instrument_openai()`` and ``instrument_anthropic()``, used directly:
    a plain call is its ``Chat Completion with …``/``Message with …`` span; a streamed
    call's span ends when the stream is returned, with no response, and its result is the
    ``streaming response`` log span (``logfire.span_type=log``) in a trace of its own:
    the log is the call, the request span is not."""
    result = replay("logfire_sdks")
    assert result.spans == 8
    rows = result.rows()
    assert rows[:4] == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[4])
    assert len(rows) == 5
    assert result.rows("provider", "stream", "response_id") == [
        ("anthropic", 0, "msg_standin2"), ("anthropic", 1, "msg_standin4"),
        ("openai", 0, "chatcmpl-standin1"), ("openai", 1, "chatcmpl-standin2"),
        ("openai", 1, "chatcmpl-standin3"),
    ]  # fmt: skip
    assert result.metrics.spans_ignored.value() == 3


def test_botocore_bedrock_and_tokentrace_count_each_call_once(replay):
    """opentelemetry-instrumentation-botocore 0.66b1 (boto3 1.44, over urllib3) beside
    tokentrace's own instrumentation, which meters urllib3 too: boto3's four calls have
    botocore's span and tokentrace's inside it (marked its duplicate), the anthropic SDK's two
    ``AnthropicBedrock`` calls (httpx) tokentrace's only; one row each.

    Claude Sonnet 4.5 on Bedrock (https://aws.amazon.com/bedrock/pricing/): through the
    ``global.`` profile $3 input, $0.30 cache read, $3.75 cache write, $15 output per
    million, the same as ``SONNET``; through a geographic profile (``us.``) 10% more, $3.30,
    $0.33, $4.125, $16.50: 100 × 3.30 + 1,000 × 0.33 + 100 × 4.125 + 80 × 16.50 = 330 + 330 +
    412.5 + 1,320 = $0.0023925. Botocore's input count leaves out the cache (Converse's
    ``inputTokens``), normalised. Its InvokeModel spans on Claude carry Claude's
    ``input_tokens`` (100) and no cache counts at all: priced from them, the 1,100 cached
    tokens went unbilled ($0.0015, when tokentrace did not meter boto3); tokentrace's span of
    the same call, read from the body, has them all and is the one kept. Converse answers no
    response id; InvokeModel's is the message id Bedrock answered."""
    result = replay("botocore_bedrock")
    global_sonnet = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
    exact = ("aws.bedrock", global_sonnet, 1200, 80, 1000, 100, 0, SONNET)
    regional = ("aws.bedrock", "regional.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert result.spans == 10
    assert result.rows() == [
        exact,
        exact,
        exact,
        exact,
        exact,
        (*regional, 1200, 80, 1000, 100, 0, Decimal("0.0023925")),
    ]
    assert result.metrics.spans_duplicate.value() == 4
    assert result.metrics.usage_repaired.value(repair="input_below_cache") == 0
    calls = result.rows("response_id", "request_model", "stream")
    assert calls == [
        ("", global_sonnet, 0),
        ("", "us." + global_sonnet.removeprefix("global."), 1),
        ("msg_standin2", global_sonnet, 0),
        ("msg_standin4", global_sonnet, 1),
        ("msg_standin6", global_sonnet, 0),
        ("msg_standin8", global_sonnet, 1),
    ]


BEDROCK_GLOBAL = ("aws.bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0")
# Claude Sonnet 4.5 through a geographic profile (``us.``), 10% over global: 100 × 3.30 +
# 1,000 × 0.33 + 100 × 4.125 + 80 × 16.50 per million (https://aws.amazon.com/bedrock/pricing/).
BEDROCK_US = ("aws.bedrock", "regional.anthropic.claude-sonnet-4-5-20250929-v1:0")
BEDROCK_US_COST = Decimal("0.0023925")


def test_litellm_bedrock_and_tokentrace_count_each_call_once(replay):
    """LiteLLM 1.110.2's bedrock provider (SigV4 by botocore, posted with httpx), Converse and
    InvokeModel, plain and streamed, traced by its OTel callback and by tokentrace with
    nothing configured: LiteLLM's ``litellm_request`` span (``gen_ai.system=bedrock``, its
    ``chatcmpl-…`` id) and tokentrace's span of the exchange beneath it sit in two traces and
    are paired by time; one row each call, tokentrace's, exactly priced (Sonnet 4.5 through
    ``global.`` as ``SONNET``; through ``us.`` 10% more)."""
    result = replay("litellm_bedrock_tokentrace")
    assert result.spans == 12
    exact = (*BEDROCK_GLOBAL, 1200, 80, 1000, 100, 0, SONNET)
    regional = (*BEDROCK_US, 1200, 80, 1000, 100, 0, BEDROCK_US_COST)
    assert result.rows() == [exact, exact, regional, regional]
    assert result.rows("response_id", "stream") == [
        ("", 0), ("", 1), ("msg_standin2", 0), ("msg_standin4", 1),
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 4
    assert result.metrics.spans_ignored.value() == 4  # LiteLLM's raw_gen_ai_request spans


def test_litellm_bedrock_and_tokentrace_exported_one_by_one(replay):
    """Each span alone, in the order they ended: tokentrace's span of the process's first
    call ends before any LiteLLM span has been seen; its keys are left when the first
    LiteLLM span comes (``dedupe``), so that twin is a duplicate too. One row each call,
    the first seen: tokentrace's."""
    result = replay("litellm_bedrock_tokentrace", alone=True)
    exact = (*BEDROCK_GLOBAL, 1200, 80, 1000, 100, 0, SONNET)
    regional = (*BEDROCK_US, 1200, 80, 1000, 100, 0, BEDROCK_US_COST)
    assert result.rows() == [exact, exact, regional, regional]
    assert result.rows("response_id", "stream") == [
        ("", 0), ("", 1), ("msg_standin2", 0), ("msg_standin4", 1),
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 4


def test_mlflow(replay):
    """MLflow 3.17's tracing (``mlflow-tracing``: ``mlflow.openai.autolog()``,
    ``mlflow.anthropic.autolog()``), exported by its OTLP exporter: a ``CHAT_MODEL`` span
    (``mlflow.spanType``) per SDK call, every attribute JSON-encoded, the usage one JSON
    object (``mlflow.chat.tokenUsage``, input with the cache), the model the response's
    (``mlflow.llm.model``), a provider only for Anthropic (OpenAI's is the model's owner).
    Anthropic's ``messages.stream`` leaves no span; ``messages.create(stream=True)`` one that
    ends when the stream is returned, without usage: usage-missing (unknown, never $0), as
    is the gpt-4o-mini stream without ``include_usage``."""
    result = replay("mlflow")
    assert result.spans == 5
    rows = result.rows()
    assert rows[0] == ("anthropic", "claude-sonnet-4-5", 0, 0, 0, 0, 1, rows[0][-1])
    assert rows[1:4] == [ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[4])
    assert result.rows("provider", "usage_missing", "priced") == [
        ("anthropic", 0, 1), ("anthropic", 1, 0), ("openai", 0, 1), ("openai", 0, 1),
        ("openai", 1, 0),
    ]  # fmt: skip
    assert result.rows("provider", "response_model") == [
        ("anthropic", "claude-sonnet-4-5"), ("anthropic", "claude-sonnet-4-5"),
        ("openai", "gpt-4o-2024-08-06"), ("openai", "gpt-4o-2024-08-06"),
        ("openai", "gpt-4o-mini-2024-08-06"),
    ]  # fmt: skip
    # ``mlflow.*`` is MLflow's telemetry, and the request's keyword arguments that it sets
    # as attributes (``model``, ``stream``, ``extra_headers``…) are the request: no tags
    assert result.rows("mapKeys(tags)") == [([],)] * 5


def test_mlflow_genai_semantic_conventions(replay):
    """Under ``MLFLOW_ENABLE_OTEL_GENAI_SEMCONV=true`` MLflow translates its spans to the
    GenAI conventions before export (``chat MODEL``, ``gen_ai.usage.*``, the response id)
    and drops ``mlflow.chat.tokenUsage``, whose cache counts have no attribute there: the
    cached input is billed as input, since the spans do not say (claude-sonnet-4-5: 1,200
    × 3 + 80 × 15 per million = $0.0048)."""
    result = replay("mlflow_genai_semconv")
    assert result.spans == 5
    rows = result.rows()
    assert rows[0] == ("anthropic", "claude-sonnet-4-5", 0, 0, 0, 0, 1, rows[0][-1])
    assert rows[1] == ("anthropic", "claude-sonnet-4-5", 1200, 80, 0, 0, 0, Decimal("0.0048"))
    assert rows[2:4] == [CACHE_UNSAID] * 2
    assert_no_usage(rows[4])
    assert result.rows("response_id")[1:] == [
        ("chatcmpl-standin4",), ("chatcmpl-standin5",), ("chatcmpl-standin6",), ("msg_standin8",),
    ]  # fmt: skip
    assert result.rows("mapKeys(tags)") == [([],)] * 5


def test_mlflow_and_tokentrace_count_each_call_once(replay):
    """MLflow's spans come from its own tracer provider, so tokentrace's span of each call
    is the root of a trace of its own, and MLflow's carry no response id: each pair is
    matched by time, tokentrace's span inside MLflow's (``sources.RANK_FRAMEWORK``). For
    Anthropic's ``create(stream=True)``, MLflow's span ends when the stream is returned,
    without usage, and tokentrace's, which started inside it, once it has been read. One
    row each call, tokentrace's (the exact usage; with stream flags and response ids);
    Anthropic's ``messages.stream`` has tokentrace's span only."""
    result = replay("mlflow_tokentrace")
    assert result.spans == 11
    rows = result.rows()
    assert rows[:5] == [ANTHROPIC, ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[5])
    assert len(rows) == 6
    assert result.rows("stream", "response_id") == [
        (0, "chatcmpl-standin7"), (0, "msg_standin14"), (1, "chatcmpl-standin8"),
        (1, "chatcmpl-standin9"), (1, "msg_standin16"), (1, "msg_standin18"),
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 5


def test_mlflow_and_tokentrace_spans_exported_one_by_one(replay):
    """Each span alone, in the order they ended: a call's tokentrace span ends inside
    MLflow's and comes first, the first of them before any framework span (its keys are
    left when MLflow's first span comes: ``dedupe``). One row each call, tokentrace's. The
    Anthropic stream's MLflow span, without usage, ends first: it was the row (unknown
    cost). Its ``mlflow.spanInputs`` say ``"stream": true`` (its only sign of a stream):
    flagged a stream now, it is held until tokentrace's span claims it (``dedupe.waits``),
    so the call's row has the exact usage, as in one request."""
    result = replay("mlflow_tokentrace", alone=True)
    rows = result.rows()
    assert rows[:5] == [ANTHROPIC, ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[5])
    assert len(rows) == 6
    assert result.rows("stream", "response_id") == [
        (0, "chatcmpl-standin7"), (0, "msg_standin14"), (1, "chatcmpl-standin8"),
        (1, "chatcmpl-standin9"), (1, "msg_standin16"), (1, "msg_standin18"),
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 5


def test_langfuse(replay):
    """Langfuse's Python SDK (5.2, OpenTelemetry) on the application's global tracer
    provider: its OpenAI drop-in makes an ``OpenAI-generation`` span per call
    (``langfuse.observation.type=generation``), whose model is the response's and whose
    usage is OpenAI's usage object as JSON (``langfuse.observation.usage_details``,
    ``prompt_tokens`` with its ``cached_tokens``), no provider (the model's owner) and no
    response id; the ``@observe`` function is a ``span`` observation, not a call. The
    Anthropic call is an ``@observe(as_type="generation")`` whose usage details are
    Langfuse's usage types as its docs set them (``input``: the API's input, without the
    cache), the parent of the Anthropic SDK's own span of the call: one row, the SDK's."""
    result = replay("langfuse_openai")
    assert result.spans == 6
    rows = result.rows()
    assert rows[:3] == [ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[3])
    assert len(rows) == 4
    assert result.rows("response_model") == [
        ("claude-sonnet-4-5",), ("gpt-4o-2024-08-06",), ("gpt-4o-2024-08-06",),
        ("gpt-4o-mini-2024-08-06",),
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 1
    assert result.metrics.spans_ignored.value() == 1


def test_langfuse_and_tokentrace_count_each_call_once(replay):
    """With tokentrace's instrumentation on the same tracer provider: the drop-in does not
    make its generation current, so tokentrace's span of an OpenAI call is its sibling
    (both under the ``@observe`` span), inside it in time, with equal usage
    (``sources.RANK_FRAMEWORK``); the Anthropic generation is the parent of the SDK's span,
    itself the parent of tokentrace's. One row each call, tokentrace's. Langfuse's
    ``langfuse_trace_id`` baggage entry, which tokentrace copies onto its spans, is
    Langfuse's telemetry, not a tag."""
    result = replay("langfuse_tokentrace")
    assert result.spans == 10
    rows = result.rows()
    assert rows[:3] == [ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[3])
    assert len(rows) == 4
    assert result.rows("stream", "response_id") == [
        (0, "chatcmpl-standin13"), (0, "msg_standin22"), (1, "chatcmpl-standin14"),
        (1, "chatcmpl-standin15"),
    ]  # fmt: skip
    assert result.rows("mapKeys(tags)") == [([],)] * 4
    assert result.metrics.spans_duplicate.value() == 5


def test_langfuse_and_tokentrace_spans_exported_one_by_one(replay):
    """Each span alone (a simple span processor): a call's tokentrace span ends inside
    Langfuse's generation and comes first, the first of them before any framework span
    (its keys are left when Langfuse's first generation comes: ``dedupe``). One row each
    call, tokentrace's."""
    result = replay("langfuse_tokentrace", alone=True)
    rows = result.rows()
    assert rows[:3] == [ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[3])
    assert len(rows) == 4
    assert result.rows("response_id") == [
        ("chatcmpl-standin13",), ("chatcmpl-standin14",), ("chatcmpl-standin15",),
        ("msg_standin22",),
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 5


def test_openinference_smolagents(replay):
    """OpenInference's smolagents instrumentation (0.1.43, smolagents 1.26, openai 3.57): a
    ``CodeAgent`` run makes two model calls (a step, then the final answer at
    ``max_steps=1``), each an ``OpenAIModel.generate`` (or ``.generate_stream``) span
    (``LLM``); the ``CodeAgent.run`` span (``AGENT``, whose ``llm.token_count.*`` sum its
    calls) and the steps (``CHAIN``) are not calls. Its counts leave out the cached tokens:
    billed as input, since the spans do not say."""
    result = replay("openinference_smolagents")
    assert result.spans == 8
    assert result.rows() == [CACHE_UNSAID] * 4
    assert result.metrics.spans_ignored.value() == 4


def test_openinference_smolagents_and_openai_count_each_call_once(replay):
    """With OpenInference's OpenAI instrumentation as well, each model span is the parent
    of the SDK call's ``ChatCompletion`` span, which has the cached tokens and says which
    call streamed: one row each call, the child's (the richer)."""
    result = replay("openinference_smolagents_openai")
    assert result.spans == 12
    assert result.rows() == [OPENAI] * 4
    assert result.rows("stream") == [(0,), (0,), (0,), (1,)]
    assert result.metrics.spans_duplicate.value() == 4
    assert result.metrics.spans_ignored.value() == 4


def test_openinference_smolagents_and_openai_spans_exported_one_by_one(replay):
    result = replay("openinference_smolagents_openai", alone=True)
    assert result.rows() == [OPENAI] * 4
    assert result.metrics.spans_duplicate.value() == 4


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_smolagents_beside_tokentrace(replay, alone):
    """The same runs (smolagents 1.26.0, OpenInference's smolagents instrumentation 0.1.43,
    openai 3.60) beside tokentrace's instrumentation (recorded 2026-12-04): each model span
    (counts without the cache) is the parent of tokentrace's span of the call, which has
    the cache and the stream: one row a call, $0.0102 for 4 gpt-4o calls, none twice."""
    result = replay("openinference_smolagents_tokentrace", alone=alone)
    assert result.spans == 12
    assert result.rows() == [OPENAI] * 4
    assert result.rows("sum(cost)") == [(Decimal("0.0102"),)]
    assert result.rows("stream") == [(0,), (0,), (0,), (1,)]
    assert result.metrics.spans_duplicate.value() == 4
    assert result.metrics.spans_ignored.value() == 4


def test_openinference_agno(replay):
    """OpenInference's Agno instrumentation (1.0.15, agno 3.1, openai 3.57, anthropic
    2.16): an agent on each provider, run plain and streamed; the ``OpenAIChat.invoke``/
    ``Claude.invoke_stream``… spans (``LLM``) are the calls, not ``Agent.run``
    (``AGENT``). Its counts are Agno's metrics: Claude's ``llm.token_count.prompt`` is the
    API's ``input_tokens``, without the cache (100, beside 1,000 cache reads and 100
    writes), read as that source's, not repaired; OpenAI's includes it."""
    result = replay("openinference_agno")
    assert result.spans == 8
    assert result.rows() == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert result.metrics.usage_repaired.value(repair="input_below_cache") == 0
    assert result.metrics.spans_ignored.value() == 4


def test_openinference_agno_and_openai_count_each_call_once(replay):
    """With OpenInference's OpenAI instrumentation as well, each OpenAI model span is the
    parent of the SDK call's ``ChatCompletion`` span (equal usage): one row each call, the
    child's, whose invocation parameters say which call streamed (Claude's, its span's
    name: ``Claude.invoke_stream``)."""
    result = replay("openinference_agno_openai")
    assert result.spans == 10
    assert result.rows() == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert result.rows("provider", "response_model", "stream") == [
        ("anthropic", "claude-sonnet-4-5", 0), ("anthropic", "claude-sonnet-4-5", 1),
        ("openai", "gpt-4o-2024-08-06", 0), ("openai", "gpt-4o-2024-08-06", 1),
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 2
