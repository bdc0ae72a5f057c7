"""One instrumentation configuration, alive in its own process for a whole overhead run.

`bench/instrumentation_overhead.py` starts one worker per configuration and interleaves rounds
between them. Separate processes because the peers cannot all be undone (OpenLIT has no
uninstrument, and a peer's patches would stay under the next configuration) and because each
must import its own copy of the SDKs' patched classes. The driver talks over pipes: the worker
prints one JSON line when ready (or failed), then answers each `{"calls": N}` line with the
CPU and wall time per call of every scenario, in both modes: over loopback to the stand-in, and
replayed under the transport (`RecordThenReplay`). Anything else the worker or a peer prints goes
to stderr, so it cannot corrupt the protocol.

CPU is `time.process_time()`: the whole worker process, so work that a peer pushes to a
background thread is counted too, while the stand-in (in the driver process) is not. Spans go
to a processor that drops them; during the correctness pass it keeps them instead.

Every configuration runs with content capture off and the Anthropic SDK's own tracing off
(`ANTHROPIC_OPEN_TELEMETRY=false`), so that each measures its own instrumentation alone.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

os.environ["ANTHROPIC_OPEN_TELEMETRY"] = "false"
os.environ["TRACELOOP_TRACE_CONTENT"] = "false"

CONFIGS = ("none", "tokentrace", "httpx", "openai-v2", "openllmetry", "openlit")
PACKAGES = {
    "tokentrace": ("tokentrace",),
    "httpx": ("opentelemetry-instrumentation-httpx",),
    "openai-v2": ("opentelemetry-instrumentation-openai-v2", "opentelemetry-util-genai"),
    "openllmetry": (
        "opentelemetry-instrumentation-openai",
        "opentelemetry-instrumentation-anthropic",
    ),
    "openlit": ("openlit",),
}
SDK_PACKAGES = ("openai", "anthropic", "httpx2", "opentelemetry-sdk")
OPENLIT_PRICING = Path(__file__).parent / "peers" / "openlit-pricing.json"
MESSAGES = [{"role": "user", "content": "How much did this call cost?"}]
OPENAI_MODEL = "gpt-4o-mini"
ANTHROPIC_MODEL = "claude-sonnet-4-6"
INPUT_TOKENS, OUTPUT_TOKENS = 1234, 567
"""What the stand-in reports during the correctness pass: distinctive, so a match is no luck."""
INPUT_KEYS = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.usage.prompt_tokens")
OUTPUT_KEYS = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.usage.completion_tokens",
)

Call = Callable[[dict[str, str]], None]


def instrument(config: str, provider: Any, provider_urls: str) -> None:
    """Turns on `config`'s instrumentation, the way its documentation says to."""
    if config == "tokentrace":
        from tokentrace.instrumentation import LLMInstrumentor

        LLMInstrumentor().instrument(tracer_provider=provider, provider_urls=provider_urls)
    elif config == "httpx":
        from opentelemetry.instrumentation.httpx import HTTPX2ClientInstrumentor

        HTTPX2ClientInstrumentor().instrument(tracer_provider=provider)
    elif config == "openai-v2":
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=provider)
    elif config == "openllmetry":
        from opentelemetry.instrumentation.anthropic import AnthropicInstrumentor
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(tracer_provider=provider)
        AnthropicInstrumentor().instrument(tracer_provider=provider)
    elif config == "openlit":
        import openlit

        # OpenLIT reuses the global SDK provider; metrics and events off (span path only, the
        # cheapest setting); a local pricing file, since by default it downloads one.
        openlit.init(
            capture_message_content=False,
            disable_metrics=True,
            disable_events=True,
            pricing_json=str(OPENLIT_PRICING),
        )
    elif config != "none":
        raise ValueError(f"unknown configuration {config!r}")


