"""Per-provider instrumentations' real spans, replayed as ``test_sources`` replays its own:
one row per call, exact usage and cost, alone and beside tokentrace's instrumentation.

Recorded by ``tests/fixtures/sources/record/record.py`` (which says how to install the
packages) against the provider stand-ins, each call asking for 1,200 input tokens (for
Gemini and Claude, 1,000 of them cache reads; for Claude also 100 cache writes) and 80
output tokens, plain and streamed:

- OpenLLMetry 0.62.4's Bedrock (boto3 1.44), Google GenAI (google-genai 3.6.1), Cohere
  (cohere 7.3.1) and Ollama (ollama 0.6.3) instrumentations. Bedrock: Claude Sonnet 4.5's
  Converse and InvokeModel through the ``global.`` profile, ConverseStream and
  InvokeModelWithResponseStream through the ``us.`` one. Its Cohere instrumentation
  declares ``cohere >=4.2.7, <6`` and does nothing beside cohere 7.3.1 (no span); its
  Mistral one imports ``mistralai.models``, which mistralai 2 moved: both recorded apart,
  over cohere 5.21 (v1 ``Client`` and ``ClientV2``) and mistralai 1.12
  (``openllmetry_cohere_mistral``);
- Elastic's EDOT OpenAI instrumentations: Python 1.2.0 (openai 3.57), Node 0.5.1 (openai
  4.104);
- OpenLLMetry's (0.62.4) and OpenInference's (0.1.33) Groq instrumentations (groq 1.7),
  ``openai/gpt-oss-120b``, 1,000 of the 1,200 input tokens cached;
- OpenInference's Vertex AI instrumentation (0.1.29, google-cloud-aiplatform 2.7),
  gemini-2.5-flash, 1,000 of the 1,200 input tokens cached;
- OpenInference JS's (0.5.1) and OpenLLMetry JS's (0.27) Bedrock instrumentations together
  (@aws-sdk/client-bedrock-runtime 3.1164);
- the AI SDK 6 with its Google provider (@ai-sdk/google 3.0), gemini-2.5-flash, 1,000 of
  the 1,200 input tokens cached.

Prices (USD per million tokens):

- Claude Sonnet 4.5 on Bedrock, in-region and geographic (``us.``) profiles: input 3.30,
  cache read 0.33, 5-minute cache write 4.125, output 16.50; global profile: 3, 0.30,
  3.75, 15 (https://aws.amazon.com/bedrock/pricing/);
- gemini-2.5-flash: input 0.30, cached input 0.03, output 2.50
  (https://ai.google.dev/gemini-api/docs/pricing);
- Command A (``command-a-03-2025``): input 2.50, output 10 (https://cohere.com/pricing);
- Ollama: self-hosted, no per-token price (stored unpriced, reason ``self_hosted``).
"""

from __future__ import annotations

import copy
import json
import pickle
from decimal import Decimal

import pytest

from tokentrace.processor import held_calls
from tokentrace.processor.extract.dedupe import _HOLD_NS, Deduper
from tokentrace.processor.extract.extractor import extract
from tokentrace.processor.metrics import Registry
from tokentrace.processor.pipeline import Pipeline, price_call
from tokentrace.processor.receivers.otlp_codec import decode_json
from tokentrace.processor.server import _adopt_earlier_held_calls
from tokentrace.processor.store.spool import Spool

from .conftest import FIXTURES, _one_span_each
from .test_sources import (
    ANTHROPIC,
    FLASH,
    GPT_4O,
    OPENAI,
    SONNET,
    assert_no_usage,
)  # fmt: skip

# Claude Sonnet 4.5 on Bedrock at the in-region / ``us.`` rates: 100 × 3.30 + 1,000 × 0.33 +
# 100 × 4.125 + 80 × 16.50 per million.
BEDROCK_REGIONAL = Decimal("0.0023925")
# Command A, 1,200 × 2.50 + 80 × 10 per million.
COMMAND_A = Decimal("0.0038")

FIELDS = (
    "provider", "request_model", "input_tokens", "output_tokens", "cache_read_tokens",
    "cache_write_tokens", "usage_missing", "stream", "priced", "unpriced_reason", "cost",
)  # fmt: skip
SONNET_ID = "anthropic.claude-sonnet-4-5-20250929-v1:0"
# OpenLLMetry's Bedrock spans: its ``_cross_region_check`` knows the ``us``, ``us-gov``,
# ``eu`` and ``apac`` profiles. A ``global.`` model id is read as vendor ``global``, model
# ``anthropic.claude…``: the profile is lost, and InvokeModel, whose usage it reads by
# vendor, gets no usage at all. A ``us.`` id loses both prefixes (``claude-sonnet-4-5-…``):
# its vendor is put back (``sources.Source.bedrock_model``), not its profile.
# A bare id does not say whether ``global.`` or a geographic profile (10% more) served the
# call: its cost is unknown (``names.bedrock_profile_unknown``), not the in-region rate.
# Converse's input is Bedrock's ``inputTokens``, without the cache (read as that source's,
# not repaired); InvokeModel's stream has Claude's ``input_tokens`` and no cache counts: its
# cost is unknown (usage-missing), the cache not counted. No span says whether it streamed.
OPENLLMETRY_BEDROCK = [
    ("aws.bedrock", SONNET_ID, 0, 0, 0, 0, 1, 0, 0, "usage_missing", Decimal(0)),
    ("aws.bedrock", SONNET_ID, 100, 80, 0, 0, 1, 0, 0, "usage_missing", Decimal(0)),  # us.
    ("aws.bedrock", SONNET_ID, 1200, 80, 1000, 100, 0, 0, 0, "no_rate", Decimal(0)),
    ("aws.bedrock", SONNET_ID, 1200, 80, 1000, 100, 0, 0, 0, "no_rate", Decimal(0)),  # us.
]
OLLAMA = ("ollama", "llama3.2", 1200, 80, 0, 0, 0)


def _rows(result) -> list[tuple]:
    return result.rows(*FIELDS)


def test_openllmetry_providers(replay):
    """OpenLLMetry's per-provider spans alone: one row each call. Gemini's
    ``gen_ai.provider.name=gcp.gen_ai``, input including the cache; Ollama's
    ``gen_ai.system=Ollama``, ``llm.is_streaming``."""
    result = replay("openllmetry_providers")
    assert result.spans == 8
    rows = _rows(result)
    assert rows[:4] == OPENLLMETRY_BEDROCK
    flash = ("gcp.gen_ai", "gemini-2.5-flash", 1200, 80, 1000, 0, 0, 0, 1, "", FLASH)
    assert rows[4:6] == [flash, flash]  # no stream attribute
    assert rows[6:] == [(*OLLAMA, 0, 0, "self_hosted", 0), (*OLLAMA, 1, 0, "self_hosted", 0)]
    assert result.metrics.usage_repaired.value(repair="input_below_cache") == 0


# boto3's four Bedrock calls as tokentrace meters them (urllib3): Converse and InvokeModel
# through ``global.``, ConverseStream and InvokeModelWithResponseStream through ``us.``, exact.
BEDROCK_TOKENTRACE = [
    ("aws.bedrock", "global." + SONNET_ID, 1200, 80, 1000, 100, 0, 0, 1, "", SONNET),
    ("aws.bedrock", "global." + SONNET_ID, 1200, 80, 1000, 100, 0, 0, 1, "", SONNET),
    ("aws.bedrock", "us." + SONNET_ID, 1200, 80, 1000, 100, 0, 1, 1, "", BEDROCK_REGIONAL),
    ("aws.bedrock", "us." + SONNET_ID, 1200, 80, 1000, 100, 0, 1, 1, "", BEDROCK_REGIONAL),
]


def _assert_openllmetry_and_tokentrace(result, bedrock: list[tuple]) -> None:
    rows = _rows(result)
    assert rows[:4] == bedrock
    command_a = ("cohere", "command-a-03-2025", 1200, 80, 0, 0, 0)
    assert rows[4:6] == [(*command_a, 0, 1, "", COMMAND_A), (*command_a, 1, 1, "", COMMAND_A)]
    flash = ("gcp.gemini", "gemini-2.5-flash", 1200, 80, 1000, 0, 0)
    assert rows[6:8] == [(*flash, 0, 1, "", FLASH), (*flash, 1, 1, "", FLASH)]
    assert rows[8:] == [(*OLLAMA, 0, 0, "self_hosted", 0), (*OLLAMA, 1, 0, "self_hosted", 0)]
    # OpenLLMetry's Bedrock, Gemini and Ollama spans are the duplicates
    assert result.metrics.spans_duplicate.value() == 8


