"""OpenLIT 1.45 over ``AzureOpenAI``, replayed into chDB in one request and span by span:
one row per call, Azure's, and its stream estimate never stored as usage.

Recorded by ``record.py``'s ``_openlit_azure`` (openlit 1.45.0, openai 2.54) against the
stand-in's deployment paths: a plain chat, a stream with ``include_usage``, one without.
OpenLIT names these calls ``openai`` (its ``az.ai.openai`` constant is emitted by no release,
1.34 included) with ``server.address`` the resource's host: the stand-in's 127.0.0.1 is put
back as an Azure host (``*.openai.azure.com``) for the spans alone. Its stream without
``include_usage`` carries its own estimate (8 in, 27 out) and no cache count.

Prices: gpt-4o-2024-08-06 on Azure OpenAI, Global: $2.50 input, $1.25 cached input, $10
output per million
(https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/):
200 × 2.50 + 1,000 × 1.25 + 80 × 10 = $0.00255 a call.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

EXACT = ("azure.ai.openai", "gpt-4o", 1200, 80, 1000, 0, 0, Decimal("0.00255"))
# the stream without usage: OpenLIT's estimate dropped, the cost unknown (never $0)
MISSING = ("azure.ai.openai", "gpt-4o", 0, 0, 0, 0, 1, 0)


def _azure_host(body: bytes) -> bytes:
    """The spans as they are on Azure: the resource's host in ``server.address``."""
    return body.replace(b'"127.0.0.1"', b'"record.openai.azure.com"')


@pytest.mark.parametrize("alone", [False, True])
def test_openlit_azure_openai_alone(replay, alone):
    """3 calls, 3 rows: 2 × $0.00255 and the estimate usage-missing; 2 streams flagged."""
    result = replay("openlit_azure_openai", alone=alone, rewrite=_azure_host)
    assert result.rows() == [MISSING, EXACT, EXACT]
    assert result.rows("stream") == [(0,), (1,), (1,)]
    assert result.rows("sum(cost)") == [(Decimal("0.0051"),)]


@pytest.mark.parametrize("alone", [False, True])
def test_openlit_azure_openai_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation (which names Azure from the deployment path):
    3 rows for 3 calls, OpenLIT's spans the duplicates, with the stand-in's host as recorded."""
    result = replay("openlit_azure_openai_tokentrace", alone=alone)
    assert result.rows() == [MISSING, EXACT, EXACT]
    assert result.rows("sum(cost)") == [(Decimal("0.0051"),)]
    assert result.metrics.spans_duplicate.value() == 3
