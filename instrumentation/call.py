"""One LLM API call: its span, from the request being sent to the response body being done.

The span starts before the request is sent and ends when the body has been read to the end,
closed, failed, or garbage-collected unread: never at the headers. Everything here that could
raise is guarded by the caller or here, so a bug of ours costs telemetry, never the call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from opentelemetry import baggage, trace
from opentelemetry.context import Context, create_key, get_current, set_value
from opentelemetry.trace import Status, StatusCode, Tracer

from . import failures, unmetered
from .api_keys import request_fingerprint
from .bedrock_api import HEADERS as BEDROCK_HEADERS
from .bodies import NOT_PARSED, JsonParser, NdjsonParser, SseParser
from .budget_guard import Exceeded
from .decoding import Decoder, UnsupportedEncoding, decoder_factory
from .endpoints import attribute, current_endpoint
from .eventstream import EventStreamParser
from .headers import Entries, entries
from .not_sent import NOT_SENT, attempt_may_have_run, not_sent
from .provider_cost import COST_HEADER_NAMES, PROVIDER_COST, from_headers
from .providers import AZURE_AI_INFERENCE
from .request_body import content
from .routing import USAGE_ON_REQUEST, Route
from .span_attributes import set_attributes, start_span
from .tags import strip_baggage, tags_of
from .tgi_api import NOTED_HEADERS as TGI_HEADERS
from .usage import (
    INFERENCE_GEO,
    SERVICE_TIER,
    STANDARD_TIERS,
    USAGE_MISSING,
    Observed,
    Usage,
    partial,
)

API_KEY = "tokentrace.api_key"
"""The fingerprint of the call's credential (`api_keys`), never the key."""
ENDPOINT = "tokentrace.endpoint"
"""The application route or worker task that made the call (`endpoints`)."""
BUDGET_BLOCKED = "tokentrace.budget.blocked"
BUDGET_SCOPE = "tokentrace.budget.scope"
DUPLICATE_OF = "tokentrace.duplicate_of"
"""Set when the parent span is itself a GenAI span of the same call (the Anthropic SDK's own
tracing): the hex span id of that parent, so the processor counts the pair once."""
IN_CALL = create_key("tokentrace-llm-call")
"""Set in a call's `inner_context`: an HTTP library that another sends through (LiteLLM's and
httpx-aiohttp's httpx transports over aiohttp) is the same call, never a second one. Its value
is the call's list of earlier attempts (`LLMCall._earlier`), which a retry inside the call
extends (`urllib3_send.retried`)."""


def _private_keys() -> tuple[Any, Any]:
    """OpenTelemetry's (private) context keys of the baggage and of the current span, or
    (None, None) should a later OpenTelemetry rename them. A call reads its context's baggage
    and makes its `inner_context` (our span current, `IN_CALL` set) on the context's dict with
    them, inline in `LLMCall.start`: the public route (`baggage.get_all`'s read-only view, then
    two `set_value` calls that each copy the context) cost about 4.5 k instructions per call
    under callgrind (`bench/instrumentation_instructions.py`), this about 1 k. Without them the
    public functions are used: slower, never wrong."""
    try:
        from opentelemetry.baggage import _BAGGAGE_KEY as bag_key
        from opentelemetry.trace.propagation import _SPAN_KEY as span_key
    except ImportError:
        return None, None
    return bag_key, span_key


_BAG_KEY, _SPAN_KEY = _private_keys()

_HTTPX_DECODERS = {
    "gzip": "GZipDecoder",
    "x-gzip": "GZipDecoder",
    "deflate": "DeflateDecoder",
    "br": "BrotliDecoder",
}
"""The httpx/httpx2 content decoders that give the application the very bytes `decoding`'s
decoders give us, by `content-encoding`. (zstd is left to our own decoder: httpx decodes it
with the `zstandard` module, not ours, so the same bytes are not taken on trust.)"""

