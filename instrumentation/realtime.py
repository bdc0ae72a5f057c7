"""The OpenAI Realtime API over WebSockets: one GenAI `CLIENT` span per `response.done` event.

A Realtime session is one WebSocket (`wss://api.openai.com/v1/realtime?model=gpt-realtime`,
Azure's `/openai/realtime` and `/openai/v1/realtime`), opened with the `websockets` library
by the openai SDK (`client.realtime.connect(...)`) and by apps themselves. Its calls are not
HTTP requests, so no HTTP hook sees them: each response the model makes is billed by the
usage of its `response.done` server event, text, audio and image tokens apart
(https://platform.openai.com/docs/api-reference/realtime-server-events/response/done). So
`websockets`' client connections (sync and asyncio) are wrapped at `recv`, which the openai
SDK's `recv`/`recv_bytes` and the connections' own iterators call, and at `recv_streaming`
(a message read fragment by fragment, observed once whole).

A connection is looked at once, at its first message: only one whose handshake path ends in
`/realtime` is read further. On it, a message is parsed only when its first `_TYPE_WINDOW`
bytes name `response.done`, `response.created` (the span's start) or a session event (the
model, when the URL names none): the server writes `"type"` first, and audio deltas, most of
the traffic, are never decoded. The provider is routed as an HTTP call's would be
(`providers.provider_for`: a known host, `TOKENTRACE_PROVIDER_URLS`, else the model's owner).

Azure OpenAI's handshake names a deployment (`/openai/realtime?api-version=…&deployment=NAME`,
as `AzureOpenAI.realtime.connect(model=NAME)` builds it), which is any name its owner chose:
the span's request model, as an HTTP call's deployment path is (`openai_api.
model_or_deployment`), and Azure's on any host (behind API Management too), never routed by
the name's owner. The model the session reports (`session.created`'s `session.model`) is the
response model, which prices the call when it names one (`pricing.names.call_models`); a
deployment answered with its own name stays unpriced, never priced as another model.
"""

from __future__ import annotations

import importlib
import json
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from opentelemetry import baggage
from opentelemetry.context import get_current
from opentelemetry.trace import SpanKind, Tracer

from . import failures, unmetered
from .config import Settings
from .openai_api import AUDIO_INPUT_TOKENS, AUDIO_OUTPUT_TOKENS, IMAGE_INPUT_TOKENS
from .openai_media_api import TRANSCRIPTIONS
from .patching import patch, unpatch
from .providers import provider_for
from .tags import tags_of
from .usage import USAGE_MISSING, Usage

AUDIO_CACHE_READ_TOKENS = "gen_ai.usage.audio.cache_read.input_tokens"
IMAGE_CACHE_READ_TOKENS = "gen_ai.usage.image.cache_read.input_tokens"
_STATE = "_tokentrace_realtime"
_TYPE_WINDOW = 256
AZURE_OPENAI = "azure.ai.openai"
_TRANSCRIBED = "conversation.item.input_audio_transcription.completed"
_TYPES = (
    b"response.done",
    b"response.created",
    b"session.created",
    b"session.updated",
    _TRANSCRIBED.encode(),
)
_NOT_REALTIME = False
_LIVE_PATHS = ("BidiGenerateContent", "BidiGenerateContentConstrained")
"""The Gemini Live API's WebSocket methods (google-genai's `client.aio.live.connect`, on the
Gemini API and Vertex AI): not metered, said once per host."""


class _Session:
    """What one Realtime connection has told so far."""

    __slots__ = (
        "deployment",
        "host",
        "model",
        "path",
        "port",
        "response_model",
        "scheme",
        "started",
        "transcription_model",
    )

    def __init__(
        self, host: str, port: int, path: str, scheme: str, model: str | None, deployment: bool
    ) -> None:
        self.host = host
        self.port = port
        self.path = path
        self.scheme = scheme
        self.model = model
        """The model the handshake names, or Azure's deployment; else the session's."""
        self.deployment = deployment
        """`model` is an Azure OpenAI deployment's name (`deployment=` in the handshake)."""
        self.response_model: str | None = None
        """The model the session reports (`session.model`)."""
        self.started: dict[str, int] = {}
        """`response.created` times (ns) by response id, until its `response.done`."""
        self.transcription_model: str | None = None
        """The session's input audio transcription model (`gpt-4o-transcribe`, `whisper-1`),
        billed apart from the responses, per user turn."""


