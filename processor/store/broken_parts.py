"""Parts of the store's tables that ClickHouse set aside as broken, said in one line each.

A part whose files are damaged (a column file cut short by a full disk, a bad copy or restore)
is moved aside when the table is loaded, chDB's included, into the table's ``detached/``
directory with the reason ``broken-on-start``, and the table opens without it. Nothing told
serve: measured on chDB, a column file of ``llm_calls``' one part cut to 100 bytes, then a
start: 20 of 40 calls gone from ``llm_calls`` while the rollups (other parts) still counted 40,
serve ready, its log silent. The rows cannot be read back by serve; what it can do is say so,
once per part, with what to do, at start and at each reconnect.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("tokentrace.serve")

_SAID: set[tuple[str, str]] = set()  # (table, part) already said by this process


def say(client: Any) -> None:
    """Log one line per broken part of the store's database not said before."""
    try:
        rows = client.query(
            "SELECT table, name, reason FROM system.detached_parts "
            "WHERE database = currentDatabase() AND startsWith(reason, 'broken') "
            "ORDER BY table, name"
        ).result_rows
    except Exception:  # a user without access to system tables: nothing to say
        return
    for table, name, reason in rows:
        if (table, name) in _SAID:
            continue
        _SAID.add((table, name))
        log.error(
            "the store's table %s has a damaged part that ClickHouse set aside (%s, in the "
            "table's detached/%s): the rows it held are not counted in %s; restore that part "
            "from a backup and ALTER TABLE %s ATTACH PART, or delete it once given up",
            table, reason, name, table, table,
        )  # fmt: skip
