"""The `endpoint` dimension: which route of the application made the LLM call.

The endpoint is the `http.route` of the nearest enclosing SERVER span (the web framework's
request span: FastAPI, Flask, Django, ...), else that span's name; for a worker, the task
name of the enclosing CONSUMER span (Celery's `celery.task_name`, else the span name without
Celery's `run/` prefix). OpenTelemetry spans know only their parent's id, not the parent, so
`EndpointTracker`, a span processor added to the tracer provider, hands each new span a
reference to its nearest SERVER/CONSUMER ancestor as it starts (one attribute lookup). The
route is read when the LLM call starts, not when the server span starts: frameworks such as
Flask set `http.route` after their span has begun.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
from opentelemetry.trace import SpanKind

_ANCESTOR = "_tokentrace_entry_span"
_ENTRY_KINDS = (SpanKind.SERVER, SpanKind.CONSUMER)


class EndpointTracker(SpanProcessor):
    """Gives every span a reference to its nearest SERVER or CONSUMER ancestor (or itself)."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if span.kind in _ENTRY_KINDS:
            entry: Any = span
        else:
            entry = getattr(trace.get_current_span(parent_context), _ANCESTOR, None)
        if entry is not None:
            setattr(span, _ANCESTOR, entry)

    def on_end(self, span: ReadableSpan) -> None:
        pass

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def track(tracer_provider: Any) -> bool:
    """Adds one `EndpointTracker` to an SDK tracer provider; False when it is not one.

    An SDK provider gets it through the SDK's own `add_span_processor`, never a subclass's:
    Arize Phoenix's (`phoenix.otel.register`, 0.17) removes its default span processor,
    the one that exports, when another is added, so instrumenting tokentrace on it lost
    every span, tokentrace's and OpenInference's alike."""
    add = getattr(tracer_provider, "add_span_processor", None)
    if add is None:
        return False
    if isinstance(tracer_provider, SdkTracerProvider):
        add = partial(SdkTracerProvider.add_span_processor, tracer_provider)
    if not getattr(tracer_provider, "_tokentrace_tracks_endpoints", False):
        add(EndpointTracker())
        tracer_provider._tokentrace_tracks_endpoints = True
    return True


def current_endpoint(current: trace.Span | None = None) -> str | None:
    """The endpoint of the current span's (or `current`'s) nearest SERVER or CONSUMER ancestor,
    or None."""
    if current is None:
        current = trace.get_current_span()
    entry = getattr(current, _ANCESTOR, None)
    if entry is None:
        if getattr(current, "kind", None) not in _ENTRY_KINDS:
            return None
        entry = current
    if entry.kind is SpanKind.SERVER:
        route = attribute(entry, "http.route")
        return str(route) if route else entry.name
    task = attribute(entry, "celery.task_name")
    if task:
        return str(task)
    name = entry.name
    return name[4:] if name.startswith("run/") else name


def attribute(span: Any, key: str) -> Any:
    """`span.attributes.get(key)`. An SDK span's attributes are read from the `BoundedAttributes`
    it keeps (`_attributes`, whose `_dict` is a plain dict): its `attributes` property wraps
    them in a new `MappingProxyType`, whose `get` runs `Mapping.get` and `__getitem__` in
    Python, about 4 k instructions under callgrind for each read of a call's start. Any other
    span is read through `attributes`."""
    inner = getattr(getattr(span, "_attributes", None), "_dict", None)
    if type(inner) is dict:
        return inner.get(key)
    attributes = getattr(span, "attributes", None)
    return attributes.get(key) if attributes else None
