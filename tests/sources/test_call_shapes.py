"""The newest releases of the most used instrumentations on the call shapes that the other
fixtures leave out, replayed into chDB: one row per call, exact cost.

Each ``*_latest_calls`` fixture was recorded (``record.py``'s ``_more_calls``) with the
release pip installed on 2026-12-03: openai 3.57, anthropic 2.16, opentelemetry-sdk 1.45.2.
The calls: OpenAI chat with a function tool, embeddings (text-embedding-3-small, 1,200
input tokens), the Responses API plain and streamed, async chat plain and streamed with
usage; Anthropic with a tool, async plain and async ``messages.stream``. Every chat call
has the cached usage of ``test_sources`` (1,200 input tokens, 1,000 of them cache reads,
for Anthropic 100 cache writes; 80 output tokens).

Prices (USD per million tokens), as genai-prices 0.2.3 has them:

- gpt-4o: input 2.50, cached input 1.25, output 10: a call is 200 × 2.50 + 1,000 × 1.25 +
  80 × 10 = $0.00255 (https://platform.openai.com/docs/pricing);
- text-embedding-3-small: input 0.02: 1,200 × 0.02 = $0.000024 (same page);
- claude-sonnet-4-5: input 3, cache read 0.30, 5-minute cache write 3.75, output 15: a
  call is 100 × 3 + 1,000 × 0.30 + 100 × 3.75 + 80 × 15 = $0.002175
  (https://docs.anthropic.com/en/docs/about-claude/pricing);
- gemini-2.5-flash: input 0.30, cached input 0.03, output 2.50: a call is 200 × 0.30 + 1,000
  × 0.03 + 80 × 2.50 = $0.00029; gemini-embedding-001: input 0.15: 1,200 × 0.15 = $0.00018
  (https://ai.google.dev/gemini-api/docs/pricing).

The google-genai fixtures (``*_gemini_latest_calls``, google-genai 3.6.1) make a call with a
function tool, an ``embed_content``, and async ``generate_content`` plain and streamed.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

GPT_4O = ("openai", "gpt-4o", 1200, 80, 1000, 0, 0, Decimal("0.00255"))
# openai-v2 sets no cache count: the 1,200 input tokens were priced at the full rate,
# 1,200 × 2.50 + 80 × 10 per million = $0.0038 for $0.00255; OpenAI caches 1,024 tokens
# or more on its own, so the cost is unknown (``test_sources.CACHE_UNSAID``).
GPT_4O_UNCACHED = ("openai", "gpt-4o", 1200, 80, 0, 0, 1, 0)
EMBEDDING = ("openai", "text-embedding-3-small", 1200, 0, 0, 0, 0, Decimal("0.000024"))
SONNET = ("anthropic", "claude-sonnet-4-5", 1200, 80, 1000, 100, 0, Decimal("0.002175"))
# Every call of ``_more_calls``, once each, as tokentrace's own instrumentation meters them.
ALL_CALLS = [SONNET] * 3 + [GPT_4O] * 5 + [EMBEDDING]


def test_openllmetry_latest_calls(replay):
    """OpenLLMetry 0.62.4 (openai, anthropic): a span per call, the Responses API's
    (``openai.response``) and the embeddings' (``openai.embeddings``) included. Its async
    Anthropic stream says 81 output tokens, one too many (it adds ``message_start``'s 1, as
    for the sync stream; see ``sources.RANK_INEXACT``): alone that span is the call's only
    word, $0.00219 = $0.002175 + 1 × 15 per million."""
    result = replay("openllmetry_latest_calls")
    overcounted = ("anthropic", "claude-sonnet-4-5", 1200, 81, 1000, 100, 0, Decimal("0.00219"))
    assert result.rows() == [SONNET, SONNET, overcounted, *[GPT_4O] * 5, EMBEDDING]
    assert result.metrics.spans_duplicate.value() == 0


def test_openllmetry_latest_calls_beside_tokentrace(replay):
    """Beside tokentrace's instrumentation: each of the 9 calls once, tokentrace's counts
    (the stream's 80 output tokens)."""
    result = replay("openllmetry_latest_calls_tokentrace")
    assert result.spans == 18
    assert result.rows() == ALL_CALLS
    assert result.metrics.spans_duplicate.value() == 9


def test_openinference_latest_calls(replay):
    """OpenInference (openai 0.1.66, anthropic 3.1.0): an ``LLM`` span per call and an
    ``EMBEDDING`` span for the embeddings, alone and beside tokentrace's instrumentation."""
    alone = replay("openinference_latest_calls")
    assert alone.rows() == ALL_CALLS


def test_openinference_latest_calls_beside_tokentrace(replay):
    result = replay("openinference_latest_calls_tokentrace")
    assert result.spans == 18
    assert result.rows() == ALL_CALLS
    assert result.metrics.spans_duplicate.value() == 9


def test_logfire_latest_calls(replay):
    """Logfire 5.4's ``instrument_openai()`` and ``instrument_anthropic()``: a request span
    per call, and for each of the 3 streams a ``streaming response`` log in a trace of its
    own, which is the call (12 spans, 9 rows). Beside tokentrace's instrumentation Logfire
    records the same spans (it suppresses other instrumentations inside its own)."""
    result = replay("logfire_latest_calls")
    assert result.spans == 12
    assert result.rows() == ALL_CALLS
    assert result.rows("stream") == [(0,)] * 6 + [(1,)] * 3


# openai-v2 on its default conventions (v1.30), and under
# ``OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`` with the messages captured on
# the span (``_openai_v2_experimental``): the same counts, plus ``server.address`` and
# ``gen_ai.input.messages``/``gen_ai.output.messages``; still no cache count nor stream sign.
OPENAI_V2 = ["openai_v2_latest_calls", "openai_v2_experimental_calls"]


@pytest.mark.parametrize("fixture", OPENAI_V2)
def test_openai_v2_latest_calls(replay, fixture):
    """opentelemetry-instrumentation-openai-v2 2.4b0 (with util-genai 1.0b0, the release
    it imports beside): the chat calls, sync and async, and the embeddings; not the
    Responses API (it wraps ``Completions`` and ``Embeddings`` only), nor Anthropic. Beside
    tokentrace's instrumentation every call once, priced with its cache."""
    alone = replay(fixture)
    assert alone.rows() == [*[GPT_4O_UNCACHED] * 3, EMBEDDING]


@pytest.mark.parametrize("fixture", OPENAI_V2)
def test_openai_v2_latest_calls_beside_tokentrace(replay, fixture):
    result = replay(f"{fixture}_tokentrace")
    assert result.spans == 13
    assert result.rows() == ALL_CALLS
    assert result.metrics.spans_duplicate.value() == 4


def test_mlflow_latest_calls(replay):
    """MLflow 3.17.2's tracing (``mlflow-tracing``, the newest release): an ``EMBEDDING``
    span has no ``mlflow.chat.tokenUsage``, and was stored usage-missing (cost unknown);
    its ``mlflow.spanOutputs`` (the OpenAI response) has the usage, now read: 1,200 input
    tokens, $0.000024. Anthropic's async ``messages.stream`` has no span of MLflow's (as
    the sync one): alone 8 rows for 9 calls, beside tokentrace's instrumentation 9."""
    alone = replay("mlflow_latest_calls")
    assert alone.rows() == [SONNET, SONNET, *[GPT_4O] * 5, EMBEDDING]
    assert alone.metrics.spans_duplicate.value() == 0
    # the Responses API and async chat streams: MLflow sets the request's ``stream: true``
    # as a plain attribute, its only sign of a stream (they were flagged 0)
    assert alone.rows("stream") == [(0,)] * 6 + [(1,)] * 2


def test_mlflow_latest_calls_beside_tokentrace(replay):
    result = replay("mlflow_latest_calls_tokentrace")
    assert result.spans == 17
    assert result.rows() == ALL_CALLS
    assert result.metrics.spans_duplicate.value() == 8


def test_openlit_latest_calls(replay):
    """OpenLIT 1.45.0 (with the SDKs its pins take: openai 2.54, anthropic 0.125): a span
    per call, the async Anthropic stream's included, each over an httpx span of its own
    (18 spans); beside tokentrace's instrumentation each call once (27 spans)."""
    alone = replay("openlit_latest_calls")
    assert alone.spans == 18
    assert alone.rows() == ALL_CALLS


def test_openlit_latest_calls_beside_tokentrace(replay):
    result = replay("openlit_latest_calls_tokentrace")
    assert result.spans == 27
    assert result.rows() == ALL_CALLS
    assert result.metrics.spans_duplicate.value() == 9


def test_langfuse_latest_calls(replay):
    """Langfuse 5.2.0's OpenAI drop-in on the OpenAI calls of ``_more_calls`` under an
    ``@observe`` function: a ``generation`` per chat and Responses API call (usage as
    OpenAI's usage object, ``input_tokens_details.cached_tokens`` for the Responses API)
    and an ``embedding`` (``{"input": 1200}``); the ``run`` span is not a call. Alone and
    beside tokentrace's instrumentation, one row per call."""
    alone = replay("langfuse_latest_calls")
    assert alone.spans == 7
    assert alone.rows() == [*[GPT_4O] * 5, EMBEDDING]
    # the Responses API and async chat streams: only they have a
    # ``completion_start_time`` (their first chunk's), Langfuse's one sign of a stream
    assert alone.rows("stream") == [(0,)] * 4 + [(1,)] * 2
    # and their time to first token (unset before): the first chunk's time less the span's
    # start, 12.274670 - 12.232703306 and 12.539434 - 12.523837169 seconds
    ttft = alone.rows("stream", "round(ifNull(ttft_ms, -1), 3)")
    assert ttft == [(0, -1)] * 4 + [(1, 15.597), (1, 41.967)]


def test_langfuse_latest_calls_beside_tokentrace(replay):
    result = replay("langfuse_latest_calls_tokentrace")
    assert result.spans == 13
    assert result.rows() == [*[GPT_4O] * 5, EMBEDDING]
    assert result.metrics.spans_duplicate.value() == 6


def test_litellm_latest_calls(replay):
    """LiteLLM 1.110.2's OpenTelemetry callback on ``completion`` with a tool,
    ``embedding``, ``responses`` plain and streamed and ``acompletion`` plain and
    streamed (OpenAI), ``completion`` with a tool and ``acompletion`` plain and streamed
    (Anthropic): a ``litellm_request`` span per call, each over a ``raw_gen_ai_request``
    span that is not one (18 spans, 9 rows); its Responses API spans set an empty
    ``gen_ai.system``, so the provider is the model's owner. Beside tokentrace's
    instrumentation each call once (27 spans)."""
    alone = replay("litellm_latest_calls")
    assert alone.spans == 18
    assert alone.rows() == ALL_CALLS
    assert alone.metrics.spans_duplicate.value() == 0
    # its operation names are LiteLLM's call types (``acompletion``, ``embedding``,
    # ``responses``): stored as the GenAI conventions' names, as tokentrace's
    # instrumentation stores the same calls (a Responses API call is a ``chat``)
    assert alone.rows("operation") == [("chat",)] * 8 + [("embeddings",)]


def test_litellm_latest_calls_beside_tokentrace(replay):
    result = replay("litellm_latest_calls_tokentrace")
    assert result.spans == 27
    assert result.rows() == ALL_CALLS
    assert result.metrics.spans_duplicate.value() == 9


def test_mlflow_genai_semconv_latest_calls(replay):
    """MLflow 3.17.2 under ``MLFLOW_ENABLE_OTEL_GENAI_SEMCONV=true``: its translation keeps
    no cache count (each call's 1,200 input tokens at the full rate, as
    ``test_sources.test_mlflow_genai_semconv``: gpt-4o $0.0038, claude-sonnet-4-5 1,200 × 3
    + 80 × 15 per million = $0.0048), and its embeddings span keeps no usage at all, nor
    ``mlflow.spanOutputs``: that call is usage-missing, its cost unknown (never $0)."""
    result = replay("mlflow_genai_semconv_latest_calls")
    sonnet = ("anthropic", "claude-sonnet-4-5", 1200, 80, 0, 0, 0, Decimal("0.0048"))
    assert result.rows()[:7] == [sonnet, sonnet, *[GPT_4O_UNCACHED] * 5]
    assert result.rows("model", "input_tokens", "usage_missing", "priced")[7] == (
        "text-embedding-3-small",
        0,
        1,
        0,
    )


# tokentrace's rows of the google-genai calls: the Gemini API (``gcp.gemini``).
FLASH_CALL = ("gcp.gemini", "gemini-2.5-flash", 1200, 80, 1000, 0, 0, Decimal("0.00029"))
GEMINI_EMBEDDING = ("gcp.gemini", "gemini-embedding-001", 1200, 0, 0, 0, 0, Decimal("0.00018"))


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_google_genai_latest_async_stream_once(replay, alone):
    """OpenInference's Google GenAI instrumentation (1.4.14) beside tokentrace's: its span of
    an async ``generate_content_stream`` is a root of its own trace and tokentrace's span of
    the stream another, and it sets no ``gen_ai.response.id``: the stream was two rows (5
    rows for 4 calls, $0.00134 for $0.00105). Its response id is read from the response it
    records (``output.value``'s ``response_id``): one row each call, tokentrace's, in one
    request or span by span."""
    result = replay("openinference_gemini_latest_calls_tokentrace", alone=alone)
    assert result.spans == 8
    assert result.rows() == [FLASH_CALL, FLASH_CALL, FLASH_CALL, GEMINI_EMBEDDING]
    assert result.rows("stream") == [(0,), (0,), (0,), (1,)]
    assert result.metrics.spans_duplicate.value() == 4


def test_openinference_google_genai_latest_alone(replay):
    """Alone, a row per call at its cost (provider ``gcp.gen_ai``: it says ``google``); its
    ``EMBEDDING`` span carries no count, so the embedding is usage-missing (cost unknown)."""
    result = replay("openinference_gemini_latest_calls")
    flash = ("gcp.gen_ai", "gemini-2.5-flash", 1200, 80, 1000, 0, 0, Decimal("0.00029"))
    assert result.rows()[:3] == [flash] * 3
    assert result.rows("model", "usage_missing", "priced")[3] == ("gemini-embedding-001", 1, 0)


def test_openllmetry_google_generativeai_latest_calls(replay):
    """OpenLLMetry's Google Generative AI instrumentation (0.62.4) on google-genai 3.6.1:
    the three ``generate_content`` calls, sync and async, streamed too; ``embed_content``
    it does not wrap (3 rows for 4 calls alone). Beside tokentrace, each call once."""
    alone = replay("openllmetry_gemini_latest_calls")
    flash = ("gcp.gen_ai", "gemini-2.5-flash", 1200, 80, 1000, 0, 0, Decimal("0.00029"))
    assert alone.rows() == [flash] * 3


def test_openllmetry_google_generativeai_latest_calls_beside_tokentrace(replay):
    beside = replay("openllmetry_gemini_latest_calls_tokentrace")
    assert beside.rows() == [FLASH_CALL, FLASH_CALL, FLASH_CALL, GEMINI_EMBEDDING]
    assert beside.metrics.spans_duplicate.value() == 3


# boto3 1.44.8's Titan Text Embeddings V2 InvokeModel (1,200 input tokens: $0.02 per million,
# https://aws.amazon.com/bedrock/pricing/, $0.000024) and a Converse call with a tool on
# Claude Sonnet 4.5 through ``global.`` ($0.002175, the Anthropic rates above).
TITAN = ("aws.bedrock", "amazon.titan-embed-text-v2:0", 1200, 0, 0, 0, 0, Decimal("0.000024"))
CONVERSE = (
    "aws.bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", 1200, 80, 1000, 100, 0,
    Decimal("0.002175"),
)  # fmt: skip


@pytest.mark.parametrize("source", ["openinference", "botocore"])
def test_bedrock_titan_embedding_alone(replay, source):
    """OpenInference's Bedrock instrumentation (0.1.61) names the Titan embedding's
    InvokeModel ``chat``, the contrib botocore one (0.66b2) ``text_completion``: an input
    count and no output, so it was stored usage-missing (cost unknown). An embedding
    model's call is an embedding (input only): $0.000024, operation ``embeddings``."""
    result = replay(f"{source}_bedrock_latest_calls")
    assert result.rows() == [TITAN, CONVERSE]
    assert result.rows("operation") == [("chat",), ("embeddings",)]


def test_openllmetry_bedrock_titan_embedding_alone(replay):
    """OpenLLMetry's Bedrock instrumentation (0.62.4) names the model without its vendor
    (``titan-embed-text-v2:0``): no price matched it (``unknown_model``, cost unknown). The
    vendor is put back (``amazon.titan-embed-text-v2:0``): $0.000024 as the others price it.
    Its Converse span's model lacks the ``global.`` profile, which sets Claude Sonnet 4.5's
    rate (10% less than a geographic one): no rate, as the pricer leaves a bare id."""
    result = replay("openllmetry_bedrock_latest_calls")
    assert result.rows("model", "operation", "input_tokens", "usage_missing", "priced") == [
        ("amazon.titan-embed-text-v2:0", "embeddings", 1200, 0, 1),
        ("anthropic.claude-sonnet-4-5-20250929-v1:0", "chat", 1200, 0, 0),
    ]
    assert result.rows("model", "cost", "unpriced_reason") == [
        ("amazon.titan-embed-text-v2:0", Decimal("0.000024"), ""),
        ("anthropic.claude-sonnet-4-5-20250929-v1:0", 0, "no_rate"),
    ]


@pytest.mark.parametrize("source", ["openllmetry", "openinference", "botocore"])
def test_bedrock_latest_calls_beside_tokentrace(replay, source):
    result = replay(f"{source}_bedrock_latest_calls_tokentrace")
    assert result.spans == 4
    assert result.rows() == [TITAN, CONVERSE]
    assert result.metrics.spans_duplicate.value() == 2
