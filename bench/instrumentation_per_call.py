"""Added CPU per LLM call, in process, against one bare OpenTelemetry span with the same
attributes, measured in the same run (issue 10's targets: <= 120 µs, <= 1.5x the bare span).

An httpx2 client sends to a `MockTransport` that answers a recorded gzip chat completion, so
no socket or SDK noise: what is measured is tokentrace's whole path (wrapper, routing with the
body scan and the model lookup, api_key fingerprint, endpoint lookup, budget-guard check, span,
tee, gunzip, JSON parse). Three configurations per scenario, interleaved round by round:

- `none`: the client call, uninstrumented;
- `bare span`: the same call plus one SDK span started and ended around it with exactly the
  attributes tokentrace's span ends up with (what any instrumentation must at least pay);
- `tokentrace`: the call, instrumented.

In every scenario but the last the application parses the answer with `Response.json()` after
reading it, as the openai and anthropic SDKs do (the call then hands it the document it parsed,
`json_handover`); in the last it only reads the bytes, as a raw httpx caller may.

Added CPU = median over rounds of (configuration - none), in CPU time of the calling thread:
the span processor's export thread exports one span per call in the bare and tokentrace
configurations alike, and counting it (process time) spread runs at load 1 from 1.5x to 3x.
Each span goes to a tracer provider
of its own, alike (a BatchSpanProcessor with an exporter that drops them; see `providers`).
The 100 KB scenario also times the body check alone against decoding the body as JSON.

    python bench/instrumentation_per_call.py [--quick] [--out FILE]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import httpx2
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tokentrace.instrumentation import LLMInstrumentor
from tokentrace.instrumentation.config import Settings
from tokentrace.instrumentation.request_body import content, scan
from tokentrace.instrumentation.routing import route

TARGET_US = 120.0
TARGET_RATIO = 1.5
KEY = "sk-proj-Zq8vN2xYt7LmK4pR9sW1aBcD5eF6gH3j"
ANSWER = {
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 1_760_000_000,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "A short answer.", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 1234,
        "completion_tokens": 56,
        "total_tokens": 1290,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    },
}
BODY = gzip.compress(json.dumps(ANSWER).encode())
SMALL = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "How much?"}]}
LARGE = {
    "messages": [{"role": "user", "content": "context " * 12_800}],  # ~100 KB, model last
    "model": "gpt-4o-mini",
}


class Scenario(NamedTuple):
    url: str
    request: dict[str, Any]
    server: bool
    """Inside a SERVER span with `http.route` (the endpoint dimension)."""
    app_parses: bool
    """The application parses the JSON answer with `Response.json()` after reading it, as the
    openai and anthropic SDKs do; else it only reads the bytes."""


SCENARIOS = {
    "known host": Scenario("https://api.openai.com/v1/chat/completions", SMALL, False, True),
    "unmapped gateway (model lookup)": Scenario(
        "http://gw.internal:8080/v1/chat/completions", SMALL, False, True
    ),
    "gateway, under a server span": Scenario(
        "http://gw.internal:8080/v1/chat/completions", SMALL, True, True
    ),
    "100 KB prompt, gateway": Scenario(
        "http://gw.internal:8080/v1/chat/completions", LARGE, False, True
    ),
    "known host, bytes read, not parsed": Scenario(
        "https://api.openai.com/v1/chat/completions", SMALL, False, False
    ),
}


class _Drop(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class _Body(httpx2.SyncByteStream):
    """The recorded body as a transport streams it. (`content=` would make httpx2 read and
    decode it when the response is built, before tokentrace's tee is in place, so the body
    would never pass through tokentrace and its span would lack the usage.)"""

    def __iter__(self) -> Iterator[bytes]:
        yield BODY


def _answer(request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(
        200,
        headers={
            "content-type": "application/json",
            "content-encoding": "gzip",
            "content-length": str(len(BODY)),
        },
        stream=_Body(),
    )


def _client() -> httpx2.Client:
    return httpx2.Client(transport=httpx2.MockTransport(_answer))


def _send(client: httpx2.Client, url: str, body: bytes, app_parses: bool) -> None:
    response = client.post(
        url,
        content=body,
        headers={"content-type": "application/json", "authorization": f"Bearer {KEY}"},
    )
    response.read()
    if app_parses:
        response.json()


def _span_attributes(
    url: str, body: bytes, server: bool, app_parses: bool = True
) -> tuple[str, dict, dict]:
    """The name and the start and end attributes of tokentrace's span for this call."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    instrumentor = LLMInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        with _client() as client, _maybe_server(provider, server):
            _send(client, url, body, app_parses)
    finally:
        instrumentor.uninstrument()
    [span] = [s for s in memory.get_finished_spans() if s.kind is SpanKind.CLIENT]
    found = dict(span.attributes)
    if "gen_ai.usage.input_tokens" not in found:  # the body did not pass through tokentrace
        raise SystemExit(f"tokentrace's span has no usage, the bench is not measuring: {found}")
    end_keys = {"http.response.status_code", "gen_ai.response.id", "gen_ai.response.model",
                "gen_ai.response.finish_reasons"}  # fmt: skip
    end = {k: v for k, v in found.items() if k in end_keys or k.startswith("gen_ai.usage.")}
    start = {k: v for k, v in found.items() if k not in end}
    return span.name, start, end


