"""A bookkeeping table dropped by hand under serve, read through the ClickHouse interface."""

from __future__ import annotations

from typing import Any

import httpx

from tokentrace.processor.api import clickhouse_http
from tokentrace.processor.store import store


def test_a_dropped_dead_letter_table_is_named_with_what_to_do(
    chdb_url: str, store_client: Any
) -> None:
    # The interface is read-only: it cannot create the table again itself. Before, the answer
    # was chDB's "Unknown table expression identifier" with nothing saying what to do.
    database = store_client.database
    store_client.command("DROP TABLE dead_letters")
    path = store.StoreURL.parse(chdb_url).path
    listener = clickhouse_http.start(path, database, "127.0.0.1", 0, None)
    try:
        answer = httpx.get(
            f"http://127.0.0.1:{listener.port}/",
            params={"query": "SELECT count() FROM dead_letters"},
        )
        fine = httpx.get(
            f"http://127.0.0.1:{listener.port}/", params={"query": "SELECT count() FROM llm_calls"}
        )
    finally:
        listener.stop()
    version = listener.app.reader.version
    assert (answer.status_code, answer.headers["x-clickhouse-exception-code"]) == (404, "60")
    assert answer.text == (
        f"Code: 60. DB::Exception: Table {database}.dead_letters does not exist: it was dropped "
        "by hand under tokentrace serve; GET /api/v1/dead-letters on serve (or serve's "
        "restart) creates it again as the migrations leave it, then retry. "
        f"(UNKNOWN_TABLE) (version {version})\n"
    )
    assert (fine.status_code, fine.text) == (200, "0\n")
