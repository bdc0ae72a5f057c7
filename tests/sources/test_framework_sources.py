"""Agent frameworks' own tracing, replayed as ``test_sources`` replays its sources: one
row per call, exact usage and cost, alone and beside tokentrace's instrumentation.

Recorded by ``tests/fixtures/sources/record/record.py`` (which says how to install the
packages) against the provider stand-ins:

- Microsoft Agent Framework 1.23 (agent-framework-core, -openai, -anthropic, -bedrock;
  openai 3.57, anthropic 1.17, boto3): an agent on gpt-4o (Chat Completions), on Claude
  Sonnet 4.5 (Messages API) and on Claude Sonnet 4.5 through Bedrock's Converse (the
  ``global.`` profile), each run and streamed; then one more Claude call with the
  Anthropic SDK's own tracing off. The gpt-4o and first four Claude calls ask for 1,200
  input tokens (1,000 cache reads; Claude's also 100 cache writes) and 80 output tokens;
  the last Claude call and the Bedrock ones for 5,000 input tokens (1,000 cache reads,
  100 cache writes) and 80 output tokens;
- the same on Claude Sonnet 4.5 through Vertex AI's global endpoint and Microsoft Foundry
  (``AnthropicVertexClient``, ``AnthropicFoundryClient``), run and streamed, 1,200 input
  tokens (1,000 cache reads, 100 cache writes) and 80 output tokens, with the Anthropic
  SDK's own tracing off and on;
- the same on Claude Sonnet 4.5 through Vertex AI's ``us-east5`` endpoint, run and streamed,
  the Anthropic SDK's own tracing off, on the SDK's own base URL (its requests carried to
  the stand-in);
- AutoGen AgentChat 0.7.5 (autogen-ext's OpenAI client, openai 3.57) with OpenInference's
  AutoGen AgentChat instrumentation (0.1.22) and autogen-core's own ``create_agent`` and
  ``invoke_agent`` spans: an assistant on gpt-4o run, then run with
  ``model_client_stream`` (which asks for no usage in the stream), each call asking for
  1,200 input tokens (1,000 cache reads) and 80 output tokens; alone, beside
  OpenInference's OpenAI instrumentation and beside tokentrace's;
- LangGraph 1.2 (``create_react_agent`` over langchain-openai 1.8's ChatOpenAI with
  ``stream_usage``) with OpenLLMetry's LangChain instrumentation (0.62.4) and tokentrace's,
  invoked and streamed, each call asking for 1,200 input tokens (1,000 cache reads) and 80
  output tokens;
- BeeAI Framework 0.1.85 (its OpenAI chat model, over LiteLLM 1.110 and openai 3.57) with
  OpenInference's BeeAI instrumentation (0.1.30), gpt-4o run and streamed, the same usage;
  alone and beside tokentrace's instrumentation.

Prices (USD per million tokens): gpt-4o input 2.50, cached input 1.25, output 10
(https://openai.com/api/pricing/); Claude Sonnet 4.5 input 3, cache read 0.30, 5-minute
cache write 3.75, output 15 (https://www.anthropic.com/pricing#api), the same through
Bedrock's global profile (https://aws.amazon.com/bedrock/pricing/).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from .test_sources import GPT_4O, SONNET

FIELDS = (
    "provider", "request_model", "input_tokens", "output_tokens", "cache_read_tokens",
    "cache_write_tokens", "usage_missing", "stream", "cost",
)  # fmt: skip

# Claude Sonnet 4.5, 5,000 input tokens of which 1,000 cache reads and 100 cache writes, 80
# output: 3,900 × 3 + 1,000 × 0.30 + 100 × 3.75 + 80 × 15 per million.
SONNET_LARGE = Decimal("0.013575")
BEDROCK_GLOBAL = ("aws.bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0")
CLAUDE = ("anthropic", "claude-sonnet-4-5")


def _agent_framework_rows(stream: int) -> list[tuple]:
    """One row each call; ``stream``: whether the streamed OpenAI and Bedrock calls say so
    (only tokentrace's spans do: Agent Framework's own sets no stream attribute)."""
    return [
        (*CLAUDE, 1200, 80, 1000, 100, 0, 0, SONNET),
        (*CLAUDE, 1200, 80, 1000, 100, 0, 1, SONNET),  # the Anthropic SDK's span says so
        (*CLAUDE, 5000, 80, 1000, 100, 0, 0, SONNET_LARGE),
        (*BEDROCK_GLOBAL, 5000, 80, 1000, 100, 0, 0, SONNET_LARGE),
        (*BEDROCK_GLOBAL, 5000, 80, 1000, 100, 0, stream, SONNET_LARGE),
        ("openai", "gpt-4o", 1200, 80, 1000, 0, 0, 0, GPT_4O),
        ("openai", "gpt-4o", 1200, 80, 1000, 0, 0, stream, GPT_4O),
    ]


@pytest.mark.parametrize("alone", [False, True])
def test_agent_framework(replay, alone):
    """Agent Framework's ``chat`` spans are the calls; its ``invoke_agent`` spans, which
    carry the sum of their calls' usage under ``gen_ai.provider.name=microsoft.
    agent_framework``, are not. Its Claude input count is the API's ``input_tokens`` and
    its Bedrock one Converse's ``inputTokens``, both without the cache: read as they were
    (3,900 of 5,000, input without cache taken as input with it) the two Claude calls
    whose uncached input is above their cache cost 0.010275 instead of 0.013575 each, and
    only a repair made up for the others'. The Anthropic SDK's span of its traced calls
    shares the response id: one row each."""
    result = replay("agent_framework", alone=alone)
    assert result.spans == 16
    assert result.rows(*FIELDS) == _agent_framework_rows(stream=0)
    assert result.metrics.spans_duplicate.value() == 2
    assert result.metrics.usage_repaired.value(repair="input_below_cache") == 0


@pytest.mark.parametrize("alone", [False, True])
def test_agent_framework_and_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation (which sees every call, boto3's through urllib3
    too): one row each call."""
    result = replay("agent_framework_tokentrace", alone=alone)
    assert result.spans == 23
    assert result.rows(*FIELDS) == _agent_framework_rows(stream=1)
    assert result.metrics.spans_duplicate.value() == 9


