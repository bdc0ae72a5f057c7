"""Anthropic's 1-hour cache writes reach the span, so the processor prices them at 2x input."""

from __future__ import annotations

from tokentrace.instrumentation.anthropic_api import MESSAGES
from tokentrace.instrumentation.usage import CACHE_CREATION_1H_TOKENS


def test_one_hour_cache_writes_are_an_attribute_of_their_own() -> None:
    raw = {
        "input_tokens": 10,
        "cache_read_input_tokens": 100,
        "cache_creation_input_tokens": 300,
        "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 200},
        "output_tokens": 7,
    }
    attributes = MESSAGES.usage(raw).attributes()
    assert attributes["gen_ai.usage.input_tokens"] == 410
    assert attributes["gen_ai.usage.cache_creation.input_tokens"] == 300
    assert attributes[CACHE_CREATION_1H_TOKENS] == 200
    without = MESSAGES.usage({"input_tokens": 10, "output_tokens": 7}).attributes()
    assert CACHE_CREATION_1H_TOKENS not in without
