"""Langtrace's SDK (langtrace-python-sdk 3.8.21, ``langtrace.init``), replayed into chDB in
one request and span by span: one row per call, exact cost or unknown, never a wrong one.

Recorded by ``record.py``'s ``_langtrace_more`` (openai 3.60, anthropic 2.16) on the
reference calls of ``_more_calls`` (``test_call_shapes``: 9 calls, $0.019299). Langtrace
sets the global tracer provider, so the Anthropic SDK (2.16) traces its own calls there
too. Langtrace's Chat Completions and Anthropic spans are started with ``start_span``,
never current, without a response id; it traces neither Anthropic's async calls nor, with
a cache count, the Responses API or a chat stream.

Prices as in ``test_call_shapes``: gpt-4o $0.00255, text-embedding-3-small 1,200 tokens
$0.000024 (https://platform.openai.com/docs/pricing), claude-sonnet-4-5 $0.002175
(https://docs.anthropic.com/en/docs/about-claude/pricing).
"""

from __future__ import annotations

import pytest

from tests.sources.test_call_shapes import ALL_CALLS, EMBEDDING, GPT_4O, SONNET

# gpt-4o with 1,200 input tokens and no cache count: OpenAI caches 1,024+ tokens on its
# own, so the cost is unknown (``test_sources.CACHE_UNSAID``).
GPT_4O_UNSAID = ("openai", "gpt-4o", 1200, 80, 0, 0, 1, 0)


@pytest.mark.parametrize("alone", [False, True])
def test_langtrace_alone(replay, alone):
    """Langtrace alone: 10 rows → 9. Its span of Claude's plain call (the API's 100 input
    tokens, no cache count) was a second row beside the Anthropic SDK's span of it,
    priced $0.0015 for $0.002175; it is now paired with the span inside it as a
    framework's, and alone would be usage-missing. Its ``gen_ai.usage.cached_tokens`` is
    read (2 chat calls: usage-missing → $0.00255 each); the Responses API calls and the
    chat stream have no cache count (unknown). Operations ``openai.responses.create`` and
    ``embed`` → ``chat``, ``embeddings``."""
    result = replay("langtrace_latest_calls", alone=alone)
    assert result.spans == 10
    assert result.rows() == [SONNET] * 3 + [GPT_4O_UNSAID] * 3 + [GPT_4O] * 2 + [EMBEDDING]
    assert result.rows("operation") == [("chat",)] * 8 + [("embeddings",)]
    assert result.metrics.spans_duplicate.value() == 1


@pytest.mark.parametrize("alone", [False, True])
def test_langtrace_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation: 13 rows for 9 calls (Claude's plain call twice,
    3 gpt-4o Chat Completions calls twice: Langtrace's spans of them are in traces of
    their own) → 9, $0.019299. Its sampler returns no attributes, which dropped the start
    attributes of tokentrace's spans (``instrumentation.span_attributes.start_span``
    sets them again): the 3 streams are flagged (0 before)."""
    result = replay("langtrace_latest_calls_tokentrace", alone=alone)
    assert result.spans == 19
    assert result.rows() == ALL_CALLS
    assert result.rows("stream") == [(0,)] * 6 + [(1,)] * 3
    assert result.metrics.spans_duplicate.value() == 10
