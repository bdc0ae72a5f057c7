"""Re-pricing on real chDB: exact fact rows before and after, rollups brought to match."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from tokentrace.processor.cli import main
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.pricing.reprice import finish_unfinished, reprice
from tokentrace.processor.store import store as store_module

UTC = UTC
DAY = datetime(2026, 11, 1, tzinfo=UTC)
SINCE = DAY + timedelta(hours=6)
UNTIL = DAY + timedelta(days=1, hours=10)
COLUMNS = [
    "ts", "trace_id", "span_id", "provider", "request_model", "response_model", "model",
    "team", "status", "input_tokens", "output_tokens", "cache_read_tokens",
    "cache_write_tokens", "input_cost", "cache_read_cost", "cache_write_cost", "output_cost",
    "cost", "cache_savings", "priced", "price_version", "latency_ms", "tags",
]  # fmt: skip
# (offset from DAY, provider, request model, response model, tokens, status)
CALLS = [
    (timedelta(hours=-1), "openai", "gpt-4o", "gpt-4o-2024-08-06", (1000, 100, 0, 0), "ok"),
    (timedelta(hours=3), "openai", "gpt-4o", "gpt-4o-2024-08-06", (2000, 100, 500, 0), "ok"),
    (timedelta(hours=6), "acme", "acme-1", "", (1_000_000, 10_000, 0, 0), "ok"),
    (timedelta(hours=12), "openai", "gpt-4o", "gpt-4o-2024-08-06", (3000, 300, 1000, 0), "ok"),
    (timedelta(hours=12), "openai", "gpt-4o", "gpt-4o-2024-08-06", (3000, 300, 1000, 0), "ok"),
    (timedelta(hours=18), "anthropic", "claude-sonnet-4-5", "", (5000, 500, 0, 2000), "error"),
    (timedelta(hours=33, minutes=59), "acme", "acme-1", "acme-1", (500, 50, 0, 0), "error"),
    (timedelta(hours=34), "acme", "acme-1", "acme-1", (500, 50, 0, 0), "ok"),
]
PRICES = """\
prices:
  - {model: acme-1, input: 1, output: 2}
  - {provider: openai, model: gpt-4o-2024-08-06, start: 2026-11-01, input: 2, output: 8}
