"""A call's end attributes set on an SDK span at a tenth of `Span.set_attributes`' cost.

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
"""

from __future__ import annotations

from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk import trace as sdk_trace

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
