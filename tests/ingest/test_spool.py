"""The write-ahead spool: durable appends, sealing, recovery after a crash, bounds."""

from __future__ import annotations

import errno
import os
import pickle
import shutil
import struct
import tempfile
import threading
import time
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tokentrace.processor.store import spool as spool_module
from tokentrace.processor.store import spool_merge, spool_records
from tokentrace.processor.store.spool import Spool, SpoolFull
from tokentrace.processor.store.spool_lock import SpoolHeld, SpoolLock
from tokentrace.processor.store.spool_merge import Attempted


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


def test_a_request_that_fills_a_segment_is_answered_once_the_segment_is_handed_over(tmp_path):
    # Answered first and sealed after, a full segment was nobody's for a moment: a sink
    # asked whether it was idle right after the answer said yes with the rows unstored
    # (tests/ingest/test_store_faults.py then set its fault up under an unstored batch).
    spool = Spool(tmp_path, 1 << 30, seal_rows=5, seal_seconds=60)
    handed, release, sealed = threading.Event(), threading.Event(), []

    def on_sealed(segment) -> None:
        handed.set()
        release.wait(30)
        sealed.append(segment)

    spool.on_sealed = on_sealed
    spool.recover()
    spool.start()
    future = append(spool, rows(5))
    assert handed.wait(30)
    assert not future.done()
    release.set()
    future.result(timeout=30)
    assert [segment.row_count for segment in sealed] == [5]
    spool.close()


def test_segments_seal_by_age(tmp_path):
    spool, sealed = collecting_spool(tmp_path, seal_rows=10_000, seal_seconds=0.05)
    append(spool, rows(1)).result(timeout=5)
    # Due 0.05 s after the append; a loaded machine may run the spool's thread much later.
    deadline = time.monotonic() + 30
    while not sealed and time.monotonic() < deadline:
        time.sleep(0.01)
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


def test_no_more_segments_than_it_can_keep_open_are_acknowledged(tmp_path):
    # Each segment waiting for the store keeps its file open (its bytes outlive an rm): past
    # as many as serve can keep open, appends are refused (503, retried), not acknowledged
    # into a segment that a delete would take.
    spool = Spool(tmp_path, 1 << 30, seal_rows=1, max_segments=2)
    sealed: list = []
    spool.on_sealed = sealed.append
    spool.recover()
    spool.start()
    append(spool, rows(1)).result(timeout=5)
    append(spool, rows(1)).result(timeout=5)
    assert not spool.has_room()
    with pytest.raises(SpoolFull, match="2 of 2 segments wait for the store"):
        append(spool, rows(1))
    # readiness says which bound it is, how far, and what to do (only the bytes' is "spool full")
    assert spool.problem == (
        "spool full: 2 of 2 segments wait for the store, each keeping a file open; raise "
        "serve's hard open-files limit (ulimit -Hn, systemd's LimitNOFILE=) and restart it to "
        "spool more"
    )
    spool.remove(sealed[0])
    append(spool, rows(1)).result(timeout=5)
    spool.close()
    # and each sealed segment's bytes are still there once its file is gone
    sealed[1].path.unlink()
    assert spool.load(sealed[1]) == rows(1)
    spool.keep(sealed[1])
    assert Spool(tmp_path, 1 << 30).load(sealed[1]) == rows(1)


