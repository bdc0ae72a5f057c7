"""Google's LLM APIs over gRPC (the Vertex AI SDK's and google.generativeai's default
transport) are not metered: an app that opens such a channel, as google-api-core does with
`grpc.secure_channel`, is told once per host what to set (`instrumentation/grpc_channels.py`)."""

from __future__ import annotations

import asyncio
import logging

import grpc
import grpc.aio
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from tokentrace.instrumentation import LLMInstrumentor, unmetered

TARGET = "us-central1-aiplatform.googleapis.com:443"


def test_a_vertex_ai_grpc_channel_is_said_unmetered_with_the_rest_setting(unmapped, caplog):
    """Was silent: no HTTP hook sees a gRPC call."""
    unmetered._said.clear()
    with caplog.at_level(logging.WARNING, logger="tokentrace.instrumentation"):
        for _ in range(2):
            grpc.secure_channel(TARGET, grpc.ssl_channel_credentials()).close()
        grpc.secure_channel("otel-collector.internal:4317", grpc.ssl_channel_credentials()).close()

        async def gemini() -> None:
            channel = grpc.aio.secure_channel(
                "generativelanguage.googleapis.com:443", grpc.ssl_channel_credentials()
            )
            await channel.close()

        asyncio.run(gemini())
    assert [record.getMessage() for record in caplog.records] == [
        "calls to Vertex AI over gRPC (us-central1-aiplatform.googleapis.com:443) are not "
        "metered by tokentrace: pass api_transport='rest' to vertexai.init()",
        "calls to the Gemini API over gRPC (generativelanguage.googleapis.com:443) are not "
        "metered by tokentrace: pass transport='rest' to google.generativeai.configure(), or "
        "use google-genai",
    ]


def test_an_xai_channel_is_said_unmetered_when_xai_sdk_s_spans_go_nowhere(
    unmapped, caplog, monkeypatch
):
    """xai-sdk's gRPC calls are metered from its own spans on the global tracer provider
    (tests/sources/test_xai_sdk.py): with none set (an app tracing in code) or its tracing
    switched off, they went unmetered without a word. A channel opened as xai-sdk opens it
    (`grpc.secure_channel("api.x.ai", …)`, `grpc.aio` for `AsyncClient`) now says so, once;
    with a global provider set, nothing is said."""
    monkeypatch.delenv("XAI_SDK_DISABLE_TRACING", raising=False)
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)  # none set: the API's proxy
    credentials = grpc.ssl_channel_credentials()
    messages = []
    for setting in ("none", "disabled", "set"):
        unmetered._said.clear()
        if setting == "disabled":
            monkeypatch.setattr(trace, "_TRACER_PROVIDER", TracerProvider())
            monkeypatch.setenv("XAI_SDK_DISABLE_TRACING", "1")
        if setting == "set":
            monkeypatch.delenv("XAI_SDK_DISABLE_TRACING")
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="tokentrace.instrumentation"):
            grpc.secure_channel("api.x.ai", credentials).close()

            async def aio() -> None:
                await grpc.aio.secure_channel("api.x.ai", credentials).close()

            asyncio.run(aio())
        messages.append([record.getMessage() for record in caplog.records])
    said = "calls to xAI over gRPC (api.x.ai) are metered from xai-sdk's own spans, which go to "
    assert messages == [
        [
            said + "the global tracer provider: none is set: run under opentelemetry-instrument, "
            "or call trace.set_tracer_provider()"
        ],
        [said + "the global tracer provider: unset XAI_SDK_DISABLE_TRACING"],
        [],
    ]


def test_uninstrument_restores_grpc_s_channels():
    originals = grpc.secure_channel, grpc.aio.secure_channel
    instrumentor = LLMInstrumentor()
    instrumentor.instrument(tracer_provider=TracerProvider())
    assert (grpc.secure_channel, grpc.aio.secure_channel) != originals
    instrumentor.uninstrument()
    assert (grpc.secure_channel, grpc.aio.secure_channel) == originals
