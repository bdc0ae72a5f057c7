"""Amazon Bedrock, metered with nothing configured: the real anthropic SDK's `AnthropicBedrock`
(InvokeModel, Claude's Messages body; streamed in AWS event-stream framing) and httpx callers
of the Converse API (as LiteLLM's bedrock provider posts), against the Bedrock stand-in.

Prices per million tokens on Bedrock (https://aws.amazon.com/bedrock/pricing/, Anthropic
models; the same as genai-prices 0.2.3's `aws` entries):
- Claude 3.5 Haiku: input $0.80, output $4, cache write $1, cache read $0.08 (in-region and
  through a cross-region profile alike);
- Claude Haiku 4.5 through `global.`: input $1, output $5, cache write $1.25, cache read
  $0.10; in-region or through a geographic profile (`us.`, `eu.`…) 10% more: $1.10, $5.50,
  $1.375, $0.11.
Every call here reports 1,500 input tokens, of which 1,000 cache reads and 200 cache writes
(so 300 uncached), and 120 output tokens.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from decimal import Decimal

import anthropic
import httpx
import pytest
from botocore.eventstream import EventStreamBuffer
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tokentrace.instrumentation.api_keys import fingerprint
from tokentrace.instrumentation.bedrock_api import CONVERSE_STREAM, INVOKE, INVOKE_STREAM
from tokentrace.instrumentation.eventstream import EventStreamParser
from tokentrace.instrumentation.routing import api_for_path
from tokentrace.instrumentation.usage import Observed
from tokentrace.processor.extract.extractor import extract
from tokentrace.processor.pipeline import price_call
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.receivers import otlp_wire
from tokentrace.processor.standins import usage_header
from tokentrace.processor.standins.bedrock import message
from tokentrace.processor.standins.plan import dumps

from .conftest import instrumented, llm_spans, only_span, parse_split, span_cost

HAIKU_3_5 = "anthropic.claude-3-5-haiku-20241022-v1:0"
HAIKU_4_5 = "anthropic.claude-haiku-4-5-20251001-v1:0"
PROFILE_ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us." + HAIKU_4_5
USAGE = usage_header(input=1500, output=120, cache_read=1000, cache_creation=200)
MESSAGES = [{"role": "user", "content": "Summarise the invoice."}]
# 300 × 0.80 + 1,000 × 0.08 + 200 × 1 + 120 × 4 = 240 + 80 + 200 + 480 = 1,000 per million.
HAIKU_3_5_COST = Decimal("0.001")
# 300 × 1 + 1,000 × 0.10 + 200 × 1.25 + 120 × 5 = 300 + 100 + 250 + 600 = 1,250 per million.
HAIKU_4_5_GLOBAL = Decimal("0.00125")
# 300 × 1.10 + 1,000 × 0.11 + 200 × 1.375 + 120 × 5.50 = 330 + 110 + 275 + 660 = 1,375.
HAIKU_4_5_REGIONAL = Decimal("0.001375")
HOST = "bedrock-runtime.us-east-1.amazonaws.com"
CREDENTIALS = {
    "aws_access_key": "AKIAIOSFODNN7EXAMPLE",
    "aws_secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "aws_region": "us-east-1",
}


@pytest.fixture
def bare(standin) -> Iterator[InMemorySpanExporter]:
    """httpx/httpx2 instrumented with nothing configured (no `TOKENTRACE_PROVIDER_URLS`)."""
    with instrumented(standin, provider_urls="") as exporter:
        yield exporter


def through_aws(standin, **kwargs) -> anthropic.AnthropicBedrock:
    """The SDK calling Bedrock's own host name, sent through the stand-in as a proxy."""
    return anthropic.AnthropicBedrock(
        **CREDENTIALS,
        base_url=f"http://{HOST}",
        http_client=anthropic.DefaultHttpxClient(proxy=standin.root),
        max_retries=0,
        **kwargs,
    )