def test_while_a_sealed_segment_waits_for_the_sink_the_open_one_is_sealed_by_rows(tmp_path):
    # Sealed each second while the store was away, a segment a second kept a descriptor (its
    # bytes outlive an rm): at a hard open-files limit of 1,024 (64 segments) exports were
    # refused after about a minute. While one waits, the open segment grows to seal_rows.
    spool = Spool(tmp_path, 1 << 30, seal_rows=10, seal_seconds=0)  # due as soon as written
    sealed: list = []
    spool.on_sealed = sealed.append
    waiting = [1]
    spool.waiting = lambda: waiting[0]
    spool.recover()
    spool.start()
    for batch in range(12):
        append(spool, rows(1, f"b{batch}-")).result(timeout=5)
    assert [segment.row_count for segment in sealed] == [10]  # sealed by its rows alone
    assert spool.segment_count == 2  # and the open one, with 2 rows
    waiting[0] = 0  # the sink took it up: the open segment is sealed for its age again
    deadline = time.monotonic() + 60  # a guard against a writer that never looks, not a speed
    while len(sealed) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [segment.row_count for segment in sealed] == [10, 2]
    assert sealed[1].columns[1] == ["b10-0", "b11-0"]
    spool.close()
    assert Spool(tmp_path, 1 << 30).load(sealed[1]) == sealed[1].columns


def written_segment(directory: Path, batches: list[list[list]]) -> Path:
    """One sealed segment holding ``batches``, one record each, written by the real spool."""
    spool, sealed = collecting_spool(directory, seal_rows=10**9, seal_seconds=3600)
    for batch in batches:
        append(spool, batch).result(timeout=5)
    spool.close()
    assert len(sealed) == 1
    return sealed[0].path


def recovered_rows(directory: Path, damage: list[int] | None = None) -> list[str]:
    """The row tags a fresh spool recovers from ``directory``, in order."""
    spool = Spool(directory, 1 << 30)
    if damage is not None:
        spool.on_damage = damage.append
    return [tag for segment in spool.recover() for tag in spool.load(segment)[1]]


def test_a_damaged_first_record_keeps_the_file_and_every_later_record(tmp_path, caplog):
    batches = [rows(2, f"b{n}-") for n in range(4)]
    path = written_segment(tmp_path, batches)
    data = bytearray(path.read_bytes())
    data[20] ^= 0x40  # inside the first record's payload
    path.write_bytes(bytes(data))
    damage: list[int] = []

    assert recovered_rows(tmp_path, damage) == joined(*batches[1:])[1]
    assert path.exists()
    first = spool_records.scan(bytes(data)).damaged[0]
    kept = list((tmp_path / "damaged").iterdir())
    assert [file.read_bytes() for file in kept] == [bytes(data[first[0] : first[1]])]
    assert damage == [first[1] - first[0]]
    assert f"{path.name} is damaged at bytes 0-" in caplog.text
    # Recovery rewrote the segment with its intact records: read again, nothing is damaged.
    assert recovered_rows(tmp_path, damage) == joined(*batches[1:])[1]
    assert len(damage) == 1


def test_damaged_bytes_that_cannot_be_kept_aside_are_never_deleted(tmp_path, caplog):
    # The copy into damaged/ failed (here a file named damaged; a full disk does the same):
    # recovery rewrote the segment without the damaged bytes anyway, and the log's "could not
    # be kept aside" was their only trace. The segment is now left whole, moved aside whole
    # once stored, and left in place if even that fails.
    batches = [rows(2, f"b{n}-") for n in range(3)]
    path = written_segment(tmp_path, batches)
    data = bytearray(path.read_bytes())
    data[20] ^= 0x40  # inside the first record's payload
    path.write_bytes(bytes(data))
    first = spool_records.scan(bytes(data)).damaged[0]
    (tmp_path / "damaged").write_bytes(b"")

    spool = Spool(tmp_path, 1 << 30)
    (segment,) = spool.recover()
    assert spool.load(segment)[1] == joined(*batches[1:])[1]
    assert path.read_bytes() == bytes(data)  # not rewritten without them
    assert "could not be kept aside" in caplog.text
    spool.remove(segment)  # stored: it cannot be moved into damaged/ either
    assert path.read_bytes() == bytes(data)
    assert "left in the spool directory" in caplog.text

    (tmp_path / "damaged").unlink()  # put right: the next start keeps the bytes aside
    spool = Spool(tmp_path, 1 << 30)
    (segment,) = spool.recover()
    kept = list((tmp_path / "damaged").iterdir())
    assert [file.read_bytes() for file in kept] == [bytes(data[first[0] : first[1]])]
    spool.remove(segment)
    assert not path.exists()

    # Kept aside whole when the copy fails but the move does not.
    path = written_segment(tmp_path, batches)
    data = bytearray(path.read_bytes())
    data[20] ^= 0x40
    path.write_bytes(bytes(data))
    (tmp_path / "damaged" / f"{path.stem}-{0:012d}.bin.tmp").mkdir()  # the copy fails
    spool = Spool(tmp_path, 1 << 30)
    (segment,) = spool.recover()
    assert path.read_bytes() == bytes(data)
    spool.remove(segment)
    assert not path.exists()
    assert (tmp_path / "damaged" / path.name).read_bytes() == bytes(data)


