"""`Response.json()` gets the document the call parsed from the same bytes, once, and exactly
what `json.loads` gives; anything else is parsed by httpx as without us."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from collections.abc import Iterator
from decimal import Decimal

import httpx
import httpx2
import openai
import pytest

from tokentrace.instrumentation import LLMInstrumentor
from tokentrace.instrumentation.bodies import JSON_LIMIT

from .conftest import only_span

LIBRARIES = [httpx, httpx2]
URL = "https://api.openai.com/v1/chat/completions"
REQUEST = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}
ANSWER = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15, "cost": 1.5e-5},
}


def client_for(library, body: bytes, encoding: str = "gzip"):
    """A client whose transport streams `body` (so it passes through tokentrace's tee)."""
    data = gzip.compress(body) if encoding == "gzip" else body

    class Body(library.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield data

    def answer(request):
        headers = {"content-type": "application/json", "content-length": str(len(data))}
        if encoding == "gzip":
            headers["content-encoding"] = "gzip"
        return library.Response(200, headers=headers, stream=Body())

    return library.Client(transport=library.MockTransport(answer))


@pytest.mark.parametrize("library", LIBRARIES, ids=lambda module: module.__name__)
@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_first_json_is_the_calls_document_then_fresh_ones(exporter, library, encoding):
    body = json.dumps(ANSWER).encode()
    with client_for(library, body, encoding) as client:
        response = client.post(URL, json=REQUEST)
        kept = response.stream._call._handover

        first = response.json()
        second = response.json()

    assert kept is not None and first is kept[1]
    assert first == second == json.loads(body) and second is not first
    assert only_span(exporter).attributes["gen_ai.usage.input_tokens"] == 12


@pytest.mark.parametrize("library", LIBRARIES, ids=lambda module: module.__name__)
def test_async_client_gets_the_calls_document(exporter, library):
    body = json.dumps(ANSWER).encode()
    data = gzip.compress(body)

    class Body(library.AsyncByteStream):
        async def __aiter__(self):
            yield data

    def answer(request):
        headers = {"content-type": "application/json", "content-encoding": "gzip"}
        return library.Response(200, headers=headers, stream=Body())

    async def run():
        async with library.AsyncClient(transport=library.MockTransport(answer)) as client:
            response = await client.post(URL, json=REQUEST)
            return response.stream._call._handover, response.json()

    kept, document = asyncio.run(run())

    assert kept is not None and document is kept[1]
    assert document == json.loads(body)
    assert only_span(exporter).attributes["gen_ai.usage.output_tokens"] == 3


@pytest.mark.parametrize("library", LIBRARIES, ids=lambda module: module.__name__)
def test_json_with_arguments_parses_itself(exporter, library):
    with client_for(library, json.dumps(ANSWER).encode()) as client:
        response = client.post(URL, json=REQUEST)
        exact = response.json(parse_float=Decimal)
        plain = response.json()

    assert exact["usage"]["cost"] == Decimal("0.000015")
    assert plain["usage"]["cost"] == 1.5e-5
    assert response.stream._call._handover is None  # the plain call was handed the document


@pytest.mark.parametrize("library", LIBRARIES, ids=lambda module: module.__name__)
def test_invalid_body_raises_as_without_instrumentation(exporter, library):
    body = b'{"id": "chatcmpl-1", "usage": {"prompt_tokens": 12,'
    with client_for(library, body) as client:
        response = client.post(URL, json=REQUEST)
        with pytest.raises(json.JSONDecodeError) as instrumented:
            response.json()
    with pytest.raises(json.JSONDecodeError) as plain:
        json.loads(body)

    assert str(instrumented.value) == str(plain.value)
    assert only_span(exporter).attributes["tokentrace.usage.missing"] is True


@pytest.mark.parametrize("library", LIBRARIES, ids=lambda module: module.__name__)
def test_body_too_large_to_keep_is_parsed_by_httpx(exporter, library):
    big = {"padding": "x" * JSON_LIMIT, **ANSWER}  # usage in the tail, as it is read
    body = json.dumps(big).encode()
    with client_for(library, body) as client:
        response = client.post(URL, json=REQUEST)
        document = response.json()

    assert response.stream._call._handover is None
    assert document == big
    assert only_span(exporter).attributes["gen_ai.usage.input_tokens"] == 12


def test_uninstrument_restores_json(standin, provider):
    originals = [library.Response.__dict__["json"] for library in LIBRARIES]
    instrumentor = LLMInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    patched = [library.Response.__dict__["json"] for library in LIBRARIES]
    instrumentor.uninstrument()
    restored = [library.Response.__dict__["json"] for library in LIBRARIES]

    assert all(new is not old for new, old in zip(patched, originals, strict=True))
    assert all(new is old for new, old in zip(restored, originals, strict=True))


def test_openai_sdk_builds_its_objects_from_the_calls_document(standin, exporter):
    """The real SDK parses the answer with `response.json()`: it is handed the call's document
    and builds the very ChatCompletion its own parse of the bytes gives."""
    client = openai.OpenAI(api_key="sk-test", base_url=standin.base_url("openai"))
    raw = client.chat.completions.with_raw_response.create(**REQUEST)
    call = raw.http_response.stream._call
    held = call._handover

    completion = raw.parse()

    body = json.loads(zlib.decompress(standin.sent[-1], 16 + zlib.MAX_WBITS))
    expected = openai.types.chat.ChatCompletion.model_validate(body)
    assert held is not None and call._handover is None
    assert completion.model_dump() == expected.model_dump()
    assert (
        only_span(exporter).attributes["gen_ai.usage.input_tokens"]
        == body["usage"]["prompt_tokens"]
    )
