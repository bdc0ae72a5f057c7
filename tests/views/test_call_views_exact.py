"""cost_by_user reads a projection of ``llm_calls`` (migration 0008), cost_by_conversation
folds its tail without ranking every conversation and top_calls skips granules by a minmax
index on cost (migration 0011) and takes whole days from a projection of each day's 50
costliest calls (0014); their answers must stay exactly the raw table's.

Each view runs as the dashboard, the report and the API run it (``views.bind``), for ranges
that start and end mid-day, with and without dashboard variables and call filters, before
and after a reprice and a lightweight delete, and is compared with the answer computed here
from the raw rows."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.pricing.reprice import reprice
from tokentrace.processor.store import views
from tokentrace.processor.store.views import MAX_TOP, OTHER, VIEWS
from views.migrating import active_parts, projection_parts, store_before

UTC = dt.UTC
FIRST = dt.datetime(2026, 11, 10, tzinfo=UTC)
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
COLUMNS = [
    "ts", "trace_id", "span_id", "provider", "model", "response_model", "team", "tenant",
    "user", "conversation", "api_key", "endpoint", "input_tokens", "output_tokens", "cost",
    "priced", "price_version", "latency_ms", "status",
]  # fmt: skip
# Users belong to a tenant; "u3" shows up under two (the views key users by tenant too).
USERS = {f"u{n}": f"tenant-{n % 4}" for n in range(24)}
PRICES = "prices:\n  - {model: acme-1, input: 1, output: 2}\n"
MS = dt.timedelta(milliseconds=1)

# (first, last moment): ranges starting and ending mid-day, whole days, within one day,
# and one past the data.
RANGES = [
    (dt.datetime(2026, 11, 12, 7, 30, tzinfo=UTC), dt.datetime(2026, 11, 17, 15, 45, tzinfo=UTC)),
    (dt.datetime(2026, 11, 13, tzinfo=UTC), dt.datetime(2026, 11, 16, tzinfo=UTC) - MS),
    (dt.datetime(2026, 11, 18, 9, 0, tzinfo=UTC), dt.datetime(2026, 11, 18, 9, 20, tzinfo=UTC)),
    (NOW - dt.timedelta(days=7), NOW),
    (FIRST - dt.timedelta(days=3), NOW + dt.timedelta(days=2)),
]
FILTERS: list[dict[str, tuple[str, ...]]] = [
    {},
    {"team": ("search",)},
    {"tenant": ("tenant-1", "tenant-2")},
    {"api_key": ("key-b",)},
    {"endpoint": ("/chat",), "provider": ("acme",)},
    {"user": ("u3", "u5")},
]


def _calls(seed: int, count: int) -> list[list[Any]]:
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        ts = FIRST + dt.timedelta(seconds=rng.randrange(int((NOW - FIRST).total_seconds())))
        user = rng.choice(list(USERS)) if rng.random() < 0.6 else ""
        tenant = "tenant-9" if user == "u3" and rng.random() < 0.3 else USERS.get(user, "")
        # calls without a user (batch work) for 20 tenants
        tenant = tenant if user else f"tenant-{rng.randrange(20)}"
        priced = int(rng.random() > 0.05)
        # costs to the 12th decimal, a few of them tied, unpriced calls at 0
        cost = Decimal(rng.choice([rng.randrange(10**12), 5 * 10**11])) / 10**12 * priced
        provider, model = rng.choice([("acme", "acme-1"), ("other", "other-1")])
        rows.append(
            [ts, f"trace-{seed}-{n}", f"span-{n}", provider, model, model,
             rng.choice(["search", "growth", "support"]), tenant, user,
             f"c{rng.randrange(40)}" if user else "", rng.choice(["key-a", "key-b"]),
             rng.choice(["/chat", "/search", "tasks.sync"]), rng.randrange(10**5),
             rng.randrange(10**4), cost, priced, "genai-prices@0.2.3" if priced else "",
             100.0 + n, "ok"]
        )  # fmt: skip
    return rows


@pytest.fixture
def calls(store_client) -> Any:
    """~1,500 calls over 11 days in three inserts (three parts at least)."""
    for seed in (1, 2, 3):
        store_client.insert("llm_calls", _calls(seed, 500), column_names=COLUMNS)
    return store_client


def raw_calls(client: Any) -> list[dict[str, Any]]:
    result = client.query(
        f"SELECT {', '.join(COLUMNS)} FROM llm_calls SETTINGS optimize_use_projections = 0"
    )
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def selected(
    rows: Iterable[dict[str, Any]],
    start: dt.datetime,
    end: dt.datetime,
    filters: dict[str, tuple[str, ...]],
    whole_days: bool,
) -> list[dict[str, Any]]:
    """The calls a view over [start, end] (``end`` inclusive, as Grafana's) counts: from the
    macros' whole seconds, or the UTC days they fall on."""
    first = start.replace(microsecond=0)
    last = end.replace(microsecond=0)
    out = []
    for row in rows:
        ts = row["ts"].replace(tzinfo=UTC) if row["ts"].tzinfo is None else row["ts"]
        inside = first.date() <= ts.date() <= last.date() if whole_days else first <= ts <= last
        if inside and all(row[key] in values for key, values in filters.items()):
            out.append(row)
    return out


def fetch(client: Any, name: str, **kwargs: Any) -> list[dict[str, Any]]:
    return views.fetch(client, VIEWS[name], **kwargs)


def explain(client: Any, name: str, **kwargs: Any) -> str:
    sql, parameters = views.bind(VIEWS[name], **kwargs)
    result = client.query(f"EXPLAIN projections = 1 {sql}", parameters=parameters)
    return "\n".join(str(row[0]) for row in result.result_rows)


# ---------------------------------------------------------------- cost_by_user


def expected_users(rows: list[dict[str, Any]]) -> dict[tuple[str, str], tuple[int, Decimal, int]]:
    totals: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, Decimal(0), 0])
    for row in rows:
        if row["user"]:
            total = totals[(row["user"], row["tenant"])]
            total[0] += 1
            total[1] += row["cost"]
            total[2] += row["priced"] == 0
    return {key: tuple(value) for key, value in totals.items()}


