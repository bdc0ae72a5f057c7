"""The wrapper around urllib3's `HTTPConnectionPool.urlopen`: LLM calls made with urllib3 itself.

Who sends through urllib3 without `requests` on top: boto3 and botocore (Bedrock Runtime's
InvokeModel and Converse, plain and event streams), apps that post with a `PoolManager`
(`urllib3.request("POST", ..., json=...)`), and clients built on it. Before this, their LLM
calls were not metered at all.

Why `urlopen` of the pool: every urllib3 request goes through it (`PoolManager.urlopen` picks a
pool and calls it; `requests`' adapter calls it too), with the final method, body and headers,
and the pool knows the host. urllib3's own retries and a pool's redirects call `urlopen` again
from inside it; a `PoolManager` follows a redirect by calling a pool's `urlopen` per hop, as
`requests` and httpx do. One span each: a call's context carries `call.IN_CALL` while it is
sent, so an `urlopen` inside it (a retry, a pool's redirect, `requests`' adapter under a call
its own wrapper metered) is not metered again. The outermost `urlopen` is the call, its
answer the one the application gets; a retry tells the call what its earlier attempts met
(`retried`), so that one sent before a refused connect is never a known $0.

A request that is not a POST pays one comparison; a GET three substring checks of its URL (a
background response's retrieve, a batch's results: `routing.deferred_route`); a POST one dict
lookup of its URL in a cache of whether its path has an LLM API's shape, before any view is
made (`requests`' non-LLM POSTs pass here after their own adapter's check).

The body: with `preload_content=True` (urllib3's default, `PoolManager.request`), urllib3 has
read it before `urlopen` returns, and the call reads it whole from `response.data`; otherwise
(botocore, `requests`, streams) the response is handed back behind `ResponseTee`, which shows
each piece read to the call as `requests_tee.RawTee` does for `requests`. The headers are sent
as a copy with `baggage` stripped (the pool's default headers are never edited).
`TOKENTRACE_STREAM_USAGE=inject` does not apply here (the body urllib3 preloads is decoded
before the call could rewrite it): such streams are metered as without it. The budget guard's
429 is an urllib3 `HTTPResponse` over the provider's error body.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Callable
from typing import Any

from opentelemetry import context
from opentelemetry.context import get_current
from opentelemetry.trace import Tracer
from urllib3 import HTTPHeaderDict, HTTPResponse

from . import failures, provider_errors
from .call import IN_CALL, LLMCall
from .config import Settings
from .requests_tee import RawTee
from .requests_views import HeadersView, RequestView
from .routing import llm_url_check, may_be_deferred
from .send import blocked, start_call

_PARAMETERS = (
    "method",
    "url",
    "body",
    "headers",
    "retries",
    "redirect",
    "assert_same_host",
    "timeout",
    "pool_timeout",
    "release_conn",
    "chunked",
    "body_pos",
    "preload_content",
    "decode_content",
)
"""`urlopen`'s positional parameters, in order (urllib3 2.x and urllib3-future alike)."""


class _Prepared:
    """What `requests_views.RequestView` reads of a `PreparedRequest`, for an `urlopen`. The
    headers are copied when first read, which happens only once `routing` has found a call
    (the key's fingerprint, `baggage` stripped from the copy): other requests are sent with
    their own untouched."""

    __slots__ = ("_copy", "_headers", "body", "method", "url")

    def __init__(self, method: str, url: str, body: Any, headers: Any) -> None:
        self.method = method
        self.url = url
        self.body = body
        self._headers = headers
        self._copy: HTTPHeaderDict | None = None

    @property
    def headers(self) -> HTTPHeaderDict:
        if self._copy is None:
            self._copy = HTTPHeaderDict(self._headers)
        return self._copy


class _Answer:
    """An urllib3 response's status and headers for `LLMCall.on_response`."""

    __slots__ = ("headers", "status_code")

    def __init__(self, response: Any) -> None:
        self.status_code = response.status
        self.headers = HeadersView(response.headers)


class ResponseTee(RawTee):
    """An urllib3 `HTTPResponse` returned unread (`preload_content=False`), every read shown
    to the call; also its `data` and `json()`, which read through `read`, and its use as a
    context manager."""

    @property
    def data(self) -> bytes:
        inner = self._inner
        if inner._body is not None:
            return inner._body
        return self.read(cache_content=True)

    def json(self) -> Any:
        return json.loads(self.data.decode("utf-8"))

    def drain_conn(self) -> None:
        try:
            self._inner.drain_conn()
        finally:
            self._call.finish()

    def __enter__(self) -> ResponseTee:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_RETRIES_AT = _PARAMETERS.index("retries") - 2
"""Where `retries` is among `urlopen`'s positional arguments after the method and URL."""


