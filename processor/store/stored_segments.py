"""Which spool segments the store already holds, for a replay past its deduplication memory.

The sink inserts each segment under the segment's name as ``insert_deduplication_token``, so
a segment inserted again (serve killed between the insert and the file's delete, or a delete
that kept failing until serve stopped) changes nothing, rollups included. ClickHouse keeps
those tokens only for the table's last ``non_replicated_deduplication_window`` blocks
(100,000), and on a cluster for an hour (``replicated_deduplication_window_seconds``): a
serve restarted after several other serves had written into the same ClickHouse for a few
hours, or after an hour on a cluster, replayed its last segment into the totals a second time.

So once a segment's rows are in ``llm_calls`` and every rollup, its name is written here
(migration 0024) before its file is deleted, and a segment found on disk at start is looked
up first: found, it is deleted without an insert. Not found, it is inserted under its token
as before; that still completes an insert that reached ``llm_calls`` but not every rollup,
since the name is written only after the whole insert went through. One row a segment (about
one a second under load), kept 30 days.
"""

from __future__ import annotations

from typing import Any

TABLE = "llm_stored_segments"


def stored(client: Any, segment: str) -> bool:
    """Whether ``segment``'s rows are all in the store already."""
    found = client.query(
        f"SELECT count() FROM {TABLE} WHERE segment = {{segment:String}}",
        parameters={"segment": segment},
    )
    return bool(found.result_rows[0][0])


def record(client: Any, segment: str) -> bool:
    """Note ``segment`` as stored; noted again (a replay), nothing changes. True once done."""
    client.insert(
        TABLE,
        [[segment]],
        column_names=["segment"],
        settings={
            "insert_deduplication_token": f"{segment}/stored",
            "insert_deduplicate": 1,
            "async_insert": 0,
        },
    )
    return True
