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
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

NAME = "lock"


class SpoolHeld(Exception):
    """Another process holds the spool directory."""

    def __init__(self, directory: Path, pid: int | None) -> None:
        holder = f"pid {pid}" if pid else "pid unknown"
        super().__init__(
            f"the spool directory {directory} is in use by another tokentrace serve ({holder}); "
            "stop it first, or give this one a spool of its own with --spool-dir DIR"
        )
        self.pid = pid


def hold(directory: Path) -> int:
    """Lock ``directory`` for this process; returns the locked descriptor (keep it open).

    Raises :class:`SpoolHeld` when another process holds it, OSError when it cannot be locked.
    """
    pid_file = Path(directory) / NAME
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SpoolHeld(Path(directory), _pid_in(pid_file)) from None
    except OSError:
        os.close(fd)
        raise
    with contextlib.suppress(OSError):  # the pid is for messages: a full disk must not stop serve
        pid_file.write_text(f"{os.getpid()}\n")
    return fd


def _pid_in(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
