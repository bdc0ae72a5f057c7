"""Observability SDKs set up as their docs say, each with its own tracer provider and
exporter, and the OpenAI Agents SDK's tracing bridged to OpenTelemetry, replayed as
``test_sources`` replays its sources: one row per call, exact usage and cost, alone and
beside tokentrace's instrumentation.

Recorded by ``tests/fixtures/sources/record/record.py`` (which says how to install the
packages) against the provider stand-ins, each call asking for 1,200 input tokens of
which 1,000 cache reads (Claude's also 100 cache writes) and 80 output tokens:

- Arize Phoenix's ``phoenix.otel.register(auto_instrument=True)`` (arize-phoenix-otel
  0.17.2: OpenInference's OpenAI 0.1.66 and Anthropic 3.1.0 instrumentations, openai 3.57,
  anthropic 2.16, whose own tracing is on under the global provider that Phoenix sets),
  exported by Phoenix's own OTLP exporter: gpt-4o plain and streamed, gpt-4o-mini streamed
  without usage, Claude Sonnet 4.5 plain and ``messages.stream``;
- the Traceloop SDK's ``Traceloop.init`` (traceloop-sdk 0.62.4: OpenLLMetry's OpenAI and
  Anthropic instrumentations, the Anthropic SDK's own tracing on too), the same calls
  under a ``@workflow`` with association properties ``user_id`` and ``team``;
- the OpenAI Agents SDK 0.24 (openai 3.57) with OpenLLMetry's OpenAI Agents
  instrumentation (0.62.4): an agent on gpt-4o run and streamed on the Responses API, then
  on Chat Completions (``OpenAIChatCompletionsModel``, whose streams ask for no usage);
  the same with the SDK's tracing bridged by openai-agents-opentelemetry's
  ``OpenTelemetryTracingProcessor`` (0.4.1, in place of the SDK's export to OpenAI), and
  with the contrib OpenAI Agents instrumentation (opentelemetry-instrumentation-openai-
  agents-v2 0.1.0).

CrewAI 1.15.30 (its native OpenAI client, openai 2.54) with OpenLLMetry's CrewAI and
OpenAI instrumentations (0.62.4), the one-task crew of ``openinference_crewai`` kicked off
with a plain and a streaming LLM.

OpenLIT 1.45 (``openlit.init``) over LangChain's ChatOpenAI (langchain-openai 1.8, openai
2.54), the prompt | model | parser chains of ``openinference_langchain``, invoked and
streamed (``stream_usage``); over LlamaIndex (llama-index-core 0.14.25), the chat engine
calls of ``openinference_llama_index`` (gpt-4o plain and streamed, gpt-4o-mini streamed
without usage); and over DSPy 3.4.1 (LiteLLM 1.110.2), the ``Predict`` of
``openinference_dspy``: two gpt-4o calls.

Not recorded: OpenLLMetry's Haystack instrumentation (0.62.4), which cannot instrument
haystack-ai 3.4 (it imports ``haystack.components.generators.openai``, gone), and Haystack
3's own tracing, which has no OpenTelemetry tracer left in the package.

Prices (USD per million tokens): gpt-4o input 2.50, cached input 1.25, output 10
(https://openai.com/api/pricing/), so 1,200 input tokens with no cache said and 80 output:
1,200 × 2.50 + 80 × 10 per million = $0.0038; Claude Sonnet 4.5 input 3, cache read 0.30, 5-minute
cache write 3.75, output 15 (https://www.anthropic.com/pricing#api). A cached gpt-4o call:
200 × 2.50 + 1,000 × 1.25 + 80 × 10 per million = $0.00255; a cached Claude call: 100 × 3
+ 1,000 × 0.30 + 100 × 3.75 + 80 × 15 per million = $0.002175.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from .test_sources import GPT_4O, SONNET

FIELDS = (
    "provider", "model", "input_tokens", "output_tokens", "cache_read_tokens",
    "cache_write_tokens", "usage_missing", "stream", "unpriced_reason", "cost",
)  # fmt: skip
CLAUDE = ("anthropic", "claude-sonnet-4-5", 1200, 80, 1000, 100, 0)
GPT = ("openai", "gpt-4o", 1200, 80, 1000, 0, 0)
# gpt-4o-mini streamed without ``include_usage``: its usage and so its cost are unknown.
NO_USAGE = (0, 0, 0, 0, 1, 1, "usage_missing", Decimal(0))
MINI_DATED = "gpt-4o-mini-2024-08-06"


def _sdk_rows(mini: str) -> list[tuple]:
    """The five calls of the Phoenix and Traceloop recordings; ``mini``: the model name of
    the stream without usage (the response's where the kept span records it)."""
    return [
        (*CLAUDE, 0, "", SONNET),
        (*CLAUDE, 1, "", SONNET),
        (*GPT, 0, "", GPT_4O),
        (*GPT, 1, "", GPT_4O),
        ("openai", mini, *NO_USAGE),
    ]


@pytest.mark.parametrize("fixture", ["phoenix_otel", "phoenix_otel_tokentrace"])
@pytest.mark.parametrize("alone", [False, True])
def test_phoenix_register(replay, fixture, alone):
    """OpenInference's ``messages.stream`` span is current only while ``messages.stream()``
    returns the stream's manager: the Anthropic SDK's own span of the stream (and
    tokentrace's beneath it) is a root of another trace, and OpenInference's span has no
    response id, so the stream was two rows (six for five calls, $0.002175 counted twice).
    Its spans of streams are paired as a framework's: one row each call, alone and
    exported one span at a time, as Phoenix's ``SimpleSpanProcessor`` exports."""
    result = replay(fixture, alone=alone)
    tokentrace = fixture.endswith("tokentrace")
    assert result.spans == (12 if tokentrace else 7)
    assert result.rows(*FIELDS) == _sdk_rows("gpt-4o-mini" if tokentrace else MINI_DATED)
    assert result.metrics.spans_duplicate.value() == (7 if tokentrace else 2)


@pytest.mark.parametrize("fixture", ["traceloop_sdk", "traceloop_sdk_tokentrace"])
@pytest.mark.parametrize("alone", [False, True])
def test_traceloop_init(replay, fixture, alone):
    """Traceloop's span processor copies the association properties onto every span of the
    workflow, the Anthropic SDK's own included: they are the rows' user and team. Its
    ``workflow`` span is not a call; OpenLLMetry's Anthropic span of the stream (one output
    token too many) and the Anthropic SDK's share the response id: the SDK's is kept."""
    result = replay(fixture, alone=alone)
    tokentrace = fixture.endswith("tokentrace")
    assert result.spans == (13 if tokentrace else 8)
    assert result.rows(*FIELDS) == _sdk_rows("gpt-4o-mini")
    assert result.rows("user", "team") == [("user-1", "growth")] * 5
    assert result.metrics.spans_duplicate.value() == (7 if tokentrace else 2)


# The Agents SDK's Chat Completions stream asks for no usage: unknown, not $0.
AGENTS_NO_USAGE = ("openai", "gpt-4o", 0, 0, 0, 0, 1)


@pytest.mark.parametrize("alone", [False, True])
def test_openllmetry_openai_agents(replay, alone):
    """OpenLLMetry's ``openai.response`` span is the call (its ``Agent Workflow`` and
    ``greeter.agent`` spans are not). On the Responses API it has the response's usage and
    cache; on Chat Completions none (0.62.4 reads no generation span's usage): those calls
    are usage-missing, unknown rather than $0. It says nothing of streams."""
    result = replay("openllmetry_openai_agents", alone=alone)
    assert result.spans == 12
    assert result.rows(*FIELDS) == [
        (*AGENTS_NO_USAGE, 0, "usage_missing", Decimal(0)),
        (*AGENTS_NO_USAGE, 0, "usage_missing", Decimal(0)),
        (*GPT, 0, "", GPT_4O),
        (*GPT, 0, "", GPT_4O),
    ]


@pytest.mark.parametrize("alone", [False, True])
def test_openllmetry_openai_agents_and_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation, whose span of each call is the child of
    OpenLLMetry's: one row each call, tokentrace's, the Chat Completions call priced from
    the wire (the stream without usage stays usage-missing)."""
    result = replay("openllmetry_openai_agents_tokentrace", alone=alone)
    assert result.spans == 16
    assert result.rows(*FIELDS) == [
        (*AGENTS_NO_USAGE, 1, "usage_missing", Decimal(0)),
        (*GPT, 0, "", GPT_4O),
        (*GPT, 0, "", GPT_4O),
        (*GPT, 1, "", GPT_4O),
    ]
    assert result.metrics.spans_duplicate.value() == 4


@pytest.mark.parametrize("alone", [False, True])
def test_openai_agents_opentelemetry(replay, alone):
    """openai-agents-opentelemetry's ``chat MODEL`` span (a generation: Chat Completions)
    is the call; its usage is the SDK's ``input_tokens``/``output_tokens`` without the
    cache, so the plain call's cost is unknown (it was priced uncached, $0.0038: OpenAI
    caches 1,024 tokens or more on its own, and the span cannot say how many), and the
    stream that asked for no usage has zeros: usage-missing. Its ``gen_ai.response`` spans
    (the Responses API, the SDK's default) carry nothing of the call, no model, usage or
    response id (0.4.1 maps them when they start, before the response), only
    ``agent.span.type=response``: they were not calls (2 rows for 4 calls); each is now
    OpenAI's call, its model and cost unknown (4 rows). Its ``workflow``, ``agent.task``,
    ``agent: NAME`` and ``agent.turn`` spans are not calls. The stream's preview is the
    Agents SDK's answer under its placeholder id ``__fake_id__``: flagged (it was 0)."""
    result = replay("openai_agents_otel", alone=alone)
    assert result.spans == 20
    responses = ("openai", "", 0, 0, 0, 0, 1, 0, "usage_missing", Decimal(0))
    assert result.rows(*FIELDS) == [
        responses,
        responses,
        (*AGENTS_NO_USAGE, 1, "usage_missing", Decimal(0)),
        ("openai", "gpt-4o", 1200, 80, 0, 0, 1, 0, "usage_missing", Decimal(0)),
    ]


@pytest.mark.parametrize("alone", [False, True])
def test_openai_agents_opentelemetry_and_tokentrace(replay, alone):
    """The bridge never attaches its spans to the context: tokentrace's span of a Chat
    Completions call is a root of its own trace, inside the bridge's span in time, neither
    with a response id of the other's. Each Chat Completions call was two rows (six for four
    calls, the plain one $0.0038 beside $0.00255). Paired as a framework's: one row each
    call, tokentrace's; exported one span at a time, the two spans of the plain call (1,200
    input with the cache, the bridge's without a cache count) pair by input and output.
    Its ``gen_ai.response`` span of a Responses API call, usage-missing, is paired with
    tokentrace's span inside it; one span at a time it comes after tokentrace's, whose ``W``
    key (a call with usage) it finds (``Deduper._keep_with_usage``): 6 rows otherwise."""
    result = replay("openai_agents_otel_tokentrace", alone=alone)
    assert result.spans == 24
    assert result.rows(*FIELDS) == [
        (*AGENTS_NO_USAGE, 1, "usage_missing", Decimal(0)),
        (*GPT, 0, "", GPT_4O),
        (*GPT, 0, "", GPT_4O),
        (*GPT, 1, "", GPT_4O),
    ]
    assert result.metrics.spans_duplicate.value() == 4


@pytest.mark.parametrize("alone", [False, True])
def test_contrib_openai_agents(replay, alone):
    """The contrib instrumentation's ``chat MODEL`` spans are the calls (its ``invoke_agent``
    and ``unknown`` spans are not), on both APIs, with the response id and 1,200 input
    tokens but no cache count: their cost is unknown (they were priced uncached, $0.0038,
    but OpenAI caches 1,024 tokens or more on its own and the spans cannot say how many). The
    Chat Completions stream that asked for no usage has none: usage-missing."""
    result = replay("otel_openai_agents_v2", alone=alone)
    assert result.spans == 20
    uncached = ("openai", "gpt-4o", 1200, 80, 0, 0, 1, 0, "usage_missing", Decimal(0))
    assert result.rows(*FIELDS) == [
        (*AGENTS_NO_USAGE, 0, "usage_missing", Decimal(0)),
        uncached,
        uncached,
        uncached,
    ]


@pytest.mark.parametrize("alone", [False, True])
def test_contrib_openai_agents_and_tokentrace(replay, alone):
    """Beside tokentrace's, whose span of each call is the contrib span's child: one row
    each call, tokentrace's, with the cache read from the wire."""
    result = replay("otel_openai_agents_v2_tokentrace", alone=alone)
    assert result.spans == 24
    assert result.rows(*FIELDS) == [
        (*AGENTS_NO_USAGE, 1, "usage_missing", Decimal(0)),
        (*GPT, 0, "", GPT_4O),
        (*GPT, 0, "", GPT_4O),
        (*GPT, 1, "", GPT_4O),
    ]
    assert result.metrics.spans_duplicate.value() == 4


@pytest.mark.parametrize("fixture", ["openllmetry_crewai", "openllmetry_crewai_tokentrace"])
@pytest.mark.parametrize("alone", [False, True])
def test_openllmetry_crewai(replay, fixture, alone):
    """OpenLLMetry's CrewAI spans (``crewai.workflow``, ``TASK.task``, ``ROLE.agent``: all
    ``gen_ai.provider.name=crewai``, ``invoke_agent``, the workflow with the crew's summed
    usage in CrewAI's own words) are not calls; its OpenAI span of each call is, and
    tokentrace's beneath it is the same call: one row each."""
    result = replay(fixture, alone=alone)
    tokentrace = fixture.endswith("tokentrace")
    assert result.spans == (10 if tokentrace else 8)
    assert result.rows(*FIELDS) == [(*GPT, 0, "", GPT_4O), (*GPT, 1, "", GPT_4O)]
    assert result.metrics.spans_duplicate.value() == (2 if tokentrace else 0)


@pytest.mark.parametrize("alone", [False, True])
def test_openlit_langchain(replay, alone):
    """OpenLIT's LangChain ``chat gpt-4o`` span is the call (``invoke_agent greeter_agent``,
    the chain, is not), with the cache. Of the streamed chain OpenLIT exports no span at
    all: its span of the stream (the parent of the httpx span of the request) never ends,
    so the stream is not seen. Upstream's to fix; tokentrace's span of it is (below)."""
    result = replay("openlit_langchain", alone=alone)
    assert result.spans == 4
    assert result.rows(*FIELDS) == [(*GPT, 0, "", GPT_4O)]


@pytest.mark.parametrize("alone", [False, True])
def test_openlit_langchain_and_tokentrace(replay, alone):
    """Beside tokentrace's, whose span of the plain call is the child of OpenLIT's: one row
    each call, the stream's tokentrace's alone."""
    result = replay("openlit_langchain_tokentrace", alone=alone)
    assert result.spans == 7
    assert result.rows(*FIELDS) == [(*GPT, 0, "", GPT_4O), (*GPT, 1, "", GPT_4O)]
    assert result.metrics.spans_duplicate.value() == 1


@pytest.mark.parametrize("fixture", ["openlit_llama_index", "openlit_llama_index_tokentrace"])
@pytest.mark.parametrize("alone", [False, True])
def test_openlit_llama_index(replay, fixture, alone):
    """OpenLIT traces LlamaIndex's calls by its OpenAI instrumentation alone (no LlamaIndex
    span): one row each call, alone and beside tokentrace's span, its child."""
    result = replay(fixture, alone=alone)
    tokentrace = fixture.endswith("tokentrace")
    assert result.spans == (10 if tokentrace else 7)
    assert result.rows(*FIELDS) == [
        (*GPT, 0, "", GPT_4O),
        (*GPT, 1, "", GPT_4O),
        ("openai", "gpt-4o-mini", *NO_USAGE),
    ]
    assert result.metrics.spans_duplicate.value() == (3 if tokentrace else 0)


@pytest.mark.parametrize("fixture", ["openlit_dspy", "openlit_dspy_tokentrace"])
@pytest.mark.parametrize("alone", [False, True])
def test_openlit_dspy(replay, fixture, alone):
    """OpenLIT's LiteLLM spans of DSPy's calls say ``gen_ai.provider.name=litellm``, the
    library, not who answered: they were stored as provider ``litellm`` (priced by the
    model all the same). Read as a framework's name, the provider is the model's owner."""
    result = replay(fixture, alone=alone)
    tokentrace = fixture.endswith("tokentrace")
    assert result.spans == (6 if tokentrace else 4)
    assert result.rows(*FIELDS) == [(*GPT, 0, "", GPT_4O), (*GPT, 0, "", GPT_4O)]
    assert result.metrics.spans_duplicate.value() == (2 if tokentrace else 0)
