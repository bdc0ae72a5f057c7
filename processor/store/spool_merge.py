"""Segments left by earlier runs merged at start, so that a crash loop does not fill the spool.

Each run leaves its open segment behind, and each segment not yet stored keeps a descriptor
(``spool``): restarted again and again while the store is away (a crash loop, a node drained
over and over), serve added a segment a start until the spool refused exports for its
segments ("spool full: 64 of 64 segments", at a hard open-files limit of 1,024), whatever it
held in bytes. So at start, the segments left over that the sink never began to store are
merged, up to ``seal_rows`` rows each, as the writer would have filled one.

Only those: a segment the sink began to store may be in ClickHouse already (a crash between
its insert and its delete), where its name (``stored_segments``) and its deduplication token
make its replay a no-op; merged under another name it would be stored twice. The sink notes
the sequence number of each segment it begins to store in ``attempted`` (fsynced, before the
insert: :class:`Attempted`); at start every segment numbered above it was never handed to
the store.

Without the file (a spool written by a release before it, at the first start after an
upgrade) no segment can be told begun or not: each may hold a resend that release admitted and
never looked up, or rows it inserted before a crash. Such segments are *unsure*
(:meth:`Attempted.adopt`): never merged (a begun one keeps its name and token), looked up in
the store as begun ones are (``stored_segments``) and, row by row, as new ones are
(``stored_calls``), every row whatever its span time. Replayed as begun, their resends were
stored twice.

A merge is crash-safe: the names of its sources go to ``N.merging`` first (fsynced), then
their records to ``N.wal`` (written whole and renamed), then the sources are deleted, then
the list. A start that finds a list settles it before anything else: with ``N.wal`` there the
merge happened and the sources left are deleted; without it they are the copies, and what
was being written is removed.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

ATTEMPTED = "attempted"
UNSURE = "attempted.unsure"  # the highest segment number a release without ATTEMPTED left
# Segments larger than this are left as they are (not read at start to be merged): those a
# crash loop leaves are the short runs' open ones; a segment sealed full (50,000 rows, about
# 13 MB of chat spans) is a descriptor well spent.
MAX_BYTES = 8 << 20
_LIST = ".merging"


def number(name: str) -> int:
    """A segment's sequence number, from its name (``<number>-<random>``); -1 if none."""
    head = name.split("-", 1)[0]
    return int(head) if head.isdigit() else -1


class Attempted:
    """The highest sequence number of a segment the sink began to store, kept on disk."""

    def __init__(self, directory: Path) -> None:
        self._path = Path(directory) / ATTEMPTED
        self._unsure_path = Path(directory) / UNSURE
        self._highest = -1
        self._fd = -1

    def unsure(self) -> int:
        """The highest number of a segment left by a release that kept no ``attempted`` file
        (:meth:`adopt`); -1 if none was."""
        try:
            text = self._unsure_path.read_text().strip()
        except OSError:
            return -1
        return int(text) if text.isdigit() else -1

    def adopt(self, highest: int) -> int | None:
        """Start the file in a spool that has none, every segment numbered up to ``highest``
        (those on disk) counted unsure; that number, or None if it cannot be written.

        ``attempted.unsure`` is written first, so that every later start knows those
        segments unsure (a start that merged them as never begun, once ``attempted`` exists,
        would look up only the old spans of a segment that may be in the store under its
        name); then ``attempted``, so that segments written from now on merge as before (a
        crash loop after an upgrade, the store away, piled up one segment a start)."""
        try:
            highest = max(highest, self.unsure(), 0)
            _write_number(self._unsure_path, highest)
        except OSError as exc:
            log.error("spool: cannot note the segments left by an earlier release (%s): "
                      "none merged", exc)  # fmt: skip
            return None
        self.note(f"{highest:012d}")
        return self.load()

    def load(self) -> int | None:
        """The number kept, or None when there is none to trust (no file: nothing merges).

        :meth:`note` writes no lower number after it: a replayed segment noted as it is begun
        (numbered below the last run's highest) lowered it, and at the next start the segments
        numbered between, begun by the last run, counted as never begun (merged under a new
        name, looked up as new)."""
        try:
            text = self._path.read_text().strip()
        except OSError:
            return None
        if not text.isdigit():
            return None
        self._highest = max(self._highest, int(text))
        return int(text)

    def note(self, name: str) -> None:
        """Note that segment ``name`` is about to be stored, before anything is inserted.

        Written in place (12 digits) and fsynced. Should that fail, the file is removed, so
        that the next start merges nothing rather than a segment that may be stored."""
        seen = number(name)
        if seen <= self._highest:
            return
        try:
            if self._fd < 0:
                self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT, 0o600)
            os.pwrite(self._fd, f"{seen:012d}\n".encode(), 0)
            os.fsync(self._fd)
        except OSError as exc:
            log.error("spool: cannot note %s as being stored (%s): no merge at the next start",
                      name, exc)  # fmt: skip
            self.close()
            with contextlib.suppress(OSError):
                self._path.unlink()
            return
        self._highest = seen

    def close(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1


def settle(directory: Path) -> None:
    """Finish or undo the merges a crash cut short (see the module's docstring)."""
    for listing in sorted(directory.glob(f"*{_LIST}")):
        target = listing.with_suffix(".wal")
        try:
            if target.exists():
                for source in listing.read_text().split():
                    (directory / source).unlink(missing_ok=True)
                    log.warning("spool: removed %s, merged into %s", source, target.name)
            else:
                target.with_name(target.name + ".tmp").unlink(missing_ok=True)
            fsync_directory(directory)
            listing.unlink()
        except OSError as exc:
            log.error("spool: cannot settle the merge %s: %s", listing.name, exc)


def begin(directory: Path, name: str, sources: list[Path]) -> Path:
    """Write the list of a merge's ``sources`` for segment ``name``, fsynced; its path."""
    listing = directory / f"{name}{_LIST}"
    fd = os.open(listing, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, "\n".join(source.name for source in sources).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_directory(directory)
    return listing


def fsync_directory(directory: Path) -> None:
    """Makes a directory's entries durable (a file created, renamed or removed in it): the
    spool's and the merge's one way to do it."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_number(path: Path, value: int) -> None:
    """Write ``value`` as ``path``'s whole content, fsynced with its directory entry."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, f"{value:012d}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_directory(path.parent)
