"""Exact per-call LLM prices, from genai-prices' bundled data and the user's prices file.

genai-prices' ``calc_price`` finds the model, its price period and variants on every call
(~90 µs), too slow per span. The pricer resolves each (provider, model, service tier) once into
a plan: the price periods that model has over time, each compiled into integer coefficients
in units of 1e-12 USD per token (finer when a rate has more decimals). Pricing a call is then a
dictionary lookup, a date bisect and a few integer multiplications, and the result equals
``calc_price`` exactly. Misses are cached too, so an unknown model costs one lookup.

Conventions (DESIGN §2): ``input_tokens`` includes cache reads and writes; the uncached part is
``input - cache_read - cache_write`` (clamped at 0); ``output_tokens`` includes reasoning tokens,
priced at the output rate. A model genai-prices prices per request (Perplexity) has the fee
counted in ``input_cost``: the store has no request-fee column and ``cost`` stays the sum of
its parts.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import genai_prices
from genai_prices import data_snapshot
from genai_prices.types import (
    ModelInfo,
    ModelPrice,
    PriceVariant,
    Provider,
    StartDateConstraint,
    Tier,
    TieredPrices,
    TimeOfDateConstraint,
)

from tokentrace.processor.pricing.overrides import OverrideEntry, PriceOverrides, load_overrides

ENV_PRICES_FILE = "TOKENTRACE_PRICES_FILE"
GENAI_PRICES_VERSION = f"genai-prices@{genai_prices.__version__}"

# OpenTelemetry ``gen_ai.provider.name`` → genai-prices provider id. Names not listed are tried
# as genai-prices ids (``google``, ``bedrock``…), then by model name alone.
PROVIDER_IDS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gcp.gemini": "google",
    "gcp.vertex_ai": "google",
    "gcp.gen_ai": "google",
    "aws.bedrock": "aws",
    "azure.ai.openai": "azure",
    "azure.ai.inference": "azure",
    "mistral_ai": "mistral",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "groq": "groq",
    "x_ai": "x-ai",
    "perplexity": "perplexity",
    "together": "together",
    "openrouter": "openrouter",
    "fireworks": "fireworks",
}
# Self-hosted servers bill no one per token: their calls are unpriced unless the prices file
# gives them a rate (for instance an amortised GPU cost).
SELF_HOSTED = frozenset({"ollama", "vllm"})

# When a call ran on the batch tier and genai-prices has no batch price for the model at that
# date, token rates are halved: the batch discount OpenAI, Anthropic, Google, Mistral, Groq
# and xAI all publish. Other tiers with no price of their own (flex, priority…) pay standard.
BATCH_TIER = "batch"
BATCH_DISCOUNT = Decimal("0.5")

_UTC = UTC
_TOKEN_KEYS = ("input_mtok", "cache_read_mtok", "cache_write_mtok", "output_mtok")
_FEE_KEY = "requests_kcount"
_ZERO = Decimal(0).scaleb(-12)
_MAX_UNITS = 10**18  # Decimal(18, 12) holds < 1e6 USD


class Price(NamedTuple):
    """One call's cost in USD, each a Decimal with 12 decimal places."""

    priced: bool
    model: str  # genai-prices' canonical id (or the prices file's), the given model if unpriced
    input_cost: Decimal  # uncached input tokens (plus any per-request fee)
    cache_read_cost: Decimal
    cache_write_cost: Decimal
    output_cost: Decimal
    cost: Decimal
    cache_savings: Decimal  # reads' saving vs the input rate minus the write premium over it
    price_version: str  # "genai-prices@0.2.3" or "file:<sha256 prefix>", "" if unpriced


def unpriced(model: str) -> Price:
    return Price(False, model, _ZERO, _ZERO, _ZERO, _ZERO, _ZERO, _ZERO, "")


