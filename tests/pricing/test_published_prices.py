"""Calls priced by hand from the providers' published price lists (checked 2026-12-02), so a
genai-prices bump or a correction that changes what a current model costs fails here.

Sources: https://developers.openai.com/api/docs/models/gpt-5-mini ,
https://developers.openai.com/api/docs/models/gpt-realtime-1.5 (gpt-realtime's rates),
https://platform.claude.com/docs/en/about-claude/pricing (model and long-context pricing),
https://platform.claude.com/docs/en/models/haiku-5-5/overview ,
https://ai.google.dev/gemini-api/docs/pricing (as transcribed on 2026-10-07 in
https://github.com/api-evangelist/deepmind/blob/main/plans/deepmind-plans-pricing.yml)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tokentrace.processor.extract.extractor import USAGE_UNITS
from tokentrace.processor.pricing.pricer import Pricer

AT = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_prices_file_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKENTRACE_PRICES_FILE", raising=False)


def units(**counts: int) -> tuple[int, ...]:
    """Unit counts in extract.USAGE_UNITS order."""
    return tuple(counts.get(unit, 0) for unit in USAGE_UNITS)


def test_openai_gpt_5_mini_with_cache_hits_and_reasoning() -> None:
    # 100,000 input of which 60,000 cached, 10,000 output of which 8,000 reasoning:
    # 40,000 x $0.25 + 60,000 x $0.025 + 10,000 x $2 = 0.01 + 0.0015 + 0.02.
    price = Pricer("").price(
        "openai", "gpt-5-mini", AT, 100_000, 10_000, 60_000, reasoning_tokens=8_000
    )
    assert price.cost == Decimal("0.0315")


def test_openai_gpt_realtime_audio_and_cached_audio() -> None:
    # 10,000 input: 6,000 audio (2,000 of them cached), 3,000 cached in all; 4,000 output,
    # 3,000 of it audio. Audio 4,000 x $32 + cached audio 2,000 x $0.40 + cached text
    # 1,000 x $0.40 + text 3,000 x $4 + audio out 3,000 x $64 + text out 1,000 x $16
    # = 0.128 + 0.0008 + 0.0004 + 0.012 + 0.192 + 0.016.
    counts = units(
        input_audio_tokens=6_000, cache_audio_read_tokens=2_000, output_audio_tokens=3_000
    )
    price = Pricer("").price("openai", "gpt-realtime", AT, 10_000, 4_000, 3_000, units=counts)
    assert price.cost == Decimal("0.3492")


def test_anthropic_sonnet_4_5_long_context_with_one_hour_cache_writes() -> None:
    # 250,000 input (over 200K: every token at the long-context rates): 50,000 cache reads,
    # 50,000 cache writes of which 20,000 for 1 hour. 150,000 x $6 + 50,000 x $0.60 +
    # 30,000 x $7.50 + 20,000 x $12 + 10,000 output x $22.50
    # = 0.9 + 0.03 + 0.225 + 0.24 + 0.225.
    price = Pricer("").price(
        "anthropic", "claude-sonnet-4-5-20250929", AT, 250_000, 10_000, 50_000, 50_000,
        units=units(cache_write_1h_tokens=20_000),
    )  # fmt: skip
    assert (price.cache_write_cost, price.cost) == (Decimal("0.465"), Decimal("1.62"))


def test_anthropic_haiku_5_5_prompt_length_tiers() -> None:
    pricer = Pricer("")
    # Up to 100K prompt tokens: 80,000 x $0.10 + 10,000 reads x $0.01 + 2,000 x $0.50.
    short = pricer.price("anthropic", "claude-haiku-5-5", AT, 90_000, 2_000, 10_000)
    assert short.cost == Decimal("0.0091")
    # 150,000 (reads and writes included): 80,000 x $0.50 + 50,000 reads x $0.05 + 20,000
    # 5-minute writes x $0.625 + 2,000 output x $2.50 = 0.04 + 0.0025 + 0.0125 + 0.005.
    long = pricer.price("anthropic", "claude-haiku-5-5", AT, 150_000, 2_000, 50_000, 20_000)
    assert long.cost == Decimal("0.06")


def test_google_gemini_2_5_pro_over_200k_with_context_cache_hits() -> None:
    # 300,000 prompt tokens (over 200K), 100,000 from the context cache, 10,000 output:
    # 200,000 x $2.50 + 100,000 x $0.25 + 10,000 x $15 = 0.5 + 0.025 + 0.15.
    price = Pricer("").price("google", "gemini-2.5-pro", AT, 300_000, 10_000, 100_000)
    assert price.cost == Decimal("0.675")
    # At 200,000 exactly, the base rates: 200,000 x $1.25 + 1,000 x $10.
    assert Pricer("").price("google", "gemini-2.5-pro", AT, 200_000, 1_000).cost == (
        Decimal("0.26")
    )
