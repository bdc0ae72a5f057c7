"""Why ClickHouse refused an insert, and so what the sink does with the rows.

Classified the way ClickHouse's own Kafka Connect sink does it (``Utils.handleException`` in
github.com/ClickHouse/clickhouse-kafka-connect: a list of server error codes that are
retried, network and timeout errors retried) with the storage faults an operator fixes
without touching the data added (NOT_ENOUGH_SPACE, TOO_MANY_PARTITIONS, …). The point is the
other direction: rows are given up on only when *they* are the problem, never because the
store is. So:

- ``poison``: the rows themselves cannot be inserted (Arrow cannot encode them, or ClickHouse
  cannot parse or convert them). The sink bisects the batch down to the offending rows and
  puts those, with the reason, in the dead-letter table; every other row is stored.
- ``retryable``: a store condition that passes (network, timeouts, disk, memory, too many
  parts, a read-only replica, …). The rows stay spooled and are retried with backoff under the
  same deduplication token; the spool fills and the receivers answer 503 meanwhile.
- ``store``: anything else (unknown table, access denied, an error code not listed here). It
  is not the rows' fault either, so it is handled like ``retryable``, and named apart in the
  log and in ``tokentrace_insert_errors_total{kind="store"}`` because a person must act.
"""

from __future__ import annotations

from typing import Literal

from clickhouse_connect.driver.exceptions import Error, OperationalError

Kind = Literal["poison", "retryable", "store"]

# ClickHouse error names (src/Common/ErrorCodes.cpp) that say the store, not the data, failed.
RETRYABLE = frozenset(
    {
        "UNEXPECTED_END_OF_FILE",  # 3: the connection dropped mid-answer
        "CANNOT_READ_FROM_ISTREAM",  # 23
        "CANNOT_WRITE_TO_OSTREAM",  # 24
        "ATTEMPT_TO_READ_AFTER_EOF",  # 32
        "CANNOT_WRITE_TO_FILE_DESCRIPTOR",  # 75: a write failed, e.g. ENOSPC
        "TIMEOUT_EXCEEDED",  # 159
        "TOO_SLOW",  # 160
        "READONLY",  # 164
        "CANNOT_ALLOCATE_MEMORY",  # 173
        "TOO_MANY_SIMULTANEOUS_QUERIES",  # 202
        "NO_FREE_CONNECTION",  # 203
        "SOCKET_TIMEOUT",  # 209
        "NETWORK_ERROR",  # 210
        "TABLE_IS_DROPPED",  # 218: a table being re-created
        "NO_ZOOKEEPER",  # 225
        "ABORTED",  # 236
        "MEMORY_LIMIT_EXCEEDED",  # 241
        "TABLE_IS_READ_ONLY",  # 242: a replica lost its Keeper session
        "NOT_ENOUGH_SPACE",  # 243: disk full, or below the free-space threshold
        "TOO_MANY_PARTS",  # 252: merges are behind
        "ALL_CONNECTION_TRIES_FAILED",  # 279
        "TOO_FEW_LIVE_REPLICAS",  # 285
        "REPLICA_IS_NOT_IN_QUORUM",  # 289
        "UNKNOWN_STATUS_OF_INSERT",  # 319: the same token makes the retry safe
        "QUERY_WAS_CANCELLED",  # 394: a server shutting down
        "SYSTEM_ERROR",  # 425
        "CANNOT_SCHEDULE_TASK",  # 439
        "TOO_MANY_PARTITIONS",  # 565
        "DISTRIBUTED_TOO_MANY_PENDING_BYTES",  # 574
        "SERVER_OVERLOADED",  # 745
        "KEEPER_EXCEPTION",  # 999
        "POCO_EXCEPTION",  # 1000
        "UNKNOWN_EXCEPTION",  # 1002
    }
)

# Error names that say these rows can never be parsed or converted into the table's types.
POISON = frozenset(
    {
        "CANNOT_PARSE_TEXT",  # 6
        "INCORRECT_NUMBER_OF_COLUMNS",  # 7
        "CANNOT_PARSE_ESCAPE_SEQUENCE",  # 25
        "CANNOT_PARSE_QUOTED_STRING",  # 26
        "CANNOT_PARSE_INPUT_ASSERTION_FAILED",  # 27
        "CANNOT_PARSE_DATE",  # 38
        "CANNOT_PARSE_DATETIME",  # 41
        "TYPE_MISMATCH",  # 53
        "ARGUMENT_OUT_OF_BOUND",  # 69
        "CANNOT_CONVERT_TYPE",  # 70
        "CANNOT_PARSE_NUMBER",  # 72
        "INCORRECT_DATA",  # 117
        "TOO_LARGE_ARRAY_SIZE",  # 128
        "TOO_LARGE_STRING_SIZE",  # 131
        "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",  # 321
        "CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN",  # 349
        "CANNOT_PARSE_UUID",  # 376
        "DECIMAL_OVERFLOW",  # 407
        "CANNOT_PARSE_BOOL",  # 467
    }
)


class Unencodable(Exception):
    """Rows the client cannot even encode for ClickHouse (Arrow refused a value)."""


def classify(exc: BaseException) -> Kind:
    """What an exception raised while inserting rows says about them (see the module doc)."""
    if isinstance(exc, Unencodable):
        return "poison"
    name = getattr(exc, "name", None) if isinstance(exc, Error) else None
    if name in POISON:
        return "poison"
    if name in RETRYABLE:
        return "retryable"
    if name is None and isinstance(exc, (OperationalError, OSError, TimeoutError)):
        return "retryable"  # no answer from ClickHouse at all: network, refused, timed out
    return "store"


def describe(exc: BaseException) -> str:
    """One line naming the refusal, for logs and the dead-letter table."""
    name = getattr(exc, "name", None)
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, Unencodable) and exc.__cause__ is not None:
        text = f"cannot encode the row: {type(exc.__cause__).__name__}: {exc.__cause__}"
    elif name and name not in text:
        text = f"{name}: {text}"
    return text[:1000].encode("ascii", "backslashreplace").decode()