def test_openllmetry_providers_and_tokentrace_count_each_call_once(replay):
    """Beside tokentrace's instrumentation. OpenLLMetry starts its Gemini and Ollama spans
    with ``tracer.start_span``, never current: tokentrace's span of each call is the root
    of a trace of its own. Gemini's pair share the response id; Ollama's API has none, so
    OpenLLMetry's Ollama span is paired as a framework's is with the span inside it in
    time (it was two rows each call). One row each call, tokentrace's (which says which
    call streamed). boto3's Bedrock calls, which tokentrace meters since it hooks urllib3,
    are priced exactly (OpenLLMetry's own were usage-missing or, without the profile,
    unpriced)."""
    result = replay("openllmetry_providers_tokentrace")
    assert result.spans == 18
    _assert_openllmetry_and_tokentrace(result, BEDROCK_TOKENTRACE)


def test_openllmetry_providers_and_tokentrace_exported_one_by_one(replay):
    """One by one, OpenLLMetry's ConverseStream span ends first and is kept (the first seen,
    as in ``test_botocore_and_openllmetry_bedrock_exported_one_by_one``): its model id
    without the profile leaves that call's cost unknown; still one row each call."""
    result = replay("openllmetry_providers_tokentrace", alone=True)
    bedrock = [OPENLLMETRY_BEDROCK[3], *BEDROCK_TOKENTRACE[:3]]
    _assert_openllmetry_and_tokentrace(result, bedrock)


# What OpenLIT 1.45 and tokentrace store alike: one row each call, in row order.
OPENLIT_ROWS = [
    ("anthropic", "claude-sonnet-4-5", 1200, 80, 1000, 100, 0, 0, 1, "", SONNET),
    ("anthropic", "claude-sonnet-4-5", 1200, 80, 1000, 100, 0, 1, 1, "", SONNET),
    # Converse through the global profile: 100 × 3 + 1,000 × 0.30 + 100 × 3.75 + 80 × 15
    ("aws.bedrock", "global." + SONNET_ID, 1200, 80, 1000, 100, 0, 0, 1, "", SONNET),
    ("gcp.gemini", "gemini-2.5-flash", 1200, 80, 1000, 0, 0, 0, 1, "", FLASH),
    ("gcp.gemini", "gemini-2.5-flash", 1200, 80, 1000, 0, 0, 1, 1, "", FLASH),
    (*OLLAMA, 0, 0, "self_hosted", 0),
    (*OLLAMA, 1, 0, "self_hosted", 0),
    ("openai", "gpt-4o", 1200, 80, 1000, 0, 0, 0, 1, "", GPT_4O),
    ("openai", "gpt-4o", 1200, 80, 1000, 0, 0, 1, 1, "", GPT_4O),
]
# The gpt-4o-mini stream without ``include_usage``: OpenLIT's estimate, stored as no usage.
OPENLIT_NO_USAGE = ("openai", "gpt-4o-mini", 0, 0, 0, 0, 1, 1, 0, "usage_missing", 0)


def test_openlit_latest(replay):
    """OpenLIT 1.45 (openai 2.54, anthropic 0.125, google-genai 3.6.1, boto3 1.44,
    ollama 0.6.3): scopes per provider, and cache counts now. A streamed OpenAI call's
    counts are the usage chunk's (1.34's were its estimate, still dropped: they were
    before this release); the stream without usage still carries its estimate (8 in, 27
    out), told apart by the cache counts it sets only from the chunk. Anthropic's and
    Bedrock's input leave out the cache (read as that source's, not repaired). Bedrock:
    only Converse has a span. Its own HTTP instrumentations' spans are no calls."""
    result = replay("openlit_latest")
    assert result.spans == 21
    rows = _rows(result)
    assert rows == [*OPENLIT_ROWS, OPENLIT_NO_USAGE]
    assert result.metrics.usage_repaired.value(repair="input_below_cache") == 0
    assert result.metrics.spans_ignored.value() == 11


def _assert_openlit_and_tokentrace(result) -> None:
    # OpenLIT opens its span of an Ollama stream once the stream has been read: after
    # tokentrace's span of it, in a trace of its own, and Ollama's API has no response
    # id. It is paired with the span of the same usage that ended just before it opened
    # (``Call.late``; that call was stored twice). boto3's four Bedrock calls are
    # tokentrace's (OpenLIT has a span of Converse only, their duplicate).
    assert _rows(result) == [
        *OPENLIT_ROWS[:2], *BEDROCK_TOKENTRACE, *OPENLIT_ROWS[3:], OPENLIT_NO_USAGE,
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 10
    streams = result.rows("provider", "stream", "ttft_ms IS NULL", "span_id")
    assert [row[:3] for row in streams if row[0] == "ollama"] == [
        ("ollama", 0, 1), ("ollama", 1, 0),
    ]  # fmt: skip


def test_openlit_latest_and_tokentrace(replay):
    """Beside tokentrace's instrumentation (which sees every call, boto3's through urllib3
    too): OpenLIT's span is the parent of tokentrace's, or for streams a root of its own
    with the same response id, or for the Ollama stream (no response id) opened after the
    stream; one row each call, tokentrace's."""
    result = replay("openlit_latest_tokentrace")
    assert result.spans == 34
    _assert_openlit_and_tokentrace(result)


def test_openlit_latest_and_tokentrace_exported_one_by_one(replay):
    _assert_openlit_and_tokentrace(replay("openlit_latest_tokentrace", alone=True))


# ---------------------------------------------------------------- two or three at once

# Converse through the global profile, exactly: 100 × 3 + 1,000 × 0.30 + 100 × 3.75 + 80 × 15
# per million; InvokeModel through it with botocore's counts (0.66b2, recorded before it read
# Claude's cache: ``input_tokens`` without the cache, and no cache count), whose cost is
# unknown: it was 100 × 3 + 80 × 15 per million, $0.0015, the call's 1,000 cache reads and
# 100 writes ($0.000675) left out.
BEDROCK_GLOBAL = ("aws.bedrock", "global." + SONNET_ID)
CONVERSE_GLOBAL = (*BEDROCK_GLOBAL, 1200, 80, 1000, 100, 0, 0, 1, "", SONNET)
INVOKE_GLOBAL_BOTOCORE = (*BEDROCK_GLOBAL, 100, 80, 0, 0, 1, 0, 0, "usage_missing", Decimal(0))


# ConverseStream through ``us.`` as botocore's span has it, at the ``us.`` rates.
STREAM_US = ("aws.bedrock", "us." + SONNET_ID, 1200, 80, 1000, 100, 0, 1, 1, "", BEDROCK_REGIONAL)
# InvokeModelWithResponseStream as OpenInference's span has it: 1,200 input tokens and no
# cache details, which the Claude message it records whole in ``output.value`` has (its
# ``usage``: 1,000 read, 100 written; they were billed as input); the response's model
# (``claude-sonnet-4-5-20250929``), which does not say which profile served it: unknown cost.
# Streamed, as its name says (``bedrock.invoke_model_with_response_stream``).
INVOKE_STREAM_OPENINFERENCE = (
    "aws.bedrock", "", 1200, 80, 1000, 100, 0, 1, 0, "no_rate", Decimal(0),
)  # fmt: skip


def test_botocore_and_openllmetry_bedrock_count_each_call_once(replay):
    """opentelemetry-instrumentation-botocore 0.66b2 and OpenLLMetry's Bedrock 0.62.4 on
    the same boto3 calls: OpenLLMetry's span is botocore's parent, but for streams, which
    it never makes current: ConverseStream's two spans are roots of two traces, paired as
    a framework's span and the span inside it (OpenLLMetry's Bedrock spans are
    ``RANK_FRAMEWORK``); it was two rows. On equal usage botocore's is kept: it keeps the
    ``us.`` profile and says it streamed. InvokeModelWithResponseStream has OpenLLMetry's
    span only."""
    result = replay("botocore_openllmetry")
    assert result.spans == 7
    expected = [CONVERSE_GLOBAL, STREAM_US, INVOKE_GLOBAL_BOTOCORE, OPENLLMETRY_BEDROCK[1]]
    assert _rows(result) == sorted(expected)
    assert result.metrics.spans_duplicate.value() == 3


def test_botocore_and_openllmetry_bedrock_exported_one_by_one(replay):
    """One by one, OpenLLMetry's ConverseStream span ends first and is kept (the first
    seen): its model id without the profile leaves its cost unknown."""
    result = replay("botocore_openllmetry", alone=True)
    expected = [
        CONVERSE_GLOBAL, OPENLLMETRY_BEDROCK[3], INVOKE_GLOBAL_BOTOCORE, OPENLLMETRY_BEDROCK[1],
    ]  # fmt: skip
    assert _rows(result) == sorted(expected)
    assert result.metrics.spans_duplicate.value() == 3


def test_three_bedrock_instrumentations_count_each_call_once(replay):
    """botocore's, OpenLLMetry's and OpenInference's (0.1.61) Bedrock instrumentations on
    the same calls, no tokentrace: a chain of three spans per call (OpenInference's around
    OpenLLMetry's around botocore's), but for ConverseStream, whose botocore and OpenLLMetry
    spans are siblings under OpenInference's. Each chain of spans of three scopes is one
    call, its richest span kept (before, pairwise dropping let a chain's ends both survive
    once its middle lost to each of them, and siblings were two rows). InvokeModel's
    OpenInference and OpenLLMetry spans have no usage here (OpenLLMetry read the body
    first): botocore's is kept. InvokeModelWithResponseStream: OpenInference's 1,200 beat
    OpenLLMetry's 100, which lacks the cache (OpenInference's cache counts are read from
    the message it records, ``INVOKE_STREAM_OPENINFERENCE``)."""
    result = replay("bedrock_instrumentations")
    assert result.spans == 11
    expected = [CONVERSE_GLOBAL, STREAM_US, INVOKE_GLOBAL_BOTOCORE, INVOKE_STREAM_OPENINFERENCE]
    assert _rows(result) == sorted(expected)
    assert result.metrics.spans_duplicate.value() == 7


def test_three_bedrock_instrumentations_exported_one_by_one(replay):
    """One by one, a span found a duplicate of a counted one through a parent/child link
    leaves its own links, so the third span of a chain is found too (it was 7 rows)."""
    result = replay("bedrock_instrumentations", alone=True)
    expected = [
        CONVERSE_GLOBAL, OPENLLMETRY_BEDROCK[3], INVOKE_GLOBAL_BOTOCORE, OPENLLMETRY_BEDROCK[1],
    ]  # fmt: skip
    assert _rows(result) == sorted(expected)
    assert result.metrics.spans_duplicate.value() == 7


def _assert_openllmetry_and_openinference(result) -> None:
    rows = result.rows()
    assert rows == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI, rows[4]]
    assert_no_usage(rows[4])
    assert result.metrics.spans_duplicate.value() == 5