def test_temporary_files_a_crash_left_are_recovered_or_removed_at_start(tmp_path, caplog):
    # A crash mid-rewrite left *.wal.tmp files, which no start ever looked at. Beside its
    # segment such a file is an unfinished rewrite of it (removed); alone it is a segment
    # written again from memory after its file was deleted (recovered: acknowledged rows).
    whole = written_segment(tmp_path, [rows(2, "a-")])
    partial = whole.with_name(whole.name + ".tmp")
    partial.write_bytes(whole.read_bytes()[:30])
    alone = written_segment(tmp_path / "elsewhere", [rows(1, "b-"), rows(1, "c-")])
    rewritten = tmp_path / (alone.name + ".tmp")
    rewritten.write_bytes(alone.read_bytes()[:-3])  # its last record torn
    (tmp_path / "damaged").mkdir()
    copy = tmp_path / "damaged" / "000000000001-aaaaaaaaaaaa-000000000000.bin.tmp"
    copy.write_bytes(b"half a copy")

    assert sorted(recovered_rows(tmp_path)) == ["a-0", "a-1", "b-0"]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        ["damaged", "elsewhere", whole.name, alone.name, "attempted", "attempted.unsure"]
    )
    assert list((tmp_path / "damaged").iterdir()) == []
    assert f"recovered {tmp_path / alone.name}, written again from memory" in caplog.text


def test_a_damaged_length_does_not_pass_for_a_torn_tail(tmp_path):
    batches = [rows(3, f"b{n}-") for n in range(3)]
    path = written_segment(tmp_path, batches)
    data = bytearray(path.read_bytes())
    data[5] ^= 0x7F  # the first record's length: it now runs past the end of the file
    path.write_bytes(bytes(data))
    assert recovered_rows(tmp_path) == joined(*batches[1:])[1]


def test_a_whole_record_that_does_not_decode_is_kept_aside_and_the_rest_loaded(tmp_path, caplog):
    # Checksums that hold around a payload that is not columns (another version's, a bug's):
    # recovery used to raise on it at every start, a crash loop that stored nothing.
    path = written_segment(tmp_path, [rows(2, "a-")])
    undecodable = [
        b"".join(spool_records.encode(b"not a pickle")),
        b"".join(spool_records.encode(pickle.dumps({"not": "columns"}))),
        b"".join(spool_records.encode(pickle.dumps([[1, 2], [3]]))),  # ragged
        b"".join(spool_records.encode(pickle.dumps([[1], [2]]))),  # 2 columns, the segment 3
    ]
    good = path.read_bytes()
    tail = b"".join(spool_records.encode(pickle.dumps(rows(1, "b-"))))
    path.write_bytes(good + b"".join(undecodable) + tail)
    damage: list[int] = []

    assert recovered_rows(tmp_path, damage) == ["a-0", "a-1", "b-0"]
    assert damage == [len(record) for record in undecodable]
    kept = sorted((tmp_path / "damaged").iterdir())
    assert [file.read_bytes() for file in kept] == undecodable
    assert "(a record that does not decode: UnpicklingError" in caplog.text
    assert recovered_rows(tmp_path, damage) == ["a-0", "a-1", "b-0"]  # counted once
    assert len(damage) == 4


