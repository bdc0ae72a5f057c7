"""``tokentrace report``: the cost views in a terminal, as JSON, or as an HTML page.

It reads the store directly (embedded chDB or a ClickHouse server), or — when a running
``tokentrace serve`` holds the embedded store, or with ``--api`` — through serve's HTTP
API, which answers the very same views. It never creates a store: reading one that does
not exist is an error that names the fix.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from pathlib import Path

from clickhouse_connect.driver.exceptions import ClickHouseError

from tokentrace.processor.api import client as serve_client
from tokentrace.processor.commands.options import (
    StoreHeld,
    add_api_option,
    add_store_options,
    connect_or_defer,
    has_calls,
    held_message,
    other_store_hint,
    store_url,
)
from tokentrace.processor.report import document, filters, html, terminal, window
from tokentrace.processor.store import store, views


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="spend report: terminal tables, --format json, or --format html"
    )
    add_store_options(parser)
    parser.add_argument(
        "--since",
        help="window length back from now: 30m, 24h (exact), 7d, 4w (whole UTC days "
        "ending today); default 30d",
    )
    parser.add_argument("--from", dest="start", metavar="DATE", help="window start (ISO date)")
    parser.add_argument("--to", dest="end", metavar="DATE", help="window end (ISO date, inclusive)")
    parser.add_argument(
        "--where",
        action="append",
        metavar="KEY=VALUE",
        help="filter, repeatable (team=growth); a repeated key matches any of its values; "
        f"keys: {', '.join(window.FILTER_KEYS)}",
    )
    parser.add_argument(
        "--top",
        type=_top,
        default=document.DEFAULT_TOP,
        metavar="N",
        help="tenants listed before one '(other)' row summing the rest "
        f"(default {document.DEFAULT_TOP})",
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
    if args.output:
        _check_writable(Path(args.output))
    source, held = _source(args)
    try:
        unmatched = filters.unmatched(source, span.filters)
        if unmatched:
            print(f"tokentrace report: {unmatched}", file=sys.stderr)
            return 1
        doc = document.build(document.fetcher(source, span), span, top=args.top)
    except serve_client.ServeUnreachable:
        if held is not None:
            fix = f"no tokentrace serve answers at {held.api}: pass --api URL of the serve"
            message = held_message(held, fix + " that holds it")
            raise SystemExit(f"tokentrace report: {message}") from None
        raise SystemExit(
            f"tokentrace report: no tokentrace serve answers at {args.api}: check --api, or "
            "start tokentrace serve"
        ) from None
    except serve_client.ServeError as exc:
        raise SystemExit(f"tokentrace report: {exc}") from None
    except ClickHouseError as exc:
        first = str(exc).strip().splitlines()[0]
        raise SystemExit(f"tokentrace report: the store answered with an error: {first}") from None
    if args.format == "json":
        _write(args.output, json.dumps(doc, indent=2) + "\n")
    elif args.format == "html":
        _write(args.output, html.render(doc))
    elif args.output:
        buffer = io.StringIO()
        from rich.console import Console

        terminal.render(doc, Console(file=buffer, width=120))
        _write(args.output, buffer.getvalue())
    else:
        terminal.render(doc)
    if held is None and not args.api and doc["totals"]["requests"] == 0:
        _say_if_empty(args)
    return 0


def _top(text: str) -> int:
    """An ``argparse`` type: a whole number from 1 to ``views.MAX_TOP``."""
    if not text.strip().isdigit() or not 1 <= int(text) <= views.MAX_TOP:
        raise argparse.ArgumentTypeError(
            f"invalid count {text!r}: use a whole number from 1 to {views.MAX_TOP}"
        )
    return int(text)


def _source(args: argparse.Namespace) -> tuple[document.Source, StoreHeld | None]:
    """The store itself, or the API of the serve that holds it (silently: that is the
    normal way to read a running embedded store), or ``--api``."""
    if args.api:
        return document.api_source(args.api), None
    try:
        return document.store_source(connect_or_defer(args, create=False)), None
    except StoreHeld as held:
        return document.api_source(held.api), held


def _say_if_empty(args: argparse.Namespace) -> None:
    """An empty report from an empty store, while another store has calls: say which."""
    url = store_url(args)
    parsed = store.StoreURL.parse(url)
    if parsed.embedded and not has_calls(Path(parsed.path), parsed.database):
        hint = other_store_hint("report", url)
        if hint:
            print(f"tokentrace report: the store {url} has no calls yet{hint}", file=sys.stderr)


def _check_writable(path: Path) -> None:
    """Fail before querying, in one line, when ``-o`` cannot be written."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        problem = "is a directory"
    elif not folder.is_dir():
        problem = f"folder {folder} does not exist"
    elif not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        problem = "permission denied"
    else:
        return
    raise SystemExit(f"tokentrace report: cannot write -o {path}: {problem}; pick another path")


def _write(path: str | None, text: str) -> None:
    if not path:
        sys.stdout.write(text)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SystemExit(
            f"tokentrace report: cannot write -o {path}: {exc.strerror}; pick another path"
        ) from None
