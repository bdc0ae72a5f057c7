"""Tags: baggage entries become span attributes; the baggage header never reaches a provider."""

from __future__ import annotations

import asyncio
import threading

import anthropic
import httpx2
import openai
from opentelemetry import baggage
from opentelemetry.instrumentation.httpx import HTTPX2ClientInstrumentor

from tokentrace.instrumentation import tags

from .conftest import llm_spans, only_span

MESSAGES = [{"role": "user", "content": "Hi"}]


def openai_client(standin) -> openai.OpenAI:
    return openai.OpenAI(base_url=standin.base_url("openai"), api_key="k", max_retries=0)


def test_nested_tags_override_and_restore(standin, exporter):
    client = openai_client(standin)
    with tags(team="growth", feature="chat"):
        with tags(feature="search", tenant=42, user=None):
            client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
            assert baggage.get_all() == {"team": "growth", "feature": "search", "tenant": "42"}
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert baggage.get_all() == {}

    inner, outer = llm_spans(exporter)
    assert {key: inner.attributes.get(key) for key in ("team", "feature", "tenant", "user")} == {
        "team": "growth",
        "feature": "search",
        "tenant": "42",
        "user": None,
    }
    assert outer.attributes["feature"] == "chat"
    assert "tenant" not in outer.attributes


def test_tags_cannot_overwrite_measured_attributes(standin, exporter):
    with tags(**{"gen_ai.provider.name": "spoofed", "tokentrace.usage.missing": "yes"}, team="a"):
        openai_client(standin).chat.completions.create(model="gpt-4o", messages=MESSAGES)

    span = only_span(exporter)
    assert span.attributes["gen_ai.provider.name"] == "openai"
    assert "tokentrace.usage.missing" not in span.attributes
    assert span.attributes["team"] == "a"


def test_tags_stay_in_their_thread(standin, exporter):
    client = openai_client(standin)
    ready = threading.Barrier(3)

    def work(tenant: str) -> None:
        with tags(tenant=tenant):
            ready.wait()  # all three threads are inside their own `tags` block at once
            client.chat.completions.create(
                model="gpt-4o", messages=MESSAGES, extra_headers={"x-tenant": tenant}
            )

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    sent = {request.headers["x-tenant"] for request in standin.requests}
    assert sent == {"t0", "t1", "t2"}
    assert sorted(span.attributes["tenant"] for span in llm_spans(exporter)) == ["t0", "t1", "t2"]


def test_tags_follow_asyncio_tasks(standin, exporter):
    async def call(client: openai.AsyncOpenAI, conversation: str) -> None:
        with tags(conversation=conversation):
            await asyncio.sleep(0)
            await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    async def run() -> None:
        async with openai.AsyncOpenAI(
            base_url=standin.base_url("openai"), api_key="k", max_retries=0
        ) as client:
            with tags(agent="planner"):
                await asyncio.gather(*(call(client, f"c{i}") for i in range(3)))

    asyncio.run(run())
    found = sorted(
        (span.attributes["conversation"], span.attributes["agent"]) for span in llm_spans(exporter)
    )
    assert found == [("c0", "planner"), ("c1", "planner"), ("c2", "planner")]


def test_baggage_header_never_reaches_provider(standin, exporter, provider):
    """The Anthropic SDK injects baggage itself; the httpx instrumentation's propagator too."""
    httpx_instrumentor = HTTPX2ClientInstrumentor()
    httpx_instrumentor.instrument(tracer_provider=provider)
    try:
        with tags(tenant="secret-customer"):
            openai_client(standin).chat.completions.create(model="gpt-4o", messages=MESSAGES)
            anthropic.Anthropic(
                base_url=standin.base_url("anthropic"), api_key="k", max_retries=0
            ).messages.create(model="claude-sonnet-4-6", max_tokens=10, messages=MESSAGES)
            with httpx2.Client() as client:
                client.post(standin.root + "/not-an-llm", json={})
    finally:
        httpx_instrumentor.uninstrument()

    llm_requests, other = standin.requests[:2], standin.requests[2]
    assert [request.headers.get("baggage") for request in llm_requests] == [None, None]
    assert all("traceparent" in request.headers for request in llm_requests)
    assert other.headers["baggage"] == "tenant=secret-customer"


def test_httpx_span_is_child_of_ours_whatever_the_order(standin, exporter, provider):
    httpx_instrumentor = HTTPX2ClientInstrumentor()
    httpx_instrumentor.instrument(tracer_provider=provider)  # after ours: wraps the transport
    try:
        openai_client(standin).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    finally:
        httpx_instrumentor.uninstrument()

    ours = only_span(exporter)
    (http_span,) = [span for span in exporter.get_finished_spans() if span is not ours]
    assert http_span.name == "POST"
    assert http_span.parent.span_id == ours.context.span_id
    traceparent = standin.requests[0].headers["traceparent"]
    assert traceparent.split("-")[2] == format(http_span.context.span_id, "016x")
