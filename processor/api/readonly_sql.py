"""What a read-only query may be, decided by ClickHouse's own parser.

Every query of the ClickHouse HTTP interface runs with ``readonly = 2``, which chDB
enforces for INSERT, DDL, SYSTEM and mutations, and for lowering ``readonly``; ``2``
rather than ``1`` because clients send settings (clickhouse-connect reads
``system.settings`` and sends none a ``readonly = 1`` session may not change). Measured on
chDB 26.9, such a session still lets through ``SELECT … INTO OUTFILE`` (writes a file),
``file()`` and ``url()`` (read files and URLs), ``CREATE TEMPORARY TABLE``, ``KILL
QUERY`` and ``SET``, and it runs every statement of a multi-statement query. So each
query is vetted first, by the engine's parser rather than by pattern matching:

- ``formatQuery()`` parses it; it refuses more than one statement, and its canonical
  text puts each clause (``FORMAT``, ``INTO OUTFILE``, ``SETTINGS``) at a line start,
  with string literals on one line;
- ``EXPLAIN AST`` of that text names every function and table function called.

A statement must be a SELECT, SHOW, DESCRIBE, EXISTS or EXPLAIN; table functions must
be ones that read nothing outside the store; a ``SETTINGS`` clause may not touch the
settings that keep reads read-only and bounded. Anything else gets ClickHouse's
``Code: 164 … (READONLY)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tokentrace.processor.api.clickhouse_errors import READONLY, ClickHouseError

READ_STATEMENTS = ("SELECT", "WITH", "SHOW", "DESCRIBE", "EXISTS", "EXPLAIN", "(")

# Table functions that generate rows or read tables already in the store.
LOCAL_TABLE_FUNCTIONS = frozenset(
    {
        "numbers",
        "numbers_mt",
        "zeros",
        "zeros_mt",
        "generate_series",
        "generateSeries",
        "generateRandom",
        "values",
        "view",
        "viewIfPermitted",
        "merge",
        "null",
        "format",
    }
)
# Settings that keep reads read-only and bounded: no client may change them.
PROTECTED_SETTINGS = frozenset(
    {"readonly", "allow_ddl", "max_result_bytes", "max_result_rows", "result_overflow_mode"}
)
# Scalar functions that read files.
FILE_FUNCTIONS = frozenset({"file", "catboostEvaluate"})

_FORMAT = re.compile(r"^FORMAT (\S+)\s*$", re.MULTILINE)
_SETTINGS_CLAUSE = re.compile(r"^\s*SETTINGS (.*)$", re.MULTILINE)
_OUTFILE = re.compile(r"^\s*INTO OUTFILE\b", re.MULTILINE)
_IN_SCOPE = re.compile(r"\s*:?\s*In scope SELECT formatQuery\(.*\)\. \(", re.DOTALL)
_AST_LINE = re.compile(r"^( *)(\w+)(?: (\w+))?")


@dataclass(frozen=True)
class ReadQuery:
    """A vetted query: its canonical text and the format its FORMAT clause names, if any."""

    text: str
    format: str | None


def refuse(what: str, version: str) -> ClickHouseError:
    return ClickHouseError(
        READONLY, f"default: Cannot execute query in readonly mode: {what}", version
    )


def vet(conn: Any, sql: str, params: dict[str, str], version: str) -> ReadQuery:
    """Parse ``sql`` on the chDB connection ``conn``; raise :class:`ClickHouseError` unless
    it only reads."""
    try:
        text = (
            conn.query("SELECT formatQuery({q:String})", "TSVRaw", params={"q": escape_param(sql)})
            .bytes()
            .decode()
        )
    except Exception as exc:  # a syntax error: said without the vetting query around it
        raise ClickHouseError.from_chdb(_IN_SCOPE.sub(" (", str(exc)), version) from None
    text = text.rstrip("\n")
    if not text.startswith(READ_STATEMENTS):
        statement = text.split(None, 1)[0] if text.strip() else "an empty query"
        raise refuse(f"{statement} statements are not allowed, only reads", version)
    if _OUTFILE.search(text):
        raise refuse("INTO OUTFILE writes a file", version)
    for clause in _SETTINGS_CLAUSE.findall(text):
        for name in re.findall(r"(?:^|, )(\w+) = ", clause):
            if name in PROTECTED_SETTINGS:
                raise ClickHouseError(
                    READONLY, f"Cannot modify '{name}' setting in readonly mode", version
                )
    ast = _query(conn, f"EXPLAIN AST {text}", params, version)
    _check_functions(ast, version)
    match = _FORMAT.search(text)
    return ReadQuery(text=text, format=match[1] if match else None)


def _check_functions(ast: str, version: str) -> None:
    """Refuse file-reading functions and table functions that reach outside the store.

    A ``Function`` line directly under a ``TableExpression`` line is a table function.
    """
    table_expression_depth: int | None = None
    for line in ast.splitlines():
        match = _AST_LINE.match(line)
        if match is None:
            continue
        depth, node, name = len(match[1]), match[2], match[3]
        is_table_function = table_expression_depth is not None and depth > table_expression_depth
        table_expression_depth = depth if node == "TableExpression" else None
        if node != "Function" or name is None:
            continue
        if is_table_function and name not in LOCAL_TABLE_FUNCTIONS:
            raise refuse(f"table function {name}() reads outside the store", version)
        if name in FILE_FUNCTIONS:
            raise refuse(f"function {name}() reads files", version)


def _query(conn: Any, sql: str, params: dict[str, str], version: str) -> str:
    try:
        return conn.query(sql, "TSVRaw", params=params).bytes().decode()
    except Exception as exc:
        raise ClickHouseError.from_chdb(exc, version) from None


def escape_param(value: str) -> str:
    """A query parameter's value as ClickHouse reads it: TSV-escaped text."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
