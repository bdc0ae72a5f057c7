"""Decides, per outgoing HTTP request, whether it is an LLM API call and which one.

A request is an LLM call when it is a POST on a path of a known API shape, on any host: to a
known provider host or a base URL mapped by `TOKENTRACE_PROVIDER_URLS`, or to any other host
when its JSON body (or, for Gemini, its path) names a model. The body is searched as bytes,
never decoded (`request_body`). A request on any other path returns None after a couple of
string checks, which is all the overhead a non-LLM request pays.

A GET is routed when its answer carries the usage of calls made earlier (`deferred_route`):
a background response's retrieve, a batch's results. Its span is no call; the calls are
metered from the answer (`api.Deferred`, `batch_call`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote, urlsplit

from . import (
    anthropic_api,
    batch_api,
    bedrock_api,
    cohere_api,
    gemini_api,
    llamacpp_api,
    mistral_api,
    ollama_api,
    openai_api,
    openai_media_api,
    request_body,
    sglang_api,
    stream_usage,
    tei_api,
    tgi_api,
    unmetered,
    voyage_api,
)
from .api import Api
from .config import Settings
from .providers import (
    AZURE_KEY_HEADER,
    AZURE_PATH,
    LOCAL_PORTS,
    LOOPBACK,
    MISTRAL_AGENTS_PATH,
    SELF_HOSTED,
    SHAPES,
    UNKNOWN,
    USAGE_UNASKED,
    provider_for,
)

USAGE_ON_REQUEST = (openai_api.CHAT, openai_api.COMPLETIONS)
"""The APIs whose streams report usage only when `stream_options.include_usage` is set."""


@dataclass(frozen=True)
class Route:
    provider: str
    api: Api
    request_model: str | None
    stream: bool
    server_address: str
    server_port: int
    usage_injected: bool = False
    """`stream_options.include_usage` was added to the request (`stream_usage`)."""
    by_model: bool = False
    """The provider is the model's owner, named neither by the URL (`TOKENTRACE_PROVIDER_URLS`,
    a known host, a cloud's path) nor by a credential: who serves it may be told by the
    answer (Azure's `x-ms-region`, `call.AZURE_REGION`)."""
    attributes: dict[str, Any] = field(init=False, repr=False, compare=False)
    """The span's start attributes that follow from the route (copied, never changed)."""
    span_name: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": self.api.operation,
            "gen_ai.provider.name": self.provider,
            "gen_ai.request.stream": self.stream,
            "server.address": self.server_address,
            "server.port": self.server_port,
        }
        name = self.api.operation
        if self.request_model:
            attributes["gen_ai.request.model"] = self.request_model
            name = f"{name} {self.request_model}"
        object.__setattr__(self, "attributes", attributes)
        object.__setattr__(self, "span_name", name)


_ROUTES_CACHED = 1024
"""Routes kept per `Settings`: an application calls a handful of base URLs and models, and a
route (provider decision, attributes, span name) is the same for every call that shares them."""

_PATHS_CACHED = 1024
"""URLs whose check `llm_url_check` keeps (per hook)."""


_MISSING = object()
_STREAMED = 2
"""In a route's cache key, beside `usage_injected`'s False and True: the body is streamed
(`request_body.streamed`): its model is unknown until the answer names it."""

Place = tuple[Api, str, str, int, str]
"""Where a request goes: its API shape, scheme, host, port and (decoded) path."""


def _place(url: Any, places: dict[Any, Place | None]) -> Place | None:
    """The API shape and address of a URL (None: no LLM API path), cached by the URL's parsed
    parts as httpx/httpx2 keep them (`_uri_reference`): the `scheme`, `host`, `port` and `path`
    properties decode them on every read, 8 k instructions per call under callgrind, the cache
    lookup 2 k. A URL without them is cached by its text."""
    ref = getattr(url, "_uri_reference", None)
    key = str(url) if ref is None else (ref.scheme, ref.host, ref.port, ref.path)
    found = places.get(key, _MISSING)
    if found is not _MISSING:
        return found  # type: ignore[return-value]
    path = url.path
    api = api_for_path(path)
    place = None
    if api is not None:
        scheme = url.scheme
        place = (api, scheme, url.host, url.port or (443 if scheme == "https" else 80), path)
    if len(places) >= _ROUTES_CACHED:
        places.clear()
    places[key] = place
    return place


