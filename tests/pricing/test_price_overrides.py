"""The prices file adds models and negotiated rates with start dates; bad files fail clearly."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest

from tokentrace.processor.extract.extractor import USAGE_UNITS
from tokentrace.processor.pricing.overrides import PricesFileError, load_overrides
from tokentrace.processor.pricing.pricer import GENAI_PRICES_VERSION, Pricer
from tokentrace.processor.pricing.units import REPORTED_METERED

UTC = UTC

PRICES = """\
# negotiated and private models, USD per million tokens
prices:
  - provider: openai
    model: gpt-4o
    start: 2026-03-01
    input: 2
    cache_read: 0.5
    output: 8
  - provider: openai
    model: gpt-4o
    start: 2026-06-01
    input: 1.75
    output: 7
  - provider: openai
    model: gpt-4o
    service_tier: batch
    input: 0.9
    output: 3.5
  - model_prefix: acme-llm
    input: 0.10
    cache_write: 0.125
    output: 0.40
    tiers:
      - above: 100_000
        input: 0.20
      - above: 500000
        output: 0.80
  - model_prefix: acme-llm-large
    provider: google
    input: 1
    output: 1
  - provider: ollama
    model_prefix: ""
    input: 0
    output: 0
"""


@pytest.fixture
def prices_file(tmp_path: Path) -> Path:
    path = tmp_path / "prices.yaml"
    path.write_text(PRICES)
    return path


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def test_negotiated_periods_override_genai_prices_from_their_start(prices_file: Path) -> None:
    pricer = Pricer(prices_file)
    version = "file:" + hashlib.sha256(PRICES.encode()).hexdigest()[:12]
    before = pricer.price("openai", "gpt-4o-2024-08-06", at("2026-02-28"), 1_000_000, 0)
    first = pricer.price("openai", "gpt-4o", at("2026-03-01"), 1_000_000, 1_000_000, 400_000)
    second = pricer.price("openai", "gpt-4o", at("2026-07-01"), 1_000_000, 1_000_000, 400_000)
    assert (before.cost, before.price_version) == (Decimal("2.5"), GENAI_PRICES_VERSION)
    assert (first.input_cost, first.cache_read_cost, first.output_cost) == (
        Decimal("1.2"),
        Decimal("0.2"),
        Decimal("8"),
    )
    assert first.price_version == version and first.model == "gpt-4o"
    assert second.cost == Decimal("1.75") + Decimal("7")  # no cache_read rate: input rate
    # An exact entry matches the whole name, in any case; a dated name is another model.
    assert pricer.price("openai", "GPT-4o", at("2026-07-01"), 1_000_000, 0).cost == Decimal("1.75")
    assert pricer.price("openai", "gpt-4o-2024-08-06", at("2026-07-01"), 1_000_000, 0).cost == (
        Decimal("2.5")
    )


def test_a_period_with_an_end_gives_way_to_the_layers_below_until_the_next_start(
    tmp_path: Path,
) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(
        "prices:\n"
        "  - {model: gpt-4o, start: 2026-03-01, end: 2026-04-01, input: 1, output: 4}\n"
        "  - {model: gpt-4o, start: 2026-05-01, input: 2, output: 8}\n"
    )
    pricer = Pricer(path)
    # gpt-4o from genai-prices: $2.50 input. The file: $1 in March, $2 from May on.
    costs = [
        pricer.price("openai", "gpt-4o", at(day), 1_000_000, 0).cost
        for day in ("2026-02-28", "2026-03-01", "2026-03-31", "2026-04-01", "2026-04-30")
    ]
    assert costs == [Decimal("2.5"), Decimal(1), Decimal(1), Decimal("2.5"), Decimal("2.5")]
    assert pricer.price("openai", "gpt-4o", at("2026-05-01"), 1_000_000, 0).cost == Decimal(2)
    march = pricer.quote("openai", "gpt-4o", at("2026-03-10"))
    assert march is not None and (march.valid_from, march.valid_to) == (
        at("2026-03-01").date(),
        at("2026-04-01").date(),
    )
    april = pricer.quote("openai", "gpt-4o", at("2026-04-10"))
    assert april is not None and april.source == "genai-prices"
    assert april.valid_to == at("2026-05-01").date()  # where the file takes over again


def test_an_entry_with_hours_prices_only_its_daily_window(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(
        "prices:\n"
        "  - {model: acme-llm, input: 1, output: 2}\n"
        "  - {model: acme-llm, hours_utc: 22:00-06:00, input: 0.5, output: 1}\n"
        "  - {model: gpt-4o, start: 2026-03-01, hours_utc: '09:00-17:00', input: 5, output: 20}\n"
    )
    pricer = Pricer(path)
    # A window past midnight: from 22:00 (inclusive) to 06:00 (exclusive).
    costs = {
        hour: pricer.price("", "acme-llm", datetime(2026, 3, 2, *hour, tzinfo=UTC), 10**6, 0).cost
        for hour in ((21, 59), (22, 0), (3, 0), (5, 59), (6, 0))
    }
    assert list(costs.values()) == [Decimal(1), Decimal("0.5"), Decimal("0.5"), Decimal("0.5"), 1]
    # A window with no entry around it: genai-prices' gpt-4o ($2.50 input) outside it.
    noon, evening = datetime(2026, 3, 2, 12, tzinfo=UTC), datetime(2026, 3, 2, 18, tzinfo=UTC)
    assert pricer.price("openai", "gpt-4o", noon, 10**6, 0).cost == Decimal(5)
    assert pricer.price("openai", "gpt-4o", evening, 10**6, 0).cost == Decimal("2.5")
    window = pricer.quote("openai", "gpt-4o", noon)
    assert window is not None and window.hours_utc == (time(9), time(17))


def test_a_tier_specific_entry_wins_for_that_tier(prices_file: Path) -> None:
    pricer = Pricer(prices_file)
    batch = pricer.price("openai", "gpt-4o", at("2026-07-01"), 1_000_000, 1_000_000, 0, 0, "batch")
    assert batch.cost == Decimal("4.4")


def test_prefix_entries_add_models_with_tiers(prices_file: Path) -> None:
    pricer = Pricer(prices_file)
    small = pricer.price("my-gateway", "acme-llm-7b", at("2026-01-01"), 100_000, 1_000, 0, 50_000)
    assert (small.model, small.priced) == ("acme-llm-7b", True)
    assert small.input_cost == Decimal("0.005")  # 50,000 uncached at $0.10
    assert small.cache_write_cost == Decimal("0.00625")
    assert small.cache_savings == Decimal("-0.00125")
    long = pricer.price("my-gateway", "acme-llm-7b", at("2026-01-01"), 600_000, 1_000)
    assert (long.input_cost, long.output_cost) == (Decimal("0.12"), Decimal("0.0008"))
    # The longer prefix wins for its provider, named the genai-prices way (google) here.
    for provider in ("gcp.vertex_ai", "gcp.gemini", "google"):
        assert pricer.price(provider, "acme-llm-large-2", at("2026-01-01"), 10**6, 0).cost == 1
    assert pricer.price("openai", "acme-llm-large-2", at("2026-01-01"), 10**6, 0).cost == (
        Decimal("0.2")
    )


def test_a_negotiated_rate_takes_the_us_inference_multiplier(tmp_path: Path) -> None:
    """US-only inference is "a 1.1x pricing multiplier" on Claude Opus 4.6 and later
    (https://platform.claude.com/docs/en/about-claude/pricing#data-residency-pricing): on the
    account's rate, so on a negotiated one too. A negotiated $4 / cached $0.40 / $20 for Opus
    4.6: 60,000 x 4 + 40,000 x 0.4 + 10,000 x 20 = 0.456, US-only 0.456 x 1.1 = 0.5016. Haiku
    4.5 predates the multiplier: its negotiated $0.80 / $4 whatever the geography. A geography
    without a published multiplier is unpriced, never at the global rate."""
    path = tmp_path / "prices.yaml"
    path.write_text(
        "prices:\n"
        "  - provider: anthropic\n    model: claude-opus-4-6\n"
        "    input: 4\n    cache_read: 0.4\n    output: 20\n"
        "  - provider: anthropic\n    model: claude-haiku-4-5\n    input: 0.8\n    output: 4\n"
    )
    pricer = Pricer(path)
    day = at("2026-12-01")

    def opus(geo: str):
        return pricer.price("anthropic", "claude-opus-4-6", day, 100_000, 10_000, 40_000, 0,
                            inference_geo=geo)  # fmt: skip

    assert (opus("").cost, opus("global").cost, opus("us").cost) == (
        Decimal("0.456"), Decimal("0.456"), Decimal("0.5016"),
    )  # fmt: skip
    assert opus("us").price_version.startswith("file:")
    assert (opus("eu").priced, opus("eu").reason) == (False, "no_rate")
    haiku = pricer.price("anthropic", "claude-haiku-4-5", day, 100_000, 10_000, inference_geo="us")
    assert haiku.cost == Decimal("0.12")


def test_a_model_priced_per_image(tmp_path: Path) -> None:
    """``output_images`` is USD per image; such an entry needs no token rates. 3 images at
    $0.05 = 0.15; a call that reports tokens only is not priced by it (not_per_token)."""
    path = tmp_path / "prices.yaml"
    path.write_text("prices:\n  - model: acme-image-2\n    output_images: 0.05\n")
    pricer = Pricer(path)
    images = tuple(3 if unit == "output_images" else 0 for unit in REPORTED_METERED)
    price = pricer.price("acme", "acme-image-2", at("2026-12-01"), 0, 0, metered=images)
    assert (price.priced, price.cost, price.output_cost) == (True, Decimal("0.15"), Decimal("0.15"))
    tokens = pricer.price("acme", "acme-image-2", at("2026-12-01"), 40, 0)
    assert (tokens.priced, tokens.reason) == (False, "not_per_token")


def test_a_fee_per_request_on_top_of_the_tokens(tmp_path: Path) -> None:
    """``requests`` is USD per 1,000 requests, in ``input_cost`` beside the tokens, for the
    tier it names: 1,200 x 3 + 90 x 15 per million + 10 / 1,000 = 0.0036 + 0.00135 + 0.01."""
    path = tmp_path / "prices.yaml"
    path.write_text(
        "prices:\n  - model: acme-search\n    service_tier: medium\n"
        "    input: 3\n    output: 15\n    requests: 10\n"
    )
    price = Pricer(path).price(
        "acme", "acme-search", at("2026-12-01"), 1_200, 90, service_tier="medium"
    )
    assert (price.cost, price.input_cost) == (Decimal("0.01495"), Decimal("0.0136"))


def test_audio_input_billed_per_minute_beside_the_tokens(tmp_path: Path) -> None:
    """``input_audio_minutes`` is USD per minute of audio input (a span's input_audio_seconds),
    in ``input_cost`` beside the tokens; a call without audio pays the tokens alone. At
    Voxtral Mini's rates (https://docs.mistral.ai/models/voxtral-mini-25-07: $0.001 a minute,
    $0.04 / $0.04 per million tokens) a negotiated $0.002 a minute, $0.05 / $0.05:
    90 s = 1.5 min x 0.002 = 0.003; 2,000 x 0.05 + 400 x 0.05 per million = 0.00012."""
    path = tmp_path / "prices.yaml"
    path.write_text(
        "prices:\n  - provider: mistral\n    model: voxtral-mini-2507\n"
        "    input: 0.05\n    output: 0.05\n    input_audio_minutes: 0.002\n"
    )
    pricer = Pricer(path)
    seconds = tuple(90 if unit == "input_audio_seconds" else 0 for unit in REPORTED_METERED)
    day = at("2026-12-01")
    price = pricer.price("mistral_ai", "voxtral-mini-2507", day, 2_000, 400, metered=seconds)
    assert (price.priced, price.cost) == (True, Decimal("0.00312"))
    assert (price.input_cost, price.output_cost) == (Decimal("0.0031"), Decimal("0.00002"))
    assert price.price_version.startswith("file:")
    tokens_only = pricer.price("mistral_ai", "voxtral-mini-2507", day, 2_000, 400)
    assert tokens_only.cost == Decimal("0.00012")


def test_a_model_priced_per_character(tmp_path: Path) -> None:
    """``input_characters`` is USD per million characters of input text (text to speech);
    such an entry needs no token rates. 2,500 characters at $12 = 2,500 x 12 per million =
    0.03; a call that reports tokens only is not priced by it (not_per_token)."""
    path = tmp_path / "prices.yaml"
    path.write_text("prices:\n  - model: acme-tts\n    input_characters: 12\n")
    pricer = Pricer(path)
    chars = tuple(2_500 if unit == "input_characters" else 0 for unit in REPORTED_METERED)
    price = pricer.price("acme", "acme-tts", at("2026-12-01"), 0, 0, metered=chars)
    assert (price.priced, price.cost, price.input_cost) == (True, Decimal("0.03"), Decimal("0.03"))
    tokens = pricer.price("acme", "acme-tts", at("2026-12-01"), 40, 0)
    assert (tokens.priced, tokens.reason) == (False, "not_per_token")


def test_an_entry_can_say_a_price_is_unknown_over_a_period(tmp_path: Path) -> None:
    """``unknown: why`` (no rates) leaves the calls of its period unpriced (``no_rate``), where
    the layers below would price them (genai-prices prices gpt-4o at $2.50 / $10): before
    its start and after its end the layers below price again, and ``tokentrace prices``
    says why. 1,000,000 in + 100,000 out at $2.50 / $10 = 2.5 + 1 = 3.5."""
    path = tmp_path / "prices.yaml"
    path.write_text(
        "prices:\n  - provider: openai\n    model: gpt-4o\n    start: 2026-03-01\n"
        "    end: 2026-04-01\n    unknown: our gateway's gpt-4o was another model that month\n"
    )
    pricer = Pricer(path)
    call = (1_000_000, 100_000)
    inside = pricer.price("openai", "gpt-4o", at("2026-03-15"), *call)
    assert (inside.priced, inside.reason, inside.cost_source) == (False, "no_rate", "none")
    for day in ("2026-02-28", "2026-04-01"):
        outside = pricer.price("openai", "gpt-4o", at(day), *call)
        assert (outside.priced, outside.cost) == (True, Decimal("3.5")), day
    quote = pricer.quote("openai", "gpt-4o", at("2026-03-15"))
    assert quote is not None and quote.compiled is None
    assert quote.unknown == "our gateway's gpt-4o was another model that month"


def test_a_unit_rate_can_be_unknown(tmp_path: Path) -> None:
    """``input_audio: unknown`` (a rate not published): a call with audio input tokens is
    unpriced (``no_rate``), never billed as text; a call without them is priced by the
    entry's other rates: 1,000,000 in + 100,000 out at $2 / $8 = 2 + 0.8 = 2.8."""
    path = tmp_path / "prices.yaml"
    path.write_text(
        "prices:\n  - model: acme-voice\n    input: 2\n    output: 8\n"
        "    input_audio: unknown\n    output_audio: 30\n"
    )
    pricer = Pricer(path)
    audio = tuple(200_000 if unit == "input_audio_tokens" else 0 for unit in USAGE_UNITS)
    price = pricer.price("acme", "acme-voice", at("2026-12-01"), 1_000_000, 100_000, units=audio)
    assert (price.priced, price.reason, price.cost_source) == (False, "no_rate", "none")
    text = pricer.price("acme", "acme-voice", at("2026-12-01"), 1_000_000, 100_000)
    assert (text.priced, text.cost) == (True, Decimal("2.8"))
    # Audio output has its rate: 1,000,000 x 2 + 50,000 x 8 + 50,000 x 30 = 2 + 0.4 + 1.5.
    spoken = tuple(50_000 if unit == "output_audio_tokens" else 0 for unit in USAGE_UNITS)
    out = pricer.price("acme", "acme-voice", at("2026-12-01"), 1_000_000, 100_000, units=spoken)
    assert (out.priced, out.cost) == (True, Decimal("3.9"))


def test_a_self_hosted_provider_can_be_priced_at_zero_on_purpose(prices_file: Path) -> None:
    price = Pricer(prices_file).price("ollama", "llama3.1:8b", at("2026-01-01"), 1_000, 100)
    assert price.priced and price.cost == 0 and price.price_version.startswith("file:")


def test_the_environment_variable_names_the_default_file(prices_file, monkeypatch) -> None:
    monkeypatch.setenv("TOKENTRACE_PRICES_FILE", str(prices_file))
    assert Pricer().price("ollama", "x", at("2026-01-01"), 1, 1).priced
    monkeypatch.delenv("TOKENTRACE_PRICES_FILE")
    assert not Pricer().price("ollama", "x", at("2026-01-01"), 1, 1).priced


def test_rates_are_read_as_exact_decimals(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("prices:\n  - model: m\n    input: 0.1\n    output: 0.3\n")
    price = Pricer(path).price("x", "m", at("2026-01-01"), 3_000_000, 1_000_000)
    assert price.cost == Decimal("0.6")  # 3 x 0.1 + 0.3, no binary float drift


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "empty prices file"),
        ("prices: [\n", 2, "invalid YAML"),
        ("models: []\n", 1, "unknown key 'models'"),
        ("prices: {}\n", 1, "'prices' must be a list"),
        ("prices:\n  - input: 1\n    output: 1\n", 2, "exactly one of 'model' or 'model_prefix'"),
        ("prices:\n  - model: m\n    output: 1\n", 2, "needs 'input'"),
        ("prices:\n  - model: m\n    input: 1\n    output: -2\n", 4, ">= 0"),
        ("prices:\n  - model: m\n    input: '1'\n    output: 1\n", 3, "must be a number"),
        ("prices:\n  - model: m\n    input: 1\n    ouput: 1\n", 4, "unknown key 'ouput'"),
        ("prices:\n  - model: m\n    input: 1\n    output: 1\n    start: 2026-02-30\n", 5, "date"),
        ("prices:\n  - model: m\n    input: 1\n    output: 1\n    start: soon\n", 5, "YYYY-MM-DD"),
        (
            "prices:\n  - model: m\n    input: 1\n    output: 1\n"
            "  - model: M\n    input: 2\n    output: 2\n",
            5,
            "duplicate price period",
        ),
        (
            "prices:\n  - model: m\n    input: 1\n    output: 1\n    hours_utc: 9-17\n",
            5,
            "'hours_utc' must be a window HH:MM-HH:MM (UTC)",
        ),
        (
            "prices:\n  - model: m\n    input: 1\n    output: 1\n    hours_utc: 10:00-10:00\n",
            5,
            "must not start and end at the same time",
        ),
        (
            "prices:\n  - model: m\n    input: 1\n    output: 1\n"
            "    start: 2026-02-01\n    end: 2026-02-01\n",
            6,
            "'end' must be after 'start'",
        ),
        (
            "prices:\n  - model: m\n    input: 1\n    output: 1\n    end: 2026-03-02\n"
            "  - model: m\n    input: 2\n    output: 2\n    start: 2026-03-01\n",
            2,
            "'end' 2026-03-02 is after the start of the next period of the same model (line 6)",
        ),
        (
            "prices:\n  - model: m\n    input: 1\n    unknown: not published\n",
            2,
            "an entry whose price is 'unknown' has no rates (found input)",
        ),
        (
            "prices:\n  - model: m\n    input: 1\n    output: 1\n    tiers:\n"
            "      - above: 10\n        cache_read: 1\n",
            6,
            "cache_read with no base rate",
        ),
        (
            "prices:\n  - model: m\n    input: 1\n    output: 1\n    tiers:\n"
            "      - above: 10\n        input: 2\n      - above: 5\n        input: 3\n",
            8,
            "increasing 'above'",
        ),
    ],
)
def test_bad_files_fail_with_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(text)
    with pytest.raises(PricesFileError) as caught:
        load_overrides(path)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert message in str(caught.value)


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PricesFileError, match="cannot read prices file"):
        Pricer(tmp_path / "nope.yaml")


