"""Pipeline → spool → sink → chDB in one process: exact rows, exact money, exact replays."""

from __future__ import annotations

import errno
import os
import threading
import time
from decimal import Decimal

import pytest
from clickhouse_connect.driver.exceptions import OperationalError
from prometheus_client.parser import text_string_to_metric_families

from tokentrace.processor import server
from tokentrace.processor.extract.dedupe import Deduper
from tokentrace.processor.extract.extractor import COLUMNS
from tokentrace.processor.metrics import Registry
from tokentrace.processor.pipeline import Pipeline
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.receivers import otlp_wire
from tokentrace.processor.store import (
    call_keys,
    rollup_repair,
    stored_calls,
    stored_segments,
    view_tokens,
)
from tokentrace.processor.store import sink as sink_module
from tokentrace.processor.store import spool as spool_module
from tokentrace.processor.store.insert import insert_calls
from tokentrace.processor.store.sink import Sink
from tokentrace.processor.store.spool import Spool
from tokentrace.processor.store.stored_keys import StoredKeys

from .ingest_path import Ingest, totals
from .otlp import NOW_NS, chat, request, span


@pytest.fixture(scope="module")
def pricer() -> Pricer:
    return Pricer()


def test_priced_rows_and_rollups_are_exact(tmp_path, store_client, pricer):
    ingest = Ingest(tmp_path, lambda: store_client, pricer)
    nasty = "x'); DROP TABLE llm_calls; --"
    ingest.send(
        request(
            span(chat(tenant=nasty, comment=nasty, **{"gen_ai.response.id": "a"})),
            span(chat(**{"gen_ai.request.model": "no-such-model", "gen_ai.response.model": None})),
            span({"http.request.method": "GET"}),
            resource={"service.name": "checkout", "team": "growth"},
        )
    )
    ingest.close()
    rows = store_client.query(
        "SELECT response_id, model, tenant, team, input_tokens, output_tokens, input_cost, "
        "output_cost, cost, priced, price_version, tags FROM llm_calls ORDER BY priced DESC"
    ).result_rows
    assert rows[0][:6] == ("a", "gpt-4o", nasty, "growth", 1000, 100)  # canonical model id
    # gpt-4o: $2.50 / M input, $10 / M output
    assert rows[0][6:9] == (Decimal("0.0025"), Decimal("0.001"), Decimal("0.0035"))
    assert rows[0][9] == 1 and rows[0][10].startswith("genai-prices@")
    assert rows[0][11] == {"comment": nasty}
    assert rows[1][1:2] == ("no-such-model",)
    assert rows[1][8:10] == (Decimal(0), 0)
    assert totals(store_client) == (
        (2, Decimal("0.0035"), 2000),
        (2, Decimal("0.0035")),
        (2, Decimal("0.0035")),
    )
    assert ingest.metrics.spans_unpriced.value() == 1
    assert ingest.metrics.spans_ignored.value() == 1
    assert ingest.metrics.rows_written.value() == 2


def test_a_sink_on_a_server_forgets_only_a_refusal_note_it_found_or_wrote(
    tmp_path, store_client, pricer
):
    # After every insert that went through, the sink unlinked the refusal note beside the
    # spool (view_tokens), there or not: once a segment. Now only a note found at start or
    # written since. One placed meanwhile is neither, and stays.
    ingest = Ingest(tmp_path, lambda: store_client, pricer, alone=False)
    ingest.send(request(span(chat())))
    assert ingest.sink.wait_idle(60)
    note = tmp_path / view_tokens.NOTE
    note.write_text("placed after the start\n")
    ingest.send(request(span(chat())))
    ingest.close()
    assert note.exists()
    assert totals(store_client)[0][0] == 2
    # Found at the next start: the first insert that goes through forgets it.
    ingest = Ingest(tmp_path, lambda: store_client, pricer, alone=False)
    ingest.send(request(span(chat())))
    ingest.close()
    assert not note.exists()
    assert totals(store_client)[0][0] == 3


def test_replaying_a_stored_segment_changes_nothing(tmp_path, store_client, pricer):
    ingest = Ingest(tmp_path, lambda: store_client, pricer)
    # two of the calls are keyed (a batch's results): the replay finds their keys in the store,
    # held by its own spans, and keeps them
    keyed = [chat(**{"tokentrace.call.key": f"file-1/{n}"}) for n in range(2)]
    with ingest.sink.paused():  # the files are copied before the sink can delete them
        ingest.send(request(*(span(attrs) for attrs in [*keyed, chat(), chat(), chat()])))
        ingest.spool.close()
        segment_files = {path.name: path.read_bytes() for path in tmp_path.glob("*.wal")}
    assert len(segment_files) == 1
    assert ingest.sink.wait_idle(20)
    ingest.sink.stop(0)
    before = totals(store_client)
    assert before[0][0] == 5

    # A crash after the insert but before the delete: the segment is still on disk.
    for name, data in segment_files.items():
        (tmp_path / name).write_bytes(data)
    replay = Ingest(tmp_path, lambda: store_client, pricer)
    assert len(replay.backlog) == len(segment_files)
    replay.close()
    assert totals(store_client) == before
    assert list(tmp_path.glob("*.wal")) == []
    assert store_client.command("SELECT count() FROM llm_call_keys FINAL") == 2

    # Restarted (the deduper empty): the batch file downloaded again, and a new keyed call.
    again = Ingest(tmp_path, lambda: store_client, pricer)
    again.send(request(span(keyed[1]), span(chat(**{"tokentrace.call.key": "file-1/2"}))))
    again.close()
    # gpt-4o: 1,000 x $2.50 / M + 100 x $10 / M = $0.0035 a call; six calls
    assert totals(store_client) == ((6, Decimal("0.021"), 6000),) + ((6, Decimal("0.021")),) * 2
    assert again.metrics.spans_duplicate.value() == 1

    # The lookup itself: a segment's own rows are kept when it is replayed (their keys held by
    # their own spans), a key repeated within a segment is kept once, a held key left out.
    key, trace, span_id = (COLUMNS.index(name) for name in ("call_key", "trace_id", "span_id"))
    rows = store_client.query(
        "SELECT call_key, trace_id, span_id FROM llm_call_keys FINAL ORDER BY call_key"
    ).result_rows
    columns = [[""] * 5 for _ in COLUMNS]
    columns[key] = ["file-1/0", "file-1/9", "file-1/9", "file-1/1", ""]
    columns[trace] = [rows[0][1], "t", "t", "t", "t"]
    columns[span_id] = [rows[0][2], "s1", "s2", "s3", "s4"]
    kept, left_out = call_keys.first_calls(store_client, columns)
    assert (kept[key], kept[span_id], left_out) == (
        ["file-1/0", "file-1/9", ""],
        [rows[0][2], "s1", "s4"],
        2,
    )