CLOUD_FIELDS = (*FIELDS[:-1], "unpriced_reason", "cost")
VERTEX_CLAUDE = "claude-sonnet-4-5@20250929"
VERTEX_CLAUDE_GLOBAL = (
    "projects/record/locations/global/publishers/anthropic/models/" + VERTEX_CLAUDE
)
CLOUD_USAGE = (1200, 80, 1000, 100, 0)


@pytest.mark.parametrize("alone", [False, True])
def test_agent_framework_claude_on_vertex_and_foundry(replay, alone):
    """Agent Framework's Claude clients on Vertex AI (``AnthropicVertexClient``, the global
    endpoint) and Microsoft Foundry (``AnthropicFoundryClient``), run and streamed, with the
    Anthropic SDK's own tracing off: their ``chat`` spans name the providers
    ``google.vertex.ai`` and ``azure.ai.foundry``, which nothing knew (stored as named; the
    Vertex calls unpriced as an unknown provider's, the Foundry ones priced by the model's
    name alone). Now Vertex AI's and Azure AI's: Foundry's at Claude Sonnet 4.5's rates,
    $0.002175 (``SONNET``: 100 × 3 + 1,000 × 0.30 + 100 × 3.75 + 80 × 15 per million,
    https://www.anthropic.com/pricing#api, which Foundry bills Claude at; genai-prices'
    Azure entry has the same rates). Vertex AI's Sonnet 4.5 costs 10% more on a regional
    endpoint than on the global one and the span says only ``server.address``, the base URL
    (here the stand-in's, not ``aiplatform.googleapis.com``): unpriced (``no_rate``), not
    the global rate by guess. No stream attribute."""
    result = replay("agent_framework_anthropic_clouds", alone=alone)
    assert result.spans == 8
    foundry = ("azure.ai.inference", "claude-sonnet-4-5", *CLOUD_USAGE, 0, "", SONNET)
    vertex = ("gcp.vertex_ai", VERTEX_CLAUDE, *CLOUD_USAGE, 0, "no_rate", 0)
    assert result.rows(*CLOUD_FIELDS) == [foundry, foundry, vertex, vertex]


