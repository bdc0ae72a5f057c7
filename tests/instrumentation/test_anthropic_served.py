"""How an Anthropic call was served, as its usage says, priced through the real anthropic SDK
against the stand-in and stored in chDB: US-only inference (`usage.inference_geo: "us"`) and
fast mode (`usage.speed: "fast"`).

- Data residency: US-only inference bills 1.1x every token rate (input, output, cache writes
  and reads) of Claude Opus 4.6 and newer models; earlier models keep their prices
  (https://platform.claude.com/docs/en/about-claude/pricing, "Data residency pricing";
  https://docs.aws.amazon.com/claude-platform/latest/userguide/data-residency.html: "A 1.1x
  pricing multiplier applies").
- Fast mode, priced at a multiplier of the standard rates, stacking with other modifiers:
  Claude Opus 5 $10 input, $50 output per million tokens, twice its standard $5 / $25
  (https://platform.claude.com/docs/en/build-with-claude/fast-mode ;
  https://openrouter.ai/anthropic/claude-opus-5-fast-20260723: "2x pricing relative to
  regular Opus 5", $10 / $50).
- Claude Opus 4.6 $5 / $25, Claude Sonnet 4.5 $3 / $15
  (https://platform.claude.com/docs/en/about-claude/pricing#model-pricing).
"""

from __future__ import annotations

from decimal import Decimal

import anthropic

from tokentrace.processor.standins import usage_header

from .conftest import llm_spans, store_spans

COLUMNS = (
    "model, service_tier, inference_geo, input_tokens, output_tokens, "
    "if(priced = 1, cost, NULL), price_rule, unpriced_reason"
)
MESSAGES = [{"role": "user", "content": "Summarise the contract."}]
USAGE = usage_header(input=100_000, output=10_000)


def test_us_inference_and_fast_mode_are_priced_as_served(standin, exporter, tmp_path, store_client):
    sdk = anthropic.Anthropic(
        base_url=standin.base_url("anthropic"), api_key="sk-ant", max_retries=0
    )

    def create(model: str, **served) -> anthropic.types.Message:
        return sdk.messages.create(
            model=model, max_tokens=1000, messages=MESSAGES, extra_headers=USAGE, **served
        )

    us = create("claude-opus-4-6", inference_geo="us")
    assert us.usage.inference_geo == "us"
    create("claude-sonnet-4-5", inference_geo="us")
    fast = create("claude-opus-5", speed="fast")
    assert fast.usage.speed == "fast"
    with sdk.messages.stream(
        model="claude-opus-5",
        max_tokens=1000,
        messages=MESSAGES,
        extra_headers=USAGE,
        speed="fast",
        inference_geo="us",
    ) as stream:
        stream.get_final_message()
    create("claude-opus-4-6", inference_geo="eu")

    store_spans(llm_spans(exporter), tmp_path, store_client)
    rows = store_client.query(f"SELECT {COLUMNS} FROM llm_calls ORDER BY ts").result_rows
    assert rows == [
        # 1.1 x (100,000 x $5 + 10,000 x $25) = 1.1 x 750,000 per million = $0.825.
        ("claude-opus-4-6", "", "us", 100_000, 10_000, Decimal("0.825"),
         "anthropic-us-inference-1.1x", ""),
        # Sonnet 4.5 predates inference_geo's pricing: 100,000 x 3 + 10,000 x 15 = $0.45.
        ("claude-sonnet-4-5", "", "us", 100_000, 10_000, Decimal("0.45"), "", ""),
        # Fast: 100,000 x $10 + 10,000 x $50 = $1.50.
        ("claude-opus-5", "fast", "", 100_000, 10_000, Decimal("1.5"), "", ""),
        # Fast and US-only, stacked: 1.1 x 1.50 = $1.65.
        ("claude-opus-5", "fast", "us", 100_000, 10_000, Decimal("1.65"),
         "anthropic-us-inference-1.1x", ""),
        # A geography whose multiplier is not published: unknown, not the global price.
        ("claude-opus-4-6", "", "eu", 100_000, 10_000, None, "", "no_rate"),
    ]  # fmt: skip
