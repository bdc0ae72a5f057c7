"""LLM calls made with `http.client` directly: `urllib.request.urlopen` (which sends through
it), apps and small SDKs posting with an `HTTPConnection` of their own. Before this they were
only said (`unmetered`), never metered.

Where: `HTTPConnection.request` (method, URL, body and headers: the call starts there, its
headers sent as a copy with `baggage` stripped), then that connection's next `getresponse`
(status and headers; the body follows), set on the connection alone. urllib3 sends through
`http.client` too, but with its own `request` (`putrequest`, `putheader`, `send`), so its
requests never pass here, and its calls are metered once, by `urllib3_send`.

The body: the `HTTPResponse` that `getresponse` returns is the application's own, its class
swapped for a subclass that shows every piece read (`read`, `read1`, `readinto`,
`readline`, iteration and `json.load` through them) to the call, which ends at the end of the
body (`_close_conn`) or on `close()`. `isinstance` checks and urllib's `r.url = ...` still
hold. `http.client` never undoes `content-encoding`, so the pieces are raw (`LLMCall.feed`).

A request that is not a POST pays one comparison (a GET three substring checks:
`routing.may_be_deferred`); a POST one dict lookup of its URL in a cache of whether its path
has an LLM API's shape. `TOKENTRACE_STREAM_USAGE=inject` does not apply here (the settings
given must not inject). The budget guard's refusal is never sent: `getresponse` answers with
an `HTTPResponse` over the provider's 429 (urllib raises it as `HTTPError`, as a provider's).
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
from .requests_views import HeadersView, RequestView
from .routing import llm_url_check, may_be_deferred
from .send import blocked, start_call

_PENDING = "_tokentrace_call"
"""The response's attribute holding its call."""


class _Headers:
    """A request's headers (a dict, names in any case, str or bytes) as `requests`'
    `CaseInsensitiveDict` keeps them (`_store`: lowercased name -> (name, value)), which
    `requests_views.HeadersView` reads; `sent()` is what goes on the wire (`baggage` popped)."""

    __slots__ = ("_store",)

    def __init__(self, headers: Any) -> None:
        self._store = {_lower(name): (name, value) for name, value in headers.items()}

    def get(self, name: str, default: Any = None) -> Any:
        found = self._store.get(name.lower())
        return default if found is None else found[1]

    def pop(self, name: str, default: Any = None) -> Any:
        found = self._store.pop(name.lower(), None)
        return default if found is None else found[1]

    def __setitem__(self, name: str, value: str) -> None:
        self._store[name.lower()] = (name, value)

    def sent(self) -> dict[Any, Any]:
        return dict(self._store.values())


def _lower(name: Any) -> str:
    return (name.decode("latin-1") if isinstance(name, bytes) else str(name)).lower()


class _Prepared:
    """What `requests_views.RequestView` reads of a `PreparedRequest`."""

    __slots__ = ("body", "headers", "method", "url")

    def __init__(self, method: str, url: str, body: Any, headers: _Headers) -> None:
        self.method = method
        self.url = url
        self.body = body
        self.headers = headers


class _Answer:
    """An `http.client.HTTPResponse`'s status and headers for `LLMCall.on_response`."""

    __slots__ = ("headers", "status_code")

    def __init__(self, response: Any) -> None:
        self.status_code = response.status
        self.headers = HeadersView(response.headers)


class _Tee:
    """Mixed into the class of a call's `HTTPResponse` (`_teed_class`): each piece read goes to
    the call once, by the outermost read (`readline` of a chunked body reads through `read`);
    the end of the body (`_close_conn`, which a read calls before it returns its last piece)
    ends the call after that piece is seen."""

    __slots__ = ()

    def _tokentrace_read(self, read: Callable[..., Any], *args: Any) -> Any:
        state = self.__dict__
        state["_tokentrace_depth"] += 1
        try:
            result = read(*args)
        except BaseException as error:
            state["_tokentrace_depth"] -= 1
            state[_PENDING].finish(error)
            raise
        state["_tokentrace_depth"] -= 1
        return result

    def _tokentrace_seen(self, data: Any) -> None:
        state = self.__dict__
        if state["_tokentrace_depth"]:
            return
        call: LLMCall = state[_PENDING]
        if data:
            call.feed(bytes(data))
        if state["_tokentrace_ended"]:
            call.finish()

    def read(self, amt: int | None = None) -> bytes:
        data = self._tokentrace_read(super().read, amt)  # type: ignore[misc]
        self._tokentrace_seen(data)
        return data

    def read1(self, n: int = -1) -> bytes:
        data = self._tokentrace_read(super().read1, n)  # type: ignore[misc]
        self._tokentrace_seen(data)
        return data

    def readline(self, limit: int = -1) -> bytes:
        data = self._tokentrace_read(super().readline, limit)  # type: ignore[misc]
        self._tokentrace_seen(data)
        return data

    def readinto(self, buffer: Any) -> int:
        size = self._tokentrace_read(super().readinto, buffer)  # type: ignore[misc]
        self._tokentrace_seen(memoryview(buffer)[:size])
        return size

    def _close_conn(self) -> None:
        super()._close_conn()  # type: ignore[misc]
        state = self.__dict__
        if state["_tokentrace_depth"]:
            state["_tokentrace_ended"] = True
        else:
            state[_PENDING].finish()


