"""LangSmith's OpenTelemetry mode (langsmith 0.15.1, ``LANGSMITH_TRACING_MODE=otel``),
replayed into chDB in one request and span by span: one row per call, exact cost.

Recorded by ``record.py``'s ``_langsmith_more`` (openai 3.60, anthropic 2.16,
langchain-openai 1.8.1): ``wrap_openai`` / ``wrap_anthropic`` clients on the reference
calls of ``_more_calls`` (OpenAI chat with a tool, embeddings, the Responses API plain and
streamed, async chat plain and streamed; Claude with a tool, async plain and streamed),
then LangChain's ``ChatOpenAI`` ``invoke`` and ``stream`` (with usage) under one
``@traceable`` function: 11 calls. The Anthropic SDK (2.16) traces its own calls on the
global tracer provider too. LangSmith writes a run as a span once it is over, with ids of
its own (its span and the SDK-level span of the call are roots of two traces).

Prices (USD per million tokens), as in ``test_call_shapes``: gpt-4o 200 × 2.50 + 1,000 ×
1.25 + 80 × 10 = $0.00255 (https://platform.openai.com/docs/pricing); text-embedding-3-small
1,200 × 0.02 = $0.000024 (same page); claude-sonnet-4-5 100 × 3 + 1,000 × 0.30 + 100 × 3.75
+ 80 × 15 = $0.002175 (https://docs.anthropic.com/en/docs/about-claude/pricing).
"""

from __future__ import annotations

import pytest

from tests.sources.test_call_shapes import EMBEDDING, GPT_4O, SONNET

# Claude with a tool, async plain, async stream; 5 gpt-4o of ``_more_calls`` and 2 of
# LangChain; the embedding (not wrapped by ``wrap_openai``: only tokentrace's span has it).
CALLS = [SONNET] * 3 + [GPT_4O] * 7
# Streamed: the Claude async stream, the Responses API stream, the async chat stream and
# LangChain's ``stream()``.
STREAMS = [(0,)] * 6 + [(1,)] * 4


@pytest.mark.parametrize("alone", [False, True])
def test_langsmith_alone(replay, alone):
    """Each wrapped or LangChain call once, its cache read from the run's
    ``langsmith.metadata.usage_metadata`` (LangChain's ``input_token_details``): its
    ``gen_ai.usage.input_tokens`` is 1,200 with no cache count beside it, and each gpt-4o
    row was usage-missing (OpenAI caches 1,024+ tokens on its own: cost unknown). Streams
    from ``langsmith.request.streaming`` (a wrapped client's ``stream`` argument) and the
    ``AIMessageChunk`` of LangChain's ``stream()`` in ``gen_ai.completion``: 1 of 4 → 4.
    The Claude rows are the Anthropic SDK's spans (LangSmith's ``ChatAnthropic`` runs
    share their response ids)."""
    result = replay("langsmith_latest_calls", alone=alone)
    assert result.spans == 14
    assert result.rows() == CALLS
    assert result.rows("stream") == STREAMS
    assert result.metrics.spans_duplicate.value() == 3


@pytest.mark.parametrize("alone", [False, True])
def test_langsmith_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation, each of the 11 calls once. LangChain's runs
    have no response id and sit in traces of their own: they were counted twice (13 rows,
    2 gpt-4o usage-missing copies); now paired as a framework's span with the span of the
    call inside it in time (``sources._FRAMEWORK_SCOPES``)."""
    result = replay("langsmith_latest_calls_tokentrace", alone=alone)
    assert result.spans == 25
    assert result.rows() == [*CALLS, EMBEDDING]
    assert result.rows("stream") == [(0,)] * 7 + [(1,)] * 4
    assert result.metrics.spans_duplicate.value() == 13
