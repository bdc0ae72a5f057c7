"""LLM calls recognised by their shape on any host, with the provider from host, map or model.

Expected costs are worked out by hand from the providers' published prices (USD per million
tokens): gpt-4o-mini input 0.15, output 0.60 (https://openai.com/api/pricing/);
claude-haiku-4-5 input 1.00, output 5.00 (https://www.anthropic.com/pricing#api).
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import anthropic
import httpx2
import openai
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from tokentrace.instrumentation import model_owners, request_body, tags
from tokentrace.instrumentation.providers import model_owner, parse_provider_urls, provider_for
from tokentrace.instrumentation.request_body import scan
from tokentrace.processor.pricing import model_owners as generator
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.standins import usage_header

from .conftest import llm_spans, only_span, span_cost, store_spans, stored_rows

M = Decimal(1_000_000)


def test_gateway_serving_both_shapes_on_one_base_url_is_metered_and_priced(standin, unmapped):
    """The stand-in's root serves OpenAI's and Anthropic's paths side by side, like a gateway."""
    oai = openai.OpenAI(base_url=standin.root + "/v1", api_key="sk-test", max_retries=0)
    claude = anthropic.Anthropic(base_url=standin.root, api_key="sk-ant-test", max_retries=0)
    ask = [{"role": "user", "content": "hello"}]
    with tags(tenant="acme"):
        oai.chat.completions.create(
            model="gpt-4o-mini", messages=ask, extra_headers=usage_header(input=2000, output=500)
        )
        claude.messages.create(
            model="claude-haiku-4-5",
            max_tokens=100,
            messages=ask,
            extra_headers=usage_header(input=3000, output=400),
        )

    spans = {span.attributes["gen_ai.provider.name"]: span for span in llm_spans(unmapped)}
    assert sorted(spans) == ["anthropic", "openai"]
    pricer = Pricer(prices_file="")
    costs = {}
    for name, span in spans.items():
        found = span.attributes
        assert found["tenant"] == "acme"
        price = pricer.price(
            name,
            found["gen_ai.request.model"],
            datetime.now(UTC),
            found["gen_ai.usage.input_tokens"],
            found["gen_ai.usage.output_tokens"],
        )
        assert price.priced
        costs[name] = price.cost
    assert costs == {
        "openai": (2000 * Decimal("0.15") + 500 * Decimal("0.60")) / M,
        "anthropic": (3000 * Decimal("1.00") + 400 * Decimal("5.00")) / M,
    }
    # Tags never reach the unknown host: the baggage header is stripped there too.
    paths = [request.path for request in standin.requests]
    assert paths == ["/v1/chat/completions", "/v1/messages"]
    assert all("baggage" not in request.headers for request in standin.requests)


def test_a_body_naming_no_model_on_an_unknown_host_is_left_alone(standin, unmapped, caplog):
    """Not metered, and said once: `/responses` is also other APIs' path (a survey's)."""
    caplog.set_level(logging.WARNING, logger="tokentrace.instrumentation")
    path = f"/v1/{uuid.uuid4().hex}/responses"  # not said yet by an earlier test
    with httpx2.Client() as client:
        client.post(standin.root + path, json={"input": "hi"})
        client.post(standin.root + path, json={"input": "hi", "stream": False})
    assert llm_spans(unmapped) == []
    assert len(standin.requests) == 2
    assert [record.getMessage() for record in caplog.records] == [
        f"POST {standin.root}{path} has an LLM API's path but its body names no model: not "
        "metered. If it is an LLM call, map its base URL in TOKENTRACE_PROVIDER_URLS "
        "(provider=URL)"
    ]


def test_gateway_mapped_the_natural_way_names_each_shape_s_provider():
    mapped = parse_provider_urls("openai=http://gw/v1,anthropic=http://gw")
    assert provider_for(mapped, "http", "gw", 80, "/v1/messages", "anthropic", "x") == "anthropic"
    assert provider_for(mapped, "http", "gw", 80, "/v1/chat/completions", "openai") == "openai"
    # A custom name serves any shape: the override is kept.
    mapped = parse_provider_urls("my_gateway=http://gw")
    assert provider_for(mapped, "http", "gw", 80, "/v1/messages", "anthropic") == "my_gateway"
    # Only openai mapped: a Claude call there is Anthropic's by its model.
    mapped = parse_provider_urls("openai=http://gw")
    assert (
        provider_for(mapped, "http", "gw", 80, "/v1/messages", "anthropic", "claude-haiku-4-5")
        == "anthropic"
    )