def shown(total: tuple[Any, ...]) -> tuple[Any, ...]:
    """A group's (requests, cost, unpriced, …) as the view shows it: the cost of a group whose
    every call has an unknown cost is unknown (None), never $0."""
    requests, cost, unpriced, *rest = total
    return (requests, None if unpriced >= requests else cost, unpriced, *rest)


def cases(
    ranges: list[tuple[dt.datetime, dt.datetime]],
) -> Iterator[tuple[dt.datetime, dt.datetime, dict[str, Any], bool, dict[str, Any]]]:
    """Each range with each filter set, exact (the report's and the API's range) or not for
    the unfiltered and the first filter set; with the view's arguments for them."""
    for start, end in ranges:
        for filters in FILTERS:
            for exact in (False, True) if filters in ({}, FILTERS[1]) else (False,):
                args = {"start": start, "end": end, "filters": filters, "exact": exact}
                yield start, end, filters, exact, args


def assert_users_exact(
    client: Any, raw: list[dict[str, Any]], ranges: list[tuple[dt.datetime, dt.datetime]] = RANGES
) -> None:
    # exact (the report's and the API's) counts the range itself, not whole days
    for start, end, filters, exact, args in cases(ranges):
        counted = selected(raw, start, end, filters, whole_days=not exact)
        want = expected_users(counted)
        rows = fetch(client, "cost_by_user", **args, top=MAX_TOP)
        got = {
            (r["user"], r["tenant"]): (r["requests"], r["cost"], r["unpriced_requests"])
            for r in rows
        }
        assert got == {key: shown(value) for key, value in want.items()}, (
            start,
            end,
            filters,
            exact,
        )
        if filters or exact:
            continue
        # the top N and "(other)" fold: largest first, totals exact
        top = fetch(client, "cost_by_user", **args, top=5)
        ranked = sorted(want.items(), key=lambda kv: (-kv[1][1], kv[0]))
        assert [(r["user"], r["tenant"]) for r in top[:5]] == [k for k, _ in ranked[:5]]
        if len(want) > 5:
            assert top[-1]["user"] == OTHER and top[-1]["members"] == len(want) - 5
        assert sum(r["cost"] or 0 for r in top) == sum(v[1] for v in want.values())


