"""deploy/docker-compose.yml: valid Compose Specification, pinned, healthy, wired together."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import dockerfile
import pytest
import yaml
from deploy_files import (
    COMPOSE_FILE,
    DEPLOY,
    ENV_EXAMPLE,
    PROVISIONING,
    REPO,
    SECRETS,
    InterpolationError,
    interpolate,
    load_yaml,
    provisioning_env_vars,
    read_env_file,
    sample_env,
    variable_uses,
)

from tokentrace.processor.store import store

# check-jsonschema ships the Compose Specification's published JSON schema.
CHECK_COMPOSE_SCHEMA = (
    sys.executable,
    "-m",
    "check_jsonschema",
    "--builtin-schema",
    "vendor.compose-spec",
)

# Services that run once or cannot be probed from inside, and why (the rest must be probed).
UNPROBED = {"otel-collector": "FROM scratch image (no shell): probed on :13133 from outside"}


@pytest.fixture(scope="module")
def raw() -> dict:
    return load_yaml(COMPOSE_FILE)


@pytest.fixture(scope="module")
def compose(raw: dict) -> dict:
    """The file as `docker compose config` sees it with a filled-in .env."""
    return interpolate(raw, sample_env())


def check_compose_schema(document: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    rendered = tmp_path / "compose.yaml"
    rendered.write_text(yaml.safe_dump(document))
    return subprocess.run(
        [*CHECK_COMPOSE_SCHEMA, str(rendered)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_compose_file_is_valid_against_the_compose_specification(
    compose: dict, tmp_path: Path
) -> None:
    result = check_compose_schema(compose, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_misspelt_key(compose: dict, tmp_path: Path) -> None:
    broken = {**compose, "services": {**compose["services"]}}
    broken["services"]["processor"] = {**compose["services"]["processor"], "healtcheck": {}}
    result = check_compose_schema(broken, tmp_path)
    assert result.returncode == 1
    assert "'healtcheck' was unexpected" in result.stdout


def test_services_are_the_stack(compose: dict) -> None:
    assert set(compose["services"]) == {"clickhouse", "processor", "grafana", "otel-collector"}
    assert compose["services"]["otel-collector"]["profiles"] == ["collector"]
    assert all("profiles" not in s for n, s in compose["services"].items() if n != "otel-collector")


def test_registry_images_are_pinned_and_the_processor_is_built(compose: dict) -> None:
    for name, service in compose["services"].items():
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag, f"{name}: {image} has no tag"
        assert tag != "latest" and re.fullmatch(r"\d+(\.\d+)+", tag), f"{name}: {image}"
    images = {name: s["image"].rpartition(":")[0] for name, s in compose["services"].items()}
    assert images == {
        "clickhouse": "clickhouse/clickhouse-server",
        "processor": "tokentrace-processor",
        "grafana": "grafana/grafana",
        "otel-collector": "otel/opentelemetry-collector-contrib",
    }
    build = compose["services"]["processor"]["build"]
    assert (COMPOSE_FILE.parent / build["context"]).resolve() == REPO
    assert (REPO / build["dockerfile"]).is_file()


def test_every_long_running_service_has_a_healthcheck(compose: dict) -> None:
    for name, service in compose["services"].items():
        check = service["healthcheck"]
        if name in UNPROBED:
            assert check == {"disable": True}, name
            continue
        assert check["test"][0] == "CMD", name
        assert {"interval", "timeout", "retries", "start_period"} <= set(check), name
    probes = {
        name: " ".join(s["healthcheck"].get("test", [])) for name, s in compose["services"].items()
    }
    assert "http://127.0.0.1:4318/readyz" in probes["processor"]
    assert "http://127.0.0.1:8123/ping" in probes["clickhouse"]
    assert "http://127.0.0.1:3000/api/health" in probes["grafana"]


def test_processor_healthcheck_matches_the_image_healthcheck(compose: dict) -> None:
    commands = dockerfile.parse_file(str(DEPLOY / "processor" / "Dockerfile"))
    (image_check,) = [c for c in commands if c.cmd == "HEALTHCHECK"]
    assert list(image_check.value) == compose["services"]["processor"]["healthcheck"]["test"]


def test_secrets_are_required_everywhere_they_are_used(raw: dict) -> None:
    uses: dict[str, set[str | None]] = {}
    for name, op in variable_uses(raw):
        uses.setdefault(name, set()).add(op)
    for secret in SECRETS:
        assert uses.get(secret) == {":?"}, f"{secret} must always be ${{{secret}:?...}}"


@pytest.mark.parametrize("secret", SECRETS)
def test_a_missing_secret_stops_compose(raw: dict, secret: str) -> None:
    for empty in ({}, {secret: ""}):
        env = {k: v for k, v in sample_env().items() if k != secret} | empty
        with pytest.raises(InterpolationError, match=secret):
            interpolate(raw, env)


def test_env_example_lists_exactly_the_variables_compose_uses(raw: dict) -> None:
    used = {name for name, _ in variable_uses(raw)}
    listed = set(read_env_file(ENV_EXAMPLE))
    assert used == listed
    # Secrets ship empty, so an unedited copy fails loudly instead of using a known value.
    assert all(read_env_file(ENV_EXAMPLE)[secret] == "" for secret in SECRETS)


def test_defaults_in_compose_match_env_example(raw: dict) -> None:
    example = read_env_file(ENV_EXAMPLE)
    text = COMPOSE_FILE.read_text()
    for name, default in re.findall(r"\$\{([A-Z0-9_]+):-([^}]*)\}", text):
        assert example[name] == default, name


def test_published_ports(compose: dict) -> None:
    def ports(name: str) -> list[str]:
        return compose["services"][name].get("ports", [])

    assert ports("processor") == ["4317:4317", "4318:4318"]
    assert ports("otel-collector") == ["14317:4317", "14318:4318", "127.0.0.1:13133:13133"]
    assert ports("clickhouse") == ["127.0.0.1:8123:8123"]
    assert ports("grafana") == ["3000:3000"]
    host_ports = [
        p.rsplit(":", 1)[0].rsplit(":", 1)[-1] for s in compose["services"] for p in ports(s)
    ]
    assert len(host_ports) == len(set(host_ports)), "two services publish one host port"


def test_processor_command_spools_to_its_volume(compose: dict) -> None:
    processor = compose["services"]["processor"]
    command = processor["command"]
    assert command[:3] == ["serve", "--host", "0.0.0.0"]
    spool = command[command.index("--spool-dir") + 1]
    assert f"processor-spool:{spool}" in processor["volumes"]


def test_named_volumes_are_declared_and_bind_mounts_exist(compose: dict) -> None:
    declared = set(compose["volumes"])
    used = set()
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source, target, *mode = volume.split(":")
            assert target.startswith("/"), f"{name}: {volume}"
            if source.startswith("."):
                assert (COMPOSE_FILE.parent / source).exists(), f"{name}: {source} is missing"
                assert mode == ["ro"], f"{name}: bind mounts are read-only: {volume}"
            else:
                used.add(source)
    assert used == declared == {"clickhouse-data", "processor-spool", "grafana-data"}


def test_grafana_mounts_the_provisioning_folder(compose: dict) -> None:
    volumes = compose["services"]["grafana"]["volumes"]
    assert "../grafana/provisioning:/etc/grafana/provisioning:ro" in volumes
    assert (COMPOSE_FILE.parent / "../grafana/provisioning").resolve() == PROVISIONING
    assert {p.name for p in PROVISIONING.iterdir() if p.is_dir()} >= {"datasources", "dashboards"}


def test_grafana_environment_provides_every_variable_provisioning_reads(compose: dict) -> None:
    environment = compose["services"]["grafana"]["environment"]
    wanted = provisioning_env_vars()
    assert "TOKENTRACE_CLICKHOUSE_PASSWORD" in wanted
    missing = wanted - set(environment)
    assert not missing, f"grafana/provisioning reads {sorted(missing)}, compose does not set them"
    assert environment["TOKENTRACE_CLICKHOUSE_USER"] == "tokentrace_reader"
    assert (
        environment["TOKENTRACE_CLICKHOUSE_PASSWORD"] == sample_env()["CLICKHOUSE_READER_PASSWORD"]
    )
    assert "TOKENTRACE_ALERT_WEBHOOK_URL" in environment
    assert re.fullmatch(
        r"grafana-clickhouse-datasource@4\.\d+\.\d+", environment["GF_PLUGINS_PREINSTALL_SYNC"]
    )
    assert environment["GF_SECURITY_ADMIN_PASSWORD"] == sample_env()["GRAFANA_ADMIN_PASSWORD"]


def test_depends_on_waits_for_health_and_for_the_migration(compose: dict) -> None:
    services = compose["services"]
    conditions = {
        name: {dep: spec["condition"] for dep, spec in s.get("depends_on", {}).items()}
        for name, s in services.items()
    }
    assert conditions == {
        "clickhouse": {},
        "processor": {"clickhouse": "service_healthy"},
        "grafana": {"clickhouse": "service_healthy"},
        "otel-collector": {"processor": "service_healthy"},
    }


def test_processor_writes_with_the_writer_user(compose: dict) -> None:
    processor = compose["services"]["processor"]["environment"]
    url = processor["TOKENTRACE_CLICKHOUSE_URL"]
    parsed = store.StoreURL.parse(url)
    assert not parsed.embedded and parsed.database == "tokentrace"
    password = sample_env()["CLICKHOUSE_WRITER_PASSWORD"]
    assert url == f"http://tokentrace_writer:{password}@clickhouse:8123/tokentrace"
    assert processor["TOKENTRACE_AUTH_TOKEN"] == sample_env()["TOKENTRACE_AUTH_TOKEN"]
    assert (
        "./prices.yaml:" + processor["TOKENTRACE_PRICES_FILE"] + ":ro"
        in (compose["services"]["processor"]["volumes"])
    )


def test_clickhouse_gets_its_users_passwords_and_file_limits(compose: dict) -> None:
    clickhouse = compose["services"]["clickhouse"]
    assert clickhouse["ulimits"]["nofile"] == {"soft": 262144, "hard": 262144}
    environment = clickhouse["environment"]
    assert environment["CLICKHOUSE_DB"] == "tokentrace"
    # Setting CLICKHOUSE_USER/PASSWORD would make the entrypoint open `default` to the network.
    assert not {"CLICKHOUSE_USER", "CLICKHOUSE_PASSWORD", "CLICKHOUSE_SKIP_USER_SETUP"} & set(
        environment
    )
    for secret in ("CLICKHOUSE_WRITER_PASSWORD", "CLICKHOUSE_READER_PASSWORD"):
        assert environment[secret] == sample_env()[secret]
    assert (
        "./clickhouse/users.d/tokentrace.xml:/etc/clickhouse-server/users.d/tokentrace.xml:ro"
        in clickhouse["volumes"]
    )


def test_processor_container_is_hardened(compose: dict) -> None:
    processor = compose["services"]["processor"]
    assert processor["read_only"] is True
    assert processor["cap_drop"] == ["ALL"]
    assert processor["security_opt"] == ["no-new-privileges:true"]


@pytest.mark.skipif(
    shutil.which("docker") is None
    or subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0,
    reason="the docker compose plugin is not installed (no engine is needed for `config`)",
)
def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in sample_env().items()))
    result = subprocess.run(
        [
            *("docker", "compose", "--env-file", str(env_file), "-f", str(COMPOSE_FILE)),
            *("--profile", "collector", "config", "--services"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == set(load_yaml(COMPOSE_FILE)["services"])
