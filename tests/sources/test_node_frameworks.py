"""Node agent frameworks with OpenTelemetry export at their newest npm releases, on the
call shapes of ``test_call_shapes`` that an agent makes (no embeddings), replayed into chDB
in one request and span by span: one row per call at its exact cost, none counted twice.

Recorded on 2026-12-03 (``record.cjs``) with what npm installed that day: @mastra/core
1.71.0, @mastra/observability 1.17.9, @mastra/otel-exporter 1.4.0 on @ai-sdk/openai 4.0.118
and @ai-sdk/anthropic 4.0.105.

Prices (USD per million tokens), as in ``test_node_latest_calls``: gpt-4o $0.00255 a call
(200 × 2.50 + 1,000 × 1.25 + 80 × 10, https://platform.openai.com/docs/pricing),
claude-sonnet-4-5 $0.002175 (100 × 3 + 1,000 × 0.30 + 100 × 3.75 + 80 × 15,
https://docs.anthropic.com/en/docs/about-claude/pricing).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.sources.test_call_shapes import GPT_4O, SONNET
from tests.sources.test_node_latest_calls import EMBEDDING_NO_USAGE


def _total(result) -> Decimal:
    return sum((cost for (cost,) in result.rows("cost")), Decimal(0))


@pytest.mark.parametrize("alone", [False, True])
def test_mastra_agents(replay, alone):
    """Mastra's agents (gpt-4o on chat with a tool, plain and streamed, on the Responses API
    plain and streamed; Claude with a tool, plain and streamed) through @mastra/otel-exporter:
    a ``chat MODEL`` span per call under ``agent_step``, ``model_generation`` and
    ``invoke_agent`` spans, which are not calls. 8 rows, $0.019275. Its
    ``gen_ai.provider.name`` is the AI SDK's provider id: the rows' provider was
    ``openai.chat``, ``openai.responses`` and ``anthropic.messages``; it is the provider
    now. The agent's name is the row's agent. Whether a call streamed is said only on its
    ``agent_step`` parent (the response's ``content-type: text/event-stream`` in
    ``mastra.metadata.headers``): the 3 streams were flagged 0, they are 1 now, in one
    request and span by span (where the chat span waits for its parent)."""
    result = replay("mastra_latest_calls", alone=alone)
    assert result.spans == 40
    assert result.rows() == [SONNET] * 3 + [GPT_4O] * 5
    assert _total(result) == Decimal("0.019275")
    assert result.rows("provider", "agent") == [
        ("anthropic", "claude"), ("anthropic", "claude"), ("anthropic", "claudeTools"),
        ("openai", "chat"), ("openai", "chat"), ("openai", "chatTools"),
        ("openai", "responses"), ("openai", "responses"),
    ]  # fmt: skip
    assert result.rows("model", "agent", "stream") == [
        ("claude-sonnet-4-5", "claude", 0), ("claude-sonnet-4-5", "claude", 1),
        ("claude-sonnet-4-5", "claudeTools", 0),
        ("gpt-4o", "chat", 0), ("gpt-4o", "chat", 1), ("gpt-4o", "chatTools", 0),
        ("gpt-4o", "responses", 0), ("gpt-4o", "responses", 1),
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 0


@pytest.mark.parametrize("alone", [False, True])
def test_mastra_on_vertex_ai(replay, alone):
    """Mastra 1.71.0 on @ai-sdk/google-vertex 5.0.141 (recorded 2026-12-04, ``mastraVertexCalls``):
    an agent on Gemini 2.5 Flash (``google.vertex.chat``) and one on Claude Sonnet 4
    (``googleVertex.anthropic.messages``, which Mastra passes on as the AI SDK gives it),
    each generated and streamed: 4 rows, all Vertex AI's, exact. Gemini 2.5 Flash on Vertex
    AI: 200 × 0.30 + 1,000 × 0.03 + 80 × 2.50 per million = $0.00029; Claude Sonnet 4 (one
    price on every endpoint): 100 × 3 + 1,000 × 0.30 + 100 × 3.75 + 80 × 15 = $0.002175
    (https://cloud.google.com/vertex-ai/generative-ai/pricing)."""
    result = replay("mastra_vertex", alone=alone)
    assert result.spans == 20
    assert result.rows("provider", "model", "cost", "stream", "agent") == [
        ("gcp.vertex_ai", "claude-4-sonnet", Decimal("0.002175"), 0, "claude"),
        ("gcp.vertex_ai", "claude-4-sonnet", Decimal("0.002175"), 1, "claude"),
        ("gcp.vertex_ai", "gemini-2.5-flash", Decimal("0.00029"), 0, "gemini"),
        ("gcp.vertex_ai", "gemini-2.5-flash", Decimal("0.00029"), 1, "gemini"),
    ]
    assert result.rows("input_tokens", "cache_read_tokens", "cache_write_tokens") == [
        (1200, 1000, 0), (1200, 1000, 0), (1200, 1000, 100), (1200, 1000, 100)
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 0


@pytest.mark.parametrize("alone", [False, True])
def test_openai_agents_js(replay, alone):
    """The OpenAI Agents SDK for JS (@openai/agents 0.20.0 on openai 7.60) through
    OpenInference's processor for its traces (@arizeai/openinference-instrumentation-openai-agents
    0.2.15; recorded 2026-12-04, ``openaiAgentsCalls``): an agent on the Responses API and one
    on chat completions, each run plain and streamed. An ``LLM`` span per call (``response``,
    ``generation``) under ``turn``, agent and ``Agent workflow`` spans, which are not calls:
    4 rows of gpt-4o at $0.00255, $0.0102. Its spans say nothing of a stream (the request's
    parameters it records leave ``stream`` out), nor the trace's group id."""
    result = replay("openai_agents_js", alone=alone)
    assert result.spans == 17
    assert result.rows() == [GPT_4O] * 4
    assert _total(result) == Decimal("0.0102")
    assert result.metrics.spans_ignored.value() == 13
    assert result.metrics.spans_duplicate.value() == 0


# Gemini 2.5 Flash on the Gemini API with 30 of the 80 output tokens thoughts: 200 × 0.30 +
# 1,000 × 0.03 + 80 × 2.50 per million (thoughts billed as output,
# https://ai.google.dev/gemini-api/docs/pricing)
FLASH = ("gcp.gemini", "gemini-2.5-flash", 1200, 80, 1000, 0, 0, Decimal("0.00029"))


@pytest.mark.parametrize("alone", [False, True])
def test_google_adk_js(replay, alone):
    """Google's ADK for TypeScript (@google/adk 2.0.0 on @google/genai 2.32; recorded
    2026-12-04, ``googleAdkCalls``): an agent run plain and streamed (SSE). Its ``call_llm``
    spans set ``gen_ai.system=gcp.vertex.agent``, the input and Gemini's
    ``candidatesTokenCount`` (50, without the thoughts) as ADK 1.x for Python does, and the
    rest only in the response it records, @google/genai's camelCase ``usageMetadata``, which
    was read in Python's snake_case alone: 1,200 input of which none cached, 50 output,
    $0.000485 a call. Now the cache and the thoughts are counted, $0.00029. Its session id
    (``gcp.vertex.agent.session_id``) is the conversation; the agent's name the agent."""
    result = replay("google_adk_js", alone=alone)
    assert result.spans == 6
    assert result.rows() == [FLASH, FLASH]
    assert (
        result.rows("reasoning_tokens", "conversation", "agent")
        == [(30, "session-1", "greeter")] * 2
    )
    assert result.metrics.spans_ignored.value() == 4


# VoltAgent's Claude calls: counted whole, their cost unknown (the cache writes unsaid)
CLAUDE_WRITES_UNSAID = ("anthropic", "claude-sonnet-4-5", 1200, 80, 1000, 0, 1, 0)


@pytest.mark.parametrize("alone", [False, True])
def test_voltagent(replay, alone):
    """VoltAgent (@voltagent/core 2.10.0 on the AI SDK 6: @ai-sdk/openai 3.0.141,
    @ai-sdk/anthropic 3.0.140; recorded 2026-12-04, ``voltagentCalls``): agents on gpt-4o
    (chat and the Responses API) and Claude, each generated and streamed with a user and a
    conversation. A ``llm:generateText`` / ``llm:streamText`` span per call (VoltAgent's own
    names: ``llm.model``, ``llm.usage.*``, ``llm.stream``) under the agent's span (whose
    ``usage.*`` sums are not a call) and memory spans. Its rows had no model nor provider
    (``unknown_model``, 6 unpriced) and no cache; they are named and the 4 gpt-4o calls
    exact now, $0.0102, streams flagged, with user and conversation. Its Claude input
    (1,200) includes the 100 cache writes it never counts: their cost is unknown
    (usage-missing), not $0.0021 for a $0.002175 call."""
    result = replay("voltagent_js", alone=alone)
    assert result.spans == 36
    assert result.rows() == [CLAUDE_WRITES_UNSAID] * 2 + [GPT_4O] * 4
    assert _total(result) == Decimal("0.0102")
    assert result.rows("model", "stream", "user", "conversation") == [
        ("claude-sonnet-4-5", 0, "user-1", "session-1"),
        ("claude-sonnet-4-5", 1, "user-1", "session-1"),
        ("gpt-4o", 0, "user-1", "session-1"), ("gpt-4o", 0, "user-1", "session-1"),
        ("gpt-4o", 1, "user-1", "session-1"), ("gpt-4o", 1, "user-1", "session-1"),
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 0


@pytest.mark.parametrize("alone", [False, True])
def test_genkit(replay, alone):
    """Genkit 1.42.0 with @genkit-ai/compat-oai 1.42.0's OpenAI plugin (recorded 2026-12-04,
    ``genkitCalls``; its trace SDK is 1.x, its spans through ``enableTelemetry``'s span
    processors): gpt-4o generated and streamed, and an embedding. Its spans (scope
    ``genkit-tracer``) have no attribute of the call's but ``genkit:name`` (``openai/gpt-4o``)
    and what the action returned (``genkit:output``), so no row was stored: 3 calls lost.
    Now a ``model`` action span is a call, with the API's usage from the response it records
    (Genkit's own ``usage`` leaves out the 1,000 cached): 2 rows at $0.00255. The embedder's
    output has no usage: counted, its cost unknown. The ``generate`` spans above the model
    calls (their usage sums the calls') are not calls. Nothing on its spans says a call
    streamed."""
    result = replay("genkit_js", alone=alone)
    assert result.spans == 5
    assert result.rows() == [GPT_4O, GPT_4O, EMBEDDING_NO_USAGE]
    assert _total(result) == Decimal("0.0051")
    assert result.rows("unpriced_reason") == [("",), ("",), ("usage_missing",)]
    assert result.metrics.spans_ignored.value() == 2
