"""The wrappers around `Client._send_single_request` / `AsyncClient._send_single_request`.

That method sends one HTTP request through whichever transport the client has (default,
mounted, proxy, or a transport wrapped by the opentelemetry-instrumentation-httpx), so wrapping
it puts our span around the transport whatever was instrumented first: the httpx HTTP span is
always our child. It is also where the SDKs' final request (headers included) is visible, so
the `baggage` header is stripped here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry import context
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import Tracer

from . import failures
from .call import LLMCall
from .providers import MappedUrl
from .routing import route

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


def _start_call(
    tracer: Tracer, mapped: tuple[MappedUrl, ...], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> LLMCall | None:
    if not is_instrumentation_enabled():
        return None
    try:
        request = args[0] if args else kwargs["request"]
        llm_route = route(request, mapped)
        return None if llm_route is None else LLMCall.start(tracer, llm_route, request)
    except Exception:
        failures.report("starting the span")
        return None


def _attach_body(call: LLMCall, response: Any, tee: type) -> None:
    try:
        call.on_response(response)
        response.stream = tee(response.stream, call)
    except Exception:
        failures.report("wrapping the response")
        call.finish()


def sync_wrapper(tracer: Tracer, mapped: tuple[MappedUrl, ...], tee: type) -> Wrapper:
    def send(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        call = _start_call(tracer, mapped, args, kwargs)
        if call is None:
            return wrapped(*args, **kwargs)
        token = context.attach(call.inner_context)
        try:
            response = wrapped(*args, **kwargs)
        except BaseException as error:
            call.finish(error)
            raise
        finally:
            context.detach(token)
        _attach_body(call, response, tee)
        return response

    return send


def async_wrapper(tracer: Tracer, mapped: tuple[MappedUrl, ...], tee: type) -> Wrapper:
    async def send(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        call = _start_call(tracer, mapped, args, kwargs)
        if call is None:
            return await wrapped(*args, **kwargs)
        token = context.attach(call.inner_context)
        try:
            response = await wrapped(*args, **kwargs)
        except BaseException as error:
            call.finish(error)
            raise
        finally:
            context.detach(token)
        _attach_body(call, response, tee)
        return response

    return send