def price_context(service_tier: str) -> dict[str, str] | None:
    """The genai-prices price context for a span's service tier (``None`` for standard)."""
    if not service_tier:
        return None
    if service_tier == BATCH_TIER:
        return {"processing": "batch"}
    return {"service_tier": service_tier}


def genai_provider(provider: str) -> str | None:
    """The genai-prices provider id for an OpenTelemetry provider name, if there is one."""
    name = provider.lower().strip()
    if name in PROVIDER_IDS:
        return PROVIDER_IDS[name]
    if not name or name in SELF_HOSTED:
        return None
    found = data_snapshot.find_provider_by_id(data_snapshot.get_snapshot().providers, name)
    return found.id if found else None


@dataclass(frozen=True)
class Period:
    """The prices of one model over one stretch of time, compiled for exact integer pricing."""

    provider: str  # genai-prices provider id, or the prices file's provider ("" = any)
    model: str
    source: str  # "genai-prices" or the prices file's path
    price_version: str
    valid_from: date | None  # UTC dates; valid_to is exclusive; None = unbounded
    valid_to: date | None
    hours_utc: tuple[time, time] | None  # a daily window (off-peak rates), else None
    prices: ModelPrice  # as genai-prices resolved it, for display
    note: str
    scale: int  # coefficients are in units of 1e-12 / scale USD
    thresholds: tuple[int, ...]  # long-context tiers: band i+1 applies above thresholds[i]
    bands: tuple[tuple[int, int, int, int], ...]  # (input, cache read, cache write, output)
    request_fee: int

    def price(
        self, input_tokens: int, output_tokens: int, cache_read: int, cache_write: int
    ) -> Price:
        cached = cache_read + cache_write
        if input_tokens >= cached:
            uncached, total_input = input_tokens - cached, input_tokens
        else:
            uncached, total_input = 0, cached
        c_in, c_read, c_write, c_out = self.bands[0]
        thresholds = self.thresholds
        if thresholds:
            for i in range(len(thresholds) - 1, -1, -1):
                if total_input > thresholds[i]:
                    c_in, c_read, c_write, c_out = self.bands[i + 1]
                    break
        inp = c_in * uncached + self.request_fee
        read = c_read * cache_read
        write = c_write * cache_write
        out = c_out * output_tokens
        total = inp + read + write + out
        savings = (c_in - c_read) * cache_read - (c_write - c_in) * cache_write
        if self.scale != 1:
            # One rounding, of the exact total; the output part absorbs the parts' residue so
            # that cost is always the sum of its parts.
            scale = self.scale
            total = _round(total, scale)
            inp, read, write = _round(inp, scale), _round(read, scale), _round(write, scale)
            out = total - inp - read - write
            savings = _round(savings, scale)
        if total >= _MAX_UNITS:
            raise ValueError(f"cost of {total / 1e12:.2f} USD for one call is out of range")
        return Price(
            True,
            self.model,
            _usd(inp),
            _usd(read),
            _usd(write),
            _usd(out),
            _usd(total),
            _usd(savings),
            self.price_version,
        )