def test_an_unreachable_store_loses_nothing_and_drains_when_back(tmp_path, store_client, pricer):
    attempts = []

    def flaky_connect():
        attempts.append(1)
        if len(attempts) < 4:
            raise OperationalError("Connection refused")
        return store_client

    ingest = Ingest(tmp_path, flaky_connect, pricer, seal_rows=10)
    for _ in range(6):
        ingest.send(request(*(span(chat()) for _ in range(10))))
    ingest.close()
    assert len(attempts) >= 4
    assert totals(store_client)[0][0] == 60
    assert list(tmp_path.glob("*.wal")) == []
    assert ingest.metrics.insert_errors.value(kind="retryable") >= 1


def test_acknowledged_means_on_disk_before_any_insert(tmp_path, pricer):
    def never():
        raise OperationalError("down")

    ingest = Ingest(tmp_path, never, pricer)
    ingest.send(request(span(chat(), start_ns=NOW_NS)))
    ingest.spool.close()
    ingest.sink.stop(0)
    recovered = Spool(tmp_path, 1 << 30)
    backlog = recovered.recover()
    assert [len(recovered.load(segment)[0]) for segment in backlog] == [1]


def test_money_units_reach_clickhouse_exactly(store_client):
    from tokentrace.processor.extract.extractor import (
        COLUMNS,
        METERED_UNITS,
        UNIT_COST_COLUMNS,
        USAGE_UNITS,
    )
    from tokentrace.processor.store.insert import arrow_table

    row = dict.fromkeys(COLUMNS, "")
    row.update(dict.fromkeys(USAGE_UNITS, 7), provider_cost=10**18 - 1)
    row.update(dict.fromkeys(METERED_UNITS, 2**40))
    row.update(dict.fromkeys(UNIT_COST_COLUMNS, 0), output_video_cost=10**18 - 1)
    row.update(
        ts=NOW_NS // 1000, input_tokens=1, output_tokens=2, cache_read_tokens=3,
        cache_write_tokens=4, reasoning_tokens=5, input_cost=1, cache_read_cost=0,
        cache_write_cost=10**18 - 1, output_cost=123_456_789, cost=10**18 - 1,
        cache_savings=-987_654_321_000, priced=1, latency_ms=1.5, ttft_ms=None,
        http_status=200, stream=1, usage_missing=0, tags={"k": "v"}, budget_blocked=0,
        cache_unsaid=0, not_sent=0,
    )  # fmt: skip
    store_client.insert_arrow("llm_calls", arrow_table([[row[name]] for name in COLUMNS]))
    stored = store_client.query(
        "SELECT input_cost, cache_write_cost, output_cost, cost, cache_savings, ttft_ms, tags, "
        "provider_cost, input_audio_tokens, output_video_cost, web_searches FROM llm_calls"
    ).result_rows
    assert stored == [
        (
            Decimal("0.000000000001"),
            Decimal("999999.999999999999"),
            Decimal("0.000123456789"),
            Decimal("999999.999999999999"),
            Decimal("-0.987654321"),
            None,
            {"k": "v"},
            Decimal("999999.999999999999"),
            7,
            Decimal("999999.999999999999"),
            2**40,
        )
    ]


def test_a_segment_from_before_the_unit_cost_columns_is_stored(store_client):
    """An earlier version's spool segment has no unit cost columns: stored, with 0 there."""
    from tokentrace.processor.extract.extractor import COLUMNS, UNIT_COST_COLUMNS, USAGE_UNITS
    from tokentrace.processor.store.insert import insert_calls

    row = dict.fromkeys(COLUMNS, "")
    row.update(
        ts=NOW_NS // 1000, input_tokens=1, output_tokens=2, cache_read_tokens=0,
        cache_write_tokens=0, reasoning_tokens=0, input_cost=5, cache_read_cost=0,
        cache_write_cost=0, output_cost=7, cost=12, cache_savings=0, priced=1, latency_ms=1.5,
        ttft_ms=None, http_status=200, stream=0, usage_missing=0, tags={}, budget_blocked=0,
        provider_cost=None, **dict.fromkeys(USAGE_UNITS, 0),
    )  # fmt: skip
    old = [[row[name]] for name in COLUMNS[: COLUMNS.index(UNIT_COST_COLUMNS[0])]]
    assert insert_calls(store_client, old, "old-segment") == 1
    stored = store_client.query(
        "SELECT cost, input_audio_cost, output_video_cost FROM llm_calls"
    ).result_rows
    assert stored == [(Decimal("0.000000000012"), Decimal(0), Decimal(0))]


