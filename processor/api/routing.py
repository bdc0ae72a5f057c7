"""serve's HTTP application: Starlette routing, plus the per-request rules serve's contract adds.

Starlette routes (one :func:`route` per method and path, ``{name}`` segments as path
parameters), builds requests and responses, and runs exception handlers and middleware.
What it does not do the way serve's API has always answered is added here, as Starlette
middleware and exception handlers (see :func:`application`):

- **one-line JSON errors, never a traceback or an HTML/plain 500.** 404 is
  ``{"error": "no route for PATH"}``, 405 names the method and lists in ``Allow`` every
  method the path takes (Starlette's lists only the first route's), and an unexpected
  exception is logged and answered ``{"error": "internal error"}``: Starlette's
  ``ServerErrorMiddleware`` would answer plain text and re-raise into the server's log.
- **GET routes do not answer HEAD** (405, as serve always has): Starlette adds HEAD to
  every GET route.
- **no redirect for a trailing slash**: ``/api/v1/views/`` is a 404, not a 307.
- **a deadline for the whole body** (:class:`BodyDeadline`: 408, and the connection is
  closed). uvicorn bounds idle keep-alive and ``http_server`` the head, but nothing else
  bounds a body sent a byte a minute.
- **a cap on requests being answered at once** (:class:`InFlightLimit`: 503 with
  ``Retry-After``), on every route but the health probes, so load never fails a liveness
  check. uvicorn's ``limit_concurrency`` counts connections as well, answers without
  ``Retry-After`` and would refuse the probes too.
- **bodies read against a limit** (:func:`read_body`): 413 naming the limit, and an
  oversized body is still read and dropped up to ``DRAIN_BYTES`` so the client, still
  sending, gets the 413 instead of a reset connection, which exporters would retry.
  Starlette's ``max_body_size`` answers a plain-text 413 without draining.
- **the bearer token** (``TOKENTRACE_AUTH_TOKEN``) on the readers' API, with Starlette's
  ``AuthenticationMiddleware`` on each route, so an unknown path or method is still
  answered 404/405 first. ``/v1/traces`` checks it itself: OTLP answers in the request's
  encoding.

JSON is written by :func:`json_response` with ``json.dumps``' defaults, byte for byte as the
API always has; Starlette's ``JSONResponse`` writes compact, non-ASCII JSON.

``POST /v1/traces`` takes the same path, with no fast path around Starlette: measured
against the hand-written router it replaced, it adds 25–85 µs to a request of 512 spans,
under 0.2 µs a span, under 0.5 % of ingest's CPU (BENCHMARKS.md, "Starlette routing").
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    SimpleUser,
)
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tokentrace.processor.pipeline import BUSY_RETRY_AFTER

log = logging.getLogger(__name__)

DRAIN_BYTES = 64 * 1024 * 1024

Endpoint = Callable[[Request], Awaitable[Response]]


class BodyTooLarge(Exception):
    pass


class BodyTimeout(Exception):
    """The client did not send the whole body before :class:`BodyDeadline`'s deadline."""


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """``data`` as ``json.dumps`` writes it (the API's JSON has always been exactly that)."""
    return Response(json.dumps(data), status, headers, "application/json")


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body; raises :class:`BodyTooLarge` once it passes ``limit``.

    An oversized body is still read (and dropped) up to ``DRAIN_BYTES``, so that the
    client, still sending, gets the 413 instead of a reset connection, which exporters
    would retry.
    """
    declared = request.headers.get("content-length", "")
    chunks = request.stream()
    if declared.isdigit() and int(declared) > limit:
        await _drain(chunks, 0)
        raise BodyTooLarge(f"Content-Length {declared} is over the {limit}-byte limit")
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            await _drain(chunks, size)
            raise BodyTooLarge(f"request body is over the {limit}-byte limit")
        parts.append(chunk)
    return b"".join(parts)


_NO_DEFAULT: Any = object()


async def read_json(request: Request, limit: int, empty: Any = _NO_DEFAULT) -> Any:
    """The body (read as :func:`read_body`) decoded as JSON, ``empty`` for a blank one if
    given. Every body that is not JSON raises ``ValueError`` with the reason, the answer's 400:
    one deeply nested (``[[[…]]]``) as well, whose ``RecursionError`` was a 500."""
    body = await read_body(request, limit)
    if empty is not _NO_DEFAULT and not body.strip():
        return empty
    try:
        return json.loads(body)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None


async def _drain(chunks: Any, size: int) -> None:
    async for chunk in chunks:
        size += len(chunk)
        if size > DRAIN_BYTES:
            return


def bearer_ok(request_header: str | None, token: str | None) -> bool:
    """True when no token is configured or ``Authorization: Bearer <token>`` matches it.

    Compared in constant time so the token cannot be guessed byte by byte from timings,
    and as UTF-8 bytes so that a non-ASCII token matches: the header arrives as the bytes
    the client sent (Starlette decodes them as latin-1, which this undoes), and the token
    as the bytes of the environment variable.
    """
    if not token:
        return True
    scheme, _, given = (request_header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        _header_bytes(given.strip()), token.encode("utf-8", "surrogateescape")
    )


def _header_bytes(value: str) -> bytes:
    """The bytes of a header decoded as latin-1; text from elsewhere (gRPC) as UTF-8."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape")


def unauthorized() -> Response:
    """The 401 every bearer-protected route answers."""
    return json_response(
        {"error": "missing or wrong bearer token"}, 401, {"www-authenticate": "Bearer"}
    )


class BearerToken(AuthenticationBackend):
    """Starlette authentication by :func:`bearer_ok`; with no token every request passes."""

    def __init__(self, token: str | None) -> None:
        self._token = token

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, SimpleUser]:
        if not bearer_ok(conn.headers.get("authorization"), self._token):
            raise AuthenticationError("missing or wrong bearer token")
        return AuthCredentials(["authenticated"]), SimpleUser("bearer")


