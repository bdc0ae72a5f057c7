"""How long raw calls are kept: a ClickHouse TTL on ``llm_calls``; rollups are kept for good.

Migration 0007 sets the default (:data:`DEFAULT_DAYS`); ``tokentrace serve
--retention-days N`` moves it when serve starts. Only ``llm_calls`` expires: the hourly and
daily rollups, which every spend view reads, are fed at insert time and keep their totals,
so spend history outlives the calls (per-call views — latency, top calls, users,
conversations — and re-pricing need the calls, so they reach back ``N`` days only).
"""

from __future__ import annotations

import re

from clickhouse_connect.driver.client import Client

from tokentrace.processor.store import store

DEFAULT_DAYS = 395


def days(client: Client) -> int | None:
    """The retention of ``llm_calls`` in days, None when it has no TTL."""
    engine = client.command(
        "SELECT engine_full FROM system.tables "
        "WHERE database = currentDatabase() AND name = 'llm_calls'"
    )
    match = re.search(r"TTL toDateTime\(ts\) \+ toIntervalDay\((\d+)\)", str(engine))
    return int(match[1]) if match else None


def apply(client: Client, retention_days: int, cluster: str | None = None) -> bool:
    """Set the TTL of ``llm_calls`` to ``retention_days``; False when it already was.

    ClickHouse materializes the new TTL on existing parts (a mutation reading ``ts``), so
    a shorter retention applies to calls already stored, not only to new ones."""
    if retention_days < 1:
        raise ValueError(f"retention must be at least 1 day, not {retention_days}")
    if days(client) == retention_days:
        return False
    client.command(
        store.render(
            "ALTER TABLE llm_calls {on_cluster} MODIFY TTL toDateTime(ts) + INTERVAL "
            f"{int(retention_days)} DAY",
            cluster,
        )
    )
    return True
