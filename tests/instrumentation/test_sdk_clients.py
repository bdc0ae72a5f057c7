"""LLM SDKs and frameworks that send through a metered client, driven for real against the
stand-in with nothing configured: groq's SDK (httpx), LiteLLM (the openai SDK for OpenAI, its
own httpx handler for Anthropic and Groq) and langchain-openai (the openai SDK), plain and
streamed. One stored row per call, with the provider and cost worked out by hand (USD per
million tokens): gpt-4o-mini $0.15 input, $0.60 output (https://openai.com/api/pricing/);
claude-haiku-4-5 $1 / $5 (https://www.anthropic.com/pricing#api); Groq's
llama-3.3-70b-versatile $0.59 / $0.79 (https://groq.com/pricing)."""

from __future__ import annotations

import asyncio
import os
from decimal import Decimal

import fireworks
import groq
import httpx
import pytest
import together
from cerebras.cloud.sdk import Cerebras
from langchain_openai import ChatOpenAI
from mistralai.client import Mistral

from tokentrace.processor.standins import usage_header

from .conftest import llm_spans, store_spans

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no price map fetched at import
import litellm

M = Decimal(1_000_000)
ASK = [{"role": "user", "content": "hello"}]
USAGE = usage_header(input=2000, output=500)
GPT_4O_MINI = (2000 * Decimal("0.15") + 500 * Decimal("0.60")) / M  # $0.0006
HAIKU = (2000 * Decimal("1") + 500 * Decimal("5")) / M  # $0.0045
GROQ_LLAMA = (2000 * Decimal("0.59") + 500 * Decimal("0.79")) / M  # $0.001575
# Cerebras's Llama 3.3 70B, $0.85 input, $1.20 output per million (https://www.cerebras.ai/pricing)
CEREBRAS_LLAMA = (2000 * Decimal("0.85") + 500 * Decimal("1.20")) / M  # $0.0023
ROWS = (
    "SELECT provider, request_model, stream, input_tokens, output_tokens, cost, priced "
    "FROM llm_calls ORDER BY ts"
)


def _rows(unmapped, tmp_path, store_client) -> list[tuple]:
    store_spans(llm_spans(unmapped), tmp_path, store_client)
    return [
        (provider, model, stream, i, o, Decimal(cost), priced)
        for provider, model, stream, i, o, cost, priced in store_client.query(ROWS).result_rows
    ]


def test_groq_sdk(standin, unmapped, tmp_path, store_client):
    """groq's SDK posts to `{base_url}/openai/v1/chat/completions`; Groq's model id names it."""
    client = groq.Groq(base_url=standin.root + "/groq", api_key="gsk_test", max_retries=0)
    model = "llama-3.3-70b-versatile"
    answer = client.chat.completions.create(model=model, messages=ASK, extra_headers=USAGE)
    assert answer.usage.prompt_tokens == 2000
    chunks = list(
        client.chat.completions.create(model=model, messages=ASK, stream=True, extra_headers=USAGE)
    )
    assert chunks[-1].x_groq.usage.completion_tokens == 500

    assert [request.path for request in standin.requests] == [
        "/groq/openai/v1/chat/completions"
    ] * 2
    assert _rows(unmapped, tmp_path, store_client) == [
        ("groq", model, 0, 2000, 500, GROQ_LLAMA, 1),
        ("groq", model, 1, 2000, 500, GROQ_LLAMA, 1),
    ]


def test_litellm_completion(standin, unmapped, tmp_path, store_client):
    """`litellm.completion` on OpenAI (through the openai SDK) and Anthropic (its own httpx
    handler), plain and streamed: one row each, not one per layer."""
    common = {"messages": ASK, "extra_headers": USAGE, "num_retries": 0}
    openai_base = {"api_base": standin.root + "/v1", "api_key": "sk-test"}
    answer = litellm.completion(model="openai/gpt-4o-mini", **openai_base, **common)
    assert answer.usage.prompt_tokens == 2000
    chunks = list(
        litellm.completion(
            model="openai/gpt-4o-mini",
            stream=True,
            stream_options={"include_usage": True},
            **openai_base,
            **common,
        )
    )
    assert chunks
    claude = {"api_base": standin.root, "api_key": "sk-ant-test", "max_tokens": 100}
    answer = litellm.completion(model="anthropic/claude-haiku-4-5", **claude, **common)
    assert answer.usage.completion_tokens == 500
    assert list(
        litellm.completion(model="anthropic/claude-haiku-4-5", stream=True, **claude, **common)
    )

    rows = _rows(unmapped, tmp_path, store_client)
    assert [(p, s, i, o, c, priced) for p, _, s, i, o, c, priced in rows] == [
        ("openai", 0, 2000, 500, GPT_4O_MINI, 1),
        ("openai", 1, 2000, 500, GPT_4O_MINI, 1),
        ("anthropic", 0, 2000, 500, HAIKU, 1),
        ("anthropic", 1, 2000, 500, HAIKU, 1),
    ]


