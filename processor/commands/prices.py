"""``tokentrace prices MODEL``: the price a call to MODEL is charged, and where it comes from."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, time
from decimal import Decimal

from genai_prices.types import TieredPrices

from tokentrace.instrumentation.providers import model_owner
from tokentrace.processor.commands.options import parse_datetime
from tokentrace.processor.pricing import rules
from tokentrace.processor.pricing.overrides import RATE_KEYS, PricesFileError
from tokentrace.processor.pricing.pricer import ENV_PRICES_FILE, Period, Pricer
from tokentrace.processor.pricing.units import (
    OUTPUT_IMAGES_PRICE,
    USAGE_KEYS,
    rate_above,
    usage_key,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "prices",
        help="show the price that applies to a model",
        description="Show the per-million-token rates tokentrace charges for MODEL at a date, "
        "with long-context tiers, the price source and its version, and the period it is "
        "valid for. Exits with 1 when the model has no price (its calls are stored unpriced).",
    )
    parser.add_argument("model", metavar="MODEL", nargs="?", help="model name as a span reports it")
    parser.add_argument(
        "--check",
        action="store_true",
        help="list tokentrace's price corrections, each with its source and date checked, "
        "and what genai-prices says instead (offline)",
    )
    parser.add_argument(
        "--provider",
        default="",
        help="provider as in gen_ai.provider.name (openai, gcp.gemini, aws.bedrock…); "
        "default: found from the model name",
    )
    parser.add_argument(
        "--at",
        type=parse_datetime,
        default=None,
        metavar="DATE",
        help="price in force at this UTC date or time (default: now)",
    )
    parser.add_argument(
        "--service-tier", default="", help="batch, flex, priority… (default: standard)"
    )
    parser.add_argument(
        "--prices-file", default=None, help=f"YAML prices file (default: ${ENV_PRICES_FILE})"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.check:
        return check(args.format)
    if not args.model:
        raise SystemExit("tokentrace prices: give a MODEL, or --check to list the corrections")
    at = args.at or datetime.now(UTC)
    try:
        pricer = Pricer(args.prices_file)
    except PricesFileError as exc:
        raise SystemExit(f"tokentrace prices: {exc}") from None
    # Without --provider, the model's owner as the extractor names it for a span that gives
    # none (genai-prices' provider patterns alone miss text-embedding-3-small, embed-v4.0…).
    provider = args.provider or model_owner(args.model) or ""
    first = pricer.first_day(provider, args.model, args.service_tier)
    if at.date() < first:
        print(
            f"tokentrace prices: no price known for model {args.model!r} at {at:%Y-%m-%d} "
            f"UTC: no price applies before {first:%Y-%m-%d} (the model's release, or the first "
            "LLM API's); its calls then are stored unpriced.",
            file=sys.stderr,
        )
        return 1
    period = pricer.quote(provider, args.model, at, args.service_tier)
    if period is None or period.compiled is None:
        provider = f" from provider {args.provider!r}" if args.provider else ""
        why = f" ({period.reason}: {period.unknown or _REASONS[period.reason]})" if period else ""
        print(
            f"tokentrace prices: no price for model {args.model!r}{provider} at "
            f"{at:%Y-%m-%d %H:%M} UTC{why}; its calls are stored unpriced. Add it to a prices "
            f"file (${ENV_PRICES_FILE}) to price them.",
            file=sys.stderr,
        )
        return 1
    document = describe(period, args, at)
    if args.format == "json":
        print(json.dumps(document, indent=2))
    else:
        print(render(document))
    return 0


_REASONS = {
    "no_rate": "no rate for this service tier in the price data, and no provider rule for it",
    "not_per_token": "priced per hour, page or character, not per token",
}
_RULES = {rule.name: rule for rule in rules.RULES}
# Rates in units other than tokens (units.METERED_KEYS' price keys), as the text names them.
_UNIT_NAMES = {
    "input_mchars": "per million characters",
    "audio_hours": "per hour of audio",
    "input_audio_hours": "per hour of audio in",
    "web_searches_kcount": "per 1,000 web searches",
    "input_document_kpages": "per 1,000 pages",
    "input_annotated_document_kpages": "per 1,000 annotated pages",
    OUTPUT_IMAGES_PRICE: "per 1,000 images",
}


def describe(period: Period, args: argparse.Namespace, at: datetime) -> dict:
    """The price as plain data; money as strings so no digit is lost."""
    rates = {key: getattr(period.prices, f"{key}_mtok") for key in RATE_KEYS}
    rates.update(
        (key.removesuffix("_mtok"), value)
        for key, value in period.prices.__dict__.items()
        if key.endswith("_mtok") and value is not None
    )
    base = {key: _text(_base(rate)) for key, rate in rates.items()}
    thresholds = sorted(
        {t.start for rate in rates.values() if isinstance(rate, TieredPrices) for t in rate.tiers}
    )
    tiers = [
        {
            "above_input_tokens": above,
            **{key: _text(rate_above(rate, above)) for key, rate in rates.items()},
        }
        for above in thresholds
    ]
    fee = period.prices.requests_kcount
    # a unit the price data rates but tokentrace leaves unpriced (a rule: no_rate) has no rate
    # here: null, never a rate no call is charged at
    unpriced = {USAGE_KEYS[field] for field in period.no_rate}
    per_unit = {
        key: None if usage_key(key) in unpriced else _text(value)
        for key, value in period.prices.__dict__.items()
        if key in _UNIT_NAMES and value is not None
    }
    return {
        "model": period.model,
        "requested_model": args.model,
        "provider": period.provider,
        "service_tier": args.service_tier,
        "at": at.isoformat(),
        "source": period.source,
        "price_version": period.price_version,
        "valid_from": period.valid_from.isoformat() if period.valid_from else None,
        "valid_to": period.valid_to.isoformat() if period.valid_to else None,
        "hours_utc": [f"{t:%H:%M}" for t in period.hours_utc] if period.hours_utc else None,
        "usd_per_million_tokens": base,
        "tiers": tiers,
        "usd_per_1000_requests": _text(fee),
        "usd_per_unit": per_unit,
        "note": period.note,
        "rules": [
            {
                "name": name,
                "description": _RULES[name].description,
                "source": _RULES[name].source,
                "applies_to": "every call",
            }
            for name in filter(None, period.rule.split("+"))
        ]
        + [
            {
                "name": name,
                "description": _RULES[name].description,
                "source": _RULES[name].source,
                "applies_to": f"calls with {USAGE_KEYS[field]}",
            }
            for field, name in period.rules_by_count
        ]
        + _long_context(period.long_context),
        "unpriced_when_non_zero": [USAGE_KEYS[field] for field in period.no_rate],
    }


def _long_context(long: rules.LongContext | None) -> list[dict]:
    if long is None:
        return []
    counted = "input and output tokens" if long.total else "input tokens"
    return [
        {
            "name": long.rule.name,
            "description": long.rule.description,
            "source": long.rule.source,
            "applies_to": f"calls above {long.above:,} {counted}: unpriced",
            "unpriced_above_tokens": long.above,
        }
    ]


def render(doc: dict) -> str:
    valid_from = doc["valid_from"] or "the start"
    valid_to = f"until {doc['valid_to']} (exclusive)" if doc["valid_to"] else "with no end date"
    lines = [
        f"{doc['model']}  ({doc['provider'] or 'any provider'}"
        + (f", {doc['service_tier']} tier" if doc["service_tier"] else "")
        + ")",
        f"  source       {doc['source']}  [{doc['price_version']}]",
        f"  valid        from {valid_from} {valid_to}",
    ]
    if doc["hours_utc"]:
        lines.append(f"  hours        {doc['hours_utc'][0]}–{doc['hours_utc'][1]} UTC daily")
    missing = doc["unpriced_when_non_zero"]
    per_token = any(doc["usd_per_million_tokens"].values())
    if per_token or not doc["usd_per_unit"]:
        lines.append("  USD per million tokens")
        lines += _rate_lines(doc["usd_per_million_tokens"], "    ", missing)
    for key, value in doc["usd_per_unit"].items():
        shown = "none (calls with these are unpriced)" if value is None else value
        lines.append(f"  USD {_UNIT_NAMES[key]:<24} {shown}")
    for tier in doc["tiers"]:
        lines.append(f"  above {tier['above_input_tokens']:,} input tokens (all tokens)")
        lines += _rate_lines(tier, "    ", missing)
    if doc["usd_per_1000_requests"]:
        lines.append(f"  per 1,000 requests  {doc['usd_per_1000_requests']}")
    for rule in doc["rules"]:
        lines.append(f"  rule         {rule['name']} ({rule['applies_to']}): {rule['description']}")
        lines.append(f"               source: {rule['source']}")
    if doc["unpriced_when_non_zero"]:
        lines.append(
            "  no rate for  "
            + ", ".join(doc["unpriced_when_non_zero"])
            + ": calls with these are stored unpriced (no_rate)"
        )
    return "\n".join(lines)


def _rate_lines(rates: dict, indent: str, missing: list[str]) -> list[str]:
    names = {"input": "input", "cache_read": "cache read", "cache_write": "cache write"}
    lines = []
    extra = [k for k in rates if k not in RATE_KEYS and k != "above_input_tokens"]
    for key in (*RATE_KEYS, *extra):
        value = rates.get(key)
        if value is None and f"{key}_tokens" in missing:
            lines.append(f"{indent}{names[key]:<12} none (calls with these tokens are unpriced)")
        elif value is None and key.startswith("cache"):
            lines.append(f"{indent}{names[key]:<12} {rates.get('input') or '0'} (input rate)")
        else:
            lines.append(f"{indent}{names.get(key, key):<12} {value or '0'}")
    return lines


def _base(rate: Decimal | TieredPrices | None) -> Decimal | None:
    return rate.base if isinstance(rate, TieredPrices) else rate


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def check(output: str) -> int:
    """Every correction period beside genai-prices' own price for the same call."""
    corrected = Pricer("")
    genai = Pricer("", corrections=False)
    assert corrected.corrections is not None
    rows = []
    for entry in corrected.corrections.entries:
        for period in entry.periods:
            moment = entry.hours[0] if entry.hours else time(12)
            key = (entry.provider or "", entry.model, entry.service_tier or "")
            at = datetime.combine(period.start or corrected.first_day(*key), moment, UTC)
            ours = corrected.quote(key[0], key[1], at, key[2])
            theirs = genai.quote(key[0], key[1], at, key[2])
            rows.append(
                {
                    "provider": entry.provider,
                    "model": entry.model,
                    "model_prefix": entry.prefix,
                    "service_tier": entry.service_tier,
                    "from": period.start.isoformat() if period.start else None,
                    "until": period.end.isoformat() if period.end else None,
                    "hours_utc": [f"{t:%H:%M}" for t in entry.hours] if entry.hours else None,
                    "source": period.source,
                    "checked": period.checked.isoformat() if period.checked else None,
                    "unknown": period.unknown or None,
                    "usd_per_million_tokens": _rates(ours),
                    "usd_per_unit": _unit_rates(ours),
                    "usd_per_1000_requests": _fee(ours),
                    "tiers": _tiers(ours),
                    "genai_prices_says": _rates(theirs),
                    "genai_prices_tiers": _tiers(theirs),
                    "genai_prices_hours_utc": _hours(theirs),
                }
            )
    if output == "json":
        print(json.dumps({"corrections": rows}, indent=2))
        return 0
    for row in rows:
        name = row["model"] + ("*" if row["model_prefix"] else "")
        if row["service_tier"]:
            name += f" [{row['service_tier']} tier]"
        since = f"from {row['from']}" if row["from"] else "(all dates)"
        if row["until"]:
            since = f"from {row['from'] or 'the start'} until {row['until']} (exclusive)"
        if row["hours_utc"]:
            since += f", {row['hours_utc'][0]}–{row['hours_utc'][1]} UTC daily"
        print(f"{row['provider']}/{name} {since}")
        per_unit = ", ".join(f"{v} {_UNIT_NAMES[k]}" for k, v in row["usd_per_unit"].items())
        fee = (
            f", {row['usd_per_1000_requests']} per 1,000 requests"
            if row["usd_per_1000_requests"]
            else ""
        )
        ours = _line(row["usd_per_million_tokens"] or {}) or per_unit
        if row["unknown"]:
            ours = f"unknown: {row['unknown']}"
        print(f"  tokentrace     {ours}{fee}")
        for tier in row["tiers"]:
            print(f"    above {tier['above']} input tokens: {_line(tier['rates'])}")
        theirs = row["genai_prices_says"]
        hours = row["genai_prices_hours_utc"]
        print(
            f"  genai-prices   {_line(theirs) if theirs else 'no price'}"
            + (f" ({hours} UTC daily rate)" if hours else "")
        )
        for tier in row["genai_prices_tiers"]:
            print(f"    above {tier['above']} input tokens: {_line(tier['rates'])}")
        print(f"  source         {row['source']} (checked {row['checked']})")
    return 0


