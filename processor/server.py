"""``tokentrace serve`` assembled: receivers → pipeline → spool → sink, plus health,
metrics and the readers' API on the OTLP/HTTP port.

Start-up order matters for "nothing lost, nothing doubled": the spool left by the last
run is recovered and its keys seed the deduper before any receiver listens, and its
segments are queued for the sink ahead of new ones. Shut-down runs the other way:
receivers stop taking requests (in-flight ones finish), the spool writes what is queued
and seals its segment, and the sink inserts what it can for a few seconds; whatever is
left stays spooled for the next start.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from tokentrace.processor import held_calls, http_server
from tokentrace.processor.api import clickhouse_http, routing
from tokentrace.processor.api.budgets_api import BudgetsApi
from tokentrace.processor.api.dead_letters_api import DeadLettersApi
from tokentrace.processor.api.reconcile_api import ReconcileApi
from tokentrace.processor.api.reprice_api import RepriceApi
from tokentrace.processor.api.store_calls import StoreCalls
from tokentrace.processor.api.views_api import ViewsApi
from tokentrace.processor.extract import parents
from tokentrace.processor.extract.dedupe import DEFAULT_CAPACITY, Deduper
from tokentrace.processor.extract.extractor import COLUMNS
from tokentrace.processor.metrics import CONTENT_TYPE, Registry
from tokentrace.processor.pipeline import Pipeline, read_held
from tokentrace.processor.pricing import reprice
from tokentrace.processor.pricing.price_updates import PriceUpdates
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.receivers import otlp_codec
from tokentrace.processor.receivers import otlp_grpc as receiver_grpc
from tokentrace.processor.receivers.otlp_http import OtlpHttpReceiver
from tokentrace.processor.reconcile.schedule import Schedule
from tokentrace.processor.store import broken_parts, retention, spool_lock, store, stored_calls
from tokentrace.processor.store.kept_traces import KeptTraces
from tokentrace.processor.store.sink import Sink, create_missing
from tokentrace.processor.store.spool import Segment, Spool, raise_open_files_limit, replace_whole
from tokentrace.processor.store.stored_keys import StoredKeys

log = logging.getLogger("tokentrace.serve")
# In the spool directory: the spans the deduper holds (``pipeline``), which the spool's
# segments (``*.wal``) do not hold.
HELD_CALLS_FILE = "held-calls.json"
EARLIER_HELD_CALLS_FILE = "held-calls.pickle"  # before the JSON format: read once, then JSON

SINK_DRAIN_SECONDS = 5.0
SEED_CALLS = DEFAULT_CAPACITY // 3  # calls the deduper remembers at start (three keys each)


@dataclass(frozen=True)
class ServeConfig:
    host: str
    http_port: int
    grpc_port: int  # 0: no gRPC
    clickhouse_url: str
    cluster: str | None
    spool_dir: Path
    spool_max_bytes: int
    max_body_bytes: int
    auth_token: str | None
    clickhouse_http_port: int = clickhouse_http.DEFAULT_PORT  # 0: no ClickHouse interface
    max_spans_per_request: int = otlp_codec.DEFAULT_MAX_SPANS
    limits: http_server.Limits = field(default_factory=http_server.Limits)
    retention_days: int = retention.DEFAULT_DAYS  # TTL of llm_calls; rollups are kept
    prices_update_url: str | None = None  # serve --prices-update: live genai-prices data
    prices_update_interval: float = 3600.0


class Service:
    """Every part of a running processor, built and wired but not yet listening."""

    def __init__(
        self, config: ServeConfig, client: Any, lock: spool_lock.SpoolLock | None = None
    ) -> None:
        self.config = config
        self.metrics = Registry()
        self.spool = Spool(config.spool_dir, config.spool_max_bytes, lock=lock)
        stored_keys = StoredKeys(config.spool_dir, SEED_CALLS)
        self.sink = Sink(
            self._connect,
            self.spool,
            self.metrics,
            stored_keys=stored_keys,
            check_store=store.embedded_watch(config.clickhouse_url),
            cluster=config.cluster,
            forgets_before=lambda: self.deduper.forgets_before_us,
            alone=store.StoreURL.parse(config.clickhouse_url).embedded,
        )
        self.spool.on_sealed = self.sink.offer
        self.spool.waiting = lambda: self.sink.backlog
        self.spool.on_damage = self.metrics.spool_damaged_bytes.inc
        self.deduper = Deduper()
        # Without the store's calls of the last hour, any span that started before now may
        # be one it holds: such spans are looked up before their insert (stored_calls).
        reach = time.time_ns() // 1000
        if client is not None:
            reach = _seed_from_store(self.deduper, client)
        self.deduper.forgets_before_us = max(self.deduper.forgets_before_us, reach)
        for trace_id, span_id, response_id, started_us in stored_keys.load()[-SEED_CALLS:]:
            _remember(self.deduper, trace_id, span_id, response_id, started_us)
        backlog = self.spool.recover()
        _seed_from_spool(self.deduper, self.spool, backlog)
        for segment in backlog:
            self.sink.offer(segment)
        if backlog:
            log.info("replaying %d spooled segment(s)", len(backlog))
        self.pricer = Pricer()
        _adopt_earlier_held_calls(self.spool.directory)
        # at least as many as the deduper remembers (``parents.RECENT`` of each kind)
        self.kept_traces = KeptTraces(self.spool.directory, 2 * parents.RECENT)
        self.pipeline = Pipeline(
            self.pricer,
            self.spool,
            self.deduper,
            self.metrics,
            held_path=self.spool.directory / HELD_CALLS_FILE,
            kept_traces=self.kept_traces,
        )
        self.spool.on_recovered = self._recovered_late
        self.price_updates: PriceUpdates | None = None
        if config.prices_update_url:
            self.price_updates = PriceUpdates(
                update_interval=config.prices_update_interval,
                url=config.prices_update_url,
                pricer=self.pricer,
                connect=lambda: store.connect(config.clickhouse_url),
                on_outcome=lambda outcome: self.metrics.prices_updates.inc(outcome=outcome),
            )
        self.http = OtlpHttpReceiver(
            self.pipeline,
            self.spool,
            self.metrics,
            max_body_bytes=config.max_body_bytes,
            auth_token=config.auth_token,
            max_spans=config.max_spans_per_request,
        )
        self.grpc = receiver_grpc.OtlpGrpcReceiver(
            self.pipeline,
            self.spool,
            self.metrics,
            max_body_bytes=config.max_body_bytes,
            auth_token=config.auth_token,
            max_spans=config.max_spans_per_request,
        )
        self.api = ViewsApi(lambda: store.connect(config.clickhouse_url), config.cluster)
        self.budgets = BudgetsApi(lambda: store.connect(config.clickhouse_url), config.cluster)
        self.reconcile = ReconcileApi(lambda: store.connect(config.clickhouse_url), config.cluster)
        self.reconcile_schedule = Schedule(lambda: store.connect(config.clickhouse_url))
        self.dead_letters = DeadLettersApi(
            lambda: store.connect(config.clickhouse_url),
            config.cluster,
            pause=self.sink.paused,
            alone=store.StoreURL.parse(config.clickhouse_url).embedded,
        )
        self.reprice = RepriceApi(lambda: store.connect(config.clickhouse_url), self.sink.paused)
        self._register_gauges()
        self.sink.start(client)
        self.spool.start()

    def _recovered_late(self, segment: Segment) -> None:
        """A segment left by the last run that could not be read at start (exports were
        refused meanwhile): its keys join the deduper's before exports are taken again, so
        that a sender's resend of its spans is known, and it goes to the sink."""
        self.pipeline.seed(lambda deduper: _seed_from_spool(deduper, self.spool, [segment]))
        self.sink.offer(segment)

    def _connect(self) -> Any:
        client = store.connect(self.config.clickhouse_url, silence_seconds=store.SILENCE_SECONDS)
        _prepare_store(client, self.config)
        return client

    def _register_gauges(self) -> None:
        self.metrics.gauge(
            "tokentrace_spool_bytes",
            "Bytes in spool segments not yet in ClickHouse.",
            lambda: self.spool.depth_bytes,
        )
        self.metrics.gauge(
            "tokentrace_spool_segments",
            "Spool segments not yet in ClickHouse.",
            lambda: self.spool.segment_count,
        )
        self.metrics.gauge(
            "tokentrace_requests_in_flight",
            "Requests waiting for their rows to be durable in the spool.",
            lambda: self.http.in_flight + self.grpc.in_flight,
        )
        self.metrics.gauge(
            "tokentrace_store_ready",
            "1 while ClickHouse is migrated and taking inserts.",
            lambda: int(self.sink.ready),
        )
        self.metrics.gauge(
            "tokentrace_prices_reprice_days",
            "UTC days whose stored calls the last price update (serve --prices-update) prices "
            "differently: the log and /api/v1/prices/update give the tokentrace reprice "
            "commands.",
            lambda: len(self.price_updates.advice.days) if self.price_updates else 0,
        )

    def app(self) -> Starlette:
        """serve's HTTP application: OTLP, the probes, metrics and the readers' API.

        Every route but the probes counts toward ``max_in_flight``; the readers' API wants
        the bearer token (OTLP checks it itself, to answer in OTLP's encoding).
        """
        limits = self.config.limits
        refused = self.metrics.http_requests_refused
        busy = routing.InFlight(limits.max_in_flight, refused).middleware()
        auth = routing.bearer_auth(self.config.auth_token)
        route = routing.route
        return routing.application(
            [
                route("POST", "/v1/traces", self.http.traces, busy),
                route("GET", "/healthz", self.healthz),
                route("GET", "/readyz", self.readyz),
                route("GET", "/readyz/store", self.store_ready),
                route("GET", "/metrics", self.prometheus),
                route("GET", "/api/v1/views", self.api.list_views, busy, auth),
                route("GET", "/api/v1/views/{name}", self.api.run_view, busy, auth),
                route("GET", "/api/v1/budgets", self.budgets.list, busy, auth),
                route("PUT", "/api/v1/budgets", self.budgets.put, busy, auth),
                route("DELETE", "/api/v1/budgets", self.budgets.delete, busy, auth),
                route("GET", "/api/v1/budgets/enforced", self.budgets.enforced, busy, auth),
                route("GET", "/api/v1/reconcile/plan", self.reconcile.plan, busy, auth),
                route("POST", "/api/v1/reconcile/reports", self.reconcile.reports, busy, auth),
                route("GET", "/api/v1/dead-letters", self.dead_letters.list, busy, auth),
                route("POST", "/api/v1/dead-letters/replay", self.dead_letters.replay, busy, auth),
                route("POST", "/api/v1/reprice", self.reprice.run, busy, auth),
                route("GET", "/api/v1/prices/update", self.prices_update, busy, auth),
            ],
            body_timeout=limits.body_timeout,
            refused=refused,
        )

    async def healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(self, request: Request) -> Response:
        """Ready while the spool takes appends (it has room, its directory is this serve's, and
        its last write succeeded, or a look since found it writable): every span taken in is
        durable, whether or not ClickHouse is up right now (DESIGN §11).

        Failing readiness during a ClickHouse outage would take every replica out of the
        Service exactly when their spools should absorb the traffic; ``/readyz/store`` (and
        the ``tokentrace_store_ready`` gauge) report the store instead.
        """
        problem = self.spool.problem
        problems = [problem] if problem else []
        body = {
            "ready": not problems,
            "problems": problems,
            "spool_bytes": self.spool.depth_bytes,
            "spool_segments": self.spool.segment_count,
            "store_ready": self.sink.ready,
        }
        return routing.json_response(body, 503 if problems else 200)

    async def store_ready(self, request: Request) -> Response:
        """200 while ClickHouse is migrated and taking inserts; 503 with the reason if not."""
        ready = self.sink.ready
        body = {
            "ready": ready,
            "problem": "" if ready else self.sink.last_error or "store not connected yet",
            "spool_bytes": self.spool.depth_bytes,
        }
        return routing.json_response(body, 200 if ready else 503)

    async def prices_update(self, request: Request) -> Response:
        """The live price data's state: URL, version, last error, days to re-price."""
        if self.price_updates is None:
            return routing.json_response(
                {"error": "live price data is off: start serve with --prices-update [URL]"}, 404
            )
        return routing.json_response(self.price_updates.status())

    async def prometheus(self, request: Request) -> Response:
        return Response(self.metrics.render(), media_type=CONTENT_TYPE)

    def close(self) -> None:
        if self.price_updates is not None:
            self.price_updates.stop()
        self.reconcile_schedule.stop()
        try:
            self.pipeline.flush()
        except Exception:  # the spool is full or failing: the held calls are lost
            log.exception("could not spool the held calls at shutdown")
        self.kept_traces.close()
        self.spool.close()
        self.sink.stop(SINK_DRAIN_SECONDS)


