"""Real ClickHouse faults on chDB: nothing acknowledged is lost, nothing is counted twice.

Each fault is the engine's own refusal, not a mock: TOO_MANY_PARTS from a part limit with
merges stopped, NOT_ENOUGH_SPACE from the free-space threshold MergeTree checks before an
insert, MEMORY_LIMIT_EXCEEDED from a memory limit on the session the sink writes through.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

from tokentrace.processor.extract.extractor import COLUMNS
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.store import dead_letters, retention, views
from tokentrace.processor.store.insert import insert_calls
from tokentrace.processor.store.refusals import Unencodable, classify
from tokentrace.processor.store.spool import SpoolFull

from .ingest_path import Ingest, totals
from .otlp import chat, extract_request, request, span

DISK_FULL = 10**18  # bytes MergeTree must see free before an insert: more than any disk has


@pytest.fixture(scope="module")
def pricer() -> Pricer:
    return Pricer()


def too_many_parts_in_a_rollup(client) -> Callable[[], None]:
    """The hourly rollup refuses new parts (checked before any table of the insert is written)."""
    client.command("SYSTEM STOP MERGES llm_cost_hourly")
    client.command("ALTER TABLE llm_cost_hourly MODIFY SETTING parts_to_throw_insert = 1")

    def lift() -> None:
        client.command("ALTER TABLE llm_cost_hourly MODIFY SETTING parts_to_throw_insert = 3000")
        client.command("SYSTEM START MERGES llm_cost_hourly")

    return lift


def disk_full(client) -> Callable[[], None]:
    client.command(
        f"ALTER TABLE llm_calls MODIFY SETTING min_free_disk_bytes_to_perform_insert = {DISK_FULL}"
    )
    return lambda: client.command(
        "ALTER TABLE llm_calls RESET SETTING min_free_disk_bytes_to_perform_insert"
    )


def disk_full_for_a_rollup(client) -> Callable[[], None]:
    """The daily rollup's disk check fails once llm_calls has taken the block."""
    client.command(
        "ALTER TABLE llm_cost_daily MODIFY SETTING "
        f"min_free_disk_bytes_to_perform_insert = {DISK_FULL}"
    )
    return lambda: client.command(
        "ALTER TABLE llm_cost_daily RESET SETTING min_free_disk_bytes_to_perform_insert"
    )


def memory_limit(client) -> Callable[[], None]:
    client.command("SET max_memory_usage = 1000")
    return lambda: client.command("SET max_memory_usage = 0")


def batch(number: int, size: int = 10):
    return request(*(span(chat(), trace_id=(number * 1000 + i).to_bytes(16, "big"))
                     for i in range(size)))  # fmt: skip


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def stored_span_ids(client) -> list[str]:
    return [row[0] for row in client.query("SELECT trace_id FROM llm_calls").result_rows]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (too_many_parts_in_a_rollup, "TOO_MANY_PARTS"),
        (disk_full, "NOT_ENOUGH_SPACE"),
        (disk_full_for_a_rollup, "NOT_ENOUGH_SPACE"),
        (memory_limit, "MEMORY_LIMIT_EXCEEDED"),
    ],
)
def test_a_store_fault_keeps_rows_spooled_then_stores_each_once(
    tmp_path, store_client, pricer, fault, expected
):
    ingest = Ingest(tmp_path, lambda: store_client, pricer, seal_rows=10)
    ingest.send(batch(0))
    assert ingest.sink.wait_idle(20)
    lift = fault(store_client)
    for number in range(1, 6):  # acknowledged while ClickHouse refuses every insert
        ingest.send(batch(number))
    wait_for(lambda: ingest.metrics.insert_errors.value(kind="retryable") >= 3)
    assert expected in ingest.sink.last_error
    assert list(tmp_path.glob("*.wal")), "refused rows must stay spooled"
    lift()
    ingest.close()

    assert ingest.metrics.insert_errors.value(kind="poison") == 0
    assert list(tmp_path.glob("*.wal")) == []
    ids = stored_span_ids(store_client)
    assert len(ids) == len(set(ids)) == 60
    calls, hourly, daily = totals(store_client)
    assert calls[0] == hourly[0] == daily[0] == 60
    assert calls[1] == hourly[1] == daily[1]
    assert dead_letters.pending(store_client) == []


