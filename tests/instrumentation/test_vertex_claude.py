"""Claude on Vertex AI through the real anthropic SDK (`AnthropicVertex`), with nothing
configured: metered as `gcp.vertex_ai`, and priced at the endpoint's rates.

The SDK moves the model into the path
(`/v1/projects/{p}/locations/{l}/publishers/anthropic/models/{model}:rawPredict`, or
`:streamRawPredict` for a stream). From Claude Sonnet 4.5 on, Vertex AI bills a regional
endpoint 10 % above the global one (https://cloud.google.com/vertex-ai/generative-ai/pricing;
https://platform.claude.com/docs/en/build-with-claude/claude-on-vertex-ai), so the request model
is the path's resource name, location included. Claude Sonnet 4.5 lists input $3, cache read
$0.30, 5-minute cache write $3.75, output $15 per million tokens
(https://platform.claude.com/docs/en/about-claude/pricing).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import anthropic
import pytest

from tokentrace.processor.standins import usage_header

from .conftest import only_span, span_cost

MODEL = "claude-sonnet-4-5@20250929"
MESSAGES = [{"role": "user", "content": "Summarise the invoice."}]
# 1,500 input tokens: 1,000 cache reads, 200 cache writes, so 300 uncached; 120 output.
USAGE = usage_header(input=1500, output=120, cache_read=1000, cache_creation=200)
# 300 × 3 + 1,000 × 0.30 + 200 × 3.75 + 120 × 15 = 900 + 300 + 750 + 1,800 = 3,750 per million.
GLOBAL = Decimal("0.00375")
REGIONAL = GLOBAL * Decimal("1.1")  # $0.004125


def vertex(region: str, **kwargs) -> dict:
    return {"region": region, "project_id": "acme-prod", "access_token": "ya29.t", **kwargs}


@pytest.mark.parametrize(("region", "expected"), [("us-east5", REGIONAL), ("global", GLOBAL)])
def test_vertex_claude_through_the_real_host_names_priced_at_its_endpoint(
    standin, exporter, region, expected
):
    host = (
        "aiplatform.googleapis.com" if region == "global" else f"{region}-aiplatform.googleapis.com"
    )
    client = anthropic.AnthropicVertex(
        **vertex(region),
        base_url=f"http://{host}/v1",
        http_client=anthropic.DefaultHttpxClient(proxy=standin.root),
        max_retries=0,
    )
    message = client.messages.create(
        model=MODEL, max_tokens=1000, messages=MESSAGES, extra_headers=USAGE
    )

    assert message.usage.input_tokens == 300
    path = f"/v1/projects/acme-prod/locations/{region}/publishers/anthropic/models/{MODEL}"
    assert [request.path for request in standin.requests] == [f"http://{host}{path}:rawPredict"]
    span = only_span(exporter)
    found = span.attributes
    assert found["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert found["gen_ai.request.model"] == path.removeprefix("/v1/")
    assert found["gen_ai.request.stream"] is False
    assert (found["gen_ai.usage.input_tokens"], found["gen_ai.usage.output_tokens"]) == (1500, 120)
    assert span_cost(span) == expected


def test_vertex_claude_stream_through_a_proxy_nothing_configured(standin, exporter):
    """A private endpoint or proxy on an unknown host: the resource path names Vertex AI."""

    async def run() -> list:
        client = anthropic.AsyncAnthropicVertex(
            **vertex("europe-west1"), base_url=standin.root + "/v1", max_retries=0
        )
        stream = await client.messages.create(
            model=MODEL, max_tokens=1000, messages=MESSAGES, stream=True, extra_headers=USAGE
        )
        events = [event async for event in stream]
        await client.close()
        return events

    events = asyncio.run(run())

    assert events[0].type == "message_start" and events[-1].type == "message_stop"
    assert standin.requests[0].path.endswith(f"/models/{MODEL}:streamRawPredict")
    span = only_span(exporter)
    found = span.attributes
    assert found["gen_ai.provider.name"] == "gcp.vertex_ai"
    assert found["gen_ai.request.stream"] is True
    assert found["gen_ai.usage.cache_read.input_tokens"] == 1000
    assert span_cost(span) == REGIONAL
