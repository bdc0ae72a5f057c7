"""A writable ClickHouse server stand-in: ClickHouse's HTTP interface over chDB, in a process
of its own (``python chdb_server.py DATA_DIR PORT``), that can be made to stop answering.

The fault tests had no ClickHouse server that takes inserts, so a server that fails *while
serve runs* and then recovers was never proven in one serve process. This answers
clickhouse-connect as a server does (queries in the ``query`` parameter and/or the body, other
parameters as settings, ``INSERT … FORMAT X`` with the data in the body, or as the body's
first line followed by the data, errors as
``Code: N. DB::Exception: …`` with ``X-ClickHouse-Exception-Code``), running each request on a
fresh chDB session of one engine.

``GET /fault?mode=blackhole`` makes every request from then on vanish: the connection stays
open, nothing is ever answered, as after a network partition that left the TCP connection
half-open, or a load balancer whose backend died. ``mode=ok`` answers new requests again; the
ones taken meanwhile stay unanswered for good. ``mode=late&seconds=S``: the next insert is
made, then answered S seconds later. ``mode=fail``: every request answered 500
``KEEPER_EXCEPTION`` until ``mode=ok``. ``mode=slowdetach&seconds=S``: each ``DETACH`` is
made, then answered S seconds later, other requests taken meanwhile (a busy server: what
stretches the moment a view is detached). ``mode=slowdelete&seconds=S``: the same for each
``ALTER TABLE … DELETE`` (what stretches a delete-then-insert). ``GET /fault`` says how many
requests vanished.
"""

from __future__ import annotations

import gzip
import http.server
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zlib
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import chdb
import lz4.frame

try:  # Python 3.14+, else the backport clickhouse-connect depends on
    from compression import zstd  # type: ignore[import-not-found]
except ImportError:
    from backports import zstd  # type: ignore[import-not-found,no-redef]

_DECOMPRESS = {
    "lz4": lz4.frame.decompress,
    "zstd": zstd.decompress,
    "gzip": gzip.decompress,
    "deflate": zlib.decompress,
}
# Parameters of the HTTP transport, not settings a session takes.
_TRANSPORT = {"query", "database", "default_format", "query_id", "session_id", "user",
              "password", "compress", "decompress"}  # fmt: skip
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(.+?)\s+FORMAT\s+(\w+)\s*$", re.I | re.S)
_FORMAT = re.compile(r"\bFORMAT\s+(\w+)\s*;?\s*$", re.I)
_CODE = re.compile(r"Code: (\d+)\.")
_DETACH = re.compile(r"^\s*DETACH\b", re.I)
_DELETE = re.compile(r"^\s*ALTER\s+TABLE\s+\S+\s+DELETE\b", re.I)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, path: str, port: int) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.path = path
        self.engine = chdb.connect(path)  # kept open: the engine lives while a session does
        self.blackhole = threading.Event()
        self.failing = threading.Event()  # mode=fail: every request refused as a server fault
        self.late = 0.0  # seconds the next insert's answer waits after the insert (mode=late)
        self.detach_late = 0.0  # seconds each DETACH's answer waits after it (mode=slowdetach)
        self.delete_late = 0.0  # the same for ALTER TABLE … DELETE (mode=slowdelete)
        self.never = threading.Event()
        self.vanished = 0
        self.lock = threading.Lock()  # one statement at a time, as the sink sends them