@pytest.mark.parametrize(
    ("host", "port", "model", "provider"),
    [
        # A hosted model through a local gateway on vLLM's port is the hosted model.
        ("127.0.0.1", 8000, "gpt-4o-mini", "openai"),
        ("localhost", 8000, "meta-llama/Llama-3.1-8B-Instruct", "vllm"),
        ("localhost", 11434, "llama3.2", "ollama"),
        # On Ollama's port a tagged name is a local model, whoever owns its stem.
        ("localhost", 11434, "deepseek-r1:8b", "ollama"),
        ("127.0.0.1", 11434, "gpt-oss:20b", "ollama"),
        ("localhost", 11434, "gpt-4o-mini", "openai"),
        ("localhost", 11434, "ft:gpt-4o-mini-2024-07-18:acme::abc123", "openai"),
        # An Ollama size tag is a self-hosted model's, never the hosted one's
        ("localhost", 8000, "deepseek-r1:8b", "vllm"),
        ("gpu-box", 8080, "gpt-oss:20b", "ollama"),
        ("gw.internal", 443, "claude-sonnet-4-5", "anthropic"),
        ("gw.internal", 443, "gemini-2.5-flash", "gcp.gemini"),
        ("gw.internal", 443, "text-embedding-3-small", "openai"),
        ("gw.internal", 443, "mistral-large-latest", "mistral_ai"),
        ("gw.internal", 443, "grok-4", "x_ai"),
        ("gw.internal", 443, "my-finetune", "unknown"),
        # A known host wins over the model: DeepSeek serving someone else's model name.
        ("api.deepseek.com", 443, "gpt-4o-mini", "deepseek"),
        # Hosts known from genai-prices' published API base URLs: the reseller bills the call.
        ("api.z.ai", 443, "glm-4.6", "zai"),
        ("api.novita.ai", 443, "deepseek/deepseek-v3-0324", "novita"),
        ("inference.baseten.co", 443, "deepseek-ai/DeepSeek-V3-0324", "baseten"),
        ("acme.azure-api.net", 443, "gpt-4o-mini", "azure.ai.openai"),
        ("bedrock-runtime.eu-west-1.amazonaws.com", 443, "claude", "aws.bedrock"),
        # A LiteLLM proxy's route names who serves the model, before the model's owner.
        ("localhost", 4000, "bedrock/anthropic.claude-3-5-haiku-20241022-v1:0", "aws.bedrock"),
        ("localhost", 4000, "vertex_ai/gemini-2.5-flash", "gcp.vertex_ai"),
        ("localhost", 4000, "azure/gpt-4o-mini", "azure.ai.openai"),
        ("localhost", 4000, "anthropic/claude-sonnet-4-5", "anthropic"),
        # A gateway's vendor id, unless the vendor's open-weight model (a Hugging Face id)
        ("gw.internal", 443, "openai/gpt-4o-mini", "openai"),
        ("gw.internal", 443, "google/gemma-3-27b-it", "self_hosted"),
        ("127.0.0.1", 30000, "openai/gpt-oss-20b", "sglang"),
        # vLLM's and SGLang's Hugging Face ids, on any port: self-hosted (vllm on :8000)
        ("gpu-box.lan", 8080, "meta-llama/Llama-3.1-8B-Instruct", "self_hosted"),
        ("127.0.0.1", 30000, "Qwen/Qwen2.5-7B-Instruct", "sglang"),
        # LM Studio's server names models as its catalogue does; SGLang's default port
        ("localhost", 1234, "qwen2.5-7b-instruct", "lmstudio"),
        ("127.0.0.1", 30000, "default", "sglang"),
        ("gpu-box.lan", 1234, "qwen2.5-7b-instruct", "unknown"),
        # llama.cpp's llama-server (loopback:8080) names the model as the app does
        ("127.0.0.1", 8080, "qwen2.5-7b-instruct-q4_k_m", "llama_cpp"),
        ("localhost", 8080, "Qwen/Qwen2.5-7B-Instruct", "self_hosted"),
        ("localhost", 8080, "gpt-4o-mini", "openai"),
        ("gpu-box.lan", 8080, "qwen2.5-7b-instruct-q4_k_m", "unknown"),
        ("127.0.0.1", 8000, "Qwen/Qwen2.5-7B-Instruct", "vllm"),
        ("gw.internal", 443, "deepseek-ai/DeepSeek-V3", "self_hosted"),
        # A reseller's own form of such an id (Together's -Turbo, OpenRouter's lowercase) is
        # the one reseller's that lists it, `unknown` when several do; a local port first
        ("gw.internal", 443, "meta-llama/Llama-3.3-70B-Instruct-Turbo", "together"),
        ("127.0.0.1", 8000, "meta-llama/Llama-3.3-70B-Instruct-Turbo", "vllm"),
        ("gw.internal", 443, "meta-llama/llama-3.1-405b-instruct", "openrouter"),
        ("gw.internal", 443, "meta-llama/llama-3.1-8b-instruct", "unknown"),
        ("gw.internal", 443, "zai-org/glm-4.7", "novita"),
        # Hub repo ids a reseller also lists: the Hub's (lowercase there), Together's
        ("gw.internal", 443, "ibm-granite/granite-4.0-h-micro", "self_hosted"),
        ("gw.internal", 443, "microsoft/phi-2", "self_hosted"),
        ("gw.internal", 443, "mistralai/Mixtral-8x7B-Instruct-v0.1", "self_hosted"),
        ("gw.internal", 443, "openai/gpt-oss-120b", "self_hosted"),
        # OpenAI's open weights by their bare name (Cerebras' and Fireworks' ids): sold by
        # many, never by OpenAI's API, whose `gpt-` pattern named it (priced as OpenAI's)
        ("gw.internal", 443, "gpt-oss-120b", "unknown"),
        # Gemma by the Gemini API's bare name: free there ($0), but on a host that is not
        # Google's it is the local server's on its port, else no one's
        ("127.0.0.1", 1234, "gemma-3-27b-it", "lmstudio"),
        ("localhost", 8000, "gemma-3-12b-it", "vllm"),
        ("localhost", 9999, "gemma-3-27b-it", "unknown"),
        ("gw.internal", 443, "gemma-3n-e4b-it", "unknown"),
        ("127.0.0.1", 8000, "gpt-oss-20b", "vllm"),
        ("localhost", 1234, "gpt-oss-20b", "lmstudio"),
        # Resellers' ids under organisations the Hub spells otherwise (or lacks): the one
        # seller's, `unknown` when several sell it; LiteLLM's route to the owner's own API
        # model (`deepseek/deepseek-chat`) and pass-through vendors stay the owner's
        ("gw.internal", 443, "qwen/qwen-2.5-72b-instruct", "unknown"),
        ("gw.internal", 443, "qwen/qwen3-235b-a22b", "openrouter"),
        ("gw.internal", 443, "deepseek/deepseek-chat-v3-0324", "openrouter"),
        ("gw.internal", 443, "deepseek/deepseek-r1", "unknown"),
        ("gw.internal", 443, "z-ai/glm-4.6", "openrouter"),
        ("gw.internal", 443, "deepseek/deepseek-chat", "deepseek"),
        ("gw.internal", 443, "x-ai/grok-4", "x_ai"),
        ("127.0.0.1", 8000, "deepseek/deepseek-r1", "vllm"),
        # LM Studio's catalogue keys are resellers' form too: a local server's on its port
        ("127.0.0.1", 1234, "qwen/qwen3-8b", "lmstudio"),
        ("localhost", 1234, "deepseek/deepseek-r1-0528-qwen3-8b", "lmstudio"),
        ("127.0.0.1", 8080, "qwen/qwen3-8b", "self_hosted"),
        ("gpu-box.lan", 1234, "qwen/qwen3-8b", "openrouter"),
        # A Bedrock id is Bedrock's, whatever the API shape (bedrock-mantle behind a gateway)
        ("gw.internal", 443, "anthropic.claude-haiku-4-5", "aws.bedrock"),
        ("gw.internal", 443, "gpt-3.5-turbo", "openai"),
        # Groq's own ids (speed tier, context size), not any open-weight name
        ("gw.internal", 443, "llama-3.1-8b-instant", "groq"),
        ("gw.internal", 443, "llama-3.1-8b", "unknown"),
        # LiteLLM's `huggingface/{provider}/{hub id}` at an app's own api_base: Hugging Face's
        # inference provider; `groq/…` is LiteLLM's own Groq route
        ("gw.internal", 443, "together/deepseek-ai/DeepSeek-R1", "huggingface_together"),
        ("gw.internal", 443, "fireworks-ai/deepseek-ai/DeepSeek-V3", "huggingface_fireworks-ai"),
        ("gw.internal", 443, "groq/openai/gpt-oss-120b", "groq"),
        # Portkey's Model Catalog, `@{the app's provider slug}/{model}`: the model says whose
        ("api.portkey.ai", 443, "@openai-prod/gpt-4o-mini", "openai"),
        ("api.portkey.ai", 443, "@together/meta-llama/Llama-3.3-70B-Instruct-Turbo", "together"),
    ],
)
def test_provider_from_the_model(host, port, model, provider):
    assert provider_for((), "https", host, port, "/v1/chat/completions", "openai", model) == (
        provider
    )


