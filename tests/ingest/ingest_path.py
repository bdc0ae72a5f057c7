"""The processor's write path (pipeline → spool → sink → chDB), wired as ``serve`` wires it."""

from __future__ import annotations

import time

from tokentrace.processor import server
from tokentrace.processor.extract.dedupe import Deduper
from tokentrace.processor.metrics import Registry
from tokentrace.processor.pipeline import Pipeline
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.receivers import otlp_wire
from tokentrace.processor.store import stored_calls
from tokentrace.processor.store.sink import Sink
from tokentrace.processor.store.spool import Spool
from tokentrace.processor.store.stored_keys import StoredKeys


class Ingest:
    """Pipeline, spool and sink in this process, with a swappable store."""

    def __init__(
        self,
        directory,
        connect,
        pricer: Pricer,
        seal_rows: int = 10_000,
        max_bytes: int = 1 << 30,
        deduper: Deduper | None = None,
        stored_keys: StoredKeys | None = None,
        alone: bool = True,
    ) -> None:
        """``stored_keys``: kept by the sink, and the deduper seeded from it, as serve does.
        ``alone``: the sink's (False: as on a ClickHouse server)."""
        self.metrics = Registry()
        self.spool = Spool(directory, max_bytes, seal_rows=seal_rows, seal_seconds=0.05)
        self.deduper = deduper if deduper is not None else Deduper()
        # as far back as serve's seed from the store reaches (its calls of the last hour)
        reach = time.time_ns() // 1000 - stored_calls.HORIZON_US
        self.deduper.forgets_before_us = max(self.deduper.forgets_before_us, reach)
        self.sink = Sink(
            connect,
            self.spool,
            self.metrics,
            first_backoff=0.01,
            forgets_before=lambda: self.deduper.forgets_before_us,
            stored_keys=stored_keys,
            alone=alone,
        )
        if stored_keys is not None:
            for trace_id, span_id, response_id, started_us in stored_keys.load():
                server._remember(self.deduper, trace_id, span_id, response_id, started_us)
        self.spool.on_sealed = self.sink.offer
        self.spool.waiting = lambda: self.sink.backlog
        self.backlog = self.spool.recover()
        for segment in self.backlog:
            self.sink.offer(segment)
        self.pipeline = Pipeline(pricer, self.spool, self.deduper, self.metrics)
        self.sink.start()
        self.spool.start()

    def send(self, message) -> None:
        """Accept an OTLP request and wait until it is acknowledged (durable in the spool)."""
        wire = otlp_wire.TraceRequest.FromString(message.SerializeToString())
        self.pipeline.accept(wire, "test").durable.result(timeout=10)

    def close(self) -> None:
        self.spool.close()
        assert self.sink.wait_idle(120)  # a guard against a sink that never finishes, not a speed
        self.sink.stop(0)


def totals(client) -> tuple:
    """(calls, cost, input tokens) of the fact table and (requests, cost) of each rollup."""
    calls = client.query("SELECT count(), sum(cost), sum(input_tokens) FROM llm_calls")
    hourly = client.query("SELECT sum(requests), sum(cost) FROM llm_cost_hourly")
    daily = client.query("SELECT sum(requests), sum(cost) FROM llm_cost_daily")
    return calls.result_rows[0], hourly.result_rows[0], daily.result_rows[0]