def api_for_path(path: str) -> Api | None:
    """The API shape of a request path, whatever the host (gateways keep the provider's paths)."""
    if path.endswith("/chat/completions"):
        return openai_api.CHAT
    if path.endswith("/v1/messages"):
        return anthropic_api.MESSAGES
    if path.endswith("/v1/messages/batches"):
        return batch_api.ANTHROPIC_BATCH_CREATE  # no call: its requests' tools (`batch_api`)
    if path.endswith("/responses") or path.endswith("/responses/compact"):
        # a compaction pass is billed by the usage its answer carries, as a response is
        return openai_api.RESPONSES
    if path.endswith(":generateContent") or path.endswith(":streamGenerateContent"):
        return gemini_api.GENERATE_CONTENT
    if path.endswith(anthropic_api.VERTEX_SUFFIXES) and "/publishers/anthropic/" in path:
        return anthropic_api.VERTEX_MESSAGES
    if path.endswith("/embeddings"):
        if path.endswith("/api/embeddings"):
            return ollama_api.LEGACY_EMBED
        return openai_api.EMBEDDINGS
    if path.endswith(MISTRAL_AGENTS_PATH):
        return openai_api.CHAT  # a chat completion of Mistral's Agents API, by `agent_id`
    if path.endswith("/completions"):
        return openai_api.COMPLETIONS
    if path.endswith("/v2/chat"):
        return cohere_api.CHAT
    if path.endswith(_MEDIA_SUFFIXES):
        return _MEDIA_APIS[path[path.rfind("/", 0, path.rfind("/")) :]]
    if path.endswith(_OLLAMA_SUFFIXES):
        return _OLLAMA_APIS[path[path.rfind("/api/") :]]
    if path.endswith(bedrock_api.SUFFIXES) and "/model/" in path:
        return bedrock_api.api_for(path)
    if path.endswith("/cancel") and "/responses/" in path:
        return openai_api.RESPONSES_RETRIEVE
    if path.endswith(_OTHER_SUFFIXES):
        return _OTHER_APIS[path[path.rfind("/", 0, path.rfind("/")) :]]
    if path.endswith(gemini_api.OTHER_METHODS):
        return gemini_api.api_for(path)
    if path.endswith(_SELF_HOSTED_SUFFIXES):
        return _SELF_HOSTED_APIS[path[path.rfind("/") :]]
    if path == "/":
        return tgi_api.COMPAT
    return None


