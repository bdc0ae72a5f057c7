"""``tokentrace reprice``: re-price stored calls after a price change, rollups included."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tokentrace.processor.commands.options import (
    add_store_options,
    connect_store,
    parse_datetime,
)
from tokentrace.processor.pricing.overrides import PricesFileError
from tokentrace.processor.pricing.pricer import ENV_PRICES_FILE, Pricer
from tokentrace.processor.pricing.reprice import RepriceResult, reprice
from tokentrace.processor.store import retention, store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reprice",
        help="re-price stored calls with the current prices",
        description="Re-price the calls stored in [--since, --until) with the current "
        "genai-prices data and prices file, including calls stored unpriced, then rebuild the "
        "hourly and daily rollups for the whole UTC days the range touches. Run it while no "
        "spans are being ingested for those days.",
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
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        pricer = Pricer(args.prices_file)
    except PricesFileError as exc:
        raise SystemExit(f"tokentrace reprice: {exc}") from None
    client = connect_store(args)
    store.migrate(client, cluster=args.cluster)
    _check_retention(client, args.since)
    try:
        result = reprice(client, pricer, args.since, args.until)
    except ValueError as exc:
        raise SystemExit(f"tokentrace reprice: {exc}") from None
    print(json.dumps(as_json(result), indent=2) if args.format == "json" else render(result))
    return 0


def _check_retention(client, since: datetime) -> None:
    """Refuse days whose calls may have expired: rebuilding their rollups from the calls
    left would lose the spend the rollups still hold."""
    kept = retention.days(client)
    if kept is None:
        return
    earliest = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    earliest -= timedelta(days=kept - 1)
    if since < earliest:
        raise SystemExit(
            f"tokentrace reprice: calls are kept {kept} days (serve --retention-days), so "
            f"days before {earliest:%Y-%m-%d} may have lost theirs and their rollups cannot be "
            f"rebuilt; use --since {earliest:%Y-%m-%d} or later"
        )


def as_json(result: RepriceResult) -> dict:
    def plain(value: object) -> object:
        if isinstance(value, Decimal):
            return str(value)
        if hasattr(value, "isoformat"):
            return value.isoformat()
        return value

    document = {key: plain(value) for key, value in result.__dict__.items() if key != "changes"}
    document["changes"] = [
        {key: plain(value) for key, value in change.__dict__.items()} for change in result.changes
    ]
    return document


def render(result: RepriceResult) -> str:
    delta = result.cost_after - result.cost_before
    lines = [
        f"re-priced calls from {result.since:%Y-%m-%d %H:%M:%S} to "
        f"{result.until:%Y-%m-%d %H:%M:%S} UTC",
        f"  calls in range   {result.rows:,}",
        f"  changed          {result.changed:,} ({result.newly_priced:,} newly priced, "
        f"{result.newly_unpriced:,} now unpriced)",
        f"  cost before      ${result.cost_before:,.6f}",
        f"  cost after       ${result.cost_after:,.6f}  ({delta:+,.6f})",
        f"  rollups rebuilt  {result.rollups_from:%Y-%m-%d} to {result.rollups_until:%Y-%m-%d} "
        "(whole UTC days)",
    ]
    for change in result.changes:
        before = change.model_before + ("" if change.priced_before else " (unpriced)")
        after = change.model_after + ("" if change.priced_after else " (unpriced)")
        lines.append(
            f"    {change.provider} {before} → {after}: {change.rows:,} calls, "
            f"${change.cost_before:,.6f} → ${change.cost_after:,.6f}"
        )
    return "\n".join(lines)
