"""The shape of one provider API: what its request and response bodies say about a call.

Each API module (`openai_api`, `anthropic_api`, `gemini_api`, `cohere_api`, `ollama_api`)
subclasses `Api`. The body parsers hand every decoded JSON document (a whole body, or one SSE
event or NDJSON line) to `observe`; `sse_marker` lets the stream parsers skip, without decoding,
the events that cannot carry id, model, finish reason or usage, which is most of a stream.
"""

from __future__ import annotations

import re
from typing import Any

from .headers import Entries
from .request_body import RequestFields
from .usage import USAGE_DEFERRED, USAGE_MISSING, Observed, Usage


class Api:
    operation: str
    """`gen_ai.operation.name` of calls to this API."""

    sse_marker: re.Pattern[bytes] = re.compile(rb"(?!)")
    """Matches the raw SSE events (or NDJSON lines) worth decoding; the first is always decoded."""

    family: str
    """The wire format's owner (`openai`, `anthropic`, `gemini`, `cohere`, `ollama`): a gateway
    serving several formats on one base URL is told apart by it (see `providers.provider_for`)."""

    reads_request_body = True
    """False when `request_model` and `request_stream` need only the path, so routing skips
    scanning the request body."""

    lists_calls = False
    """True for a batch's results (`batch_api`): one call per request listed in the body."""

    body_marker: bytes | None = None
    """A key the request body must hold for a POST on this API's path to be a call: a path as
    generic as llama.cpp's `/completion` or TGI's `/generate` is other apps' too."""

    counts_request = False
    """True when the request body itself says what a call is billed for (`request_usage`)."""

    def request_usage(self, body: bytes) -> Usage | None:
        """What the request body bills, used when the response reports no usage (tts-1's
        characters); called only when `counts_request`."""
        return None

    reads_request_options = False
    """True when a request option changes what the answer bills (`request_options`)."""

    def request_options(self, body: bytes, seen: Observed) -> None:
        """Records in `seen`, before the answer, what the request's options change in its
        bill (Anthropic's code execution, free beside web search); only when
        `reads_request_options`."""

    tiers_by_request = False
    """True when the request's options select the rate it is billed at, and its answer does
    not say them (DALL·E's size and quality: `request_tier`)."""

    def request_tier(self, request: Any) -> str | None:
        """The price tier the request's options select, recorded as the call's service tier
        unless the answer names one; called only when `tiers_by_request`."""
        return None

    def request_model(self, fields: RequestFields, path: str) -> str | None:
        return fields.model

    def request_stream(self, fields: RequestFields, path: str) -> bool:
        return fields.stream

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        """Records what one decoded body or SSE event says about the call."""
        raise NotImplementedError

    def observe_headers(self, found: Entries, seen: Observed) -> None:
        """Records what a successful response's headers say, before its body is parsed;
        called only when one of `NOTED_HEADERS` is there (`LLMCall.on_response`)."""

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        """The provider's usage object, normalised; None when it lacks the input count."""
        raise NotImplementedError

    def without_usage(self, seen: Observed, status: int) -> str | None:
        """The flag of an answer with status `status` that gave no final usage (called only
        then): `USAGE_MISSING` for a successful one (a 3xx is not the call: the client sends
        it again where it is redirected; an error used nothing), `USAGE_DEFERRED` when the
        answer says the usage comes later, or None."""
        return USAGE_MISSING if status < 300 else None


class Deferred(Api):
    """An API whose answers only ever carry the usage of a call made earlier (a background
    response's retrieve, a batch's results): without usage, an answer is never a call."""

    def without_usage(self, seen: Observed, status: int) -> str | None:
        return USAGE_DEFERRED