def _session(connection: Any) -> _Session | bool:
    """A `websockets` connection's `_Session`, or `_NOT_REALTIME`: decided at its first
    message from the handshake request (`connection.request`)."""
    request = getattr(connection, "request", None)
    if request is None:
        return _NOT_REALTIME
    host, _, port_text = request.headers.get("Host", "").rpartition(":")
    if not port_text.isdigit():  # no port, or an IPv6 literal without one
        host, port_text = request.headers.get("Host", ""), ""
    secure = _secure(connection)
    port = int(port_text) if port_text else (443 if secure else 80)
    return _new_session(host.strip("[]"), port, request.path, secure)


def _url_session(url: str) -> _Session | bool:
    """A `websocket-client` connection's `_Session`, or `_NOT_REALTIME`, from its URL."""
    parts = urlsplit(url)
    secure = parts.scheme in ("wss", "https")
    port = parts.port or (443 if secure else 80)
    return _new_session(parts.hostname or "", port, f"{parts.path}?{parts.query}", secure)


def _new_session(host: str, port: int, target: str, secure: bool) -> _Session | bool:
    """The `_Session` of a handshake to `target` (path and query), if a Realtime API's."""
    path, _, query = target.partition("?")
    path = path.rstrip("/")
    if not path.endswith("/realtime"):
        if path.endswith(_LIVE_PATHS):
            unmetered.say_once(
                ("live", host),
                "Gemini Live API sessions (%s:%d%s) are not metered by tokentrace: their "
                "usage is not read; generate_content calls (HTTP) are",
                host,
                port,
                path,
            )
        return _NOT_REALTIME
    arguments = parse_qs(query)
    deployment = (arguments.get("deployment") or [None])[0]
    model = deployment or (arguments.get("model") or [None])[0]
    scheme = "https" if secure else "http"
    return _Session(host.lower(), port, path, scheme, model, deployment is not None)


def _secure(connection: Any) -> bool:
    socket = getattr(connection, "socket", None)  # the sync client's
    if socket is not None:
        return isinstance(socket, ssl.SSLSocket)
    transport = getattr(connection, "transport", None)  # the asyncio client's
    return transport is not None and transport.get_extra_info("sslcontext") is not None


def realtime_usage(raw: Any) -> Usage | None:
    """A Realtime response's `usage`, normalised: input counts all input (cached included),
    with the audio and image tokens and their cached parts apart, as they are billed."""
    if not isinstance(raw, dict):
        return None
    input_tokens = raw.get("input_tokens")
    output_tokens = raw.get("output_tokens")
    if type(input_tokens) is not int or type(output_tokens) is not int:
        return None
    details = raw.get("input_token_details")
    details = details if isinstance(details, dict) else {}
    cached = details.get("cached_tokens_details")
    cached = cached if isinstance(cached, dict) else {}
    output_details = raw.get("output_token_details")
    output_details = output_details if isinstance(output_details, dict) else {}
    by_modality: dict[str, int] = {}
    for name, source, key in (
        (AUDIO_INPUT_TOKENS, details, "audio_tokens"),
        (IMAGE_INPUT_TOKENS, details, "image_tokens"),
        (AUDIO_CACHE_READ_TOKENS, cached, "audio_tokens"),
        (IMAGE_CACHE_READ_TOKENS, cached, "image_tokens"),
        (AUDIO_OUTPUT_TOKENS, output_details, "audio_tokens"),
    ):
        value = source.get(key)
        if type(value) is int and value:
            by_modality[name] = value
    cache_read = details.get("cached_tokens")
    return Usage(
        input_tokens,
        output_tokens,
        cache_read if type(cache_read) is int else None,
        by_modality=by_modality,
    )


def _observe(tracer: Tracer, settings: Settings, connection: Any, message: Any) -> None:
    state = getattr(connection, _STATE, None)
    if state is None:
        state = _session(connection)
        setattr(connection, _STATE, state)
    if state is _NOT_REALTIME:
        return
    head = message[:_TYPE_WINDOW]
    if isinstance(head, str):
        head = head.encode("utf-8", "replace")
    if not any(kind in head for kind in _TYPES):
        return
    event = json.loads(message)
    kind = event.get("type") if isinstance(event, dict) else None
    if kind in ("session.created", "session.updated"):
        session = event.get("session")
        model = session.get("model") if isinstance(session, dict) else None
        if isinstance(model, str) and model:
            state.response_model = model
            if state.model is None:
                state.model = model
        transcriber = _transcription_model(session)
        if transcriber:
            state.transcription_model = transcriber
        return
    if kind == _TRANSCRIBED:
        _record_transcription(tracer, settings, state, event.get("usage"))
        return
    response = event.get("response") if kind else None
    if not isinstance(response, dict):
        return
    response_id = response.get("id")
    if kind == "response.created":
        if isinstance(response_id, str):
            state.started[response_id] = time.time_ns()
        return
    if kind == "response.done":
        _record(tracer, settings, state, response, response_id)


