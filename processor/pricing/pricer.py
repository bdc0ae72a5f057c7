"""Exact per-call LLM prices, from genai-prices' bundled data and the user's prices file.

genai-prices' ``calc_price`` finds the model, its price period and variants on every call
(~90 µs), too slow per span. The pricer resolves each (provider, model, service tier) once into
a plan: the price periods that model has over time, each compiled into integer coefficients
in units of 1e-12 USD per token (finer when a rate has more decimals). Pricing a call is then a
dictionary lookup, a date bisect and a few integer multiplications, and the result equals
``calc_price`` exactly. Misses are cached too, so an unknown model costs one lookup.

Conventions (DESIGN §2): ``input_tokens`` includes cache reads and writes (raised to their sum
when a span reports less); ``output_tokens`` includes reasoning tokens. Every token unit
genai-prices prices is priced (:mod:`.units`: 1-hour cache writes, audio, image and video
tokens, cached audio…); a per-request fee (Perplexity) is counted in ``input_cost``, so
``cost`` stays the sum of its parts.

Where the data lacks a rate the provider defines by a rule, :mod:`.rules` supplies it; where
no rule applies, the call is unpriced with a reason, never billed at another rate. A call that
cannot be priced is :func:`unpriced` with its ``reason`` (``unknown_model``, ``no_rate``…),
and its cost reads as unknown everywhere, never as $0.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from bisect import bisect_right
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

import genai_prices
from genai_prices import data_snapshot
from genai_prices.data_snapshot import DataSnapshot
from genai_prices.types import (
    ModelInfo,
    ModelPrice,
    PriceVariant,
    Provider,
    StartDateConstraint,
    TimeOfDateConstraint,
)

from tokentrace.instrumentation import providers
from tokentrace.processor.pricing import names, rules
from tokentrace.processor.pricing.overrides import (
    OverrideEntry,
    PriceOverrides,
    PricePeriod,
    load_overrides,
)
from tokentrace.processor.pricing.units import (
    ADDITIONAL_FIELDS,
    FIRST_METERED,
    FIRST_UNIT,
    METERED_FROM,
    REPORTED_METERED,
    USAGE_KEYS,
    Compiled,
    Unpriceable,
    compile_price,
    rate_above,
)

ENV_PRICES_FILE = "TOKENTRACE_PRICES_FILE"
CORRECTIONS_FILE = Path(__file__).with_name("corrections.yaml")
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
    "az.ai.openai": "azure",  # the conventions' older names (genai-prices would take "openai")
    "az.ai.inference": "azure",
    "mistral_ai": "mistral",
    "cohere": "cohere",
    "deepseek": "deepseek",
    "groq": "groq",
    "x_ai": "x-ai",
    "perplexity": "perplexity",
    "together": "together",
    "openrouter": "openrouter",
    "fireworks": "fireworks",
    # the instrumentation's name for api.fireworks.ai (`providers.KNOWN_HOSTS`): unmapped, its
    # short ids (`llama-v3p1-8b-instruct`) were unpriced and vendor ids priced at the vendor's
    "fireworks_ai": "fireworks",
}
# Self-hosted servers bill no one per token: their calls are unpriced unless the prices file
# gives them a rate (for instance an amortised GPU cost).
SELF_HOSTED = frozenset(
    {"ollama", "vllm", "lmstudio", "sglang", "self_hosted", "llama_cpp", "tgi", "tei", "azure.ml"}
)

BATCH_TIER = rules.BATCH_TIER
__all__ = ["rate_above"]  # re-exported for the prices command

_UTC = UTC
_ZERO = Decimal(0).scaleb(-12)
_MAX_UNITS = 10**18  # Decimal(18, 12) holds < 1e6 USD
_N_UNITS = FIRST_METERED - FIRST_UNIT
_NO_UNITS = (0,) * _N_UNITS
_NO_METERED = (0,) * len(REPORTED_METERED)  # extract.METERED_UNITS
_metered_usage = itemgetter(*METERED_FROM)  # those counts in USAGE_KEYS' metered part
# The cost billed at each unit's own rate (USAGE_UNITS order): none for most calls, which
# carry the empty tuple (testing it costs nothing per row; nine Decimal zeros would not).
NO_UNIT_COSTS: tuple[Decimal, ...] = ()
ZERO_UNIT_COSTS = (_ZERO,) * _N_UNITS
_FIELDS = {key: index for index, key in enumerate(USAGE_KEYS)}
_CACHE_READ, _CACHE_WRITE = _FIELDS["cache_read_tokens"], _FIELDS["cache_write_tokens"]
_INPUT_AUDIO, _CACHE_AUDIO_READ = _FIELDS["input_audio_tokens"], _FIELDS["cache_audio_read_tokens"]
_INPUT_IMAGE, _CACHE_IMAGE_READ = _FIELDS["input_image_tokens"], _FIELDS["cache_image_read_tokens"]
_INPUT_VIDEO = _FIELDS["input_video_tokens"]

# Why a call has no computed cost (``llm_calls.unpriced_reason``).
USAGE_MISSING = "usage_missing"  # the span carries no usage (stream without usage, cut off)
UNKNOWN_MODEL = "unknown_model"  # no price for this provider and model
# No provider named, and the model id is one several providers sell under that very id
# (`meta-llama/llama-3.1-8b-instruct`: Novita and OpenRouter, `providers.reseller`): which
# one's price applies is unknown, so none is taken.
SEVERAL_PROVIDERS = "several_providers"
SELF_HOSTED_REASON = "self_hosted"  # ollama, vllm: no one bills per token
NOT_PER_TOKEN = "not_per_token"  # priced per page, or per character or second it lacks
GEMINI_API = "gcp.gemini"  # the OTel provider name of Google's Gemini API (not Vertex AI)
NO_RATE = "no_rate"  # the model is known, but not the rate of this tier or unit, and no rule
# The call's date is before its model existed (a dated snapshot's date, ``gpt-4o-2024-08-06``)
# or before any LLM API priced a call (:data:`PRICES_FROM`): the price data's first rates
# carry no start date and would otherwise apply at every date back to year 1.
BEFORE_RELEASE = "before_release"
# OpenAI's API, the first LLM API sold per token, opened on 2020-06-11
# (https://openai.com/index/openai-api/): no rate in the price data applies before it.
PRICES_FROM = date(2020, 6, 11)
INVALID_USAGE = "invalid_usage"  # counts that contradict each other (more audio than input)
PRICING_ERROR = "pricing_error"
BUDGET_GUARD = "budget-guard"  # the price_version of a call blocked before it was sent
NOT_SENT = "not-sent"  # the price_version of a call whose connection failed before it was sent


class Price(NamedTuple):
    """One call's cost in USD, each a Decimal with 12 decimal places.

    ``cost`` is the cost that counts: the provider-reported cost when the span carries one
    (``cost_source="provider"``, see :func:`with_provider_cost`), else the computed one (the
    sum of the cost-by-kind columns); ``priced`` is False when neither is known.
    """

    priced: bool
    model: str  # genai-prices' canonical id (or the prices file's), the given model if unpriced
    input_cost: Decimal  # uncached input tokens, every modality (plus any per-request fee)
    cache_read_cost: Decimal
    cache_write_cost: Decimal
    output_cost: Decimal
    cost: Decimal
    cache_savings: Decimal  # what cached tokens would cost at uncached rates minus what they cost
    price_version: str  # "genai-prices@0.2.3", "corrections@DATE", "file:<sha>"; "" if unpriced
    reason: str = ""  # why there is no computed cost ("" when computed)
    rule: str = ""  # the provider rule(s) that supplied a rate, "+"-joined
    provider_cost: Decimal | None = None
    cost_source: str = "computed"  # computed, provider or none
    # Of the cost-by-kind columns, what each unit of extract.USAGE_UNITS is billed at its own
    # rate (1-hour cache writes, audio, image, video…), same order, or () when there is none
    # (ZERO_UNIT_COSTS); a unit with no rate of its own is billed at its parent's rate and
    # shows there. Each is rounded on its own.
    unit_costs: tuple[Decimal, ...] = NO_UNIT_COSTS


def unpriced(model: str, reason: str = UNKNOWN_MODEL) -> Price:
    zero = _ZERO
    return Price(False, model, zero, zero, zero, zero, zero, zero, "", reason, "", None, "none")


def never_sent(model: str, version: str = BUDGET_GUARD) -> Price:
    """The price of a call that never reached the provider, answered locally by the budget
    guard or refused at connect (``version`` says which): a known $0 whatever the model (an
    unpriced model would make it unknown)."""
    zero = _ZERO
    return Price(True, model, zero, zero, zero, zero, zero, zero, version)


def as_stored(
    price: Price,
    usage_missing: int,
    budget_blocked: int,
    provider_cost: Decimal | None,
    not_sent: int = 0,
) -> Price:
    """The price a call is stored at, from what the pricer found for its counts: unknown
    (``usage_missing``) when its span had no usage, never $0; a known $0 when the budget
    guard blocked it or its connection failed before it was sent (``not_sent``, the stored
    column: so that reprice keeps it $0 too, an unpriced model's call included;
    :func:`never_sent`); the cost the provider reported counts either way
    (:func:`with_provider_cost`). One rule for ingest and for reprice."""
    if usage_missing:  # the model's name as priced, its cost unknown
        price = unpriced(price.model, USAGE_MISSING)
    if budget_blocked:
        price = never_sent(price.model)
    elif not_sent:
        price = never_sent(price.model, NOT_SENT)
    return with_provider_cost(price, provider_cost)


def stored_usage_missing(usage_missing: int, cache_unsaid: int, price: Price) -> int:
    """The ``usage_missing`` a call is stored with: its span's (the extractor's), or the
    pricer's finding that the cache its span left unsaid could change its price
    (``Pricer.price``'s ``cache_unsaid``: then ``usage_missing`` is 0, see
    ``Call.cache_unsaid``), so that every view counts it among the calls of incomplete usage."""
    return int(bool(usage_missing) or (bool(cache_unsaid) and price.reason == USAGE_MISSING))


def with_provider_cost(price: Price, provider_cost: Decimal | None) -> Price:
    """``price`` with the cost the provider reported: it becomes the cost that counts, and the
    computed parts stay beside it (DESIGN §9: provider-reported cost is the top price layer)."""
    if provider_cost is None:
        return price
    return price._replace(
        priced=True, cost=provider_cost, provider_cost=provider_cost, cost_source="provider"
    )


def price_context(service_tier: str, provider_id: str = "") -> dict[str, str] | None:
    """The genai-prices price context for a span's service tier (``None`` for standard).
    Anthropic's fast mode is a speed, recorded as the tier ``fast`` (``anthropic_api``)."""
    if service_tier in rules.STANDARD_TIERS and service_tier != "default":
        return None
    if service_tier == BATCH_TIER:
        return {"processing": "batch"}
    if service_tier == "fast" and provider_id in rules.ANTHROPIC_PROVIDERS:
        return {"speed": "fast"}
    return {"service_tier": service_tier}