def test_a_reseller_host_is_priced_at_the_reseller_s_rates(standin, unmapped):
    """Z.ai's API (api.z.ai, reached here through the stand-in as an HTTP proxy) bills GLM-4.6 at
    $0.60 per million input and $2.20 per million output tokens
    (https://docs.z.ai/guides/overview/pricing); the model's owner by name is Zhipu's own
    open.bigmodel.cn, which lists it in yuan: priced as Zhipu's, the call was unpriced."""
    proxy = httpx2.Client(proxy=standin.root)
    oai = openai.OpenAI(
        base_url="http://api.z.ai/api/paas/v4", api_key="k", http_client=proxy, max_retries=0
    )
    oai.chat.completions.create(
        model="glm-4.6",
        messages=[{"role": "user", "content": "hello"}],
        extra_headers=usage_header(input=2000, output=500),
    )
    found = only_span(unmapped).attributes
    assert found["gen_ai.provider.name"] == "zai"
    price = Pricer(prices_file="").price(
        "zai", found["gen_ai.request.model"], datetime.now(UTC), 2000, 500
    )
    assert price.cost == (2000 * Decimal("0.60") + 500 * Decimal("2.20")) / M


def test_model_owner_table_is_generated_from_the_pinned_genai_prices():
    """Stale after a genai-prices bump or a new model in corrections.yaml: regenerate with
    `python -m tokentrace.processor.pricing.model_owners && ruff format instrumentation`."""
    provider_patterns, names, model_patterns = generator.tables()
    assert tuple(provider_patterns) == model_owners.PROVIDER_PATTERNS
    assert names == model_owners.MODEL_NAMES, "stale: see this test's docstring"
    assert tuple(model_patterns) == model_owners.MODEL_PATTERNS
    assert tuple(generator.api_hosts()) == model_owners.API_HOSTS
    assert generator.listed_ids() == model_owners.LISTED_IDS
    assert model_owner("GPT-4o") == "openai"  # genai-prices matches case-insensitively


def test_request_body_scan_reads_model_and_stream_from_bytes():
    prompt = 'say "model": "nope" and "stream": true ' * 2500  # escaped in the JSON body
    body = json.dumps(
        {"messages": [{"role": "user", "content": prompt}], "model": "gpt-4o-mini", "stream": True}
    ).encode()
    assert len(body) > 100_000
    assert scan(body) == ("gpt-4o-mini", True)
    assert scan(b'{"model":"a\\u00e9","stream":false}') == ("a\u00e9", False)
    tool = b'{"tools":[{"parameters":{"model":{"type":"string"}}}],"model":"m"}'
    assert scan(tool) == ("m", False)
    assert scan(b"") == (None, False)


_PIECES = [
    b'"model"',
    b'"stream"',
    b":",
    b" ",
    b'"',
    b"\\",
    b"true",
    b"gpt",
    b"\xc3\xa9",
    b"{",
    b",",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40), st.booleans())
def test_small_body_scan_is_the_windowed_scan(pieces, long_name):
    """A small body's one-regex scan finds what `_value`'s find-and-match loop finds."""
    body = b"".join(pieces) + (b'"model": "' + b"m" * 600 + b'"' if long_name else b"")
    assert len(body) <= 2 * request_body.WINDOW
    model = request_body._ends(body, b'"model"', request_body._MODEL_VALUE)
    stream = request_body._ends(body, b'"stream"', request_body._TRUE) is not None
    expected = (None if model is None else request_body._text(model.group(1)), stream)
    assert scan(body) == (expected if body else (None, False))


def test_azure_openai_behind_a_gateway_is_azure_priced_by_the_model_it_answered(standin, unmapped):
    """`AzureOpenAI` pointed at an API gateway (Azure API Management, a private endpoint): the
    deployment path names Azure, and the call is priced by the model the answer names at
    Azure's list, gpt-4o-2024-08-06 global: $2.50 input, $10 output per million
    (https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/)."""
    client = openai.AzureOpenAI(
        azure_endpoint=standin.root, api_key="k", api_version="2024-10-21", max_retries=0
    )
    answer = client.chat.completions.create(
        model="gpt-4o",  # the deployment's name
        messages=[{"role": "user", "content": "hello"}],
        extra_headers=usage_header(input=2000, output=500),
    )

    assert answer.model == "gpt-4o-2024-08-06"
    found = only_span(unmapped).attributes
    assert found["gen_ai.provider.name"] == "azure.ai.openai"
    assert standin.requests[0].path.startswith("/openai/deployments/gpt-4o/chat/completions?")
    price = Pricer(prices_file="").price(
        "azure.ai.openai",
        found["gen_ai.response.model"],
        datetime.now(UTC),
        found["gen_ai.usage.input_tokens"],
        found["gen_ai.usage.output_tokens"],
    )
    assert price.cost == (2000 * Decimal("2.50") + 500 * Decimal("10")) / M


@pytest.mark.parametrize(
    ("model", "provider", "usd_per_million"),
    [
        # Gemini 2.5 Flash: $0.30 input, $2.50 output (https://ai.google.dev/gemini-api/docs/pricing)
        ("google-ai-studio/gemini-2.5-flash", "gcp.gemini", ("0.30", "2.50")),
        # Vertex AI's list for it is the same (https://cloud.google.com/vertex-ai/generative-ai/pricing)
        ("google-vertex-ai/gemini-2.5-flash", "gcp.vertex_ai", ("0.30", "2.50")),
        # Workers AI: $0.282 input, $0.827 output
        # (https://developers.cloudflare.com/workers-ai/platform/pricing/)
        ("workers-ai/@cf/meta/llama-3.1-8b-instruct", "cloudflare", ("0.282", "0.827")),
    ],
)
def test_cloudflare_ai_gateway_compat_names_are_their_provider_s(
    standin, unmapped, model, provider, usd_per_million
):
    """Cloudflare AI Gateway's OpenAI-compatible endpoint names a model `{provider}/{model}`
    (https://developers.cloudflare.com/ai-gateway/usage/chat-completion/), its own provider
    names: `google-ai-studio/…` was stored unpriced, `workers-ai/…` as `unknown`."""
    base = standin.root + "/v1/account-id/gateway-id/compat"
    oai = openai.OpenAI(base_url=base, api_key="sk-test", max_retries=0)
    oai.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "hello"}],
        extra_headers=usage_header(input=2000, output=500),
    )
    span = only_span(unmapped)
    assert span.attributes["gen_ai.provider.name"] == provider
    rate_in, rate_out = (Decimal(rate) for rate in usd_per_million)
    assert span_cost(span) == (2000 * rate_in + 500 * rate_out) / M


