"""A call whose connection failed before its request was sent (refused, here) never reached
the provider: stored at a known $0 with its error, one row per attempt the SDK made; a call
sent and never answered (a read timeout) keeps its cost unknown."""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from decimal import Decimal

import anthropic
import httpx2
import openai
import pytest
import requests
import urllib3

from tokentrace.instrumentation.call import LLMCall
from tokentrace.instrumentation.not_sent import NOT_SENT
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.pricing.reprice import reprice

from .conftest import instrumented, llm_spans, store_spans

ASK = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that takes the connection and the request (the kernel's backlog) and never
    answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def _rows(client) -> list[tuple]:
    return client.query(
        "SELECT provider, model, input_tokens, output_tokens, priced, cost, usage_missing,"
        " status, error_type FROM llm_calls ORDER BY provider, model"
    ).result_rows


def test_refused_calls_cost_a_known_zero_one_row_per_attempt(
    standin, closed_port, tmp_path, store_client
):
    urls = f"openai=http://127.0.0.1:{closed_port}/v1,anthropic=http://127.0.0.1:{closed_port}"
    with instrumented(standin, provider_urls=urls) as exporter:
        base = f"http://127.0.0.1:{closed_port}"
        # max_retries=1: the SDK tries twice, each attempt refused
        oai = openai.OpenAI(base_url=base + "/v1", api_key="sk-test", max_retries=1)
        with pytest.raises(openai.APIConnectionError):
            oai.chat.completions.create(model="gpt-4o-mini", messages=ASK)
        claude = anthropic.AsyncAnthropic(base_url=base, api_key="sk-ant-x", max_retries=0)
        with pytest.raises(anthropic.APIConnectionError):
            asyncio.run(
                claude.messages.create(model="claude-haiku-4-5", max_tokens=5, messages=ASK)
            )
        with pytest.raises(requests.ConnectionError):
            requests.post(base + "/v1/chat/completions", json={"model": "gpt-4o", "messages": ASK})
    spans = llm_spans(exporter)
    assert [span.attributes.get(NOT_SENT) for span in spans] == [True] * 4
    store_spans(spans, tmp_path, store_client)
    known_zero = (0, 0, 1, Decimal(0), 0, "error")
    assert _rows(store_client) == [
        ("anthropic", "claude-haiku-4-5", *known_zero, "ConnectError"),
        ("openai", "gpt-4o", *known_zero, "ConnectionError"),
        ("openai", "gpt-4o-mini", *known_zero, "ConnectError"),
        ("openai", "gpt-4o-mini", *known_zero, "ConnectError"),
    ]


def test_a_refused_call_to_an_unpriced_model_is_a_known_zero_and_stays_so_on_reprice(
    standin, closed_port, tmp_path, store_client
):
    """A call refused at connect never reached the provider, whatever its model: a model no
    price list has (a gateway's own alias) was stored unknown (`unknown_model`), since reprice
    could not tell such a row from another source's failed span with zero counts, and would
    have undone a $0. The stored `not_sent` column says it: a known $0 at ingest
    (price_version `not-sent`), and after `tokentrace reprice`; a priced model's alike."""
    with instrumented(standin, provider_urls="") as exporter:
        oai = openai.OpenAI(
            base_url=f"http://127.0.0.1:{closed_port}/v1", api_key="sk-test", max_retries=0
        )
        for model in ("acme-support-alias", "gpt-4o-mini"):
            with pytest.raises(openai.APIConnectionError):
                oai.chat.completions.create(model=model, messages=ASK)
    store_spans(llm_spans(exporter), tmp_path, store_client)
    query = (
        "SELECT provider, model, priced, cost, usage_missing, unpriced_reason, price_version,"
        " not_sent FROM llm_calls ORDER BY model"
    )
    known_zero = (1, Decimal(0), 0, "", "not-sent", 1)
    expected = [
        ("unknown", "acme-support-alias", *known_zero),
        ("openai", "gpt-4o-mini", *known_zero),
    ]
    assert store_client.query(query).result_rows == expected
    since = store_client.query("SELECT min(ts) FROM llm_calls").result_rows[0][0]
    reprice(store_client, Pricer(prices_file=""), since)
    assert store_client.query(query).result_rows == expected


def test_a_call_sent_and_never_answered_stays_unknown(standin, silent_port, tmp_path, store_client):
    base = f"http://127.0.0.1:{silent_port}"
    with instrumented(standin, provider_urls=f"openai={base}/v1") as exporter:
        oai = openai.OpenAI(base_url=base + "/v1", api_key="sk-test", max_retries=0, timeout=0.5)
        with pytest.raises(openai.APITimeoutError):
            oai.chat.completions.create(model="gpt-4o-mini", messages=ASK)
    [span] = llm_spans(exporter)
    assert NOT_SENT not in span.attributes
    store_spans([span], tmp_path, store_client)
    # priced 0: the cost column's 0 is no price (what every view shows as unknown)
    assert _rows(store_client) == [
        ("openai", "gpt-4o-mini", 0, 0, 0, Decimal(0), 1, "error", "ReadTimeout")
    ]


def test_urllib_and_urllib3_mark_a_refused_call_not_sent(standin, closed_port):
    url = f"http://127.0.0.1:{closed_port}/v1/chat/completions"
    body = b'{"model": "gpt-4o", "messages": []}'
    with instrumented(standin, provider_urls=f"openai=http://127.0.0.1:{closed_port}/v1") as spans:
        with pytest.raises(urllib.error.URLError):  # http.client's ConnectionRefusedError
            urllib.request.urlopen(urllib.request.Request(url, data=body))
        with pytest.raises(urllib3.exceptions.NewConnectionError):
            urllib3.PoolManager(retries=False).request("POST", url, body=body)
    assert [
        (span.attributes["error.type"], span.attributes.get(NOT_SENT)) for span in llm_spans(spans)
    ] == [("ConnectionRefusedError", True), ("NewConnectionError", True)]


@pytest.fixture
def drop_then_refuse() -> Iterator[int]:
    """A port that takes one connection, reads its request, closes without answering, and
    then stops listening: a retry of that request is refused."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve_once() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        listener.close()
        conn.close()

    thread = threading.Thread(target=serve_once, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.close()
    thread.join(5)


@pytest.mark.parametrize("client", ["urllib3", "requests"])
def test_a_call_sent_then_retried_into_a_refused_connect_stays_unknown(
    standin, drop_then_refuse, client, tmp_path, store_client
):
    """urllib3's `Retry` (under `requests` too) sends the call, the connection drops with no
    answer, and the retry's connect is refused: the provider may have run the first attempt,
    so the call's cost is unknown, not the $0 of a call never sent."""
    base = f"http://127.0.0.1:{drop_then_refuse}"
    url = base + "/v1/chat/completions"
    body = b'{"model": "gpt-4o", "messages": []}'
    retry = urllib3.Retry(total=3, connect=1, read=1, allowed_methods=None)
    with instrumented(standin, provider_urls=f"openai={base}/v1") as exporter:
        if client == "urllib3":
            with pytest.raises(urllib3.exceptions.MaxRetryError) as raised:
                urllib3.PoolManager(retries=retry).request("POST", url, body=body)
            assert isinstance(raised.value.reason, urllib3.exceptions.NewConnectionError)
        else:
            session = requests.Session()
            session.mount("http://", requests.adapters.HTTPAdapter(max_retries=retry))
            with pytest.raises(requests.ConnectionError):
                session.post(url, data=body)
    [span] = llm_spans(exporter)
    assert NOT_SENT not in span.attributes
    store_spans([span], tmp_path, store_client)
    error = "MaxRetryError" if client == "urllib3" else "ConnectionError"
    assert _rows(store_client) == [("openai", "gpt-4o", 0, 0, 0, Decimal(0), 1, "error", error)]


def test_a_call_refused_on_every_retry_is_still_a_known_zero(standin, closed_port):
    """urllib3's default `Retry` (3 connects) against a closed port: no attempt was sent."""
    url = f"http://127.0.0.1:{closed_port}/v1/chat/completions"
    body = b'{"model": "gpt-4o", "messages": []}'
    pool = urllib3.PoolManager(retries=urllib3.Retry(3, backoff_factor=0))
    with (
        instrumented(standin, provider_urls=f"openai=http://127.0.0.1:{closed_port}/v1") as spans,
        pytest.raises(urllib3.exceptions.MaxRetryError),
    ):
        pool.request("POST", url, body=body)
    assert [span.attributes.get(NOT_SENT) for span in llm_spans(spans)] == [True]


def test_a_finished_call_is_freed_at_once(standin, exporter):
    """The call's context (`IN_CALL`) carries what a retry tells the call, never the call
    itself: a call its own context held was a reference cycle, each call (span, buffers,
    context) left to the cyclic collector, 8–9 k instructions per call (BENCHMARKS.md)."""
    url = standin.base_url("openai") + "/chat/completions"
    body = {"model": "gpt-4o-mini", "messages": ASK}
    with httpx2.Client() as client:
        client.post(url, json=body).read()  # warm: imports, pools, caches
        gc.collect()
        gc.disable()
        try:
            client.post(url, json=body).read()
            left = [kept for kept in gc.get_objects() if isinstance(kept, LLMCall)]
        finally:
            gc.enable()
    assert len(llm_spans(exporter)) == 2
    assert left == []
