"""The views issue 15 rewrote so the rollups' projections answer them give the very answers
they gave before (tests/views/before_issue15.py), Decimal exact: on the query benchmark's
synthetic traffic (thousands of tenants, several parts per partition, every budget shape)
and on the seeded calls, with and without dashboard and call filters, on edge ranges; and
each view answers the same from its projections as from the rollup's own rows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from benchmarks.load import bench_module

from tokentrace.processor.store import views
from views.before_issue15 import BEFORE
from views.seed import NOW

queries = bench_module("queries")

ANCHOR = dt.datetime(2026, 11, 23, 23, tzinfo=dt.UTC)
END = ANCHOR - dt.timedelta(microseconds=1)
MONTH_START = END.replace(day=1, hour=0, minute=0, second=0, microsecond=0)

# Budgets beyond the bench's: on an API key, on tenant and provider together, on a key the
# rollups do not have, and on an empty tag value.
EXTRA_BUDGETS = (
    ("api_key", {"api_key": "sk-proj-…"}, "month", "100"),
    ("tenant+provider", {"tenant": "tenant-0001", "provider": "openai"}, "week", "50"),
    ("user", {"user": "tenant-0000/u1"}, "day", "5"),
    ("no agent", {"agent": ""}, "month", "1000"),
    ("endpoint", {"endpoint": "/chat"}, "day", "20"),
)

RANGES = {
    "30d": (END - dt.timedelta(days=30), END),
    "7d": (END - dt.timedelta(days=7), END),
    "MTD": (MONTH_START, END),
    "mid-hour": (END - dt.timedelta(days=9, minutes=-17), END - dt.timedelta(hours=5, minutes=3)),
    "one day": (END - dt.timedelta(days=1), END),
    "month edge": (MONTH_START - dt.timedelta(days=3), MONTH_START - dt.timedelta(microseconds=1)),
    "before any call": (END - dt.timedelta(days=400), END - dt.timedelta(days=380)),
}

FILTERS: dict[str, dict[str, list[str]]] = {
    "none": {},
    "team": {"team": ["support"]},
    "tenant": {"tenant": ["tenant-0000", "tenant-0003"]},
    "provider and model": {"provider": ["openai", "vllm"], "model": ["gpt-4o", "acme-embed"]},
    "nothing matches": {"team": ["nobody"]},
}


@pytest.fixture(scope="module")
def generated(chdb_url: str) -> Iterator[Any]:
    """The bench's traffic in two inserts a day apart (so partitions hold several parts whose
    rollup rows overlap, as before a merge), its bill and budgets plus :data:`EXTRA_BUDGETS`."""
    from tokentrace.processor.store import store

    client = store.connect(chdb_url, database="projection_views")
    store.migrate(client)
    queries.generate(client, 16_000, ANCHOR - dt.timedelta(days=1), log=lambda message: None)
    queries.generate(client, 6_000, ANCHOR, log=lambda message: None)
    api_key = client.command("SELECT any(api_key) FROM llm_calls WHERE provider = 'openai'")
    now = dt.datetime.now(dt.UTC)
    client.insert(
        "budgets",
        [
            [
                scope,
                {k: api_key if k == "api_key" else v for k, v in filters.items()},
                period,
                Decimal(amount),
                now,
                0,
            ]
            for scope, filters, period, amount in EXTRA_BUDGETS
        ],
        column_names=["scope", "filters", "period", "amount", "updated_at", "deleted"],
    )
    assert client.command("SELECT count() FROM system.parts WHERE active AND database = "
                          "currentDatabase() AND table = 'llm_cost_daily'") > 4  # fmt: skip
    yield client
    client.command("DROP DATABASE IF EXISTS projection_views")


def answer(client: Any, view: views.View, settings: dict[str, Any] | None = None, **kw: Any):
    sql, parameters = views.bind(view, **kw)
    return client.query(sql, parameters=parameters, settings=settings or {}).result_rows


def named(client: Any, view: views.View, **kw: Any) -> list[dict[str, Any]]:
    sql, parameters = views.bind(view, **kw)
    result = client.query(sql, parameters=parameters)
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


def as_before(now: list[dict[str, Any]], old: list[dict[str, Any]]) -> bool:
    """``now`` answers as the old SQL did, but for what changed on purpose since: columns were
    added, a cost the old SQL gave as 0 for calls whose every cost is unknown is NULL
    (unknown), which may move its row among the rows of equal order, and a budget's label
    ends "+ N unknown" when its spend leaves out calls of unknown cost."""

    def same(now: Any, old: Any) -> bool:
        if now is None and old == 0:
            return True
        unknown = re.fullmatch(r"(.*) \+ \d+ unknown", now) if isinstance(now, str) else None
        return now == old or (unknown is not None and unknown[1] == old)

    def seen(row: dict[str, Any], like: dict[str, Any]) -> dict[str, Any]:
        return {c: like[c] if same(row[c], like[c]) else row[c] for c in like}

    if len(now) != len(old):
        return False
    if all(seen(n, o) == o for n, o in zip(now, old, strict=True)):
        return True
    remaining = list(old)
    for row in now:
        match = next((o for o in remaining if seen(row, o) == o), None)
        if match is None:
            return False
        remaining.remove(match)
    return True


def before(name: str) -> views.View:
    return dataclasses.replace(views.VIEWS[name], template=BEFORE[name])


def check(client: Any, name: str, **kw: Any) -> list[Any]:
    """The view's answer, asserted equal to the old SQL's and to its own without projections."""
    now = answer(client, views.VIEWS[name], **kw)
    assert as_before(named(client, views.VIEWS[name], **kw), named(client, before(name), **kw)), (
        name,
        kw,
    )
    without = answer(client, views.VIEWS[name], {"optimize_use_projections": 0}, **kw)
    assert now == without, (name, kw)
    return now


@pytest.mark.parametrize("name", sorted(BEFORE))
@pytest.mark.parametrize("range_name", sorted(RANGES))
def test_rewritten_views_answer_as_before(generated, name: str, range_name: str) -> None:
    start, end = RANGES[range_name]
    filtered_by = views.VIEWS[name].filtered_by
    rows = 0
    for filters in FILTERS.values():
        if set(filters) <= set(filtered_by):
            rows += len(check(generated, name, start=start, end=end, filters=filters))
    if range_name in ("30d", "MTD", "mid-hour") or name == "budget_utilization":
        assert rows > 0  # the comparison saw answers, not only empty ones


@pytest.mark.parametrize(
    "name", sorted(n for n in BEFORE if set(views.VARIABLES) <= set(views.VIEWS[n].filtered_by))
)
def test_call_filters_and_exact_ranges_answer_as_before(generated, name: str) -> None:
    start, end = RANGES["mid-hour"]
    user = generated.command("SELECT any(user) FROM llm_calls WHERE user != ''")
    check(generated, name, start=start, end=end, filters={"user": [user]})
    check(generated, name, start=start, end=end, exact=True)
    check(generated, name, start=start, end=end, exact=True, filters={"team": ["support"]})


def test_budgets_of_every_shape_are_measured(generated) -> None:
    rows = check(generated, "budget_utilization", start=END - dt.timedelta(days=30), end=END)
    spent = {row[0]: row[5] for row in rows}
    assert len(rows) == len(queries.BUDGETS) + len(EXTRA_BUDGETS)
    assert spent["user"] == 0  # the rollups have no user: as before, nothing matches
    assert all(spent[scope] > 0 for scope in ("api_key", "tenant+provider", "no agent"))


READ_FROM_PROJECTIONS = (
    "anomalies",
    "budget_utilization",
    "month_to_date",
    "unpriced_usage",
    "usage_missing",
    "reconciliation_by_key",
    "totals",
    "spend_by_tenant",
)


def test_the_projections_answer_the_rewritten_views(generated) -> None:
    """Each rewritten view reads projections, not the tenant-keyed rows (the point of it)."""
    reads = {}
    for name in READ_FROM_PROJECTIONS:
        sql = views.render(views.VIEWS[name], start=END - dt.timedelta(days=30), end=END)
        plan = "\n".join(
            row[0] for row in generated.query(f"EXPLAIN projections=1 {sql}").result_rows
        )
        reads[name] = plan
    for name, plan in reads.items():
        rollup_rows = plan.count("ReadFromMergeTree (projection_views.llm_cost")
        # budget_utilization's every-dimension branch runs only for budgets that need it
        assert rollup_rows == (name == "budget_utilization"), (name, plan)
    assert "by_tenant" in reads["anomalies"] and "by_tenant" in reads["spend_by_tenant"]


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_seeded_calls_answer_as_before(seeded, name: str) -> None:
    for days in (1, 7, 30):
        check(seeded, name, start=NOW - dt.timedelta(days=days), end=NOW)
        check(seeded, name, start=NOW - dt.timedelta(days=days), end=NOW, filters={})


UNIT_VIEWS = ("cost_by_unit", "provider_cost_differences")


@pytest.mark.parametrize("name", UNIT_VIEWS)
def test_unit_views_answer_from_their_projection_as_from_the_rollup(generated, seeded, name):
    """Migration 0013's projection answers migration 0010's views (seeded: a call with a
    reported cost and image tokens), the same as the rollup's own rows, and is the one read."""
    answers = 0
    for days in (1, 7, 30):
        for filters in ({}, {"team": ["support"]}, {"tenant": ["acme"]}):
            kw = {"start": NOW - dt.timedelta(days=days), "end": NOW, "filters": filters}
            rows = answer(seeded, views.VIEWS[name], **kw)
            assert rows == answer(seeded, views.VIEWS[name], {"optimize_use_projections": 0}, **kw)
            answers += len(rows)
    assert answers > 0
    for client, database, end in (
        (generated, "projection_views", END),
        (seeded, "seeded_views", NOW),
    ):
        sql = views.render(views.VIEWS[name], start=end - dt.timedelta(days=30), end=end)
        plan = "\n".join(row[0] for row in client.query(f"EXPLAIN projections=1 {sql}").result_rows)
        assert "units_without_tenant" in plan, plan
        assert f"ReadFromMergeTree ({database}.llm_cost_daily)" not in plan, plan
