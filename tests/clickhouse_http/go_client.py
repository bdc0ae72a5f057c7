"""Queries sent as clickhouse-go sends them over HTTP, read as it reads them.

Grafana's ClickHouse data source (4.x, HTTP protocol) queries through clickhouse-go, which
POSTs the query text with ``default_format=Native`` and ``client_protocol_version=54460`` in
the URL (``conn_http.go``: ``dialHttp``) and decodes the Native answer at that revision: a
BlockInfo before every block, a custom-serialization flag after every column type
(``lib/proto/block.go``). Go is not on the test machines, so the answer is decoded by
clickhouse-driver's Native block reader (``streams/native.py``) at the same revision: another
client's implementation of the same format, not one written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from clickhouse_driver.bufferedreader import BufferedReader
from clickhouse_driver.context import Context
from clickhouse_driver.streams.native import BlockInputStream

GO_REVISION = 54460  # clickhouse-go 2.47 (the plugin 4.20's): DBMS_TCP_PROTOCOL_VERSION
HELLO = "SELECT displayName(), version(), revision(), timezone()"  # its first query


@dataclass(frozen=True)
class Result:
    column_names: list[str]
    column_types: list[str]
    result_rows: list[tuple[Any, ...]]


class _Bytes(BufferedReader):
    """clickhouse-driver's buffered reader over an answer already received."""

    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0
        super().__init__(1 << 16)

    def read_into_buffer(self) -> None:
        chunk = self.data[self.offset : self.offset + len(self.buffer)]
        if not chunk:
            raise EOFError
        self.buffer[: len(chunk)] = chunk
        self.current_buffer_size = len(chunk)
        self.offset += len(chunk)


class _ServerInfo:
    def __init__(self, revision: int) -> None:
        self.used_revision = self.revision = revision
        self.timezone = "UTC"

    def get_timezone(self) -> str:
        return self.timezone


def decode(data: bytes, revision: int) -> Result:
    """Native ``data`` written for ``revision``, block by block."""
    context = Context()
    context.server_info = _ServerInfo(revision)
    context.settings = {}
    context.client_settings = {
        "strings_as_bytes": False,
        "strings_encoding": "utf-8",
        "use_numpy": False,
        "input_format_null_as_default": False,
        "namedtuple_as_json": False,
    }
    stream = BlockInputStream(_Bytes(data), context)
    names: list[str] = []
    types: list[str] = []
    rows: list[tuple[Any, ...]] = []
    while True:
        try:
            block = stream.read()
        except EOFError:
            return Result(names, types, rows)
        names = [name for name, _ in block.columns_with_types]
        types = [kind for _, kind in block.columns_with_types]
        rows += block.get_rows()


class GoClient:
    """``.query(sql)`` as the data source's driver sends it to ``port``."""

    def __init__(self, port: int, database: str, password: str, **settings: str) -> None:
        self.url = f"http://127.0.0.1:{port}/"
        self.params = {
            "database": database,
            **settings,
            "default_format": "Native",
            "client_protocol_version": str(GO_REVISION),
        }
        self.auth = ("default", password)

    def post(self, sql: str) -> httpx.Response:
        return httpx.post(
            self.url,
            params=self.params,
            content=sql.encode(),
            auth=self.auth,
            headers={
                "Accept-Encoding": "gzip",
                "User-Agent": "clickhouse-go/2.47.0 (database/sql) grafana/12.3.0 "
                "clickhouse-datasource/4.20.0",
            },
            timeout=60,
        )

    def query(self, sql: str) -> Result:
        answer = self.post(sql)
        assert answer.status_code == 200, answer.text
        return decode(answer.content, GO_REVISION)
