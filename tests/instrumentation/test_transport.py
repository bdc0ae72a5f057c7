"""httpx and httpx2 at the transport level: encodings, byte identity, errors, span lifetime."""

from __future__ import annotations

import asyncio
import gc
import socket
import zlib

import brotli
import httpx
import httpx2
import openai
import pytest
from opentelemetry.trace import StatusCode

from tokentrace.instrumentation import LLMInstrumentor
from tokentrace.processor.standins import usage_header
from tokentrace.processor.standins.server import ZstdCompressor

from .conftest import attributes, call_attributes, llm_spans, only_span

BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}
STREAM_BODY = {**BODY, "stream": True, "stream_options": {"include_usage": True}}
HEADERS = usage_header(input=40, output=8)
LIBRARIES = [httpx, httpx2]


def chat_url(standin) -> str:
    return standin.base_url("openai") + "/chat/completions"


def decode(data: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return zlib.decompress(data, 16 + zlib.MAX_WBITS)
    if encoding == "br":
        return brotli.decompress(data)
    return data


@pytest.fixture
def own_decodes(monkeypatch) -> list[bytes]:
    """The raw bytes the call decompresses itself (not taken from httpx's decoding), in order."""
    from tokentrace.instrumentation import call

    decoded: list[bytes] = []
    decoder_factory = call.decoder_factory

    def counting(content_encoding):
        make = decoder_factory(content_encoding)

        def counted():
            decode = make()
            return lambda data: decoded.append(data) or decode(data)

        return None if make is None else counted

    monkeypatch.setattr(call, "decoder_factory", counting)
    return decoded


@pytest.mark.parametrize("library", LIBRARIES, ids=lambda module: module.__name__)
@pytest.mark.parametrize("encoding", ["gzip", "br", "none"])
def test_sync_stream_bytes_identical_and_usage_read(standin, exporter, library, encoding):
    standin.compression = encoding
    with library.Client() as client:
        request = client.build_request("POST", chat_url(standin), json=STREAM_BODY, headers=HEADERS)
        response = client.send(request, stream=True)
        raw = b"".join(response.iter_raw())
        response.close()

    assert raw == standin.sent[-1]
    assert response.headers.get("content-encoding", "none") == encoding
    found = attributes(only_span(exporter), ttfc=True)
    assert found["gen_ai.usage.input_tokens"] == 40
    assert found["gen_ai.usage.output_tokens"] == 8


@pytest.mark.skipif(ZstdCompressor is None, reason="no zstd module (clickhouse-connect brings one)")
def test_zstd_stream(standin, exporter):
    """httpx2 asks for zstd when a zstd module is installed, as Cloudflare-fronted APIs honour."""
    standin.compression = "zstd"
    with httpx2.Client() as client:
        response = client.post(chat_url(standin), json=STREAM_BODY, headers=HEADERS)

    assert response.headers["content-encoding"] == "zstd"
    assert response.text.endswith("data: [DONE]\n\n")
    assert only_span(exporter).attributes["gen_ai.usage.input_tokens"] == 40


@pytest.mark.parametrize("library", LIBRARIES, ids=lambda module: module.__name__)
def test_async_client_decoded_bytes_identical(standin, exporter, library):
    standin.compression = "br"

    async def run() -> bytes:
        async with (
            library.AsyncClient() as client,
            client.stream("POST", chat_url(standin), json=STREAM_BODY) as response,
        ):
            return b"".join([chunk async for chunk in response.aiter_bytes()])

    assert asyncio.run(run()) == decode(standin.sent[-1], "br")
    assert attributes(only_span(exporter), ttfc=True)["gen_ai.usage.output_tokens"] == 8


@pytest.mark.parametrize("library", LIBRARIES, ids=lambda module: module.__name__)
def test_plain_json_sync(standin, exporter, library):
    with library.Client() as client:
        response = client.post(chat_url(standin), json=BODY, headers=HEADERS)

    assert response.json()["usage"]["prompt_tokens"] == 40
    assert attributes(only_span(exporter)) == {
        **call_attributes(standin, "openai", "chat", "gpt-4o"),
        "gen_ai.response.id": response.json()["id"],
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 40,
        "gen_ai.usage.output_tokens": 8,
        "gen_ai.usage.cache_read.input_tokens": 0,
        "gen_ai.usage.reasoning.output_tokens": 0,
    }


def test_sdk_raw_stream_identical_with_and_without_instrumentation(standin, exporter):
    client = openai.OpenAI(base_url=standin.base_url("openai"), api_key="k", max_retries=0)

    def raw_stream() -> bytes:
        with client.chat.completions.with_streaming_response.create(
            model="gpt-4o", messages=BODY["messages"], stream=True
        ) as response:
            return b"".join(response.iter_bytes())

    instrumented = raw_stream()
    LLMInstrumentor().uninstrument()
    plain = raw_stream()
    LLMInstrumentor().instrument(tracer_provider=None, provider_urls=standin.provider_urls())

    def without_ids(data: bytes) -> bytes:
        return data.replace(b"standin", b"").translate(None, b"0123456789")

    assert instrumented == decode(standin.sent[0], "gzip")
    assert plain == decode(standin.sent[1], "gzip")
    assert without_ids(instrumented) == without_ids(plain)


def test_cut_stream_error_and_missing_usage(standin, exporter):
    client = openai.OpenAI(base_url=standin.base_url("openai"), api_key="k", max_retries=0)
    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=BODY["messages"],
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={"x-standin-fail": "cut"},
    )
    with pytest.raises(openai.APIConnectionError) as caught:
        list(stream)

    assert type(caught.value.__cause__) is httpx2.RemoteProtocolError

    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    found = attributes(span, ttfc=True)
    assert found["error.type"] == "RemoteProtocolError"
    assert found["tokentrace.usage.missing"] is True
    assert not any(key.startswith("gen_ai.usage.") for key in found)