GROUNDING_SOURCE = (
    "https://ai.google.dev/gemini-api/docs/pricing (Grounding with Google Search: Gemini 3 "
    "and later 5,000 prompts a month free, then $14 per 1,000 search queries; Gemini 2.x "
    "$35 per 1,000 grounded prompts past 1,500 a day)"
)


def grounded_cost(pricer: Pricer, provider: str, model: str, queries: int = 3):
    return pricer.price(
        provider,
        model,
        datetime(2026, 12, 1, 12, tzinfo=UTC),
        10_000,
        1_000,
        metered=tuple(queries if key == "web_searches" else 0 for key in REPORTED_METERED),
    )


def test_gemini_grounding_billed_past_the_free_allowance(tmp_path: Path) -> None:
    """Whether a grounded call's fee is due depends on the project's other calls (a free
    allowance), which no span says: by default such a call is unknown. A prices file saying
    `gemini_grounding: billed` (the project is past the allowance) bills a Gemini 3 and later
    call's search queries at the fee, on the Gemini API: gemini-3.5-flash $1.50 / $9, 10,000
    x 1.5 + 1,000 x 9 per million = 0.024, + 3 x 0.014 = 0.066 (GROUNDING_SOURCE). Gemini 2.x
    bills per grounded prompt whatever its queries, and Vertex AI's terms were not readable:
    both stay unknown."""
    path = tmp_path / "prices.yaml"
    path.write_text("gemini_grounding: billed\nprices: []\n")
    billed = Pricer(path)
    default = Pricer("")
    assert grounded_cost(billed, "gcp.gemini", "gemini-3.5-flash").cost == Decimal("0.066")
    assert grounded_cost(default, "gcp.gemini", "gemini-3.5-flash").reason == "no_rate"
    # a call that ran no search pays no fee either way
    assert grounded_cost(billed, "gcp.gemini", "gemini-3.5-flash", 0).cost == Decimal("0.024")
    assert grounded_cost(default, "gcp.gemini", "gemini-3.5-flash", 0).cost == Decimal("0.024")
    for provider, model in [
        ("gcp.gemini", "gemini-2.5-flash"),
        ("gcp.vertex_ai", "gemini-3.5-flash"),
    ]:
        price = grounded_cost(billed, provider, model)
        assert (price.priced, price.reason) == (False, "no_rate")


@pytest.mark.parametrize("value", ["yes", "[billed]"])
def test_gemini_grounding_setting_must_be_known(tmp_path: Path, value: str) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(f"prices: []\ngemini_grounding: {value}\n")
    with pytest.raises(PricesFileError, match=r"prices.yaml:2: 'gemini_grounding' must be one of"):
        load_overrides(path)