def retried(earlier: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Adds to `earlier` (the attempts of the call an `urlopen` is made inside, `IN_CALL`'s
    value) those urllib3 made before this one: urllib3 retries by calling `urlopen` again
    with a `Retry` whose history lists them (the first `urlopen` under `requests`' adapter
    has none)."""
    retries = kwargs.get("retries", args[_RETRIES_AT] if len(args) > _RETRIES_AT else None)
    history = getattr(retries, "history", None)
    if history and type(earlier) is list:
        earlier.extend(history)


def _url(pool: Any, url: str) -> str:
    """The absolute URL of a request a pool sends: `url` is a path (or, through an HTTP proxy,
    already absolute)."""
    if not url.startswith("/"):
        return url
    host = pool.host
    if ":" in host:
        host = f"[{host}]"
    return f"{pool.scheme}://{host}:{pool.port}{url}"


def install(pool_class: type, tracer: Tracer, settings: Settings) -> None:
    """Replaces `pool_class.urlopen` (`patching.unpatch` puts it back). `settings` must not
    inject stream usage (see the module docstring).

    Not through `patching.patch`: its generic method binds the original and packs the
    arguments for a wrapper on every call, 6.4 k instructions per other POST under callgrind
    where this one, which calls the original function with the arguments it got, costs
    fewer (`bench/urllib3_non_llm.py`). Every `requests` call passes here too."""
    original = pool_class.urlopen  # type: ignore[attr-defined]
    may_be_llm = llm_url_check()

    def urlopen(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if method == "POST":
            if type(url) is not str or not may_be_llm(url):
                return original(self, method, url, *args, **kwargs)
        elif method != "GET" or not may_be_deferred(url):
            return original(self, method, url, *args, **kwargs)
        outer = get_current().get(IN_CALL)
        if outer is not None:  # a retry, a redirect, `requests`' adapter: the call sent already
            retried(outer, args, kwargs)
            return original(self, method, url, *args, **kwargs)
        wrapped = original.__get__(self, type(self))
        return _metered(tracer, settings, wrapped, self, (method, url, *args), kwargs)

    functools.update_wrapper(urlopen, original)
    urlopen._tokentrace_wrapper = _metered  # type: ignore[attr-defined]
    pool_class.urlopen = urlopen  # type: ignore[attr-defined]


def start(
    tracer: Tracer, settings: Settings, pool: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[dict[str, Any], LLMCall | None]:
    """`urlopen`'s arguments by name and, when `routing` says the request is an LLM call,
    its started call, the named headers then a copy (`baggage` stripped there). No call when
    the request is none, when a failure was reported, or when urllib3-future passed its later
    parameters (the request is then left as sent)."""
    if len(args) > len(_PARAMETERS):
        return {}, None
    try:
        named = dict(zip(_PARAMETERS, args, strict=False))
        named.update(kwargs)
        headers = named.get("headers")
        prepared = _Prepared(
            named["method"],
            _url(pool, named["url"]),
            named.get("body"),
            pool.headers if headers is None else headers,
        )
        call = start_call(tracer, settings, RequestView(prepared))
        if call is not None:
            named["headers"] = prepared.headers
    except Exception:
        failures.report("starting the span")
        return {}, None
    return named, call


def _metered(
    tracer: Tracer,
    settings: Settings,
    wrapped: Callable[..., Any],
    pool: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """An `urlopen` that may be an LLM call: when `routing` says it is one, sent with its
    arguments as keywords and a copy of its headers (`baggage` stripped there)."""
    named, call = start(tracer, settings, pool, args, kwargs)
    if call is None:
        return wrapped(*args, **kwargs)
    preload = named.get("preload_content", True)
    decode = named.get("decode_content", True)
    if settings.guard is not None:
        refused = blocked(settings, call, _answer(preload, decode))
        if refused is not None:
            return refused
    token = context.attach(call.inner_context)
    try:
        response = wrapped(**named)
    except BaseException as error:
        call.finish(error)
        raise
    finally:
        context.detach(token)
    try:
        if getattr(response, "status", None) is None:  # urllib3-future's multiplexed promise
            call.finish()
            return response
        call.on_response(_Answer(response))
        if not preload:
            return ResponseTee(response, call)
        data = response.data
        if data:
            if decode:
                call.feed_decoded(data)
            else:
                call.feed(data)
        call.finish()
    except Exception:
        failures.report("wrapping the response")
        call.finish()
    return response


def refusal(content: bytes, preload: bool, decode: bool) -> HTTPResponse:
    """The budget guard's 429 as an urllib3 response over the provider's error body `content`,
    read as the application asked for its answers (`requests`' adapter builds its own
    response on one, unread)."""
    return HTTPResponse(
        body=io.BytesIO(content),
        headers=provider_errors.HEADERS,
        status=429,
        reason="Too Many Requests",
        preload_content=preload,
        decode_content=decode,
    )


def _answer(preload: bool, decode: bool) -> Callable[[bytes], Any]:
    return lambda content: refusal(content, preload, decode)
