"""Third-party spans of OpenAI calls of 1,024+ input tokens that set no cache count, replayed
on models without a cache rate: priced exactly, where a model with one stays unknown.

OpenAI caches such prompts on its own and bills what it reads from cache at a lower rate
(https://platform.openai.com/docs/guides/prompt-caching), so a span that counts the input but
no cache cannot say what the call cost on gpt-4o (cached input $1.25 per million against
$2.50): its cost is unknown (``test_sources.CACHE_UNSAID``). Models with no cached input rate
(gpt-4-turbo, gpt-3.5-turbo, gpt-4 and older snapshots on https://openai.com/api/pricing/,
https://platform.openai.com/docs/pricing: no "Cached input" price) bill every input token at
the input rate, read from cache or not: their price is exact either way. Whether the unsaid
cache could change the price is the pricer's question (``Pricer.price``'s ``cache_unsaid``),
not the extractor's.

Each recorded fixture below (real packages against the stand-ins) is replayed with its
gpt-4o names changed to another model's: the same spans, the same 1,200 input and 80 output
tokens and no cache count. The dated name becomes the other model's dated name, so each call
is priced by its response model as recorded.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from decimal import Decimal

import pytest

from tokentrace.processor import held_calls
from tokentrace.processor.extract.extractor import extract
from tokentrace.processor.pipeline import price_call
from tokentrace.processor.receivers.otlp_codec import decode_json

from .conftest import FIELDS, FIXTURES

# Recorded fixtures of one source each (Python and Node, SDK and framework instrumentations),
# and how many of their calls' spans counted 1,200 input tokens and no cache, each stored for
# gpt-4o at $0.0038 (true $0.00255) until c86a64d, unknown since.
CACHE_UNSAID_CALLS = {
    "openai_v2": 2,  # opentelemetry-instrumentation-openai-v2
    "otel_openai_js": 2,  # @opentelemetry/instrumentation-openai
    "openinference_smolagents": 4,
    "semantic_kernel": 2,
    "otel_openai_agents_v2": 3,  # both APIs, a response model dated or not
    "autogen": 1,  # a usage object without cache counts in output.value
    "openlit_py": 1,
    "vercel_ai_5": 1,
    "edot_openai": 2,
    "mlflow_genai_semconv": 2,
}
# (name, dated name, model stored, cost of 1,200 input and 80 output tokens), at the rates of
# https://openai.com/api/pricing/ (https://platform.openai.com/docs/pricing, "Other models"),
# none with a cached input rate:
MODELS = [
    # gpt-4-turbo-2024-04-09, $10.00 input and $30.00 output per million tokens:
    # 1,200 × 10 + 80 × 30 = 14,400 per million
    ("gpt-4-turbo", "gpt-4-turbo-2024-04-09", "gpt-4-turbo", Decimal("0.0144")),
    # gpt-3.5-turbo-0125, $0.50 input and $1.50 output: 1,200 × 0.50 + 80 × 1.50 = 720
    ("gpt-3.5-turbo", "gpt-3.5-turbo-0125", "gpt-3.5-turbo", Decimal("0.00072")),
]


def renamed(name: str, dated: str) -> Callable[[bytes], bytes]:
    """A fixture with gpt-4o's names changed to ``name`` and ``dated`` (gpt-4o-mini kept)."""

    def rewrite(body: bytes) -> bytes:
        body = body.replace(b"gpt-4o-2024-08-06", dated.encode())
        return re.sub(rb"gpt-4o(?!-mini)", name.encode(), body)

    return rewrite


@pytest.mark.parametrize(
    ("fixture", "model"),
    [(fixture, MODELS[i % len(MODELS)]) for i, fixture in enumerate(CACHE_UNSAID_CALLS)],
    ids=lambda value: value if isinstance(value, str) else value[0],
)
def test_a_model_without_a_cache_rate_is_priced_exactly(replay, fixture, model):
    """The calls that were unknown on gpt-4o are priced exactly on a model without a cache
    rate, marked ``cache_unsaid`` and not usage-missing."""
    name, dated, stored, cost = model
    result = replay(fixture, rewrite=renamed(name, dated))
    rows = result.rows(*FIELDS, "cache_unsaid", "priced", "unpriced_reason")
    unsaid = [row[:-3] for row in rows if row[-3]]
    assert unsaid == [("openai", stored, 1200, 80, 0, 0, 0, cost)] * CACHE_UNSAID_CALLS[fixture]
    assert {row[-2:] for row in rows if row[-3]} == {(1, "")}


@pytest.mark.parametrize("fixture", ["openai_v2", "openinference_smolagents"])
def test_a_model_with_a_cache_rate_stays_unknown(replay, fixture):
    """gpt-4o's calls as recorded: reading the 1,200 tokens from cache would bill them at
    $1.25 instead of $2.50 per million, so the cost is unknown, counted as usage-missing,
    the span's counts kept."""
    result = replay(fixture)
    rows = result.rows(*FIELDS, "cache_unsaid", "priced", "unpriced_reason")
    unsaid = [row[:-3] for row in rows if row[-3]]
    assert unsaid == [("openai", "gpt-4o", 1200, 80, 0, 0, 1, 0)] * CACHE_UNSAID_CALLS[fixture]
    assert {row[-2:] for row in rows if row[-3]} == {(0, "usage_missing")}


def test_the_held_calls_file_carries_cache_unsaid(pricer):
    """A call held across a restart (``held_calls``) is priced as before it: the file keeps
    ``cache_unsaid``, and a file written before the field existed reads it as 0."""
    body = (FIXTURES / "openai_v2.json").read_bytes()
    calls = extract(decode_json(body).request, 1_900_000_000 * 10**9).calls
    assert sorted(call.cache_unsaid for call in calls) == [0, 1, 1]
    again = held_calls.loads(held_calls.dumps(calls))
    assert [call.row(price_call(pricer, call)) for call in again] == [
        call.row(price_call(pricer, call)) for call in calls
    ]
    older = json.loads(held_calls.dumps(calls))
    for fields in older["calls"]:
        del fields["cache_unsaid"]
    assert [call.cache_unsaid for call in held_calls.loads(json.dumps(older).encode())] == [0] * 3


def test_the_log_says_why_such_a_cost_is_unknown(replay, caplog):
    """serve's one line for such calls says the cached part is what is missing, not that the
    answer carried no usage (what it says of openai-v2's stream without usage)."""
    caplog.set_level(logging.WARNING, logger="tokentrace.processor.unpriced_log")
    replay("openai_v2")
    lines = [record.getMessage() for record in caplog.records]
    assert lines[0] == (
        "cost unknown for gpt-4o calls to openai (usage_missing): its span counted no cached "
        "tokens, and the provider caches prompts of 1,024 tokens or more on its own and bills "
        "them at a lower rate: meter the call with tokentrace's instrumentation, or with one "
        "that records cached tokens; stored unpriced, later ones not logged"
    )
    assert len(lines) == 2 and "carried no usage" in lines[1]
