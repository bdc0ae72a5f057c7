"""The deploy/ files as the deploy tests read them: paths, loaders, compose interpolation.

No Docker engine or cluster runs in CI, so the tests check the files themselves: parsed,
validated against the published schemas, and cross-checked against each other and the code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
PROVISIONING = REPO / "grafana" / "provisioning"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
ENV_EXAMPLE = DEPLOY / ".env.example"
SECRETS_EXAMPLE = KUBERNETES / "secrets.env.example"

# Secrets: required in compose (${VAR:?...}) and keys of the Kubernetes Secret.
SECRETS = (
    "CLICKHOUSE_WRITER_PASSWORD",
    "CLICKHOUSE_READER_PASSWORD",
    "TOKENTRACE_AUTH_TOKEN",
    "GRAFANA_ADMIN_PASSWORD",
    "TOKENTRACE_ALERT_WEBHOOK_URL",
)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def load_yaml_all(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines as docker compose and kustomize read them (no quotes used here)."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Z_][A-Z0-9_]*", key):
            raise ValueError(f"{path}:{number}: not a KEY=VALUE line: {line!r}")
        values[key] = value
    return values


def sample_env() -> dict[str, str]:
    """``.env.example`` as a user fills it in: every secret set, the defaults kept."""
    env = read_env_file(ENV_EXAMPLE)
    for index, name in enumerate(SECRETS):
        env[name] = "https://hooks.example.com/t" if name.endswith("_URL") else f"{index:02d}" * 24
    return env


# ------------------------------------------------------------------ compose interpolation

# The Compose Specification's interpolation: $$, $VAR, ${VAR}, ${VAR:-x}, ${VAR-x},
# ${VAR:?err}, ${VAR?err}, ${VAR:+x}, ${VAR+x}.
_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


class InterpolationError(ValueError):
    """A required variable (``${VAR:?message}``) is unset or empty."""


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Substitute variables in every string of a parsed compose file, as compose does."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["named"]
        op, arg, current = match["op"], match["arg"], env.get(name)
        is_set = bool(current) if op and op.startswith(":") else current is not None
        if op in (":-", "-"):
            return current if is_set else arg
        if op in (":?", "?"):
            if not is_set:
                raise InterpolationError(f"required variable {name} is missing a value: {arg}")
            return current
        if op in (":+", "+"):
            return arg if is_set else ""
        return current or ""

    return _VARIABLE.sub(substitute, value)


def variable_uses(value: Any) -> Iterator[tuple[str, str | None]]:
    """Every ``(name, operator)`` a compose value refers to (``$$`` is not a variable)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from variable_uses(item)
    elif isinstance(value, list):
        for item in value:
            yield from variable_uses(item)
    elif isinstance(value, str):
        for match in _VARIABLE.finditer(value):
            if not match["escaped"]:
                yield match["braced"] or match["named"], match["op"]


# ------------------------------------------------------------------ grafana provisioning


def provisioning_env_vars() -> set[str]:
    """Environment variables the provisioning YAML expands (``$VAR`` / ``${VAR}``).

    Grafana expands them in provisioning YAML only (not in dashboard JSON), and the
    ClickHouse macros (``$__timeFilter``) are not environment variables.
    """
    names: set[str] = set()
    for path in PROVISIONING.rglob("*"):
        if path.suffix in (".yaml", ".yml"):
            text = path.read_text()
            names.update(re.findall(r"(?<!\$)\$\{?([A-Z][A-Z0-9_]*)\}?", text))
    return names