def test_langchain_openai_chat_model(standin, unmapped, tmp_path, store_client):
    """`ChatOpenAI.invoke` and `.stream` (which asks for usage: `stream_usage=True`)."""
    chat = ChatOpenAI(
        model="gpt-4o-mini",
        base_url=standin.root + "/v1",
        api_key="sk-test",
        default_headers=USAGE,
        max_retries=0,
        stream_usage=True,
    )
    assert chat.invoke("hello").usage_metadata["input_tokens"] == 2000
    streamed = list(chat.stream("hello"))
    assert (
        sum(chunk.usage_metadata["output_tokens"] for chunk in streamed if chunk.usage_metadata)
        == 500
    )

    assert _rows(unmapped, tmp_path, store_client) == [
        ("openai", "gpt-4o-mini", 0, 2000, 500, GPT_4O_MINI, 1),
        ("openai", "gpt-4o-mini", 1, 2000, 500, GPT_4O_MINI, 1),
    ]


def test_fireworks_sdk_at_its_host_with_a_short_model_id(standin, unmapped, tmp_path, store_client):
    """fireworks-ai's SDK (httpx) at api.fireworks.ai (reached through the stand-in as an HTTP
    proxy), plain and async, with the short id clients often send: the calls are
    `fireworks_ai`'s, which the pricer did not know as Fireworks' price list, so they were
    unpriced. Llama 3.1 8B: $0.20 in and out per million (https://fireworks.ai/pricing,
    4B-16B parameters): 2,500 x 0.20 = $0.0005 each."""
    model = "llama-v3p1-8b-instruct"
    base = "http://api.fireworks.ai/inference"
    client = fireworks.Fireworks(
        base_url=base, api_key="fw", http_client=httpx.Client(proxy=standin.root), max_retries=0
    )
    client.chat.completions.create(model=model, messages=ASK, extra_headers=USAGE)

    async def run() -> None:
        aclient = fireworks.AsyncFireworks(
            base_url=base,
            api_key="fw",
            http_client=httpx.AsyncClient(proxy=standin.root),
            max_retries=0,
        )
        await aclient.chat.completions.create(model=model, messages=ASK, extra_headers=USAGE)

    asyncio.run(run())
    assert [request.path for request in standin.requests] == [
        "http://api.fireworks.ai/inference/v1/chat/completions"
    ] * 2
    assert (
        _rows(unmapped, tmp_path, store_client)
        == [("fireworks_ai", model, 0, 2000, 500, Decimal("0.0005"), 1)] * 2
    )


def test_litellm_hugging_face_provider_route_at_an_app_s_api_base(
    standin, unmapped, tmp_path, store_client
):
    """LiteLLM's `huggingface/together/deepseek-ai/DeepSeek-R1` with an `api_base` of the
    app's own sends `together/deepseek-ai/DeepSeek-R1`: stored as `unknown`, unpriced. It is
    Hugging Face's Together provider, whose list bills DeepSeek-R1 at $3 input and $7 output
    per million (Together's rates, https://www.together.ai/pricing; genai-prices'
    `huggingface_together`): 2,000 x 3 + 500 x 7 = $0.0095."""
    model = "huggingface/together/deepseek-ai/DeepSeek-R1"
    common = {"messages": ASK, "extra_headers": USAGE, "num_retries": 0, "api_key": "hf_test"}
    answer = litellm.completion(model=model, api_base=standin.root + "/v1", **common)
    assert answer.usage.prompt_tokens == 2000

    assert [request.path for request in standin.requests] == ["/v1/chat/completions"]
    assert _rows(unmapped, tmp_path, store_client) == [
        ("huggingface_together", "together/deepseek-ai/DeepSeek-R1", 0, 2000, 500,
         (2000 * Decimal(3) + 500 * Decimal(7)) / M, 1),
    ]  # fmt: skip


