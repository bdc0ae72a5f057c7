"""The OpenAI Realtime API over WebSockets, with nothing configured: the real openai SDK
(`client.realtime.connect`, sync and asyncio, both over `websockets`) and websocket-client
against a Realtime stand-in on 127.0.0.1, each `response.done` a call metered with its text,
audio and cached tokens apart (`instrumentation/realtime.py`)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import itertools
import json
import logging
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import openai
import pytest
import websocket
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from google import genai
from websockets.asyncio.client import connect as aconnect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.sync.server import ServerConnection, serve

from tokentrace.instrumentation import tags, unmetered

from .conftest import llm_spans, store_spans

M = Decimal(1_000_000)

# 1,200 input tokens (200 text + 1,000 audio), 400 of them cached (100 text + 300 audio);
# 600 output tokens (100 text + 500 audio), as a `response.done` event reports them
# (https://platform.openai.com/docs/api-reference/realtime-server-events/response/done).
USAGE = {
    "total_tokens": 1800,
    "input_tokens": 1200,
    "output_tokens": 600,
    "input_token_details": {
        "text_tokens": 200,
        "audio_tokens": 1000,
        "image_tokens": 0,
        "cached_tokens": 400,
        "cached_tokens_details": {"text_tokens": 100, "audio_tokens": 300, "image_tokens": 0},
    },
    "output_token_details": {"text_tokens": 100, "audio_tokens": 500},
}

# A user turn's input audio transcription, as its `…input_audio_transcription.completed`
# event reports it: gpt-4o-transcribe in tokens, whisper-1 in seconds.
TRANSCRIPTION_USAGE = {
    "gpt-4o-transcribe": {
        "type": "tokens",
        "input_tokens": 500,
        "input_token_details": {"text_tokens": 20, "audio_tokens": 480},
        "output_tokens": 100,
        "total_tokens": 600,
    },
    "whisper-1": {"type": "duration", "seconds": 30},
}


AZURE_DEPLOYMENTS = {"voice-prod": "gpt-realtime-2025-08-28", "voice-echo": "voice-echo"}
"""Azure OpenAI deployments, each with the model the stand-in's session reports for it: the
model it runs, or (`voice-echo`) the deployment's own name."""


def _session(websocket: ServerConnection) -> None:
    """A Realtime server: a session, then per `response.create` a response whose audio
    delta (the bulk of the traffic) precedes its `response.done` with `USAGE`."""
    numbers = itertools.count(1)
    deployment = parse_qs(urlsplit(websocket.request.path).query).get("deployment", [""])[0]
    model = AZURE_DEPLOYMENTS.get(deployment, "gpt-realtime")
    websocket.send(
        json.dumps(
            {
                "type": "session.created",
                "event_id": "event_0",
                "session": {"type": "realtime", "object": "realtime.session", "model": model},
            }
        )
    )
    for message in websocket:
        received = json.loads(message)
        if received.get("type") == "session.update":
            session = {**received["session"], "object": "realtime.session", "model": model}
            websocket.send(
                json.dumps({"type": "session.updated", "event_id": "e_s", "session": session})
            )
            continue
        if received.get("type") == "input_audio_buffer.commit":
            transcriber = received.get("event_id", "")  # which usage the test asks for
            usage = TRANSCRIPTION_USAGE[transcriber]
            websocket.send(
                json.dumps(
                    {
                        "type": "conversation.item.input_audio_transcription.completed",
                        "event_id": "e_t",
                        "item_id": "item_1",
                        "content_index": 0,
                        "transcript": "hello",
                        "usage": usage,
                    }
                )
            )
            continue
        if received.get("type") != "response.create":
            continue
        number = next(numbers)
        response = {"object": "realtime.response", "id": f"resp_{number}", "status": "in_progress"}
        for event in (
            {"type": "response.created", "response": response},
            {
                "type": "response.output_audio.delta",
                "response_id": response["id"],
                "item_id": "item_1",
                "output_index": 0,
                "content_index": 0,
                "delta": "A" * 20_000,
            },
            {
                "type": "response.done",
                "response": {**response, "status": "completed", "output": [], "usage": USAGE},
            },
        ):
            websocket.send(json.dumps({**event, "event_id": f"event_{number}_{event['type']}"}))