class _maybe_server:
    """A SERVER span with `http.route` around the call, as a web framework would open."""

    def __init__(self, provider: TracerProvider, server: bool) -> None:
        self._tracer = provider.get_tracer("bench-app") if server else None
        self._cm: Any = None

    def __enter__(self) -> None:
        if self._tracer is not None:
            self._cm = self._tracer.start_as_current_span(
                "POST /tickets/{id}/summarise",
                kind=SpanKind.SERVER,
                attributes={"http.route": "/tickets/{id}/summarise"},
            )
            self._cm.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._cm is not None:
            self._cm.__exit__(*exc)


def _cpu_per_call(run: Callable[[], None], calls: int) -> float:
    start = time.thread_time()
    for _ in range(calls):
        run()
    return (time.thread_time() - start) / calls


def measure(calls: int, rounds: int) -> dict[str, dict[str, float]]:
    provider, bare_provider = providers()
    results = {
        name: _scenario(provider, bare_provider, scenario, calls, rounds)
        for name, scenario in SCENARIOS.items()
    }
    provider.shutdown()
    bare_provider.shutdown()
    return results


def providers() -> tuple[TracerProvider, TracerProvider]:
    """Tracer providers alike, for tokentrace and for the bare span: tokentrace adds a span
    processor to its provider (the endpoint tracker), which every span there pays and the bare
    span must not."""
    made = []
    for _ in range(2):
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(_Drop(), max_queue_size=100_000))
        made.append(provider)
    return made[0], made[1]


@contextmanager
def scenario_calls(
    providers: tuple[TracerProvider, TracerProvider],
    scenario: Scenario,
    then: Callable[[], None] | None = None,
) -> Iterator[tuple[Callable[[], None], Callable[[], None]]]:
    """Issue 10's comparison, for every benchmark of it: ``plain``, the scenario's call as the
    application makes it (tokentrace measures it instrumented), and ``bare``, the same call
    inside one bare span with tokentrace's name and attributes on the second provider.
    ``then`` runs after each call in both (``instrumentation_phases``' marker)."""
    provider, bare_provider = providers
    url, server, parses = scenario.url, scenario.server, scenario.app_parses
    body = json.dumps(scenario.request).encode()
    tracer = bare_provider.get_tracer("bench-bare")
    span_name, start, end = _span_attributes(url, body, server, parses)
    with _client() as client, _maybe_server(provider, server):

        def plain() -> None:
            _send(client, url, body, parses)
            if then is not None:
                then()

        def bare() -> None:
            span = tracer.start_span(span_name, kind=SpanKind.CLIENT, attributes=start)
            plain()
            span.set_attributes(end)
            span.end()

        yield plain, bare


