"""LlamaIndex's own OpenTelemetry tracing (``llama-index-observability-otel`` 0.7.0,
``LlamaIndexOpenTelemetry().start_registering()``) beside tokentrace's instrumentation,
replayed into chDB in one request and span by span: LlamaIndex's spans never make a second
row of a call.

Recorded by ``record.py``'s ``_llama_index_more`` (llama-index-core 0.14.25, openai 2.54,
anthropic 0.x, which llama-index-llms-anthropic 0.12.3 needs) on the reference call shapes
through LlamaIndex (9 calls, $0.019299 as ``test_call_shapes``). Its spans (scope
``llamaindex.opentelemetry.tracer``, named ``OpenAI.chat``, ``Anthropic.astream_chat``…)
carry no attributes: the usage is only in an ``LLMChatEndEvent`` span event, flattened
(``response.raw.usage.prompt_tokens``…), and a stream's span has no end event at all.

Prices: gpt-4o $0.00255, text-embedding-3-small 1,200 tokens $0.000024
(https://platform.openai.com/docs/pricing), claude-sonnet-4-5 $0.002175
(https://docs.anthropic.com/en/docs/about-claude/pricing).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.sources.test_call_shapes import ALL_CALLS


@pytest.mark.parametrize("alone", [False, True])
def test_llama_index_otel_beside_tokentrace(replay, alone):
    """21 spans (12 of LlamaIndex's) → 9 rows, $0.019299, one per call; the 3 streams
    flagged (tokentrace's)."""
    result = replay("llama_index_otel_latest_calls_tokentrace", alone=alone)
    assert result.spans == 21
    assert result.rows() == ALL_CALLS
    assert result.rows("sum(cost)") == [(Decimal("0.019299"),)]
    assert result.rows("stream") == [(0,)] * 6 + [(1,)] * 3
