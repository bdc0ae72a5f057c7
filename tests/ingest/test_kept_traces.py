"""The parent spans and agents the deduper remembers, kept beside the spool for the next
start (``store.kept_traces``)."""

from __future__ import annotations

import marshal
import os

from tokentrace.processor.extract.tags import DIMENSIONS
from tokentrace.processor.store.kept_traces import NAME, KeptTraces

USER = list(DIMENSIONS).index("user")


def parent(tag: str, user: str | None = None) -> dict:
    values: list[str | None] = [None] * len(DIMENSIONS)
    values[USER] = user
    return {f"t{tag}".encode(): (b"grand", values, bool(user))}


def test_parents_and_agents_read_back_as_they_were_kept(tmp_path):
    kept = KeptTraces(tmp_path, entries=100)
    kept.add(parent("a", "user-1"), {b"ta" + b"helper"})
    kept.add(parent("b"), set())
    kept.close()
    parents, agents, delegations = KeptTraces(tmp_path, entries=100).load()
    assert parents == {**parent("a", "user-1"), **parent("b")}
    assert agents == [b"tahelper"]
    assert delegations == {}


def test_tool_spans_read_back_and_a_record_without_them_still_read(tmp_path):
    # an AG2 tool span beneath which a call was counted (``Deduper.counted_delegations``);
    # a record written before tool spans were kept has only parents and agents
    kept = KeptTraces(tmp_path, entries=100)
    kept._log.append(marshal.dumps(([], [b"taold"])), 1)
    kept.add({}, set(), {b"ttool": (b"agent", 10, 20)})
    kept.close()
    parents, agents, delegations = KeptTraces(tmp_path, entries=100).load()
    assert (parents, agents) == ({}, [b"taold"])
    assert delegations == {b"ttool": (b"agent", 10, 20)}


def test_the_latest_are_kept_in_two_generations_and_a_torn_record_is_cut_off(tmp_path):
    kept = KeptTraces(tmp_path, entries=4)
    for tag in "abcde":  # a..d fill the first file, which becomes the old one
        kept.add(parent(tag), set())
    kept.close()
    with (tmp_path / NAME).open("ab") as file:
        file.write(b"TTW2\xff")  # a crash mid-write
    again = KeptTraces(tmp_path, entries=4)
    parents, _, _ = again.load()
    assert list(parents) == [b"ta", b"tb", b"tc", b"td", b"te"]
    again.add(parent("f"), set())  # appended after the cut, readable
    again.close()
    assert list(KeptTraces(tmp_path, entries=4).load()[0])[-2:] == [b"te", b"tf"]


def test_what_was_kept_is_on_disk_once_synced_across_a_rotation(tmp_path, monkeypatch):
    # Kept without fsync, a power loss could drop the parents of acknowledged spans (an AG2
    # sub-agent counted twice, a call stored without its user). Which files an fdatasync
    # reaches is read from the real calls: the data of every record, before and after the
    # rotation, and the directory once a file is created (its name).
    synced: list[int] = []
    real_fdatasync, real_fsync = os.fdatasync, os.fsync
    monkeypatch.setattr(os, "fdatasync", lambda fd: (synced.append(os.fstat(fd).st_ino),
                                                     real_fdatasync(fd))[1])  # fmt: skip
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(os.fstat(fd).st_ino),
                                                 real_fsync(fd))[1])  # fmt: skip
    kept = KeptTraces(tmp_path, entries=2)
    kept.add(parent("a", "user-1"), set())
    kept.sync()
    first = (tmp_path / NAME).stat().st_ino
    assert synced == [first, tmp_path.stat().st_ino]
    kept.sync()  # nothing appended since: no fsync
    assert len(synced) == 2
    kept.add(parent("b"), set())  # the file full: synced whole, then rotated
    assert synced[2:] == [first, tmp_path.stat().st_ino]
    kept.add(parent("c"), set())
    kept.sync()
    assert synced[4:] == [(tmp_path / NAME).stat().st_ino, tmp_path.stat().st_ino]
    kept.close()
    assert list(KeptTraces(tmp_path, entries=2).load()[0]) == [b"ta", b"tb", b"tc"]
