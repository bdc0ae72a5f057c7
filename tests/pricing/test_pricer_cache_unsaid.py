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
