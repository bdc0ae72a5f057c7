"""A small LLM application that knows nothing of tracing, run by the demo under
``opentelemetry-instrument`` — the way a team's real service would be.

It only uses ``tokentrace.instrumentation.tags`` to say which feature and tenant each
request serves, and stand-in headers (``x-standin-*``) so the demo's usage is varied:
cache hits, reasoning tokens, streamed and plain calls, and a few failures.
"""

from __future__ import annotations

import os
import random

import anthropic
import openai

from tokentrace.instrumentation import tags
from tokentrace.processor.demo.bill import APP_SECRETS
from tokentrace.processor.standins import usage_header

FEATURES = {
    "support-bot": ("chat", "summarize", "triage"),
    "search-api": ("search", "rerank"),
    "copilot": ("code-review", "agent"),
}
TENANTS = ("acme", "globex", "initech", "umbrella", "hooli")


def main() -> None:
    service = os.environ.get("OTEL_SERVICE_NAME", "support-bot")
    calls = int(os.environ.get("DEMO_CALLS", "24"))
    rng = random.Random(service)
    oai = openai.OpenAI(
        base_url=os.environ["OPENAI_BASE_URL"], api_key=APP_SECRETS["openai"], max_retries=0
    )
    claude = anthropic.Anthropic(
        base_url=os.environ["ANTHROPIC_BASE_URL"],
        api_key=APP_SECRETS["anthropic"],
        max_retries=0,
    )
    for i in range(calls):
        feature = rng.choice(FEATURES.get(service, ("chat",)))
        tenant = rng.choice(TENANTS)
        prompt = rng.randint(400, 6000)
        cached = prompt * 3 // 4 if rng.random() < 0.5 else 0
        output = rng.randint(40, 600)
        headers = usage_header(input=prompt, output=output, cache_read=cached)
        if i % 11 == 10:
            headers["x-standin-fail"] = rng.choice(["429", "500"])
        with tags(feature=feature, tenant=tenant, user=f"{tenant}-user-{rng.randint(1, 9)}"):
            try:
                if i % 2:
                    _anthropic_call(claude, rng, headers)
                else:
                    _openai_call(oai, rng, headers)
            except (openai.APIError, anthropic.APIError):
                pass  # the failure is recorded on the span; the app carries on


def _openai_call(client: openai.OpenAI, rng: random.Random, headers: dict[str, str]) -> None:
    model = rng.choice(("gpt-4o-mini", "gpt-4o", "gpt-4.1"))
    messages = [{"role": "user", "content": "Summarise this ticket."}]
    if rng.random() < 0.5:
        stream = client.chat.completions.create(
            model=model,
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
            extra_headers=headers,
        )
        for _ in stream:
            pass
    else:
        client.chat.completions.create(model=model, messages=messages, extra_headers=headers)


def _anthropic_call(
    client: anthropic.Anthropic, rng: random.Random, headers: dict[str, str]
) -> None:
    model = rng.choice(("claude-haiku-4-5", "claude-sonnet-4-5"))
    messages = [{"role": "user", "content": "Draft a reply to this customer."}]
    if rng.random() < 0.5:
        with client.messages.stream(
            model=model, max_tokens=1024, messages=messages, extra_headers=headers
        ) as stream:
            for _ in stream.text_stream:
                pass
    else:
        client.messages.create(
            model=model, max_tokens=1024, messages=messages, extra_headers=headers
        )


if __name__ == "__main__":
    main()
