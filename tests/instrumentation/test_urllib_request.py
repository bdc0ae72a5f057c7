"""LLM calls made with the standard library (`urllib.request.urlopen`, `http.client` used
directly) are metered with nothing configured, once each: they were only warned about, with
no span. Read as the application reads them: `json.load`, line by line, `read1` pieces of a
gzip body; the response is still the `http.client.HTTPResponse` the application expects.

Expected costs are worked out by hand from the providers' published prices (USD per million
tokens): gpt-4o-mini input 0.15, output 0.60 (https://openai.com/api/pricing/);
claude-haiku-4-5 input 1.00, output 5.00 (https://www.anthropic.com/pricing#api).
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request

import pytest
import requests
import urllib3

from tokentrace.instrumentation import LLMInstrumentor
from tokentrace.processor.standins import usage_header

from .conftest import attributes, llm_spans, only_span
from .gateway_calls import (
    ANTHROPIC_KEY,
    OPENAI_KEY,
    chat_body,
    check_three_calls,
    gunzip,
    messages_body,
    sse_documents,
)

KEY = {"authorization": f"Bearer {OPENAI_KEY}"}


def _post(url: str, body: dict, **headers: str) -> urllib.request.Request:
    return urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **headers},
    )


def test_urllib_and_http_client_calls_are_metered_and_priced(
    standin, unmapped, tmp_path, store_client
):
    plain_request = _post(
        standin.root + "/v1/chat/completions",
        chat_body(),
        **KEY,
        **usage_header(input=2000, output=500),
        baggage="tenant=acme",
    )
    with urllib.request.urlopen(plain_request) as response:
        assert isinstance(response, http.client.HTTPResponse)
        plain = json.load(response)
    streamed_request = _post(
        standin.root + "/v1/chat/completions",
        chat_body(stream=True),
        **KEY,
        **usage_header(input=1200, output=300),
    )
    with urllib.request.urlopen(streamed_request) as response:
        chunks = sse_documents(b"".join(response))  # line by line
    port = int(standin.root.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request(
        "POST",
        "/v1/messages",
        json.dumps(messages_body()),
        {
            "x-api-key": ANTHROPIC_KEY,
            "accept-encoding": "gzip",
            **usage_header(input=3000, output=400),
        },
    )
    response = connection.getresponse()
    assert response.headers["content-encoding"] == "gzip"
    pieces = []
    while piece := response.read1(64):
        pieces.append(piece)
    events = sse_documents(gunzip(b"".join(pieces)))
    connection.close()

    check_three_calls(standin, unmapped, plain, chunks, events, tmp_path, store_client)
    assert [request.headers.get("baggage") for request in standin.requests] == [None] * 3


def test_other_requests_are_untouched_and_an_error_is_one_call(standin, unmapped):
    port = int(standin.root.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port)
    connection.request("POST", "/v1/other", json.dumps(chat_body()))
    answer = connection.getresponse()
    assert type(answer) is http.client.HTTPResponse
    answer.read()
    connection.request("GET", "/v1/chat/completions")
    connection.getresponse().read()
    connection.close()
    assert llm_spans(unmapped) == []

    failing = _post(standin.root + "/v1/chat/completions", chat_body(), **{"x-standin-fail": "500"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(failing)
    assert json.load(caught.value)["error"]["type"]  # the provider's error, read through
    caught.value.close()
    span = only_span(unmapped)
    assert attributes(span)["error.type"] == "500"
    assert "gen_ai.usage.input_tokens" not in span.attributes


def test_requests_and_urllib3_are_still_metered_once(standin, unmapped):
    """urllib3's connections subclass `http.client`'s and read their answers through
    `getresponse`: one span each, by urllib3's wrapper."""
    requests.post(
        standin.root + "/v1/chat/completions",
        json=chat_body(),
        headers=usage_header(input=2000, output=500),
    ).json()
    urllib3.request(
        "POST",
        standin.root + "/v1/chat/completions",
        json=chat_body(),
        headers=usage_header(input=2000, output=500),
    ).json()
    spans = llm_spans(unmapped)
    assert [span.attributes["gen_ai.usage.input_tokens"] for span in spans] == [2000, 2000]


def test_uninstrument_restores_http_client(provider):
    request = http.client.HTTPConnection.request
    getresponse = http.client.HTTPConnection.getresponse
    instrumentor = LLMInstrumentor()
    instrumentor.instrument(tracer_provider=provider, provider_urls="")
    assert http.client.HTTPConnection.request is not request
    instrumentor.uninstrument()
    assert http.client.HTTPConnection.request is request
    assert http.client.HTTPConnection.getresponse is getresponse  # never replaced
