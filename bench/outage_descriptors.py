"""Segments and descriptors a store outage costs serve, at a trickle of exports.

Not run by ``bench/run.py`` (it counts, it does not time). A real ``tokentrace serve`` whose
ClickHouse never answers (a free port: refused) takes one OTLP/HTTP request of ``--spans``
spans every ``--interval`` seconds for ``--minutes`` minutes, under a hard open-files limit of
``--open-files`` (serve raises its soft limit to it; the spool then takes at most
``max(64, limit // 2 - 1024)`` segments, one descriptor each). Each minute it prints the spool's
segments (``/readyz``), the descriptors serve holds on spool segments and in all
(``/proc/PID/fd``), and the requests acknowledged and refused (503) so far.

    python bench/outage_descriptors.py --minutes 5 --open-files 1024
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span
from spool_outage import ATTRIBUTES  # the same chat span (bench/ is on sys.path as a script)

from tokentrace.processor.demo.serve_process import free_port, free_ports


def export(number: int, spans: int) -> bytes:
    """One request of ``spans`` chat spans, each of a trace of its own."""
    attributes = [
        KeyValue(
            key=key,
            value=AnyValue(int_value=value)
            if isinstance(value, int)
            else AnyValue(string_value=value),
        )
        for key, value in ATTRIBUTES.items()
    ]
    now = time.time_ns()
    made = [
        Span(
            trace_id=(number * spans + index + 1).to_bytes(16, "big"),
            span_id=(number * spans + index + 1).to_bytes(8, "big"),
            name="chat gpt-4o",
            kind=Span.SPAN_KIND_CLIENT,
            start_time_unix_nano=now - 1_000_000,
            end_time_unix_nano=now,
            attributes=attributes,
        )
        for index in range(spans)
    ]
    message = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=made)])]
    )
    return message.SerializeToString()


def post(url: str, body: bytes) -> int:
    request = urllib.request.Request(
        f"{url}/v1/traces", body, {"content-type": "application/x-protobuf"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def readiness(url: str) -> dict:
    """``/readyz``'s body, ready (200) or not (503)."""
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=10) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())


def held(pid: int) -> tuple[int, int]:
    """(descriptors on spool segments, descriptors in all) of process ``pid``."""
    segments = total = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        total += 1
        segments += ".wal" in target
    return segments, total


def run(minutes: int, interval: float, spans: int, open_files: int, work: Path) -> None:
    http_port, grpc_port = free_ports(2)
    url = f"http://127.0.0.1:{http_port}"
    command = [
        sys.executable, "-m", "tokentrace.processor.cli", "serve",
        "--clickhouse", f"http://127.0.0.1:{free_port()}",  # nothing listens: refused
        "--http-port", str(http_port), "--grpc-port", str(grpc_port),
        "--spool-dir", str(work / "spool"),
    ]  # fmt: skip

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

    with (work / "serve.log").open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=log, preexec_fn=limit)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                    break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError((work / "serve.log").read_text()) from None
                time.sleep(0.1)
        started = time.monotonic()
        answers = {"acknowledged": 0, "refused": 0}
        number = 0
        for minute in range(1, minutes + 1):
            while time.monotonic() < started + 60 * minute:
                status = post(url, export(number, spans))
                answers["acknowledged" if status == 200 else "refused"] += 1
                number += 1
                time.sleep(interval)
            ready = readiness(url)
            segment_fds, all_fds = held(process.pid)
            row = {
                "minute": minute,
                "segments": ready["spool_segments"],
                "segment_fds": segment_fds,
                "fds": all_fds,
                "spool_bytes": ready["spool_bytes"],
                **answers,
                "problems": ready["problems"],
            }
            print(json.dumps(row), flush=True)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=5)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between exports")
    parser.add_argument("--spans", type=int, default=10, help="spans per export")
    parser.add_argument("--open-files", type=int, default=1024, help="serve's hard limit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="outage-descriptors-") as work:
        run(args.minutes, args.interval, args.spans, args.open_files, Path(work))


if __name__ == "__main__":
    main()