class Handler(http.server.BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        body = self._body()
        if parts.path == "/fault":
            self._fault(params)
            return
        if self.server.blackhole.is_set():
            self.server.vanished += 1
            self.server.never.wait()  # the request vanished: never answered
            return
        if self.server.failing.is_set():
            refused = "Code: 999. DB::Exception: Session expired. (KEEPER_EXCEPTION)"
            self._send(500, refused.encode(), {"X-ClickHouse-Exception-Code": "999"})
            return
        if parts.path == "/ping" or (not body and "query" not in params):
            self._send(200, b"Ok.\n", {})
            return
        encoding = (self.headers.get("Content-Encoding") or "").lower()
        if body and encoding in _DECOMPRESS:
            body = _DECOMPRESS[encoding](body)
        try:
            data, fmt = self._run(params, body)
            if _INSERT.match(params.get("query", "")) and self.server.late:
                late, self.server.late = self.server.late, 0.0
                time.sleep(late)  # stored, answered too late for the client
            statement = params.get("query", "") or body[:64].decode("utf-8", "replace")
            if self.server.detach_late and _DETACH.match(statement):
                time.sleep(self.server.detach_late)  # detached; the lock free meanwhile
            if self.server.delete_late and _DELETE.match(statement):
                time.sleep(self.server.delete_late)  # deleted; the lock free meanwhile
        except Exception as exc:
            text = str(exc)
            code = _CODE.search(text)
            failed = {"X-ClickHouse-Exception-Code": code[1] if code else "1001"}
            self._send(500, text.encode(), failed)
            return
        answered = {"X-ClickHouse-Format": fmt, "X-ClickHouse-Timezone": "UTC",
                    "X-ClickHouse-Summary": json.dumps({"written_rows": "0"})}  # fmt: skip
        self._send(200, data, answered)

    def _body(self) -> bytes:
        """The request's body, sent whole or chunked (clickhouse-connect's inserts)."""
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0], 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        self.rfile.readline()  # the empty trailer
        return b"".join(chunks)

    def _run(self, params: dict[str, str], body: bytes) -> tuple[bytes, str]:
        query = params.get("query", "")
        if not query and body[:6].upper() == b"INSERT":  # clickhouse-connect's client.insert
            statement, _, body = body.partition(b"\n")  # the statement, then the data
            query = statement.decode()
        insert = _INSERT.match(query)
        if not insert:
            query = f"{query}\n{body.decode()}" if query and body else query or body.decode()
        settings = {k: v for k, v in params.items() if k not in _TRANSPORT
                    and not k.startswith("param_")}  # fmt: skip
        with self.server.lock:
            session = chdb.connect(self.server.path)
            try:
                session.query(f"USE `{params.get('database', 'default')}`")
                for name, value in settings.items():
                    _set(session, name, value)
                if insert:
                    return self._insert(session, insert[1], insert[2], body), "TabSeparated"
                fmt = _FORMAT.search(query)
                output = fmt[1] if fmt else params.get("default_format", "TabSeparated")
                query_params = {k[6:]: v for k, v in params.items() if k.startswith("param_")}
                result = session.query(query, output, params=query_params)
                return result.bytes() or b"", output
            finally:
                session.close()

    def _insert(self, session: object, target: str, fmt: str, body: bytes) -> bytes:
        with tempfile.NamedTemporaryFile(dir=self.server.path, suffix=".data") as data:
            data.write(body)
            data.flush()
            session.query(f"INSERT INTO {target} SELECT * FROM file('{data.name}', '{fmt}')")  # type: ignore[attr-defined]
        return b""

    def _fault(self, params: dict[str, str]) -> None:
        mode = params.get("mode")
        if mode == "blackhole":
            self.server.blackhole.set()
        elif mode == "fail":
            self.server.failing.set()
        elif mode == "ok":
            self.server.blackhole.clear()
            self.server.failing.clear()
        elif mode == "late":
            self.server.late = float(params.get("seconds", "30"))
        elif mode == "slowdetach":
            self.server.detach_late = float(params.get("seconds", "30"))
        elif mode == "slowdelete":
            self.server.delete_late = float(params.get("seconds", "30"))
        state = {"vanished": self.server.vanished, "late": self.server.late}
        self._send(200, json.dumps(state).encode(), {})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class ChdbServer:
    """This stand-in in a subprocess (it owns its chDB path), for a test."""

    def __init__(self, path: Path, port: int) -> None:
        self.path, self.port = path, port
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            [sys.executable, __file__, str(path), str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                self.fault("ok")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the ClickHouse stand-in did not start")

    def fault(self, mode: str = "", seconds: float = 30) -> int:
        """Set ``mode`` (``blackhole``, ``fail``, ``late``, ``slowdetach``, ``slowdelete`` or
        ``ok``); how many
        requests vanished so far."""
        url = f"{self.url}/fault?mode={mode}&seconds={seconds}"
        with urllib.request.urlopen(url, timeout=5) as answer:
            return int(json.load(answer)["vanished"])

    def wait_held(self, timeout: float = 60) -> None:
        """Wait until the insert ``fault("late", …)`` was set for is made and its answer held:
        a fixed sleep let a loaded machine kill serve (or this server) before it was sent."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{self.url}/fault", timeout=5) as answer:
                if not json.load(answer)["late"]:
                    return
            time.sleep(0.1)
        raise AssertionError(f"no insert reached the stand-in within {timeout} s")

    def stop(self) -> None:
        self.process.kill()  # its engine's files are whole after each insert (fsync is chDB's)
        self.process.wait(10)


def _set(session: object, name: str, value: str) -> None:
    """One setting of the request; the HTTP interface's own (``wait_end_of_query``, …) a
    session does not know are left out, as a server takes them itself."""
    try:
        session.query(f"SET {name} = '{value}'")  # type: ignore[attr-defined]
    except Exception as exc:
        if "(UNKNOWN_SETTING)" not in str(exc):
            raise


def main() -> None:
    path, port = sys.argv[1], int(sys.argv[2])
    Path(path).mkdir(parents=True, exist_ok=True)
    server = Server(path, port)
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