def _adopt_earlier_held_calls(directory: Path) -> None:
    """Give the held calls an earlier version pickled the JSON file's name: the pipeline reads
    either format (``pipeline.read_held``) and writes JSON at the next change.

    Both files there (an upgrade, a downgrade, an upgrade again: the earlier version held
    calls in the pickle, never reading the JSON) are merged into the JSON, one call per span
    (the JSON's where both hold it): before, the pickle was left unread and its held spans,
    already acknowledged, were lost."""
    earlier, held = directory / EARLIER_HELD_CALLS_FILE, directory / HELD_CALLS_FILE
    if not earlier.exists():
        return
    if held.exists():
        newer = read_held(held)
        spans = {(call.trace_id, call.span_id) for call in newer}
        older = [c for c in read_held(earlier) if (c.trace_id, c.span_id) not in spans]
        try:
            if older:
                replace_whole(held, held_calls.dumps(older + newer))
            earlier.unlink(missing_ok=True)
        except OSError as exc:
            log.error("cannot merge %s into %s: its held calls are not read (%s)", earlier,
                      held.name, exc)  # fmt: skip
        return
    try:
        earlier.replace(held)
    except OSError as exc:
        log.error("cannot rename %s to %s: its held calls are not read (%s)", earlier,
                  held.name, exc)  # fmt: skip