AZURE_REGION = b"x-ms-region"
"""Azure OpenAI's response header (with `apim-request-id`, `azureml-model-session`): a call
named by its model's owner (`Route.by_model`) answered with it went to an Azure resource, e.g.
its v1 API (`OpenAI(base_url="https://custom.domain/openai/v1/")` with an Entra ID bearer
token) behind a custom domain, whose path is Groq's too and whose request names only the
model: it is Azure's (`azure_served`), priced at Azure's list. A provider the URL names
(`TOKENTRACE_PROVIDER_URLS`, a known host) is kept: explicit configuration wins. Read only on
a response with a noted header."""
NOTED_HEADER_NAMES = (
    COST_HEADER_NAMES | frozenset(BEDROCK_HEADERS) | frozenset(TGI_HEADERS) | {AZURE_REGION}
)
"""Response headers read beyond the content's: a provider's cost (`provider_cost`),
Bedrock's token counts and tier (`bedrock_api`) and TGI's counts (`tgi_api`). One set, so
the headers of a call that has none of them cost one lookup each, as before."""

_GENAI_OPERATIONS = frozenset(
    {
        "chat", "text_completion", "embeddings", "generate_content",
        # OpenAI's image and audio APIs: ours (`openai_media_api`), and OpenLIT's names for the
        # spans it wraps around the SDK's methods.
        "image_generation", "transcription", "speech",
        "image", "audio", "speech_to_text", "text_to_speech", "translate",
    }
)  # fmt: skip

RAW_BATCH_BYTES = 64 * 1024
"""Raw body bytes held back before they are decoded and parsed together. A streamed chunk is
usually one small event: decompressing and scanning chunks one by one costs about three times
what one pass over the joined batch does, and nothing needs the parse before the span ends.
(The one difference: in a body whose compression is corrupt, the events of the batch before
the corruption are not read either; the application cannot read that body at all.)"""


