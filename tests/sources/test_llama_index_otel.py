"""LlamaIndex's own OpenTelemetry tracing (``llama-index-observability-otel`` 0.7.0,
``LlamaIndexOpenTelemetry().start_registering()``) beside tokentrace's instrumentation,
replayed into chDB in one request and span by span: LlamaIndex's spans never make a second
row of a call.

Recorded by ``record.py``'s ``_llama_index_more`` (llama-index-core 0.14.25, openai 2.54,
anthropic 0.x, which llama-index-llms-anthropic 0.12.3 needs) on the reference call shapes
through LlamaIndex (9 calls, $0.019299 as ``test_call_shapes``). Its spans (scope
``llamaindex.opentelemetry.tracer``, named ``OpenAI.chat``, ``Anthropic.astream_chat``…)
carry no attributes: the usage is only in an ``LLMChatEndEvent`` span event, flattened
(``response.raw.usage.prompt_tokens``…), and a stream's span has no end event at all
(``extract/events.py`` reads them).

Prices: gpt-4o $0.00255, text-embedding-3-small 1,200 tokens $0.000024
(https://platform.openai.com/docs/pricing), claude-sonnet-4-5 $0.002175
(https://docs.anthropic.com/en/docs/about-claude/pricing).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.sources.test_call_shapes import ALL_CALLS, GPT_4O, SONNET

# A call whose span has no usage: a stream's (it ends when the stream is returned, before its
# end event), the embedding's (LlamaIndex's ``EmbeddingEndEvent`` has no count). The model is
# its start event's; the cost is unknown, never $0.
GPT_4O_MISSING = ("openai", "gpt-4o", 0, 0, 0, 0, 1, 0)
SONNET_MISSING = ("anthropic", "claude-sonnet-4-5", 0, 0, 0, 0, 1, 0)
EMBEDDING_MISSING = ("openai", "text-embedding-3-small", 0, 0, 0, 0, 1, 0)


@pytest.mark.parametrize("alone", [False, True])
def test_llama_index_otel_beside_tokentrace(replay, alone):
    """21 spans (12 of LlamaIndex's) → 9 rows, $0.019299, one per call, now that
    LlamaIndex's spans are calls too: the plain calls' paired by response id, the streams'
    (ended before the request) with tokentrace's span that opens after; the 3 streams
    flagged."""
    result = replay("llama_index_otel_latest_calls_tokentrace", alone=alone)
    assert result.spans == 21
    assert result.rows() == ALL_CALLS
    assert result.rows("sum(cost)") == [(Decimal("0.019299"),)]
    assert result.rows("stream") == [(0,)] * 6 + [(1,)] * 3


@pytest.mark.parametrize("alone", [False, True])
def test_llama_index_otel_alone(replay, alone):
    """LlamaIndex's tracing alone, 12 spans: 0 rows → 9, one per call. The 5 plain calls
    exact from their end events ($0.012: 3 gpt-4o, 2 Claude, cache counted); the 3 streams
    (flagged by their span names) and the embedding usage-missing, their cost unknown."""
    result = replay("llama_index_otel_latest_calls", alone=alone)
    assert result.spans == 12
    assert result.rows() == sorted(
        [SONNET] * 2 + [SONNET_MISSING] + [GPT_4O] * 3 + [GPT_4O_MISSING] * 2 + [EMBEDDING_MISSING]
    )
    assert result.rows("sum(cost)", "countIf(priced)") == [(Decimal("0.012"), 5)]
    assert result.rows("stream") == [(0,)] * 6 + [(1,)] * 3
    assert result.rows("operation") == [("chat",)] * 8 + [("embeddings",)]
    named = ("chatcmpl-standin1", "chatcmpl-standin6", "msg_standin2", "msg_standin4")
    assert result.rows("response_id") == [("",)] * 4 + [(name,) for name in named] + [
        ("resp_standin2",)
    ]


# ``_llama_index_otel_completions``: LlamaIndex's completion methods (llama-index-llms-openai
# 0.8.3, openai 2.54): gpt-4o ``complete``, ``stream_complete`` and ``acomplete`` (sent as
# chat requests: a chat model), and ``complete`` on gpt-3.5-turbo-instruct (the Completions
# API; 1,200 input tokens, no cache: $1.50 in / $2.00 out per million,
# https://platform.openai.com/docs/pricing: 0.0018 + 0.00016 = $0.00196).
INSTRUCT = ("openai", "gpt-3.5-turbo-instruct", 1200, 80, 0, 0, 0, Decimal("0.00196"))


@pytest.mark.parametrize("alone", [False, True])
def test_llama_index_otel_completions_alone(replay, alone):
    """Its completion spans carry ``LLMCompletionStartEvent``/``LLMCompletionEndEvent``
    (the provider's response under ``response.raw.``, as the chat events): 4 rows, the 3
    plain calls exact ($0.00706), the stream usage-missing (no end event). The
    instruct model's completion was named ``chat``: its start event says
    ``is_chat_model: False``, so LlamaIndex sent it to the Completions API:
    ``text_completion``."""
    result = replay("llama_index_otel_completions", alone=alone)
    assert result.spans == 4
    assert result.rows() == [INSTRUCT, GPT_4O_MISSING, GPT_4O, GPT_4O]
    assert result.rows("sum(cost)", "countIf(priced)") == [(Decimal("0.00706"), 3)]
    assert result.rows("model", "operation", "stream") == [
        ("gpt-3.5-turbo-instruct", "text_completion", 0),
        *[("gpt-4o", "chat", 0)] * 2,
        ("gpt-4o", "chat", 1),
    ]


@pytest.mark.parametrize("alone", [False, True])
def test_llama_index_otel_completions_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation: 8 spans → 4 rows, $0.00961, the stream's usage
    from tokentrace's span of it."""
    result = replay("llama_index_otel_completions_tokentrace", alone=alone)
    assert result.spans == 8
    assert result.rows() == [INSTRUCT] + [GPT_4O] * 3
    assert result.rows("sum(cost)") == [(Decimal("0.00961"),)]
    assert result.rows("operation", "stream") == [("chat", 0)] * 2 + [
        ("chat", 1),
        ("text_completion", 0),
    ]
