"""ClickHouse's exceptions as its HTTP interface sends them.

Clients (clickhouse-connect, ``@clickhouse/client``, clickhouse-go, Grafana's data source)
read the code from the ``X-ClickHouse-Exception-Code`` header or from the body's
``Code: N. DB::Exception: … (NAME) (version …)`` text, so errors raised here, and the ones
chDB raises, are sent in exactly that shape.
"""

from __future__ import annotations

import re

# Codes this interface raises itself; chDB's own errors carry their code in their text.
UNKNOWN_SETTING = 115
BAD_ARGUMENTS = 36
READONLY = 164
TOO_MANY_SIMULTANEOUS_QUERIES = 202
NOT_IMPLEMENTED = 48
SYNTAX_ERROR = 62
UNKNOWN_TABLE = 60
QUERY_IS_TOO_LARGE = 393
TOO_MANY_ROWS_OR_BYTES = 396
AUTHENTICATION_FAILED = 516
STD_EXCEPTION = 1001

_NAMES = {
    UNKNOWN_SETTING: "UNKNOWN_SETTING",
    BAD_ARGUMENTS: "BAD_ARGUMENTS",
    READONLY: "READONLY",
    TOO_MANY_SIMULTANEOUS_QUERIES: "TOO_MANY_SIMULTANEOUS_QUERIES",
    NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
    SYNTAX_ERROR: "SYNTAX_ERROR",
    UNKNOWN_TABLE: "UNKNOWN_TABLE",
    QUERY_IS_TOO_LARGE: "QUERY_IS_TOO_LARGE",
    TOO_MANY_ROWS_OR_BYTES: "TOO_MANY_ROWS_OR_BYTES",
    AUTHENTICATION_FAILED: "AUTHENTICATION_FAILED",
    STD_EXCEPTION: "STD_EXCEPTION",
}

# HTTP statuses as ClickHouse's exceptionCodeToHTTPStatus maps the codes that reads meet
# (the rest are 500); 202 gets 503 so that clients and proxies take it as "retry shortly".
_STATUS = {
    AUTHENTICATION_FAILED: 403,
    SYNTAX_ERROR: 400,
    BAD_ARGUMENTS: 400,
    27: 400,  # CANNOT_PARSE_INPUT_ASSERTION_FAILED
    53: 400,  # TYPE_MISMATCH
    117: 400,  # INCORRECT_DATA
    456: 400,  # UNKNOWN_QUERY_PARAMETER
    457: 400,  # BAD_QUERY_PARAMETER
    46: 404,  # UNKNOWN_FUNCTION
    47: 404,  # UNKNOWN_IDENTIFIER
    50: 404,  # UNKNOWN_TYPE
    UNKNOWN_TABLE: 404,
    73: 404,  # UNKNOWN_FORMAT
    81: 404,  # UNKNOWN_DATABASE
    UNKNOWN_SETTING: 404,
    QUERY_IS_TOO_LARGE: 413,
    NOT_IMPLEMENTED: 501,
    159: 408,  # TIMEOUT_EXCEEDED
    TOO_MANY_SIMULTANEOUS_QUERIES: 503,
}

_CODE = re.compile(r"Code: (\d+)\. ")


class ClickHouseError(Exception):
    """An error to send as ClickHouse does; ``str()`` is the body's first line."""

    def __init__(self, code: int, message: str, version: str = "") -> None:
        self.code = code
        self.message = message
        self.version = version
        super().__init__(self.text())

    @classmethod
    def from_chdb(cls, error: BaseException | str, version: str) -> ClickHouseError:
        """Wrap an error chDB raised; its text already reads ``Code: N. DB::Exception: …``."""
        text = str(error).strip()
        start = text.find("Code: ")
        text = text[start:] if start >= 0 else text
        match = _CODE.match(text)
        if match is None:
            return cls(STD_EXCEPTION, text or "unknown error", version)
        return _Wrapped(int(match[1]), text, version)

    def text(self) -> str:
        version = f" (version {self.version})" if self.version else ""
        return f"Code: {self.code}. DB::Exception: {self.message}. ({self.name}){version}"

    @property
    def name(self) -> str:
        """The code's name, as clickhouse-connect's errors carry it (``sink.missing_table``)."""
        return _NAMES.get(self.code, "UNKNOWN_EXCEPTION")

    @property
    def http_status(self) -> int:
        return _STATUS.get(self.code, 500)


class _Wrapped(ClickHouseError):
    """A chDB error: its text is kept as the engine wrote it, with the version added."""

    def text(self) -> str:
        if "(version " in self.message or not self.version:
            return self.message
        return f"{self.message} (version {self.version})"
