"""Too many requests waiting for their fsync: 429 / RESOURCE_EXHAUSTED with a retry delay.

The receivers run in process over a real spool whose writer is held back, so the first
request stays in flight while the next one arrives.
"""

from __future__ import annotations

import asyncio
import threading

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from tokentrace.processor.api.routing import application, route
from tokentrace.processor.extract.dedupe import Deduper
from tokentrace.processor.metrics import Registry
from tokentrace.processor.pipeline import Pipeline
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.receivers import otlp_grpc as receiver_grpc
from tokentrace.processor.receivers import otlp_wire
from tokentrace.processor.receivers.otlp_http import OtlpHttpReceiver
from tokentrace.processor.store.spool import Spool

from .otlp import chat, request, span
from .serve_process import free_port

PROTOBUF = {"content-type": "application/x-protobuf"}


@pytest.fixture
def held_spool(tmp_path):
    """A spool that queues appends but writes nothing until ``start()``."""
    spool = Spool(tmp_path, 1 << 30)
    spool.recover()
    yield spool
    spool.close()


def body() -> bytes:
    return request(span(chat())).SerializeToString()


def test_http_answers_429_with_retry_after_while_a_request_waits(held_spool):
    metrics = Registry()
    pipeline = Pipeline(Pricer(), held_spool, Deduper(), metrics)
    receiver = OtlpHttpReceiver(
        pipeline, held_spool, metrics, max_body_bytes=1 << 20, auth_token=None, max_waiting=1
    )
    router = application([route("POST", "/v1/traces", receiver.traces)])
    headers = {"content-type": "application/json"}

    async def scenario():
        transport = httpx.ASGITransport(app=router)
        async with httpx.AsyncClient(transport=transport, base_url="http://otlp") as client:
            first = asyncio.create_task(client.post("/v1/traces", content=body(), headers=PROTOBUF))
            while receiver.in_flight == 0:
                await asyncio.sleep(0.01)
            second = await client.post("/v1/traces", content=b"{}", headers=headers)
            held_spool.start()
            return await first, second

    first, second = asyncio.run(scenario())
    assert first.status_code == 200
    assert (second.status_code, second.headers["retry-after"]) == (429, "2")
    assert second.json()["details"][0]["retryDelay"] == "2s"


def test_grpc_answers_resource_exhausted_with_retry_info(held_spool):
    metrics = Registry()
    pipeline = Pipeline(Pricer(), held_spool, Deduper(), metrics)
    receiver = receiver_grpc.OtlpGrpcReceiver(
        pipeline, held_spool, metrics, max_body_bytes=1 << 20, auth_token=None, max_waiting=1
    )
    port = free_port()
    server = receiver_grpc.start(receiver, "127.0.0.1", port)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = trace_service_pb2_grpc.TraceServiceStub(channel)
            results: list = []
            waiting = threading.Thread(
                target=lambda: results.append(stub.Export(request(span(chat())), timeout=30))
            )
            waiting.start()
            while receiver.in_flight == 0:
                threading.Event().wait(0.01)
            with pytest.raises(grpc.RpcError) as busy:
                stub.Export(request(span(chat())), timeout=10)
            held_spool.start()
            waiting.join(30)
    finally:
        server.stop(0)
    assert len(results) == 1
    assert busy.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    trailers = dict(busy.value.trailing_metadata())
    rich = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
    retry = error_details_pb2.RetryInfo()
    assert rich.details[0].Unpack(retry)
    assert retry.retry_delay.seconds == 2


def test_a_resent_request_is_answered_only_once_its_first_copy_is_durable(held_spool):
    # An exporter gives up waiting (its timeout) and resends while the first copy still
    # waits for its fsync. The resend's spans are duplicates, so it used to be answered at
    # once: acknowledged before anything was on disk, lost if the write then failed or the
    # process died.
    pipeline = Pipeline(Pricer(), held_spool, Deduper(), Registry())
    message = otlp_wire.TraceRequest.FromString(body())
    first = pipeline.accept(message, "http")
    resent = pipeline.accept(message, "http")
    assert not resent.durable.done()
    held_spool.start()
    first.durable.result(timeout=5)
    resent.durable.result(timeout=5)


def test_a_resent_request_fails_with_its_first_copy_then_is_taken(tmp_path):
    spool = Spool(tmp_path / "spool", 1 << 30)
    spool.recover()
    pipeline = Pipeline(Pricer(), spool, Deduper(), Registry())
    message = otlp_wire.TraceRequest.FromString(body())
    first = pipeline.accept(message, "http")
    resent = pipeline.accept(message, "http")
    (tmp_path / "spool").rmdir()  # the write fails: a file where the directory was
    (tmp_path / "spool").write_bytes(b"")
    spool.start()
    with pytest.raises(FileExistsError):
        first.durable.result(timeout=5)
    with pytest.raises(FileExistsError):  # so the sender is told to retry, not "stored"
        resent.durable.result(timeout=5)
    (tmp_path / "spool").unlink()
    (tmp_path / "spool").mkdir()
    again = pipeline.accept(message, "http")  # its retry is taken, not a duplicate
    again.durable.result(timeout=5)
    spool.close()
    again_spool = Spool(tmp_path / "spool", 1 << 30)
    assert [len(again_spool.load(segment)[0]) for segment in again_spool.recover()] == [1]


def test_an_answer_cancelled_while_waiting_for_its_fsync_stops_nothing(held_spool):
    # uvicorn cancels the requests still waiting when its graceful shut-down times out;
    # asyncio.wrap_future passes the cancellation on to the future it waits on. That used to
    # be the spool's own: its writer thread then died setting the result (InvalidStateError)
    # and no later request was ever answered.
    pipeline = Pipeline(Pricer(), held_spool, Deduper(), Registry())
    message = otlp_wire.TraceRequest.FromString(body())

    async def cancelled_while_waiting() -> None:
        waiting = asyncio.ensure_future(
            asyncio.wrap_future(pipeline.accept(message, "http").durable)
        )
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting

    asyncio.run(cancelled_while_waiting())
    held_spool.start()
    pipeline.accept(message, "http").durable.result(timeout=5)  # a resend: waits, then taken
    other = otlp_wire.TraceRequest.FromString(body())
    pipeline.accept(other, "http").durable.result(timeout=5)