def test_a_partial_insert_is_completed_by_its_retry_not_doubled(tmp_path, store_client, pricer):
    """llm_calls took the block, the rollups did not: the retry fills in only the rollups.

    (A refusal checked up front, TOO_MANY_PARTS, writes no table at all once the views are
    loaded from disk as serve runs them, see ``store.reload_views``.)
    """
    ingest = Ingest(tmp_path, lambda: store_client, pricer, seal_rows=10)
    ingest.send(batch(0))
    assert ingest.sink.wait_idle(20)
    lift = disk_full_for_a_rollup(store_client)
    ingest.send(batch(1))
    wait_for(lambda: ingest.metrics.insert_errors.value(kind="retryable") >= 2)
    during = totals(store_client)
    assert (during[0][0], during[1][0]) == (20, 10), "the fault must split the insert"
    lift()
    ingest.close()
    calls, hourly, daily = totals(store_client)
    assert calls[0] == hourly[0] == daily[0] == 20
    assert calls[1] == hourly[1] == daily[1]


def test_a_full_spool_refuses_while_the_store_refuses(tmp_path, store_client, pricer):
    ingest = Ingest(tmp_path, lambda: store_client, pricer, seal_rows=10, max_bytes=20_000)
    lift = disk_full(store_client)
    acked = 0
    with pytest.raises(SpoolFull):
        for number in range(1000):
            ingest.send(batch(number))
            acked += 10
    assert acked >= 20
    lift()
    ingest.close()
    assert len(set(stored_span_ids(store_client))) == acked
    assert ingest.spool.has_room()


def poisoned_columns(pricer: Pricer, rows: int, poison: dict[int, dict]) -> list[list]:
    """Real priced rows from the extractor; the rows in ``poison`` get those bad values."""
    extraction = extract_request(request(*(span(chat()) for _ in range(rows))))
    table = []
    for index, call in enumerate(extraction.calls):
        price = pricer.price(call.provider, call.response_model, call.timestamp,
                             call.input_tokens, call.output_tokens, call.cache_read_tokens,
                             call.cache_write_tokens, call.service_tier)  # fmt: skip
        row = dict(zip(COLUMNS, call.row(price), strict=True))
        row.update(poison.get(index, {}))
        table.append([row[name] for name in COLUMNS])
    return [list(column) for column in zip(*table, strict=True)]


def test_a_poison_row_of_an_earlier_versions_segment_is_kept_as_a_dead_letter(
    tmp_path, store_client, pricer
):
    """A segment spooled by a release before ``inference_geo`` (migration 0029) and the
    columns after it, with a row the store refuses: that row is kept as a dead letter like
    any other and the rest stored (the sink looped on it for ever, the spool behind it)."""
    width = COLUMNS.index("inference_geo")
    columns = poisoned_columns(pricer, 20, {7: {"input_tokens": -1}})[:width]
    ingest = Ingest(tmp_path, lambda: store_client, pricer)
    ingest.spool.append(columns, 20).result(timeout=5)
    ingest.close()

    trace_ids = columns[COLUMNS.index("trace_id")]
    assert set(stored_span_ids(store_client)) == {trace_ids[i] for i in range(20) if i != 7}
    assert totals(store_client)[0][0] == 19
    [letter] = dead_letters.pending(store_client)
    assert "negative" in letter.reason
    assert letter.row["trace_id"] == trace_ids[7]
    assert "inference_geo" not in letter.row
    assert ingest.spool.segment_count == 0


def test_poison_rows_are_bisected_out_and_every_other_row_is_stored(tmp_path, store_client, pricer):
    bad = {13: {"tenant": "bad\ud800"}, 14: {"input_tokens": -1}, 40: {"cost": 10**20}}
    columns = poisoned_columns(pricer, 50, bad)
    ingest = Ingest(tmp_path, lambda: store_client, pricer)
    ingest.spool.append(columns, 50).result(timeout=5)
    ingest.close()

    stored = set(stored_span_ids(store_client))
    trace_ids = columns[COLUMNS.index("trace_id")]
    assert stored == {trace_ids[i] for i in range(50) if i not in bad}
    calls, hourly, daily = totals(store_client)
    assert calls[0] == hourly[0] == daily[0] == 47
    assert calls[1] == hourly[1] == daily[1]
    assert ingest.metrics.dead_letter_rows.value() == 3

    letters = dead_letters.pending(store_client)
    assert ingest.spool.segment_count == 0
    assert sorted(int(letter.id.rsplit("/", 1)[1]) for letter in letters) == [13, 14, 40]
    by_index = {int(letter.id.rsplit("/", 1)[1]): letter for letter in letters}
    assert "surrogates not allowed" in by_index[13].reason
    assert "negative" in by_index[14].reason
    assert by_index[13].row["tenant"] == "bad\ud800"
    assert by_index[13].row["trace_id"] == trace_ids[13]

    # Replay: the fixed row goes in once (twice replayed, still once), the others stay.
    _fix(store_client, by_index[14], {**by_index[14].row, "input_tokens": 5})
    first = dead_letters.replay(store_client)
    assert first.stored == [by_index[14].id]
    assert {id_ for id_, _ in first.failed} == {by_index[13].id, by_index[40].id}
    again = dead_letters.replay(store_client, [by_index[14].id])
    assert again.stored == [] and again.failed == []
    assert len(stored_span_ids(store_client)) == 48
    assert totals(store_client)[0][0] == totals(store_client)[1][0] == 48
    assert len(dead_letters.pending(store_client)) == 2

    # A replay that stored a row and stopped before marking it, repeated once ClickHouse had
    # forgotten its token (100,000 inserts later: here, the row stored under another one):
    # stored twice before the lookup; now marked replayed, not inserted again.
    fixed = {**by_index[40].row, "cost": 5}
    insert_calls(store_client, [[fixed[name]] for name in COLUMNS], "long-ago")
    _fix(store_client, by_index[40], fixed)
    last = dead_letters.replay(store_client, [by_index[40].id])
    assert (last.stored, last.failed) == ([by_index[40].id], [])
    assert len(stored_span_ids(store_client)) == 49
    calls, hourly, daily = totals(store_client)
    assert calls[0] == hourly[0] == daily[0] == 49
    assert [letter.id for letter in dead_letters.pending(store_client)] == [by_index[13].id]


