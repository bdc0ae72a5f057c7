"""The spool: a write-ahead log on local disk that makes a request durable before its ack.

Every accepted request's rows are appended to the open *segment* file and fsynced; only
then is the request acknowledged. Appends from concurrent requests are written and
fsynced together by one writer thread (group commit), so the cost of an fsync is shared
by every request that arrived meanwhile. Rows travel column-oriented (one list per
column), the shape both the pickler and the ClickHouse encoder handle fastest.

A segment deleted while it is open (the spool's files removed under a running serve) is
noticed after the write that follows: that write's requests fail (the senders retry, into a new
segment, in a re-created directory if need be) rather than being acknowledged for a file no
longer on disk, and the segment is sealed, its earlier rows stored from memory.

A segment is *sealed* once it holds ``seal_rows`` rows (50,000) or is ``seal_seconds``
(1 s) old and the sink has taken up every segment sealed before (:attr:`Spool.waiting`), then
handed to the sink, which inserts it into ClickHouse in one batch with
the segment's name as ``insert_deduplication_token`` and deletes the file only after
ClickHouse has the rows (and the segment's name, ``stored_segments``). At start every segment
left on disk is sealed and replayed; should ClickHouse already hold one (a crash between insert
and delete), the sink finds its name there and deletes it, and failing that the token makes
the replay a no-op, rollups included, while it is among the table's last
``non_replicated_deduplication_window`` (100,000) inserted blocks. Those the sink never began
to store are merged first, so that a crash loop does not add a segment a start
(``spool_merge``).

File format (``spool_records``): per record a header with magic, payload length, payload
CRC-32 and the header's own CRC-32, then the payload: one request's columns, pickled. A torn
record at the end of a segment (a crash mid-write) was never acknowledged; recovery cuts it
off. A damaged record is skipped: recovery resynchronises at the next intact record, keeps the
damaged bytes in ``damaged/``, logs and counts them (``tokentrace_spool_damaged_bytes_total``);
so is a record whose checksums hold but whose payload does not decode to columns. None of
these stops a start-up: a crash loop would store nothing at all. A segment that cannot be read
at all (its permissions, a disk error) holds acknowledged spans whose resends could not be
told apart: exports are refused (503) until it can be read, or is moved away.

Each segment not yet stored keeps an open descriptor on its file (:attr:`Segment.fd`), so
that its bytes outlive a delete of the file (the spool's files removed while ClickHouse is
away): the sink reads it and writes it again under its name from there (:meth:`Spool.keep`),
however many rows wait. Before, only the rows the sink kept in memory (200,000) could be
written again; a segment deleted beyond them was lost.

While a sealed segment waits for the sink (the store away, or behind), the open one is
sealed by rows alone: sealed each second, a store outage took a descriptor a second, and at a
hard open-files limit of 1,024 (64 segments) serve refused exports after about a minute where
its bytes allowed hours. So descriptors grow with the rows spooled, not with the time the store
is away: a segment per ``seal_rows`` rows, besides the one the sink is storing, one waiting
and the open one (3 in all at a trickle, BENCHMARKS.md's seventh round). A sink behind a store
that is up gets fewer, bigger segments the same way.

The spool is bounded: once its segments hold ``max_bytes``, or are ``max_segments`` (as many
descriptors as serve's open-files limit spares, :func:`default_max_segments`),
:meth:`Spool.append` raises :class:`SpoolFull` and the receivers answer 503 with
``Retry-After`` until the sink has drained some of it: a span serve could not keep safe is not
acknowledged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import resource
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokentrace.processor.store import spool_merge, spool_records
from tokentrace.processor.store.spool_lock import SpoolHeld, SpoolLock

log = logging.getLogger(__name__)

_SUFFIX = ".wal"
_MAX_GROUP = 1024  # appends written and fsynced together at most
_HELD_RECHECK_SECONDS = 1.0  # how often a spool another serve holds (or that fails) looks again
_PROBE_BYTES = 64 * 1024  # written by the look at a spool whose writes fail (see _probe)
_WAITING_RECHECK_SECONDS = 0.1  # how often a segment due, kept open for the sink, looks again

Columns = list[list[Any]]


def default_max_segments() -> int:
    """Segments the spool may hold, one descriptor each: half of the open-files limit less
    what connections and the store may take (1,024 and more), at least 64.

    serve raises its soft limit to the hard one at start (:func:`raise_open_files_limit`): a
    few hundred thousand segments, days of an outage at one a second, where the hard limit is
    systemd's 524,288 or a container's 1,048,576; at a hard limit of 1,024 it is 64.
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 20
    return max(64, soft // 2 - 1024)


def raise_open_files_limit() -> None:
    """Raise the soft open-files limit to the hard one (as Go's runtime does for every
    program): each spooled segment keeps a descriptor, and a soft limit of 1,024 would cap
    the spool at 64 segments."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


class SpoolFull(Exception):
    """The spool holds ``max_bytes`` already: the caller should retry later."""


@dataclass
class Segment:
    """One spool file. ``name`` is unique forever (sequence number + random suffix)."""

    name: str
    path: Path
    size: int = 0
    row_count: int = 0
    columns: Columns | None = None  # kept in memory while the sink wants them
    opened: float = 0.0
    recovered: bool = False  # left by an earlier run, perhaps begun: the store may hold it
    # Left by a release that kept no ``attempted`` file: begun or not, nobody knows
    # (``spool_merge``); looked up whole before it is begun.
    unsure: bool = False
    earlier: bool = False  # left by an earlier run, begun or not
    fd: int = -1  # open on the file until the segment is stored: its bytes outlive a delete

    def add(self, columns: Columns, rows: int) -> None:
        if self.columns is None:
            self.columns = [list(column) for column in columns]
        else:
            for mine, theirs in zip(self.columns, columns, strict=True):
                mine.extend(theirs)
        self.row_count += rows


class Spool:
    def __init__(
        self,
        directory: Path,
        max_bytes: int,
        *,
        seal_rows: int = 50_000,
        seal_seconds: float = 1.0,
        lock: SpoolLock | None = None,
        max_segments: int | None = None,
    ) -> None:
        """``lock``: this process's lock on ``directory``, kept before each segment opens
        (see ``spool_lock``). ``max_segments``: see :func:`default_max_segments`."""
        self.directory = Path(directory)
        self._lock_on_directory = lock
        self.max_bytes = max_bytes
        self.max_segments = max_segments or default_max_segments()
        self.seal_rows = seal_rows
        self.seal_seconds = seal_seconds
        self.on_sealed: Callable[[Segment], None] = lambda segment: None
        # Sealed segments the sink has not taken up yet: while any wait, the open segment is
        # sealed by rows, not by age (a descriptor each, see the module's docstring).
        self.waiting: Callable[[], int] = lambda: 0
        self.on_damage: Callable[[int], None] = lambda damaged_bytes: None
        # A segment unreadable at start, read since (see _reread): the sink's, as sealed ones.
        self.on_recovered: Callable[[Segment], None] = lambda segment: self.on_sealed(segment)
        self._queue: queue.Queue[tuple[Columns, int, Future[None]] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._bytes = 0
        self._segments = 0
        self._sequence = 0
        self._current: Segment | None = None
        self._fd = -1
        self._thread: threading.Thread | None = None
        self._closed = False
        self.held: SpoolHeld | None = None  # the directory is another serve's now (see _open)
        self._undeleted: list[Path] = []  # stored segments whose delete failed (see remove)
        self._failed_writes = 0  # since the last write that succeeded
        self._write_error: int | str | None = None  # the last failure logged (see _write_failed)
        self._write_failure = ""  # its message, for readiness
        self._unread: dict[Path, str] = {}  # segments left by an earlier run, not readable yet
        # Segments holding damaged bytes that could not be copied into damaged/: their file
        # is the only copy, so it is neither rewritten nor deleted (see _keep_damaged).
        self._unkept: set[Path] = set()
        self.attempted = spool_merge.Attempted(self.directory)  # see spool_merge

    # ------------------------------------------------------------ state

    @property
    def depth_bytes(self) -> int:
        return self._bytes

    @property
    def segment_count(self) -> int:
        return self._segments

    def has_room(self) -> bool:
        return self._bytes < self.max_bytes and self._segments < self.max_segments

    @property
    def problem(self) -> str:
        """Why this spool takes no appends now ('' if it does): readiness reports it."""
        if self.held is not None:
            return str(self.held)
        unread = list(self._unread.items())  # the writer thread changes it
        if unread:
            path, error = unread[0]
            return (
                f"spool segment {path} cannot be read ({error}): exports are refused until it "
                "can, so that a resend of its spans is not stored twice; make it readable by "
                f"serve's user, or give its spans up: tokentrace spool discard {path}"
            )
        if self._write_error is not None:
            return f"cannot write in the spool directory: {self._write_failure}"
        if self._bytes < self.max_bytes and self._segments >= self.max_segments:
            return self._too_many_segments()
        return "" if self.has_room() else "spool full"

    def _full(self) -> str:
        """Why an append is refused for room ('' if there is room)."""
        if self._bytes >= self.max_bytes:
            return f"the spool holds {self._bytes} bytes, its limit"
        if self._segments >= self.max_segments:
            return self._too_many_segments()
        return ""

    def _too_many_segments(self) -> str:
        """Readiness's and the 503's line when the descriptors, not the bytes, are the bound:
        how far, and what to do (serve raises its soft limit to the hard one at start)."""
        return (
            f"spool full: {self._segments:,} of {self.max_segments:,} segments wait for the "
            "store, each keeping a file open; raise serve's hard open-files limit (ulimit -Hn, "
            "systemd's LimitNOFILE=) and restart it to spool more"
        )

    # --------------------------------------------------------- recovery

    def recover(self) -> list[Segment]:
        """The segments left by an earlier run, oldest first, each holding only whole records.

        A torn tail (a write a crash cut short: never acknowledged) is cut off. Damaged bytes
        are copied into ``damaged/``, logged and counted, and the segment is rewritten with
        every intact record, those after the damage included; a segment with none left is
        removed only once its bytes are kept aside.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        self._readmit_dead_segments()
        spool_merge.settle(self.directory)  # before the temporaries: a merge's is one
        self._settle_temporaries()
        segments = []
        for path in sorted(self.directory.glob(f"*{_SUFFIX}")):
            number = path.stem.split("-", 1)[0]
            if number.isdigit():
                self._sequence = max(self._sequence, int(number))
            try:
                segment = self._recover(path)
            except OSError as exc:
                self._unread[path] = str(exc)
                continue
            if segment is not None:
                segments.append(segment)
        # Numbered above every segment the sink began, whatever is left on disk: numbered from
        # 1 again in an emptied spool, a segment never begun counted as begun at the next start
        # (not merged, its resends not looked up: stored twice).
        self._sequence = max(self._sequence, self.attempted.load() or 0)
        if self._unread:
            log.error("%s", self.problem)
        return self._merge(segments)

    def _merge(self, segments: list[Segment]) -> list[Segment]:
        """``segments`` (recovered, oldest first) with those the sink never began to store
        merged, up to ``seal_rows`` rows each (``spool_merge``): one segment a start, each
        with a descriptor, filled the spool in a crash loop."""
        attempted = self.attempted.load()
        if attempted is None and segments:
            attempted = self.attempted.adopt(self._sequence)
        if attempted is None:
            for segment in segments:
                segment.unsure = True
            return segments
        unsure = self.attempted.unsure()
        merged: list[Segment] = []
        group: list[Segment] = []
        rows = 0
        for segment in segments:
            segment.unsure = spool_merge.number(segment.name) <= unsure
            begun = spool_merge.number(segment.name) <= attempted
            # One never begun cannot be in the store: the sink treats it as a new one (its
            # old spans looked up, ``stored_calls``), not as a replay (``stored_segments``).
            segment.recovered = begun
            if (
                begun
                or segment.path in self._unkept
                or segment.size > spool_merge.MAX_BYTES  # a full one: not worth reading now
            ):
                merged.append(segment)
                continue
            try:
                segment.columns = self.load(segment)
            except OSError as exc:
                log.error("spool: cannot read %s to merge it: %s", segment.name, exc)
                segment.columns = None
            if not segment.columns:  # unreadable, or no record decodes: left as it is
                merged.append(segment)
                continue
            if group and rows + segment.row_count > self.seal_rows:
                merged.extend(self._merged(group))
                group, rows = [], 0
            group.append(segment)
            rows += segment.row_count
        merged.extend(self._merged(group))
        for segment in merged:
            segment.columns = None  # read again when wanted: not the whole spool in memory
        return merged

    def _merged(self, group: list[Segment]) -> list[Segment]:
        """One segment holding the records of ``group``, which are deleted; ``group`` as it is
        should that fail (logged: it is merged at a later start)."""
        if len(group) < 2:
            return group
        self._sequence += 1
        name = f"{self._sequence:012d}-{secrets.token_hex(6)}"
        path = self.directory / f"{name}{_SUFFIX}"
        try:
            listing = spool_merge.begin(self.directory, name, [s.path for s in group])
            replace_whole(path, b"".join(_bytes_of(segment) for segment in group))
            fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            log.error("spool: cannot merge %d segments left by earlier runs: %s", len(group), exc)
            return group
        for segment in group:
            with contextlib.suppress(OSError):
                segment.path.unlink()
        with contextlib.suppress(OSError):
            spool_merge.fsync_directory(self.directory)
            listing.unlink()
        merged = Segment(name=name, path=path, size=sum(s.size for s in group), fd=fd, earlier=True)
        for segment in group:
            merged.row_count += segment.row_count
            segment.columns = None
            os.close(segment.fd)
            segment.fd = -1
        with self._lock:
            self._segments -= len(group) - 1
        log.warning("spool: merged %d segments left by earlier runs (%d rows) into %s",
                    len(group), merged.row_count, name)  # fmt: skip
        return [merged]

    def rewrite(self, segment: Segment, columns: Columns) -> None:
        """Write ``segment`` again holding only ``columns``, whole or not at all (raises
        OSError); the sink's thread only, before it begins to store the segment.

        The sink leaves out the rows of a new segment that ``llm_calls`` holds already (resent
        spans, ``stored_calls``), but a segment it began is replayed after a crash as it is,
        without that lookup (its own rows may be in the store by then): its resent rows were
        stored at the replay. Written without them first, the segment replays what was
        inserted under its token."""
        self._keep_lock()
        data = b"".join(_records(columns)) if columns and columns[0] else b""
        replace_whole(segment.path, data)
        fd = os.open(segment.path, os.O_RDONLY)
        if segment.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(segment.fd)
        segment.fd = fd
        with self._lock:
            self._bytes += len(data) - segment.size
        segment.size = len(data)

    def attempting(self, segment: Segment) -> None:
        """The sink is about to store ``segment``: noted first, so that no later start merges
        it (``spool_merge``)."""
        self.attempted.note(segment.name)

    def _recover(self, path: Path) -> Segment | None:
        """The segment at ``path`` left by an earlier run, holding only its whole records; None
        if it holds none. Raises OSError if it cannot be read now.

        A file that cannot be read (its permissions, a disk error) holds spans acknowledged
        before, whose keys the deduper cannot learn: a sender resending one of them (its answer
        lost in the crash) would have it stored anew, and again once the file is read. So it is
        kept in ``_unread``, exports are refused meanwhile (:attr:`problem`, 503, retried), and
        the writer reads it again every second (:meth:`_reread`).
        """
        try:
            data = path.read_bytes()
        except IsADirectoryError as exc:  # not a segment: nothing a restart would change
            log.error("spool: cannot read %s, left where it is: %s", path, exc)
            return None
        found = self._read(path, data)
        try:
            if path not in self._unkept:  # else its damaged bytes are nowhere else
                _tidy(path, data, found)
        except OSError as exc:  # a full disk, say: loading skips the same bytes anyway
            log.error("spool: cannot rewrite %s, read as it is: %s", path.name, exc)
        if not found.records:
            return None
        fd = os.open(path, os.O_RDONLY)  # as rewritten by _tidy
        size = sum(end - start for start, end in found.records)
        with self._lock:
            self._bytes += size
            self._segments += 1
        unsure = spool_merge.number(path.stem) <= self.attempted.unsure()
        return Segment(
            name=path.stem, path=path, size=size, recovered=True, unsure=unsure, earlier=True, fd=fd
        )

    def _reread(self) -> None:
        """Read again the segments unreadable at start; each one read goes to the sink
        (:attr:`on_recovered`), and once none is left, exports are taken again."""
        for path in list(self._unread):
            if not path.exists():
                # Moved away by hand: its spans are given up, as the problem said.
                log.warning("spool: %s is gone; its spans are given up", path.name)
                del self._unread[path]
                continue
            try:
                segment = self._recover(path)
            except OSError as exc:
                self._unread[path] = str(exc)
                continue
            log.warning("spool: %s can be read now; replaying it", path.name)
            if segment is not None:
                self.on_recovered(segment)  # its keys known before exports are taken again
            del self._unread[path]
        if not self._unread:
            log.warning("spool: every segment left by the last run is read; taking exports")

    def _settle_temporaries(self) -> None:
        """Finish or remove the temporary files a crash left mid-:func:`replace_whole`.

        ``X.wal.tmp`` beside ``X.wal`` is a rewrite of ``X.wal`` without its damaged bytes (kept
        aside before) or its torn tail: everything in it is in ``X.wal``, so it is removed.
        Without ``X.wal`` it is a segment being written again from memory (:meth:`keep`), its
        file deleted before it was stored: it holds acknowledged rows nowhere else, so it
        becomes ``X.wal`` and is recovered as any segment (a torn last record cut off). In
        ``damaged/``, ``*.tmp`` is a copy of damaged bytes whose segment was not rewritten
        yet (that waits for the copy): removed, the next read copies them again. They were
        never removed, and piled up with each crash.
        """
        for temporary in sorted(self.directory.glob(f"*{_SUFFIX}.tmp")):
            segment = temporary.with_suffix("")
            try:
                if segment.exists():
                    temporary.unlink()
                    log.warning("spool: removed %s, a copy of %s cut short", temporary, segment)
                else:
                    temporary.replace(segment)
                    log.warning("spool: recovered %s, written again from memory", segment)
            except OSError as exc:
                log.error("spool: cannot settle %s: %s", temporary.name, exc)
        damaged = self.directory / "damaged"
        for temporary in sorted(damaged.glob("*.tmp")) if damaged.is_dir() else ():
            with contextlib.suppress(OSError):
                temporary.unlink()

    def _readmit_dead_segments(self) -> None:
        """Put back segments earlier versions moved to ``dead/`` on any insert error.

        Those versions gave up on a whole segment after five failed inserts, whatever the
        cause (a full disk included), and nothing ever read ``dead/`` again: its rows were
        acknowledged and never stored. Replayed now, they are stored, or bisected down to the
        rows ClickHouse refuses, which go to the dead-letter table.
        """
        dead = self.directory / "dead"
        for path in sorted(dead.glob(f"*{_SUFFIX}")) if dead.is_dir() else ():
            path.replace(self.directory / path.name)
            log.warning("spool: replaying %s, set aside by an earlier version", path.name)

    def load(self, segment: Segment) -> Columns:
        """The columns of every row in ``segment``, read back from disk.

        A record whose checksums hold but whose payload is not columns (written by another
        version or a bug) is damage like any other: kept aside, and the rest is loaded.
        Raising instead would stop every start-up at the same record.
        """
        loaded = Segment(segment.name, segment.path)
        data = _bytes_of(segment)
        found = self._read(segment.path, data)
        for (start, end), payload in zip(found.records, found.payloads, strict=True):
            try:
                columns = pickle.loads(payload)
                rows = _row_count(columns, loaded.columns)
            except Exception as exc:
                why = f"a record that does not decode: {type(exc).__name__}: {exc}"
                self._keep_damaged(segment.path, data, start, end, why, len(found.records))
                continue
            loaded.add(columns, rows)
        segment.row_count = loaded.row_count
        return loaded.columns or []

    def _read(self, path: Path, data: bytes) -> spool_records.Scan:
        """Scan a segment; damaged ranges are kept in ``damaged/``, logged and counted."""
        found = spool_records.scan(data)
        for start, end in found.damaged:
            self._keep_damaged(path, data, start, end, "checksums do not match", len(found.records))
        return found

    def _keep_damaged(
        self, path: Path, data: bytes, start: int, end: int, why: str, intact: int
    ) -> None:
        """Copy bytes ``start``-``end`` of ``path`` into ``damaged/``, log and count them once.

        A copy that fails (a full disk, ``damaged`` not a directory) must not stop the intact
        records being read, and must not cost the damaged bytes either: the segment is then
        the only copy, so it is left as it is (not rewritten without them) and, once stored,
        moved into ``damaged/`` whole rather than deleted (:meth:`remove`). Deleted, the bytes
        were gone though the log said they could not be kept.
        """
        target = self.directory / "damaged" / f"{path.stem}-{start:012d}.bin"
        if target.exists():
            return  # kept (and counted) when this segment was read before
        try:
            target.parent.mkdir(mode=0o700, exist_ok=True)
            replace_whole(target, data[start:end])
            kept = f"the bytes are kept in {target}"
        except OSError as exc:
            self._unkept.add(path)
            kept = (
                f"the bytes could not be kept aside ({exc}), so {path.name} is kept whole "
                "until they can be"
            )
        self.on_damage(end - start)
        log.error(
            "spool: %s is damaged at bytes %d-%d (%s); reading on from the next intact record "
            "(%d records in all); %s",
            path.name, start, end, why, intact, kept,
        )  # fmt: skip

    # ------------------------------------------------------------ writes

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tokentrace-spool", daemon=True)
        self._thread.start()

    def append(self, columns: Columns, rows: int) -> Future[None]:
        """Queue ``rows`` rows (as ``columns``) for the log; resolves once fsynced."""
        if self._closed:
            raise SpoolFull("the spool is closed")
        if self._unread and (problem := self.problem):
            raise SpoolFull(problem)
        if full := self._full():
            raise SpoolFull(full)
        future: Future[None] = Future()
        self._queue.put((columns, rows, future))
        return future

    def close(self) -> None:
        """Write what is queued, seal the open segment and stop the writer."""
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()

    def remove(self, segment: Segment) -> None:
        """The sink has stored ``segment``: delete it.

        A delete that fails (the spool's directory made read-only, its disk remounted so) is
        logged, not raised: the rows are stored. It is tried again (:meth:`retry_removals`)
        until it succeeds. A file left on disk is found stored at the next start
        (``stored_segments``) and deleted then.
        """
        if segment.path in self._unkept:
            self._set_aside(segment)
            return
        try:
            segment.path.unlink(missing_ok=True)
        except OSError as exc:
            log.error(
                "spool: %s is stored but cannot be deleted (%s); trying again until it can "
                "(if serve stops first, the next start finds it stored and deletes it)",
                segment.name, exc,
            )  # fmt: skip
            self._undeleted.append(segment.path)
        self._forget(segment)

    def _set_aside(self, segment: Segment) -> None:
        """Move a stored segment whose damaged bytes are nowhere else into ``damaged/`` whole
        (a rename: no room needed); if even that fails, leave it in the spool, where the next
        start copies its damaged bytes aside, finds it stored and deletes it."""
        target = self.directory / "damaged" / segment.path.name
        try:
            target.parent.mkdir(mode=0o700, exist_ok=True)
            segment.path.replace(target)
        except OSError as exc:
            log.error(
                "spool: %s is stored, but holds damaged bytes that could not be kept aside and "
                "cannot be moved into %s (%s): left in the spool directory; the next start "
                "keeps them aside and deletes it",
                segment.name, target.parent, exc,
            )  # fmt: skip
        else:
            self._unkept.discard(segment.path)
            log.warning("spool: %s is stored; kept whole in %s for its damaged bytes",
                        segment.name, target)  # fmt: skip
        self._forget(segment)

    def keep(self, segment: Segment, columns: Columns | None = None) -> None:
        """Write ``segment`` again if its file was deleted before it was stored, from its open
        descriptor (or ``columns``, its rows in memory, for a segment without one); the
        sink's thread only, while the store refuses it or as serve stops.

        The spool's files removed while ClickHouse was away (``rm -rf`` to free the disk, a
        tmp cleaner) took acknowledged rows with them: they were stored if the store came
        back before serve stopped, and lost if it stopped first (5,700 of 9,200 acknowledged
        spans, BENCHMARKS.md, sixth round); written again from the sink's memory since, but
        only the 200,000 rows it keeps there (seventh round). Written again under the same
        name, its replay keeps the same deduplication token.
        """
        if segment.path.exists():
            return
        try:
            data = _bytes_of(segment) if segment.fd >= 0 else b"".join(_records(columns or []))
            if not data:
                return
            self.directory.mkdir(parents=True, exist_ok=True)
            self._keep_lock()
            replace_whole(segment.path, data)
        except OSError as exc:
            log.error(
                "spool: %s was deleted before it was stored, and cannot be written again (%s): "
                "its rows are only in this process",
                segment.name, exc,
            )  # fmt: skip
            return
        log.warning("spool: %s was deleted before it was stored; written again", segment.name)

    def retry_removals(self) -> None:
        """Delete the stored segments whose delete failed before; the sink's thread only."""
        if not self._undeleted:
            return
        left = []
        for path in self._undeleted:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                left.append(path)
                continue
            log.warning("spool: %s is deleted now (it was stored before)", path.stem)
        self._undeleted = left

    def _forget(self, segment: Segment) -> None:
        segment.columns = None
        if segment.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(segment.fd)
            segment.fd = -1
        with self._lock:
            self._bytes -= segment.size
            self._segments -= 1

    def _run(self) -> None:
        stopping = False
        while not stopping:
            current = self._current
            timeout = None
            if current is not None:
                timeout = current.opened + self.seal_seconds - time.monotonic()
                if timeout <= 0:  # due, and kept open while the sink had segments waiting
                    timeout = _WAITING_RECHECK_SECONDS
            elif self.held is not None or self._failed_writes or self._unread:
                timeout = _HELD_RECHECK_SECONDS
            batch: list[tuple[Columns, int, Future[None]]] = []
            try:
                item = self._queue.get(timeout=timeout)
                while True:
                    if item is None:
                        stopping = True
                        break
                    batch.append(item)
                    if len(batch) >= _MAX_GROUP:
                        break
                    item = self._queue.get_nowait()
            except queue.Empty:
                pass
            if batch:
                self._write(batch)
            elif self.held is not None:
                # Not ready, so no exports come to retry the lock: look again unasked.
                with contextlib.suppress(OSError):
                    self._keep_lock()
            elif self._failed_writes:
                self._probe()  # the same, while writes fail
            if self._unread:
                self._reread()
            current = self._current
            if current is not None and (stopping or self._due(current)):
                self._seal()

    def _due(self, segment: Segment) -> bool:
        """Whether the open ``segment`` is sealed for its age: ``seal_seconds`` old, and no
        sealed segment waits for the sink (else it grows until ``seal_rows``)."""
        return time.monotonic() >= segment.opened + self.seal_seconds and not self.waiting()

    def _write(self, batch: list[tuple[Columns, int, Future[None]]]) -> None:
        buffers: list[bytes] = []
        for columns, _, _ in batch:
            buffers.extend(_records(columns))
        size = sum(len(buffer) for buffer in buffers)
        try:
            segment = self._current or self._open()
            spool_records.write_all(self._fd, buffers)
            os.fdatasync(self._fd)
            if os.fstat(self._fd).st_nlink == 0:
                raise FileNotFoundError(f"{segment.path} was deleted while it was being written")
        except OSError as exc:
            if not isinstance(exc, SpoolHeld):  # logged once by _keep_lock
                self._write_failed(exc)
            self._undo_partial_write()
            for _, _, future in batch:
                resolve(future, exc)
            return
        self._writes_again()
        for columns, rows, _ in batch:
            segment.add(columns, rows)
        segment.size += size
        with self._lock:
            self._bytes += size
        if segment.row_count >= self.seal_rows:
            # Sealed before the acknowledgement: whoever has been answered can rely on a full
            # segment being the sink's already (a sink said idle then has stored it).
            self._seal()
        for _, _, future in batch:
            resolve(future, None)

    def _write_failed(self, exc: OSError) -> None:
        """Log a failed write once per kind of failure (its errno), not once per write: while
        the directory is unwritable every export fails, hundreds a minute under load.
        Readiness reports it (:attr:`problem`) until a write succeeds."""
        self._failed_writes += 1
        kind = exc.errno or str(exc)
        if kind == self._write_error:
            return
        self._write_error, self._write_failure = kind, str(exc)
        log.error(
            "spool: cannot write in %s (%s): exports are answered 503 until it can; check the "
            "directory's permissions, its free space and its disk",
            self.directory, exc,
        )  # fmt: skip

    def _writes_again(self) -> None:
        if self._failed_writes:
            log.warning(
                "spool: writing in %s again, after %d failed writes",
                self.directory, self._failed_writes,
            )  # fmt: skip
            self._failed_writes, self._write_error = 0, None

    def _probe(self) -> None:
        """Write, sync and delete a file as a segment's first write would, to find out whether
        the directory takes writes again; only while writes fail and no export comes to try
        (readiness reports the failure, so a load balancer sends none)."""
        path = self.directory / ".probe"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._keep_lock()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                spool_records.write_all(fd, [bytes(_PROBE_BYTES)])
                os.fdatasync(fd)
                spool_merge.fsync_directory(self.directory)
            finally:
                os.close(fd)
                with contextlib.suppress(OSError):
                    path.unlink()
        except OSError:
            return
        self._writes_again()

    def _open(self) -> Segment:
        self.directory.mkdir(parents=True, exist_ok=True)  # deleted under a running serve
        self._keep_lock()
        self._sequence += 1
        name = f"{self._sequence:012d}-{secrets.token_hex(6)}"
        path = self.directory / f"{name}{_SUFFIX}"
        # Read and write: the descriptor stays the sealed segment's (Segment.fd).
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        try:
            spool_merge.fsync_directory(self.directory)
        except OSError:
            # The file's name may not survive a crash, so nothing is written to it: closed
            # and removed (every failed open leaked a descriptor until the process ran out).
            os.close(fd)
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        self._fd = fd
        self._current = Segment(name=name, path=path, opened=time.monotonic())
        with self._lock:
            self._segments += 1
        return self._current

    def _keep_lock(self) -> None:
        """Hold the spool directory's lock before a segment opens in it (see ``spool_lock``).

        A directory re-created under this serve and taken by another one fails every write
        (503, retried) and readiness, logged once, until the other serve lets go of it.
        """
        if self._lock_on_directory is None:
            return
        try:
            self._lock_on_directory.keep()
        except SpoolHeld as exc:
            if self.held is None:
                log.error(
                    "spool: %s; until it is free again this serve refuses every export (503) "
                    "and /readyz reports not ready",
                    exc,
                )
            self.held = exc
            raise
        if self.held is not None:
            log.warning("spool: %s is this serve's again; taking exports", self.directory)
        self.held = None

    def _undo_partial_write(self) -> None:
        """Cut the segment back to its last whole record after a failed write."""
        if self._current is None:
            return
        try:
            os.ftruncate(self._fd, self._current.size)
            os.fsync(self._fd)
        except OSError as exc:
            log.error("spool: cannot cut back %s: %s", self._current.path.name, exc)
        self._seal()

    def _seal(self) -> None:
        segment = self._current
        if segment is None:
            return
        fd, self._fd = self._fd, -1
        self._current = None
        if segment.size == 0:
            os.close(fd)
            segment.path.unlink(missing_ok=True)
            with self._lock:
                self._segments -= 1
            return
        segment.fd = fd
        self.on_sealed(segment)


def resolve(future: Future[None], error: BaseException | None) -> None:
    """Resolve ``future`` unless its waiter cancelled it: a waiter going away (asyncio's
    ``wrap_future`` cancels what it waits on) must not stop the thread resolving it."""
    with contextlib.suppress(InvalidStateError):
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


def _tidy(path: Path, data: bytes, found: spool_records.Scan) -> None:
    """Leave ``path`` holding only its whole records: removed if it has none, rewritten
    without its damaged bytes (kept aside already), or cut back before a torn tail."""
    if not found.records:
        path.unlink()
    elif found.damaged:
        replace_whole(path, b"".join(data[start:end] for start, end in found.records))
    elif found.torn_at is not None:
        log.warning("spool: cutting a torn record off %s at byte %d", path.name, found.torn_at)
        with path.open("r+b") as file:
            file.truncate(found.torn_at)
            os.fsync(file.fileno())


def _row_count(columns: Any, like: Columns | None) -> int:
    """The rows in a decoded record; raises ValueError unless it is columns of one length
    (as many as ``like``'s, the segment's earlier records, if any)."""
    if not isinstance(columns, list) or not columns:
        raise ValueError(f"{type(columns).__name__}, not a list of columns")
    if not all(isinstance(column, list) for column in columns):
        raise ValueError("a column is not a list")
    rows = len(columns[0])
    if any(len(column) != rows for column in columns):
        raise ValueError("columns of different lengths")
    if like is not None and len(columns) != len(like):
        raise ValueError(f"{len(columns)} columns where the segment has {len(like)}")
    return rows


def _records(columns: Columns) -> list[bytes]:
    """The spool's record of ``columns``, as the writer appends it and a write-back rewrites
    it (``spool_records``' framing of their pickle)."""
    return spool_records.encode(pickle.dumps(columns, protocol=pickle.HIGHEST_PROTOCOL))


def _bytes_of(segment: Segment) -> bytes:
    """The bytes of ``segment``'s file, through its descriptor if it has one (whether or not
    the file is still in the directory)."""
    if segment.fd < 0:
        return segment.path.read_bytes()
    size = os.fstat(segment.fd).st_size
    chunks, offset = [], 0
    while offset < size:
        chunk = os.pread(segment.fd, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def replace_whole(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: a temporary file, fsynced, renamed over it."""
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        try:
            spool_records.write_all(fd, [data])
            os.fsync(fd)
        finally:
            os.close(fd)
        temporary.replace(path)
    except OSError:
        with contextlib.suppress(OSError):  # a full disk, say: leave no partial copy behind
            temporary.unlink()
        raise
    spool_merge.fsync_directory(path.parent)