def genai_provider(provider: str, snapshot: DataSnapshot | None = None) -> str | None:
    """The genai-prices provider id for an OpenTelemetry provider name, if there is one."""
    name = provider.lower().strip()
    if name in PROVIDER_IDS:
        return PROVIDER_IDS[name]
    if not name or name in SELF_HOSTED:
        return None
    providers = (snapshot or data_snapshot.get_snapshot()).providers
    found = data_snapshot.find_provider_by_id(providers, name)
    return found.id if found else None


def _sets_own_prices(provider: str) -> bool:
    """Whether ``provider`` is a seller the instrumentation names by its API host
    (`providers.SELLERS`: DeepInfra, Jina AI…) and so bills at prices of its own, which a
    model's owner's rates are not. Asked only of names genai-prices does not know; other
    names (`unknown`, a gateway a user mapped under a name of their own) keep being priced
    by the model's owner."""
    return provider.lower().strip() in providers.SELLERS


def data_version(snapshot: DataSnapshot) -> str:
    """The ``price_version`` of rows priced from ``snapshot``: the bundled data's is
    ``genai-prices@<version>``; fetched data (``serve --prices-update``) adds a digest of its
    content, so rows can be traced to the data that priced them and an unchanged fetch keeps
    the same version."""
    if not snapshot.from_auto_update:
        return GENAI_PRICES_VERSION
    digest = hashlib.sha256(repr(snapshot.providers).encode()).hexdigest()[:12]
    return f"{GENAI_PRICES_VERSION}+{digest}"