"""


@pytest.fixture
def prices_file(tmp_path: Path) -> Path:
    path = tmp_path / "prices.yaml"
    path.write_text(PRICES)
    return path


def stored_rows(pricer: Pricer) -> list[list]:
    rows = []
    for i, (offset, provider, request, response, tokens, status) in enumerate(CALLS):
        ts = DAY + offset
        price = pricer.price(provider, response or request, ts, *tokens)
        rows.append(
            [ts, f"trace{i % 7}", f"span{i % 7}", provider, request, response, price.model,
             "growth", status, *tokens, *price[2:8], int(price.priced), price.price_version,
             12.5 + i, {"tenant_tier": "gold", "n": str(i)}]
        )  # fmt: skip
    return rows


def store(client, rows: list[list]) -> None:
    client.insert("llm_calls", rows, column_names=COLUMNS)


def facts(client) -> list[tuple]:
    return client.query(
        "SELECT ts, provider, model, priced, price_version, input_cost, cache_read_cost, "
        "cache_write_cost, output_cost, cost, cache_savings, trace_id, latency_ms, tags, status "
        "FROM llm_calls ORDER BY ts, trace_id"
    ).result_rows


ROLLUP_SUMS = (
    "sum(requests), sum(failed_requests), sum(unpriced_requests), sum(input_tokens), "
    "sum(cache_read_tokens), sum(input_cost), sum(cache_read_cost), sum(cache_write_cost), "
    "sum(output_cost), sum(cost), sum(cache_savings), sum(failed_cost)"
)
FACT_SUMS = (
    "count(), countIf(status = 'error'), countIf(priced = 0), sum(input_tokens), "
    "sum(cache_read_tokens), sum(input_cost), sum(cache_read_cost), sum(cache_write_cost), "
    "sum(output_cost), sum(cost), sum(cache_savings), sumIf(cost, status = 'error')"
)


def assert_rollups_match_facts(client) -> None:
    for table, bucket, expr in (
        ("llm_cost_hourly", "hour", "toStartOfHour(ts)"),
        ("llm_cost_daily", "day", "toDate(ts)"),
    ):
        rollup = client.query(
            f"SELECT {bucket}, provider, model, {ROLLUP_SUMS} FROM {table} "
            f"GROUP BY {bucket}, provider, model HAVING sum(requests) > 0 "
            f"ORDER BY {bucket}, provider, model"
        ).result_rows
        fact = client.query(
            f"SELECT {expr} AS b, provider, model, {FACT_SUMS} FROM llm_calls "
            "GROUP BY b, provider, model ORDER BY b, provider, model"
        ).result_rows
        assert rollup == fact, table


def test_reprice_replaces_changed_rows_and_rebuilds_rollups(store_client, prices_file) -> None:
    old_pricer, new_pricer = Pricer(prices_file=""), Pricer(prices_file)
    rows = stored_rows(old_pricer)
    store(store_client, rows)
    before = facts(store_client)

    result = reprice(store_client, new_pricer, SINCE, UNTIL)

    after = facts(store_client)
    assert len(after) == len(before) == 8
    # Outside [since, until): untouched, even on the partly covered days.
    for index in (0, 1, 7):
        assert after[index] == before[index]
    # Inside: exactly what the new pricer says, every other column kept.
    for index in (2, 3, 4, 5, 6):
        offset, provider, request, response, tokens, _ = CALLS[index]
        price = new_pricer.price(provider, response or request, DAY + offset, *tokens)
        expected = (int(price.priced), price.price_version, *price[2:8])
        assert after[index][2:11] == (price.model, *expected)
        assert after[index][11:] == before[index][11:]
    assert after[2][2:5] == ("acme-1", 1, new_pricer.overrides.version)
    assert after[2][9] == Decimal("1.02")  # 1M input at $1 + 10k output at $2
    assert after[3][9] == Decimal("0.0084")  # gpt-4o at the negotiated $2 / $8
    assert after[5] == before[5]  # claude: same price, no change

    assert (result.rows, result.changed, result.newly_priced, result.newly_unpriced) == (
        5, 4, 2, 0
    )  # fmt: skip
    old_cost = sum(r[9] for r in before[2:7])
    new_cost = sum(r[9] for r in after[2:7])
    assert (result.cost_before, result.cost_after) == (old_cost, new_cost)
    assert (result.rollups_from, result.rollups_until) == (DAY, DAY + timedelta(days=2))
    gpt = next(c for c in result.changes if c.model_after == "gpt-4o-2024-08-06")
    assert (gpt.rows, gpt.priced_before, gpt.cost_after) == (2, True, Decimal("0.0168"))
    # acme-1 was unpriced: its cost before is unknown, not $0
    acme = next(c for c in result.changes if c.model_after == "acme-1")
    assert (acme.priced_before, acme.cost_before, acme.cost_after) == (
        False, None, Decimal("1.0206")
    )  # fmt: skip
    assert (result.unpriced_before, result.unpriced_after) == (2, 0)
    assert_rollups_match_facts(store_client)
    daily = store_client.query(
        "SELECT day, sum(cost), sum(unpriced_requests) FROM llm_cost_daily "
        "GROUP BY day ORDER BY day"
    ).result_rows
    assert daily == [
        (DAY.date() - timedelta(days=1), before[0][9], 0),
        (DAY.date(), before[1][9] + sum(r[9] for r in after[2:6]), 0),
        (DAY.date() + timedelta(days=1), after[6][9], 1),
    ]


def test_reprice_again_changes_nothing_and_keeps_rollups_exact(store_client, prices_file) -> None:
    store(store_client, stored_rows(Pricer(prices_file="")))
    pricer = Pricer(prices_file)
    first = reprice(store_client, pricer, SINCE, UNTIL)
    settled = facts(store_client)
    second = reprice(store_client, pricer, SINCE, UNTIL)
    assert (second.changed, second.cost_before, second.cost_after) == (
        0,
        first.cost_after,
        first.cost_after,
    )
    assert facts(store_client) == settled
    # Rebuilding inserts blocks equal to the first rebuild's: they must not be deduplicated away.
    assert_rollups_match_facts(store_client)


def test_until_defaults_to_just_after_the_latest_call(store_client, prices_file) -> None:
    store(store_client, stored_rows(Pricer(prices_file="")))
    result = reprice(store_client, Pricer(prices_file), SINCE)
    assert result.until == DAY + timedelta(hours=34, microseconds=1)
    assert (result.rows, result.newly_priced) == (6, 3)
    assert store_client.query("SELECT countIf(priced = 0) FROM llm_calls").result_rows == [(0,)]
    assert_rollups_match_facts(store_client)


def test_empty_or_inverted_ranges(store_client, prices_file) -> None:
    result = reprice(store_client, Pricer(prices_file), SINCE, UNTIL)
    assert (result.rows, result.changed, result.cost_after) == (0, 0, 0)
    with pytest.raises(ValueError, match="must be after"):
        reprice(store_client, Pricer(prices_file), UNTIL, SINCE)


def test_reprice_command(store_client, chdb_url, prices_file, capsys) -> None:
    store(store_client, stored_rows(Pricer(prices_file="")))
    url = f"{chdb_url}?database={store_client.database}"
    args = ["reprice", "--since", "2026-11-01T06:00Z", "--until", "2026-11-02T10:00:00+00:00"]
    assert main([*args, "--clickhouse", url, "--prices-file", str(prices_file)]) == 0
    text = capsys.readouterr().out
    assert "changed          4 (2 newly priced, 0 now unpriced)" in text
    # calls that were unpriced had an unknown cost, not $0
    assert "acme acme-1 (unpriced) → acme-1: 2 calls, unknown → $1.020600" in text
    lines = {line.split("  ")[1].strip(): line for line in text.splitlines()[1:5]}
    # the cost before leaves the 2 calls out and says so; no change of a cost partly unknown
    assert lines["cost before"].endswith("+ 2 unknown"), text
    assert "unknown" not in lines["cost after"] and "(" not in lines["cost after"], text
    assert (
        main([*args, "--clickhouse", url, "--prices-file", str(prices_file), "--format", "json"])
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert (doc["rows"], doc["changed"], doc["since"]) == (5, 0, "2026-11-01T06:00:00+00:00")
    assert (doc["unpriced_before"], doc["unpriced_after"]) == (0, 0)


def _die_between_insert_and_delete(store_client, prices_file: Path) -> None:
    """A reprice that ClickHouse itself stops (TOO_MANY_MUTATIONS) right after its insert:
    one unfinished mutation stands, so the run's delete is refused."""
    store_client.command("SYSTEM STOP MERGES llm_calls")
    store_client.command("ALTER TABLE llm_calls MODIFY SETTING number_of_mutations_to_throw = 1")
    store_client.command(
        "ALTER TABLE llm_calls UPDATE latency_ms = latency_ms WHERE 1",
        settings={"mutations_sync": 0},
    )
    with pytest.raises(DatabaseError, match="TOO_MANY_MUTATIONS"):
        reprice(store_client, Pricer(prices_file), SINCE, UNTIL)


