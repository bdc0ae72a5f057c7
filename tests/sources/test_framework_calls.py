"""Frameworks' and their instrumentations' newest releases on the call shapes of
``test_call_shapes`` (a tool, embeddings, the Responses API plain and streamed, async plain
and streamed; OpenAI and Anthropic), made through the framework, replayed into chDB: one
row per call at its exact cost, alone and beside tokentrace's instrumentation.

Recorded on 2026-12-03 (``record.py``: ``_pydantic_ai_more``, ``_langchain_more``,
``_strands_more``) with what pip installed that day: pydantic-ai-slim 2.68.0, langchain-core
1.8.3, langchain-openai 1.8.1, langchain-anthropic 1.7.10,
openinference-instrumentation-langchain 0.1.80, opentelemetry-instrumentation-langchain
0.62.4, strands-agents 1.62.0, openai 3.57, anthropic 2.16. The prices and the usage of
every call are those of ``test_call_shapes`` (gpt-4o $0.00255, claude-sonnet-4-5 $0.002175,
text-embedding-3-small $0.000024; sources cited there).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.sources.test_call_shapes import ALL_CALLS, GPT_4O, SONNET
from tests.sources.test_sources import CACHE_UNSAID, FLASH

# LangChain's stream without usage (``stream_usage=False``): OpenAI sends no count, and no
# span of it has one: usage-missing, its cost unknown (never $0).
NO_USAGE = ("openai", "gpt-4o", 0, 0, 0, 0, 1, 0)
# A gpt-4o call of 1,200 input tokens whose span sets no cache count: usage-missing, its
# counts kept (``test_sources.CACHE_UNSAID``).
GPT_4O_CACHE_UNSAID = ("openai", "gpt-4o", 1200, 80, 0, 0, 1, 0)


def test_pydantic_ai_latest_calls(replay):
    """Pydantic AI 2.68's own instrumentation: a ``chat`` span per model request under an
    ``invoke_agent`` span per run, an ``embeddings`` span for ``Embedder``: 9 rows for 9
    calls. Its streamed requests (the Responses API's, async chat's and Claude's) carry
    ``gen_ai.client.operation.time_to_first_chunk``, its only sign of a stream: they were
    stored as not streamed (stream 0 on all 9)."""
    result = replay("pydantic_ai_latest_calls")
    assert result.spans == 17
    assert result.rows() == ALL_CALLS
    assert result.rows("model", "stream") == [
        ("claude-sonnet-4-5", 0),
        ("claude-sonnet-4-5", 0),
        ("claude-sonnet-4-5", 1),
        *[("gpt-4o", 0)] * 3,
        *[("gpt-4o", 1)] * 2,
        ("text-embedding-3-small", 0),
    ]


def test_pydantic_ai_latest_calls_beside_tokentrace(replay):
    result = replay("pydantic_ai_latest_calls_tokentrace")
    assert result.spans == 26
    assert result.rows() == ALL_CALLS
    assert result.metrics.spans_duplicate.value() == 9


def test_openinference_langchain_latest_calls(replay):
    """OpenInference's LangChain instrumentation (0.1.80) alone: an ``LLM`` span per chat
    call (9), none for ``OpenAIEmbeddings`` (LangChain runs no callback for embeddings: that
    call is not seen). The stream without usage is usage-missing."""
    result = replay("openinference_langchain_latest_calls")
    assert result.rows() == [SONNET] * 3 + [NO_USAGE] + [GPT_4O] * 5


def test_openllmetry_langchain_latest_claude_cache_writes(replay):
    """OpenLLMetry's LangChain instrumentation (0.62.4) alone: its spans of the two Claude
    calls that are not streamed say ``gen_ai.usage.cache_creation.input_tokens: 0`` for 100
    written (langchain-anthropic 1.7 moves them to ``ephemeral_5m_input_tokens``, which it
    does not read), so they were priced at 100 × 3 + 1,000 × 0.30 + 100 × 3 + 80 × 15 per
    million = $0.0021 each, not $0.002175: the writes' price is not in the span, so their
    cost is unknown (usage-missing), not undercounted. Its Claude stream's span counts the
    100 writes: $0.002175."""
    result = replay("openllmetry_langchain_latest_calls")
    unread = ("anthropic", "claude-sonnet-4-5", 1200, 80, 1000, 0, 1, 0)
    assert result.rows() == [unread, unread, SONNET, NO_USAGE, *[GPT_4O] * 5]


@pytest.mark.parametrize("alone", [False, True])
def test_openllmetry_langchain_latest_streams_flagged(replay, alone):
    """OpenLLMetry's LangChain spans (0.62.4) set no stream attribute; a streamed call's
    answer is LangChain's ``AIMessageChunk``, whose type it names role ``unknown`` in
    ``gen_ai.output.messages`` (``"ai"`` is ``assistant``). The 4 streams (the Responses
    API's, async with and without usage, Claude's async) were stored stream 0: now 1, and
    the 5 other calls stay 0, in one request or span by span."""
    result = replay("openllmetry_langchain_latest_calls", alone=alone)
    assert result.rows("model", "stream", "usage_missing") == [
        ("claude-sonnet-4-5", 0, 1),
        ("claude-sonnet-4-5", 0, 1),
        ("claude-sonnet-4-5", 1, 0),
        ("gpt-4o", 0, 0),
        ("gpt-4o", 0, 0),
        ("gpt-4o", 0, 0),
        ("gpt-4o", 1, 0),
        ("gpt-4o", 1, 0),
        ("gpt-4o", 1, 1),
    ]


@pytest.mark.parametrize("name", ["openinference", "openllmetry"])
def test_langchain_latest_calls_beside_tokentrace(replay, name):
    """Beside tokentrace's instrumentation, either LangChain instrumentation: 10 rows for
    the 10 calls (the embeddings' tokentrace's alone), tokentrace's counts."""
    result = replay(f"{name}_langchain_latest_calls_tokentrace")
    assert result.spans == 19
    assert result.rows() == [SONNET] * 3 + [NO_USAGE] + ALL_CALLS[3:]
    assert result.metrics.spans_duplicate.value() == 9


@pytest.mark.parametrize("name", ["strands_latest_calls", "strands_latest_calls_tokentrace"])
@pytest.mark.parametrize("alone", [False, True])
def test_strands_latest_calls(replay, name, alone):
    """Strands Agents 1.62.0's own tracing (its models stream every call): OpenAI and
    Claude, each with a tool, ``invoke_async`` and ``stream_async``: an ``invoke_agent``,
    an ``execute_event_loop_cycle`` and a ``chat`` span per call (18), the agent span with
    the run's usage too; 6 rows at 3 × $0.00255 + 3 × $0.002175 = $0.014175, alone and
    beside tokentrace's instrumentation, in one request or span by span. Each row a stream:
    its ``chat`` span's ``gen_ai.server.time_to_first_token`` is its only sign of one
    (they were stored stream 0 alone)."""
    result = replay(name, alone=alone)
    assert result.rows() == [SONNET] * 3 + [GPT_4O] * 3
    assert result.rows("stream") == [(1,)] * 6


@pytest.mark.parametrize(
    "name", ["traceloop_sdk_latest_calls", "traceloop_sdk_latest_calls_tokentrace"]
)
@pytest.mark.parametrize("alone", [False, True])
def test_traceloop_sdk_latest_calls(replay, name, alone):
    """The Traceloop SDK 0.62.4 (``Traceloop.init``: every OpenLLMetry instrumentation,
    the Anthropic SDK's own tracing on the global provider) on ``_more_calls`` under a
    ``@workflow``: OpenLLMetry's and the Anthropic SDK's span of each Claude call are one
    call (the SDK's counts: its async stream's 80 output tokens, not OpenLLMetry's 81), 9
    rows at $0.019299 alone and beside tokentrace's instrumentation."""
    result = replay(name, alone=alone)
    assert result.rows() == ALL_CALLS


# OpenInference's LlamaIndex instrumentation reads no cache count of a Responses API call
# (``llm.token_count.prompt`` 1,200 alone): it was priced as 1,200 uncached, 1,200 × 2.50 +
# 80 × 10 per million = $0.0038 (the call's own cost is $0.00255). OpenAI caches 1,024
# tokens or more on its own: the cached part is not known, nor the cost (usage-missing).
RESPONSES_UNCACHED = ("openai", "gpt-4o", 1200, 80, 0, 0, 1, 0)
EMBEDDING_NO_USAGE = ("openai", "text-embedding-3-small", 0, 0, 0, 0, 1, 0)


def test_openinference_llama_index_latest_calls(replay):
    """OpenInference's LlamaIndex instrumentation (4.6.1; llama-index-core 0.14.25, its
    OpenAI LLM 0.8.3 over openai 2.54, its Anthropic LLM 0.12.3 over anthropic 0.125, which
    it needs: with anthropic 2 it cannot build a request) on LlamaIndex's ``chat_with_tools``,
    ``get_text_embedding``, ``OpenAIResponses`` plain and streamed, ``achat`` and
    ``astream_chat``, OpenAI's and Claude's. Its ``LLM`` spans of
    ``_prepare_chat_with_tools`` (building the request, sending nothing) were two calls more,
    usage-missing (11 rows for 9 calls): not calls. Its ``OpenAIResponses.stream_chat`` span
    ends when the stream is returned, before any usage, and its embedding spans carry no
    count: usage-missing, as the source truly lacks them."""
    result = replay("openinference_llama_index_latest_calls")
    assert result.spans == 12
    assert result.rows() == [
        *[SONNET] * 3, NO_USAGE, RESPONSES_UNCACHED, *[GPT_4O] * 3, EMBEDDING_NO_USAGE,
    ]  # fmt: skip
    assert result.metrics.spans_ignored.value() == 2


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_llama_index_latest_streams_once_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation. OpenInference's LlamaIndex spans of
    ``OpenAIResponses.stream_chat`` and ``OpenAI.astream_chat`` end when the stream is
    returned (a millisecond), before the request is sent: tokentrace's span of the request
    opens 3 to 7 ms later, a root of another trace, neither inside the other: each stream
    was two rows (11 rows for 9 calls, $0.021849 in one request). Paired now as a span of
    a stream that opened just after the framework's ended: 9 rows, $0.019299. Sent span
    by span, the Responses API stream's LlamaIndex span (no usage) comes first: it was the
    row (the first seen wins), that call's cost unknown ($0.016749 known). Now it is held
    until tokentrace's span of the stream, with the usage, claims it (``dedupe.waits``):
    9 rows, $0.019299, as in one request."""
    result = replay("openinference_llama_index_latest_calls_tokentrace", alone=alone)
    assert result.spans == 21
    assert result.rows() == ALL_CALLS
    assert sum(row[-1] for row in result.rows()) == Decimal("0.019299")
    assert result.metrics.spans_duplicate.value() == 10


@pytest.mark.parametrize("alone", [False, True])
def test_semantic_kernel_latest_calls(replay, alone):
    """Semantic Kernel 1.45.0's own GenAI diagnostics (anthropic 2.16 traces its own calls)
    on ``_semantic_kernel_more``: a ``chat MODEL`` span per chat call, none for
    ``OpenAITextEmbedding`` or ``OpenAIResponsesAgent``'s Responses API calls (only an
    ``invoke_agent`` span, not a call): 6 rows for 9 calls. Its OpenAI spans count 1,200
    input tokens and no cache (usage-missing, ``CACHE_UNSAID``: never the $0.0038 of 1,200
    uncached tokens); its Claude spans have no usage at all, the
    Anthropic SDK's span inside each has it: $0.002175 each, its stream flagged."""
    result = replay("semantic_kernel_latest_calls", alone=alone)
    assert result.spans == 13
    assert result.rows() == [SONNET] * 3 + [CACHE_UNSAID] * 3
    assert result.rows("model", "stream") == [
        ("claude-sonnet-4-5", 0),
        ("claude-sonnet-4-5", 0),
        ("claude-sonnet-4-5", 1),
        *[("gpt-4o", 0)] * 3,
    ]
    assert result.metrics.spans_duplicate.value() == 3