class _Data:
    """The genai-prices data a pricer prices from, with the plans built from it: swapped as
    one object (:meth:`Pricer.adopt`), so a call is never priced by a plan of other data."""

    __slots__ = ("plans", "snapshot", "version")

    def __init__(self, snapshot: DataSnapshot) -> None:
        self.snapshot = snapshot
        self.version = data_version(snapshot)
        self.plans: dict[tuple[str, str, str], _Plan] = {}


@dataclass(frozen=True)
class Period:
    """The prices of one model over one stretch of time, compiled for exact integer pricing.

    ``compiled`` is None when the period cannot price by tokens (``reason`` says why): such a
    period still answers ``tokentrace prices`` and leaves its calls unpriced.
    """

    provider: str  # genai-prices provider id, or the prices file's provider ("" = any)
    model: str
    source: str  # "genai-prices", "corrections" or the prices file's path
    price_version: str
    valid_from: date | None  # UTC dates; valid_to is exclusive; None = unbounded
    valid_to: date | None
    hours_utc: tuple[time, time] | None  # a daily window (off-peak rates), else None
    prices: ModelPrice  # as resolved, rules applied, for display
    note: str  # what the rules did, for people
    rule: str  # the rules every call of this period is priced by, as stored in price_rule
    compiled: Compiled | None
    reason: str = ""  # why compiled is None
    no_rate: tuple[int, ...] = ()  # counts this period has no rate for: non-zero = unpriced
    rules_by_count: tuple[tuple[int, str], ...] = ()  # rules that price one count, if non-zero
    long_context: rules.LongContext | None = None  # above its threshold: unpriced (no_rate)
    requires: tuple[int, ...] = ()  # counts a call of this period always has: zero = unpriced
    unknown: str = ""  # why a correction or the prices file says this period's price is unknown
    switch: tuple[int, Compiled] | None = None  # a count that, non-zero, prices at these instead

    def price(self, usage: tuple[int, ...]) -> Price:
        compiled = self.compiled
        if compiled is not None and self.switch is not None and usage[self.switch[0]]:
            compiled = self.switch[1]
        if compiled is None:
            return unpriced(self.model, self.reason)
        if self.long_context is not None:
            long = self.long_context
            if usage[0] + (usage[3] if long.total else 0) > long.above:
                return unpriced(self.model, NO_RATE)
        for field in self.no_rate:
            if usage[field]:
                return unpriced(self.model, NO_RATE)
        for field in self.requires:
            if not usage[field]:
                return unpriced(self.model, NO_RATE)
        if compiled.metered_only:
            if not any(usage[field] for field in compiled.priced_fields) or any(
                usage[field] for field in compiled.unbilled
            ):
                return unpriced(self.model, NOT_PER_TOKEN)
        elif any(usage[FIRST_METERED:]):
            tokens = usage[0] or usage[3]
            for field in compiled.unbilled:
                if usage[field] and (field in ADDITIONAL_FIELDS or not tokens):
                    return unpriced(self.model, NO_RATE)
        total_input = usage[0]
        at = 0
        thresholds = compiled.thresholds
        if thresholds:
            for i in range(len(thresholds) - 1, -1, -1):
                if total_input > thresholds[i]:
                    at = i + 1
                    break
        band = compiled.bands[at]
        inp, read, write, out, savings = compiled.request_fee, 0, 0, 0, 0
        for field, c_in, c_read, c_write, c_out, c_save in band:
            count = usage[field]
            if count:
                inp += c_in * count
                read += c_read * count
                write += c_write * count
                out += c_out * count
                savings += c_save * count
        for leaf in compiled.leaves:
            count = 0
            for field, times in leaf:
                count += usage[field] * times
            if count < 0:
                return unpriced(self.model, INVALID_USAGE)
        total = inp + read + write + out
        if compiled.scale != 1:
            # One rounding, of the exact total; the output part absorbs the parts' residue so
            # that cost is always the sum of its parts.
            scale = compiled.scale
            total = _round(total, scale)
            inp, read, write = _round(inp, scale), _round(read, scale), _round(write, scale)
            out = total - inp - read - write
            savings = _round(savings, scale)
        if total >= _MAX_UNITS:
            raise ValueError(f"cost of {total / 1e12:.2f} USD for one call is out of range")
        unit_costs = NO_UNIT_COSTS
        if compiled.unit_bands and any(usage[FIRST_UNIT:FIRST_METERED]):
            unit_costs = _unit_costs(compiled.unit_bands[at], usage, compiled.scale)
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
            "",
            self._rules(usage) if self.rules_by_count else self.rule,
            unit_costs=unit_costs,
        )

    def cache_read_changes(self, usage: tuple[int, ...], price: Price) -> bool:
        """Whether ``price``, of ``usage`` with no cache read, would differ had every input
        token that can be read from cache been read from it: the tokens of each kind with
        a cache read rate (text, audio and image; none when the model has no cache read
        rate, as OpenAI's older models: nothing is read at a rate of its own). For a span
        that counted no cache on a call its provider may have cached on its own."""
        if _CACHE_READ in self.no_rate:
            return False
        cached = list(usage)
        cached[_CACHE_READ] = usage[0] - usage[_CACHE_WRITE] - usage[_INPUT_VIDEO]
        cached[_CACHE_AUDIO_READ] = usage[_INPUT_AUDIO]
        cached[_CACHE_IMAGE_READ] = usage[_INPUT_IMAGE]
        return self.price(tuple(cached)).cost != price.cost

    def _rules(self, usage: tuple[int, ...]) -> str:
        names = [self.rule] if self.rule else []
        names += [name for field, name in self.rules_by_count if usage[field]]
        return "+".join(names)


