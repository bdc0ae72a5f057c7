"""``tokentrace prices``: the applicable price, its tiers, source, version and validity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tokentrace.processor.cli import main


@pytest.fixture(autouse=True)
def no_prices_file_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKENTRACE_PRICES_FILE", raising=False)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["prices", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_shows_rates_tiers_source_and_validity(capsys) -> None:
    code, out, _ = run(
        capsys, "claude-sonnet-4-5-20250929", "--provider", "anthropic", "--at", "2026-11-02",
        "--format", "json", "--prices-file", "",
    )  # fmt: skip
    doc = json.loads(out)
    assert code == 0
    assert doc["model"] == "claude-sonnet-4-5" and doc["provider"] == "anthropic"
    assert (doc["source"], doc["price_version"]) == ("genai-prices", "genai-prices@0.2.3")
    assert doc["usd_per_million_tokens"] == {
        "input": "3",
        "cache_read": "0.3",
        "cache_write": "3.75",
        "output": "15",
        "cache_write_1h": "6",
    }
    assert doc["tiers"] == [
        {
            "above_input_tokens": 200000,
            "input": "6",
            "cache_read": "0.6",
            "cache_write": "7.5",
            "output": "22.5",
            "cache_write_1h": "12",
        }
    ]


def test_validity_is_the_price_period_around_the_date(capsys) -> None:
    _, out, _ = run(capsys, "o3", "--provider", "openai", "--at", "2025-01-15", "--format", "json")
    early = json.loads(out)
    assert (early["valid_from"], early["valid_to"]) == (None, "2025-06-10")
    assert early["usd_per_million_tokens"]["input"] == "10"
    _, out, _ = run(capsys, "o3", "--provider", "openai", "--at", "2025-06-10T08:00Z")
    assert "from 2025-06-10 with no end date" in out
    assert "input        2\n" in out


def test_tier_rule_is_shown(capsys) -> None:
    _, out, _ = run(
        capsys, "gpt-4o", "--provider", "openai", "--service-tier", "batch", "--at", "2026-01-01"
    )
    assert "rule         batch-50pct (every call): batch tier without a batch price" in out
    assert "source: https://platform.openai.com/docs/guides/batch" in out
    assert "input        1.25\n" in out


def test_a_tier_without_rate_or_rule_is_unpriced_and_says_why(capsys) -> None:
    code, out, err = run(capsys, "gpt-4o", "--provider", "openai", "--service-tier", "scale")
    assert code == 1 and out == ""
    assert "(no_rate: no rate for this service tier in the price data" in err


def test_missing_cache_rates_are_named(capsys) -> None:
    code, out, _ = run(capsys, "gpt-4", "--provider", "openai", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["unpriced_when_non_zero"] == [
        "cache_read_tokens",
        "cache_write_1h_tokens",
    ]
    assert doc["rules"] == [
        {
            "name": "openai-cache-write-input-rate",
            "description": "OpenAI prompt caching has no write fee: cache writes cost the input "
            "rate",
            "source": "https://platform.openai.com/docs/guides/prompt-caching",
            "applies_to": "calls with cache_write_tokens",
        }
    ]


def test_a_unit_left_unpriced_shows_no_rate(capsys) -> None:
    """GPT-4o mini bills a web search as a fixed block of tokens at no published rate
    (https://platform.openai.com/docs/pricing#built-in-tools): its calls with a search are
    unpriced, so no rate per search is shown, never genai-prices' $10 no call is charged at;
    GPT-4.1's searches are priced at it."""
    code, out, _ = run(capsys, "gpt-4o-mini", "--provider", "openai", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["usd_per_unit"] == {"web_searches_kcount": None}
    assert "web_searches" in doc["unpriced_when_non_zero"]
    _, out, _ = run(capsys, "gpt-4o-mini", "--provider", "openai")
    assert "  USD per 1,000 web searches   none (calls with these are unpriced)\n" in out
    _, out, _ = run(capsys, "gpt-4.1", "--provider", "openai")
    assert "  USD per 1,000 web searches   10\n" in out


def test_prices_file_rates_name_the_file_and_period(capsys, tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(
        "prices:\n"
        "  - {model: acme-1, input: 1, output: 2, start: 2026-01-01}\n"
        "  - {model: acme-1, input: 0.5, output: 1, start: 2026-07-01}\n"
    )
    code, out, _ = run(capsys, "acme-1", "--prices-file", str(path), "--at", "2026-03-01")
    assert code == 0
    assert f"source       {path}  [file:" in out
    assert "valid        from 2026-01-01 until 2026-07-01 (exclusive)" in out
    code, _, err = run(capsys, "acme-1", "--prices-file", str(path), "--at", "2025-12-31")
    assert code == 1 and "no price for model 'acme-1'" in err


def test_unknown_model_exits_1_with_a_clear_message(capsys) -> None:
    code, out, err = run(capsys, "my-private-model", "--provider", "openai")
    assert code == 1 and out == ""
    assert "no price for model 'my-private-model' from provider 'openai'" in err
    assert "stored unpriced" in err


def test_bad_prices_file_and_bad_date_are_reported(capsys, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("prices:\n  - model: m\n")
    with pytest.raises(SystemExit, match=rf"{path}:2: a price entry needs 'input'"):
        main(["prices", "m", "--prices-file", str(path)])
    with pytest.raises(SystemExit) as caught:
        main(["prices", "gpt-4o", "--at", "yesterday"])
    assert caught.value.code == 2
    assert "invalid date 'yesterday'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("model", "provider", "rate"),
    [("text-embedding-3-small", "openai", "0.02"), ("embed-v4.0", "cohere", "0.12")],
)
def test_without_provider_the_model_owner_is_found_as_for_a_span(capsys, model, provider, rate):
    """genai-prices' provider patterns name no owner for these (its OpenAI patterns are gpt-,
    o1/o3/o4, whisper-1, tts-1; Cohere's command-): the command said "no price" for models the
    extractor prices (it names a span's missing provider from the model's owner)."""
    code, out, _ = run(capsys, model, "--at", "2026-12-01", "--format", "json", "--prices-file", "")
    doc = json.loads(out)
    assert code == 0
    assert (doc["provider"], doc["usd_per_million_tokens"]["input"]) == (provider, rate)


@pytest.mark.parametrize(
    ("model", "at", "first"),
    [
        ("gpt-4o", "1900-01-01", "2020-06-11"),  # before any LLM API priced a call
        ("claude-3-5-haiku-20241022", "2024-10-21", "2024-10-22"),  # before the snapshot
        ("gpt-4o-2024-08-06", "2024-08-05T23:59Z", "2024-08-06"),
    ],
)
def test_no_price_before_the_model_existed(capsys, model: str, at: str, first: str) -> None:
    code, out, err = run(capsys, model, "--at", at, "--format", "json")
    assert (code, out) == (1, "")
    assert f"no price known for model {model!r}" in err
    assert f"no price applies before {first}" in err
    assert len(err.splitlines()) == 1


def test_a_snapshot_is_priced_from_its_date(capsys) -> None:
    code, out, _ = run(capsys, "gpt-4o-2024-08-06", "--at", "2024-08-06", "--format", "json")
    assert code == 0
    assert json.loads(out)["usd_per_million_tokens"]["input"] == "2.5"