@pytest.mark.parametrize("alone", [False, True])
def test_semantic_kernel_latest_calls_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation: 9 rows for the 9 calls at $0.019299, in one
    request or span by span, each once (9 spans of a call that another span had)."""
    result = replay("semantic_kernel_latest_calls_tokentrace", alone=alone)
    assert result.spans == 22
    assert result.rows() == ALL_CALLS
    assert sum(row[-1] for row in result.rows()) == Decimal("0.019299")
    assert result.metrics.spans_duplicate.value() == 9


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_haystack_latest_calls(replay, alone):
    """OpenInference's Haystack instrumentation (0.1.46; haystack-ai 3.4.1) on
    ``_haystack_more``: an ``LLM`` span per generator run and an ``EMBEDDING`` span per
    embedder run, under a ``CHAIN`` span per pipeline run (not calls): 6 rows for the 6
    calls Haystack makes (its Claude generator is another package). Its Chat Completions
    spans count 1,200 input tokens and no cache, its Responses API spans only the total,
    its embedding span nothing; the reply's metadata in ``output.value`` has the provider's
    usage whole (``Source.reply_usage``): 5 gpt-4o at $0.00255 and the embedding at
    $0.000024, $0.012774 as tokentrace meters them (before: all 6 usage-missing). The
    streamed chat reply's metadata has its first chunk's time: that stream is flagged; the
    streamed Responses reply's has no such sign (stream 0)."""
    result = replay("openinference_haystack_latest_calls", alone=alone)
    assert result.spans == 14
    assert result.rows() == [*[GPT_4O] * 5, ALL_CALLS[-1]]
    assert sum(row[-1] for row in result.rows()) == Decimal("0.012774")
    assert result.rows("stream") == [(0,)] * 5 + [(1,)]
    assert result.metrics.spans_ignored.value() == 8


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_haystack_latest_calls_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation: 6 rows, tokentrace's counts, 5 gpt-4o at $0.00255
    and the embedding at $0.000024 ($0.012774), the 2 streams flagged, in one request or
    span by span: each of the 6 OpenInference spans a duplicate of tokentrace's."""
    result = replay("openinference_haystack_latest_calls_tokentrace", alone=alone)
    assert result.spans == 20
    assert result.rows() == [*[GPT_4O] * 5, ALL_CALLS[-1]]
    assert sum(row[-1] for row in result.rows()) == Decimal("0.012774")
    assert result.rows("stream") == [(0,)] * 4 + [(1,)] * 2
    assert result.metrics.spans_duplicate.value() == 6