def test_stream_closed_early_ends_span_without_usage(standin, exporter):
    client = openai.OpenAI(base_url=standin.base_url("openai"), api_key="k", max_retries=0)
    stream = client.chat.completions.create(
        model="gpt-4o",
        messages=BODY["messages"],
        stream=True,
        stream_options={"include_usage": True},
    )
    next(iter(stream))
    stream.close()

    span = only_span(exporter)
    assert span.status.status_code is StatusCode.UNSET
    assert attributes(span, ttfc=True)["tokentrace.usage.missing"] is True


def test_unread_response_dropped_ends_span(standin, exporter):
    client = httpx2.Client()
    response = client.send(
        client.build_request("POST", chat_url(standin), json=STREAM_BODY), stream=True
    )
    assert llm_spans(exporter) == []
    del response
    gc.collect()

    assert attributes(only_span(exporter))["tokentrace.usage.missing"] is True
    client.close()


@pytest.mark.parametrize(
    ("status", "sdk_error"), [(429, openai.RateLimitError), (500, openai.InternalServerError)]
)
def test_http_errors(standin, exporter, status, sdk_error):
    client = openai.OpenAI(base_url=standin.base_url("openai"), api_key="k", max_retries=0)
    with pytest.raises(sdk_error):
        client.chat.completions.create(
            model="gpt-4o", messages=BODY["messages"], extra_headers={"x-standin-fail": str(status)}
        )

    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert attributes(span) == {
        **call_attributes(standin, "openai", "chat", "gpt-4o", status=status),
        "error.type": str(status),
    }


def test_read_timeout(standin, exporter):
    client = openai.OpenAI(
        base_url=standin.base_url("openai"), api_key="k", max_retries=0, timeout=0.2
    )
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(
            model="gpt-4o", messages=BODY["messages"], extra_headers={"x-standin-delay": "1"}
        )

    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert attributes(span) == {
        **call_attributes(standin, "openai", "chat", "gpt-4o", status=None),
        "error.type": "ReadTimeout",
    }


def test_connection_refused_same_exception_as_uninstrumented(provider, exporter):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/v1"
    instrumentor = LLMInstrumentor()
    instrumentor.uninstrument()

    def fail() -> BaseException:
        client = openai.OpenAI(base_url=base_url, api_key="k", max_retries=0)
        with pytest.raises(openai.APIConnectionError) as caught:
            client.chat.completions.create(model="gpt-4o", messages=BODY["messages"])
        return caught.value

    plain = fail()
    instrumentor.instrument(tracer_provider=provider, provider_urls=f"openai={base_url}")
    instrumented = fail()

    assert (type(instrumented), str(instrumented)) == (type(plain), str(plain))
    assert type(instrumented.__cause__) is type(plain.__cause__) is httpx2.ConnectError
    span = only_span(exporter)
    assert span.attributes["error.type"] == "ConnectError"
    assert span.attributes["server.port"] == port