def test_openllmetry_and_openinference_count_each_call_once(replay):
    """OpenLLMetry's (0.62.4) and OpenInference's (openai 0.1.66, anthropic 3.1.0) OpenAI
    and Anthropic instrumentations on the same calls, no tokentrace: parent and child, or
    for OpenLLMetry's streams (never current) two traces, paired by response id or as
    OpenInference's spans are with their SDK-level twins. One row each call. Of the
    streamed Anthropic call's two equally rich spans, OpenInference's is kept: OpenLLMetry
    Python's Anthropic output of a stream is one too many (it adds ``message_start``'s 1;
    ``sources.RANK_INEXACT``), which was stored (81 × 15 per million)."""
    result = replay("openllmetry_openinference")
    assert result.spans == 10
    _assert_openllmetry_and_openinference(result)
    assert result.rows("provider", "stream")[:2] == [("anthropic", 0), ("anthropic", 1)]


def test_openllmetry_and_openinference_exported_one_by_one(replay):
    _assert_openllmetry_and_openinference(replay("openllmetry_openinference", alone=True))


def _assert_openinference_providers(result) -> None:
    rows = _rows(result)
    # Mistral Small 4 (mistral-small-latest since 2026-03-16): 1,200 × 0.15 + 80 × 0.60 per
    # million (https://mistral.ai/pricing/api); tokentrace's rows, OpenInference's spans
    # their parents
    mistral = ("mistral_ai", "mistral-small-latest", 1200, 80, 0, 0, 0)
    small = Decimal("0.000228")
    assert rows[4:] == [(*mistral, 0, 1, "", small), (*mistral, 1, 1, "", small)]
    # boto3's Bedrock calls are tokentrace's too (urllib3), exactly priced
    assert rows[:4] == BEDROCK_TOKENTRACE
    assert result.metrics.spans_duplicate.value() == 6


def test_openinference_bedrock_and_mistral(replay):
    """OpenInference's Bedrock (0.1.61) and Mistral (2.2.2, mistralai 3.7) instrumentations
    beside tokentrace, which sees every call (boto3's through urllib3): one row each call,
    tokentrace's. OpenInference's own Bedrock spans lose the profile of InvokeModel
    (``llm.model_name`` is the response's model: global. or a geographic profile, 10% apart,
    unknown cost) and the cache counts of InvokeModelWithResponseStream; tokentrace's read
    both from the request and the body. No span of OpenInference's says it streamed but
    Mistral's (``"stream": true`` in its invocation parameters)."""
    result = replay("openinference_providers")
    assert result.spans == 12
    _assert_openinference_providers(result)


def test_openinference_bedrock_and_mistral_exported_one_by_one(replay):
    _assert_openinference_providers(replay("openinference_providers", alone=True))


def _assert_openlit_and_openai_v2(result) -> None:
    rows = result.rows()
    assert rows[:2] == [OPENAI, OPENAI]
    assert_no_usage(rows[2])
    assert len(rows) == 3
    assert result.metrics.spans_duplicate.value() == 3


def test_openlit_and_openai_v2_count_each_call_once(replay):
    """OpenLIT 1.45 and the contrib openai-v2 instrumentation (2.4b0) on the same OpenAI
    calls, no tokentrace: OpenLIT's span is the child of openai-v2's, with the same
    response id. One row each call, OpenLIT's where it has the cache counts (openai-v2's
    spans have none: 1,000 cached tokens billed as input); the stream without usage is
    usage-missing (openai-v2 has no counts, OpenLIT's are its estimate)."""
    result = replay("openlit_openai_v2")
    assert result.spans == 9
    _assert_openlit_and_openai_v2(result)


def test_openlit_and_openai_v2_exported_one_by_one(replay):
    _assert_openlit_and_openai_v2(replay("openlit_openai_v2", alone=True))


# gemini-2.5-flash on Vertex AI, at Vertex AI's rates (input 0.30, cached input 0.03, output
# 2.50 per million: https://cloud.google.com/vertex-ai/generative-ai/pricing), tokentrace's
# rows: the Vertex AI resource path names the provider.
VERTEX_FLASH = [
    ("gcp.vertex_ai", "gemini-2.5-flash", 1200, 80, 1000, 0, 0, stream, 1, "", FLASH)
    for stream in (0, 1)
]


def test_google_genai_on_vertex_three_instrumentations(replay):
    """google-genai 3.6.1 on Vertex AI (``vertexai=True``) with OpenLLMetry's Google GenAI
    instrumentation, OpenInference's (1.4.14) and tokentrace's: neither third party says
    Vertex AI (OpenLLMetry ``gcp.gen_ai``, OpenInference ``llm.provider=google``).
    OpenLLMetry's and tokentrace's spans are siblings under OpenInference's, or for the
    stream (OpenLLMetry's span never current) tokentrace's is a root of its own trace.
    One row each call, tokentrace's."""
    result = replay("vertex_gemini")
    assert result.spans == 6
    assert _rows(result) == VERTEX_FLASH
    assert result.metrics.spans_duplicate.value() == 4


def test_google_genai_on_vertex_three_instrumentations_exported_one_by_one(replay):
    """One by one, OpenLLMetry's stream span is a duplicate of tokentrace's by response id;
    it leaves its parent link, so OpenInference's span around it (no response id) is one
    too (it was a second row, provider ``gcp.gen_ai``)."""
    result = replay("vertex_gemini", alone=True)
    assert _rows(result) == VERTEX_FLASH
    assert result.metrics.spans_duplicate.value() == 4


