"""The calls of the unknown-cost tests, sent as OTLP spans into a real ``tokentrace serve``.

Four UTC days, today last: only calls of a model no price list knows (``acme-1``), only
streams that ended without usage (one of them cut off by an error: a failed call of unknown
cost), a day without any call (that one is a real $0), and
today a mix of the two with calls of known cost. Every call carries every dimension a view
breaks spend down by, so each breakdown has a row made of unknown costs only.

Known costs, from OpenAI's published price list (https://openai.com/api/pricing/,
gpt-4o-mini: input $0.15, cached input $0.075, output $0.60 per million tokens):
one priced call of 1000 input tokens (400 of them cached reads) and 100 output tokens costs
(600 x 0.15 + 400 x 0.075 + 100 x 0.60) / 1M = $0.00018.
"""

from __future__ import annotations

import datetime as dt
import itertools
import urllib.request
from decimal import Decimal
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

PRICED_COST = (600 * Decimal("0.15") + 400 * Decimal("0.075") + 100 * Decimal("0.60")) / 10**6

_ids = itertools.count(1)

# Every dimension with a breakdown of its own, the same on every call: each breakdown row
# holds every call of the day.
DIMENSIONS = {
    "team": "growth",
    "feature": "chat",
    "tenant": "acme-corp",
    "agent": "helper",
    "user.id": "u-1",
    "gen_ai.conversation.id": "conv-1",
    "tokentrace.api_key": "sk-...abcd#1234",
    "tokentrace.endpoint": "POST /chat",
}


def unpriced() -> dict[str, Any]:
    """A call of a model no price list knows: usage known, price unknown."""
    return {
        "gen_ai.provider.name": "acme",
        "gen_ai.request.model": "acme-1",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.cache_read.input_tokens": 400,
        "gen_ai.usage.output_tokens": 100,
    }


def usage_missing() -> dict[str, Any]:
    """An OpenAI stream that ended without usage (no ``stream_options.include_usage``)."""
    return {
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.stream": True,
        "tokentrace.usage.missing": True,
    }


def web_search() -> dict[str, Any]:
    """Partly known: a gpt-4o-mini call whose tokens have a price and whose one web search has
    none (GPT-4o mini bills a search as a fixed block of tokens, at no published rate there:
    https://platform.openai.com/docs/pricing#built-in-tools), so its cost is unknown."""
    return {**priced(), "tokentrace.usage.web_searches": 1}


def failed_stream() -> dict[str, Any]:
    """An OpenAI stream cut off by an error before usage: a failed call of unknown cost."""
    return {**usage_missing(), "error.type": "APIConnectionError"}


def priced() -> dict[str, Any]:
    """A gpt-4o-mini call of known usage: :data:`PRICED_COST`."""
    return {
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.cache_read.input_tokens": 400,
        "gen_ai.usage.output_tokens": 100,
    }


def days(today: dt.date) -> dict[str, dt.date]:
    """The four days, by what they hold."""
    return {
        "unpriced": today - dt.timedelta(days=3),
        "usage_missing": today - dt.timedelta(days=2),
        "empty": today - dt.timedelta(days=1),
        "mixed": today,
    }


# What each day holds: (kind, how many calls).
CALLS = {
    "unpriced": (("unpriced", 2),),
    "usage_missing": (("usage_missing", 2), ("failed_stream", 1)),
    "empty": (),
    "mixed": (("priced", 2), ("unpriced", 1), ("usage_missing", 1)),
}
_KINDS = {
    "unpriced": unpriced,
    "usage_missing": usage_missing,
    "failed_stream": failed_stream,
    "priced": priced,
}


def _value(value: Any) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    return AnyValue(string_value=value)


def _span(attributes: dict[str, Any], start: dt.datetime) -> Span:
    number = next(_ids)
    start_ns = int(start.timestamp()) * 10**9
    return Span(
        trace_id=(0xC0570000 + number).to_bytes(16, "big"),
        span_id=number.to_bytes(8, "big"),
        name=f"chat {attributes['gen_ai.request.model']}",
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=start_ns,
        end_time_unix_nano=start_ns + 250_000_000,
        attributes=[KeyValue(key=k, value=_value(v)) for k, v in attributes.items()],
    )


def export(spans: list[tuple[dict[str, Any], dt.datetime]]) -> ExportTraceServiceRequest:
    """An OTLP request of chat calls (attributes, start) from tokentrace's instrumentation in
    service ``shop``, each with every dimension of :data:`DIMENSIONS`."""
    message = ExportTraceServiceRequest()
    resource_spans = message.resource_spans.add()
    resource_spans.resource.attributes.append(
        KeyValue(key="service.name", value=AnyValue(string_value="shop"))
    )
    scope = resource_spans.scope_spans.add()
    scope.scope.name = "tokentrace.instrumentation"
    for attributes, start in spans:
        attributes = {"gen_ai.operation.name": "chat", **attributes, **DIMENSIONS}
        scope.spans.append(_span(attributes, start))
    return message


def request(today: dt.date) -> ExportTraceServiceRequest:
    """Every call of the four days, one per second from 00:00:01 UTC of its day."""
    spans = []
    for label, day in days(today).items():
        second = itertools.count(1)
        for kind, count in CALLS[label]:
            for _ in range(count):
                start = dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(
                    seconds=next(second)
                )
                spans.append((_KINDS[kind](), start))
    return export(spans)


def rows(spans: list[tuple[dict[str, Any], dt.datetime]], now: dt.datetime) -> list[dict[str, Any]]:
    """The llm_calls rows the sink would insert for ``spans`` (extracted and priced, as
    ``dead_letters.add`` keeps them), received at ``now``."""
    from ingest.otlp import extract_request

    from tokentrace.processor.extract.extractor import COLUMNS
    from tokentrace.processor.pipeline import price_call
    from tokentrace.processor.pricing.pricer import Pricer

    pricer = Pricer()
    extraction = extract_request(export(spans), now_ns=int(now.timestamp()) * 10**9)
    return [
        dict(zip(COLUMNS, call.row(price_call(pricer, call)), strict=True))
        for call in extraction.calls
    ]


def send(serve_url: str, today: dt.date, token: str | None = None) -> int:
    """POST the calls to serve's OTLP/HTTP receiver; the number of spans sent."""
    message = request(today)
    headers = {"Content-Type": "application/x-protobuf"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    post = urllib.request.Request(
        f"{serve_url}/v1/traces", data=message.SerializeToString(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(post, timeout=30) as answer:
        assert answer.status == 200, answer.read()
    return len(message.resource_spans[0].scope_spans[0].spans)
