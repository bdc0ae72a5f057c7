"""A read-only ClickHouse HTTP interface over the embedded store that serve holds.

chDB lets one process open a data directory, so Grafana (its ClickHouse data source,
protocol ``http``) and any ClickHouse client read a running serve's embedded store
through this, as if it were a ClickHouse server. It follows ClickHouse's HTTP
interface (https://clickhouse.com/docs/interfaces/http):

- ``GET /ping`` (and ``GET /`` without a query) answer ``Ok.``;
- the query comes in the ``query`` URL parameter, the body, or both (joined by a
  newline); ``default_format`` or the query's ``FORMAT`` clause pick the output format
  (TabSeparated otherwise), which chDB writes itself;
- other URL parameters are settings, ``param_<name>`` are query parameters, ``database``
  picks the database; ``query_id``, ``session_id`` and the other transport parameters
  are accepted (each query is independent: temporary tables are writes anyway);
  ``client_protocol_version`` frames Native output for that protocol revision
  (:mod:`native_revision`: clickhouse-go, so Grafana's data source, reads nothing else);
- credentials come from ``X-ClickHouse-User``/``X-ClickHouse-Key``, basic auth or the
  ``user``/``password`` parameters; with ``TOKENTRACE_AUTH_TOKEN`` set the password must
  be the token (any user name), else ``Code: 516 … AUTHENTICATION_FAILED``;
- ``enable_http_compression=1`` compresses the answer with the best of the client's
  ``Accept-Encoding`` (lz4, zstd, br, gzip, deflate); request bodies may be compressed;
- answers carry ``X-ClickHouse-Query-Id``, ``-Format``, ``-Timezone``, ``-Summary`` and
  ``-Server-Display-Name``; errors ``Code: N. DB::Exception: …`` with
  ``X-ClickHouse-Exception-Code``.

Reads never stall ingest: each query runs in a worker thread on its own chDB connection
(chDB releases the GIL), at most ``max_running`` at once with ``max_waiting`` more
queued; past that a client gets ``Code: 202 … TOO_MANY_SIMULTANEOUS_QUERIES`` (503), and a
result over ``max_result_bytes`` gets ``Code: 396 … TOO_MANY_ROWS_OR_BYTES``.

It is a Starlette application (:class:`ClickHouseHttp`) on a uvicorn server of its own
(:class:`Listener`), not a route of serve's OTLP/HTTP server: clients look for ClickHouse
on its own port (8123, and Grafana's data source is set up with it); its event loop and
thread are its own, so a burst of dashboard queries never delays an OTLP acknowledgement;
and serve's connection cap, head deadline and in-flight limit, sized for exporters, do not
bound it (``max_running``/``max_waiting`` do).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import gzip
import hmac
import json
import logging
import socket
import threading
import uuid
import zlib
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import brotli
import lz4.frame
import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route, request_response
from starlette.types import Receive, Scope, Send

from tokentrace.processor.api.chdb_reader import ChdbReader, QueryResult
from tokentrace.processor.api.clickhouse_errors import (
    AUTHENTICATION_FAILED,
    BAD_ARGUMENTS,
    NOT_IMPLEMENTED,
    QUERY_IS_TOO_LARGE,
    STD_EXCEPTION,
    SYNTAX_ERROR,
    TOO_MANY_SIMULTANEOUS_QUERIES,
    ClickHouseError,
)

try:  # Python 3.14+, else the backport clickhouse-connect depends on
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd  # type: ignore[import-not-found,no-redef]

log = logging.getLogger("tokentrace.clickhouse_http")

DEFAULT_PORT = 8123

# URL parameters that are the HTTP interface's own, not settings for the engine.
TRANSPORT_PARAMETERS = frozenset(
    {
        "query",
        "user",
        "password",
        "database",
        "default_format",
        "query_id",
        "session_id",
        "session_timeout",
        "session_check",
        "compress",
        "decompress",
        "buffer_size",
        "wait_end_of_query",
        "client_protocol_version",
        "role",
        "quota_key",
        "enable_http_compression",
        "http_zlib_compression_level",
        "send_progress_in_http_headers",
        "http_headers_progress_interval_ms",
        "add_http_cors_header",
        "cancel_http_readonly_queries_on_client_close",
    }
)

_COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "lz4": lz4.frame.compress,
    "zstd": zstd.compress,
    "br": brotli.compress,
    "gzip": lambda data: gzip.compress(data, compresslevel=3),
    "deflate": lambda data: zlib.compress(data, 3),
}
_DECOMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "lz4": lz4.frame.decompress,
    "zstd": zstd.decompress,
    "br": brotli.decompress,
    "gzip": gzip.decompress,
    "deflate": zlib.decompress,
}

_CONTENT_TYPES = {
    "TabSeparated": "text/tab-separated-values; charset=UTF-8",
    "TSV": "text/tab-separated-values; charset=UTF-8",
    "CSV": "text/csv; charset=UTF-8; header=absent",
    "CSVWithNames": "text/csv; charset=UTF-8; header=present",
}


def content_type(fmt: str) -> str:
    """The Content-Type ClickHouse sends for an output format."""
    if fmt in _CONTENT_TYPES:
        return _CONTENT_TYPES[fmt]
    if fmt.startswith(("TabSeparated", "TSV")):
        return _CONTENT_TYPES["TSV"]
    if fmt.startswith("JSON"):
        return "application/json; charset=UTF-8"
    if fmt.startswith(("Native", "RowBinary", "Arrow", "Parquet", "ORC", "Avro", "Protobuf")):
        return "application/octet-stream"
    return "text/plain; charset=UTF-8"


@dataclass(frozen=True)
class Limits:
    """Bounds on the reads (each result is held in memory once, then sent)."""

    max_running: int = 4
    max_waiting: int = 64
    max_result_bytes: int = 256 << 20
    max_query_bytes: int = 1 << 20


class ClickHouseHttp:
    """The interface's endpoints and limits, served as a Starlette application.

    Starlette routes ``/ping``, ``/replicas_status`` and ``/`` (every method on each, as
    ClickHouse does: the endpoint decides) and answers an unknown path with ClickHouse's
    404 text; there is no redirect for a trailing slash.
    """

    def __init__(self, reader: ChdbReader, auth_token: str | None, limits: Limits) -> None:
        self.reader = reader
        self.auth_token = auth_token
        self.limits = limits
        self.display_name = socket.gethostname()
        self._executor = ThreadPoolExecutor(limits.max_running, "clickhouse-http")
        self._admitted = 0  # running + waiting; only touched on the event loop
        self._slots: asyncio.Semaphore | None = None
        self.app = Starlette(
            routes=[
                Route("/ping", _EveryMethod(self.ping)),
                Route("/replicas_status", _EveryMethod(self.ping)),
                Route("/", _EveryMethod(self.query)),
            ],
            exception_handlers={404: self.no_handle},
        )
        self.app.router.redirect_slashes = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    async def ping(self, request: Request) -> Response:
        return self._answer(request, 200, {"content-type": "text/plain; charset=UTF-8"}, b"Ok.\n")

    async def no_handle(self, request: Request, exc: Exception) -> Response:
        path = request.scope["path"]
        return self._answer(
            request,
            404,
            {"content-type": "text/plain; charset=UTF-8"},
            (
                f"There is no handle {path}\n\nUse / or /ping for health checks.\n"
                "Send queries with POST or GET /?query=...\n"
            ).encode(),
        )

    async def query(self, request: Request) -> Response:
        version = self.reader.version
        params = dict(request.query_params)  # the last value of each, as ClickHouse takes
        headers = dict(request.headers.items())  # likewise
        method = request.method
        if method in ("GET", "HEAD") and "query" not in params:
            return await self.ping(request)
        try:
            if method not in ("GET", "POST"):
                raise ClickHouseError(
                    NOT_IMPLEMENTED, f"HTTP method {method} is not supported", version
                )
            self._authenticate(headers, params)
            body = await _read_body(request, self.limits.max_query_bytes, version)
            sql = _query_text(params, body, headers.get("content-encoding", ""), version)
            if params.get("compress") == "1" or params.get("decompress") == "1":
                raise ClickHouseError(
                    NOT_IMPLEMENTED,
                    "compress=1 (ClickHouse's native block compression) is not supported by "
                    "tokentrace's interface: use enable_http_compression=1 with Accept-Encoding",
                    version,
                )
            result = await self._run(sql, params)
        except ClickHouseError as error:
            return self._error(request, error)
        except Exception as exc:  # a fault of ours: said in ClickHouse's shape, logged here
            log.exception("ClickHouse HTTP query failed")
            return self._error(request, ClickHouseError(STD_EXCEPTION, repr(exc), version))
        answer = {
            "content-type": content_type(result.format),
            "x-clickhouse-format": result.format,
            "x-clickhouse-timezone": self.reader.timezone,
            "x-clickhouse-summary": json.dumps(result.summary, separators=(",", ":")),
        }
        body = result.body
        if params.get("enable_http_compression") in ("1", "true") and body:
            encoding = _pick_encoding(headers.get("accept-encoding", ""))
            if encoding:
                body = await asyncio.to_thread(_COMPRESSORS[encoding], body)
                answer["content-encoding"] = encoding
        return self._answer(request, 200, answer, body)

    def _answer(
        self, request: Request, status: int, headers: dict[str, str], body: bytes
    ) -> Response:
        """With the headers every answer carries; a HEAD answer has the length, not the body."""
        query_id = request.query_params.get("query_id") or str(uuid.uuid4())
        headers = {
            "x-clickhouse-server-display-name": self.display_name,
            "x-clickhouse-query-id": query_id,
            **headers,
            "content-length": str(len(body)),
        }
        return Response(b"" if request.method == "HEAD" else body, status, headers)

    def _error(self, request: Request, error: ClickHouseError) -> Response:
        headers = {
            "content-type": "text/plain; charset=UTF-8",
            "x-clickhouse-exception-code": str(error.code),
        }
        return self._answer(request, error.http_status, headers, (error.text() + "\n").encode())

    def _authenticate(self, headers: dict[str, str], params: dict[str, str]) -> None:
        """With a token set, the password must be it; the user name is free."""
        user, password = params.get("user", "default"), params.get("password", "")
        authorization = headers.get("authorization", "")
        if authorization[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            user, _, password = decoded.partition(":")
        user = headers.get("x-clickhouse-user", user)
        password = headers.get("x-clickhouse-key", password)
        if self.auth_token and not hmac.compare_digest(password.encode(), self.auth_token.encode()):
            raise ClickHouseError(
                AUTHENTICATION_FAILED,
                f"{user or 'default'}: Authentication failed: password is incorrect, or there "
                "is no user with such name (tokentrace: use TOKENTRACE_AUTH_TOKEN as password)",
                self.reader.version,
            )

    async def _run(self, sql: str, params: dict[str, str]) -> QueryResult:
        if self._admitted >= self.limits.max_running + self.limits.max_waiting:
            raise ClickHouseError(
                TOO_MANY_SIMULTANEOUS_QUERIES,
                f"Too many simultaneous queries. Maximum: {self.limits.max_running} running and "
                f"{self.limits.max_waiting} waiting: retry shortly",
                self.reader.version,
            )
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limits.max_running)
        settings = {
            k: v
            for k, v in params.items()
            if k not in TRANSPORT_PARAMETERS and not k.startswith("param_")
        }
        query_params = {k[6:]: v for k, v in params.items() if k.startswith("param_")}
        protocol_version = _protocol_version(params, self.reader.version)
        self._admitted += 1
        try:
            async with self._slots:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(
                    self._executor,
                    lambda: self.reader.run(
                        sql,
                        default_format=params.get("default_format"),
                        database=params.get("database") or None,
                        settings=settings,
                        params=query_params,
                        protocol_version=protocol_version,
                    ),
                )
        finally:
            self._admitted -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


async def _read_body(request: Request, limit: int, version: str) -> bytes:
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ClickHouseError(
                    QUERY_IS_TOO_LARGE,
                    f"The query is over {limit} bytes (this interface takes no data)",
                    version,
                )
            chunks.append(chunk)
    except ClientDisconnect:
        raise ClickHouseError(SYNTAX_ERROR, "client disconnected", version) from None
    return b"".join(chunks)


class _EveryMethod:
    """A request-response endpoint for every HTTP method (Starlette's ``Route`` gives a
    function endpoint GET and HEAD only, and an ASGI class every method)."""

    def __init__(self, endpoint: Callable[[Request], Awaitable[Response]]) -> None:
        self._app = request_response(endpoint)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)


def _query_text(params: dict[str, str], body: bytes, encoding: str, version: str) -> str:
    encoding = encoding.strip().lower()
    if body and encoding and encoding != "identity":
        if encoding not in _DECOMPRESSORS:
            raise ClickHouseError(
                NOT_IMPLEMENTED, f"Unknown Content-Encoding {encoding!r}", version
            )
        try:
            body = _DECOMPRESSORS[encoding](body)
        except Exception as exc:
            raise ClickHouseError(
                SYNTAX_ERROR, f"Cannot decompress the {encoding} request body: {exc}", version
            ) from None
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise ClickHouseError(SYNTAX_ERROR, "The query is not valid UTF-8", version) from None
    url_part = params.get("query", "")
    sql = f"{url_part}\n{text}" if url_part and text else url_part or text
    if not sql.strip():
        raise ClickHouseError(SYNTAX_ERROR, "Empty query", version)
    return sql


def _protocol_version(params: dict[str, str], version: str) -> int:
    """``client_protocol_version``: the native-protocol revision Native output is framed for
    (clickhouse-go sends it with every query and reads nothing else)."""
    text = params.get("client_protocol_version", "0").strip()
    if not text.isdigit():
        raise ClickHouseError(
            BAD_ARGUMENTS,
            f"client_protocol_version must be a whole number, not {text!r}",
            version,
        )
    return int(text)


def _pick_encoding(accept: str) -> str | None:
    """The first encoding the client accepts that the interface can write (q=0 excluded)."""
    offered = []
    for part in accept.lower().split(","):
        name, _, q = part.strip().partition(";")
        if q.strip().replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            continue
        offered.append(name.strip())
    return next((name for name in offered if name in _COMPRESSORS), None)


# ---------------------------------------------------------------- the listener


class Listener:
    """The interface on its own port and thread, apart from serve's OTLP/HTTP server."""

    def __init__(self, app: ClickHouseHttp, sock: socket.socket) -> None:
        self.app = app
        self.port = sock.getsockname()[1]
        self._server = uvicorn.Server(
            uvicorn.Config(
                app,
                log_level="warning",
                access_log=False,
                lifespan="off",
                server_header=False,
                timeout_graceful_shutdown=5,
            )
        )
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="clickhouse-http", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self.app.close()


def bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket now, so that a taken port is known at start-up."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by accepted connections: headers and body go out as two writes, and with
    # Nagle's algorithm a keep-alive client's delayed ACK held each answer back ~40 ms.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def start(
    path: str,
    database: str,
    host: str,
    port: int,
    auth_token: str | None,
    limits: Limits | None = None,
    repair: Callable[[], None] | None = None,
) -> Listener:
    """Serve the interface over the embedded store at ``path``; raises OSError if the port is
    taken. ``repair`` creates dropped bookkeeping tables again (see ``ChdbReader``)."""
    limits = limits or Limits()
    sock = bind(host, port)
    try:
        reader = ChdbReader(path, database, limits.max_result_bytes, repair)
    except Exception:
        sock.close()
        raise
    return Listener(ClickHouseHttp(reader, auth_token, limits), sock)
