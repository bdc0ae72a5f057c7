"""LLM calls made with aiohttp (LangChain community integrations, older huggingface_hub and
together clients, apps posting to `/v1/chat/completions` with a `ClientSession`), metered with
nothing configured: the stand-in's root is an unknown gateway host serving OpenAI's and
Anthropic's paths side by side.

Expected costs are worked out by hand from the providers' published prices (USD per million
tokens): gpt-4o-mini input 0.15, output 0.60 (https://openai.com/api/pricing/);
claude-haiku-4-5 input 1.00, output 5.00 (https://www.anthropic.com/pricing#api).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
import together
from aiohttp.streams import StreamReader
from google import genai
from google.genai import types as genai_types
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider

from tokentrace.instrumentation import LLMInstrumentor, tags
from tokentrace.processor.demo.serve_process import free_port
from tokentrace.processor.standins import usage_header

from .conftest import attributes, call_attributes, instrumented, llm_spans, store_spans
from .gateway_calls import (
    ANTHROPIC_KEY,
    ASK,
    OPENAI_KEY,
    M,
    chat_body,
    check_three_calls,
    gunzip,
    messages_body,
    sse_documents,
)

Read = Callable[[aiohttp.ClientResponse], Awaitable[Any]]


def post(url: str, body: Any, read: Read, headers: dict | None = None, **session: Any) -> Any:
    """POSTs `body` as JSON with a fresh `ClientSession(**session)`; `read`'s result."""

    async def call() -> Any:
        async with (
            aiohttp.ClientSession(**session) as client,
            client.post(url, json=body, headers=headers) as response,
        ):
            return await read(response)

    return asyncio.run(call())


async def _read(response: aiohttp.ClientResponse) -> bytes:
    return await response.read()


async def _lines(response: aiohttp.ClientResponse) -> bytes:
    return b"".join([line async for line in response.content])


def test_chat_plain_and_streamed_and_messages_streamed_are_metered_and_priced(
    standin, unmapped, tmp_path, store_client
):
    async def chunked(response: aiohttp.ClientResponse) -> bytes:
        return b"".join([chunk async for chunk in response.content.iter_chunked(64)])

    async def document(response: aiohttp.ClientResponse) -> dict:
        return await response.json()

    key = {"authorization": f"Bearer {OPENAI_KEY}"}
    chat = standin.root + "/v1/chat/completions"
    plain = post(chat, chat_body(), document, {**key, **usage_header(input=2000, output=500)})
    chunks = sse_documents(
        post(chat, chat_body(True), _lines, {**key, **usage_header(input=1200, output=300)})
    )
    claude = {"x-api-key": ANTHROPIC_KEY, **usage_header(input=3000, output=400)}
    events = sse_documents(post(standin.root + "/v1/messages", messages_body(), chunked, claude))

    check_three_calls(standin, unmapped, plain, chunks, events, tmp_path, store_client)


async def _readline(response: aiohttp.ClientResponse) -> bytes:
    lines = []
    while line := await response.content.readline():
        lines.append(line)
    return b"".join(lines)


async def _text(response: aiohttp.ClientResponse) -> bytes:
    # latin-1: text of any bytes, the raw gzip body's too
    return (await response.text(encoding="latin-1")).encode("latin-1")


async def _iter_chunked_1(response: aiohttp.ClientResponse) -> bytes:
    return b"".join([chunk async for chunk in response.content.iter_chunked(1)])


async def _iter_any(response: aiohttp.ClientResponse) -> bytes:
    return b"".join([chunk async for chunk in response.content.iter_any()])


async def _iter_chunks(response: aiohttp.ClientResponse) -> bytes:
    return b"".join([chunk async for chunk, _ in response.content.iter_chunks()])


async def _readexactly_then_read(response: aiohttp.ClientResponse) -> bytes:
    return await response.content.readexactly(7) + await response.content.read()


