"""The write-ahead spool: durable appends, sealing, recovery after a crash, bounds."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tokentrace.processor.store.spool import Spool, SpoolFull


def rows(n: int, tag: str = "r") -> list[list]:
    """``n`` rows of three columns, column-oriented as the spool takes them."""
    return [list(range(n)), [f"{tag}{i}" for i in range(n)], [{"k": "v"}] * n]


def append(spool: Spool, columns: list[list]):
    return spool.append(columns, len(columns[0]))


def joined(*batches: list[list]) -> list[list]:
    return [[value for batch in batches for value in batch[i]] for i in range(3)]


def collecting_spool(directory: Path, **options) -> tuple[Spool, list]:
    spool = Spool(directory, 1 << 30, **options)
    sealed: list = []
    spool.on_sealed = sealed.append
    spool.recover()
    spool.start()
    return spool, sealed


def test_appends_are_written_before_their_future_resolves(tmp_path):
    spool, sealed = collecting_spool(tmp_path, seal_rows=5, seal_seconds=60)
    futures = [append(spool, rows(2, f"b{b}-")) for b in range(3)]
    for future in futures:
        future.result(timeout=5)
    assert spool.depth_bytes > 0
    spool.close()
    # 6 rows: sealed once past 5 rows, everything in one segment in append order.
    assert len(sealed) == 1
    assert sealed[0].row_count == 6
    assert sealed[0].columns[1] == ["b0-0", "b0-1", "b1-0", "b1-1", "b2-0", "b2-1"]
    assert Spool(tmp_path, 1 << 30).load(sealed[0]) == sealed[0].columns


def test_segments_seal_by_age(tmp_path):
    spool, sealed = collecting_spool(tmp_path, seal_rows=10_000, seal_seconds=0.05)
    append(spool, rows(1)).result(timeout=5)
    deadline = threading.Event()
    for _ in range(100):
        if sealed:
            break
        deadline.wait(0.02)
    assert len(sealed) == 1
    spool.close()


def test_recovery_cuts_a_torn_record_and_keeps_whole_ones(tmp_path):
    spool, sealed = collecting_spool(tmp_path, seal_rows=10_000, seal_seconds=60)
    append(spool, rows(3)).result(timeout=5)
    append(spool, rows(2, "x")).result(timeout=5)
    spool.close()
    path = sealed[0].path
    whole = path.stat().st_size
    with path.open("ab") as file:  # a crash in the middle of the next record
        file.write(b"TTW1\x10\x00\x00\x00\x00\x00\x00\x00half")

    again = Spool(tmp_path, 1 << 30)
    backlog = again.recover()
    assert [segment.name for segment in backlog] == [sealed[0].name]
    assert path.stat().st_size == whole
    assert again.load(backlog[0]) == joined(rows(3), rows(2, "x"))
    assert again.depth_bytes == whole


def test_recovery_drops_empty_segments_and_numbers_new_ones_after_old(tmp_path):
    (tmp_path / "000000000007-aaaaaaaaaaaa.wal").write_bytes(b"TTW1garbage")
    spool, sealed = collecting_spool(tmp_path, seal_rows=1)
    assert not (tmp_path / "000000000007-aaaaaaaaaaaa.wal").exists()
    append(spool, rows(1)).result(timeout=5)
    spool.close()
    assert sealed[0].name.startswith("000000000008-")


def test_a_full_spool_refuses_appends_until_drained(tmp_path):
    spool = Spool(tmp_path, max_bytes=200, seal_rows=1)
    sealed: list = []
    spool.on_sealed = sealed.append
    spool.recover()
    spool.start()
    append(spool, rows(20)).result(timeout=5)
    assert not spool.has_room()
    with pytest.raises(SpoolFull):
        append(spool, rows(1))
    spool.close()
    spool.remove(sealed[0])
    assert spool.has_room()
    assert spool.depth_bytes == 0
    assert not sealed[0].path.exists()


def test_a_corrupt_record_stops_the_read_there(tmp_path, caplog):
    spool, sealed = collecting_spool(tmp_path, seal_rows=10_000, seal_seconds=60)
    append(spool, rows(1, "a")).result(timeout=5)
    append(spool, rows(1, "b")).result(timeout=5)
    spool.close()
    data = bytearray(sealed[0].path.read_bytes())
    data[-1] ^= 0xFF  # flip a bit in the second record's payload
    sealed[0].path.write_bytes(bytes(data))
    assert spool.load(sealed[0]) == rows(1, "a")
    assert "is corrupt" in caplog.text