class Pricer:
    """Prices calls; one per process, shared by every batch (plans are cached in it).

    Layers, lowest first: genai-prices, tokentrace's sourced corrections (``corrections.yaml``;
    ``corrections=False`` leaves them out), the user's prices file.
    ``prices_file`` defaults to ``$TOKENTRACE_PRICES_FILE``; ``""`` means no file. A bad file
    raises :class:`~tokentrace.processor.pricing.overrides.PricesFileError` (``file:line: why``).
    ``snapshot``: the genai-prices data (default: genai-prices' current data, the bundled data
    unless its updater fetched newer).
    """

    def __init__(
        self,
        prices_file: str | Path | None = None,
        corrections: bool = True,
        snapshot: DataSnapshot | None = None,
    ) -> None:
        path = prices_file if prices_file is not None else os.environ.get(ENV_PRICES_FILE)
        self.overrides: PriceOverrides | None = load_overrides(path) if path else None
        self.corrections = load_overrides(CORRECTIONS_FILE, sourced=True) if corrections else None
        self._data = _Data(snapshot or data_snapshot.get_snapshot())

    @property
    def data_version(self) -> str:
        return self._data.version

    def with_data(self, snapshot: DataSnapshot) -> Pricer:
        """A pricer of ``snapshot`` with this one's corrections and prices file on top, its
        plans built for every (provider, model, tier) this one has priced, so adopting it
        does not slow the next calls down. Raises what building a plan raises."""
        fresh = Pricer.__new__(Pricer)
        fresh.overrides, fresh.corrections = self.overrides, self.corrections
        fresh._data = data = _Data(snapshot)
        for key in list(self._data.plans):
            data.plans[key] = fresh._plan(data, *key)
        return fresh

    def adopt(self, other: Pricer) -> None:
        """Price from now on with ``other``'s data and plans (one atomic swap: calls in flight
        finish with the old data)."""
        self._data = other._data

    def rates_on(self, provider: str, model: str, service_tier: str, day: date) -> tuple:
        """What prices a call on ``day``, in a form that compares equal exactly when two
        pricers charge every call of that day the same: for each time-of-day window, the model
        id calls are stored under, the compiled integer coefficients (every unit and tier),
        the rules and the unpriced reason. The price version is left out on purpose."""
        data = self._data
        key = (provider, model, service_tier)
        plan = data.plans.get(key)
        if plan is None:
            plan = data.plans[key] = self._plan(data, *key)
        moments = sorted({time(0), *(t for s in plan.schedules for t in s.times)})
        periods = (plan.at(datetime.combine(day, moment, _UTC)) for moment in moments)
        return tuple(
            None
            if p is None
            else (
                p.model,
                p.compiled,
                p.reason,
                p.no_rate,
                p.rule,
                p.rules_by_count,
                p.long_context,
                p.requires,
                p.hours_utc,
                p.switch,
            )
            for p in periods
        )

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
        reasoning_tokens: int = 0,
        units: tuple[int, ...] = _NO_UNITS,
        metered: tuple[int, ...] = _NO_METERED,
        inference_geo: str = "",
        cache_unsaid: bool = False,
    ) -> Price:
        """The cost of one call at the rates in force at ``ts`` (naive = UTC).

        ``units`` are the finer counts of ``extract.USAGE_UNITS``, in that order; ``metered``
        the counts of ``extract.METERED_UNITS`` (characters, audio seconds, web searches);
        ``inference_geo`` where inference ran when not the default (Anthropic's ``us``).
        ``cache_unsaid``: the span counted no cache on a call its provider may have cached on
        its own (``Call.cache_unsaid``); if cache reads could change the price
        (:meth:`Period.cache_read_changes`), the cost is unknown (``usage_missing``), never
        the uncached price shown as exact.
        """
        usage = (
            input_tokens,
            cache_read_tokens,
            cache_write_tokens,
            output_tokens,
            reasoning_tokens,
            *(units or _NO_UNITS),
            *_metered_usage(metered or _NO_METERED),
        )
        if min(usage) < 0 or len(usage) != len(USAGE_KEYS):
            counts = ", ".join(f"{k}={v}" for k, v in zip(USAGE_KEYS, usage, strict=False))
            raise ValueError(f"negative token count, or units missing: {counts}")
        if input_tokens < cache_read_tokens + cache_write_tokens:
            usage = (cache_read_tokens + cache_write_tokens, *usage[1:])
        key = (
            (provider, model, service_tier, inference_geo)
            if inference_geo
            else (
                provider,
                model,
                service_tier,
            )
        )
        data = self._data
        plan = data.plans.get(key)
        if plan is None:
            plan = data.plans[key] = self._plan(data, *key)
        if ts.date() < plan.first:
            return plan.before
        period = plan.fixed if plan.fixed is not None else plan.at(ts)
        if period is None:
            return plan.unpriced
        price = period.price(usage)
        if cache_unsaid and price.priced and period.cache_read_changes(usage, price):
            return unpriced(period.model, USAGE_MISSING)
        return price

    def quote(
        self, provider: str, model: str, ts: datetime, service_tier: str = ""
    ) -> Period | None:
        """The price period that applies to a call at ``ts``, or ``None`` when unpriced."""
        plan = self._plan(self._data, provider, model, service_tier)
        if ts.date() < plan.first:
            return None
        return plan.fixed if plan.fixed is not None else plan.at(ts, with_horizon=True)

    def first_day(self, provider: str, model: str, service_tier: str = "") -> date:
        """The first day a call of ``model`` can have a price (:data:`PRICES_FROM`, or a
        dated snapshot's date): before it, :meth:`price` says ``before_release``."""
        return self._plan(self._data, provider, model, service_tier).first

    def _plan(
        self, data: _Data, provider: str, model: str, service_tier: str, inference_geo: str = ""
    ) -> _Plan:
        genai_id = genai_provider(provider, data.snapshot)
        self_hosted = provider.lower().strip() in SELF_HOSTED
        # A call naming no model (TGI's `/generate` names none) is matched by the user's
        # `model_prefix: ""` entries alone (every model of the provider), never by price data.
        lookups = list(names.lookups(genai_id, model)) if model.strip() else [(genai_id, "")]
        own_list = self_hosted or (genai_id is None and _sets_own_prices(provider))
        if own_list:
            # Only the prices file prices a self-hosted server's call or a seller's whose list
            # the price data lacks: never the model's owner's rates, through a vendor id
            # (`anthropic/claude-4-sonnet` at DeepInfra) or tokentrace's corrections.
            lookups = [(None, name) for _, name in lookups]
        # A call naming no provider, of an id several resellers sell as spelt
        # (`deepseek/deepseek-r1`: Novita and OpenRouter) or of open weights their vendor's
        # API does not sell (`gpt-oss-120b`, which genai-prices lists under OpenAI at a
        # reseller's rate), is priced by no one's data, not even the owner genai-prices
        # would find from the name (DeepSeek's API rates).
        # So is such open weights' call named its vendor's (`openai` and `gpt-oss-120b`: an
        # OpenAI-compatible server the instrumentation could not name; OpenAI's API does not
        # sell it).
        bare = model.strip()
        unsold = bare.lower().startswith(providers.UNSOLD_OPEN_WEIGHTS)
        several = not own_list and (
            (genai_id is None and (providers.reseller(bare) == providers.UNKNOWN or unsold))
            or (
                genai_id == "openai"
                and bare.lower().rpartition("/")[2].startswith(providers.UNSOLD_OPEN_WEIGHTS)
            )
        )
        found, at = (None, -1) if own_list or several else _find(data.snapshot, lookups)
        schedules = []
        # A call without a provider is matched by the provider genai-prices finds from the
        # model name (its model, else the provider whose names it has, as the
        # instrumentation's model owners): that provider's corrections (and the user's
        # entries) apply to it too, and a model only a correction prices gets priced. Each
        # name the model is looked up as (.names) is matched, the span's own name first.
        seen: set[int] = set()
        layers = (self.overrides,) if own_list else (self.overrides, self.corrections)
        for layer in layers:  # the user's file over corrections
            if layer is None:
                continue
            # Corrections are price data like genai-prices', so the provider rules fill their
            # gaps (batch, 1-hour cache writes) and a call keeps genai-prices' model id on
            # both sides of a correction; the user's file means what it says.
            corrections = layer is self.corrections
            canonical = found[1].id if corrections and found else None
            for provider_id, name in lookups:
                owner = found[0].id if found else ""
                if not provider_id and not owner and not several and not own_list:
                    with contextlib.suppress(LookupError):
                        owner = data.snapshot.find_provider(name, None, None).id
                ruled_as = (provider_id or "") if corrections else None
                # The user's entries take the inference_geo rule alone, on the model as
                # genai-prices knows it (else as named).
                geo = (provider_id or owner, found[1].id if found else name)
                for entry in layer.matching((provider, provider_id or owner), name, service_tier):
                    if id(entry) not in seen:
                        seen.add(id(entry))
                        schedules.append(
                            _file_schedule(
                                entry,
                                name,
                                layer,
                                service_tier,
                                ruled_as,
                                canonical,
                                inference_geo,
                                geo,
                            )
                        )
        reason = SELF_HOSTED_REASON if self_hosted else UNKNOWN_MODEL
        if not found and not schedules and _tiers_only(self, provider, lookups):
            reason = NO_RATE
        elif several and not schedules:
            reason = SEVERAL_PROVIDERS
        if found:
            # Claude Sonnet 4.5 and later cost 10% more on a Vertex AI regional endpoint than
            # on the global one: priced when the name says which (a resource path's
            # location), else unpriced, never at the global rate by guess.
            location = "global"
            if found[0].id == "google" and rules.vertex_endpoint_priced(found[1].id):
                location = names.vertex_location(model)
            # Likewise a bare Bedrock id of a model whose global. profile costs 10% less.
            aws_model = found[1] if found[0].id == "aws" else None
            if aws_model and names.bedrock_profile_unknown(lookups[at][1], aws_model, found[0]):
                location = None
            if location is None:
                reason = NO_RATE
            else:
                regional = location != "global"
                # The prices file's gemini_grounding: billed, for the Gemini API's calls (Vertex
                # AI's grounding terms were not readable: its grounded calls stay unknown).
                billed = (
                    self.overrides is not None
                    and self.overrides.grounding_billed
                    and provider.strip().lower() == GEMINI_API
                )
                schedule = _genai_schedule(
                    *found, service_tier, data.version, regional, inference_geo, billed
                )
                schedules.append(schedule)
        first = max(PRICES_FROM, names.snapshot_date(model) or PRICES_FROM)
        return _Plan(lookups[at][1] if found else model.strip(), schedules, reason, first)