@pytest.mark.parametrize(
    ("host", "path", "model", "provider"),
    [
        # Bedrock's OpenAI- and Anthropic-compatible endpoint (bedrock-mantle.{region}.api.aws)
        ("bedrock-mantle.us-east-1.api.aws", "/v1/chat/completions", "openai.gpt-oss-120b",
         "aws.bedrock"),
        ("bedrock-mantle.us-east-1.api.aws", "/anthropic/v1/messages",
         "anthropic.claude-haiku-4-5-20251001-v1:0", "aws.bedrock"),
        # Vertex AI's OpenAI-compatible endpoint through a proxy or private endpoint
        ("gw.internal", "/v1/projects/p/locations/us-central1/endpoints/openapi/chat/completions",
         "google/gemini-2.5-flash", "gcp.vertex_ai"),
    ],
)  # fmt: skip
def test_provider_from_the_endpoint(host, path, model, provider):
    family = "anthropic" if path.endswith("/messages") else "openai"
    assert provider_for((), "https", host, 443, path, family, model) == provider


def test_hugging_face_router_v1_names_the_provider_after_the_colon(standin, unmapped):
    """Hugging Face's router (reached here through the stand-in as an HTTP proxy) serves every
    inference provider under `/v1`, the model naming it after a colon, and bills that
    provider's rates: Cerebras' Llama 3.1 8B Instruct, $0.10 input and $0.10 output per
    million tokens (https://router.huggingface.co/v1/models). It was stored as `cerebras`
    (Cerebras' own API, whose list names the model otherwise) and unpriced."""
    proxy = httpx2.Client(proxy=standin.root)
    oai = openai.OpenAI(
        base_url="http://router.huggingface.co/v1", api_key="hf_x", http_client=proxy
    )
    oai.chat.completions.create(
        model="meta-llama/Llama-3.1-8B-Instruct:cerebras",
        messages=[{"role": "user", "content": "hello"}],
        extra_headers=usage_header(input=2000, output=500),
    )
    span = only_span(unmapped)
    assert span.attributes["gen_ai.provider.name"] == "huggingface_cerebras"
    assert span_cost(span) == (2000 * Decimal("0.10") + 500 * Decimal("0.10")) / M


def test_a_gateway_s_vendor_prefixed_names_are_the_vendor_s_unless_open_weight(
    standin, unmapped, tmp_path, store_client
):
    """A gateway's `{vendor}/{model}` ids (OpenRouter's, Vercel AI Gateway's, a LiteLLM
    proxy's) on a host nothing names: `openai/gpt-4o-mini` is OpenAI's model, stored as
    `openai` (it was `unknown`, though priced), plain and streamed; gpt-4o-mini is $0.15 input,
    $0.60 output per million tokens (https://openai.com/api/pricing/). A vendor's open-weight
    model under its Hugging Face id (`openai/gpt-oss-120b`, as vLLM serves it locally) is
    anyone's: a self-hosted model's, unpriced, not OpenAI's list price for it (which was
    applied)."""
    oai = openai.OpenAI(base_url=standin.root + "/v1", api_key="sk-test", max_retries=0)
    ask = [{"role": "user", "content": "hello"}]
    oai.chat.completions.create(
        model="openai/gpt-4o-mini", messages=ask, extra_headers=usage_header(input=2000, output=500)
    )
    stream = oai.chat.completions.create(
        model="openai/gpt-4o-mini",
        messages=ask,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers=usage_header(input=1200, output=300),
    )
    assert [chunk for chunk in stream][-1].usage.prompt_tokens == 1200
    oai.chat.completions.create(
        model="openai/gpt-oss-120b", messages=ask, extra_headers=usage_header(input=900, output=90)
    )

    spans = llm_spans(unmapped)
    assert [span.attributes["gen_ai.provider.name"] for span in spans] == [
        "openai",
        "openai",
        "self_hosted",
    ]
    rows = stored_rows(
        spans,
        tmp_path,
        store_client,
        "provider, request_model, stream, input_tokens, output_tokens, cost, priced, "
        "unpriced_reason",
    )
    assert rows == [
        # 2000 × 0.15 + 500 × 0.60 = 600 per million
        ("openai", "openai/gpt-4o-mini", 0, 2000, 500, 600 / M, 1, ""),
        # 1200 × 0.15 + 300 × 0.60 = 360 per million
        ("openai", "openai/gpt-4o-mini", 1, 1200, 300, 360 / M, 1, ""),
        ("self_hosted", "openai/gpt-oss-120b", 0, 900, 90, 0, 0, "self_hosted"),
    ]


@pytest.mark.parametrize("base", ["mantle", "gateway"])
def test_bedrock_mantle_ids_are_bedrock_s_priced_at_bedrock_s_rates(standin, unmapped, base):
    """Bedrock's OpenAI-compatible endpoint (bedrock-mantle.{region}.api.aws, reached through
    the stand-in as an HTTP proxy; or the stand-in's root, as a gateway in front of it) takes
    model ids without InvokeModel's version suffix (`openai.gpt-oss-120b`, not `-1:0`:
    https://docs.getbifrost.ai/providers/supported-providers/bedrock-mantle); the call was
    unpriced on Mantle, and `unknown` behind a gateway. Bedrock bills gpt-oss-120b $0.15
    input, $0.60 output per million tokens (https://aws.amazon.com/bedrock/pricing/, as
    https://docs.litellm.ai/docs/providers/bedrock_mantle lists it for Mantle)."""
    if base == "mantle":
        oai = openai.OpenAI(
            base_url="http://bedrock-mantle.us-east-1.api.aws/v1",
            api_key="bedrock-api-key-x",
            http_client=httpx2.Client(proxy=standin.root),
            max_retries=0,
        )
    else:
        oai = openai.OpenAI(base_url=standin.root + "/v1", api_key="k", max_retries=0)
    oai.chat.completions.create(
        model="openai.gpt-oss-120b",
        messages=[{"role": "user", "content": "hello"}],
        extra_headers=usage_header(input=2000, output=500),
    )
    span = only_span(unmapped)
    assert span.attributes["gen_ai.provider.name"] == "aws.bedrock"
    assert span_cost(span) == (2000 * Decimal("0.15") + 500 * Decimal("0.60")) / M