@pytest.fixture(scope="module")
def realtime_root() -> Iterator[str]:
    with serve(_session, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.socket.getsockname()[1]}/v1"
        server.shutdown()


def _until_done(events: Iterator[object]) -> None:
    for event in events:
        if getattr(event, "type", None) == "response.done":
            return


def test_realtime_responses_are_metered_with_audio_apart(
    realtime_root, unmapped, tmp_path, store_client
):
    """Each response was unmetered (no HTTP request carries it). gpt-realtime's list
    (https://platform.openai.com/docs/pricing): text $4 in, $0.40 cached, $16 out; audio $32
    in, $0.40 cached, $64 out, per million tokens. So `USAGE` costs 100 × 4 + 100 × 0.40 +
    700 × 32 + 300 × 0.40 + 100 × 16 + 500 × 64 = 56,560 per million: $0.05656, through the
    sync client (tagged) and the asyncio one alike."""
    client = openai.OpenAI(base_url=realtime_root, api_key="sk-test")
    with tags(feature="voice"), client.realtime.connect(model="gpt-realtime") as connection:
        connection.response.create()
        _until_done(iter(connection.recv, None))

    async def run() -> None:
        aclient = openai.AsyncOpenAI(base_url=realtime_root, api_key="sk-test")
        async with aclient.realtime.connect(model="gpt-realtime") as connection:
            await connection.response.create()
            async for event in connection:
                if event.type == "response.done":
                    return

    asyncio.run(run())
    spans = llm_spans(unmapped)
    assert [span.attributes["gen_ai.response.id"] for span in spans] == ["resp_1", "resp_1"]
    assert spans[0].attributes["feature"] == "voice"
    assert "feature" not in spans[1].attributes
    store_spans(spans, tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, request_model, input_tokens, cache_read_tokens, output_tokens, cost, "
        "priced, unpriced_reason FROM llm_calls ORDER BY feature DESC"
    ).result_rows
    expected = ("openai", "gpt-realtime", 1200, 400, 600, Decimal(56560) / M, 1, "")
    assert rows == [expected, expected]


def test_azure_realtime_deployment_is_the_request_model(
    realtime_root, unmapped, tmp_path, store_client
):
    """`AzureOpenAI(...).realtime.connect(model=DEPLOYMENT)` names a deployment (`deployment=`
    in the handshake), whose name is its owner's choice. The session's reported model used to
    replace it as the request model, and the provider was routed by that model's owner:
    `openai` for an Azure call. Now the deployment is the request model, the reported model
    the response model, the provider Azure's on any host: `voice-prod` runs
    gpt-realtime-2025-08-28, priced as `USAGE` at gpt-realtime's rates ($0.05656, see the
    first test); `voice-echo`, answered with its own name, is unpriced (`unknown_model`),
    never $0 nor another model's price."""
    endpoint = realtime_root.removesuffix("/v1")
    client = openai.AzureOpenAI(
        azure_endpoint=endpoint,
        api_key="azure-key",
        api_version="2025-04-01-preview",
        websocket_base_url=endpoint.replace("http://", "ws://") + "/openai",
    )
    for deployment in AZURE_DEPLOYMENTS:
        with client.realtime.connect(model=deployment) as connection:
            connection.response.create()
            _until_done(iter(connection.recv, None))
    spans = llm_spans(unmapped)
    store_spans(spans, tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, request_model, response_model, toString(cost), priced, "
        "unpriced_reason FROM llm_calls ORDER BY request_model"
    ).result_rows
    assert rows == [
        ("azure.ai.openai", "voice-echo", "voice-echo", "0", 0, "unknown_model"),
        ("azure.ai.openai", "voice-prod", "gpt-realtime-2025-08-28", "0.05656", 1, ""),
    ]