@pytest.mark.parametrize("alone", [False, True])
def test_openlit_google_genai_on_vertex_and_tokentrace(replay, alone):
    """OpenLIT 1.45 on google-genai's Vertex AI calls names the Gemini API
    (``gen_ai.provider.name=gemini``, ``server.address=generativelanguage.googleapis.com``,
    whatever the endpoint); beside tokentrace, one row each call, tokentrace's."""
    result = replay("openlit_vertex_gemini", alone=alone)
    assert _rows(result) == VERTEX_FLASH
    assert result.metrics.spans_duplicate.value() == 2


# The contrib Vertex AI instrumentation's span of a gemini-2.5-flash call: no cache count,
# and an output count without the thoughts, which it does not count (nor the total): the
# cost is unknown (``Source.thoughts_unknown``), whatever the call thought.
CONTRIB_VERTEX_FLASH = (
    "gcp.vertex_ai", "gemini-2.5-flash", 1200, 80, 0, 0, 1, 0, 0, "usage_missing", 0,
)  # fmt: skip


def test_otel_vertexai(replay):
    """The contrib opentelemetry-instrumentation-vertexai 2.2b0 (google-cloud-aiplatform
    2.7, REST): ``gen_ai.system=vertex_ai``, no cached-token attribute and no response id;
    ``generate_content(stream=True)`` has no span at all: upstream's, it wraps
    ``generate_content`` alone, not ``stream_generate_content``
    (https://github.com/open-telemetry/opentelemetry-python-contrib/issues/3297, open);
    tokentrace's instrumentation beside it meters the stream
    (``test_otel_vertexai_and_tokentrace``). Its output is Gemini's
    ``candidatesTokenCount``, without the thoughts, which nothing on the span counts: the
    cost is unknown (it was 1,200 × 0.30 + 80 × 2.50 per million, $0.00056, priced as if
    the call had not thought; ``test_otel_vertexai_thinking``)."""
    result = replay("otel_vertexai")
    assert _rows(result) == [CONTRIB_VERTEX_FLASH]


def test_otel_vertexai_latest_semconv(replay):
    """The contrib instrumentation (2.2b0) under ``OTEL_SEMCONV_STABILITY_OPT_IN=
    gen_ai_latest_experimental`` drops ``gen_ai.system`` and names no provider: the scope
    says Vertex AI (it was read as the model's owner, ``gcp.gemini``). Cost unknown as
    above."""
    result = replay("otel_vertexai_latest")
    assert _rows(result) == [CONTRIB_VERTEX_FLASH]


def test_otel_vertexai_thinking(replay):
    """The contrib instrumentation (2.2b0) on a thinking call (30 of its 80 output tokens
    thoughts, 1,000 of its 1,200 input tokens cached; $0.00029): its span says 50 output
    tokens and nothing of the thoughts or the cache. It was priced 1,200 × 0.30 + 50 ×
    2.50 per million, $0.000485 (https://cloud.google.com/vertex-ai/generative-ai/pricing),
    the thoughts' 30 × 2.50 per million left out; now its cost is unknown."""
    result = replay("otel_vertexai_thinking")
    assert result.spans == 1
    assert _rows(result) == [(*CONTRIB_VERTEX_FLASH[:3], 50, *CONTRIB_VERTEX_FLASH[4:])]


# Thinking calls (``record.THINKING_USAGE``): 30 of the 80 output tokens are thoughts,
# billed as output (https://cloud.google.com/vertex-ai/generative-ai/pricing: gemini-2.5-flash
# output 2.50 per million, "including thinking tokens"): 200 × 0.30 + 1,000 × 0.03 + 80 ×
# 2.50 per million, $0.00029 (FLASH) a call. Without the thoughts, 50 output tokens:
# 200 × 0.30 + 1,000 × 0.03 + 50 × 2.50 per million, $0.000215.
THINKING_FIELDS = ("provider", "input_tokens", "output_tokens", "cache_read_tokens",
                   "reasoning_tokens", "stream", "cost")  # fmt: skip
VERTEX_THINKING = [("gcp.vertex_ai", 1200, 80, 1000, 30, stream, FLASH) for stream in (0, 1)]


def test_openllmetry_vertexai_thinking(replay):
    """OpenLLMetry's opentelemetry-instrumentation-vertexai (0.62.4, what ``pip install
    opentelemetry-instrumentation-vertexai`` gives: the contrib release of that name is a
    pre-release) on thinking calls: ``gen_ai.system=Google``, output = Gemini's
    ``candidatesTokenCount`` (50), ``llm.usage.total_tokens`` 1,280 with the thoughts; no
    stream attribute, no response id. The thoughts are the total's rest (they were left
    out: 50 output tokens, $0.000215 a call), the provider Vertex AI (it was
    ``gcp.gen_ai``)."""
    result = replay("openllmetry_vertexai")
    assert result.rows(*THINKING_FIELDS) == [VERTEX_THINKING[0]] * 2
    assert result.metrics.usage_repaired.value(repair="output_without_thoughts") == 2


@pytest.mark.parametrize("alone", [False, True])
def test_openllmetry_vertexai_and_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation: OpenLLMetry starts its Vertex AI spans with
    ``start_span`` (never current), so tokentrace's span of each call is the root of a
    trace of its own, with nothing to pair them by but time (``sources.RANK_FRAMEWORK``)
    and, one by one, equal usage. One row each call, tokentrace's; it was four rows, each
    call counted twice ($0.000505 a call)."""
    result = replay("openllmetry_vertexai_tokentrace", alone=alone)
    assert result.spans == 4
    assert result.rows(*THINKING_FIELDS) == VERTEX_THINKING
    assert result.metrics.spans_duplicate.value() == 2


def test_openlit_gemini_thinking(replay):
    """OpenLIT 1.45.0 on Gemini API thinking calls: its output is Gemini's
    ``candidatesTokenCount`` (50) and its ``gen_ai.usage.reasoning_tokens`` the thoughts
    (30), outside it. The thoughts are output (they were left out: $0.000215 a call)."""
    result = replay("openlit_gemini_thinking")
    flash = [("gcp.gemini", *row[1:]) for row in VERTEX_THINKING]
    assert result.rows(*THINKING_FIELDS) == flash


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_google_genai_thinking(replay, alone):
    """OpenInference's Google GenAI instrumentation (1.4.14, google-genai 3.6.1) on Gemini
    API thinking calls: ``llm.token_count.completion`` is 80, the thoughts in it
    (``completion_details.reasoning`` 30), billed whole, $0.00029 a call
    (https://ai.google.dev/gemini-api/docs/pricing: gemini-2.5-flash input 0.30, cached
    input 0.03, output 2.50 per million, "including thinking tokens"). No stream
    attribute: the ``GenerateContentStream`` span's name says it streamed (it was stored
    as not streamed)."""
    result = replay("openinference_google_genai_thinking", alone=alone)
    assert result.spans == 2
    assert result.rows(*THINKING_FIELDS) == [("gcp.gen_ai", *row[1:]) for row in VERTEX_THINKING]


@pytest.mark.parametrize("alone", [False, True])
def test_google_genai_on_vertex_three_instrumentations_thinking(replay, alone):
    """``vertex_gemini`` on thinking calls: OpenLLMetry's Google GenAI span's output leaves
    the thoughts out (50; its total has them), OpenInference's and tokentrace's count them.
    One row each call, tokentrace's. In one request the stream was two rows
    (OpenInference's span beat OpenLLMetry's, its child, and tokentrace's beat
    OpenLLMetry's by response id, leaving OpenInference's beside it)."""
    result = replay("vertex_gemini_thinking", alone=alone)
    assert result.spans == 6
    assert result.rows(*THINKING_FIELDS) == VERTEX_THINKING
    assert result.metrics.spans_duplicate.value() == 4


@pytest.mark.parametrize("alone", [False, True])
def test_otel_vertexai_and_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation, whose span of the plain call is the contrib
    span's child: one row each call, tokentrace's, with the cache; the stream, of which
    the contrib instrumentation makes no span, is tokentrace's alone."""
    result = replay("otel_vertexai_tokentrace", alone=alone)
    assert _rows(result) == VERTEX_FLASH
    assert result.metrics.spans_duplicate.value() == 1


