"""Which LLM provider a request goes to, from its URL.

Known public API hosts map to the OpenTelemetry GenAI provider names (`gen_ai.provider.name`);
`TOKENTRACE_PROVIDER_URLS` maps any other base URL (a gateway, a self-hosted model, a stand-in)
by prefix and wins over the built-in table. A request whose host is neither is not an LLM call
and is left alone, so an unrelated `/v1/messages` endpoint never gets a span.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

KNOWN_HOSTS: dict[str, str] = {
    "api.openai.com": "openai",
    "api.anthropic.com": "anthropic",
    "generativelanguage.googleapis.com": "gcp.gemini",
    "api.mistral.ai": "mistral_ai",
    "api.cohere.com": "cohere",
    "api.cohere.ai": "cohere",
    "api.deepseek.com": "deepseek",
    "api.groq.com": "groq",
    "api.x.ai": "x_ai",
    "api.perplexity.ai": "perplexity",
    "api.together.xyz": "together_ai",
    "api.together.ai": "together_ai",
    "openrouter.ai": "openrouter",
    "api.fireworks.ai": "fireworks_ai",
}
"""Exact API hosts. The names not in the GenAI registry (`together_ai`, `openrouter`,
`fireworks_ai`, `ollama`, `vllm`) follow its style: the vendor's name in snake case."""

HOST_SUFFIXES: tuple[tuple[str, str], ...] = (
    (".openai.azure.com", "azure.ai.openai"),
    (".cognitiveservices.azure.com", "azure.ai.openai"),
    ("aiplatform.googleapis.com", "gcp.vertex_ai"),
)

LOCAL_PORTS: dict[int, str] = {11434: "ollama", 8000: "vllm"}
"""Default ports of local model servers, recognised on loopback hosts only."""

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class MappedUrl:
    """One `provider=base_url` entry of `TOKENTRACE_PROVIDER_URLS`."""

    provider: str
    scheme: str
    host: str
    port: int
    path: str

    def matches(self, scheme: str, host: str, port: int, path: str) -> bool:
        return (
            host == self.host
            and port == self.port
            and scheme == self.scheme
            and path.startswith(self.path)
        )


def parse_provider_urls(text: str) -> tuple[MappedUrl, ...]:
    """Parses `openai=http://host:port/v1,anthropic=http://other`; bad entries raise ValueError."""
    entries = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        provider, sep, url = item.partition("=")
        parts = urlsplit(url.strip())
        if (
            not sep
            or not provider.strip()
            or parts.scheme not in _DEFAULT_PORTS
            or not parts.hostname
        ):
            raise ValueError(f"not a provider=base_url entry: {item!r}")
        entries.append(
            MappedUrl(
                provider=provider.strip(),
                scheme=parts.scheme,
                host=parts.hostname.lower(),
                port=parts.port or _DEFAULT_PORTS[parts.scheme],
                path=parts.path.rstrip("/"),
            )
        )
    # Longest prefix first, so `http://h/v1/special` beats `http://h/v1`.
    return tuple(sorted(entries, key=lambda entry: len(entry.path), reverse=True))


def provider_for(
    mapped: tuple[MappedUrl, ...], scheme: str, host: str, port: int | None, path: str
) -> str | None:
    """The provider name for a request URL, or None when it is not a known LLM API host."""
    port = port or _DEFAULT_PORTS.get(scheme, 0)
    for entry in mapped:
        if entry.matches(scheme, host, port, path):
            return entry.provider
    provider = KNOWN_HOSTS.get(host)
    if provider is not None:
        return provider
    for suffix, name in HOST_SUFFIXES:
        if host.endswith(suffix):
            return name
    if host in _LOOPBACK:
        return LOCAL_PORTS.get(port)
    return None
