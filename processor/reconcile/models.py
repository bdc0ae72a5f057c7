"""Billed model names → the model ids metered calls are stored under.

Providers report dated snapshots (``gpt-4o-mini-2024-07-18``, ``claude-sonnet-4-20250514``);
metered calls carry the pricer's canonical id (``llm_calls.model`` is genai-prices' model
id for priced calls). Resolving billed names through the same pricer makes both sides of
the diff name a model the same way; a model the pricer does not know keeps its name, as an
unpriced metered call does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from tokentrace.processor.pricing.pricer import Pricer


@cache
def _pricer() -> Pricer:
    return Pricer()


@cache
def canonical(provider: str, model: str) -> str:
    """The model id a metered call of ``provider``/``model`` is stored under."""
    if not model:
        return ""
    return _pricer().price(provider, model, datetime.now(UTC), 0, 0).model
