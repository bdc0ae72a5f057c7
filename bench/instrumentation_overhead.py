"""Added CPU and wall time per LLM call: tokentrace vs no instrumentation vs httpx instrumentation.

Drives the real openai and anthropic SDKs against the loopback stand-in (gzip on, as real
providers), non-streamed and streamed with 5 and 50 content chunks. Configurations are
interleaved round by round so that machine noise hits them alike; spans go to a processor that
drops them, so only instrumentation cost is measured, not export. CPU is `time.thread_time()` of
the calling thread: the SDK does all client work there, while the stand-in's threads are not
counted. Per-chunk cost is (added(50 chunks) - added(5 chunks)) / 45.

End-to-end numbers on a shared 2-core machine are noisy next to a ~2 ms SDK call, so a second,
in-process section replays the stand-in's recorded (gzip) responses through an httpx2 client
with a `MockTransport`: the whole instrumented path runs (wrapper, routing, request parse,
span, tee, gunzip, SSE/JSON parse) without network or SDK noise around it.

    python bench/instrumentation_overhead.py --out bench/results/instrumentation.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import anthropic
import httpx2
import openai
from opentelemetry.instrumentation.httpx import HTTPX2ClientInstrumentor
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

from tokentrace.instrumentation import LLMInstrumentor
from tokentrace.processor.standins import Standin, start_standin

CONFIGS = ("none", "tokentrace", "httpx")
MESSAGES = [{"role": "user", "content": "How much did this call cost?"}]


class DropSpans(SpanProcessor):
    """Ends every span in the void: the cost measured is creating and filling spans."""


def scenarios(standin: Standin) -> dict[str, tuple[Callable[[], None], int]]:
    """Name -> (one call, streamed chunks)."""
    oai = openai.OpenAI(base_url=standin.base_url("openai"), api_key="k", max_retries=0)
    ant = anthropic.Anthropic(base_url=standin.base_url("anthropic"), api_key="k", max_retries=0)

    def openai_chat(chunks: int | None) -> Callable[[], None]:
        def call() -> None:
            if chunks is None:
                oai.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
                return
            stream = oai.chat.completions.create(
                model="gpt-4o-mini",
                messages=MESSAGES,
                stream=True,
                stream_options={"include_usage": True},
                extra_headers={"x-standin-chunks": str(chunks)},
            )
            for _ in stream:
                pass

        return call

    def anthropic_messages(chunks: int | None) -> Callable[[], None]:
        def call() -> None:
            if chunks is None:
                ant.messages.create(model="claude-sonnet-4-6", max_tokens=100, messages=MESSAGES)
                return
            stream = ant.messages.create(
                model="claude-sonnet-4-6",
                max_tokens=100,
                messages=MESSAGES,
                stream=True,
                extra_headers={"x-standin-chunks": str(chunks)},
            )
            for _ in stream:
                pass

        return call

    return {
        "openai chat": (openai_chat(None), 0),
        "openai chat stream 5": (openai_chat(5), 5),
        "openai chat stream 50": (openai_chat(50), 50),
        "anthropic messages": (anthropic_messages(None), 0),
        "anthropic messages stream 5": (anthropic_messages(5), 5),
        "anthropic messages stream 50": (anthropic_messages(50), 50),
    }


def enable(config: str, provider: TracerProvider, standin: Standin) -> Callable[[], None]:
    """Instruments for `config` and returns how to undo it."""
    if config == "tokentrace":
        instrumentor = LLMInstrumentor()
        instrumentor.instrument(tracer_provider=provider, provider_urls=standin.provider_urls())
        return instrumentor.uninstrument
    if config == "httpx":
        instrumentor = HTTPX2ClientInstrumentor()
        instrumentor.instrument(tracer_provider=provider)
        return instrumentor.uninstrument
    return lambda: None


def measure(call: Callable[[], None], calls: int) -> tuple[float, float]:
    """Mean CPU and wall seconds per call."""
    cpu, wall = time.thread_time(), time.perf_counter()
    for _ in range(calls):
        call()
    return (time.thread_time() - cpu) / calls, (time.perf_counter() - wall) / calls


def run(calls: int, rounds: int) -> dict[str, dict[str, dict[str, float]]]:
    provider = TracerProvider()
    provider.add_span_processor(DropSpans())
    samples: dict[str, dict[str, list[tuple[float, float]]]] = {}
    with start_standin() as standin:
        cases = scenarios(standin)
        for call, _ in cases.values():  # warm up imports, connections, caches
            for _ in range(20):
                call()
        for _ in range(rounds):
            for config in CONFIGS:
                disable = enable(config, provider, standin)
                try:
                    for name, (call, _) in cases.items():
                        samples.setdefault(name, {}).setdefault(config, []).append(
                            measure(call, calls)
                        )
                finally:
                    disable()
    return {
        name: {
            config: {
                "cpu_us": statistics.median(cpu for cpu, _ in values) * 1e6,
                "wall_us": statistics.median(wall for _, wall in values) * 1e6,
            }
            for config, values in by_config.items()
        }
        for name, by_config in samples.items()
    }


def recorded_responses(standin: Standin) -> dict[str, tuple]:
    """Name -> (request, chunks, raw gzip response chunks as the client read them, headers)."""
    url = standin.base_url("openai") + "/chat/completions"
    anthropic_url = standin.base_url("anthropic") + "/v1/messages"
    bodies = {
        "openai chat": (url, {"model": "gpt-4o-mini", "messages": MESSAGES}, 0),
        "anthropic messages": (
            anthropic_url,
            {"model": "claude-sonnet-4-6", "max_tokens": 100, "messages": MESSAGES},
            0,
        ),
    }
    for chunks in (5, 50):
        bodies[f"openai chat stream {chunks}"] = (
            url,
            {**bodies["openai chat"][1], "stream": True, "stream_options": {"include_usage": True}},
            chunks,
        )
        bodies[f"anthropic messages stream {chunks}"] = (
            anthropic_url,
            {**bodies["anthropic messages"][1], "stream": True},
            chunks,
        )
    recorded = {}
    with httpx2.Client() as client:
        for name, (target, body, chunks) in bodies.items():
            headers = {"x-standin-chunks": str(chunks or 8)}
            request = client.build_request("POST", target, json=body, headers=headers)
            response = client.send(request, stream=True)
            recorded[name] = (request, chunks, list(response.iter_raw()), dict(response.headers))
            response.close()
    return recorded


class _Replay(httpx2.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self):
        return iter(self._chunks)


def run_in_process(calls: int, rounds: int) -> dict[str, dict[str, dict[str, float]]]:
    provider = TracerProvider()
    provider.add_span_processor(DropSpans())
    with start_standin() as standin:
        recorded = recorded_responses(standin)
        provider_urls = standin.provider_urls()
    results: dict[str, dict[str, list[float]]] = {}
    for name, (request, _, raw, headers) in recorded.items():

        def answer(_: httpx2.Request, raw: list[bytes] = raw, headers: dict = headers):
            return httpx2.Response(200, headers=headers, stream=_Replay(raw))

        client = httpx2.Client(transport=httpx2.MockTransport(answer))

        def call(client: httpx2.Client = client, request: httpx2.Request = request) -> None:
            response = client.send(request, stream=True)
            for _ in response.iter_raw():
                pass
            response.close()

        for _ in range(rounds):
            for config in ("none", "tokentrace"):
                instrumentor = LLMInstrumentor()
                if config == "tokentrace":
                    instrumentor.instrument(tracer_provider=provider, provider_urls=provider_urls)
                try:
                    cpu, _ = measure(call, calls)
                finally:
                    if config == "tokentrace":
                        instrumentor.uninstrument()
                results.setdefault(name, {}).setdefault(config, []).append(cpu)
    return {
        name: {
            config: {"cpu_us": statistics.median(values) * 1e6} for config, values in row.items()
        }
        for name, row in results.items()
    }


def in_process_table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = [
        "| scenario (in-process replay) | CPU/call none (µs) | + tokentrace CPU (µs) |",
        "| --- | ---: | ---: |",
    ]
    for name, row in results.items():
        base = row["none"]["cpu_us"]
        lines.append(f"| {name} | {base:.1f} | {row['tokentrace']['cpu_us'] - base:+.1f} |")
    for sdk in ("openai chat", "anthropic messages"):
        added = {
            chunks: results[f"{sdk} stream {chunks}"]["tokentrace"]["cpu_us"]
            - results[f"{sdk} stream {chunks}"]["none"]["cpu_us"]
            for chunks in (5, 50)
        }
        lines.append(
            f"\n{sdk}: tokentrace CPU per streamed chunk ≈ {(added[50] - added[5]) / 45:.2f} µs"
        )
    return "\n".join(lines)


def table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = [
        "| scenario | CPU/call none (µs) | + tokentrace CPU (µs) | + httpx instr. CPU (µs) "
        "| wall/call none (µs) | + tokentrace wall (µs) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in results.items():
        base = row["none"]
        lines.append(
            f"| {name} | {base['cpu_us']:.0f} "
            f"| {row['tokentrace']['cpu_us'] - base['cpu_us']:+.0f} "
            f"| {row['httpx']['cpu_us'] - base['cpu_us']:+.0f} "
            f"| {base['wall_us']:.0f} | {row['tokentrace']['wall_us'] - base['wall_us']:+.0f} |"
        )
    for sdk in ("openai chat", "anthropic messages"):
        added = {
            chunks: results[f"{sdk} stream {chunks}"]["tokentrace"]["cpu_us"]
            - results[f"{sdk} stream {chunks}"]["none"]["cpu_us"]
            for chunks in (5, 50)
        }
        lines.append(
            f"\n{sdk}: tokentrace CPU per streamed chunk ≈ {(added[50] - added[5]) / 45:.2f} µs"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="calls per scenario per round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    results = run(args.calls, args.rounds)
    print(table(results))
    in_process = run_in_process(args.calls * 10, args.rounds)
    print()
    print(in_process_table(in_process))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "calls": args.calls,
            "rounds": args.rounds,
            "end_to_end": results,
            "in_process": in_process,
        }
        args.out.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