class LLMCall:
    def __init__(
        self, span: trace.Span, route: Route, inner_context: Context, attributes: dict[str, Any]
    ) -> None:
        self.span = span
        self.route = route
        self.attributes = attributes
        """The span's start attributes: the dimensions the budget guard matches."""
        self.inner_context = inner_context
        """The context to send the request in: our span current, `IN_CALL` set, baggage
        emptied so that no propagator (ours, the SDK's, the httpx instrumentation's) sends
        tags to the provider."""
        self._started = time.perf_counter()
        self._streaming = route.stream
        self._seen = Observed()
        self._held: list[bytes] = []
        """Body bytes not parsed yet: raw chunks, or (`_decoded`) httpx's decoded pieces."""

    # The state every call starts with, as class attributes: an assignment in `__init__` costs
    # about 150 instructions, and most of these never change in a call.
    _first_chunk_at: float | None = None
    _status_code: int | None = None
    _make_decoder: Callable[[], Decoder] | None = None
    """Makes the decoder of the body's `content-encoding` (None: identity), when needed."""
    _decode: Decoder | None = None
    _encoding = ""
    _parser: SseParser | NdjsonParser | EventStreamParser | JsonParser | None = None
    _held_size = 0
    """The raw bytes behind `_held`, against `RAW_BATCH_BYTES`."""
    _decoded = False
    """The body is read as httpx decodes it for the application (`streams.DecodedTee`)."""
    _held_parsed = False
    _header_cost: str | None = None
    _ended = False
    _handover: tuple[bytes, Any] | None = None
    """The whole JSON body and its document, for the application's `Response.json()`
    (`json_handover`): until it is asked for once."""
    _request_usage: Usage | None = None
    """What the request body bills (`Api.request_usage`), for a response without usage."""
    _earlier: list[Any]
    """The earlier attempts of this call its HTTP library retried (urllib3's `RequestHistory`
    entries, each with its `error` and `status`), as the library reports them through the
    call's context (`IN_CALL`'s value; `urllib3_send.retried`). One that may have reached the
    provider makes an error that ends the last attempt before it was sent no known $0. A list
    of its own, not the call: a context holding the call would make a reference cycle, each
    call then freed by the cyclic collector (+8 k instructions per call under callgrind)."""

    @classmethod
    def start(
        cls, tracer: Tracer, route: Route, request: Any, ctx: Context | None = None
    ) -> LLMCall:
        """Starts the span of a call about to be sent in `ctx` (default: the current context)."""
        if ctx is None:
            ctx = get_current()
        if _BAG_KEY is not None:
            bag = ctx.get(_BAG_KEY)
            if not isinstance(bag, dict):
                bag = None
        else:
            bag = baggage.get_all(ctx)
        if bag:
            attributes: dict[str, Any] = {**tags_of(bag), **route.attributes}
        else:
            attributes = route.attributes.copy()
        found = entries(request.headers)
        api_key = request_fingerprint(request, found)
        if api_key:
            attributes[API_KEY] = api_key
        parent = ctx.get(_SPAN_KEY) if _SPAN_KEY is not None else trace.get_current_span(ctx)
        if not isinstance(parent, trace.Span):  # as `get_current_span` answers
            parent = trace.INVALID_SPAN
        endpoint = current_endpoint(parent)
        if endpoint:
            attributes[ENDPOINT] = endpoint
        duplicate_of = _genai_parent_span_id(parent)
        if duplicate_of is not None:
            attributes[DUPLICATE_OF] = duplicate_of
        span = start_span(tracer, route.span_name, ctx, attributes)
        strip_baggage(request.headers, found)
        if bag:
            ctx = baggage.clear(ctx)
        earlier: list[Any] = []
        if _SPAN_KEY is not None:
            values = ctx.copy()
            values[_SPAN_KEY] = span
            values[IN_CALL] = earlier
            inner = Context(values)
        else:
            inner = set_value(IN_CALL, earlier, trace.set_span_in_context(span, ctx))
        call = cls(span, route, inner, attributes)
        call._earlier = earlier
        if route.api.counts_request:
            call._request_usage = route.api.request_usage(content(request))
        if route.api.tiers_by_request:
            call._seen.service_tier = route.api.request_tier(request)
        if route.api.reads_request_options:
            route.api.request_options(content(request), call._seen)
        return call

    def block(self, budget: Exceeded) -> None:
        """Ends the span of a call the budget guard answered locally: cost 0, never sent."""
        self._ended = True
        self.span.set_attributes(
            {
                BUDGET_BLOCKED: True,
                BUDGET_SCOPE: budget.scope,
                "http.response.status_code": 429,
                "error.type": "budget_blocked",
                "gen_ai.usage.input_tokens": 0,
                "gen_ai.usage.output_tokens": 0,
            }
        )
        self.span.set_status(Status(StatusCode.ERROR, budget.describe()))
        self.span.end()

    def on_response(self, response: Any) -> None:
        """Reads the headers: status, and how to parse the body that follows.

        `content-type` and `content-encoding` are read as `headers.get` gives them (repeated
        headers joined with ", "), with whether one of `NOTED_HEADER_NAMES` is there (a
        provider's cost, Bedrock's counts: then read), in one pass over the headers' entries
        (each `get` decodes every header), inline: a function of its own cost a Python frame
        and its code's cache lines per call."""
        self._status_code = response.status_code
        headers = response.headers
        found = entries(headers)
        type_raw = encoding_raw = None
        noted = False
        for _, name, value in found:
            if name == b"content-type":
                type_raw = value if type_raw is None else type_raw + b", " + value
            elif name == b"content-encoding":
                encoding_raw = value if encoding_raw is None else encoding_raw + b", " + value
            elif name in NOTED_HEADER_NAMES:
                noted = True
        content_type = "" if type_raw is None else type_raw.decode("latin-1")
        content_encoding = "" if encoding_raw is None else encoding_raw.decode("latin-1")
        if noted and self.route.by_model and _azure_answered(found):
            self._seen.served_by = azure_served(self.route.provider)
        try:
            self._make_decoder = decoder_factory(content_encoding)
        except UnsupportedEncoding:
            return
        self._encoding = content_encoding
        if "text/event-stream" in content_type:
            self._streaming = True
            self._parser = SseParser(self.route.api.sse_marker, self._observe)
        elif "ndjson" in content_type or "stream+json" in content_type:
            # `application/x-ndjson`: Ollama's native streams; `application/stream+json`:
            # Cohere's v1 chat stream
            self._streaming = True
            self._parser = NdjsonParser(self.route.api.sse_marker, self._observe)
        elif "json" in content_type:
            self._parser = JsonParser(self._observe)
            if noted and response.status_code < 400:
                self._header_cost = from_headers(headers, found)
                self.route.api.observe_headers(found, self._seen)
        elif "amazon.eventstream" in content_type:  # Bedrock's streams; last: rarer than JSON
            self._streaming = True
            self._parser = EventStreamParser(self.route.api.sse_marker, self._observe)
            if noted and response.status_code < 400:
                self.route.api.observe_headers(found, self._seen)

    def feed(self, chunk: bytes) -> None:
        """Sees one raw body chunk, as the application receives it; see `RAW_BATCH_BYTES`."""
        if self._first_chunk_at is None:
            self._first_chunk_at = time.perf_counter()
        if self._parser is not None and not self._decoded:
            self._held.append(chunk)
            self._held_size += len(chunk)
            if self._held_size >= RAW_BATCH_BYTES:
                self._parse_held()

    def feed_decoded(self, piece: bytes) -> None:
        """Sees one piece of the body that the HTTP library has undone `content-encoding` for
        as the application reads it (`requests`: urllib3, `requests_tee`), batched as `feed`
        does: the call parses it as is. A body read partly raw and partly decoded (urllib3
        itself cannot decode that) is not parsed further: its usage is reported missing."""
        if self._make_decoder is None:  # identity: raw and decoded are the same bytes
            self.feed(piece)
            return
        if self._first_chunk_at is None:
            self._first_chunk_at = time.perf_counter()
        if self._parser is None:
            return
        if not self._decoded:
            if self._held or self._held_parsed:
                self._parser = None
                self._held = []
                return
            self._decoded = True
        self._held.append(piece)
        self._held_size += len(piece)
        if self._held_size >= RAW_BATCH_BYTES:
            self._parse_held()

    def decoder_name(self) -> str | None:
        """The class name httpx gives the content decoder this call would decode the body with
        itself, when the body is worth reading as httpx decodes it (`streams.DecodedTee`): a
        JSON body, not an SSE stream. Handing over httpx's pieces costs about 5 k instructions
        per raw chunk (under callgrind); a stream's chunks are single small events, which our
        own decoder takes in batches of `RAW_BATCH_BYTES` for less (a 200-event gzip stream:
        9.9 k per event that way, 11.3 k handed over), while a JSON body saves the 33 k of
        decompressing it again."""
        if type(self._parser) is not JsonParser or self._make_decoder is None:
            return None
        return _HTTPX_DECODERS.get(self._encoding.strip().lower())

    def decoding(self, raw: bytes) -> bool:
        """httpx is about to decode `raw` for the application: True when the call takes the
        decoded pieces (`take_decoded`) instead of decoding the raw chunks itself. It does from
        httpx's first decode on, when that is of the raw chunk just seen and nothing was parsed
        yet (the order in which `iter_bytes` reads); a raw-byte reader never decodes, and the
        call then decodes its raw chunks itself, as before."""
        if self._ended or self._parser is None:
            return False
        if self._decoded:
            return True
        held = self._held
        if self._held_parsed or not held or held[-1] is not raw or self._held_size != len(raw):
            return False
        self._decoded = True
        self._held = []
        self._held_size = 0
        return True

    def take_decoded(self, out: bytes | list[bytes], raw_size: int) -> None:
        """What httpx decoded for the application from a raw chunk of `raw_size` bytes (after
        `decoding` said True): one piece (httpx) or a list of them (httpx2); batched as `feed`
        does. (One call per raw chunk: each Python call costs about 1 k instructions.)"""
        if type(out) is bytes:
            self._held.append(out)
        else:
            self._held += out
        self._held_size += raw_size
        if self._held_size >= RAW_BATCH_BYTES:
            self._parse_held()

    def decode_failed(self) -> None:
        """httpx could not decode the body: as when our own decoding of it fails (`_parse_held`),
        the batch held is dropped and nothing more is parsed. Call from an `except` block."""
        if not self._decoded or self._parser is None:
            return
        self._parser = None
        self._held = []
        failures.report("response parsing")

    def _parse_held(self) -> None:
        """Decodes (unless httpx did) and parses the body bytes held back so far."""
        data = b"".join(self._held)
        self._held = []
        self._held_size = 0
        self._held_parsed = True
        try:
            if self._make_decoder is not None and not self._decoded:
                if self._decode is None:
                    self._decode = self._make_decoder()
                data = self._decode(data)
            self._parser.feed(data)  # type: ignore[union-attr]
        except Exception:
            self._parser = None
            failures.report("response parsing")

    def finish(self, error: BaseException | None = None) -> None:
        """Ends the span; later calls (close after a full read, garbage collection) do nothing."""
        if self._ended:
            return
        self._ended = True
        try:
            self._record(error)
            parser = self._parser
            if error is None and type(parser) is JsonParser and parser.document is not NOT_PARSED:
                self._handover = (parser.body, parser.document)
        except Exception:
            failures.report("ending the span")
        finally:
            # The parser holds our bound `_observe`: dropping it breaks the call <-> parser
            # cycle, so the call, its parsed body and its span are freed when the response is,
            # not left to the cyclic garbage collector.
            self._parser = None
            self._held = []
            self.span.end()

    def take_document(self, content: bytes) -> Any:
        """The document parsed from the body, when `content` (the body the application read)
        is the very body parsed; else `NOT_PARSED`. Given once: a second `json()` gets a
        document of its own, as without us."""
        handover = self._handover
        if handover is None:
            return NOT_PARSED
        self._handover = None
        body, document = handover
        return document if body is content or body == content else NOT_PARSED

    def _observe(self, document: Any) -> None:
        self.route.api.observe(document, self._seen, self._streaming)

    def _record(self, error: BaseException | None) -> None:
        """Sets everything learnt since the start at once (`span_attributes.set_attributes`)."""
        if self._held:
            self._parse_held()
        if self._parser is not None:
            try:
                self._parser.finish()
            except ValueError:
                pass  # A body cut short is not JSON: what it lacked is reported missing.
            except Exception:
                failures.report("response parsing")
        seen = self._seen
        status = self._status_code
        found: dict[str, Any] = {}
        error_type = None
        if status is not None:
            found["http.response.status_code"] = status
            if status >= 400:
                error_type = str(status)
        if self._streaming and not self.route.stream:
            # The body said so past `request_body.WINDOW`, or left it to the API's default
            # (Ollama's native API streams unless told `"stream": false`).
            found["gen_ai.request.stream"] = True
        if self._streaming and self._first_chunk_at is not None:
            found["gen_ai.response.time_to_first_chunk"] = self._first_chunk_at - self._started
        if seen.response_id:
            found["gen_ai.response.id"] = seen.response_id
        if seen.response_model:
            found["gen_ai.response.model"] = seen.response_model
        if seen.finish_reasons:
            found["gen_ai.response.finish_reasons"] = seen.finish_reasons
        if seen.service_tier and seen.service_tier not in STANDARD_TIERS:
            found[SERVICE_TIER] = seen.service_tier
        if seen.inference_geo and seen.inference_geo != "global":
            found[INFERENCE_GEO] = seen.inference_geo
        if seen.served_by:
            found["gen_ai.provider.name"] = seen.served_by
            if seen.operation:  # the answer names another API than the path (`tei_api`)
                found["gen_ai.operation.name"] = seen.operation
                self.span.update_name(seen.operation)
        usage = None
        if seen.usage_final and seen.raw_usage is not None:
            usage = self.route.api.usage(seen.raw_usage)
        if usage is None and status is not None and status < 300:
            usage = self._request_usage  # a refused or failed request is not billed
        if usage is not None:
            found.update(usage.attributes())
            if usage.output_tokens is None and partial(
                usage, seen.operation or self.route.api.operation
            ):
                found[USAGE_MISSING] = True
        elif status is not None:
            flag = self.route.api.without_usage(seen, status)
            if flag is not None:
                found[flag] = True
                if flag == USAGE_MISSING:
                    cut = error is not None or seen.error_type is not None
                    _say_no_usage(self.route, self._streaming, cut)
        if self._header_cost is not None and PROVIDER_COST not in found:
            found[PROVIDER_COST] = self._header_cost  # the body's own figure comes first
        if isinstance(error, Exception):
            error_type = type(error).__qualname__
            if (
                status is None
                and not_sent(error)
                and not any(attempt_may_have_run(a.error, a.status) for a in self._earlier)
            ):
                found[NOT_SENT] = True  # never reached the provider: a known $0
        elif error_type is None and status is not None:
            error_type = seen.error_type
        if error_type is not None:
            found["error.type"] = error_type
            self.span.set_status(Status(StatusCode.ERROR))
        set_attributes(self.span, found)


