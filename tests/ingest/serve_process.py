"""A real ``tokentrace serve`` in a subprocess (it owns its chDB path), and its store."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

# free_port is the ingest tests' too (``from .serve_process import free_port``)
from tokentrace.processor.demo.serve_process import free_port as free_port
from tokentrace.processor.demo.serve_process import free_ports

READ_STORE = Path(__file__).with_name("read_store.py")


class ServeProcess:
    def __init__(
        self,
        workdir: Path,
        *,
        clickhouse: str | None = None,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        open_files: int | None = None,
    ) -> None:
        """``open_files``: the child's open-files limit (``ulimit -n``), when given."""
        self.workdir = workdir
        self.open_files = open_files
        self.store_url = f"chdb://{workdir / 'chdb'}"
        self.clickhouse = clickhouse or self.store_url
        self.spool_dir = workdir / "spool"
        self.args = args
        self.env = {**os.environ, **(env or {})}
        self.http_port, self.grpc_port = free_ports(2)
        self.process: subprocess.Popen[bytes] | None = None
        self._log = workdir / "serve.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_endpoint(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def start(self, clickhouse: str | None = None, timeout: float = 180) -> ServeProcess:
        if clickhouse is not None:
            self.clickhouse = clickhouse
        command = [
            sys.executable, "-m", "tokentrace.processor.cli", "serve",
            "--clickhouse", self.clickhouse,
            "--spool-dir", str(self.spool_dir),
            "--http-port", str(self.http_port),
            "--grpc-port", str(self.grpc_port),
            *self.args,
        ]  # fmt: skip
        with self._log.open("ab") as log:  # the child keeps its own copy of the handle
            self.process = subprocess.Popen(
                command, stdout=log, stderr=log, env=self.env, preexec_fn=self._limit
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"serve did not start:\n{self.log()}")

    def _limit(self) -> None:
        if self.open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (self.open_files, self.open_files))

    def stop(self, timeout: float = 60, *, drained: bool = True) -> int:
        """SIGTERM: in-flight requests finish, the spool drains into the store.

        ``drained``: first, while the store takes inserts (``/readyz/store`` 200), wait until
        every spooled segment is stored (:meth:`wait_drained`). serve's own drain at a stop
        lasts 5 s, which a loaded machine may not finish: what it leaves is spooled, not lost,
        but a store read right after would not hold it yet, and the test would fail for
        nothing. A store that is away (the test's fault) is not waited for.
        """
        assert self.process is not None
        if drained and self.process.poll() is None:
            with contextlib.suppress(OSError):  # not answering: the test's fault, not waited for
                self.wait_drained(while_store_ready=True)
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def wait_drained(self, timeout: float = 120, *, while_store_ready: bool = False) -> None:
        """Wait until the spool is empty (every segment stored), before a stop whose 5 s
        drain a loaded machine may not finish: what it leaves is spooled, not lost, but the
        store read after the stop would not hold it yet. ``while_store_ready``: stop waiting
        as soon as ``/readyz/store`` says the store takes no inserts."""
        deadline = time.monotonic() + timeout  # a guard against a wait that never ends
        while time.monotonic() < deadline:
            _, body = self.get("/readyz")
            if json.loads(body).get("spool_segments") == 0:
                return
            if while_store_ready and self.get("/readyz/store")[0] != 200:
                return
            time.sleep(0.1)
        raise TimeoutError(f"the spool did not drain:\n{self.log()}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def log(self) -> str:
        return self._log.read_text(errors="replace") if self._log.exists() else ""

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(f"{self.url}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def stored(self) -> dict[str, Any]:
        """Rows and rollup totals, read by a separate process once serve has stopped."""
        assert self.process is None or self.process.poll() is not None, "stop serve first"
        return read_store(self.store_url)


def read_store(url: str) -> dict[str, Any]:
    """Rows and rollup totals of the stopped store at ``url``, read by a separate process."""
    output = subprocess.run(
        [sys.executable, str(READ_STORE), url], check=True, capture_output=True, timeout=120
    ).stdout
    return json.loads(output)
