"""The wrappers around `Client._send_single_request` / `AsyncClient._send_single_request`.

That method sends one HTTP request through whichever transport the client has (default,
mounted, proxy, or a transport wrapped by the opentelemetry-instrumentation-httpx), so wrapping
it puts our span around the transport whatever was instrumented first: the httpx HTTP span is
always our child. It is also where the SDKs' final request (headers included) is visible, so
the `baggage` header is stripped here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from opentelemetry import context
from opentelemetry.context import Context, get_current
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import Tracer

from . import failures, provider_errors
from .api import Deferred
from .batch_call import BatchDownload
from .call import IN_CALL, LLMCall
from .config import Settings
from .decoding import decoder_for
from .routing import route
from .stream_usage import UsageStripper
from .streams import Tees, tee_decoder

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


def _suppression_check() -> Callable[[Context], bool]:
    """Whether instrumentation is suppressed in a context: `is_instrumentation_enabled()`
    reads the current context twice itself, and the span's start then reads it a third time,
    so the hot path reads OpenTelemetry's two (private) suppression keys on the one context
    it has. Should a later OpenTelemetry rename them, the public check is used instead:
    slower, never wrong, and the instrumentor still loads."""
    try:
        from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY as key
        from opentelemetry.instrumentation.utils import _SUPPRESS_INSTRUMENTATION_KEY_PLAIN as plain
    except ImportError:
        return lambda ctx: not is_instrumentation_enabled()
    return lambda ctx: bool(ctx.get(key) or ctx.get(plain))


_suppressed = _suppression_check()


def start_call(tracer: Tracer, settings: Settings, request: Any) -> LLMCall | None:
    """The started call of an LLM request about to be sent (an httpx/httpx2 `Request`, or a
    view that reads the same, `requests_views`, `aiohttp_views`), or None for any other
    request, when instrumentation is suppressed, or inside a call already started (`IN_CALL`:
    an httpx transport that sends through aiohttp is one call, metered where it started)."""
    ctx = get_current()
    if _suppressed(ctx) or IN_CALL in ctx:
        return None
    try:
        llm_route = route(request, settings)
        if llm_route is None:
            return None
        kind = BatchDownload if llm_route.api.lists_calls else LLMCall
        return kind.start(tracer, llm_route, request, ctx)
    except Exception:
        failures.report("starting the span")
        return None


def blocked(settings: Settings, call: LLMCall, answer: Callable[[bytes], Any]) -> Any | None:
    """The local 429 for a call under a spent enforced budget (`settings.guard` set), which
    `answer` makes as its HTTP library's response from the provider's error body; or None to
    send the call. The guard fails open. What only reads the usage of calls already made (a
    background response's retrieve, a batch's results: `api.Deferred`) is never refused: their
    cost is spent, and refusing would only lose their results."""
    if not settings.guard.exceeded:  # type: ignore[union-attr]
        return None
    try:
        if isinstance(call.route.api, Deferred):
            return None
        resource = getattr(call.span, "resource", None)
        budget = settings.guard.blocking(  # type: ignore[union-attr]
            call.attributes, resource.attributes if resource else {}
        )
        if budget is None:
            return None
        call.block(budget)
        return answer(provider_errors.body(call.route.api.family, budget.describe()))
    except Exception:
        failures.report("the budget guard")
        return None


def _httpx_answer(request: Any) -> Callable[[bytes], Any]:
    """An httpx (or httpx2: the request's own library) 429 response to `request`."""

    def answer(content: bytes) -> Any:
        module = sys.modules[type(request).__module__.partition(".")[0]]
        return module.Response(
            429, headers=provider_errors.HEADERS, content=content, request=request
        )

    return answer


def _attach_body(call: LLMCall, response: Any, tee: type, rewrite_tee: type) -> None:
    try:
        stripper = usage_stripper(call, response) if call.route.usage_injected else None
        call.on_response(response)
        if stripper is None:
            response.stream = tee(response.stream, call)
            tee_decoder(response, call)
        else:
            response.stream = rewrite_tee(response.stream, call, stripper)
    except Exception:
        failures.report("wrapping the response")
        call.finish()


def usage_stripper(call: LLMCall, response: Any) -> UsageStripper | None:
    """For a successful stream whose usage we asked for (`usage_injected`): the stripper that
    puts it back as the application asked for it, the body's encoding moved from the HTTP
    library (httpx, httpx2, `requests`: their response `headers` alike) to it (see
    `stream_usage`)."""
    headers = response.headers
    if not (response.status_code < 300 and "text/event-stream" in headers.get("content-type", "")):
        return None
    stripper = UsageStripper(decoder_for(headers.get("content-encoding", "")))
    headers.pop("content-encoding", None)
    headers.pop("content-length", None)
    return stripper


def sync_wrapper(tracer: Tracer, settings: Settings, tees: Tees) -> Wrapper:
    def send(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        call = start_call(tracer, settings, args[0] if args else kwargs["request"])
        if call is None:
            return wrapped(*args, **kwargs)
        if settings.guard is not None:
            request = args[0] if args else kwargs["request"]
            refused = blocked(settings, call, _httpx_answer(request))
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
        _attach_body(call, response, tees.sync, tees.sync_rewrite)
        return response

    return send


def async_wrapper(tracer: Tracer, settings: Settings, tees: Tees) -> Wrapper:
    async def send(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        call = start_call(tracer, settings, args[0] if args else kwargs["request"])
        if call is None:
            return await wrapped(*args, **kwargs)
        if settings.guard is not None:
            request = args[0] if args else kwargs["request"]
            refused = blocked(settings, call, _httpx_answer(request))
            if refused is not None:
                return refused
        token = context.attach(call.inner_context)
        try:
            response = await wrapped(*args, **kwargs)
        except BaseException as error:
            call.finish(error)
            raise
        finally:
            context.detach(token)
        _attach_body(call, response, tees.async_, tees.async_rewrite)
        return response

    return send
