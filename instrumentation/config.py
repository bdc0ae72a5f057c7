"""The environment variables that configure the instrumentation, read in one place.

They are read when `LLMInstrumentor.instrument()` runs, so that `opentelemetry-instrument`
and programmatic use see the same configuration.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

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
_TRUE = frozenset({"", "true", "1", "yes", "on"})

logger = logging.getLogger("tokentrace.instrumentation")


def _ignored(name: str, value: str, what: str) -> None:
    """One line in the application's log for a value the instrumentation cannot use: it never
    fails the application, and a typo (`inject` misspelt) must not pass silently either."""
    logger.error("ignoring %s=%r: %s", name, value, what)


def instrumentation_enabled() -> bool:
    """False when `TOKENTRACE_INSTRUMENTATION_ENABLED` says so; anything else keeps it on."""
    value = os.environ.get(ENABLED_ENV, "").strip().lower()
    if value not in _FALSE | _TRUE:
        _ignored(ENABLED_ENV, value, "use true or false; the instrumentation stays on")
    return value not in _FALSE


def provider_urls() -> str:
    """The raw `provider=base_url,...` map from `TOKENTRACE_PROVIDER_URLS` (empty when unset)."""
    return os.environ.get(PROVIDER_URLS_ENV, "")


def inject_stream_usage() -> bool:
    """True when `TOKENTRACE_STREAM_USAGE=inject` (see `stream_usage`)."""
    value = os.environ.get(STREAM_USAGE_ENV, "").strip().lower()
    if value not in ("", "inject"):
        _ignored(
            STREAM_USAGE_ENV,
            value,
            "use inject (or leave it unset); streams that do not ask for usage stay without it",
        )
    return value == "inject"


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
    if not _http_url(url):
        _ignored(
            BUDGET_GUARD_ENV,
            url,
            "give serve's OTLP/HTTP address, e.g. http://127.0.0.1:4318; no call is blocked",
        )
        return None
    return BudgetGuard(url, os.environ.get(AUTH_TOKEN_ENV) or None, _guard_interval())


def _http_url(url: str) -> bool:
    """An http(s) URL with a host and a valid port: before, `notaurl` was polled as is and
    said "unknown url type" once, the form to give unsaid."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number below 65536
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _guard_interval() -> float:
    """Seconds between the guard's polls: a number above 0 (at least 0.1), else the default."""
    text = os.environ.get(BUDGET_GUARD_INTERVAL_ENV, "").strip()
    if not text:
        return DEFAULT_GUARD_INTERVAL_S
    try:
        interval = float(text)
    except ValueError:
        interval = math.nan
    if not (math.isfinite(interval) and interval > 0):
        _ignored(
            BUDGET_GUARD_INTERVAL_ENV,
            text,
            f"a number of seconds above 0, e.g. 2; polling every {DEFAULT_GUARD_INTERVAL_S:g} s",
        )
        return DEFAULT_GUARD_INTERVAL_S
    return max(interval, 0.1)
