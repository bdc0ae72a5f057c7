"""The replay of a recorded source (``tests/fixtures/sources/``) into chDB, shared by
this directory's tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tokentrace.processor.api.routing import application, route
from tokentrace.processor.extract.dedupe import Deduper
from tokentrace.processor.extract.parents import RECENT
from tokentrace.processor.metrics import Registry
from tokentrace.processor.pipeline import Pipeline
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.receivers.otlp_http import OtlpHttpReceiver
from tokentrace.processor.server import HELD_CALLS_FILE
from tokentrace.processor.store.kept_traces import KeptTraces
from tokentrace.processor.store.sink import Sink
from tokentrace.processor.store.spool import Spool

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"
# What each row is checked for by default, in this order.
FIELDS = (
    "provider", "model", "input_tokens", "output_tokens", "cache_read_tokens",
    "cache_write_tokens", "usage_missing", "cost",
)  # fmt: skip


@pytest.fixture(scope="module")
def pricer() -> Pricer:
    return Pricer()


class Replay:
    """A fixture posted to the OTLP/HTTP receiver, wired as ``serve`` wires it, into chDB."""

    def __init__(
        self,
        name: str,
        directory: Path,
        client: Any,
        pricer: Pricer,
        alone: bool = False,
        order: Callable[[list[bytes]], list[bytes]] | None = None,
        rewrite: Callable[[bytes], bytes] | None = None,
        restarts: bool = False,
    ) -> None:
        """``restarts``: each span alone, each through a pipeline of its own, as a serve
        killed after each answer (no flush) and started again would take them: the held
        calls and the remembered traces kept in the spool's directory as ``serve`` keeps
        them, the deduper's keys not (no span here is a resend)."""
        body = (FIXTURES / f"{name}.json").read_bytes()
        body = rewrite(body) if rewrite else body  # the same spans, some values changed
        # ``alone``: each span in a request of its own, in the order the spans ended, as a
        # simple span processor exports them, or in the order ``order`` gives them.
        bodies = _one_span_each(json.loads(body)) if alone or order or restarts else [body]
        bodies = order(bodies) if order else bodies
        spans = [
            span
            for resource in json.loads(body)["resourceSpans"]
            for scope in resource["scopeSpans"]
            for span in scope["spans"]
        ]
        self.spans = len(spans)
        # "now" is when the spans were recorded, so that they are never too far ahead.
        now_ns = max(int(span["endTimeUnixNano"]) for span in spans) + 10**9
        self.metrics = Registry()
        spool = Spool(directory, 1 << 30, seal_rows=10_000, seal_seconds=0.05)
        sink = Sink(lambda: client, spool, self.metrics, first_backoff=0.01)
        spool.on_sealed = sink.offer
        before = _stored(client)
        sink.start()
        spool.start()

        def start() -> tuple[Pipeline, KeptTraces | None]:
            if not restarts:
                return Pipeline(pricer, spool, Deduper(), self.metrics, clock=lambda: now_ns), None
            kept = KeptTraces(directory, 2 * RECENT)
            held = directory / HELD_CALLS_FILE
            pipeline = Pipeline(pricer, spool, Deduper(), self.metrics, lambda: now_ns, held, kept)
            return pipeline, kept

        served = [start()]

        async def post() -> httpx.Response:
            for number, content in enumerate(bodies):
                if restarts and number:
                    served[0][1].close()  # killed: nothing flushed
                    served[0] = start()
                receiver = OtlpHttpReceiver(
                    served[0][0], spool, self.metrics, max_body_bytes=16 << 20, auth_token=None
                )
                router = application([route("POST", "/v1/traces", receiver.traces)])
                transport = httpx.ASGITransport(app=router)
                async with httpx.AsyncClient(transport=transport, base_url="http://otlp") as http:
                    answer = await http.post(
                        "/v1/traces", content=content, headers={"content-type": "application/json"}
                    )
                if answer.status_code != 200 or answer.json():
                    break
            return answer

        self.answer = asyncio.run(post())
        pipeline, kept = served[0]
        pipeline.flush()  # as serve does at shutdown: the calls the deduper still holds
        if kept is not None:
            kept.close()
        spool.close()
        assert sink.wait_idle(20)
        sink.stop(0)
        self.client = client
        # What the sink counted as inserted is what a query reads back, once it is idle.
        self.stored = _stored(client) - before

    def rows(self, *columns: str) -> list[tuple[Any, ...]]:
        """The stored rows' ``columns`` (``FIELDS`` by default), sorted."""
        names = ", ".join(columns or FIELDS)
        return sorted(self.client.query(f"SELECT {names} FROM llm_calls").result_rows)


def _stored(client: Any) -> int:
    return client.query("SELECT count() FROM llm_calls").result_rows[0][0]


def _one_span_each(document: dict[str, Any]) -> list[bytes]:
    """One OTLP/JSON body per span of ``document``, ordered by end time."""
    alone = [
        (int(span["endTimeUnixNano"]), resource, scope, span)
        for resource in document["resourceSpans"]
        for scope in resource["scopeSpans"]
        for span in scope["spans"]
    ]
    return [
        json.dumps(
            {
                "resourceSpans": [
                    {
                        "resource": resource["resource"],
                        "scopeSpans": [{"scope": scope["scope"], "spans": [span]}],
                    }
                ]
            }
        ).encode()
        for _, resource, scope, span in sorted(alone, key=lambda entry: entry[0])
    ]


@pytest.fixture
def replay(tmp_path: Path, store_client: Any, pricer: Pricer):
    def run(
        name: str,
        alone: bool = False,
        order: Callable[[list[bytes]], list[bytes]] | None = None,
        rewrite: Callable[[bytes], bytes] | None = None,
        restarts: bool = False,
    ) -> Replay:
        result = Replay(name, tmp_path, store_client, pricer, alone, order, rewrite, restarts)
        assert result.answer.status_code == 200, result.answer.text
        assert result.answer.json() == {}  # nothing rejected
        assert result.stored == result.metrics.rows_written.value()
        return result

    return run
