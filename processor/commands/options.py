"""Options shared by several commands, defined once so their names never drift."""

from __future__ import annotations

import argparse
import fcntl
import os
from datetime import UTC, datetime
from pathlib import Path

from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ProgrammingError

from tokentrace.processor.store import store

# Where ``tokentrace serve`` answers by default: readers and budgets go there when serve
# holds the embedded store.
DEFAULT_API = "http://127.0.0.1:4318"


def add_api_option(parser: argparse.ArgumentParser, purpose: str) -> None:
    """``--api URL`` (env ``TOKENTRACE_API_URL``): go through a running ``tokentrace serve``."""
    parser.add_argument(
        "--api",
        metavar="URL",
        default=os.environ.get("TOKENTRACE_API_URL"),
        help=f"{purpose} a running tokentrace serve (env TOKENTRACE_API_URL); automatic "
        f"when serve holds the embedded store ({DEFAULT_API})",
    )


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """``--clickhouse URL`` (env ``TOKENTRACE_CLICKHOUSE_URL``) and ``--cluster NAME``."""
    parser.add_argument(
        "--clickhouse",
        metavar="URL",
        default=None,
        help=f"chdb:///path (embedded) or http(s)://user:pass@host:8123/db "
        f"(default: ${store.ENV_URL} or chdb://{store.default_data_dir()})",
    )
    parser.add_argument(
        "--cluster",
        metavar="NAME",
        default=None,
        help="emit ON CLUSTER DDL with Replicated engines for a ClickHouse cluster",
    )


class StoreHeld(Exception):
    """The embedded store is held by another process: go through its serve API."""


def connect_or_defer(args: argparse.Namespace) -> Client:
    """Open the store; raise :class:`StoreHeld` when another process (a running
    ``tokentrace serve``) holds the embedded store, so the caller can use serve's API."""
    try:
        return store.connect(args.clickhouse)
    except ProgrammingError:
        parsed = store.StoreURL.parse(args.clickhouse or store.default_url())
        if parsed.embedded and held_by_another_process(Path(parsed.path)):
            raise StoreHeld(parsed.path) from None
        raise


def connect_store(args: argparse.Namespace) -> Client:
    """Open the store named by ``--clickhouse``; exit with a clear message when a running
    ``tokentrace serve`` holds the embedded store (one process per chDB path)."""
    try:
        return connect_or_defer(args)
    except StoreHeld as exc:
        raise SystemExit(
            f"tokentrace {args.command}: the embedded store {exc} is in use by another "
            "process (a running `tokentrace serve`?); stop it first, or point --clickhouse "
            "at a ClickHouse server"
        ) from exc


def held_by_another_process(path: Path) -> bool:
    """ClickHouse holds an exclusive flock on ``status`` in its data directory while it runs."""
    try:
        fd = os.open(path / "status", os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def parse_datetime(text: str) -> datetime:
    """An ``argparse`` type: ``2026-11-02`` or an ISO 8601 time (naive = UTC), made aware."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid date {text!r}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+00:00]"
        ) from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