def test_other_websockets_are_left_alone(realtime_root, unmapped):
    """A WebSocket whose path is not a Realtime API's gets no span, whatever it carries."""
    url = realtime_root.replace("http://", "ws://").removesuffix("/v1") + "/v1/chat"
    with connect(url) as websocket:
        assert json.loads(websocket.recv())["type"] == "session.created"
        websocket.send(json.dumps({"type": "response.create"}))
        while json.loads(websocket.recv())["type"] != "response.done":
            pass
    assert llm_spans(unmapped) == []


def test_realtime_input_audio_transcription_is_metered_per_turn(
    realtime_root, unmapped, tmp_path, store_client
):
    """A session that transcribes the user's audio bills each turn's transcription apart, by
    the transcription model its config names: was unmetered. gpt-4o-transcribe
    (https://platform.openai.com/docs/pricing): text $2.50 in, audio $6 in, $10 out per
    million tokens, so 20 × 2.50 + 480 × 6 + 100 × 10 = 3,930 per million: $0.00393.
    whisper-1: $0.006 a minute, so 30 seconds: $0.003."""
    client = openai.OpenAI(base_url=realtime_root, api_key="sk-test")
    with client.realtime.connect(model="gpt-realtime") as connection:
        for transcriber in ("gpt-4o-transcribe", "whisper-1"):
            connection.session.update(
                session={
                    "type": "realtime",
                    "audio": {"input": {"transcription": {"model": transcriber}}},
                }
            )
            connection.input_audio_buffer.commit(event_id=transcriber)
            for event in iter(connection.recv, None):
                if event.type == "conversation.item.input_audio_transcription.completed":
                    break
    spans = llm_spans(unmapped)
    assert [span.name for span in spans] == [
        "transcription gpt-4o-transcribe",
        "transcription whisper-1",
    ]
    store_spans(spans, tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, request_model, input_tokens, output_tokens, cost, priced "
        "FROM llm_calls ORDER BY cost DESC"
    ).result_rows
    assert rows == [
        ("openai", "gpt-4o-transcribe", 500, 100, Decimal(3930) / M, 1),
        ("openai", "whisper-1", 0, 0, Decimal("0.003"), 1),
    ]


def test_websocket_client_as_openai_s_realtime_guide_uses_it(
    realtime_root, unmapped, tmp_path, store_client
):
    """The Realtime guide's Python example connects with websocket-client's `WebSocketApp`
    (https://platform.openai.com/docs/guides/realtime-websocket); apps also read with
    `create_connection(...).recv()`. Each response was unmetered: now $0.05656, as above."""
    url = realtime_root.replace("http://", "ws://") + "/realtime?model=gpt-realtime"

    def on_message(app: websocket.WebSocketApp, message: str) -> None:
        kind = json.loads(message)["type"]
        if kind == "session.created":
            app.send(json.dumps({"type": "response.create"}))
        elif kind == "response.done":
            app.close()

    websocket.WebSocketApp(url, on_message=on_message).run_forever()
    connection = websocket.create_connection(url)
    connection.send(json.dumps({"type": "response.create"}))
    while json.loads(connection.recv())["type"] != "response.done":
        pass
    connection.close()
    store_spans(llm_spans(unmapped), tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, request_model, input_tokens, cache_read_tokens, output_tokens, cost "
        "FROM llm_calls"
    ).result_rows
    assert rows == [("openai", "gpt-realtime", 1200, 400, 600, Decimal(56560) / M)] * 2


class _Fragmenting:
    """A server connection that sends each message in three fragments (RFC 6455 continuation
    frames), as a server or proxy may."""

    def __init__(self, websocket: ServerConnection) -> None:
        self.websocket = websocket
        self.request = websocket.request

    def send(self, message: str) -> None:
        third = len(message) // 3
        self.websocket.send([message[:third], message[third : 2 * third], message[2 * third :]])

    def __iter__(self) -> Iterator[str | bytes]:
        return iter(self.websocket)