def test_a_chat_naming_no_model_is_a_self_hosted_server_s(
    standin, unmapped, tmp_path, store_client
):
    """llama.cpp's server (LM Studio's, vLLM's) takes chat calls naming no model, on any port:
    they were not metered at all. Now one row each, with the usage the server reported,
    provider `self_hosted`, unpriced for that reason (no one bills it per token), never named
    or priced from the answer's model (llama.cpp answers `gpt-3.5-turbo` without an alias;
    the stand-in answers gpt-4o-mini's name)."""
    url = standin.root + "/v1/chat/completions"
    ask = [{"role": "user", "content": "hello"}]
    with httpx2.Client() as client:
        plain = client.post(url, json={"messages": ask}, headers=usage_header(input=40, output=8))
    streamed = requests.post(
        url,
        json={"messages": ask, "stream": True, "stream_options": {"include_usage": True}},
        headers=usage_header(input=30, output=6),
        stream=True,
    )
    assert b"[DONE]" in b"".join(streamed.iter_content(None))
    assert plain.json()["usage"]["prompt_tokens"] == 40

    spans = llm_spans(unmapped)
    assert [span.attributes["gen_ai.provider.name"] for span in spans] == ["self_hosted"] * 2
    rows = stored_rows(
        spans,
        tmp_path,
        store_client,
        "provider, response_model, stream, input_tokens, output_tokens, priced, unpriced_reason",
    )
    assert rows == [
        ("self_hosted", "gpt-4o-mini-2024-08-06", 0, 40, 8, 0, "self_hosted"),
        ("self_hosted", "gpt-4o-mini-2024-08-06", 1, 30, 6, 0, "self_hosted"),
    ]


@pytest.mark.parametrize(
    ("segment", "model", "provider", "usd_per_million"),
    [
        # Groq: Llama 3.3 70B Versatile $0.59 input, $0.79 output (https://groq.com/pricing)
        ("groq", "llama-3.3-70b-versatile", "groq", ("0.59", "0.79")),
        # Cerebras: Llama 3.1 8B $0.10 input, $0.10 output (https://www.cerebras.ai/pricing)
        ("cerebras", "llama3.1-8b", "cerebras", ("0.10", "0.10")),
        # OpenAI: gpt-4o-mini $0.15 input, $0.60 output (https://openai.com/api/pricing/)
        ("openai", "gpt-4o-mini", "openai", ("0.15", "0.60")),
    ],
)
def test_cloudflare_ai_gateway_provider_paths_name_their_provider(
    standin, unmapped, segment, model, provider, usd_per_million
):
    """Cloudflare AI Gateway's provider endpoints, `/v1/{account}/{gateway}/{provider}/…`
    (https://developers.cloudflare.com/ai-gateway/usage/providers/), here on a base URL of
    the stand-in's: the segment names who bills the call. Groq's and Cerebras' own model names
    were `unknown` and unpriced."""
    base = f"{standin.root}/v1/account-id/gateway-id/{segment}"
    oai = openai.OpenAI(base_url=base, api_key="k", max_retries=0)
    oai.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "hello"}],
        extra_headers=usage_header(input=2000, output=500),
    )
    span = only_span(unmapped)
    assert span.attributes["gen_ai.provider.name"] == provider
    rate_in, rate_out = (Decimal(rate) for rate in usd_per_million)
    assert span_cost(span) == (2000 * rate_in + 500 * rate_out) / M


def test_groq_s_own_model_ids_behind_a_gateway_are_groq_s(standin, unmapped):
    """`llama-3.3-70b-versatile` is a name only Groq gives a model (its price list names no
    owner for it): behind a gateway nothing names, the call was `unknown` and unpriced. Groq
    bills it $0.59 input, $0.79 output per million tokens (https://groq.com/pricing)."""
    oai = openai.OpenAI(base_url=standin.root + "/v1", api_key="k", max_retries=0)
    oai.chat.completions.create(
        model="llama-3.3-70b-versatile",
        messages=[{"role": "user", "content": "hello"}],
        extra_headers=usage_header(input=2000, output=500),
    )
    span = only_span(unmapped)
    assert span.attributes["gen_ai.provider.name"] == "groq"
    assert span_cost(span) == (2000 * Decimal("0.59") + 500 * Decimal("0.79")) / M


def test_an_ollama_tag_is_ollama_s_on_any_host(standin, unmapped, tmp_path, store_client):
    """Ollama's OpenAI-compatible `/v1` on another host or port than loopback:11434 (a GPU
    box, a container's mapped port; here the stand-in's): `deepseek-r1:8b` was DeepSeek's
    hosted reasoner, priced at its rates (0.00274 USD for a million tokens each way); it is a
    local 8B model, `ollama`, stored unpriced as self-hosted."""
    oai = openai.OpenAI(base_url=standin.root + "/v1", api_key="ollama", max_retries=0)
    oai.chat.completions.create(
        model="deepseek-r1:8b",
        messages=[{"role": "user", "content": "hello"}],
        extra_headers=usage_header(input=2000, output=500),
    )
    span = only_span(unmapped)
    assert span.attributes["gen_ai.provider.name"] == "ollama"
    store_spans([span], tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, request_model, input_tokens, output_tokens, priced, unpriced_reason "
        "FROM llm_calls"
    ).result_rows
    assert rows == [("ollama", "deepseek-r1:8b", 2000, 500, 0, "self_hosted")]


