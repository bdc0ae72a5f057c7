"""An LLM call answered by a redirect (a gateway that moved, a trailing-slash rule): the 3xx
exchange is not a call, and the request the client sends where it points is metered once.

gpt-4o-mini: $0.15 input, $0.60 output per million tokens (https://openai.com/api/pricing/).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import openai
import pytest
import requests

from tokentrace.processor.standins import usage_header

from .conftest import llm_spans, store_spans

USAGE = usage_header(input=2000, output=500)
COST = (2000 * Decimal("0.15") + 500 * Decimal("0.60")) / 1_000_000  # $0.0006


@pytest.fixture
def redirector(standin) -> Iterator[str]:
    """A base URL on another port whose every POST is redirected (307, body kept) to the
    stand-in's root, as a moved gateway answers."""

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(307)
            self.send_header("location", standin.root + self.path)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def stored(exporter, tmp_path, store_client) -> list[tuple]:
    store_spans(llm_spans(exporter), tmp_path, store_client)
    return store_client.query(
        "SELECT provider, model, input_tokens, output_tokens, cost, usage_missing FROM llm_calls"
    ).result_rows


@pytest.mark.parametrize("stream", [False, True])
def test_a_redirected_sdk_call_is_metered_once(
    unmapped, standin, redirector, tmp_path, store_client, stream
):
    """Nothing configured, an unknown host: the openai SDK follows the 307 (httpx re-sends the
    body), and the call it lands on is recognised by its body as the first one was."""
    sdk = openai.OpenAI(base_url=redirector + "/v1", api_key="sk-test", max_retries=0)
    answer = sdk.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hello"}],
        stream=stream,
        stream_options={"include_usage": True} if stream else openai.omit,
        extra_headers=USAGE,
    )
    if stream:
        list(answer)
    assert [span.attributes["http.response.status_code"] for span in llm_spans(unmapped)] == [
        307,
        200,
    ]
    assert stored(unmapped, tmp_path, store_client) == [
        ("openai", "gpt-4o-mini", 2000, 500, COST, 0)
    ]


def test_a_redirected_requests_call_is_metered_once(
    unmapped, standin, redirector, tmp_path, store_client
):
    answer = requests.post(
        redirector + "/v1/chat/completions",
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]},
        headers=USAGE,
        timeout=10,
    )
    assert answer.json()["usage"]["prompt_tokens"] == 2000
    assert stored(unmapped, tmp_path, store_client) == [
        ("openai", "gpt-4o-mini", 2000, 500, COST, 0)
    ]


def test_a_redirected_aiohttp_call_is_metered_once(
    unmapped, standin, redirector, tmp_path, store_client
):
    """aiohttp follows the 307 inside `ClientSession._request`, calling the middlewares again
    with the body kept: two exchanges, two spans, one call stored."""

    async def call() -> dict:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                redirector + "/v1/chat/completions",
                json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]},
                headers=USAGE,
            ) as response,
        ):
            return await response.json()

    assert asyncio.run(call())["usage"]["prompt_tokens"] == 2000
    assert [span.attributes["http.response.status_code"] for span in llm_spans(unmapped)] == [
        307,
        200,
    ]
    assert stored(unmapped, tmp_path, store_client) == [
        ("openai", "gpt-4o-mini", 2000, 500, COST, 0)
    ]