@pytest.mark.parametrize("alone", [False, True])
def test_agent_framework_claude_on_vertex_and_foundry_sdk_traced(replay, alone):
    """The same with the Anthropic SDK's own tracing on (its default): its span of each call
    shares the response id and is kept. Its ``AnthropicVertex`` spans name the bare model
    and the endpoint's path in ``url.full`` (``…/locations/global/publishers/anthropic/
    models/claude-sonnet-4-5@20250929:rawPredict``): read as the request model, as
    tokentrace's instrumentation names it, the global endpoint's rates apply, $0.002175
    (https://cloud.google.com/vertex-ai/generative-ai/pricing: Sonnet 4.5 $3 / $15 on the
    global endpoint, cache reads $0.30, 5-minute writes $3.75). They were unpriced
    (``no_rate``). Its ``AnthropicFoundry`` spans name ``anthropic``, on any host; their
    scope (``com.anthropic.sdk.python.foundry``) says Microsoft Foundry: Azure AI's, as
    Agent Framework's span names them (they were stored as Anthropic's), at the same
    $0.002175 (Foundry bills Claude at Anthropic's rates: ``SONNET``)."""
    result = replay("agent_framework_anthropic_clouds_sdk", alone=alone)
    assert result.spans == 12
    assert result.rows(*CLOUD_FIELDS) == [
        ("azure.ai.inference", "claude-sonnet-4-5", *CLOUD_USAGE, 0, "", SONNET),
        ("azure.ai.inference", "claude-sonnet-4-5", *CLOUD_USAGE, 1, "", SONNET),
        ("gcp.vertex_ai", VERTEX_CLAUDE_GLOBAL, *CLOUD_USAGE, 0, "", SONNET),
        ("gcp.vertex_ai", VERTEX_CLAUDE_GLOBAL, *CLOUD_USAGE, 1, "", SONNET),
    ]
    assert result.metrics.spans_duplicate.value() == 4


# Claude Sonnet 4.5 on a Vertex AI regional endpoint, 1,200 input tokens of which 1,000 cache
# reads and 100 cache writes, 80 output: 10% over the global endpoint's rates, 100 × 3.30 +
# 1,000 × 0.33 + 100 × 4.125 + 80 × 16.50 per million
# (https://cloud.google.com/vertex-ai/generative-ai/pricing: Sonnet 4.5's regional rates).
VERTEX_CLAUDE_REGIONAL = Decimal("0.0023925")


@pytest.mark.parametrize("alone", [False, True])
def test_agent_framework_claude_on_a_vertex_region(replay, alone):
    """Agent Framework's ``AnthropicVertexClient`` on Vertex AI's ``us-east5`` endpoint,
    run and streamed, the Anthropic SDK's own tracing off: its ``chat`` span names the bare
    model and records the client's base URL as ``server.address``
    (``https://us-east5-aiplatform.googleapis.com/v1/``). The host's location is read
    (``sources.vertex_claude_at_host``): the regional rates, $0.0023925 a call; the calls
    were unpriced (``no_rate``: Sonnet 4.5's rate depends on the endpoint)."""
    result = replay("agent_framework_vertex_regional", alone=alone)
    assert result.spans == 4
    regional = (
        "gcp.vertex_ai",
        "projects/-/locations/us-east5/publishers/anthropic/models/" + VERTEX_CLAUDE,
        *CLOUD_USAGE, 0, "", VERTEX_CLAUDE_REGIONAL,
    )  # fmt: skip
    assert result.rows(*CLOUD_FIELDS) == [regional, regional]


