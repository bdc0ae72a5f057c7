"""A seeded corpus of varied LLM calls and their price by genai-prices' own ``calc_price``.

Shared by the identity test (a sample) and ``bench/pricing.py`` (all of it). The reference is
written from genai-prices' public API and tokentrace's documented rules only (the 50 % batch
fallback, the per-request fee counted as input), never from the pricer's internals.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from genai_prices import Usage, calc_price
from genai_prices.data_snapshot import get_snapshot
from genai_prices.types import ModelPrice, Tier, TieredPrices, calc_unit_price

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
        calls.append(
            Call(provider, model, random_timestamp(rng), *random_usage(rng), rng.choice(TIERS))
        )
    return calls


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


def reference(call: Call, provider_id: str | None) -> Expected | None:
    """genai-prices' price for ``call`` (``None``: it has no price for it)."""
    context = _context(call.service_tier)
    usage = Usage(
        input_tokens=call.input_tokens,
        output_tokens=call.output_tokens,
        cache_read_tokens=call.cache_read_tokens,
        cache_write_tokens=call.cache_write_tokens,
    )
    try:
        calc = calc_price(
            usage,
            call.model,
            provider_id=provider_id,
            genai_request_timestamp=call.ts,
            price_context=context,
        )
    except LookupError:
        return None
    prices = calc.model_price
    token_keys = ("input_mtok", "cache_read_mtok", "cache_write_mtok", "output_mtok")
    priced_per_token = any(getattr(prices, k) is not None for k in (*token_keys, "requests_kcount"))
    if not priced_per_token and prices != ModelPrice():
        return None  # priced per hour, page or character only (an empty price is free)
    if call.service_tier == "batch" and not _has_batch_price(calc, call.ts):
        prices = _half(prices, token_keys)
        values = prices.calc_price(usage)
        input_price, output_price = values["input_price"], values["output_price"]
        total = values["total_price"]
    else:
        input_price, output_price, total = calc.input_price, calc.output_price, calc.total_price
    fee = (prices.requests_kcount or Decimal(0)) / 1000
    return Expected(calc.model.id, input_price + fee, output_price, total, _savings(prices, call))


def _context(tier: str) -> dict[str, str] | None:
    if not tier:
        return None
    return {"processing": "batch"} if tier == "batch" else {"service_tier": tier}


def _has_batch_price(calc, ts: datetime) -> bool:
    if not any(calc.model is m for m in calc.provider.models):
        return False
    return any(
        v.when == {"processing": "batch"} and (v.constraint is None or v.constraint.active(ts))
        for v in calc.model.price_variants or ()
    )


def _half(prices: ModelPrice, keys: tuple[str, ...]) -> ModelPrice:
    halved = {}
    for key in keys:
        rate = getattr(prices, key)
        if isinstance(rate, TieredPrices):
            tiers = [Tier(start=t.start, price=t.price / 2) for t in rate.tiers]
            halved[key] = TieredPrices(base=rate.base / 2, tiers=tiers)
        elif rate is not None:
            halved[key] = rate / 2
    return ModelPrice(**{**prices.__dict__, **halved})


def _savings(prices: ModelPrice, call: Call) -> Decimal:
    """Cache reads at the input rate minus at their own; minus writes' premium over input."""
    total_input = call.input_tokens
    per = 1_000_000

    def cost(rate, tokens: int) -> Decimal:
        return calc_unit_price(rate, tokens, total_input, per)

    read_rate = prices.cache_read_mtok or prices.input_mtok
    write_rate = prices.cache_write_mtok or prices.input_mtok
    reads = cost(prices.input_mtok, call.cache_read_tokens) - cost(
        read_rate, call.cache_read_tokens
    )
    writes = cost(write_rate, call.cache_write_tokens) - cost(
        prices.input_mtok, call.cache_write_tokens
    )
    return reads - writes
