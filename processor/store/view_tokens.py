"""Whether a retry under an insert's token is still deduplicated in the rollups, on a server.

A refused insert may have reached ``llm_calls`` and some rollups before the refusal (a rollup
out of space, too many parts): the sink retries the same rows under the same token, which
ClickHouse skips in every table that took them and writes in the others (``insert``). The
rollups' share of that token is the view's id, and ClickHouse names a view by its UUID when
it loaded the view from disk but by its name in the process that altered it
(``ALTER TABLE … MODIFY QUERY``, migrations 0005, 0010, 0017: measured on chDB 26.9, a view
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

import functools
from typing import Any

from tokentrace.processor.store.store import load_migrations

Epoch = tuple[int, int]  # the server process's start (Unix seconds), migrations it recorded
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
