"""A small ASGI application: a route table, requests and responses.

``tokentrace serve`` answers a handful of routes (OTLP, health, metrics, the readers'
API); a framework would be a heavier dependency than the routing it saves. Adding a
route is one line: ``router.add("GET", "/api/v1/things/{name}", handler)``, where
``handler`` is ``async def handler(request: Request) -> Response``.

Two per-request limits live here rather than in the HTTP server, because only the
application can answer them properly: a deadline for the whole body (408, and the
connection is closed) and a cap on requests being answered at once (503 with
``Retry-After``; the health probes are exempt so that load never fails a liveness check).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from tokentrace.processor.pipeline import BUSY_RETRY_AFTER

log = logging.getLogger(__name__)


DRAIN_BYTES = 64 * 1024 * 1024


class BodyTooLarge(Exception):
    pass


class BodyTimeout(Exception):
    """The client did not send the whole body before the router's deadline."""


class Request:
    def __init__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        body_timeout: float | None = None,
    ):
        self.scope = scope
        self._receive = receive
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.path_params: dict[str, str] = {}
        self.headers: dict[str, str] = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope.get("headers", ())
        }
        self.query: dict[str, list[str]] = parse_qs(
            scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
        )
        self._body_deadline = (
            None if body_timeout is None else asyncio.get_running_loop().time() + body_timeout
        )

    async def body(self, limit: int) -> bytes:
        """The whole body; raises :class:`BodyTooLarge` once it passes ``limit``.

        An oversized body is still read (and dropped) up to ``DRAIN_BYTES``, so that the
        client, still sending, gets the 413 instead of a reset connection, which
        exporters would retry.
        """
        declared = self.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._drain(0)
            raise BodyTooLarge(f"Content-Length {declared} is over the {limit}-byte limit")
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            chunk, more = await self._chunk()
            size += len(chunk)
            if size > limit:
                if more:
                    await self._drain(size)
                raise BodyTooLarge(f"request body is over the {limit}-byte limit")
            chunks.append(chunk)
        return b"".join(chunks)

    async def _chunk(self) -> tuple[bytes, bool]:
        try:
            async with asyncio.timeout_at(self._body_deadline):
                message = await self._receive()
        except TimeoutError:
            raise BodyTimeout("the request body did not arrive in time") from None
        if message["type"] == "http.disconnect":
            raise ConnectionError("client disconnected")
        return message.get("body", b""), message.get("more_body", False)

    async def _drain(self, size: int) -> None:
        more = True
        while more and size <= DRAIN_BYTES:
            chunk, more = await self._chunk()
            size += len(chunk)


class Response:
    def __init__(
        self,
        body: bytes | str = b"",
        status: int = 200,
        content_type: str = "text/plain; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.body = body.encode() if isinstance(body, str) else body
        self.status = status
        self.headers = {"content-type": content_type, **(headers or {})}

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return cls(json.dumps(data), status, "application/json", headers)

    async def send(self, send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items()]
        headers.append((b"content-length", str(len(self.body)).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


Handler = Callable[[Request], Awaitable[Response]]


def bearer_ok(request_header: str | None, token: str | None) -> bool:
    """True when no token is configured or ``Authorization: Bearer <token>`` matches it.

    Compared in constant time so the token cannot be guessed byte by byte from timings,
    and as UTF-8 bytes so that a non-ASCII token matches: the header arrives as the bytes
    the client sent (:class:`Request` decodes them as latin-1, which this undoes), and the
    token as the bytes of the environment variable.
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


class Router:
    """An ASGI app dispatching on method and path; ``{name}`` segments become path params.

    ``body_timeout`` bounds the seconds a request may take to send its body, and
    ``max_in_flight`` the requests answered at once (routes added with ``limited=False``
    aside); ``None`` leaves either unbounded. ``refused`` counts what they turn away.
    """

    def __init__(
        self,
        *,
        body_timeout: float | None = None,
        max_in_flight: int | None = None,
        refused: Any = None,
    ) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        self._body_timeout = body_timeout
        self._max_in_flight = max_in_flight
        self._refused = refused
        self.in_flight = 0

    def add(self, method: str, path: str, handler: Handler, *, limited: bool = True) -> None:
        parts = re.split(r"\{(\w+)\}", path)  # literal, name, literal, name, …
        pattern = "".join(
            f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part)
            for index, part in enumerate(parts)
        )
        self._routes.append((method.upper(), re.compile(f"^{pattern}$"), handler, limited))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive, self._body_timeout)
        response = await self._dispatch(request)
        await response.send(send)

    async def _dispatch(self, request: Request) -> Response:
        allowed = []
        for method, pattern, handler, limited in self._routes:
            match = pattern.match(request.path)
            if match is None:
                continue
            if method != request.method:
                allowed.append(method)
                continue
            request.path_params = match.groupdict()
            if not limited:
                return await self._answer(handler, request)
            if self._max_in_flight is not None and self.in_flight >= self._max_in_flight:
                self._count("busy")
                return Response.json(
                    {"error": "too many requests in flight: retry after the delay given"},
                    503,
                    {"retry-after": str(BUSY_RETRY_AFTER)},
                )
            self.in_flight += 1
            try:
                return await self._answer(handler, request)
            finally:
                self.in_flight -= 1
        if allowed:
            return Response.json(
                {"error": f"method {request.method} not allowed"},
                405,
                {"allow": ", ".join(sorted(set(allowed)))},
            )
        return Response.json({"error": f"no route for {request.path}"}, 404)

    async def _answer(self, handler: Handler, request: Request) -> Response:
        try:
            return await handler(request)
        except BodyTooLarge as exc:
            return Response.json({"error": str(exc)}, 413, {"connection": "close"})
        except BodyTimeout as exc:
            self._count("body_timeout")
            return Response.json({"error": str(exc)}, 408, {"connection": "close"})
        except ConnectionError:  # the client left: nobody reads this answer
            return Response.json({"error": "client disconnected"}, 400, {"connection": "close"})
        except Exception:
            log.exception("error answering %s %s", request.method, request.path)
            return Response.json({"error": "internal error"}, 500)

    def _count(self, reason: str) -> None:
        if self._refused is not None:
            self._refused.inc(reason=reason)


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def unauthorized() -> Response:
    """The 401 every bearer-protected route answers."""
    return Response.json(
        {"error": "missing or wrong bearer token"}, 401, {"www-authenticate": "Bearer"}
    )