def _let_mutations_run(store_client) -> None:
    store_client.command("ALTER TABLE llm_calls MODIFY SETTING number_of_mutations_to_throw = 1000")
    store_client.command("SYSTEM START MERGES llm_calls")


def test_a_run_that_dies_between_insert_and_delete_is_finished_by_the_next(
    store_client, chdb_url, prices_file
) -> None:
    """ClickHouse itself refuses the delete (TOO_MANY_MUTATIONS) right after the insert."""
    store(store_client, stored_rows(Pricer(prices_file="")))
    expected = _repriced_copy(store_client, chdb_url, prices_file)
    _die_between_insert_and_delete(store_client, prices_file)
    # Died midway: both versions of the 4 changed calls are stored, the new ones marked.
    assert store_client.query("SELECT count() FROM llm_calls").result_rows == [(12,)]
    assert store_client.query(
        "SELECT count() FROM llm_calls WHERE price_version LIKE '%#reprice:%'"
    ).result_rows == [(4,)]

    _let_mutations_run(store_client)
    result = reprice(store_client, Pricer(prices_file), SINCE, UNTIL)  # finishes, then runs

    assert result.changed == 0
    assert facts(store_client) == expected
    assert_rollups_match_facts(store_client)
    assert finish_unfinished(store_client) == []


