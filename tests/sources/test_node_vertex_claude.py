"""Claude on Vertex AI through the Vercel AI SDK's ``@ai-sdk/google-vertex/anthropic``, at the
stand-in's ``…/publishers/anthropic/models/{model}:rawPredict`` and ``:streamRawPredict``,
replayed into chDB in one request and span by span.

Recorded on 2026-12-03 (``record.cjs``: ``vercelVertexClaudeCalls``) with what npm installed
that day: ai 7.0.173 with @ai-sdk/google-vertex 5.0.141 and @ai-sdk/otel 1.0.173, ai 6.0.333
with @ai-sdk/google-vertex 4.0.208, ai 5.0.277 with @ai-sdk/google-vertex 3.0.187. Each makes
4 calls: Claude Sonnet 4 (``claude-sonnet-4@20250514``) and Sonnet 4.5
(``claude-sonnet-4-5@20250929``), generated and streamed, each of 1,200 input tokens (100
uncached, 1,000 cache reads, 100 cache writes) and 80 output. Their
``ai.response.providerMetadata`` keys the Messages API's usage ``anthropic``, as
@ai-sdk/anthropic does.

Prices (USD per million tokens): Claude Sonnet 4 on Vertex AI, one price on every endpoint,
input 3, cache read 0.30, 5-minute cache write 3.75, output 15
(https://cloud.google.com/vertex-ai/generative-ai/pricing, as Anthropic's own list
https://docs.anthropic.com/en/docs/about-claude/pricing): 100 × 3 + 1,000 × 0.30 + 100 ×
3.75 + 80 × 15 = $0.002175 a call. Claude Sonnet 4.5 costs 10% more on a regional endpoint
than on the global one (https://platform.claude.com/docs/en/build-with-claude/claude-on-vertex-ai);
the AI SDK's spans do not say which endpoint served the call, so its cost is unknown
(``no_rate``), never $0 nor the global rate by guess.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

SONNET_4 = ("gcp.vertex_ai", "claude-4-sonnet", 1200, 80, 1000, 100, 0, Decimal("0.002175"))
# counted in full, its price unknown: the endpoint (global or regional) is not said
SONNET_4_5 = ("gcp.vertex_ai", "claude-sonnet-4-5@20250929", 1200, 80, 1000, 100, 0, 0)


@pytest.mark.parametrize("alone", [False, True])
@pytest.mark.parametrize(("major", "spans"), [(7, 12), (6, 8), (5, 8)])
def test_vercel_ai_claude_on_vertex(replay, major, spans, alone):
    """4 rows, Claude Sonnet 4 at $0.002175 a call with its cache reads and writes, Sonnet 4.5
    counted in full and unpriced. The AI SDK 5 counts Claude's input without the cache
    (``ai.usage.promptTokens`` 100 on a plain call; a stream's 100 + 1,000 cache reads, no
    writes): it was read only where the provider was ``anthropic``, so on Vertex AI Sonnet 4
    cost $0.0015 plain and $0.0018 streamed; the Messages API's usage in the metadata is read
    now. The AI SDK 7's provider id ``googleVertex.anthropic.messages``, which @ai-sdk/otel
    passes through, was the row's provider, and Sonnet 4.5 was priced at Anthropic's global
    rate ($0.002175); it is ``gcp.vertex_ai`` now."""
    result = replay(f"vercel_ai_{major}_vertex_claude", alone=alone)
    assert result.spans == spans
    assert result.rows() == [SONNET_4, SONNET_4, SONNET_4_5, SONNET_4_5]
    assert result.rows("model", "stream", "priced", "unpriced_reason") == [
        ("claude-4-sonnet", 0, 1, ""), ("claude-4-sonnet", 1, 1, ""),
        ("claude-sonnet-4-5@20250929", 0, 0, "no_rate"),
        ("claude-sonnet-4-5@20250929", 1, 0, "no_rate"),
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 0


# Claude Sonnet 4.5 on Vertex AI's us-east5 endpoint, 10% above the global rate: input 3.30,
# cache read 0.33, 5-minute cache write 4.125, output 16.50 per million (genai-prices, from
# https://platform.claude.com/docs/en/build-with-claude/claude-on-vertex-ai): 100 × 3.30 +
# 1,000 × 0.33 + 100 × 4.125 + 80 × 16.50 = $0.0023925 a call.
SONNET_4_5_REGIONAL = (
    "gcp.vertex_ai", "claude-sonnet-4-5", 1200, 80, 1000, 100, 0, Decimal("0.0023925")
)  # fmt: skip


@pytest.mark.parametrize("alone", [False, True])
@pytest.mark.parametrize(("major", "spans"), [(7, 16), (6, 12)])
def test_vercel_ai_claude_on_vertex_beside_the_fetch_instrumentation(replay, major, spans, alone):
    """The same calls with the contrib fetch instrumentation on as well
    (@opentelemetry/instrumentation-undici 0.33.0, as auto-instrumentations-node sets it up;
    recorded 2026-12-04, ``vercel_ai_{7,6}_vertex_claude_undici``): a ``POST`` span beneath
    each model call, whose ``url.full`` names the endpoint
    (``…/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict``).
    It ends, so comes, before the call's span. Sonnet 4.5 was unpriced as without it (the
    HTTP spans ignored); the call now takes its location from its HTTP span: $0.0023925 at
    us-east5, in one request and span by span. The HTTP spans are no calls."""
    result = replay(f"vercel_ai_{major}_vertex_claude_undici", alone=alone)
    assert result.spans == spans
    assert result.rows() == [SONNET_4, SONNET_4, SONNET_4_5_REGIONAL, SONNET_4_5_REGIONAL]
    assert result.rows("stream") == [(0,), (0,), (1,), (1,)]
    assert result.metrics.spans_duplicate.value() == 0
    assert result.metrics.spans_ignored.value() == spans - 4


def test_vercel_ai_claude_on_vertex_global_endpoint(replay):
    """The same spans with the endpoint global (``locations/global`` in the HTTP spans'
    URLs): Sonnet 4.5 at the global rate, as Sonnet 4, $0.002175 a call."""
    result = replay(
        "vercel_ai_7_vertex_claude_undici",
        rewrite=lambda body: body.replace(b"/locations/us-east5/", b"/locations/global/"),
    )
    sonnet_4_5 = ("gcp.vertex_ai", "claude-sonnet-4-5", 1200, 80, 1000, 100, 0, Decimal("0.002175"))
    assert result.rows() == [SONNET_4, SONNET_4, sonnet_4_5, sonnet_4_5]


def test_vercel_ai_claude_on_vertex_beside_vercel_otel_fetch_spans(replay):
    """The same spans with the URL under ``http.url``, as @vercel/otel's fetch
    instrumentation (2.1.3, ``registerOTel``'s default in Next.js; its ``startSpan`` writes
    the older conventions' ``http.url``, never ``url.full``) records it: Sonnet 4.5 located
    as well, $0.0023925 at us-east5."""
    result = replay(
        "vercel_ai_7_vertex_claude_undici",
        rewrite=lambda body: body.replace(b'"url.full"', b'"http.url"'),
    )
    assert result.rows() == [SONNET_4, SONNET_4, SONNET_4_5_REGIONAL, SONNET_4_5_REGIONAL]
