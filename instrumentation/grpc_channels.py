"""Google's LLM APIs over gRPC: not metered, said once per host with what to set instead.

The Vertex AI SDK (`vertexai.generative_models`, google-cloud-aiplatform) and the older Gemini
SDK (`google.generativeai`) send through gRPC by default, where no HTTP hook sees a call, so
an unchanged app of theirs was unmetered without a word. Both take a REST transport, whose
calls go through `requests` and are metered (`requests_send`). google-api-core opens their
channels with `grpc.secure_channel` (`grpc.aio.secure_channel` for the async clients), looked
up on the module at each call: wrapped here, a channel to one of `SERVICES` logs a warning on
the `tokentrace.instrumentation` logger naming the host and the setting. Channels are opened
once per client, never per request.

xAI's SDK (xai-sdk) calls `api.x.ai` over gRPC too: those calls are metered, from the spans
the SDK itself makes on the global tracer provider (the processor reads them). A channel to
xAI logs a warning once when those spans would go nowhere: no global tracer provider set
(an app that set tracing up in code, not under `opentelemetry-instrument`), or
`XAI_SDK_DISABLE_TRACING` on.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable
from typing import Any

from opentelemetry import trace

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
XAI_HOST = "api.x.ai"
_UNSET_PROVIDERS = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
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
    if host == XAI_HOST:
        untraced = _xai_untraced()
        if untraced:
            unmetered.say_once(
                ("grpc", host),
                "calls to xAI over gRPC (%s) are metered from xai-sdk's own spans, which go to "
                "the global tracer provider: %s",
                target,
                untraced,
            )


def _xai_untraced() -> str:
    """Why xai-sdk's spans would go nowhere ("" when they are recorded): it traces on the
    global tracer provider unless `XAI_SDK_DISABLE_TRACING` is 1 or true (its own switch)."""
    if os.environ.get("XAI_SDK_DISABLE_TRACING", "").lower() in ("1", "true"):
        return "unset XAI_SDK_DISABLE_TRACING"
    if isinstance(trace.get_tracer_provider(), _UNSET_PROVIDERS):
        return (
            "none is set: run under opentelemetry-instrument, or call trace.set_tracer_provider()"
        )
    return ""


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