def _prepare_store(client: Any, config: ServeConfig, *, starting: bool = False) -> None:
    """Make the store fit to take calls, at start and at each reconnect alike: the schema
    migrated, dropped bookkeeping tables created again, damaged parts said, retention set;
    at start, a re-pricing run a stop cut short finished first (``reprice.finish_at_start``:
    on a ClickHouse server, where ``tokentrace reprice`` may be running, only said)."""
    store.migrate(client, cluster=config.cluster)
    create_missing(client, config.cluster)
    broken_parts.say(client)
    if starting:
        embedded = store.StoreURL.parse(config.clickhouse_url).embedded
        reprice.finish_at_start(client, alone=embedded)
    retention.apply(client, config.retention_days, config.cluster)


def _seed_from_store(deduper: Deduper, client: Any) -> int:
    """Remember the calls stored whose spans started in the last hour, up to ``SEED_CALLS``;
    returns the time (µs) from which every stored call is remembered.

    A request made durable just before a crash may never have been answered; its sender
    retries after the restart, and by then its rows may already be in ClickHouse. The keys
    the sink kept beside the spool (``stored_keys``) cover the latest stored calls whatever
    their span times; this covers a spool directory that is new (or was lost). Above
    ``SEED_CALLS`` calls in the hour (about 55 a second) it reaches back only to the span
    time of the oldest it read: before, a resend of an older span of that hour was stored
    twice; now the sink looks it up (``stored_calls``).
    """
    now_us = time.time_ns() // 1000
    result = client.query(
        "SELECT trace_id, span_id, response_id, toUnixTimestamp64Micro(ts) FROM llm_calls "
        "WHERE ts > now64(6) - INTERVAL 1 HOUR ORDER BY ts DESC LIMIT {limit:UInt32}",
        parameters={"limit": SEED_CALLS},
    )
    rows = result.result_rows
    for trace_id, span_id, response_id, started_us in reversed(rows):
        _remember(deduper, trace_id, span_id, response_id, int(started_us))
    if len(rows) < SEED_CALLS:
        return now_us - stored_calls.HORIZON_US
    return int(rows[-1][3]) + 1  # spans of that same microsecond may have been left unread


