"""Long-context tiers the price data lacks (rules.LONG_CONTEXT): a call above the provider's
threshold is never billed at the base rate in silence. Costs are hand-computed from the
providers' published per-million-token lists."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tokentrace.processor.cli import main
from tokentrace.processor.pricing.pricer import NO_RATE, Pricer

AT = datetime(2026, 11, 2, 12, tzinfo=UTC)
# grok-4-0709 before its retirement (2026-05-15), from which it bills as grok-4.3 (no rule)
BEFORE_XAI_RETIREMENT = datetime(2026, 3, 3, 12, tzinfo=UTC)
BEDROCK_SONNET_4 = "global.anthropic.claude-sonnet-4-20250514-v1:0"
BEDROCK_SONNET_4_5 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


@pytest.fixture(scope="module")
def pricer() -> Pricer:
    return Pricer("")


def test_bedrock_sonnet_4_is_priced_up_to_200k_input_tokens(pricer: Pricer) -> None:
    # Bedrock Sonnet 4: $3 input, $15 output per million tokens.
    price = pricer.price("aws.bedrock", BEDROCK_SONNET_4, AT, 200_000, 1_000)
    assert price.priced and price.cost == Decimal("0.615")  # 0.6 + 0.015
    # Cache reads count as input (DESIGN §2): 150,000 + 50,000 read = 200,000, still base.
    cached = pricer.price("aws.bedrock", BEDROCK_SONNET_4, AT, 200_000, 0, 50_000)
    assert cached.cost == Decimal("0.465")  # 150,000 x $3 + 50,000 x $0.30


@pytest.mark.parametrize("model", [BEDROCK_SONNET_4, BEDROCK_SONNET_4_5])
def test_bedrock_sonnet_4_above_200k_input_tokens_is_unpriced(pricer: Pricer, model: str) -> None:
    price = pricer.price("aws.bedrock", model, AT, 200_001, 1_000)
    assert not price.priced and price.reason == NO_RATE and price.cost == 0
    with_cache = pricer.price("aws.bedrock", model, AT, 210_000, 0, 60_000)
    assert not with_cache.priced and with_cache.reason == NO_RATE


def test_grok_4_counts_input_and_output_against_128k(pricer: Pricer) -> None:
    # grok-4-0709: $3 input, $15 output per million tokens below 128K tokens in all.
    at = BEFORE_XAI_RETIREMENT
    price = pricer.price("x_ai", "grok-4-0709", at, 100_000, 28_000)
    assert price.priced and price.cost == Decimal("0.72")  # 0.3 + 0.42
    assert pricer.price("x_ai", "grok-4-0709", at, 100_000, 28_001).reason == NO_RATE
    assert pricer.price("x_ai", "grok-4-0709", at, 128_001, 0).reason == NO_RATE


def test_a_tier_in_the_data_wins_over_the_rule(pricer: Pricer) -> None:
    # Anthropic's own Sonnet 4.5 has the tier in genai-prices: above 200K input tokens every
    # token at $6 input, $22.50 output.
    price = pricer.price("anthropic", "claude-sonnet-4-5-20250929", AT, 300_000, 1_000)
    assert price.priced and price.cost == Decimal("1.8225")  # 1.8 + 0.0225
    assert price.rule == ""


def test_prices_names_the_rule_and_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["prices", BEDROCK_SONNET_4, "--provider", "aws.bedrock", "--at", "2026-11-02",
         "--format", "json", "--prices-file", ""]
    )  # fmt: skip
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    (rule,) = [r for r in doc["rules"] if r["name"] == "bedrock-sonnet-4-long-context-unpriced"]
    assert rule["applies_to"] == "calls above 200,000 input tokens: unpriced"
    assert rule["unpriced_above_tokens"] == 200_000
    assert "https://www.anthropic.com/news/1m-context" in rule["source"]
    main(["prices", "grok-4-0709", "--provider", "x_ai", "--at", "2026-03-03", "--prices-file", ""])
    text = capsys.readouterr().out
    assert (
        "rule         xai-grok-4-long-context-unpriced (calls above 128,000 input and output "
        "tokens: unpriced)"
    ) in text
