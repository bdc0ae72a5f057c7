"""The ClickHouse data source every dashboard and alert rule points at, by a fixed uid.

Two renderings of one definition: the provisioning file (connection settings taken from
the Grafana server's environment when Grafana reads the file) and the API body that
``tokentrace grafana provision`` sends (settings taken from a ClickHouse URL).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

UID = "tokentrace-clickhouse"
TYPE = "grafana-clickhouse-datasource"
NAME = "tokentrace ClickHouse"

# What dashboard targets and alert queries put in their ``datasource`` field.
REF = {"type": TYPE, "uid": UID}

# Grafana expands $VAR in provisioning files when it reads them.
ENV = {
    "host": "TOKENTRACE_CLICKHOUSE_HOST",
    "port": "TOKENTRACE_CLICKHOUSE_PORT",
    "username": "TOKENTRACE_CLICKHOUSE_USER",
    "password": "TOKENTRACE_CLICKHOUSE_PASSWORD",
    "database": "TOKENTRACE_CLICKHOUSE_DATABASE",
    # "true" for a TLS-only ClickHouse; the plugin parses the expanded string as a bool.
    "secure": "TOKENTRACE_CLICKHOUSE_SECURE",
}


def _body(
    *, host: str, port: str | int, username: str, database: str, secure: bool | str
) -> dict[str, Any]:
    return {
        "name": NAME,
        "type": TYPE,
        "uid": UID,
        "access": "proxy",
        "isDefault": False,
        "jsonData": {
            "host": host,
            "port": port,
            "protocol": "http",
            "secure": secure,
            "username": username,
            "defaultDatabase": database,
        },
    }


def provisioning_file() -> dict[str, Any]:
    """``provisioning/datasources/tokentrace.yaml``."""
    datasource = _body(
        host=f"${ENV['host']}",
        port=f"${ENV['port']}",
        username=f"${ENV['username']}",
        database=f"${ENV['database']}",
        secure=f"${ENV['secure']}",
    )
    datasource["orgId"] = 1
    datasource["editable"] = False  # a file-provisioned source is changed in the file
    datasource["secureJsonData"] = {"password": f"${ENV['password']}"}
    return {"apiVersion": 1, "datasources": [datasource]}


def api_body(clickhouse_url: str) -> dict[str, Any]:
    """The data source for a ClickHouse server URL, ``http(s)://user:pass@host:port/db``.

    The embedded chDB store cannot be a Grafana data source: Grafana needs a server.
    """
    parts = urlsplit(clickhouse_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"Grafana needs a ClickHouse server URL (http(s)://user:pass@host:8123/db), "
            f"not {clickhouse_url!r}"
        )
    secure = parts.scheme == "https"
    body = _body(
        host=parts.hostname,
        port=parts.port or (8443 if secure else 8123),
        username=unquote(parts.username or "default"),
        database=parts.path.strip("/") or "default",
        secure=secure,
    )
    body["secureJsonData"] = {"password": unquote(parts.password or "")}
    return body