READS: dict[str, Read] = {
    "read()": _read,
    "text()": _text,
    "content iterated": _lines,
    "readline()": _readline,
    "iter_chunked(1)": _iter_chunked_1,
    "iter_any()": _iter_any,
    "iter_chunks()": _iter_chunks,
    "readexactly(7), read()": _readexactly_then_read,
}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("decompress", [True, False], ids=["decoded", "raw"])
@pytest.mark.parametrize("read", list(READS))
def test_the_application_reads_the_very_bytes_sent_however_it_reads(
    standin, read, decompress, stream
):
    """Gzip-encoded, as the stand-in answers aiohttp's default `Accept-Encoding`; aiohttp
    decodes it, or (`auto_decompress=False`) hands it on as sent."""

    def call() -> tuple[bytes, bytes]:
        got = post(
            standin.root + "/v1/chat/completions",
            chat_body(stream=stream),
            READS[read],
            usage_header(input=70, output=9),
            auto_decompress=decompress,
        )
        sent = standin.sent[-1]
        return got, gunzip(sent) if decompress else sent

    without, sent_without = call()
    with instrumented(standin, provider_urls="") as exporter:
        got, sent = call()
    assert got == sent
    assert without == sent_without
    plain = bytes if decompress else gunzip
    # The same answer but for the stand-in's counter in the ids.
    assert re.sub(rb"standin\d+", b"", plain(got)) == re.sub(rb"standin\d+", b"", plain(without))
    (span,) = llm_spans(exporter)
    found = span.attributes
    assert (found["gen_ai.usage.input_tokens"], found["gen_ai.usage.output_tokens"]) == (70, 9)
    assert found["gen_ai.response.finish_reasons"] == ("stop",)


def test_other_requests_are_left_untouched(standin, unmapped):
    """Another path, another method, or an LLM path other apps share (`/responses`) naming no
    model on an unknown host."""
    baggage = {"baggage": "tenant=acme"}
    readers = []

    async def calls() -> None:
        async with aiohttp.ClientSession() as client:
            for method, path, body, headers in [
                ("GET", "/v1/models", None, baggage),
                ("POST", "/v1/files", {"model": "gpt-4o-mini"}, baggage),
                ("POST", "/v1/responses", {"input": "hello"}, None),
                ("PUT", "/v1/chat/completions", chat_body(), None),
            ]:
                async with client.request(
                    method, standin.root + path, json=body, headers=headers
                ) as response:
                    await response.read()
                    readers.append(type(response.content))

    asyncio.run(calls())
    assert llm_spans(unmapped) == []
    assert readers == [StreamReader] * 4
    assert [(request.path, request.headers.get("baggage")) for request in standin.requests] == [
        ("/v1/models", "tenant=acme"),
        ("/v1/files", "tenant=acme"),
        ("/v1/responses", None),
    ]


def test_the_baggage_header_never_reaches_the_llm_host(standin, unmapped):
    with tags(tenant="acme"):
        post(
            standin.root + "/v1/chat/completions",
            chat_body(),
            _read,
            {"baggage": "team=growth", "Content-Type": "application/json"},
        )
    (recorded,) = standin.requests
    assert "baggage" not in recorded.headers
    assert recorded.headers["content-type"] == "application/json"
    assert llm_spans(unmapped)[0].attributes["tenant"] == "acme"


def test_an_error_status_is_the_span_s_error_type(standin, unmapped):
    async def status_and_document(response: aiohttp.ClientResponse) -> tuple[int, dict]:
        return response.status, await response.json()

    status, document = post(
        standin.root + "/v1/messages",
        {**messages_body(), "stream": False},
        status_and_document,
        {"x-standin-fail": "429"},
    )
    assert (status, document["type"]) == (429, "error")
    (span,) = llm_spans(unmapped)
    assert attributes(span) == {
        **call_attributes(standin, "anthropic", "chat", "claude-haiku-4-5", status=429),
        "error.type": "429",
    }
    assert span.status.is_ok is False


def test_a_failed_connection_is_the_span_s_error_type(unmapped):
    with pytest.raises(aiohttp.ClientConnectorError):
        post(f"http://127.0.0.1:{free_port()}/v1/chat/completions", chat_body(), _read)
    (span,) = llm_spans(unmapped)
    assert span.attributes["error.type"] == "ClientConnectorError"
    assert "gen_ai.usage.input_tokens" not in span.attributes
    assert span.attributes["tokentrace.request.not_sent"] is True  # never sent: a known $0


def test_a_stream_cut_short_is_the_span_s_error_and_its_usage_missing(standin, unmapped):
    with pytest.raises(aiohttp.ClientPayloadError):
        post(
            standin.root + "/v1/chat/completions",
            chat_body(stream=True),
            _lines,
            {"x-standin-fail": "cut"},
        )
    (span,) = llm_spans(unmapped)
    assert span.attributes["error.type"] == "ClientPayloadError"
    assert span.attributes["tokentrace.usage.missing"] is True