def _uncached_input(tokens: int):
    """A rewrite of a fixture whose Agent Framework ``chat`` spans say 100 input tokens
    (the Messages API's ``input_tokens``, without the cache) to ``tokens``: the same calls
    had their uncached input been larger than their cache."""

    def rewrite(body: bytes) -> bytes:
        document = json.loads(body)
        for resource in document["resourceSpans"]:
            for scope in resource["scopeSpans"]:
                if scope["scope"]["name"] != "agent_framework":
                    continue
                for span in scope["spans"]:
                    for attribute in span["attributes"]:
                        if attribute["key"] == "gen_ai.usage.input_tokens":
                            attribute["value"] = {"intValue": str(tokens)}
        return json.dumps(document).encode()

    return rewrite


# Claude Sonnet 4.5 on Vertex AI's us-east5 endpoint, 5,000 input tokens of which 1,000
# cache reads and 100 cache writes, 80 output: 3,900 × 3.30 + 1,000 × 0.33 + 100 × 4.125 +
# 80 × 16.50 per million (https://cloud.google.com/vertex-ai/generative-ai/pricing).
VERTEX_CLAUDE_REGIONAL_LARGE = Decimal("0.0149325")


@pytest.mark.parametrize("alone", [False, True])
def test_agent_framework_claude_on_clouds_counts_its_input_without_cache(replay, alone):
    """Agent Framework's Claude clients on Vertex AI and Foundry name their clouds
    (``google.vertex.ai``, ``azure.ai.foundry``), and their input count is still the Messages
    API's, without the cache: read as including it, a call of 3,900 uncached tokens was 3,900
    tokens in all, $0.010275 on Foundry for $0.013575 (``SONNET_LARGE``) and $0.0113025 on
    a Vertex region for $0.0149325; only calls whose uncached input was below the cache were
    right, by the ``input_below_cache`` repair."""
    clouds = replay("agent_framework_anthropic_clouds", alone=alone, rewrite=_uncached_input(3900))
    usage = (5000, 80, 1000, 100, 0, 0)  # and neither usage-missing nor a stream
    foundry = ("azure.ai.inference", "claude-sonnet-4-5", *usage, "", SONNET_LARGE)
    vertex = ("gcp.vertex_ai", VERTEX_CLAUDE, *usage, "no_rate", 0)
    assert clouds.rows(*CLOUD_FIELDS) == [foundry, foundry, vertex, vertex]
    assert clouds.metrics.usage_repaired.value(repair="input_below_cache") == 0


@pytest.mark.parametrize("alone", [False, True])
def test_agent_framework_claude_on_a_vertex_region_counts_its_input_without_cache(replay, alone):
    """The same on Vertex AI's ``us-east5`` endpoint: $0.0149325 a call, was $0.0113025."""
    regional = replay("agent_framework_vertex_regional", alone=alone, rewrite=_uncached_input(3900))
    usage = (5000, 80, 1000, 100, 0, 0)
    model = "projects/-/locations/us-east5/publishers/anthropic/models/" + VERTEX_CLAUDE
    row = ("gcp.vertex_ai", model, *usage, "", VERTEX_CLAUDE_REGIONAL_LARGE)
    assert regional.rows(*CLOUD_FIELDS) == [row, row]


@pytest.mark.parametrize("name", ["aws", "bedrock"])
def test_agent_framework_bedrock_under_another_name(replay, name):
    """Bedrock as OpenInference (``llm.provider=aws``) and LiteLLM (``bedrock``) name it, on
    Agent Framework's Converse spans (input without the cache): the provider's name is made
    canonical before the counts are read, so the rule for Bedrock's input applies whatever
    the span calls it. Under ``bedrock`` the 3,900 uncached tokens were taken as the whole
    input: $0.010275 a call for $0.013575 (``SONNET_LARGE``)."""
    renamed = f'"stringValue": "{name}"'.encode()
    result = replay(
        "agent_framework",
        rewrite=lambda body: body.replace(b'"stringValue": "aws.bedrock"', renamed),
    )
    assert result.rows(*FIELDS) == _agent_framework_rows(stream=0)
    assert result.metrics.usage_repaired.value(repair="input_below_cache") == 0