class RecordThenReplay:
    """An httpcore connection pool that records the first response it is asked for, from the
    real pool, and then replays those raw bytes for every later request.

    Installed under a real `httpx2.HTTPTransport` (as its `_pool`), so the whole client stack
    runs, the httpx instrumentation included, but no socket and no stand-in: the replayed
    timing has none of the loopback's noise."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self._recorded: tuple[int, list[tuple[bytes, bytes]], list[bytes]] | None = None

    def handle_request(self, request: Any) -> Any:
        import httpcore2

        for _ in request.stream:  # the body is sent, as a real pool would
            pass
        if self._recorded is None:
            response = self._real.handle_request(request)
            chunks = list(response.stream)
            response.close()
            self._recorded = (response.status, list(response.headers), chunks)
        status, headers, chunks = self._recorded
        return httpcore2.Response(status, headers=headers, content=iter(chunks))

    def close(self) -> None:
        self._real.close()


def replaying_client() -> Any:
    import httpx2

    transport = httpx2.HTTPTransport()
    transport._pool = RecordThenReplay(transport._pool)
    return httpx2.Client(transport=transport)


def scenarios(urls: dict[str, str], replay: bool) -> dict[str, tuple[Call, int]]:
    """Name -> (one call taking extra headers, streamed content chunks). With `replay`, each
    scenario has its own client, which replays its first response (see `RecordThenReplay`)."""
    import anthropic
    import openai

    def clients() -> tuple[Any, Any]:
        options: dict[str, Any] = {"api_key": "k", "max_retries": 0}
        return (
            openai.OpenAI(base_url=urls["openai"], http_client=_client(replay), **options),
            anthropic.Anthropic(base_url=urls["anthropic"], http_client=_client(replay), **options),
        )

    def openai_chat(chunks: int, include_usage: bool = True) -> Call:
        oai, _ = clients()

        def call(headers: dict[str, str]) -> None:
            if not chunks:
                oai.chat.completions.create(
                    model=OPENAI_MODEL, messages=MESSAGES, extra_headers=headers
                )
                return
            options = {"stream_options": {"include_usage": True}} if include_usage else {}
            stream = oai.chat.completions.create(
                model=OPENAI_MODEL,
                messages=MESSAGES,
                stream=True,
                extra_headers={**headers, "x-standin-chunks": str(chunks)},
                **options,
            )
            for _ in stream:
                pass

        return call

    def anthropic_messages(chunks: int) -> Call:
        _, ant = clients()

        def call(headers: dict[str, str]) -> None:
            if not chunks:
                ant.messages.create(
                    model=ANTHROPIC_MODEL, max_tokens=100, messages=MESSAGES, extra_headers=headers
                )
                return
            stream = ant.messages.create(
                model=ANTHROPIC_MODEL,
                max_tokens=100,
                messages=MESSAGES,
                stream=True,
                extra_headers={**headers, "x-standin-chunks": str(chunks)},
            )
            for _ in stream:
                pass

        return call

    return {
        "openai chat": (openai_chat(0), 0),
        "openai chat stream 5": (openai_chat(5), 5),
        "openai chat stream 50": (openai_chat(50), 50),
        "openai chat stream 5, no include_usage": (openai_chat(5, include_usage=False), 5),
        "anthropic messages": (anthropic_messages(0), 0),
        "anthropic messages stream 5": (anthropic_messages(5), 5),
        "anthropic messages stream 50": (anthropic_messages(50), 50),
    }


def _client(replay: bool) -> Any:
    import httpx2

    return replaying_client() if replay else httpx2.Client()


TIMED = (
    "openai chat",
    "openai chat stream 5",
    "openai chat stream 50",
    "anthropic messages",
    "anthropic messages stream 5",
    "anthropic messages stream 50",
)
CORRECTNESS = (
    "openai chat",
    "openai chat stream 5",
    "openai chat stream 5, no include_usage",
    "anthropic messages",
    "anthropic messages stream 5",
)


def _first(attributes: Any, keys: tuple[str, ...]) -> Any:
    return next((attributes[key] for key in keys if key in attributes), None)


def usage_verdict(spans: list[Any], provider_reports_usage: bool) -> str:
    """What the spans of one call say about its usage, against what the stand-in reported."""
    if not spans:
        return "no span"
    found = [(_first(s.attributes, INPUT_KEYS), _first(s.attributes, OUTPUT_KEYS)) for s in spans]
    if (INPUT_TOKENS, OUTPUT_TOKENS) in found and provider_reports_usage:
        return "exact"
    counted = [pair for pair in found if pair != (None, None)]
    if counted:
        label = "wrong" if provider_reports_usage else "estimated, unmarked"
        return f"{label} ({counted[0][0]}/{counted[0][1]})"
    if any(s.attributes.get("tokentrace.usage.missing") for s in spans):
        return "none, marked missing"
    return "none" if provider_reports_usage else "none, unmarked"


def check_usage(cases: dict[str, tuple[Call, int]], sink: Any) -> dict[str, str]:
    """Calls each correctness scenario once with known usage and judges the spans it left."""
    headers = {"x-standin-usage": f"input={INPUT_TOKENS},output={OUTPUT_TOKENS}"}
    verdicts = {}
    for name in CORRECTNESS:
        sink.spans.clear()
        sink.keep = True
        try:
            cases[name][0](headers)
        finally:
            sink.keep = False
        verdicts[name] = usage_verdict(list(sink.spans), "no include_usage" not in name)
    sink.spans.clear()
    return verdicts


def measure(
    modes: dict[str, dict[str, tuple[Call, int]]], calls: int
) -> dict[str, dict[str, tuple[float, float]]]:
    """Mode -> scenario -> seconds of CPU and wall per call."""
    return {mode: _measure(cases, calls) for mode, cases in modes.items()}


def _measure(cases: dict[str, tuple[Call, int]], calls: int) -> dict[str, tuple[float, float]]:
    samples = {}
    for name in TIMED:
        call = cases[name][0]
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(calls):
            call({})
        samples[name] = (
            (time.process_time() - cpu) / calls,
            (time.perf_counter() - wall) / calls,
        )
    return samples


def versions(config: str) -> dict[str, str]:
    found = {}
    for package in (*SDK_PACKAGES, *PACKAGES.get(config, ())):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def serve(config: str, urls: dict[str, str], warmup: int, out: Any) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

    class Sink(SpanProcessor):
        """Drops ended spans, or keeps them while `keep` is set (the correctness pass)."""

        def __init__(self) -> None:
            self.keep = False
            self.spans: list[Any] = []

        def on_end(self, span: Any) -> None:
            if self.keep:
                self.spans.append(span)

    sink = Sink()
    provider = TracerProvider()
    provider.add_span_processor(sink)
    trace.set_tracer_provider(provider)  # for peers that only use the global provider
    try:
        instrument(config, provider, urls["provider_urls"])
        modes = {"loopback": scenarios(urls, replay=False), "replay": scenarios(urls, replay=True)}
        usage = check_usage(modes["loopback"], sink)
        for cases in modes.values():
            for name in TIMED:  # warm up imports, connections, caches; record the replays
                for _ in range(warmup):
                    cases[name][0]({})
    except Exception:
        out.write(json.dumps({"error": traceback.format_exc(limit=3)}) + "\n")
        out.flush()
        return
    out.write(json.dumps({"usage": usage, "versions": versions(config)}) + "\n")
    out.flush()
    for line in sys.stdin:
        samples = measure(modes, json.loads(line)["calls"])
        out.write(json.dumps({"samples": samples}) + "\n")
        out.flush()


def main() -> None:
    """`overhead_worker.py CONFIG URLS_JSON WARMUP`; the protocol is in the module docstring."""
    config, urls, warmup = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # stray prints (ours, a peer's) go to stderr, not into the protocol
    serve(config, urls, warmup, out)


if __name__ == "__main__":
    main()
