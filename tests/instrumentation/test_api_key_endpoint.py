"""The `api_key` fingerprint and the `endpoint` of each call, captured with no code change."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx2
import openai
import pytest
from google import genai
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from tokentrace.instrumentation.api_keys import fingerprint, request_fingerprint
from tokentrace.instrumentation.endpoints import attribute

from .conftest import llm_spans, only_span
from .test_autoinstrument import _Handler, _Receiver, value

KEY = "sk-proj-Zq8vN2xYt7LmK4pR9sW1aBcD5eF6gH3j"


def _hash(key: str, salt: str = "tokentrace") -> str:
    return hmac.new(salt.encode(), key.encode(), hashlib.sha256).hexdigest()[:8]


def test_fingerprint_is_the_redacted_form_plus_a_salted_hash():
    assert fingerprint(KEY) == f"sk-proj-…gH3j#{_hash(KEY)}"
    assert fingerprint("sk-ant-api03-" + "x" * 40 + "abcd", "s").startswith("sk-ant-api03-…abcd#")
    assert fingerprint("AIzaSyD" + "k" * 28 + "wxyz", "s").startswith("AIz…wxyz#")
    other = KEY[:-8] + "zzzzgH3j"  # same last four
    assert fingerprint(other) != fingerprint(KEY)
    assert fingerprint(KEY, "our-salt") == f"sk-proj-…gH3j#{_hash(KEY, 'our-salt')}"
    assert fingerprint("short-key") == f"…#{_hash('short-key')}"  # too short to show any


def _span_key(exporter, key: str) -> str:
    """The call's fingerprint; no attribute of the span holds the key or its middle."""
    attributes = only_span(exporter).attributes
    exporter.clear()
    assert not any(key[8:-4] in str(value) for value in attributes.values())
    return attributes["tokentrace.api_key"]


@pytest.mark.parametrize(
    ("headers", "url", "expected"),
    [
        ({"Authorization": f"Bearer {KEY}"}, "", KEY),
        ({"Authorization": f"  bearer   {KEY}  "}, "", KEY),
        ({"Authorization": "Basic dXNlcjpwYXNz", "x-api-key": "sk-ant-api03-abcdefghijklmnop"},
         "", "sk-ant-api03-abcdefghijklmnop"),
        ({"Authorization": "Bearer ", "api-key": "azure-key-012345678"}, "", "azure-key-012345678"),
        ({"x-api-key": "   ", "Authorization": f"Bearer {KEY}"}, "", None),
        ({"x-goog-api-key": "AIzaSyA-0123456789abcdefghij"}, "", "AIzaSyA-0123456789abcdefghij"),
        ({}, "?alt=sse&key=AIzaSyB-0123456789abcdefghij", "AIzaSyB-0123456789abcdefghij"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "?key=", None),
        ({}, "", None),
    ],
)  # fmt: skip
def test_request_fingerprint_finds_the_credential(headers, url, expected):
    """The first credential header that carries a key wins (a non-Bearer `Authorization` does
    not, a blank key ends the search); the `key` query parameter otherwise. Asked twice, as the
    second answer comes from the cache."""
    request = httpx2.Request("POST", f"https://api.example.com/v1/chat{url}", headers=headers)
    want = None if expected is None else fingerprint(expected)
    assert request_fingerprint(request) == want
    assert request_fingerprint(request) == want


def test_each_sdk_s_credential_is_fingerprinted(standin, exporter):
    ask = [{"role": "user", "content": "Hi"}]
    oai = openai.OpenAI(base_url=standin.base_url("openai"), api_key=KEY, max_retries=0)
    oai.chat.completions.create(model="gpt-4o-mini", messages=ask)
    assert _span_key(exporter, KEY) == fingerprint(KEY)

    claude_key = "sk-ant-api03-" + "Q" * 80 + "9xYz"
    claude = anthropic.Anthropic(
        base_url=standin.base_url("anthropic"), api_key=claude_key, max_retries=0
    )
    claude.messages.create(model="claude-haiku-4-5", max_tokens=10, messages=ask)
    assert _span_key(exporter, claude_key) == f"sk-ant-api03-…9xYz#{_hash(claude_key)}"

    gemini_key = "AIzaSyD" + "k" * 28 + "wxyz"
    client = genai.Client(api_key=gemini_key, http_options={"base_url": standin.base_url("gemini")})
    client.models.generate_content(model="gemini-2.5-flash", contents="Hi")
    assert _span_key(exporter, gemini_key) == f"AIz…wxyz#{_hash(gemini_key)}"


