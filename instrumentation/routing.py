"""Decides, per outgoing HTTP request, whether it is an LLM API call and which one.

A request is an LLM call when it is a POST to a known provider host (or a base URL mapped by
`TOKENTRACE_PROVIDER_URLS`) on a path of a known API shape. Everything else returns None after
a couple of string checks, which is all the overhead a non-LLM request pays.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import anthropic_api, cohere_api, gemini_api, openai_api
from .api import Api
from .providers import MappedUrl, provider_for


@dataclass(frozen=True)
class Route:
    provider: str
    api: Api
    request_model: str | None
    stream: bool
    server_address: str
    server_port: int


def api_for_path(path: str) -> Api | None:
    """The API shape of a request path, whatever the host (gateways keep the provider's paths)."""
    if path.endswith("/chat/completions"):
        return openai_api.CHAT
    if path.endswith("/v1/messages"):
        return anthropic_api.MESSAGES
    if path.endswith("/responses"):
        return openai_api.RESPONSES
    if path.endswith(":generateContent") or path.endswith(":streamGenerateContent"):
        return gemini_api.GENERATE_CONTENT
    if path.endswith("/embeddings"):
        return openai_api.EMBEDDINGS
    if path.endswith("/completions"):
        return openai_api.COMPLETIONS
    if path.endswith("/v2/chat"):
        return cohere_api.CHAT
    return None


def route(request: Any, mapped: tuple[MappedUrl, ...]) -> Route | None:
    """The LLM call that an httpx/httpx2 `Request` makes, or None for any other request."""
    if request.method != "POST":
        return None
    url = request.url
    path = url.path
    api = api_for_path(path)
    if api is None:
        return None
    scheme = url.scheme
    port = url.port or (443 if scheme == "https" else 80)
    provider = provider_for(mapped, scheme, url.host, port, path)
    if provider is None:
        return None
    body = _json_body(request) if api.reads_request_body else None
    return Route(
        provider=provider,
        api=api,
        request_model=api.request_model(body, path),
        stream=api.request_stream(body, path),
        server_address=url.host,
        server_port=port,
    )


def _json_body(request: Any) -> Any:
    """The decoded request body, or None for a streamed upload or a body that is not JSON."""
    try:
        content = request.content
    except Exception:  # httpx raises RequestNotRead for a streamed upload.
        return None
    try:
        return json.loads(content) if content else None
    except ValueError:
        return None