def test_a_segment_that_cannot_be_read_is_left_and_the_others_recovered(tmp_path, caplog):
    written_segment(tmp_path, [rows(2, "a-")])
    (tmp_path / "000000000009-aaaaaaaaaaaa.wal").mkdir()
    assert recovered_rows(tmp_path) == ["a-0", "a-1"]
    assert "cannot read" in caplog.text
    assert (tmp_path / "000000000009-aaaaaaaaaaaa.wal").is_dir()


def legacy_record(columns: list[list]) -> bytes:
    """A record as tokentrace wrote it before headers had their own CRC (b"TTW1")."""
    payload = pickle.dumps(columns, protocol=pickle.HIGHEST_PROTOCOL)
    return struct.pack("<4sII", b"TTW1", len(payload), zlib.crc32(payload)) + payload


def test_segments_in_the_earlier_format_are_read_and_resynchronised(tmp_path):
    records = [legacy_record(rows(2, f"old{n}-")) for n in range(3)]
    damaged = bytearray(records[1])
    damaged[-1] ^= 0x01
    (tmp_path / "000000000003-aaaaaaaaaaaa.wal").write_bytes(
        records[0] + bytes(damaged) + records[2] + b"TTW1\xff\xff"  # and a torn tail
    )
    assert recovered_rows(tmp_path) == joined(rows(2, "old0-"), rows(2, "old2-"))[1]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sizes=st.lists(st.integers(1, 12), min_size=2, max_size=25),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)),
                   min_size=1, max_size=4),
)  # fmt: skip
def test_byte_flips_anywhere_lose_only_the_records_they_hit(sizes, flips):
    batches = [rows(size, f"r{n}-") for n, size in enumerate(sizes)]
    with tempfile.TemporaryDirectory() as directory:
        path = written_segment(Path(directory), batches)
        original = path.read_bytes()
        records = spool_records.scan(original).records
        assert len(records) == len(batches)
        data = bytearray(original)
        for where, mask in flips:
            data[int(where * len(data))] ^= mask
        changed = [offset for offset in range(len(data)) if data[offset] != original[offset]]
        hit = {n for n, (start, end) in enumerate(records) for offset in changed
               if start <= offset < end}  # fmt: skip
        path.write_bytes(bytes(data))
        damage: list[int] = []

        intact = [batch for n, batch in enumerate(batches) if n not in hit]
        assert recovered_rows(Path(directory), damage) == (joined(*intact)[1] if intact else [])
        lost = sum(end - start for n, (start, end) in enumerate(records) if n in hit)
        assert sum(damage) == lost
        kept = Path(directory, "damaged").glob("*.bin")
        assert sum(file.stat().st_size for file in kept) == lost


def test_segments_an_earlier_version_set_aside_in_dead_are_replayed(tmp_path):
    path = written_segment(tmp_path, [rows(2, "kept-")])
    (tmp_path / "dead").mkdir()
    path.replace(tmp_path / "dead" / path.name)
    assert recovered_rows(tmp_path) == rows(2, "kept-")[1]
    assert list((tmp_path / "dead").iterdir()) == []


