"""The environment variables that configure the instrumentation, read in one place.

They are read when `LLMInstrumentor.instrument()` runs, so that `opentelemetry-instrument`
and programmatic use see the same configuration.
"""

from __future__ import annotations

import os

ENABLED_ENV = "TOKENTRACE_INSTRUMENTATION_ENABLED"
PROVIDER_URLS_ENV = "TOKENTRACE_PROVIDER_URLS"

_FALSE = frozenset({"false", "0", "no", "off"})


def instrumentation_enabled() -> bool:
    """False when `TOKENTRACE_INSTRUMENTATION_ENABLED` says so; anything else keeps it on."""
    return os.environ.get(ENABLED_ENV, "").strip().lower() not in _FALSE


def provider_urls() -> str:
    """The raw `provider=base_url,...` map from `TOKENTRACE_PROVIDER_URLS` (empty when unset)."""
    return os.environ.get(PROVIDER_URLS_ENV, "")