class Pricer:
    """Prices calls; one per process, shared by every batch (plans are cached in it).

    ``prices_file`` defaults to ``$TOKENTRACE_PRICES_FILE``; ``""`` means no file. A bad file
    raises :class:`~tokentrace.processor.pricing.overrides.PricesFileError` (``file:line: why``).
    """

    def __init__(self, prices_file: str | Path | None = None) -> None:
        path = prices_file if prices_file is not None else os.environ.get(ENV_PRICES_FILE)
        self.overrides: PriceOverrides | None = load_overrides(path) if path else None
        self._snapshot = data_snapshot.get_snapshot()
        self._plans: dict[tuple[str, str, str], _Plan] = {}

    def price(
        self,
        provider: str,
        model: str,
        ts: datetime,
        input_tokens: int,
        output_tokens: int,
        cache_read_tokens: int = 0,
        cache_write_tokens: int = 0,
        service_tier: str = "",
    ) -> Price:
        """The cost of one call at the rates in force at ``ts`` (naive = UTC)."""
        if (input_tokens | output_tokens | cache_read_tokens | cache_write_tokens) < 0:
            raise ValueError(
                f"negative token count: input={input_tokens} output={output_tokens} "
                f"cache_read={cache_read_tokens} cache_write={cache_write_tokens}"
            )
        key = (provider, model, service_tier)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan(provider, model, service_tier)
        period = plan.fixed if plan.fixed is not None else plan.at(ts)
        if period is None:
            return plan.unpriced
        return period.price(input_tokens, output_tokens, cache_read_tokens, cache_write_tokens)

    def quote(
        self, provider: str, model: str, ts: datetime, service_tier: str = ""
    ) -> Period | None:
        """The price period that applies to a call at ``ts``, or ``None`` when unpriced."""
        plan = self._plan(provider, model, service_tier)
        return plan.fixed if plan.fixed is not None else plan.at(ts, with_horizon=True)

    def _plan(self, provider: str, model: str, service_tier: str) -> _Plan:
        genai_id = genai_provider(provider)
        schedules = []
        if self.overrides is not None and model:
            names = (provider, genai_id or "")
            for entry in self.overrides.matching(names, model, service_tier):
                schedules.append(_file_schedule(entry, model, self.overrides))
        if model and provider.lower().strip() not in SELF_HOSTED:
            try:
                found = self._snapshot.find_provider_model(model, None, genai_id, None)
            except LookupError:
                pass  # a known provider without this model, or no provider matches it
            else:
                schedules.append(_genai_schedule(*found, service_tier))
        return _Plan(model, schedules)


@dataclass(frozen=True)
class _Schedule:
    """Periods by UTC date (and time of day, for off-peak rates); ``None`` = no price."""

    dates: tuple[date, ...]  # region i covers dates[i-1] <= day < dates[i]
    times: tuple[time, ...]  # naive UTC times of day, same convention
    regions: tuple[tuple[Period | None, ...], ...]

    def at(self, ts: datetime) -> Period | None:
        row = self.regions[bisect_right(self.dates, ts.date())]
        return row[bisect_right(self.times, ts.time())] if self.times else row[0]

    def next_start(self, ts: datetime) -> date | None:
        index = bisect_right(self.dates, ts.date())
        return self.dates[index] if index < len(self.dates) else None


class _Plan:
    """Everything one (provider, model, tier) can be priced by, most specific source first."""

    __slots__ = ("fixed", "schedules", "unpriced")

    def __init__(self, model: str, schedules: list[_Schedule]) -> None:
        self.schedules = schedules
        self.unpriced = unpriced(model)
        only = schedules[0] if len(schedules) == 1 else None
        single = only is not None and len(only.regions) == 1 and len(only.regions[0]) == 1
        self.fixed = only.regions[0][0] if single else None

    def at(self, ts: datetime, with_horizon: bool = False) -> Period | None:
        if not self.schedules:
            return None
        if ts.tzinfo is not _UTC:
            ts = ts.replace(tzinfo=_UTC) if ts.tzinfo is None else ts.astimezone(_UTC)
        for index, schedule in enumerate(self.schedules):
            period = schedule.at(ts)
            if period is not None:
                if with_horizon:
                    return _until_overridden(period, self.schedules[:index], ts)
                return period
        return None


def _until_overridden(period: Period, earlier: list[_Schedule], ts: datetime) -> Period:
    """The period cut short where a more specific source (a prices-file entry) takes over."""
    starts = [s for schedule in earlier if (s := schedule.next_start(ts)) is not None]
    if period.valid_to is not None:
        starts.append(period.valid_to)
    valid_to = min(starts, default=None)
    if valid_to == period.valid_to:
        return period
    return replace(period, valid_to=valid_to)


# ---------------------------------------------------------------- building plans


