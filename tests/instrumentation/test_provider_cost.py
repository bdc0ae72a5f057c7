"""The cost a provider or gateway reports, from the real openai SDK against the stand-in to
the stored row: OpenRouter's `usage.cost`, xAI's `usage.cost_in_usd_ticks`, the LiteLLM
proxy's and AI/ML API's cost headers; plain and streamed."""

from __future__ import annotations

from decimal import Decimal

import openai
import pytest

from tokentrace.instrumentation.provider_cost import PROVIDER_COST
from tokentrace.processor.standins import usage_header

from .conftest import llm_spans, only_span, store_spans

MESSAGES = [{"role": "user", "content": "What does a token cost?"}]
USAGE = usage_header(input=1200, output=90, cache_read=1000)
# gpt-4o-mini: $0.15 / M input, $0.075 / M cached input, $0.60 / M output (genai-prices 0.2.3):
# 200 x 0.15 + 1000 x 0.075 + 90 x 0.60 = 159 millionths of a dollar.
COMPUTED = Decimal("0.000159")


def client(standin) -> openai.OpenAI:
    return openai.OpenAI(base_url=standin.base_url("openai"), api_key="sk-test", max_retries=0)


def chat(standin, cost: str, stream: bool = False) -> None:
    headers = {**USAGE, "x-standin-cost": cost}
    create = client(standin).chat.completions.create
    if stream:
        chunks = list(
            create(
                model="gpt-4o-mini",
                messages=MESSAGES,
                stream=True,
                stream_options={"include_usage": True},
                extra_headers=headers,
            )
        )
        assert chunks[-1].usage.prompt_tokens == 1200
    else:
        assert create(model="gpt-4o-mini", messages=MESSAGES, extra_headers=headers).usage


@pytest.mark.parametrize("stream", [False, True], ids=["sync", "streamed"])
@pytest.mark.parametrize(
    ("cost", "reported"),
    [
        ("openrouter=0.000171", "0.000171"),
        ("xai_ticks=1712345", "0.0001712345"),
        ("openrouter=0.000171,litellm=0.5", "0.000171"),  # the body's figure comes first
    ],
)
def test_cost_in_the_usage_object(standin, exporter, cost, reported, stream):
    chat(standin, cost, stream)

    assert only_span(exporter).attributes[PROVIDER_COST] == reported


def test_gateway_cost_headers(standin, exporter):
    chat(standin, "litellm=0.00042")
    chat(standin, "aimlapi=1.5E-4")
    chat(standin, "litellm=free")  # not an amount: left out, never guessed

    found = [span.attributes.get(PROVIDER_COST) for span in llm_spans(exporter)]
    assert found == ["0.00042", "1.5E-4", None]


def test_a_cost_header_of_a_stream_is_not_its_cost(standin, exporter):
    """The header leaves before the streamed body: the gateway cannot know the cost yet."""
    chat(standin, "litellm=0.00042", stream=True)

    span = only_span(exporter)
    assert span.attributes["gen_ai.usage.input_tokens"] == 1200
    assert PROVIDER_COST not in span.attributes


def test_no_reported_cost_no_attribute(standin, exporter):
    chat(standin, "")
    chat(standin, "", stream=True)

    assert [PROVIDER_COST in span.attributes for span in llm_spans(exporter)] == [False, False]


def test_reported_cost_counts_and_the_computed_cost_stays_beside_it(
    standin, exporter, tmp_path, store_client
):
    chat(standin, "openrouter=0.000171")
    chat(standin, "xai_ticks=1712345", stream=True)
    chat(standin, "litellm=0.00042")
    chat(standin, "")
    store_spans(llm_spans(exporter), tmp_path, store_client)

    rows = store_client.query(
        "SELECT stream, provider_cost, cost, cost_source, priced, "
        "input_cost + cache_read_cost + cache_write_cost + output_cost "
        "FROM llm_calls ORDER BY ts"
    ).result_rows
    assert rows == [
        (0, Decimal("0.000171"), Decimal("0.000171"), "provider", 1, COMPUTED),
        (1, Decimal("0.0001712345"), Decimal("0.0001712345"), "provider", 1, COMPUTED),
        (0, Decimal("0.00042"), Decimal("0.00042"), "provider", 1, COMPUTED),
        (0, None, COMPUTED, "computed", 1, COMPUTED),
    ]


def test_perplexity_reports_its_cost_sonar_request_fees_and_agent_tools_included(
    standin, exporter, tmp_path, store_client
):
    """Perplexity's `usage.cost.total_cost` is what it billed, and counts. Worked by hand from
    https://docs.perplexity.ai/getting-started/pricing: Sonar Pro $3 / $15 per million tokens
    plus, per 1,000 requests, $6 / $10 / $14 at a low / medium / high search context size
    (https://docs.perplexity.ai/guides/models/sonar-pro); the Agent API bills a third-party
    model at its provider's rates (gpt-5-mini $0.25 / $2, https://developers.openai.com/api/
    docs/pricing) plus $0.005 per web_search invocation. 1,200 input and 90 output tokens:
    - Sonar Pro, medium: 1,200 x 3 + 90 x 15 = 3,600 + 1,350 per million, + $0.010;
    - the Agent API, two searches: 1,200 x 0.25 + 90 x 2 = 300 + 180 per million, + $0.010.
    The cost computed stays beside it: Sonar Pro's by the context size its answer names."""
    perplexity = openai.OpenAI(
        base_url=standin.base_url("perplexity"), api_key="pplx-test", max_retries=0
    )
    usage = usage_header(input=1200, output=90)
    reply = perplexity.chat.completions.create(
        model="sonar-pro",
        messages=MESSAGES,
        extra_body={"web_search_options": {"search_context_size": "medium"}},
        extra_headers={
            **usage,
            "x-standin-cost": "perplexity=input:0.0036;output:0.00135;request:0.01",
        },
    )
    assert reply.usage.model_extra["search_context_size"] == "medium"
    perplexity.responses.create(
        model="openai/gpt-5-mini",
        input="What does a token cost?",
        tools=[{"type": "web_search"}],
        extra_headers={
            **usage,
            "x-standin-cost": "perplexity=input:0.0003;output:0.00018;tools:0.01",
        },
    )
    store_spans(llm_spans(exporter), tmp_path, store_client)

    rows = store_client.query(
        "SELECT provider, model, cost, cost_source, input_cost + output_cost "
        "FROM llm_calls ORDER BY ts"
    ).result_rows
    assert rows == [
        ("perplexity", "sonar-pro", Decimal("0.01495"), "provider", Decimal("0.01495")),
        # No computed cost: genai-prices has no Perplexity price for a third-party model.
        ("perplexity", "openai/gpt-5-mini", Decimal("0.01048"), "provider", Decimal(0)),
    ]


def test_a_gateway_s_cost_of_a_transcription(standin, exporter):
    """OpenRouter's speech-to-text answers carry `usage.cost` beside the token counts
    (https://openrouter.ai/docs/api/api-reference/stt/create-transcription, `SttUsage.cost`)."""
    client(standin).audio.transcriptions.create(
        model="openai/gpt-4o-transcribe",
        file=("meeting.mp3", b"ID3\x04\x00" + bytes(64), "audio/mpeg"),
        extra_headers={
            **usage_header(input=83, output=30),
            "x-standin-cost": "openrouter=0.000508",
        },
    )

    span = only_span(exporter)
    assert span.attributes[PROVIDER_COST] == "0.000508"
    assert span.attributes["gen_ai.usage.input_tokens"] == 83
