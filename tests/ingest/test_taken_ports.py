"""A taken OTLP port stops ``tokentrace serve`` with one line saying what to do (a second serve
started by mistake, another collector on 4317/4318), before anything says it listens there.

gRPC would otherwise share its port with the process holding it (SO_REUSEPORT), and a second
serve would quietly take part of the first one's spans into its own store.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .serve_process import free_port


@pytest.mark.parametrize(
    ("taken", "flag", "other"),
    [("OTLP/HTTP", "--http-port", "--grpc-port"), ("OTLP/gRPC", "--grpc-port", "--http-port")],
)
def test_a_taken_otlp_port_is_one_line_and_exit_1(
    tmp_path: Path, taken: str, flag: str, other: str
) -> None:
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as gRPC listens
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        run = subprocess.run(
            [sys.executable, "-m", "tokentrace.processor.cli", "serve",
             "--clickhouse", f"chdb://{tmp_path / 'chdb'}", "--spool-dir", str(tmp_path / "spool"),
             flag, str(port), other, str(free_port()), "--clickhouse-http-port", "0"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr == (
        f"tokentrace serve: {taken} port 127.0.0.1:{port} unavailable (Address already in use): "
        f"stop what holds it, or choose another with {flag} PORT"
        + (" (0 turns it off)" if flag == "--grpc-port" else "")
        + "\n"
    )
