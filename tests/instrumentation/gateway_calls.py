"""What the `requests` and aiohttp tests share: an unknown gateway host (the stand-in's root)
serving OpenAI's and Anthropic's paths side by side, the bodies posted to it, and the check
of the three calls both tests make there (a plain chat, a streamed chat, a streamed message).

Expected costs are worked out by hand from the providers' published prices (USD per million
tokens): gpt-4o-mini input 0.15, output 0.60 (https://openai.com/api/pricing/);
claude-haiku-4-5 input 1.00, output 5.00 (https://www.anthropic.com/pricing#api).
"""

from __future__ import annotations

import json
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tokentrace.instrumentation.api_keys import fingerprint
from tokentrace.processor.standins import Standin

from .conftest import attributes, call_attributes, llm_spans, store_spans

M = Decimal(1_000_000)
ASK = [{"role": "user", "content": "hello"}]
OPENAI_KEY = "sk-proj-0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-api03-0123456789abcdef"


def chat_body(stream: bool = False) -> dict:
    body: dict = {"model": "gpt-4o-mini", "messages": ASK}
    if stream:
        body.update(stream=True, stream_options={"include_usage": True})
    return body


def messages_body() -> dict:
    return {"model": "claude-haiku-4-5", "max_tokens": 100, "messages": ASK, "stream": True}


def sse_documents(data: bytes) -> list[dict]:
    """The JSON documents of an SSE body's `data:` lines, as the application reads them."""
    return [
        json.loads(line[5:])
        for line in data.splitlines()
        if line.startswith(b"data:") and line[5:].strip() != b"[DONE]"
    ]


def gunzip(data: bytes) -> bytes:
    return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)


def check_three_calls(
    standin: Standin,
    unmapped: InMemorySpanExporter,
    plain: dict,
    chunks: list[dict],
    events: list[dict],
    tmp_path: Path,
    store_client: Any,
) -> None:
    """The spans and stored rows of the three calls: a plain gpt-4o-mini chat (2,000 in, 500
    out), a streamed one (1,200 / 300) and a streamed claude-haiku-4-5 message (3,000 / 400);
    `plain`, `chunks` and `events` are what the application read of each."""
    assert chunks[-1]["usage"]["prompt_tokens"] == 1200  # the application got its usage
    first, streamed, messages = llm_spans(unmapped)
    assert attributes(first) == {
        **call_attributes(standin, "openai", "chat", "gpt-4o-mini"),
        "gen_ai.response.id": plain["id"],
        "gen_ai.response.model": plain["model"],
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 2000,
        "gen_ai.usage.output_tokens": 500,
        "gen_ai.usage.cache_read.input_tokens": 0,
        "gen_ai.usage.reasoning.output_tokens": 0,
    }
    assert attributes(streamed, ttfc=True) == {
        **call_attributes(standin, "openai", "chat", "gpt-4o-mini", stream=True),
        "gen_ai.response.id": chunks[0]["id"],
        "gen_ai.response.model": chunks[0]["model"],
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 1200,
        "gen_ai.usage.output_tokens": 300,
        "gen_ai.usage.cache_read.input_tokens": 0,
        "gen_ai.usage.reasoning.output_tokens": 0,
    }
    assert attributes(messages, ttfc=True) == {
        **call_attributes(standin, "anthropic", "chat", "claude-haiku-4-5", stream=True),
        "gen_ai.response.id": events[0]["message"]["id"],
        "gen_ai.response.model": events[0]["message"]["model"],
        "gen_ai.response.finish_reasons": ["end_turn"],
        "gen_ai.usage.input_tokens": 3000,
        "gen_ai.usage.output_tokens": 400,
        "gen_ai.usage.cache_read.input_tokens": 0,
        "gen_ai.usage.cache_creation.input_tokens": 0,
    }
    # The credential of each, from the library's headers as from httpx's.
    assert [span.attributes["tokentrace.api_key"] for span in llm_spans(unmapped)] == [
        fingerprint(OPENAI_KEY),
        fingerprint(OPENAI_KEY),
        fingerprint(ANTHROPIC_KEY),
    ]

    store_spans(llm_spans(unmapped), tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, request_model, stream, input_tokens, output_tokens, cost, priced "
        "FROM llm_calls ORDER BY ts"
    ).result_rows
    assert rows == [
        # 2000 × 0.15 + 500 × 0.60 = 600 per million
        ("openai", "gpt-4o-mini", 0, 2000, 500, 600 / M, 1),
        # 1200 × 0.15 + 300 × 0.60 = 360 per million
        ("openai", "gpt-4o-mini", 1, 1200, 300, 360 / M, 1),
        # 3000 × 1.00 + 400 × 5.00 = 5000 per million
        ("anthropic", "claude-haiku-4-5", 1, 3000, 400, 5000 / M, 1),
    ]
