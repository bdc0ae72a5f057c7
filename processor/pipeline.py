"""What both receivers do with a decoded export request: extract, dedupe, price, spool.

The answer to the sender waits on :attr:`Accepted.durable`, which resolves once the
request's rows are fsynced in the spool, so an acknowledged span is never lost. The spans
the deduper holds rather than admits (``Deduper.admit``) are written whole to a file of
their own (``held_path``) before the answer, each time the held set changes, and held again
from it at start. If the
rows never get there, their dedupe keys are forgotten again so that the sender's retry
is not mistaken for a duplicate. A request holding duplicates also waits for every append
still in flight when it came: its spans' first copy may be among them (an exporter that
gave up waiting and resent), and until that copy is durable the resend must not be
acknowledged; should the copy fail, so does the resend, and the sender retries.
"""

from __future__ import annotations

import logging
import pickle
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokentrace.processor import held_calls
from tokentrace.processor.extract.dedupe import Deduper, waits
from tokentrace.processor.extract.extractor import COLUMNS, Call, Delegations, Parents, extract
from tokentrace.processor.metrics import Registry
from tokentrace.processor.pricing.names import call_models
from tokentrace.processor.pricing.pricer import (
    PRICING_ERROR,
    Price,
    Pricer,
    as_stored,
    unpriced,
)
from tokentrace.processor.pricing.stored_price import price_stored
from tokentrace.processor.store.kept_traces import KeptTraces
from tokentrace.processor.store.spool import Spool, replace_whole, resolve
from tokentrace.processor.unpriced_log import UnpricedLog

log = logging.getLogger(__name__)

_PRICED = COLUMNS.index("priced")

# Seconds a sender is told to wait (``Retry-After`` / ``RetryInfo``) by either receiver.
#
# Chosen for the exporters most senders run, OTel Python's OTLP/HTTP and OTLP/gRPC (1.45):
# each waits exactly the delay given, and drops the batch once the next wait would pass its
# export timeout (10 s by default, OTEL_EXPORTER_OTLP_TIMEOUT) or after six attempts. So a
# delay of d seconds keeps a batch trying for: d=1: 5 s (six attempts), d=2: 8 s (attempts at
# 0, 2, 4, 6, 8), d=3: 9 s, but 6 s once the attempts themselves take over a second in all,
# d=5: 5 s (two attempts). 2 s gets the most of the exporter's budget whatever the load; a
# Collector (exporterhelper, 5 minutes of retries) only asks a little sooner. A refused request
# costs serve no decoding (the spool's room is checked first), so retries every 2 s are cheap.
# Measured with the real BatchSpanProcessor: BENCHMARKS.md, Durability.
SPOOL_FULL_RETRY_AFTER = 2  # the spool is full (ClickHouse is behind) or cannot be written
BUSY_RETRY_AFTER = 2  # too many requests wait for their fsync


@dataclass
class Accepted:
    """A request taken in: what to tell the sender, and when it is safe to."""

    rejected: int
    message: str
    durable: Future[None]


