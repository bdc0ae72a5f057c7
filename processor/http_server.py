"""serve's HTTP server: uvicorn, plus the connection hygiene it leaves to a proxy.

uvicorn (with its pure-Python h11 protocol) already parses HTTP/1.1, closes idle
keep-alive connections (``timeout_keep_alive``) and shuts down gracefully; writing that
again would buy nothing, so this module only adds what uvicorn lacks, in a subclass of its
``H11Protocol``:

- **a deadline for the request head.** uvicorn waits forever for headers, so 1,500
  half-sent requests held 1,500 file descriptors indefinitely. A connection whose head is
  not complete ``head_timeout`` seconds after it opened (or after its first byte, on a
  kept-alive connection) gets 408 and is closed;
- **a cap on open connections.** Over ``max_connections`` the oldest connection that has
  not finished sending a request head (a half-open or idle one) is closed to make room;
  when every connection has a request in flight, the new one's request gets 503 with
  ``Retry-After`` and the connection is closed. The default cap stays well under the
  open-files limit, so ``accept`` keeps working and a real client always gets a
  connection: a slow-loris flood evicts only itself.
- **accept errors logged at most once per ``LOG_EVERY_SECONDS``.** Python 3.11's event
  loop logs a traceback for every failed ``accept`` (EMFILE), up to the listen backlog per
  attempt: 318 MB of log in 35 s at ``ulimit -n 1024``. The loop's exception handler here
  counts them in ``/metrics`` and logs one line with the count.

The application it serves is Starlette (``api/routing.py``), where the per-request rules
live: the body deadline and the cap on requests in flight are middleware there, answered in
the API's own format. These three stay below it because they act before there is a
request (a head never finished, a connection over the cap, a failed ``accept``), where no
ASGI application is called; neither uvicorn nor Starlette has them.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from tokentrace.processor.metrics import Registry
from tokentrace.processor.pipeline import BUSY_RETRY_AFTER

log = logging.getLogger("tokentrace.http")

LOG_EVERY_SECONDS = 10.0
FD_RESERVE = 256  # descriptors kept for the store, the spool, gRPC and the probes
# asyncio accepts up to ``backlog`` connections in one go, before any protocol can close
# one: this many descriptors are kept free for that burst too (uvicorn's default is 2,048).
ACCEPT_BACKLOG = 128
RETRY_AFTER_SECONDS = BUSY_RETRY_AFTER  # why 2 s: see pipeline

_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
# What an HTTP/2 client sends first: an OTLP/gRPC exporter pointed at the OTLP/HTTP port (the
# Python exporter's default protocol is grpc), which h11 would only log as "Invalid HTTP
# request received."
_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n"
GRPC_HINT_EVERY_SECONDS = 60.0


async def _busy(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The answer on a connection over the cap when no other one could be closed."""
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": b"too many connections: retry\n"})


