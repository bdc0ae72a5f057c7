"""The ClickHouse store: one connection factory and versioned migrations.

The embedded engine (chDB, ``chdb:///path``) and a ClickHouse server (``http(s)://…``)
are the same code and the same SQL: clickhouse-connect picks the backend from the URL.
chDB allows one engine path per process, so a process opens the store once and
shares the client; readers of a running embedded store go through ``tokentrace serve``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client

ENV_URL = "TOKENTRACE_CLICKHOUSE_URL"
log = logging.getLogger(__name__)
_EMBEDDED: weakref.WeakSet[Client] = weakref.WeakSet()  # clients of chDB stores (migrate)


def default_data_dir() -> Path:
    """Where the embedded store lives unless told otherwise (XDG data home)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tokentrace" / "chdb"


def default_url() -> str:
    """``TOKENTRACE_CLICKHOUSE_URL`` if set, else the embedded store in the data dir."""
    return os.environ.get(ENV_URL) or f"chdb://{default_data_dir()}"


@dataclass(frozen=True)
class StoreURL:
    """A parsed store URL; ``database`` applies to both backends."""

    url: str
    embedded: bool
    path: str
    database: str

    @classmethod
    def parse(cls, url: str) -> StoreURL:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        if parts.scheme == "chdb":
            path = unquote(parts.netloc + parts.path)
            if not path or path == "/":
                raise ValueError(
                    f"chdb URL needs a data directory, e.g. chdb:///var/lib/x: {url!r}"
                )
            database = query.get("database", ["default"])[0]
            return cls(url=url, embedded=True, path=path, database=_database(database, url))
        if parts.scheme in ("http", "https"):
            database = parts.path.strip("/") or query.get("database", ["default"])[0]
            return cls(url=url, embedded=False, path="", database=_database(database, url))
        raise ValueError(
            f"unsupported ClickHouse URL {url!r}: use chdb:///path or http(s)://user:pass@host:8123/db"
        )


START_SECONDS = 10  # how long serve's start waits for a ClickHouse server's first answer
# How long the sink's connection waits for a ClickHouse server to say anything (see connect).
SILENCE_SECONDS = 20


def _server_client(url: str, **options: Any) -> Client:
    """A clickhouse-connect client of the ClickHouse server at ``url`` (its scheme, host,
    port and credentials), with clickhouse-connect's ``options``."""
    parts = urlsplit(url)
    return clickhouse_connect.get_client(
        interface=parts.scheme,
        host=parts.hostname or "localhost",
        port=parts.port or (8443 if parts.scheme == "https" else 8123),
        username=unquote(parts.username or "default"),
        password=unquote(parts.password or ""),
        **options,
    )


def answers(url: str, seconds: float = START_SECONDS) -> None:
    """Raise unless the ClickHouse server at ``url`` answers ``SELECT 1`` within ``seconds``.

    clickhouse-connect waits 300 s for an answer, and does so again for each query it makes as
    it connects: a server that takes connections and never answers (hung, or a load balancer
    with no backend left) kept serve from starting at all, nothing acknowledged (a hanging
    stand-in: no /healthz answer in 180 s). Asked first with this bound, such a server is
    reported unreachable, serve starts spooling, and its sink connects later as usual.
    """
    client = _server_client(
        StoreURL.parse(url).url,
        connect_timeout=seconds,
        send_receive_timeout=seconds,
        query_retries=0,
    )
    try:
        client.command("SELECT 1")
    finally:
        client.close()


def connect(
    url: str | None = None,
    database: str | None = None,
    create_database: bool = True,
    *,
    silence_seconds: float | None = None,
) -> Client:
    """Open the store at ``url`` (default: :func:`default_url`), creating the database
    unless ``create_database`` is False (readers: then a missing one is a LookupError).

    ``silence_seconds``: on a ClickHouse server, how long any request (the connect's own
    included) may go without a byte of answer before it fails; clickhouse-connect's own
    bound is 300 s. The sink's connection sets it (:data:`SILENCE_SECONDS`): a server that
    stopped answering mid-run (a network partition leaving the connection half-open, a
    load balancer whose backend died) held its insert for 300 s, and a request lost that
    way held it so even after the server was back; the spool meanwhile filled and
    ``/readyz/store`` said ready. A live server is never cut short by it: clickhouse-connect
    asks for progress headers every ``silence_seconds - 5`` s (at least 10 s) while a query
    runs, so a long insert or migration keeps answering. An insert that failed so is retried
    under its token: one that landed after all is not stored twice.
    """
    parsed = StoreURL.parse(url or default_url())
    db = database or parsed.database
    if parsed.embedded:
        owner_only(Path(parsed.path))
        client = clickhouse_connect.get_client(dsn=f"chdb://{parsed.path}")
        _EMBEDDED.add(client)
    elif silence_seconds is not None:
        client = _server_client(parsed.url, send_receive_timeout=silence_seconds)
    else:
        client = _server_client(parsed.url)
    # Create only when missing: a read-only user (Grafana's, `tokentrace report`'s) may not
    # run DDL at all, not even CREATE ... IF NOT EXISTS.
    if db != "default" and not client.command(f"EXISTS DATABASE {quote_identifier(db)}"):
        if not create_database:
            raise LookupError(f"database {db!r} does not exist")
        client.command(f"CREATE DATABASE IF NOT EXISTS {quote_identifier(db)}")
    client.database = db
    return client