def _scenario(
    provider: TracerProvider,
    bare_provider: TracerProvider,
    scenario: Scenario,
    calls: int,
    rounds: int,
) -> dict[str, float]:
    instrumentor = LLMInstrumentor()
    samples: dict[str, list[float]] = {"none": [], "bare span": [], "tokentrace": []}
    with scenario_calls((provider, bare_provider), scenario) as (plain, bare):
        for _ in range(3):  # warm-up: caches, imports, the model-owner lookup
            plain()
            bare()
        for index in range(rounds):
            order = ["none", "bare span", "tokentrace"]
            for config in order[index % 3 :] + order[: index % 3]:
                if config == "tokentrace":
                    instrumentor.instrument(tracer_provider=provider)
                    plain()
                    samples[config].append(_cpu_per_call(plain, calls))
                    instrumentor.uninstrument()
                else:
                    run = plain if config == "none" else bare
                    samples[config].append(_cpu_per_call(run, calls))
    added = {
        config: statistics.median(
            (value - base) * 1e6
            for value, base in zip(samples[config], samples["none"], strict=True)
        )
        for config in ("bare span", "tokentrace")
    }
    return {
        "none_cpu_us": statistics.median(samples["none"]) * 1e6,
        "bare_span_added_cpu_us": added["bare span"],
        "tokentrace_added_cpu_us": added["tokentrace"],
        "ratio": added["tokentrace"] / added["bare span"] if added["bare span"] > 0 else 0,
    }


def body_check(calls: int) -> dict[str, float]:
    """The routing decision on a ~100 KB request body, against decoding it as JSON."""
    body = json.dumps(LARGE).encode()
    request = httpx2.Request("POST", "http://gw.internal:8080/v1/chat/completions", content=body)
    settings = Settings()
    timings = {}
    for name, run in (
        ("route (scan, model lookup)", lambda: route(request, settings)),
        ("scan alone", lambda: scan(content(request))),
        ("json.loads (what is avoided)", lambda: json.loads(body)),
    ):
        run()
        timings[name] = statistics.median(_cpu_per_call(run, calls) * 1e6 for _ in range(5))
    timings["body_bytes"] = len(body)
    return timings


def rows(results: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    out = []
    for name, row in results.items():
        value = row["tokentrace_added_cpu_us"]
        out.append(_row(f"tokentrace added CPU, {name}", value, "µs/call", "<=", TARGET_US))
        out.append(
            _row(f"tokentrace / bare span, {name}", row["ratio"], "ratio", "<=", TARGET_RATIO)
        )
    return out


def _row(metric: str, value: float, unit: str, op: str, target: float) -> dict[str, Any]:
    return {
        "metric": metric,
        "value": round(value, 2),
        "unit": unit,
        "target": f"{op} {target:g}",
        "met": value <= target,
    }


def markdown(results: dict[str, dict[str, float]], body: dict[str, float]) -> str:
    lines = [
        "| scenario | CPU/call none (µs) | + bare span (µs) | + tokentrace (µs) "
        "| tokentrace / bare |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, row in results.items():
        lines.append(
            f"| {name} | {row['none_cpu_us']:.0f} | +{row['bare_span_added_cpu_us']:.1f} | "
            f"+{row['tokentrace_added_cpu_us']:.1f} | {row['ratio']:.2f} |"
        )
    lines += [
        "",
        f"Request body check on a {body['body_bytes'] / 1000:.0f} KB body (µs/call):",
        "",
        "| step | µs |",
        "| --- | ---: |",
    ]
    lines += [f"| {name} | {value:.1f} |" for name, value in body.items() if name != "body_bytes"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--quick", action="store_true", help="fewer calls and rounds")
    args = parser.parse_args()
    calls, rounds = (50, 5) if args.quick else (300, 15)
    trace.set_tracer_provider(TracerProvider())  # a global one, as an app under the launcher
    results = measure(calls, rounds)
    body = body_check(200 if args.quick else 2000)
    document = {"results": results, "body_check": body, "rows": rows(results),
                "markdown": markdown(results, body)}  # fmt: skip
    text = json.dumps(document, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(document["markdown"])
    for row in document["rows"]:
        print(f"{row['metric']}: {row['value']} {row['unit']} (target {row['target']})")


if __name__ == "__main__":
    main()
