"""What a short spool outage loses with the real OTel SDK: BatchSpanProcessor + OTLP exporter.

Not run by ``bench/run.py`` (it measures losses, not speed). An application makes LLM-call
spans at a steady rate through the SDK's BatchSpanProcessor into ``tokentrace serve``, once
with the OTLP/HTTP exporter and once with OTLP/gRPC (default settings: 10 s export timeout,
2,048-span queue). For ``--outage`` seconds serve cannot spool (its spool directory moved
away, a file in its place: every new segment fails, so requests get 503 + Retry-After /
UNAVAILABLE + RetryInfo), then it can again. Counted after a clean stop: spans made, spans
stored (each once), and the difference: batches the exporter gave up on plus spans the
processor's full queue dropped.

    python bench/spool_outage.py --outage 3 6 9 12 --rate 40
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import threading
import time
from pathlib import Path

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from tokentrace.processor.demo.serve_process import ServeProcess
from tokentrace.processor.pipeline import SPOOL_FULL_RETRY_AFTER
from tokentrace.processor.store import store

ATTRIBUTES = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.usage.input_tokens": 1000,
    "gen_ai.usage.output_tokens": 100,
}


def run(transport: str, rate: float, outage: float, work: Path) -> dict:
    serve = ServeProcess(
        f"chdb://{work / 'chdb'}", work / "spool", work / "serve.log", grpc=True
    ).start()
    exporter = (
        HttpExporter(endpoint=f"{serve.url}/v1/traces")
        if transport == "http"
        else GrpcExporter(endpoint=f"127.0.0.1:{serve.grpc_port}", insecure=True)
    )
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    tracer = provider.get_tracer("tokentrace.instrumentation")
    made = 0
    stopping = threading.Event()

    def application() -> None:
        nonlocal made
        while not stopping.wait(1 / rate):
            with tracer.start_as_current_span("chat gpt-4o", attributes=ATTRIBUTES):
                made += 1

    thread = threading.Thread(target=application, daemon=True)
    thread.start()
    time.sleep(6)  # a BatchSpanProcessor exports every 5 s, or at 512 spans
    spool = work / "spool"
    spool.rename(work / "away")
    spool.write_bytes(b"")
    time.sleep(outage)
    spool.unlink()
    (work / "away").rename(spool)
    time.sleep(6)
    stopping.set()
    thread.join()
    provider.shutdown()
    serve.stop()
    client = store.connect(f"chdb://{work / 'chdb'}")
    stored, distinct = client.query("SELECT count(), uniqExact(span_id) FROM llm_calls").first_row
    client.close()
    return {
        "transport": transport,
        "retry_after_s": SPOOL_FULL_RETRY_AFTER,
        "rate_per_s": rate,
        "outage_s": outage,
        "made": made,
        "stored": stored,
        "stored_twice": stored - distinct,
        "lost": made - distinct,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, nargs="+", default=[3.0, 6.0, 9.0, 12.0])
    parser.add_argument("--rate", type=float, default=40.0, help="spans per second")
    parser.add_argument("--transport", nargs="+", default=["http", "grpc"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)  # the exporters' retry warnings
    for outage in args.outage:
        for transport in args.transport:
            with tempfile.TemporaryDirectory(prefix="spool-outage-") as work:
                print(json.dumps(run(transport, args.rate, outage, Path(work))), flush=True)


if __name__ == "__main__":
    main()
