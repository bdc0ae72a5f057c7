"""A call's attributes set directly: the span the SDK would have made by `set_attributes`, and
by `start_span` with its attributes."""

from __future__ import annotations

import logging

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from opentelemetry import attributes as otel_attributes
from opentelemetry.context import Context
from opentelemetry.sdk.trace import SpanLimits, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    Decision,
    ParentBased,
    ParentBasedTraceIdRatio,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import SpanKind

from tokentrace.instrumentation.endpoints import track
from tokentrace.instrumentation.span_attributes import set_attributes, start_span


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


class _FixedIds(RandomIdGenerator):
    """The same trace and span ids in both runs: `TraceIdRatioBased` decides by the trace id."""

    def __init__(self, trace_id: int) -> None:
        self._trace_id = trace_id

    def generate_trace_id(self) -> int:
        return self._trace_id

    def generate_span_id(self) -> int:
        return 0x1234


class _ReadingSampler(Sampler):
    """A user's sampler that reads the attributes: it must get them."""

    def __init__(self) -> None:
        self.seen: list = []

    def should_sample(
        self,
        parent_context,
        trace_id,
        name,
        kind=None,
        attributes=None,
        links=None,
        trace_state=None,
    ):
        self.seen.append(dict(attributes or {}))
        return SamplingResult(
            Decision.RECORD_AND_SAMPLE, {"sampled.by": "reader", **(attributes or {})}
        )

    def get_description(self) -> str:
        return "reader"


class _ReadingProcessor(SpanProcessor):
    """A processor that reads the attributes as the span starts: it must see them."""

    def __init__(self) -> None:
        self.seen: list = []

    def on_start(self, span, parent_context=None) -> None:
        self.seen.append(dict(span.attributes))


_SAMPLERS = {
    "always on": lambda: ALWAYS_ON,
    "always off": lambda: ALWAYS_OFF,
    "parent based": lambda: ParentBased(ALWAYS_ON),
    "ratio": lambda: TraceIdRatioBased(0.5),
    "parent based ratio": lambda: ParentBasedTraceIdRatio(0.5),
    "parent based, a reading root": lambda: ParentBased(_ReadingSampler()),
    "reading": _ReadingSampler,
}


def _started(
    attributes: dict, limits: SpanLimits, sampler: str, processor: str, trace_id: int, fast: bool
):
    exporter = InMemorySpanExporter()
    made = _SAMPLERS[sampler]()
    provider = TracerProvider(sampler=made, span_limits=limits, id_generator=_FixedIds(trace_id))
    reader = _ReadingProcessor()
    if processor == "endpoint tracker":
        track(provider)
    elif processor == "reading":
        provider.add_span_processor(reader)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("t")
    if fast:
        span = start_span(tracer, "chat m", Context(), dict(attributes))
    else:
        span = tracer.start_span("chat m", Context(), SpanKind.CLIENT, dict(attributes))
    span.end()
    finished = [
        (s.name, s.kind, list(s.attributes.items()), s.dropped_attributes)
        for s in exporter.get_finished_spans()
    ]
    root = getattr(made, "_root", made)
    return finished, reader.seen, getattr(root, "seen", None)


@settings(max_examples=200, deadline=None)
@given(
    attributes=st.one_of(
        st.dictionaries(_KEYS, _SCALAR, max_size=5), st.dictionaries(_KEYS, _VALUE, max_size=5)
    ),
    count=st.sampled_from([None, 0, 2, 5]),
    length=st.sampled_from([None, 3]),
    sampler=st.sampled_from(sorted(_SAMPLERS)),
    processor=st.sampled_from(["none", "endpoint tracker", "reading"]),
    trace_id=st.sampled_from([1, 2**127]),
)
def test_a_span_started_with_its_attributes_set_after_is_the_sdks(
    attributes, count, length, sampler, processor, trace_id
):
    limits = SpanLimits(max_span_attributes=count, max_span_attribute_length=length)
    logging.disable(logging.WARNING)  # the SDK's warnings (invalid values, a full dict)
    try:
        expected = _started(attributes, limits, sampler, processor, trace_id, fast=False)
        assert _started(attributes, limits, sampler, processor, trace_id, fast=True) == expected
    finally:
        logging.disable(logging.NOTSET)


def _refuse(*args, **kwargs):
    raise AssertionError("the SDK's cleaning ran")


def test_start_attributes_skip_the_sdks_cleaning_only_when_nothing_reads_them(monkeypatch):
    """The direct path is taken with the SDK's samplers and processors (the cleaning, which
    would raise here, never runs), and not with a processor that reads attributes at start."""
    provider = TracerProvider(sampler=ParentBased(ALWAYS_ON))
    track(provider)
    provider.add_span_processor(BatchSpanProcessor(InMemorySpanExporter()))
    attributes = {
        "gen_ai.operation.name": "chat",
        "server.port": 443,
        "gen_ai.request.stream": False,
    }
    monkeypatch.setattr(otel_attributes, "_clean_attribute_value", _refuse)
    span = start_span(provider.get_tracer("t"), "chat m", Context(), dict(attributes))
    assert dict(span.attributes) == attributes
    provider.add_span_processor(_ReadingProcessor())
    with pytest.raises(AssertionError, match="cleaning ran"):
        start_span(provider.get_tracer("t"), "chat m", Context(), dict(attributes))
    provider.shutdown()


class _DroppingSampler(Sampler):
    """A sampler that returns no attributes, as Langtrace's ``LangtraceSampler`` (3.8.21,
    on the tracer provider ``langtrace.init`` sets globally) and many hand-written ones
    do: the Python SDK gives the span the sampler's attributes, none."""

    def should_sample(
        self,
        parent_context,
        trace_id,
        name,
        kind=None,
        attributes=None,
        links=None,
        trace_state=None,
    ):
        return SamplingResult(Decision.RECORD_AND_SAMPLE)

    def get_description(self) -> str:
        return "dropping"


def test_start_attributes_survive_a_sampler_that_returns_none():
    """Beside Langtrace, each of tokentrace's spans lost its start attributes (recorded:
    ``gen_ai.provider.name``, ``gen_ai.request.stream``, ``tokentrace.api_key``,
    ``tokentrace.duplicate_of``…): its streams stored stream 0, its rows without an api
    key. They are set again once the span has started; a sampler's own are kept."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=_DroppingSampler())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tokentrace.instrumentation.instrumentor")
    start = {"gen_ai.provider.name": "openai", "gen_ai.request.stream": True, "n": 1}
    start_span(tracer, "chat gpt-4o", Context(), dict(start)).end()
    assert dict(exporter.get_finished_spans()[0].attributes) == start
