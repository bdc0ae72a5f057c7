"""``tokentrace demo``: real cost analytics in a minute, with no API key or server."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from tokentrace.processor.store import store


def register(subparsers: argparse._SubParsersAction) -> None:
    default_dir = store.default_data_dir().parent / "demo"
    parser = subparsers.add_parser(
        "demo",
        help="run a realistic workload through the real pipeline and print the report",
        description="Starts tokentrace serve on a fresh embedded store, drives instrumented "
        "apps (real openai/anthropic SDKs) against built-in provider stand-ins on 127.0.0.1, "
        "backfills weeks of history, sets budgets and prints the report.",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=default_dir,
        help=f"the demo's own store, wiped at start (default {default_dir})",
    )
    parser.add_argument("--days", type=int, default=42, help="days of history (default 42)")
    parser.add_argument(
        "--calls-per-day", type=int, default=1500, help="weekday calls in history (default 1500)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tokentrace.processor.demo.run import DemoConfig
    from tokentrace.processor.demo.run import run as run_demo

    if args.days < 8 or args.calls_per_day < 1:
        raise SystemExit("tokentrace demo: --days must be at least 8 and --calls-per-day positive")
    run_demo(
        DemoConfig(data_dir=args.data_dir, days=args.days, calls_per_day=args.calls_per_day),
        Console(),
    )
    return 0