def _tiers_only(pricer: Pricer, provider: str, lookups: list[tuple[str | None, str]]) -> bool:
    """Whether the user's file or the corrections price the model for other tiers only."""
    return any(
        layer.prices_other_tiers((provider, provider_id or ""), name)
        for layer in (pricer.overrides, pricer.corrections)
        if layer is not None
        for provider_id, name in lookups
    )


def _find(
    snapshot: DataSnapshot, lookups: list[tuple[str | None, str]]
) -> tuple[tuple[Provider, ModelInfo] | None, int]:
    """genai-prices' (provider, model) for the first of ``lookups`` (:func:`names.lookups`)
    it prices, and that lookup's index; ``None`` when none is priced."""
    for index, (provider_id, name) in enumerate(lookups):
        if not name:
            continue
        try:  # a known provider without this model, or no provider matches it
            provider, info = snapshot.find_provider_model(name, None, provider_id, None)
        except LookupError:
            found = names.unversioned_bedrock_model(snapshot, provider_id, name)
            if found is None:
                continue
            provider, info = found
        if info.id.lower() != name.lower():
            info = names.exact_model(provider, name, snapshot.providers) or info
        if names.acceptable(name, info, provider.id):
            return (provider, info), index
    return None, -1


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


@dataclass(frozen=True)
class _OffDaysSchedule(_Schedule):
    """A schedule with time-of-day rates and whole days billed at the off-peak rate
    (:class:`rules.OffPeakDays`): a subclass, so no other schedule pays for the check."""

    off_days: rules.OffPeakDays
    off_rows: tuple[Period | None, ...]  # per date region: what an off-peak day is priced at

    def at(self, ts: datetime) -> Period | None:
        day = ts.date()
        index = bisect_right(self.dates, day)
        if self.off_days.covers(day):
            return self.off_rows[index]
        row = self.regions[index]
        return row[bisect_right(self.times, ts.time())]