@pytest.mark.parametrize(
    "name", ["openinference_dspy_latest_calls", "openinference_dspy_latest_calls_tokentrace"]
)
@pytest.mark.parametrize("alone", [False, True])
def test_openinference_dspy_latest_calls(replay, name, alone):
    """DSPy 3.4.1's ``dspy.LM`` called directly (chat, the Responses API, ``acall``, Claude
    plain and async) and ``dspy.Embedder``, with OpenInference's DSPy (0.1.48) and LiteLLM
    instrumentations: an ``LM.__call__``/``LM.acall`` span (the model, no usage) around
    LiteLLM's span of each call (its usage, the cache included), and an ``EMBEDDING`` span.
    6 rows for 6 calls, 3 gpt-4o at $0.00255, 2 claude-sonnet-4-5 at $0.002175 and the
    embedding at $0.000024 ($0.012024), alone and beside tokentrace's instrumentation, in
    one request or span by span: DSPy's span of a call is never a row of its own."""
    result = replay(name, alone=alone)
    assert result.rows() == [SONNET] * 2 + [GPT_4O] * 3 + [ALL_CALLS[-1]]
    assert sum(row[-1] for row in result.rows()) == Decimal("0.012024")


# CrewAI's native Anthropic client drops ``default_headers``: the stand-in answers with its
# default usage, 75 input and 8 output tokens, 75 × 3 + 8 × 15 per million = $0.000345
# (https://www.anthropic.com/pricing: Claude Sonnet 4.5, $3 / $15 per million).
CREWAI_SONNET = ("anthropic", "claude-sonnet-4-5", 75, 8, 0, 0, 0, Decimal("0.000345"))


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_crewai_latest_calls(replay, alone):
    """CrewAI 1.15.30 with OpenInference's CrewAI (1.1.21) and OpenAI (0.1.66)
    instrumentations, as OpenInference documents them, on ``_crewai_more``: a crew kicked off
    plain, streamed and async on gpt-4o, plain and streamed on Claude. OpenInference's CrewAI
    spans (crew, task, agent) are not calls; its OpenAI span of each gpt-4o call is: 3 rows,
    $0.00255 each, the stream flagged. The 2 Claude calls have no span at all (CrewAI's
    native Anthropic client, which no instrumentation set up here wraps): not seen."""
    result = replay("openinference_crewai_latest_calls", alone=alone)
    assert result.spans == 13
    assert result.rows() == [GPT_4O] * 3
    assert result.rows("stream") == [(0,), (0,), (1,)]
    assert result.metrics.spans_ignored.value() == 10


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_crewai_latest_calls_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation the Claude calls are seen: 5 rows, 3 × $0.00255
    + 2 × $0.000345 = $0.00834, each call once (3 OpenInference spans duplicates), both
    streams flagged, in one request or span by span."""
    result = replay("openinference_crewai_latest_calls_tokentrace", alone=alone)
    assert result.spans == 18
    assert result.rows() == [CREWAI_SONNET] * 2 + [GPT_4O] * 3
    assert sum(row[-1] for row in result.rows()) == Decimal("0.00834")
    assert result.rows("model", "stream") == [
        ("claude-sonnet-4-5", 0), ("claude-sonnet-4-5", 1), ("gpt-4o", 0), ("gpt-4o", 0),
        ("gpt-4o", 1),
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 3


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_openai_agents_latest_calls(replay, alone):
    """The OpenAI Agents SDK 0.24.0's own tracing through OpenInference's Agents
    instrumentation (2.6.0) on ``_openai_agents_more``: 4 calls, a ``response`` span per
    Responses API call (its usage, the cache included: $0.00255 each) and a ``generation``
    span per Chat Completions call (1,200 input tokens, no cache count: usage-missing,
    ``CACHE_UNSAID``); the Chat Completions stream asked for no usage and has none
    (usage-missing, as beside tokentrace). Its agent, tool and turn spans are not calls."""
    result = replay("openinference_openai_agents_latest_calls", alone=alone)
    assert result.spans == 20
    assert result.rows() == [NO_USAGE, CACHE_UNSAID, GPT_4O, GPT_4O]
    assert result.metrics.spans_ignored.value() == 16


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_openai_agents_latest_calls_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation: 4 rows, each call once (4 duplicates), 3 at
    $0.00255 ($0.00765) and the stream without usage unknown, both streams flagged."""
    result = replay("openinference_openai_agents_latest_calls_tokentrace", alone=alone)
    assert result.spans == 24
    assert result.rows() == [NO_USAGE, *[GPT_4O] * 3]
    assert result.rows("usage_missing", "stream") == [(0, 0), (0, 0), (0, 1), (1, 1)]
    assert result.metrics.spans_duplicate.value() == 4