def test_vercel_ai_sdk_7(replay):
    """AI SDK 7 (ai 7.0, @ai-sdk/openai 4, @ai-sdk/anthropic 4) traced by @ai-sdk/otel's
    ``OpenTelemetry`` integration (1.0, scope ``gen_ai``): GenAI conventions, Anthropic
    input including the cache; ``chat MODEL`` spans are the calls, ``invoke_agent`` and
    ``step N`` (``agent_step``) are not. No stream attribute; a stream's
    ``gen_ai.client.operation.time_to_first_chunk`` (seconds) is its time to first token,
    and only a stream's span has one: stored as streamed (no call was).
    The telemetry ``metadata`` (user, session, team) is on no span: no tags."""
    result = replay("vercel_ai_7")
    assert result.spans == 12
    assert result.rows() == [ANTHROPIC, ANTHROPIC, OPENAI, OPENAI]
    assert result.metrics.spans_ignored.value() == 8
    ttft = result.rows("provider", "ttft_ms IS NULL", "stream", "user", "toJSONString(tags)")
    assert ttft == [
        ("anthropic", 0, 1, "", "{}"), ("anthropic", 1, 0, "", "{}"),
        ("openai", 0, 1, "", "{}"), ("openai", 1, 0, "", "{}"),
    ]  # fmt: skip


# ---------------------------------------------------------------- recorded this pass

# gpt-4o as a span without the cache counts has it was 1,200 × 2.50 + 80 × 10 per million
# (https://openai.com/api/pricing/), the 1,000 cached tokens billed as input: unknown now
# (``test_sources.CACHE_UNSAID``).
EDOT_OPENAI = [
    ("openai", "gpt-4o", 1200, 80, 0, 0, 1, 0, 0, "usage_missing", 0),
    ("openai", "gpt-4o", 1200, 80, 0, 0, 1, 0, 0, "usage_missing", 0),
    ("openai", "gpt-4o-mini", 0, 0, 0, 0, 1, 0, 0, "usage_missing", 0),
]
# tokentrace's rows of the same calls: 200 × 2.50 + 1,000 × 1.25 + 80 × 10 per million.
TOKENTRACE_OPENAI = [
    ("openai", "gpt-4o", 1200, 80, 1000, 0, 0, 0, 1, "", GPT_4O),
    ("openai", "gpt-4o", 1200, 80, 1000, 0, 0, 1, 1, "", GPT_4O),
    ("openai", "gpt-4o-mini", 0, 0, 0, 0, 1, 1, 0, "usage_missing", 0),
]


@pytest.mark.parametrize("fixture", ["edot_openai", "edot_openai_js"])
def test_edot_openai(replay, fixture):
    """Elastic's EDOT OpenAI instrumentations, Python (elastic-opentelemetry-instrumentation-
    openai 1.2.0, scope ``opentelemetry.instrumentation.openai``, openai 3.57) and Node
    (@elastic/opentelemetry-instrumentation-openai 0.5.1, openai 4.104: it instruments
    openai < 5 only): GenAI conventions (``gen_ai.system``), no cache counts and no stream
    attribute; the stream without ``include_usage`` has no counts (usage-missing, never
    $0)."""
    result = replay(fixture)
    assert result.spans == 3
    assert _rows(result) == EDOT_OPENAI


@pytest.mark.parametrize("alone", [False, True])
def test_edot_openai_and_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation, whose span of each call is EDOT's child: one row
    each call, tokentrace's (with the cache)."""
    result = replay("edot_openai_tokentrace", alone=alone)
    assert result.spans == 6
    assert _rows(result) == TOKENTRACE_OPENAI
    assert result.metrics.spans_duplicate.value() == 3


# Command A (https://cohere.com/pricing) and Mistral Small (https://mistral.ai/pricing/api):
# see the module docstring and ``_assert_openinference_providers``.
COHERE = ("cohere", "command-a-03-2025", 1200, 80, 0, 0, 0)
MISTRAL = ("mistral_ai", "mistral-small-latest", 1200, 80, 0, 0, 0)
MISTRAL_SMALL = Decimal("0.000228")


def test_openllmetry_cohere_and_mistral(replay):
    """OpenLLMetry 0.62.4's Cohere instrumentation over cohere 5.21 (it instruments
    ``cohere <6`` and does nothing beside cohere 7: no span at all), v1 ``Client`` and
    ``ClientV2``, and its Mistral one over mistralai 1.12 (it cannot import mistralai 2).
    Cohere's counts are doubles (``1200.0``, read as whole counts), ``gen_ai.system=Cohere``,
    no stream attribute; Mistral's ``gen_ai.system=MistralAI``, ``llm.is_streaming``."""
    result = replay("openllmetry_cohere_mistral")
    assert result.spans == 6
    cohere = (*COHERE, 0, 1, "", COMMAND_A)
    assert _rows(result) == [
        cohere, cohere, cohere, cohere,
        (*MISTRAL, 0, 1, "", MISTRAL_SMALL), (*MISTRAL, 1, 1, "", MISTRAL_SMALL),
    ]  # fmt: skip


