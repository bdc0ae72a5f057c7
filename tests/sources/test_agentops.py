"""AgentOps' SDK (agentops 0.4.21, ``agentops.init``), replayed into chDB in one request and
span by span: one row per call, exact cost or unknown, never a call counted twice.

Recorded by ``record.py``'s ``_agentops_more`` (openai 3.60, anthropic 2.16) on the reference
calls of ``_more_calls`` (``test_call_shapes``: 9 calls, $0.019299). AgentOps makes the global
tracer provider and instruments the SDKs under the scopes ``openai`` and ``anthropic``; the
Anthropic SDK's own tracing (``com.anthropic.sdk.python``) writes a span of each Claude call
on that provider too. AgentOps' OpenAI spans: ``gen_ai.usage.prompt_tokens`` with the cache,
no cache count; no span for the Responses API (2 calls not seen alone). Its Anthropic spans:
no ``gen_ai.system``, the API's ``input_tokens`` (100, without the 1,000 cache reads and 100
writes) and no cache count; its ``anthropic.messages.stream`` span has no response id, beside
the SDK's span of the stream.

Prices as in ``test_call_shapes``: gpt-4o $0.00255, text-embedding-3-small 1,200 tokens
$0.000024 (https://platform.openai.com/docs/pricing), claude-sonnet-4-5 $0.002175
(https://docs.anthropic.com/en/docs/about-claude/pricing).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.sources.test_call_shapes import ALL_CALLS, EMBEDDING, SONNET
from tests.sources.test_sources import CACHE_UNSAID


@pytest.mark.parametrize("alone", [False, True])
def test_agentops_alone(replay, alone):
    """AgentOps alone, 8 spans → 7 rows. Its span of the Anthropic stream, without response
    id, was a row beside the SDK's span of it (9 rows for 8 calls seen, +$0.0015: its 100
    input tokens priced as the whole input, the cache left out). Its Claude input is now
    read as without the cache, which it does not count (usage missing), and the span is
    paired with the SDK's as a framework's: 3 Claude rows exact ($0.006525, from the SDK's
    spans). Its 3 gpt-4o spans have no cache count at 1,200 input tokens: cost unknown,
    never the uncached price; the embedding exact."""
    result = replay("agentops_latest_calls", alone=alone)
    assert result.spans == 8
    assert result.rows() == [SONNET] * 3 + [CACHE_UNSAID] * 3 + [EMBEDDING]
    assert result.rows("sum(cost)") == [(Decimal("0.006549"),)]
    assert result.rows("model", "stream") == [
        *[("claude-sonnet-4-5", 0)] * 2,
        ("claude-sonnet-4-5", 1),
        *[("gpt-4o", 0)] * 2,
        ("gpt-4o", 1),
        ("text-embedding-3-small", 0),
    ]
    assert result.metrics.spans_duplicate.value() == 1


@pytest.mark.parametrize("alone", [False, True])
def test_agentops_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation, 22 spans (AgentOps wraps each OpenAI chat call
    twice here, the same response id) → 9 rows, $0.019299 (was 10 rows: the Anthropic
    stream's AgentOps span, $0.0015 more)."""
    result = replay("agentops_latest_calls_tokentrace", alone=alone)
    assert result.spans == 22
    assert result.rows() == ALL_CALLS
    assert result.rows("sum(cost)") == [(Decimal("0.019299"),)]
    assert result.rows("stream") == [(0,)] * 6 + [(1,)] * 3
    assert result.metrics.spans_duplicate.value() == 13
