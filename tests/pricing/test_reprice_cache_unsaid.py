"""Reprice decides again, under new prices, whether a cache a span left unsaid makes a call's
cost unknown, and stores what ingest would: recorded third-party spans of OpenAI calls of
1,200 input tokens and no cache count (``tests/sources/test_cache_unsaid.py``), ingested
into chDB, re-priced after a price change, compared with the same spans ingested under the
new prices.

Under genai-prices' data gpt-4o has a cached input rate ($1.25 against $2.50 per million):
its calls are unknown; gpt-4-turbo has none: exact, 1,200 × 10 + 80 × 30 per million =
$0.0144 (https://openai.com/api/pricing/). The prices file below turns both round: gpt-4o's
cached input at its input rate (reading from cache changes nothing: 1,200 × 2.50 + 80 × 10 =
$0.0038, exact), gpt-4-turbo with a cached input rate of its own (unknown).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from sources.conftest import Replay
from sources.test_cache_unsaid import renamed

from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.pricing.reprice import reprice

PRICES = """\
prices:
  - {provider: openai, model_prefix: gpt-4-turbo, input: 10, cache_read: 1, output: 30}
  - {provider: openai, model: gpt-4o-2024-08-06, input: 2.5, cache_read: 2.5, output: 10}
"""
COLUMNS = (
    "ts", "span_id", "provider", "model", "input_tokens", "output_tokens", "cache_read_tokens",
    "usage_missing", "cache_unsaid", "priced", "cost", "input_cost", "unpriced_reason",
    "price_rule", "cost_source", "price_version",
)  # fmt: skip
# (model, usage_missing, cache_unsaid, priced, cost) of the calls of 1,200 input tokens
BEFORE = [("gpt-4-turbo", 0, 1, 1, Decimal("0.0144"))] * 2 + [("gpt-4o", 1, 1, 0, 0)] * 2
# the prices file's entries' calls are stored under the names they were called by
AFTER = [("gpt-4-turbo-2024-04-09", 1, 1, 0, 0)] * 2 + [
    ("gpt-4o-2024-08-06", 0, 1, 1, Decimal("0.0038"))
] * 2


def ingest(client: Any, tmp_path: Path, pricer: Pricer) -> None:
    """openai-v2's spans as recorded (gpt-4o), and the OpenTelemetry JS instrumentation's
    with gpt-4-turbo's names, through the write path."""
    Replay("openai_v2", tmp_path / "python", client, pricer)
    turbo = renamed("gpt-4-turbo", "gpt-4-turbo-2024-04-09")
    Replay("otel_openai_js", tmp_path / "node", client, pricer, rewrite=turbo)


def stored(client: Any) -> list[tuple]:
    return client.query(f"SELECT {', '.join(COLUMNS)} FROM llm_calls ORDER BY ALL").result_rows


def long_calls(rows: list[tuple]) -> list[tuple]:
    at = COLUMNS.index
    return sorted(
        (row[at("model")], *(row[at(c)] for c in COLUMNS[7:11]))
        for row in rows
        if row[at("input_tokens")] == 1200
    )


def test_reprice_after_a_price_change_stores_what_ingest_would(
    store_client, module_store_client, tmp_path
) -> None:
    old, new = Pricer(prices_file=""), Pricer(prices_file=_write(tmp_path, PRICES))
    ingest(store_client, tmp_path / "old", old)
    first = stored(store_client)
    assert long_calls(first) == BEFORE
    ingest(module_store_client, tmp_path / "new", new)
    assert long_calls(stored(module_store_client)) == AFTER

    since = first[0][0]  # to just after the latest call
    result = reprice(store_client, new, since)
    assert stored(store_client) == stored(module_store_client)
    assert (result.newly_priced, result.newly_unpriced) == (2, 2)

    reprice(store_client, old, since)  # and back
    assert stored(store_client) == first


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prices.yaml"
    path.write_text(text)
    return path
