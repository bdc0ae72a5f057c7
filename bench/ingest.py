"""Ingest throughput: OTLP protobuf over HTTP → decode → extract → price → spool → chDB.

A real ``tokentrace serve`` (embedded chDB, both rollup views) receives requests of 512
GenAI spans from a load generator in another process over keep-alive connections; every
span is distinct (no dedupe shortcut). Reports, from one run:

- end to end: spans acknowledged per second, spans stored per second (until the last
  row is in ClickHouse), and spans per second per core (spans / server CPU seconds);
- acknowledgement latency p50 / p99 (the client's view; a 200 means fsynced);
- the server's peak RSS;
- the ceilings of the same requests in this process: protobuf decode alone, decode +
  extract, decode + extract + price.

    python bench/ingest.py [--duration 20] [--connections 4] [--no-pin] [--quick]
                           [--out bench/results/ingest.json]

By default the server is pinned to CPU 0 and the load generator to CPU 1, so the
end-to-end figure is what one core sustains, chDB's own threads included.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import random
import shutil
import signal
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

SPANS_PER_REQUEST = 512
TENANTS = [f"tenant-{i}" for i in range(200)]
FEATURES = ["chat", "search", "summarise", "classify"]
MODELS = [
    ("openai", "gpt-4o", "gpt-4o-2024-08-06"),
    ("openai", "gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
    ("anthropic", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"),
    ("gcp.gemini", "gemini-2.5-flash", "gemini-2.5-flash"),
]


def build_requests(count: int, seed: int) -> list[bytes]:
    """``count`` serialized requests of distinct spans shaped like tokentrace's."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    rng = random.Random(seed)

    def kv(key: str, value: Any) -> KeyValue:
        if isinstance(value, bool):
            return KeyValue(key=key, value=AnyValue(bool_value=value))
        if isinstance(value, int):
            return KeyValue(key=key, value=AnyValue(int_value=value))
        return KeyValue(key=key, value=AnyValue(string_value=value))

    now = time.time_ns()
    bodies = []
    for number in range(count):
        message = ExportTraceServiceRequest()
        resource_spans = message.resource_spans.add()
        resource_spans.resource.attributes.extend(
            [
                kv("service.name", "checkout"),
                kv("deployment.environment.name", "prod"),
                kv("team", "growth"),
                kv("telemetry.sdk.language", "python"),
                kv("telemetry.sdk.name", "opentelemetry"),
                kv("telemetry.sdk.version", "1.45.0"),
            ]
        )
        scope_spans = resource_spans.scope_spans.add()
        scope_spans.scope.name = "tokentrace.instrumentation.instrumentor"
        for index in range(SPANS_PER_REQUEST):
            provider, request_model, response_model = rng.choice(MODELS)
            trace_id = rng.randbytes(16)
            start = now - rng.randrange(3_600 * 10**9)
            span = scope_spans.spans.add(
                trace_id=trace_id,
                span_id=(number * SPANS_PER_REQUEST + index + 1).to_bytes(8, "big"),
                name=f"chat {request_model}",
                kind=3,
                start_time_unix_nano=start,
                end_time_unix_nano=start + rng.randrange(200, 9_000) * 10**6,
            )
            span.attributes.extend(
                [
                    kv("feature", rng.choice(FEATURES)),
                    kv("tenant", rng.choice(TENANTS)),
                    kv("gen_ai.operation.name", "chat"),
                    kv("gen_ai.provider.name", provider),
                    kv("gen_ai.request.stream", rng.random() < 0.3),
                    kv("server.address", "api.example.com"),
                    kv("server.port", 443),
                    kv("gen_ai.request.model", request_model),
                    kv("http.response.status_code", 200),
                    kv("gen_ai.response.id", f"resp-{trace_id.hex()[:24]}"),
                    kv("gen_ai.response.model", response_model),
                    kv("gen_ai.usage.input_tokens", rng.randrange(50, 20_000)),
                    kv("gen_ai.usage.output_tokens", rng.randrange(1, 2_000)),
                    kv("gen_ai.usage.cache_read.input_tokens", rng.choice((0, 0, 1024, 4096))),
                    kv("gen_ai.usage.reasoning.output_tokens", 0),
                ]
            )
        bodies.append(message.SerializeToString())
    return bodies


def ceilings(bodies: list[bytes], repeats: int = 3) -> dict[str, float]:
    """Spans/s of decode, decode + extract, decode + extract + price, in this process."""
    from tokentrace.processor.extract.extractor import extract
    from tokentrace.processor.pricing.pricer import Pricer
    from tokentrace.processor.receivers import otlp_codec

    pricer = Pricer()

    def price(call: Any) -> Any:
        model = call.response_model or call.request_model
        return pricer.price(
            call.provider, model, call.timestamp, call.input_tokens, call.output_tokens,
            call.cache_read_tokens, call.cache_write_tokens, call.service_tier,
        )  # fmt: skip

    stages = {
        "decode": lambda body: otlp_codec.decode_protobuf(body),
        "decode + extract": lambda body: extract(otlp_codec.decode_protobuf(body), now),
        "decode + extract + price": lambda body: [
            call.row(price(call)) for call in extract(otlp_codec.decode_protobuf(body), now).calls
        ],
    }
    now = time.time_ns()
    results = {}
    for name, stage in stages.items():
        best = float("inf")
        for _ in range(repeats):
            started = time.process_time()
            for body in bodies:
                stage(body)
            best = min(best, time.process_time() - started)
        results[name] = len(bodies) * SPANS_PER_REQUEST / best
    return results


