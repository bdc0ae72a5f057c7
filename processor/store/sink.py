"""The sink: the one thread that writes to ClickHouse.

It takes sealed spool segments in order and inserts each as one batch (whatever arrived
in about a second, up to 50,000 rows: 10,000 rows per insert cost chDB 8 µs of CPU a row
with the two rollup views, 25,000 rows 5 µs) in Arrow format, built column by column
in C by pyarrow (money goes from its integer units straight into ``Decimal(18, 12)``
without a Python ``Decimal`` per value), with the segment's name as
``insert_deduplication_token`` and
``deduplicate_blocks_in_dependent_materialized_views=1``, so a segment inserted twice
(crash between insert and delete, or a retry after a timeout whose insert did land)
changes neither ``llm_calls`` nor the rollups. Only then is the segment deleted.

One thread because chDB hosts one engine per process and inserts gain nothing from
concurrency there; on a ClickHouse server one writer with big batches is also what
MergeTree wants.

ClickHouse unreachable: the sink retries with backoff (up to 5 s apart) for as long as it
takes, connecting and migrating first when it never could; meanwhile the spool absorbs
(bounded). A segment ClickHouse rejects as bad data five times in a row moves to the
spool's ``dead/`` folder so it cannot block the rest.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from clickhouse_connect.driver.exceptions import OperationalError

from tokentrace.processor.extract.extractor import COLUMNS, MONEY_COLUMNS
from tokentrace.processor.metrics import Registry
from tokentrace.processor.store.spool import Columns, Segment, Spool

log = logging.getLogger(__name__)

TABLE = "llm_calls"
MAX_BACKOFF_SECONDS = 5.0
BAD_DATA_ATTEMPTS = 5
MEMORY_ROWS = 200_000  # rows of waiting segments kept in memory; the rest re-read from disk

_MONEY = pa.decimal128(18, 12)
_ARROW_TYPES = {
    "ts": pa.timestamp("us", tz="UTC"),
    **{
        name: pa.uint64()
        for name in (
            "input_tokens",
            "output_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "reasoning_tokens",
        )
    },
    **dict.fromkeys(MONEY_COLUMNS, _MONEY),
    "priced": pa.uint8(),
    "stream": pa.uint8(),
    "usage_missing": pa.uint8(),
    "http_status": pa.uint16(),
    "latency_ms": pa.float64(),
    "ttft_ms": pa.float64(),
    "tags": pa.map_(pa.string(), pa.string()),
}


def arrow_table(columns: Columns) -> pa.Table:
    """``llm_calls`` columns (see ``extract.COLUMNS``) as an Arrow table ClickHouse reads."""
    arrays = []
    for name, values in zip(COLUMNS, columns, strict=True):
        kind = _ARROW_TYPES.get(name, pa.string())
        if kind is _MONEY:
            # Integer units of 1e-12 USD are exactly the decimal's unscaled value: build
            # the int128s by an exact cast, then read the same buffers with scale 12.
            units = pa.array(values, pa.int64()).cast(pa.decimal128(38, 0))
            arrays.append(pa.Array.from_buffers(_MONEY, len(units), units.buffers()))
        elif name == "tags":
            arrays.append(pa.array([list(tags.items()) for tags in values], kind))
        else:
            arrays.append(pa.array(values, kind))
    return pa.Table.from_arrays(arrays, names=list(COLUMNS))


class Sink:
    def __init__(
        self,
        connect: Callable[[], Any],
        spool: Spool,
        metrics: Registry,
        *,
        first_backoff: float = 0.25,
    ) -> None:
        """``connect`` returns a migrated clickhouse-connect client or raises."""
        self._connect = connect
        self._spool = spool
        self._metrics = metrics
        self._first_backoff = first_backoff
        self._queue: queue.Queue[Segment] = queue.Queue()
        self._memory_rows = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: Any = None
        self.last_error = ""

    @property
    def ready(self) -> bool:
        """Connected, migrated, and the last insert (if any) went through."""
        return self._client is not None and not self.last_error

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    def offer(self, segment: Segment) -> None:
        """Queue a sealed segment; its rows stay in memory only while the backlog is small."""
        with self._lock:
            if segment.columns is not None:
                if self._memory_rows + segment.row_count > MEMORY_ROWS:
                    segment.columns = None
                else:
                    self._memory_rows += segment.row_count
        self._queue.put(segment)

    def start(self, client: Any = None) -> None:
        """Start writing; ``client`` is an already migrated client, if the caller has one."""
        self._client = client
        self._thread = threading.Thread(target=self._run, name="tokentrace-sink", daemon=True)
        self._thread.start()

    def stop(self, drain_seconds: float = 5.0) -> None:
        """Insert what is queued for up to ``drain_seconds``, then stop; the rest stays spooled."""
        deadline = time.monotonic() + drain_seconds
        while self._queue.qsize() and time.monotonic() < deadline and not self.last_error:
            time.sleep(0.01)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(1.0, deadline - time.monotonic() + 1.0))

    def wait_idle(self, timeout: float) -> bool:
        """True once every queued segment is stored (tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.01)
        return False

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                segment = self._queue.get(timeout=0.1)
            except queue.Empty:
                if self._client is None:
                    self._reconnect()
                continue
            try:
                self._store(segment)
            finally:
                self._queue.task_done()

    def _store(self, segment: Segment) -> None:
        backoff = self._first_backoff
        bad_data = 0
        while not self._stop.is_set():
            try:
                client = self._client or self._reconnect()
                if client is None:
                    raise OperationalError(self.last_error)
                columns = segment.columns or self._spool.load(segment)
                self._insert(client, columns, segment.name)
            except OperationalError as exc:
                self._failed(f"ClickHouse unreachable: {exc}")
                self._client = None
            except Exception as exc:
                bad_data += 1
                self._failed(f"insert of {segment.name} failed: {exc}")
                if bad_data >= BAD_DATA_ATTEMPTS:
                    self._release(segment)
                    target = self._spool.quarantine(segment)
                    self._metrics.segments_dead.inc()
                    log.error("sink: gave up on %s, moved to %s", segment.name, target)
                    return
            else:
                self.last_error = ""
                self._release(segment)
                self._spool.remove(segment)
                return
            self._stop.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _insert(self, client: Any, columns: Columns, token: str) -> None:
        started = time.perf_counter()
        table = arrow_table(columns)
        client.insert_arrow(
            TABLE,
            table,
            settings={
                "insert_deduplication_token": token,
                "deduplicate_blocks_in_dependent_materialized_views": 1,
                # The rollup views already hand over one row per key; merging them again
                # at insert more than doubles the insert's cost (1M rows: 14.7 s → 6.2 s).
                "optimize_on_insert": 0,
            },
        )
        self._metrics.insert_seconds.observe(time.perf_counter() - started)
        self._metrics.rows_written.inc(table.num_rows)

    def _release(self, segment: Segment) -> None:
        with self._lock:
            if segment.columns is not None:
                self._memory_rows -= segment.row_count

    def _failed(self, message: str) -> None:
        if message != self.last_error:
            log.warning("sink: %s", message)
        self.last_error = message
        self._metrics.insert_errors.inc()

    def _reconnect(self) -> Any:
        try:
            self._client = self._connect()
        except Exception as exc:
            if not self.last_error.startswith("cannot connect"):
                log.warning("sink: cannot connect to ClickHouse: %s", exc)
            self.last_error = f"cannot connect to ClickHouse: {exc}"
            self._stop.wait(0.5)
            return None
        self.last_error = ""
        return self._client