_OLLAMA_APIS = {
    "/api/chat": ollama_api.CHAT,
    "/api/generate": ollama_api.GENERATE,
    "/api/embed": ollama_api.EMBED,
}
"""Ollama's native API, by path suffix (its OpenAI-compatible `/v1` paths are OpenAI's). Its
legacy `/api/embeddings` is told from OpenAI's `/embeddings` in `api_for_path`."""
_OLLAMA_SUFFIXES = tuple(_OLLAMA_APIS)
_MEDIA_APIS = {
    "/images/generations": openai_media_api.IMAGES,
    "/images/edits": openai_media_api.IMAGES,
    "/audio/transcriptions": openai_media_api.TRANSCRIPTIONS,
    "/audio/translations": openai_media_api.TRANSCRIPTIONS,
    "/audio/speech": openai_media_api.SPEECH,
    "/images/variations": openai_media_api.IMAGES,
}
"""OpenAI's image and audio APIs, by path suffix (`openai_media_api`)."""
_MEDIA_SUFFIXES = tuple(_MEDIA_APIS)
_OTHER_APIS = {
    "/v1/chat": cohere_api.CHAT_V1,
    "/v1/embed": cohere_api.EMBED,
    "/v2/embed": cohere_api.EMBED,
    "/v1/rerank": cohere_api.RERANK,
    "/v2/rerank": cohere_api.RERANK,
    "/v1/contextualizedembeddings": voyage_api.EMBEDDINGS,
    "/v1/multimodalembeddings": voyage_api.EMBEDDINGS,
    "/v1/ocr": mistral_api.OCR,
}
"""The APIs tried last, by path suffix: Cohere's other APIs than v2 chat (rerank's shape is also
Voyage's, Jina's, Together's and OpenRouter's: `cohere_api`), Voyage's other embeddings
(`voyage_api`) and Mistral's OCR (`mistral_api`)."""
_OTHER_SUFFIXES = tuple(_OTHER_APIS)
_SELF_HOSTED_APIS = {
    "/completion": llamacpp_api.COMPLETION,
    "/generate": tgi_api.GENERATE,
    "/generate_stream": tgi_api.GENERATE_STREAM,
    "/embed": tei_api.EMBED,
}
"""Self-hosted servers' own APIs on paths other apps have too (each checks its body:
`Api.body_marker`): llama.cpp's server's, Text Generation Inference's (also on `/`) and Text
Embeddings Inference's (Cohere's `/v1/embed` and Ollama's `/api/embed` are matched before)."""
_SELF_HOSTED_SUFFIXES = tuple(_SELF_HOSTED_APIS)
_SAME_PATH: dict[Api, tuple[Api, bytes]] = {
    tgi_api.GENERATE: (sglang_api.GENERATE, b'"sampling_params"'),
    ollama_api.LEGACY_EMBED: (openai_api.EMBEDDINGS, b'"input"'),
}
"""The API, and the key its body must hold, tried when the path's own API's body marker is
missing: SGLang's native `/generate` (`"sampling_params"`) is on TGI's path (`"inputs"`), and
an OpenAI-shaped embeddings server (`"input"`, Open WebUI's) on Ollama's legacy
`/api/embeddings` (`"prompt"`), which was read with Ollama's parser and stored usage-missing.
Routes are cached by API too, so the two on one URL (a gateway's) never share one."""


_SGLANG_PROMPTS = (b'"text"', b'"input_ids"')


def _sglang_unsampled(settings: Settings, place: Place, body: bytes) -> bool:
    """Whether a `/generate` body with a prompt but no `sampling_params` (SGLang's defaults)
    is SGLang's call: on a base URL mapped to `sglang`, or SGLang's default port on loopback.
    Elsewhere `{"text": ...}` is any app's body: not metered, and said once per URL. Runs
    only for a POST on `/generate` whose body has neither TGI's nor SGLang's marker."""
    if not any(prompt in body for prompt in _SGLANG_PROMPTS):
        return False
    _, scheme, host, port, path = place
    entries = settings.mapped
    mapped = next((e.provider for e in entries if e.matches(scheme, host, port, path)), None)
    if mapped == sglang_api.FAMILY or (
        mapped is None and host in LOOPBACK and LOCAL_PORTS.get(port) == sglang_api.FAMILY
    ):
        return True
    _not_metered(
        scheme,
        host,
        port,
        path,
        "is SGLang's /generate path with a prompt but no sampling_params: not metered. If it "
        "is SGLang's, map its base URL in TOKENTRACE_PROVIDER_URLS as sglang=URL",
    )
    return False