def _genai_schedule(provider: Provider, model: ModelInfo, service_tier: str) -> _Schedule:
    """genai-prices' periods for a model, as ``ModelInfo.calc_price`` resolves them."""
    context = price_context(service_tier)
    # calc_price ignores variants for a model borrowed from a fallback provider (Azure → OpenAI).
    if context and not any(model is m for m in provider.models):
        context = None
    constraints: list[StartDateConstraint | TimeOfDateConstraint | None] = []
    if isinstance(model.prices, list):
        constraints += [c.constraint for c in model.prices]
    variants = [v for v in model.price_variants or () if context and _applies(v, context)]
    constraints += [v.constraint for v in variants]
    dates = sorted({c.start_date for c in constraints if isinstance(c, StartDateConstraint)})
    times = sorted(
        {
            _naive_utc(t)
            for c in constraints
            if isinstance(c, TimeOfDateConstraint)
            for t in (c.start_time, c.end_time)
        }
    )

    def resolve(day: date, moment: time) -> tuple[ModelPrice, str]:
        ts = datetime.combine(day, moment, tzinfo=_UTC)
        prices = model.get_prices(ts, context)
        batch_priced = any(v.constraint is None or v.constraint.active(ts) for v in variants)
        if service_tier == BATCH_TIER and not batch_priced:
            return _discounted(prices, BATCH_DISCOUNT), "batch: 50% of standard rates"
        return prices, ""

    first = dates[0] - timedelta(days=1) if dates else date(2000, 1, 1)
    grid = [[resolve(day, moment) for moment in (time(0), *times)] for day in (first, *dates)]
    dates, grid = _merge_equal_rows(dates, grid)

    def compile_row(i: int) -> tuple[Period | None, ...]:
        return tuple(
            _compile(
                prices,
                provider=provider.id,
                model=model.id,
                source="genai-prices",
                version=GENAI_PRICES_VERSION,
                valid=(dates[i - 1] if i else None, dates[i] if i < len(dates) else None),
                hours=_window(times, j),
                note=note,
            )
            for j, (prices, note) in enumerate(grid[i])
        )

    return _Schedule(tuple(dates), tuple(times), tuple(compile_row(i) for i in range(len(grid))))


def _file_schedule(entry: OverrideEntry, model: str, overrides: PriceOverrides) -> _Schedule:
    """A prices-file entry's periods; before its first ``start`` it does not apply."""
    starts = [p.start for p in entry.periods]
    dates = tuple(s for s in starts if s is not None)
    periods = [
        _compile(
            period.prices,
            provider=entry.provider or "",
            model=model if entry.prefix else entry.model,
            source=str(overrides.path),
            version=overrides.version,
            valid=(period.start, starts[i + 1] if i + 1 < len(starts) else None),
            hours=None,
            note="",
        )
        for i, period in enumerate(entry.periods)
    ]
    before_first = () if starts[0] is None else (None,)
    return _Schedule(dates, (), tuple((p,) for p in (*before_first, *periods)))


