"""Gemini through the real google-genai SDK (SSE and the JSON-array stream), Cohere v2 raw."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import httpx
import pytest
from google import genai
from google.genai import types

from tokentrace.processor.standins import usage_header

from .conftest import attributes, call_attributes, llm_spans, only_span, store_spans

MODEL = "gemini-2.5-flash"
USAGE = usage_header(input=800, output=60, cache_read=500, reasoning=25)
EXPECTED_USAGE = {
    "gen_ai.usage.input_tokens": 800,
    "gen_ai.usage.output_tokens": 60,
    "gen_ai.usage.cache_read.input_tokens": 500,
    "gen_ai.usage.reasoning.output_tokens": 25,
}


def gemini(standin) -> genai.Client:
    options = types.HttpOptions(base_url=standin.base_url("gemini"), headers=USAGE)
    return genai.Client(api_key="gk-test", http_options=options)


def test_generate_content(standin, exporter):
    client = gemini(standin)  # dropping the Client closes its HTTP client
    response = client.models.generate_content(model=MODEL, contents="Hello")

    assert response.usage_metadata.thoughts_token_count == 25
    span = only_span(exporter)
    assert span.name == f"generate_content {MODEL}"
    assert attributes(span) == {
        **call_attributes(standin, "gcp.gemini", "generate_content", MODEL),
        "gen_ai.response.id": response.response_id,
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ["STOP"],
        **EXPECTED_USAGE,
    }


def test_audio_cache_hits_and_long_context_priced_at_their_rates(
    standin, exporter, tmp_path, store_client
):
    """Audio in the prompt, some of it an (implicit) cache hit, and thinking, through the real
    SDK into the store, each at its own rate
    (https://ai.google.dev/gemini-api/docs/pricing, as the audit in
    tests/pricing/test_price_audit.py reads it): Gemini 2.5 Flash $0.30 text, $1.00 audio,
    cache hits $0.03 text, $0.10 audio, $2.50 output, thinking included; Gemini 2.5 Pro over
    200K prompt tokens $2.50, cache hits $0.25, $15 output on every token."""
    audio = usage_header(
        input=10_000, output=1_000, reasoning=200, cache_read=5_000, audio_input=6_000,
        audio_cache_read=3_000,
    )  # fmt: skip
    long = usage_header(input=250_000, output=2_000, reasoning=500, cache_read=100_000)
    for model, usage in [("gemini-2.5-flash", audio), ("gemini-2.5-pro", long)]:
        options = types.HttpOptions(base_url=standin.base_url("gemini"), headers=usage)
        client = genai.Client(api_key="gk-test", http_options=options)  # kept: it closes
        client.models.generate_content(model=model, contents="Transcribe and summarise")
    store_spans(llm_spans(exporter), tmp_path, store_client)
    stored = store_client.query(
        "SELECT model, input_tokens, cache_read_tokens, input_audio_tokens, "
        "cache_audio_read_tokens, output_tokens, cost, priced FROM llm_calls ORDER BY ts"
    )
    assert stored.result_rows == [
        # Uncached: 2,000 text x 0.30 + 3,000 audio x 1.00; hits: 2,000 text x 0.03 + 3,000
        # audio x 0.10; 1,000 x 2.50: 600 + 3,000 + 60 + 300 + 2,500 = 6,460 per million.
        ("gemini-2.5-flash", 10_000, 5_000, 6_000, 3_000, 1_000, Decimal("0.00646"), 1),
        # 150,000 x 2.50 + 100,000 x 0.25 + 2,000 x 15 = 375,000 + 25,000 + 30,000.
        ("gemini-2.5-pro", 250_000, 100_000, 0, 0, 2_000, Decimal("0.43"), 1),
    ]


def test_stream_generate_content_sse(standin, exporter):
    client = gemini(standin)
    chunks = list(client.models.generate_content_stream(model=MODEL, contents="Hello"))

    assert len(chunks) == 8
    assert attributes(only_span(exporter), ttfc=True) == {
        **call_attributes(standin, "gcp.gemini", "generate_content", MODEL, stream=True),
        "gen_ai.response.id": chunks[0].response_id,
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ["STOP"],
        **EXPECTED_USAGE,
    }


@pytest.mark.parametrize("library", ["aiohttp", "httpx"])
def test_async_stream_generate_content(standin, exporter, library):
    """`client.aio` sends through aiohttp when it is installed, through httpx when given an
    httpx client: each is metered."""

    async def run() -> list:
        options = types.HttpOptions(base_url=standin.base_url("gemini"), headers=USAGE)
        if library == "httpx":
            options.httpx_async_client = httpx.AsyncClient()
        client = genai.Client(api_key="gk-test", http_options=options)
        assert client._api_client._use_aiohttp() is (library == "aiohttp")
        stream = await client.aio.models.generate_content_stream(model=MODEL, contents="Hi")
        return [chunk async for chunk in stream]

    chunks = asyncio.run(run())
    assert attributes(only_span(exporter), ttfc=True)["gen_ai.usage.output_tokens"] == 60
    assert len(chunks) == 8


def test_stream_generate_content_json_array(standin, exporter):
    url = f"{standin.base_url('gemini')}/v1beta/models/{MODEL}:streamGenerateContent"
    with httpx.Client() as raw:
        response = raw.post(url, json={"contents": [{"parts": [{"text": "Hi"}]}]}, headers=USAGE)

    assert len(json.loads(response.content)) == 8
    assert attributes(only_span(exporter), ttfc=True) == {
        **call_attributes(standin, "gcp.gemini", "generate_content", MODEL, stream=True),
        "gen_ai.response.id": json.loads(response.content)[0]["responseId"],
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ["STOP"],
        **EXPECTED_USAGE,
    }


def test_cut_gemini_stream_reports_no_running_usage(standin, exporter):
    url = f"{standin.base_url('gemini')}/v1beta/models/{MODEL}:streamGenerateContent?alt=sse"
    with httpx.Client() as raw, pytest.raises(httpx.RemoteProtocolError):
        raw.post(url, json={}, headers={**USAGE, "x-standin-fail": "cut"})

    found = attributes(only_span(exporter), ttfc=True)
    assert found["tokentrace.usage.missing"] is True
    assert found["error.type"] == "RemoteProtocolError"
    assert "gen_ai.usage.input_tokens" not in found


@pytest.mark.parametrize("stream", [False, True])
def test_cohere_v2_chat(standin, exporter, stream):
    body = {"model": "command-a-03-2025", "messages": [{"role": "user", "content": "Hi"}]}
    if stream:
        body["stream"] = True
    headers = usage_header(input=300, output=20, cache_read=100)
    with httpx.Client() as raw:
        response = raw.post(f"{standin.base_url('cohere')}/v2/chat", json=body, headers=headers)

    first = response.text.split("data: ", 1)[1].split("\n", 1)[0] if stream else response.text
    assert attributes(only_span(exporter), ttfc=stream) == {
        **call_attributes(standin, "cohere", "chat", "command-a-03-2025", stream),
        "gen_ai.response.id": json.loads(first)["id"],
        "gen_ai.response.finish_reasons": ["COMPLETE"],
        "gen_ai.usage.input_tokens": 300,
        "gen_ai.usage.output_tokens": 20,
        "gen_ai.usage.cache_read.input_tokens": 100,
    }