def test_a_run_staged_by_the_version_before_0031_is_finished_after_the_upgrade(
    store_client, chdb_url, prices_file
) -> None:
    """A run cut short by the release before migration 0031, whose staging table keyed by
    ``usage_missing`` and had no ``cache_unsaid``: the upgraded serve's start finishes it
    (before, the finish failed on the missing column and the days' rollups stayed wrong)."""
    store(store_client, stored_rows(Pricer(prices_file="")))
    expected = _repriced_copy(store_client, chdb_url, prices_file)
    _die_between_insert_and_delete(store_client, prices_file)
    [(staging,)] = store_client.query(
        "SELECT name FROM system.tables WHERE database = currentDatabase() "
        "AND startsWith(name, '_reprice_')"
    ).result_rows
    store_client.command(
        f"ALTER TABLE {staging} DROP COLUMN new_usage_missing, DROP COLUMN cache_unsaid"
    )  # as that release staged it: usage_missing a key, not a new price
    _let_mutations_run(store_client)

    assert finish_unfinished(store_client) == [staging]
    assert facts(store_client) == expected
    assert_rollups_match_facts(store_client)
    assert finish_unfinished(store_client) == []


def test_a_run_whose_insert_the_rollups_refused_is_finished_not_doubled(
    store_client, chdb_url, prices_file
) -> None:
    store(store_client, stored_rows(Pricer(prices_file="")))
    expected = _repriced_copy(store_client, chdb_url, prices_file)
    store_client.command("SYSTEM STOP MERGES llm_cost_hourly")
    store_client.command("ALTER TABLE llm_cost_hourly MODIFY SETTING parts_to_throw_insert = 1")
    with pytest.raises(DatabaseError, match="TOO_MANY_PARTS"):
        reprice(store_client, Pricer(prices_file), SINCE, UNTIL)
    store_client.command("ALTER TABLE llm_cost_hourly MODIFY SETTING parts_to_throw_insert = 3000")
    store_client.command("SYSTEM START MERGES llm_cost_hourly")
    assert len(finish_unfinished(store_client)) == 1
    assert facts(store_client) == expected
    assert_rollups_match_facts(store_client)


def _repriced_copy(client, chdb_url: str, prices_file) -> list[tuple]:
    """The facts an uninterrupted run leaves (re-priced in a database of its own)."""
    database = f"{client.database}_copy"
    copy = store_module.connect(chdb_url, database=database)
    store_module.migrate(copy)
    copy.command(f"INSERT INTO llm_calls SELECT * FROM {client.database}.llm_calls")
    reprice(copy, Pricer(prices_file), SINCE, UNTIL)
    repriced = facts(copy)
    copy.command(f"DROP DATABASE {database}")
    return repriced


def test_a_call_priced_by_its_request_model_keeps_that_price(store_client) -> None:
    # Ingest prices a call whose response model the data lacks by its request model
    # (names.call_models); reprice must price it alike, not turn it unpriced.
    pricer = Pricer(prices_file="")
    ts = DAY + timedelta(hours=12)
    price = pricer.price("openai", "gpt-4o-mini", ts, 1000, 100)
    assert price.cost == Decimal("0.00021")  # 1,000 x $0.15 + 100 x $0.60 per million
    row = [
        ts, "trace0", "span0", "openai", "gpt-4o-mini", "gpt-4o-mini-2099-01-01", price.model,
        "growth", "ok", 1000, 100, 0, 0, *price[2:8], int(price.priced), price.price_version,
        12.5, {},
    ]  # fmt: skip
    store(store_client, [row])
    before = facts(store_client)
    result = reprice(store_client, pricer, SINCE, UNTIL)
    assert (result.changed, result.newly_unpriced) == (0, 0)
    assert facts(store_client) == before
