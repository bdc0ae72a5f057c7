"""deploy/clickhouse: least-privilege users whose grants and settings ClickHouse accepts.

ClickHouse's own parser and settings catalogue come from chDB (the same engine), and the
writer's grants are checked against every statement `tokentrace migrate` really sends.
"""

from __future__ import annotations

import ipaddress
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import clickhouse_connect
import pytest
from deploy_files import COMPOSE_FILE, DEPLOY, KUBERNETES, interpolate, load_yaml, sample_env

from tokentrace.processor.store import store

USERS_FILE = DEPLOY / "clickhouse" / "users.d" / "tokentrace.xml"
LOGGING_FILE = DEPLOY / "clickhouse" / "config.d" / "logging.xml"
WRITER, READER = "tokentrace_writer", "tokentrace_reader"
PASSWORD_ENV = {WRITER: "CLICKHOUSE_WRITER_PASSWORD", READER: "CLICKHOUSE_READER_PASSWORD"}
WRITER_PRIVILEGES = {"SELECT", "INSERT", "ALTER", "CREATE DATABASE", "CREATE TABLE", "CREATE VIEW"}

# What each kind of statement needs, by ClickHouse's privilege names. A statement kind not
# listed here fails the test: decide its privilege, then grant it in users.d/tokentrace.xml.
REQUIRED_PRIVILEGES = (
    (r"EXISTS\b", set()),
    (r"CREATE DATABASE\b", {"CREATE DATABASE"}),
    (r"CREATE TABLE\b", {"CREATE TABLE"}),
    # A materialized view reads its source and writes its TO table as its definer.
    (r"CREATE MATERIALIZED VIEW\b.*\bTO\b", {"CREATE VIEW", "SELECT", "INSERT"}),
    (r"CREATE VIEW\b", {"CREATE VIEW", "SELECT"}),
    (r"ALTER TABLE\b", {"ALTER"}),
    (r"INSERT INTO\b", {"INSERT"}),
    (r"SELECT\b", {"SELECT"}),
)


@pytest.fixture(scope="module")
def root() -> ET.Element:
    return ET.parse(USERS_FILE).getroot()


def user(root: ET.Element, name: str) -> ET.Element:
    found = root.find(f"users/{name}")
    assert found is not None, f"no user {name}"
    return found


def grants(root: ET.Element, name: str) -> list[str]:
    return [query.text or "" for query in user(root, name).findall("grants/query")]


def granted_privileges(grant: str) -> tuple[set[str], str]:
    match = re.fullmatch(r"GRANT (.+) ON (\S+)", grant)
    assert match, f"not a `GRANT ... ON db.*` query: {grant!r}"
    return {p.strip() for p in match[1].split(",")}, match[2]


def profile_settings(root: ET.Element, name: str) -> dict[str, str]:
    profile = root.find(f"profiles/{name}")
    assert profile is not None, f"no profile {name}"
    return {child.tag: child.text or "" for child in profile if child.tag != "constraints"}


def test_users_file_defines_exactly_the_two_users(root: ET.Element) -> None:
    assert root.tag == "clickhouse"
    assert [u.tag for u in root.find("users")] == [WRITER, READER]
    for name in (WRITER, READER):
        entry = user(root, name)
        assert root.find(f"profiles/{entry.findtext('profile')}") is not None
        assert root.find(f"quotas/{entry.findtext('quota')}") is not None
        assert entry.findtext("access_management") == "0"


def test_passwords_come_only_from_the_environment(root: ET.Element) -> None:
    compose = interpolate(load_yaml(COMPOSE_FILE), sample_env())["services"]["clickhouse"]
    (statefulset,) = load_yaml(KUBERNETES / "clickhouse-statefulset.yaml")["spec"]["template"][
        "spec"
    ]["containers"]
    from_secret = {
        e["name"] for e in statefulset["env"] if "secretKeyRef" in e.get("valueFrom", {})
    }
    for name, variable in PASSWORD_ENV.items():
        (password,) = [e for e in user(root, name) if e.tag.startswith("password")]
        assert password.tag == "password" and password.attrib == {"from_env": variable}
        assert not (password.text or "").strip()
        # Both deployments hand the server that variable.
        assert compose["environment"][variable] == sample_env()[variable]
        assert variable in from_secret