def test_cost_by_user_is_the_raw_answer_over_whole_days(calls) -> None:
    assert_users_exact(calls, raw_calls(calls))


def test_cost_by_user_reads_the_projection_unless_a_variable_is_set(calls) -> None:
    week = {"start": NOW - dt.timedelta(days=7), "end": NOW}
    assert "user_daily" in explain(calls, "cost_by_user", **week)
    assert "user_daily" not in explain(calls, "cost_by_user", **week, filters={"team": ("x",)})


def test_people_and_top_calls_stay_exact_after_a_reprice(calls, tmp_path: Path) -> None:
    before = raw_calls(calls)
    prices = tmp_path / "prices.yaml"
    prices.write_text(PRICES)
    result = reprice(calls, Pricer(prices), FIRST, NOW)
    assert result.changed > 0
    after = raw_calls(calls)
    assert sorted(r["cost"] for r in after) != sorted(r["cost"] for r in before)
    assert len(after) == len(before)
    assert_users_exact(calls, after, RANGES[:2])
    assert_conversations_exact(calls, after, RANGES[:2])
    assert_top_calls_exact(calls, after, RANGES[:2])


def test_lightweight_deletes_keep_the_projections_exact(calls) -> None:
    calls.command("DELETE FROM llm_calls WHERE team = 'growth'")
    raw = raw_calls(calls)
    assert raw and all(r["team"] != "growth" for r in raw)
    assert_users_exact(calls, raw, RANGES[:1])
    assert_conversations_exact(calls, raw, RANGES[:1])
    assert_top_calls_exact(calls, raw, RANGES[:1])


# ---------------------------------------------------------------- cost_by_conversation

Conversation = tuple[int, Decimal, int, dt.datetime, dt.datetime]


def expected_conversations(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], Conversation]:
    totals: dict[tuple[str, str, str], list[Any]] = {}
    for row in rows:
        if row["conversation"]:
            key = (row["conversation"], row["tenant"], row["user"])
            total = totals.setdefault(key, [0, Decimal(0), 0, row["ts"], row["ts"]])
            total[0] += 1
            total[1] += row["cost"]
            total[2] += row["priced"] == 0
            total[3] = min(total[3], row["ts"])
            total[4] = max(total[4], row["ts"])
    return {key: tuple(value) for key, value in totals.items()}  # type: ignore[misc]


def assert_conversations_fold(
    rows: list[dict[str, Any]], want: dict[tuple[str, str, str], Conversation], top: int
) -> None:
    """The ``top`` most expensive conversations (ties by key), then '(other)' for the rest."""
    ranked = sorted(want.items(), key=lambda kv: (-kv[1][1], kv[0]))
    leaders, rest = ranked[:top], ranked[top:]
    got = [
        ((r["conversation"], r["tenant"], r["user"]), (r["requests"], r["cost"],
         r["unpriced_requests"], r["first_call"], r["last_call"]), r["other"], r["members"])
        for r in rows
    ]  # fmt: skip
    assert got[: len(leaders)] == [(key, shown(value), 0, 1) for key, value in leaders]
    if not rest:
        assert len(got) == len(leaders)
        return
    folded = (
        sum(v[0] for _, v in rest),
        sum((v[1] for _, v in rest), Decimal(0)),
        sum(v[2] for _, v in rest),
        min(v[3] for _, v in rest),
        max(v[4] for _, v in rest),
    )
    assert got[len(leaders) :] == [((OTHER, "", ""), shown(folded), 1, len(rest))]


