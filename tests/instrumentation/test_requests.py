"""LLM calls made with `requests` (huggingface_hub, older SDKs, LangChain community
integrations, apps posting to `/v1/chat/completions` themselves), metered with nothing
configured: the stand-in's root is an unknown gateway host serving OpenAI's and Anthropic's
paths side by side.

Expected costs are worked out by hand from the providers' published prices (USD per million
tokens): gpt-4o-mini input 0.15, output 0.60 (https://openai.com/api/pricing/);
claude-haiku-4-5 input 1.00, output 5.00 (https://www.anthropic.com/pricing#api).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal

import pytest
import requests
import urllib3
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from tokentrace.instrumentation import LLMInstrumentor, tags
from tokentrace.processor.demo.serve_process import free_port
from tokentrace.processor.standins import usage_header

from .conftest import (
    attributes,
    call_attributes,
    instrumented,
    llm_spans,
    only_span,
)
from .gateway_calls import (
    ANTHROPIC_KEY,
    ASK,
    OPENAI_KEY,
    chat_body,
    check_three_calls,
    gunzip,
    messages_body,
    sse_documents,
)

KEY = {"authorization": f"Bearer {OPENAI_KEY}"}


def test_chat_plain_and_streamed_and_messages_streamed_are_metered_and_priced(
    standin, unmapped, tmp_path, store_client
):
    plain = requests.post(
        standin.root + "/v1/chat/completions",
        json=chat_body(),
        headers={**KEY, **usage_header(input=2000, output=500)},
    ).json()
    with requests.post(
        standin.root + "/v1/chat/completions",
        json=chat_body(stream=True),
        headers={**KEY, **usage_header(input=1200, output=300)},
        stream=True,
    ) as response:
        chunks = sse_documents(b"\n".join(response.iter_lines()))
    with (
        requests.Session() as session,
        session.post(
            standin.root + "/v1/messages",
            json=messages_body(),
            headers={"x-api-key": ANTHROPIC_KEY, **usage_header(input=3000, output=400)},
            stream=True,
        ) as response,
    ):
        events = sse_documents(b"".join(response.iter_content(chunk_size=64)))

    check_three_calls(standin, unmapped, plain, chunks, events, tmp_path, store_client)


def _lines(sent: bytes) -> bytes:
    return b"\n".join(gunzip(sent).splitlines())


READS: dict[str, tuple[Callable[[requests.Response], bytes], Callable[[bytes], bytes]]] = {
    # how the application reads: (the read, what it must get from the body the server sent)
    "content": (lambda response: response.content, gunzip),
    "text": (lambda response: response.text.encode(), gunzip),
    "iter_lines": (lambda response: b"\n".join(response.iter_lines()), _lines),
    "iter_content(1)": (lambda response: b"".join(response.iter_content(1)), gunzip),
    "iter_content(None)": (lambda response: b"".join(response.iter_content(None)), gunzip),
    "raw.read()": (lambda response: response.raw.read(), bytes),
    "raw.read(7)": (lambda response: b"".join(iter(lambda: response.raw.read(7), b"")), bytes),
    "raw.read(0), read()": (lambda response: response.raw.read(0) + response.raw.read(), bytes),
    "raw.stream(decoded)": (
        lambda response: b"".join(response.raw.stream(5, decode_content=True)),
        gunzip,
    ),
    "raw iterated": (lambda response: b"".join(response.raw), gunzip),
}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
@pytest.mark.parametrize("read", list(READS))
def test_the_application_reads_the_very_bytes_sent_however_it_reads(standin, read, stream):
    """Gzip-encoded, as the stand-in answers `requests`' default `Accept-Encoding`."""
    how, expected = READS[read]

    def call() -> tuple[bytes, bytes]:
        with requests.post(
            standin.root + "/v1/chat/completions",
            json=chat_body(stream=stream),
            headers=usage_header(input=70, output=9),
            stream=True,
        ) as response:
            assert response.headers["content-encoding"] == "gzip"
            got = how(response)
        return got, expected(standin.sent[-1])

    without, sent_without = call()
    with instrumented(standin, provider_urls="") as exporter:
        got, sent = call()
    assert got == sent
    assert without == sent_without
    # The same answer but for the stand-in's counter in the ids (compressed, when read raw).
    plain = gunzip if expected is bytes else bytes
    assert re.sub(rb"standin\d+", b"", plain(got)) == re.sub(rb"standin\d+", b"", plain(without))
    (span,) = llm_spans(exporter)
    found = span.attributes
    assert (found["gen_ai.usage.input_tokens"], found["gen_ai.usage.output_tokens"]) == (70, 9)
    if stream and read.endswith("(1)"):
        # one byte at a time: each piece is its own read, parsed in batches all the same
        assert found["gen_ai.response.finish_reasons"] == ("stop",)