def _seed_from_spool(deduper: Deduper, spool: Spool, backlog: list[Segment]) -> None:
    """Remember the newest spooled calls too (newer than anything stored)."""
    keys: list[tuple[str, str, str, int]] = []
    for segment in reversed(backlog):
        segment.columns = spool.load(segment)
        if not segment.columns:
            continue  # every record in it was damaged
        trace_ids, span_ids, response_ids = segment.columns[1:4]
        started = segment.columns[COLUMNS.index("ts")]
        keys.extend(reversed(list(zip(trace_ids, span_ids, response_ids, started, strict=True))))
        if len(keys) >= SEED_CALLS:
            break
    for trace_id, span_id, response_id, started_us in reversed(keys[:SEED_CALLS]):
        _remember(deduper, trace_id, span_id, response_id, started_us)


def _remember(
    deduper: Deduper, trace_id: str, span_id: str, response_id: str, started_us: int = 0
) -> None:
    with contextlib.suppress(ValueError):  # ids some other writer stored, not hex
        deduper.remember(bytes.fromhex(trace_id), bytes.fromhex(span_id), response_id, started_us)


def _tune_garbage_collector() -> None:
    """Make the cyclic GC cheap for a process that allocates millions of short-lived objects.

    Every span allocates a few dozen objects; with the default gen-0 threshold (700) the
    collector runs several times per request and, every few hundred requests, traverses
    every live container: the imported modules, the price data, the deduper's keys and
    the spooled columns. Measured: a third of the pipeline's CPU. Freezing what start-up
    built moves it out of every collection, and a gen-0 threshold of 50,000 makes
    collections rarer without letting garbage cycles (there are few) grow large.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def serve(config: ServeConfig) -> int:
    """Run until SIGINT or SIGTERM; returns the exit code.

    The spool directory is this process's alone while it runs (``spool_lock``): it is
    locked before anything in it is read.
    """
    raise_open_files_limit()  # a descriptor per spooled segment (see spool)
    try:
        store.owner_only(config.spool_dir)
        lock = spool_lock.SpoolLock(config.spool_dir)
    except spool_lock.SpoolHeld as exc:
        print(f"tokentrace serve: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(
            f"tokentrace serve: cannot use the spool directory {config.spool_dir} ({exc}): serve "
            "needs to write there; make it writable, or choose another with --spool-dir DIR",
            file=sys.stderr,
        )
        return 1
    try:
        return _serve(config, lock)
    finally:
        lock.close()


def _serve(config: ServeConfig, lock: spool_lock.SpoolLock) -> int:
    client = None
    embedded = store.StoreURL.parse(config.clickhouse_url).embedded
    try:
        if not embedded:
            store.answers(config.clickhouse_url)
        # The sink's client (Service starts it with this one): bounded as its reconnects are.
        client = store.connect(config.clickhouse_url, silence_seconds=store.SILENCE_SECONDS)
        _prepare_store(client, config, starting=True)
    except Exception as exc:
        if embedded:
            print(f"tokentrace serve: cannot open the embedded store: {exc}", file=sys.stderr)
            return 1
        log.warning("ClickHouse is not reachable (%s); spooling until it is", exc)
        client = None

    service = Service(config, client, lock)
    _tune_garbage_collector()
    service.reconcile_schedule.start()
    if service.price_updates is not None:
        service.price_updates.start()
    grpc_server = None
    clickhouse_listener = _start_clickhouse_http(config)
    # uvicorn re-raises the signal that stopped it once it has restored the handlers
    # it found; with these in place that lets the clean shut-down below run.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: None)
    try:
        _check_port(config.host, config.grpc_port, "OTLP/gRPC", "--grpc-port PORT (0 turns it off)")
        _check_port(config.host, config.http_port, "OTLP/HTTP", "--http-port PORT")
        if config.grpc_port:
            grpc_server = receiver_grpc.start(service.grpc, config.host, config.grpc_port)
        http = http_server.server(
            service.app(), config.host, config.http_port, config.limits, service.metrics
        )
        grpc_text = f", OTLP/gRPC {config.host}:{config.grpc_port}" if config.grpc_port else ""
        print(
            f"tokentrace serve: OTLP/HTTP http://{config.host}:{config.http_port}/v1/traces"
            f"{grpc_text}; spool {config.spool_dir}",
            flush=True,
        )
        http_server.run(http, service.metrics)
        return 0 if http.started else 1
    except OSError as exc:
        print(f"tokentrace serve: {exc}", file=sys.stderr)
        return 1
    finally:
        if grpc_server is not None:
            grpc_server.stop(grace=5).wait()
        if clickhouse_listener is not None:
            clickhouse_listener.stop()
        service.close()


def _check_port(host: str, port: int, what: str, option: str) -> None:
    """Raise a one-line OSError if an OTLP port cannot be listened on, before anything says
    serve listens there: uvicorn would log its own error and exit with 3, gRPC its own line."""
    if not port:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(
                f"{what} port {host}:{port} unavailable ({exc.strerror or exc}): stop what "
                f"holds it, or choose another with {option}"
            ) from None


def _start_clickhouse_http(config: ServeConfig) -> clickhouse_http.Listener | None:
    """The read-only ClickHouse HTTP interface over the embedded store, if wanted and possible.

    A taken port is said in one line and serve runs on without it: ingest matters more.
    """
    parsed = store.StoreURL.parse(config.clickhouse_url)
    if not config.clickhouse_http_port or not parsed.embedded:
        return None  # a ClickHouse server answers its own clients
    # A client that may write, to create a dropped bookkeeping table again.
    calls = StoreCalls(lambda: store.connect(config.clickhouse_url), config.cluster)
    try:
        listener = clickhouse_http.start(
            parsed.path,
            parsed.database,
            config.host,
            config.clickhouse_http_port,
            config.auth_token,
            repair=lambda: calls(create_missing, config.cluster),
        )
    except OSError as exc:
        print(
            f"tokentrace serve: ClickHouse HTTP port {config.host}:{config.clickhouse_http_port} "
            f"unavailable ({exc.strerror or exc}); running without the ClickHouse interface "
            "(choose another with --clickhouse-http-port PORT, 0 turns it off)",
            file=sys.stderr,
            flush=True,
        )
        return None
    print(
        f"tokentrace serve: read-only ClickHouse HTTP interface "
        f"http://{config.host}:{listener.port} (database {parsed.database})",
        flush=True,
    )
    return listener
