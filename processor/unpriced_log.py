"""One log line for each kind of call serve stored with its cost unknown.

A call tokentrace saw but could not price is stored (never at $0) and counted
(`tokentrace_spans_unpriced_total`), but a metric says neither which call nor what to do, so a
gateway's model alias, a self-hosted model or a stream without usage went unnoticed until a
report. Each (provider, model, reason) is logged once at warning, with what would price it;
the calls after it are the counter's. The keys kept are bounded, and when they are cleared a
kind is logged again at most once more: an application's providers and models are few.
"""

from __future__ import annotations

import logging

from tokentrace.processor.pricing.pricer import (
    INVALID_USAGE,
    NO_RATE,
    NOT_PER_TOKEN,
    PRICING_ERROR,
    SELF_HOSTED_REASON,
    SEVERAL_PROVIDERS,
    UNKNOWN_MODEL,
    USAGE_MISSING,
)

log = logging.getLogger(__name__)

_TO_DO = {
    UNKNOWN_MODEL: (
        "no price for this provider and model: give it a rate in TOKENTRACE_PRICES_FILE, or "
        "name the base URL's provider in the app's TOKENTRACE_PROVIDER_URLS"
    ),
    SEVERAL_PROVIDERS: (
        "several providers sell this model under this id, at different prices: name the "
        "base URL's provider in the app's TOKENTRACE_PROVIDER_URLS"
    ),
    USAGE_MISSING: (
        "the answer carried no usage (an OpenAI-shaped stream without "
        "stream_options.include_usage: set TOKENTRACE_STREAM_USAGE=inject in the app; or a "
        "stream cut short)"
    ),
    SELF_HOSTED_REASON: "a self-hosted model: give it a rate in TOKENTRACE_PRICES_FILE to price it",
    NO_RATE: (
        "the model is known, but not its rate for this tier or unit: give it one in "
        "TOKENTRACE_PRICES_FILE"
    ),
    NOT_PER_TOKEN: "billed by another unit than tokens, which the call does not report",
    INVALID_USAGE: "its usage counts contradict each other",
    PRICING_ERROR: "pricing failed (logged above)",
}

# A call whose span counted its input but no cache, on a model whose cached input is billed
# at a rate of its own (``Call.cache_unsaid``): its usage is not missing, its cached part is.
_CACHE_UNSAID_TO_DO = (
    "its span counted no cached tokens, and the provider caches prompts of 1,024 tokens or "
    "more on its own and bills them at a lower rate: meter the call with tokentrace's "
    "instrumentation, or with one that records cached tokens"
)

_KEPT = 1024


class UnpricedLog:
    """Logs the first unpriced call of each (provider, model, reason)."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str, str]] = set()

    def note(self, provider: str, model: str, reason: str, cache_unsaid: bool = False) -> None:
        """``cache_unsaid``: the call's span set no cache count (``Call.cache_unsaid``)."""
        cache_unsaid = cache_unsaid and reason == USAGE_MISSING
        key = (provider, model, reason + ":cache" if cache_unsaid else reason)
        if key in self._seen:
            return
        if len(self._seen) >= _KEPT:
            self._seen.clear()
        self._seen.add(key)
        log.warning(
            "cost unknown for %s calls to %s (%s): %s; stored unpriced, later ones not logged",
            model or "unnamed-model",
            provider or "unknown",
            reason,
            _CACHE_UNSAID_TO_DO
            if cache_unsaid
            else _TO_DO.get(reason, "see unpriced_reason in the README"),
        )
