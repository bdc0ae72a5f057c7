"""The query benchmark's synthetic calls: what it measures is only as good as its data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest

from benchmarks.load import bench_module

queries = bench_module("queries")

ANCHOR = datetime(2026, 11, 23, 23, tzinfo=UTC)
ROWS = 60_000


@pytest.fixture(scope="module")
def generated(chdb_url: str) -> Iterator[Any]:
    """One generated store for the module: the tests only read it."""
    from tokentrace.processor.store import store

    client = store.connect(chdb_url, database="bench_queries_data")
    store.migrate(client)
    queries.generate(client, ROWS, ANCHOR, log=lambda message: None)
    yield client
    client.command("DROP DATABASE IF EXISTS bench_queries_data")


def test_chunks_cover_every_row_in_whole_days():
    chunks = queries.plan_chunks(100_000_000, ANCHOR)
    assert sum(chunk.rows for chunk in chunks) == 100_000_000
    assert sum(len(chunk.slot_starts_us) for chunk in chunks) == queries.DAYS
    assert all(chunk.rows < queries.CHUNK_ROWS * 1.2 for chunk in chunks)
    starts = [start for chunk in chunks for start in chunk.slot_starts_us]
    assert starts[0] == int((ANCHOR - timedelta(days=90)).timestamp()) * 1_000_000
    assert all(b - a == 86_400_000_000 for a, b in pairwise(starts))


def test_rollups_hold_exactly_the_raw_calls(generated):
    assert generated.command("SELECT count() FROM llm_calls") == ROWS
    assert queries.check_rollups(generated) is None
    first, last = generated.query("SELECT min(ts), max(ts) FROM llm_calls").result_rows[0]
    assert first >= (ANCHOR - timedelta(days=90)).replace(tzinfo=None)
    assert last < ANCHOR.replace(tzinfo=None)


def test_dimensions_have_the_intended_cardinality(generated):
    counts = generated.query(
        "SELECT uniqExact(provider), uniqExact(model), uniqExact(service), uniqExact(team), "
        "uniqExact(feature), uniqExact(environment), uniqExact(agent), "
        "uniqExact(tenant) FROM llm_calls"
    ).result_rows[0]
    assert counts[:7] == (8, 38, 6, 10, 40, 3, 11)  # agents: ten plus '' (no agent)
    assert 1000 < counts[7] <= queries.TENANTS + 5
    # Zipf: the biggest tenant carries ln(2) / ln(2001) = 9.1 % of production traffic.
    top_share = generated.command(
        "SELECT countIf(tenant = 'tenant-0000') / countIf(environment = 'production') "
        "FROM llm_calls"
    )
    assert 0.08 < float(top_share) < 0.10


def test_costs_are_exact_and_unknown_models_unpriced(generated):
    violations = generated.command(
        "SELECT countIf(cost != input_cost + cache_read_cost + cache_write_cost + output_cost) "
        "FROM llm_calls"
    )
    assert violations == 0
    # gpt-4o: $2.50 / $10 / $1.25 cached per million tokens
    wrong = generated.command(
        "SELECT countIf(input_cost != toDecimal64(input_tokens - cache_read_tokens, 0) "
        "* toDecimal64('0.0000025', 12) OR output_cost != toDecimal64(output_tokens, 0) "
        "* toDecimal64('0.00001', 12) OR cache_read_cost != toDecimal64(cache_read_tokens, 0) "
        "* toDecimal64('0.00000125', 12)) FROM llm_calls WHERE model = 'gpt-4o'"
    )
    assert wrong == 0
    unpriced = generated.query(
        "SELECT countIf(priced = 0), countIf(priced = 0 AND (cost != 0 OR provider != 'vllm' "
        "AND unpriced_reason != 'usage_missing')), "
        "countIf(priced = 1 AND (provider = 'vllm' OR usage_missing = 1)) FROM llm_calls"
    ).result_rows[0]
    assert unpriced[0] > 0 and unpriced[1:] == (0, 0)
    total = generated.command("SELECT sum(cost) FROM llm_calls")
    assert Decimal(total) > 0


def test_every_case_runs_on_the_generated_store(generated):
    end = ANCHOR - timedelta(microseconds=1)
    cases = queries.build_cases(end)
    assert len(cases) == 2 * len(queries.views.VIEWS) + 3
    by_name = {}
    for case in cases:
        timings, cpu, rows_out, rows_read = queries.time_query(generated, case.sql, runs=1)
        assert len(timings) == len(cpu) == 1 and rows_read > 0
        by_name[(case.name, case.range)] = rows_out
    assert by_name[("daily_spend", "30d")] == 31
    assert by_name[("raw: daily_spend", "30d")] == 31
    assert by_name[("raw: top-10 tenants", "7d")] == 10
    assert by_name[("budget_utilization", "MTD")] == len(queries.BUDGETS)
    assert by_name[("spend_by_api_key", "7d")] > 0 and by_name[("spend_by_endpoint", "7d")] > 0


def test_only_keeps_the_named_cases_and_rejects_unknown_names():
    end = ANCHOR - timedelta(microseconds=1)
    names = queries._names("anomalies, raw: daily_spend")
    cases = queries.build_cases(end, names)
    assert [(case.name, case.range) for case in cases] == [
        ("anomalies", "30d"),
        ("anomalies", "MTD"),
        ("raw: daily_spend", "30d"),
    ]
    with pytest.raises(queries.argparse.ArgumentTypeError, match="unknown query nope"):
        queries._names("anomalies,nope")


def test_every_view_has_a_class_and_the_bill_views_theirs():
    assert {queries.view_class(name) for name in queries.BILL_VIEWS} == {queries.BILL}
    assert queries.view_class("spend_by_api_key") == queries.TOP_N
    assert queries.view_class("usage_missing") == queries.SPEND


def test_targets_are_issue_15s_on_every_range():
    end = ANCHOR - timedelta(microseconds=1)
    targets = {(case.name, case.range): case.target_ms for case in queries.build_cases(end)}
    assert targets[("totals", "30d")] == targets[("totals", "MTD")] == 20
    assert targets[("spend_by_tenant", "7d")] == targets[("spend_by_tenant", "MTD")] == 20
    assert targets[("usage_missing", "30d")] == targets[("cost_by_user", "MTD")] == 100
    assert targets[("latency_by_provider", "24h")] == targets[("reconciliation", "30d")] == 100
    assert targets[("raw: daily_spend", "30d")] is None


def test_the_bill_gives_the_reconciliation_views_every_key_status(generated):
    from tokentrace.processor.store import views

    billed_rows = generated.command("SELECT count() FROM billed_usage")
    metered = generated.command(
        "SELECT count() FROM (SELECT DISTINCT provider, day, model, api_key FROM llm_cost_daily "
        "WHERE provider IN ('openai', 'anthropic'))"
    )
    assert billed_rows == metered > 0
    end = ANCHOR - timedelta(microseconds=1)
    rows = views.fetch(
        generated, views.VIEWS["reconciliation_by_key"], start=end - timedelta(days=30), end=end
    )
    statuses = {row["status"] for row in rows}
    assert {"unlisted key", "uninstrumented", "matches"} <= statuses
    causes = {
        row["cause"]
        for row in views.fetch(
            generated, views.VIEWS["reconciliation"], start=end - timedelta(days=30), end=end
        )
    }
    assert "price or tier" in causes


def test_a_reused_store_gets_the_bill_once(generated):
    before = [
        generated.command(f"SELECT count() FROM {table}")
        for table in ("budgets", "billed_usage", "billed_costs", "billed_imports")
    ]
    queries.fill_budgets_and_bill(generated, log=lambda message: None)
    after = [
        generated.command(f"SELECT count() FROM {table}")
        for table in ("budgets", "billed_usage", "billed_costs", "billed_imports")
    ]
    assert after == before