@pytest.mark.parametrize("alone", [False, True])
def test_openllmetry_cohere_and_mistral_and_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation: OpenLLMetry's Cohere span is the parent of
    tokentrace's, or a root of its own trace (it starts most with ``start_span``), paired
    by the response id, as its Mistral spans are. One row each call, tokentrace's (which
    says which streamed)."""
    result = replay("openllmetry_cohere_mistral_tokentrace", alone=alone)
    assert result.spans == 12
    assert _rows(result) == [
        *[(*COHERE, stream, 1, "", COMMAND_A) for stream in (0, 0, 1, 1)],
        (*MISTRAL, 0, 1, "", MISTRAL_SMALL), (*MISTRAL, 1, 1, "", MISTRAL_SMALL),
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 6


def test_langfuse_js(replay):
    """Langfuse's JS SDK 5.11 (@langfuse/openai's ``observeOpenAI``, openai 6.49): one
    generation per call, no provider (the model's owner), the response's model but for
    streams (the request's), and usage details of Langfuse's disjoint types: OpenAI's
    ``prompt_tokens_details`` flattened to ``input_cached_tokens`` and taken out of
    ``input`` (200). Read as ``input`` alone, the 1,000 cached tokens were left out
    (200 × 2.50 + 80 × 10 per million, $0.0013); now 1,200 of which 1,000 cached, as
    tokentrace's own row of the call (GPT_4O). The two streams have a
    ``completion_start_time`` (their first chunk's): flagged streamed (they were 0)."""
    result = replay("langfuse_js")
    assert result.spans == 3
    rows = result.rows("provider", "response_model", *FIELDS[2:])
    cached = (1200, 80, 1000, 0, 0)
    assert rows == [
        ("openai", "gpt-4o", *cached, 1, 1, "", GPT_4O),
        ("openai", "gpt-4o-2024-08-06", *cached, 0, 1, "", GPT_4O),
        ("openai", "gpt-4o-mini", 0, 0, 0, 0, 1, 1, 0, "usage_missing", 0),
    ]
    # their time to first token, which was unset: the first chunk's time less the span's
    # start (09.602 - 09.570 and 09.627 - 09.604)
    ttft = result.rows("stream", "round(ifNull(ttft_ms, -1), 3)")
    assert ttft == [(0, -1), (1, 23), (1, 32)]


@pytest.mark.parametrize(
    ("fixture", "alone", "duplicates"),
    [("langfuse3_openai", False, 1), ("langfuse3_tokentrace", False, 5),
     ("langfuse3_tokentrace", True, 5)],
)  # fmt: skip
def test_langfuse_python_3(replay, fixture, alone, duplicates):
    """Langfuse's Python SDK 3.15 (its first OpenTelemetry release) recorded as 5.2 is
    (``test_sources.test_langfuse``): the same attributes, one row each call, alone and
    beside tokentrace's instrumentation (tokentrace's rows)."""
    result = replay(fixture, alone=alone)
    rows = result.rows()
    assert rows[:3] == [ANTHROPIC, OPENAI, OPENAI]
    assert_no_usage(rows[3])
    assert len(rows) == 4
    assert result.metrics.spans_duplicate.value() == duplicates


# ChatOpenAI's calls as OpenInference's LangChain.js span has them: 1,200 of which 1,000
# cached, gpt-4o (GPT_4O); the model is ``llm.model_name`` (no request model).
LANGCHAIN_JS = ("openai", "gpt-4o", 1200, 80, 1000, 0, 0, 0, 1, "", GPT_4O)
LANGCHAIN_JS_STREAM = ("openai", "gpt-4o", 1200, 80, 1000, 0, 0, 1, 1, "", GPT_4O)


def test_langchain_js(replay):
    """LangChain.js (@langchain/core 1.4, @langchain/openai 1.5) with OpenInference's
    LangChain instrumentation (4.1.1): one ``LLM`` span per call, its usage with the
    cache (the stream's too: ChatOpenAI asks for ``include_usage``), no stream flag
    (``"stream": false`` in both calls' invocation parameters); the streamed call's
    recorded response is an ``AIMessageChunk``: stored as streamed (both were stored as
    not)."""
    result = replay("langchain_js")
    assert result.spans == 2
    assert result.rows("provider", "model", *FIELDS[2:]) == [LANGCHAIN_JS, LANGCHAIN_JS_STREAM]


@pytest.mark.parametrize("alone", [False, True])
def test_langchain_js_and_openinference_openai_count_each_call_once(replay, alone):
    """With OpenInference's OpenAI instrumentation (JS 4.2.7) as well: its span of each
    call is the root of a trace of its own, without response id, as in Python; the
    LangChain.js scope is a framework's (``sources.RANK_FRAMEWORK``) and OpenInference JS's
    spans leave their keys from the start (``FRAMEWORK_PEER_SCOPES``). It was four rows,
    two calls each counted twice ($0.0051 for the plain call). In one request the
    stream's LangChain span, with usage, is kept. One by one, OpenInference's OpenAI span
    of the stream (JS streams carry no usage) ends first: it was stored, the stream's cost
    unknown; it waits for the LangChain span now (``dedupe.waits``), which is kept."""
    result = replay("langchain_js_openai", alone=alone)
    assert result.spans == 4
    expected = sorted([LANGCHAIN_JS, LANGCHAIN_JS_STREAM])
    assert sorted(result.rows("provider", "model", *FIELDS[2:])) == expected
    assert result.metrics.spans_duplicate.value() == 2


# openai/gpt-oss-120b on Groq, 1,200 input tokens of which 1,000 cached, 80 output:
# 200 × 0.15 + 1,000 × 0.075 + 80 × 0.60 per million (https://groq.com/pricing; cached input
# at half the input rate: https://console.groq.com/docs/prompt-caching).
GPT_OSS_GROQ = Decimal("0.000153")
GROQ_FIELDS = ("provider", "model", "input_tokens", "output_tokens", "cache_read_tokens", "stream")
GROQ = ("groq", "openai/gpt-oss-120b", 1200, 80, 1000)


@pytest.mark.parametrize("alone", [False, True])
def test_groq_instrumentations(replay, alone):
    """OpenLLMetry's (0.62.4) and OpenInference's (0.1.33) Groq instrumentations together
    over the groq SDK (1.7): a plain call, a stream with ``include_usage`` and one without
    (Groq's usage then only in the last chunk's ``x_groq``, which OpenLLMetry reads).
    OpenInference's span of a stream ends when the stream is returned, with neither model
    nor usage; OpenLLMetry's is its child, with the usage but no response id. One row each
    call."""
    result = replay("groq_sources", alone=alone)
    assert result.spans == 6
    assert result.rows(*GROQ_FIELDS, "cost") == [
        (*GROQ, 0, GPT_OSS_GROQ), (*GROQ, 1, GPT_OSS_GROQ), (*GROQ, 1, GPT_OSS_GROQ),
    ]  # fmt: skip


@pytest.mark.parametrize("alone", [False, True])
def test_groq_instrumentations_and_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation. OpenLLMetry starts its Groq spans with
    ``tracer.start_span``, never current: tokentrace's span of a call is its sibling (here,
    under OpenInference's span) or the root of a trace of its own, and OpenLLMetry's span
    of a stream has no response id to pair them by. It is paired as a framework's is, with
    the span inside it in time (each stream was two rows)."""
    result = replay("groq_tokentrace", alone=alone)
    assert result.spans == 9
    assert result.rows(*GROQ_FIELDS, "cost") == [
        (*GROQ, 0, GPT_OSS_GROQ), (*GROQ, 1, GPT_OSS_GROQ), (*GROQ, 1, GPT_OSS_GROQ),
    ]  # fmt: skip
    # OpenInference's span of each stream too (it was ignored: see the next test)
    assert result.metrics.spans_duplicate.value() == 6


# What OpenInference's span of a stream ended when the stream was returned is stored as,
# when no other span of the call carries its usage: the call, its cost unknown.
GROQ_OPENED = ("groq", "openai/gpt-oss-120b", 0, 0, 0, 0, 1, 1, "usage_missing", 0)
PORTKEY_OPENED = ("openai", "gpt-4o", 0, 0, 0, 0, 1, 1, "usage_missing", 0)
OPENED_FIELDS = (*GROQ_FIELDS[:5], "cache_write_tokens", "usage_missing", "stream")
OPENED_FIELDS += ("unpriced_reason", "cost")
GROQ_PLAIN = ("groq", "openai/gpt-oss-120b", 1200, 80, 1000, 0, 0, 0, "", GPT_OSS_GROQ)
GPT_4O_PLAIN = ("openai", "gpt-4o", 1200, 80, 1000, 0, 0, 0, "", GPT_4O)


@pytest.mark.parametrize("alone", [False, True])
@pytest.mark.parametrize(
    ("fixture", "plain", "opened"),
    [("openinference_groq", GROQ_PLAIN, GROQ_OPENED),
     ("openinference_portkey", GPT_4O_PLAIN, PORTKEY_OPENED)],
)  # fmt: skip
def test_openinference_stream_spans_without_usage(replay, fixture, plain, opened, alone):
    """OpenInference's Groq (0.1.33, groq 1.7) and Portkey (0.1.22, portkey-ai 2.3, its
    OpenAI SDK beneath, gpt-4o) instrumentations alone: a plain call, a stream with usage
    and one without. Their span of a stream ends when the stream is returned, with neither
    model name nor usage; only ``llm.invocation_parameters`` names the model. Such a span
    was not a call: the two streams were not counted at all (1 row for 3 calls). Now each
    is a row, its cost unknown (usage-missing, never $0): 3 rows. The plain call's cache
    count is in the response recorded (Portkey's span has none of its own)."""
    result = replay(fixture, alone=alone)
    assert result.spans == 3
    assert result.rows(*OPENED_FIELDS) == [opened, opened, plain]


@pytest.mark.parametrize("alone", [False, True])
@pytest.mark.parametrize(
    ("fixture", "rows"),
    [("openinference_groq_tokentrace",
      [(*GROQ, 0, GPT_OSS_GROQ), (*GROQ, 1, GPT_OSS_GROQ), (*GROQ, 1, GPT_OSS_GROQ)]),
     ("openinference_portkey_tokentrace",
      [("openai", "gpt-4o", 0, 0, 0, 1, Decimal(0)),
       ("openai", "gpt-4o", 1200, 80, 1000, 0, GPT_4O),
       ("openai", "gpt-4o", 1200, 80, 1000, 1, GPT_4O)])],
)  # fmt: skip
def test_openinference_stream_spans_and_tokentrace(replay, fixture, rows, alone):
    """The same beside tokentrace's instrumentation, whose span of each call is the child
    of OpenInference's and ends once the stream has been read, with its usage (the stream
    that asked for none: usage-missing). In one request the pair keeps tokentrace's. One
    span at a time, OpenInference's span of a stream comes first: counted then, it made
    tokentrace's a duplicate (first seen wins) and the streams' costs unknown. It is held
    (``Deduper.admit``) and taken away by tokentrace's span: one row each call, at the
    exact cost, in either order."""
    result = replay(fixture, alone=alone)
    assert result.spans == 6
    assert result.rows(*GROQ_FIELDS, "cost") == rows
    assert result.metrics.spans_duplicate.value() == 3


# gemini-2.5-flash on Vertex AI, 1,200 input tokens of which 1,000 cached, 80 output: as on
# the Gemini API, 200 × 0.30 + 1,000 × 0.03 + 80 × 2.50 per million
# (https://cloud.google.com/vertex-ai/generative-ai/pricing).
VERTEX_FLASH_COUNTS = ("gcp.vertex_ai", "gemini-2.5-flash", 1200, 80, 1000)


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_vertexai(replay, alone):
    """OpenInference's Vertex AI instrumentation (0.1.29, google-cloud-aiplatform 2.7):
    ``llm.provider=google`` (read as the Gemini API) on calls that are all Vertex AI's, and
    no cache count but in the response it records whole (``output.value``: Gemini's
    ``usage_metadata``, ``cached_content_token_count``). Each call was the Gemini API's at
    the uncached rate, 0.00056 instead of 0.00029. No stream attribute: the span's name
    says which streamed (``stream_generate_content``: ``Source.name_streams``)."""
    result = replay("openinference_vertexai", alone=alone)
    assert result.spans == 2
    assert result.rows(*GROQ_FIELDS, "cost") == [
        (*VERTEX_FLASH_COUNTS, 0, FLASH), (*VERTEX_FLASH_COUNTS, 1, FLASH),
    ]  # fmt: skip


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_vertexai_and_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation, whose span of each call is its child: one row
    each call, tokentrace's (which says which streamed)."""
    result = replay("openinference_vertexai_tokentrace", alone=alone)
    assert result.spans == 4
    assert result.rows(*GROQ_FIELDS, "cost") == [
        (*VERTEX_FLASH_COUNTS, 0, FLASH), (*VERTEX_FLASH_COUNTS, 1, FLASH),
    ]  # fmt: skip
    assert result.metrics.spans_duplicate.value() == 2


@pytest.mark.parametrize("alone", [False, True])
def test_bedrock_js_instrumentations_count_each_call_once(replay, alone):
    """OpenInference JS's (0.5.1) and OpenLLMetry JS's (0.27) Bedrock instrumentations
    together over @aws-sdk/client-bedrock-runtime: Claude Sonnet 4.5's Converse
    (``global.``), ConverseStream (``us.``), InvokeModel and InvokeModelWithResponseStream,
    1,200 input tokens each (1,000 cache reads, 100 cache writes) and 80 output. Their spans
    of a call are roots of two traces, OpenLLMetry's inside OpenInference's in time, neither
    with a response id: paired as a framework's and the SDK's are (each call was two rows).

    What is kept is OpenInference's, which has the usage (OpenLLMetry's Converse spans
    have none, its InvokeModel ones no cache counts). Its ``llm.model_name`` is the vendor
    (``anthropic``), but its Converse spans record the request (``input.value``), whose
    ``modelId`` names the model and profile; its Converse input (100) leaves the cache out,
    whose counts are only in the response it records (``output.value``'s ``usage``,
    ``cacheReadInputTokens``/``cacheWriteInputTokens``): the plain Converse call is exact,
    $0.002175 (Bedrock's global rates, https://aws.amazon.com/bedrock/pricing/). Its
    ConverseStream's usage has no cache counts (input 100, total 1,280): usage-missing. Its
    InvokeModel stream read no content (``"streaming": true``, no text), so its output is
    ``message_start``'s 1: usage-missing, never priced on the placeholder. Both streams are
    flagged (``"streaming": true``). InvokeModel's request body names no model; the Claude
    message it records does (``model``), without the profile: ``no_rate`` (was
    ``unknown_model`` with no model).
    Before: 4 rows ``unknown_model``, no stream flagged.

    Exported one span at a time, OpenLLMetry's span of each call ends first and is stored
    (the first seen wins); three have no usage, the InvokeModel stream's has 100 input and
    80 output tokens without the cache, which it counts nowhere: usage-missing (it was
    ``no_rate``). The two disagree, so they are paired by time alone
    (``sources.LOOSE_USAGE_SCOPES``; it was 5 rows for 4 calls)."""
    result = replay("bedrock_js", alone=alone)
    assert result.spans == 8
    if alone:
        missing = (0, 0, 0, 0, 1, 0, 0, "usage_missing", 0)
        assert result.rows(*FIELDS) == [
            ("aws.bedrock", SONNET_ID, *missing),
            ("aws.bedrock", SONNET_ID, *missing),
            ("aws.bedrock", SONNET_ID[10:], *missing),
            ("aws.bedrock", SONNET_ID[10:], 100, 80, 0, 0, 1, 0, 0, "usage_missing", 0),
        ]
    else:
        cached = (1200, 80, 1000, 100)
        assert result.rows(*FIELDS) == [
            ("aws.bedrock", "", 1200, 0, 1000, 100, 1, 1, 0, "usage_missing", 0),
            # InvokeModel: the base model its Claude message names, without the profile
            # (``global.``) that sets the rate: no rate, never a guess (was unknown_model)
            ("aws.bedrock", "claude-sonnet-4-5-20250929", *cached, 0, 0, 0, "no_rate", 0),
            CONVERSE_GLOBAL,  # 100 × 3 + 1,000 × 0.30 + 100 × 3.75 + 80 × 15 per million
            ("aws.bedrock", f"us.{SONNET_ID}", 100, 80, 0, 0, 1, 1, 0, "usage_missing", 0),
        ]  # fmt: skip
        assert result.metrics.usage_repaired.value() == 0  # the cache is added, not repaired
    assert result.metrics.spans_duplicate.value() == 4


@pytest.mark.parametrize("alone", [False, True])
def test_contrib_aws_sdk_bedrock_js_counts_leave_the_cache_out(replay, alone):
    """The contrib AWS SDK instrumentation for Node (@opentelemetry/instrumentation-aws-sdk
    0.79, GenAI conventions for Bedrock Runtime, recorded 2026-12-03 through its require
    hook) on the same four Claude Sonnet 4.5 calls: its input count is Bedrock's, without
    the 1,000 cache reads and 100 writes, and it sets no cache count, as botocore's does;
    its InvokeModel stream's output is ``message_start``'s 1. Each call was priced as its
    uncached input alone ($0.0015 through ``global.``, $0.00165 and $0.0003465 through
    ``us.``): each is usage-missing now (cost unknown), and the two streams are flagged by
    ``rpc.method``, as botocore's are."""
    result = replay("otel_aws_sdk_bedrock_js", alone=alone)
    assert result.spans == 4
    assert result.rows(
        "model", "input_tokens", "output_tokens", "usage_missing", "stream", "unpriced_reason"
    ) == [
        (f"global.{SONNET_ID}", 100, 80, 1, 0, "usage_missing"),
        (f"global.{SONNET_ID}", 100, 80, 1, 0, "usage_missing"),
        (f"regional.{SONNET_ID}", 100, 1, 1, 1, "usage_missing"),
        (f"regional.{SONNET_ID}", 100, 80, 1, 1, "usage_missing"),
    ]
    assert result.rows("provider") == [("aws.bedrock",)] * 4


@pytest.mark.parametrize("alone", [False, True])
def test_vercel_ai_sdk_google_provider(replay, alone):
    """The AI SDK 6 (ai 6.0) with its Google Generative AI provider (@ai-sdk/google 3.0),
    the only Vercel provider recorded whose id (``google.generative-ai``) is not the
    provider's own name: the Gemini API's. ``ai.usage.inputTokens`` includes the cache
    (``inputTokenDetails.cacheReadTokens``), as Gemini's ``promptTokenCount`` does. One row
    per ``doGenerate``/``doStream``; ``ai.generateText`` and ``ai.streamText`` are not calls."""
    result = replay("vercel_ai_google", alone=alone)
    assert result.spans == 4
    flash = ("gcp.gemini", "gemini-2.5-flash", 1200, 80, 1000)
    assert result.rows(*GROQ_FIELDS, "cost") == [(*flash, 0, FLASH), (*flash, 1, FLASH)]


def test_held_stream_span_is_counted_when_nothing_takes_it_away():
    """A held span of a stream (``Deduper.admit``) that no other span of its call takes
    away is admitted at the first request received ``_HOLD_NS`` after it, not before;
    and by ``release`` (``serve``'s shutdown) at once."""
    document = json.loads((FIXTURES / "openinference_groq.json").read_bytes())
    bodies = _one_span_each(document)
    now = 1_900_000_000 * 10**9
    deduper = Deduper()
    admitted = []
    for body in bodies:
        calls, duplicates = deduper.admit(extract(decode_json(body).request, now).calls, now)
        admitted += calls
        assert duplicates == 0
    assert [call.stream for call in admitted] == [0]  # the two streams held
    assert deduper.admit([], now + _HOLD_NS - 1) == ([], 0)
    released, _ = deduper.admit([], now + _HOLD_NS)
    assert [(call.request_model, call.stream, call.usage_missing) for call in released] == [
        ("openai/gpt-oss-120b", 1, 1)
    ] * 2
    assert deduper.release() == []
    for body in bodies:  # again, each span resent: duplicates of the rows counted
        assert deduper.admit(extract(decode_json(body).request, now).calls, now)[0] == []


def test_held_stream_spans_survive_a_restart(tmp_path, pricer):
    """The spans held are acknowledged: the pipeline keeps them in a file of their own
    (``held_path``, in the spool directory under ``serve``) before it answers, and a
    restarted one holds them again, then spools them at shutdown (``flush``), one row
    each, and drops the file once they are durable."""
    bodies = _one_span_each(json.loads((FIXTURES / "openinference_groq.json").read_bytes()))
    now = 1_900_000_000 * 10**9
    spool = Spool(tmp_path / "spool", 1 << 30, seal_rows=10_000, seal_seconds=0.05)
    spool.start()
    held = tmp_path / "spool" / "held-calls.json"
    first = Pipeline(pricer, spool, Deduper(), Registry(), clock=lambda: now, held_path=held)
    for body in bodies:
        first.accept(decode_json(body).request, "http").durable.result(10)
    streams = [(call.trace_id, call.span_id) for call in held_calls.loads(held.read_bytes())]
    assert len(streams) == 2
    restarted = Deduper()
    metrics = Registry()
    second = Pipeline(pricer, spool, restarted, metrics, clock=lambda: now, held_path=held)
    assert [(call.trace_id, call.span_id) for call in restarted.held] == streams
    second.flush().result(10)
    spool.close()  # its writer thread, which settles the rows, is done
    assert metrics.spans_accepted.value() == 2
    assert restarted.held == []
    assert not held.exists()


def test_held_framework_stream_span_survives_a_restart_and_is_claimed(tmp_path, pricer):
    """OpenInference's LlamaIndex span of ``OpenAIResponses.stream_chat`` (no usage), sent
    alone, is held for tokentrace's span of the stream (``dedupe.waits``): kept in the file
    before the answer, held again by a restarted pipeline, and claimed there by tokentrace's
    span, with the usage. The 9 calls are 9 rows (3 before the restart, 6 after), all
    priced; the file is gone once nothing is held."""
    name = "openinference_llama_index_latest_calls_tokentrace"
    bodies = _one_span_each(json.loads((FIXTURES / f"{name}.json").read_bytes()))
    now = 1_900_000_000 * 10**9
    spool = Spool(tmp_path / "spool", 1 << 30, seal_rows=10_000, seal_seconds=0.05)
    spool.start()
    held = tmp_path / "spool" / "held-calls.json"
    before = Registry()
    first = Pipeline(pricer, spool, Deduper(), before, clock=lambda: now, held_path=held)
    for body in bodies[:9]:  # the 9th: the LlamaIndex span of the stream, held
        first.accept(decode_json(body).request, "http").durable.result(10)
    [stream] = held_calls.loads(held.read_bytes())
    assert stream.scope == b"openinference.instrumentation.llama_index"
    assert (stream.stream, stream.usage_missing) == (1, 1)
    restarted, after = Deduper(), Registry()
    second = Pipeline(pricer, spool, restarted, after, clock=lambda: now, held_path=held)
    assert [call.span_id for call in restarted.held] == [stream.span_id]
    for body in bodies[9:]:
        second.accept(decode_json(body).request, "http").durable.result(10)
    second.flush().result(10)
    spool.close()
    assert (before.spans_accepted.value(), after.spans_accepted.value()) == (3, 6)
    assert before.spans_unpriced.value() + after.spans_unpriced.value() == 0
    assert after.spans_duplicate.value() == 6  # the held span among them
    assert restarted.held == []
    assert not held.exists()


def test_held_calls_are_read_across_versions(tmp_path, pricer):
    """Held spans were acknowledged: a held-calls file an earlier version wrote (a pickle, or
    JSON without a field added since) is read, not moved aside with its spans; a field this
    version does not know is ignored. Before, a pickle of another version's calls was moved
    aside and its spans were lost."""
    bodies = _one_span_each(json.loads((FIXTURES / "openinference_groq.json").read_bytes()))
    now = 1_900_000_000 * 10**9
    deduper = Deduper()
    for body in bodies:
        deduper.admit(extract(decode_json(body).request, now).calls, now)
    calls = deduper.held
    assert len(calls) == 2
    document = json.loads(held_calls.dumps(calls))
    for fields in document["calls"]:
        del fields["inference_geo"], fields["units"]["input_audio_tokens"]  # not there yet
        fields["added_later"] = 1
    earlier_json = json.dumps(document).encode()
    pickled = [copy.copy(call) for call in calls]
    for call in pickled:
        del call.inference_geo  # a version before the field
    earlier_pickle = pickle.dumps(pickled)
    spool = Spool(tmp_path / "spool", 1 << 30)
    for name, data in (("held-calls.json", earlier_json), ("held-calls.pickle", earlier_pickle)):
        (tmp_path / name).write_bytes(data)
        _adopt_earlier_held_calls(tmp_path)  # serve's start: the pickle gets the JSON's name
        held = tmp_path / "held-calls.json"
        restarted = Deduper()
        Pipeline(pricer, spool, restarted, Registry(), clock=lambda: now, held_path=held)
        again = restarted.release()
        assert [(c.trace_id, c.span_id) for c in again] == [(c.trace_id, c.span_id) for c in calls]
        assert [call.row(price_call(pricer, call)) for call in again] == [
            call.row(price_call(pricer, call)) for call in calls
        ]
        assert not list(tmp_path.glob("*.unreadable"))
        assert [path.name for path in tmp_path.glob("held-calls*")] == ["held-calls.json"]
        held.unlink()
    later = tmp_path / "held-calls.json"
    later.write_bytes(json.dumps({"version": held_calls.VERSION + 1, "calls": []}).encode())
    Pipeline(pricer, spool, Deduper(), Registry(), held_path=later)
    assert (tmp_path / "held-calls.json.unreadable").exists()  # not misread: kept aside


def test_held_calls_in_both_a_pickle_and_json_are_merged(tmp_path, pricer, caplog):
    """An upgrade, a downgrade, an upgrade again: the earlier version held calls in the pickle
    (it never reads the JSON), the later one in the JSON. Both are read, one call per span;
    before, the pickle was left unread with an error line and its held spans were lost."""
    bodies = _one_span_each(json.loads((FIXTURES / "openinference_groq.json").read_bytes()))
    now = 1_900_000_000 * 10**9
    deduper = Deduper()
    for body in bodies:
        deduper.admit(extract(decode_json(body).request, now).calls, now)
    calls = deduper.held
    assert len(calls) == 2
    (tmp_path / "held-calls.pickle").write_bytes(pickle.dumps(calls))  # both streams
    (tmp_path / "held-calls.json").write_bytes(held_calls.dumps(calls[1:]))  # the second
    _adopt_earlier_held_calls(tmp_path)
    restarted = Deduper()
    spool = Spool(tmp_path / "spool", 1 << 30)
    held = tmp_path / "held-calls.json"
    Pipeline(pricer, spool, restarted, Registry(), clock=lambda: now, held_path=held)
    again = restarted.release()
    assert sorted((c.trace_id, c.span_id) for c in again) == sorted(
        (c.trace_id, c.span_id) for c in calls
    )
    assert [path.name for path in tmp_path.glob("held-calls*")] == ["held-calls.json"]
    assert "cannot" not in caplog.text


def test_unreadable_held_file_is_moved_aside(tmp_path, pricer, caplog):
    """A held-calls file this version cannot load (another version's, or damaged) does not
    stop the pipeline from starting: it is moved aside, said in one log line."""
    held = tmp_path / "held-calls.pickle"
    held.write_bytes(b"not a pickle")
    spool = Spool(tmp_path / "spool", 1 << 30)
    deduper = Deduper()
    Pipeline(pricer, spool, deduper, Registry(), held_path=held)
    assert deduper.held == []
    assert not held.exists()
    assert (tmp_path / "held-calls.pickle.unreadable").read_bytes() == b"not a pickle"
    assert "cannot read the held calls" in caplog.text