def test_a_stream_released_unread_ends_its_span_with_usage_missing(standin, unmapped):
    async def first_line_then_release(response: aiohttp.ClientResponse) -> None:
        await response.content.readline()
        assert llm_spans(unmapped) == []  # the body is not over: neither is the call
        response.release()

    post(
        standin.root + "/v1/chat/completions",
        chat_body(stream=True),
        first_line_then_release,
        {**usage_header(input=10, output=5), "x-standin-chunks": "4000"},
    )
    (span,) = llm_spans(unmapped)
    assert span.attributes["tokentrace.usage.missing"] is True
    assert "error.type" not in span.attributes  # the application's choice, not a failure


@pytest.mark.parametrize("read", ["content iterated", "iter_chunked(1)", "iter_any()", "read()"])
def test_injected_stream_usage_is_exact_and_the_app_reads_the_stream_it_asked_for(
    standin, monkeypatch, read
):
    """`TOKENTRACE_STREAM_USAGE=inject`: the request asks for usage, the application reads
    the stream as without it."""
    ask = {"model": "gpt-4o-mini", "messages": ASK, "stream": True}

    def call() -> bytes:
        url = standin.root + "/v1/chat/completions"
        return post(url, ask, READS[read], usage_header(input=1234, output=8))

    plain = call()
    assert "stream_options" not in json.loads(standin.requests[-1].body)
    monkeypatch.setenv("TOKENTRACE_STREAM_USAGE", "inject")
    with instrumented(standin, provider_urls="") as exporter:
        injected = call()
    assert json.loads(standin.requests[-1].body)["stream_options"] == {"include_usage": True}
    assert re.sub(rb"standin\d+", b"", injected) == re.sub(rb"standin\d+", b"", plain)
    (span,) = llm_spans(exporter)
    found = span.attributes
    assert (found["gen_ai.usage.input_tokens"], found["gen_ai.usage.output_tokens"]) == (1234, 8)
    assert "tokentrace.usage.missing" not in found


def test_injection_is_off_for_a_session_that_reads_raw_bytes(standin, monkeypatch):
    """`auto_decompress=False`: the application wants the body as sent, which a rewrite
    would have to decode; the request is sent as built and the usage reported missing."""
    monkeypatch.setenv("TOKENTRACE_STREAM_USAGE", "inject")
    ask = {"model": "gpt-4o-mini", "messages": ASK, "stream": True}
    with instrumented(standin, provider_urls="") as exporter:
        got = post(standin.root + "/v1/chat/completions", ask, _read, auto_decompress=False)
    assert "stream_options" not in json.loads(standin.requests[-1].body)
    assert got == standin.sent[-1]
    assert llm_spans(exporter)[0].attributes["tokentrace.usage.missing"] is True


@pytest.mark.parametrize("ours_first", [True, False], ids=["ours first", "theirs first"])
def test_with_the_aiohttp_instrumentation_its_span_is_our_parent_and_baggage_stays_home(
    standin, ours_first, tmp_path, store_client
):
    """opentelemetry-instrumentation-aiohttp-client starts its span and injects `traceparent`
    and `baggage` in a trace config's `on_request_start`, before our middleware: its HTTP span
    is our parent, one LLM span, and its `baggage` never reaches the LLM host (another host
    keeps it)."""
    provider = TracerProvider()
    theirs = AioHttpClientInstrumentor()
    if not ours_first:
        theirs.instrument(tracer_provider=provider)
    try:
        with instrumented(standin, provider, provider_urls="") as exporter:
            if ours_first:
                theirs.instrument(tracer_provider=provider)
            with tags(tenant="secret-customer"):
                url = standin.root + "/v1/chat/completions"
                post(url, chat_body(), _read, usage_header(input=5, output=2))
                post(standin.root + "/not-an-llm", {}, _read)
    finally:
        theirs.uninstrument()

    (ours,) = llm_spans(exporter)
    http_spans = [span for span in exporter.get_finished_spans() if span is not ours]
    assert [span.name for span in http_spans] == ["POST", "POST"]
    assert ours.parent.span_id == http_spans[0].context.span_id
    assert (ours.attributes["tenant"], ours.attributes["gen_ai.usage.input_tokens"]) == (
        "secret-customer",
        5,
    )
    llm_request, other = standin.requests
    assert "baggage" not in llm_request.headers
    assert llm_request.headers["traceparent"].split("-")[2] == format(
        http_spans[0].context.span_id, "016x"
    )
    assert other.headers["baggage"] == "tenant=secret-customer"
    # Stored, the HTTP spans are no calls of their own: one call, 5 × 0.15 + 2 × 0.60 = 1.95
    # per million.
    store_spans(exporter.get_finished_spans(), tmp_path, store_client)
    rows = store_client.query("SELECT request_model, cost FROM llm_calls").result_rows
    assert rows == [("gpt-4o-mini", Decimal("1.95") / M)]


