"""Hard caps: an enforced budget that is spent refuses the next call locally, in the
provider's own 429, for the real SDKs sync and async, streamed and not; fails open."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
import anthropic
import niquests
import ollama
import openai
import pytest
import requests
import urllib3
from google import genai
from google.genai import errors as genai_errors
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tokentrace.instrumentation import LLMInstrumentor, tags
from tokentrace.processor.demo.serve_process import ServeProcess, free_port
from tokentrace.processor.standins import usage_header

from .conftest import llm_spans

ASK = [{"role": "user", "content": "Hi"}]
TOKEN = "guard-s3cret"


def _api(serve: ServeProcess, method: str, path: str, body: object = None) -> object:
    request = urllib.request.Request(
        serve.url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"authorization": f"Bearer {TOKEN}", "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _wait(condition, what: str) -> None:
    for _ in range(300):
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def guarded(standin, tmp_path: Path, monkeypatch) -> Iterator[tuple]:
    """serve on an embedded store; the app instrumented with the guard, exporting to serve."""
    url = f"chdb://{tmp_path / 'chdb'}"
    env = {"TOKENTRACE_AUTH_TOKEN": TOKEN}
    with ServeProcess(url, tmp_path / "spool", tmp_path / "serve.log", env=env) as serve:
        monkeypatch.setenv("TOKENTRACE_BUDGET_GUARD", serve.url)
        monkeypatch.setenv("TOKENTRACE_BUDGET_GUARD_INTERVAL", "0.2")
        monkeypatch.setenv("TOKENTRACE_AUTH_TOKEN", TOKEN)
        provider = TracerProvider(resource=Resource.create({"service.name": "checkout"}))
        memory = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(memory))
        otlp = OTLPSpanExporter(
            endpoint=serve.url + "/v1/traces", headers={"authorization": f"Bearer {TOKEN}"}
        )
        provider.add_span_processor(SimpleSpanProcessor(otlp))
        instrumentor = LLMInstrumentor()
        instrumentor.instrument(tracer_provider=provider, provider_urls=standin.provider_urls())
        try:
            yield serve, instrumentor, memory
        finally:
            instrumentor.uninstrument()
            provider.shutdown()


@pytest.mark.slow
@pytest.mark.usefixtures("one_utc_day")  # the budget is a day's: spent today, blocking today
def test_a_spent_enforced_budget_blocks_the_next_calls_before_they_are_sent(standin, guarded):
    serve, instrumentor, memory = guarded
    guard = instrumentor._guard
    _api(serve, "PUT", "/api/v1/budgets", {"scope": "team=growth", "amount": "0.001",
                                             "period": "day", "enforce": True})  # fmt: skip
    _api(serve, "PUT", "/api/v1/budgets", {"scope": "team=other", "amount": "0.001",
                                             "period": "day"})  # not enforced  # fmt: skip
    oai = openai.OpenAI(base_url=standin.base_url("openai"), api_key="sk-test", max_retries=2)
    with tags(team="growth"):
        # queued, no usage yet: no call until a retrieve reads it (gpt-4o: 100 x 2.50 + 10 x
        # 10.00 per million = 0.00035 USD)
        background = oai.responses.create(
            model="gpt-4o", input="Hi", background=True,
            extra_headers={**usage_header(input=100, output=10), "x-standin-polls": "0"},
        )  # fmt: skip
        # gpt-4o-mini: 4000 x 0.15 + 1000 x 0.60 per million = 0.0012 USD, over 0.001.
        oai.chat.completions.create(
            model="gpt-4o-mini", messages=ASK, extra_headers=usage_header(input=4000, output=1000)
        )
    _wait(lambda: guard.exceeded, "the guard to see the budget spent")
    [state] = _api(serve, "GET", "/api/v1/budgets/enforced")["budgets"]
    assert (state["scope"], state["spent"], state["exceeded"]) == ("team=growth", "0.0012", True)

    sent = len(standin.requests)
    aoai = openai.AsyncOpenAI(base_url=standin.base_url("openai"), api_key="sk-test")
    claude = anthropic.Anthropic(base_url=standin.base_url("anthropic"), api_key="sk-ant-x")
    aclaude = anthropic.AsyncAnthropic(base_url=standin.base_url("anthropic"), api_key="sk-a")
    gemini = genai.Client(api_key="g-key", http_options={"base_url": standin.base_url("gemini")})

    async def async_calls() -> None:
        with pytest.raises(openai.RateLimitError, match="team=growth"):
            await aoai.chat.completions.create(model="gpt-4o-mini", messages=ASK)
        with pytest.raises(openai.RateLimitError):
            await aoai.chat.completions.create(model="gpt-4o-mini", messages=ASK, stream=True)
        with pytest.raises(anthropic.RateLimitError, match="team=growth"):
            await aclaude.messages.create(model="claude-haiku-4-5", max_tokens=5, messages=ASK)
        with pytest.raises(anthropic.RateLimitError):
            async with aclaude.messages.stream(
                model="claude-haiku-4-5", max_tokens=5, messages=ASK
            ) as stream:
                await stream.get_final_message()

    async def aiohttp_calls() -> None:
        async with aiohttp.ClientSession() as session:
            url = standin.base_url("openai") + "/chat/completions"
            async with session.post(url, json={"model": "gpt-4o-mini", "messages": ASK}) as r:
                assert r.status == 429
                assert (await r.json())["error"]["code"] == "budget_exceeded"
                with pytest.raises(aiohttp.ClientResponseError, match="429"):
                    r.raise_for_status()
            url = standin.base_url("anthropic") + "/v1/messages"
            body = {"model": "claude-haiku-4-5", "max_tokens": 5, "messages": ASK, "stream": True}
            async with session.post(url, json=body) as r:
                lines = [line async for line in r.content]
                assert json.loads(b"".join(lines))["error"]["type"] == "rate_limit_error"

    async def niquests_call() -> None:
        async with niquests.AsyncSession() as session:
            url = standin.base_url("openai") + "/chat/completions"
            r = await session.post(url, json={"model": "gpt-4o-mini", "messages": ASK})
            assert r.status_code == 429
            assert r.json()["error"]["code"] == "budget_exceeded"

    with tags(team="growth"):
        with pytest.raises(openai.RateLimitError, match="team=growth") as caught:
            oai.chat.completions.create(model="gpt-4o-mini", messages=ASK)
        assert caught.value.code == "budget_exceeded"
        with pytest.raises(openai.RateLimitError):
            for _ in oai.chat.completions.create(model="gpt-4o-mini", messages=ASK, stream=True):
                pass
        with pytest.raises(anthropic.RateLimitError, match="team=growth"):
            claude.messages.create(model="claude-haiku-4-5", max_tokens=5, messages=ASK)
        with (
            pytest.raises(anthropic.RateLimitError),
            claude.messages.stream(model="claude-haiku-4-5", max_tokens=5, messages=ASK) as stream,
        ):
            stream.get_final_message()
        with pytest.raises(genai_errors.ClientError, match="team=growth") as refused:
            gemini.models.generate_content(model="gemini-2.5-flash", contents="Hi")
        assert refused.value.code == 429
        local = ollama.Client(host=standin.base_url("ollama"))
        with pytest.raises(ollama.ResponseError, match="team=growth") as refused_locally:
            local.chat(model="llama3.2", messages=ASK, stream=False)
        assert refused_locally.value.status_code == 429
        with pytest.raises(ollama.ResponseError, match="team=growth"):
            list(local.chat(model="llama3.2", messages=ASK, stream=True))
        bedrock = anthropic.AnthropicBedrock(
            aws_access_key="AKIAIOSFODNN7EXAMPLE",
            aws_secret_key="x",
            aws_region="us-east-1",
            base_url=standin.base_url("bedrock"),
        )
        haiku = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
        with pytest.raises(anthropic.RateLimitError, match="team=growth"):
            bedrock.messages.create(model=haiku, max_tokens=5, messages=ASK)
        with pytest.raises(anthropic.RateLimitError):
            for _ in bedrock.messages.create(model=haiku, max_tokens=5, messages=ASK, stream=True):
                pass
        asyncio.run(async_calls())
        # requests: the adapter builds the provider's 429, as the provider would send it.
        refused_plainly = requests.post(
            standin.base_url("openai") + "/chat/completions",
            json={"model": "gpt-4o-mini", "messages": ASK},
        )
        assert refused_plainly.status_code == 429
        assert refused_plainly.json()["error"]["code"] == "budget_exceeded"
        with pytest.raises(requests.HTTPError, match="429"):
            refused_plainly.raise_for_status()
        # urllib3: the pool answers the provider's 429 itself, read whole and streamed.
        pool = urllib3.PoolManager()
        refused_by_pool = pool.request(
            "POST",
            standin.base_url("openai") + "/chat/completions",
            json={"model": "gpt-4o-mini", "messages": ASK},
        )
        assert refused_by_pool.status == 429
        assert refused_by_pool.json()["error"]["code"] == "budget_exceeded"
        assert "team=growth" in refused_by_pool.json()["error"]["message"]
        streamed = pool.request(
            "POST",
            standin.base_url("anthropic") + "/v1/messages",
            json={"model": "claude-haiku-4-5", "max_tokens": 5, "messages": ASK, "stream": True},
            preload_content=False,
        )
        assert streamed.status == 429
        assert json.loads(b"".join(streamed.stream(7)))["error"]["type"] == "rate_limit_error"
        streamed.release_conn()
        # urllib.request: the connection answers the provider's 429 itself, raised as urllib
        # raises a provider's.
        refused_by_urllib = urllib.request.Request(
            standin.base_url("openai") + "/chat/completions",
            data=json.dumps({"model": "gpt-4o-mini", "messages": ASK}).encode(),
            headers={"content-type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError, match="429") as caught_by_urllib:
            urllib.request.urlopen(refused_by_urllib)
        assert json.load(caught_by_urllib.value)["error"]["code"] == "budget_exceeded"
        # niquests' AsyncSession: urllib3-future's async pool answers the provider's 429.
        asyncio.run(niquests_call())
        # aiohttp: a local `ClientResponse` with the provider's 429, read every way.
        asyncio.run(aiohttp_calls())
    assert len(standin.requests) == sent  # nothing reached the provider: no retries either

    # Reading the usage of a call already made is never refused: it is spent.
    with tags(team="growth"):
        assert oai.responses.retrieve(background.id).usage.output_tokens == 10
    sent += 1
    assert len(standin.requests) == sent

    # Other dimensions, and a budget that is not enforced, are not blocked.
    with tags(team="other"):
        oai.chat.completions.create(model="gpt-4o-mini", messages=ASK)
    assert len(standin.requests) == sent + 1

    blocked = [s for s in llm_spans(memory) if s.attributes.get("tokentrace.budget.blocked")]
    assert len(blocked) == 20
    assert {s.attributes["tokentrace.budget.scope"] for s in blocked} == {"team=growth"}
    assert all(s.attributes["gen_ai.usage.input_tokens"] == 0 for s in blocked)

    # serve counts them: 20 blocked calls, cost 0, in the totals and by endpoint.
    now = datetime.now(UTC)
    window = f"?from={(now - timedelta(hours=1)).isoformat()}&to={now.isoformat()}"
    window = window.replace("+", "%2B")

    def totals() -> dict:
        return _api(serve, "GET", "/api/v1/views/totals" + window)["rows"][0]

    _wait(lambda: int(totals()["requests"]) == 23, "serve to store the 23 calls")
    found = totals()
    # 0.0012 spent, the background response's 0.00035, plus team=other's 6 input and 8 output
    # tokens; the blocked calls cost 0.
    other = (6 * Decimal("0.15") + 8 * Decimal("0.60")) / 1_000_000
    assert (int(found["blocked_requests"]), Decimal(found["cost"])) == (
        20,
        Decimal("0.0012") + Decimal("0.00035") + other,
    )


def test_the_guard_fails_open_and_says_so_once(standin, monkeypatch, caplog):
    monkeypatch.setenv("TOKENTRACE_BUDGET_GUARD", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("TOKENTRACE_BUDGET_GUARD_INTERVAL", "0.1")
    provider = TracerProvider()
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    instrumentor = LLMInstrumentor()
    with caplog.at_level(logging.WARNING, logger="tokentrace.instrumentation"):
        instrumentor.instrument(tracer_provider=provider, provider_urls=standin.provider_urls())
        try:
            guard = instrumentor._guard
            for _ in range(3):
                guard.refresh()
            oai = openai.OpenAI(base_url=standin.base_url("openai"), api_key="k", max_retries=0)
            oai.chat.completions.create(model="gpt-4o-mini", messages=ASK)
        finally:
            instrumentor.uninstrument()
    warnings = [r for r in caplog.records if "budget guard" in r.getMessage()]
    assert len(warnings) == 1
    assert "calls are not blocked" in warnings[0].getMessage()
    assert len(standin.requests) == 1
    assert "tokentrace.budget.blocked" not in llm_spans(memory)[0].attributes