def test_non_llm_requests_get_no_span(standin, exporter):
    with httpx2.Client() as client:
        client.post(standin.root + "/not-an-llm-api", json={})
        client.get(chat_url(standin))
        # An LLM-shaped path other apps share, on a host that is neither known nor mapped,
        # naming no model:
        client.post(standin.root + "/elsewhere/v1/responses", json={"input": "hi"})
        client.post(standin.root + "/elsewhere/v1/responses", content=b"model=gpt-4o")

    assert llm_spans(exporter) == []


@pytest.mark.parametrize("keys", ["private", "renamed"])
def test_suppressed_instrumentation_gets_no_span(standin, exporter, monkeypatch, keys):
    """Inside `suppress_instrumentation()` (an exporter's own requests, a library opting out)
    no call is metered, through OpenTelemetry's private keys or, were they renamed, through
    the public check."""
    from opentelemetry import context
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    from tokentrace.instrumentation import send

    if keys == "renamed":
        monkeypatch.delattr(context, "_SUPPRESS_INSTRUMENTATION_KEY")
        monkeypatch.setattr(send, "_suppressed", send._suppression_check())
    with httpx2.Client() as client:
        with suppress_instrumentation():
            client.post(chat_url(standin), json={"model": "gpt-4o", "messages": []})
        assert llm_spans(exporter) == []
        client.post(chat_url(standin), json={"model": "gpt-4o", "messages": []})

    assert len(llm_spans(exporter)) == 1


def test_uninstrument_restores_httpx(standin, exporter):
    LLMInstrumentor().uninstrument()
    assert not hasattr(httpx2.Client._send_single_request, "__wrapped__")
    assert not hasattr(httpx.AsyncClient._send_single_request, "__wrapped__")
    with httpx2.Client() as client:
        client.post(chat_url(standin), json=BODY)
    assert llm_spans(exporter) == []
    LLMInstrumentor().instrument(provider_urls=standin.provider_urls())
    assert hasattr(httpx2.Client._send_single_request, "__wrapped__")


def test_instrumentation_failure_is_logged_once_and_call_unaffected(
    standin, exporter, monkeypatch, caplog
):
    from tokentrace.instrumentation import failures, openai_api

    def broken(*args, **kwargs):
        raise RuntimeError("bug in tokentrace")

    monkeypatch.setattr(openai_api.CHAT, "observe", broken)
    monkeypatch.setattr(failures, "_reported", set())
    client = openai.OpenAI(base_url=standin.base_url("openai"), api_key="k", max_retries=0)
    replies = [
        client.chat.completions.create(model="gpt-4o", messages=BODY["messages"]) for _ in range(2)
    ]

    assert [reply.choices[0].finish_reason for reply in replies] == ["stop", "stop"]
    warnings = [record for record in caplog.records if record.levelname == "WARNING"]
    assert len(warnings) == 1
    assert "tokentrace instrumentation failed" in warnings[0].getMessage()
    assert [span.attributes["tokentrace.usage.missing"] for span in llm_spans(exporter)] == [
        True,
        True,
    ]


