"""The real openai SDK (httpx2 underneath) against the stand-in: every API, exact attributes."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import openai
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.trace import SpanKind, StatusCode

from tokentrace.processor.extract.extractor import extract
from tokentrace.processor.pipeline import price_call
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.receivers import otlp_wire
from tokentrace.processor.standins import usage_header

from .conftest import attributes, call_attributes, only_span

MESSAGES = [{"role": "user", "content": "What does a token cost?"}]  # 5 + 32 // 4 ... see plan
USAGE = usage_header(input=1200, output=90, cache_read=1000, reasoning=40)


def client(standin, **kwargs) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=standin.base_url("openai"), api_key="sk-test", max_retries=0, **kwargs
    )


def chat_usage() -> dict:
    return {
        "gen_ai.usage.input_tokens": 1200,
        "gen_ai.usage.output_tokens": 90,
        "gen_ai.usage.cache_read.input_tokens": 1000,
        "gen_ai.usage.reasoning.output_tokens": 40,
    }


def test_chat_completion(standin, exporter):
    reply = client(standin).chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers=USAGE
    )

    assert reply.usage.prompt_tokens == 1200
    span = only_span(exporter)
    assert span.name == "chat gpt-4o-mini"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert attributes(span) == {
        **call_attributes(standin, "openai", "chat", "gpt-4o-mini"),
        "gen_ai.response.id": reply.id,
        "gen_ai.response.model": "gpt-4o-mini-2024-08-06",
        "gen_ai.response.finish_reasons": ["stop"],
        **chat_usage(),
    }


def test_chat_stream_with_include_usage(standin, exporter):
    stream = client(standin).chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers=USAGE,
    )
    chunks = list(stream)

    span = only_span(exporter)
    assert attributes(span, ttfc=True) == {
        **call_attributes(standin, "openai", "chat", "gpt-4o-mini", stream=True),
        "gen_ai.response.id": chunks[0].id,
        "gen_ai.response.model": "gpt-4o-mini-2024-08-06",
        "gen_ai.response.finish_reasons": ["stop"],
        **chat_usage(),
    }


def test_chat_stream_without_include_usage_is_marked_missing(standin, exporter):
    stream = client(standin).chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers=USAGE
    )
    chunks = list(stream)

    assert attributes(only_span(exporter), ttfc=True) == {
        **call_attributes(standin, "openai", "chat", "gpt-4o-mini", stream=True),
        "gen_ai.response.id": chunks[0].id,
        "gen_ai.response.model": "gpt-4o-mini-2024-08-06",
        "gen_ai.response.finish_reasons": ["stop"],
        "tokentrace.usage.missing": True,
    }


def test_span_lasts_until_the_stream_is_consumed(standin, exporter):
    stream = client(standin).chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    next(iter(stream))
    assert exporter.get_finished_spans() == ()
    list(stream)
    assert only_span(exporter).attributes["gen_ai.usage.output_tokens"] == 8


def test_responses_api(standin, exporter):
    reply = client(standin).responses.create(model="gpt-5", input="Hello", extra_headers=USAGE)

    assert attributes(only_span(exporter)) == {
        **call_attributes(standin, "openai", "chat", "gpt-5"),
        "gen_ai.response.id": reply.id,
        "gen_ai.response.model": "gpt-5-2024-08-06",
        "gen_ai.response.finish_reasons": ["completed"],
        **chat_usage(),
    }


def test_responses_api_stream_reads_usage_from_response_completed(standin, exporter):
    events = list(
        client(standin).responses.create(
            model="gpt-5", input="Hello", stream=True, extra_headers=USAGE
        )
    )

    assert events[-1].type == "response.completed"
    assert attributes(only_span(exporter), ttfc=True) == {
        **call_attributes(standin, "openai", "chat", "gpt-5", stream=True),
        "gen_ai.response.id": events[-1].response.id,
        "gen_ai.response.model": "gpt-5-2024-08-06",
        "gen_ai.response.finish_reasons": ["completed"],
        **chat_usage(),
    }


@pytest.mark.parametrize(
    ("tier", "cost"),
    [
        # gpt-5-mini, 200 uncached + 1,000 cached input and 90 output tokens. Flex: half the
        # standard $0.25 / $0.025 / $2 (https://platform.openai.com/docs/guides/flex-processing):
        # 200 x 0.125 + 1,000 x 0.0125 + 90 x 1. Priority $0.45 / $0.045 / $3.60
        # (https://openai.com/api-priority-processing/): 200 x 0.45 + 1,000 x 0.045 + 90 x 3.6.
        ("flex", "0.0001275"),
        ("priority", "0.000459"),
    ],
)
def test_a_tier_other_than_the_default_is_recorded_and_priced(standin, exporter, tier, cost):
    # OpenAI names the tier that served the call: flex bills half the standard rates,
    # priority more. "default" is the standard price and is not recorded.
    openai_client = client(standin)
    reply = openai_client.chat.completions.create(
        model="gpt-5-mini", messages=MESSAGES, service_tier=tier, extra_headers=USAGE
    )
    assert reply.service_tier == tier
    span = only_span(exporter)
    assert span.attributes["openai.response.service_tier"] == tier
    wire = otlp_wire.TraceRequest.FromString(encode_spans([span]).SerializeToString())
    (call,) = extract(wire, span.start_time).calls
    assert price_call(Pricer(""), call).cost == Decimal(cost)
    exporter.clear()
    events = list(
        openai_client.responses.create(
            model="gpt-5", input="Hello", service_tier=tier, stream=True, extra_headers=USAGE
        )
    )
    assert events[-1].response.service_tier == tier
    assert only_span(exporter).attributes["openai.response.service_tier"] == tier


@pytest.mark.parametrize(
    ("model", "cost"),
    [
        # 1,000 prompt tokens, 600 of them audio; 900 completion tokens, 800 of them audio.
        # GPT-4o Audio: text $2.50 / $10, audio $40 / $80
        # (https://developers.openai.com/api/docs/models/gpt-4o-audio-preview):
        # 400 x 2.5 + 600 x 40 + 100 x 10 + 800 x 80 = 1,000 + 24,000 + 1,000 + 64,000.
        ("gpt-4o-audio-preview-2025-06-03", "0.09"),
        # GPT-4o mini Audio: text $0.15 / $0.60, audio $10 / $20
        # (https://developers.openai.com/api/docs/models/gpt-4o-mini-audio-preview):
        # 400 x 0.15 + 600 x 10 + 100 x 0.6 + 800 x 20 = 60 + 6,000 + 60 + 16,000.
        ("gpt-4o-mini-audio-preview-2024-12-17", "0.02212"),
        # gpt-audio: text $2.50 / $10, audio $32 / $64 ("Audio is priced at $32 per million
        # input tokens and $64 per million output tokens",
        # https://developers.openai.com/api/docs/models/gpt-audio):
        # 400 x 2.5 + 600 x 32 + 100 x 10 + 800 x 64 = 1,000 + 19,200 + 1,000 + 51,200.
        ("gpt-audio-2025-08-28", "0.0724"),
        # GPT-Audio-1.5, the same rates (https://developers.openai.com/api/docs/models/
        # gpt-audio-1.5: text $2.50 / $10, audio $32 / $64).
        ("gpt-audio-1.5", "0.0724"),
    ],
)
def test_chat_audio_tokens_priced_at_their_own_rates(standin, exporter, model, cost):
    reply = client(standin).chat.completions.create(
        model=model,
        modalities=["text", "audio"],
        audio={"voice": "alloy", "format": "wav"},
        messages=MESSAGES,
        extra_headers=usage_header(input=1000, output=900, audio_input=600, audio_output=800),
    )
    assert reply.usage.prompt_tokens_details.audio_tokens == 600
    span = only_span(exporter)
    assert span.attributes["gen_ai.usage.audio.input_tokens"] == 600
    assert span.attributes["gen_ai.usage.audio.output_tokens"] == 800
    wire = otlp_wire.TraceRequest.FromString(encode_spans([span]).SerializeToString())
    (call,) = extract(wire, span.start_time).calls
    assert price_call(Pricer(""), call).cost == Decimal(cost)


@pytest.mark.parametrize("stream", [False, True])
def test_xai_reasoning_outside_its_completion_tokens_is_counted(standin, exporter, stream):
    # xAI's chat usage: completion_tokens 50 leave out the 40 reasoning tokens, which its
    # total_tokens (1,290) counts. All 90 are billed as output: grok-4.3 at $1.25 input,
    # $0.20 cached, $2.50 output (https://docs.x.ai/developers/pricing):
    # 200 x 1.25 + 1,000 x 0.2 + 90 x 2.5.
    xai = openai.OpenAI(base_url=standin.base_url("xai"), api_key="xai-test", max_retries=0)
    options = {"stream": True, "stream_options": {"include_usage": True}} if stream else {}
    reply = xai.chat.completions.create(
        model="grok-4.3", messages=MESSAGES, extra_headers=USAGE, **options
    )
    usage = [chunk.usage for chunk in reply if chunk.usage][-1] if stream else reply.usage
    assert (usage.completion_tokens, usage.total_tokens) == (50, 1290)
    span = only_span(exporter)
    assert {key: span.attributes[key] for key in chat_usage()} == chat_usage()
    wire = otlp_wire.TraceRequest.FromString(encode_spans([span]).SerializeToString())
    (call,) = extract(wire, span.start_time).calls
    assert price_call(Pricer(""), call).cost == Decimal("0.000675")


def test_groq_stream_usage_is_read_from_x_groq(standin, exporter):
    # Groq puts a stream's usage in its last chunk's ``x_groq.usage`` without being asked.
    # openai/gpt-oss-120b on Groq at $0.15 input, $0.075 cached, $0.60 output
    # (https://groq.com/pricing, https://console.groq.com/docs/prompt-caching):
    # 200 x 0.15 + 1,000 x 0.075 + 90 x 0.60.
    groq = openai.OpenAI(base_url=standin.base_url("groq"), api_key="gsk-test", max_retries=0)
    chunks = list(
        groq.chat.completions.create(
            model="openai/gpt-oss-120b", messages=MESSAGES, extra_headers=USAGE, stream=True
        )
    )
    assert not any(chunk.usage for chunk in chunks)
    span = only_span(exporter)
    assert span.attributes["gen_ai.provider.name"] == "groq"
    assert {key: span.attributes[key] for key in chat_usage()} == chat_usage()
    wire = otlp_wire.TraceRequest.FromString(encode_spans([span]).SerializeToString())
    (call,) = extract(wire, span.start_time).calls
    assert price_call(Pricer(""), call).cost == Decimal("0.000159")


def test_embeddings(standin, exporter):
    result = client(standin).embeddings.create(
        model="text-embedding-3-small", input=["a", "b"], extra_headers=usage_header(input=7)
    )

    assert len(result.data) == 2
    span = only_span(exporter)
    assert span.name == "embeddings text-embedding-3-small"
    assert attributes(span) == {
        **call_attributes(standin, "openai", "embeddings", "text-embedding-3-small"),
        "gen_ai.response.model": "text-embedding-3-small",
        "gen_ai.usage.input_tokens": 7,
    }


@pytest.mark.parametrize("stream", [False, True])
def test_legacy_completions(standin, exporter, stream):
    kwargs = {"stream": True, "stream_options": {"include_usage": True}} if stream else {}
    result = client(standin).completions.create(
        model="gpt-3.5-turbo-instruct", prompt="Say hi", extra_headers=USAGE, **kwargs
    )
    first = next(iter(result)) if stream else result
    if stream:
        list(result)

    span = only_span(exporter)
    assert span.name == "text_completion gpt-3.5-turbo-instruct"
    assert attributes(span, ttfc=stream) == {
        **call_attributes(standin, "openai", "text_completion", "gpt-3.5-turbo-instruct", stream),
        "gen_ai.response.id": first.id,
        "gen_ai.response.model": "gpt-3.5-turbo-instruct-2024-08-06",
        "gen_ai.response.finish_reasons": ["stop"],
        **chat_usage(),
    }


def test_async_client_stream(standin, exporter):
    async def run() -> list:
        async with openai.AsyncOpenAI(
            base_url=standin.base_url("openai"), api_key="sk-test", max_retries=0
        ) as aclient:
            stream = await aclient.chat.completions.create(
                model="gpt-4o",
                messages=MESSAGES,
                stream=True,
                stream_options={"include_usage": True},
                extra_headers=USAGE,
            )
            return [chunk async for chunk in stream]

    chunks = asyncio.run(run())
    assert attributes(only_span(exporter), ttfc=True) == {
        **call_attributes(standin, "openai", "chat", "gpt-4o", stream=True),
        "gen_ai.response.id": chunks[0].id,
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.response.finish_reasons": ["stop"],
        **chat_usage(),
    }


def test_mistral_streams_usage_without_being_asked(standin, exporter):
    mistral = openai.OpenAI(base_url=standin.base_url("mistral"), api_key="m", max_retries=0)
    chunks = list(
        mistral.chat.completions.create(
            model="mistral-large-latest", messages=MESSAGES, stream=True, extra_headers=USAGE
        )
    )

    assert attributes(only_span(exporter), ttfc=True) == {
        **call_attributes(standin, "mistral_ai", "chat", "mistral-large-latest", stream=True),
        "gen_ai.response.id": chunks[0].id,
        "gen_ai.response.model": "mistral-large-latest",
        "gen_ai.response.finish_reasons": ["stop"],
        **chat_usage(),
    }
