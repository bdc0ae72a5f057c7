"""``tokentrace serve``: receive OTLP traces, price each LLM call, store it in ClickHouse."""

from __future__ import annotations

import argparse
import logging
import math
import os
import re
from pathlib import Path

from tokentrace.processor.api.client import ENV_AUTH_TOKEN
from tokentrace.processor.commands.options import (
    StoreHeld,
    add_store_options,
    held_message,
    holder_of,
    named_store_path,
    note_serve,
    store_url,
)
from tokentrace.processor.http_server import Limits
from tokentrace.processor.receivers.otlp_codec import DEFAULT_MAX_SPANS
from tokentrace.processor.store import retention, store

_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "ki": 2**10, "mi": 2**20, "gi": 2**30}


def byte_size(text: str) -> int:
    """An ``argparse`` type: ``1048576``, ``512MiB``, ``1GB``, ``64k`` …"""
    match = re.fullmatch(r"\s*(\d+)\s*([kmg]i?)?b?\s*", text.lower())
    if match is None or int(match[1]) == 0:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: use e.g. 16MiB or 1000000")
    return int(match[1]) * _UNITS[match[2] or ""]


def default_spool_dir(store_name: str | None = None) -> Path:
    """Beside the embedded store, in the tokentrace data directory; a named store's
    (``--store NAME``) beside it, so two stores never drain each other's spool."""
    if store_name and store_name != "default":
        return named_store_path(store_name).parent / "spool"
    return store.default_data_dir().parent / "spool"


def _positive_days(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"invalid number of days {text!r}: a whole number ≥ 1")
    return int(text)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="receive OTLP traces, price each LLM call, store it",
        description="OTLP/HTTP (protobuf and JSON) and OTLP/gRPC receiver that prices every "
        "GenAI span and stores it in ClickHouse. A request is acknowledged once its rows are "
        f"durable in the spool. Set ${ENV_AUTH_TOKEN} to require 'Authorization: Bearer "
        "<token>' (gRPC: metadata 'authorization'). Also serves /healthz, /readyz, /metrics "
        "and the readers' API (/api/v1/views) on the HTTP port. Spooled batches replay "
        "exactly once after a crash while ClickHouse still holds their deduplication "
        "tokens (its last 100,000 inserts).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--http-port", type=int, default=4318, help="OTLP/HTTP port (default 4318)")
    parser.add_argument(
        "--grpc-port", type=int, default=4317, help="OTLP/gRPC port (default 4317; 0 turns it off)"
    )
    parser.add_argument(
        "--clickhouse-http-port",
        type=int,
        default=8123,
        help="read-only ClickHouse HTTP interface over the embedded store, for Grafana and "
        "ClickHouse clients (default 8123; 0 turns it off; with TOKENTRACE_AUTH_TOKEN set the "
        "token is the password)",
    )
    add_store_options(parser)
    parser.add_argument(
        "--spool-dir",
        type=Path,
        default=None,
        help=f"write-ahead spool directory (default {default_spool_dir()})",
    )
    parser.add_argument(
        "--spool-max-bytes",
        type=byte_size,
        default=1 << 30,
        help="spool size at which requests get 503 + Retry-After (default 1GiB)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=byte_size,
        default=64 << 20,
        help="largest request body, compressed or not: 413 (gRPC RESOURCE_EXHAUSTED) above it "
        "(default 64MiB, the OTel Python OTLP/HTTP exporter's own limit)",
    )
    parser.add_argument(
        "--max-spans-per-request",
        type=positive_int,
        default=DEFAULT_MAX_SPANS,
        help=f"most spans one export may hold: 413 above it (default {DEFAULT_MAX_SPANS:,})",
    )
    defaults = Limits()
    parser.add_argument(
        "--max-connections",
        type=positive_int,
        default=0,
        help="open HTTP connections at most; the oldest idle one is closed to make room, "
        "else 503 + Retry-After (default: the open-files limit less 384, at most 1024)",
    )
    parser.add_argument(
        "--max-in-flight",
        type=positive_int,
        default=defaults.max_in_flight,
        help="HTTP requests answered at once: 503 + Retry-After above it, health probes "
        f"aside (default {defaults.max_in_flight})",
    )
    parser.add_argument(
        "--head-timeout",
        type=positive_seconds,
        default=defaults.head_timeout,
        help="seconds a client has to send a request's headers: 408 after "
        f"(default {defaults.head_timeout:g})",
    )
    parser.add_argument(
        "--body-timeout",
        type=positive_seconds,
        default=defaults.body_timeout,
        help=f"seconds a client has to send a request's body: 408 after "
        f"(default {defaults.body_timeout:g})",
    )
    parser.add_argument(
        "--idle-timeout",
        type=positive_int,
        default=defaults.idle_timeout,
        help="seconds a kept-alive HTTP connection may idle between requests "
        f"(default {defaults.idle_timeout})",
    )
    parser.add_argument(
        "--retention-days",
        type=_positive_days,
        default=retention.DEFAULT_DAYS,
        metavar="N",
        help=f"delete raw calls (llm_calls) N days after they happened; the hourly and daily "
        f"rollups are kept (default {retention.DEFAULT_DAYS})",
    )
    parser.add_argument(
        "--prices-update",
        nargs="?",
        const="",  # genai-prices' own URL, resolved in run (importing genai-prices is slow)
        default=None,
        metavar="URL",
        help="fetch genai-prices' live price data (with genai-prices' own updater) at start "
        "and every --prices-update-interval, instead of only the data bundled with this "
        "version; URL: a mirror of the data file, for air-gapped sites (default: "
        "genai-prices' own URL). Corrections and the prices file stay on top. When new data "
        "changes the price of stored calls, the log and /api/v1/prices/update say which days "
        "to re-price",
    )
    parser.add_argument(
        "--prices-update-interval",
        type=positive_seconds,
        default=3600.0,
        metavar="SECONDS",
        help="seconds between price data fetches with --prices-update (default 3600)",
    )
    parser.set_defaults(func=run)


