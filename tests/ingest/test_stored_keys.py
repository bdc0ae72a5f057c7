"""The stored rows' keys the sink keeps beside the spool, for the deduper of the next start."""

from __future__ import annotations

from tokentrace.processor.store.stored_keys import NAME, StoredKeys


def keys(tag: str, n: int = 2) -> tuple[list[str], list[str], list[str], list[int]]:
    return [f"t{tag}"] * n, [f"s{tag}{i}" for i in range(n)], [""] * n, [7] * n


def test_each_key_keeps_its_spans_start_and_an_earlier_versions_record_reads_as_none(tmp_path):
    # An earlier version kept three columns a record (no span start): still read, start 0.
    kept = StoredKeys(tmp_path, rows=100)
    kept.add(keys("a")[:3])  # type: ignore[arg-type]  # as that version wrote it
    kept.add((["tb"], ["sb0"], [""], [1_800_000_000_000_000]))
    kept.close()
    assert StoredKeys(tmp_path, rows=100).load() == [
        ("ta", "sa0", "", 0),
        ("ta", "sa1", "", 0),
        ("tb", "sb0", "", 1_800_000_000_000_000),
    ]


def test_the_latest_keys_are_kept_in_two_generations_oldest_first(tmp_path):
    kept = StoredKeys(tmp_path, rows=4)
    for tag in "abc":
        kept.add(keys(tag))
    kept.close()
    # a and b filled the first file (4 rows), which became the old one; c is in the new one
    assert [span for _, span, _, _ in StoredKeys(tmp_path, rows=4).load()] == [
        "sa0", "sa1", "sb0", "sb1", "sc0", "sc1",
    ]  # fmt: skip
    again = StoredKeys(tmp_path, rows=4)
    again.load()  # counts the 2 rows the current file holds
    again.add(keys("d"))  # 4 rows: c and d become the old generation, a and b are dropped
    again.add(keys("e"))
    again.close()
    spans = [span for _, span, _, _ in StoredKeys(tmp_path, rows=4).load()]
    assert spans == ["sc0", "sc1", "sd0", "sd1", "se0", "se1"]


def test_a_torn_last_record_is_cut_off_and_the_file_appended_to_again(tmp_path):
    kept = StoredKeys(tmp_path, rows=100)
    kept.add(keys("a"))
    kept.close()
    path = tmp_path / NAME
    whole = path.read_bytes()
    path.write_bytes(whole + whole[:20])  # a crash in the middle of the next record
    again = StoredKeys(tmp_path, rows=100)
    assert [span for _, span, _, _ in again.load()] == ["sa0", "sa1"]
    assert path.read_bytes() == whole
    again.add(keys("b"))
    again.close()
    assert [span for _, span, _, _ in StoredKeys(tmp_path, rows=100).load()] == [
        "sa0", "sa1", "sb0", "sb1",
    ]  # fmt: skip


def test_keys_added_after_the_file_was_deleted_go_to_a_new_one(tmp_path):
    # The spool's files deleted under a running serve: the keys went on into the deleted file,
    # and the next start's deduper lacked them.
    kept = StoredKeys(tmp_path, rows=100)
    kept.add(keys("a"))
    (tmp_path / NAME).unlink()
    kept.add(keys("b"))
    kept.close()
    assert [span for _, span, _, _ in StoredKeys(tmp_path, rows=100).load()] == ["sb0", "sb1"]


def test_an_unreadable_file_of_keys_is_said_and_serve_starts_without_them(tmp_path, caplog):
    # Its permissions, or a disk error (here: its bytes read from /proc/self/mem, an I/O error
    # whoever runs the test): the OSError ended serve's start-up in a traceback.
    kept = StoredKeys(tmp_path, rows=4)
    kept.add(keys("a"))
    kept.close()
    (tmp_path / NAME).replace(tmp_path / f"{NAME}.old")
    (tmp_path / NAME).symlink_to("/proc/self/mem")
    assert [span for _, span, _, _ in StoredKeys(tmp_path, rows=4).load()] == ["sa0", "sa1"]
    assert f"{tmp_path / NAME} cannot be read ([Errno 5] Input/output error)" in caplog.text
