"""The bulk pricer gives exactly genai-prices' ``calc_price`` results, and follows the rules
tokentrace adds: providers by OpenTelemetry name, tiers, unpriced models, exact decimals."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from genai_prices import Usage, calc_price
from pricing_corpus import UNIT_KEYS, build_corpus, price, reference

from tokentrace.processor.pricing.pricer import (
    GENAI_PRICES_VERSION,
    PROVIDER_IDS,
    Price,
    Pricer,
    genai_provider,
)

UTC = UTC
TS = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
Q = Decimal("1e-12")
ZERO = Decimal(0)


@pytest.fixture(scope="module")
def pricer() -> Pricer:
    return Pricer(prices_file="", corrections=False)


def usd(text: str) -> Decimal:
    return Decimal(text)


def test_identical_to_calc_price_on_a_sample_of_the_corpus(pricer: Pricer) -> None:
    corpus = build_corpus(12_000)
    sample = random.Random(11).sample(corpus, 2_500)
    priced = 0
    reasons: dict[str, int] = {}
    units_priced = dict.fromkeys(UNIT_KEYS, 0)
    for call in sample:
        expected = reference(call, genai_provider(call.provider))
        if call.provider in ("ollama", "vllm"):
            expected = "self_hosted"
        got = price(pricer, call)
        if isinstance(expected, str):
            assert not got.priced and got.cost == 0 and got.price_version == "", call
            assert got.reason == expected, call
            reasons[expected] = reasons.get(expected, 0) + 1
            continue
        priced += 1
        assert got.priced and got.model == expected.model, call
        assert got.cost == expected.total.quantize(Q), call
        assert got.output_cost == expected.output.quantize(Q), call
        assert got.input_cost + got.cache_read_cost + got.cache_write_cost == (
            expected.input_side.quantize(Q)
        ), call
        assert got.cache_savings == expected.cache_savings.quantize(Q), call
        assert got.price_version == GENAI_PRICES_VERSION
        assert got.cost.as_tuple().exponent == -12
        for key, count in zip(UNIT_KEYS, call.units, strict=True):
            units_priced[key] += bool(count)
    # The sample really covers priced calls with every unit, and every unpriced reason.
    assert priced > 600, priced
    assert min(units_priced.values()) > 25, units_priced
    assert set(reasons) == {
        "unknown_model",
        "no_rate",
        "not_per_token",
        "self_hosted",
        "before_release",
        "several_providers",
    }, reasons


def test_exact_cost_by_kind_with_cache(pricer: Pricer) -> None:
    # gpt-4o: $2.50 input, $1.25 cache read, $10 output per million; writes pay the input rate.
    price = pricer.price("openai", "gpt-4o-2024-08-06", TS, 10_000, 1_000, 4_000, 1_000)
    assert price == Price(
        priced=True,
        model="gpt-4o",
        input_cost=usd("0.0125"),  # 5,000 uncached
        cache_read_cost=usd("0.005"),
        cache_write_cost=usd("0.0025"),
        output_cost=usd("0.01"),
        cost=usd("0.03"),
        cache_savings=usd("0.005"),
        price_version="genai-prices@0.2.3",
        rule="openai-cache-write-input-rate",  # OpenAI charges no write premium
    )


def test_cache_savings_go_negative_when_write_premium_exceeds_read_savings(pricer) -> None:
    # claude-sonnet-4-5: $3 input, $0.30 read, $3.75 write.
    price = pricer.price("anthropic", "claude-sonnet-4-5-20250929", TS, 100_000, 0, 0, 100_000)
    assert price.cache_write_cost == usd("0.375")
    assert price.cache_savings == usd("-0.075")


def test_long_context_tier_applies_to_all_tokens_above_the_threshold(pricer) -> None:
    # claude-sonnet-4-5 is $3/$15 up to 200k input tokens, $6/$22.50 above.
    at_threshold = pricer.price("anthropic", "claude-sonnet-4-5", TS, 200_000, 1_000)
    above = pricer.price("anthropic", "claude-sonnet-4-5", TS, 200_001, 1_000)
    assert at_threshold.cost == usd("0.6") + usd("0.015")
    assert above.input_cost == usd("1.200006")
    assert above.output_cost == usd("0.0225")


def test_rate_in_force_at_the_call_timestamp(pricer: Pricer) -> None:
    # OpenAI cut o3 from $10/$40 to $2/$8 on 2025-06-10 (UTC dates).
    before = pricer.price(
        "openai", "o3", datetime(2025, 6, 9, 23, 59, 59, tzinfo=UTC), 1_000, 1_000
    )
    after = pricer.price("openai", "o3", datetime(2025, 6, 10, tzinfo=UTC), 1_000, 1_000)
    assert before.cost == usd("0.05")
    assert after.cost == usd("0.01")
    # 2025-06-09 20:00 in New York is 2025-06-10 00:00 UTC; naive times are UTC.
    new_york = timezone(timedelta(hours=-4))
    assert (
        pricer.price("openai", "o3", datetime(2025, 6, 9, 20, tzinfo=new_york), 1_000, 1_000)
        == after
    )
    assert pricer.price("openai", "o3", datetime(2025, 6, 9, 23), 1_000, 1_000) == before


def test_off_peak_hours_are_priced_by_time_of_day(pricer: Pricer) -> None:
    day = datetime(2025, 3, 1, tzinfo=UTC)
    for hour in (2, 17, 23):
        ts = day + timedelta(hours=hour)
        expected = calc_price(
            Usage(input_tokens=1_000_000, output_tokens=1_000_000),
            "deepseek-chat",
            provider_id="deepseek",
            genai_request_timestamp=ts,
        ).total_price
        assert pricer.price("deepseek", "deepseek-chat", ts, 1_000_000, 1_000_000).cost == expected
    peak = pricer.price("deepseek", "deepseek-chat", day + timedelta(hours=2), 1_000_000, 0)
    off_peak = pricer.price("deepseek", "deepseek-chat", day + timedelta(hours=17), 1_000_000, 0)
    assert peak.cost != off_peak.cost


def test_batch_tier_uses_genai_prices_batch_rate_else_half_price(pricer: Pricer) -> None:
    # gpt-4o has a batch price from 2026-10-14 ($1.25/$5, reads stay $1.25); before, 50 %.
    with_variant = pricer.price("openai", "gpt-4o", TS, 1_000_000, 1_000_000, 200_000, 0, "batch")
    assert (with_variant.input_cost, with_variant.cache_read_cost) == (usd("1"), usd("0.25"))
    assert with_variant.output_cost == usd("5")
    early = datetime(2026, 1, 1, tzinfo=UTC)
    half = pricer.price("openai", "gpt-4o", early, 1_000_000, 1_000_000, 200_000, 0, "batch")
    standard = pricer.price("openai", "gpt-4o", early, 1_000_000, 1_000_000, 200_000, 0)
    assert standard.cost == usd("12.25")  # 800,000 x 2.5 + 200,000 x 1.25 + 1,000,000 x 10
    # Half of every rate but the cached one: gpt-4o's Batch row has no cached-input rate, and
    # "Discounting for Prompt Caching is not available on the Batch API" (OpenAI's prompt
    # caching FAQ): 800,000 x 1.25 + 200,000 x 1.25 (the batch input rate) + 1,000,000 x 5.
    assert (half.cost, half.cache_read_cost, half.rule) == (
        usd("6.25"),
        usd("0.25"),
        "batch-50pct+openai-batch-no-cache-discount",
    )


def test_tiers_use_their_rates_or_a_provider_rule_else_stay_unpriced(pricer) -> None:
    standard = pricer.price("openai", "gpt-4o", TS, 1_000_000, 0)
    assert pricer.price("openai", "gpt-4o", TS, 1_000_000, 0, service_tier="priority").cost == (
        usd("4.25")
    )
    for same in ("default", "standard", "auto"):
        assert pricer.price("openai", "gpt-4o", TS, 1_000_000, 0, service_tier=same) == standard
    # No flex price for gpt-4o in the data: OpenAI bills flex at Batch API rates (50 %).
    flex = pricer.price("openai", "gpt-4o", TS, 1_000_000, 0, service_tier="flex")
    assert (flex.cost, flex.rule) == (usd("1.25"), "openai-flex-50pct")
    # A tier with no price and no published rule is never billed at the standard rate.
    scale = pricer.price("openai", "gpt-4o", TS, 1_000_000, 0, service_tier="scale")
    assert (scale.priced, scale.reason, scale.cost_source) == (False, "no_rate", "none")
    # Anthropic publishes no flex tier: no rule applies.
    assert pricer.price("anthropic", "claude-haiku-4-5", TS, 1, 1, service_tier="flex").reason == (
        "no_rate"
    )
    # Groq bills flex at its on-demand rates: llama-3.3-70b-versatile, 1M input at $0.59 and
    # 100K output at $0.79 per million = 0.59 + 0.079, on either tier.
    on_demand = pricer.price("groq", "llama-3.3-70b-versatile", TS, 1_000_000, 100_000)
    groq_flex = pricer.price(
        "groq", "llama-3.3-70b-versatile", TS, 1_000_000, 100_000, service_tier="flex"
    )
    assert on_demand.cost == groq_flex.cost == usd("0.669")
    assert (on_demand.rule, groq_flex.rule) == ("", "groq-flex-on-demand-rate")
    same = pricer.price(
        "groq", "llama-3.3-70b-versatile", TS, 1_000_000, 100_000, service_tier="on_demand"
    )
    assert same == on_demand


def test_fireworks_batch_and_cached_input_defaults(pricer: Pricer) -> None:
    # https://docs.fireworks.ai/serverless/overview: batch is "50% of standard Serverless rates
    # on both input and output"; cached input defaults to "50% of input on text and vision
    # models, unless a model lists a different cached rate". deepseek-r1-0528 lists none at
    # $3 / $8: 600,000 x 3 + 400,000 x 1.5 + 100,000 x 8.
    model = "accounts/fireworks/models/deepseek-r1-0528"
    cached = pricer.price("fireworks", model, TS, 1_000_000, 100_000, 400_000)
    assert (cached.cost, cached.rule) == (usd("3.2"), "fireworks-cached-input-50pct")
    batch = pricer.price("fireworks", model, TS, 1_000_000, 100_000, service_tier="batch")
    assert (batch.cost, batch.rule) == (usd("1.9"), "batch-50pct")  # 1,000,000 x 1.5 + 100,000 x 4
    # A model that lists its cached rate keeps it: gpt-oss-120b $0.15, cached $0.015.
    listed = pricer.price(
        "fireworks", "accounts/fireworks/models/gpt-oss-120b", TS, 0, 0, 1_000_000
    )
    assert (listed.cost, listed.rule) == (usd("0.015"), "")


def test_unknown_model_is_unpriced_never_a_silent_zero(pricer: Pricer) -> None:
    price = pricer.price("openai", "ft:gpt-4o:acme::x1", TS, 1_000, 100)
    assert price == Price(
        False, "ft:gpt-4o:acme::x1", ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, "", "unknown_model",
        cost_source="none",
    )  # fmt: skip
    assert not pricer.price("", "", TS, 1, 1).priced


@pytest.mark.parametrize("provider", ["ollama", "vllm"])
def test_self_hosted_servers_are_unpriced(pricer: Pricer, provider: str) -> None:
    assert not pricer.price(provider, "llama-3.3-70b-versatile", TS, 1_000, 100).priced


def test_free_models_are_priced_at_zero_but_per_hour_models_are_unpriced(pricer) -> None:
    free = pricer.price("openai", "omni-moderation-latest", TS, 1_000, 0)
    assert (free.priced, free.cost, free.model) == (True, ZERO, "moderation")
    assert not pricer.price("openai", "whisper-1", TS, 1_000, 100).priced  # billed per hour


def test_per_request_fee_is_counted_as_input() -> None:
    # Perplexity sonar-pro at search context size high (the fee by size is a correction):
    # $3/$15 per million tokens plus $14 per 1,000 requests
    # (https://docs.perplexity.ai/guides/models/sonar-pro).
    price = Pricer("").price("perplexity", "sonar-pro", TS, 1_000, 100, service_tier="high")
    assert price.input_cost == usd("0.003") + usd("0.014")
    assert price.cost == usd("0.0185")


def test_rates_with_more_than_six_decimals_round_once_and_parts_add_up(pricer) -> None:
    # openrouter's google/gemini-3.8-flash cache write rate is 0.041666666666666664 per MTok.
    call = ("openrouter", "google/gemini-3.8-flash", TS, 777_777, 3_333, 12_345, 654_321)
    price = pricer.price(*call)
    exact = calc_price(
        Usage(
            input_tokens=777_777,
            output_tokens=3_333,
            cache_read_tokens=12_345,
            cache_write_tokens=654_321,
        ),
        "google/gemini-3.8-flash",
        provider_id="openrouter",
        genai_request_timestamp=TS,
    ).total_price
    assert exact != exact.quantize(Q)  # the exact cost really has more than 12 decimals
    assert price.cost == exact.quantize(Q)
    parts = price.input_cost + price.cache_read_cost + price.cache_write_cost + price.output_cost
    assert parts == price.cost


@pytest.mark.parametrize(
    ("otel", "genai"),
    [
        *PROVIDER_IDS.items(),
        ("google", "google"),
        ("together_ai", "together"),
        ("ibm.watsonx.ai", None),
        ("ollama", None),
        ("", None),
    ],
)
def test_opentelemetry_provider_names_map_to_genai_prices(otel: str, genai: str | None) -> None:
    assert genai_provider(otel) == genai


@pytest.mark.parametrize(
    ("provider", "model", "priced_as"),
    [
        ("gcp.vertex_ai", "gemini-2.5-pro", "gemini-2.5-pro"),
        ("aws.bedrock", "us.anthropic.claude-sonnet-4-20250514-v1:0", "regional."),
        ("azure.ai.openai", "gpt-4o-2024-08-06", "gpt-4o"),  # Azure falls back to OpenAI's list
        ("ibm.watsonx.ai", "claude-3-5-haiku-20241022", "claude-3-5-haiku-latest"),
        ("my-gateway", "gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("openrouter", "openai/gpt-5.2-20251211", "openai/gpt-5.2"),
    ],
)
def test_versioned_names_and_unknown_providers_use_genai_prices_matching(
    pricer: Pricer, provider: str, model: str, priced_as: str
) -> None:
    price = pricer.price(provider, model, TS, 1_000, 100)
    assert price.priced and price.model.startswith(priced_as)


def test_a_provider_known_to_genai_prices_does_not_borrow_other_providers_prices(pricer) -> None:
    assert not pricer.price("openai", "claude-sonnet-4-5", TS, 1_000, 100).priced


def test_invalid_usage_is_clamped_or_rejected(pricer: Pricer) -> None:
    # More cached than total input (a mis-reported span): no negative uncached input.
    price = pricer.price("openai", "gpt-4o", TS, 100, 0, 300, 0)
    assert price.input_cost == 0 and price.cache_read_cost == usd("0.000375")
    with pytest.raises(ValueError, match="negative token count"):
        pricer.price("openai", "gpt-4o", TS, -1, 0)


def test_a_miss_is_looked_up_once(pricer: Pricer, monkeypatch) -> None:
    fresh = Pricer(prices_file="")
    lookups = []
    original = fresh._data.snapshot.find_provider_model
    monkeypatch.setattr(
        fresh._data.snapshot,
        "find_provider_model",
        lambda *a: lookups.append(a) or original(*a),
    )
    for _ in range(3):
        assert not fresh.price("openai", "not-a-model", TS, 10, 10).priced
        assert fresh.price("openai", "gpt-4o", TS, 10, 10).priced
    assert len(lookups) == 2


def units_of(**counts: int) -> tuple[int, ...]:
    """Unit counts in extract.USAGE_UNITS order."""
    from tokentrace.processor.extract.extractor import USAGE_UNITS

    return tuple(counts.get(unit.removesuffix("_tokens"), 0) for unit in USAGE_UNITS)


def unit_costs_of(price: Price) -> dict[str, Decimal]:
    from tokentrace.processor.extract.extractor import UNIT_COST_COLUMNS

    return {
        name: cost for name, cost in zip(UNIT_COST_COLUMNS, price.unit_costs, strict=False) if cost
    }


def test_each_extra_unit_costs_its_rate_times_its_leaf_count(pricer) -> None:
    # gemini-2.5-flash: text $0.30, audio $1, cached text $0.03, cached audio $0.10 / M.
    # 10,000 input of which 4,000 audio; 1,500 read from cache, 1,000 of them audio.
    price = pricer.price(
        "google", "gemini-2.5-flash", TS, 10_000, 0, 1_500, 0,
        units=units_of(input_audio=4_000, cache_audio_read=1_000),
    )  # fmt: skip
    assert unit_costs_of(price) == {
        "input_audio_cost": usd("0.003"),  # 3,000 uncached audio x $1 / M
        "cache_audio_read_cost": usd("0.0001"),  # 1,000 x $0.10 / M
    }
    # + 8,500 uncached - 3,000 audio = 5,500 text x $0.30 / M
    assert price.input_cost == usd("0.003") + usd("0.00165")
    assert price.cache_read_cost == usd("0.0001") + usd("0.000015")  # + 500 text x $0.03 / M


def test_one_hour_cache_writes_and_image_output_have_their_own_cost(pricer) -> None:
    # claude-sonnet-4-5: 5-minute writes $3.75, 1-hour writes $6 (2x input) / M.
    price = pricer.price(
        "anthropic", "claude-sonnet-4-5-20250929", TS, 3_000, 0, 0, 3_000,
        units=units_of(cache_write_1h=2_000),
    )  # fmt: skip
    assert unit_costs_of(price) == {"cache_write_1h_cost": usd("0.012")}
    assert price.cache_write_cost == usd("0.012") + usd("0.00375")
    # gemini-2.5-flash-image: image output $30 / M.
    image = pricer.price(
        "google", "gemini-2.5-flash-image", TS, 10, 1_290, units=units_of(output_image=1_290)
    )
    assert unit_costs_of(image) == {"output_image_cost": usd("0.0387")}


def test_a_unit_without_a_rate_of_its_own_has_no_cost_of_its_own(pricer) -> None:
    # gpt-4o prices no audio: its audio tokens are billed as text input.
    price = pricer.price(
        "openai", "gpt-4o-2024-08-06", TS, 1_000, 0, units=units_of(input_audio=400)
    )
    assert unit_costs_of(price) == {}
    assert price.input_cost == usd("0.0025")


def test_the_metered_units_a_span_reports_are_the_ones_priced() -> None:
    """extract.METERED_UNITS and the pricer's reported metered counts are one list, in one
    order (the pricer takes a span's counts by position)."""
    from tokentrace.processor.extract.extractor import METERED_UNITS
    from tokentrace.processor.pricing.units import REPORTED_METERED

    assert METERED_UNITS == REPORTED_METERED


def test_no_price_before_the_model_existed() -> None:
    """genai-prices' first rates carry no start date: before the first LLM API, or before a
    dated snapshot's date, a call's price is not known (``before_release``), never the
    model's later rates."""
    pricer = Pricer("")
    for model, at in (
        ("gpt-4o", datetime(1900, 1, 1, tzinfo=UTC)),
        ("gpt-4o", datetime(2020, 6, 10, 23, tzinfo=UTC)),
        ("claude-3-5-haiku-20241022", datetime(2024, 10, 21, 12, tzinfo=UTC)),
        ("anthropic.claude-3-5-sonnet-20241022-v2:0", datetime(2024, 10, 1, tzinfo=UTC)),
    ):
        price = pricer.price("openai" if "gpt" in model else "", model, at, 1000, 100)
        assert (price.priced, price.reason, price.cost) == (False, "before_release", 0), model
    on_the_day = pricer.price("openai", "gpt-4o-2024-08-06", datetime(2024, 8, 6), 1000, 100)
    assert (on_the_day.priced, on_the_day.cost) == (True, Decimal("0.0035"))