def bearer_auth(token: str | None) -> Middleware:
    """Route middleware wanting ``token``; answers :func:`unauthorized` otherwise."""
    return Middleware(
        AuthenticationMiddleware,
        backend=BearerToken(token),
        on_error=lambda conn, exc: unauthorized(),
    )


class InFlight:
    """The requests being answered at once on the routes :class:`InFlightLimit` guards.

    ``limit`` ``None`` leaves them unbounded; ``refused`` counts the ones turned away.
    """

    def __init__(self, limit: int | None = None, refused: Any = None) -> None:
        self.limit = limit
        self.refused = refused
        self.count = 0

    def middleware(self) -> Middleware:
        return Middleware(InFlightLimit, in_flight=self)


class InFlightLimit:
    """Route middleware: 503 with ``Retry-After`` while :class:`InFlight` is at its limit."""

    def __init__(self, app: ASGIApp, in_flight: InFlight) -> None:
        self.app = app
        self.in_flight = in_flight

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.in_flight
        if state.limit is not None and state.count >= state.limit:
            if state.refused is not None:
                state.refused.inc(reason="busy")
            busy = json_response(
                {"error": "too many requests in flight: retry after the delay given"},
                503,
                {"retry-after": str(BUSY_RETRY_AFTER)},
            )
            await busy(scope, receive, send)
            return
        state.count += 1
        try:
            await self.app(scope, receive, send)
        finally:
            state.count -= 1


class BodyDeadline:
    """Middleware: the body must be in ``seconds`` after the request reached the app.

    A ``receive`` past the deadline raises :class:`BodyTimeout` (answered 408).
    """

    def __init__(self, app: ASGIApp, seconds: float | None) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds is None:
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.seconds

        async def receive_in_time() -> Message:
            try:
                async with asyncio.timeout_at(deadline):
                    return await receive()
            except TimeoutError:
                raise BodyTimeout("the request body did not arrive in time") from None

        await self.app(scope, receive_in_time, send)


class InternalErrors:
    """Middleware: an unexpected exception is logged and answered as one line of JSON."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            if scope["type"] != "http":
                raise
            log.exception("error answering %s %s", scope["method"], scope["path"])
            if not started:
                await json_response({"error": "internal error"}, 500)(scope, receive, send)


def route(method: str, path: str, endpoint: Endpoint, *middleware: Middleware) -> Route:
    """``endpoint`` for ``method`` on ``path``, behind ``middleware`` (outermost first)."""
    made = Route(path, endpoint, methods=[method], middleware=middleware or None)
    made.methods = {method.upper()}  # no implicit HEAD: see the module docstring
    return made


def misplaced_otlp(method: str, path: str) -> str:
    """What to change when an exporter posts spans to a path that only ends in /v1/traces
    (``OTEL_EXPORTER_OTLP_ENDPOINT=http://host:4318/v1/traces``: the exporter adds
    /v1/traces again); '' for any other request. The exporter logs only "404 Not Found"."""
    if method != "POST" or not path.endswith("/v1/traces") or path == "/v1/traces":
        return ""
    return (
        f"OTLP spans were sent to {path}, not /v1/traces: set OTEL_EXPORTER_OTLP_ENDPOINT to "
        "http://HOST:PORT alone (the exporter adds /v1/traces), or the whole URL in "
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; these spans were not stored"
    )


class _Rarely:
    """Logs a warning at most once per ``every`` seconds (a misconfigured exporter retries)."""

    def __init__(self, every: float = 60.0) -> None:
        self.every = every
        self._last = -every

    def say(self, line: str) -> None:
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            log.warning("%s", line)


def application(
    routes: list[BaseRoute], *, body_timeout: float | None = None, refused: Any = None
) -> Starlette:
    """The ASGI application serving ``routes`` with the rules of the module docstring.

    ``body_timeout`` bounds the seconds a request may take to send its body (``None``: no
    bound); ``refused`` counts the requests it turns away.
    """

    def count(reason: str) -> None:
        if refused is not None:
            refused.inc(reason=reason)

    misplaced = _Rarely()

    async def not_found(request: Request, exc: Exception) -> Response:
        path = request.scope["path"]
        hint = misplaced_otlp(request.method, path)
        if hint:
            misplaced.say(hint)
        return json_response({"error": hint or f"no route for {path}"}, 404)

    async def not_allowed(request: Request, exc: Exception) -> Response:
        allowed = {
            method
            for candidate in request.app.routes
            if candidate.matches(request.scope)[0] is not Match.NONE
            for method in candidate.methods or ()
        }
        return json_response(
            {"error": f"method {request.method} not allowed"},
            405,
            {"allow": ", ".join(sorted(allowed))},
        )

    async def too_large(request: Request, exc: Exception) -> Response:
        return json_response({"error": str(exc)}, 413, {"connection": "close"})

    async def timed_out(request: Request, exc: Exception) -> Response:
        count("body_timeout")
        return json_response({"error": str(exc)}, 408, {"connection": "close"})

    async def disconnected(request: Request, exc: Exception) -> Response:
        # The client left: nobody reads this answer.
        return json_response({"error": "client disconnected"}, 400, {"connection": "close"})

    app = Starlette(
        routes=routes,
        middleware=[Middleware(InternalErrors), Middleware(BodyDeadline, seconds=body_timeout)],
        exception_handlers={
            404: not_found,
            405: not_allowed,
            BodyTooLarge: too_large,
            BodyTimeout: timed_out,
            ClientDisconnect: disconnected,
            ConnectionError: disconnected,
        },
    )
    app.router.redirect_slashes = False
    return app
