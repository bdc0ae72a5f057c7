"""Whether a retry under an insert's token is still deduplicated in the rollups, on a server.

A refused insert may have reached ``llm_calls`` and some rollups before the refusal (a rollup
out of space, too many parts): the sink retries the same rows under the same token, which
ClickHouse skips in every table that took them and writes in the others (``insert``). The
rollups' share of that token is the view's id, and ClickHouse names a view by its UUID when
it loaded the view from disk but by its name in the process that altered it
(``ALTER TABLE … MODIFY QUERY``, migrations 0005, 0010, 0017, 0034: measured on chDB 26.9, a view
created by ``CREATE`` alone keeps one id). So a server that ran such a migration, refused an
insert after a rollup took it and was restarted before the retry, counted the retry again in
that rollup: ``llm_calls`` 200, one rollup 300 (BENCHMARKS.md, fourteenth round); so would a
migration altering a view run by another serve between the refusal and the retry.

An embedded store reloads its views after migrating (``store.reload_views``) and restarts
only with serve, whose replay at start looks the rows up anyway: this is for a server. Its
*epoch* (when its process started, how many migrations it has recorded) is read after a
refusal and again before the retry; when it moved and a migration altering a view was applied
in the life of either process, the retry must not go under the token: the sink looks the rows
up instead, as after a lost answer (``sink._Attempt``). Two queries, on the refusal path only.
"""

from __future__ import annotations

import contextlib
import functools
import time
from pathlib import Path
from typing import Any

from tokentrace.processor.store.store import load_migrations

Epoch = tuple[int, int]  # the server process's start (Unix seconds), migrations it recorded
NOTE = "refused"  # in the spool directory: the segment whose whole insert was refused, and when
_SLACK_SECONDS = 2  # now() and uptime() straddle a second; applied_at is the server's clock


def epoch(client: Any) -> Epoch:
    """The server's epoch (see the module's docstring); raises as any query does."""
    started, migrations = client.query(
        "SELECT toUnixTimestamp(now()) - uptime(), (SELECT count() FROM schema_migrations)"
    ).result_rows[0]
    return int(started), int(migrations)


def epoch_or_none(client: Any) -> Epoch | None:
    """:func:`epoch`, or None when the server does not answer it (then :func:`moved` says
    yes: nothing is known of the process that refused)."""
    try:
        return epoch(client)
    except Exception:
        return None


def moved(client: Any, before: Epoch | None) -> bool:
    """Whether a retry now under the token of an insert refused at ``before`` could be
    counted again in a rollup that took the refused one. Raises as any query does."""
    now = epoch(client)
    if before is not None and abs(now[0] - before[0]) <= _SLACK_SECONDS and now[1] == before[1]:
        return False  # the same process, no migration since
    if before is None:
        return True
    altered = client.query(
        "SELECT count() FROM schema_migrations WHERE version IN {versions:Array(UInt32)} "
        "AND applied_at >= fromUnixTimestamp({since:Int64})",
        parameters={
            "versions": list(view_migrations()),
            "since": min(before[0], now[0]) - _SLACK_SECONDS,
        },
    ).result_rows[0][0]
    return bool(altered)


@functools.cache
def view_migrations() -> tuple[int, ...]:
    """The migrations that alter a materialized view's query (after which the process that
    ran them names the view otherwise than one loading it from disk)."""
    return tuple(
        migration.version
        for migration in load_migrations()
        if any("MODIFY QUERY" in statement.upper() for statement in migration.statements)
    )


def note(directory: Path, segment: str, rows: int, at: Epoch | None) -> None:
    """Note beside the spool that the whole insert of ``segment`` (``rows`` rows, under its
    name) was refused at epoch ``at``, for a restart of serve before its retry
    (:func:`noted`). Not synced, and a note that cannot be written is no note: the replay
    then looks the rows up, a rollup short at worst, said."""
    if at is None:
        return
    with contextlib.suppress(OSError):
        (directory / NOTE).write_text(f"{segment} {rows} {at[0]} {at[1]}\n")


def noted(directory: Path, segment: str, rows: int) -> Epoch | None:
    """The epoch at which the whole insert of ``segment`` was last refused, if that was the
    last thing done with it (:func:`forget` clears it once an insert goes through).

    A segment replayed at start is looked up before its insert (``sink._Attempt``), since an
    earlier run may have made the insert; but on a server that refused it part way (a rollup
    out of space once ``llm_calls`` took it), the rows found are then not sent again, and the
    rollup that refused stayed short (the ``reprice`` to run logged): serve restarted, the
    server not. Noted, and the server's epoch unmoved, the retry goes under the token again and
    completes that rollup, as it would have without the restart."""
    path = directory / NOTE
    try:
        name, count, started, migrations = path.read_text().split()
        # Within the hour a cluster keeps insert tokens (replicated_deduplication_window_
        # seconds): past it, the token may be forgotten and llm_calls take the rows again.
        if (name, int(count)) == (segment, rows) and time.time() - path.stat().st_mtime < 3600:
            return int(started), int(migrations)
    except (OSError, ValueError):
        pass
    return None


def present(directory: Path) -> bool:
    """Whether a note is beside the spool (one a stop left, for the sink of the next start)."""
    return (directory / NOTE).exists()


def forget(directory: Path) -> None:
    """An insert went through: the note no longer says the last thing done."""
    with contextlib.suppress(OSError):
        (directory / NOTE).unlink()
