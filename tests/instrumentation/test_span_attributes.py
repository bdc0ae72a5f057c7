"""A call's end attributes set directly: the span the SDK would have made by `set_attributes`."""

from __future__ import annotations

import logging

from hypothesis import example, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tokentrace.instrumentation.span_attributes import set_attributes


class Label(str):
    """A str subclass: the SDK keeps it as it is; the direct path leaves it to the SDK."""


_KEYS = st.sampled_from(["gen_ai.usage.input_tokens", "gen_ai.response.id", "a", "b", "c", "d"])
_SCALAR = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.booleans(),
    st.text(max_size=12),
)
_PLAIN = st.one_of(_SCALAR, st.lists(_SCALAR, max_size=3))
"""What a call ends with: the direct path's case."""
_VALUE = st.one_of(
    _SCALAR,
    st.lists(_SCALAR, max_size=3),
    st.lists(st.one_of(_SCALAR, st.none()), max_size=2),
    st.tuples(_SCALAR),
    st.none(),
    st.binary(max_size=3),
    st.builds(Label, st.text(max_size=3)),
    st.lists(st.lists(_SCALAR, max_size=2), max_size=2),
    st.dictionaries(st.text(min_size=1, max_size=2), _SCALAR, max_size=2),
)


def _span_after(start: dict, end: dict, limits: SpanLimits, direct: bool, ended: bool):
    exporter = InMemorySpanExporter()
    provider = TracerProvider(span_limits=limits)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    span = provider.get_tracer("t").start_span("chat m", attributes=start)
    if ended:
        span.end()
    (set_attributes if direct else type(span).set_attributes)(span, dict(end))
    if not ended:
        span.end()
    [finished] = exporter.get_finished_spans()
    return list(finished.attributes.items()), finished.dropped_attributes


@settings(max_examples=200, deadline=None)
@given(
    start=st.dictionaries(_KEYS, _SCALAR, max_size=4),
    end=st.one_of(
        st.dictionaries(_KEYS, _PLAIN, max_size=5), st.dictionaries(_KEYS, _VALUE, max_size=5)
    ),
    count=st.sampled_from([None, 0, 2, 5]),
    length=st.sampled_from([None, 3]),
    ended=st.booleans(),
)
@example(start={"a": 1}, end={"b": 2, "c": ["x"]}, count=2, length=None, ended=False)
@example(start={"a": 1}, end={"b": 2, "c": ["x"]}, count=3, length=None, ended=False)
@example(start={"a": 1, "b": 1}, end={"a": 2}, count=None, length=None, ended=False)
def test_the_same_span_as_the_sdk_makes(start, end, count, length, ended):
    limits = SpanLimits(max_span_attributes=count, max_span_attribute_length=length)
    logging.disable(logging.WARNING)  # the SDK's warnings (an ended span, a full dict)
    try:
        expected = _span_after(start, end, limits, direct=False, ended=ended)
        assert _span_after(start, end, limits, direct=True, ended=ended) == expected
    finally:
        logging.disable(logging.NOTSET)


def test_a_chat_calls_end_attributes_are_set_directly(monkeypatch, caplog):
    provider = TracerProvider()
    span = provider.get_tracer("t").start_span("chat gpt-4o-mini", attributes={"x": 1})
    end = {
        "http.response.status_code": 200,
        "gen_ai.response.id": "chatcmpl-1",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 1234,
        "gen_ai.response.time_to_first_chunk": 0.25,
    }

    sdk_set = type(span).set_attributes
    monkeypatch.setattr(type(span), "set_attributes", None)  # not called: it would raise
    set_attributes(span, end)
    assert dict(span.attributes) == {"x": 1, **end, "gen_ai.response.finish_reasons": ("stop",)}
    monkeypatch.setattr(type(span), "set_attributes", sdk_set)
    span.end()
    set_attributes(span, {"y": 2})
    assert "y" not in span.attributes
    assert "Setting attribute on ended span." in caplog.text  # the SDK's own warning
