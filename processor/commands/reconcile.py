"""``tokentrace reconcile [--since 30d]``: import the providers' usage and cost reports once.

Days already imported are not fetched again, except the last two, which providers still
revise. It writes to the store directly (embedded chDB or ``--clickhouse`` server), or —
when a running ``tokentrace serve`` holds the embedded store, or with ``--api`` — fetches
with this shell's admin keys and hands the rows to serve, so the keys never leave here.
Then ``tokentrace report`` shows the reconciliation.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime

from tokentrace.processor.api import client as serve_client
from tokentrace.processor.commands.options import (
    StoreHeld,
    add_api_option,
    add_store_options,
    connect_or_defer,
)
from tokentrace.processor.reconcile import rows, run, store_days
from tokentrace.processor.report.window import parse_since
from tokentrace.processor.store import store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reconcile",
        help="import the providers' usage and cost reports to diff them with metered cost",
        description="Imports OpenAI's Usage and Costs APIs (OPENAI_ADMIN_KEY) and Anthropic's "
        "usage and cost reports (ANTHROPIC_ADMIN_KEY) into the store, replacing the days it "
        "imports. Base URLs: TOKENTRACE_OPENAI_ADMIN_URL, TOKENTRACE_ANTHROPIC_ADMIN_URL.",
    )
    add_store_options(parser)
    parser.add_argument(
        "--since",
        default=f"{run.DEFAULT_SINCE_DAYS}d",
        help="how far back to import, in whole UTC days up to today: 7d, 4w (default 30d)",
    )
    add_api_option(parser, "write through")
    parser.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    try:
        days = parse_since(args.since).days
        if days < 1:
            raise ValueError(f"--since takes at least one day (1d): {args.since!r}")
    except ValueError as exc:
        print(f"tokentrace reconcile: {exc}", file=sys.stderr)
        return 2
    chosen = run.sources()
    if not chosen:
        print(f"tokentrace reconcile: {run.missing_keys_message()}", file=sys.stderr)
        return 2
    today = datetime.now(UTC).date()
    try:
        outcomes = _run(args, chosen, today, days)
    except (serve_client.ServeError, serve_client.ServeUnreachable) as exc:
        print(f"tokentrace reconcile: {exc}", file=sys.stderr)
        return 1
    for outcome in outcomes:
        print(outcome.line(), file=sys.stderr if outcome.error else sys.stdout)
    return 1 if any(o.error for o in outcomes) else 0


def _run(
    args: argparse.Namespace, chosen: list[run.Source], today: date, days: int
) -> list[run.Outcome]:
    if not args.api:
        try:
            client = connect_or_defer(args)
        except StoreHeld as held:
            return _through_api(held.api, chosen, today, days)
        store.migrate(client, cluster=args.cluster)
        return run.run_on_store(client, chosen, today, days)
    return _through_api(args.api, chosen, today, days)


def _through_api(
    base_url: str, chosen: list[run.Source], today: date, days: int
) -> list[run.Outcome]:
    def plan(provider: str, since: date, day: date) -> tuple[date, date]:
        query = [("provider", provider), ("since", since.isoformat()), ("today", day.isoformat())]
        answer = serve_client.call(base_url, "/api/v1/reconcile/plan", query=query)
        return date.fromisoformat(answer["first"]), date.fromisoformat(answer["last"])

    def write(report: rows.Report) -> store_days.Written:
        answer = serve_client.call(
            base_url, "/api/v1/reconcile/reports", method="POST", body=rows.to_json(report)
        )
        return store_days.Written(**answer)

    return run.run(write, plan, chosen, today, days)
