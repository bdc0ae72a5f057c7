"""Says, once per URL, that an LLM API call went through an HTTP client tokentrace does not
meter, rather than let it pass in silence: niquests' `AsyncSession` (urllib3-future's async
pools). Its bodies are not teed, so the call gets no span; the warning names the URL, the
client and the clients that are metered. Only a POST on an LLM API's path is said
(`routing.api_for_path`); every other request through it pays the wrapper and a method check.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any
from urllib.parse import urlsplit

from .patching import Wrapper, patch, unpatch
from .routing import api_for_path

logger = logging.getLogger("tokentrace.instrumentation")

_SAID = 256
_said: set[tuple[str, str, int, str]] = set()


def _say(client: str, method: Any, url: str) -> None:
    if method != "POST" and method != b"POST":
        return
    parts = urlsplit(url)
    path = parts.path or "/"
    host = parts.hostname or ""
    port = parts.port or 0
    if api_for_path(path) is None:
        return
    key = (client, host, port, path)
    if key in _said or len(_said) >= _SAID:
        return
    _said.add(key)
    logger.warning(
        "POST %s:%s%s looks like an LLM API call made with %s, which tokentrace does not "
        "meter: it has no span. Send it with httpx, requests, aiohttp, urllib3, urllib.request "
        "or niquests' sync Session to meter it",
        host,
        port,
        path,
        client,
    )


def _niquests_async(wrapped: Any, instance: Any, args: tuple, kwargs: dict) -> Any:
    request = args[0] if args else kwargs.get("request")
    if request is not None:
        _say("niquests' AsyncSession", request.method, str(request.url))
    return wrapped(*args, **kwargs)


_TARGETS: tuple[tuple[str, str, str, Wrapper], ...] = (
    ("niquests", "AsyncSession", "send", _niquests_async),
)


def install() -> tuple[tuple[type, str], ...]:
    """Wraps the clients that are importable; returns what to `uninstall`."""
    done: list[tuple[type, str]] = []
    for module_name, class_name, method, wrapper in _TARGETS:
        try:
            owner = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            continue
        patch(owner, method, wrapper)
        done.append((owner, method))
    return tuple(done)


def uninstall(done: tuple[tuple[type, str], ...]) -> None:
    for owner, method in done:
        unpatch(owner, method)