def _fee(period: Period | None) -> str | None:
    """A period's fee per 1,000 requests (Perplexity Sonar's), if it has one."""
    return None if period is None else _text(period.prices.requests_kcount)


def _rates(period: Period | None) -> dict[str, str | None] | None:
    if period is None or period.compiled is None:
        return None
    return {key: _text(_base(getattr(period.prices, f"{key}_mtok"))) for key in RATE_KEYS}


def _unit_rates(period: Period | None) -> dict[str, str | None]:
    """A period's rates in units other than tokens (per character, hour, search, image)."""
    if period is None or period.compiled is None:
        return {}
    prices = period.prices.__dict__
    return {key: _text(prices[key]) for key in _UNIT_NAMES if prices.get(key) is not None}


def _tiers(period: Period | None) -> list[dict]:
    """The long-context tiers of a period: the rates a call pays when its input exceeds
    ``above`` tokens (genai-prices' cliff rule: on all its tokens)."""
    if period is None or period.compiled is None:
        return []
    rates = {key: getattr(period.prices, f"{key}_mtok") for key in RATE_KEYS}
    tiered = {key: rate for key, rate in rates.items() if isinstance(rate, TieredPrices)}
    starts = sorted({tier.start for rate in tiered.values() for tier in rate.tiers})
    return [
        {
            "above": above,
            "rates": {
                key: _text(_base(rate) if key not in tiered else _at(tiered[key], above))
                for key, rate in rates.items()
            },
        }
        for above in starts
    ]


def _at(rate: TieredPrices, above: int) -> Decimal:
    """The rate of the highest tier starting at or below ``above`` (the base if none)."""
    below = [t for t in rate.tiers if t.start <= above]
    return max(below, key=lambda t: t.start).price if below else rate.base


def _hours(period: Period | None) -> str | None:
    if period is None or period.hours_utc is None:
        return None
    return f"{period.hours_utc[0]:%H:%M}–{period.hours_utc[1]:%H:%M}"


def _line(rates: dict[str, str | None]) -> str:
    return ", ".join(f"{key} {value}" for key, value in rates.items() if value is not None)
