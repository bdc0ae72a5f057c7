"""Laminar's SDK (lmnr 0.8.2, ``Laminar.initialize``), replayed into chDB in one request and
span by span: one row per call, exact cost, never a call counted twice.

Recorded by ``record.py``'s ``_lmnr_more`` (openai 3.60, anthropic 2.16) on the reference
calls of ``_more_calls`` (``test_call_shapes``: 9 calls, $0.019299). Laminar names every
span of its instrumentations ``lmnr.tracer`` (the package it instruments only in
``lmnr.span.instrumentation_scope.name``) and never makes it current: tokentrace's span of a
call is the root of a trace of its own, and Laminar's embeddings span has no response id.
Its usage is OpenLLMetry's (``gen_ai.usage.cache_read_input_tokens``, Claude's input with
the cache); only its Chat Completions stream says it streams (``llm.is_streaming``), the
others are told by how its wrappers end their spans.

Prices as in ``test_call_shapes``: gpt-4o $0.00255, text-embedding-3-small 1,200 tokens
$0.000024 (https://platform.openai.com/docs/pricing), claude-sonnet-4-5 $0.002175
(https://docs.anthropic.com/en/docs/about-claude/pricing).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.sources.test_call_shapes import ALL_CALLS


@pytest.mark.parametrize("alone", [False, True])
def test_lmnr_alone(replay, alone):
    """Laminar alone: 9 rows, $0.019299, cache counted (3 Claude, 5 gpt-4o, the embedding).
    Its Responses API stream and Anthropic stream spans have no stream attribute and no
    event; they are told by how lmnr's wrappers end them (``Source.laminar_streams``: the
    Responses stream's status ``OK``, the Claude stream's usage without
    ``llm.usage.total_tokens``): streams flagged 1 → 3 of 3, the plain calls not."""
    result = replay("lmnr_latest_calls", alone=alone)
    assert result.spans == 9
    assert result.rows() == ALL_CALLS
    assert result.rows("sum(cost)") == [(Decimal("0.019299"),)]
    assert result.rows("operation") == [("chat",)] * 8 + [("embeddings",)]
    streamed = [id_ for id_, stream in result.rows("response_id", "stream") if stream]
    assert streamed == ["chatcmpl-standin7", "msg_standin6", "resp_standin4"]
    assert result.metrics.spans_duplicate.value() == 0


@pytest.mark.parametrize("alone", [False, True])
def test_lmnr_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation: 10 rows for 9 calls → 9, $0.019299. The
    embedding was counted twice (Laminar's span, in a trace of its own, without a response
    id); it is now paired as a framework's. The 3 streams are flagged (tokentrace's)."""
    result = replay("lmnr_latest_calls_tokentrace", alone=alone)
    assert result.spans == 18
    assert result.rows() == ALL_CALLS
    assert result.rows("sum(cost)") == [(Decimal("0.019299"),)]
    assert result.rows("stream") == [(0,)] * 6 + [(1,)] * 3
    assert result.metrics.spans_duplicate.value() == 9