def generate(
    port: int, count: int, seed: int, duration: float, connections: int, cpu: int | None, out: Any
) -> None:
    """The load generator (its own process): build the requests, then send each once."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    bodies = build_requests(count, seed)
    out.put("ready")
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    next_body = iter(range(len(bodies)))
    deadline = time.monotonic() + duration

    def sender() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"content-type": "application/x-protobuf"}
        while time.monotonic() < deadline:
            with lock:
                index = next(next_body, None)
            if index is None:
                return
            started = time.perf_counter()
            connection.request("POST", "/v1/traces", bodies[index], headers)
            answer = connection.getresponse()
            answer.read()
            elapsed = time.perf_counter() - started
            with lock:
                if answer.status == 200:
                    latencies.append(elapsed)
                else:
                    failures.append(str(answer.status))

    started = time.monotonic()
    threads = [threading.Thread(target=sender) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put({"seconds": time.monotonic() - started, "latencies": latencies, "failures": failures})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        for line in answer.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return 0.0


TARGET_SPANS_PER_S = 25_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    parser.add_argument("--connections", type=int, default=4, help="concurrent keep-alive senders")
    parser.add_argument("--rate-guess", type=int, default=40_000, help="spans/s to prepare for")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="let the server use every core (default: server on CPU 0, generator on CPU 1)",
    )
    parser.add_argument("--quick", action="store_true", help="5 s of load: a smoke run")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args()
    duration = 5.0 if args.quick else args.duration
    pin = not args.no_pin and len(os.sched_getaffinity(0)) >= 2

    print("measuring in-process ceilings…", flush=True)
    ceiling = ceilings(build_requests(10 if args.quick else 20, args.seed + 1))
    requests_needed = int(args.rate_guess * duration / SPANS_PER_REQUEST) + args.connections
    measured = run_load(args.seed, requests_needed, duration, args.connections, pin)
    report = summarise(measured, ceiling, args.connections, pin)
    print()
    print(report["markdown"])
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2))
    return 1 if measured["failures"] else 0


def run_load(
    seed: int, requests_needed: int, duration: float, connections: int, pin: bool
) -> dict[str, Any]:
    """Start serve, drive it from the generator process, wait until every row is stored."""
    workdir = Path(tempfile.mkdtemp(prefix="tokentrace-bench-"))
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "tokentrace.processor.cli", "serve",
            "--clickhouse", f"chdb://{workdir / 'chdb'}", "--spool-dir", str(workdir / "spool"),
            "--http-port", str(port), "--grpc-port", "0",
        ],
        stdout=subprocess.DEVNULL,
        preexec_fn=(lambda: os.sched_setaffinity(0, {0})) if pin else None,
    )  # fmt: skip
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        print(f"building {requests_needed} requests of {SPANS_PER_REQUEST} spans…", flush=True)
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        generator = context.Process(
            target=generate,
            args=(port, requests_needed, seed, duration, connections, 1 if pin else None, results),
        )
        generator.start()
        if results.get() != "ready":
            raise RuntimeError("the load generator did not start")
        print(f"load for {duration:.0f} s over {connections} connections…", flush=True)
        cpu_before = cpu_seconds(server.pid)
        started = time.monotonic()
        load = results.get()
        generator.join()
        acked = len(load["latencies"]) * SPANS_PER_REQUEST
        while metric(port, "tokentrace_rows_written_total") < acked:
            time.sleep(0.02)
        return {
            **load,
            "acked_spans": acked,
            "stored_seconds": time.monotonic() - started,
            "server_cpu_seconds": cpu_seconds(server.pid) - cpu_before,
            "server_peak_rss_mib": peak_rss_mib(server.pid),
            "inserts": metric(port, "tokentrace_insert_duration_seconds_count"),
        }
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
        shutil.rmtree(workdir, ignore_errors=True)


def summarise(
    measured: dict[str, Any], ceiling: dict[str, float], connections: int, pin: bool
) -> dict[str, Any]:
    acked = measured["acked_spans"]
    latencies = sorted(measured["latencies"])
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    stored_per_s = acked / measured["stored_seconds"]
    per_core = acked / measured["server_cpu_seconds"]
    where = "server on one core" if pin else "server on every core"
    target = f">= {TARGET_SPANS_PER_S:,}"

    def row(metric: str, value: float, unit: str, goal: str | None = None) -> dict[str, Any]:
        met = None if goal is None else value >= TARGET_SPANS_PER_S
        return {
            "metric": metric,
            "value": round(value, 1),
            "unit": unit,
            "target": goal,
            "met": met,
        }

    rows = [
        row(f"end to end, stored in chDB with rollups ({where})", stored_per_s, "spans/s", target),
        row("spans per server CPU second", per_core, "spans/s", target),
        row("end to end, acknowledged", acked / measured["seconds"], "spans/s"),
        row("ack latency p50", quantiles[49] * 1000, "ms"),
        row("ack latency p99", quantiles[98] * 1000, "ms"),
        row("server peak RSS", measured["server_peak_rss_mib"], "MiB"),
        *(row(f"ceiling in process: {name}", value, "spans/s") for name, value in ceiling.items()),
    ]
    inserts = measured["inserts"]
    lines = [
        f"{acked:,} spans ({SPANS_PER_REQUEST} per request, {connections} keep-alive "
        f"connections) in {measured['seconds']:.1f} s, {where}; "
        f"{acked / inserts if inserts else 0:,.0f} rows per insert; "
        f"failed requests: {len(measured['failures'])}; "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores.",
        "",
        "| measure | value |",
        "|---|---:|",
        *(f"| {r['metric']} | {r['value']:,} {r['unit']} |" for r in rows),
    ]
    return {
        "rows": rows,
        "markdown": "\n".join(lines),
        "settings": {
            "connections": connections,
            "pinned": pin,
            "python": platform.python_version(),
        },
        "raw": {key: value for key, value in measured.items() if key != "latencies"},
    }


if __name__ == "__main__":
    sys.exit(main())
