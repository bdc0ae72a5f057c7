"""The google-genai instrumentation (opentelemetry-instrumentation-google-genai 1.3b0,
util-genai 1.3b0, google-genai 2.34) on the newest GenAI conventions
(``OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental``, messages captured on the
span), replayed into chDB in one request and span by span, alone and beside tokentrace's
instrumentation: one row per call, exact cost, streams flagged.

Recorded by ``record.py``'s ``_google_genai_experimental``: a plain and a streamed call, then
the same two on a thinking model's usage (30 of the 80 output tokens thoughts: its
``gen_ai.usage.output_tokens`` counts them, ``gen_ai.usage.reasoning.output_tokens`` names
them). Each call 1,200 input tokens of which 1,000 cache reads, 80 output.

Price: gemini-2.5-flash $0.30 input, $0.03 cached input, $2.50 output (thinking included) per
million (https://ai.google.dev/gemini-api/docs/pricing): 200 × 0.30 + 1,000 × 0.03 + 80 × 2.50
= $0.00029 a call.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

FLASH = ("gcp.gemini", "gemini-2.5-flash", 1200, 80, 1000, 0, 0, Decimal("0.00029"))


@pytest.mark.parametrize("alone", [False, True])
@pytest.mark.parametrize(
    ("fixture", "duplicates"),
    [("google_genai_experimental", 0), ("google_genai_experimental_tokentrace", 4)],
)
def test_google_genai_experimental(replay, alone, fixture, duplicates):
    """4 calls, 4 rows, $0.00116; 2 streams flagged, the thoughts counted once (30)."""
    result = replay(fixture, alone=alone)
    assert result.rows() == [FLASH] * 4
    assert result.rows("sum(cost)") == [(Decimal("0.00116"),)]
    assert result.rows("stream", "reasoning_tokens") == [(0, 0), (0, 30), (1, 0), (1, 30)]
    assert result.metrics.spans_duplicate.value() == duplicates
