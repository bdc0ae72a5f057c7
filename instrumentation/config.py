"""The environment variables that configure the instrumentation, read in one place.

They are read when `LLMInstrumentor.instrument()` runs, so that `opentelemetry-instrument`
and programmatic use see the same configuration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from .budget_guard import BudgetGuard
from .providers import MappedUrl

ENABLED_ENV = "TOKENTRACE_INSTRUMENTATION_ENABLED"
PROVIDER_URLS_ENV = "TOKENTRACE_PROVIDER_URLS"
STREAM_USAGE_ENV = "TOKENTRACE_STREAM_USAGE"
BUDGET_GUARD_ENV = "TOKENTRACE_BUDGET_GUARD"
BUDGET_GUARD_INTERVAL_ENV = "TOKENTRACE_BUDGET_GUARD_INTERVAL"
AUTH_TOKEN_ENV = "TOKENTRACE_AUTH_TOKEN"
DEFAULT_GUARD_INTERVAL_S = 2.0

_FALSE = frozenset({"false", "0", "no", "off"})


def instrumentation_enabled() -> bool:
    """False when `TOKENTRACE_INSTRUMENTATION_ENABLED` says so; anything else keeps it on."""
    return os.environ.get(ENABLED_ENV, "").strip().lower() not in _FALSE


def provider_urls() -> str:
    """The raw `provider=base_url,...` map from `TOKENTRACE_PROVIDER_URLS` (empty when unset)."""
    return os.environ.get(PROVIDER_URLS_ENV, "")


def inject_stream_usage() -> bool:
    """True when `TOKENTRACE_STREAM_USAGE=inject` (see `stream_usage`)."""
    return os.environ.get(STREAM_USAGE_ENV, "").strip().lower() == "inject"


@dataclass(frozen=True)
class Settings:
    """What `instrument()` read, handed to every wrapped send."""

    mapped: tuple[MappedUrl, ...] = ()
    inject_stream_usage: bool = False
    guard: BudgetGuard | None = None
    routes: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    """`routing.route`'s decisions under these settings, by what decides them."""
    places: dict[Any, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    """`routing`'s API shape and address of each URL seen."""


def budget_guard() -> BudgetGuard | None:
    """The guard `TOKENTRACE_BUDGET_GUARD` asks for (not started), or None."""
    url = os.environ.get(BUDGET_GUARD_ENV, "").strip()
    if not url:
        return None
    try:
        interval = float(os.environ.get(BUDGET_GUARD_INTERVAL_ENV) or DEFAULT_GUARD_INTERVAL_S)
    except ValueError:
        interval = DEFAULT_GUARD_INTERVAL_S
    return BudgetGuard(url, os.environ.get(AUTH_TOKEN_ENV) or None, max(interval, 0.1))
