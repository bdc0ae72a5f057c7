"""The OpenAI Realtime API over WebSockets, with nothing configured: the real openai SDK
(`client.realtime.connect`, sync and asyncio, both over `websockets`) against a Realtime
stand-in on 127.0.0.1, each `response.done` a call metered with its text, audio and cached
tokens apart (`instrumentation/realtime.py`)."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import Iterator
from decimal import Decimal

import openai
import pytest
from websockets.sync.client import connect
from websockets.sync.server import ServerConnection, serve

from tokentrace.instrumentation import tags

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


def _session(websocket: ServerConnection) -> None:
    """A Realtime server: a session, then per `response.create` a response whose audio
    delta (the bulk of the traffic) precedes its `response.done` with `USAGE`."""
    numbers = itertools.count(1)
    model = "gpt-realtime"
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
        if json.loads(message).get("type") != "response.create":
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


def test_other_websockets_are_left_alone(realtime_root, unmapped):
    """A WebSocket whose path is not a Realtime API's gets no span, whatever it carries."""
    url = realtime_root.replace("http://", "ws://").removesuffix("/v1") + "/v1/chat"
    with connect(url) as websocket:
        assert json.loads(websocket.recv())["type"] == "session.created"
        websocket.send(json.dumps({"type": "response.create"}))
        while json.loads(websocket.recv())["type"] != "response.done":
            pass
    assert llm_spans(unmapped) == []
