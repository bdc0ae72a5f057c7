"""Gemini through the real google-genai SDK (SSE and the JSON-array stream), Cohere v2 raw."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from google import genai
from google.genai import types

from tokentrace.processor.standins import usage_header

from .conftest import attributes, call_attributes, only_span

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
