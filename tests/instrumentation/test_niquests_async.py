"""LLM calls made with niquests' `AsyncSession` (urllib3-future's async pools) are metered with
nothing configured, once each: they had no span and were only warned about. Read as niquests
reads them: whole (`.json()`, over gzip), `iter_content` and `iter_lines` of a stream.

Expected costs are worked out by hand from the providers' published prices (USD per million
tokens): gpt-4o-mini input 0.15, output 0.60 (https://openai.com/api/pricing/);
claude-haiku-4-5 input 1.00, output 5.00 (https://www.anthropic.com/pricing#api).
"""

from __future__ import annotations

import asyncio

import niquests
from urllib3._async.connectionpool import AsyncHTTPConnectionPool

from tokentrace.instrumentation import LLMInstrumentor
from tokentrace.processor.standins import usage_header

from .conftest import attributes, only_span
from .gateway_calls import (
    ANTHROPIC_KEY,
    OPENAI_KEY,
    chat_body,
    check_three_calls,
    messages_body,
    sse_documents,
)

KEY = {"authorization": f"Bearer {OPENAI_KEY}"}


def test_async_session_calls_are_metered_and_priced(standin, unmapped, tmp_path, store_client):
    async def calls() -> tuple[dict, list[dict], list[dict]]:
        async with niquests.AsyncSession() as session:
            answer = await session.post(
                standin.root + "/v1/chat/completions",
                json=chat_body(),
                headers={
                    **KEY,
                    **usage_header(input=2000, output=500),
                    "accept-encoding": "gzip",
                    "baggage": "tenant=acme",
                },
            )
            assert answer.headers["content-encoding"] == "gzip"
            plain = answer.json()
            answer = await session.post(
                standin.root + "/v1/chat/completions",
                json=chat_body(stream=True),
                headers={**KEY, **usage_header(input=1200, output=300)},
                stream=True,
            )
            body = b"".join([piece async for piece in await answer.iter_content(32)])
            answer = await session.post(
                standin.root + "/v1/messages",
                json=messages_body(),
                headers={"x-api-key": ANTHROPIC_KEY, **usage_header(input=3000, output=400)},
                stream=True,
            )
            lines = [line async for line in answer.iter_lines()]
            return plain, sse_documents(body), sse_documents(b"\n".join(lines))

    plain, chunks, events = asyncio.run(calls())
    check_three_calls(standin, unmapped, plain, chunks, events, tmp_path, store_client)
    assert [request.headers.get("baggage") for request in standin.requests] == [None] * 3


def test_other_requests_are_untouched_and_an_error_is_one_call(standin, unmapped):
    async def calls() -> int:
        async with niquests.AsyncSession() as session:
            other = await session.post(standin.root + "/v1/other", json=chat_body())
            assert type(other.raw).__name__ == "AsyncHTTPResponse"
            failed = await session.post(
                standin.root + "/v1/chat/completions",
                json=chat_body(),
                headers={"x-standin-fail": "500"},
            )
            failed.json()
            return failed.status_code

    assert asyncio.run(calls()) == 500
    span = only_span(unmapped)
    assert attributes(span)["error.type"] == "500"
    assert "gen_ai.usage.input_tokens" not in span.attributes


def test_uninstrument_restores_the_async_pool(provider):
    urlopen = AsyncHTTPConnectionPool.urlopen
    instrumentor = LLMInstrumentor()
    instrumentor.instrument(tracer_provider=provider, provider_urls="")
    assert AsyncHTTPConnectionPool.urlopen is not urlopen
    instrumentor.uninstrument()
    assert AsyncHTTPConnectionPool.urlopen is urlopen