def test_other_requests_are_left_untouched(standin, unmapped):
    """Another path, another method, or an LLM path other apps share (`/responses`) naming no
    model on an unknown host."""
    baggage = {"baggage": "tenant=acme"}
    responses = [
        requests.get(standin.root + "/v1/models", headers=baggage),
        requests.post(standin.root + "/v1/files", json={"model": "gpt-4o-mini"}, headers=baggage),
        requests.post(standin.root + "/v1/responses", json={"input": "hello"}),
        requests.put(standin.root + "/v1/chat/completions", json=chat_body()),
    ]
    assert llm_spans(unmapped) == []
    assert all(type(response.raw) is urllib3.HTTPResponse for response in responses)
    # (the stand-in records GETs and POSTs)
    assert [(request.path, request.headers.get("baggage")) for request in standin.requests] == [
        ("/v1/models", "tenant=acme"),
        ("/v1/files", "tenant=acme"),
        ("/v1/responses", None),
    ]


def test_the_baggage_header_never_reaches_the_llm_host(standin, unmapped):
    requests.post(
        standin.root + "/v1/chat/completions",
        json=chat_body(),
        headers={"baggage": "tenant=acme", "Content-Type": "application/json"},
    )
    (recorded,) = standin.requests
    assert "baggage" not in recorded.headers
    assert recorded.headers["content-type"] == "application/json"
    assert len(llm_spans(unmapped)) == 1


def test_an_error_status_is_the_span_s_error_type(standin, unmapped):
    response = requests.post(
        standin.root + "/v1/messages",
        json={**messages_body(), "stream": False},
        headers={"x-standin-fail": "429"},
    )
    assert response.status_code == 429
    assert response.json()["type"] == "error"
    (span,) = llm_spans(unmapped)
    assert attributes(span) == {
        **call_attributes(standin, "anthropic", "chat", "claude-haiku-4-5", status=429),
        "error.type": "429",
    }
    assert span.status.is_ok is False


def test_a_failed_connection_is_the_span_s_error_type(unmapped):
    with pytest.raises(requests.ConnectionError):
        requests.post(f"http://127.0.0.1:{free_port()}/v1/chat/completions", json=chat_body())
    (span,) = llm_spans(unmapped)
    assert span.attributes["error.type"] == "ConnectionError"
    assert "gen_ai.usage.input_tokens" not in span.attributes


def test_urllib3_retries_inside_the_adapter_are_one_call(standin, unmapped):
    """The adapter's own retries resend the same request: the application gets one response,
    and there is one span, with the status it got."""
    retry = Retry(total=2, status_forcelist=[503], allowed_methods=None, raise_on_status=False)
    with requests.Session() as session:
        session.mount("http://", HTTPAdapter(max_retries=retry))
        response = session.post(
            standin.root + "/v1/chat/completions",
            json=chat_body(),
            headers={"x-standin-fail": "503"},
        )
    assert response.status_code == 503
    assert len(standin.requests) == 3
    (span,) = llm_spans(unmapped)
    assert (span.attributes["http.response.status_code"], span.attributes["error.type"]) == (
        503,
        "503",
    )


def test_a_stream_closed_unread_ends_its_span_with_usage_missing(standin, unmapped):
    response = requests.post(
        standin.root + "/v1/chat/completions",
        json=chat_body(stream=True),
        headers=usage_header(input=10, output=5),
        stream=True,
    )
    assert llm_spans(unmapped) == []  # the body is not read yet: the call is not over
    next(response.iter_lines())
    response.close()
    (span,) = llm_spans(unmapped)
    assert span.attributes["tokentrace.usage.missing"] is True
    assert "gen_ai.usage.input_tokens" not in span.attributes


