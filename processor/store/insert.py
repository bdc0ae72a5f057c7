"""One batch of ``llm_calls`` rows into ClickHouse: Arrow-encoded, deduplicated by a token.

The rows travel in Arrow format, built column by column in C by pyarrow (money goes from its
integer units straight into ``Decimal(18, 12)`` without a Python ``Decimal`` per value). The
caller's token is the ``insert_deduplication_token``, with
``deduplicate_blocks_in_dependent_materialized_views=1``: inserting the same rows under the same
token again changes neither ``llm_calls`` nor the rollups. ClickHouse cannot make one insert
atomic across a table and its materialized views (chDB answers ``BEGIN TRANSACTION`` with
NOT_IMPLEMENTED): a block can land in ``llm_calls`` and not yet in a rollup when, say, the
rollup's table has too many parts. Retrying the *same* rows under the *same* token is what
makes them agree again: the parts already written are skipped, table by table, and the missing
ones are written (tests/ingest/test_store_faults.py proves it on real faults).
"""

from __future__ import annotations

from itertools import accumulate, chain
from typing import Any

import pyarrow as pa

from tokentrace.processor.extract.extractor import (
    COLUMNS,
    METERED_UNITS,
    MONEY_COLUMNS,
    UNIT_COST_COLUMNS,
    USAGE_UNITS,
)
from tokentrace.processor.store.refusals import Unencodable
from tokentrace.processor.store.spool import Columns

TABLE = "llm_calls"


_MONEY = pa.decimal128(18, 12)
_ARROW_TYPES = {
    "ts": pa.timestamp("us", tz="UTC"),
    **{
        name: pa.uint64()
        for name in (
            "input_tokens",
            "output_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "reasoning_tokens",
            *USAGE_UNITS,
            *METERED_UNITS,
        )
    },
    **dict.fromkeys((*MONEY_COLUMNS, "provider_cost", *UNIT_COST_COLUMNS), _MONEY),
    "priced": pa.uint8(),
    "stream": pa.uint8(),
    "usage_missing": pa.uint8(),
    "cache_unsaid": pa.uint8(),
    "not_sent": pa.uint8(),
    "budget_blocked": pa.uint8(),
    "http_status": pa.uint16(),
    "latency_ms": pa.float64(),
    "ttft_ms": pa.float64(),
    "tags": pa.map_(pa.string(), pa.string()),
}


def arrow_table(columns: Columns) -> pa.Table:
    """``llm_calls`` columns (see ``extract.COLUMNS``) as an Arrow table ClickHouse reads.

    Columns a spool segment written by an earlier version lacks (it appended fewer) are left
    out, so ClickHouse fills in their defaults: such a segment is stored, not refused.
    """
    arrays = []
    for name, values in zip(COLUMNS, columns, strict=False):
        kind = _ARROW_TYPES.get(name, pa.string())
        if kind is _MONEY:
            # Integer units of 1e-12 USD are exactly the decimal's unscaled value: build
            # the int128s by an exact cast, then read the same buffers with scale 12.
            units = pa.array(values, pa.int64()).cast(pa.decimal128(38, 0))
            arrays.append(pa.Array.from_buffers(_MONEY, len(units), units.buffers()))
        elif name == "tags":
            arrays.append(_map_array(values))
        else:
            arrays.append(pa.array(values, kind))
    return pa.Table.from_arrays(arrays, names=list(COLUMNS[: len(arrays)]))


def _map_array(tags: list[dict[str, str]]) -> pa.MapArray:
    """The ``tags`` column as an Arrow map, from its keys and values flattened: pyarrow
    converts a list of per-row pair lists at ~2.5 µs a row even when every map is empty,
    this at ~0.25 µs."""
    offsets = pa.array([0, *accumulate(map(len, tags))], pa.int32())
    keys = pa.array(list(chain.from_iterable(tags)), pa.string())
    items = pa.array(list(chain.from_iterable(row.values() for row in tags)), pa.string())
    return pa.MapArray.from_arrays(offsets, keys, items)


def insert_calls(client: Any, columns: Columns, token: str) -> int:
    """Insert ``columns`` (see ``extract.COLUMNS``) under ``token``; returns the row count.

    Raises :class:`~refusals.Unencodable` before sending anything when Arrow cannot hold a
    value (e.g. a lone surrogate from a JSON request), else whatever ClickHouse answers;
    :func:`refusals.classify` tells which is which.
    """
    try:
        table = arrow_table(columns)
    except Exception as exc:
        raise Unencodable(str(exc)) from exc
    client.insert_arrow(
        TABLE,
        table,
        settings={
            "insert_deduplication_token": token,
            "deduplicate_blocks_in_dependent_materialized_views": 1,
            # Deduplicated and synchronous whatever the user's profile says: a profile may
            # turn deduplication off, and an asynchronous insert is not deduplicated by
            # default (either way a replayed segment would count twice); with
            # wait_for_async_insert=0 it answers before the rows are written, so the sink
            # would delete segments the server may still lose. The sink batches already.
            "insert_deduplicate": 1,
            "async_insert": 0,
            # A batch spans as many monthly partitions as its span times do (the extractor
            # takes 2020-01-01 onwards, more than 100 months from 2028): the default limit of
            # 100 refused such a batch as TOO_MANY_PARTS, retried for good. A batch holds
            # at most 50,000 rows, so at most that many small parts.
            "max_partitions_per_insert_block": 0,
            # The rollup views already hand over one row per key; merging them again
            # at insert more than doubles the insert's cost (1M rows: 14.7 s → 6.2 s).
            "optimize_on_insert": 0,
        },
    )
    return table.num_rows