_TEED: dict[type, type] = {}


def _teed_class(response_class: type) -> type:
    """`response_class` with `_Tee` mixed in (one per class: a connection's `response_class`
    may be an application's subclass)."""
    teed = _TEED.get(response_class)
    if teed is None:
        teed = type(response_class.__name__, (_Tee, response_class), {})
        teed.__module__ = response_class.__module__
        _TEED[response_class] = teed
    return teed


def _tee(response: Any, call: LLMCall) -> None:
    state = response.__dict__
    state[_PENDING] = call
    state["_tokentrace_depth"] = 0
    state["_tokentrace_ended"] = False
    response.__class__ = _teed_class(type(response))


class _Socket:
    """A socket whose reads are `data`: for an `HTTPResponse` of the budget guard's 429."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def makefile(self, mode: str) -> io.BytesIO:
        return io.BytesIO(self._data)


def refusal(connection: Any, content: bytes) -> Any:
    """The budget guard's 429, an `HTTPResponse` of the connection's class over the provider's
    error body `content`, as if the provider had answered it."""
    head = "".join(f"{name}: {value}\r\n" for name, value in provider_errors.HEADERS.items())
    raw = (
        f"HTTP/1.1 429 Too Many Requests\r\n{head}content-length: {len(content)}\r\n\r\n"
    ).encode("latin-1")
    response = connection.response_class(_Socket(raw + content), method="POST")
    response.begin()
    return response


def _url(connection: Any, url: str) -> str:
    """The absolute URL of a request on `connection`: `url` is a path (or, through an HTTP
    proxy, already absolute); through a CONNECT tunnel the origin is the tunnel's host."""
    if not url.startswith("/"):
        return url
    tunnel = getattr(connection, "_tunnel_host", None)
    host, port = (tunnel, connection._tunnel_port) if tunnel else (connection.host, connection.port)
    if ":" in host:
        host = f"[{host}]"
    scheme = "https" if connection.default_port == 443 else "http"
    return f"{scheme}://{host}:{port}{url}"


def install(connection_class: type, tracer: Tracer, settings: Settings) -> None:
    """Replaces `connection_class.request` (`patching.unpatch` puts it back). `settings` must
    not inject stream usage."""
    original = connection_class.request  # type: ignore[attr-defined]
    may_be_llm = llm_url_check()

    def request(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if method == "POST":
            if type(url) is not str or not may_be_llm(url):
                return original(self, method, url, *args, **kwargs)
        elif method != "GET" or type(url) is not str or not may_be_deferred(url):
            return original(self, method, url, *args, **kwargs)
        if IN_CALL in get_current():
            return original(self, method, url, *args, **kwargs)
        return _request(tracer, settings, original, self, method, url, args, kwargs)

    functools.update_wrapper(request, original)
    request._tokentrace_wrapper = _request  # type: ignore[attr-defined]
    connection_class.request = request  # type: ignore[attr-defined]


def _request(
    tracer: Tracer,
    settings: Settings,
    original: Callable[..., Any],
    connection: Any,
    method: str,
    url: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """A `request` that may be an LLM call: when `routing` says it is one, sent with a copy
    of its headers (`baggage` stripped there), and the connection's next `getresponse` is
    the call's (an attribute of that connection alone, removed when called: the class's is
    left as it is, so urllib3's connections, whose `getresponse` is `http.client`'s, pay
    nothing)."""
    try:
        body = args[0] if args else kwargs.get("body")
        headers = args[1] if len(args) > 1 else kwargs.get("headers", {})
        copy = _Headers(headers)
        view = RequestView(_Prepared(method, _url(connection, url), body, copy))
        call = start_call(tracer, settings, view)
    except Exception:
        failures.report("starting the span")
        call = None
    if call is None:
        return original(connection, method, url, *args, **kwargs)
    if settings.guard is not None:
        refused = blocked(settings, call, bytes)
        if refused is not None:
            connection.getresponse = functools.partial(_refused, connection, refused)
            return None
    sent = copy.sent()
    if len(args) > 1:
        args = (args[0], sent, *args[2:])
    else:
        kwargs["headers"] = sent
    token = context.attach(call.inner_context)
    try:
        original(connection, method, url, *args, **kwargs)
    except BaseException as error:
        call.finish(error)
        raise
    finally:
        context.detach(token)
    connection.getresponse = functools.partial(_response, connection, call)
    return None


def _refused(connection: Any, content: bytes) -> Any:
    del connection.getresponse
    return refusal(connection, content)


def _response(connection: Any, call: LLMCall) -> Any:
    del connection.getresponse
    token = context.attach(call.inner_context)
    try:
        response = connection.getresponse()
    except BaseException as error:
        call.finish(error)
        raise
    finally:
        context.detach(token)
    try:
        call.on_response(_Answer(response))
        _tee(response, call)
    except Exception:
        failures.report("wrapping the response")
        call.finish()
    return response
