"""``tokentrace reprice``: re-price stored calls after a price change, rollups included."""

from __future__ import annotations

import argparse
import json
from decimal import Decimal

from tokentrace.processor.api import client as serve_client
from tokentrace.processor.commands.options import (
    DEFAULT_API,
    StoreHeld,
    add_api_option,
    add_store_options,
    connect_or_defer,
    parse_datetime,
)
from tokentrace.processor.pricing.overrides import PricesFileError
from tokentrace.processor.pricing.pricer import ENV_PRICES_FILE, Pricer
from tokentrace.processor.pricing.reprice import (
    RepriceResult,
    check_retention,
    reprice,
    result_from_json,
    result_json,
)
from tokentrace.processor.store import store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reprice",
        help="re-price stored calls with the current prices",
        description="Re-price the calls stored in [--since, --until) with the current "
        "genai-prices data and prices file, including calls stored unpriced; the hourly and "
        "daily rollups take the difference (never rebuilt, so spans ingested meanwhile count "
        "once), and for the whole UTC days the range touches are brought to match the calls. "
        "While a tokentrace serve holds the embedded store (or with --api), serve runs it with "
        "its sink paused and its own prices file. A run that died midway is finished by the "
        "next one.",
    )
    parser.add_argument(
        "--since", type=parse_datetime, required=True, metavar="DATE", help="UTC, inclusive"
    )
    parser.add_argument(
        "--until",
        type=parse_datetime,
        default=None,
        metavar="DATE",
        help="UTC, exclusive (default: just after the latest stored call)",
    )
    parser.add_argument(
        "--prices-file", default=None, help=f"YAML prices file (default: ${ENV_PRICES_FILE})"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_store_options(parser)
    add_api_option(parser, "re-price through")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.api:
        result = _through_serve(args, args.api)
    else:
        try:
            client = connect_or_defer(args)
        except StoreHeld:
            result = _through_serve(args, DEFAULT_API)
        else:
            try:
                pricer = Pricer(args.prices_file)
            except PricesFileError as exc:
                raise SystemExit(f"tokentrace reprice: {exc}") from None
            store.migrate(client, cluster=args.cluster)
            try:
                check_retention(client, args.since)
                result = reprice(client, pricer, args.since, args.until)
            except ValueError as exc:
                raise SystemExit(f"tokentrace reprice: {exc}") from None
    print(json.dumps(result_json(result), indent=2) if args.format == "json" else render(result))
    return 0


def _through_serve(args: argparse.Namespace, api: str) -> RepriceResult:
    """Serve runs it, with its sink paused and the prices file it is configured with."""
    if args.prices_file:
        raise SystemExit(
            "tokentrace reprice: serve re-prices with its own prices file "
            f"(${ENV_PRICES_FILE} where it runs); drop --prices-file, or stop serve"
        )
    body = {"since": args.since.isoformat(), "until": args.until and args.until.isoformat()}
    try:
        answer = serve_client.call(api, "/api/v1/reprice", method="POST", body=body, timeout=3600)
    except (serve_client.ServeError, serve_client.ServeUnreachable) as exc:
        raise SystemExit(f"tokentrace reprice: {exc}") from None
    return result_from_json(answer)


def _cost(value: Decimal | None, unknown: int = 0) -> str:
    """A cost as the report shows it: ``unknown``, never $0, for calls of unknown cost."""
    if value is None:
        return "unknown"
    return f"${value:,.6f}" + (f" + {unknown:,} unknown" if unknown else "")


def render(result: RepriceResult) -> str:
    before, after = result.cost_before, result.cost_after
    # the change of the known cost, said only when both sides are known in full
    known = not (result.unpriced_before or result.unpriced_after)
    delta = (
        f"  ({after - before:+,.6f})" if known and before is not None and after is not None else ""
    )
    lines = [
        f"re-priced calls from {result.since:%Y-%m-%d %H:%M:%S} to "
        f"{result.until:%Y-%m-%d %H:%M:%S} UTC",
        f"  calls in range   {result.rows:,}",
        f"  changed          {result.changed:,} ({result.newly_priced:,} newly priced, "
        f"{result.newly_unpriced:,} now unpriced)",
        f"  cost before      {_cost(before, result.unpriced_before)}",
        f"  cost after       {_cost(after, result.unpriced_after)}{delta}",
        f"  rollups checked  {result.rollups_from:%Y-%m-%d} to {result.rollups_until:%Y-%m-%d} "
        "(whole UTC days)",
    ]
    for change in result.changes:
        before = change.model_before + ("" if change.priced_before else " (unpriced)")
        after = change.model_after + ("" if change.priced_after else " (unpriced)")
        lines.append(
            f"    {change.provider} {before} → {after}: {change.rows:,} calls, "
            f"{_cost(change.cost_before)} → {_cost(change.cost_after)}"
        )
    return "\n".join(lines)