class _Stream:
    """A body as a transport streams it, in two chunks (`content=` would be read at once)."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def __iter__(self):
        yield self._data[:40]
        yield self._data[40:]

    def close(self) -> None:
        pass


def _mock_client(library, body: bytes, encoding: str):
    stream_class = type("Body", (_Stream, library.SyncByteStream), {})

    def answer(request):
        headers = {"content-type": "application/json", "content-encoding": encoding}
        return library.Response(200, headers=headers, stream=stream_class(body))

    return library.Client(transport=library.MockTransport(answer))


COMPLETION = (
    b'{"id": "chatcmpl-1", "model": "gpt-4o-2024-08-06", "choices": [{"index": 0, '
    b'"message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}], '
    b'"usage": {"prompt_tokens": 40, "completion_tokens": 8, "total_tokens": 48}}'
)
ENCODED = {
    "gzip": lambda data: zlib.compress(data, wbits=16 + zlib.MAX_WBITS),
    "deflate": zlib.compress,
    "br": brotli.compress,
}


@pytest.mark.parametrize("library", LIBRARIES, ids=lambda module: module.__name__)
@pytest.mark.parametrize("encoding", sorted(ENCODED))
@pytest.mark.parametrize("reader", ["decoded", "raw"])
def test_body_parsed_as_httpx_decodes_it(exporter, own_decodes, library, encoding, reader):
    """A body read decoded is parsed from the pieces httpx decodes for the application, not
    decompressed a second time; a raw-byte reader's body is decompressed by the call itself.
    The span is the same either way."""
    body = ENCODED[encoding](COMPLETION)
    with _mock_client(library, body, encoding) as client:
        request = client.build_request(
            "POST", "https://api.openai.com/v1/chat/completions", json=BODY
        )
        response = client.send(request, stream=True)
        if reader == "decoded":
            assert response.read() == COMPLETION
        else:
            assert b"".join(response.iter_raw()) == body
        response.close()

    assert own_decodes == ([] if reader == "decoded" else [body])
    found = attributes(only_span(exporter))
    assert {key: found[key] for key in found if key.startswith("gen_ai.response")} == {
        "gen_ai.response.id": "chatcmpl-1",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.response.finish_reasons": ["stop"],
    }
    assert found["gen_ai.usage.input_tokens"] == 40
    assert found["gen_ai.usage.output_tokens"] == 8


@pytest.mark.parametrize("library", LIBRARIES, ids=lambda module: module.__name__)
def test_corrupt_gzip_body_read_decoded(exporter, library):
    """httpx cannot decode the body: the application gets its error, the span reports the
    usage missing, as when the call decompressed the body itself."""
    body = bytearray(ENCODED["gzip"](COMPLETION))
    body[30] ^= 0xFF
    with _mock_client(library, bytes(body), "gzip") as client, pytest.raises(library.DecodingError):
        client.post("https://api.openai.com/v1/chat/completions", json=BODY)

    found = attributes(only_span(exporter))
    assert found["tokentrace.usage.missing"] is True
    assert "gen_ai.usage.input_tokens" not in found


@pytest.mark.parametrize("body", [BODY, STREAM_BODY], ids=["json", "stream"])
def test_ended_call_left_to_reference_counting(standin, exporter, body):
    """A call whose span has ended is in no reference cycle: it, its parsed body and its span are
    freed with the response, not left to the cyclic garbage collector."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        with httpx2.Client() as client:
            client.post(chat_url(standin), json=body, headers=HEADERS).read()
        gc.collect()
        left = [type(found).__name__ for found in gc.garbage]
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
        gc.enable()

    assert "LLMCall" not in left
    assert only_span(exporter).attributes["gen_ai.usage.input_tokens"] == 40


def test_body_left_within_a_chunk_still_parsed_whole(exporter):
    """httpx2 decodes a chunk in pieces of at most 1 MiB: an application that stops after the
    first piece and closes leaves the rest undecoded, yet the call parses all of the chunk, as
    when it decompressed the chunk itself (here the usage is in the last of three pieces)."""
    padded = b'{"pad": "' + b"a" * (3 * 2**20) + b'", ' + COMPLETION[1:]
    body = zlib.compress(padded, wbits=16 + zlib.MAX_WBITS)
    assert len(body) < 40_000  # one chunk of _Stream's two, with the gzip header in the first
    with _mock_client(httpx2, body, "gzip") as client:
        request = client.build_request(
            "POST", "https://api.openai.com/v1/chat/completions", json=BODY
        )
        response = client.send(request, stream=True)
        pieces = response.iter_bytes()
        assert len(next(pieces)) == 2**20
        response.close()

    found = attributes(only_span(exporter))
    assert found["gen_ai.usage.input_tokens"] == 40
    assert found["gen_ai.usage.output_tokens"] == 8


def test_sse_stream_decoded_by_the_call_in_batches(standin, exporter, own_decodes):
    """An SSE stream is decoded by the call itself, in batches, even when the application reads
    it decoded: its chunks are single small events, which cost less batched than handed over
    one by one (`LLMCall.decoder_name`)."""
    with httpx2.Client() as client:
        request = client.build_request("POST", chat_url(standin), json=STREAM_BODY, headers=HEADERS)
        response = client.send(request, stream=True)
        text = b"".join(response.iter_bytes())
        response.close()

    assert text.endswith(b"data: [DONE]\n\n")
    assert b"".join(own_decodes) == standin.sent[-1]
    assert attributes(only_span(exporter), ttfc=True)["gen_ai.usage.input_tokens"] == 40
