"""Connection hygiene: /healthz latency while serve digests a huge request, and a real
exporter's export time while 2,000 half-open connections hold serve at ``ulimit -n 1024``.

Starts ``tokentrace serve`` (embedded store, open-files limit 1,024) and:

1. POSTs one gzip request of 1M empty spans (a few KB on the wire) with
   ``--max-spans-per-request`` raised so that it is decoded and extracted in full, while
   ``GET /healthz`` is polled on fresh connections; reports the /healthz latencies and the
   big request's own time;
2. opens 2,000 connections that send half a request head and stop, then times one export
   of 3 spans by the real OTLP/HTTP exporter, and reports the size of serve's log.

    python bench/connections.py --out results/connections.json [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from google.protobuf.internal.encoder import _VarintBytes
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tokentrace.processor.demo.serve_process import free_port

TARGET_HEALTHZ_MS = 100.0
OPEN_FILES = 1024


def empty_spans(count: int) -> bytes:
    scope_spans = b"\x12\x00" * count
    resource_spans = b"\x12" + _VarintBytes(len(scope_spans)) + scope_spans
    return gzip.compress(b"\x0a" + _VarintBytes(len(resource_spans)) + resource_spans)


def start_serve(workdir: Path, port: int, spans: int) -> subprocess.Popen[bytes]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))

    log = (workdir / "serve.log").open("wb")
    command = [
        sys.executable, "-m", "tokentrace.processor.cli", "serve",
        "--clickhouse", f"chdb://{workdir / 'chdb'}", "--spool-dir", str(workdir / "spool"),
        "--http-port", str(port), "--grpc-port", "0",
        "--max-spans-per-request", str(spans), "--head-timeout", "120",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=log, stderr=log, preexec_fn=limit)
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError((workdir / "serve.log").read_text()) from None
            time.sleep(0.1)


def healthz_during_big_request(port: int, spans: int) -> dict[str, Any]:
    body = empty_spans(spans)
    done: list[float] = []

    def post() -> None:
        started = time.perf_counter()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/traces",
            body,
            {"content-type": "application/x-protobuf", "content-encoding": "gzip"},
        )
        with urllib.request.urlopen(request, timeout=300) as answer:
            assert answer.status == 200
        done.append(time.perf_counter() - started)

    big = threading.Thread(target=post)
    big.start()
    latencies = []
    while big.is_alive():
        started = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as answer:
            answer.read()
        if big.is_alive():
            latencies.append((time.perf_counter() - started) * 1000)
    big.join()
    idle = healthz_latencies(port, done[0])
    return {
        "spans": spans,
        "gzip_bytes": len(body),
        "request_s": done[0],
        "healthz_answers": len(latencies),
        **summary("healthz", latencies),
        **summary("idle_healthz", idle),
    }


def healthz_latencies(port: int, seconds: float) -> list[float]:
    """/healthz latencies (ms) with nothing else going on: the machine's noise floor."""
    latencies = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as answer:
            answer.read()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def summary(name: str, latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        f"{name}_p50_ms": statistics.median(ordered),
        f"{name}_p99_ms": ordered[int(len(ordered) * 0.99)],
        f"{name}_max_ms": ordered[-1],
    }


def export_during_flood(port: int, workdir: Path, half_open: int) -> dict[str, Any]:
    provider = TracerProvider()
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    for _ in range(3):
        with provider.get_tracer("bench").start_as_current_span("chat"):
            pass
    flood = []
    for _ in range(half_open):
        connection = socket.socket()
        connection.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            connection.connect(("127.0.0.1", port))
        flood.append(connection)
    time.sleep(0.5)
    for connection in flood:
        with contextlib.suppress(OSError):
            connection.send(b"POST /v1/traces HTTP/1.1\r\nhost: x\r\n")
    exporter = OTLPSpanExporter(
        endpoint=f"http://127.0.0.1:{port}/v1/traces", compression=Compression.Gzip
    )
    started = time.perf_counter()
    result = exporter.export(memory.get_finished_spans())
    elapsed = time.perf_counter() - started
    for connection in flood:
        connection.close()
    return {
        "half_open": half_open,
        "export_ok": result == SpanExportResult.SUCCESS,
        "export_s": elapsed,
        "log_bytes": (workdir / "serve.log").stat().st_size,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    spans = 200_000 if args.quick else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        port = free_port()
        process = start_serve(workdir, port, 2 * spans)
        try:
            big = healthz_during_big_request(port, spans)
            flood = export_during_flood(port, workdir, 2000)
        finally:
            process.terminate()
            process.wait(60)
    met = big["healthz_max_ms"] is not None and big["healthz_max_ms"] < TARGET_HEALTHZ_MS
    rows = [
        {
            "metric": f"/healthz latency, max, during a {spans:,}-span request",
            "value": big["healthz_max_ms"],
            "unit": "ms",
            "target": f"< {TARGET_HEALTHZ_MS:g}",
            "met": met,
        },
        {
            "metric": "real exporter's export during 2,000 half-open connections (ulimit -n 1024)",
            "value": flood["export_s"],
            "unit": "s",
            "target": None,
            "met": None,
        },
        {
            "metric": "serve log during the flood",
            "value": flood["log_bytes"],
            "unit": "bytes",
            "target": "< 1,000,000",
            "met": flood["log_bytes"] < 1_000_000,
        },
    ]
    markdown = (
        "| measure | value |\n| --- | ---: |\n"
        f"| big request: spans / gzip bytes | {spans:,} / {big['gzip_bytes']:,} |\n"
        f"| big request answered in | {big['request_s']:.2f} s |\n"
        f"| /healthz answers meanwhile | {big['healthz_answers']} |\n"
        f"| /healthz p50 / p99 / max meanwhile | {big['healthz_p50_ms']:.1f} / "
        f"{big['healthz_p99_ms']:.1f} / {big['healthz_max_ms']:.1f} ms |\n"
        f"| /healthz p50 / p99 / max, idle serve, as long | {big['idle_healthz_p50_ms']:.1f} / "
        f"{big['idle_healthz_p99_ms']:.1f} / {big['idle_healthz_max_ms']:.1f} ms |\n"
        f"| export during {flood['half_open']:,} half-open connections | "
        f"{'ok' if flood['export_ok'] else 'FAILED'} in {flood['export_s'] * 1000:.0f} ms |\n"
        f"| serve log after the flood | {flood['log_bytes']:,} bytes |\n"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"rows": rows, "markdown": markdown, "big": big, "flood": flood}
    args.out.write_text(json.dumps(report))
    print(markdown)
    return 0 if flood["export_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