AGNO_CALLS = [SONNET] * 2 + [GPT_4O] * 5
# The streamed calls of ``_agno_more``: the Responses API's, async chat's and Claude's.
AGNO_STREAMS = (
    [("claude-sonnet-4-5", 0), ("claude-sonnet-4-5", 1)] + [("gpt-4o", 0)] * 3 + [("gpt-4o", 1)] * 2
)


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_agno_latest_calls(replay, alone):
    """OpenInference's Agno instrumentation (1.0.15) over agno 3.1.10 (2026-12-03, openai
    3.57, anthropic 2.16; ``record.py``: ``_agno_more``): the Responses API plain and
    streamed (``OpenAIResponses.invoke_stream``), async chat and Claude plain and streamed
    (``…ainvoke_stream``), and a team's leader: 7 ``LLM`` spans, the calls; the ``Agent.run``,
    ``Agent.arun`` and ``Team.run`` spans (``AGENT``, no usage) are not. Streams are told by
    the span's name."""
    result = replay("openinference_agno_latest_calls", alone=alone)
    assert result.spans == 14
    assert result.rows() == AGNO_CALLS
    assert result.rows("model", "stream") == AGNO_STREAMS
    assert result.metrics.spans_ignored.value() == 7


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_agno_latest_calls_beside_tokentrace(replay, alone):
    result = replay("openinference_agno_latest_calls_tokentrace", alone=alone)
    assert result.spans == 21
    assert result.rows() == AGNO_CALLS
    assert result.rows("model", "stream") == AGNO_STREAMS
    assert result.metrics.spans_duplicate.value() == 7


