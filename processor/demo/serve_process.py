"""``tokentrace serve`` in a child process, for the demo (and tests and benchmarks).

chDB lets one process open a data directory, so the processor runs apart from whoever
drives traffic at it — exactly as it does in production.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` distinct free loopback ports: each is held until all are found, since the
    system may hand a port it has just given, and got back, to the next caller (one serve
    would then get the same port for HTTP and gRPC, and fail to start)."""
    with contextlib.ExitStack() as held:
        socks = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


class ServeProcess:
    """Starts ``tokentrace serve`` on a free loopback port; stops it on exit."""

    def __init__(
        self,
        clickhouse_url: str,
        spool_dir: Path,
        log_path: Path,
        grpc: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        self.http_port, self.grpc_port = free_ports(2) if grpc else (free_port(), 0)
        self.url = f"http://127.0.0.1:{self.http_port}"
        self._log_path = log_path
        self._command = [
            sys.executable, "-m", "tokentrace.processor.cli", "serve",
            "--clickhouse", clickhouse_url,
            "--http-port", str(self.http_port),
            "--grpc-port", str(self.grpc_port),
            "--spool-dir", str(spool_dir),
        ]  # fmt: skip
        self._env = {**os.environ, **(env or {})}
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 180.0) -> ServeProcess:
        log = open(self._log_path, "ab")  # noqa: SIM115 - handed to the child
        self._process = subprocess.Popen(
            self._command, stdout=log, stderr=subprocess.STDOUT, env=self._env
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"tokentrace serve exited with {self._process.returncode}; "
                    f"see {self._log_path}:\n{self._log_path.read_text()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"tokentrace serve not ready after {timeout_s:.0f}s: {self._log_path}")

    def stop(self, timeout_s: float = 30.0) -> int:
        """SIGTERM (serve drains its spool into the store), then wait."""
        if self._process is None or self._process.poll() is not None:
            return self._process.returncode if self._process else 0
        self._process.send_signal(signal.SIGTERM)
        try:
            return self._process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self._process.kill()
            return self._process.wait()

    def __enter__(self) -> ServeProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