@pytest.fixture(scope="module")
def fragmenting_root() -> Iterator[str]:
    def session(websocket: ServerConnection) -> None:
        _session(_Fragmenting(websocket))  # type: ignore[arg-type]

    with serve(session, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/v1/realtime?model=gpt-realtime"
        server.shutdown()


def test_websockets_recv_streaming_reads_a_response_fragment_by_fragment(
    fragmenting_root, unmapped, tmp_path, store_client
):
    """`recv_streaming()` (websockets, sync and asyncio) yields a message's fragments, and
    does not read through `recv`: a response read with it was unmetered. Now $0.05656 each,
    as above, and the application reads the very fragments the server sent."""
    read: list[str] = []
    with connect(fragmenting_root) as websocket:
        websocket.send(json.dumps({"type": "response.create"}))
        while True:
            fragments = list(websocket.recv_streaming())
            read.append("".join(fragments))
            if json.loads(read[-1])["type"] == "response.done":
                break
    assert len([piece for piece in fragments if piece]) == 3  # (and an empty last one)

    async def run() -> None:
        async with aconnect(fragmenting_root) as websocket:
            await websocket.send(json.dumps({"type": "response.create"}))
            while True:
                message = "".join([piece async for piece in websocket.recv_streaming()])
                if json.loads(message)["type"] == "response.done":
                    return

    asyncio.run(run())
    assert [json.loads(message)["type"] for message in read] == [
        "session.created",
        "response.created",
        "response.output_audio.delta",
        "response.done",
    ]
    store_spans(llm_spans(unmapped), tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, request_model, input_tokens, cache_read_tokens, output_tokens, cost "
        "FROM llm_calls"
    ).result_rows
    assert rows == [("openai", "gpt-realtime", 1200, 400, 600, Decimal(56560) / M)] * 2


def test_aiohttp_ws_connect_as_livekit_agents_uses_it(
    realtime_root, unmapped, tmp_path, store_client
):
    """aiohttp's `ws_connect`, as LiveKit Agents' OpenAI Realtime plugin connects: the
    response was unmetered, now $0.05656, as above."""

    async def run() -> None:
        url = realtime_root + "/realtime?model=gpt-realtime"
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
            await ws.send_str(json.dumps({"type": "response.create"}))
            async for message in ws:
                if json.loads(message.data)["type"] == "response.done":
                    return

    asyncio.run(run())
    store_spans(llm_spans(unmapped), tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, request_model, input_tokens, cache_read_tokens, output_tokens, cost "
        "FROM llm_calls"
    ).result_rows
    assert rows == [("openai", "gpt-realtime", 1200, 400, 600, Decimal(56560) / M)]


def _tls_contexts(directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a self-signed certificate for 127.0.0.1, and a client context
    that trusts it (google-genai's Live API always connects with `wss`)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    return server, ssl.create_default_context(cafile=str(cert_file))


def test_a_gemini_live_session_is_said_unmetered(unmapped, caplog, tmp_path):
    """google-genai's Live API (`client.aio.live.connect`) is a WebSocket whose usage is not
    read: was silent, now one warning per host."""
    unmetered._said.clear()
    server_tls, client_tls = _tls_contexts(tmp_path)

    def live(websocket: ServerConnection) -> None:
        websocket.recv()  # the setup message
        websocket.send(json.dumps({"setupComplete": {}}))
        with contextlib.suppress(ConnectionClosed):
            websocket.recv()

    async def run(root: str) -> None:
        options = {"base_url": root, "async_client_args": {"ssl": client_tls}}
        client = genai.Client(api_key="k", http_options=options)
        async with client.aio.live.connect(model="gemini-live-2.5-flash", config={}):
            pass

    with serve(live, "127.0.0.1", 0, ssl=server_tls) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.socket.getsockname()[1]
        with caplog.at_level(logging.WARNING, logger="tokentrace.instrumentation"):
            asyncio.run(run(f"https://127.0.0.1:{port}"))
            asyncio.run(run(f"https://127.0.0.1:{port}"))
        server.shutdown()
    assert [record.getMessage() for record in caplog.records] == [
        f"Gemini Live API sessions (127.0.0.1:{port}/ws/google.ai.generativelanguage.v1."
        "GenerativeService.BidiGenerateContent) are not metered by tokentrace: their usage is "
        "not read; generate_content calls (HTTP) are"
    ]
    assert llm_spans(unmapped) == []