def positive_int(text: str) -> int:
    """An ``argparse`` type: a whole number above zero."""
    if not text.strip().isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"invalid count {text!r}: use a whole number above 0")
    return int(text)


def positive_seconds(text: str) -> float:
    """An ``argparse`` type: seconds above zero, e.g. ``10`` or ``2.5``."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (0 < seconds < math.inf):
        raise argparse.ArgumentTypeError(f"invalid seconds {text!r}: use e.g. 10 or 2.5")
    return seconds


def _prices_update_url(given: str | None) -> str | None:
    """The data file URL of ``--prices-update`` (none given: genai-prices' own)."""
    if given is None:
        return None
    from genai_prices.update_prices import DEFAULT_UPDATE_URL

    if given and not re.match(r"https?://", given):
        raise SystemExit(
            f"tokentrace serve: --prices-update {given!r} is not an http(s) URL of a "
            "genai-prices data file"
        )
    return given or DEFAULT_UPDATE_URL


def run(args: argparse.Namespace) -> int:
    from tokentrace.processor.server import ServeConfig, serve  # heavy: only when serving

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    url = store_url(args)
    try:
        parsed = store.StoreURL.parse(url)
    except ValueError as exc:
        raise SystemExit(f"tokentrace serve: {exc}") from None
    config = ServeConfig(
        host=args.host,
        http_port=args.http_port,
        grpc_port=args.grpc_port,
        clickhouse_url=url,
        cluster=args.cluster,
        spool_dir=args.spool_dir or default_spool_dir(args.store if not args.clickhouse else None),
        spool_max_bytes=args.spool_max_bytes,
        max_body_bytes=args.max_body_bytes,
        auth_token=os.environ.get(ENV_AUTH_TOKEN) or None,
        clickhouse_http_port=args.clickhouse_http_port,
        max_spans_per_request=args.max_spans_per_request,
        retention_days=args.retention_days,
        prices_update_url=_prices_update_url(args.prices_update),
        prices_update_interval=args.prices_update_interval,
        limits=Limits(
            head_timeout=args.head_timeout,
            body_timeout=args.body_timeout,
            idle_timeout=args.idle_timeout,
            max_connections=args.max_connections,
            max_in_flight=args.max_in_flight,
        ),
    )
    if not parsed.embedded:
        return serve(config)
    path = Path(parsed.path)
    holder = holder_of(path)
    if holder is not None:
        fix = "stop it first, or read through it with --api"
        raise SystemExit(f"tokentrace serve: {held_message(StoreHeld(parsed.path, holder), fix)}")
    path.mkdir(parents=True, exist_ok=True)
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    note = note_serve(path, f"http://{host}:{args.http_port}")
    try:
        return serve(config)
    finally:
        if note is not None:
            note.unlink(missing_ok=True)
