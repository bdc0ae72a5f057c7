"""The price a call is stored at, from its pricing inputs: the one function ingest and
``reprice`` both price by, so that a re-priced row gets what ingest would store for it.

Ingest prices an extracted :class:`~tokentrace.processor.extract.extractor.Call`, reprice a
stored ``llm_calls`` row; both offer the same inputs (:class:`PricingInputs`), the call as
it is and the row through reprice's small adapter.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from tokentrace.processor.pricing.names import call_models
from tokentrace.processor.pricing.pricer import USAGE_MISSING, Price, Pricer, as_stored


class PricingInputs(Protocol):
    """What a call is priced by, as ``llm_calls`` stores it (``units`` and ``metered`` in
    ``extract.USAGE_UNITS`` and ``extract.METERED_UNITS`` order)."""

    provider: str
    request_model: str
    response_model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    service_tier: str
    reasoning_tokens: int
    units: tuple[int, ...]
    metered: tuple[int, ...]
    inference_geo: str
    usage_missing: int
    cache_unsaid: int
    budget_blocked: int
    not_sent: int

    @property
    def timestamp(self) -> datetime: ...

    @property
    def provider_usd(self) -> Decimal | None: ...


def price_stored(pricer: Pricer, call: PricingInputs, unnamed: str = "") -> Price:
    """``call``'s price as stored: by its first candidate model the pricer prices
    (:func:`~tokentrace.processor.pricing.names.call_models`: the response model, else the
    request model), else unpriced as the last one left it (``unnamed`` when it names no
    model); unknown (``usage_missing``) when the cache its span left unsaid could change the
    price of the model it is priced by (``Pricer.price``'s ``cache_unsaid``); then
    :func:`~tokentrace.processor.pricing.pricer.as_stored` (no usage: unknown, never $0;
    blocked: a known $0; a reported cost counts either way)."""
    timestamp = call.timestamp
    for model in call_models(call.response_model, call.request_model) or [unnamed]:
        price = pricer.price(
            call.provider,
            model,
            timestamp,
            call.input_tokens,
            call.output_tokens,
            call.cache_read_tokens,
            call.cache_write_tokens,
            call.service_tier,
            call.reasoning_tokens,
            call.units,
            call.metered,
            call.inference_geo,
            bool(call.cache_unsaid),
        )
        if price.priced or price.reason == USAGE_MISSING:  # priced, or unknown for its cache
            break
    return as_stored(
        price, call.usage_missing, call.budget_blocked, call.provider_usd, call.not_sent
    )
