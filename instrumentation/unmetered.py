"""Saying that LLM traffic tokentrace sees is not metered, or metered without its usage (a
stream that did not ask for it): once per place, never per request.

An app whose calls go where no hook reads their usage (a POST on an LLM API's path whose body
names no model, a gRPC channel to Google's LLM APIs, a Gemini Live WebSocket) must not be
unmetered without a word, nor have its logs flooded by one line per call. Each place (a URL,
a host) is said once, as a warning on the ``tokentrace.instrumentation`` logger; past
``SAID_AT_MOST`` places nothing more is said, so an app calling ever new URLs cannot grow the
set without bound.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable

logger = logging.getLogger("tokentrace.instrumentation")

SAID_AT_MOST = 256
_said: set[Hashable] = set()


def say_once(place: Hashable, message: str, *args: object) -> None:
    """Logs ``message % args`` unless ``place`` was said already (or too many were)."""
    if place in _said or len(_said) >= SAID_AT_MOST:
        return
    _said.add(place)
    logger.warning(message, *args)
