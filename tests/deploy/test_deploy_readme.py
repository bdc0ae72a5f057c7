"""deploy/README.md: its SQL runs through ClickHouse's parser and matches users.d; its YAML
snippets parse; the files it lists exist."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from deploy_files import (
    COMPOSE_FILE,
    DEPLOY,
    ENV_EXAMPLE,
    SECRETS,
    InterpolationError,
    interpolate,
    load_yaml,
    read_env_file,
)

README = DEPLOY / "README.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"^ *```{language}\n(.*?)^ *```", README.read_text(), flags=re.M | re.S)


def test_readme_sql_parses_and_grants_what_users_d_grants(store_client) -> None:
    (sql,) = blocks("sql")
    statements = [s.strip() for s in sql.split(";") if s.strip()]
    for statement in statements:
        (formatted,) = store_client.query("SELECT formatQuery(%(q)s)", {"q": statement}).first_row
        assert formatted.split()[0] == statement.split()[0]
    users = ET.parse(DEPLOY / "clickhouse/users.d/tokentrace.xml").getroot()
    from_xml = {
        f"{query.text} TO {user.tag}"
        for user in users.find("users")
        for query in user.iter("query")
    }
    assert {s for s in statements if s.startswith("GRANT")} == from_xml
    reader_profile = next(s for s in statements if "PROFILE tokentrace_reader SETTINGS" in s)
    assert "readonly = " + users.findtext("profiles/tokentrace_reader/readonly") in reader_profile


def test_readme_yaml_snippets_parse() -> None:
    snippets = blocks("yaml")
    assert len(snippets) >= 2
    for snippet in snippets:
        assert isinstance(yaml.safe_load(snippet), dict)


def test_files_the_readme_lists_exist() -> None:
    listed = re.findall(r"^\| `([^`]+)` \|", README.read_text(), flags=re.M)
    assert "docker-compose.yml" in listed and "kubernetes/" in listed
    for name in listed:
        assert (DEPLOY / name).exists(), name


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_readme_secret_generation_fills_every_secret_but_the_webhook(tmp_path: Path) -> None:
    (setup,) = [b for b in blocks("sh") if "cp .env.example .env" in b]
    loop = re.search(r"^for v in .*?^done$", setup, flags=re.M | re.S)[0]
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    subprocess.run(["bash", "-euc", loop], cwd=tmp_path, check=True, timeout=60)
    env = read_env_file(tmp_path / ".env")
    generated = {name: env[name] for name in SECRETS if name != "TOKENTRACE_ALERT_WEBHOOK_URL"}
    assert all(re.fullmatch(r"[0-9a-f]{48}", value) for value in generated.values())
    assert len(set(generated.values())) == len(generated)
    # The one value left to the user, as the README says.
    with pytest.raises(InterpolationError, match="TOKENTRACE_ALERT_WEBHOOK_URL"):
        interpolate(load_yaml(COMPOSE_FILE), env)
    env["TOKENTRACE_ALERT_WEBHOOK_URL"] = "https://hooks.example.com/t"
    interpolate(load_yaml(COMPOSE_FILE), env)
