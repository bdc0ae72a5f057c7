"""``Pricer.price``'s ``cache_unsaid``: a call whose span counted no cache, on a provider that
caches on its own, is priced exactly when reading its input from cache could not change the
price, else its cost is unknown (``usage_missing``). Rates from https://openai.com/api/pricing/
(https://platform.openai.com/docs/pricing), per million tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tokentrace.processor.pricing.pricer import USAGE_MISSING, Pricer

TS = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("provider", "model", "cost"),
    [
        # no cached input rate: every input token at the input rate either way
        ("azure.ai.openai", "gpt-4-turbo", Decimal("0.0144")),  # 1,200 x 10 + 80 x 30
        ("openai", "gpt-4-0613", Decimal("0.0408")),  # 1,200 x 30 + 80 x 60
        ("openai", "gpt-4o-2024-05-13", Decimal("0.0072")),  # 1,200 x 5 + 80 x 15
    ],
)
def test_a_model_without_a_cached_rate_is_exact(provider, model, cost) -> None:
    price = Pricer(prices_file="").price(provider, model, TS, 1200, 80, cache_unsaid=True)
    assert (price.priced, price.cost, price.reason) == (True, cost, "")


@pytest.mark.parametrize("provider", ["openai", "azure.ai.openai"])
def test_a_model_with_a_cached_rate_is_unknown(provider) -> None:
    """gpt-4o's cached input is $1.25 against $2.50: 1,200 read from cache would cost $0.0023
    where none would cost $0.0038."""
    pricer = Pricer(prices_file="")
    assert pricer.price(provider, "gpt-4o", TS, 1200, 80).cost == Decimal("0.0038")
    price = pricer.price(provider, "gpt-4o", TS, 1200, 80, cache_unsaid=True)
    assert (price.priced, price.model, price.reason) == (False, "gpt-4o", USAGE_MISSING)


def test_a_prices_file_rate_without_a_cached_rate_is_exact(tmp_path: Path) -> None:
    """The user's prices file bills cached input at the input rate unless it says otherwise:
    reading from cache changes nothing (1,200 x 2 + 80 x 8 = 3,040 per million)."""
    path = tmp_path / "prices.yaml"
    path.write_text("prices:\n  - {provider: openai, model: gpt-4o, input: 2, output: 8}\n")
    price = Pricer(prices_file=path).price("openai", "gpt-4o", TS, 1200, 80, cache_unsaid=True)
    assert (price.priced, price.cost) == (True, Decimal("0.00304"))


def _units(audio: int = 0, image: int = 0) -> tuple[int, ...]:
    """Pricer.price's units (1-hour writes, audio in / cached / out, image in / cached / out,
    video in / out) with ``audio`` or ``image`` input tokens."""
    return (0, audio, 0, 0, image, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("model", "units", "cost"),
    [
        # https://developers.openai.com/api/docs/models/gpt-4o-audio-preview: text $2.50 / $10,
        # audio $40 in, no cached rate of either: 800 x 2.5 + 400 x 40 + 80 x 10.
        ("gpt-4o-audio-preview-2024-12-17", _units(audio=400), Decimal("0.0188")),
        # gpt-4-turbo ($10 / $30, no cached rate) with an image: 1,200 x 10 + 80 x 30.
        ("gpt-4-turbo", _units(image=400), Decimal("0.0144")),
    ],
)
def test_audio_or_image_input_without_a_cached_rate_is_exact(model, units, cost) -> None:
    """The all-cached price reads audio and image input from cache too; a model with no
    cached rate of any kind bills them alike either way."""
    pricer = Pricer(prices_file="")
    price = pricer.price("openai", model, TS, 1200, 80, units=units, cache_unsaid=True)
    assert (price.priced, price.cost, price.reason) == (True, cost, "")


@pytest.mark.parametrize(
    ("model", "units", "cost"),
    [
        # gpt-realtime: text $4 / $16, audio $32 in, cached text and audio $0.40
        # (https://developers.openai.com/api/docs/models/gpt-realtime): 800 x 4 + 400 x 32 +
        # 80 x 16 = 0.01728 with nothing cached, less with audio read from cache.
        ("gpt-realtime", _units(audio=400), Decimal("0.01728")),
        # gpt-image-1: text $5, image $10 in, cached image $2.50, output $40 (text) per
        # million (https://developers.openai.com/api/docs/models/gpt-image-1): 800 x 5 +
        # 400 x 10 + 80 x 40 = 0.0112.
        ("gpt-image-1", _units(image=400), Decimal("0.0112")),
    ],
)
def test_audio_or_image_input_with_a_cached_rate_is_unknown(model, units, cost) -> None:
    pricer = Pricer(prices_file="")
    assert pricer.price("openai", model, TS, 1200, 80, units=units).cost == cost
    price = pricer.price("openai", model, TS, 1200, 80, units=units, cache_unsaid=True)
    assert (price.priced, price.reason) == (False, USAGE_MISSING)


def test_a_prices_file_audio_and_image_rate_without_cached_rates_is_exact(tmp_path: Path) -> None:
    """A prices-file entry with audio and image rates and no cached rate: its cached tokens
    cost what uncached ones do, so the call is exact (800 x 2 + 400 x 40 + 80 x 8 and
    800 x 2 + 400 x 5 + 80 x 8 per million)."""
    path = tmp_path / "prices.yaml"
    path.write_text(
        "prices:\n"
        "  - {provider: openai, model: voice-1, input: 2, output: 8, input_audio: 40}\n"
        "  - {provider: openai, model: vision-1, input: 2, output: 8, input_image: 5}\n"
    )
    pricer = Pricer(prices_file=path)
    for model, units, cost in (
        ("voice-1", _units(audio=400), Decimal("0.01824")),
        ("vision-1", _units(image=400), Decimal("0.00424")),
    ):
        price = pricer.price("openai", model, TS, 1200, 80, units=units, cache_unsaid=True)
        assert (price.priced, price.cost) == (True, cost)