def assert_conversations_exact(
    client: Any, raw: list[dict[str, Any]], ranges: list[tuple[dt.datetime, dt.datetime]] = RANGES
) -> None:
    for start, end, filters, _exact, args in cases(ranges):
        want = expected_conversations(selected(raw, start, end, filters, whole_days=False))
        for top in (MAX_TOP, 5, 1):
            rows = fetch(client, "cost_by_conversation", **args, top=top)
            assert_conversations_fold(rows, want, top)


def test_cost_by_conversation_is_the_raw_answer(calls) -> None:
    assert_conversations_exact(calls, raw_calls(calls))


def test_the_other_conversations_fold_exactly_across_ties(store_client) -> None:
    """Equal costs rank by key; first and last calls shared by leaders and the rest still
    give the rest's own earliest and latest call."""
    at = NOW - dt.timedelta(hours=3)
    rows = [
        # c0-c5 each cost 1.5 with calls at the same two moments; c6 is later and cheaper
        *([at, f"t{n}", f"c{n}", "tenant-1", "u1", Decimal("0.75"), 1] for n in range(6)),
        *([at + dt.timedelta(minutes=5), f"t{n}b", f"c{n}", "tenant-1", "u1", Decimal("0.75"), 1]
          for n in range(6)),
        [at + dt.timedelta(minutes=9), "t6", "c6", "tenant-2", "u2", Decimal("0.5"), 0],
        # one conversation under two users: two rows
        [at - dt.timedelta(minutes=1), "t7", "c0", "tenant-1", "u9", Decimal("1.5"), 1],
    ]  # fmt: skip
    columns = ["ts", "trace_id", "conversation", "tenant", "user", "cost", "priced"]
    store_client.insert("llm_calls", rows, column_names=columns)
    want = expected_conversations(raw_calls(store_client))
    assert len(want) == 8
    for top in (1, 2, 3, 6, 7, 8, 9):
        got = fetch(store_client, "cost_by_conversation", start=at - MS * 10**6, end=NOW, top=top)
        assert_conversations_fold(got, want, top)


# ---------------------------------------------------------------- top_calls


def assert_top_calls_exact(
    client: Any, raw: list[dict[str, Any]], ranges: list[tuple[dt.datetime, dt.datetime]] = RANGES
) -> None:
    for start, end, filters, _exact, args in cases(ranges):
        counted = selected(raw, start, end, filters, whole_days=False)
        want = in_top_calls_order(counted)[:50]
        got = fetch(client, "top_calls", **args)
        assert [_ids(r) for r in got] == [_ids(r) for r in want], (start, end, filters)
        assert [_key(r) for r in got] == [_shown_key(r) for r in want], (start, end, filters)


def _key(row: dict[str, Any]) -> tuple[Decimal, int, dt.datetime]:
    return row["cost"], row["priced"], row["ts"]


def _shown_key(row: dict[str, Any]) -> tuple[Decimal | None, int, dt.datetime]:
    """A raw call's :func:`_key` as the view shows it: an unpriced call's cost is unknown."""
    return (row["cost"] if row["priced"] else None), row["priced"], row["ts"]


def _ids(row: dict[str, Any]) -> tuple[str, str]:
    return row["trace_id"], row["span_id"]


