"""OTLP/HTTP receiver: ``POST /v1/traces``, answered exactly as the OTLP spec says.

In order: 401 without the bearer token; 415 for a content type other than
``application/x-protobuf`` or ``application/json`` or a content encoding other than gzip,
deflate or none; 503 with ``Retry-After`` while the spool is full (ClickHouse away too
long); 429 with ``Retry-After`` when too many requests already wait for their fsync; 413
for a body over ``--max-body-bytes`` before or after decompression, or holding more spans
than ``--max-spans-per-request``; 400 for a body that does not decode. Otherwise 200 once
the rows are durable, with ``partial_success`` counting the spans refused and why. Every
answer is encoded like the request.

Decompressing, decoding, extracting and pricing run on a worker thread, never on the
event loop: a 2 KB gzip body can inflate to a million spans, seconds of work during which
``/healthz`` and every other request must still be answered.
"""

from __future__ import annotations

import asyncio
import time

from starlette.requests import Request
from starlette.responses import Response

from tokentrace.processor.api.routing import BodyTooLarge, bearer_ok, read_body
from tokentrace.processor.metrics import Registry
from tokentrace.processor.pipeline import (
    BUSY_RETRY_AFTER,
    SPOOL_FULL_RETRY_AFTER,
    Accepted,
    Pipeline,
)
from tokentrace.processor.receivers import otlp_codec
from tokentrace.processor.receivers.refusal_log import RefusalLog
from tokentrace.processor.store.spool import Spool, SpoolFull


class OtlpHttpReceiver:
    def __init__(
        self,
        pipeline: Pipeline,
        spool: Spool,
        metrics: Registry,
        *,
        max_body_bytes: int,
        auth_token: str | None,
        max_spans: int = otlp_codec.DEFAULT_MAX_SPANS,
        max_waiting: int = 256,
    ) -> None:
        self._pipeline = pipeline
        self._spool = spool
        self._metrics = metrics
        self._max_body_bytes = max_body_bytes
        self._max_spans = max_spans
        self._auth_token = auth_token
        self._max_waiting = max_waiting
        self._waiting = 0
        self._refusals = RefusalLog()

    @property
    def in_flight(self) -> int:
        """Requests waiting for their rows to be durable."""
        return self._waiting

    async def traces(self, request: Request) -> Response:
        started = time.perf_counter()
        response = await self._traces(request)
        self._metrics.request_seconds.observe(time.perf_counter() - started)
        self._metrics.requests.inc(transport="http", code=str(response.status_code))
        return response

    async def _traces(self, request: Request) -> Response:
        content_type = otlp_codec.media_type(request.headers.get("content-type"))
        answer_type = (
            content_type if content_type in otlp_codec.CONTENT_TYPES else otlp_codec.PROTOBUF
        )
        if not bearer_ok(request.headers.get("authorization"), self._auth_token):
            return _failure(
                401, "missing or wrong bearer token", answer_type, {"www-authenticate": "Bearer"}
            )
        if content_type not in otlp_codec.CONTENT_TYPES:
            return _failure(
                415,
                f"unsupported Content-Type {content_type or '(none)'!r}: "
                f"use {otlp_codec.PROTOBUF} or {otlp_codec.JSON}",
                answer_type,
            )
        encoding = request.headers.get("content-encoding")
        if (encoding or "").strip().lower() not in otlp_codec.CONTENT_ENCODINGS:
            return _failure(
                415, f"unsupported Content-Encoding {encoding!r}: use gzip or deflate", answer_type
            )
        if not self._spool.has_room():
            return _throttled(503, "the spool is full: ClickHouse is behind", answer_type)
        if self._waiting >= self._max_waiting:
            return _throttled(429, "too many requests in flight", answer_type)
        try:
            body = await read_body(request, self._max_body_bytes)
            accepted = await asyncio.to_thread(self._take, body, encoding, content_type)
        except BodyTooLarge:
            declared = request.headers.get("content-length", "")
            what = f"a request body of {declared} bytes" if declared.isdigit() else "the body"
            return self._too_large(
                otlp_codec.body_too_large(what, self._max_body_bytes), answer_type
            )
        except otlp_codec.TooLarge as exc:
            return self._too_large(exc, answer_type)
        except otlp_codec.BodyError as exc:
            return _failure(exc.status, str(exc), answer_type)
        except SpoolFull as exc:
            return _throttled(503, str(exc), answer_type)
        self._waiting += 1
        try:
            await asyncio.wrap_future(accepted.durable)
        except Exception as exc:
            return _throttled(503, f"could not store the spans: {exc}", answer_type)
        finally:
            self._waiting -= 1
        body = otlp_codec.success(answer_type, accepted.rejected, accepted.message)
        return Response(body, 200, media_type=answer_type)

    def _too_large(self, refusal: otlp_codec.TooLarge, content_type: str) -> Response:
        """413, never retried by exporters: the same batch would never fit."""
        self._refusals.refused("HTTP", str(refusal))
        return _failure(413, str(refusal), content_type)

    def _take(self, body: bytes, encoding: str | None, content_type: str) -> Accepted:
        """Decode and hand to the pipeline; on a worker thread (see the module docstring).
        Spans that did not decode are refused in the answer beside the pipeline's."""
        decoded = otlp_codec.decode(
            otlp_codec.decompress(body, encoding, self._max_body_bytes),
            content_type,
            self._max_spans,
        )
        accepted = self._pipeline.accept(decoded.request, "http")
        if not decoded.rejected:
            return accepted
        self._metrics.spans_rejected.inc(decoded.rejected, reason="undecodable")
        message = "; ".join(filter(None, (decoded.message, accepted.message)))
        return Accepted(accepted.rejected + decoded.rejected, message, accepted.durable)


def _failure(
    status: int, message: str, content_type: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        otlp_codec.failure(status, message, content_type), status, headers, content_type
    )


def _throttled(status: int, message: str, content_type: str) -> Response:
    retry_after = SPOOL_FULL_RETRY_AFTER if status == 503 else BUSY_RETRY_AFTER
    body = otlp_codec.failure(status, message, content_type, retry_after)
    return Response(body, status, {"retry-after": str(retry_after)}, content_type)
