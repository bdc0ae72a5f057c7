"""``tokentrace report``: the cost views in a terminal, as JSON, or as an HTML page.

It reads the store directly (embedded chDB or a ClickHouse server), or — when a running
``tokentrace serve`` holds the embedded store, or with ``--api`` — through serve's HTTP
API, which answers the very same views.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tokentrace.processor.api import client as serve_client
from tokentrace.processor.commands.options import (
    DEFAULT_API,
    StoreHeld,
    add_api_option,
    add_store_options,
    connect_or_defer,
)
from tokentrace.processor.report import document, html, terminal, window


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="spend report: terminal tables, --format json, or --format html"
    )
    add_store_options(parser)
    parser.add_argument("--since", help="window length back from now: 30m, 24h, 7d, 4w (30d)")
    parser.add_argument("--from", dest="start", metavar="DATE", help="window start (ISO date)")
    parser.add_argument("--to", dest="end", metavar="DATE", help="window end (ISO date, inclusive)")
    parser.add_argument(
        "--where",
        action="append",
        metavar="KEY=VALUE",
        help="filter, repeatable (team=growth); a repeated key matches any of its values",
    )
    parser.add_argument("--format", choices=("text", "json", "html"), default="text")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    add_api_option(parser, "read through")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        span = window.build(args.since, args.start, args.end, args.where)
    except ValueError as exc:
        print(f"tokentrace report: {exc}", file=sys.stderr)
        return 2
    try:
        doc = document.build(_fetcher(args, span), span)
    except (serve_client.ServeError, serve_client.ServeUnreachable) as exc:
        print(f"tokentrace report: {exc}", file=sys.stderr)
        return 1
    if args.format == "json":
        _write(args.output, json.dumps(doc, indent=2) + "\n")
    elif args.format == "html":
        _write(args.output or "report.html", html.render(doc))
        if not args.output:
            print("wrote report.html", file=sys.stderr)
    elif args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            from rich.console import Console

            terminal.render(doc, Console(file=out, width=120))
    else:
        terminal.render(doc)
    return 0


def _fetcher(args: argparse.Namespace, span: window.Window) -> document.Fetch:
    if args.api:
        return document.api_fetcher(args.api, span)
    try:
        return document.store_fetcher(connect_or_defer(args), span)
    except StoreHeld:
        return document.api_fetcher(DEFAULT_API, span)


def _write(path: str | None, text: str) -> None:
    if path:
        Path(path).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