class Pipeline:
    def __init__(
        self,
        pricer: Pricer,
        spool: Spool,
        deduper: Deduper,
        metrics: Registry,
        clock: Callable[[], int] = time.time_ns,
        held_path: Path | None = None,
        kept_traces: KeptTraces | None = None,
    ) -> None:
        """``held_path``: where the calls the deduper holds are kept (none: in memory only,
        lost if the process stops without :meth:`flush`); ``kept_traces``: where the parent
        spans and agents it remembers are (none: in memory only, lost at any stop)."""
        self._pricer = pricer
        self._spool = spool
        self._deduper = deduper
        self._metrics = metrics
        self._clock = clock
        # The receivers run on the event loop and on gRPC threads; the deduper and the
        # pricer's caches are shared, so one request is processed at a time (the GIL
        # would serialise the work anyway).
        self._lock = threading.Lock()
        self._pending: set[Future[None]] = set()  # appends not yet durable (or failed)
        self._unpriced = UnpricedLog()
        self._held_path = held_path
        self._held: list[Call] = []  # as last written to held_path
        # Held calls the deduper released, whose rows are not yet durable: kept in the file.
        self._releasing: list[Call] = []
        self._kept_traces = kept_traces
        if kept_traces is not None:
            deduper.learn(*kept_traces.load())
        if held_path is not None and held_path.exists():
            self._held = read_held(held_path)
            deduper.hold(self._held, clock())

    def seed(self, remember: Callable[[Deduper], None]) -> None:
        """Run ``remember(deduper)`` while no request is being admitted."""
        with self._lock:
            remember(self._deduper)

    def accept(self, request: Any, transport: str) -> Accepted:
        """Process a decoded request (an ``otlp_wire.TraceRequest``).

        Raises :class:`~tokentrace.processor.store.spool.SpoolFull` when the spool cannot take
        it: the sender should retry later.
        """
        own: Future[None] = Future()
        with self._lock:
            now = self._clock()
            extraction = extract(request, now)
            calls, duplicates = self._deduper.admit(
                extraction.calls,
                now,
                extraction.parents,
                extraction.agents,
                extraction.delegations,
                extraction.endpoints,
            )
            self._keep_held(released=calls)
            tools = (
                self._deduper.counted_delegations(extraction.delegations)
                if self._kept_traces is not None and extraction.delegations
                else {}
            )
            kept = self._kept_traces is not None and bool(
                extraction.parents or extraction.agents or tools
            )
            if kept:
                self._keep_traces(extraction.parents, extraction.agents, tools)
            rows = self._rows(calls)
            earlier = list(self._pending) if duplicates else []
            if rows:
                self._pending.add(own)  # under the lock that admitted its calls
        if kept:
            self._sync_traces()
        metrics = self._metrics
        metrics.spans_received.inc(extraction.received, transport=transport)
        metrics.spans_ignored.inc(extraction.ignored)
        metrics.spans_duplicate.inc(duplicates)
        metrics.tags_dropped.inc(extraction.tags_dropped)
        if extraction.secrets_dropped:
            metrics.secrets_dropped.inc(extraction.secrets_dropped)
        for repair, count in extraction.repaired.items():
            metrics.usage_repaired.inc(count, repair=repair)
        for reason, count in extraction.rejected.items():
            metrics.spans_rejected.inc(count, reason=reason)
        self._append(own, calls, rows)
        # A future of the answer's own: the event loop cancels the future it waits on when
        # the request is cancelled (a shut-down), and that must not reach ``own``.
        durable = _all_of([own, *earlier])
        return Accepted(extraction.rejected_count, extraction.error_message(), durable)

    def flush(self) -> Future[None]:
        """Spool the calls the deduper still holds (``Deduper.admit``), before the spool is
        closed at shutdown: no other span of their call came, and each is one row."""
        own: Future[None] = Future()
        with self._lock:
            held = len(self._deduper.held)
            calls = self._deduper.release()
            self._keep_held(released=calls)
            rows = self._rows(calls)
            if rows:
                self._pending.add(own)
        # a framework's span found a duplicate as it is released (``dedupe.waits``)
        self._metrics.spans_duplicate.inc(held - len(calls))
        self._append(own, calls, rows)
        return own

    def _keep_held(self, released: Sequence[Call] = (), settled: Sequence[Call] = ()) -> None:
        """Write the deduper's held calls to ``held_path`` when they changed (under the
        lock, before the request is answered: held spans were acknowledged too), and those
        it released (the held among ``released``) until their rows are durable
        (``settled``). A file that cannot be written leaves them in memory, said in the
        log: the request is taken all the same."""
        if self._held_path is None or not self._deduper.ever_held:
            return  # nothing was ever held (nearly every serve): nothing to write or keep
        if settled:
            self._releasing = [call for call in self._releasing if call not in settled]
        self._releasing += [call for call in released if waits(call) or call.inherits]
        held = self._deduper.held + self._releasing
        if held == self._held:
            return
        try:
            if held:
                replace_whole(self._held_path, held_calls.dumps(held))
            else:
                self._held_path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("cannot keep the held calls in %s: %s", self._held_path, exc)
            return
        self._held = held

    def _keep_traces(self, parents: Parents, agents: set[bytes], tools: Delegations) -> None:
        """Keep what the deduper learnt from a request (``kept_traces``, under the lock,
        before the answer: a call after a restart may depend on it). A file that cannot be
        written leaves it in memory, said in the log: the request is taken all the same."""
        if self._kept_traces is None:
            return
        try:
            self._kept_traces.add(parents, agents, tools)
        except OSError as exc:
            log.warning("cannot keep the parent spans and agents: %s", exc)

    def _sync_traces(self) -> None:
        """Put what was kept on disk before the answer (``KeptTraces.sync``), outside the lock
        (an fsync, overlapping the spool's own); a disk that fails it is said in the log."""
        assert self._kept_traces is not None
        try:
            self._kept_traces.sync()
        except OSError as exc:
            log.warning("cannot put the parent spans and agents kept on disk: %s", exc)

    def _rows(self, calls: list[Call]) -> list[tuple[Any, ...]]:
        """The admitted calls' rows, priced (under the lock: the pricer's caches)."""
        prices = [price_call(self._pricer, call) for call in calls]
        for call, price in zip(calls, prices, strict=True):
            if not price.priced:
                self._unpriced.note(
                    call.provider, price.model, price.reason, bool(call.cache_unsaid)
                )
        return [call.row(price) for call, price in zip(calls, prices, strict=True)]

    def _append(self, own: Future[None], calls: list[Call], rows: list[Any]) -> None:
        """Spool ``rows``; ``own`` resolves once they are durable (at once without rows)."""
        if rows:
            own.add_done_callback(lambda done: self._settle(done, calls, rows))
            try:
                columns = [list(column) for column in zip(*rows, strict=True)]
                written = self._spool.append(columns, len(rows))
            except Exception as exc:
                own.set_exception(exc)
                raise
            written.add_done_callback(lambda done: _copy(done, own))
        else:
            own.set_result(None)

    def _settle(self, done: Future[None], calls: list[Call], rows: list[Any]) -> None:
        failed = done.exception() is not None
        with self._lock:
            self._pending.discard(done)
            if failed:
                self._deduper.forget(calls)  # released held calls are held again
            self._keep_held(settled=calls)
        if not failed:
            self._metrics.spans_accepted.inc(len(rows))
            self._metrics.spans_unpriced.inc(sum(1 for row in rows if not row[_PRICED]))


