"""One serve per spool directory: an exclusive lock held for the process's lifetime.

A serve recovers every segment it finds in its spool directory at start, inserts it and
deletes it. A second serve on the same directory (``--spool-dir`` given twice, or two serves
on different ``--clickhouse`` URLs, whose default spool is the same) took the first one's
segments, its open one included: it stored their rows in its own store (each counted in two
stores) and deleted files the first was still appending to; against one ClickHouse server the
first's insert of the whole segment then carried the token of the second's shorter insert of
it, and was dropped as a duplicate. The lock is a ``flock`` on the directory itself, released
by the kernel however the holder ends (SIGKILL included), so a crash never leaves it stale,
and no file of its own that a tmp cleaner could delete under a long-running serve; the holder's
pid is written beside it (``<spool>/lock``) only to be named in the message.

The lock is on the directory's inode, not its name: a spool directory deleted under a running
serve (``rm -rf`` to start afresh) and re-created by its next segment is a new, unlocked
directory, which a second serve could take. So the spool re-locks before it opens each
segment (:meth:`SpoolLock.keep`); if another serve got there first, the first one's requests
fail (503, retried) rather than its segments going into a directory someone else replays.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from pathlib import Path

NAME = "lock"


class SpoolHeld(OSError):
    """Another process holds the spool directory (an OSError: to the spool, a directory it
    cannot write to)."""

    def __init__(self, directory: Path, pid: int | None) -> None:
        holder = f"pid {pid}" if pid else "pid unknown"
        super().__init__(
            f"the spool directory {directory} is in use by another tokentrace serve ({holder}); "
            "stop it first, or give this one a spool of its own with --spool-dir DIR"
        )
        self.pid = pid


class SpoolLock:
    """The lock on one spool directory, held for this process's lifetime."""

    def __init__(self, directory: Path) -> None:
        """Raises :class:`SpoolHeld` when another process holds ``directory``, OSError when
        it cannot be locked."""
        self.directory = Path(directory)
        self._fd = _lock(self.directory)
        self._identity = _identity(self._fd)
        self._keeping = threading.Lock()  # the spool's writer and its sink both keep it

    def keep(self) -> None:
        """Lock the directory again if the one now at its path is not the one locked (it
        was deleted and re-created). Raises :class:`SpoolHeld` if another process holds
        the new one, OSError if there is none."""
        with self._keeping:
            now = os.stat(self.directory)
            if (now.st_dev, now.st_ino) == self._identity:
                return
            fd = _lock(self.directory)
            os.close(self._fd)
            self._fd, self._identity = fd, _identity(fd)

    def close(self) -> None:
        os.close(self._fd)


def _lock(directory: Path) -> int:
    """``directory`` opened and locked (the pid written beside it); raises as SpoolLock."""
    pid_file = directory / NAME
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SpoolHeld(directory, _pid_in(pid_file)) from None
    except OSError:
        os.close(fd)
        raise
    with contextlib.suppress(OSError):  # the pid is for messages: a full disk must not stop serve
        pid_file.write_text(f"{os.getpid()}\n")
    return fd


def _identity(fd: int) -> tuple[int, int]:
    status = os.fstat(fd)
    return status.st_dev, status.st_ino


def _pid_in(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