def test_endpoint_is_the_route_of_the_enclosing_server_span(standin, exporter, provider):
    tracer = provider.get_tracer("app")
    oai = openai.OpenAI(base_url=standin.base_url("openai"), api_key=KEY, max_retries=0)
    ask = [{"role": "user", "content": "Hi"}]
    with tracer.start_as_current_span("POST", kind=SpanKind.SERVER) as server:
        server.set_attribute("http.route", "/tickets/{id}/summarise")  # set after start
        with tracer.start_as_current_span("load ticket"), tracer.start_as_current_span("llm"):
            oai.chat.completions.create(model="gpt-4o-mini", messages=ask)
    with tracer.start_as_current_span("GET /health", kind=SpanKind.SERVER):
        oai.chat.completions.create(model="gpt-4o-mini", messages=ask)
    with tracer.start_as_current_span("run/tasks.summarise", kind=SpanKind.CONSUMER) as task:
        task.set_attribute("celery.task_name", "tasks.summarise")
        oai.chat.completions.create(model="gpt-4o-mini", messages=ask)
    with tracer.start_as_current_span("run/tasks.nightly", kind=SpanKind.CONSUMER):
        oai.chat.completions.create(model="gpt-4o-mini", messages=ask)
    oai.chat.completions.create(model="gpt-4o-mini", messages=ask)  # no server span

    endpoints = [span.attributes.get("tokentrace.endpoint") for span in llm_spans(exporter)]
    assert endpoints == [
        "/tickets/{id}/summarise",
        "GET /health",
        "tasks.summarise",
        "tasks.nightly",
        None,
    ]
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_gateway_server_span_describing_the_call_marks_ours_duplicate(standin, exporter, provider):
    """A gateway's SERVER span that carries GenAI attributes describes the call it forwards: ours,
    inside it, is marked its duplicate (and gets its route), as under an SDK-level span."""
    tracer = provider.get_tracer("gateway")
    oai = openai.OpenAI(base_url=standin.base_url("openai"), api_key=KEY, max_retries=0)
    with tracer.start_as_current_span(
        "chat gpt-4o-mini",
        kind=SpanKind.SERVER,
        attributes={"gen_ai.operation.name": "chat", "http.route": "/v1/chat/completions"},
    ) as server:
        oai.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
        )

    ours = only_span(exporter)
    assert ours.attributes["tokentrace.duplicate_of"] == format(
        server.get_span_context().span_id, "016x"
    )
    assert ours.attributes["tokentrace.endpoint"] == "/v1/chat/completions"


def test_attribute_of_a_span_that_is_not_the_sdk_s():
    class Span:
        attributes = {"http.route": "/a"}

    assert attribute(Span(), "http.route") == "/a"
    assert attribute(Span(), "celery.task_name") is None
    assert attribute(object(), "http.route") is None


APP = """
import openai
from fastapi import FastAPI
from fastapi.testclient import TestClient

app = FastAPI()
client = openai.OpenAI(base_url="{base_url}", api_key="{key}", max_retries=0)


@app.post("/tickets/{{ticket_id}}/summarise")
def summarise(ticket_id: int) -> dict:
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{{"role": "user", "content": "Summarise"}}]
    )
    return {{"ticket": ticket_id}}


assert TestClient(app).post("/tickets/42/summarise").json() == {{"ticket": 42}}
"""


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver(("127.0.0.1", 0), _Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_fastapi_app_under_opentelemetry_instrument(standin, receiver, tmp_path: Path):
    """A FastAPI app, unchanged, under the launcher with the FastAPI instrumentation."""
    app = tmp_path / "app.py"
    app.write_text(APP.format(base_url=standin.base_url("openai"), key=KEY))
    env = {
        **os.environ,
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.server_address[1]}",
        "OTEL_BSP_SCHEDULE_DELAY": "50",
        "OTEL_SERVICE_NAME": "support",
    }
    instrument = Path(sys.executable).with_name("opentelemetry-instrument")
    result = subprocess.run(
        [str(instrument), sys.executable, str(app)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    spans = {
        scope_spans.scope.name: span
        for request in receiver.requests
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
        if span.kind == span.SPAN_KIND_SERVER
        or scope_spans.scope.name == "tokentrace.instrumentation.instrumentor"
    }
    server = spans["opentelemetry.instrumentation.fastapi"]
    llm = spans["tokentrace.instrumentation.instrumentor"]
    assert llm.trace_id == server.trace_id
    attributes = {item.key: value(item.value) for item in llm.attributes}
    assert attributes["tokentrace.endpoint"] == "/tickets/{ticket_id}/summarise"
    assert attributes["tokentrace.api_key"] == f"sk-proj-…gH3j#{_hash(KEY)}"
    assert attributes["gen_ai.provider.name"] == "openai"  # unmapped: the model names it
