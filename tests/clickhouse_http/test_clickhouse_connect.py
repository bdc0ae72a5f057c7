"""The interface as ClickHouse clients see it: clickhouse-connect over HTTP, and plain HTTP
for what the ClickHouse HTTP interface documents (query in URL or body, formats, settings,
parameters, credentials, compression, headers, errors, read-only, limits).
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
import zlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import brotli
import chdb
import clickhouse_connect
import httpx
import lz4.frame
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError
from views.seed import TOTAL_COST, TOTAL_REQUESTS

from tokentrace.processor.api import clickhouse_http
from tokentrace.processor.store import store

from .conftest import DATABASE, TOKEN, start

try:  # Python 3.14+, else the backport clickhouse-connect depends on
    from compression.zstd import decompress as zstd_decompress  # type: ignore[import-not-found]
except ImportError:
    from backports.zstd import decompress as zstd_decompress  # type: ignore[no-redef]

AUTH = {"X-ClickHouse-User": "grafana", "X-ClickHouse-Key": TOKEN}


def get(interface: clickhouse_http.Listener, params: dict[str, str], **kwargs: Any) -> Any:
    headers = {**AUTH, **kwargs.pop("headers", {})}
    return httpx.get(
        f"http://127.0.0.1:{interface.port}/", params=params, headers=headers, **kwargs
    )


def post(interface: clickhouse_http.Listener, body: bytes | str, **kwargs: Any) -> Any:
    headers = {**AUTH, **kwargs.pop("headers", {})}
    return httpx.post(
        f"http://127.0.0.1:{interface.port}/", content=body, headers=headers, **kwargs
    )


def direct(chdb_url: str, sql: str, fmt: str) -> bytes:
    """What chDB itself writes for ``sql`` in ``fmt`` (the bytes a server would send)."""
    conn = chdb.connect(str(Path(store.StoreURL.parse(chdb_url).path).resolve()))
    try:
        conn.query(f"USE {DATABASE}")
        return conn.query(sql, fmt).bytes()
    finally:
        conn.close()


# ---------------------------------------------------------------- clickhouse-connect


def test_clickhouse_connect_reads_the_seeded_store(http_client: Any, seeded: Any) -> None:
    sql = "SELECT count() AS calls, sum(cost) AS cost FROM llm_calls"
    assert http_client.query(sql).result_rows == [(TOTAL_REQUESTS, TOTAL_COST)]
    detail = (
        "SELECT ts, provider, model, team, cost, latency_ms, priced FROM llm_calls "
        "ORDER BY ts, model, cost"
    )
    over_http = http_client.query(detail)
    on_chdb = seeded.query(detail)
    assert over_http.column_names == on_chdb.column_names
    assert over_http.column_types == on_chdb.column_types
    assert over_http.result_rows == on_chdb.result_rows
    assert len(over_http.result_rows) == TOTAL_REQUESTS


def test_server_facts_as_a_server_reports_them(http_client: Any, seeded: Any) -> None:
    facts = "SELECT 1, version(), timezone(), currentDatabase()"
    [(one, version, timezone, database)] = http_client.query(facts).result_rows
    assert (one, database) == (1, DATABASE)
    assert (version, timezone) == seeded.query("SELECT version(), timezone()").result_rows[0]
    assert http_client.server_version == version
    assert http_client.command("SELECT 1") == 1


def test_query_parameters_and_settings_from_clickhouse_connect(http_client: Any) -> None:
    result = http_client.query(
        "SELECT count() FROM llm_calls WHERE team = {team:String}",
        parameters={"team": "research"},
        settings={"max_threads": 2},
    )
    assert result.result_rows == [(1,)]
    assert http_client.query(
        "SELECT getSetting('max_threads')", settings={"max_threads": 3}
    ).result_rows == [(3,)]


def test_writes_through_clickhouse_connect_are_refused(http_client: Any, seeded: Any) -> None:
    with pytest.raises(DatabaseError, match=r"Code: 164\..*\(READONLY\)"):
        http_client.insert("llm_calls", [["x", "y"]], column_names=["trace_id", "span_id"])
    with pytest.raises(DatabaseError, match=r"Code: 164\."):
        http_client.command("CREATE TABLE evil (a UInt8) ENGINE = Memory")
    assert seeded.query("SELECT count() FROM llm_calls").result_rows == [(TOTAL_REQUESTS,)]
    assert not seeded.command("EXISTS TABLE evil")


def test_a_wrong_password_is_refused(interface: clickhouse_http.Listener) -> None:
    with pytest.raises(DatabaseError, match=r"Code: 516\..*AUTHENTICATION_FAILED"):
        clickhouse_connect.get_client(
            host="127.0.0.1", port=interface.port, username="grafana", password="guess"
        )


# ---------------------------------------------------------------- the HTTP surface


def test_ping_and_root(interface: clickhouse_http.Listener) -> None:
    base = f"http://127.0.0.1:{interface.port}"
    assert httpx.get(f"{base}/ping").content == b"Ok.\n"  # health checks need no token
    assert httpx.get(f"{base}/").content == b"Ok.\n"
    missing = httpx.get(f"{base}/nope")
    assert missing.status_code == 404 and missing.text.startswith("There is no handle /nope")


def test_query_in_the_url_the_body_or_both(interface: clickhouse_http.Listener) -> None:
    assert get(interface, {"query": "SELECT 1"}).content == b"1\n"
    assert post(interface, "SELECT 2").content == b"2\n"
    both = httpx.post(
        f"http://127.0.0.1:{interface.port}/",
        params={"query": "SELECT 40 +"},
        content=b"2",
        headers=AUTH,
    )
    assert both.content == b"42\n"  # joined by a newline, as ClickHouse does


def test_format_clause_wins_over_default_format(interface: clickhouse_http.Listener) -> None:
    plain = get(interface, {"query": "SELECT 1 AS x", "default_format": "JSONEachRow"})
    assert plain.content == b'{"x":1}\n'
    assert plain.headers["x-clickhouse-format"] == "JSONEachRow"
    assert plain.headers["content-type"] == "application/json; charset=UTF-8"
    clause = get(
        interface, {"query": "SELECT 1 AS x FORMAT CSVWithNames", "default_format": "JSON"}
    )
    assert clause.content == b'"x"\n1\n'
    assert clause.headers["x-clickhouse-format"] == "CSVWithNames"
    tsv = get(interface, {"query": "SELECT 'a' AS s, 2 AS n"})
    assert tsv.headers["x-clickhouse-format"] == "TabSeparated"
    assert tsv.content == b"a\t2\n"


FORMATS = [
    "Native",
    "RowBinaryWithNamesAndTypes",
    "JSON",
    "JSONCompact",
    "JSONEachRow",
    "JSONCompactEachRowWithNamesAndTypes",
    "TabSeparated",
    "TabSeparatedWithNamesAndTypes",
    "CSVWithNames",
    "Arrow",
    "Parquet",
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_chdbs_own_output(
    interface: clickhouse_http.Listener, chdb_url: str, fmt: str
) -> None:
    sql = (
        "SELECT ts, model, cost, input_tokens, tags FROM llm_calls ORDER BY ts, model, cost "
        "LIMIT 20"
    )
    answer = get(interface, {"query": f"{sql} FORMAT {fmt}", "output_format_write_statistics": "0"})
    assert answer.status_code == 200, answer.text
    expected = direct(
        chdb_url, f"{sql} FORMAT {fmt} SETTINGS output_format_write_statistics=0", fmt
    )
    if fmt == "Parquet":  # carries the writer's creation metadata, not only the data
        assert answer.content[:4] == expected[:4] == b"PAR1"
    else:
        assert answer.content == expected


def test_settings_and_parameters_in_the_url(interface: clickhouse_http.Listener) -> None:
    answer = get(interface, {"query": "SELECT getSetting('max_threads')", "max_threads": "3"})
    assert answer.content == b"3\n"
    answer = get(
        interface,
        {"query": "SELECT {a:UInt32} + {b:UInt32}, {s:String}", "param_a": "40", "param_b": "2",
         "param_s": "tab\\there"},
    )  # fmt: skip
    assert answer.content == b"42\ttab\\there\n"
    unknown = get(interface, {"query": "SELECT 1", "no_such_setting": "1"})
    assert (unknown.status_code, unknown.headers["x-clickhouse-exception-code"]) == (404, "115")


def test_database_parameter(interface: clickhouse_http.Listener) -> None:
    assert get(interface, {"query": "SELECT currentDatabase()"}).content == f"{DATABASE}\n".encode()
    system = get(interface, {"query": "SELECT currentDatabase()", "database": "system"})
    assert system.content == b"system\n"
    missing = get(interface, {"query": "SELECT 1", "database": "nowhere"})
    assert missing.status_code == 404
    assert missing.headers["x-clickhouse-exception-code"] == "81"


def test_response_headers(interface: clickhouse_http.Listener) -> None:
    answer = get(interface, {"query": "SELECT count() FROM llm_calls", "query_id": "q-123"})
    assert answer.headers["x-clickhouse-query-id"] == "q-123"
    assert answer.headers["x-clickhouse-timezone"] == interface.app.reader.timezone
    assert answer.headers["x-clickhouse-server-display-name"]
    summary = json.loads(answer.headers["x-clickhouse-summary"])
    assert summary["written_rows"] == "0"
    assert int(summary["result_bytes"]) == len(answer.content)
    assert int(summary["elapsed_ns"]) > 0


# ---------------------------------------------------------------- credentials


def test_credentials_in_headers_basic_auth_or_parameters(
    interface: clickhouse_http.Listener,
) -> None:
    url = f"http://127.0.0.1:{interface.port}/"
    query = {"query": "SELECT 7"}
    assert httpx.get(url, params=query, auth=("anyone", TOKEN)).content == b"7\n"
    assert httpx.get(url, params={**query, "user": "x", "password": TOKEN}).content == b"7\n"
    assert get(interface, query).content == b"7\n"
    for refused in (
        httpx.get(url, params=query),
        httpx.get(url, params=query, auth=("default", TOKEN + "x")),
        httpx.get(url, params=query, headers={"X-ClickHouse-Key": TOKEN[:-1]}),
        httpx.get(url, params=query, headers={"Authorization": "Basic !!!"}),
    ):
        assert refused.status_code == 403
        assert refused.headers["x-clickhouse-exception-code"] == "516"
        assert refused.text.startswith("Code: 516. DB::Exception: ")
        assert "(AUTHENTICATION_FAILED)" in refused.text


def test_no_token_no_password(chdb_url: str, seeded: Any) -> None:
    listener = start(chdb_url)
    try:
        client = clickhouse_connect.get_client(host="127.0.0.1", port=listener.port)
        assert client.query("SELECT count() FROM llm_calls").result_rows == [(TOTAL_REQUESTS,)]
    finally:
        listener.stop()


def test_basic_auth_header_parsing(interface: clickhouse_http.Listener) -> None:
    token = base64.b64encode(f"reader:{TOKEN}".encode()).decode()
    answer = httpx.get(
        f"http://127.0.0.1:{interface.port}/",
        params={"query": "SELECT 1"},
        headers={"Authorization": f"Basic {token}"},
    )
    assert answer.content == b"1\n"


# ---------------------------------------------------------------- compression

DECOMPRESS = {
    "lz4": lz4.frame.decompress,
    "zstd": zstd_decompress,
    "br": brotli.decompress,
    "gzip": gzip.decompress,
    "deflate": zlib.decompress,
}


@pytest.mark.parametrize("encoding", list(DECOMPRESS))
def test_response_compression(interface: clickhouse_http.Listener, encoding: str) -> None:
    query = {"query": "SELECT * FROM llm_calls ORDER BY ts FORMAT JSONEachRow"}
    plain = get(interface, query)
    assert "content-encoding" not in plain.headers  # only with enable_http_compression=1
    with httpx.stream(
        "GET",
        f"http://127.0.0.1:{interface.port}/",
        params={**query, "enable_http_compression": "1"},
        headers={**AUTH, "Accept-Encoding": encoding},
    ) as compressed:
        assert compressed.headers["content-encoding"] == encoding
        raw = b"".join(compressed.iter_raw())
    assert len(raw) < len(plain.content)
    assert DECOMPRESS[encoding](raw) == plain.content


def test_compressed_request_body(interface: clickhouse_http.Listener) -> None:
    answer = post(interface, gzip.compress(b"SELECT 5"), headers={"Content-Encoding": "gzip"})
    assert answer.content == b"5\n"


def test_native_compress_is_refused_clearly(interface: clickhouse_http.Listener) -> None:
    answer = get(interface, {"query": "SELECT 1", "compress": "1"})
    assert answer.status_code == 501
    assert "enable_http_compression=1" in answer.text


# ---------------------------------------------------------------- read-only

WRITES = [
    "INSERT INTO llm_calls (trace_id, span_id) VALUES ('x', 'y')",
    "INSERT INTO llm_calls (trace_id, span_id) SELECT 'x', 'y'",
    "CREATE TABLE evil (a UInt8) ENGINE = Memory",
    "CREATE TEMPORARY TABLE evil (a UInt8)",
    "CREATE DATABASE evil",
    "DROP TABLE llm_calls",
    "TRUNCATE TABLE llm_calls",
    "ALTER TABLE llm_calls DELETE WHERE 1",
    "ALTER TABLE llm_calls ADD COLUMN evil UInt8",
    "DELETE FROM llm_calls WHERE 1",
    "OPTIMIZE TABLE llm_calls FINAL",
    "RENAME TABLE llm_calls TO evil",
    "DETACH TABLE llm_calls",
    "SYSTEM FLUSH LOGS",
    "SYSTEM STOP MERGES",
    "KILL QUERY WHERE 1",
    "SET readonly = 0",
    "SET max_result_bytes = 0",
    "SELECT 1 SETTINGS readonly = 0",
    "SELECT 1 SETTINGS max_result_bytes = 0",
    "SELECT count() FROM (SELECT 1 SETTINGS result_overflow_mode = 'break')",
    "SELECT 1 INTO OUTFILE '{outfile}'",
    "SELECT file('/etc/hostname')",
    "SELECT `file`('/etc/hostname')",
    "SELECT * FROM file('/etc/hostname', 'LineAsString')",
    "SELECT * FROM url('http://127.0.0.1:9/', 'LineAsString')",
    "SELECT * FROM s3('http://127.0.0.1:9/b/k', 'LineAsString')",
    "SELECT * FROM remote('127.0.0.1:9', system.one)",
    "SELECT * FROM executable('x.sh', 'TSV', 'a String')",
    "DESCRIBE TABLE file('/etc/hostname', 'LineAsString')",
    "SELECT * FROM (SELECT * FROM numbers(1)) AS n, file('/etc/hostname', 'LineAsString') AS f",
]


@pytest.mark.parametrize("statement", WRITES)
def test_every_write_path_is_refused(
    http_client: Any, seeded: Any, tmp_path: Path, statement: str
) -> None:
    outfile = tmp_path / "out.tsv"
    with pytest.raises(DatabaseError) as refused:
        http_client.command(statement.format(outfile=outfile))
    assert refused.value.code == 164, str(refused.value)
    assert "(READONLY)" in str(refused.value)
    assert not outfile.exists()
    assert seeded.query("SELECT count() FROM llm_calls").result_rows == [(TOTAL_REQUESTS,)]
    assert not seeded.command("EXISTS DATABASE evil")


@pytest.mark.parametrize(
    "statement", ["SELECT 1; DROP TABLE llm_calls", "SELECT 1; INSERT INTO llm_calls VALUES ()"]
)
def test_only_one_statement_per_query(http_client: Any, seeded: Any, statement: str) -> None:
    with pytest.raises(DatabaseError, match=r"Code: 62\..*Multi-statements are not allowed"):
        http_client.command(statement)
    assert seeded.query("SELECT count() FROM llm_calls").result_rows == [(TOTAL_REQUESTS,)]


@pytest.mark.parametrize(
    "setting", ["readonly=0", "allow_ddl=1", "max_result_bytes=0", "result_overflow_mode=break"]
)
def test_settings_that_would_lift_the_limits_are_refused(
    interface: clickhouse_http.Listener, setting: str
) -> None:
    name, value = setting.split("=")
    answer = get(interface, {"query": "SELECT 1", name: value})
    assert answer.headers["x-clickhouse-exception-code"] == "164"
    assert f"Cannot modify '{name}' setting in readonly mode" in answer.text


@pytest.mark.parametrize("value", ["1", "2"])
def test_restating_readonly_is_fine(interface: clickhouse_http.Listener, value: str) -> None:
    answer = get(interface, {"query": "SELECT getSetting('readonly')", "readonly": value})
    assert answer.content == b"2\n"


def test_reads_that_are_allowed(http_client: Any) -> None:
    assert http_client.command("EXISTS TABLE llm_calls") == 1
    assert "llm_calls" in http_client.command("SHOW TABLES")
    assert http_client.query("DESCRIBE TABLE llm_calls").result_rows[0][0] == "ts"
    assert http_client.query("SELECT sum(number) FROM numbers(10)").result_rows == [(45,)]
    assert http_client.query("EXPLAIN SELECT 1").result_rows
    # UNION ALL runs its branches in parallel: row order is not defined.
    union = http_client.query("WITH 2 AS x SELECT x * number FROM numbers(2) UNION ALL SELECT 9")
    assert sorted(union.result_rows) == [(0,), (2,), (9,)]


# ---------------------------------------------------------------- errors and limits


def test_errors_are_sent_as_clickhouse_sends_them(interface: clickhouse_http.Listener) -> None:
    syntax = get(interface, {"query": "SELEC 1"})
    assert syntax.status_code == 400
    assert syntax.headers["x-clickhouse-exception-code"] == "62"
    assert syntax.text.startswith("Code: 62. DB::Exception: Syntax error")
    assert "formatQuery" not in syntax.text  # the vetting query is not shown
    version = interface.app.reader.version
    assert syntax.text.rstrip().endswith(f"(SYNTAX_ERROR) (version {version})")
    missing = get(interface, {"query": "SELECT * FROM nowhere"})
    assert missing.status_code == 404
    assert missing.headers["x-clickhouse-exception-code"] == "60"
    assert "(UNKNOWN_TABLE)" in missing.text
    empty = get(interface, {"query": "  "})
    assert empty.headers["x-clickhouse-exception-code"] == "62"


def test_query_size_is_bounded(interface: clickhouse_http.Listener) -> None:
    limit = interface.app.limits.max_query_bytes
    large = post(interface, b"SELECT 1 -- " + b"x" * limit)
    assert (large.status_code, large.headers["x-clickhouse-exception-code"]) == (413, "393")
    assert "(QUERY_IS_TOO_LARGE)" in large.text


def test_result_size_is_bounded(chdb_url: str, seeded: Any) -> None:
    listener = start(chdb_url, max_result_bytes=10_000)
    try:
        base = f"http://127.0.0.1:{listener.port}/"
        small = httpx.get(base, params={"query": "SELECT number FROM numbers(100)"})
        assert small.status_code == 200
        large = httpx.get(base, params={"query": "SELECT number FROM numbers(100000)"})
        assert large.headers["x-clickhouse-exception-code"] == "396"
        assert "(TOO_MANY_ROWS_OR_BYTES)" in large.text
        wide = httpx.get(base, params={"query": "SELECT repeat('x', 20000)"})
        assert wide.headers["x-clickhouse-exception-code"] == "396"
        assert "aggregate or add a LIMIT" in wide.text
    finally:
        listener.stop()


def test_queries_in_flight_are_bounded(chdb_url: str, seeded: Any) -> None:
    listener = start(chdb_url, max_running=1, max_waiting=0)
    base = f"http://127.0.0.1:{listener.port}/"
    release = threading.Event()
    try:
        # The only query thread waits for the test, so the first query stays in flight until
        # the second has been refused, however slowly a loaded machine runs either.
        listener.app._executor.submit(release.wait)
        holder: list[httpx.Response] = []
        first = threading.Thread(
            target=lambda: holder.append(httpx.get(base, params={"query": "SELECT 2"}, timeout=120))
        )
        first.start()
        while listener.app._admitted == 0:  # the first query holds the only slot
            time.sleep(0.01)
        refused = httpx.get(base, params={"query": "SELECT 1"})
        assert refused.status_code == 503
        assert refused.headers["x-clickhouse-exception-code"] == "202"
        assert "(TOO_MANY_SIMULTANEOUS_QUERIES)" in refused.text
        release.set()
        first.join()
        assert holder[0].content == b"2\n"
        assert httpx.get(base, params={"query": "SELECT 1"}).content == b"1\n"
    finally:
        release.set()
        listener.stop()


def test_a_query_gets_decimal_money_exactly(http_client: Any) -> None:
    [(cost,)] = http_client.query(
        "SELECT cost FROM llm_calls WHERE trace_id = 'trace-most-expensive'"
    ).result_rows
    assert cost == Decimal("6.00")