def test_provider_sdks_streams_at_an_unmapped_url(standin, unmapped, tmp_path, store_client):
    """groq, together, fireworks-ai and mistralai streams at an unmapped base URL, each
    answered in its provider's dialect (the stand-in's `_CLIENT_DIALECTS`): usage in Groq's
    `x_groq.usage`, on Together's and Fireworks' chunk with the finish reason, in Mistral's
    last chunk, unasked. The stand-in used to answer them as OpenAI does (no usage unless
    asked), so they were stored usage-missing. Each is one row at its exact cost, 2,000 in +
    500 out: Groq's llama-3.3-70b-versatile $0.59/$0.79 (https://groq.com/pricing); Together's
    Llama-3.3-70B-Instruct-Turbo $0.88/$0.88 (https://www.together.ai/pricing); Fireworks'
    Llama 3.1 8B $0.20/$0.20 (https://fireworks.ai/pricing); mistral-small-2506 (Mistral
    Small 3.2) $0.10/$0.30 (https://mistral.ai/pricing#api-pricing)."""
    ask = {"messages": ASK, "stream": True}
    groq_client = groq.Groq(base_url=standin.root, api_key="gsk", max_retries=0)
    chunks = list(
        groq_client.chat.completions.create(
            model="llama-3.3-70b-versatile", extra_headers=USAGE, **ask
        )
    )
    assert chunks[-1].x_groq.usage.prompt_tokens == 2000
    client = together.Together(base_url=standin.root, api_key="tg", max_retries=0)
    chunks = list(
        client.chat.completions.create(
            model="meta-llama/Llama-3.3-70B-Instruct-Turbo", extra_headers=USAGE, **ask
        )
    )
    assert chunks[-1].usage.completion_tokens == 500
    fw = fireworks.Fireworks(base_url=standin.root, api_key="fw", max_retries=0)
    chunks = list(
        fw.chat.completions.create(
            model="accounts/fireworks/models/llama-v3p1-8b-instruct", extra_headers=USAGE, **ask
        )
    )
    assert chunks[-1].usage.prompt_tokens == 2000
    mistral = Mistral(api_key="ms", server_url=standin.root)
    events = list(mistral.chat.stream(model="mistral-small-2506", messages=ASK, http_headers=USAGE))
    assert events[-1].data.usage.completion_tokens == 500

    assert _rows(unmapped, tmp_path, store_client) == [
        ("groq", "llama-3.3-70b-versatile", 1, 2000, 500, GROQ_LLAMA, 1),
        ("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", 1, 2000, 500,
         2500 * Decimal("0.88") / M, 1),
        ("fireworks", "accounts/fireworks/models/llama-v3p1-8b-instruct", 1, 2000, 500,
         2500 * Decimal("0.20") / M, 1),
        ("mistral_ai", "mistral-small-2506", 1, 2000, 500,
         (2000 * Decimal("0.10") + 500 * Decimal("0.30")) / M, 1),
    ]  # fmt: skip


def test_mistral_streams_under_inject_are_sent_as_built(
    standin, monkeypatch, request, tmp_path, store_client
):
    """Mistral's API refuses `stream_options` (422 `extra_forbidden`, as the stand-in does)
    and reports a stream's usage unasked: with `TOKENTRACE_STREAM_USAGE=inject`, its chat and
    Agents streams through the mistralai SDK at an unmapped base URL failed with the SDK's
    422 error. Now sent as built, and exact: 2 × $0.00035 (mistral-small-2506, $0.10 / $0.30
    per million, https://mistral.ai/pricing; `mistral-small-latest` is named by its owner)."""
    monkeypatch.setenv("TOKENTRACE_STREAM_USAGE", "inject")
    unmapped = request.getfixturevalue("unmapped")
    mistral = Mistral(api_key="ms", server_url=standin.root + "/gateway")
    chat = mistral.chat.stream(model="mistral-small-2506", messages=ASK, http_headers=USAGE)
    assert list(chat)[-1].data.usage.prompt_tokens == 2000
    agent = list(mistral.agents.stream(agent_id="ag:42", messages=ASK, http_headers=USAGE))
    assert agent[-1].data.usage.completion_tokens == 500

    assert [request.path for request in standin.requests] == [
        "/gateway/v1/chat/completions",
        "/gateway/v1/agents/completions",
    ]
    assert all(b"stream_options" not in request.body for request in standin.requests)
    small = (2000 * Decimal("0.10") + 500 * Decimal("0.30")) / M
    assert _rows(unmapped, tmp_path, store_client) == [
        ("mistral_ai", "mistral-small-2506", 1, 2000, 500, small, 1),
        ("mistral_ai", "", 1, 2000, 500, small, 1),
    ]