class StoreGone(Exception):
    """The embedded store this process opened is no longer on disk."""


def embedded_watch(url: str) -> Callable[[], None] | None:
    """For an embedded store this process has open: a check that raises :class:`StoreGone`
    once the store's directory was emptied or replaced under it. None for a server.

    chDB goes on taking inserts into a data directory deleted under it (``rm -rf`` to start
    afresh, a tmp cleaner): it re-creates the part directories and writes, with no table
    metadata left to find them by, so rows it acknowledges are gone at the next start. The
    engine's ``status`` file (which it locks while it runs) is created when it opens and kept
    until it closes: another file, or none, where it was means the store is not this one.
    """
    parsed = StoreURL.parse(url)
    if not parsed.embedded:
        return None
    status = Path(parsed.path) / "status"
    try:
        opened = status.stat()
    except OSError:  # an engine that keeps no status file: nothing to compare with
        return None

    def check() -> None:
        try:
            now = status.stat()
        except FileNotFoundError:
            now = None
        if now is None or (now.st_dev, now.st_ino) != (opened.st_dev, opened.st_ino):
            raise StoreGone(
                f"the embedded store {parsed.path} was deleted or replaced while serve ran; "
                "restart serve: what is spooled is kept and goes into the store it opens"
            )

    return check


def owner_only(directory: Path) -> Path:
    """``directory`` created (or tightened) to 0700, and this process's new files to 0600.

    The store and the spool hold every tenant's, user's and team's spend; on a shared
    machine they are nobody else's business. chDB and the spool create files as they go,
    so the process's umask becomes 077 rather than each file being chmod-ed. A directory
    someone else owns is left as it is (it is theirs to lock down).
    """
    os.umask(0o077)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):
        directory.chmod(0o700)
    return directory


def _database(name: str, url: str) -> str:
    """A database name the migrations can create (``quote_identifier``'s rule), checked with
    the URL: ``?database=bad-name`` was a ValueError traceback from ``tokentrace migrate``."""
    try:
        quote_identifier(name)
    except ValueError:
        raise ValueError(
            f"invalid database {name!r} in {url!r}: use letters, digits and _, "
            "e.g. ?database=tokentrace"
        ) from None
    return name


def quote_identifier(name: str) -> str:
    """Backquote an identifier; rejects what could never be a database or table name."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"invalid identifier {name!r}")
    return f"`{name}`"


# ---------------------------------------------------------------- migrations

_MIGRATION_FILE = re.compile(r"^(\d{4})_(\w+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def load_migrations() -> list[Migration]:
    """The versioned migrations shipped in ``processor/store/migrations``, in order."""
    folder = resources.files("tokentrace.processor.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_FILE.match(entry.name)
        if match:
            found.append(
                Migration(int(match[1]), match[2], tuple(split_statements(entry.read_text())))
            )
    return sorted(found, key=lambda m: m.version)


def split_statements(sql: str) -> list[str]:
    """Split a migration file on ``;`` at line ends, dropping comment-only chunks."""
    body = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*$", body, flags=re.M) if s.strip()]


def render(statement: str, cluster: str | None = None) -> str:
    """Fill ``{on_cluster}``; on a cluster, MergeTree engines become Replicated ones."""
    if not cluster:
        return statement.replace(" {on_cluster}", "")
    on = f" ON CLUSTER {quote_identifier(cluster)}"
    statement = statement.replace(" {on_cluster}", on)

    def replicated(match: re.Match[str]) -> str:
        args = match[2] or ""
        extra = f", {args}" if args else ""
        return (
            f"ENGINE = Replicated{match[1]}"
            f"('/clickhouse/tables/{{shard}}/{{database}}/{{table}}', '{{replica}}'{extra})"
        )

    return re.sub(r"ENGINE = (\w*MergeTree)(?:\(([^)]*)\))?", replicated, statement)


def migrate(client: Client, cluster: str | None = None) -> list[int]:
    """Apply the migrations not yet recorded; returns the versions applied now.

    On an embedded store that took any, the materialized views are reloaded from disk
    (:func:`reload_views`) before anything is inserted through them. Not on a ClickHouse
    server, where other serves insert meanwhile (see there).

    A migration stopped part way (serve killed on a slow first start) is run again whole at
    the next start, since its version is recorded only after its last statement. Its DDL is
    written to be run again (``IF NOT EXISTS``, ``MODIFY``); a backfill (``INSERT … SELECT``
    into a rollup, 0010 and 0017) is not, and ran twice it added its sums twice. Each one
    carries a deduplication token of its own (:func:`run_statements`), so that run again
    it is a no-op.
    """
    client.command(
        render(
            "CREATE TABLE IF NOT EXISTS schema_migrations {on_cluster} "
            "(version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) "
            "ENGINE = ReplacingMergeTree ORDER BY version",
            cluster,
        )
    )
    done = {row[0] for row in client.query("SELECT version FROM schema_migrations").result_rows}
    attach_detached_views(client, done)
    applied = []
    for migration in load_migrations():
        if migration.version in done:
            continue
        run_statements(client, migration, cluster)
        client.insert(
            "schema_migrations",
            [[migration.version, migration.name]],
            column_names=["version", "name"],
        )
        applied.append(migration.version)
    if applied and client in _EMBEDDED:
        reload_views(client)
    return applied


def attach_detached_views(client: Client, done: set[int]) -> None:
    """ATTACH again each materialized view of the ``done`` migrations that is missing: one
    :func:`reload_views` detached and could not attach again (the connection lost between
    the two) would leave every later insert out of its rollup, silently."""
    for migration in load_migrations():
        if migration.version not in done:
            continue
        for statement in migration.statements:
            view = _VIEW.match(statement)
            if view and not client.command(f"EXISTS TABLE {quote_identifier(view[1])}"):
                client.command(f"ATTACH TABLE {quote_identifier(view[1])}")
                log.warning("materialized view %s was detached; attached again", view[1])


_VIEW = re.compile(r"CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+)")


def run_statements(client: Client, migration: Migration, cluster: str | None = None) -> None:
    """Run ``migration``'s statements, not recording it (:func:`migrate` does, after)."""
    for index, statement in enumerate(migration.statements):
        settings = _statement_settings(migration, index, statement)
        client.command(render(statement, cluster), settings=settings)


