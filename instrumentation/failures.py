"""Instrumentation must never break the application: our own errors are caught and logged once.

The first failure at each place is logged as a warning with its traceback; repeats go to debug,
so a systematic bug cannot flood the application's logs on every call.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("tokentrace.instrumentation")
_reported: set[str] = set()


def report(where: str) -> None:
    """Logs the exception being handled; call from an `except` block."""
    if where in _reported:
        logger.debug("tokentrace instrumentation failed in %s", where, exc_info=True)
        return
    _reported.add(where)
    logger.warning(
        "tokentrace instrumentation failed in %s; the application is unaffected",
        where,
        exc_info=True,
    )
