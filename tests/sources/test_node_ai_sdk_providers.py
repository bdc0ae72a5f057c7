"""The Vercel AI SDK's other provider packages, replayed into chDB in one request and span by
span.

Recorded on 2026-12-04 (``record.cjs``: ``vercelProviderCalls``) with npm's newest releases
that day of each major. AI SDK 7: ai 7.0.173 and @ai-sdk/otel 1.0.173 (runtime context on:
user and session), with @ai-sdk/mistral 4.0.87, @ai-sdk/groq 4.0.84, @ai-sdk/xai 5.0.12,
@ai-sdk/deepseek 3.0.56, @ai-sdk/openai-compatible 3.0.92 (a provider named ``together``),
@ai-sdk/amazon-bedrock 5.0.101 (Converse, Claude Sonnet 4.5 through the ``global.`` profile),
@ai-sdk/azure 4.0.85 (gpt-4o, the Responses API) and @ai-sdk/google-vertex 5.0.141 (Gemini);
58 spans (``chat``, ``agent_step``, ``invoke_agent`` each). AI SDK 6: ai 6.0.333
(``experimental_telemetry`` with user and session in its metadata), with mistral 3.0.69, groq
3.0.71, xai 3.0.138, deepseek 2.0.69, openai-compatible 2.0.92, amazon-bedrock 4.0.186, azure
3.0.128, google-vertex 4.0.208; 40 spans. Each model (two of xAI's: Grok 3 and the reasoning Grok 3
Mini) generated and streamed once, and two embeddings (``embed``: Mistral's, Titan's on
Bedrock): 20 calls.
Each call is 1,200 input tokens and
80 output; where the provider caches, 1,000 of the input are cache reads (and on Bedrock 100
more cache writes, 100 uncached).

Prices (USD per million tokens, a call each):
- Mistral Small 3.2 (``mistral-small-2506``, answered as ``mistral-small-3.2-24b-instruct``):
  0.10 in, 0.30 out (https://mistral.ai/pricing): 1,200 × 0.10 + 80 × 0.30 = $0.000144.
- Groq Llama 3.3 70B Versatile: 0.59 in, 0.79 out (https://groq.com/pricing): $0.0007712.
- xAI Grok 3: 3 in, 0.75 cached, 15 out (https://docs.x.ai/docs/models): 200 × 3 + 1,000 ×
  0.75 + 80 × 15 = $0.00255.
- xAI Grok 3 Mini, 30 of the 80 output tokens reasoning: 0.30 in, 0.075 cached, 0.50 out
  (https://docs.x.ai/docs/models): 200 × 0.30 + 1,000 × 0.075 + 80 × 0.50 = $0.000175.
- DeepSeek ``deepseek-chat`` (deepseek-v4-flash's rates, ``corrections.yaml``): 0.14 miss,
  0.0028 hit, 0.28 out (https://api-docs.deepseek.com/quick_start/pricing): 200 × 0.14 +
  1,000 × 0.0028 + 80 × 0.28 = $0.0000532.
- Together Llama 3.3 70B Instruct Turbo: 0.88 in and out (https://www.together.ai/pricing):
  $0.0011264.
- Claude Sonnet 4.5 on Bedrock, ``global.`` profile: 3 in, 0.30 cache read, 3.75 cache write,
  15 out (https://aws.amazon.com/bedrock/pricing/): 100 × 3 + 1,000 × 0.30 + 100 × 3.75 + 80 ×
  15 = $0.002175.
- gpt-4o on Azure OpenAI (Global): 2.50 in, 1.25 cached, 10 out
  (https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/):
  200 × 2.50 + 1,000 × 1.25 + 80 × 10 = $0.00255.
- Gemini 2.5 Flash on Vertex AI: 0.30 in, 0.03 cached, 2.50 out
  (https://cloud.google.com/vertex-ai/generative-ai/pricing): 200 × 0.30 + 1,000 × 0.03 + 80
  × 2.50 = $0.00029.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

BEDROCK = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
CALLS = [
    ("aws.bedrock", BEDROCK, 1200, 80, 1000, 100, 0, Decimal("0.002175")),
    ("deepseek", "deepseek-chat", 1200, 80, 1000, 0, 0, Decimal("0.0000532")),
    ("gcp.vertex_ai", "gemini-2.5-flash", 1200, 80, 1000, 0, 0, Decimal("0.00029")),
    ("groq", "llama-3.3-70b-versatile", 1200, 80, 0, 0, 0, Decimal("0.0007712")),
    ("mistral_ai", "mistral-small-3.2-24b-instruct", 1200, 80, 0, 0, 0, Decimal("0.000144")),
    ("together_ai", "meta-llama/Llama-3.3-70B-Instruct-Turbo", 1200, 80, 0, 0, 0,
     Decimal("0.0011264")),
    # grok-3, retired by xAI on 2026-05-15, billed at grok-4.3's $1.25 / cached $0.20 / $2.50
    # since (https://docs.x.ai/developers/migration/may-15-retirement): 200 x 1.25 + 1,000 x
    # 0.2 + 80 x 2.5 (0.00255 at grok-3's own $3 / $0.75 / $15)
    ("x_ai", "grok-3", 1200, 80, 1000, 0, 0, Decimal("0.00065")),
    ("x_ai", "grok-3-mini", 1200, 80, 1000, 0, 0, Decimal("0.000175")),
]  # fmt: skip
# 1,200 tokens embedded: Mistral's mistral-embed, 0.10 per million (https://mistral.ai/pricing),
# and Titan Text Embeddings V2 on Bedrock, 0.02 (https://aws.amazon.com/bedrock/pricing/). The
# AI SDK 6's embedding spans name their provider only in ``ai.model.provider``: Titan's row
# had no provider and was ``unknown_model`` (Mistral's was found by the model's owner).
EMBEDDINGS = [
    ("aws.bedrock", "amazon.titan-embed-text-v2:0", 1200, 0, 0, 0, 0, Decimal("0.000024")),
    ("mistral_ai", "mistral-embed", 1200, 0, 0, 0, 0, Decimal("0.00012")),
]
# @ai-sdk/azure's calls (Azure OpenAI), priced at Azure's list: @ai-sdk/otel names every
# ``azure.*`` id Azure AI Inference's, which was the AI SDK 7's rows' provider, while the
# AI SDK 6's were Azure OpenAI's: one service under two names. Both are Azure OpenAI's now.
AZURE = {7: "azure.ai.openai", 6: "azure.ai.openai"}


@pytest.mark.parametrize("alone", [False, True])
@pytest.mark.parametrize(("major", "spans"), [(7, 58), (6, 40)])
def test_ai_sdk_provider_packages(replay, major, spans, alone):
    """One row per call, each priced exactly, plain and streamed (flagged), with the user and
    session. @ai-sdk/otel names the providers it knows by the GenAI conventions (``x_ai``,
    ``aws.bedrock``) and passes the others' ids through: the openai-compatible provider's
    ``together.chat`` was the row's provider and its calls ``unknown_model`` (2 rows
    unpriced); it is Together's now. The AI SDK 6's Bedrock id has no dot
    (``amazon-bedrock``), and was the row's provider as it came; it is ``aws.bedrock`` now."""
    result = replay(f"vercel_ai_{major}_providers", alone=alone)
    calls = [*CALLS, (AZURE[major], "gpt-4o", 1200, 80, 1000, 0, 0, Decimal("0.00255"))]
    assert result.spans == spans
    assert result.rows() == sorted(calls * 2 + EMBEDDINGS)
    assert result.rows("provider", "stream", "user", "conversation", "priced") == sorted(
        [
            (provider, stream, "user-1", "session-1", 1)
            for provider, *_ in calls
            for stream in (0, 1)
        ]
        + [(provider, 0, "user-1", "session-1", 1) for provider, *_ in EMBEDDINGS]
    )
    # grok-3-mini's 30 reasoning tokens (of its 80 output): @ai-sdk/otel 1.0 writes no
    # reasoning count; the cost is whole all the same, the output count includes them
    assert [n for (n,) in result.rows("reasoning_tokens") if n] == ([30, 30] if major == 6 else [])
    # the AI SDK 7's ``embed`` operation spans, which look like their model calls' (see
    # test_node_latest_calls.py)
    assert result.metrics.spans_duplicate.value() == (2 if major == 7 else 0)
