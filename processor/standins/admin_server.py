"""One loopback HTTP server for the OpenAI and Anthropic organisation admin APIs.

OpenAI's answers under ``/openai/v1/organization/…`` and Anthropic's under
``/anthropic/v1/organizations/…``; ``openai_url``/``anthropic_url`` are the values of
``TOKENTRACE_OPENAI_ADMIN_URL`` / ``TOKENTRACE_ANTHROPIC_ADMIN_URL``. The reports come from
``ledger``; each provider wants its own admin key (``keys``). ``fail(status, …)`` makes the
next requests fail as the real APIs do when rate-limited, overloaded or refusing a key, with
the provider's error body and an optional ``Retry-After``. Every request is recorded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import anthropic_admin, openai_admin
from .admin_ledger import Ledger
from .reply import Reply

OPENAI_KEY = "sk-admin-standin-openai"
ANTHROPIC_KEY = "sk-ant-admin01-standin"

_PROVIDERS: dict[str, tuple[Callable[..., Reply], Callable[..., Reply], Callable[..., Reply]]] = {
    # prefix: (authorized, handle, error)
    "openai": (openai_admin.authorized, openai_admin.handle, openai_admin.error),
    "anthropic": (anthropic_admin.authorized, anthropic_admin.handle, anthropic_admin.error),
}


@dataclass(frozen=True)
class AdminRequest:
    provider: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class AdminStandin:
    """A running admin stand-in; use as a context manager or call ``close()``."""

    def __init__(self, server: ThreadingHTTPServer, ledger: Ledger) -> None:
        self._server = server
        self.ledger = ledger
        self.keys = {"openai": OPENAI_KEY, "anthropic": ANTHROPIC_KEY}
        self.requests: list[AdminRequest] = []
        self._faults: list[tuple[int, str | None, bytes | None]] = []
        self._lock = threading.Lock()
        host, port = server.server_address[:2]
        self.root = f"http://{host}:{port}"
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def openai_url(self) -> str:
        return f"{self.root}/openai/v1"

    @property
    def anthropic_url(self) -> str:
        return f"{self.root}/anthropic"

    def env(self) -> dict[str, str]:
        """The environment that points tokentrace at this stand-in with valid admin keys."""
        return {
            "OPENAI_ADMIN_KEY": self.keys["openai"],
            "ANTHROPIC_ADMIN_KEY": self.keys["anthropic"],
            "TOKENTRACE_OPENAI_ADMIN_URL": self.openai_url,
            "TOKENTRACE_ANTHROPIC_ADMIN_URL": self.anthropic_url,
        }

    def fail(
        self, status: int, times: int = 1, retry_after: str | None = None, body: bytes | None = None
    ) -> None:
        """Answer the next ``times`` requests (any provider) with ``status`` and the
        provider's error body, or with ``body`` as given (a shape the API never sent)."""
        with self._lock:
            self._faults.extend([(status, retry_after, body)] * times)

    def _next_fault(self) -> tuple[int, str | None, bytes | None] | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> AdminStandin:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def start_admin_standin(
    ledger: Ledger | None = None, host: str = "127.0.0.1", port: int = 0
) -> AdminStandin:
    """Start the admin stand-in on ``host:port`` (0 picks a free port) in a daemon thread."""
    server = _Server((host, port), _Handler)
    standin = AdminStandin(server, ledger or Ledger())
    server.standin = standin  # type: ignore[attr-defined]
    return standin


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        standin: AdminStandin = self.server.standin  # type: ignore[attr-defined]
        target = urlsplit(self.path)
        prefix, _, rest = target.path.lstrip("/").partition("/")
        query = parse_qs(target.query, keep_blank_values=True)
        headers = {name.lower(): value for name, value in self.headers.items()}
        standin.requests.append(AdminRequest(prefix, "/" + rest, query, headers))
        if prefix not in _PROVIDERS:
            self._send(Reply(status=404, body=b'{"error":"not found"}'))
            return
        authorized, handle, error = _PROVIDERS[prefix]
        fault = standin._next_fault()
        if fault is not None:
            status, retry_after, body = fault
            reply = error(status, f"Stand-in error {status}.")
            if body is not None:
                reply = Reply(status=status, body=body)
            if retry_after is not None:
                reply.headers["retry-after"] = retry_after
            self._send(reply)
            return
        refused = authorized(headers, standin.keys[prefix])
        self._send(refused or handle("/" + rest, query, standin.ledger))

    def _send(self, reply: Reply) -> None:
        body = reply.body or b""
        self.send_response(reply.status)
        self.send_header("content-type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