def _statement_settings(migration: Migration, index: int, statement: str) -> dict[str, Any]:
    """For an ``INSERT``: a deduplication token naming the statement, so that the same
    statement run again inserts nothing (the rollups keep 100,000 blocks' tokens)."""
    if not statement.lstrip().upper().startswith("INSERT"):
        return {}
    return {
        "insert_deduplication_token": f"tokentrace-migration-{migration.version:04d}-{index}",
        "insert_deduplicate": 1,
    }


def recreate(client: Client, table: str, cluster: str | None = None) -> list[int]:
    """Create ``table`` again as the migrations leave it; returns the versions that shape it.

    For the sink's own bookkeeping tables (``llm_stored_segments``, ``llm_call_keys``,
    ``dead_letters``): dropped by hand, every insert waited on them for good, since ``migrate``
    had recorded their migrations already. The table is created by the statement that first
    created it, then altered by every later ``ALTER TABLE`` of it, in order, so that it gets
    the columns later migrations added (0027 and 0028 add ``dead_letters``' day, hour and
    dimensions, which every view counting dead letters reads); a backfill is left out, the
    table being empty.
    """
    name = re.escape(table)
    creates = re.compile(rf"CREATE TABLE IF NOT EXISTS {name}\b")
    alters = re.compile(rf"ALTER TABLE {name}\b")
    versions: list[int] = []
    for migration in load_migrations():
        for statement in migration.statements:
            pattern = alters if versions else creates
            if pattern.match(statement):
                client.command(render(statement, cluster))
                if migration.version not in versions:
                    versions.append(migration.version)
    if not versions:
        raise ValueError(f"no migration creates {table}")
    return versions


def reload_views(client: Client) -> None:
    """Detach and re-attach every materialized view, so that this process runs each view as
    it is stored on disk, exactly as every later process will.

    ClickHouse's deduplication of the blocks a view writes (``insert_deduplication_token``
    with ``deduplicate_blocks_in_dependent_materialized_views``) gives them other ids in a
    process that created (or altered) the view than in one that loaded it from disk
    (measured on chDB 26.9: llm_calls deduplicates, the rollups do not). A segment stored by
    the serve that ran the migrations, then replayed after a crash (stored but not yet
    deleted), was counted twice in every rollup; so was a dead-letter replay repeated.
    Embedded stores only. A ClickHouse server is the same engine (restarted between making
    an insert and answering it, the retry under the token was counted twice in its rollups),
    but reloading its views loses inserts instead: another serve's insert between a view's
    DETACH and its ATTACH is missing from that rollup for good (two serves on one server, the
    second an upgrade: BENCHMARKS.md, thirteenth round). On a server the sink looks the rows
    of an insert that may have been made up in ``llm_calls`` before sending them again (after
    a lost answer, and a segment replayed at start: ``sink._Attempt``), so no retry under the
    token follows an insert that was made.
    """
    views = client.query(
        "SELECT name FROM system.tables "
        "WHERE database = currentDatabase() AND engine = 'MaterializedView' ORDER BY name"
    ).result_rows
    for (name,) in views:
        client.command(f"DETACH TABLE {quote_identifier(name)}")
        client.command(f"ATTACH TABLE {quote_identifier(name)}")