def default_max_connections() -> int:
    """What the open-files limit leaves after the reserve and the accept burst; 16 to 1024."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1024
    return max(16, min(1024, soft - FD_RESERVE - ACCEPT_BACKLOG))


@dataclass(frozen=True)
class Limits:
    head_timeout: float = 10.0  # seconds to send a request's head (line and headers)
    body_timeout: float = 30.0  # seconds to send a request's whole body
    idle_timeout: int = 5  # seconds a kept-alive connection may idle between requests
    max_connections: int = 0  # 0: :func:`default_max_connections`
    max_in_flight: int = 512  # requests being answered at once, health probes aside

    def connections(self) -> int:
        return self.max_connections or default_max_connections()


class _Guard:
    """State shared by every connection of one server: which ones still owe a head."""

    def __init__(self, limits: Limits, metrics: Registry) -> None:
        self.limits = limits
        self.max_connections = limits.connections()
        self.metrics = metrics
        # Connections waiting for a request head, oldest first: eviction candidates.
        self.waiting: OrderedDict[GuardedH11Protocol, None] = OrderedDict()
        self.grpc_hinted_at = -GRPC_HINT_EVERY_SECONDS


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a head deadline and a connection cap (see the module)."""

    guard: _Guard  # set on the subclass :func:`protocol_class` makes

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.guard.max_connections and not self._evict_one():
            # Answered once its head is in: closing now, with the request unread, would
            # reset the connection and lose the answer.
            self.guard.metrics.http_connections_closed.inc(reason="full")
            self.app = _busy
        self._watch_head()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and data.startswith(_HTTP2_PREFACE):
            self._refuse_http2()
            return
        super().data_received(data)
        self._watch_head()

    def _refuse_http2(self) -> None:
        """One line saying what to change (at most once a minute), a 400 saying it too (the
        gRPC client reports an "http1.x server (HTTP status 400)"), and the connection closed."""
        port = self.server[1] if self.server else "?"
        hint = (
            f"an HTTP/2 client (an OTLP/gRPC exporter?) connected to the OTLP/HTTP port {port}: "
            "send OTLP/gRPC to serve's --grpc-port (4317), or set "
            "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf in the app"
        )
        now = time.monotonic()
        if now - self.guard.grpc_hinted_at >= GRPC_HINT_EVERY_SECONDS:
            self.guard.grpc_hinted_at = now
            log.warning("%s", hint)
        self.guard.metrics.http_connections_closed.inc(reason="http2")
        body = (hint + "\n").encode()
        self._close(
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
            + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
            + body
        )

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            # Idle between requests: uvicorn's keep-alive timer runs, and an idle
            # connection may be evicted to make room for a new one.
            self.guard.waiting[self] = None
            self.guard.waiting.move_to_end(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_watching()
        super().connection_lost(exc)

    def _watch_head(self) -> None:
        """Arm the head deadline while a head is owed, disarm it once the head is in."""
        if self.conn.their_state is not h11.IDLE or self.transport.is_closing():
            self._stop_watching()
        elif self._head_timer is None:
            self._head_timer = self.loop.call_later(
                self.guard.limits.head_timeout, self._head_timed_out
            )
            self.guard.waiting[self] = None

    def _stop_watching(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self.guard.waiting.pop(self, None)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        self.guard.metrics.http_connections_closed.inc(reason="head_timeout")
        self._close(_TIMEOUT)

    def _evict_one(self) -> bool:
        """Close the oldest connection still owing a head; False when there is none."""
        victim = next((other for other in self.guard.waiting if other is not self), None)
        if victim is None:
            return False
        self.guard.metrics.http_connections_closed.inc(reason="evicted")
        victim._close(b"")
        return True

    def _close(self, answer: bytes) -> None:
        self._stop_watching()
        self.connections.discard(self)  # the slot is free now, not once the peer acks
        if not self.transport.is_closing():
            if answer:
                self.transport.write(answer)
            self.transport.close()


def protocol_class(limits: Limits, metrics: Registry) -> type[GuardedH11Protocol]:
    """A protocol class for one server, bound to that server's limits and metrics."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"guard": _Guard(limits, metrics)})


class LoopErrorLog:
    """The event loop's exception handler: counts every error, logs each kind rarely."""

    def __init__(self, metrics: Registry, every: float = LOG_EVERY_SECONDS) -> None:
        self._metrics = metrics
        self._every = every
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message") or "event loop error")
        exception = context.get("exception")
        self._metrics.http_loop_errors.inc(kind=message)
        now = time.monotonic()
        if now - self._last.get(message, -self._every) < self._every:
            self._suppressed[message] = self._suppressed.get(message, 0) + 1
            return
        self._last[message] = now
        suppressed = self._suppressed.pop(message, 0)
        more = f" ({suppressed} more since the last report)" if suppressed else ""
        log.error("%s: %s%s", message, exception or "", more)


def server(app: Any, host: str, port: int, limits: Limits, metrics: Registry) -> uvicorn.Server:
    """A uvicorn server for ``app`` with this module's protocol; run it with :func:`run`."""
    return uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            http=protocol_class(limits, metrics),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_keep_alive=limits.idle_timeout,
            backlog=ACCEPT_BACKLOG,
            timeout_graceful_shutdown=10,
        )
    )


def run(http: uvicorn.Server, metrics: Registry) -> None:
    """Serve until a signal stops ``http``, on a plain asyncio loop with :class:`LoopErrorLog`."""

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(LoopErrorLog(metrics))
        await http.serve()

    asyncio.run(main())
