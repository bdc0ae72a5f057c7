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
from tokentrace.processor.pricing.overrides import PricesFileError, load_overrides
from tokentrace.processor.pricing.pricer import CORRECTIONS_FILE, Pricer

NIGHT = datetime(2025, 10, 1, 22, 0, tzinfo=UTC)  # the old off-peak window


@pytest.fixture(autouse=True)
def no_prices_file_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKENTRACE_PRICES_FILE", raising=False)


def test_every_correction_has_a_source_url_and_a_date_checked() -> None:
    corrections = load_overrides(CORRECTIONS_FILE, sourced=True)
    periods = [p for entry in corrections.entries for p in entry.periods]
    assert len(periods) == 4
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
