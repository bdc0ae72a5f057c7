"""Ollama's native API (`/api/chat`, `/api/generate`, `/api/embed`, `/api/embeddings`) through
the real ollama SDK.

The stand-in speaks Ollama's wire format: NDJSON streams (`application/x-ndjson`, the counts in
the last, `"done": true` line), streaming unless the body says `"stream": false`, counts left
out when zero (Go's `omitempty`).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import ollama
import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tokentrace.instrumentation import ollama_api
from tokentrace.instrumentation.bodies import JSON_LIMIT, NdjsonParser
from tokentrace.instrumentation.config import Settings
from tokentrace.instrumentation.routing import route
from tokentrace.instrumentation.usage import Observed
from tokentrace.processor.pricing.pricer import SELF_HOSTED_REASON, Pricer
from tokentrace.processor.standins import ollama as standin_ollama
from tokentrace.processor.standins import usage_header
from tokentrace.processor.standins.plan import plan_for

from .conftest import (
    attributes,
    call_attributes,
    instrumented,
    llm_spans,
    only_span,
    parse_split,
    store_spans,
)

MODEL = "llama3.2"
USAGE = usage_header(input=42, output=7)
M = Decimal(1_000_000)
ASK = [{"role": "user", "content": "Hello"}]


def client(standin, **headers: str) -> ollama.Client:
    return ollama.Client(host=standin.base_url("ollama"), headers={**USAGE, **headers})


def call(standin, kind: str, stream: bool) -> Any:
    """One SDK call; a stream is read to the end. Returns what the application got."""
    sdk = client(standin)
    if kind == "chat":
        answer = sdk.chat(model=MODEL, messages=ASK, stream=stream)
    else:
        answer = sdk.generate(model=MODEL, prompt="Hello", stream=stream)
    return [part.model_dump() for part in answer] if stream else answer.model_dump()


def expected(standin, operation: str, stream: bool) -> dict[str, Any]:
    return {
        **call_attributes(standin, "ollama", operation, MODEL, stream),
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 42,
        "gen_ai.usage.output_tokens": 7,
    }


@pytest.mark.parametrize("compression", ["gzip", "none"])
@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(("kind", "operation"), [("chat", "chat"), ("generate", "text_completion")])
def test_chat_and_generate_plain_and_streamed(standin, kind, operation, stream, compression):
    """Exact span attributes, and the application gets the same objects as uninstrumented."""
    standin.compression = compression
    bare = call(standin, kind, stream)
    with instrumented(standin) as exporter:
        metered = call(standin, kind, stream)

    assert metered == bare
    if stream:
        assert len(metered) == 9  # 8 words and the `done` line
        assert metered[-1]["done"] is True and metered[-1]["eval_count"] == 7
    span = only_span(exporter)
    assert span.name == f"{operation} {MODEL}"
    assert attributes(span, ttfc=stream) == expected(standin, operation, stream)


def test_async_streamed_chat(standin, exporter):
    async def run() -> list[Any]:
        sdk = ollama.AsyncClient(host=standin.base_url("ollama"), headers=USAGE)
        stream = await sdk.chat(model=MODEL, messages=ASK, stream=True)
        return [part async for part in stream]

    parts = asyncio.run(run())
    assert "".join(part.message.content for part in parts) == (
        "Stand-in replies are deterministic so that every token"
    )
    assert attributes(only_span(exporter), ttfc=True) == expected(standin, "chat", True)


def test_embed(standin, exporter):
    answer = client(standin).embed(model="nomic-embed-text", input=["a", "b"])

    assert answer.embeddings == [[0.125, -0.5, 0.25], [0.25, -0.5, 0.25]]
    assert attributes(only_span(exporter)) == {
        **call_attributes(standin, "ollama", "embeddings", "nomic-embed-text"),
        "gen_ai.response.model": "nomic-embed-text",
        "gen_ai.usage.input_tokens": 42,
    }


def test_stream_is_the_default_and_its_bytes_reach_the_application_unchanged(standin, exporter):
    """A body without `stream` is streamed (Ollama's default): the span says so at the end, and
    a raw reader gets the very NDJSON the server wrote."""
    standin.compression = "none"
    body = {"model": MODEL, "messages": ASK}
    with httpx.Client() as raw:
        response = raw.post(f"{standin.base_url('ollama')}/api/chat", json=body, headers=USAGE)

    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.content == standin.sent[-1]
    lines = [json.loads(line) for line in response.content.splitlines()]
    assert lines[-1]["done"] is True and len(lines) == 9
    assert attributes(only_span(exporter), ttfc=True) == expected(standin, "chat", True)


def test_zero_counts_are_left_out_by_ollama_and_read_as_zero(standin, exporter):
    """Ollama omits a zero count (`omitempty`): a `done` object with one count has the other 0."""
    sdk = client(standin, **usage_header(input=42, output=0))
    answer = sdk.generate(model=MODEL, prompt="Hello", stream=False)

    assert answer.eval_count is None
    found = attributes(only_span(exporter))
    assert (found["gen_ai.usage.input_tokens"], found["gen_ai.usage.output_tokens"]) == (42, 0)


def test_no_counts_at_all_is_usage_missing():
    seen = Observed()
    ollama_api.CHAT.observe({"model": MODEL, "done": True}, seen, streaming=True)
    assert seen.usage_final and ollama_api.CHAT.usage(seen.raw_usage) is None


def test_cut_stream_reports_usage_missing(standin, exporter):
    with pytest.raises(httpx.RemoteProtocolError):
        list(client(standin, **{"x-standin-fail": "cut"}).chat(MODEL, ASK, stream=True))

    found = attributes(only_span(exporter), ttfc=True)
    assert found["tokentrace.usage.missing"] is True
    assert found["error.type"] == "RemoteProtocolError"
    assert "gen_ai.usage.input_tokens" not in found


def test_error_line_inside_a_stream_is_an_error(standin, exporter):
    """Ollama reports a failure after the headers as an `{"error": ...}` line, status 200."""
    with pytest.raises(ollama.ResponseError, match="mid-stream"):
        list(client(standin, **{"x-standin-fail": "stream_error"}).chat(MODEL, ASK, stream=True))

    assert attributes(only_span(exporter), ttfc=True) == {
        **call_attributes(standin, "ollama", "chat", MODEL, stream=True),
        "gen_ai.response.model": MODEL,
        "error.type": "error",
        "tokentrace.usage.missing": True,
    }


def test_http_error_is_the_sdks_response_error(standin, exporter):
    with pytest.raises(ollama.ResponseError) as raised:
        client(standin, **{"x-standin-fail": "404"}).chat(MODEL, ASK, stream=False)

    assert raised.value.status_code == 404
    found = attributes(only_span(exporter))
    assert (found["error.type"], found["http.response.status_code"]) == ("404", 404)
    assert "tokentrace.usage.missing" not in found


@pytest.mark.parametrize(
    ("url", "model", "provider", "operation", "stream"),
    [
        # Nothing configured: Ollama's port on loopback names the provider, as for its /v1 API.
        ("http://localhost:11434/api/chat", MODEL, "ollama", "chat", None),
        ("http://127.0.0.1:11434/api/generate", MODEL, "ollama", "text_completion", False),
        ("http://[::1]:11434/api/embed", "nomic-embed-text", "ollama", "embeddings", None),
        ("http://127.0.0.1:11434/api/chat", MODEL, "ollama", "chat", True),
        # Only Ollama speaks this shape: a model name the price data knows is a local model
        # here (never priced as the hosted one), on any host.
        ("http://localhost:11434/api/chat", "gpt-4o-mini", "ollama", "chat", False),
        ("http://localhost:11434/api/chat", "deepseek-r1:8b", "ollama", "chat", False),
        ("http://gpu-box:11434/api/chat", MODEL, "ollama", "chat", False),
        ("https://llm.internal/ollama/api/generate", "llama3.2", "ollama", "text_completion", None),
    ],
)
def test_native_paths_are_recognised_with_nothing_configured(
    url, model, provider, operation, stream
):
    body: dict[str, Any] = {"model": model, "messages": ASK}
    if stream is not None:
        body["stream"] = stream
    found = route(httpx.Request("POST", url, json=body), Settings())

    assert found is not None
    assert (found.provider, found.api.operation, found.request_model) == (
        provider,
        operation,
        model,
    )
    assert found.api.family == "ollama"
    # Only a stated `"stream": true` is read from the body (not its default, which the
    # response's content type gives, see test_stream_is_the_default_...).
    assert found.stream is (stream is True)


def test_other_ollama_paths_are_not_llm_calls():
    for path in ("/api/tags", "/api/show", "/api/pull", "/api/chatx"):
        request = httpx.Request("POST", f"http://localhost:11434{path}", json={"model": MODEL})
        assert route(request, Settings()) is None


def test_ollama_calls_are_stored_unpriced_as_self_hosted():
    """Self-hosted: no one bills per token, so the call has no cost (never $0)."""
    price = Pricer().price("ollama", MODEL, datetime(2026, 1, 1, tzinfo=UTC), 42, 7)
    assert (price.priced, price.reason, price.cost_source) == (False, SELF_HOSTED_REASON, "none")


def test_spans_of_several_calls_are_one_per_call(standin, exporter):
    sdk = client(standin)
    sdk.chat(model=MODEL, messages=ASK, stream=False)
    list(sdk.generate(model=MODEL, prompt="Hi", stream=True))
    assert [span.name for span in llm_spans(exporter)] == [
        f"chat {MODEL}",
        f"text_completion {MODEL}",
    ]


def _chat_stream() -> bytes:
    plan = plan_for(USAGE, None)
    return b"".join(standin_ollama.handle("/api/chat", {"model": MODEL}, plan).pieces)


CHAT_STREAM = _chat_stream()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(CHAT_STREAM)), max_size=12))
def test_ndjson_stream_split_anywhere_gives_the_same_usage(cuts):
    api = ollama_api.CHAT
    seen = parse_split(NdjsonParser, api, CHAT_STREAM, cuts)

    assert (seen.response_model, seen.finish_reasons) == (MODEL, ["stop"])
    assert api.usage(seen.raw_usage).attributes() == {
        "gen_ai.usage.input_tokens": 42,
        "gen_ai.usage.output_tokens": 7,
    }


def test_ndjson_last_line_without_newline_is_read_at_the_end():
    seen = Observed()
    api = ollama_api.CHAT
    parser = NdjsonParser(api.sse_marker, lambda document: api.observe(document, seen, True))
    parser.feed(CHAT_STREAM.rstrip(b"\n"))
    assert not seen.usage_final
    parser.finish()
    assert api.usage(seen.raw_usage).input_tokens == 42


def test_large_embed_body_reads_its_count_from_the_tail(standin, exporter):
    """A batch of embeddings is larger than `JSON_LIMIT`: its count, the last key, is read from
    the tail (the model, at the start, is not: the request's stands)."""
    standin.compression = "none"
    texts = [f"text {i}" for i in range(20_000)]
    answer = client(standin, **usage_header(input=6000)).embed(
        model="nomic-embed-text", input=texts
    )

    assert len(answer.embeddings) == 20_000
    assert len(standin.sent[-1]) > JSON_LIMIT
    assert attributes(only_span(exporter)) == {
        **call_attributes(standin, "ollama", "embeddings", "nomic-embed-text"),
        "gen_ai.usage.input_tokens": 6000,
    }


def test_every_native_api_is_metered_on_any_port_with_nothing_configured(
    standin, unmapped, tmp_path, store_client
):
    """Ollama on another port than 11434 (a container's mapped port), nothing mapped: chat,
    generate, embed and the legacy embeddings (`Client.embeddings`, `/api/embeddings`, still
    used by LangChain's and LlamaIndex's older Ollama integrations) are one row each, provider
    ollama, self-hosted. The legacy API answers one `embedding` and no count: its row is
    usage-missing (it was read as OpenAI's `/embeddings`, provider unknown); the others carry
    the server's counts."""
    sdk = ollama.Client(host=standin.root, headers=USAGE)
    sdk.chat(model=MODEL, messages=ASK, stream=False)
    sdk.generate(model=MODEL, prompt="Hello", stream=False)
    sdk.embed(model="nomic-embed-text", input=["a", "b"])
    legacy = sdk.embeddings(model="nomic-embed-text", prompt="a")
    assert legacy.embedding == [0.125, -0.5, 0.25]
    assert [request.path for request in standin.requests] == [
        "/api/chat",
        "/api/generate",
        "/api/embed",
        "/api/embeddings",
    ]

    store_spans(llm_spans(unmapped), tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, operation, input_tokens, output_tokens, usage_missing, priced, "
        "unpriced_reason FROM llm_calls ORDER BY ts"
    ).result_rows
    assert rows == [
        ("ollama", "chat", 42, 7, 0, 0, SELF_HOSTED_REASON),
        ("ollama", "text_completion", 42, 7, 0, 0, SELF_HOSTED_REASON),
        ("ollama", "embeddings", 42, 0, 0, 0, SELF_HOSTED_REASON),
        ("ollama", "embeddings", 0, 0, 1, 0, "usage_missing"),
    ]


def test_an_openai_shaped_server_on_the_legacy_embeddings_path_is_read_as_openai_s(
    standin, unmapped, tmp_path, store_client
):
    """An OpenAI-compatible server on `/api/embeddings` (Open WebUI's, the openai SDK with
    `base_url=".../api"`) takes OpenAI's `input` and answers OpenAI's `usage`: it was read with
    Ollama's parser, provider ollama, usage-missing. Told from Ollama's (`prompt`) by the
    body: now OpenAI's call, text-embedding-3-small at $0.02 per million input tokens
    (https://openai.com/api/pricing/), 1,000 tokens $0.00002; Ollama's own legacy call on the
    same URL stays Ollama's, and a body with neither key is no call."""
    client = openai.OpenAI(base_url=standin.root + "/api", api_key="sk-webui", max_retries=0)
    answer = client.embeddings.create(
        model="text-embedding-3-small", input="hello", extra_headers=usage_header(input=1000)
    )
    assert answer.usage.prompt_tokens == 1000
    ollama.Client(host=standin.root).embeddings(model="nomic-embed-text", prompt="a")
    other = httpx.post(standin.root + "/api/embeddings", json={"model": "m", "text": "a"})
    assert other.status_code == 200
    assert [request.path for request in standin.requests] == ["/api/embeddings"] * 3

    store_spans(llm_spans(unmapped), tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, operation, input_tokens, usage_missing, if(priced = 1, cost, NULL), "
        "unpriced_reason "
        "FROM llm_calls ORDER BY ts"
    ).result_rows
    assert rows == [
        ("openai", "embeddings", 1000, 0, 1000 * Decimal("0.02") / M, ""),
        ("ollama", "embeddings", 0, 1, None, "usage_missing"),
    ]