def test_users_only_connect_from_private_networks(root: ET.Element) -> None:
    for name in (WRITER, READER):
        networks = [ip.text or "" for ip in user(root, name).findall("networks/ip")]
        assert networks
        for network in networks:
            assert ipaddress.ip_network(network).is_private, f"{name}: {network}"


def test_reader_is_read_only_on_the_tokentrace_database(root: ET.Element) -> None:
    settings = profile_settings(root, READER)
    # 2, not 1: the Grafana plugin sets max_execution_time on every query.
    assert settings["readonly"] == "2"
    assert settings["allow_ddl"] == "0"
    assert grants(root, READER) == ["GRANT SELECT ON tokentrace.*"]
    constraints = root.find(f"profiles/{READER}/constraints")
    assert constraints.find("allow_ddl/const") is not None
    for capped in ("max_memory_usage", "max_execution_time", "max_result_rows"):
        limit = constraints.findtext(f"{capped}/max")
        assert Decimal(settings[capped]) <= Decimal(limit), capped


def test_writer_has_only_what_ingestion_and_migrations_need(root: ET.Element) -> None:
    (grant,) = grants(root, WRITER)
    privileges, on = granted_privileges(grant)
    assert on == "tokentrace.*"
    assert privileges == WRITER_PRIVILEGES
    assert not {p for p in privileges if p.startswith(("DROP", "TRUNCATE", "SYSTEM", "ALL"))}
    settings = profile_settings(root, WRITER)
    # A retried batch must not double count in the rollups (DESIGN §6).
    assert settings["insert_deduplicate"] == "1"
    assert settings["deduplicate_blocks_in_dependent_materialized_views"] == "1"


def test_quotas_meter_the_writer_and_limit_the_reader(root: ET.Element) -> None:
    writer = root.find(f"quotas/{WRITER}/interval")
    assert all(child.text == "0" for child in writer if child.tag != "duration")
    reader = root.find(f"quotas/{READER}/interval")
    assert int(reader.findtext("duration")) == 3600
    assert all(int(child.text) > 0 for child in reader)


def test_grants_parse_with_the_clickhouse_parser(root: ET.Element, store_client) -> None:
    for name in (WRITER, READER):
        for grant in grants(root, name):
            query = f"{grant} TO {name}"
            (formatted,) = store_client.query("SELECT formatQuery(%(q)s)", {"q": query}).first_row
            assert formatted == query


def test_profile_settings_exist_in_clickhouse(root: ET.Element, store_client) -> None:
    known = {row[0] for row in store_client.query("SELECT name FROM system.settings").result_rows}
    for profile in root.find("profiles"):
        names = {child.tag for child in profile if child.tag != "constraints"}
        names |= {child.tag for child in profile.find("constraints") or []}
        assert names <= known, f"{profile.tag}: unknown settings {sorted(names - known)}"


def apply_profile(client: Any, settings: dict[str, str]) -> Any:
    """Put a connection under a settings profile, as the server does at login."""
    # readonly last: the profile's other settings are applied first, as the server would.
    for name, value in sorted(settings.items(), key=lambda item: item[0] == "readonly"):
        literal = value if value.isdigit() else f"'{value}'"
        client.command(f"SET {name} = {literal}")
    return client


@pytest.fixture
def reader_session(root: ET.Element, store_client, chdb_url: str) -> Iterator[Any]:
    """A connection of its own to the migrated test database, under the reader profile."""
    session = apply_profile(
        store.connect(chdb_url, database=store_client.database), profile_settings(root, READER)
    )
    yield session
    session.close()


