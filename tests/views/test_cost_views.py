"""cost_by_unit and provider_cost_differences answer what the raw calls say, exactly: over
whole days (the daily rollup), an exact range and a user filter (the calls themselves)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tokentrace.processor.extract.extractor import USAGE_UNITS
from tokentrace.processor.store import views
from tokentrace.processor.store.views import VIEWS

UTC = dt.UTC
DAY = dt.datetime(2026, 3, 10, tzinfo=UTC)
D = Decimal
COLUMNS = [
    "ts", "provider", "model", "user", "priced", "input_tokens", "output_tokens",
    "cache_write_tokens", "cache_write_1h_tokens", "input_audio_tokens",
    "cache_audio_read_tokens", "output_image_tokens", "input_cost", "cache_write_cost",
    "output_cost", "cache_write_1h_cost", "input_audio_cost", "cache_audio_read_cost",
    "output_image_cost", "cost", "provider_cost", "cost_source", "unpriced_reason",
]  # fmt: skip


def call(hours: float, provider: str, model: str, user: str = "", **values: Any) -> list[Any]:
    row = {name: 0 for name in COLUMNS}
    row.update(ts=DAY + dt.timedelta(hours=hours), provider=provider, model=model, user=user)
    row.update(priced=1, provider_cost=None, cost_source="computed", unpriced_reason="")
    row.update(values)
    computed = row["input_cost"] + row["cache_write_cost"] + row["output_cost"]
    row.setdefault("cost", computed)
    if row["cost"] == 0:
        row["cost"] = row["provider_cost"] if row["provider_cost"] is not None else computed
    return [row[name] for name in COLUMNS]


CALLS = [
    # OpenRouter reported 0.000171 and 0.000200; computed 0.000159 and 0.000180.
    call(1, "openrouter", "claude-x", "u1", input_cost=D("0.0001"), output_cost=D("0.000059"),
         provider_cost=D("0.000171"), cost_source="provider"),
    call(30, "openrouter", "claude-x", "u2", input_cost=D("0.00012"), output_cost=D("0.00006"),
         provider_cost=D("0.0002"), cost_source="provider"),
    # Reported, not computable (unknown model): counted as reported, not compared.
    call(2, "openrouter", "mystery", "u1", provider_cost=D("0.5"), cost_source="provider",
         unpriced_reason="unknown_model"),
    # Audio in, cached audio, on Gemini: $1 / M audio, $0.10 / M cached audio.
    call(3, "google", "gemini-2.5-flash", "u1", input_tokens=10_000, input_audio_tokens=4_000,
         cache_audio_read_tokens=1_000, input_cost=D("0.0048"), input_audio_cost=D("0.003"),
         cache_audio_read_cost=D("0.0001")),
    # Of unknown cost (a rate it has none for), 3_000 audio tokens: counted in tokens, its
    # cost unknown (unpriced_requests), never $0.
    call(4, "google", "gemini-2.5-flash", "u1", input_tokens=5_000, input_audio_tokens=3_000,
         priced=0, cost_source="none", unpriced_reason="no_rate"),
    # 1-hour cache writes on Claude: 2_000 at $6 / M of 3_000 written.
    call(26, "anthropic", "claude-sonnet-4-5", "u2", input_tokens=3_000,
         cache_write_tokens=3_000, cache_write_1h_tokens=2_000, cache_write_cost=D("0.01575"),
         cache_write_1h_cost=D("0.012")),
    # Image output: $30 / M.
    call(27, "google", "gemini-2.5-flash-image", "u1", output_tokens=1_290,
         output_image_tokens=1_290, output_cost=D("0.0387"), output_image_cost=D("0.0387")),
    # Audio tokens with no rate of their own: billed as text, not listed.
    call(28, "openai", "gpt-4o", "u1", input_tokens=500, input_audio_tokens=200,
         input_cost=D("0.00125")),
    # Outside the range.
    call(24 * 5, "google", "gemini-2.5-flash", "u1", input_tokens=9, input_audio_tokens=9,
         input_audio_cost=D("0.000009")),
]  # fmt: skip
WHOLE_DAYS = {"start": DAY, "end": DAY + dt.timedelta(days=2) - dt.timedelta(milliseconds=1)}
# 02:00 on the first day to the end of the second: the first call is left out.
EXACT = {"start": DAY + dt.timedelta(hours=2), "end": WHOLE_DAYS["end"]}
RAW_WHERE = "ts >= {start:DateTime64(6, 'UTC')} AND ts <= {end:DateTime64(6, 'UTC')}"


@pytest.fixture(scope="module")
def client(chdb_url):
    from tokentrace.processor.store import store

    client = store.connect(chdb_url, database="cost_views")
    store.migrate(client)
    client.insert("llm_calls", CALLS, column_names=COLUMNS)
    yield client
    client.command("DROP DATABASE IF EXISTS cost_views")


def unit_costs_of_the_calls(client, bounds, user: str | None = None) -> list[tuple]:
    units = [name.removesuffix("_tokens") for name in USAGE_UNITS]
    selects = " UNION ALL ".join(
        f"SELECT provider, model, '{u}' AS unit, sum({u}_tokens) AS tokens, "
        f"sum({u}_cost) AS cost, countIf(priced = 0) AS unknown, 0 AS not_stored FROM llm_calls "
        f"WHERE {RAW_WHERE}"
        + (" AND user = {user:String}" if user else "")
        + " GROUP BY provider, model"
        for u in units
    )
    return client.query(
        f"SELECT * FROM ({selects}) WHERE cost != 0 ORDER BY cost DESC, provider, model, unit",
        parameters={**bounds, "user": user or ""},
    ).result_rows


def rows(client, name: str, **args) -> list[tuple]:
    exact = args["start"] == EXACT["start"]  # an exact range, not whole days
    found = views.fetch(client, VIEWS[name], **args, exact=exact)
    return [tuple(row.values()) for row in found]


@pytest.mark.parametrize("bounds", [WHOLE_DAYS, EXACT], ids=["whole_days", "exact"])
def test_cost_by_unit_equals_the_calls(client, bounds):
    assert rows(client, "cost_by_unit", **bounds) == unit_costs_of_the_calls(client, bounds)


def test_cost_by_unit_over_whole_days(client):
    assert rows(client, "cost_by_unit", **WHOLE_DAYS) == [
        # provider, model, unit, tokens, cost, unknown, not stored
        ("google", "gemini-2.5-flash-image", "output_image", 1_290, D("0.0387"), 0, 0),
        ("anthropic", "claude-sonnet-4-5", "cache_write_1h", 2_000, D("0.012"), 0, 0),
        ("google", "gemini-2.5-flash", "input_audio", 7_000, D("0.003"), 1, 0),
        ("google", "gemini-2.5-flash", "cache_audio_read", 1_000, D("0.0001"), 1, 0),
    ]


def test_cost_by_unit_for_one_user(client):
    found = rows(client, "cost_by_unit", **WHOLE_DAYS, filters={"user": ["u2"]})
    assert found == unit_costs_of_the_calls(client, WHOLE_DAYS, "u2")
    assert found == [("anthropic", "claude-sonnet-4-5", "cache_write_1h", 2_000, D("0.012"), 0, 0)]


def test_provider_cost_differences(client):
    assert rows(client, "provider_cost_differences", **WHOLE_DAYS) == [
        # reported, reported cost, compared, compared reported, computed, gap, gap ratio,
        # not stored
        ("openrouter", "claude-x", 2, D("0.000371"), 2, D("0.000371"), D("0.000339"),
         D("0.000032"), float(D("0.000032") / D("0.000339")), 0),
        # no computed cost to compare (no price): unknown, not $0 with a gap of $0
        ("openrouter", "mystery", 1, D("0.5"), 0, None, None, None, None, 0),
    ]  # fmt: skip


@pytest.mark.parametrize("bounds", [WHOLE_DAYS, EXACT], ids=["whole_days", "exact"])
def test_provider_cost_differences_equal_the_calls(client, bounds):
    raw = client.query(
        "SELECT provider, model, countIf(cost_source = 'provider'), "
        "sumIf(assumeNotNull(provider_cost), cost_source = 'provider'), "
        "countIf(cost_source = 'provider' AND unpriced_reason = ''), "
        "sumIf(assumeNotNull(provider_cost), cost_source = 'provider' AND unpriced_reason = ''),"
        " sumIf(input_cost + cache_write_cost + output_cost, "
        "cost_source = 'provider' AND unpriced_reason = '') "
        f"FROM llm_calls WHERE {RAW_WHERE} GROUP BY provider, model "
        "HAVING countIf(cost_source = 'provider') > 0 ORDER BY provider, model",
        parameters=bounds,
    ).result_rows
    # nothing compared (no call with a computed cost): both sides unknown
    raw = [(*row[:5], *((None, None) if row[4] == 0 else row[5:])) for row in raw]
    found = sorted(rows(client, "provider_cost_differences", **bounds))
    assert [row[:7] for row in found] == raw
    assert [row[7] for row in found] == [None if row[4] == 0 else row[5] - row[6] for row in raw]