def test_huggingface_hub_is_not_needed():
    """A fresh interpreter where `huggingface_hub` cannot be imported meters a call."""
    script = """
import sys
sys.modules["huggingface_hub"] = None  # any import of it raises ImportError
import requests
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
    requests.post(
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


@pytest.mark.parametrize("read", ["iter_lines", "iter_content(1)", "raw.read(7)", "raw iterated"])
def test_injected_stream_usage_is_exact_and_the_app_reads_the_stream_it_asked_for(
    standin, monkeypatch, read
):
    """`TOKENTRACE_STREAM_USAGE=inject`: the request asks for usage, the application reads
    the stream as without it (decoded by tokentrace, so raw reads get it decoded too)."""
    how, expected = READS[read]
    ask = {"model": "gpt-4o-mini", "messages": ASK, "stream": True}

    def call() -> bytes:
        with requests.post(
            standin.root + "/v1/chat/completions",
            json=ask,
            headers=usage_header(input=1234, output=8),
            stream=True,
        ) as response:
            return how(response)

    plain = call()
    assert "stream_options" not in json.loads(standin.requests[-1].body)
    monkeypatch.setenv("TOKENTRACE_STREAM_USAGE", "inject")
    with instrumented(standin, provider_urls="") as exporter:
        injected = call()
    assert json.loads(standin.requests[-1].body)["stream_options"] == {"include_usage": True}
    if expected is bytes:  # read raw: gzip without tokentrace, decoded with it
        plain = gunzip(plain)
    assert re.sub(rb"standin\d+", b"", injected) == re.sub(rb"standin\d+", b"", plain)
    (span,) = llm_spans(exporter)
    found = span.attributes
    assert (found["gen_ai.usage.input_tokens"], found["gen_ai.usage.output_tokens"]) == (1234, 8)
    assert "tokentrace.usage.missing" not in found


@pytest.mark.parametrize("ours_first", [True, False], ids=["ours first", "theirs first"])
def test_with_the_requests_instrumentation_its_span_is_our_parent_and_baggage_stays_home(
    standin, ours_first
):
    """opentelemetry-instrumentation-requests wraps `Session.send` and injects `traceparent`
    and `baggage` there, before the adapter's `send`: its HTTP span is the parent of ours,
    whichever was instrumented first, and the `baggage` it added never reaches the LLM host
    (another host keeps it)."""
    provider = TracerProvider()
    theirs = RequestsInstrumentor()
    if not ours_first:
        theirs.instrument(tracer_provider=provider)
    try:
        with instrumented(standin, provider, provider_urls="") as exporter:
            if ours_first:
                theirs.instrument(tracer_provider=provider)
            with tags(tenant="secret-customer"):
                requests.post(
                    standin.root + "/v1/chat/completions",
                    json=chat_body(),
                    headers=usage_header(input=5, output=2),
                ).json()
                requests.post(standin.root + "/not-an-llm", json={})
    finally:
        theirs.uninstrument()

    (ours,) = llm_spans(exporter)
    http_spans = [span for span in exporter.get_finished_spans() if span is not ours]
    assert [span.name for span in http_spans] == ["POST", "POST"]
    assert ours.parent.span_id == http_spans[0].context.span_id
    assert ours.attributes["tenant"] == "secret-customer"
    llm_request, other = standin.requests
    assert "baggage" not in llm_request.headers
    assert llm_request.headers["traceparent"].split("-")[2] == format(
        http_spans[0].context.span_id, "016x"
    )
    assert other.headers["baggage"] == "tenant=secret-customer"


@pytest.mark.parametrize("compression", ["gzip", "none"])
def test_the_first_json_is_the_calls_document_then_fresh_ones(standin, unmapped, compression):
    """`requests`' `Response.json()` reuses the document the call parsed from the same bytes,
    once, as `json.loads` would give it; later calls parse again."""
    standin.compression = compression
    response = requests.post(
        standin.root + "/v1/chat/completions",
        json=chat_body(),
        headers=usage_header(input=12, output=3),
    )
    kept = response.raw._call._handover

    first = response.json()
    second = response.json()

    assert kept is not None and first is kept[1]
    assert first == second == json.loads(response.content) and second is not first
    assert only_span(unmapped).attributes["gen_ai.usage.input_tokens"] == 12


def test_json_parses_itself_with_arguments_or_another_charset(standin, unmapped):
    response = requests.post(standin.root + "/v1/chat/completions", json=chat_body())
    exact = response.json(parse_int=Decimal)
    assert response.raw._call._handover is not None  # not handed over: it had arguments
    response.encoding = "iso-8859-1"  # `requests` then parses `text`, decoded so
    plain = response.json()
    assert response.raw._call._handover is not None
    assert exact == plain == json.loads(response.content)
    assert type(exact["usage"]["prompt_tokens"]) is Decimal


def test_uninstrument_restores_requests(standin, provider):
    originals = [HTTPAdapter.__dict__["send"], requests.Response.__dict__["json"]]
    instrumentor = LLMInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    patched = [HTTPAdapter.__dict__["send"], requests.Response.__dict__["json"]]
    instrumentor.uninstrument()
    restored = [HTTPAdapter.__dict__["send"], requests.Response.__dict__["json"]]

    assert all(new is not old for new, old in zip(patched, originals, strict=True))
    assert restored == originals
