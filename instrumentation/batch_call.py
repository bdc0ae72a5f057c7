"""A batch's results download (`batch_api`): its span is no call (`usage.deferred`); each
billed request it lists gets a span of its own, a child of the download's, emitted when the
download ends with the request's usage, at the batch rate, keyed `{batch}/{custom_id}` so
that a file downloaded twice is counted once. A download read only in part lists the
requests read so far; reading it again later meters the rest.
"""

from __future__ import annotations

import time
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Tracer

from .batch_api import BatchResult
from .bodies import JsonParser, NdjsonParser
from .call import DUPLICATE_OF, LLMCall
from .decoding import UnsupportedEncoding, decoder_factory
from .routing import Route


class BatchDownload(LLMCall):
    _tracer: Tracer
    _batch = ""
    _results: list[BatchResult]

    @classmethod
    def start(
        cls, tracer: Tracer, route: Route, request: Any, ctx: Context | None = None
    ) -> LLMCall:
        call = super().start(tracer, route, request, ctx)
        call._tracer = tracer  # type: ignore[attr-defined]
        call._results = []  # type: ignore[attr-defined]
        call._batch = route.api.batch_id(request.url.path)  # type: ignore[attr-defined]
        return call

    def on_response(self, response: Any) -> None:
        """A successful answer is read as JSON lines (or one JSON document: `lines`), whatever
        its content type says (OpenAI sends an output file as `application/octet-stream`,
        Anthropic its results as `application/x-jsonl`, or, for a while, with none)."""
        self._status_code = response.status_code
        if response.status_code >= 300:
            return
        encoding = response.headers.get("content-encoding", "")
        try:
            self._make_decoder = decoder_factory(encoding)
        except UnsupportedEncoding:
            return
        self._encoding = encoding
        if self.route.api.lines:  # type: ignore[attr-defined]
            self._parser = NdjsonParser(self.route.api.sse_marker, self._observe)
        else:
            self._parser = _WholeJson(self._observe)

    def _observe(self, document: Any) -> None:
        self._results += self.route.api.results(document, self._batch)  # type: ignore[attr-defined]

    def _record(self, error: BaseException | None) -> None:
        LLMCall._record(self, error)
        context = trace.set_span_in_context(self.span)
        shared = {key: value for key, value in self.attributes.items() if key != DUPLICATE_OF}
        now = time.time_ns()
        for result in self._results:
            start = result.created_ns or now
            span = self._tracer.start_span(
                result.name,
                context=context,
                kind=SpanKind.CLIENT,
                attributes={**shared, **result.attributes},
                start_time=start,
            )
            span.end(end_time=start)
        self._results = []


class _WholeJson(JsonParser):
    """A JSON document parsed whole however long (`JsonParser` keeps only the tail of a body
    past `JSON_LIMIT`, where a call's usage sits; a batch lists its calls all along)."""

    def feed(self, data: bytes) -> None:
        self._parts.append(data)
