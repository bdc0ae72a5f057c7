"""Weeks of realistic LLM traffic, sent as GenAI spans over OTLP/HTTP to ``tokentrace serve``.

The backfill goes through ``tokentrace serve`` exactly like live traffic (decode →
extract → price → ClickHouse), only with past timestamps, so the demo's history is
priced by the same code as everything else. It is deterministic for a given seed and
"now": weekday/weekend and hour-of-day patterns, steady growth, cache hits, reasoning
tokens, a few failures, and one anomalous day whose spend is several times the norm.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from tokentrace.instrumentation.api_keys import fingerprint
from tokentrace.processor.demo.bill import APP_SECRETS


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
        (
            ("openai", "gpt-4o-mini"),
            ("openai", "gpt-4o"),
            ("gcp.gemini", "gemini-2.5-flash"),
            # A fine-tune served in house: no public price, so it shows as unpriced usage.
            ("vllm", "acme-llama-3-ft"),
        ),
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
    """Calls for the ``days`` whole days before ``now``'s day and today up to ``now``,
    deterministic for a seed and "now": the history runs through the current hour, so
    today, this week and this month look like any other on whatever date the demo runs."""
    rng = random.Random(seed)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for day_index in range(days, -1, -1):
        day = today - dt.timedelta(days=day_index)
        growth = 1.0 + 0.5 * (days - day_index) / days
        weekend = day.weekday() >= 5
        volume = int(calls_per_day * growth * (0.45 if weekend else 1.0))
        anomalous = day_index == anomaly_days_ago
        for hour, weight in enumerate(HOURLY):
            for _ in range(round(volume * weight / sum(HOURLY))):
                start = day + dt.timedelta(hours=hour, seconds=rng.uniform(0, 3599))
                if start < now:
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
        provider, model = rng.choices(service.models, [60, 30, 10, 2][: len(service.models)])[0]
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
    batch_size: int = 5000,
) -> int:
    """POST the calls to ``{endpoint}/v1/traces`` as OTLP/HTTP protobuf, one GenAI CLIENT
    span per call, ``batch_size`` spans a request; retries 429/503 after ``Retry-After``.

    The requests are built straight from the OTLP protobuf classes: the SDK costs ~100 µs
    a span, which would make weeks of history take minutes (the live apps of the demo
    exercise the SDK path).
    """
    sent = 0
    batch: dict[str, list[Call]] = {}
    pending = 0
    for call in calls:
        batch.setdefault(call.service.name, []).append(call)
        pending += 1
        if pending >= batch_size:
            sent += _post(batch, environment, endpoint, headers)
            if progress:
                progress(pending)
            batch, pending = {}, 0
    if pending:
        sent += _post(batch, environment, endpoint, headers)
        if progress:
            progress(pending)
    return sent


def _post(
    batch: dict[str, list[Call]], environment: str, endpoint: str, headers: dict[str, str] | None
) -> int:
    request = ExportTraceServiceRequest()
    for service_calls in batch.values():
        service = service_calls[0].service
        resource_spans = request.resource_spans.add()
        _attributes(
            resource_spans.resource.attributes,
            {
                "service.name": service.name,
                "deployment.environment.name": environment,
                "team": service.team,
            },
        )
        scope_spans = resource_spans.scope_spans.add()
        scope_spans.scope.name = "tokentrace.demo"
        for call in service_calls:
            _span(scope_spans.spans.add(), call)
    body = request.SerializeToString()
    for _ in range(60):
        http_request = urllib.request.Request(
            f"{endpoint.rstrip('/')}/v1/traces",
            data=body,
            headers={"Content-Type": "application/x-protobuf", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(http_request, timeout=60):
                return sum(len(c) for c in batch.values())
        except urllib.error.HTTPError as exc:
            if exc.code not in (429, 503):
                raise RuntimeError(f"OTLP export failed: HTTP {exc.code}: {exc.read()!r}") from None
            time.sleep(float(exc.headers.get("Retry-After") or 1))
    raise RuntimeError("OTLP export kept being refused (429/503) for a minute")


def _attributes(target: Any, values: dict[str, str | int | bool]) -> None:
    for key, value in values.items():
        attribute = target.add()
        attribute.key = key
        if isinstance(value, bool):
            attribute.value.bool_value = value
        elif isinstance(value, int):
            attribute.value.int_value = value
        else:
            attribute.value.string_value = value


def _span(span: Any, call: Call) -> None:
    start_ns = int(call.start.timestamp() * 1e9)
    span.trace_id = random.getrandbits(128).to_bytes(16, "big")
    span.span_id = random.getrandbits(64).to_bytes(8, "big")
    span.name = f"chat {call.model}"
    span.kind = Span.SPAN_KIND_CLIENT
    span.start_time_unix_nano = start_ns
    span.end_time_unix_nano = start_ns + int(call.duration_s * 1e9)
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
    if call.provider in APP_SECRETS:  # as tokentrace's instrumentation records the key
        attributes["tokentrace.api_key"] = fingerprint(APP_SECRETS[call.provider])
    if call.error:
        attributes["error.type"] = call.error
        if call.error.isdigit():
            attributes["http.response.status_code"] = int(call.error)
        span.status.code = Status.STATUS_CODE_ERROR
    else:
        attributes.update(
            {
                "gen_ai.response.model": call.model,
                "gen_ai.response.id": f"demo-{span.span_id.hex()}",
                "gen_ai.usage.input_tokens": call.input_tokens,
                "gen_ai.usage.output_tokens": call.output_tokens,
                "gen_ai.usage.cache_read.input_tokens": call.cache_read_tokens,
                "gen_ai.usage.cache_creation.input_tokens": call.cache_write_tokens,
                "gen_ai.usage.reasoning.output_tokens": call.reasoning_tokens,
                "http.response.status_code": 200,
            }
        )
    _attributes(span.attributes, attributes)
