"""The user's prices file (``TOKENTRACE_PRICES_FILE``): negotiated rates, models genai-prices lacks.

A YAML file with one entry per model and price period, rates in USD per million tokens::

    prices:
      - provider: openai          # optional: OTel (gcp.gemini) or genai-prices (google) name
        model: gpt-4o             # exact name (any case), or model_prefix: ft:gpt-4o ("" = all)
        service_tier: batch       # optional: only calls made on this tier
        start: 2026-01-01         # optional: UTC date the rate applies from
        end: 2026-07-01           # optional: UTC date it stops applying (exclusive); after it,
                                  # until a later period's start, the layers below price again
        hours_utc: 01:00-04:00    # optional: only calls at these UTC times of day (start
                                  # inclusive, end exclusive, may wrap midnight); other hours
                                  # are priced by the entries without hours, or the layers below
        input: 2.25               # required: uncached input tokens
        cache_read: 1.125         # optional: default, the input rate
        cache_write: 2.8125       # optional: default, the input rate
        output: 9                 # required: output tokens, reasoning included
        input_audio: 40           # optional: audio input, cached audio and audio output
        cache_audio_read: 2.5     # tokens (input_audio, cache_audio_read, output_audio);
        output_audio: 80          # default: billed as text at the rates above; `unknown`:
                                  # the rate is not published, so a call with such tokens
                                  # is unpriced (no_rate) and one without them is priced
        input_image: 0.47         # optional: image tokens in, cached and out (input_image,
                                  # cache_image_read, output_image), as the audio ones
        output_images: 0.04       # optional: USD per image made (Imagen), for a model priced
                                  # per image: then input and output may be left out
        requests: 10              # optional: USD per 1,000 requests, on top of the tokens
                                  # (Perplexity Sonar's fee, set by its search context size)
        input_audio_minutes: 0.001  # optional: USD per minute of audio input, on top of the
                                  # tokens (a span's input_audio_seconds: Voxtral's chat)
        input_characters: 16      # optional: USD per million characters of input text, for
                                  # a model priced per character (text to speech): then
                                  # input and output may be left out
        rerank_searches: 2        # optional: USD per 1,000 rerank search units (Cohere: a
                                  # query of up to 100 documents), for a reranker priced per
                                  # search: then input and output may be left out
        tiers:                    # optional long-context tiers (genai-prices' cliff rule):
          - above: 200000         # when the call's input tokens exceed this, these rates
            input: 4.5            # apply to ALL its tokens; a rate left out keeps the
            output: 13.5          # rate of the tier below

An entry may instead say that the price is not known over its period (no rates then)::

      - provider: google
        model: gemini-flash-lite-latest
        start: 2026-01-22         # from when (and optionally until when: end)
        unknown: which model the alias named from this date is not published

Its calls are stored unpriced (``no_rate``) rather than at the rate the layers below give,
which may be another model's: an alias whose target moved at a date no source gives.

Beside ``prices``, the file may say how the account is billed where a span cannot::

    gemini_grounding: billed  # the project is past the Gemini API's free allowance of
                              # grounding with Google Search: a grounded Gemini 3 (and later)
                              # call pays the fee per search query (rules.GEMINI_GROUNDING);
                              # default ``free_allowance``: such calls are unknown

Entries for the same provider, model and tier with different ``start`` dates are the
model's price periods. A rate is the rate of global inference: an Anthropic call served with
US-only inference (Claude Opus 4.6 and later) pays it times 1.1, as the provider's own rates
(``rules.geo_only``). Values are read from the YAML text as exact decimals (never floats),
so ``0.15`` costs exactly 0.15 USD per million tokens. Errors name the file and line.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path

import yaml
from genai_prices.types import ModelPrice, Tier, TieredPrices

from .units import OUTPUT_IMAGES_PRICE

RATE_KEYS = ("input", "cache_read", "cache_write", "output")
# Optional rates of the audio and image units a span reports (genai-prices' ``*_mtok`` names
# without the suffix): a model that bills audio or image tokens at their own rate needs
# them, or those tokens are billed at the text rate.
UNIT_RATE_KEYS = (
    "input_audio",
    "cache_audio_read",
    "output_audio",
    "input_image",
    "cache_image_read",
    "output_image",
)
# The value of a unit rate that is not published (a retired snapshot's audio rate): its
# tokens make a call unpriced rather than billed at the text rate, many times too little.
UNKNOWN_RATE = "unknown"
# A rate per image (units.OUTPUT_IMAGES_PRICE is per 1,000); no tiers.
IMAGE_RATE_KEY = "output_images"
# A fee per 1,000 requests (genai-prices' requests_kcount); no tiers.
REQUEST_RATE_KEY = "requests"
# A rate per minute of audio input, which a span counts in seconds (genai-prices rates it per
# hour, on audio_hours and its one child input_audio_hours, as it does Voxtral's); no tiers.
AUDIO_MINUTE_KEY = "input_audio_minutes"
# A rate per million characters of input text (genai-prices' input_mchars: tts-1's); no tiers.
CHARACTER_RATE_KEY = "input_characters"
# A rate per 1,000 rerank search units (genai-prices' rerank_searches_kcount); no tiers.
RERANK_RATE_KEY = "rerank_searches"
# Instead of rates: why the price is not known over the entry's period (a sentence).
UNKNOWN_KEY = "unknown"
# The keys of an entry that are not rates (an entry whose price is unknown has only these).
_NOT_RATES = {
    "provider",
    "model",
    "model_prefix",
    "service_tier",
    "start",
    "end",
    "hours_utc",
    UNKNOWN_KEY,
}
_ENTRY_KEYS = {
    *_NOT_RATES,
    "tiers",
    *RATE_KEYS,
    *UNIT_RATE_KEYS,
    IMAGE_RATE_KEY,
    REQUEST_RATE_KEY,
    AUDIO_MINUTE_KEY,
    CHARACTER_RATE_KEY,
    RERANK_RATE_KEY,
}
# How the account pays grounding with Google Search (rules.GEMINI_GROUNDING).
GROUNDING_KEY = "gemini_grounding"
GROUNDING_VALUES = ("free_allowance", "billed")
# Where a price was read and when (required in tokentrace's corrections file, optional here).
_SOURCE_KEYS = {"source", "checked"}
_TIER_KEYS = {"above", *RATE_KEYS, *UNIT_RATE_KEYS}
_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_STR_TAG = "tag:yaml.org,2002:str"


class PricesFileError(ValueError):
    """A prices file that cannot be used; the message starts with ``file:line:``."""


@dataclass(frozen=True)
class PricePeriod:
    start: date | None
    prices: ModelPrice  # genai-prices' own type, so one code path turns any price into coefficients
    line: int
    source: str = ""  # where the price was published
    checked: date | None = None  # when it was last checked there
    # The UTC date it stops applying (exclusive): a price that held for a while, after which
    # the layers below (genai-prices' own periods, time-of-day rates) are right again.
    end: date | None = None
    # Why the price is not known over this period ("" for a period with rates): its calls are
    # unpriced, not priced by the layers below.
    unknown: str = ""
    # The usage counts whose rate is `unknown` (``input_audio_tokens``…): a call with any of
    # them is unpriced (no_rate); the period's other rates price the calls without them.
    unknown_units: tuple[str, ...] = ()


@dataclass(frozen=True)
class OverrideEntry:
    """All periods of one (provider, model or prefix, service tier) in the file, by start date."""

    provider: str | None
    model: str  # lower-cased exact name or prefix
    prefix: bool
    service_tier: str | None
    periods: tuple[PricePeriod, ...]
    hours: tuple[time, time] | None = None  # a daily UTC window (start, end), else all day

    def matches(self, providers: tuple[str, ...], model: str, service_tier: str) -> bool:
        if self.provider is not None and self.provider not in providers:
            return False
        if self.service_tier is not None and self.service_tier != service_tier:
            return False
        return model.startswith(self.model) if self.prefix else model == self.model

    def precedence(self) -> tuple[bool, bool, bool, int, bool]:
        """Most specific first: tier given, hours given, exact model, longer prefix, provider
        given."""
        return (
            self.service_tier is None,
            self.hours is None,
            self.prefix,
            -len(self.model),
            self.provider is None,
        )


@dataclass(frozen=True)
class PriceOverrides:
    path: Path
    version: str  # ``file:<sha256 prefix>``: rows priced from this file can be traced back to it
    entries: tuple[OverrideEntry, ...]  # in precedence order
    grounding_billed: bool = False  # ``gemini_grounding: billed``

    def matching(
        self, providers: tuple[str, ...], model: str, service_tier: str
    ) -> list[OverrideEntry]:
        model = model.lower()
        names = tuple(p.lower() for p in providers if p)
        return [e for e in self.entries if e.matches(names, model, service_tier)]

    def prices_other_tiers(self, providers: tuple[str, ...], model: str) -> bool:
        """Whether an entry prices this model for some tier (DALL·E's sizes): a call on a
        tier none prices is then a known model without that rate, not an unknown one."""
        model = model.lower()
        names = tuple(p.lower() for p in providers if p)
        return any(
            e.service_tier is not None and e.matches(names, model, e.service_tier)
            for e in self.entries
        )


def load_overrides(path: str | Path, sourced: bool = False) -> PriceOverrides:
    """Parse and validate a prices file; raises :class:`PricesFileError` naming file and line.

    ``sourced``: every entry must say where its price comes from (``source``, a URL) and
    when that was checked (``checked``), as tokentrace's own corrections do."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PricesFileError(f"{path}: cannot read prices file: {exc.strerror}") from exc
    try:
        root = yaml.compose(raw.decode("utf-8"), Loader=yaml.SafeLoader)
    except UnicodeDecodeError as exc:
        raise PricesFileError(f"{path}: prices file is not UTF-8 text") from exc
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise PricesFileError(f"{path}:{line}: invalid YAML: {exc.problem}") from exc
    parser = _Parser(path, sourced)
    return PriceOverrides(
        path=path,
        version=("corrections:" if sourced else "file:") + hashlib.sha256(raw).hexdigest()[:12],
        entries=parser.entries(root),
        grounding_billed=parser.grounding_billed(root),
    )


class _Parser:
    """Walks the YAML node tree (not the loaded data) so every error can cite its line."""

    def __init__(self, path: Path, sourced: bool = False) -> None:
        self.path = path
        self.sourced = sourced

    def error(self, node: yaml.Node | None, message: str) -> PricesFileError:
        line = node.start_mark.line + 1 if node is not None else 1
        return PricesFileError(f"{self.path}:{line}: {message}")

    @property
    def top_keys(self) -> set[str]:
        """The keys of the file: tokentrace's corrections are price data only."""
        return {"prices"} if self.sourced else {"prices", GROUNDING_KEY}

    def grounding_billed(self, root: yaml.Node) -> bool:
        """``gemini_grounding``: ``billed`` or ``free_allowance`` (the default)."""
        node = self.mapping(root, self.top_keys, "the prices file").get(GROUNDING_KEY)
        if node is None:
            return False
        if not isinstance(node, yaml.ScalarNode) or node.value not in GROUNDING_VALUES:
            raise self.error(
                node,
                f"'{GROUNDING_KEY}' must be one of {', '.join(GROUNDING_VALUES)} (billed: the "
                "project is past Google's free allowance of grounding with Google Search)",
            )
        return node.value == "billed"

    def entries(self, root: yaml.Node | None) -> tuple[OverrideEntry, ...]:
        if root is None:
            raise self.error(None, "empty prices file: expected a 'prices:' list")
        top = self.mapping(root, self.top_keys, "the prices file")
        items = top.get("prices")
        if not isinstance(items, yaml.SequenceNode):
            raise self.error(items or root, "'prices' must be a list of entries")
        groups: dict[tuple, list[PricePeriod]] = {}
        for item in items.value:
            key, period = self.entry(item)
            starts = {p.start: p.line for p in groups.get(key, [])}
            if period.start in starts:
                raise self.error(
                    item,
                    f"duplicate price period (same provider, model, service_tier and start as line "
                    f"{starts[period.start]})",
                )
            groups.setdefault(key, []).append(period)
        for periods in groups.values():
            periods.sort(key=lambda p: p.start or date.min)
            for period, following in pairwise(periods):
                if period.end is not None and period.end > (following.start or date.min):
                    raise PricesFileError(
                        f"{self.path}:{period.line}: 'end' {period.end} is after the start "
                        f"of the next period of the same model (line {following.line})"
                    )
        found = [
            OverrideEntry(
                provider=provider,
                model=model,
                prefix=prefix,
                service_tier=tier,
                hours=hours,
                periods=tuple(periods),
            )
            for (provider, model, prefix, tier, hours), periods in groups.items()
        ]
        return tuple(sorted(found, key=OverrideEntry.precedence))

    def entry(self, node: yaml.Node) -> tuple[tuple, PricePeriod]:
        fields = self.mapping(node, _ENTRY_KEYS | _SOURCE_KEYS, "a price entry")
        if self.sourced and not fields.keys() >= _SOURCE_KEYS:
            raise self.error(node, "a correction needs 'source' (a URL) and 'checked' (a date)")
        if ("model" in fields) == ("model_prefix" in fields):
            raise self.error(node, "a price entry needs exactly one of 'model' or 'model_prefix'")
        prefix = "model_prefix" in fields
        # An empty prefix is every model (of the provider, if one is given).
        model = self.text(fields["model_prefix" if prefix else "model"], allow_empty=prefix).lower()
        provider = self.text(fields["provider"]).lower() if "provider" in fields else None
        tier = self.text(fields["service_tier"]) if "service_tier" in fields else None
        unknown = self.text(fields[UNKNOWN_KEY]) if UNKNOWN_KEY in fields else ""
        if unknown and (rated := sorted(fields.keys() & (_ENTRY_KEYS - _NOT_RATES))):
            raise self.error(
                node,
                f"an entry whose price is '{UNKNOWN_KEY}' has no rates (found {', '.join(rated)})",
            )
        per_unit = {IMAGE_RATE_KEY, CHARACTER_RATE_KEY, RERANK_RATE_KEY}  # not per token
        needs_rates = not unknown and not fields.keys() & per_unit
        for required in ("input", "output") if needs_rates else ():
            if required not in fields:
                raise self.error(node, f"a price entry needs '{required}' (USD per million tokens)")
        unknown_units = tuple(key for key in UNIT_RATE_KEYS if _says_unknown(fields.get(key)))
        rates = {
            key: self.rate(fields[key])
            for key in (*RATE_KEYS, *UNIT_RATE_KEYS)
            if key in fields and key not in unknown_units
        }
        tiers = self.tiers(fields["tiers"], rates.keys()) if "tiers" in fields else []
        for key in (*per_unit, REQUEST_RATE_KEY, AUDIO_MINUTE_KEY):
            if key in fields:
                rates[key] = self.rate(fields[key])
        start = self.start(fields["start"]) if "start" in fields else None
        end = self.start(fields["end"], "end") if "end" in fields else None
        if end is not None and start is not None and end <= start:
            raise self.error(fields["end"], "'end' must be after 'start'")
        period = PricePeriod(
            start,
            _model_price(rates, tiers),
            node.start_mark.line + 1,
            self.text(fields["source"]) if "source" in fields else "",
            self.start(fields["checked"], "checked") if "checked" in fields else None,
            end,
            unknown,
            tuple(f"{key}_tokens" for key in unknown_units),
        )
        hours = self.hours(fields["hours_utc"]) if "hours_utc" in fields else None
        return (provider, model, prefix, tier, hours), period

    def tiers(
        self, node: yaml.Node, base_keys: Iterable[str]
    ) -> list[tuple[int, dict[str, Decimal]]]:
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            raise self.error(node, "'tiers' must be a non-empty list of {above: N, <rates>}")
        tiers = []
        for item in node.value:
            fields = self.mapping(item, _TIER_KEYS, "a tier")
            if "above" not in fields:
                raise self.error(item, "a tier needs 'above' (input tokens)")
            above = self.tokens(fields["above"])
            rates = {
                key: self.rate(fields[key])
                for key in (*RATE_KEYS, *UNIT_RATE_KEYS)
                if key in fields
            }
            if not rates:
                raise self.error(item, "a tier needs at least one rate")
            if unknown := rates.keys() - set(base_keys):
                raise self.error(
                    item, f"a tier sets {', '.join(sorted(unknown))} with no base rate"
                )
            if tiers and above <= tiers[-1][0]:
                raise self.error(item, "tiers must be listed by increasing 'above'")
            tiers.append((above, rates))
        return tiers

    def mapping(self, node: yaml.Node, allowed: set[str], what: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, f"{what} must be a mapping")
        fields: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in allowed:
                raise self.error(
                    key_node,
                    f"unknown key {key!r} in {what}; allowed: {', '.join(sorted(allowed))}",
                )
            if key in fields:
                raise self.error(key_node, f"duplicate key {key!r}")
            fields[key] = value_node
        return fields

    def text(self, node: yaml.Node, allow_empty: bool = False) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _STR_TAG:
            raise self.error(node, "expected a name")
        if not node.value.strip() and not allow_empty:
            raise self.error(node, "expected a non-empty name")
        return node.value.strip()

    def rate(self, node: yaml.Node) -> Decimal:
        if not isinstance(node, yaml.ScalarNode) or node.tag not in _NUMBER_TAGS:
            raise self.error(node, "a rate must be a number (USD per million tokens)")
        try:
            value = Decimal(node.value.replace("_", ""))
        except InvalidOperation:
            raise self.error(node, f"invalid number {node.value!r}") from None
        if not value.is_finite() or value < 0:
            raise self.error(node, "a rate must be a finite number >= 0")
        return value

    def tokens(self, node: yaml.Node) -> int:
        if not isinstance(node, yaml.ScalarNode) or node.tag != "tag:yaml.org,2002:int":
            raise self.error(node, "'above' must be a whole number of input tokens")
        value = int(node.value.replace("_", ""), 0)
        if value < 0:
            raise self.error(node, "'above' must be >= 0")
        return value

    def hours(self, node: yaml.Node) -> tuple[time, time]:
        text = node.value if isinstance(node, yaml.ScalarNode) else ""
        found = re.fullmatch(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})", text.strip())
        if found is None:
            raise self.error(node, "'hours_utc' must be a window HH:MM-HH:MM (UTC)")
        h1, m1, h2, m2 = (int(part) for part in found.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise self.error(node, f"invalid time in 'hours_utc' {text!r}")
        window = (time(h1, m1), time(h2, m2))
        if window[0] == window[1]:
            raise self.error(node, "'hours_utc' must not start and end at the same time")
        return window

    def start(self, node: yaml.Node, key: str = "start") -> date:
        text = node.value if isinstance(node, yaml.ScalarNode) else ""
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise self.error(node, f"'{key}' must be a date YYYY-MM-DD (UTC)")
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise self.error(node, f"invalid date {text!r}") from None


def _says_unknown(node: yaml.Node | None) -> bool:
    """Whether a unit rate's value is the word ``unknown`` (a rate not published)."""
    return isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG and node.value == UNKNOWN_RATE


def _model_price(
    rates: dict[str, Decimal], tiers: list[tuple[int, dict[str, Decimal]]]
) -> ModelPrice:
    """The file's rates as a genai-prices ``ModelPrice`` (tiers per key, cliff rule)."""
    prices: dict[str, Decimal | TieredPrices] = {}
    for key, base in rates.items():
        if key == IMAGE_RATE_KEY:  # per image, as a rate per 1,000 (no tiers)
            prices[OUTPUT_IMAGES_PRICE] = base * 1000
            continue
        if key == REQUEST_RATE_KEY:  # already per 1,000 requests (no tiers)
            prices["requests_kcount"] = base
            continue
        if key == CHARACTER_RATE_KEY:  # per million characters, as genai-prices' (no tiers)
            prices["input_mchars"] = base
            continue
        if key == RERANK_RATE_KEY:  # already per 1,000 search units (no tiers)
            prices["rerank_searches_kcount"] = base
            continue
        if key == AUDIO_MINUTE_KEY:  # per hour, as genai-prices rates audio (no tiers)
            prices["audio_hours"] = prices["input_audio_hours"] = base * 60
            continue
        key_tiers, current = [], base
        for above, tier_rates in tiers:
            current = tier_rates.get(key, current)
            key_tiers.append(Tier(start=above, price=current))
        prices[f"{key}_mtok"] = TieredPrices(base=base, tiers=key_tiers) if key_tiers else base
    return ModelPrice(**prices)