_ASK_FOR_USAGE = (
    ". OpenAI-shaped streams report usage only when asked: pass "
    'stream_options={"include_usage": true}, or set TOKENTRACE_STREAM_USAGE=inject'
)
_CUT_SHORT = (
    ": the answer ended early (an error in the stream, or the connection broken) before the "
    "usage came; nothing to configure"
)


def _say_no_usage(route: Route, streamed: bool, cut: bool) -> None:
    """Says once per server, API and cause that a successful call ended without the
    provider's usage, so its cost is stored unknown: with the one remedy that needs no code
    change when it is an OpenAI-shaped stream (the openai SDK's default asks for none) that
    did not ask (`usage_injected`: it did). An answer cut short (`cut`: it ended with an
    error, raised or in the stream) lost its usage whatever was asked: that remedy would
    mislead, so it is said apart.
    Runs only for a call without usage, never on a request's path."""
    hint = ""
    if cut:
        hint = _CUT_SHORT
    elif streamed and route.api in USAGE_ON_REQUEST and not route.usage_injected:
        hint = _ASK_FOR_USAGE
    unmetered.say_once(
        ("no usage", route.server_address, route.server_port, route.api, cut),
        "%s calls to %s:%d%s ended without the provider's usage: metered with their cost "
        "unknown (tokentrace.usage.missing)%s",
        route.api.operation,
        route.server_address,
        route.server_port,
        " (streamed)" if streamed else "",
        hint,
    )


def azure_served(owner: str) -> str:
    """Who served a call named by its model's owner that Azure answered: OpenAI's models are
    Azure OpenAI's (`azure.ai.openai`), every other vendor's (DeepSeek, Meta's Llama,
    Mistral, xAI… on the same v1 API: Foundry Models sold by Azure) Foundry's model inference
    (`azure.ai.inference`), priced at Azure's list, not the owner's."""
    return "azure.ai.openai" if owner == "openai" else AZURE_AI_INFERENCE


def _azure_answered(found: Entries) -> bool:
    """Whether the response carries Azure OpenAI's `x-ms-region` (`AZURE_REGION`)."""
    return any(name == AZURE_REGION for _, name, _ in found)


def _genai_parent_span_id(parent: trace.Span) -> str | None:
    """The hex id of the current span when it is a GenAI span describing this same call."""
    if not parent.is_recording():
        return None
    if attribute(parent, "gen_ai.operation.name") not in _GENAI_OPERATIONS:
        return None
    return format(parent.get_span_context().span_id, "016x")
