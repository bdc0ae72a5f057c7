"""The processor's own metrics, served at ``/metrics`` in the Prometheus text format.

prometheus_client does the registry and the exposition format. Counters take their labels
at the call site (``inc(kind="retryable")``), so each is a small collector, the library's
documented extension point, rather than a ``prometheus_client.Counter`` whose label names
would have to be declared apart from the code that knows them. Counters are bumped once
per request or per batch, never per span, so their lock costs nothing measurable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import prometheus_client
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, Metric

CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST

# ``*_created`` series (a timestamp per histogram) only double the scrape for this process.
prometheus_client.disable_created_metrics()

Labels = tuple[tuple[str, str], ...]
_M = TypeVar("_M", "Counter", "Gauge", "Histogram")


class Counter:
    """A monotonically increasing count, optionally split by labels given when bumped."""

    def __init__(self, name: str, help: str) -> None:
        self.name = name.removesuffix("_total")
        self.help = help
        self._values: dict[Labels, float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._values[key] = self._values.get(key, 0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(tuple(sorted(labels.items())), 0)

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            items = sorted(self._values.items())
        if not items:  # scrapers see the series at 0 before the first event
            yield CounterMetricFamily(self.name, self.help, value=0)
            return
        names = sorted({name for labels, _ in items for name, _ in labels})
        family = CounterMetricFamily(self.name, self.help, labels=names)
        for labels, value in items:
            given = dict(labels)
            family.add_metric([given.get(name, "") for name in names], value)
        yield family


class Gauge:
    """A value read when scraped, so it is never stale (e.g. the spool's depth)."""

    def __init__(self, name: str, help: str, read: Callable[[], float]) -> None:
        self._gauge = prometheus_client.Gauge(name, help, registry=None)
        self._gauge.set_function(read)

    def collect(self) -> Iterator[Metric]:
        yield from self._gauge.collect()


class Histogram:
    """Latencies in cumulative buckets, with their sum and count."""

    def __init__(self, name: str, help: str, buckets: tuple[float, ...]) -> None:
        self._histogram = prometheus_client.Histogram(name, help, buckets=buckets, registry=None)

    def observe(self, value: float) -> None:
        self._histogram.observe(value)

    def collect(self) -> Iterator[Metric]:
        yield from self._histogram.collect()


class Registry:
    """Every metric the processor exposes, created here so the names live in one place."""

    def __init__(self) -> None:
        self._registry = CollectorRegistry(auto_describe=False)
        self.requests = self._add(
            Counter("tokentrace_requests_total", "OTLP export requests by transport and answer.")
        )
        self.spans_received = self._add(
            Counter("tokentrace_spans_received_total", "Spans received, by transport.")
        )
        self.spans_accepted = self._add(
            Counter("tokentrace_spans_accepted_total", "GenAI spans accepted as one LLM call row.")
        )
        self.spans_rejected = self._add(
            Counter("tokentrace_spans_rejected_total", "GenAI spans rejected, by reason.")
        )
        self.spans_ignored = self._add(
            Counter(
                "tokentrace_spans_ignored_total",
                "Spans that describe no LLM call (not GenAI, or agent/tool spans): not stored.",
            )
        )
        self.spans_duplicate = self._add(
            Counter(
                "tokentrace_spans_duplicate_total",
                "GenAI spans describing a call already counted (same response id, span, "
                "or a parent/child pair): not stored again.",
            )
        )
        self.spans_unpriced = self._add(
            Counter("tokentrace_spans_unpriced_total", "Accepted calls with no known price.")
        )
        self.usage_repaired = self._add(
            Counter(
                "tokentrace_usage_repaired_total",
                "GenAI spans whose usage could not be right as sent, repaired the same way "
                "for every source, by repair: input_below_cache (cache tokens added to the "
                "input), output_below_reasoning (reasoning tokens added to the output).",
            )
        )
        self.tags_dropped = self._add(
            Counter(
                "tokentrace_tags_dropped_total",
                "Extra tags dropped by the cardinality caps (over 32 per row, key over 64 chars).",
            )
        )
        self.prices_updates = self._add(
            Counter(
                "tokentrace_prices_updates_total",
                "Fetches of live price data (serve --prices-update), by outcome: updated, "
                "unchanged, failed (the prices in use stay).",
            )
        )
        self.rows_written = self._add(
            Counter("tokentrace_rows_written_total", "Rows inserted into ClickHouse.")
        )
        self.insert_errors = self._add(
            Counter(
                "tokentrace_insert_errors_total",
                "ClickHouse inserts refused, by kind: retryable (store busy, full or away: "
                "kept spooled and retried), store (any other store error: kept and retried, "
                "needs a person), poison (rows ClickHouse can never take: bisected).",
            )
        )
        self.dead_letter_rows = self._add(
            Counter(
                "tokentrace_dead_letter_rows_total",
                "Rows refused alone, kept in the dead_letters table with the reason.",
            )
        )
        self.spool_damaged_bytes = self._add(
            Counter(
                "tokentrace_spool_damaged_bytes_total",
                "Spool bytes found damaged on reading (no intact record lost with them): kept "
                "in the spool's damaged/ folder.",
            )
        )
        self.insert_seconds = self._add(
            Histogram(
                "tokentrace_insert_duration_seconds",
                "ClickHouse insert latency per batch.",
                (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            )
        )
        self.request_seconds = self._add(
            Histogram(
                "tokentrace_request_duration_seconds",
                "Time from a request's arrival to its answer (acknowledged once durable).",
                (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            )
        )
        self.secrets_dropped = self._add(
            Counter(
                "tokentrace_secret_attributes_dropped_total",
                "Span and resource attributes not stored because their key names a "
                "credential (api_key, authorization, password, cookie, …).",
            )
        )
        self.http_connections_closed = self._add(
            Counter(
                "tokentrace_http_connections_closed_total",
                "HTTP connections serve closed on its own, by reason: head_timeout (no "
                "request head in time), evicted (oldest idle one, to make room), full (every "
                "connection busy: 503), http2 (an HTTP/2 client such as an OTLP/gRPC "
                "exporter on the OTLP/HTTP port: 400).",
            )
        )
        self.http_requests_refused = self._add(
            Counter(
                "tokentrace_http_requests_refused_total",
                "HTTP requests refused before being read, by reason: busy (too many in "
                "flight: 503), body_timeout (body not sent in time: 408).",
            )
        )
        self.http_loop_errors = self._add(
            Counter(
                "tokentrace_http_loop_errors_total",
                "Errors the HTTP event loop reported (e.g. accept out of file descriptors), "
                "by message; the log shows each kind at most every 10 s.",
            )
        )

    def _add(self, metric: _M) -> _M:
        self._registry.register(metric)
        return metric

    def gauge(self, name: str, help: str, read: Callable[[], float]) -> None:
        """Register a gauge read at scrape time (the spool and sink own their numbers)."""
        self._add(Gauge(name, help, read))

    def render(self) -> str:
        return prometheus_client.generate_latest(self._registry).decode()
