"""OTLP/gRPC receiver: ``opentelemetry.proto.collector.trace.v1.TraceService/Export``.

Answers per the OTLP spec: ``UNAUTHENTICATED`` without the bearer token (metadata
``authorization: Bearer <token>``); ``INVALID_ARGUMENT`` for undecodable data;
``RESOURCE_EXHAUSTED`` without ``RetryInfo`` (not retried) for more spans than
``--max-spans-per-request``; ``UNAVAILABLE`` with ``RetryInfo`` while the spool is full
and ``RESOURCE_EXHAUSTED`` with ``RetryInfo`` while too many requests wait for their
fsync, both retried by exporters after the delay given; otherwise the response once the
rows are durable, with ``partial_success`` counting refused spans. ``RetryInfo`` travels both inside
``grpc-status-details-bin`` (the standard rich status) and as
``google.rpc.retryinfo-bin``, the key the Python exporter reads.

The request is handed over as raw bytes and parsed with the extractor's lean schema
(``otlp_wire``), skipping the full OTLP classes.
"""

from __future__ import annotations

import threading
import time
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from tokentrace.processor.api.routing import bearer_ok
from tokentrace.processor.metrics import Registry
from tokentrace.processor.pipeline import BUSY_RETRY_AFTER, SPOOL_FULL_RETRY_AFTER, Pipeline
from tokentrace.processor.receivers import otlp_codec
from tokentrace.processor.receivers.refusal_log import RefusalLog
from tokentrace.processor.store.spool import Spool, SpoolFull

SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"
DURABLE_TIMEOUT_SECONDS = 30
CORE_LIMIT_FACTOR = 4  # gRPC's own message limit, in receiver limits (see start())


class _Status(namedtuple("_Status", ("code", "details", "trailing_metadata")), grpc.Status):
    """A ``grpc.Status`` carrying a rich ``google.rpc.Status`` in its trailers."""


class OtlpGrpcReceiver:
    def __init__(
        self,
        pipeline: Pipeline,
        spool: Spool,
        metrics: Registry,
        *,
        max_body_bytes: int,
        auth_token: str | None,
        max_spans: int = otlp_codec.DEFAULT_MAX_SPANS,
        max_waiting: int = 64,
    ) -> None:
        self.max_body_bytes = max_body_bytes
        self._refusals = RefusalLog()
        self._pipeline = pipeline
        self._max_spans = max_spans
        self._spool = spool
        self._metrics = metrics
        self._auth_token = auth_token
        self._max_waiting = max_waiting
        self._waiting = 0
        self._lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        """Requests waiting for their rows to be durable."""
        return self._waiting

    def handler(self) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(
            SERVICE,
            {
                "Export": grpc.unary_unary_rpc_method_handler(
                    self.export,
                    request_deserializer=None,  # raw bytes: parsed with otlp_wire
                    response_serializer=ExportTraceServiceResponse.SerializeToString,
                )
            },
        )

    def export(self, body: bytes, context: grpc.ServicerContext) -> ExportTraceServiceResponse:
        started = time.perf_counter()
        code = "OK"
        try:
            return self._export(body, context)
        except _Abort as abort:
            code = abort.status.code.name
            context.abort_with_status(abort.status)
            raise  # not reached: abort_with_status raises itself
        finally:
            self._metrics.request_seconds.observe(time.perf_counter() - started)
            self._metrics.requests.inc(transport="grpc", code=code)

    def _export(self, body: bytes, context: grpc.ServicerContext) -> ExportTraceServiceResponse:
        metadata = {key.lower(): value for key, value in context.invocation_metadata()}
        if not bearer_ok(metadata.get("authorization"), self._auth_token):
            raise _Abort(grpc.StatusCode.UNAUTHENTICATED, 401, "missing or wrong bearer token")
        if not self._spool.has_room():
            raise _Abort.unavailable("the spool is full: ClickHouse is behind")
        try:
            if len(body) > self.max_body_bytes:
                what = f"a request of {len(body)} bytes"
                raise otlp_codec.body_too_large(what, self.max_body_bytes)
            decoded = otlp_codec.decode_protobuf(body, self._max_spans)
        except otlp_codec.TooLarge as exc:  # no RetryInfo: the same batch never fits
            self._refusals.refused("gRPC", str(exc))
            raise _Abort(grpc.StatusCode.RESOURCE_EXHAUSTED, 413, str(exc)) from None
        except otlp_codec.BodyError as exc:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, 400, str(exc)) from None
        with self._lock:
            if self._waiting >= self._max_waiting:
                raise _Abort(
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    429,
                    "too many requests in flight",
                    BUSY_RETRY_AFTER,
                )
            self._waiting += 1
        try:
            accepted = self._pipeline.accept(decoded, "grpc")
            accepted.durable.result(timeout=DURABLE_TIMEOUT_SECONDS)
        except SpoolFull as exc:
            raise _Abort.unavailable(str(exc)) from None
        except Exception as exc:
            raise _Abort.unavailable(f"could not store the spans: {exc}") from None
        finally:
            with self._lock:
                self._waiting -= 1
        response = ExportTraceServiceResponse()
        if accepted.rejected:
            response.partial_success.rejected_spans = accepted.rejected
            response.partial_success.error_message = accepted.message
        return response


class _Abort(Exception):
    def __init__(
        self,
        code: grpc.StatusCode,
        http_equivalent: int,
        message: str,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        rich = otlp_codec.status_message(http_equivalent, message, retry_after)
        trailers: list[tuple[str, bytes]] = [("grpc-status-details-bin", rich.SerializeToString())]
        if retry_after is not None:
            info = otlp_codec.retry_info(retry_after).SerializeToString()
            trailers.append(("google.rpc.retryinfo-bin", info))
        self.status = _Status(code, message, tuple(trailers))

    @classmethod
    def unavailable(cls, message: str) -> _Abort:
        return cls(grpc.StatusCode.UNAVAILABLE, 503, message, SPOOL_FULL_RETRY_AFTER)


def start(receiver: OtlpGrpcReceiver, host: str, port: int, *, workers: int = 8) -> Any:
    """A running gRPC server for ``receiver`` on ``host:port``.

    gRPC's own limit on a message is ``CORE_LIMIT_FACTOR`` times the receiver's: a message over
    the receiver's limit reaches it, to be refused with a status that says what to do and
    logged. Over gRPC's limit, gRPC refuses it itself (RESOURCE_EXHAUSTED "Received message
    larger than max") before any code of serve's runs: that bound keeps a sender from making
    serve buffer messages of any size.
    """
    server = grpc.server(
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tokentrace-grpc"),
        handlers=[receiver.handler()],
        options=[
            ("grpc.max_receive_message_length", CORE_LIMIT_FACTOR * receiver.max_body_bytes),
            ("grpc.max_send_message_length", 4 * 1024 * 1024),
            # gRPC shares a port with any process that listens on it (SO_REUSEPORT): a second
            # serve would take half the spans of the first into its own store. Fail instead.
            ("grpc.so_reuseport", 0),
        ],
    )
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        bound = server.add_insecure_port(address)
    except RuntimeError:
        bound = 0
    if bound == 0:
        raise OSError(
            f"OTLP/gRPC port {address} unavailable (in use?): stop what holds it, or choose "
            "another with --grpc-port PORT (0 turns it off)"
        )
    server.start()
    return server