# A streamed call whose request asks for no usage (``dspy.streamify`` over LiteLLM sends
# no ``stream_options``): OpenAI answers none, so no span of it has a count: usage-missing,
# its cost unknown (never $0).
STREAM_NO_USAGE = ("openai", "gpt-4o", 0, 0, 0, 0, 1, 0)
DSPY_PROGRAM_CALLS = [SONNET] * 2 + [STREAM_NO_USAGE] + [GPT_4O] * 4


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_dspy_programs(replay, alone):
    """OpenInference's DSPy (0.1.48) and LiteLLM (0.1.51) instrumentations over DSPy 3.4.1's
    programs (``record.py``: ``_dspy_programs``): ``Predict`` and ``ReAct`` on gpt-4o and
    ``Predict`` on Claude each make two requests (the stand-in's text parses as neither
    the chat nor the JSON adapter's format), ``streamify(Predict)`` one on each: 8 calls.
    Each ``LM.__call__`` span (``LLM``, no usage) is the parent of LiteLLM's span of the
    request: one row each. LiteLLM's spans of the two streams (``acompletion``) carry no
    usage: both usage-missing, flagged as streams."""
    result = replay("openinference_dspy_programs", alone=alone)
    assert result.spans == 35
    claude_stream = ("anthropic", "claude-sonnet-4-5", 0, 0, 0, 0, 1, 0)
    assert result.rows() == [claude_stream, *DSPY_PROGRAM_CALLS]
    assert result.rows("usage_missing", "stream") == [(0, 0)] * 6 + [(1, 1)] * 2
    assert result.metrics.spans_duplicate.value() == 8


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_dspy_programs_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation, its span of the Claude stream has the usage
    (3 spans of one call, one row at $0.002175); the gpt-4o stream's has none, since the
    request asked for none: still unknown."""
    result = replay("openinference_dspy_programs_tokentrace", alone=alone)
    assert result.spans == 43
    assert result.rows() == [SONNET, *DSPY_PROGRAM_CALLS]
    assert result.rows("model", "stream") == [
        *[("claude-sonnet-4-5", 0)] * 2,
        ("claude-sonnet-4-5", 1),
        *[("gpt-4o", 0)] * 4,
        ("gpt-4o", 1),
    ]
    assert result.metrics.spans_duplicate.value() == 16


@pytest.mark.parametrize("alone", [False, True])
def test_autogen_claude_not_seen_alone(replay, alone):
    """AutoGen AgentChat 0.7.5 with OpenInference's AutoGen AgentChat instrumentation
    (0.1.22; ``record.py``: ``_autogen_claude``, anthropic 0.125: autogen-ext 0.7.5's
    Anthropic client passes ``temperature`` that anthropic 2 refuses): an assistant on
    autogen-ext's ``AnthropicChatCompletionClient`` run and streamed, and one on gpt-4o with
    a tool offered. The instrumentation traces ``OpenAIChatCompletionClient.create`` only:
    the Claude calls have no span but the ``AGENT`` ones (not seen, as CrewAI's Claude
    calls), and the gpt-4o span has no cache count for 1,200 input tokens (usage-missing,
    ``test_sources.CACHE_UNSAID``)."""
    result = replay("autogen_claude", alone=alone)
    assert result.spans == 10
    assert result.rows() == [GPT_4O_CACHE_UNSAID]
    assert result.metrics.spans_ignored.value() == 9


@pytest.mark.parametrize("alone", [False, True])
def test_autogen_claude_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation every call is seen, once: the Claude calls by
    tokentrace's spans alone, the gpt-4o call by both (its cache count from tokentrace's)."""
    result = replay("autogen_claude_tokentrace", alone=alone)
    assert result.spans == 13
    assert result.rows() == [SONNET] * 2 + [GPT_4O]
    assert result.rows("model", "stream") == [
        ("claude-sonnet-4-5", 0),
        ("claude-sonnet-4-5", 1),
        ("gpt-4o", 0),
    ]
    assert result.metrics.spans_duplicate.value() == 1