def test_azure_v1_path_behind_a_custom_domain_is_azure_by_its_api_key_header(standin, unmapped):
    """Azure OpenAI's v1 API (`/openai/v1/…`, no deployment in the path) behind a custom domain
    or API Management, sent with Azure's `api-key` header: Azure's call, at Azure's list for
    gpt-4o-mini global, $0.15 input, $0.60 output per million
    (https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/).
    The same path without that header (Groq's `/openai/v1`) is left to the model's owner; the
    key's value is never recorded, only its fingerprint."""
    secret = "azure-key-0123456789abcdef"
    azure = openai.OpenAI(
        base_url=standin.root + "/openai/v1/",
        api_key="unused",
        default_headers={"api-key": secret},
        max_retries=0,
    )
    plain = openai.OpenAI(base_url=standin.root + "/openai/v1/", api_key="sk-x", max_retries=0)
    ask = [{"role": "user", "content": "hello"}]
    for client in (azure, plain):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=ask, extra_headers=usage_header(input=2000, output=500)
        )
    response = requests.post(
        standin.root + "/openai/v1/chat/completions",
        json={"model": "gpt-4o-mini", "messages": ask},
        headers={"api-key": secret, **usage_header(input=2000, output=500)},
        timeout=10,
    )
    assert response.status_code == 200

    spans = llm_spans(unmapped)
    assert [span.attributes["gen_ai.provider.name"] for span in spans] == [
        "azure.ai.openai",
        "openai",
        "azure.ai.openai",
    ]
    assert [request.path for request in standin.requests] == ["/openai/v1/chat/completions"] * 3
    for span in spans:
        assert not any(secret in str(value) for value in span.attributes.values())
    expected = (2000 * Decimal("0.15") + 500 * Decimal("0.60")) / M
    assert [span_cost(span) for span in spans] == [expected] * 3


def test_azure_v1_with_a_bearer_token_is_azure_by_its_response_headers(
    standin, unmapped, tmp_path, store_client
):
    """Azure OpenAI's v1 API behind a custom domain with Microsoft Entra ID
    (`OpenAI(base_url=".../openai/v1/")` and a bearer token, as Microsoft documents it) sends
    no `api-key` and names only the model: it was `openai`, the model's owner. Azure answers
    with `x-ms-region` (and `apim-request-id`, `azureml-model-session`): now
    `azure.ai.openai`, plain and streamed, priced at Azure's list for gpt-4o-mini global,
    $0.15 input, $0.60 output per million
    (https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/).
    The same path answered without them (Groq's `/openai/v1`) stays the model's owner's."""
    client = openai.OpenAI(
        base_url=standin.root + "/openai/v1/", api_key="entra-id-token", max_retries=0
    )
    usage = usage_header(input=2000, output=500)
    azure = {**usage, "x-standin-cloud": "azure"}
    ask = [{"role": "user", "content": "hello"}]
    client.chat.completions.create(model="gpt-4o-mini", messages=ask, extra_headers=azure)
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=ask,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers=azure,
    )
    assert [chunk for chunk in stream]
    client.chat.completions.create(model="gpt-4o-mini", messages=ask, extra_headers=usage)

    store_spans(llm_spans(unmapped), tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, stream, input_tokens, output_tokens, if(priced = 1, cost, NULL) "
        "FROM llm_calls ORDER BY ts"
    ).result_rows
    cost = (2000 * Decimal("0.15") + 500 * Decimal("0.60")) / M
    assert rows == [
        ("azure.ai.openai", 0, 2000, 500, cost),
        ("azure.ai.openai", 1, 2000, 500, cost),
        ("openai", 0, 2000, 500, cost),
    ]


def test_undated_claude_ids_on_bedrock_mantle_are_priced_by_their_profile(
    standin, unmapped, tmp_path, store_client
):
    """Bedrock-mantle's Anthropic-compatible endpoint (reached through the stand-in as an HTTP
    proxy) with Claude ids without the release date and version (`…claude-sonnet-4-5`, where
    InvokeModel's is `…-20250929-v1:0`): they were all unknown_model. Now priced as the
    dated id is, by profile (https://aws.amazon.com/bedrock/pricing/): Sonnet 4.5 through
    `global.` $3 input, $15 output per million (2,000 in + 500 out = $0.0135), through a
    geographic profile 10% more, $3.30 / $16.50 ($0.01485); a bare id names no profile, and
    a geographic one costs more than `global.`: its cost stays unknown, as the dated bare
    id's does. Sonnet 4 costs $3 / $15 everywhere ($0.0135, streamed)."""
    claude = anthropic.Anthropic(
        base_url="http://bedrock-mantle.us-east-1.api.aws/anthropic",
        api_key="bedrock-api-key-x",
        http_client=httpx2.Client(proxy=standin.root),
        max_retries=0,
    )
    ask = [{"role": "user", "content": "hello"}]
    usage = usage_header(input=2000, output=500)
    for model in (
        "global.anthropic.claude-sonnet-4-5",
        "us.anthropic.claude-sonnet-4-5",
        "anthropic.claude-sonnet-4-5",
    ):
        claude.messages.create(model=model, max_tokens=100, messages=ask, extra_headers=usage)
    with claude.messages.stream(
        model="anthropic.claude-sonnet-4", max_tokens=100, messages=ask, extra_headers=usage
    ) as stream:
        stream.until_done()

    spans = llm_spans(unmapped)
    assert [span.attributes["gen_ai.provider.name"] for span in spans] == ["aws.bedrock"] * 4
    store_spans(spans, tmp_path, store_client)
    rows = store_client.query(
        "SELECT request_model, input_tokens, output_tokens, priced, cost, unpriced_reason "
        "FROM llm_calls ORDER BY ts"
    ).result_rows
    assert [(model, i, o, p, Decimal(c), r) for model, i, o, p, c, r in rows] == [
        ("global.anthropic.claude-sonnet-4-5", 2000, 500, 1, Decimal("0.0135"), ""),
        ("us.anthropic.claude-sonnet-4-5", 2000, 500, 1, Decimal("0.01485"), ""),
        ("anthropic.claude-sonnet-4-5", 2000, 500, 0, 0, "no_rate"),
        ("anthropic.claude-sonnet-4", 2000, 500, 1, Decimal("0.0135"), ""),
    ]


def test_vllm_and_sglang_hugging_face_ids_on_any_port_are_self_hosted(
    standin, unmapped, tmp_path, store_client
):
    """vLLM (`vllm serve meta-llama/Llama-3.1-8B-Instruct --port 8080`) and SGLang (port 30000)
    name the model they serve by its Hugging Face id; on another port than vLLM's 8000 such a
    call was stored as provider `unknown` (unknown_model). Now `self_hosted`, unpriced for
    that reason, plain and streamed, through the real openai SDK; an owner's name for one
    (`deepseek-ai/DeepSeek-V3`) is no longer priced at that owner's API rates."""
    oai = openai.OpenAI(base_url=standin.root + "/v1", api_key="EMPTY", max_retries=0)
    ask = [{"role": "user", "content": "hello"}]
    oai.chat.completions.create(
        model="meta-llama/Llama-3.1-8B-Instruct",
        messages=ask,
        extra_headers=usage_header(input=2000, output=500),
    )
    stream = oai.chat.completions.create(
        model="Qwen/Qwen2.5-7B-Instruct",
        messages=ask,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers=usage_header(input=1200, output=300),
    )
    assert [chunk for chunk in stream][-1].usage.prompt_tokens == 1200
    oai.chat.completions.create(
        model="deepseek-ai/DeepSeek-V3",
        messages=ask,
        extra_headers=usage_header(input=10, output=5),
    )

    rows = stored_rows(
        llm_spans(unmapped),
        tmp_path,
        store_client,
        "provider, request_model, stream, input_tokens, output_tokens, priced, unpriced_reason",
    )
    assert rows == [
        ("self_hosted", "meta-llama/Llama-3.1-8B-Instruct", 0, 2000, 500, 0, "self_hosted"),
        ("self_hosted", "Qwen/Qwen2.5-7B-Instruct", 1, 1200, 300, 0, "self_hosted"),
        ("self_hosted", "deepseek-ai/DeepSeek-V3", 0, 10, 5, 0, "self_hosted"),
    ]