def test_repaired_usage_is_counted_in_metrics(tmp_path, store_client, pricer):
    ingest = Ingest(tmp_path, lambda: store_client, pricer)
    repaired = chat(**{"gen_ai.usage.output_tokens": 40, "gen_ai.usage.reasoning_tokens": 60})
    ingest.send(request(span(repaired), span(chat())))
    ingest.close()
    assert store_client.query("SELECT sum(output_tokens) FROM llm_calls").result_rows == [(200,)]
    samples = {
        (sample.name, tuple(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(ingest.metrics.render())
        for sample in family.samples
    }
    repaired = ("tokentrace_usage_repaired_total", (("repair", "output_below_reasoning"),))
    assert samples[repaired] == 1


def test_nothing_is_inserted_while_the_sink_is_paused(tmp_path, store_client, pricer):
    ingest = Ingest(tmp_path, lambda: store_client, pricer, seal_rows=5)
    with ingest.sink.paused():
        ingest.send(request(*(span(chat()) for _ in range(5))))  # fills its segment
        assert ingest.sink.unstored() == 1
        assert not ingest.sink.wait_idle(0.5)
        assert totals(store_client)[0][0] == 0
    ingest.close()
    assert totals(store_client)[0][0] == 5


def test_a_stop_stores_the_segment_the_sink_has_taken_but_not_yet_inserted(
    tmp_path, store_client, pricer
):
    # stop() waited for an empty queue, not for the segments handed over: one the sink had
    # taken off the queue and not yet begun to insert (typically the segment a shut-down's
    # seal had just handed over) stayed spooled, with the store up. test_durability's second-
    # serve test found 3,080 of 3,200 acknowledged spans stored after a clean stop.
    ingest = Ingest(tmp_path, lambda: store_client, pricer, seal_rows=5)
    with ingest.sink.paused():  # the sink takes the segment, then waits for the pause to end
        ingest.send(request(*(span(chat()) for _ in range(5))))  # fills its segment
        while ingest.sink.backlog:  # off the queue, not stored
            threading.Event().wait(0.01)
        stopper = threading.Thread(target=ingest.sink.stop, args=(120,))
        stopper.start()
        stopper.join(0.5)  # the old stop() returned at once here, having stopped the sink
    stopper.join()
    ingest.spool.close()
    assert totals(store_client)[0][0] == 5
    assert ingest.spool.segment_count == 0


def test_unit_costs_reach_the_calls_and_the_rollups_exactly(tmp_path, store_client, pricer):
    """gemini-2.5-flash: 4,000 of 10,000 input tokens audio ($1 / M against $0.30 / M text),
    1,000 of the 1,500 cached ones audio ($0.10 / M against $0.03 / M)."""
    ingest = Ingest(tmp_path, lambda: store_client, pricer)
    gemini = {
        "gen_ai.provider.name": "gcp.gemini",
        "gen_ai.request.model": "gemini-2.5-flash",
        "gen_ai.response.model": "gemini-2.5-flash",
        "gen_ai.usage.input_tokens": 10_000,
        "gen_ai.usage.cache_read.input_tokens": 1_500,
        "gen_ai.usage.audio.input_tokens": 4_000,
        "gen_ai.usage.audio.cache_read.input_tokens": 1_000,
    }
    ingest.send(request(span(chat(**gemini)), span(chat())))
    ingest.close()
    calls = store_client.query(
        "SELECT model, input_cost, cache_read_cost, input_audio_cost, cache_audio_read_cost "
        "FROM llm_calls ORDER BY model"
    ).result_rows
    assert calls == [
        ("gemini-2.5-flash", Decimal("0.00465"), Decimal("0.000115"), Decimal("0.003"),
         Decimal("0.0001")),
        ("gpt-4o", Decimal("0.0025"), Decimal(0), Decimal(0), Decimal(0)),
    ]  # fmt: skip
    for rollup in ("llm_cost_hourly", "llm_cost_daily"):
        assert store_client.query(
            "SELECT sum(input_audio_tokens), sum(input_audio_cost), sum(cache_audio_read_tokens),"
            f" sum(cache_audio_read_cost) FROM {rollup}"
        ).result_rows == [(4_000, Decimal("0.003"), 1_000, Decimal("0.0001"))]


def test_a_segment_deleted_before_the_sink_reads_it_does_not_stop_the_sink(
    tmp_path, store_client, pricer, caplog
):
    # A segment's rows are read back from disk when they are not in memory; a read that
    # raised used to end the sink thread, and every later segment waited for a restart. Then
    # the deleted segment's rows were lost; read through its open descriptor, they are stored.
    spool, backlog = _two_spooled_segments(tmp_path, pricer)
    assert len(backlog) == 2
    backlog[0].path.unlink()
    _drain(spool, backlog, store_client)
    assert totals(store_client)[0][0] == 2
    assert spool.segment_count == 0


def test_a_stored_segment_that_cannot_be_deleted_does_not_stop_the_sink(
    tmp_path, store_client, pricer, caplog
):
    # The delete after the insert raised out of the sink thread (a spool whose disk went
    # read-only, say): every later segment waited for a restart, /readyz/store still "ready".
    spool, backlog = _two_spooled_segments(tmp_path, pricer)
    for segment in backlog:
        segment.columns = spool.load(segment)
    stored_first = backlog[0].path.read_bytes()
    backlog[0].path.unlink()
    backlog[0].path.mkdir()  # unlink() refuses a directory, whoever runs the test
    sink = Sink(lambda: store_client, spool, Registry(), first_backoff=0.01)
    for segment in backlog:
        sink.offer(segment)
    sink.start()
    assert sink.wait_idle(10)
    assert totals(store_client)[0][0] == 2
    assert f"{backlog[0].name} is stored but cannot be deleted" in caplog.text
    assert spool.segment_count == 0

    # The spool's permissions put right: the stored file can go now, and must. Left on disk,
    # the next start replays it, and once the store has taken more inserts than its
    # deduplication window since (100,000 blocks, here 1), the replay counts it twice.
    backlog[0].path.rmdir()
    backlog[0].path.write_bytes(stored_first)
    deadline = time.monotonic() + 10  # a guard against a wait that never ends, not a speed
    while backlog[0].path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    sink.stop(0)
    for table in ("llm_calls", "llm_cost_hourly", "llm_cost_daily"):
        store_client.command(
            f"ALTER TABLE {table} MODIFY SETTING non_replicated_deduplication_window = 1"
        )
    Ingest(tmp_path, lambda: store_client, pricer).close()
    assert [row[0] for row in totals(store_client)] == [2, 2, 2]


def _two_spooled_segments(tmp_path, pricer) -> tuple[Spool, list]:
    """Two acknowledged segments of one call each, never stored (the store was down), as the
    next start's spool recovers them."""

    def never():
        raise OperationalError("down")

    spooled = Ingest(tmp_path, never, pricer, seal_rows=1)
    spooled.send(request(span(chat())))
    spooled.send(request(span(chat())))
    spooled.spool.close()
    spooled.sink.stop(0)
    spool = Spool(tmp_path, 1 << 30)
    return spool, spool.recover()


def _drain(spool: Spool, backlog: list, store_client) -> None:
    """A new sink offered `backlog`, run until idle."""
    sink = Sink(lambda: store_client, spool, Registry(), first_backoff=0.01)
    for segment in backlog:
        sink.offer(segment)
    sink.start()
    assert sink.wait_idle(10)
    sink.stop(0)


def test_a_stored_segment_replayed_past_the_deduplication_window_is_not_counted_again(
    tmp_path, store_client, pricer, caplog
):
    # serve killed between a segment's insert and its delete, restarted once the store had
    # taken more inserts than its deduplication window (100,000 blocks: a few hours of several
    # serves writing into one ClickHouse; an hour on a cluster; here 1): the replay's token
    # was forgotten, and the segment counted twice in llm_calls and both rollups.
    for table in ("llm_calls", "llm_cost_hourly", "llm_cost_daily"):
        store_client.command(
            f"ALTER TABLE {table} MODIFY SETTING non_replicated_deduplication_window = 1"
        )
    first = Ingest(tmp_path, lambda: store_client, pricer)
    with first.sink.paused():  # the file is copied before the sink can delete it
        first.send(request(span(chat()), span(chat())))
        first.spool.close()
        (segment,) = tmp_path.glob("*.wal")
        stored = segment.read_bytes()
    first.close()
    assert not segment.exists()
    other = Ingest(tmp_path / "another-serve", lambda: store_client, pricer)
    other.send(request(span(chat())))  # the next insert pushes the first's token out
    other.close()
    assert [row[0] for row in totals(store_client)] == [3, 3, 3]

    segment.write_bytes(stored)  # as the crash left it
    replay = Ingest(tmp_path, lambda: store_client, pricer)
    assert [s.name for s in replay.backlog] == [segment.stem]
    replay.close()
    # gpt-4o: 1,000 x $2.50 / M + 100 x $10 / M = $0.0035 a call; three calls
    assert totals(store_client) == ((3, Decimal("0.0105"), 3000),) + ((3, Decimal("0.0105")),) * 2
    assert not segment.exists()
    assert f"spool segment {segment.stem} was stored before" in caplog.text

    # Stored but not noted (killed between the insert and the note): replayed under its
    # token, a no-op while the store remembers it (its window back at 100 here).
    for table in ("llm_calls", "llm_cost_hourly", "llm_cost_daily"):
        store_client.command(
            f"ALTER TABLE {table} MODIFY SETTING non_replicated_deduplication_window = 100"
        )
    replay = Ingest(tmp_path, lambda: store_client, pricer)
    with replay.sink.paused():
        replay.send(request(span(chat())))
        replay.spool.close()
        (segment,) = tmp_path.glob("*.wal")
        stored = segment.read_bytes()
    replay.close()
    store_client.command(f"TRUNCATE TABLE {stored_segments.TABLE}")
    segment.write_bytes(stored)
    Ingest(tmp_path, lambda: store_client, pricer).close()
    assert [row[0] for row in totals(store_client)] == [4, 4, 4]
    assert not segment.exists()


def test_segments_deleted_while_the_store_is_away_are_written_again_before_serve_stops(
    tmp_path, store_client, pricer, caplog
):
    # The spool's files removed (rm -rf to free the disk, a tmp cleaner) while ClickHouse was
    # away: the acknowledged rows were only in the sink's memory then, and went with the
    # process when it stopped before the store came back.
    def never():
        raise OperationalError("down")

    down = Ingest(tmp_path, never, pricer, seal_rows=1)
    down.send(request(span(chat())))
    down.send(request(span(chat()), span(chat())))
    files = sorted(tmp_path.glob("*.wal"))
    assert len(files) == 2
    for path in files:
        path.unlink()
    down.spool.close()
    down.sink.stop(0)
    assert sorted(tmp_path.glob("*.wal")) == files  # under the same names: the same tokens
    assert f"{files[1].stem} was deleted before it was stored; written again" in caplog.text

    Ingest(tmp_path, lambda: store_client, pricer).close()
    # gpt-4o: 1,000 x $2.50 / M + 100 x $10 / M = $0.0035 a call; three calls
    assert totals(store_client) == ((3, Decimal("0.0105"), 3000),) + ((3, Decimal("0.0105")),) * 2


def test_segments_deleted_while_the_store_is_away_are_written_again_beyond_those_in_memory(
    tmp_path, store_client, pricer, caplog, monkeypatch
):
    # Only the segments whose rows the sink kept in memory (200,000 rows, here 1) were written
    # again: the others' rows were on disk alone, and the rm took them. Each segment keeps its
    # file open now, and is written again from there.
    monkeypatch.setattr(sink_module, "MEMORY_ROWS", 1)

    def never():
        raise OperationalError("down")

    down = Ingest(tmp_path, never, pricer, seal_rows=1)
    for spans in (1, 2, 3):
        down.send(request(*(span(chat()) for _ in range(spans))))
    files = sorted(tmp_path.glob("*.wal"))
    assert len(files) == 3
    for path in files:
        path.unlink()
    down.spool.close()
    down.sink.stop(0)
    assert sorted(tmp_path.glob("*.wal")) == files  # under the same names: the same tokens

    Ingest(tmp_path, lambda: store_client, pricer).close()
    # gpt-4o: 1,000 x $2.50 / M + 100 x $10 / M = $0.0035 a call; six calls
    assert totals(store_client) == ((6, Decimal("0.021"), 6000),) + ((6, Decimal("0.021")),) * 2


def test_a_store_outage_takes_segments_by_the_rows_spooled_not_by_the_seconds(
    tmp_path, store_client, pricer
):
    # Sealed each time one was due (here 0.05 s) while the store was away, a segment each kept a
    # descriptor: 20 sends 0.06 s apart took 20 segments, and at a hard open-files limit of
    # 1,024 (64 segments) serve refused exports after a minute. While a sealed segment waits
    # for the sink, the open one grows: one segment retried, one waiting, the open one.
    def never():
        raise OperationalError("down")

    down = Ingest(tmp_path, never, pricer)  # 10,000 rows a segment
    for _ in range(20):
        down.send(request(span(chat())))
        time.sleep(0.06)  # past seal_seconds: a new segment each send, before
    assert down.spool.segment_count <= 3
    # and the seventh round's guarantee holds: deleted, each is written again whole
    files = sorted(tmp_path.glob("*.wal"))
    for path in files:
        path.unlink()
    down.spool.close()
    down.sink.stop(0)
    assert sorted(tmp_path.glob("*.wal")) == files

    Ingest(tmp_path, lambda: store_client, pricer).close()
    # gpt-4o: 1,000 x $2.50 / M + 100 x $10 / M = $0.0035 a call; twenty calls, each once
    assert totals(store_client) == ((20, Decimal("0.07"), 20000),) + ((20, Decimal("0.07")),) * 2


def test_the_sinks_dropped_tables_are_created_again_and_nothing_is_lost_or_doubled(
    tmp_path, store_client, pricer, caplog
):
    # llm_stored_segments or llm_call_keys dropped by hand: every later segment was refused
    # (UNKNOWN_TABLE, a store fault, retried for good), the sink stalled and the spool filled.
    keyed = chat(**{"tokentrace.call.key": "file-1/0"})
    first = Ingest(tmp_path, lambda: store_client, pricer)
    first.send(request(span(keyed), span(chat())))
    first.close()
    store_client.command(f"DROP TABLE {stored_segments.TABLE}")
    store_client.command(f"DROP TABLE {call_keys.TABLE}")

    # Restarted (the deduper empty): the batch file downloaded again, and a new call.
    again = Ingest(tmp_path, lambda: store_client, pricer)
    again.send(request(span(keyed), span(chat())))
    again.spool.close()
    assert again.sink.wait_idle(30)  # a guard against a sink that never finishes, not a speed
    again.sink.stop(0)
    # gpt-4o: 1,000 x $2.50 / M + 100 x $10 / M = $0.0035 a call; three calls, the repeat not
    assert totals(store_client) == ((3, Decimal("0.0105"), 3000),) + ((3, Decimal("0.0105")),) * 2
    assert again.metrics.spans_duplicate.value() == 1
    assert list(tmp_path.glob("*.wal")) == []
    assert store_client.command(f"SELECT count() FROM {stored_segments.TABLE}") == 1
    assert store_client.command(f"SELECT count() FROM {call_keys.TABLE} FINAL") == 1
    for table, version in ((stored_segments.TABLE, 24), (call_keys.TABLE, 21)):
        line = (
            f"{table} was missing (dropped?); created again as migration {version:04d} creates it"
        )
        assert caplog.text.count(line) == 1


def test_spans_resent_after_the_deduper_forgot_them_are_stored_once(tmp_path, store_client, pricer):
    # A sender resending from a persistent queue hours later, after a restart and after more
    # calls than the stored keys hold (the restarted deduper here knows none): its spans, older
    # than the hour the deduper's seed from the store reaches, were admitted and stored twice.
    hours_ago = NOW_NS - 3 * 3600 * 10**9
    old = [span(chat(), start_ns=hours_ago + n * 10**9) for n in range(20)]
    first = Ingest(tmp_path, lambda: store_client, pricer)
    first.send(request(*old))
    first.send(request(*(span(chat()) for _ in range(5))))
    first.close()

    again = Ingest(tmp_path, lambda: store_client, pricer)
    again.send(request(*old[:12], span(chat(), start_ns=hours_ago)))  # 12 resent, 1 new
    again.send(request(span(chat())))
    again.close()
    # gpt-4o: 1,000 x $2.50 / M + 100 x $10 / M = $0.0035 a call; 27 calls, the 12 resent not
    assert (
        totals(store_client) == ((27, Decimal("0.0945"), 27000),) + ((27, Decimal("0.0945")),) * 2
    )
    assert (
        store_client.command(
            "SELECT count() FROM (SELECT trace_id, span_id FROM llm_calls GROUP BY ALL "
            "HAVING count() > 1)"
        )
        == 0
    )
    assert again.metrics.spans_duplicate.value() == 12


def test_spans_resent_within_the_hour_after_the_deduper_forgot_them_are_stored_once(
    tmp_path, store_client, pricer
):
    # Above about 55 calls a second the deduper (600,000 keys) forgets a span within the hour
    # the sink left to it: a resend of a span minutes old after that many newer calls was
    # stored twice. A deduper of 40 keys (one a call: these spans have no response id) stands
    # for it.
    minutes_ago = NOW_NS - 10 * 60 * 10**9
    first = [span(chat(), start_ns=minutes_ago + n * 10**6) for n in range(10)]
    ingest = Ingest(tmp_path, lambda: store_client, pricer, deduper=Deduper(capacity=40))
    ingest.send(request(*first))
    for _ in range(4):  # 40 newer calls: the generation holding the first 10 dropped
        ingest.send(request(*(span(chat()) for _ in range(10))))
    assert ingest.deduper.forgets_before_us > minutes_ago // 1000  # it may have forgotten them
    # The first copies stored before the resend: sent within one spool segment (sealed each
    # 0.05 s), a resend would be looked up before its own first copies reached llm_calls.
    deadline = time.monotonic() + 60  # a guard against a sink that never stores, not a speed
    while store_client.command("SELECT count() FROM llm_calls") < 50:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    ingest.send(request(*first))  # resent
    ingest.close()
    # gpt-4o: 1,000 x $2.50 / M + 100 x $10 / M = $0.0035 a call; 50 calls, the 10 resent not
    assert totals(store_client) == ((50, Decimal("0.175"), 50000),) + ((50, Decimal("0.175")),) * 2
    assert ingest.metrics.spans_duplicate.value() == 10


def test_a_resend_spooled_by_an_earlier_run_and_never_begun_is_looked_up(
    tmp_path, store_client, pricer
):
    # A resend admitted just before a crash (the deduper had forgotten its first copy) sat in
    # a segment the sink never began: such segments were not looked up (one the sink began may
    # hold its own rows, inserted before the crash), so it was stored twice at the next start.
    hours_ago = NOW_NS - 3 * 3600 * 10**9
    old = [span(chat(), start_ns=hours_ago + n * 10**9) for n in range(12)]
    first = Ingest(tmp_path, lambda: store_client, pricer)
    first.send(request(*old))
    first.close()

    def away():
        raise OperationalError("connection refused")

    crashed = Ingest(tmp_path, away, pricer)  # the store away: the first segment is begun
    crashed.send(request(*(span(chat()) for _ in range(3))))
    assert wait_for(lambda: crashed.metrics.insert_errors.value(kind="retryable") > 0)
    crashed.send(request(*old))  # resent, in a later segment never begun
    crashed.spool.close()
    crashed.sink.stop(0)

    again = Ingest(tmp_path, lambda: store_client, pricer)
    again.close()
    # 12 + 3 calls at $0.0035 (gpt-4o, as above); the 12 resent not again
    assert (
        totals(store_client) == ((15, Decimal("0.0525"), 15000),) + ((15, Decimal("0.0525")),) * 2
    )
    assert again.metrics.spans_duplicate.value() == 12


def wait_for(condition, seconds: float = 30) -> bool:
    """Polls ``condition`` until it holds (a guard against a hang, not a timing)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_serves_seed_from_the_store_says_how_far_back_it_reaches(
    tmp_path, store_client, pricer, monkeypatch
):
    # Above SEED_CALLS calls in the last hour the seed holds only the newest: the deduper's
    # cutoff is then the span time of the oldest it read (+1 µs: ties may be unread), not an
    # hour before now, so that the sink looks the older ones up.
    minutes_ago = NOW_NS - 10 * 60 * 10**9
    ingest = Ingest(tmp_path, lambda: store_client, pricer)
    ingest.send(request(*(span(chat(), start_ns=minutes_ago + n * 10**9) for n in range(5))))
    ingest.close()
    monkeypatch.setattr(server, "SEED_CALLS", 3)
    reach = server._seed_from_store(Deduper(), store_client)
    assert reach == (minutes_ago + 2 * 10**9) // 1000 + 1
    monkeypatch.setattr(server, "SEED_CALLS", 6)  # all 5 read: an hour back
    now_us = time.time_ns() // 1000
    reach = server._seed_from_store(Deduper(), store_client)
    assert now_us - stored_calls.HORIZON_US <= reach <= time.time_ns() // 1000 - 3599 * 10**6


def test_spans_dated_ahead_of_serves_clock_resent_after_the_deduper_forgot_them_are_stored_once(
    tmp_path, store_client, pricer
):
    # A client whose clock runs 10 minutes fast: its spans start after the time the deduper's
    # dropped generation stopped taking keys, which was all its cutoff said, so a resend after
    # the deduper forgot them was not looked up and stored twice. A deduper of 40 keys stands
    # for 600,000, as above.
    ahead = NOW_NS + 10 * 60 * 10**9
    first = [span(chat(), start_ns=ahead + n * 10**6) for n in range(10)]
    ingest = Ingest(tmp_path, lambda: store_client, pricer, deduper=Deduper(capacity=40))
    ingest.send(request(*first))
    for _ in range(4):  # 40 newer calls: the generation holding the first 10 dropped
        ingest.send(request(*(span(chat()) for _ in range(10))))
    assert wait_for(lambda: store_client.command("SELECT count() FROM llm_calls") == 50)
    ingest.send(request(*first))  # resent
    ingest.close()
    # gpt-4o: 1,000 x $2.50 / M + 100 x $10 / M = $0.0035 a call; 50 calls, the 10 resent not
    assert totals(store_client) == ((50, Decimal("0.175"), 50000),) + ((50, Decimal("0.175")),) * 2
    assert ingest.metrics.spans_duplicate.value() == 10


def test_a_resend_spooled_after_the_spool_emptied_is_looked_up_at_the_next_start(
    tmp_path, store_client, pricer
):
    # Segment numbers restarted at 1 in an emptied spool while the spool's ``attempted`` kept
    # the last run's number: a segment of the new run that the sink never began (serve killed
    # first) counted as begun at the next start, so a resend in it was not looked up (stored
    # twice) and it was never merged.
    hours_ago = NOW_NS - 3 * 3600 * 10**9
    old = [span(chat(), start_ns=hours_ago + n * 10**9) for n in range(12)]
    first = Ingest(tmp_path, lambda: store_client, pricer)
    first.send(request(*old))
    assert first.sink.wait_idle(60)
    first.send(request(*(span(chat()) for _ in range(3))))  # a second segment: attempted 2
    first.close()
    assert list(tmp_path.glob("*.wal")) == []

    # Killed before its sink began the resend's segment: a spool and a pipeline, no sink.
    spool = Spool(tmp_path, 1 << 30, seal_seconds=0.05)
    assert spool.recover() == []
    spool.start()
    pipeline = Pipeline(pricer, spool, Deduper(), Registry())
    wire = otlp_wire.TraceRequest.FromString(request(*old).SerializeToString())
    pipeline.accept(wire, "test").durable.result(timeout=10)
    spool.close()
    assert len(list(tmp_path.glob("*.wal"))) == 1

    again = Ingest(tmp_path, lambda: store_client, pricer)
    again.close()
    # 12 + 3 calls at $0.0035 (gpt-4o, as above); the 12 resent not again
    assert (
        totals(store_client) == ((15, Decimal("0.0525"), 15000),) + ((15, Decimal("0.0525")),) * 2
    )
    assert again.metrics.spans_duplicate.value() == 12


@pytest.mark.parametrize("table", ["llm_calls", "llm_cost_daily"])
def test_a_resend_in_a_segment_begun_before_a_crash_is_stored_once(
    tmp_path, store_client, pricer, table
):
    # The sink looked a segment's old spans up before its first insert, then the insert was
    # refused (the disk full for the fact table, or for a rollup once llm_calls had taken the
    # block) and serve stopped. The next start replays a segment it began as it is, without a
    # lookup (its own rows may be in the store): the 12 resent, left out by the lookup, were
    # stored at the replay.
    hours_ago = NOW_NS - 3 * 3600 * 10**9
    old = [span(chat(), start_ns=hours_ago + n * 10**9) for n in range(12)]
    first = Ingest(tmp_path, lambda: store_client, pricer)
    first.send(request(*old))
    first.close()

    store_client.command(
        f"ALTER TABLE {table} MODIFY SETTING min_free_disk_bytes_to_perform_insert = 10e18"
    )
    crashed = Ingest(tmp_path, lambda: store_client, pricer)
    crashed.send(request(*old, *(span(chat()) for _ in range(3))))  # 12 resent, 3 new
    assert wait_for(lambda: crashed.metrics.insert_errors.value(kind="retryable") > 0)
    assert crashed.metrics.spans_duplicate.value() == 12  # looked up, then refused
    crashed.spool.close()
    crashed.sink.stop(0)
    store_client.command(f"ALTER TABLE {table} RESET SETTING min_free_disk_bytes_to_perform_insert")

    again = Ingest(tmp_path, lambda: store_client, pricer)
    again.close()
    # 12 + 3 calls at $0.0035 (gpt-4o: 1,000 x $2.50 / M + 100 x $10 / M)
    assert (
        totals(store_client) == ((15, Decimal("0.0525"), 15000),) + ((15, Decimal("0.0525")),) * 2
    )
    assert list(tmp_path.glob("*.wal")) == []


def test_a_resend_spooled_by_a_release_without_the_attempted_file_is_stored_once(
    tmp_path, store_client, pricer
):
    # A release before the spool's ``attempted`` file spooled a resend (its deduper had
    # forgotten the first copy, stored 3 h earlier) and was stopped before its sink began that
    # segment. The first start after the upgrade found no ``attempted``: every segment replayed
    # as begun, without a lookup, so the 12 resent were stored twice.
    hours_ago = NOW_NS - 3 * 3600 * 10**9
    old = [span(chat(), start_ns=hours_ago + n * 10**9) for n in range(12)]
    first = Ingest(tmp_path, lambda: store_client, pricer)
    first.send(request(*old))
    first.close()

    spool = Spool(tmp_path, 1 << 30, seal_seconds=0.05)  # the older release: no sink ran
    assert spool.recover() == []
    spool.start()
    pipeline = Pipeline(pricer, spool, Deduper(), Registry())
    resent = request(*old, *(span(chat()) for _ in range(3)))  # 12 resent, 3 new
    wire = otlp_wire.TraceRequest.FromString(resent.SerializeToString())
    pipeline.accept(wire, "test").durable.result(timeout=10)
    spool.close()
    (tmp_path / "attempted").unlink()  # as that release left its spool

    again = Ingest(tmp_path, lambda: store_client, pricer)
    again.close()
    # 12 + 3 calls at $0.0035 (gpt-4o: 1,000 x $2.50 / M + 100 x $10 / M); the 12 resent not
    assert (
        totals(store_client) == ((15, Decimal("0.0525"), 15000),) + ((15, Decimal("0.0525")),) * 2
    )
    assert again.metrics.spans_duplicate.value() == 12
    assert list(tmp_path.glob("*.wal")) == []


def test_a_segment_an_earlier_release_stored_before_a_crash_is_not_stored_again_after_the_upgrade(
    tmp_path, store_client, pricer
):
    # The other half of a spool without ``attempted``: a segment that release had stored
    # (noted in llm_stored_segments) but not yet deleted is found there, whatever its span
    # times, and one it stored without noting (killed between the two) is found row by row.
    first = Ingest(tmp_path, lambda: store_client, pricer)
    first.send(request(*(span(chat()) for _ in range(5))))
    first.close()
    spool = Spool(tmp_path, 1 << 30, seal_seconds=0.05)
    spool.recover()
    sealed = []
    spool.on_sealed = sealed.append
    spool.start()
    pipeline = Pipeline(pricer, spool, Deduper(), Registry())
    wire = otlp_wire.TraceRequest.FromString(
        request(*(span(chat()) for _ in range(4))).SerializeToString()
    )
    pipeline.accept(wire, "test").durable.result(timeout=10)
    spool.close()
    [segment] = sealed
    # stored under its token, neither noted nor deleted
    insert_calls(store_client, spool.load(segment), segment.name)
    (tmp_path / "attempted").unlink()

    again = Ingest(tmp_path, lambda: store_client, pricer)
    again.close()
    # 5 + 4 calls at $0.0035 (gpt-4o, as above)
    assert totals(store_client) == ((9, Decimal("0.0315"), 9000),) + ((9, Decimal("0.0315")),) * 2
    assert list(tmp_path.glob("*.wal")) == []


def test_a_cut_insert_of_a_segment_whose_rewrite_failed_leaves_no_rollup_short(
    tmp_path, store_client, pricer, monkeypatch
):
    # The sink left 12 resent spans out of a segment, could not write it again without them
    # (the spool's disk full), so stored it without noting it as begun; llm_calls took the
    # block, the daily rollup refused it (its disk full too), and serve stopped. The next
    # start looked the segment up as a never-begun one: its own 3 rows (a backlog's, hours old
    # as the resent) were found beside the 12 resent and left out, so llm_calls was right and
    # the rollups stayed 3 short.
    hours_ago = NOW_NS - 3 * 3600 * 10**9
    old = [span(chat(), start_ns=hours_ago + n * 10**9) for n in range(12)]
    first = Ingest(tmp_path, lambda: store_client, pricer)
    first.send(request(*old))
    first.close()

    def disk_full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(spool_module, "replace_whole", disk_full)
    store_client.command(
        "ALTER TABLE llm_cost_daily MODIFY SETTING min_free_disk_bytes_to_perform_insert = 10e18"
    )
    crashed = Ingest(tmp_path, lambda: store_client, pricer)
    # 12 resent, 3 new of the same backlog (old too: looked up at the next start, found)
    crashed.send(request(*old, *(span(chat(), start_ns=hours_ago) for _ in range(3))))
    assert wait_for(lambda: crashed.metrics.insert_errors.value(kind="retryable") > 0)
    crashed.spool.close()
    crashed.sink.stop(0)
    monkeypatch.undo()
    store_client.command(
        "ALTER TABLE llm_cost_daily RESET SETTING min_free_disk_bytes_to_perform_insert"
    )
    assert [row[0] for row in totals(store_client)] == [15, 12, 12]  # the insert was cut

    again = Ingest(tmp_path, lambda: store_client, pricer)
    again.close()
    # 12 + 3 calls at $0.0035 (gpt-4o: 1,000 x $2.50 / M + 100 x $10 / M)
    assert (
        totals(store_client) == ((15, Decimal("0.0525"), 15000),) + ((15, Decimal("0.0525")),) * 2
    )
    assert list(tmp_path.glob("*.wal")) == []


@pytest.mark.parametrize("power_loss", [False, True])
def test_a_fast_clocks_span_seeded_from_the_stored_keys_and_forgotten_is_looked_up(
    tmp_path, store_client, pricer, monkeypatch, power_loss
):
    # A client's clock 10 minutes fast; its 10 spans stored, their keys kept beside the spool
    # (stored-keys). serve restarted with the store away (no seed from it: the cutoff is the
    # start), seeded the 10 from stored-keys, which kept no span start, and forgot them after
    # 40 newer calls (a deduper of 40 keys standing for 600,000): its cutoff rose only to when
    # that generation stopped taking keys, before their start, so the 10 resent were not
    # looked up and were stored twice.
    # power_loss: the host loses power once the segment's deletion is on disk (journalled)
    # and stored-keys keeps only what an fdatasync put there (appended data under ext4's
    # delayed allocation). stored-keys was never synced: the 10 resent were stored twice.
    durable = {"size": 0}
    real_fdatasync = os.fdatasync

    def fdatasync(fd: int) -> None:
        real_fdatasync(fd)
        if os.readlink(f"/proc/self/fd/{fd}") == str(tmp_path / "stored-keys"):
            durable["size"] = os.fstat(fd).st_size

    monkeypatch.setattr(os, "fdatasync", fdatasync)
    ahead = NOW_NS + 10 * 60 * 10**9
    first_copies = [span(chat(), start_ns=ahead + n * 10**6) for n in range(10)]
    first = Ingest(tmp_path, lambda: store_client, pricer, stored_keys=StoredKeys(tmp_path, 100))
    first.send(request(*first_copies))
    first.close()
    assert list(tmp_path.glob("*.wal")) == []  # the segment stored and deleted
    if power_loss:
        os.truncate(tmp_path / "stored-keys", durable["size"])

    deduper = Deduper(capacity=40)
    deduper.forgets_before_us = time.time_ns() // 1000  # the store away at start
    again = Ingest(
        tmp_path,
        lambda: store_client,
        pricer,
        deduper=deduper,
        stored_keys=StoredKeys(tmp_path, 100),
    )
    for _ in range(4):  # 40 newer calls: the generation holding the 10 seeded dropped
        again.send(request(*(span(chat()) for _ in range(10))))
    cutoff = deduper.forgets_before_us
    assert wait_for(lambda: store_client.command("SELECT count() FROM llm_calls") == 50)
    again.send(request(*first_copies))  # resent
    again.close()
    # gpt-4o: 1,000 x $2.50 / M + 100 x $10 / M = $0.0035 a call; 50 calls, the 10 resent not
    assert totals(store_client) == ((50, Decimal("0.175"), 50000),) + ((50, Decimal("0.175")),) * 2
    assert again.metrics.spans_duplicate.value() == 10
    assert cutoff > ahead // 1000


def test_a_rollup_rebuild_a_stop_cut_short_is_finished_before_the_next_start_inserts(
    tmp_path, store_client, pricer
):
    # rollup_repair rebuilds a short day by deleting its rollup rows, then inserting them again
    # from llm_calls: serve killed between the two (the rows deleted, the note beside the
    # spool left) left that day short until someone ran tokentrace reprice over it.
    first = Ingest(tmp_path, lambda: store_client, pricer)
    first.send(request(*(span(chat()) for _ in range(8))))
    first.close()
    today = rollup_repair.days_of([[NOW_NS // 1000] if name == "ts" else [] for name in COLUMNS])
    rollup_repair.note(tmp_path, today)
    for table, column in (("llm_cost_hourly", "toDate(hour)"), ("llm_cost_daily", "day")):
        store_client.command(
            f"ALTER TABLE {table} DELETE WHERE {column} = {{day:Date}}",
            parameters={"day": today[0]},
            settings={"mutations_sync": 2},
        )
    assert [row[0] for row in totals(store_client)] == [8, 0, 0]

    again = Ingest(tmp_path, lambda: store_client, pricer)
    again.send(request(*(span(chat()) for _ in range(2))))
    again.close()
    # 10 calls at $0.0035 (gpt-4o: 1,000 x $2.50 / M + 100 x $10 / M)
    assert totals(store_client) == ((10, Decimal("0.035"), 10000),) + ((10, Decimal("0.035")),) * 2
    assert not (tmp_path / rollup_repair.PENDING).exists()


class _CutThenLost:
    """A real client whose first insert of calls stores only its first ``kept`` rows (one
    partition's part written, the next not: an insert cut part way), then loses the answer
    as a timeout does; every other request goes through."""

    def __init__(self, client, kept: int) -> None:
        self._client, self._kept, self.cut = client, kept, False

    def insert_arrow(self, table, arrow, settings):
        if table != "llm_calls" or self.cut:
            return self._client.insert_arrow(table, arrow, settings=settings)
        self.cut = True
        cut = {
            **settings,
            "insert_deduplication_token": f"{settings['insert_deduplication_token']}#cut",
        }
        self._client.insert_arrow(table, arrow.slice(0, self._kept), settings=cut)
        raise OperationalError("HTTPConnectionPool: Read timed out. (read timeout=20)")

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_an_insert_cut_and_unanswered_sends_only_its_missing_rows_again(
    tmp_path, store_client, pricer, caplog
):
    # The answer to an insert lost after it stored part of its rows: the retry sent every row
    # again, and the ones the cut insert had stored were counted twice (3 of 5 here: llm_calls
    # and both rollups 8 for 5 calls). Now the rows are looked up first and only the 2
    # missing ones sent, under a token of their own.
    cutting = _CutThenLost(store_client, kept=3)
    ingest = Ingest(tmp_path, lambda: cutting, pricer)
    ingest.send(request(*(span(chat()) for _ in range(5))))
    ingest.close()
    assert cutting.cut
    calls, hourly, daily = totals(store_client)
    # gpt-4o, 1,000 input and 100 output tokens each: $0.0035 a call
    assert calls[:2] == (5, Decimal("0.0175"))
    assert hourly == daily == (5, Decimal("0.0175"))
    assert "3 of its 5 rows are in llm_calls: only the 2 missing sent again" in caplog.text