def route(request: Any, settings: Settings) -> Route | None:
    """The LLM call that an httpx/httpx2 `Request` makes, or None for any other request.

    With `TOKENTRACE_STREAM_USAGE=inject`, an OpenAI-shaped stream that does not ask for usage
    is made to (the request is edited here, before it is sent)."""
    if request.method != "POST":
        return deferred_route(request, settings) if request.method == "GET" else None
    place = _place(request.url, settings.places)
    if place is None:
        return None
    api, scheme, host, port, path = place
    body = b""
    fields = request_body.NO_FIELDS
    if api.reads_request_body:
        body = request_body.content(request)
        fields = request_body.scan(body) if body else request_body.form_fields(request)
        if api.body_marker is not None and api.body_marker not in body:
            other = _SAME_PATH.get(api)  # another server's API on the same path
            if other is not None and other[1] in body:
                api = other[0]
            elif api is tgi_api.GENERATE and _sglang_unsampled(settings, place, body):
                api = sglang_api.GENERATE
            else:
                return None  # `/completion`, `/generate`: another app's
    stream = api.request_stream(fields, path)
    sent: bool | int = bool(
        settings.inject_stream_usage
        and stream
        and api in USAGE_ON_REQUEST
        and not request_body.asks_for_usage(body)
    )
    if (
        not body
        and fields.model is None
        and api.reads_request_body
        and request_body.streamed(request)
    ):
        sent = _STREAMED
    # Azure's v1 path on an unknown host is told from Groq's by Azure's credential header: a
    # substring check per call, and a header lookup only on such a path.
    azure_key = AZURE_PATH in path and request.headers.get(AZURE_KEY_HEADER) is not None
    key = (scheme, host, port, path, fields, sent, azure_key, api)
    routes = settings.routes
    found = routes.get(key, _MISSING)
    if found is _MISSING:
        found = _decide(settings, key, api, place, fields, stream, sent, azure_key, bool(body))
    if found is not None and found.usage_injected and not stream_usage.inject(request, body):
        return replace(found, usage_injected=False)  # not a JSON object: sent as it was
    return found


def _decide(
    settings: Settings,
    key: tuple[Any, ...],
    api: Api,
    place: Place,
    fields: Any,
    stream: bool,
    sent: bool | int,
    azure_key: bool,
    body: bool,
) -> Route | None:
    """The route of a request not seen before, cached under `key`. `sent`: True when
    `stream_options.include_usage` would be injected, which the route allows unless its
    provider sends usage unasked and refuses the key (`USAGE_UNASKED`); `_STREAMED` when the
    body is read only as it is sent."""
    _, scheme, host, port, path = place
    routes = settings.routes
    model = api.request_model(fields, path)
    provider = provider_for(settings.mapped, scheme, host, port, path, api.family, model, azure_key)
    if provider is None and sent is _STREAMED:
        # A body read only as it is sent names no model beforehand: on a path of an LLM API
        # shape it is metered all the same, the provider named from the answer's model by
        # the processor (`extractor`: `unknown` is resolved by the model's owner).
        provider = UNKNOWN
    elif provider is None and body and path.endswith(_NO_MODEL_PATHS):
        # A server that takes a call naming no model (in a body: an empty POST is no call)
        # serves one model of its own: llama.cpp's (LM Studio's, vLLM's). Metered, unpriced
        # unless the prices file rates `self_hosted`; never named from its answer, whose
        # model llama.cpp says is `gpt-3.5-turbo` (DEFAULT_OAICOMPAT_MODEL) without an alias.
        provider = SELF_HOSTED
    found = None
    if provider is None:
        if api is not batch_api.ANTHROPIC_BATCH_CREATE:  # no call: nothing to say of it
            _not_metered(scheme, host, port, path)
    else:
        found = Route(
            provider=provider,
            api=api,
            request_model=model,
            stream=stream,
            server_address=host,
            server_port=port,
            usage_injected=sent is True and provider not in USAGE_UNASKED,
            by_model=model is not None
            and provider_for(settings.mapped, scheme, host, port, path, api.family, None, azure_key)
            is None,
        )
    if len(routes) >= _ROUTES_CACHED:
        routes.clear()
    routes[key] = found
    return found


_NO_MODEL_PATHS = ("/chat/completions", "/v1/completions", "/v1/embeddings")
"""OpenAI's paths that only LLM servers serve: a POST there is a call whether or not its body
names a model (`/responses`, `/v1/messages` or `/embeddings` alone are also other apps')."""

_NO_MODEL = (
    "has an LLM API's path but its body names no model: not metered. "
    "If it is an LLM call, map its base URL in TOKENTRACE_PROVIDER_URLS (provider=URL)"
)