def test_mistral_agents_api_at_an_unmapped_base_url(standin, unmapped, tmp_path, store_client):
    """The mistralai SDK's `agents.complete` and `agents.stream` post `/v1/agents/completions`
    with an `agent_id` and no model: on a host nothing names it was not metered (one warning
    per URL). Mistral's path alone: now `mistral_ai` chat calls, priced by the model the
    answer names, mistral-small-2506 at $0.10 / $0.30 per million (https://mistral.ai/pricing):
    2,000 × 0.10 + 500 × 0.30 = $0.00035 each."""
    mistral = Mistral(api_key="ms", server_url=standin.root + "/gateway")
    answer = mistral.agents.complete(agent_id="ag:42", messages=ASK, http_headers=USAGE)
    assert answer.usage.prompt_tokens == 2000
    events = list(mistral.agents.stream(agent_id="ag:42", messages=ASK, http_headers=USAGE))
    assert events[-1].data.usage.completion_tokens == 500

    assert [request.path for request in standin.requests] == ["/gateway/v1/agents/completions"] * 2
    small = (2000 * Decimal("0.10") + 500 * Decimal("0.30")) / M
    assert _rows(unmapped, tmp_path, store_client) == [
        ("mistral_ai", "", 0, 2000, 500, small, 1),
        ("mistral_ai", "", 1, 2000, 500, small, 1),
    ]


@pytest.mark.parametrize("inject", [False, True])
def test_cerebras_streams_carry_their_usage_unasked(
    standin, monkeypatch, request, tmp_path, store_client, inject
):
    """Cerebras puts a stream's usage (and its `time_info`) on the chunk with the finish
    reason whether or not `stream_options` asks for it, and sends no `[DONE]` (recorded
    streams of api.cerebras.ai: the stand-in's `handle_cerebras`). The cerebras SDK at an
    unmapped base URL, plain and streamed: one row per call at its exact cost
    (2,000 in + 500 out of llama-3.3-70b, $0.0023), the stream's usage read once. Under
    `TOKENTRACE_STREAM_USAGE=inject` the requests were sent with `stream_options` added and
    the streams rewritten, for usage that comes anyway: now sent as built, streams untouched
    (the usage the SDK reads is the provider's, on the same chunk)."""
    if inject:
        monkeypatch.setenv("TOKENTRACE_STREAM_USAGE", "inject")
    unmapped = request.getfixturevalue("unmapped")
    client = Cerebras(
        base_url=standin.root + "/gw", api_key="csk", max_retries=0, warm_tcp_connection=False
    )
    model = "llama-3.3-70b"
    answer = client.chat.completions.create(model=model, messages=ASK, extra_headers=USAGE)
    assert answer.usage.completion_tokens == 500
    chunks = list(
        client.chat.completions.create(model=model, messages=ASK, stream=True, extra_headers=USAGE)
    )
    assert chunks[-1].usage.prompt_tokens == 2000
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert [chunk.usage is None for chunk in chunks[:-1]] == [True] * (len(chunks) - 1)

    assert [(r.path, b"stream_options" in r.body) for r in standin.requests] == [
        ("/gw/v1/chat/completions", False),
        ("/gw/v1/chat/completions", False),
    ]
    spans = llm_spans(unmapped)
    assert [span.attributes.get("tokentrace.usage.missing") for span in spans] == [None, None]
    assert _rows(unmapped, tmp_path, store_client) == [
        ("cerebras", model, 0, 2000, 500, CEREBRAS_LLAMA, 1),
        ("cerebras", model, 1, 2000, 500, CEREBRAS_LLAMA, 1),
    ]