def test_lm_studio_sglang_and_llama_cpp_default_ports_name_their_server(
    standin, unmapped, tmp_path, store_client
):
    """LM Studio's server (loopback:1234, its catalogue's names: `qwen2.5-7b-instruct`, and
    keys in resellers' lowercase form, `qwen/qwen3-8b`, which OpenRouter alone lists),
    SGLang's (loopback:30000) and llama.cpp's llama-server (loopback:8080, a GGUF alias),
    reached through the stand-in as an HTTP proxy so that the client sees their own ports:
    `lmstudio`, `sglang` and `llama_cpp`, stored unpriced as self-hosted (the LM Studio and
    llama.cpp calls were `unknown`, unknown_model), plain and streamed, through the real openai
    SDK; a hosted model's name there (`gpt-4o-mini`, a local gateway's) stays its owner's,
    priced ($0.15 / $0.60 per million: 2,000 in + 500 out = $0.0006)."""
    ask = [{"role": "user", "content": "hello"}]
    usage = usage_header(input=2000, output=500)
    for base, model in (
        ("http://localhost:1234/v1", "qwen2.5-7b-instruct"),
        ("http://127.0.0.1:30000/v1", "default"),
        ("http://127.0.0.1:8080/v1", "qwen2.5-7b-instruct-q4_k_m"),
        ("http://localhost:1234/v1", "gpt-4o-mini"),
        ("http://localhost:1234/v1", "qwen/qwen3-8b"),
    ):
        oai = openai.OpenAI(
            base_url=base,
            api_key="lm-studio",
            http_client=httpx2.Client(proxy=standin.root),
            max_retries=0,
        )
        oai.chat.completions.create(model=model, messages=ask, extra_headers=usage)
        if model != "gpt-4o-mini":
            stream = oai.chat.completions.create(
                model=model,
                messages=ask,
                stream=True,
                stream_options={"include_usage": True},
                extra_headers=usage,
            )
            assert [chunk for chunk in stream][-1].usage.completion_tokens == 500

    rows = stored_rows(
        llm_spans(unmapped),
        tmp_path,
        store_client,
        "provider, request_model, stream, input_tokens, output_tokens, cost, priced, "
        "unpriced_reason",
    )
    assert rows == [
        ("lmstudio", "qwen2.5-7b-instruct", 0, 2000, 500, 0, 0, "self_hosted"),
        ("lmstudio", "qwen2.5-7b-instruct", 1, 2000, 500, 0, 0, "self_hosted"),
        ("sglang", "default", 0, 2000, 500, 0, 0, "self_hosted"),
        ("sglang", "default", 1, 2000, 500, 0, 0, "self_hosted"),
        # llama.cpp's llama-server: was `unknown` (unknown_model)
        ("llama_cpp", "qwen2.5-7b-instruct-q4_k_m", 0, 2000, 500, 0, 0, "self_hosted"),
        ("llama_cpp", "qwen2.5-7b-instruct-q4_k_m", 1, 2000, 500, 0, 0, "self_hosted"),
        ("openai", "gpt-4o-mini", 0, 2000, 500, 600 / M, 1, ""),
        # LM Studio's catalogue key, also OpenRouter's id: was `openrouter`, priced at its rate
        ("lmstudio", "qwen/qwen3-8b", 0, 2000, 500, 0, 0, "self_hosted"),
        ("lmstudio", "qwen/qwen3-8b", 1, 2000, 500, 0, 0, "self_hosted"),
    ]


def test_a_reseller_s_own_model_id_behind_a_gateway_is_that_reseller_s(
    standin, unmapped, tmp_path, store_client
):
    """Ids in a Hugging Face organisation's form on a host nothing names (the stand-in's
    root, no tokentrace variable set), through the real openai SDK. Each was `self_hosted`
    and unpriced. Together's `-Turbo` id, listed by Together alone, is Together's: $0.88 in
    and out per million tokens (https://www.together.ai/pricing). OpenRouter's lowercase
    `meta-llama/llama-3.1-405b-instruct`, listed by OpenRouter alone, is OpenRouter's: $0.80
    in and out (https://openrouter.ai/meta-llama/llama-3.1-405b-instruct). OpenRouter's and
    Novita's shared `meta-llama/llama-3.1-8b-instruct` could be either's: `unknown`,
    stored unpriced as `several_providers`, never one seller's price. The Hub repo ids
    (`meta-llama/Llama-3.1-8B-Instruct`, and `microsoft/phi-4`, lowercase on the Hub though
    OpenRouter lists it) stay a self-hosted model's."""
    oai = openai.OpenAI(base_url=standin.root + "/v1", api_key="sk-test", max_retries=0)
    models = [
        "meta-llama/Llama-3.3-70B-Instruct-Turbo",
        "meta-llama/llama-3.1-405b-instruct",
        "meta-llama/llama-3.1-8b-instruct",
        "meta-llama/Llama-3.1-8B-Instruct",
        "microsoft/phi-4",
    ]
    for model in models:
        oai.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "hello"}],
            extra_headers=usage_header(input=2000, output=500),
        )
    spans = llm_spans(unmapped)
    rows = stored_rows(
        spans,
        tmp_path,
        store_client,
        "provider, request_model, input_tokens, output_tokens, cost, priced, unpriced_reason",
    )
    assert rows == [
        # 2000 × 0.88 + 500 × 0.88 = 2200 per million
        ("together", models[0], 2000, 500, Decimal(2200) / M, 1, ""),
        # 2000 × 0.80 + 500 × 0.80 = 2000 per million
        ("openrouter", models[1], 2000, 500, Decimal(2000) / M, 1, ""),
        ("unknown", models[2], 2000, 500, 0, 0, "several_providers"),
        ("self_hosted", models[3], 2000, 500, 0, 0, "self_hosted"),
        ("self_hosted", models[4], 2000, 500, 0, 0, "self_hosted"),
    ]