def test_reader_profile_refuses_writes_and_lets_grafana_set_its_timeout(
    reader_session, store_client
) -> None:
    with pytest.raises(Exception, match="readonly mode"):
        reader_session.command("INSERT INTO llm_calls (provider, cost) VALUES ('openai', 1)")
    with pytest.raises(Exception, match="readonly mode"):
        reader_session.command("DROP TABLE llm_calls")
    # What every Grafana panel query does: set its own max_execution_time.
    result = reader_session.query(
        "SELECT count() FROM llm_cost_daily", settings={"max_execution_time": 30}
    )
    assert result.result_rows == [(0,)]
    # The profile stayed on its own connection.
    store_client.command("INSERT INTO budgets (scope, period, amount) VALUES ('', 'month', 10)")
    assert store_client.query("SELECT count() FROM budgets").result_rows == [(1,)]


def test_a_read_only_user_can_open_the_store(
    root: ET.Element, store_client, chdb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tokentrace report --clickhouse http://tokentrace_reader:...` connects like this."""
    real_get_client = clickhouse_connect.get_client
    reader = profile_settings(root, READER)
    monkeypatch.setattr(
        store.clickhouse_connect,
        "get_client",
        lambda **kwargs: apply_profile(real_get_client(**kwargs), reader),
    )
    client = store.connect(chdb_url, database=store_client.database)
    try:
        assert client.query("SELECT count() FROM llm_cost_hourly").result_rows == [(0,)]
    finally:
        client.close()


class _Recorder:
    """A real chDB client that also records each statement sent through it."""

    def __init__(self, client: Any, sent: list[str]) -> None:
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_sent", sent)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._client, name, value)

    def command(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._sent.append(sql)
        return self._client.command(sql, *args, **kwargs)

    def query(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self._sent.append(sql)
        return self._client.query(sql, *args, **kwargs)

    def insert(self, table: str, *args: Any, **kwargs: Any) -> Any:
        self._sent.append(f"INSERT INTO {table}")
        return self._client.insert(table, *args, **kwargs)


@pytest.fixture
def migration_statements(chdb_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement `tokentrace migrate` sends to a fresh database."""
    sent: list[str] = []
    real_get_client = clickhouse_connect.get_client
    monkeypatch.setattr(
        store.clickhouse_connect,
        "get_client",
        lambda **kwargs: _Recorder(real_get_client(**kwargs), sent),
    )
    client = store.connect(chdb_url, database="deploy_grants")
    # As on the ClickHouse server these grants are for: its views are not reloaded after
    # migrating (store.reload_views is an embedded store's), so no DETACH (a DROP, which this
    # writer is not granted) is sent.
    store._EMBEDDED.discard(client)
    store.migrate(client)
    assert not any(statement.startswith(("DETACH", "ATTACH")) for statement in sent)
    yield sent
    client.command("DROP DATABASE IF EXISTS deploy_grants")


def test_writer_grants_cover_every_statement_migrate_sends(
    root: ET.Element, migration_statements: list[str]
) -> None:
    privileges, _ = granted_privileges(grants(root, WRITER)[0])
    kinds = set()
    for statement in migration_statements:
        text = " ".join(statement.split())
        needed = next((need for kind, need in REQUIRED_PRIVILEGES if re.match(kind, text)), None)
        assert needed is not None, f"no privilege known for: {text[:80]}"
        assert needed <= privileges, f"{text[:80]} needs {sorted(needed - privileges)}"
        kinds.add(text.split(" (")[0].split(" IF ")[0])
    assert {"CREATE DATABASE", "CREATE TABLE", "CREATE MATERIALIZED VIEW"} <= kinds


def test_logging_config_is_valid(store_client) -> None:
    config = ET.parse(LOGGING_FILE).getroot()
    assert config.tag == "clickhouse"
    assert config.findtext("logger/level") in {"information", "warning", "error"}
    for table in ("query_log", "part_log"):
        ttl = config.findtext(f"{table}/ttl")
        query = f"ALTER TABLE system.{table} MODIFY TTL {ttl}"
        (formatted,) = store_client.query("SELECT formatQuery(%(q)s)", {"q": query}).first_row
        assert "MODIFY TTL event_date + toIntervalDay(30)" in " ".join(formatted.split())
