"""tokentrace's price corrections: layered between genai-prices and the user's prices file,
each with its source and the date it was checked; ``tokentrace prices --check`` lists them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from genai_prices import Usage, calc_price

from tokentrace.processor.cli import main
from tokentrace.processor.extract.extractor import UNIT_COST_COLUMNS, USAGE_UNITS
from tokentrace.processor.pricing.overrides import PricesFileError, load_overrides
from tokentrace.processor.pricing.pricer import CORRECTIONS_FILE, GENAI_PRICES_VERSION, Pricer

NIGHT = datetime(2025, 10, 1, 22, 0, tzinfo=UTC)  # the old off-peak window


@pytest.fixture(autouse=True)
def no_prices_file_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKENTRACE_PRICES_FILE", raising=False)


def test_every_correction_has_a_source_url_and_a_date_checked() -> None:
    corrections = load_overrides(CORRECTIONS_FILE, sourced=True)
    periods = [p for entry in corrections.entries for p in entry.periods]
    assert len(periods) == 215
    for period in periods:
        assert period.source.startswith("https://") and period.checked is not None


def test_deepseek_night_discount_ended_and_v3_2_price_cut() -> None:
    pricer = Pricer("")
    # 2025-09-29 on: $0.28 miss, $0.028 hit, $0.42 output, day or night.
    price = pricer.price("deepseek", "deepseek-chat", NIGHT, 1_000_000, 1_000_000, 400_000)
    assert (price.input_cost, price.cache_read_cost, price.output_cost) == (
        Decimal("0.168"),
        Decimal("0.0112"),
        Decimal("0.42"),
    )
    assert price.price_version.startswith("corrections:")
    between = datetime(2025, 9, 10, 22, 0, tzinfo=UTC)
    assert pricer.price("deepseek", "deepseek-reasoner", between, 1_000_000, 0).cost == (
        Decimal("0.56")
    )
    # Before the change, genai-prices' rates (and its night discount) stand, exactly.
    early = datetime(2025, 3, 1, 22, 0, tzinfo=UTC)
    expected = calc_price(
        Usage(input_tokens=1_000_000, output_tokens=1_000_000),
        "deepseek-chat",
        provider_id="deepseek",
        genai_request_timestamp=early,
    ).total_price
    assert pricer.price("deepseek", "deepseek-chat", early, 1_000_000, 1_000_000).cost == expected
    # Without corrections, genai-prices' night rate applies after the change too.
    genai = Pricer("", corrections=False).price("deepseek", "deepseek-chat", NIGHT, 1_000_000, 0)
    assert genai.cost == Decimal("0.135")


def test_deepseek_chat_and_reasoner_billed_as_v4_flash_from_the_v4_preview() -> None:
    pricer = Pricer("")
    # 1M input of which 200K cache hits, 100K output (50K of it reasoning), on 2026-06-10:
    # deepseek-v4-flash's rates, flat: 800K x $0.14 + 200K x $0.0028 + 100K x $0.28 per million
    # = 0.112 + 0.00056 + 0.028 = 0.14056.
    at = datetime(2026, 6, 10, 2, 30, tzinfo=UTC)  # a later peak hour: no peak rate yet
    for name in ("deepseek-chat", "deepseek-reasoner"):
        price = pricer.price(
            "deepseek", name, at, 1_000_000, 100_000, 200_000, reasoning_tokens=50_000
        )
        assert (price.input_cost, price.cache_read_cost, price.output_cost) == (
            Decimal("0.112"),
            Decimal("0.00056"),
            Decimal("0.028"),
        ), name
        assert price.cost == Decimal("0.14056") and price.model == name
        assert price.price_version.startswith("corrections:")
    # The day before, the V3.2 rates: 0.224 + 0.0056 + 0.042.
    before = datetime(2026, 4, 23, 12, 0, tzinfo=UTC)
    price = pricer.price("deepseek", "deepseek-chat", before, 1_000_000, 100_000, 200_000)
    assert price.cost == Decimal("0.2716")


def test_deepseek_v4_flat_rates_until_peak_billing_then_genai_prices_again() -> None:
    pricer = Pricer("")
    call = (1_000_000, 100_000, 200_000)  # input (200K of it cache hits), output
    peak_hour = datetime(2026, 6, 10, 2, 30, tzinfo=UTC)  # 01:00-04:00 UTC: no peak rate yet
    # V4 Flash: 800K x $0.14 + 200K x $0.0028 + 100K x $0.28 = 0.112 + 0.00056 + 0.028.
    flash = pricer.price("deepseek", "deepseek-v4-flash", peak_hour, *call)
    assert (flash.cost, flash.model) == (Decimal("0.14056"), "deepseek-v4-flash")
    # V4 Pro: 800K x $0.435 + 200K x $0.003625 + 100K x $0.87 = 0.348 + 0.000725 + 0.087.
    pro = pricer.price("deepseek", "deepseek-v4-pro", peak_hour, *call)
    assert pro.cost == Decimal("0.435725") and pro.price_version.startswith("corrections:")
    # genai-prices alone bills that hour at the V4.1 peak rates: 0.24 + 0.0012 + 0.12.
    genai = Pricer("", corrections=False)
    assert genai.price("deepseek", "deepseek-v4-flash", peak_hour, *call).cost == Decimal("0.3612")
    # From 2026-08-17 (peak / off-peak billing), genai-prices' periods apply again, exactly.
    for moment in (datetime(2026, 8, 17, 2, 30, tzinfo=UTC), datetime(2026, 8, 17, 12, tzinfo=UTC)):
        ours = pricer.price("deepseek", "deepseek-v4-pro", moment, *call)
        theirs = genai.price("deepseek", "deepseek-v4-pro", moment, *call)
        assert ours == theirs and ours.price_version.startswith("genai-prices")


def test_deepseek_weekends_then_holidays_are_off_peak_all_day() -> None:
    pricer = Pricer("")
    call = (1_000_000, 100_000, 200_000)  # input (200K of it cache hits), output
    # deepseek-flash (V4.1) at 02:30 UTC, a peak hour: peak 800K x $0.30 + 200K x $0.006 +
    # 100K x $1.20 = 0.24 + 0.0012 + 0.12; off-peak half of it: 0.12 + 0.0006 + 0.06.
    peak, off_peak = Decimal("0.3612"), Decimal("0.1806")
    days = {
        "2026-09-18": peak,  # Friday
        "2026-09-19": off_peak,  # Saturday
        "2026-09-21": peak,  # Monday
        "2026-09-25": off_peak,  # Mid-Autumn Festival, a Friday
        "2026-10-05": off_peak,  # National Day holidays, a Monday
        "2026-10-08": peak,  # the Thursday after them
    }
    for day, expected in days.items():
        at = datetime.fromisoformat(f"{day}T02:30:00+00:00")
        price = pricer.price("deepseek", "deepseek-flash", at, *call)
        assert price.cost == expected, day
        assert price.rule == ("deepseek-off-peak-days" if expected == off_peak else ""), day
    # Off-peak hours of a weekday are unchanged (12:00 UTC).
    noon = datetime(2026, 9, 18, 12, tzinfo=UTC)
    assert pricer.price("deepseek", "deepseek-flash", noon, *call).cost == off_peak
    # V4 Pro: the weekend rule from Sunday 2026-08-23, not on Saturday 2026-08-22. Peak
    # 800K x $1.32 + 200K x $0.044 + 100K x $3.96 = 1.056 + 0.0088 + 0.396; off-peak half.
    saturday = pricer.price(
        "deepseek", "deepseek-v4-pro", datetime(2026, 8, 22, 7, tzinfo=UTC), *call
    )
    sunday = pricer.price(
        "deepseek", "deepseek-v4-pro", datetime(2026, 8, 23, 7, tzinfo=UTC), *call
    )
    assert (saturday.cost, sunday.cost) == (Decimal("1.4608"), Decimal("0.7304"))
    # Holidays before the 2026-09-19 revision were billed at peak: none fell in that stretch,
    # and the rule leaves earlier years' calls (old off-peak windows) alone.
    old = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)  # a Saturday, DeepSeek's old day rate
    assert pricer.price("deepseek", "deepseek-chat", old, 1_000_000, 0).cost == Decimal("0.27")


def test_deepseek_v4_launch_rates_before_the_2026_04_26_cut() -> None:
    pricer = Pricer("")
    call = (1_000_000, 100_000, 200_000)  # input (200K of it cache hits), output
    launch = datetime(2026, 4, 25, 2, 30, tzinfo=UTC)
    # Flash and the old names: 800K x $0.14 + 200K x $0.028 + 100K x $0.28 = 0.112 + 0.0056
    # + 0.028; from 2026-04-26 cache hits at $0.0028: 0.112 + 0.00056 + 0.028.
    for name in ("deepseek-v4-flash", "deepseek-chat", "deepseek-reasoner"):
        assert pricer.price("deepseek", name, launch, *call).cost == Decimal("0.1456"), name
        cut = pricer.price("deepseek", name, datetime(2026, 4, 26, 2, 30, tzinfo=UTC), *call)
        assert cut.cost == Decimal("0.14056"), name
    # Pro at its list price: 800K x $1.74 + 200K x $0.145 + 100K x $3.48 = 1.392 + 0.029 +
    # 0.348; from 2026-04-26, 75% off and cache hits at 1/10: 0.348 + 0.000725 + 0.087.
    pro = pricer.price("deepseek", "deepseek-v4-pro", launch, *call)
    assert (pro.input_cost, pro.cache_read_cost, pro.output_cost) == (
        Decimal("1.392"),
        Decimal("0.029"),
        Decimal("0.348"),
    )
    cut = pricer.price("deepseek", "deepseek-v4-pro", datetime(2026, 4, 26, tzinfo=UTC), *call)
    assert cut.cost == Decimal("0.435725")


def test_deepseek_night_discount_only_from_2025_02_26() -> None:
    pricer = Pricer("")
    call = (1_000_000, 100_000, 200_000)  # input (200K of it cache hits), output
    night = datetime(2025, 2, 10, 20, 0, tzinfo=UTC)  # 16:30-00:30 UTC, before the discount
    # deepseek-chat: 800K x $0.27 + 200K x $0.07 + 100K x $1.10 = 0.216 + 0.014 + 0.11.
    assert pricer.price("deepseek", "deepseek-chat", night, *call).cost == Decimal("0.34")
    # deepseek-reasoner: 800K x $0.55 + 200K x $0.14 + 100K x $2.19 = 0.44 + 0.028 + 0.219.
    reasoner = pricer.price("deepseek", "deepseek-reasoner", night, *call)
    assert reasoner.cost == Decimal("0.687") and reasoner.price_version.startswith("corrections:")
    # genai-prices alone applies the discount then: 0.108 + 0.007 + 0.055.
    genai = Pricer("", corrections=False).price("deepseek", "deepseek-reasoner", night, *call)
    assert genai.cost == Decimal("0.17")
    # From the evening of 2025-02-26, the discount (genai-prices' windows), until 2025-09-06.
    for day in (datetime(2025, 2, 26, 20, tzinfo=UTC), datetime(2025, 6, 1, 20, tzinfo=UTC)):
        price = pricer.price("deepseek", "deepseek-reasoner", day, *call)
        assert (price.cost, price.price_version) == (Decimal("0.17"), GENAI_PRICES_VERSION)


def test_deepseek_v4_flash_peak_rates_until_v4_1() -> None:
    pricer = Pricer("")
    call = (1_000_000, 100_000, 200_000)  # input (200K of it cache hits), output
    # V4 Flash peak (01:00-04:00, 06:00-10:00 UTC): 800K x $0.44 + 200K x $0.014 + 100K x
    # $1.32 = 0.352 + 0.0028 + 0.132; off-peak half of it: 0.176 + 0.0014 + 0.066.
    peak, off_peak = Decimal("0.4868"), Decimal("0.2434")
    moments = {
        datetime(2026, 8, 17, 2, tzinfo=UTC): peak,
        datetime(2026, 8, 17, 9, 59, tzinfo=UTC): peak,
        datetime(2026, 8, 17, 10, tzinfo=UTC): off_peak,
        datetime(2026, 8, 17, 5, tzinfo=UTC): off_peak,
        datetime(2026, 8, 22, 2, tzinfo=UTC): peak,  # a Saturday before the weekend rule
        datetime(2026, 8, 23, 2, tzinfo=UTC): off_peak,  # Sunday, with the weekend rule
        datetime(2026, 9, 9, 7, tzinfo=UTC): peak,
    }
    for moment, expected in moments.items():
        price = pricer.price("deepseek", "deepseek-v4-flash", moment, *call)
        assert (price.cost, price.model) == (expected, "deepseek-v4-flash"), moment
    # From 2026-09-10, V4.1 Flash's peak rates (genai-prices): 0.24 + 0.0012 + 0.12.
    v4_1 = pricer.price(
        "deepseek", "deepseek-v4-flash", datetime(2026, 9, 10, 7, tzinfo=UTC), *call
    )
    assert (v4_1.cost, v4_1.price_version) == (Decimal("0.3612"), GENAI_PRICES_VERSION)


def test_deepseek_price_changes_at_their_hour_not_at_midnight() -> None:
    pricer = Pricer("")
    call = (1_000_000, 100_000, 200_000)  # input (200K of it cache hits), output

    def cost(model: str, *moment: int) -> Decimal:
        return pricer.price("deepseek", model, datetime(*moment, tzinfo=UTC), *call).cost

    # 16:00 UTC on 2025-09-05: $0.56, $0.07, $1.68 (0.448 + 0.014 + 0.168), not the standard
    # $0.27, $0.07, $1.10 (0.216 + 0.014 + 0.11) of the afternoon.
    assert cost("deepseek-chat", 2025, 9, 5, 15, 59) == Decimal("0.34")
    assert cost("deepseek-chat", 2025, 9, 5, 16, 0) == Decimal("0.63")
    assert cost("deepseek-reasoner", 2025, 9, 5, 23, 59) == Decimal("0.63")
    # The night discount from 16:30 UTC on 2025-02-26, not from its 00:00-00:30 window.
    assert cost("deepseek-chat", 2025, 2, 26, 0, 10) == Decimal("0.34")
    assert cost("deepseek-chat", 2025, 2, 26, 16, 40) == Decimal("0.17")  # 0.108 + 0.007 + 0.055
    # V4 off-peak rates from 16:00 UTC on 2026-08-16: Flash 0.176 + 0.0014 + 0.066 (before,
    # 0.112 + 0.00056 + 0.028); Pro 0.528 + 0.0044 + 0.198.
    assert cost("deepseek-v4-flash", 2026, 8, 16, 15, 59) == Decimal("0.14056")
    assert cost("deepseek-v4-flash", 2026, 8, 16, 16, 0) == Decimal("0.2434")
    assert cost("deepseek-v4-pro", 2026, 8, 16, 20, 0) == Decimal("0.7304")
    # V4.1 Flash's rates from 04:00 UTC on 2026-09-10: before, V4's off-peak and peak.
    assert cost("deepseek-v4-flash", 2026, 9, 10, 0, 30) == Decimal("0.2434")
    assert cost("deepseek-v4-flash", 2026, 9, 10, 3, 59) == Decimal("0.4868")
    assert cost("deepseek-v4-flash", 2026, 9, 10, 4, 30) == Decimal("0.1806")  # V4.1 off-peak


def test_the_users_prices_file_overrides_a_correction(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text("prices:\n  - {model: deepseek-chat, input: 1, output: 1}\n")
    price = Pricer(path).price("deepseek", "deepseek-chat", NIGHT, 1_000_000, 0)
    assert price.cost == Decimal(1) and price.price_version.startswith("file:")


def test_a_correction_without_its_source_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "corrections.yaml"
    path.write_text("prices:\n  - {model: m, input: 1, output: 2, source: https://x.example}\n")
    with pytest.raises(PricesFileError, match=r":2: a correction needs 'source'"):
        load_overrides(path, sourced=True)
    assert load_overrides(path).entries[0].periods[0].source == "https://x.example"


def test_prices_check_lists_each_correction_and_what_genai_prices_says(capsys) -> None:
    assert main(["prices", "--check", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["corrections"]
    chat = next(r for r in rows if r["model"] == "deepseek-chat" and r["from"] == "2025-09-29")
    assert chat["usd_per_million_tokens"] == {
        "input": "0.28",
        "cache_read": "0.028",
        "cache_write": None,
        "output": "0.42",
    }
    assert chat["genai_prices_says"]["input"] == "0.27"
    assert chat["source"] == "https://api-docs.deepseek.com/news/news250929"
    assert chat["checked"] == "2026-12-02"
    assert main(["prices", "--check"]) == 0
    text = capsys.readouterr().out
    assert "deepseek/deepseek-reasoner from 2025-09-06" in text
    assert "genai-prices   input 0.55, cache_read 0.14, output 2.19" in text


# Claude Sonnet 4 from 2025-08-12: above 200K input tokens (cache included), on all tokens,
# $6 input, $7.50 5-minute cache write, $0.60 cache read, $22.50 output, 1-hour write 2x input.
SONNET_4_NAMES = ("claude-sonnet-4-20250514", "claude-sonnet-4-0", "claude-sonnet-4")
LONG = (250_000, 1_000, 100_000, 20_000)  # input (cache included), output, cache read, write
MTOK = Decimal(1_000_000)


def test_claude_sonnet_4_long_context_tier_from_2025_08_12() -> None:
    pricer = Pricer("")
    at = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
    by_hand = (
        130_000 * Decimal(6) + 100_000 * Decimal("0.6") + 20_000 * Decimal("7.5")
    ) / MTOK + 1_000 * Decimal("22.5") / MTOK
    assert by_hand == Decimal("1.0125")
    for name in SONNET_4_NAMES:
        price = pricer.price("anthropic", name, at, *LONG)
        assert price.cost == by_hand, name
        assert price.price_version.startswith("corrections:")
        # Stored under genai-prices' id on both sides of the correction, as reconcile expects.
        assert price.model == "claude-sonnet-4-0"
    # 200,000 input tokens is not above the threshold: the base rates.
    at_limit = pricer.price("anthropic", "claude-sonnet-4-20250514", at, 200_000, 1_000)
    assert at_limit.cost == (200_000 * Decimal(3) + 1_000 * Decimal(15)) / MTOK
    # Half of the 20K writes are 1-hour writes: the provider rule (2x input) still applies.
    one_hour = pricer.price(
        "anthropic", "claude-sonnet-4-0", at, *LONG, units=(10_000, 0, 0, 0, 0, 0, 0, 0, 0)
    )
    assert one_hour.cost == by_hand + 10_000 * (Decimal(12) - Decimal("7.5")) / MTOK
    assert one_hour.rule == "anthropic-cache-1h-2x"
    # The batch tier halves the long-context rates too (the provider's batch rule).
    batch = pricer.price("anthropic", "claude-sonnet-4", at, 250_000, 1_000, service_tier="batch")
    assert batch.cost == (250_000 * Decimal(3) + 1_000 * Decimal("11.25")) / MTOK
    assert batch.rule == "batch-50pct"


def test_claude_sonnet_4_before_1m_context_and_genai_prices_without_the_tier() -> None:
    # The day before the 1M window, genai-prices' flat rates stand (no prompt could exceed 200K).
    before = datetime(2025, 8, 11, 12, 0, tzinfo=UTC)
    flat = (
        130_000 * Decimal(3) + 100_000 * Decimal("0.3") + 20_000 * Decimal("3.75")
    ) / MTOK + 1_000 * Decimal(15) / MTOK
    price = Pricer("").price("anthropic", "claude-sonnet-4-20250514", before, *LONG)
    assert price.cost == flat and price.price_version.startswith("genai-prices")
    # genai-prices alone bills a long prompt after the change at the base rates: half price.
    after = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
    genai = Pricer("", corrections=False).price("anthropic", "claude-sonnet-4-0", after, *LONG)
    assert genai.cost == flat == Decimal("0.51")


def test_prices_check_shows_a_corrected_long_context_tier(capsys) -> None:
    assert main(["prices", "--check", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["corrections"]
    row = next(r for r in rows if r["model"] == "claude-sonnet-4-2025")
    assert row["model_prefix"] is True and row["from"] == "2025-08-12"
    assert row["tiers"] == [
        {
            "above": 200000,
            "rates": {"input": "6", "cache_read": "0.6", "cache_write": "7.5", "output": "22.5"},
        }
    ]
    assert row["genai_prices_tiers"] == []
    assert row["source"] == "https://www.anthropic.com/news/1m-context"
    assert main(["prices", "--check"]) == 0
    text = capsys.readouterr().out
    assert "anthropic/claude-sonnet-4-2025* from 2025-08-12" in text
    assert "    above 200000 input tokens: input 6, cache_read 0.6, cache_write 7.5" in text
    assert "anthropic/claude-mythos-5 (all dates)\n" in text


def test_claude_mythos_5_and_5_1_priced_from_anthropics_list() -> None:
    pricer = Pricer("")
    at = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    # 50K input of which 30K cache hits and 10K 5-minute writes (2K of them 1-hour), 5K output.
    call = (50_000, 5_000, 30_000, 10_000)
    one_hour = (2_000, 0, 0, 0, 0, 0, 0, 0, 0)
    uncached, writes_5m, writes_1h = 10_000 * Decimal(10), 8_000 * Decimal("12.5"), 2_000 * 20
    for name, hit_rate in (("claude-mythos-5", Decimal(1)), ("claude-mythos-5-1", Decimal("0.25"))):
        by_hand = (uncached + 30_000 * hit_rate + writes_5m + writes_1h + 5_000 * 50) / MTOK
        price = pricer.price("anthropic", name, at, *call, units=one_hour)
        assert (price.priced, price.cost) == (True, by_hand), name
        assert price.price_version.startswith("corrections:")
    assert pricer.price("anthropic", "claude-mythos-5-1", at, *call).cost == Decimal("0.4825")
    # Without the corrections, genai-prices does not know them: unpriced, never $0.
    genai = Pricer("", corrections=False).price("anthropic", "claude-mythos-5", at, *call)
    assert not genai.priced and genai.reason == "unknown_model"
    # Mythos 5.2, which genai-prices prices, is left to it.
    assert pricer.price("anthropic", "claude-mythos-5-2", at, *call).price_version.startswith(
        "genai-prices"
    )


def test_claude_sonnet_5_5_cache_hits_at_launch_price_until_the_cut() -> None:
    pricer = Pricer("")
    # 100K input of which 80K cache hits and 10K 5-minute writes, 2K output.
    call = (100_000, 2_000, 80_000, 10_000)
    rest = (10_000 * Decimal(2) + 10_000 * Decimal("2.5") + 2_000 * 10) / MTOK  # 0.065
    launch = datetime(2026, 10, 6, 23, 59, tzinfo=UTC)  # hits at $0.20 until 2026-10-07
    price = pricer.price("anthropic", "claude-sonnet-5-5", launch, *call)
    assert price.cache_read_cost == Decimal("0.016") and price.cost == rest + Decimal("0.016")
    assert price.model == "claude-sonnet-5-5"  # genai-prices' id, kept
    assert price.price_version.startswith("corrections:")
    after = pricer.price("anthropic", "claude-sonnet-5-5", datetime(2026, 10, 7, tzinfo=UTC), *call)
    assert after.cache_read_cost == Decimal("0.008") and after.cost == rest + Decimal("0.008")
    # genai-prices has the cut rate at every date.
    genai = Pricer("", corrections=False).price("anthropic", "claude-sonnet-5-5", launch, *call)
    assert genai.cache_read_cost == Decimal("0.008")


def test_gemini_4_carbon_priced_with_its_introductory_rates_then_the_list() -> None:
    pricer = Pricer("")
    intro = datetime(2026, 11, 20, tzinfo=UTC)
    price = pricer.price("gcp.gemini", "gemini-4-carbon", intro, 100_000, 10_000)
    assert (price.priced, price.cost) == (True, Decimal("0.3"))  # 0.2 + 0.1
    listed = pricer.price("gcp.gemini", "gemini-4-carbon", datetime(2026, 12, 1), 100_000, 10_000)
    assert listed.cost == Decimal("0.6")  # 0.4 + 0.2
    # No published cached-input rate: a call with cache hits is unpriced, never $0 or full rate.
    cached = pricer.price("gcp.gemini", "gemini-4-carbon", intro, 100_000, 10_000, 50_000)
    assert not cached.priced and cached.reason == "no_rate"
    before = pricer.price("gcp.gemini", "gemini-4-carbon", datetime(2026, 11, 9), 100_000, 0)
    assert not before.priced and before.reason == "unknown_model"


def test_prices_check_lists_the_sonnet_5_5_and_gemini_4_carbon_corrections(capsys) -> None:
    assert main(["prices", "--check", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["corrections"]
    launch = next(
        r for r in rows if r["model"] == "claude-sonnet-5-5" and r["from"] == "2026-09-28"
    )
    assert launch["usd_per_million_tokens"]["cache_read"] == "0.2"
    assert launch["genai_prices_says"]["cache_read"] == "0.1"
    assert launch["checked"] == "2026-12-02"
    carbon = [r for r in rows if r["model"] == "gemini-4-carbon"]
    assert [(r["from"], r["usd_per_million_tokens"]["output"]) for r in carbon] == [
        ("2026-11-10", "10"),
        ("2026-12-01", "20"),
    ]
    assert all(
        r["genai_prices_says"] is None and r["source"].startswith("https://") for r in carbon
    )


def test_gpt_4o_audio_models_bill_audio_tokens_at_their_own_rates() -> None:
    pricer = Pricer("")
    at = datetime(2026, 3, 2, 12, tzinfo=UTC)
    audio = tuple(
        {"input_audio_tokens": 6_000, "output_audio_tokens": 2_000}.get(unit, 0)
        for unit in USAGE_UNITS
    )
    # gpt-4o-audio-preview: 10,000 input of which 6,000 audio, 3,000 output of which 2,000
    # audio. Input 4,000 x $2.50 + 6,000 x $40 = 0.01 + 0.24; output 1,000 x $10 +
    # 2,000 x $80 = 0.01 + 0.16; 0.42 in all.
    for name in ("gpt-4o-audio-preview", "gpt-4o-audio-preview-2025-06-03"):
        price = pricer.price("openai", name, at, 10_000, 3_000, units=audio)
        assert (price.input_cost, price.output_cost, price.cost) == (
            Decimal("0.25"),
            Decimal("0.17"),
            Decimal("0.42"),
        ), name
        costs = dict(zip(UNIT_COST_COLUMNS, price.unit_costs, strict=False))
        assert (costs["input_audio_cost"], costs["output_audio_cost"]) == (
            Decimal("0.24"),
            Decimal("0.16"),
        )
        assert price.price_version.startswith("corrections:")
    # gpt-4o-mini-audio-preview: 4,000 x $0.15 + 6,000 x $10 = 0.0006 + 0.06; 1,000 x $0.60
    # + 2,000 x $20 = 0.0006 + 0.04; 0.1012 in all.
    mini = pricer.price(
        "openai", "gpt-4o-mini-audio-preview-2024-12-17", at, 10_000, 3_000, units=audio
    )
    assert (mini.input_cost, mini.output_cost, mini.cost) == (
        Decimal("0.0606"),
        Decimal("0.0406"),
        Decimal("0.1012"),
    )
    # genai-prices alone bills the audio as text: 10,000 x $2.50 + 3,000 x $10 = 0.055.
    genai = Pricer("", corrections=False).price(
        "openai", "gpt-4o-audio-preview", at, 10_000, 3_000, units=audio
    )
    assert genai.cost == Decimal("0.055")


def test_gpt_4o_audio_2024_10_01_audio_is_unknown_and_the_realtime_alias_at_launch_rates() -> None:
    """The first gpt-4o-audio-preview snapshot (and the alias while it named it) published no
    audio rate that can be read now: a call with audio tokens is unpriced, not billed as text
    as genai-prices does; a text-only call keeps the text rates. The gpt-4o-realtime-preview
    alias named the 2024-10-01 snapshot until 2024-12-17, at its $100 / $200 audio rates."""
    pricer = Pricer("")
    launch = datetime(2024, 11, 20, 12, tzinfo=UTC)
    audio = tuple(
        {"input_audio_tokens": 30_000, "output_audio_tokens": 6_000}.get(unit, 0)
        for unit in USAGE_UNITS
    )
    for name, at in (
        ("gpt-4o-audio-preview-2024-10-01", datetime(2026, 3, 2, tzinfo=UTC)),
        ("gpt-4o-audio-preview", launch),
    ):
        price = pricer.price("openai", name, at, 100_000, 10_000, units=audio)
        assert (price.priced, price.reason, price.cost_source) == (False, "no_rate", "none"), name
        # Text only: 100,000 x $2.50 + 10,000 x $10 = 0.25 + 0.1.
        text = pricer.price("openai", name, at, 100_000, 10_000)
        assert (text.priced, text.cost) == (True, Decimal("0.35")), name
    genai = Pricer("", corrections=False).price(
        "openai", "gpt-4o-audio-preview-2024-10-01", launch, 100_000, 10_000, units=audio
    )
    assert genai.cost == Decimal("0.35")  # its 36,000 audio tokens billed as text
    # Realtime, 70,000 text + 30,000 audio in, 4,000 text + 6,000 audio out:
    # 70,000 x 5 + 30,000 x 100 + 4,000 x 20 + 6,000 x 200 = 0.35 + 3 + 0.08 + 1.2.
    alias = pricer.price("openai", "gpt-4o-realtime-preview", launch, 100_000, 10_000, units=audio)
    assert (alias.priced, alias.cost) == (True, Decimal("4.63"))
    # From the 2024-12-17 snapshot, genai-prices' $40 / $80: 0.35 + 1.2 + 0.08 + 0.48.
    later = datetime(2024, 12, 17, tzinfo=UTC)
    after = pricer.price("openai", "gpt-4o-realtime-preview", later, 100_000, 10_000, units=audio)
    assert (after.cost, after.price_version.startswith("genai-prices")) == (Decimal("2.11"), True)


@pytest.mark.parametrize(
    ("model", "cost"),
    [
        # 1,000,000 in + 100,000 out at each model page's rates.
        ("mistral-small-2501", "0.13"),  # $0.10 / $0.30
        ("mistral-small-2503", "0.13"),
        ("devstral-medium-2507", "0.6"),  # $0.40 / $2
        ("pixtral-12b-2409", "0.165"),  # $0.15 / $0.15
        ("ministral-3b-2410", "0.044"),  # $0.04 / $0.04
    ],
)
def test_mistral_snapshots_genai_prices_lacks_are_priced_from_their_model_pages(
    model: str, cost: str
) -> None:
    at = datetime(2025, 7, 15, 12, tzinfo=UTC)  # each released by then, none retired
    price = Pricer("").price("mistral_ai", model, at, 1_000_000, 100_000)
    assert (price.priced, price.cost) == (True, Decimal(cost))
    assert price.price_version.startswith("corrections:")
    genai = Pricer("", corrections=False).price("mistral_ai", model, at, 1_000_000, 100_000)
    assert (genai.priced, genai.reason) == (False, "unknown_model")
    # No cached rate published: cache hits leave the call unpriced, never at the input rate.
    cached = Pricer("").price("mistral_ai", model, at, 1_000_000, 100_000, 500_000)
    assert (cached.priced, cached.reason) == (False, "no_rate")


@pytest.mark.parametrize("model", ["gemini-1.5-flash-8b", "gemini-1.5-flash-8b-001"])
def test_gemini_1_5_flash_8b_is_not_priced_as_gemini_1_5_flash(model: str) -> None:
    """genai-prices' "starts with gemini-1.5-flash" clause billed Flash-8B, a model of its own
    with lower rates, at 1.5 Flash's: 100,000 x $0.075 + 10,000 x $0.30 = 0.0105. Its own
    rates were not readable: unknown, saying so; 1.5 Flash keeps its price."""
    at = datetime(2025, 5, 1, 12, tzinfo=UTC)
    price = Pricer("").price("gcp.gemini", model, at, 100_000, 10_000)
    assert (price.priced, price.reason, price.cost_source) == (False, "no_rate", "none")
    genai = Pricer("", corrections=False).price("gcp.gemini", model, at, 100_000, 10_000)
    assert (genai.model, genai.cost) == ("gemini-1.5-flash", Decimal("0.0105"))
    flash = Pricer("").price("gcp.gemini", "gemini-1.5-flash", at, 100_000, 10_000)
    assert flash.cost == Decimal("0.0105")


def test_a_call_without_a_provider_gets_the_corrections_of_the_provider_found() -> None:
    pricer = Pricer("")
    # No provider on the span: genai-prices finds DeepSeek from the name, and DeepSeek's
    # corrections apply as for provider "deepseek": 1M input x $0.28 (V3.2) = 0.28, where
    # genai-prices alone keeps its night rate, $0.135.
    assert pricer.price("", "deepseek-chat", NIGHT, 1_000_000, 0).cost == Decimal("0.28")
    assert pricer.price("deepseek", "deepseek-chat", NIGHT, 1_000_000, 0).cost == Decimal("0.28")
    genai = Pricer("", corrections=False).price("", "deepseek-chat", NIGHT, 1_000_000, 0)
    assert genai.cost == Decimal("0.135")


def test_gpt_6_2_sol_is_priced_from_its_release_with_its_long_context_tier() -> None:
    pricer = Pricer("")
    at = datetime(2026, 12, 1, 12, tzinfo=UTC)
    # 100,000 input: 40,000 cache reads, 10,000 cache writes, so 50,000 uncached; 20,000
    # output (5,000 reasoning, billed as output). 50,000 x $2 + 40,000 x $0.10 + 10,000 x
    # $2.50 + 20,000 x $10 per million = 0.1 + 0.004 + 0.025 + 0.2 = 0.329.
    price = pricer.price(
        "openai", "gpt-6.2-sol", at, 100_000, 20_000, 40_000, 10_000, reasoning_tokens=5_000
    )
    assert (price.input_cost, price.cache_read_cost, price.cache_write_cost) == (
        Decimal("0.1"),
        Decimal("0.004"),
        Decimal("0.025"),
    )
    assert (price.output_cost, price.cost) == (Decimal("0.2"), Decimal("0.329"))
    assert price.price_version.startswith("corrections:")
    # Over 272K input tokens, every token at the long-context rates: 300,000 x $4 +
    # 100,000 x $0.20 + 10,000 x $15 = 1.2 + 0.02 + 0.15 = 1.37.
    long = pricer.price("openai", "gpt-6.2-sol", at, 400_000, 10_000, 100_000)
    assert long.cost == Decimal("1.37")
    # Before its release, and in genai-prices alone, it has no price.
    before = datetime(2026, 11, 16, 12, tzinfo=UTC)
    assert not pricer.price("openai", "gpt-6.2-sol", before, 1_000, 100).priced
    assert not Pricer("", corrections=False).price("openai", "gpt-6.2-sol", at, 1, 1).priced


def test_a_model_only_a_correction_prices_is_priced_without_a_provider() -> None:
    # gpt-6.2-sol, unknown to genai-prices, is OpenAI's by its name, as the instrumentation's
    # model owners say: 1,000 x $2 + 100 x $10 per million = 0.002 + 0.001.
    at = datetime(2026, 12, 1, 12, tzinfo=UTC)
    price = Pricer("").price("", "gpt-6.2-sol", at, 1_000, 100)
    assert price.cost == Decimal("0.003") and price.price_version.startswith("corrections:")


def test_prices_check_names_the_tier_and_the_request_fee(capsys) -> None:
    """Perplexity Sonar Pro's fee per 1,000 requests by search context size (the tier),
    https://docs.perplexity.ai/guides/models/sonar-pro: $6 / $10 / $14."""
    assert main(["prices", "--check", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["corrections"]
    fees = {
        r["service_tier"]: r["usd_per_1000_requests"] for r in rows if r["model"] == "sonar-pro"
    }
    assert fees == {"low": "6", "medium": "10", "high": "14"}
    assert main(["prices", "--check"]) == 0
    text = capsys.readouterr().out
    assert "perplexity/sonar-pro [medium tier] (all dates)\n" in text
    assert "  tokentrace     input 3, output 15, 10 per 1,000 requests\n" in text


def test_an_alias_whose_target_is_not_published_is_unknown_over_that_period(capsys) -> None:
    """A correction's ``unknown`` period: mistral-large-latest is Mistral Large 3 ($0.50 /
    $1.50, https://docs.mistral.ai/models/mistral-large-3-25-12) until Mistral Large 4's
    release (2026-10-06, https://docs.mistral.ai/models/mistral-large-4-0), whether the alias
    moved to it is not published: 100,000 x 0.5 + 10,000 x 1.5 = 0.065 on 2026-10-05, then
    unknown (no_rate) under the name the call gave, where genai-prices says Mistral Large 2
    ($2 / $6: 0.26)."""
    pricer = Pricer("")
    call = (100_000, 10_000)
    before = pricer.price(
        "mistral_ai", "mistral-large-latest", datetime(2026, 10, 5, 23, 59), *call
    )
    assert (before.priced, before.cost) == (True, Decimal("0.065"))
    after = pricer.price("mistral_ai", "mistral-large-latest", datetime(2026, 10, 6), *call)
    assert (after.priced, after.reason, after.model) == (False, "no_rate", "mistral-large-latest")
    genai = Pricer("", corrections=False)
    assert genai.price("mistral_ai", "mistral-large-latest", datetime(2026, 10, 6), *call).cost == (
        Decimal("0.26")
    )
    assert (
        main(["prices", "mistral-large-latest", "--provider", "mistral_ai", "--at", "2026-11-02"])
        == 1
    )
    said = capsys.readouterr().err
    assert "(no_rate: whether mistral-large-latest names Mistral Large 3 or Mistral Large 4" in said
    assert main(["prices", "--check", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["corrections"]
    (row,) = [r for r in rows if r["model"] == "mistral-large-latest" and r["from"] == "2026-10-06"]
    assert row["unknown"].startswith("whether mistral-large-latest names Mistral Large 3")
    assert (row["usd_per_million_tokens"], row["genai_prices_says"]["output"]) == (None, "6")