def test_a_re_created_directory_another_serve_locked_refuses_appends_and_says_so(
    tmp_path, caplog, monkeypatch
):
    # The spool directory deleted under serve and re-created, and a second serve took the new
    # one before this serve's next segment: every append failed (503) with a log line each,
    # and nothing else said so (/readyz stayed ready while the spool had room).
    monkeypatch.setattr(spool_module, "_HELD_RECHECK_SECONDS", 0.01)
    directory = tmp_path / "spool"
    directory.mkdir()
    spool, sealed = collecting_spool(directory, lock=SpoolLock(directory), seal_rows=1)
    append(spool, rows(1)).result(timeout=5)  # sealed at once: the next append opens a segment
    shutil.rmtree(directory)
    directory.mkdir()
    other = SpoolLock(directory)  # the second serve (flock: a lock per open file, so in-process)
    for _ in range(3):
        with pytest.raises(SpoolHeld):
            append(spool, rows(1)).result(timeout=5)
    held = (
        f"the spool directory {directory} is in use by another tokentrace serve (pid {os.getpid()})"
    )
    assert spool.problem.startswith(held)
    assert caplog.text.count(held) == 1
    assert list(directory.iterdir()) == [directory / "lock"]  # no segment opened in it
    other.close()  # the second serve stopped: this one's again, without an export to find out
    deadline = time.monotonic() + 30  # (no export comes to a serve that says it is not ready)
    while spool.problem:
        assert time.monotonic() < deadline, spool.problem
        time.sleep(0.01)
    assert f"spool: {directory} is this serve's again; taking exports" in caplog.text
    append(spool, rows(1)).result(timeout=5)
    spool.close()
    assert [segment.row_count for segment in sealed] == [1, 1]


def test_a_segment_whose_directory_cannot_be_synced_is_closed_and_removed(
    tmp_path, monkeypatch, caplog
):
    # A failed fsync of the directory after a segment's file was created left the file open:
    # one descriptor leaked per failed write until serve ran out of them. And each failed
    # write logged a line of its own (600 in 18 s with the spool directory made read-only
    # under load): one line says what fails and what to check, one that it works again.
    real = spool_module.spool_merge.fsync_directory
    failing = [True]

    def fsync_directory(directory: Path) -> None:
        if failing[0]:
            raise OSError(errno.EIO, "Input/output error")
        real(directory)

    monkeypatch.setattr(spool_module.spool_merge, "fsync_directory", fsync_directory)
    spool, sealed = collecting_spool(tmp_path, seal_seconds=60)
    open_before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        with pytest.raises(OSError, match="Input/output error"):
            append(spool, rows(1)).result(timeout=5)
    assert len(os.listdir("/proc/self/fd")) == open_before
    assert list(tmp_path.glob("*.wal")) == []
    assert caplog.text.count(f"spool: cannot write in {tmp_path}") == 1
    # /readyz says so meanwhile (it said ready), and finds out unasked when the directory
    # takes writes again: a serve that is not ready gets no exports to try them with.
    assert "Input/output error" in spool.problem
    failing[0] = False
    deadline = time.monotonic() + 10  # a guard against a wait that never ends, not a speed
    while spool.problem:
        assert time.monotonic() < deadline, spool.problem
        time.sleep(0.01)
    assert f"spool: writing in {tmp_path} again, after 20 failed writes" in caplog.text
    assert list(tmp_path.glob("*.wal")) == [] and not (tmp_path / ".probe").exists()
    append(spool, rows(2)).result(timeout=5)
    spool.close()
    assert [segment.row_count for segment in sealed] == [2]


def _runs(directory: Path, count: int) -> list[str]:
    """``count`` runs' segments of 3 rows each (``run<n>-<i>``), left on disk by a release
    that kept no ``attempted`` file (so none merged); their names."""
    for run in range(count):
        spool, _ = collecting_spool(directory, seal_rows=100, seal_seconds=60)
        append(spool, rows(3, f"run{run}-")).result(timeout=5)
        spool.close()
        for name in (spool_merge.ATTEMPTED, spool_merge.UNSURE):
            (directory / name).unlink(missing_ok=True)
    return sorted(path.stem for path in directory.glob("*.wal"))