def test_a_bisected_segment_replayed_after_a_crash_keeps_each_row_and_letter_once(
    tmp_path, store_client, pricer, caplog
):
    # A segment with poison rows, bisected and stored, then found on disk again at the next
    # start as if serve had died before noting it stored: its replay looks each row range up
    # before inserting it (sink._Attempt), down to the single rows refused, which keep their
    # ids as dead letters (``<segment>/<row>``): neither a row nor a letter twice.
    bad = {13: {"tenant": "bad\ud800"}, 14: {"input_tokens": -1}, 40: {"cost": 10**20}}
    columns = poisoned_columns(pricer, 50, bad)
    ingest = Ingest(tmp_path, lambda: store_client, pricer)
    ingest.spool.append(columns, 50).result(timeout=5)
    ingest.spool.close()
    [segment] = tmp_path.glob("*.wal")
    kept = segment.read_bytes()
    assert ingest.sink.wait_idle(120)
    ingest.sink.stop(0)
    assert not segment.exists()

    segment.write_bytes(kept)  # serve died after the inserts, before the note and the delete
    store_client.command("TRUNCATE TABLE llm_stored_segments")
    again = Ingest(tmp_path, lambda: store_client, pricer)
    assert [replayed.recovered for replayed in again.backlog] == [True]
    again.close()

    trace_ids = columns[COLUMNS.index("trace_id")]
    assert sorted(stored_span_ids(store_client)) == sorted(
        trace_ids[i] for i in range(50) if i not in bad
    )
    calls, hourly, daily = totals(store_client)
    assert calls[0] == hourly[0] == daily[0] == 47
    letters = store_client.query("SELECT id FROM dead_letters ORDER BY id").result_rows
    assert [id_.rsplit("/", 1)[1] for (id_,) in letters] == ["13", "14", "40"]
    assert not list(tmp_path.glob("*.wal"))
    assert "47 of its 50 rows are in llm_calls: only the 3 missing sent again" in caplog.text


def _fix(client, letter: dead_letters.DeadLetter, row: dict) -> None:
    """The operator's fix of a dead letter: a newer version of it holding ``row``."""
    client.insert(
        "dead_letters",
        [[letter.id, letter.failed_at, letter.reason, json.dumps(row), 0, dt.datetime.now(dt.UTC)]],
        column_names=["id", "failed_at", "reason", "row", "replayed", "updated_at"],
    )


def test_refusals_are_classified_from_real_clickhouse_errors(store_client):
    def refusal(sql: str) -> Exception:
        with pytest.raises(DatabaseError) as caught:
            store_client.command(sql)
        return caught.value

    assert classify(refusal("SELECT toDate('not a date')")) == "poison"
    assert classify(refusal("INSERT INTO llm_calls (ts) VALUES ('yesterday-ish')")) == "poison"
    assert classify(refusal("INSERT INTO no_such_table VALUES (1)")) == "store"
    store_client.command("SET max_memory_usage = 1000")
    try:
        assert classify(refusal("SELECT count() FROM numbers(1000000) GROUP BY number")) == (
            "retryable"
        )
    finally:
        store_client.command("SET max_memory_usage = 0")
    assert classify(OperationalError("Connection refused")) == "retryable"
    try:
        raise Unencodable("x") from UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates")
    except Unencodable as exc:
        assert classify(exc) == "poison"