class _Plan:
    """Everything one (provider, model, tier) can be priced by, most specific source first."""

    __slots__ = ("before", "first", "fixed", "schedules", "unpriced")

    def __init__(self, model: str, schedules: list[_Schedule], reason: str, first: date) -> None:
        self.schedules = schedules
        self.unpriced = unpriced(model, reason)
        self.first = first  # no price before this day (``Pricer.price``)
        self.before = unpriced(model, BEFORE_RELEASE)
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


def _genai_schedule(
    provider: Provider,
    model: ModelInfo,
    service_tier: str,
    version: str = GENAI_PRICES_VERSION,
    regional: bool = False,
    inference_geo: str = "",
    grounding_billed: bool = False,
) -> _Schedule:
    """genai-prices' periods for a model, as ``ModelInfo.calc_price`` resolves them;
    ``regional``: at a Vertex AI regional endpoint's rates (:data:`rules.VERTEX_REGIONAL`);
    ``inference_geo``: where an Anthropic call's inference ran (:data:`rules.ANTHROPIC_US`)."""
    context = price_context(service_tier, provider.id)
    # calc_price ignores variants for a model borrowed from a fallback provider (Azure → OpenAI).
    if context and not any(model is m for m in provider.models):
        context = None
    constraints: list[StartDateConstraint | TimeOfDateConstraint | None] = []
    if isinstance(model.prices, list):
        constraints += [c.constraint for c in model.prices]
    variants = [v for v in model.price_variants or () if context and _applies(v, context)]
    constraints += [v.constraint for v in variants]
    dates = sorted(
        {c.start_date for c in constraints if isinstance(c, StartDateConstraint)}
        | set(rules.rule_dates(provider.id, service_tier))
    )
    times = sorted(
        {
            _naive_utc(t)
            for c in constraints
            if isinstance(c, TimeOfDateConstraint)
            for t in (c.start_time, c.end_time)
        }
    )

    batch_cache_undiscounted = rules.batch_cache_undiscounted(provider.id, model, service_tier)
    fine_tuned_base = None
    if model.id.startswith("ft:") or ".ft-" in model.id:
        fine_tuned_base = provider.find_model(rules.base_model_ref(model.id))

    def resolve(day: date, moment: time) -> rules.Ruled:
        ts = datetime.combine(day, moment, tzinfo=_UTC)
        prices = model.get_prices(ts, context)
        if regional:
            prices = rules.scaled(prices, rules.VERTEX_REGIONAL_FACTOR)
        ruled = rules.apply(
            provider.id,
            model.id,
            prices,
            service_tier=service_tier,
            tier_priced=any(v.constraint is None or v.constraint.active(ts) for v in variants),
            base_prices=fine_tuned_base.get_prices(ts) if fine_tuned_base else None,
            day=day,
            inference_geo=inference_geo,
            grounding_billed=grounding_billed,
            batch_cache_undiscounted=batch_cache_undiscounted,
            batch_cache_listed=any(
                rules.gemini_batch_cache_listed(v.prices)
                for v in variants
                if v.constraint is None or v.constraint.active(ts)
            ),
        )
        return (
            replace(ruled, rules=((rules.VERTEX_REGIONAL, ""), *ruled.rules)) if regional else ruled
        )

    first = dates[0] - timedelta(days=1) if dates else date(2000, 1, 1)
    grid = [[resolve(day, moment) for moment in (time(0), *times)] for day in (first, *dates)]
    dates, grid = _merge_equal_rows(dates, grid)

    def compile_row(i: int) -> tuple[Period | None, ...]:
        return tuple(
            _compile(
                ruled.prices,
                provider=provider.id,
                model=model.id,
                source="genai-prices",
                version=version,
                valid=(dates[i - 1] if i else None, dates[i] if i < len(dates) else None),
                hours=_window(times, j),
                ruled=ruled,
            )
            for j, ruled in enumerate(grid[i])
        )

    rows = tuple(compile_row(i) for i in range(len(grid)))
    off_days = rules.off_peak_days(provider.id) if times else None
    if off_days is None:
        return _Schedule(tuple(dates), tuple(times), rows)
    # On a whole off-peak day, every hour is priced as 00:00 UTC is, with the rule named.
    off_rows = tuple(
        None
        if row[0] is None
        else replace(
            row[0],
            hours_utc=None,
            rule="+".join(filter(None, (row[0].rule, off_days.rule.name))),
            note="; ".join(filter(None, (row[0].note, off_days.rule.description))),
        )
        for row in rows
    )
    return _OffDaysSchedule(tuple(dates), tuple(times), rows, off_days, off_rows)


