"""The processor's own metrics, served at ``/metrics`` in the Prometheus text format.

A handful of counters, gauges and one histogram do not justify a client library: each
metric is a small lock-protected table of label values, rendered in exposition format
0.0.4. Counters are bumped once per request or per batch, never per span, so the lock
costs nothing measurable.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Labels = tuple[tuple[str, str], ...]
_M = TypeVar("_M", "Counter", "Gauge", "Histogram")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Labels, extra: str = "") -> str:
    parts = [f'{name}="{_escape(value)}"' for name, value in labels]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


class Counter:
    """A monotonically increasing count, optionally split by labels."""

    kind = "counter"

    def __init__(self, name: str, help: str) -> None:
        self.name = name
        self.help = help
        self._values: dict[Labels, float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._values[key] = self._values.get(key, 0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(tuple(sorted(labels.items())), 0)

    def samples(self) -> Iterable[str]:
        with self._lock:
            items = sorted(self._values.items())
        if not items:
            yield f"{self.name} 0"
        for labels, value in items:
            yield f"{self.name}{_labels(labels)} {_number(value)}"


class Gauge:
    """A value read when scraped, so it is never stale (e.g. the spool's depth)."""

    kind = "gauge"

    def __init__(self, name: str, help: str, read: Callable[[], float]) -> None:
        self.name = name
        self.help = help
        self._read = read

    def samples(self) -> Iterable[str]:
        yield f"{self.name} {_number(self._read())}"


class Histogram:
    """Cumulative buckets, sum and count, as Prometheus expects them."""

    kind = "histogram"

    def __init__(self, name: str, help: str, buckets: tuple[float, ...]) -> None:
        self.name = name
        self.help = help
        self._bounds = tuple(sorted(buckets))
        self._counts = [0] * (len(self._bounds) + 1)
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        index = bisect.bisect_left(self._bounds, value)
        with self._lock:
            self._counts[index] += 1
            self._sum += value

    @property
    def count(self) -> int:
        return sum(self._counts)

    def samples(self) -> Iterable[str]:
        with self._lock:
            counts = list(self._counts)
            total = self._sum
        cumulative = 0
        for bound, count in zip((*self._bounds, math.inf), counts, strict=True):
            cumulative += count
            yield f'{self.name}_bucket{{le="{_number(bound)}"}} {cumulative}'
        yield f"{self.name}_sum {_number(total)}"
        yield f"{self.name}_count {cumulative}"


class Registry:
    """Every metric the processor exposes, created here so the names live in one place."""

    def __init__(self) -> None:
        self._metrics: list[Counter | Gauge | Histogram] = []
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
        self.http_connections_closed = self._add(
            Counter(
                "tokentrace_http_connections_closed_total",
                "HTTP connections serve closed on its own, by reason: head_timeout (no "
                "request head in time), evicted (oldest idle one, to make room), full (every "
                "connection busy: 503).",
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
        self._metrics.append(metric)
        return metric

    def gauge(self, name: str, help: str, read: Callable[[], float]) -> None:
        """Register a gauge read at scrape time (the spool and sink own their numbers)."""
        self._add(Gauge(name, help, read))

    def render(self) -> str:
        lines: list[str] = []
        for metric in self._metrics:
            lines.append(f"# HELP {metric.name} {metric.help}")
            lines.append(f"# TYPE {metric.name} {metric.kind}")
            lines.extend(metric.samples())
        return "\n".join(lines) + "\n"
