"""Added CPU per aiohttp call once tokentrace patches `ClientSession._request`.

A `ClientSession` calls an aiohttp web server on 127.0.0.1 that runs in another thread (its own
event loop), so the client thread's CPU time (`time.thread_time_ns`) is the client's alone:
the whole of aiohttp's client runs, and what differs between the two configurations is
tokentrace's wrapper and middleware. Scenarios: a GET; a JSON POST on a path of no LLM API
shape (a POST gets our middleware, so aiohttp builds its middleware chain); a POST on an LLM
path that names no model on an unknown host (the most a non-LLM request can pay: path check,
body scan, host and model lookup, no span); and, for scale, an LLM call read with `.json()`
(a gzip chat completion; its span goes to a processor whose exporter drops it) and a streamed
one read line by line. Configurations alternate round by round; the added CPU is the median over
rounds of (instrumented - uninstrumented). An aiohttp call costs some 100-300 µs of Python
(and a load of 10-16 on this shared machine moves it by tens), so the parts are timed alone too
(best of 7): `session._request(...)` made unstarted, through the patched attribute, and the
middleware around a no-op handler on a `ClientRequest` of each POST scenario, minus the no-op.

`--callgrind` counts instructions instead (load-independent, as
`instrumentation_instructions.py` does, whose callgrind helpers it uses): the same scenarios
re-executed under valgrind, each loop of calls bracketed by callgrind client requests, the
main thread only (the server's thread is not counted); configurations alternate round by round,
the figure is the median per call over rounds.

    python bench/aiohttp_calls.py [--rounds N] [--calls N]
    python bench/aiohttp_calls.py --callgrind [--rounds 3] [--calls 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind
from requests_non_llm import ANSWER  # the same gzip chat completion (bench/ is on sys.path)

from tokentrace.instrumentation import LLMInstrumentor
from tokentrace.instrumentation.config import Settings

EVENTS = b"".join(
    b'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","model":"gpt-4o-mini",'
    b'"choices":[{"index":0,"delta":{"content":"w%d"},"finish_reason":null}]}\n\n' % i
    for i in range(20)
) + (
    b'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","model":"gpt-4o-mini",'
    b'"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":20,"total_tokens":32}}\n\n'
    b"data: [DONE]\n\n"
)
KEY = {"authorization": "Bearer sk-proj-bench0123456789abcdef"}
ASK = [{"role": "user", "content": "hi"}]


async def _answer(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    if b'"model"' not in body:
        return web.json_response({"object": "list", "data": []})
    if b'"stream"' in body:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        for event in EVENTS.split(b"\n\n")[:-1]:
            await response.write(event + b"\n\n")
        await response.write_eof()
        return response
    return web.Response(
        body=ANSWER, headers={"content-type": "application/json", "content-encoding": "gzip"}
    )


def _serve() -> str:
    """Starts the server in its own thread; its base URL."""
    started = threading.Event()
    found: list[str] = []

    async def run() -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", _answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        found.append(f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}")
        started.set()
        await asyncio.Event().wait()

    threading.Thread(target=asyncio.run, args=(run(),), daemon=True).start()
    started.wait()
    return found[0]


Scenario = Callable[[aiohttp.ClientSession, str], Awaitable[Any]]


async def _get(s: aiohttp.ClientSession, base: str) -> Any:
    async with s.get(base + "/v1/models") as r:
        return await r.read()


async def _post_other(s: aiohttp.ClientSession, base: str) -> Any:
    async with s.post(base + "/v1/files", json={"purpose": "batch"}) as r:
        return await r.read()


async def _post_no_model(s: aiohttp.ClientSession, base: str) -> Any:
    async with s.post(base + "/v1/chat/completions", json={"messages": ASK}) as r:
        return await r.read()


async def _llm_json(s: aiohttp.ClientSession, base: str) -> Any:
    body = {"model": "gpt-4o-mini", "messages": ASK}
    async with s.post(base + "/v1/chat/completions", json=body, headers=KEY) as r:
        return await r.json()


async def _llm_stream(s: aiohttp.ClientSession, base: str) -> Any:
    body = {"model": "gpt-4o-mini", "messages": ASK, "stream": True}
    async with s.post(base + "/v1/chat/completions", json=body, headers=KEY) as r:
        return [line async for line in r.content]


SCENARIOS: dict[str, Scenario] = {
    "GET": _get,
    "POST, other path": _post_other,
    "POST, LLM path, no model": _post_no_model,
    "LLM call, .json()": _llm_json,
    "LLM stream, 22 events": _llm_stream,
}


class _Drop(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS


async def _per_call_us(call: Scenario, session: aiohttp.ClientSession, base: str, n: int) -> float:
    start = time.thread_time_ns()
    for _ in range(n):
        await call(session, base)
    return (time.thread_time_ns() - start) / n / 1000


async def _measure(base: str, rounds: int, calls: int) -> None:
    instrumentor = LLMInstrumentor()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_Drop()))
    print(f"{'scenario':<28} {'none (µs)':>10} {'added (µs)':>11}")
    async with aiohttp.ClientSession() as session:
        for name, call in SCENARIOS.items():
            for _ in range(200):
                await call(session, base)  # warm up (routing caches the URL's answer)
            bare, added = [], []
            for _ in range(rounds):
                none = await _per_call_us(call, session, base, calls)
                instrumentor.instrument(tracer_provider=provider, provider_urls="")
                try:
                    with_us = await _per_call_us(call, session, base, calls)
                finally:
                    instrumentor.uninstrument()
                bare.append(none)
                added.append(with_us - none)
            print(f"{name:<28} {statistics.median(bare):>10.1f} {statistics.median(added):>+11.2f}")


def wrapper_alone() -> None:
    """`session._request(...)` made and closed unstarted (the coroutine), instrumented minus
    not, alternated 5 times, best of 7 each: what a GET (one comparison) and a POST (the
    middleware added to the keywords) pay before aiohttp runs, the patched method's call
    included (`patching`; calling the wrapper function directly would leave it out)."""
    session = aiohttp.ClientSession.__new__(aiohttp.ClientSession)  # never opened
    session._auto_decompress = True
    session._middlewares = ()
    instrumentor = LLMInstrumentor()
    provider = TracerProvider()

    def made(method: str) -> None:
        session._request(method, "http://gateway.internal/v1/files", json={}).close()

    def best(method: str) -> float:
        return min(timeit.repeat(lambda: made(method), number=20_000, repeat=7)) / 20_000 * 1e6

    print(f"{'_request, unstarted':<28} {'none (µs)':>10} {'added (µs)':>11}")
    for method in ("GET", "POST"):
        bare, added = [], []
        for _ in range(5):
            none = best(method)
            instrumentor.instrument(tracer_provider=provider, provider_urls="")
            try:
                added.append(best(method) - none)
            finally:
                instrumentor.uninstrument()
            bare.append(none)
        print(f"{method:<28} {statistics.median(bare):>10.2f} {statistics.median(added):>+11.2f}")


async def middleware_alone() -> None:
    """The middleware on a built `ClientRequest` around a no-op handler, minus the handler."""
    from aiohttp.client_reqrep import ClientRequest
    from yarl import URL

    from tokentrace.instrumentation.aiohttp_send import _middleware

    tracer = TracerProvider().get_tracer("bench")
    settings = Settings()

    async def handler(request: Any) -> None:
        return None

    async def loop_of(n: int, call: Callable[[], Awaitable[Any]]) -> float:
        start = time.perf_counter()
        for _ in range(n):
            await call()
        return time.perf_counter() - start

    print(f"{'middleware alone':<28} {'no-op (µs)':>10} {'added (µs)':>11}")
    for name, path in (
        ("POST, other path", "/v1/files"),
        ("POST, LLM path, no model", "/v1/chat/completions"),
    ):
        request = ClientRequest(
            "POST",
            URL("http://gateway.internal" + path),
            loop=asyncio.get_running_loop(),
            data=json.dumps({"messages": ASK}).encode(),
            headers={"content-type": "application/json"},
        )
        number = 50_000
        bare = min([await loop_of(number, lambda r=request: handler(r)) for _ in range(7)])
        wrapped = min(
            [
                await loop_of(
                    number,
                    lambda r=request: _middleware(tracer, settings, True, r, handler),
                )
                for _ in range(7)
            ]
        )
        scale = 1e6 / number
        print(f"{name:<28} {bare * scale:>10.2f} {(wrapped - bare) * scale:>+11.2f}")


_MARK = "TOKENTRACE_UNDER_CALLGRIND"


_START = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.stream": False,
    "server.address": "127.0.0.1",
    "server.port": 8080,
    "gen_ai.request.model": "gpt-4o-mini",
    "tokentrace.api_key": "sk-proj-…cdef#0123abcd",
}
_END = {
    "http.response.status_code": 200,
    "gen_ai.response.id": "chatcmpl-bench",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 12,
    "gen_ai.usage.output_tokens": 7,
    "gen_ai.usage.cache_read.input_tokens": 0,
    "gen_ai.usage.reasoning.output_tokens": 0,
}


async def _count(base: str, cg: Any, rounds: int, calls: int) -> None:
    """Inside callgrind: one dump per (scenario, configuration, round). "bare span": the call
    inside one span with the attributes of tokentrace's (for the LLM calls: what a span
    costs, which any instrumentation pays)."""
    instrumentor = LLMInstrumentor()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_Drop()))
    tracer = provider.get_tracer("bench-bare")

    async def bare(call: Scenario, session: aiohttp.ClientSession) -> None:
        span = tracer.start_span("chat gpt-4o-mini", kind=SpanKind.CLIENT, attributes=_START)
        await call(session, base)
        span.set_attributes(_END)
        span.end()

    order = ["none", "bare span", "tokentrace"]
    async with aiohttp.ClientSession() as session:
        for name, call in SCENARIOS.items():
            for _ in range(20):
                await call(session, base)
            for index in range(rounds):
                for config in order[index % 3 :] + order[: index % 3]:
                    if config == "tokentrace":
                        instrumentor.instrument(tracer_provider=provider, provider_urls="")
                    run = (
                        (lambda c=call: bare(c, session))
                        if config == "bare span"
                        else (lambda c=call: c(session, base))
                    )
                    await run()
                    cg.tt_zero()
                    for _ in range(calls):
                        await run()
                    cg.tt_dump(f"{name}|{config}|{index}".encode())
                    if config == "tokentrace":
                        instrumentor.uninstrument()


def callgrind(rounds: int, calls: int) -> None:
    """Runs `_count` under valgrind and prints instructions per call."""
    sys.path.insert(0, str(Path(__file__).parent))
    import instrumentation_instructions as counting

    directory = Path(os.environ.get("TOKENTRACE_CALLGRIND_DIR") or tempfile.mkdtemp())
    if os.environ.get(_MARK):
        cg = counting._library(directory)
        asyncio.run(_count(_serve(), cg, rounds, calls))
        return
    counting._library(directory)
    command = [
        "valgrind", "--tool=callgrind", "--dump-instr=no", "--compress-strings=no",
        "--separate-threads=yes", f"--callgrind-out-file={directory}/callgrind.out.%p",
        sys.executable, __file__, "--callgrind", "--rounds", str(rounds), "--calls", str(calls),
    ]  # fmt: skip
    env = {**os.environ, _MARK: "1", "TOKENTRACE_CALLGRIND_DIR": str(directory)}
    subprocess.run(command, check=True, env=env, capture_output=True)
    totals = counting._totals(directory, calls)
    print("| request | none (k instr/call) | + bare span (k) | + tokentrace (k) |")
    print("| --- | ---: | ---: | ---: |")
    for name in SCENARIOS:
        row = totals[name]
        bare, added = row["bare span"] - row["none"], row["tokentrace"] - row["none"]
        print(f"| {name} | {row['none'] / 1e3:.0f} | {bare / 1e3:+.1f} | {added / 1e3:+.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--calls", type=int)
    parser.add_argument("--callgrind", action="store_true", help="count instructions")
    options = parser.parse_args()
    if options.callgrind:
        callgrind(options.rounds or 3, options.calls or 200)
        return
    asyncio.run(_measure(_serve(), options.rounds or 15, options.calls or 1000))
    wrapper_alone()
    asyncio.run(middleware_alone())


if __name__ == "__main__":
    main()