@pytest.mark.parametrize("alone", [False, True])
def test_google_adk_through_litellm(replay, alone):
    """Google ADK 2.13.0's own tracing on OpenAI's and Anthropic's models through its
    ``LiteLlm`` wrapper (litellm 1.110.2; ``record.py``: ``google_adk_litellm``), each run
    plain and streamed (SSE): a ``generate_content`` span per call (model
    ``openai/gpt-4o``, ``anthropic/claude-sonnet-4-5``; LiteLLM's usage, the cache
    included), under ``invoke_agent`` and ``invoke_workflow`` (not calls): 4 rows, $0.00945.
    Its spans say nothing of a stream: stream 0. Not recorded beside tokentrace: ADK 2.13.0
    requires ``opentelemetry-sdk<=1.44``, tokentrace ``>=1.45``."""
    result = replay("google_adk_litellm", alone=alone)
    assert result.spans == 12
    assert result.rows() == [SONNET] * 2 + [GPT_4O] * 2
    assert result.metrics.spans_ignored.value() == 8


@pytest.mark.parametrize(("alone", "restarts"), [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize(
    ("fixture", "calls", "cost"),
    [
        (
            "google_adk_openinference",
            [("gcp.gemini", "gemini-2.5-flash", 1200, 80, 1000, 0, 0, FLASH)] * 2,
            "0.00058",
        ),
        ("google_adk_litellm_openinference", [SONNET] * 2 + [GPT_4O] * 2, "0.00945"),
    ],
)
def test_google_adk_beside_openinference(replay, alone, restarts, fixture, calls, cost):
    """OpenInference's Google ADK instrumentation (1.0.5) beside ADK 2.13.0's own tracing
    (``record.py``: ``_openinference_google_adk``; gemini-2.5-flash, and gpt-4o and
    claude-sonnet-4-5 through ``LiteLlm``, each plain and streamed). It adds its own
    ``invocation``, ``invoke_workflow`` and ``agent_run`` spans (``CHAIN``/``AGENT``, not
    calls) and writes its ``LLM`` attributes onto ADK's span of the call (renamed
    ``invoke_agent greeter``, ``gen_ai.operation.name=generate_content``), whose
    ``llm.provider`` says ``google`` for OpenAI's and Anthropic's models too: the
    conventions' ``gen_ai.provider.name`` is read first. Only that span has usage: one row
    per call, exact, nothing counted twice. ADK's ``user_id`` is only on OpenInference's
    parent spans (``user.id``): each call takes it from them (rows without a user before),
    and keeps its own conversation and agent (``parent_fills``), span by span too and with
    serve restarted after each span (the waiting call and the parents kept). FLASH:
    https://ai.google.dev/gemini-api/docs/pricing."""
    result = replay(fixture, alone=alone, restarts=restarts)
    assert result.spans == 4 * len(calls)
    assert result.rows() == calls
    assert result.rows("sum(cost)") == [(Decimal(cost),)]
    assert result.rows("agent", "conversation != ''", "stream") == [("greeter", 1, 0)] * len(calls)
    users = result.rows("user", "conversation")  # one session per run, its own
    assert [user for user, _ in users] == ["user-1"] * len(calls)
    assert len({conversation for _, conversation in users}) == len(calls)
    assert result.metrics.spans_ignored.value() == 3 * len(calls)


@pytest.mark.parametrize("alone", [False, True])
@pytest.mark.parametrize(
    ("fixture", "spans", "duplicates"),
    [("openinference_instructor", 6, 0), ("openinference_instructor_tokentrace", 9, 3)],
)
def test_instructor_under_openinference(replay, alone, fixture, spans, duplicates):
    """instructor 1.17 (``from_openai``, tool mode) with OpenInference's instructor (0.1.29)
    and OpenAI (0.1.66) instrumentations, alone and beside tokentrace's (``record.py``:
    ``_instructor_calls``: gpt-4o ``create``, ``create_with_completion``, async ``create``).
    Its ``instructor.create`` spans (``CHAIN``, with ``llm.model_name`` and ``llm.provider``
    but no usage) are not calls: 3 rows, $0.00765, the OpenAI spans' (cache counted)."""
    result = replay(fixture, alone=alone)
    assert result.spans == spans
    assert result.rows() == [GPT_4O] * 3
    assert result.rows("sum(cost)") == [(Decimal("0.00765"),)]
    assert result.metrics.spans_ignored.value() == 3
    assert result.metrics.spans_duplicate.value() == duplicates


@pytest.mark.parametrize("alone", [False, True])
@pytest.mark.parametrize(
    ("fixture", "spans", "duplicates"),
    [("pydantic_ai_openinference", 17, 0), ("pydantic_ai_openinference_tokentrace", 26, 9)],
)
def test_pydantic_ai_under_openinference_span_processor(replay, alone, fixture, spans, duplicates):
    """Pydantic AI 2.68 with OpenInference's Pydantic AI span processor (0.1.30) ahead of
    the exporter (Phoenix's set-up; ``record.py``: ``_pydantic_ai_more(openinference=True)``):
    it adds OpenInference's attributes (``openinference.span.kind``, ``llm.token_count.*``)
    to Pydantic AI's own spans, so each call span carries both conventions. Read once: 9
    rows, $0.019299, alone and beside tokentrace, the 3 streams flagged."""
    result = replay(fixture, alone=alone)
    assert result.spans == spans
    assert result.rows() == ALL_CALLS
    assert result.rows("sum(cost)") == [(Decimal("0.019299"),)]
    assert result.rows("stream") == [(0,)] * 6 + [(1,)] * 3
    assert result.metrics.spans_duplicate.value() == duplicates


def _parents_name_another_session(body: bytes) -> bytes:
    """The OpenInference ADK spans (the parents) with a session and agent of their own."""
    document = json.loads(body)
    for resource in document["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            if scope["scope"]["name"] != "openinference.instrumentation.google_adk":
                continue
            for span in scope["spans"]:
                for attribute in span["attributes"]:
                    if attribute["key"] in ("session.id", "gen_ai.conversation.id"):
                        attribute["value"] = {"stringValue": "parent-session"}
                span["attributes"].append(
                    {"key": "gen_ai.agent.name", "value": {"stringValue": "parent-agent"}}
                )
    return json.dumps(document).encode()


@pytest.mark.parametrize("alone", [False, True])
def test_google_adk_call_keeps_its_own_dimensions(replay, alone):
    """A call takes from its parents only the dimensions its own span lacks: the nearest
    value is its own. With OpenInference's parent spans naming another session and agent
    (rewritten), each Gemini call keeps its own conversation and agent, and takes the user
    (a parent's value replaced the call's before ``Call.dimensions_own``)."""
    result = replay("google_adk_openinference", alone=alone, rewrite=_parents_name_another_session)
    rows = result.rows("user", "agent", "conversation")
    assert [(user, agent) for user, agent, _ in rows] == [("user-1", "greeter")] * 2
    assert "parent-session" not in {conversation for _, _, conversation in rows}
