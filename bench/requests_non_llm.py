"""Added CPU per non-LLM `requests` call once tokentrace patches `HTTPAdapter.send`.

A `requests.Session` sends through a real `HTTPAdapter` whose connection pool answers from
memory (an urllib3 `HTTPResponse` over a small JSON body), so no socket noise: the whole of
`requests` runs, and what differs between the two configurations is tokentrace's wrapper.
Scenarios: a GET; a JSON POST on a path of no LLM API shape; a POST on an LLM path that names
no model on an unknown host (the most a non-LLM request can pay: path check, body scan, host
and model lookup, no span); and, for scale, an LLM call read with `.json()` (its span goes to a
processor whose exporter drops it). Configurations alternate round by round; the added CPU is the
median over rounds of (instrumented - uninstrumented), in CPU time of the calling thread.
A `requests` call costs some 300 µs of Python, so on a shared machine that difference is
within noise; the wrapper alone is therefore timed too (`timeit`, best of 7): the patched
`send` around a no-op, on each scenario's prepared request, minus the no-op called directly.

    python bench/requests_non_llm.py [--rounds N] [--calls N]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import statistics
import time
import timeit
from collections.abc import Callable
from typing import Any

import requests
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse

from tokentrace.instrumentation import LLMInstrumentor
from tokentrace.instrumentation.config import Settings
from tokentrace.instrumentation.requests_send import send_wrapper

BODY = b'{"object":"list","data":[]}'
BASE = "http://gateway.internal:8080"


ANSWER = gzip.compress(
    json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Hello! How can I help?"},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19},
        }
    ).encode()
)


class _Pool:
    """Stands in for urllib3's connection pool: answers every request from memory (a gzip chat
    completion to a request naming a model, a small JSON document to any other)."""

    def urlopen(self, method: str, url: str, **kwargs: Any) -> HTTPResponse:
        headers = {"content-type": "application/json"}
        body = BODY
        if b'"model"' in (kwargs.get("body") or b""):
            headers["content-encoding"] = "gzip"
            body = ANSWER
        headers["content-length"] = str(len(body))
        return HTTPResponse(
            body=io.BytesIO(body),
            headers=headers,
            status=200,
            preload_content=False,
            decode_content=False,
        )


class _MemoryAdapter(HTTPAdapter):
    def get_connection_with_tls_context(self, *args: Any, **kwargs: Any) -> _Pool:
        return _Pool()


class _Drop(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _session() -> requests.Session:
    session = requests.Session()
    session.mount("http://", _MemoryAdapter())
    return session


SCENARIOS: dict[str, Callable[[requests.Session], Any]] = {
    "GET": lambda s: s.get(BASE + "/v1/models").content,
    "POST, other path": lambda s: s.post(BASE + "/v1/files", json={"purpose": "batch"}).content,
    "POST, LLM path, no model": lambda s: (
        s.post(
            BASE + "/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]}
        ).content
    ),
    # For scale: an LLM call (span, tee, parse of a gzip chat completion, `.json()`).
    "LLM call, .json()": lambda s: s.post(
        BASE + "/v1/chat/completions",
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
        headers={"authorization": "Bearer sk-proj-bench0123456789abcdef"},
    ).json(),
}


def _per_call_us(call: Callable[[requests.Session], Any], session: requests.Session, n: int):
    start = time.thread_time_ns()
    for _ in range(n):
        call(session)
    return (time.thread_time_ns() - start) / n / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=2000)
    options = parser.parse_args()
    instrumentor = LLMInstrumentor()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_Drop()))
    session = _session()
    print(f"{'scenario':<28} {'none (µs)':>10} {'added (µs)':>11}")
    for name, call in SCENARIOS.items():
        for _ in range(200):
            call(session)  # warm up (routing caches the URL's answer)
        bare, added = [], []
        for _ in range(options.rounds):
            none = _per_call_us(call, session, options.calls)
            instrumentor.instrument(tracer_provider=provider, provider_urls="")
            try:
                with_us = _per_call_us(call, session, options.calls)
            finally:
                instrumentor.uninstrument()
            bare.append(none)
            added.append(with_us - none)
        print(f"{name:<28} {statistics.median(bare):>10.1f} {statistics.median(added):>+11.2f}")
    wrapper_alone()


def wrapper_alone() -> None:
    """The patched `send` around a no-op, minus the no-op, per scenario's prepared request."""
    send = send_wrapper(TracerProvider().get_tracer("bench"), Settings())
    adapter = HTTPAdapter()
    requests_made = {
        "GET": requests.Request("GET", BASE + "/v1/models"),
        "POST, other path": requests.Request("POST", BASE + "/v1/files", json={"a": 1}),
        "POST, LLM path, no model": requests.Request(
            "POST", BASE + "/v1/chat/completions", json={"messages": []}
        ),
    }

    def noop(*args: Any, **kwargs: Any) -> None:
        return None

    print(f"{'wrapper alone':<28} {'no-op (µs)':>10} {'added (µs)':>11}")
    for name, request in requests_made.items():
        prepared = request.prepare()
        args = (prepared,)
        kwargs = {"stream": False}
        number = 100_000
        bare = min(
            timeit.repeat(
                lambda args=args, kwargs=kwargs: noop(*args, **kwargs), number=number, repeat=7
            )
        )
        wrapped = min(
            timeit.repeat(
                lambda args=args, kwargs=kwargs: send(noop, adapter, args, kwargs),
                number=number,
                repeat=7,
            )
        )
        scale = 1e6 / number
        print(f"{name:<28} {bare * scale:>10.2f} {(wrapped - bare) * scale:>+11.2f}")


if __name__ == "__main__":
    main()