def in_top_calls_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The view's order: cost, then known before unknown, then time, descending; equal calls
    by their ids."""
    return sorted(sorted(rows, key=_ids), key=_key, reverse=True)  # stable: ids stay ascending


def test_top_calls_is_the_raw_answer(calls) -> None:
    assert_top_calls_exact(calls, raw_calls(calls))


def test_top_calls_reads_whole_days_from_the_projection(calls) -> None:
    """Whole days without a variable come from the per-day leaders (migration 0014); the
    partial days only above their 50th cost; anything else from the table."""
    # The leaders (a scalar subquery) are found while planning, so EXPLAIN shows them: some
    # for a week without variables, none (the table answers) otherwise.
    week = {"start": NOW - dt.timedelta(days=7), "end": NOW}
    assert "arrayJoin([('" in explain(calls, "top_calls", **week)
    for other in (
        {"filters": {"team": ("search",)}},
        {"filters": {"user": ("u3",)}},
        {"exact": True},
    ):
        assert "arrayJoin([])" in explain(calls, "top_calls", **week, **other), other
    # within one day: no whole day
    day = {"start": NOW - dt.timedelta(hours=20), "end": NOW}
    assert "arrayJoin([])" in explain(calls, "top_calls", **day)
    # and the leaders of whole days are read from the projection
    leaders = calls.query(
        f"EXPLAIN projections = 1 SELECT groupArraySorted(50)({views._TOP_CALL}) FROM llm_calls "
        "WHERE toDate(ts) >= toDate('2026-11-14') AND toDate(ts) < toDate('2026-11-20') "
        "GROUP BY toDate(ts)"
    )
    assert "top_calls_known_first" in "\n".join(str(row[0]) for row in leaders.result_rows)


def test_top_calls_over_days_of_many_tied_calls(store_client) -> None:
    """More than 50 calls a day at one cost, at one moment, in several parts: the leaders of
    the whole days and the partial days' calls at the floor still give the raw answer."""
    at = dt.datetime(2026, 11, 14, 10, tzinfo=UTC)
    for part in range(3):
        rows = [
            [at + dt.timedelta(days=day, hours=part * 5, seconds=n % 7), f"t{part}-{day}-{n}",
             f"s{n}", "acme", "acme-1", "search", "tenant-1", "u1",
             Decimal("0.25") if n % 3 else Decimal("1.000000000001") * (n % 2), 1]
            for day in range(-2, 4) for n in range(80)
        ]  # fmt: skip
        columns = ["ts", "trace_id", "span_id", "provider", "model", "team", "tenant", "user",
                   "cost", "priced"]  # fmt: skip
        store_client.insert("llm_calls", rows, column_names=columns)
    raw = raw_calls(store_client)
    ranges = [
        (at - dt.timedelta(days=2, hours=3), at + dt.timedelta(days=3, hours=4)),
        (at - dt.timedelta(hours=1), at + dt.timedelta(days=2) - MS),
        (at.replace(hour=0), at.replace(hour=0) + dt.timedelta(days=2) - MS),
    ]
    for start, end in ranges:
        counted = selected(raw, start, end, {}, whole_days=False)
        want = in_top_calls_order(counted)[:50]
        got = fetch(store_client, "top_calls", start=start, end=end)
        assert [_ids(r) for r in got] == [_ids(r) for r in want], (start, end)
        assert [_key(r) for r in got] == [_shown_key(r) for r in want], (start, end)


def _ties_at_zero(day: dt.datetime) -> list[list[Any]]:
    """A day of 5 calls of known cost ($0.3), 4 known to cost $0 (a free model) at 10:00, 60
    of unknown cost (stored at 0) later, at 11:00, and 2 refunds (-$0.5): more than 50 calls
    at 0 dollars, so the day's 50 leaders cut some."""
    columns = [
        (Decimal("0.3"), 1, 9, 5), (Decimal(0), 1, 10, 4), (Decimal(0), 0, 11, 60),
        (Decimal("-0.5"), 1, 12, 2),
    ]  # fmt: skip
    return [
        [day + dt.timedelta(hours=hour, seconds=n), f"t{day:%d}-{hour}-{n}", f"s{n}", "acme",
         "acme-1", "search", "tenant-1", "u1", cost, priced]
        for cost, priced, hour, count in columns for n in range(count)
    ]  # fmt: skip


