"""Provider recognition (known hosts, the URL map), and switching the instrumentation off."""

from __future__ import annotations

import httpx2
import openai
import pytest

from tokentrace.instrumentation import LLMInstrumentor
from tokentrace.instrumentation.providers import parse_provider_urls, provider_for

from .conftest import attributes, llm_spans, only_span


@pytest.mark.parametrize(
    ("host", "port", "provider"),
    [
        ("api.openai.com", 443, "openai"),
        ("api.anthropic.com", 443, "anthropic"),
        ("generativelanguage.googleapis.com", 443, "gcp.gemini"),
        ("us-central1-aiplatform.googleapis.com", 443, "gcp.vertex_ai"),
        ("api.mistral.ai", 443, "mistral_ai"),
        ("api.cohere.com", 443, "cohere"),
        ("api.deepseek.com", 443, "deepseek"),
        ("api.groq.com", 443, "groq"),
        ("api.together.xyz", 443, "together_ai"),
        ("openrouter.ai", 443, "openrouter"),
        ("api.x.ai", 443, "x_ai"),
        ("api.fireworks.ai", 443, "fireworks_ai"),
        ("api.perplexity.ai", 443, "perplexity"),
        ("contoso.openai.azure.com", 443, "azure.ai.openai"),
        ("localhost", 11434, "ollama"),
        ("127.0.0.1", 8000, "vllm"),
        ("127.0.0.1", 8001, None),
        ("example.com", 443, None),
    ],
)
def test_known_hosts(host, port, provider):
    assert provider_for((), "https", host, port, "/v1/chat/completions") == provider


def test_url_map_prefix_match_wins_over_known_hosts():
    mapped = parse_provider_urls(
        "my_gateway=https://api.openai.com/gateway, openai=http://10.0.0.1:8080/v1/"
    )
    assert (
        provider_for(mapped, "https", "api.openai.com", 443, "/gateway/v1/chat/completions")
        == "my_gateway"
    )
    assert provider_for(mapped, "https", "api.openai.com", 443, "/v1/chat/completions") == "openai"
    assert provider_for(mapped, "http", "10.0.0.1", 8080, "/v1/messages") == "openai"
    assert provider_for(mapped, "http", "10.0.0.1", 8081, "/v1/messages") is None


@pytest.mark.parametrize(
    "entry",
    ["openai", "=http://x", "openai=notaurl", "openai=http://[::1", "openai=http://h:99999"],
)
def test_bad_url_map_entry_is_rejected_naming_it(entry):
    """Before, a broken address raised urlsplit's own "Invalid IPv6 URL" or "Port out of
    range", which the log line showed without the entry or the form to use."""
    with pytest.raises(ValueError) as raised:
        parse_provider_urls(f"anthropic=http://other, {entry}")
    assert str(raised.value) == (
        f"not a provider=base_url entry: {entry!r} (e.g. openai=http://gateway:8080/v1)"
    )


def test_known_host_end_to_end_through_a_proxy(standin, exporter):
    """The stand-in also acts as a plain HTTP proxy, so real provider hostnames can be used."""
    http_client = openai.DefaultHttpxClient(proxy=standin.root)
    client = openai.OpenAI(
        base_url="http://api.deepseek.com/v1", api_key="k", max_retries=0, http_client=http_client
    )
    client.chat.completions.create(
        model="deepseek-chat", messages=[{"role": "user", "content": "Hi"}]
    )

    found = attributes(only_span(exporter))
    assert found["gen_ai.provider.name"] == "deepseek"
    assert (found["server.address"], found["server.port"]) == ("api.deepseek.com", 80)
    assert found["gen_ai.usage.input_tokens"] == 6  # the stand-in's 5 + len("userHi") // 4


def test_azure_deployment_names_the_model(standin, exporter):
    url = "http://contoso.openai.azure.com/openai/deployments/prod-4o/chat/completions"
    with httpx2.Client(proxy=standin.root) as client:
        client.post(url, params={"api-version": "2024-10-21"}, json={"messages": []})

    span = only_span(exporter)
    assert span.name == "chat prod-4o"
    assert span.attributes["gen_ai.provider.name"] == "azure.ai.openai"


def test_provider_urls_from_environment(standin, provider, monkeypatch, exporter):
    LLMInstrumentor().uninstrument()
    monkeypatch.setenv("TOKENTRACE_PROVIDER_URLS", f"acme_llm={standin.root}/openai")
    LLMInstrumentor().instrument(tracer_provider=provider)
    with httpx2.Client() as client:
        client.post(standin.base_url("openai") + "/chat/completions", json={"model": "m"})

    assert only_span(exporter).attributes["gen_ai.provider.name"] == "acme_llm"


def test_disabled_by_environment(standin, provider, monkeypatch, exporter):
    LLMInstrumentor().uninstrument()
    monkeypatch.setenv("TOKENTRACE_INSTRUMENTATION_ENABLED", "false")
    LLMInstrumentor().instrument(tracer_provider=provider, provider_urls=standin.provider_urls())
    assert not hasattr(httpx2.Client._send_single_request, "__wrapped__")
    with httpx2.Client() as client:
        client.post(standin.base_url("openai") + "/chat/completions", json={"model": "m"})

    assert llm_spans(exporter) == []
