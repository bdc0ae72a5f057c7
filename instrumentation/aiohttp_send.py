"""LLM calls made with aiohttp: a client middleware of ours, innermost, on every POST.

Why a middleware (aiohttp 3.12+): it is aiohttp's own unit of one HTTP exchange, what a span of
ours is, as httpx's `_send_single_request` and `requests`' `HTTPAdapter.send` are:

- it receives the final `ClientRequest` (headers and body built, those of the trace configs
  too: opentelemetry-instrumentation-aiohttp-client injects `traceparent` and `baggage` in its
  `on_request_start`, before), so the `baggage` header is stripped from what is sent, and that
  instrumentation's HTTP span, current then, is our parent;
- it covers connecting, sending and reading the headers, so a refused connection or a timeout
  is the call's `error.type`;
- redirects are followed by `ClientSession._request` calling the middlewares again, and so are
  the resends of the application's own middlewares (ours is the last, innermost): each hop is
  one span, as with httpx and `requests`.

`ClientSession._request` is wrapped only to add the middleware: a request that is not a POST
pays that comparison, a GET three substring checks of its URL more (it gets the middleware only
when it may read the usage of calls made earlier: a background response's retrieve, a batch's
results, `routing.deferred_route`; a 303 redirect's GET is routed as any other). A call inside
one that is already metered (LiteLLM's and httpx-aiohttp's httpx transports send through
aiohttp; `send.start_call` sees `IN_CALL`) is the same call: the httpx span is the one. The
body is seen as aiohttp receives it (`aiohttp_tee`). The budget guard's 429 is a
`ClientResponse` made here with the provider's error body, which `raise_for_status()`,
`resp.status` and every read see as a provider's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import Any

from opentelemetry import context
from opentelemetry.trace import Tracer

from . import failures, provider_errors
from .aiohttp_tee import tee
from .aiohttp_views import RequestView, ResponseView
from .config import Settings
from .routing import may_be_deferred
from .send import Wrapper, blocked, start_call
from .stream_usage import UsageStripper

_DECODED = frozenset({"gzip", "deflate", "br", "zstd"})
"""The `content-encoding` values aiohttp undoes itself when the session decompresses (its
`HttpResponseParser`, lowercased, and only alone): any other reaches the application raw."""


def request_wrapper(tracer: Tracer, settings: Settings, raw_settings: Settings) -> Wrapper:
    """The wrapper of `ClientSession._request`. `raw_settings`: those of a session that does
    not decompress (`auto_decompress=False`), where `TOKENTRACE_STREAM_USAGE=inject` is off:
    the stream would have to be decoded for the application, which asked for it as sent."""
    middlewares = {
        True: partial(_middleware, tracer, settings, True),
        False: partial(_middleware, tracer, raw_settings, False),
    }

    def request(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        method = args[0] if args else kwargs.get("method")
        if method != "POST" and not _routed(method, args, kwargs):
            return wrapped(*args, **kwargs)
        decompress = kwargs.get("auto_decompress")
        if decompress is None:
            decompress = getattr(instance, "_auto_decompress", True)
        theirs = kwargs.get("middlewares")
        if theirs is None:
            theirs = getattr(instance, "_middlewares", ())
        kwargs["middlewares"] = (*theirs, middlewares[bool(decompress)])
        return wrapped(*args, **kwargs)

    return request


def _routed(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether a request whose method is not the literal "POST" gets the middleware: a POST
    spelled otherwise, or a GET that may read the usage of calls made earlier
    (`routing.deferred_route`: a background response's retrieve, a batch's results)."""
    if type(method) is not str:
        return False
    method = method.upper()
    if method == "POST":
        return True
    return method == "GET" and may_be_deferred(
        args[1] if len(args) > 1 else kwargs.get("str_or_url")
    )


async def _middleware(
    tracer: Tracer, settings: Settings, decompress: bool, request: Any, handler: Any
) -> Any:
    if request.method != "POST" and request.method != "GET":
        return await handler(request)
    call = start_call(tracer, settings, RequestView(request))
    if call is None:
        return await handler(request)
    if settings.guard is not None:
        refused = blocked(
            settings,
            call,
            lambda content: _local_response(request, 429, "Too Many Requests", content),
        )
        if refused is not None:
            return refused
    token = context.attach(call.inner_context)
    try:
        response = await handler(request)
    except BaseException as error:
        call.finish(error)
        raise
    finally:
        context.detach(token)
    try:
        view = ResponseView(response)
        encoding = view.headers.get("content-encoding", "").lower()
        decoded = decompress and encoding in _DECODED
        stripper = None
        if call.route.usage_injected and _is_stream(view):
            stripper = UsageStripper(None)  # decoded by aiohttp (`raw_settings` otherwise)
        call.on_response(view)
        tee(call, response, decoded, stripper)
    except Exception:
        failures.report("wrapping the response")
        call.finish()
    return response


def _is_stream(view: ResponseView) -> bool:
    return view.status_code < 300 and "text/event-stream" in view.headers.get("content-type", "")


class _NoWriter:
    """What a `ClientResponse` reads of the request writer of an exchange that is over."""

    output_size = 0


def _local_response(request: Any, status: int, reason: str, content: bytes) -> Any:
    """A `ClientResponse` to `request`, made here, never sent: the body is in its reader, as
    aiohttp's parser would have left it, and no connection is held."""
    from aiohttp import hdrs
    from aiohttp.base_protocol import BaseProtocol
    from aiohttp.streams import StreamReader
    from multidict import CIMultiDict, CIMultiDictProxy

    loop = asyncio.get_running_loop()
    response = request.response_class(
        request.method,
        request.original_url,
        writer=None,
        continue100=None,
        timer=None,
        request_info=request.request_info,
        traces=[],
        loop=loop,
        session=request._session,
        stream_writer=_NoWriter(),
    )
    headers = CIMultiDict(provider_errors.HEADERS)
    headers[hdrs.CONTENT_LENGTH] = str(len(content))
    reader = StreamReader(BaseProtocol(loop), 2**16, loop=loop)
    reader.feed_data(content)
    reader.feed_eof()
    response.status = status
    response.reason = reason
    response._headers = CIMultiDictProxy(headers)
    response._raw_headers = tuple((k.encode(), v.encode()) for k, v in headers.items())
    response.content = reader
    return response