def _file_schedule(
    entry: OverrideEntry,
    model: str,
    overrides: PriceOverrides,
    service_tier: str = "",
    ruled_as: str | None = None,
    canonical: str | None = None,
    inference_geo: str = "",
    geo: tuple[str, str] = ("", ""),
) -> _Schedule:
    """A prices-file entry's periods; before its first ``start``, from a period's ``end``
    to the next period's start and, for an entry with ``hours_utc``, outside its daily
    window, it does not apply (the entries and layers below price those calls). An hours
    window of tokentrace's corrections is a peak window: it does not apply on the whole
    off-peak days of its provider (:class:`rules.OffPeakDays`).

    ``ruled_as``: the genai-prices provider id whose rules complete these prices (tokentrace's
    corrections); ``None`` for the user's prices file, whose missing rates are the input rate.
    ``canonical``: the model id calls are stored under (genai-prices' id of a model it knows).
    ``inference_geo``: as for :func:`_genai_schedule` (the provider rules apply it; to the
    user's file, :func:`rules.geo_only` on ``geo``, the call's provider and model ids)."""
    entry_periods = (
        _split_at(entry.periods, rules.rule_dates(ruled_as, service_tier))
        if ruled_as
        else entry.periods
    )
    starts = [p.start for p in entry_periods]

    def ruled(period: PricePeriod) -> rules.Ruled | None:
        if period.unknown:  # no rates for the rules to complete
            return None
        if ruled_as is None:
            return rules.geo_only(*geo, period.prices, inference_geo)
        return rules.apply(
            ruled_as or entry.provider or "",
            model,
            period.prices,
            service_tier=service_tier,
            tier_priced=entry.service_tier is not None,
            base_prices=None,
            day=period.start,  # a rule that changed within the period applies as at its start
            inference_geo=inference_geo,
            batch_cache_listed=entry.service_tier is not None
            and rules.gemini_batch_cache_listed(period.prices),
        )

    rulings = [ruled(period) for period in entry_periods]
    periods = [
        _compile(
            ruling.prices if ruling else period.prices,
            provider=entry.provider or "",
            # an unknown price keeps the name the call gave (the canonical id is another model)
            model=(None if period.unknown else canonical)
            or (model if entry.prefix else entry.model),
            source=(
                f"tokentrace corrections: {period.source} (checked {period.checked})"
                if period.source
                else str(overrides.path)
            ),
            version=overrides.version,
            valid=(period.start, _period_end(period, starts[i + 1 :])),
            hours=entry.hours,
            ruled=ruling,
            unknown=period.unknown,
            unknown_units=period.unknown_units,
        )
        for i, (period, ruling) in enumerate(zip(entry_periods, rulings, strict=True))
    ]
    dates: list[date] = []
    regions: list[Period | None] = [] if starts[0] is None else [None]
    for period in periods:
        if period.valid_from is not None:
            dates.append(period.valid_from)
        regions.append(period)
        if period.valid_to is not None and period.valid_to not in starts:
            dates.append(period.valid_to)  # its end, before any next start: a gap
            regions.append(None)
    if entry.hours is None:
        return _Schedule(tuple(dates), (), tuple((p,) for p in regions))
    times, inside = _window_regions(entry.hours)
    rows = tuple(tuple(p if within else None for within in inside) for p in regions)
    off_days = rules.off_peak_days(ruled_as) if ruled_as else None
    if off_days is None:
        return _Schedule(tuple(dates), times, rows)
    return _OffDaysSchedule(tuple(dates), times, rows, off_days, (None,) * len(rows))