def _transcription_model(session: Any) -> str | None:
    """The input audio transcription model a session's config names: GA's
    `audio.input.transcription.model`, or the beta's `input_audio_transcription.model`."""
    if not isinstance(session, dict):
        return None
    audio = session.get("audio")
    found = audio.get("input") if isinstance(audio, dict) else None
    found = found.get("transcription") if isinstance(found, dict) else None
    if not isinstance(found, dict):
        found = session.get("input_audio_transcription")
    model = found.get("model") if isinstance(found, dict) else None
    return model if isinstance(model, str) and model else None


def _start_attributes(
    settings: Settings, state: _Session, operation: str, model: str | None
) -> dict[str, Any]:
    """The span's tags, operation, provider (routed as an HTTP call's; an Azure deployment's
    name never names its owner) and server."""
    routed = provider_for(
        settings.mapped,
        state.scheme,
        state.host,
        state.port,
        state.path,
        "openai",
        None if state.deployment else model,
    )
    provider = routed or (AZURE_OPENAI if state.deployment else None)
    attributes: dict[str, Any] = {}
    bag = baggage.get_all(get_current())
    if bag:
        attributes.update(tags_of(bag))
    attributes.update(
        {
            "gen_ai.operation.name": operation,
            "gen_ai.provider.name": provider or "unknown",
            "server.address": state.host,
            "server.port": state.port,
        }
    )
    if model:
        attributes["gen_ai.request.model"] = model
    return attributes


def _record_transcription(tracer: Tracer, settings: Settings, state: _Session, raw: Any) -> None:
    """Emits the span of one user turn's input audio transcription: its usage is the
    Transcriptions API's (tokens, or whisper-1's seconds)."""
    model = state.transcription_model
    attributes = _start_attributes(settings, state, TRANSCRIPTIONS.operation, model)
    usage = TRANSCRIPTIONS.usage(raw) if isinstance(raw, dict) else None
    if usage is None:
        attributes[USAGE_MISSING] = True
    else:
        attributes.update(usage.attributes())
    name = f"{TRANSCRIPTIONS.operation} {model}" if model else TRANSCRIPTIONS.operation
    tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes).end()


def _record(
    tracer: Tracer, settings: Settings, state: _Session, response: dict[str, Any], response_id: Any
) -> None:
    """Emits the span of one response, from its `response.created` to its `response.done`."""
    model = state.model
    attributes = _start_attributes(settings, state, "chat", model)
    if state.response_model:
        attributes["gen_ai.response.model"] = state.response_model
    if isinstance(response_id, str):
        attributes["gen_ai.response.id"] = response_id
    status = response.get("status")
    if isinstance(status, str):
        attributes["gen_ai.response.finish_reasons"] = (status,)
        if status == "failed":
            attributes["error.type"] = "failed"
    usage = realtime_usage(response.get("usage"))
    if usage is None:
        attributes[USAGE_MISSING] = True
    else:
        attributes.update(usage.attributes())
    started = state.started.pop(response_id, None) if isinstance(response_id, str) else None
    span = tracer.start_span(
        f"chat {model}" if model else "chat",
        kind=SpanKind.CLIENT,
        attributes=attributes,
        start_time=started,
    )
    span.end()


def _observe_safely(tracer: Tracer, settings: Settings, connection: Any, message: Any) -> None:
    """:func:`_observe`, whose failure is reported, never raised into the application's read."""
    try:
        _observe(tracer, settings, connection, message)
    except Exception:
        failures.report("a Realtime event")