# An AutoGen stream without usage: AutoGen's ``RequestUsage(0, 0)``, unknown, not $0.
AUTOGEN_STREAM = ("openai", "gpt-4o", 0, 0, 0, 0, 1, "usage_missing", Decimal(0))
AUTOGEN_FIELDS = (
    "provider", "model", "input_tokens", "output_tokens", "cache_read_tokens",
    "cache_write_tokens", "usage_missing", "unpriced_reason", "cost",
)  # fmt: skip


@pytest.mark.parametrize("alone", [False, True])
def test_autogen(replay, alone):
    """OpenInference's AutoGen ``LLM`` span is the call (autogen-core's ``create_agent``
    and ``invoke_agent``, and OpenInference's ``AGENT``, are not). It copies AutoGen's
    usage, which has no cache counts: the plain call was priced at the uncached rate
    (1,200 × 2.50 + 80 × 10 per million = $0.0038, true $0.00255); OpenAI caches 1,024
    tokens or more on its own, so its cost is unknown (usage-missing). Of the stream
    AutoGen had no usage and reports zeros, which were stored as a call of 0 tokens that
    cost $0: no call that succeeded used no tokens, so it is usage-missing."""
    result = replay("autogen", alone=alone)
    assert result.spans == 8
    assert result.rows(*AUTOGEN_FIELDS) == [
        AUTOGEN_STREAM,
        ("openai", "gpt-4o", 1200, 80, 0, 0, 1, "usage_missing", 0),
    ]


@pytest.mark.parametrize("fixture", ["autogen_openai", "autogen_tokentrace"])
@pytest.mark.parametrize("alone", [False, True])
def test_autogen_beside_an_sdk_instrumentation(replay, fixture, alone):
    """Beside OpenInference's OpenAI instrumentation or tokentrace's, whose span of each
    call is the AutoGen span's child: one row each call, the SDK-level span's (with the
    cache counts); the stream's usage is missing in both spans."""
    result = replay(fixture, alone=alone)
    assert result.spans == 10
    assert result.rows(*AUTOGEN_FIELDS) == [
        AUTOGEN_STREAM,
        ("openai", "gpt-4o", 1200, 80, 1000, 0, 0, "", GPT_4O),
    ]
    assert result.metrics.spans_duplicate.value() == 2


@pytest.mark.parametrize("alone", [False, True])
def test_langgraph_openllmetry_and_tokentrace(replay, alone):
    """OpenLLMetry's LangChain instrumentation names LangGraph's agent and tasks
    (``invoke_agent``, ``execute_task``: not calls) and each model call
    (``ChatOpenAI.chat``); it never makes its span current, so tokentrace's span of the
    call is its sibling, and the streamed call's has no response id: it was two rows.
    Paired as a framework's with the span inside it: one row each call, tokentrace's."""
    result = replay("openllmetry_langgraph_tokentrace", alone=alone)
    assert result.spans == 16
    assert result.rows(*FIELDS) == [
        ("openai", "gpt-4o", 1200, 80, 1000, 0, 0, stream, GPT_4O) for stream in (0, 1)
    ]
    assert result.metrics.spans_duplicate.value() == 2


@pytest.mark.parametrize("fixture", ["openinference_beeai", "openinference_beeai_tokentrace"])
@pytest.mark.parametrize("alone", [False, True])
def test_beeai(replay, fixture, alone):
    """OpenInference's BeeAI ``LLM`` span is the call (its ``new_token`` spans, ``LLM`` too,
    carry nothing of one); its cache count is BeeAI's usage's, ``metadata.usage.
    cached_prompt_tokens``, unread before: each call cost the uncached 0.0038. BeeAI's span
    is never current, so tokentrace's span of the call (under LiteLLM) is a root of its own
    trace, inside it in time: each call was two rows. One row each call."""
    result = replay(fixture, alone=alone)
    assert result.spans == (15 if fixture.endswith("tokentrace") else 13)
    assert result.rows("provider", "model", *FIELDS[2:]) == [
        ("openai", "gpt-4o", 1200, 80, 1000, 0, 0, stream, GPT_4O) for stream in (0, 1)
    ]