def _not_metered(scheme: str, host: str, port: int, path: str, why: str = _NO_MODEL) -> None:
    """Says once per URL that a POST on an LLM API's path was not metered: its host is
    neither known nor mapped and its body names no model, on a path other APIs share
    (`/responses`, `/v1/messages`). Runs only when a route is decided, never for a cached
    one."""
    unmetered.say_once((host, port, path), "POST %s://%s:%d%s %s", scheme, host, port, path, why)


_GET_APIS: tuple[tuple[Api, str, str], ...] = (
    (openai_api.RESPONSES_RETRIEVE, "/responses/", ""),
    (batch_api.OPENAI_BATCH_OUTPUT, "/files/", "/content"),
    (batch_api.ANTHROPIC_BATCH_RESULTS, "/messages/batches/", "/results"),
    (batch_api.GEMINI_BATCH, "/batches/", ""),
)
"""The GET requests whose answers carry the usage of calls made earlier, by API, the
segment before the id in their paths and what follows the id."""


def deferred_route(request: Any, settings: Settings) -> Route | None:
    """The route of a GET whose answer carries the usage of an earlier call (`api.Deferred`),
    or None. Any other GET costs a look at the raw path (httpx/httpx2 keep it parsed). These
    paths hold ids, so their routes are cached by the path up to the id, and their URLs not
    at all (`_place`'s cache is for the POST routes of every call)."""
    url = request.url
    ref = getattr(url, "_uri_reference", None)
    raw = url.path if ref is None else ref.path
    if not ("/responses/" in raw or "batches/" in raw or raw.endswith("/content")):
        return None  # the usual GET: three substring checks in C
    shape = _get_shape(raw)
    if shape is None:
        return None
    api, segment = shape
    path = url.path
    base = path[: path.rfind(segment) + len(segment) - 1]
    scheme, host = url.scheme, url.host
    port = url.port or (443 if scheme == "https" else 80)
    stream = b"stream=true" in url.query
    key = (scheme, host, port, base, api, stream)
    routes = settings.routes
    found = routes.get(key, _MISSING)
    if found is not _MISSING:
        return found
    provider = provider_for(settings.mapped, scheme, host, port, base, api.family)
    found = None
    if provider is not None and api.family in SHAPES.get(provider, (api.family,)):
        # (`/batches/{id}` is also OpenAI's and Anthropic's batch, whose answer lists none)
        found = Route(provider, api, None, stream, host, port)
    if len(routes) >= _ROUTES_CACHED:
        routes.clear()
    routes[key] = found
    return found


def may_be_deferred(url: Any) -> bool:
    """Whether a GET's URL (query included; a `str` or a URL object such as yarl's) may be one
    `deferred_route` routes: all that `requests` and aiohttp pay per other GET (three substring
    checks in C)."""
    if type(url) is not str:
        url = str(url)
    return "responses/" in url or "batches/" in url or "/content" in url


def llm_url_check() -> Callable[[str], bool]:
    """A check whether a URL string's path is a known LLM API's (`api_for_path`), with a
    cache of its own: for the hooks that see each request's URL as a string (urllib3's
    `urlopen`, sync and async, and `http.client`'s `request`), so that another POST pays
    one dict lookup once its URL has been seen."""
    llm_paths: dict[str, bool] = {}

    def may_be_llm(url: str) -> bool:
        found = llm_paths.get(url)
        if found is None:
            found = api_for_path(unquote(urlsplit(url).path)) is not None
            if len(llm_paths) >= _PATHS_CACHED:
                llm_paths.clear()
            llm_paths[url] = found
        return found

    return may_be_llm


def _get_shape(raw: str) -> tuple[Api, str] | None:
    """The `_GET_APIS` entry whose segment, one id and suffix end path `raw`."""
    for api, segment, suffix in _GET_APIS:
        if not raw.endswith(suffix):
            continue
        end = len(raw) - len(suffix)
        at = raw.rfind(segment, 0, end)
        if at >= 0 and "/" not in raw[at + len(segment) : end]:
            return api, segment
    return None
