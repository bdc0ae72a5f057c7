"""LLM calls made with urllib3 itself (apps posting with a `PoolManager`, boto3 and botocore's
Bedrock Runtime client), metered with nothing configured, once each: not again under
`requests`, which sends through urllib3, nor for urllib3's own retries.

Expected costs are worked out by hand from the providers' published prices (USD per million
tokens): gpt-4o-mini input 0.15, output 0.60 (https://openai.com/api/pricing/);
claude-haiku-4-5 input 1.00, output 5.00 (https://www.anthropic.com/pricing#api); Claude 3.5
Haiku on Bedrock input 0.80, output 4 (https://aws.amazon.com/bedrock/pricing/, the same
through a cross-region profile).
"""

from __future__ import annotations

import json
from decimal import Decimal

import botocore.session
import niquests
import pytest
import requests
import urllib3
from botocore.config import Config
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.util import Retry

from tokentrace.instrumentation import LLMInstrumentor
from tokentrace.instrumentation.api_keys import fingerprint
from tokentrace.processor.standins import usage_header

from .conftest import llm_spans, only_span, span_cost
from .gateway_calls import (
    ANTHROPIC_KEY,
    OPENAI_KEY,
    chat_body,
    check_three_calls,
    messages_body,
    sse_documents,
)

M = Decimal(1_000_000)
KEY = {"authorization": f"Bearer {OPENAI_KEY}"}


def test_chat_plain_and_streamed_and_messages_streamed_are_metered_and_priced(
    standin, unmapped, tmp_path, store_client
):
    """Read as urllib3 reads: preloaded (`urllib3.request`, `.json()`), streamed unread
    (`preload_content=False`, `.stream()`), and read whole in a `with` block."""
    plain = urllib3.request(
        "POST",
        standin.root + "/v1/chat/completions",
        json=chat_body(),
        headers={**KEY, **usage_header(input=2000, output=500), "baggage": "tenant=acme"},
    ).json()
    pool = urllib3.PoolManager()
    answer = pool.request(
        "POST",
        standin.root + "/v1/chat/completions",
        json=chat_body(stream=True),
        headers={**KEY, **usage_header(input=1200, output=300)},
        preload_content=False,
    )
    chunks = sse_documents(b"".join(answer.stream(64)))
    answer.release_conn()
    with pool.request(
        "POST",
        standin.root + "/v1/messages",
        json=messages_body(),
        headers={"x-api-key": ANTHROPIC_KEY, **usage_header(input=3000, output=400)},
        preload_content=False,
    ) as answer:
        events = sse_documents(answer.read())

    check_three_calls(standin, unmapped, plain, chunks, events, tmp_path, store_client)
    assert all("baggage" not in request.headers for request in standin.requests)


def test_requests_over_urllib3_is_one_call(standin, unmapped):
    """`requests`' adapter sends through urllib3's `urlopen`: metered once, by its wrapper."""
    requests.post(
        standin.root + "/v1/chat/completions",
        json=chat_body(),
        headers=usage_header(input=2000, output=500),
    ).json()
    span = only_span(unmapped)
    assert span.instrumentation_scope.name == "tokentrace.instrumentation.instrumentor"
    assert span_cost(span) == (2000 * Decimal("0.15") + 500 * Decimal("0.60")) / M


def test_niquests_over_urllib3_future_is_metered(standin, unmapped):
    """niquests (sync) sends through urllib3-future's pools, whose `urlopen` is urllib3's:
    it was not metered at all."""
    niquests.post(
        standin.root + "/v1/chat/completions",
        json=chat_body(),
        headers=usage_header(input=2000, output=500),
    ).json()
    span = only_span(unmapped)
    assert span_cost(span) == (2000 * Decimal("0.15") + 500 * Decimal("0.60")) / M


def test_urllib3_retries_are_one_call_and_other_requests_are_untouched(standin, unmapped):
    pool = urllib3.PoolManager(
        retries=Retry(total=2, status_forcelist=[500], allowed_methods=None, backoff_factor=0)
    )
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        pool.request(
            "POST",
            standin.root + "/v1/chat/completions",
            json=chat_body(),
            headers={"x-standin-fail": "500"},
        )
    assert len(standin.requests) == 3
    assert only_span(unmapped).attributes["error.type"] == "MaxRetryError"
    unmapped.clear()
    answer = pool.request("POST", standin.root + "/v1/other", json={"model": "gpt-4o-mini"})
    assert isinstance(answer, urllib3.HTTPResponse)
    assert llm_spans(unmapped) == []


@pytest.fixture(scope="module")
def bedrock(standin_server):
    """boto3's `bedrock-runtime` client (botocore) pointed at the stand-in, every call asking
    for 2,000 input and 500 output tokens."""
    client = botocore.session.get_session().create_client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=standin_server.root + "/bedrock",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}),
    )

    def add_usage(request, **_):
        for name, value in usage_header(input=2000, output=500).items():
            request.headers[name] = value

    client.meta.events.register("before-sign.bedrock-runtime.*", add_usage)
    return client


@pytest.mark.parametrize("operation", ["converse", "converse_stream", "invoke_model"])
def test_botocore_bedrock_runtime_calls_are_metered_once(standin, unmapped, bedrock, operation):
    """boto3's `bedrock-runtime` client (botocore, over urllib3) was not metered at all."""
    client = bedrock
    model = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
    converse = {"modelId": model, "messages": [{"role": "user", "content": [{"text": "hi"}]}]}
    if operation == "converse":
        client.converse(**converse)
    elif operation == "converse_stream":
        for _ in client.converse_stream(**converse)["stream"]:
            pass
    else:
        body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100, "messages": []}
        client.invoke_model(modelId=model, body=json.dumps(body))["body"].read()
    span = only_span(unmapped)
    assert span.attributes["gen_ai.provider.name"] == "aws.bedrock"
    assert span.attributes["gen_ai.request.stream"] is (operation == "converse_stream")
    # The SigV4 signature's access key id, fingerprinted.
    assert span.attributes["tokentrace.api_key"] == fingerprint("AKIAIOSFODNN7EXAMPLE")
    assert span_cost(span) == (2000 * Decimal("0.80") + 500 * Decimal("4")) / M


def test_uninstrument_restores_urllib3(provider):
    original = HTTPConnectionPool.__dict__["urlopen"]
    instrumentor = LLMInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    patched = HTTPConnectionPool.__dict__["urlopen"]
    instrumentor.uninstrument()
    assert patched is not original
    assert HTTPConnectionPool.__dict__["urlopen"] is original
