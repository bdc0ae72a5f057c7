"""Google's LLM APIs over gRPC: not metered, said once per host with what to set instead.

The Vertex AI SDK (`vertexai.generative_models`, google-cloud-aiplatform) and the older Gemini
SDK (`google.generativeai`) send through gRPC by default, where no HTTP hook sees a call, so
an unchanged app of theirs was unmetered without a word. Both take a REST transport, whose
calls go through `requests` and are metered (`requests_send`). google-api-core opens their
channels with `grpc.secure_channel` (`grpc.aio.secure_channel` for the async clients), looked
up on the module at each call: wrapped here, a channel to one of `SERVICES` logs a warning on
the `tokentrace.instrumentation` logger naming the host and the setting. Channels are opened
once per client, never per request.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

from . import failures, unmetered

SERVICES: tuple[tuple[str, str, str], ...] = (
    (
        "aiplatform.googleapis.com",
        "Vertex AI",
        "pass api_transport='rest' to vertexai.init()",
    ),
    (
        "generativelanguage.googleapis.com",
        "the Gemini API",
        "pass transport='rest' to google.generativeai.configure(), or use google-genai",
    ),
)
"""(host suffix, service, what to set) of the LLM APIs Google's SDKs call over gRPC."""
_MODULES = ("grpc", "grpc.aio")


def _check(target: Any) -> None:
    """Warns once per host when `target` (`host[:port]`) is one of `SERVICES`."""
    if not isinstance(target, str):
        return
    host = target.rpartition(":")[0] if target.count(":") == 1 else target
    host = host.removeprefix("dns:///").lower()
    for suffix, service, setting in SERVICES:
        if host.endswith(suffix):
            unmetered.say_once(
                ("grpc", host),
                "calls to %s over gRPC (%s) are not metered by tokentrace: %s",
                service,
                target,
                setting,
            )


def _wrapped(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def secure_channel(target: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            _check(target)
        except Exception:
            failures.report("a gRPC channel's host")
        return original(target, *args, **kwargs)

    secure_channel._tokentrace_original = original  # type: ignore[attr-defined]
    return secure_channel


def install() -> tuple[Any, ...]:
    """Wraps `secure_channel` of `grpc` and `grpc.aio` when importable; returns the modules
    wrapped, for `uninstall`."""
    modules = []
    for name in _MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        original = getattr(module, "secure_channel", None)
        if original is None or hasattr(original, "_tokentrace_original"):
            continue
        module.secure_channel = _wrapped(original)
        modules.append(module)
    return tuple(modules)


def uninstall(modules: tuple[Any, ...]) -> None:
    for module in modules:
        current = module.secure_channel
        module.secure_channel = getattr(current, "_tokentrace_original", current)
