"""One read-only query on the embedded store, in whatever output format a client asks for.

chDB allows one engine per process, and ``tokentrace serve`` owns it; a chDB connection
is a cheap session on that engine (≈0.5 ms to open), with its own settings and current
database. Each query gets a fresh one, so nothing a query changes outlives it:

1. ``USE`` the requested database;
2. vet the SQL (:mod:`readonly_sql`);
3. apply the client's settings with ``SET`` (the engine validates names and values),
   then the interface's own limits, then ``readonly = 2`` last, so nothing can lift it;
4. run the query; chDB writes the output format itself (Native, RowBinary*, JSON*,
   TabSeparated*, Arrow, Parquet …), so the bytes are the ones a ClickHouse server sends.

chDB runs queries without the GIL and beside inserts: reads on these connections do not
block the sink's inserts on its own connection.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import chdb

from tokentrace.processor.api import native_revision, readonly_sql
from tokentrace.processor.api.clickhouse_errors import (
    READONLY,
    TOO_MANY_ROWS_OR_BYTES,
    UNKNOWN_SETTING,
    UNKNOWN_TABLE,
    ClickHouseError,
)
from tokentrace.processor.store.sink import again_once_created, missing_table

log = logging.getLogger("tokentrace.clickhouse_http")
DEFAULT_FORMAT = "TabSeparated"

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class QueryResult:
    body: bytes
    format: str
    summary: dict[str, str] = field(default_factory=dict)


class ChdbReader:
    """Runs read-only queries on the embedded engine at ``path`` (already opened by serve)."""

    def __init__(
        self,
        path: str,
        database: str,
        max_result_bytes: int,
        repair: Callable[[], None] | None = None,
    ) -> None:
        """``repair`` creates a dropped bookkeeping table again on a connection that may
        (serve's: ``sink.create_missing``); these connections are read-only."""
        self.path = os.path.realpath(path)  # chDB compares engine paths literally
        self.database = database
        self.max_result_bytes = max_result_bytes
        self._repair = repair
        conn = chdb.connect(self.path)
        try:
            self.version, self.timezone = (
                conn.query("SELECT version(), timezone()", "TSVRaw").bytes().decode().split()
            )
        finally:
            conn.close()

    def run(
        self,
        sql: str,
        *,
        default_format: str | None = None,
        database: str | None = None,
        settings: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        protocol_version: int = 0,
    ) -> QueryResult:
        """Run one query; raises :class:`ClickHouseError` with the engine's own message.

        ``protocol_version`` is the client's ``client_protocol_version``: Native output is
        framed for it (:mod:`native_revision`), as a ClickHouse server does.

        A bookkeeping table the query found dropped by hand under serve is created again
        (``repair``) and the query run once more, as serve's other readers do
        (``sink.recreating``): before, Grafana's panels counting dead letters failed here
        until one of those readers or a restart created it."""
        check_settings(settings or {}, self.version)
        run = functools.partial(
            self._run,
            sql,
            default_format,
            database or self.database,
            settings,
            params,
            protocol_version,
        )
        repair = self._repair
        if repair is None:
            return run()
        return again_once_created(run, functools.partial(_create_again, repair))

    def _run(
        self,
        sql: str,
        default_format: str | None,
        database: str,
        settings: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        protocol_version: int,
    ) -> QueryResult:
        params = dict(params or {})
        conn = chdb.connect(self.path)
        try:
            self._query(conn, f"USE {quote_identifier(database)}")
            vetted = readonly_sql.vet(conn, sql, params, self.version)
            assignments = [
                f"{k} = {quote_string(v)}" for k, v in (settings or {}).items() if k != "readonly"
            ]
            assignments += [
                f"max_result_bytes = {self.max_result_bytes}",
                "result_overflow_mode = 'throw'",
                "readonly = 2",  # last: from here on nothing can change it
            ]
            self._query(conn, f"SET {', '.join(assignments)}")
            output = vetted.format or default_format or DEFAULT_FORMAT
            result = self._query(conn, sql, output, params)
            body = result.bytes() or b""
            if output == "Native":
                body = native_revision.for_revision(body, protocol_version, self.version)
        except ClickHouseError as error:
            raise _dropped(error, database) from None
        finally:
            conn.close()
        if len(body) > self.max_result_bytes:
            raise ClickHouseError(
                TOO_MANY_ROWS_OR_BYTES,
                f"Limit for result exceeded, max bytes: {self.max_result_bytes}, current bytes: "
                f"{len(body)}: aggregate or add a LIMIT",
                self.version,
            )
        return QueryResult(body, output, _summary(result, len(body)))

    def _query(
        self, conn: Any, sql: str, fmt: str = "TSV", params: dict[str, str] | None = None
    ) -> Any:
        try:
            return conn.query(sql, fmt, params=params or {})
        except Exception as exc:
            raise ClickHouseError.from_chdb(exc, self.version) from None


def _create_again(repair: Callable[[], None]) -> None:
    """``repair()``, whose failure is logged: the query run again then says what to do."""
    try:
        repair()
    except Exception as exc:
        log.error("clickhouse interface: cannot create a dropped table again: %s", exc)


def _dropped(error: ClickHouseError, database: str) -> ClickHouseError:
    """A bookkeeping table dropped by hand under serve, named with what to do; other errors
    as they are. Said when the table could not be created again (no ``repair``, or it
    failed): serve's own readers create it too (``sink.recreating``)."""
    table = missing_table(error)
    if not table:
        return error
    return ClickHouseError(
        UNKNOWN_TABLE,
        f"Table {database}.{table} does not exist: it was dropped by hand under tokentrace "
        "serve; GET /api/v1/dead-letters on serve (or serve's restart) creates it again as "
        "the migrations leave it, then retry",
        error.version,
    )


def check_settings(settings: Mapping[str, str], version: str) -> None:
    """Refuse setting names that are not identifiers, and the ones that keep reads read-only.

    ``readonly`` may be restated as 1 or 2 (clients send it; reads run at 2 either way),
    never lowered to 0.
    """
    for name, value in settings.items():
        if not _NAME.match(name):
            raise ClickHouseError(UNKNOWN_SETTING, f"Unknown setting '{name}'", version)
        if name == "readonly" and value.strip() in ("1", "2"):
            continue
        if name in readonly_sql.PROTECTED_SETTINGS:
            raise ClickHouseError(
                READONLY, f"Cannot modify '{name}' setting in readonly mode", version
            )


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _summary(result: Any, result_bytes: int) -> dict[str, str]:
    """``X-ClickHouse-Summary``'s keys, from chDB's statistics."""
    return {
        "read_rows": str(result.rows_read()),
        "read_bytes": str(result.bytes_read()),
        "written_rows": "0",
        "written_bytes": "0",
        "total_rows_to_read": str(result.rows_read()),
        "result_rows": str(result.rows_read()),
        "result_bytes": str(result_bytes),
        "elapsed_ns": str(int(result.elapsed() * 1e9)),
    }
