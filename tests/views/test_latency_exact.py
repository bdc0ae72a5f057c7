"""latency_by_provider finds each quantile's latency bucket from counts (migration 0012's
projections) and sorts only that bucket's calls; its answers must stay exactly those of
quantilesExact over the raw calls (tests/views/before_issue15.py) and of the definition itself
(the element at 0-based rank floor(level * n) of the sorted latencies, NaN skipped).

Calls with latencies that tie, cross bucket edges, are zero, negative or NaN, in several
parts, for ranges whose ends fall on and off whole hours and UTC days, within one hour, on one
call and on none, with dashboard variables, call filters and the report's exact ranges."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from collections import defaultdict
from typing import Any

import pytest

from tokentrace.processor.store import store, views
from views.before_issue15 import BEFORE
from views.migrating import active_parts, projection_parts, store_before

UTC = dt.UTC
FIRST = dt.datetime(2026, 11, 10, tzinfo=UTC)
LAST = dt.datetime(2026, 11, 16, tzinfo=UTC)
COLUMNS = ["ts", "trace_id", "provider", "model", "team", "tenant", "user", "status", "latency_ms"]
LEVELS = (0.5, 0.95, 0.99)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
US = dt.timedelta(microseconds=1)

VIEW = views.VIEWS["latency_by_provider"]
OLD = dataclasses.replace(VIEW, template=BEFORE["latency_by_provider"])
# The view counts buckets only for ranges of 12 hours or more; this one for every range.
THRESHOLD = f">= {views._LATENCY_COUNTS_FROM} AND"
assert THRESHOLD in VIEW.template
COUNTED = dataclasses.replace(VIEW, template=VIEW.template.replace(THRESHOLD, ">= 0 AND"))


def _latency(rng: random.Random) -> float:
    """Mostly distinct microsecond-ish latencies over four decades, with ties, exact powers of
    two (bucket edges), zero, a negative and NaN now and then."""
    draw = rng.random()
    if draw < 0.05:
        return rng.choice([0.0, 250.0, 1024.0, 2048.0, 4096.0])
    if draw < 0.06:
        return rng.choice([-1.5, math.nan, 1e-320])
    return round(math.exp(rng.uniform(math.log(5), math.log(60_000))), 6)


def _calls(seed: int, count: int) -> list[list[Any]]:
    rng = random.Random(seed)
    rows = []
    span = int((LAST - FIRST).total_seconds() * 1_000_000)
    for n in range(count):
        ts = FIRST + dt.timedelta(microseconds=rng.randrange(span))
        provider = rng.choice(["openai", "openai", "anthropic", "vllm"])
        status = "error" if rng.random() < 0.1 else "ok"
        team = rng.choice(["search", "support"])
        user = rng.choice(["u1", "u2", ""])
        rows.append(
            [ts, f"t-{seed}-{n}", provider, "m", team, f"tenant-{n % 3}", user, status,
             _latency(rng)]
        )  # fmt: skip
    # a provider with one successful call, one with errors only, one with NaN only
    rows.append([FIRST + dt.timedelta(days=2, minutes=30), f"t-{seed}-one", f"solo-{seed}", "m",
                 "search", "tenant-0", "u1", "ok", 123.456789])  # fmt: skip
    rows.append([FIRST + dt.timedelta(days=3), f"t-{seed}-err", "broken", "m", "search",
                 "tenant-0", "", "error", 5.0])  # fmt: skip
    rows.append([FIRST + dt.timedelta(days=4, hours=5), f"t-{seed}-nan", "nan-only", "m",
                 "search", "tenant-0", "", "ok", math.nan])  # fmt: skip
    return rows


@pytest.fixture(scope="module")
def latencies(chdb_url: str) -> Any:
    """~3,000 calls over 6 days in three inserts (three parts per month at least)."""
    client = store.connect(chdb_url, database="latency_exact")
    store.migrate(client)
    for seed in (1, 2, 3):
        client.insert("llm_calls", _calls(seed, 1000), column_names=COLUMNS)
    yield client
    client.command("DROP DATABASE IF EXISTS latency_exact")


def _ranges() -> list[tuple[dt.datetime, dt.datetime]]:
    """Ends on and off whole hours and days (Grafana's end is inclusive: x:59:59.999),
    within one hour, one second, spanning everything, and past the data."""
    rng = random.Random(7)
    ranges = [
        (FIRST, LAST - US),
        (FIRST - DAY, LAST + DAY),
        (FIRST + DAY, FIRST + 3 * DAY - dt.timedelta(milliseconds=1)),
        (FIRST + DAY, FIRST + 3 * DAY),
        (FIRST + DAY + 5 * HOUR, FIRST + 3 * DAY + 7 * HOUR),
        (FIRST + DAY + dt.timedelta(minutes=17, seconds=3), FIRST + 2 * DAY - US),
        (FIRST + 2 * DAY + dt.timedelta(minutes=10), FIRST + 2 * DAY + dt.timedelta(minutes=50)),
        (FIRST + 2 * DAY + dt.timedelta(minutes=30), FIRST + 2 * DAY + dt.timedelta(minutes=30)),
        (FIRST + DAY - dt.timedelta(minutes=1), FIRST + DAY + dt.timedelta(minutes=1)),
        (FIRST - 3 * DAY, FIRST - DAY),
    ]
    for _ in range(8):
        start = FIRST + dt.timedelta(seconds=rng.randrange(6 * 86400))
        ranges.append((start, start + dt.timedelta(seconds=rng.randrange(1, 4 * 86400))))
    return ranges


FILTERS: list[dict[str, list[str]]] = [
    {},
    {"provider": ["openai", "vllm"]},
    {"team": ["support"]},
    {"tenant": ["tenant-1"], "provider": ["anthropic"]},
    {"user": ["u2"]},
    {"team": ["nobody"]},
]


def _answer(client: Any, view: views.View, settings: dict[str, Any] | None = None, **kw: Any):
    sql, parameters = views.bind(view, **kw)
    return client.query(sql, parameters=parameters, settings=settings or {}).result_rows


def _definition(client: Any, start: dt.datetime, end: dt.datetime, filters: dict) -> list[Any]:
    """The answer from the raw rows in Python: the macros count whole seconds of the range."""
    first, last = start.replace(microsecond=0), end.replace(microsecond=0)
    result = client.query(
        f"SELECT {', '.join(COLUMNS)} FROM llm_calls SETTINGS optimize_use_projections = 0"
    )
    groups: dict[str, list[float]] = defaultdict(list)
    for values in result.result_rows:
        row = dict(zip(result.column_names, values, strict=True))
        ts = row["ts"].replace(tzinfo=UTC) if row["ts"].tzinfo is None else row["ts"]
        if row["status"] == "error" or not first <= ts <= last:
            continue
        if all(row[key] in picked for key, picked in filters.items()):
            groups[row["provider"]].append(row["latency_ms"])
    answer = []
    for provider in sorted(groups):
        numbers = sorted(x for x in groups[provider] if not math.isnan(x))
        quantiles = [numbers[int(level * len(numbers))] if numbers else 0.0 for level in LEVELS]
        answer.append((provider, len(groups[provider]), *quantiles))
    return answer


def test_the_answers_are_quantiles_exact_over_the_calls(latencies) -> None:
    seen = 0
    for start, end in _ranges():
        for filters in FILTERS:
            args = {"start": start, "end": end, "filters": filters}
            now = _answer(latencies, VIEW, **args)
            assert now == _answer(latencies, OLD, **args), (start, end, filters)
            assert now == _answer(latencies, COUNTED, **args), (start, end, filters)
            assert now == _answer(latencies, COUNTED, {"optimize_use_projections": 0}, **args)
            if "user" not in filters:
                assert now == _definition(latencies, start, end, filters), (start, end)
            seen += len(now)
    assert seen > 100


def test_one_call_errors_only_nan_only_and_nothing(latencies) -> None:
    one = FIRST + dt.timedelta(days=2, minutes=30)
    rows = _answer(latencies, COUNTED, start=one - dt.timedelta(seconds=1), end=one)
    solo = [row for row in rows if row[0].startswith("solo-")]
    assert solo == [(f"solo-{seed}", 1, 123.456789, 123.456789, 123.456789) for seed in (1, 2, 3)]
    week = {"start": FIRST, "end": LAST}
    providers = {row[0]: row for row in _answer(latencies, VIEW, **week)}
    assert providers == {row[0]: row for row in _answer(latencies, OLD, **week)}
    assert "broken" not in providers  # error calls are not latency samples
    assert providers["nan-only"] == ("nan-only", 3, 0.0, 0.0, 0.0)  # as quantilesExact
    assert _answer(latencies, VIEW, start=FIRST - 3 * DAY, end=FIRST - DAY) == []
    assert _answer(latencies, COUNTED, start=FIRST - 3 * DAY, end=FIRST - 2 * DAY) == []


def test_exact_ranges_and_call_filters_answer_as_before(latencies) -> None:
    for start, end in _ranges()[:6]:
        for extra in ({"exact": True}, {"exact": True, "filters": {"team": ["search"]}},
                      {"filters": {"user": ["u1"]}}):  # fmt: skip
            args = {"start": start, "end": end, **extra}
            want = _answer(latencies, OLD, **args)
            assert _answer(latencies, VIEW, **args) == want, args
            assert _answer(latencies, COUNTED, **args) == want, args


def test_the_projections_answer_long_ranges_without_variables(latencies) -> None:
    def plan(**kw: Any) -> str:
        sql, parameters = views.bind(VIEW, **kw)
        result = latencies.query(f"EXPLAIN projections = 1 {sql}", parameters=parameters)
        return "\n".join(str(row[0]) for row in result.result_rows)

    # The plan (a scalar subquery) runs while planning, so EXPLAIN shows its value: targets
    # for a long range without variables, none (the sorting branch answers) otherwise.
    long = plan(start=FIRST + 5 * HOUR, end=LAST - HOUR)
    assert "arrayJoin([('" in long
    # the slice read can use the projection (on this little data its marks are as many)
    assert "ReadFromMergeTree (latency_values)" in long or "latency_values is usable" in long
    assert "arrayJoin([])" in plan(start=FIRST + 5 * HOUR, end=LAST - HOUR, filters={"team": ["x"]})
    assert "arrayJoin([])" in plan(start=FIRST + 5 * HOUR, end=FIRST + 17 * HOUR - US)
    assert "arrayJoin([('" in plan(start=FIRST + 5 * HOUR, end=FIRST + 17 * HOUR)
    # the report's and the API's call filters and exact ranges read a subquery of the calls
    assert "arrayJoin([])" in plan(start=FIRST + 5 * HOUR, end=LAST - HOUR, exact=True)
    assert "arrayJoin([])" in plan(
        start=FIRST + 5 * HOUR, end=LAST - HOUR, filters={"user": ["u1"]}
    )
    tiers = " ".join(views._LATENCY_TIERS[:2])
    assert "toDate(ts)" in tiers and "toStartOfHour(ts)" in tiers
    for read in ("latency_daily", "latency_hourly"):
        explained = latencies.query(
            "EXPLAIN projections = 1 SELECT provider, count() FROM llm_calls WHERE "
            + ("toDate(ts) >= toDate('2026-11-11')" if read == "latency_daily"
               else "toStartOfHour(ts) >= toDateTime('2026-11-11 05:00:00', 'UTC')")
            + f" AND status != 'error' GROUP BY provider, {views._LATENCY_BUCKET}"
        )  # fmt: skip
        assert read in "\n".join(str(row[0]) for row in explained.result_rows)


def test_merges_and_deletes_keep_the_answers(latencies) -> None:
    week = {"start": FIRST + 7 * HOUR, "end": LAST - 3 * HOUR}
    latencies.command("OPTIMIZE TABLE llm_calls FINAL")
    assert _answer(latencies, VIEW, **week) == _answer(latencies, OLD, **week)
    assert (
        "latency_values"
        in latencies.query(
            "SELECT groupUniqArray(name) FROM system.projection_parts WHERE database = "
            "currentDatabase() AND table = 'llm_calls' AND active"
        ).result_rows[0][0]
    )
    latencies.command("DELETE FROM llm_calls WHERE team = 'support' AND provider = 'openai'")
    after = _answer(latencies, VIEW, **week)
    assert after == _answer(latencies, OLD, **week)
    assert after == _answer(latencies, VIEW, {"optimize_use_projections": 0}, **week)


def test_the_migration_backfills_a_store_written_before(chdb_url) -> None:
    batches = [_calls(seed, 400) for seed in (4, 5)]
    with store_before(chdb_url, 12, COLUMNS, batches) as (client, applied):
        assert 12 in applied
        parts = active_parts(client)
        projected = projection_parts(client)
        for name in ("latency_daily", "latency_hourly", "latency_values"):
            assert projected[name][0] == parts
        for start, end in _ranges()[:5]:
            args = {"start": start, "end": end}
            assert _answer(client, COUNTED, **args) == _answer(client, OLD, **args)
            assert _answer(client, COUNTED, **args) == _definition(client, start, end, {})
