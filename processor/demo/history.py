"""Weeks of realistic LLM traffic, sent as GenAI spans through the real OTLP exporter.

The backfill goes through ``tokentrace serve`` exactly like live traffic (decode →
extract → price → ClickHouse), only with past timestamps, so the demo's history is
priced by the same code as everything else. It is deterministic for a given seed and
"now": weekday/weekend and hour-of-day patterns, steady growth, cache hits, reasoning
tokens, a few failures, and one anomalous day whose spend is several times the norm.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode


@dataclass(frozen=True)
class Service:
    name: str
    team: str
    features: tuple[str, ...]
    models: tuple[tuple[str, str], ...]  # (provider, model), first is the workhorse
    share: float  # share of all calls


SERVICES = (
    Service(
        "support-bot",
        "support",
        ("chat", "summarize", "triage"),
        (("anthropic", "claude-haiku-4-5"), ("anthropic", "claude-sonnet-4-5")),
        0.40,
    ),
    Service(
        "search-api",
        "growth",
        ("search", "rerank", "embeddings"),
        (("openai", "gpt-4o-mini"), ("openai", "gpt-4o"), ("gcp.gemini", "gemini-2.5-flash")),
        0.35,
    ),
    Service(
        "copilot",
        "platform",
        ("code-review", "agent"),
        (("openai", "gpt-4.1"), ("anthropic", "claude-sonnet-4-5"), ("openai", "o4-mini")),
        0.25,
    ),
)
TENANTS = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell")
TENANT_WEIGHTS = (30, 20, 14, 10, 9, 7, 6, 4)
# Calls per hour of day (UTC), a business-hours curve.
HOURLY = (2, 1, 1, 1, 1, 2, 4, 7, 10, 12, 12, 11, 10, 11, 12, 12, 11, 9, 7, 6, 5, 4, 3, 2)


@dataclass(frozen=True)
class Call:
    """One synthetic LLM call, the facts a GenAI span carries."""

    start: dt.datetime
    duration_s: float
    service: Service
    provider: str
    model: str
    feature: str
    tenant: str
    user: str
    conversation: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    error: str | None
    stream: bool


def generate(
    now: dt.datetime, days: int, calls_per_day: int, anomaly_days_ago: int, seed: int = 7
) -> Iterator[Call]:
    """Calls for the ``days`` whole days before ``now``'s day, deterministic for a seed."""
    rng = random.Random(seed)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for day_index in range(days, 0, -1):
        day = today - dt.timedelta(days=day_index)
        growth = 1.0 + 0.5 * (days - day_index) / days
        weekend = day.weekday() >= 5
        volume = int(calls_per_day * growth * (0.45 if weekend else 1.0))
        anomalous = day_index == anomaly_days_ago
        for hour, weight in enumerate(HOURLY):
            for _ in range(round(volume * weight / sum(HOURLY))):
                start = day + dt.timedelta(hours=hour, seconds=rng.uniform(0, 3599))
                yield _call(rng, start, anomalous=False)
            if anomalous and 9 <= hour <= 17:
                # A runaway agent loop: long contexts on the priciest model, all afternoon.
                for _ in range(volume // 50):
                    start = day + dt.timedelta(hours=hour, seconds=rng.uniform(0, 3599))
                    yield _call(rng, start, anomalous=True)


def _call(rng: random.Random, start: dt.datetime, anomalous: bool) -> Call:
    service = SERVICES[2] if anomalous else rng.choices(SERVICES, [s.share for s in SERVICES])[0]
    if anomalous:
        provider, model, feature = "anthropic", "claude-sonnet-4-5", "agent"
    else:
        provider, model = rng.choices(service.models, [6, 3, 1][: len(service.models)])[0]
        feature = rng.choice(service.features)
    tenant = rng.choices(TENANTS, TENANT_WEIGHTS)[0]
    user = f"{tenant}-user-{rng.randint(1, 40)}"
    conversation = f"conv-{rng.getrandbits(40):010x}"
    prompt = int(rng.lognormvariate(7.8, 0.9)) + 50
    if anomalous:
        prompt = rng.randint(40_000, 90_000)
    completion = int(rng.lognormvariate(5.3, 0.7)) + 5
    cache_read = cache_write = reasoning = 0
    if rng.random() < 0.45:  # system prompts and RAG context are cached
        cache_read = int(prompt * rng.uniform(0.5, 0.9))
    elif provider == "anthropic" and rng.random() < 0.1:
        cache_write = int(prompt * rng.uniform(0.3, 0.7))
    if model.startswith("o4") or (provider == "anthropic" and rng.random() < 0.15):
        reasoning = int(completion * rng.uniform(0.5, 2.0))
        completion += reasoning
    error = None
    if rng.random() < 0.025:
        error = rng.choice(["429", "500", "529", "APITimeoutError"])
    return Call(
        start=start,
        duration_s=0.25 + completion / rng.uniform(60, 140),
        service=service,
        provider=provider,
        model=model,
        feature=feature,
        tenant=tenant,
        user=user,
        conversation=conversation,
        input_tokens=prompt,
        output_tokens=completion,
        cache_read_tokens=cache_read,
        cache_write_tokens=cache_write,
        reasoning_tokens=reasoning,
        error=error,
        stream=rng.random() < 0.4,
    )


def send(
    calls: Iterator[Call],
    endpoint: str,
    environment: str = "production",
    progress: Callable[[int], None] | None = None,
    headers: dict[str, str] | None = None,
) -> int:
    """Emit one GenAI CLIENT span per call through the real OTLP/HTTP exporter."""
    providers: dict[str, TracerProvider] = {}
    sent = 0
    try:
        for call in calls:
            provider = providers.get(call.service.name)
            if provider is None:
                provider = providers[call.service.name] = _tracer_provider(
                    call.service, environment, endpoint, headers
                )
            _emit(provider, call)
            sent += 1
            if progress and sent % 500 == 0:
                progress(500)
    finally:
        for provider in providers.values():
            provider.shutdown()
    if progress:
        progress(sent % 500)
    return sent


def _tracer_provider(
    service: Service, environment: str, endpoint: str, headers: dict[str, str] | None
) -> TracerProvider:
    resource = Resource.create(
        {
            "service.name": service.name,
            "deployment.environment.name": environment,
            "team": service.team,
        }
    )
    provider = TracerProvider(resource=resource)
    exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces", headers=headers)
    provider.add_span_processor(
        BatchSpanProcessor(
            exporter, max_queue_size=200_000, max_export_batch_size=2048, schedule_delay_millis=200
        )
    )
    return provider


def _emit(provider: TracerProvider, call: Call) -> None:
    tracer = provider.get_tracer("tokentrace.demo")
    start_ns = int(call.start.timestamp() * 1e9)
    attributes: dict[str, str | int | bool] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": call.provider,
        "gen_ai.request.model": call.model,
        "gen_ai.request.stream": call.stream,
        "feature": call.feature,
        "tenant": call.tenant,
        "user": call.user,
        "conversation": call.conversation,
    }
    if call.feature == "agent":
        attributes["gen_ai.agent.name"] = "review-agent"
    if call.error:
        attributes["error.type"] = call.error
        if call.error.isdigit():
            attributes["http.response.status_code"] = int(call.error)
    else:
        attributes.update(
            {
                "gen_ai.response.model": call.model,
                "gen_ai.response.id": f"demo-{start_ns:x}-{id(call):x}",
                "gen_ai.usage.input_tokens": call.input_tokens,
                "gen_ai.usage.output_tokens": call.output_tokens,
                "gen_ai.usage.cache_read.input_tokens": call.cache_read_tokens,
                "gen_ai.usage.cache_creation.input_tokens": call.cache_write_tokens,
                "gen_ai.usage.reasoning.output_tokens": call.reasoning_tokens,
                "http.response.status_code": 200,
            }
        )
    span = tracer.start_span(
        f"chat {call.model}", kind=SpanKind.CLIENT, attributes=attributes, start_time=start_ns
    )
    if call.error:
        span.set_status(Status(StatusCode.ERROR, call.error))
    span.end(end_time=start_ns + int(call.duration_s * 1e9))