def read_held(path: Path) -> list[Call]:
    """The calls held when the last run stopped short (``Pipeline``): a JSON document
    (``held_calls``), or the pickle an earlier version wrote. None when the file cannot be
    read (damaged, or of a later format): then it is moved aside, not deleted, and the log
    says where."""
    try:
        data = path.read_bytes()
        if data.startswith(b"{"):
            held = held_calls.loads(data)
        else:  # an earlier version's pickle; the next change writes JSON
            held = pickle.loads(data)
            if not all(isinstance(call, Call) for call in held):
                raise TypeError("not a list of calls")
            held = [held_calls.complete(call) for call in held]
    except Exception as exc:  # any failure to read: serve must start all the same
        aside = path.with_name(path.name + ".unreadable")
        path.replace(aside)
        log.error("cannot read the held calls in %s (%s): moved to %s", path, exc, aside.name)
        return []
    return held


def price_call(pricer: Pricer, call: Call) -> Price:
    """One extracted call's price, as ingest stores it
    (:func:`~tokentrace.processor.pricing.stored_price.price_stored`); a pricing fault stores
    it unpriced (``pricing_error``), never loses it."""
    try:
        return price_stored(pricer, call)
    except Exception as exc:
        model = (call_models(call.response_model, call.request_model) or [""])[0]
        log.warning("cannot price %s %s: %s", call.provider, model, exc)
        price = unpriced(model, PRICING_ERROR)
        return as_stored(
            price, call.usage_missing, call.budget_blocked, call.provider_usd, call.not_sent
        )


def _copy(source: Future[None], target: Future[None]) -> None:
    """Resolve ``target`` as ``source`` was."""
    resolve(target, source.exception())


def _all_of(futures: list[Future[None]]) -> Future[None]:
    """Resolves once every one of ``futures`` has; fails with the first failure among them."""
    combined: Future[None] = Future()
    remaining = [len(futures)]
    lock = threading.Lock()

    def one_done(_: Future[None]) -> None:
        with lock:
            remaining[0] -= 1
            if remaining[0]:
                return
        errors = [error for error in (future.exception() for future in futures) if error]
        resolve(combined, errors[0] if errors else None)

    for future in futures:
        future.add_done_callback(one_done)
    return combined
