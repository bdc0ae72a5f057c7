"""The real anthropic SDK against the stand-in, including the SDK's own tracing (dedupe)."""

from __future__ import annotations

import asyncio

import anthropic
from opentelemetry.sdk.trace import TracerProvider

from tokentrace.processor.standins import usage_header

from .conftest import attributes, call_attributes, only_span

MODEL = "claude-sonnet-4-6"
MESSAGES = [{"role": "user", "content": "Summarise the invoice."}]
# Normalised: 1500 input of which 1000 cache reads and 200 cache writes -> wire input_tokens 300.
USAGE = usage_header(input=1500, output=120, cache_read=1000, cache_creation=200, reasoning=50)
EXPECTED_USAGE = {
    "gen_ai.usage.input_tokens": 1500,
    "gen_ai.usage.output_tokens": 120,
    "gen_ai.usage.cache_read.input_tokens": 1000,
    "gen_ai.usage.cache_creation.input_tokens": 200,
    "gen_ai.usage.reasoning.output_tokens": 50,
}


def client(standin, **kwargs) -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=standin.base_url("anthropic"), api_key="sk-ant", max_retries=0, **kwargs
    )


def test_message_input_includes_cache(standin, exporter):
    message = client(standin).messages.create(
        model=MODEL, max_tokens=1000, messages=MESSAGES, extra_headers=USAGE
    )

    assert message.usage.input_tokens == 300
    span = only_span(exporter)
    assert span.name == f"chat {MODEL}"
    assert attributes(span) == {
        **call_attributes(standin, "anthropic", "chat", MODEL),
        "gen_ai.response.id": message.id,
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ["end_turn"],
        **EXPECTED_USAGE,
    }


def test_stream_takes_cumulative_message_delta_usage(standin, exporter):
    with client(standin).messages.stream(
        model=MODEL, max_tokens=1000, messages=MESSAGES, extra_headers=USAGE
    ) as stream:
        message = stream.get_final_message()

    assert [block.type for block in message.content] == ["thinking", "text"]
    assert attributes(only_span(exporter), ttfc=True) == {
        **call_attributes(standin, "anthropic", "chat", MODEL, stream=True),
        "gen_ai.response.id": message.id,
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ["end_turn"],
        **EXPECTED_USAGE,
    }


def test_async_stream(standin, exporter):
    async def run():
        aclient = anthropic.AsyncAnthropic(
            base_url=standin.base_url("anthropic"), api_key="sk-ant", max_retries=0
        )
        stream = await aclient.messages.create(
            model=MODEL, max_tokens=1000, messages=MESSAGES, stream=True, extra_headers=USAGE
        )
        events = [event async for event in stream]
        await aclient.close()
        return events

    events = asyncio.run(run())
    assert attributes(only_span(exporter), ttfc=True) == {
        **call_attributes(standin, "anthropic", "chat", MODEL, stream=True),
        "gen_ai.response.id": events[0].message.id,
        "gen_ai.response.model": MODEL,
        "gen_ai.response.finish_reasons": ["end_turn"],
        **EXPECTED_USAGE,
    }


def test_stream_closed_before_message_delta_is_marked_missing(standin, exporter):
    with client(standin).messages.stream(
        model=MODEL, max_tokens=1000, messages=MESSAGES, extra_headers=USAGE
    ) as stream:
        next(iter(stream))  # message_start only: its output count is a placeholder

    assert attributes(only_span(exporter), ttfc=True) == {
        **call_attributes(standin, "anthropic", "chat", MODEL, stream=True),
        "gen_ai.response.id": stream.current_message_snapshot.id,
        "gen_ai.response.model": MODEL,
        "tokentrace.usage.missing": True,
    }


def test_sdk_tracing_span_is_parent_and_ours_is_marked_duplicate(standin, exporter, provider):
    """anthropic>=2 emits `anthropic.messages.create` when it has a tracer provider."""
    traced = client(standin, open_telemetry={"tracer_provider": provider})
    with traced.messages.stream(
        model=MODEL, max_tokens=1000, messages=MESSAGES, extra_headers=USAGE
    ) as stream:
        message = stream.get_final_message()

    spans = {span.instrumentation_scope.name: span for span in exporter.get_finished_spans()}
    sdk_span = spans["com.anthropic.sdk.python"]
    ours = only_span(exporter)
    assert sdk_span.name == "anthropic.messages.create"
    assert sdk_span.attributes["gen_ai.response.id"] == message.id
    assert ours.parent.span_id == sdk_span.context.span_id
    assert ours.attributes["tokentrace.duplicate_of"] == format(sdk_span.context.span_id, "016x")
    assert ours.attributes["gen_ai.response.id"] == message.id
    assert ours.attributes["gen_ai.usage.input_tokens"] == 1500


def test_without_sdk_tracing_no_duplicate_marker(standin, exporter):
    untraced = client(
        standin, open_telemetry={"tracer_provider": TracerProvider(), "traces": False}
    )
    untraced.messages.create(model=MODEL, max_tokens=10, messages=MESSAGES)

    span = only_span(exporter)
    assert span.parent is None
    assert "tokentrace.duplicate_of" not in span.attributes