def test_top_calls_rank_unknown_costs_after_known_zero_costs(store_client) -> None:
    """A call of unknown cost ranks at its lower bound, 0 dollars, after the calls known to
    cost that, whatever their times, from the whole days' leaders (migration 0030) and from
    the table alike; a refund still ranks below it. Before, the unknown calls (later) came
    first among the 0-dollar calls, and each day's 50 leaders cut the free model's calls."""
    first = dt.datetime(2026, 11, 14, tzinfo=UTC)
    for day in range(3):
        store_client.insert(
            "llm_calls",
            _ties_at_zero(first + dt.timedelta(days=day)),
            column_names=["ts", "trace_id", "span_id", "provider", "model", "team", "tenant",
                          "user", "cost", "priced"],
        )  # fmt: skip
    whole = {"start": first, "end": first + dt.timedelta(days=3) - MS}
    for args in (whole, {**whole, "exact": True}, {**whole, "filters": {"team": ("search",)}},
                 {"start": first + dt.timedelta(hours=9), "end": whole["end"]}):  # fmt: skip
        got = fetch(store_client, "top_calls", **args)
        shown = [(r["cost"], r["priced"]) for r in got]
        # 15 of known cost, the 12 known to cost $0 (all of them, none cut), 23 unknown
        want = [(Decimal("0.3"), 1)] * 15 + [(Decimal(0), 1)] * 12 + [(None, 0)] * 23
        assert shown == want, args
        assert [r["ts"].hour for r in got[15:27]] == [10] * 12, args
        # the unknown ones latest first: the last day's 11:00:59 down
        assert got[27]["trace_id"] == "t16-11-59", args
    raw = raw_calls(store_client)
    assert_top_calls_exact(store_client, raw, [(whole["start"], whole["end"])])


# ---------------------------------------------------------------- the migration


def test_the_migration_backfills_a_store_written_before(chdb_url) -> None:
    batches = [_calls(seed, 300) for seed in (4, 5)]
    with store_before(chdb_url, 8, COLUMNS, batches) as (client, applied):
        assert 8 in applied
        parts, rows = projection_parts(client)["user_daily"]
        assert parts == active_parts(client) and rows > 0
        assert_users_exact(client, raw_calls(client), RANGES[:1])


def test_the_top_calls_projection_is_built_for_a_store_written_before(chdb_url) -> None:
    batches = [_calls(seed, 300) for seed in (8, 9)]
    with store_before(chdb_url, 14, COLUMNS, batches) as (client, applied):
        assert {14, 15, 16, 30} <= set(applied)
        leaders = {
            name: parts
            for name, (parts, _) in projection_parts(client).items()
            if name.startswith("top_calls_")
        }
        # 0016 drops 0015's per-hour leaders again, 0030 0014's (in the old order)
        assert leaders == {"top_calls_known_first": active_parts(client)}
        assert_top_calls_exact(client, raw_calls(client), RANGES[:2])
        week = {"start": NOW - dt.timedelta(days=7), "end": NOW}
        assert "arrayJoin([('" in explain(client, "top_calls", **week)


def test_the_cost_index_is_built_for_a_store_written_before(chdb_url) -> None:
    batches = [_calls(seed, 300) for seed in (6, 7)]
    with store_before(chdb_url, 11, COLUMNS, batches) as (client, applied):
        assert 11 in applied
        unindexed = client.command(
            "SELECT count() FROM system.parts WHERE database = currentDatabase() AND "
            "table = 'llm_calls' AND active AND secondary_indices_uncompressed_bytes = 0"
        )
        assert unindexed == 0
        assert_top_calls_exact(client, raw_calls(client), RANGES[:1])
        # what the index serves: the top-K filter that skips granules as its threshold rises
        sql, parameters = views.bind(VIEWS["top_calls"], start=NOW - dt.timedelta(days=7), end=NOW)
        plan = client.query(f"EXPLAIN indexes = 1 {sql}", parameters=parameters).result_rows
        assert "__topKFilter(cost)" in "\n".join(str(row[0]) for row in plan)
