"""Node sources running beside another instrumentation that rewrites their spans, as their
vendors' guides set them up, on the reference calls of ``test_call_shapes`` (9 calls),
replayed in one request and span by span: one row per call, never two.

Recorded 2026-12-04 (``record.cjs``) at npm's newest releases that day: ai 6.0.333 with
@traceloop/node-server-sdk 0.27.0, ai 7.0.173 (@ai-sdk/otel 1.0.173) with
@arizeai/openinference-vercel 3.2.1, ai 6.0.333 through @langfuse/otel 5.11.1. Prices as in
``test_call_shapes``: gpt-4o $0.00255, claude-sonnet-4-5 $0.002175, text-embedding-3-small
$0.000024 a call
(https://platform.openai.com/docs/pricing,
https://docs.anthropic.com/en/docs/about-claude/pricing).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.sources.test_call_shapes import ALL_CALLS
from tests.sources.test_node_latest_calls import STREAMS


def _total(result) -> Decimal:
    return sum((cost for (cost,) in result.rows("cost")), Decimal(0))


@pytest.mark.parametrize("alone", [False, True])
def test_vercel_ai_6_beside_openllmetry_js(replay, alone):
    """The AI SDK 6 with OpenLLMetry JS's SDK (``vercelTraceloopCalls``): its span processor
    renames the operation's span and its model call's alike (``chat gpt-4o`` both), moves
    ``ai.model.*``, ``ai.usage.promptTokens`` and Claude's ``ai.response.providerMetadata``
    to GenAI attributes on both (``gen_ai.usage.cache_creation_input_tokens``), deletes
    them, and turns the telemetry metadata into ``traceloop.association.properties.*``.
    The operation's span, now with a model, provider and usage, is not a second call (its
    ``ai.operationId`` is kept): 9 rows, $0.019299, Claude's writes counted, the 3 streams
    flagged, user and session on every row."""
    result = replay("vercel_ai_6_traceloop", alone=alone)
    assert result.spans == 18
    assert result.rows() == ALL_CALLS
    assert _total(result) == Decimal("0.019299")
    assert result.rows("model", "stream") == STREAMS
    assert result.rows("user", "conversation") == [("user-1", "session-1")] * 9
    assert result.metrics.spans_duplicate.value() == 0
    assert result.metrics.spans_ignored.value() == 9


@pytest.mark.parametrize("alone", [False, True])
def test_vercel_ai_7_beside_openinference(replay, alone):
    """The AI SDK 7 with OpenInference's span processor for it (``vercelOpenInferenceCalls``,
    @ai-sdk/otel's supplemental attributes on as its guide recommends): each ``chat`` span
    gets ``openinference.span.kind=LLM`` and ``llm.token_count.*``, the ``invoke_agent``
    span (``AGENT``) the operation's sums as well, both ``embeddings`` spans ``EMBEDDING``.
    One row per call, $0.019299; the ``embed`` operation's span is the one duplicate, as
    with @ai-sdk/otel alone (``test_node_latest_calls``)."""
    result = replay("vercel_ai_7_openinference", alone=alone)
    assert result.spans == 26
    assert result.rows() == ALL_CALLS
    assert _total(result) == Decimal("0.019299")
    assert result.rows("model", "stream") == STREAMS
    assert result.rows("user", "conversation") == [("user-1", "session-1")] * 9
    assert result.metrics.spans_duplicate.value() == 1


@pytest.mark.parametrize("alone", [False, True])
def test_vercel_ai_6_through_langfuse_js(replay, alone):
    """The AI SDK 6 exported through Langfuse JS's span processor (@langfuse/otel 5.11.1,
    ``vercelLangfuseCalls``) under a Langfuse observation (``startActiveObservation``, scope
    ``langfuse-sdk``, no usage) with the user and session propagated onto every span
    (``user.id``, ``session.id``): 19 spans, one row per call, $0.019299, the observation
    not a call."""
    result = replay("vercel_ai_6_langfuse", alone=alone)
    assert result.spans == 19
    assert result.rows() == ALL_CALLS
    assert _total(result) == Decimal("0.019299")
    assert result.rows("model", "stream") == STREAMS
    assert result.rows("user", "conversation") == [("user-1", "session-1")] * 9
    assert result.metrics.spans_duplicate.value() == 0
    assert result.metrics.spans_ignored.value() == 10


# gpt-4o counted whole, its cost unknown: no span of it says how much of its input was cached
GPT_4O_CACHE_UNSAID = ("openai", "gpt-4o", 1200, 80, 0, 0, 1, 0)
SONNET_CACHE_UNSAID = ("anthropic", "claude-sonnet-4-5", 100, 80, 0, 0, 1, 0)


@pytest.mark.parametrize("alone", [False, True])
def test_langchain_js_beside_openllmetry_js(replay, alone):
    """LangChain.js with OpenLLMetry JS's SDK (@traceloop/node-server-sdk 0.27.0, its LangChain
    instrumentation always on; @langchain/openai 1.6.0 on openai 7.60, @langchain/anthropic
    1.5.11 on @anthropic-ai/sdk 0.122, both SDKs handed to it; recorded 2026-12-04,
    ``langchainTraceloopCalls``): the reference calls, of which 8 have spans (no span of the
    embedding), each twice, the LangChain span and the SDK's, every one the root of a trace
    of its own (its LangChain spans are never current). They were 15 rows, $0.01434: the 3
    Claude calls counted twice, the LangChain spans' at $0.0015, $0.0015 (input 100, its
    cache never counted) and $0.004815 (the stream: 1,200 input as uncached, 81 output).
    Its LangChain scope is a framework's now, paired by time with the SDK span inside it,
    and its Claude spans without cache writes are unknown: 8 rows, the 3 Claude ones the
    Anthropic instrumentation's, exact ($0.006525); gpt-4o's unknown as OpenLLMetry JS's
    OpenAI spans alone are (no cache count on either span)."""
    result = replay("langchain_js_traceloop", alone=alone)
    assert result.spans == 16
    assert (
        result.rows("provider", "model", "cost")
        == [("anthropic", "claude-sonnet-4-5", Decimal("0.002175"))] * 3
        + [("openai", "gpt-4o", 0)] * 5
    )
    assert result.rows("usage_missing") == [(0,)] * 3 + [(1,)] * 5
    assert _total(result) == Decimal("0.006525")
    assert result.metrics.spans_duplicate.value() == 8


def _langchain_spans_only(body: bytes) -> bytes:
    """The recording's spans of OpenLLMetry JS's LangChain instrumentation alone, as without
    the SDKs handed to it."""
    document = json.loads(body)
    for resource in document["resourceSpans"]:
        resource["scopeSpans"] = [
            scope
            for scope in resource["scopeSpans"]
            if scope["scope"]["name"] == "@traceloop/instrumentation-langchain"
        ]
    return json.dumps(document).encode()


def test_openllmetry_js_langchain_alone(replay):
    """OpenLLMetry JS's LangChain spans alone: Claude's input is the uncached part (100 of
    1,200; the stream's 1,200 as all uncached, 81 output) and the cache is never counted,
    so the 3 Claude rows were priced $0.0015, $0.0015 and $0.004815 for $0.002175 calls;
    they are counted, their cost unknown, now. gpt-4o's 5 unknown (OpenAI's automatic
    cache unsaid; the chat stream's span has no usage)."""
    result = replay("langchain_js_traceloop", rewrite=_langchain_spans_only)
    assert result.spans == 8
    assert result.rows() == [
        SONNET_CACHE_UNSAID, SONNET_CACHE_UNSAID,
        ("anthropic", "claude-sonnet-4-5", 1200, 81, 0, 0, 1, 0),
        ("openai", "gpt-4o", 0, 0, 0, 0, 1, 0),  # the chat stream: no usage on its span
    ] + [GPT_4O_CACHE_UNSAID] * 4  # fmt: skip
    assert _total(result) == 0


def test_llamaindex_ts_through_openllmetry_js(replay):
    """LlamaIndex.TS (llamaindex 0.12.1, @llamaindex/openai 0.4.23 on openai 5.23) with
    OpenLLMetry JS's SDK and its LlamaIndex instrumentation (0.27.0; recorded 2026-12-04,
    ``llamaindexTraceloopCalls``; LlamaIndex.TS has no tracing of its own): gpt-4o chat
    plain and streamed, a query embedding. Its OpenAI instrumentation, handed the SDK, made
    no span (@llamaindex/openai loads the SDK by ``import('openai')``, its ESM build, another
    module than the one handed). A ``chat gpt-4o`` span per chat
    call, with the response id: 2 rows, unknown (no cache count; the stream's span has no
    usage). The embedding's span is a ``task`` naming neither model nor usage: not a call."""
    result = replay("llamaindex_js_traceloop")
    assert result.spans == 3
    assert result.rows() == [("openai", "gpt-4o", 0, 0, 0, 0, 1, 0), GPT_4O_CACHE_UNSAID]
    assert result.metrics.spans_ignored.value() == 1


def test_openai_sdk_traced_by_openllmetry_js_and_openinference_js(replay):
    """The OpenAI SDK (openai 6.49) traced by OpenLLMetry JS's OpenAI instrumentation and
    OpenInference JS's at once (0.27.0, 4.2.7; recorded 2026-12-04, ``openaiTwiceCalls``), the
    OpenAI shapes of the reference calls (6): OpenLLMetry's span is the child of
    OpenInference's. 6 rows, never two for a call. In one request the richer span of each pair
    is kept: 4 gpt-4o calls exact with OpenInference's cache counts ($0.0102); the chat
    stream's (OpenInference: no span of it; OpenLLMetry: its estimate, taken as no usage)
    and the embedding's (no usage on either span) unknown."""
    result = replay("openai_js_twice")
    assert result.spans == 10
    assert result.rows("model", "cost", "usage_missing") == [
        ("gpt-4o", 0, 1), *[("gpt-4o", Decimal("0.00255"), 0)] * 4,
        ("text-embedding-3-small", 0, 1),
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 4


def test_openai_sdk_traced_twice_span_by_span(replay):
    """The same spans sent one by one: still 6 rows. The child (OpenLLMetry's, usage without
    the cache: unknown) ends and comes first, and the first span seen of a call is its row,
    so 3 gpt-4o calls that were exact in one request are unknown: $0.00255 known. Holding
    every OpenLLMetry JS span that has a parent for that parent would delay its rows alone
    (under any server span) by up to the 10-minute hold: not done."""
    result = replay("openai_js_twice", alone=True)
    assert result.stored == 6
    assert _total(result) == Decimal("0.00255")
    assert result.metrics.spans_duplicate.value() == 4
