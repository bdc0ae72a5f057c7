"""Options shared by several commands, defined once so their names never drift."""

from __future__ import annotations

import argparse

from tokentrace.processor import store


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