def _compile(
    prices: ModelPrice,
    *,
    provider: str,
    model: str,
    source: str,
    version: str,
    valid: tuple[date | None, date | None],
    hours: tuple[time, time] | None,
    note: str,
) -> Period | None:
    """Integer coefficients for ``prices``; ``None`` if it prices nothing per token.

    A model with no prices at all (``:free`` models, moderation) is free: priced at 0.
    """
    rates = [getattr(prices, key) for key in _TOKEN_KEYS]
    fee = getattr(prices, _FEE_KEY)
    if all(r is None for r in rates) and fee is None and prices != ModelPrice():
        return None  # priced per audio hour, page or character: tokens cannot price it
    values = [v for r in rates if r is not None for v in _rate_values(r)]
    extra = max([0, *(_decimals(v) - 6 for v in values), *([_decimals(fee) - 9] if fee else [])])
    scale = 10**extra
    thresholds = sorted({t.start for r in rates if isinstance(r, TieredPrices) for t in r.tiers})
    bands = []
    for above in (None, *thresholds):
        c_in, c_read, c_write, c_out = (rate_above(r, above) for r in rates)
        # A cache kind without a price of its own is billed as ordinary input (genai-prices
        # leaves those tokens in the input count).
        c_in = c_in or Decimal(0)
        c_read = c_in if c_read is None else c_read
        c_write = c_in if c_write is None else c_write
        c_out = c_out or Decimal(0)
        bands.append(tuple(int(c.scaleb(6 + extra)) for c in (c_in, c_read, c_write, c_out)))
    return Period(
        provider=provider,
        model=model,
        source=source,
        price_version=version,
        valid_from=valid[0],
        valid_to=valid[1],
        hours_utc=hours,
        prices=prices,
        note=note,
        scale=scale,
        thresholds=tuple(thresholds),
        bands=tuple(bands),
        request_fee=int(fee.scaleb(9 + extra)) if fee else 0,
    )


def rate_above(rate: Decimal | TieredPrices | None, above: int | None) -> Decimal | None:
    """The rate for calls with more than ``above`` input tokens (``calc_unit_price``'s rule);
    ``above=None`` is the base rate."""
    if not isinstance(rate, TieredPrices):
        return rate
    if above is None:
        return rate.base
    for tier in reversed(rate.tiers):
        if above + 1 > tier.start:
            return tier.price
    return rate.base


def _rate_values(rate: Decimal | TieredPrices) -> list[Decimal]:
    if isinstance(rate, TieredPrices):
        return [rate.base, *(t.price for t in rate.tiers)]
    return [rate]


def _discounted(prices: ModelPrice, factor: Decimal) -> ModelPrice:
    """``prices`` with every token rate (tiers included) multiplied by ``factor``."""
    changed: dict[str, Decimal | TieredPrices] = {}
    for key in _TOKEN_KEYS:
        rate = getattr(prices, key)
        if isinstance(rate, TieredPrices):
            tiers = [Tier(start=t.start, price=t.price * factor) for t in rate.tiers]
            changed[key] = TieredPrices(base=rate.base * factor, tiers=tiers)
        elif rate is not None:
            changed[key] = rate * factor
    return ModelPrice(**{**prices.__dict__, **changed})


def _merge_equal_rows(
    dates: list[date], grid: list[list[tuple[ModelPrice, str]]]
) -> tuple[list[date], list[list[tuple[ModelPrice, str]]]]:
    """Drop date boundaries where nothing changes (a start date of another tier's variant)."""
    kept_dates, kept_rows = [], [grid[0]]
    for day, row in zip(dates, grid[1:], strict=True):
        if row != kept_rows[-1]:
            kept_dates.append(day)
            kept_rows.append(row)
    return kept_dates, kept_rows


def _window(times: list[time], index: int) -> tuple[time, time] | None:
    """The daily window of time region ``index`` (an end of 00:00 means midnight)."""
    if not times:
        return None
    return (times[index - 1] if index else time(0), times[index] if index < len(times) else time(0))


def _applies(variant: PriceVariant, context: dict[str, str]) -> bool:
    return all(context.get(key) == value for key, value in variant.when.items())


def _naive_utc(moment: time) -> time:
    if moment.tzinfo is None:
        return moment
    aware = datetime.combine(date(2000, 1, 1), moment).astimezone(_UTC)
    return aware.time()


def _decimals(value: Decimal) -> int:
    return max(0, -int(value.normalize().as_tuple().exponent))


def _round(units: int, scale: int) -> int:
    """``units / scale`` rounded half to even, as ``Decimal.quantize`` does."""
    quotient, remainder = divmod(units, scale)
    if 2 * remainder > scale or (2 * remainder == scale and quotient % 2):
        quotient += 1
    return quotient


def _usd(units: int) -> Decimal:
    return Decimal(units).scaleb(-12) if units else _ZERO