def assert_bedrock_call(span, model: str, stream: bool, cost: Decimal) -> None:
    found = span.attributes
    assert found["gen_ai.provider.name"] == "aws.bedrock"
    assert found["gen_ai.operation.name"] == "chat"
    assert found["gen_ai.request.model"] == model
    assert found["gen_ai.request.stream"] is stream
    assert found["gen_ai.usage.input_tokens"] == 1500
    assert found["gen_ai.usage.output_tokens"] == 120
    assert found["gen_ai.usage.cache_read.input_tokens"] == 1000
    assert found["gen_ai.usage.cache_creation.input_tokens"] == 200
    assert found["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert "tokentrace.usage.missing" not in found
    assert span_cost(span) == cost


def test_anthropic_bedrock_invoke_through_the_aws_host(standin, bare):
    message_ = through_aws(standin).messages.create(
        model=HAIKU_3_5, max_tokens=1000, messages=MESSAGES, extra_headers=USAGE
    )

    assert message_.usage.input_tokens == 300
    assert [request.path for request in standin.requests] == [
        f"http://{HOST}/model/{HAIKU_3_5}/invoke"
    ]
    span = only_span(bare)
    assert span.name == f"chat {HAIKU_3_5}"
    # The SigV4 credential's access key id, fingerprinted (`api_keys`), never the key.
    assert span.attributes["tokentrace.api_key"] == fingerprint("AKIAIOSFODNN7EXAMPLE")
    assert span.attributes["tokentrace.api_key"].startswith("AKI…MPLE#")
    assert span.attributes["server.address"] == HOST
    assert span.attributes["gen_ai.response.model"] == "claude-3-5-haiku-20241022"
    assert_bedrock_call(span, HAIKU_3_5, False, HAIKU_3_5_COST)


def test_anthropic_bedrock_stream_of_a_regional_profile(standin, bare):
    model = "us." + HAIKU_4_5
    with through_aws(standin).messages.stream(
        model=model, max_tokens=1000, messages=MESSAGES, extra_headers=USAGE
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()

    assert text.startswith("Stand-in replies") and final.usage.output_tokens == 120
    assert standin.requests[0].path.endswith(f"/model/{model}/invoke-with-response-stream")
    span = only_span(bare)
    # Priced by the profile (10% over global), not by the bare name Claude answers with.
    assert span.attributes["gen_ai.response.model"] == "claude-haiku-4-5-20251001"
    assert_bedrock_call(span, model, True, HAIKU_4_5_REGIONAL)


def test_async_anthropic_bedrock_with_an_inference_profile_arn(standin, bare):
    """The SDK URL-encodes the ARN's `/`; the request model is the decoded ARN."""

    async def run():
        client = anthropic.AsyncAnthropicBedrock(
            **CREDENTIALS, base_url=standin.root + "/bedrock", max_retries=0
        )
        answer = await client.messages.create(
            model=PROFILE_ARN, max_tokens=1000, messages=MESSAGES, extra_headers=USAGE
        )
        await client.close()
        return answer

    answer = asyncio.run(run())

    assert answer.usage.cache_read_input_tokens == 1000
    assert "inference-profile%2Fus.anthropic" in standin.requests[0].path
    assert_bedrock_call(only_span(bare), PROFILE_ARN, False, HAIKU_4_5_REGIONAL)


def test_async_anthropic_bedrock_stream_of_a_global_profile_through_a_proxy(standin, bare):
    """A gateway on an unknown host, nothing configured: the Bedrock path and model id name
    Bedrock."""
    model = "global." + HAIKU_4_5

    async def run():
        client = anthropic.AsyncAnthropicBedrock(
            **CREDENTIALS, base_url=standin.root + "/bedrock", max_retries=0
        )
        stream = await client.messages.create(
            model=model, max_tokens=1000, messages=MESSAGES, stream=True, extra_headers=USAGE
        )
        events = [event.type async for event in stream]
        await client.close()
        return events

    events = asyncio.run(run())

    assert events[0] == "message_start" and events[-1] == "message_stop"
    assert_bedrock_call(only_span(bare), model, True, HAIKU_4_5_GLOBAL)


def test_the_application_reads_the_very_event_stream_bytes_sent(standin, bare):
    """The stream is handed on byte for byte: botocore's decoder (CRCs checked) reads every
    message the stand-in wrote."""
    url = f"{standin.root}/bedrock/model/{HAIKU_3_5}/invoke-with-response-stream"
    with (
        httpx.Client() as client,
        client.stream("POST", url, json={"messages": MESSAGES}, headers=USAGE) as response,
    ):
        received = b"".join(response.iter_raw())

    assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
    assert received == standin.sent[0]
    buffer = EventStreamBuffer()
    buffer.add_data(received)
    # message_start, content_block_start, ping, 8 deltas, content_block_stop, message_delta, stop
    assert [event.headers[":event-type"] for event in buffer] == ["chunk"] * 14
    assert_bedrock_call(only_span(bare), HAIKU_3_5, True, HAIKU_3_5_COST)


@pytest.mark.parametrize("stream", [False, True])
def test_converse_through_httpx(standin, bare, stream):
    """The Converse API as LiteLLM's bedrock provider calls it: SigV4-signed by the caller,
    posted with httpx. Converse's `inputTokens` leaves out the cache."""
    model = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    operation = "converse-stream" if stream else "converse"
    body = {"messages": [{"role": "user", "content": [{"text": "Summarise the invoice."}]}]}
    with httpx.Client(proxy=standin.root) as client:
        response = client.post(f"http://{HOST}/model/{model}/{operation}", json=body, headers=USAGE)

    assert response.status_code == 200
    if stream:
        buffer = EventStreamBuffer()
        buffer.add_data(response.content)
        names = [event.headers[":event-type"] for event in buffer]
        assert names[0] == "messageStart" and names[-2:] == ["messageStop", "metadata"]
    else:
        assert response.json()["usage"]["inputTokens"] == 300
    assert_bedrock_call(only_span(bare), model, stream, HAIKU_3_5_COST)


@pytest.mark.parametrize("stream", [False, True])
def test_amazon_nova_through_invoke_model(standin, bare, stream):
    """Nova's own invoke body (Converse's usage shape, its cache counts named
    `cacheReadInputTokenCount`); streamed, its events in `chunk`s, the usage in `metadata`.
    Amazon Nova Pro in the US (https://aws.amazon.com/bedrock/pricing/): input $0.80, cache
    read $0.20, output $3.20 per million: 500 × 0.80 + 1,000 × 0.20 + 120 × 3.20 = 400 + 200
    + 384 = $0.000984."""
    model = "us.amazon.nova-pro-v1:0"
    operation = "invoke-with-response-stream" if stream else "invoke"
    usage = usage_header(input=1500, output=120, cache_read=1000)
    body = {"messages": [{"role": "user", "content": [{"text": "Summarise the invoice."}]}]}
    with httpx.Client(proxy=standin.root) as client:
        response = client.post(f"http://{HOST}/model/{model}/{operation}", json=body, headers=usage)

    assert response.status_code == 200
    found = only_span(bare).attributes
    assert found["gen_ai.provider.name"] == "aws.bedrock"
    assert found["gen_ai.request.stream"] is stream
    assert (found["gen_ai.usage.input_tokens"], found["gen_ai.usage.output_tokens"]) == (1500, 120)
    assert found["gen_ai.usage.cache_read.input_tokens"] == 1000
    assert found["gen_ai.response.finish_reasons"] == ("end_turn",)
    assert span_cost(only_span(bare)) == Decimal("0.000984")


@pytest.mark.parametrize("stream", [False, True])
def test_meta_llama_through_invoke_model(standin, bare, stream):
    """Llama's own invoke body has no usage object: a plain answer's counts are read from
    Bedrock's `x-amzn-bedrock-input-token-count` / `-output-token-count` headers, a stream's
    from its last chunk's `amazon-bedrock-invocationMetrics`. Llama 3.3 70B Instruct
    (https://aws.amazon.com/bedrock/pricing/): $0.72 per million input and output tokens:
    (1,500 + 120) × 0.72 = $0.0011664."""
    model = "us.meta.llama3-3-70b-instruct-v1:0"
    operation = "invoke-with-response-stream" if stream else "invoke"
    body = {"prompt": "Summarise the invoice.", "max_gen_len": 200}
    usage = usage_header(input=1500, output=120)
    with httpx.Client(proxy=standin.root) as client:
        response = client.post(f"http://{HOST}/model/{model}/{operation}", json=body, headers=usage)

    assert response.status_code == 200
    span = only_span(bare)
    found = span.attributes
    assert (found["gen_ai.usage.input_tokens"], found["gen_ai.usage.output_tokens"]) == (1500, 120)
    assert found["gen_ai.request.stream"] is stream
    assert span_cost(span) == Decimal("0.0011664")


def test_an_embedding_model_through_invoke_model(standin, bare):
    """An embedding model's InvokeModel is an `embeddings` call, its input count read from
    Bedrock's header. Amazon Titan Text Embeddings V2 (https://aws.amazon.com/bedrock/pricing/):
    $0.02 per million input tokens: 1,500 × 0.02 = $0.00003."""
    model = "amazon.titan-embed-text-v2:0"
    with httpx.Client(proxy=standin.root) as client:
        response = client.post(
            f"http://{HOST}/model/{model}/invoke",
            json={"inputText": "Summarise the invoice."},
            headers=usage_header(input=1500),
        )

    assert response.json()["inputTextTokenCount"] == 1500
    span = only_span(bare)
    assert span.name == f"embeddings {model}"
    assert span.attributes["gen_ai.usage.input_tokens"] == 1500
    assert "gen_ai.usage.output_tokens" not in span.attributes
    assert span_cost(span) == Decimal("0.00003")


def test_a_call_served_at_another_tier_is_not_priced_at_the_standard_rates(standin, bare):
    """Converse names the tier that served the call (`serviceTier`); Bedrock's flex and
    priority tiers bill other rates than the price data's standard ones, which it lacks: the
    call is stored unpriced (`no_rate`), never at the standard price."""
    model = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    body = {
        "messages": [{"role": "user", "content": [{"text": "Summarise the invoice."}]}],
        "serviceTier": {"type": "flex"},
    }
    with httpx.Client(proxy=standin.root) as client:
        client.post(f"http://{HOST}/model/{model}/converse", json=body, headers=USAGE)

    span = only_span(bare)
    assert span.attributes["openai.response.service_tier"] == "flex"
    wire = otlp_wire.TraceRequest.FromString(encode_spans([span]).SerializeToString())
    (call,) = extract(wire, span.start_time).calls
    price = price_call(Pricer(prices_file=""), call)
    assert (price.priced, price.reason) == (False, "no_rate")


def test_invoke_headers_name_the_tier_and_counts():
    seen = Observed()
    INVOKE.observe_headers(
        [
            (b"X-Amzn-Bedrock-Service-Tier", b"x-amzn-bedrock-service-tier", b"priority"),
            (b"X-Amzn-Bedrock-Input-Token-Count", b"x-amzn-bedrock-input-token-count", b"42"),
            (b"X-Amzn-Bedrock-Output-Token-Count", b"x-amzn-bedrock-output-token-count", b"7"),
        ],
        seen,
    )
    assert seen.service_tier == "priority"
    usage = INVOKE.usage(seen.raw_usage)
    assert (usage.input_tokens, usage.output_tokens) == (42, 7)


def test_mapped_provider_urls_keep_bedrock_calls_bedrock(standin, provider):
    """With every stand-in prefix mapped (`aws.bedrock=…/bedrock` among them)."""
    with instrumented(standin, provider) as exporter:
        through = anthropic.AnthropicBedrock(
            **CREDENTIALS, base_url=standin.root + "/bedrock", max_retries=0
        )
        through.messages.create(
            model=HAIKU_3_5, max_tokens=1000, messages=MESSAGES, extra_headers=USAGE
        )
    assert_bedrock_call(only_span(exporter), HAIKU_3_5, False, HAIKU_3_5_COST)


def test_a_throttled_call_and_a_cut_stream(standin, bare):
    client = through_aws(standin)
    with pytest.raises(anthropic.RateLimitError):
        client.messages.create(
            model=HAIKU_3_5,
            max_tokens=100,
            messages=MESSAGES,
            extra_headers={"x-standin-fail": "429"},
        )
    with pytest.raises(Exception):  # noqa: B017 - the SDK's error for a body cut short
        for _ in client.messages.create(
            model=HAIKU_3_5,
            max_tokens=100,
            messages=MESSAGES,
            stream=True,
            extra_headers={**USAGE, "x-standin-fail": "cut"},
        ):
            pass

    throttled, cut = llm_spans(bare)
    assert throttled.attributes["http.response.status_code"] == 429
    assert throttled.attributes["error.type"] == "429"
    assert "gen_ai.usage.input_tokens" not in cut.attributes
    assert cut.attributes["gen_ai.request.stream"] is True
    assert "error.type" in cut.attributes


def test_a_model_path_that_is_not_bedrocks_is_no_llm_call(standin, bare):
    """`/model/{id}/invoke` on an unknown host with a name of no Bedrock form: not metered."""
    with httpx.Client() as client:
        client.post(f"{standin.root}/model/resnet/invoke", json={"inputs": [1, 2]})
    assert llm_spans(bare) == []


def test_bedrock_paths_are_recognised_by_their_operation():
    assert api_for_path(f"/model/{HAIKU_3_5}/invoke-with-response-stream") is INVOKE_STREAM
    assert api_for_path(f"/proxy/model/{PROFILE_ARN}/converse-stream") is CONVERSE_STREAM
    assert api_for_path("/models/x/invoke") is None
    assert api_for_path("/model/cohere.embed-english-v3/invoke").operation == "embeddings"


def test_an_invoke_stream_without_usage_of_its_own_reads_bedrocks_invocation_metrics():
    """Any model's invoke stream ends with Bedrock's `amazon-bedrock-invocationMetrics`
    (here Meta Llama's events, whose counts are not a usage object)."""
    events = [
        {"generation": "Hi", "prompt_token_count": 12, "generation_token_count": 1},
        {
            "generation": "",
            "stop_reason": "stop",
            "amazon-bedrock-invocationMetrics": {
                "inputTokenCount": 12,
                "outputTokenCount": 2,
                "invocationLatency": 300,
                "firstByteLatency": 100,
            },
        },
    ]
    data = b"".join(
        message({":event-type": "chunk"}, b'{"bytes":"%s"}' % base64.b64encode(dumps(event)))
        for event in events
    )
    seen = parse_split(EventStreamParser, INVOKE_STREAM, data, [len(data) // 3])
    assert seen.usage_final

    usage = INVOKE_STREAM.usage(seen.raw_usage)
    assert (usage.input_tokens, usage.output_tokens) == (12, 2)


def test_a_chunk_whose_json_escapes_the_slashes_of_its_base64():
    """JSON may write `/` as `\\/`: such a chunk is decoded as JSON, not skipped."""
    usage = {"input_tokens": 3, "output_tokens": 4}
    event = dumps({"type": "message_delta", "delta": {"text": "???????"}, "usage": usage})
    encoded = base64.b64encode(event)
    assert b"/" in encoded
    payload = b'{"bytes":"%s"}' % encoded.replace(b"/", b"\\/")
    seen = parse_split(
        EventStreamParser, INVOKE_STREAM, message({":event-type": "chunk"}, payload), []
    )
    assert seen.raw_usage == usage


def test_event_stream_read_in_any_split():
    """Messages split anywhere (even inside the prelude) are read whole; an exception message
    is the call's error."""
    usage = b'{"usage":{"inputTokens":3,"outputTokens":4},"p":"abc"}'
    data = (
        message({":event-type": "messageStart"}, b'{"role":"assistant"}')
        + message({":event-type": "contentBlockDelta"}, b'{"delta":{"text":"Hi"}}')
        + message({":event-type": "metadata"}, usage)
    )
    for cut in range(len(data)):
        seen = parse_split(EventStreamParser, CONVERSE_STREAM, data, [cut])
        assert seen.raw_usage == {"inputTokens": 3, "outputTokens": 4}
    failure = message(
        {":message-type": "exception", ":exception-type": "throttlingException"}, b"{}"
    )
    seen = parse_split(EventStreamParser, CONVERSE_STREAM, data + failure, [7, 100])
    assert seen.error_type == "throttlingException"
    with pytest.raises(ValueError):
        EventStreamParser(CONVERSE_STREAM.sse_marker, print).feed(b"data: {}\n\n" * 2)


@pytest.mark.parametrize("stream", [False, True])
def test_latency_optimized_calls_are_not_priced_at_the_standard_rates(standin, bare, stream):
    """Converse names the latency a call was served at (`performanceConfig`): latency-optimized
    inference bills other rates than standard, and a call past the optimized quota is served
    and billed as standard
    (https://docs.aws.amazon.com/bedrock/latest/userguide/latency-optimized-inference.html).
    The price data has no optimized rate: the call is unpriced (`no_rate`). It was priced at
    the standard rates (Nova Pro $0.80 / $3.20, https://aws.amazon.com/bedrock/pricing/)."""
    model = "us.amazon.nova-pro-v1:0"
    body = {
        "messages": [{"role": "user", "content": [{"text": "Summarise the invoice."}]}],
        "performanceConfig": {"latency": "optimized"},
    }
    operation = "converse-stream" if stream else "converse"
    with httpx.Client(proxy=standin.root) as client:
        client.post(f"http://{HOST}/model/{model}/{operation}", json=body, headers=USAGE)

    span = only_span(bare)
    assert span.attributes["openai.response.service_tier"] == "latency-optimized"
    wire = otlp_wire.TraceRequest.FromString(encode_spans([span]).SerializeToString())
    (call,) = extract(wire, span.start_time).calls
    price = price_call(Pricer(prices_file=""), call)
    assert (price.priced, price.reason) == (False, "no_rate")


def test_invoke_header_names_latency_optimized_inference():
    seen = Observed()
    INVOKE.observe_headers(
        [
            (b"X-Amzn-Bedrock-Service-Tier", b"x-amzn-bedrock-service-tier", b"standard"),
            (
                b"X-Amzn-Bedrock-PerformanceConfig-Latency",
                b"x-amzn-bedrock-performanceconfig-latency",
                b"optimized",
            ),
        ],
        seen,
    )
    assert seen.service_tier == "latency-optimized"