def _window_regions(hours: tuple[time, time]) -> tuple[tuple[time, ...], tuple[bool, ...]]:
    """The time boundaries of a daily window and, for each region between them, whether it
    is inside the window (``_Schedule.times`` convention; an end of 00:00 is midnight)."""
    start, end = hours
    if start == time(0):
        return (end,), (True, False)
    if end == time(0):
        return (start,), (False, True)
    if start < end:
        return (start, end), (False, True, False)
    return (end, start), (True, False, True)  # wraps past midnight


def _split_at(periods: tuple[PricePeriod, ...], days: tuple[date, ...]) -> list[PricePeriod]:
    """A correction's periods cut at the days a provider rule starts applying (xAI's batch
    discount from 2026-06-14), so that each part is ruled as at its own start: a period that
    began before such a day would otherwise miss the rule for good."""
    split = list(periods)
    for day in days:
        starts = [p.start for p in split]
        for i, period in enumerate(split):
            end = _period_end(period, starts[i + 1 :])
            if (period.start is None or period.start < day) and (end is None or day < end):
                split[i : i + 1] = [replace(period, end=day), replace(period, start=day)]
                break
    return split


def _period_end(period: PricePeriod, later_starts: list[date | None]) -> date | None:
    """Where a prices-file period stops: its ``end``, else the next period's start."""
    if period.end is not None:
        return period.end
    return later_starts[0] if later_starts else None


def _compile(
    prices: ModelPrice,
    *,
    provider: str,
    model: str,
    source: str,
    version: str,
    valid: tuple[date | None, date | None],
    hours: tuple[time, time] | None,
    ruled: rules.Ruled | None,
    unknown: str = "",
    unknown_units: tuple[str, ...] = (),
) -> Period:
    """One period of ``prices``; ``ruled`` says what the provider rules did (None: none, as
    for the user's prices file, whose missing cache rates are the input rate by its own
    definition, and which only the inference_geo rule applies to). ``unknown``: why a
    prices-file period says its price is not known (its calls are unpriced, ``no_rate``);
    ``unknown_units``: the counts a prices-file period says it has no published rate for
    (a call with any is unpriced, ``no_rate``)."""
    if unknown:
        compiled, reason = None, NO_RATE
    else:
        try:
            compiled, reason = compile_price(prices), ""
        except Unpriceable as exc:
            compiled, reason = None, exc.reason
    applied = [rule for rule, _ in ruled.rules] if ruled else []
    if ruled is not None and ruled.tier_missing and compiled is not None:
        compiled, reason = None, NO_RATE
    switch = None
    if compiled is not None and ruled is not None and ruled.switch is not None:
        key, switched = ruled.switch
        switch = (_FIELDS[key], compile_price(switched))
    return Period(
        provider=provider,
        model=model,
        source=source,
        price_version=version,
        valid_from=valid[0],
        valid_to=valid[1],
        hours_utc=hours,
        prices=prices,
        note="; ".join(r.description for r in applied),
        rule="+".join(rule.name for rule, count in ruled.rules if not count) if ruled else "",
        compiled=compiled,
        reason=reason,
        no_rate=tuple(_FIELDS[key] for key in (*(ruled.no_rate if ruled else ()), *unknown_units)),
        rules_by_count=tuple(
            (_FIELDS[count], rule.name) for rule, count in (ruled.rules if ruled else ()) if count
        ),
        long_context=ruled.long_context if ruled else None,
        requires=tuple(_FIELDS[key] for key in ruled.requires) if ruled else (),
        unknown=unknown,
        switch=switch,
    )


def _merge_equal_rows(
    dates: list[date], grid: list[list[rules.Ruled]]
) -> tuple[list[date], list[list[rules.Ruled]]]:
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


def _round(units: int, scale: int) -> int:
    """``units / scale`` rounded half to even, as ``Decimal.quantize`` does."""
    quotient, remainder = divmod(units, scale)
    if 2 * remainder > scale or (2 * remainder == scale and quotient % 2):
        quotient += 1
    return quotient


def _unit_costs(
    band: tuple[tuple[int, int, tuple[tuple[int, int], ...]], ...],
    usage: tuple[int, ...],
    scale: int,
) -> tuple[Decimal, ...]:
    """Each unit's rate times its leaf count (see ``Compiled.unit_bands``)."""
    costs = [0] * _N_UNITS
    for unit, rate, form in band:
        costs[unit] = rate * sum(usage[field] * times for field, times in form)
    if scale != 1:
        costs = [_round(cost, scale) for cost in costs]
    return tuple(_usd(cost) for cost in costs)


_PICO = Decimal("1E-12")


def _usd(units: int) -> Decimal:
    """Integer units of 1e-12 USD as a Decimal with 12 decimal places: an exact product (the
    units have at most 19 digits, the context keeps 28), ~1.5x faster than ``scaleb``."""
    return Decimal(units) * _PICO if units else _ZERO