def _wrapper(tracer: Tracer, settings: Settings) -> Callable[..., Any]:
    def recv(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        message = wrapped(*args, **kwargs)
        _observe_safely(tracer, settings, instance, message)
        return message

    return recv


def _async_wrapper(tracer: Tracer, settings: Settings) -> Callable[..., Any]:
    async def recv(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        message = await wrapped(*args, **kwargs)
        _observe_safely(tracer, settings, instance, message)
        return message

    return recv


def _streaming_wrapper(
    tracer: Tracer, settings: Settings, observed: Callable[..., Any]
) -> Callable[..., Any]:
    """`websockets`' `recv_streaming`, which yields one message's fragments (an iterator in
    the sync client, an async one in asyncio's, each read by its ``observed``): the message
    is observed once its last fragment has been read (a Realtime connection's only)."""

    def recv_streaming(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        fragments = wrapped(*args, **kwargs)
        if getattr(instance, _STATE, None) is _NOT_REALTIME:
            return fragments
        return observed(tracer, settings, instance, fragments)

    return recv_streaming


def _observed_fragments(
    tracer: Tracer, settings: Settings, connection: Any, fragments: Iterator[Any]
) -> Iterator[Any]:
    pieces = []
    for fragment in fragments:
        pieces.append(fragment)
        yield fragment
    if pieces:
        _observe_safely(tracer, settings, connection, pieces[0][:0].join(pieces))


async def _async_observed_fragments(
    tracer: Tracer, settings: Settings, connection: Any, fragments: AsyncIterator[Any]
) -> AsyncIterator[Any]:
    pieces = []
    async for fragment in fragments:
        pieces.append(fragment)
        yield fragment
    if pieces:
        _observe_safely(tracer, settings, connection, pieces[0][:0].join(pieces))


def _frame_wrapper(tracer: Tracer, settings: Settings) -> Callable[..., Any]:
    """`websocket-client`'s `WebSocket.recv_data_frame`, which its `recv`, `recv_data` and
    `WebSocketApp`'s loop read each message with: `(opcode, frame)`."""

    def recv_data_frame(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        found = wrapped(*args, **kwargs)
        if isinstance(getattr(instance, _STATE, None), _Session) and found[0] in _DATA_OPCODES:
            _observe_safely(tracer, settings, instance, found[1].data)
        return found

    return recv_data_frame


def _connect_wrapper(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
    """`websocket-client`'s `WebSocket.connect(url, ...)`: notes whether it is a Realtime
    API's (a connection that never connected has no state and is read no further)."""
    result = wrapped(*args, **kwargs)
    try:
        url = args[0] if args else kwargs.get("url")
        setattr(instance, _STATE, _url_session(url) if isinstance(url, str) else _NOT_REALTIME)
    except Exception:
        failures.report("a Realtime connection")
    return result


_DATA_OPCODES = (0x1, 0x2)  # text, binary (RFC 6455), also aiohttp's `WSMsgType` values


def _aiohttp_wrapper(tracer: Tracer, settings: Settings) -> Callable[..., Any]:
    """aiohttp's `ClientWebSocketResponse.receive` (`ws_connect`'s connection, as LiveKit
    Agents' OpenAI Realtime plugin opens it), which `receive_str`, `receive_json` and its
    async iterator read with: a `WSMessage(type, data, extra)`."""

    async def receive(wrapped: Callable[..., Any], instance: Any, args: Any, kwargs: Any) -> Any:
        message = await wrapped(*args, **kwargs)
        try:
            state = getattr(instance, _STATE, None)
            if state is None:
                response = getattr(instance, "_response", None)
                url = getattr(response, "url", None)
                state = _url_session(str(url)) if url is not None else _NOT_REALTIME
                setattr(instance, _STATE, state)
            if state is not _NOT_REALTIME and message.type in _DATA_OPCODES:
                _observe(tracer, settings, instance, message.data)
        except Exception:
            failures.report("a Realtime event")
        return message

    return receive


def install(tracer: Tracer, settings: Settings) -> tuple[tuple[type, str], ...]:
    """Wraps the reads of `websockets`' sync and asyncio client connections,
    `websocket-client`'s `WebSocket` and aiohttp's `ClientWebSocketResponse`, those
    importable; returns what was wrapped, for `uninstall`."""
    wrapped: list[tuple[type, str]] = []
    for module, name, method, wrapper in (
        ("websockets.sync.client", "ClientConnection", "recv", _wrapper(tracer, settings)),
        (
            "websockets.asyncio.client",
            "ClientConnection",
            "recv",
            _async_wrapper(tracer, settings),
        ),
        (
            "websockets.sync.client",
            "ClientConnection",
            "recv_streaming",
            _streaming_wrapper(tracer, settings, _observed_fragments),
        ),
        (
            "websockets.asyncio.client",
            "ClientConnection",
            "recv_streaming",
            _streaming_wrapper(tracer, settings, _async_observed_fragments),
        ),
        ("websocket", "WebSocket", "connect", _connect_wrapper),
        (
            "aiohttp.client_ws",
            "ClientWebSocketResponse",
            "receive",
            _aiohttp_wrapper(tracer, settings),
        ),
        ("websocket", "WebSocket", "recv_data_frame", _frame_wrapper(tracer, settings)),
    ):
        try:
            owner = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
        patch(owner, method, wrapper)
        wrapped.append((owner, method))
    return tuple(wrapped)


def uninstall(wrapped: tuple[tuple[type, str], ...]) -> None:
    for owner, method in wrapped:
        unpatch(owner, method)