def test_a_batch_over_more_monthly_partitions_than_an_insert_may_create_is_stored(
    tmp_path, store_client, pricer
):
    # The tables are partitioned by month and ClickHouse refuses an insert block spanning
    # more than max_partitions_per_insert_block (100) partitions, as retryable TOO_MANY_PARTS:
    # the extractor's window of span times (2020-01-01 to 30 days ahead) passes 100 months in
    # 2028, and from then one second of spans spread over that window held the sink on one
    # segment for good, the spool filling behind it.
    # 101 months, one over the limit: each month is a part in every table and projection
    # (a 120-month batch took chDB 78 s at load average 16).
    columns = poisoned_columns(pricer, 101, {})
    ts = COLUMNS.index("ts")
    month_us = 31 * 86_400 * 10**6
    columns[ts] = [value - index * month_us for index, value in enumerate(columns[ts])]
    ingest = Ingest(tmp_path, lambda: store_client, pricer)
    ingest.spool.append(columns, 101).result(timeout=5)
    ingest.close()
    assert ingest.metrics.insert_errors.value(kind="retryable") == 0
    calls, hourly, daily = totals(store_client)
    assert hourly[0] == daily[0] == 101
    # llm_calls keeps 395 days (retention.DEFAULT_DAYS): rows 0-12, 0 to 372 days old
    assert calls[0] == sum(1 for index in range(101) if index * 31 < retention.DEFAULT_DAYS) == 13


def test_a_dropped_dead_letter_table_is_created_again_as_the_migrations_leave_it(
    tmp_path, store_client, pricer, caplog
):
    # dead_letters dropped by hand: the letter of a poison row was refused (UNKNOWN_TABLE,
    # retried as a store fault) for good, its segment and every later one waiting behind it.
    # Created again by migration 0003's CREATE alone, it lacked 0027's and 0028's columns,
    # which the sink writes and every view counting dead letters reads.
    store_client.command(f"DROP TABLE {dead_letters.TABLE}")
    columns = poisoned_columns(pricer, 10, {3: {"input_tokens": -1}})
    ingest = Ingest(tmp_path, lambda: store_client, pricer)
    ingest.spool.append(columns, 10).result(timeout=5)
    ingest.spool.close()
    assert ingest.sink.wait_idle(60)  # a guard against a sink that stalls, not a speed
    ingest.sink.stop(0)

    assert totals(store_client)[0][0] == totals(store_client)[1][0] == 9
    letters = dead_letters.pending(store_client)
    assert [letter.id.rsplit("/", 1)[1] for letter in letters] == ["3"]
    at = dt.datetime.fromtimestamp(columns[COLUMNS.index("ts")][3] / 1e6, dt.UTC)
    window = {"start": at - dt.timedelta(days=1), "end": at + dt.timedelta(days=1)}
    assert (
        views.fetch(store_client, views.VIEWS["totals"], **window)[0]["dead_lettered_requests"] == 1
    )
    burn = views.fetch(store_client, views.VIEWS["hourly_burn_rate"], **window)
    assert sum(row["dead_lettered_requests"] for row in burn) == 1
    line = (
        "dead_letters was missing (dropped?); created again as migrations 0003, 0027, 0028, 0029 "
        "leave it; the dead letters it held are lost"
    )
    assert caplog.text.count(line) == 1


def test_a_replay_a_rollup_refused_is_counted_once_in_every_rollup(tmp_path, store_client, pricer):
    # A dead letter fixed and replayed while the hourly rollup is out of space: llm_calls and
    # llm_cost_daily take the row, llm_cost_hourly refuses it (the replay says "still
    # refused"). Replayed again once there is room, the lookup found the row in llm_calls and
    # marked the letter replayed without an insert: llm_cost_hourly one call short for good.
    columns = poisoned_columns(pricer, 5, {3: {"input_tokens": -1}})
    ingest = Ingest(tmp_path, lambda: store_client, pricer)
    ingest.spool.append(columns, 5).result(timeout=5)
    ingest.close()
    [letter] = dead_letters.pending(store_client)
    _fix(store_client, letter, {**letter.row, "input_tokens": 1000})
    setting = "min_free_disk_bytes_to_perform_insert"
    store_client.command(f"ALTER TABLE llm_cost_hourly MODIFY SETTING {setting} = {DISK_FULL}")
    first = dead_letters.replay(store_client)
    assert first.stored == [] and "NOT_ENOUGH_SPACE" in first.failed[0][1]
    store_client.command(f"ALTER TABLE llm_cost_hourly RESET SETTING {setting}")
    again = dead_letters.replay(store_client, alone=True)
    assert (again.stored, again.failed) == ([letter.id], [])
    # gpt-4o, 1,000 in / 100 out: $0.0035 a call, 5 calls
    assert totals(store_client) == ((5, Decimal("0.0175"), 5000),) + ((5, Decimal("0.0175")),) * 2
    assert dead_letters.pending(store_client) == []
