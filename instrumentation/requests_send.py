"""The wrapper around `requests.adapters.HTTPAdapter.send`: LLM calls made with `requests`.

Why the adapter's `send`, not `Session.send`: it is one HTTP exchange, whatever the transport
(urllib3's pools, a proxy, a subclass such as huggingface_hub's before 1.0, which calls
`super().send`),
which is what a span of ours is, as with httpx's `_send_single_request`:

- redirects are followed by `Session.send` calling `send` again, so each hop is one span (a
  `Session.send` span would hold the whole chain and nest a span per hop inside itself); a 3xx
  hop's span has no usage and is marked `usage.missing`, as with httpx;
- urllib3's retries (`HTTPAdapter(max_retries=Retry(...))`) happen inside the adapter's
  `send`, on the same request, and end in the one response the application gets: one call;
- the request is final there: `opentelemetry-instrumentation-requests` injects its headers
  (`baggage` among them) in `Session.send`, before this, so the `baggage` header is stripped
  from what is actually sent, and that instrumentation's HTTP span is our parent;
- a bare `HTTPAdapter` used without a `Session` is covered too.

A request other than a POST or GET costs one attribute read and two comparisons; a GET, three
substring checks of its URL (it is routed only when it may read the usage of calls made
earlier: a background response's retrieve, a batch's results, `routing.deferred_route`); a POST
on a path of no LLM API shape, a small view object and `routing`'s cached path check.
`TOKENTRACE_STREAM_USAGE=inject` applies as for httpx: the body is replaced in the
`PreparedRequest` (`requests_views`) and the stream handed back as asked for
(`requests_tee.RewriteRawTee`). The budget guard's 429 is built by the adapter itself
(`build_response`), so `raise_for_status()` and the application's own checks see a provider's
refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry import context
from opentelemetry.trace import Tracer

from . import failures
from .config import Settings
from .requests_tee import RawTee, RewriteRawTee
from .requests_views import RequestView, ResponseView
from .routing import may_be_deferred
from .send import Wrapper, blocked, start_call, usage_stripper


def send_wrapper(tracer: Tracer, settings: Settings) -> Wrapper:
    def send(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        request = args[0] if args else kwargs.get("request")
        method = getattr(request, "method", None)
        if method != "POST" and (method != "GET" or not may_be_deferred(request.url)):
            return wrapped(*args, **kwargs)
        call = start_call(tracer, settings, RequestView(request))
        if call is None:
            return wrapped(*args, **kwargs)
        if settings.guard is not None:
            refused = blocked(settings, call, _answer(instance, request))
            if refused is not None:
                return refused
        token = context.attach(call.inner_context)
        try:
            response = wrapped(*args, **kwargs)
        except BaseException as error:
            call.finish(error)
            raise
        finally:
            context.detach(token)
        try:
            stripper = usage_stripper(call, response) if call.route.usage_injected else None
            call.on_response(ResponseView(response))
            if stripper is None:
                response.raw = RawTee(response.raw, call)
            else:
                response.raw = RewriteRawTee(response.raw, call, stripper)
        except Exception:
            failures.report("wrapping the response")
            call.finish()
        return response

    return send


def _answer(adapter: Any, request: Any) -> Callable[[bytes], Any]:
    """A `requests` 429 response to `request`, built by the adapter as from the wire."""

    def answer(content: bytes) -> Any:
        from .urllib3_send import refusal  # urllib3 is imported only with `requests` in use

        return adapter.build_response(request, refusal(content, preload=False, decode=False))

    return answer