def test_segments_the_sink_never_began_are_merged_at_start_and_the_others_left(tmp_path):
    # Each run leaves its open segment, a descriptor each once recovered: a crash loop while
    # the store was away added one a start until the spool refused exports for its segments.
    names = _runs(tmp_path, 4)
    assert len(names) == 4
    Attempted(tmp_path).note(names[0])  # the sink began it: it may be in the store
    spool = Spool(tmp_path, 1 << 30, seal_rows=7)
    recovered = spool.recover()
    loaded = [spool.load(segment)[1] for segment in recovered]
    assert recovered[0].name == names[0] and recovered[0].recovered
    assert loaded == [
        [f"run0-{i}" for i in range(3)],
        [f"run{run}-{i}" for run in (1, 2) for i in range(3)],  # 6 rows, 3 more would pass 7
        [f"run3-{i}" for i in range(3)],
    ]
    assert not recovered[1].recovered  # never handed to the store
    assert spool.segment_count == 3 == len(list(tmp_path.glob("*.wal")))
    assert not list(tmp_path.glob("*.merging"))


def test_replaying_a_begun_segment_keeps_the_highest_number_the_sink_began(tmp_path):
    # Segments stored but not deleted (their directory read-only meanwhile) are all begun. The
    # replay noted the first one's number over the highest, so that, killed then, the next
    # start took the others for never begun and merged them under a new name, which the
    # store's note of stored segments does not hold: stored twice.
    names = _runs(tmp_path, 3)
    Attempted(tmp_path).note(names[2])  # the last run began (and stored) all three
    spool = Spool(tmp_path, 1 << 30)
    recovered = spool.recover()
    assert [segment.name for segment in recovered] == names
    spool.attempting(recovered[0])  # the replay begins the first, then serve is killed
    again = Spool(tmp_path, 1 << 30).recover()
    assert [segment.name for segment in again] == names
    assert all(segment.recovered for segment in again)


@pytest.mark.parametrize("written", [True, False])
def test_a_merge_a_crash_cut_short_is_finished_or_undone_at_start(tmp_path, written):
    first, second = (tmp_path / f"{name}.wal" for name in _runs(tmp_path, 2))
    target = tmp_path / "000000000099-cafe.wal"
    spool_merge.begin(tmp_path, target.stem, [first, second])
    data = first.read_bytes() + second.read_bytes()
    # crashed after the merged segment was renamed into place, or while it was written
    (target if written else target.with_name(target.name + ".tmp")).write_bytes(data)

    spool = Spool(tmp_path, 1 << 30)
    recovered = spool.recover()
    loaded = sorted(name for segment in recovered for name in spool.load(segment)[1])
    assert loaded == sorted(f"run{run}-{i}" for run in (0, 1) for i in range(3))  # each once
    left = {path.name for path in tmp_path.iterdir() if not path.name.startswith(".")}
    left -= {spool_merge.ATTEMPTED, spool_merge.UNSURE}
    assert left == ({target.name} if written else {first.name, second.name})


def test_a_spool_an_earlier_release_left_without_attempted_merges_none_of_its_segments(tmp_path):
    # Without ``attempted`` (a release before it) no segment can be told begun or not: each
    # is unsure (the sink looks it up whole) and none is merged, under this start and every
    # later one, while segments written from now on merge as before (a crash loop after an
    # upgrade, the store away, piled up one segment a start: nothing ever noted one begun).
    names = _runs(tmp_path, 3)
    recovered = Spool(tmp_path, 1 << 30).recover()
    assert [(s.name, s.unsure, s.recovered) for s in recovered] == [(n, True, True) for n in names]
    assert Attempted(tmp_path).load() == spool_merge.number(names[-1])
    for run in (3, 4):  # two crashed starts after the upgrade, the sink never beginning
        spool, _ = collecting_spool(tmp_path, seal_rows=100, seal_seconds=60)
        append(spool, rows(3, f"run{run}-")).result(timeout=5)
        spool.close()
    spool = Spool(tmp_path, 1 << 30)
    recovered = spool.recover()
    assert [s.name for s in recovered[:3]] == names and all(s.unsure for s in recovered[:3])
    [merged] = recovered[3:]
    assert not merged.unsure and not merged.recovered
    assert spool.load(merged)[1] == [f"run{run}-{i}" for run in (3, 4) for i in range(3)]