def test_the_together_sdk_over_aiohttp_is_one_call(standin, unmapped, tmp_path, store_client):
    """together's `AsyncTogether(http_client=DefaultAioHttpClient())` is an httpx client whose
    transport sends through aiohttp (httpx-aiohttp, the shape of LiteLLM's aiohttp transport):
    the httpx hook meters the call, and the aiohttp request inside it is not a second one."""

    async def calls() -> tuple[Any, list]:
        async with together.AsyncTogether(
            api_key="tg-key",
            base_url=standin.base_url("openai"),
            http_client=together.DefaultAioHttpClient(),
        ) as client:
            answer = await client.chat.completions.create(
                model="gpt-4o-mini",
                messages=ASK,
                extra_headers=usage_header(input=900, output=100),
            )
            stream = await client.chat.completions.create(
                model="gpt-4o-mini",
                messages=ASK,
                stream=True,
                extra_body={"stream_options": {"include_usage": True}},
                extra_headers=usage_header(input=40, output=6),
            )
            return answer, [chunk async for chunk in stream]

    answer, chunks = asyncio.run(calls())
    assert answer.usage.prompt_tokens == 900
    assert chunks[-1].usage.prompt_tokens == 40
    assert len(standin.requests) == 2
    assert [
        (
            span.attributes["gen_ai.usage.input_tokens"],
            span.attributes["gen_ai.usage.output_tokens"],
        )
        for span in llm_spans(unmapped)
    ] == [(900, 100), (40, 6)]
    store_spans(llm_spans(unmapped), tmp_path, store_client)
    rows = store_client.query("SELECT stream, cost FROM llm_calls ORDER BY ts").result_rows
    assert rows == [
        (0, 195 / M),  # 900 × 0.15 + 100 × 0.60 = 195 per million
        (1, Decimal("9.6") / M),  # 40 × 0.15 + 6 × 0.60 = 9.6 per million
    ]


def test_google_genai_s_async_client_sends_through_aiohttp_and_is_metered(standin, unmapped):
    """google-genai's `client.aio` sends with aiohttp whenever it is installed (and no httpx
    transport is given): plain and streamed, each one call."""
    options = genai_types.HttpOptions(
        base_url=standin.base_url("gemini"), headers=usage_header(input=300, output=20)
    )
    client = genai.Client(api_key="gk-test", http_options=options)
    assert client._api_client._use_aiohttp()

    async def calls() -> tuple[Any, list]:
        answer = await client.aio.models.generate_content(model="gemini-2.5-flash", contents="Hi")
        stream = await client.aio.models.generate_content_stream(
            model="gemini-2.5-flash", contents="Hi"
        )
        return answer, [chunk async for chunk in stream]

    answer, chunks = asyncio.run(calls())
    assert answer.usage_metadata.prompt_token_count == 300
    assert chunks[-1].usage_metadata.prompt_token_count == 300
    assert [
        (span.attributes["gen_ai.request.stream"], span.attributes["gen_ai.usage.input_tokens"])
        for span in llm_spans(unmapped)
    ] == [(False, 300), (True, 300)]


def test_aiohttp_is_not_needed():
    """A fresh interpreter where aiohttp cannot be imported instruments and meters httpx."""
    script = """
import sys
sys.modules["aiohttp"] = None  # any import of it raises ImportError
import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from tokentrace.instrumentation import LLMInstrumentor
from tokentrace.processor.standins import start_standin, usage_header

provider = TracerProvider()
exporter = InMemorySpanExporter()
provider.add_span_processor(SimpleSpanProcessor(exporter))
LLMInstrumentor().instrument(tracer_provider=provider)
with start_standin() as standin:
    httpx.post(
        standin.root + "/v1/chat/completions",
        json={"model": "gpt-4o-mini", "messages": []},
        headers=usage_header(input=11, output=3),
    ).json()
(span,) = exporter.get_finished_spans()
print(span.attributes["gen_ai.usage.input_tokens"], span.attributes["gen_ai.usage.output_tokens"])
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert (done.returncode, done.stdout) == (0, "11 3\n"), done.stderr


def test_uninstrument_restores_aiohttp(provider):
    original = aiohttp.ClientSession.__dict__["_request"]
    instrumentor = LLMInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    patched = aiohttp.ClientSession.__dict__["_request"]
    instrumentor.uninstrument()
    assert patched is not original
    assert aiohttp.ClientSession.__dict__["_request"] is original
