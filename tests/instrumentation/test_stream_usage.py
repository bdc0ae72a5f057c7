"""`TOKENTRACE_STREAM_USAGE=inject`: exact usage for OpenAI streams, the app none the wiser."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import openai
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tokentrace.instrumentation import unmetered
from tokentrace.processor.standins import usage_header

from .conftest import instrumented, llm_spans, only_span, store_spans

ASK = [{"role": "user", "content": "Hi"}]
USAGE = usage_header(input=1234, output=8)


@contextmanager
def _injecting(standin) -> Iterator[InMemorySpanExporter]:
    """Instrumented with `TOKENTRACE_STREAM_USAGE=inject`, for the block."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOKENTRACE_STREAM_USAGE", "inject")
        with instrumented(standin) as exporter:
            yield exporter


@pytest.fixture
def injecting(standin) -> Iterator[InMemorySpanExporter]:
    with _injecting(standin) as exporter:
        yield exporter


def _chunks(standin, **kwargs) -> list[dict]:
    """The SDK's parsed chunks, as dicts of the fields the server set, ids left out."""
    client = openai.OpenAI(base_url=standin.base_url("openai"), api_key="k", max_retries=0)
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=ASK, stream=True, extra_headers=USAGE, **kwargs
    )
    return [{**chunk.to_dict(), "id": None} for chunk in stream]


@pytest.mark.parametrize("compression", ["gzip", "br", "none"])
def test_the_sdk_reads_the_same_chunks_and_the_span_gets_exact_usage(standin, compression):
    standin.compression = compression
    plain = _chunks(standin)
    assert plain and all("usage" not in chunk for chunk in plain)

    with _injecting(standin) as exporter:
        injected = _chunks(standin)

    assert injected == plain
    sent = json.loads(standin.requests[-1].body)
    assert sent["stream_options"] == {"include_usage": True}
    found = only_span(exporter).attributes
    assert (found["gen_ai.usage.input_tokens"], found["gen_ai.usage.output_tokens"]) == (1234, 8)
    assert "tokentrace.usage.missing" not in found


def test_async_stream_and_other_stream_options_kept(standin, injecting):
    async def run() -> list[dict]:
        client = openai.AsyncOpenAI(base_url=standin.base_url("openai"), api_key="k", max_retries=0)
        stream = await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=ASK,
            stream=True,
            stream_options={"include_obfuscation": False},
            extra_headers=USAGE,
        )
        return [chunk.to_dict() async for chunk in stream]

    chunks = asyncio.run(run())
    assert all("usage" not in chunk and chunk["choices"] for chunk in chunks)
    sent = json.loads(standin.requests[-1].body)
    assert sent["stream_options"] == {"include_obfuscation": False, "include_usage": True}
    found = only_span(injecting).attributes
    assert found["gen_ai.usage.input_tokens"] == 1234


def test_a_stream_that_asked_for_usage_is_left_as_it_is(standin, injecting):
    chunks = _chunks(standin, stream_options={"include_usage": True})
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["prompt_tokens"] == 1234
    assert all("usage" in chunk for chunk in chunks)  # "usage": null kept where it was sent
    assert standin.requests[-1].body.count(b"include_usage") == 1


def test_off_by_default(standin, exporter):
    _chunks(standin)
    assert b"include_usage" not in standin.requests[-1].body
    assert only_span(exporter).attributes["tokentrace.usage.missing"] is True


def test_a_stream_cut_short_is_said_apart_without_the_ask_for_usage_remedy(
    standin, unmapped, caplog
):
    """A stream that asked for usage and was cut short (the connection broken before its
    usage chunk) was said to lack usage because OpenAI-shaped streams report it only when
    asked, with `include_usage` as the remedy: it had asked. Now said as cut short, apart;
    a later stream that does not ask still gets the remedy."""
    unmetered._said.clear()
    caplog.set_level(logging.WARNING, logger="tokentrace.instrumentation")
    client = openai.OpenAI(base_url=standin.root + "/v1", api_key="k", max_retries=0)
    cut = {"x-standin-fail": "cut"}
    with pytest.raises(openai.APIConnectionError):
        list(
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=ASK,
                stream=True,
                stream_options={"include_usage": True},
                extra_headers=cut,
            )
        )
    list(client.chat.completions.create(model="gpt-4o-mini", messages=ASK, stream=True))
    missing = [span.attributes.get("tokentrace.usage.missing") for span in llm_spans(unmapped)]
    assert missing == [True, True]
    head = f"chat calls to 127.0.0.1:{standin.root.rsplit(':', 1)[1]} (streamed) ended without "
    assert [record.getMessage() for record in caplog.records] == [
        head + "the provider's usage: metered with their cost unknown (tokentrace.usage."
        "missing): the answer ended early (an error in the stream, or the connection broken) "
        "before the usage came; nothing to configure",
        head + "the provider's usage: metered with their cost unknown (tokentrace.usage."
        "missing). OpenAI-shaped streams report usage only when asked: pass "
        'stream_options={"include_usage": true}, or set TOKENTRACE_STREAM_USAGE=inject',
    ]


def test_an_error_event_in_a_stream_is_the_call_s_error_and_its_cost_unknown(
    standin, unmapped, tmp_path, store_client
):
    """A stream that fails after its 200, with an error event (`{"error": {...}}`, on which
    the openai SDK raises `APIError`), was a call without an error (the event was skipped
    unread) and said to lack usage for not asking for it, though it had asked. Now its error
    type is the event's, its cost unknown (usage-missing), never $0."""
    client = openai.OpenAI(base_url=standin.root + "/v1", api_key="k", max_retries=0)
    with pytest.raises(openai.APIError):
        list(
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=ASK,
                stream=True,
                stream_options={"include_usage": True},
                extra_headers={"x-standin-fail": "stream_error"},
            )
        )
    span = only_span(unmapped)
    assert span.attributes["error.type"] == "server_error"
    assert span.attributes["tokentrace.usage.missing"] is True
    store_spans([span], tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, error_type, priced, unpriced_reason, toString(cost) FROM llm_calls"
    ).result_rows
    assert rows == [("openai", "server_error", 0, "usage_missing", "0")]


def test_a_stream_without_usage_is_said_once_with_what_to_do(standin, unmapped, caplog):
    """The openai SDK's default stream asks for no usage: such calls were stored with their
    cost unknown without a word. Now the first per server says so and names the remedies;
    a stream that asks for usage, and a second one that does not, say nothing more."""
    unmetered._said.clear()
    caplog.set_level(logging.WARNING, logger="tokentrace.instrumentation")
    client = openai.OpenAI(base_url=standin.root + "/v1", api_key="k", max_retries=0)
    for options in (None, {"include_usage": True}, None):
        extra = {"stream_options": options} if options else {}
        list(
            client.chat.completions.create(model="gpt-4o-mini", messages=ASK, stream=True, **extra)
        )
    missing = [span.attributes.get("tokentrace.usage.missing") for span in llm_spans(unmapped)]
    assert missing == [True, None, True]
    port = standin.root.rsplit(":", 1)[1]
    assert [record.getMessage() for record in caplog.records] == [
        f"chat calls to 127.0.0.1:{port} (streamed) ended without the provider's usage: "
        "metered with their cost unknown (tokentrace.usage.missing). OpenAI-shaped streams "
        'report usage only when asked: pass stream_options={"include_usage": true}, or set '
        "TOKENTRACE_STREAM_USAGE=inject"
    ]