def test_an_openrouter_id_outside_hugging_face_s_organisations_is_openrouter_s(
    standin, unmapped, tmp_path, store_client
):
    """OpenRouter's `qwen/…` and `deepseek/…` ids on a host nothing names (the stand-in's
    root, no tokentrace variable set), through the real openai SDK. `qwen/qwen3-235b-a22b`,
    listed by OpenRouter alone, was `unknown` and unpriced: now $0.13 in and $0.60 out per
    million tokens (https://openrouter.ai/qwen/qwen3-235b-a22b). `deepseek/deepseek-chat-v3-0324`
    was DeepSeek's, at its own API's rates ($0.27/$1.10 by day, $0.135/$0.55 at night): now
    OpenRouter's $0.25 in and $1 out (https://openrouter.ai/deepseek/deepseek-chat-v3-0324).
    `deepseek/deepseek-r1`, which Novita and OpenRouter both sell, was DeepSeek's: now
    `unknown`, stored unpriced as `several_providers`."""
    oai = openai.OpenAI(base_url=standin.root + "/v1", api_key="sk-test", max_retries=0)
    models = ["qwen/qwen3-235b-a22b", "deepseek/deepseek-chat-v3-0324", "deepseek/deepseek-r1"]
    for model in models:
        oai.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "hello"}],
            extra_headers=usage_header(input=2000, output=500),
        )
    rows = stored_rows(
        llm_spans(unmapped),
        tmp_path,
        store_client,
        "provider, request_model, input_tokens, output_tokens, cost, priced, unpriced_reason",
    )
    assert rows == [
        # 2000 × 0.13 + 500 × 0.60 = 560 per million
        ("openrouter", models[0], 2000, 500, Decimal(560) / M, 1, ""),
        # 2000 × 0.25 + 500 × 1 = 1000 per million
        ("openrouter", models[1], 2000, 500, Decimal(1000) / M, 1, ""),
        ("unknown", models[2], 2000, 500, 0, 0, "several_providers"),
    ]


def test_bare_gpt_oss_at_a_gateway_is_no_one_s_never_a_seller_s_rate(
    standin, unmapped, tmp_path, store_client
):
    """`gpt-oss-120b` by its bare name (Cerebras', Fireworks' id) through the real openai SDK
    at a host nothing names. OpenAI's API does not sell it (https://openai.com/api/pricing/
    lists no gpt-oss); Cerebras sells it at $0.35 / $0.75, Groq at $0.15 / $0.60, and
    genai-prices lists it under OpenAI at $0.039 / $0.18, a reseller's rate. OpenAI's `gpt-`
    pattern named the call `openai`, priced $0.000168 for 2,000 → 500: now `unknown`, stored
    unpriced as `several_providers`. `gpt-4o-mini` beside it stays OpenAI's, $0.0006."""
    oai = openai.OpenAI(base_url=standin.root + "/gateway/v1", api_key="sk-test", max_retries=0)
    for model in ("gpt-oss-120b", "gpt-4o-mini"):
        oai.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": "hello"}],
            extra_headers=usage_header(input=2000, output=500),
        )
    rows = stored_rows(
        llm_spans(unmapped),
        tmp_path,
        store_client,
        "provider, request_model, input_tokens, output_tokens, cost, priced, unpriced_reason",
    )
    assert rows == [
        ("unknown", "gpt-oss-120b", 2000, 500, 0, 0, "several_providers"),
        ("openai", "gpt-4o-mini", 2000, 500, Decimal(600) / M, 1, ""),
    ]


def test_deepinfra_s_turbo_ids_are_deepinfra_s_never_together_s_rate(standin, unmapped):
    """DeepInfra's OpenAI-compatible API (https://api.deepinfra.com/v1/openai, reached here
    through the stand-in as an HTTP proxy) serves `meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo`
    under Together's very id, at its own rates, which genai-prices does not list. The call was
    Together's, at $0.88 in and out per million ($0.0022 for 2,000 → 500): now `deepinfra`,
    unpriced (`unknown_model`), better unknown than another seller's price."""
    proxy = httpx2.Client(proxy=standin.root)
    oai = openai.OpenAI(
        base_url="http://api.deepinfra.com/v1/openai",
        api_key="k",
        http_client=proxy,
        max_retries=0,
    )
    model = "meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo"
    oai.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "hello"}],
        extra_headers=usage_header(input=2000, output=500),
    )
    # DeepInfra serves Claude under Anthropic's vendor id at rates of its own: it was priced
    # at Anthropic's ($3 / $15: 0.0135 for 2,000 -> 500)
    oai.chat.completions.create(
        model="anthropic/claude-4-sonnet",
        messages=[{"role": "user", "content": "hello"}],
        extra_headers=usage_header(input=2000, output=500),
    )
    pricer = Pricer(prices_file="")
    for span in llm_spans(unmapped):
        found = span.attributes
        assert found["gen_ai.provider.name"] == "deepinfra"
        price = pricer.price(
            "deepinfra", found["gen_ai.request.model"], datetime.now(UTC), 2000, 500
        )
        assert (price.priced, price.cost, price.reason) == (False, 0, "unknown_model")
    assert len(llm_spans(unmapped)) == 2


def test_portkey_model_catalog_names(standin, unmapped, tmp_path, store_client):
    """Portkey's Model Catalog names a model `@{provider slug}/{model}`, the slug being the
    app's own name for its provider integration (`@openai-prod/gpt-4o-mini`): such a call to
    an unmapped gateway was `unknown`, unpriced. The model now says whose it is, and the
    pricer reads it after the slug: gpt-4o-mini at $0.15 / $0.60 per million
    (https://openai.com/api/pricing/), 2,000 in + 500 out = $0.0006."""
    client = openai.OpenAI(base_url=standin.root + "/v1", api_key="pk-test", max_retries=0)
    client.chat.completions.create(
        model="@openai-prod/gpt-4o-mini",
        messages=[{"role": "user", "content": "hello"}],
        extra_headers={"x-portkey-api-key": "pk-test", **usage_header(input=2000, output=500)},
    )
    store_spans(llm_spans(unmapped), tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, request_model, input_tokens, output_tokens, cost, priced FROM llm_calls"
    ).result_rows
    assert [(p, m, i, o, Decimal(c), priced) for p, m, i, o, c, priced in rows] == [
        ("openai", "@openai-prod/gpt-4o-mini", 2000, 500,
         (2000 * Decimal("0.15") + 500 * Decimal("0.60")) / M, 1),
    ]  # fmt: skip
