"""A seeded corpus of varied LLM calls and their price by genai-prices' own ``calc_price``.

Shared by the identity test (a sample) and ``bench/pricing.py`` (all of it). Calls carry every
usage unit a span can report (1-hour cache writes, audio, image and video tokens, cached
audio and image, reasoning). The reference is written from genai-prices' public API and
tokentrace's documented rules only (the providers' batch, flex, fine-tuned cache and 1-hour
cache rules of ``rules.py``, unpriced when no rule applies; the per-request fee counted as
input), never from the pricer's internals.
"""

from __future__ import annotations

import contextlib
import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from genai_prices import Usage, calc_price
from genai_prices.data_snapshot import get_snapshot
from genai_prices.types import ModelPrice, Tier, TieredPrices

from tokentrace.processor.pricing import rules
from tokentrace.processor.pricing.names import MISTRAL_RELEASES
from tokentrace.processor.pricing.units import FIRST_METERED, USAGE_KEYS

OTEL_NAMES = {
    "openai": ["openai"],
    "anthropic": ["anthropic"],
    "google": ["gcp.gemini", "gcp.vertex_ai", "gcp.gen_ai"],
    "aws": ["aws.bedrock"],
    "azure": ["azure.ai.openai", "azure.ai.inference"],
    "mistral": ["mistral_ai"],
    "cohere": ["cohere"],
    "deepseek": ["deepseek"],
    "groq": ["groq"],
    "x-ai": ["x_ai"],
    "perplexity": ["perplexity"],
    "together": ["together"],
    "openrouter": ["openrouter"],
    "fireworks": ["fireworks"],
}
# Names as SDKs report them: dated versions, Bedrock ids, compact dates, and models no one prices.
EXTRA_MODELS = [
    ("openai", "gpt-4o-2024-08-06"),
    ("openai", "gpt-4o-mini-2024-07-18"),
    ("anthropic", "claude-sonnet-4-5-20250929"),
    ("anthropic", "claude-3-5-sonnet-20241022"),
    ("aws.bedrock", "us.anthropic.claude-sonnet-4-20250514-v1:0"),
    ("aws.bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
    ("gcp.gemini", "gemini-2.5-flash-preview-05-20"),
    ("openrouter", "openai/gpt-5.2-20251211"),
    ("azure.ai.openai", "gpt-4o-2024-08-06"),
    ("ibm.watsonx.ai", "claude-3-5-haiku-20241022"),
    ("some-gateway", "gpt-4o"),
    ("", "claude-3-5-haiku-latest"),
    ("openai", "ft:gpt-4o:acme::abc123"),
    ("openai", "no-such-model"),
    ("ibm.watsonx.ai", "ibm/granite-3-8b-instruct"),
    ("ollama", "llama3.1:8b"),
    ("vllm", "meta-llama/Llama-3.1-8B-Instruct"),
]
TIERS = ["", "", "", "batch", "flex", "priority", "default", "fast", "scale"]
_START = datetime(2023, 1, 1, tzinfo=UTC)
_SPAN_SECONDS = int((datetime(2027, 7, 1, tzinfo=UTC) - _START).total_seconds())


UNIT_KEYS = USAGE_KEYS[5:FIRST_METERED]  # extract.USAGE_UNITS, as genai-prices names them


@dataclass(frozen=True)
class Call:
    provider: str
    model: str
    ts: datetime
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    service_tier: str
    reasoning_tokens: int = 0
    units: tuple[int, ...] = (0,) * len(UNIT_KEYS)

    def usage(self) -> dict[str, int]:
        """Every count, by genai-prices usage key (all explicit, zeros included)."""
        counts = (
            self.input_tokens,
            self.cache_read_tokens,
            self.cache_write_tokens,
            self.output_tokens,
            self.reasoning_tokens,
            *self.units,
        )
        return dict(zip(USAGE_KEYS[:FIRST_METERED], counts, strict=True))


def price(pricer, call: Call):
    """``call`` through tokentrace's pricer, as the pipeline passes a span's counts."""
    return pricer.price(
        call.provider,
        call.model,
        call.ts,
        call.input_tokens,
        call.output_tokens,
        call.cache_read_tokens,
        call.cache_write_tokens,
        call.service_tier,
        call.reasoning_tokens,
        call.units,
    )


@dataclass(frozen=True)
class Expected:
    """What genai-prices says a call costs, before rounding to 12 decimals."""

    model: str
    input_side: Decimal  # input + cache read + cache write (+ request fee)
    output: Decimal
    total: Decimal
    cache_savings: Decimal


def build_corpus(size: int, seed: int = 3) -> list[Call]:
    rng = random.Random(seed)
    providers = {p.id: p for p in get_snapshot().providers}
    pairs = [
        (otel, model.id)
        for genai_id, names in OTEL_NAMES.items()
        for otel in names
        for model in providers[genai_id].models
    ]
    calls = []
    for _ in range(size):
        if rng.random() < 0.15:
            provider, model = rng.choice(EXTRA_MODELS)
        else:
            provider, model = rng.choice(pairs)
        calls.append(_call(rng, provider, model, random_timestamp(rng), rng.choice(TIERS)))
    return calls


def _call(rng: random.Random, provider: str, model: str, ts: datetime, tier: str) -> Call:
    if rng.random() < 0.7:
        return Call(provider, model, ts, *random_usage(rng), tier)
    inp, out, read, write, reasoning, units = random_units(rng)
    return Call(provider, model, ts, inp, out, read, write, tier, reasoning, units)


def random_timestamp(rng: random.Random) -> datetime:
    return _START + timedelta(
        seconds=rng.randrange(_SPAN_SECONDS), microseconds=rng.randrange(10**6)
    )


def random_usage(rng: random.Random) -> tuple[int, int, int, int]:
    shape = rng.random()
    if shape < 0.1:
        inp = rng.choice([0, 1, 128_000, 199_999, 200_000, 200_001, 272_000, 1_000_000])
    elif shape < 0.2:
        inp = rng.randrange(150_000, 1_100_000)
    else:
        inp = int(10 ** rng.uniform(0, 5.3))
    read = rng.randrange(inp + 1) if rng.random() < 0.4 else 0
    write = rng.randrange(inp - read + 1) if rng.random() < 0.25 else 0
    out = 0 if rng.random() < 0.05 else int(10 ** rng.uniform(0, 4.7))
    return inp, out, read, write


def random_units(rng: random.Random) -> tuple:
    """Counts of every unit, consistent as a provider reports them: the input is text,
    audio, image and video tokens, each cached or not, plus 5-minute and 1-hour cache
    writes; the output is text, reasoning, audio, image and video tokens."""

    def some(top: float) -> int:
        return int(10 ** rng.uniform(0, top)) if rng.random() < 0.5 else 0

    text, text_read, w5, w1h = some(5.3), some(5), some(4.5), some(4.5)
    audio, audio_read, image, image_read, video = some(4), some(3.5), some(4), some(3), some(4)
    out_text, reasoning, out_audio, out_image, out_video = (some(4) for _ in range(5))
    units = (
        w1h,
        audio + audio_read,
        audio_read,
        out_audio,
        image + image_read,
        image_read,
        out_image,
        video,
        out_video,
    )
    return (
        text + text_read + w5 + w1h + audio + audio_read + image + image_read + video,
        out_text + reasoning + out_audio + out_image + out_video,
        text_read + audio_read + image_read,
        w5 + w1h,
        reasoning,
        units,
    )


# The standard tier's names, and the providers whose published rules tokentrace applies
# (rules.py): written here from the providers' pages, not from the pricer.
STANDARD = {"", "default", "standard", "auto", "on_demand"}
BATCH_HALF = {"openai", "azure", "anthropic", "google", "mistral", "groq", "aws", "fireworks"}
# xAI: 20% off from 2026-06-14, when its docs already gave per-model batch rates; unknown before.
XAI_BATCH_FROM = date(2026, 6, 14)
OPENAI = {"openai", "azure"}
CLAUDE_HOSTS = {"anthropic", "aws", "google"}
# Long-context tiers the data lacks, rate unknown (rules.LONG_CONTEXT): (provider, model id
# parts, threshold, output counted too).
LONG_CONTEXT_NO_RATE = (
    ("aws", ("claude-sonnet-4-2025", "claude-sonnet-4-5-2025"), 200_000, False),
    ("x-ai", ("grok-4-0709", "grok-4-fast", "grok-4-1-fast"), 128_000, True),
)


# DeepSeek bills its peak hours Monday to Friday only from 2026-08-23, and not on China's
# statutory holidays (the State Council's 2026 list) from 2026-09-19: such days are off-peak
# all day, as 00:00 UTC is.
DEEPSEEK_WEEKENDS_FROM = date(2026, 8, 23)
DEEPSEEK_HOLIDAYS_FROM = date(2026, 9, 19)
CHINA_HOLIDAYS_2026 = {
    date(2026, month, day)
    for month, first, last in (
        (1, 1, 3),
        (2, 15, 23),
        (4, 4, 6),
        (5, 1, 5),
        (6, 19, 21),
        (9, 25, 27),
        (10, 1, 7),
    )
    for day in range(first, last + 1)
}


def _deepseek_off_peak_day(call: Call) -> bool:
    day = call.ts.date()
    return (day >= DEEPSEEK_WEEKENDS_FROM and day.weekday() >= 5) or (
        day >= DEEPSEEK_HOLIDAYS_FROM and day in CHINA_HOLIDAYS_2026
    )


def _first_day(model: str) -> date:
    """No price before OpenAI's API opened (2020-06-11), nor before the date a dated
    snapshot's name gives (``-2024-08-06``, ``-20241022``), nor before a Mistral snapshot's
    release (``mistral-large-2411``)."""
    first = date(2020, 6, 11)
    for match in re.finditer(r"(?<!\d)(20\d\d)(-?)(\d\d)\2(\d\d)(?!\d)", model):
        with contextlib.suppress(ValueError):
            first = max(first, date(int(match[1]), int(match[3]), int(match[4])))
            return first
    # Mistral's -YYMM names: the day its changelog released each (data, not the rule).
    words = re.split(r"[^a-z0-9-]", model.lower())
    released = [
        day
        for name, day in MISTRAL_RELEASES.items()
        for w in words
        if w == name or w.startswith(f"{name}-")
    ]
    return max([first, *released])


def reference(call: Call, provider_id: str | None) -> Expected | str:
    """genai-prices' price for ``call`` with tokentrace's provider rules, or the reason it
    has none."""
    if call.ts.date() < _first_day(call.model):
        return "before_release"
    if provider_id == "openai" and call.model.lower().rpartition("/")[2].startswith("gpt-oss"):
        return "several_providers"  # open weights OpenAI's API does not sell: whose call?
    context = _context(call.service_tier)
    counts = call.usage()
    usage = Usage(**counts)
    model = call.model
    if provider_id == "fireworks" and "/" not in model:  # Fireworks ids are paths
        model = f"accounts/fireworks/models/{model}"
    try:
        calc = calc_price(
            usage,
            model,
            provider_id=provider_id,
            genai_request_timestamp=call.ts,
            price_context=context,
        )
        if calc.provider.id == "deepseek" and _deepseek_off_peak_day(call):
            midnight = call.ts.replace(hour=0, minute=0, second=0, microsecond=0)
            calc = calc_price(
                usage,
                model,
                provider_id=provider_id,
                genai_request_timestamp=midnight,
                price_context=context,
            )
        if calc.provider.id in CLAUDE_HOSTS and call.service_tier == "fast":
            context = {"speed": "fast"}  # Anthropic's fast mode, recorded as the tier "fast"
            calc = calc_price(
                usage,
                model,
                provider_id=provider_id,
                genai_request_timestamp=call.ts,
                price_context=context,
            )
    except LookupError:
        return "unknown_model"
    prices = calc.model_price
    keys = {k for k, v in prices.__dict__.items() if v is not None}
    per_token = any(k.endswith("_mtok") for k in keys) or "requests_kcount" in keys
    # Rates per character, second or search price the counts a span carries beside tokens
    # (units.METERED_KEYS); the corpus' calls carry tokens only, which such a price cannot bill.
    metered = bool(
        keys
        & {
            "input_mchars",
            "audio_hours",
            "input_audio_hours",
            "input_document_kpages",
            "input_annotated_document_kpages",
        }
    )
    if not per_token and prices != ModelPrice() and not metered:
        return "not_per_token"
    pid = calc.provider.id
    if pid == "google" and rules.vertex_endpoint_priced(calc.model.id):
        return "no_rate"  # Vertex AI: global or regional (+10%)? The bare name does not say.
    tier = call.service_tier
    # Gemini batch with cache hits where the batch row lists no cached rate: Vertex AI and the
    # Gemini API bill them at the standard cache-hit rate (rules.VERTEX_BATCH_CACHE).
    standard_cache = (prices.cache_read_mtok, prices.cache_audio_read_mtok)
    gemini_batch_cache = (
        tier == "batch"
        and pid == "google"
        and "gemini" in calc.model.id
        and not _batch_cache_listed(calc, call.ts)
    )
    if tier not in STANDARD and not _has_tier_price(calc, call.ts, tier):
        if (tier == "batch" and pid in BATCH_HALF) or (tier == "flex" and pid in OPENAI):
            prices = _scaled(prices, Decimal("0.5"))
            if tier == "batch" and pid == "mistral":  # Mistral OCR: half the page rates too
                prices = _set(
                    prices,
                    **{
                        k: v * Decimal("0.5")
                        for k, v in prices.__dict__.items()
                        if v is not None and k.endswith("document_kpages")
                    },
                )
        elif tier == "batch" and pid == "x-ai" and call.ts.date() >= XAI_BATCH_FROM:
            prices = _scaled(prices, Decimal("0.8"))
        elif tier == "flex" and pid == "google" and "gemini" in calc.model.id:
            prices = _scaled(prices, Decimal("0.5"))  # Gemini flex: 50% of standard
        elif tier == "flex" and pid == "groq":
            pass  # Groq: "Pricing matches the on-demand tier"
        else:
            return "no_rate"
    elif pid == "perplexity" and prices.requests_kcount is not None:
        return "no_rate"  # Sonar's fee depends on the search context size, not named here
    if gemini_batch_cache:
        prices = _set(
            prices, cache_read_mtok=standard_cache[0], cache_audio_read_mtok=standard_cache[1]
        )
    if tier == "batch" and pid == "azure" and call.cache_read_tokens:
        return "no_rate"  # Azure Batch with cache hits: no published rate
    if rules.batch_cache_undiscounted(pid, calc.model, tier) and prices.cache_read_mtok:
        # OpenAI: no prompt-caching discount on the Batch API where its row has no cached rate
        prices = _set(prices, cache_read_mtok=prices.input_mtok)
    if pid == "perplexity" and prices.output_citation_mtok is not None:
        return "no_rate"  # Deep Research always searches; the corpus' calls count none
    if not per_token and metered:
        return "not_per_token"
    searches = any(part in calc.model.id for part in ("-search-preview", "-search-api"))
    if searches and pid in OPENAI | {"openrouter"}:
        return "no_rate"  # a fee per search, which no span counts (rules.OPENAI_SEARCH)
    if _long_context_no_rate(call, pid, calc.model.id, prices):
        return "no_rate"
    if prices.input_mtok is not None and prices.cache_read_mtok is None:
        base = _fine_tuned_base(calc, call.ts)
        if base is not None:
            prices = _set(prices, cache_read_mtok=_times(prices.input_mtok, base))
        elif pid == "fireworks" and prices.output_mtok is not None:  # its 50% default
            prices = _set(prices, cache_read_mtok=_times(prices.input_mtok, Decimal("0.5")))
        elif call.cache_read_tokens:
            return "no_rate"
    if prices.input_mtok is not None and prices.cache_write_mtok is None:
        modal = any(getattr(prices, f"input_{m}_mtok") is not None for m in ("audio", "image"))
        if pid in OPENAI and not modal and prices.input_video_mtok is None:
            prices = _set(prices, cache_write_mtok=prices.input_mtok)
        elif call.cache_write_tokens:
            return "no_rate"
    if prices.cache_write_mtok is not None and prices.cache_write_1h_mtok is None:
        if pid in CLAUDE_HOSTS and "claude" in calc.model.id:
            prices = _set(prices, cache_write_1h_mtok=_times(prices.input_mtok, Decimal(2)))
        elif call.units[0]:
            return "no_rate"
    values = prices.calc_price(usage)
    fee = (prices.requests_kcount or Decimal(0)) / 1000
    return Expected(
        calc.model.id,
        values["input_price"] + fee,
        values["output_price"],
        values["total_price"],
        _savings(prices, usage),
    )


def _long_context_no_rate(call: Call, pid: str, model_id: str, prices: ModelPrice) -> bool:
    if any(isinstance(v, TieredPrices) for v in prices.__dict__.values()):
        return False
    tokens = max(call.input_tokens, call.cache_read_tokens + call.cache_write_tokens)
    for provider, parts, above, total in LONG_CONTEXT_NO_RATE:
        if pid == provider and any(part in model_id for part in parts):
            return tokens + (call.output_tokens if total else 0) > above
    return False


def _context(tier: str) -> dict[str, str] | None:
    if tier in STANDARD and tier != "default":
        return None
    return {"processing": "batch"} if tier == "batch" else {"service_tier": tier}


def _has_tier_price(calc, ts: datetime, tier: str) -> bool:
    if not any(calc.model is m for m in calc.provider.models):
        return False  # calc_price ignores tiers of a model borrowed from another provider
    when = {"processing": "batch"} if tier == "batch" else {"service_tier": tier}
    if tier == "fast" and calc.provider.id in CLAUDE_HOSTS:
        when = {"speed": "fast"}
    return any(
        v.when == when and (v.constraint is None or v.constraint.active(ts))
        for v in calc.model.price_variants or ()
    )


def _batch_cache_listed(calc, ts: datetime) -> bool:
    return any(
        v.when == {"processing": "batch"}
        and (v.constraint is None or v.constraint.active(ts))
        and v.prices.cache_read_mtok is not None
        for v in calc.model.price_variants or ()
    )


def _fine_tuned_base(calc, ts: datetime) -> Decimal | None:
    """OpenAI's fine-tuned models' cached input: the base model's cached/input ratio."""
    model_id = calc.model.id
    if calc.provider.id not in OPENAI or not (model_id.startswith("ft:") or ".ft-" in model_id):
        return None
    base = calc.provider.find_model(model_id.removeprefix("ft:").split(".ft-")[0].rstrip("-"))
    if base is None:
        return None
    prices = base.get_prices(ts)
    read, inp = prices.cache_read_mtok, prices.input_mtok
    if not isinstance(read, Decimal) or not isinstance(inp, Decimal) or not inp:
        return None
    return read / inp


def _times(rate, factor: Decimal):
    if isinstance(rate, TieredPrices):
        tiers = [Tier(start=t.start, price=t.price * factor) for t in rate.tiers]
        return TieredPrices(base=rate.base * factor, tiers=tiers)
    return rate * factor


def _set(prices: ModelPrice, **changes) -> ModelPrice:
    return ModelPrice(**{**prices.__dict__, **changes})


def _scaled(prices: ModelPrice, factor: Decimal) -> ModelPrice:
    return _set(
        prices,
        **{
            k: _times(v, factor)
            for k, v in prices.__dict__.items()
            if v is not None and k.endswith("_mtok")
        },
    )


def _savings(prices: ModelPrice, usage: Usage) -> Decimal:
    """What the cached tokens would cost without cache rates, minus what they cost."""
    plain = ModelPrice(**{k: v for k, v in prices.__dict__.items() if not k.startswith("cache_")})
    return plain.calc_price(usage)["total_price"] - prices.calc_price(usage)["total_price"]
