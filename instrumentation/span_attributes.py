"""A call's attributes set on an SDK span at a tenth of the SDK's cleaning cost: its end
attributes (`set_attributes`) and its start attributes (`start_span`).

`Span.set_attributes` cleans every value (`_clean_attribute_value`: a recursive call per
value, type checks through the `Sequence` and `Mapping` ABCs, a list copied to a tuple, a
string cut to the span's length limit), then stores each one through a method call that
checks the count limit: 61 k instructions under callgrind for the 8 attributes a chat call
ends with (`bench/instrumentation_instructions.py`), a quarter of the whole span's cost. The
values a call ends with are plain already (numbers, strings, the finish reasons' list), so
when nothing in the cleaning could change them, they are added to the span's attribute dict
directly (about 15 k), under the span's lock, giving the span exactly what the SDK would
have stored: the same keys, values (a list as a tuple), order and dropped count.

Anything else goes through `set_attributes`, as before: a span that is not the SDK's (or a
subclass that overrides `set_attributes`), an ended one (the SDK warns), a value of another
type (a subclass, bytes, None, a mapping, a nested sequence), a value-length limit, or more
attributes than the count limit may leave room for (the SDK drops the oldest). A key the span
has already is moved to the end, as the SDK's delete-and-append does. Should a later SDK
rename what this reads, the same fallback applies.

The start attributes cost the same cleaning inside `Tracer.start_span` (50 k of its 139 k for
the 7 of a chat call): `start_span` starts the span without them and then sets them as above,
when nothing can see the span between the two, namely when the tracer's sampler is the SDK's
own (it hands the attributes it gets to the span unchanged, reading none) and each span
processor's `on_start` is one known not to read attributes (`_QUIET_ON_START`). Then the
span's attributes are the very ones the SDK's own start makes. Any other sampler or
processor (a user's, a vendor's, the concurrent multi-processor) gets them at the start, as
before.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.context import Context
from opentelemetry.sdk import trace as sdk_trace
from opentelemetry.sdk.trace import export, sampling
from opentelemetry.trace import SpanKind, Tracer

from .endpoints import EndpointTracker

_SCALARS = frozenset({str, int, float, bool})
"""The value types the SDK stores as they are (with no string length limit)."""
_SPAN_TYPES = frozenset(
    kind
    for kind in (sdk_trace.Span, getattr(sdk_trace, "_Span", sdk_trace.Span))
    if kind.set_attributes is sdk_trace.Span.set_attributes
)
"""The SDK's span classes (its tracer makes `_Span`s), unless one overrides `set_attributes`."""


def set_attributes(span: Any, found: dict[str, Any]) -> None:
    """`span.set_attributes(found)`, with the same result. `found` is the caller's own: a
    list in it is replaced by a tuple, as the SDK stores it. (One function, the value check
    inline: each Python call costs about 1 k instructions under callgrind.)"""
    if type(span) in _SPAN_TYPES:
        try:
            attributes = span._attributes
            inner, limit = attributes._dict, attributes.maxlen
            plain = (
                type(attributes) is BoundedAttributes
                and type(inner) is dict
                and attributes.max_value_len is None
            )
            if plain:
                for key, value in found.items():
                    kind = type(value)
                    if kind in _SCALARS:
                        continue
                    if kind is list or kind is tuple:
                        for item in value:
                            if type(item) not in _SCALARS:
                                break
                        else:
                            if kind is list:
                                found[key] = tuple(value)
                            continue
                    plain = False
                    break
            if plain:
                # Under the span's lock, as `set_attributes` (which `end` takes too); not
                # under the attributes' own, which only orders this against a reader's copy
                # of the keys: one `dict.update` of string keys runs whole, as the `_dict`
                # assignment the SDK makes does. (Each lock costs about 2 k instructions.)
                with span._lock:
                    size = len(inner)
                    if (
                        span._end_time is None
                        and not attributes._immutable
                        and (limit is None or size + len(found) <= limit)
                    ):
                        inner.update(found)
                        if len(inner) != size + len(found):
                            # A key it had already: the SDK deletes and appends each key.
                            for key in found:
                                inner[key] = inner.pop(key)
                        return
        except AttributeError:  # a later SDK's names: the public way
            pass
    span.set_attributes(found)


_QUIET_ON_START = frozenset(
    {
        sdk_trace.SpanProcessor.on_start,
        export.SimpleSpanProcessor.on_start,
        export.BatchSpanProcessor.on_start,
        EndpointTracker.on_start,
    }
)
"""`on_start` methods that do not read the span's attributes (the SDK's do nothing;
tokentrace's reads the span's kind and its parent)."""
_PASSING_SAMPLERS = frozenset(
    {sampling.StaticSampler.should_sample, sampling.TraceIdRatioBased.should_sample}
)
"""`should_sample` methods that read no attribute and hand them on unchanged (or drop the
span): ALWAYS_ON, ALWAYS_OFF, TraceIdRatioBased and their subclasses that keep the method."""
_PARENT_BASED_DELEGATES = (
    "_root",
    "_remote_parent_sampled",
    "_remote_parent_not_sampled",
    "_local_parent_sampled",
    "_local_parent_not_sampled",
)
_checked: tuple[Any, Any, bool] = (None, None, False)
"""The last (sampler, processors, verdict) checked: a provider's processors are a tuple
replaced when one is added, so identity says whether the verdict still holds."""


def start_span(tracer: Tracer, name: str, context: Context, attributes: dict[str, Any]) -> Any:
    """`tracer.start_span(name, context, SpanKind.CLIENT, attributes)`, with the same span.
    `attributes` is the caller's own, as `set_attributes`' `found`."""
    global _checked
    if type(tracer) is sdk_trace.Tracer:
        try:
            sampler = tracer.sampler
            processor = tracer.span_processor
            processors = (
                processor._span_processors
                if type(processor) is sdk_trace.SynchronousMultiSpanProcessor
                else None
            )
            checked = _checked
            if checked[0] is not sampler or checked[1] is not processors:
                quiet = (
                    processors is not None
                    and all(type(each).on_start in _QUIET_ON_START for each in processors)
                    and _passes_attributes(sampler)
                )
                checked = _checked = (sampler, processors, quiet)
            if checked[2]:
                span = tracer.start_span(name, context=context, kind=SpanKind.CLIENT)
                set_attributes(span, attributes)
                return span
        except AttributeError:  # a later SDK's names: the public way
            pass
    span = tracer.start_span(name, context=context, kind=SpanKind.CLIENT, attributes=attributes)
    kept = getattr(span, "attributes", None)
    if kept is not None and getattr(span, "dropped_attributes", 1) == 0 and span.is_recording():
        # The SDK gives the span the attributes its sampler returns: a sampler that returns
        # none (Langtrace's ``LangtraceSampler``, 3.8.21, on the provider it sets globally)
        # dropped the call's provider, stream flag, api key and duplicate mark (the span's
        # limits drop none of what is missing then)
        missing = {key: value for key, value in attributes.items() if key not in kept}
        if missing:
            span.set_attributes(missing)
    return span


def _passes_attributes(sampler: Any, depth: int = 0) -> bool:
    """Whether `sampler` hands the span the attributes it gets, unread (`_PASSING_SAMPLERS`),
    as `ParentBased` does when each sampler it delegates to does."""
    method = getattr(type(sampler), "should_sample", None)
    if method in _PASSING_SAMPLERS:
        return True
    if method is sampling.ParentBased.should_sample and depth < 2:
        return all(
            _passes_attributes(getattr(sampler, name), depth + 1)
            for name in _PARENT_BASED_DELEGATES
        )
    return False
