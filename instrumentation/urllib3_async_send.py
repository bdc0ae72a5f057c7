"""The wrapper around urllib3-future's `AsyncHTTPConnectionPool.urlopen`: LLM calls made with
niquests' `AsyncSession` (and apps on urllib3-future's `AsyncPoolManager`). They were only said
(`unmetered`), never metered.

As `urllib3_send` does for the sync pools: one span per outermost `urlopen` (a retry or
redirect inside a call carries `call.IN_CALL`), a POST pays one dict lookup of its URL in a
cache of whether its path has an LLM API's shape, a GET three substring checks, and the
headers are sent as a copy with `baggage` stripped. The body: niquests asks for it unread
(`preload_content=False`) and reads it through `AsyncHTTPResponse._read`, which `read`,
`read1`, `readinto`, `stream` and `data` all go through; the response keeps its identity (niquests
checks `isinstance(raw, BaseAsyncHTTPResponse)`), its class swapped for a subclass whose
`_read` shows each piece to the call, which ends at the end of the body or on `close()`,
`release_conn()` or `drain_conn()`. A multiplexed request's promise is left unmetered (its
span ends at once, as in `urllib3_send`). The budget guard answers with an
`AsyncHTTPResponse` 429 over the provider's error body, never sent.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import Any

from opentelemetry import context
from opentelemetry.context import get_current
from opentelemetry.trace import Tracer

from . import failures, provider_errors
from .call import IN_CALL, LLMCall
from .config import Settings
from .routing import llm_url_check, may_be_deferred
from .send import blocked
from .urllib3_send import _Answer, retried, start

_CALL = "_tokentrace_call"
_READING = "_tokentrace_reading"
_ENDED = "_tokentrace_ended"


class _AsyncTee:
    """Mixed into the class of a call's `AsyncHTTPResponse` (`_teed_class`). urllib3-future
    releases the connection inside the read that reaches the end of the body, before that read
    returns its last piece: an end seen inside a read ends the call after the piece is fed."""

    __slots__ = ()

    async def _read(
        self,
        amt: int | None = None,
        decode_content: bool | None = None,
        cache_content: bool = False,
        **kwargs: Any,
    ) -> bytes:
        state = self.__dict__
        call: LLMCall = state[_CALL]
        state[_READING] = True
        try:
            data = await super()._read(amt, decode_content, cache_content, **kwargs)  # type: ignore[misc]
        except BaseException as error:
            call.finish(error)
            raise
        finally:
            state[_READING] = False
        if data:
            if self.decode_content if decode_content is None else decode_content:  # type: ignore[attr-defined]
                call.feed_decoded(data)
            else:
                call.feed(data)
        if state.get(_ENDED) or amt is None or (not data and amt != 0):
            call.finish()
        return data

    def _tokentrace_end(self) -> None:
        state = self.__dict__
        if state.get(_READING):
            state[_ENDED] = True
        else:
            state[_CALL].finish()

    async def close(self) -> None:
        try:
            await super().close()  # type: ignore[misc]
        finally:
            self._tokentrace_end()

    async def drain_conn(self) -> None:
        try:
            await super().drain_conn()  # type: ignore[misc]
        finally:
            self._tokentrace_end()

    def release_conn(self) -> None:
        try:
            super().release_conn()  # type: ignore[misc]
        finally:
            self._tokentrace_end()


_TEED: dict[type, type] = {}


def _tee(response: Any, call: LLMCall) -> None:
    response_class = type(response)
    teed = _TEED.get(response_class)
    if teed is None:
        teed = type(response_class.__name__, (_AsyncTee, response_class), {})
        teed.__module__ = response_class.__module__
        _TEED[response_class] = teed
    response.__dict__[_CALL] = call
    response.__class__ = teed


def install(pool_class: type, response_class: type, tracer: Tracer, settings: Settings) -> None:
    """Replaces `pool_class.urlopen` (`patching.unpatch` puts it back); `response_class` is
    the `AsyncHTTPResponse` of the budget guard's refusal. `settings` must not inject stream
    usage."""
    original = pool_class.urlopen  # type: ignore[attr-defined]
    may_be_llm = llm_url_check()

    async def urlopen(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if method == "POST":
            if type(url) is not str or not may_be_llm(url):
                return await original(self, method, url, *args, **kwargs)
        elif method != "GET" or not may_be_deferred(url):
            return await original(self, method, url, *args, **kwargs)
        outer = get_current().get(IN_CALL)
        if outer is not None:  # a retry, a redirect, `requests`' adapter: the call sent already
            retried(outer, args, kwargs)
            return await original(self, method, url, *args, **kwargs)
        wrapped = original.__get__(self, type(self))
        return await _metered(
            tracer, settings, response_class, wrapped, self, (method, url, *args), kwargs
        )

    functools.update_wrapper(urlopen, original)
    urlopen._tokentrace_wrapper = _metered  # type: ignore[attr-defined]
    pool_class.urlopen = urlopen  # type: ignore[attr-defined]


async def _metered(
    tracer: Tracer,
    settings: Settings,
    response_class: type,
    wrapped: Callable[..., Any],
    pool: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    named, call = start(tracer, settings, pool, args, kwargs)
    if call is None:
        return await wrapped(*args, **kwargs)
    if settings.guard is not None:
        refused = blocked(settings, call, functools.partial(refusal, response_class))
        if refused is not None:
            return refused
    token = context.attach(call.inner_context)
    try:
        response = await wrapped(**named)
    except BaseException as error:
        call.finish(error)
        raise
    finally:
        context.detach(token)
    try:
        if getattr(response, "status", None) is None:  # a multiplexed request's promise
            call.finish()
            return response
        call.on_response(_Answer(response))
        if named.get("preload_content", True):
            data = response._body or b""
            if data:
                call.feed_decoded(data) if named.get("decode_content", True) else call.feed(data)
            call.finish()
        else:
            _tee(response, call)
    except Exception:
        failures.report("wrapping the response")
        call.finish()
    return response


def refusal(response_class: type, content: bytes) -> Any:
    """The budget guard's 429 as an unread `AsyncHTTPResponse` over the error body."""
    return response_class(
        body=io.BytesIO(content),  # read as the file-like bodies of its tests
        headers=provider_errors.HEADERS,
        status=429,
        reason="Too Many Requests",
        preload_content=False,
        decode_content=False,
    )
