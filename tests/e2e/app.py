"""An ordinary LLM app: no tracing code. The end-to-end test runs it under
``opentelemetry-instrument``; the stand-in headers only fix what each call reports."""

from __future__ import annotations

import contextlib
import os

import anthropic
import openai

from tokentrace.instrumentation import tags
from tokentrace.processor.standins import usage_header

oai = openai.OpenAI(base_url=os.environ["OPENAI_BASE_URL"], api_key="sk-test", max_retries=0)
claude = anthropic.Anthropic(
    base_url=os.environ["ANTHROPIC_BASE_URL"], api_key="sk-ant-test", max_retries=0
)
ask = [{"role": "user", "content": "hello"}]

with tags(feature="search", tenant="acme"):
    oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=ask,
        extra_headers=usage_header(input=1000, cache_read=600, output=200),
    )
    with contextlib.suppress(openai.RateLimitError):
        oai.chat.completions.create(
            model="gpt-4o-mini", messages=ask, extra_headers={"x-standin-fail": "429"}
        )

with tags(feature="chat", tenant="globex"):
    for _ in oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=ask,
        stream=True,
        stream_options={"include_usage": True},
        extra_headers=usage_header(input=2000, output=500),
    ):
        pass

with tags(tenant="acme"):
    with tags(feature="chat"):
        claude.messages.create(
            model="claude-haiku-4-5",
            max_tokens=1000,
            messages=ask,
            extra_headers=usage_header(input=3000, cache_read=2000, cache_creation=500, output=400),
        )
    with (
        tags(feature="summarize"),
        claude.messages.stream(
            model="claude-sonnet-4-5",
            max_tokens=1000,
            messages=ask,
            extra_headers=usage_header(input=1000, output=100),
        ) as stream,
    ):
        for _ in stream.text_stream:
            pass
