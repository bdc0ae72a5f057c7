"""deploy/processor/Dockerfile, parsed with Docker's own parser, and the root .dockerignore."""

from __future__ import annotations

import fnmatch
from importlib import metadata

import dockerfile
import pytest
from deploy_files import DEPLOY, REPO

from tokentrace.processor import cli

DOCKERFILE = DEPLOY / "processor" / "Dockerfile"


@pytest.fixture(scope="module")
def commands() -> tuple[dockerfile.Command, ...]:
    return dockerfile.parse_file(str(DOCKERFILE))


def final_stage(commands: tuple[dockerfile.Command, ...]) -> list[dockerfile.Command]:
    last_from = max(i for i, c in enumerate(commands) if c.cmd == "FROM")
    return list(commands[last_from:])


def only(stage: list[dockerfile.Command], instruction: str) -> dockerfile.Command:
    found = [c for c in stage if c.cmd == instruction]
    assert len(found) == 1, f"expected one {instruction}, found {len(found)}"
    return found[0]


def dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def is_ignored(path: str, patterns: list[str]) -> bool:
    """.dockerignore semantics for the plain patterns used here: the last match wins."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.removeprefix("!")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        candidates = [pattern, pattern.removeprefix("**/")]
        if any(fnmatch.fnmatchcase(p, c) for p in prefixes for c in candidates) or (
            pattern.startswith("**/")
            and any(fnmatch.fnmatchcase(part, pattern[3:]) for part in parts)
        ):
            ignored = not negate
    return ignored


def test_multi_stage_build_on_a_pinned_slim_python_311(commands) -> None:
    args = {
        c.value[0].split("=")[0]: c.value[0].split("=", 1)[1] for c in commands if c.cmd == "ARG"
    }
    assert args["PYTHON_IMAGE"] == "python:3.11-slim-bookworm"
    froms = [c.value for c in commands if c.cmd == "FROM"]
    assert froms == [("${PYTHON_IMAGE}", "AS", "build"), ("${PYTHON_IMAGE}",)]


def test_build_stage_installs_the_processor_extra(commands) -> None:
    runs = [c.value[0] for c in commands if c.cmd == "RUN"]
    assert any('pip install ".[processor]"' in run for run in runs)
    assert "processor" in metadata.metadata("tokentrace").get_all("Provides-Extra")


def test_copied_sources_exist_and_are_not_dockerignored(commands) -> None:
    patterns = dockerignore_patterns()
    copies = [c for c in commands if c.cmd == "COPY" and not c.flags]
    sources = [src for c in copies for src in c.value[:-1]]
    assert sources == ["pyproject.toml", "README.md", "instrumentation", "processor", "grafana"]
    for source in sources:
        assert (REPO / source).exists(), source
        assert not is_ignored(source, patterns), f"{source} is excluded by .dockerignore"


def test_dockerignore_keeps_secrets_and_caches_out_of_the_context() -> None:
    patterns = dockerignore_patterns()
    for path in (
        ".git",
        "deploy/.env",
        "deploy/kubernetes/secrets.env",
        "tests/deploy",
        "processor/__pycache__/store.cpython-311.pyc",
        ".venv/bin/python",
        "x/.env",
    ):
        assert is_ignored(path, patterns), path
    for path in (
        "processor/store/store.py",
        "processor/store/migrations/0001_cost_tables.sql",
        "README.md",
    ):
        assert not is_ignored(path, patterns), path


def test_runtime_stage_runs_as_a_non_root_user(commands) -> None:
    stage = final_stage(commands)
    assert only(stage, "USER").value == ("10001:10001",)
    assert ("--from=build",) in [c.flags for c in stage if c.cmd == "COPY"]


def test_runtime_stage_ports_volume_and_healthcheck(commands) -> None:
    stage = final_stage(commands)
    assert only(stage, "EXPOSE").value == ("4317", "4318")
    assert only(stage, "VOLUME").value == ("/var/lib/tokentrace/spool",)
    check = only(stage, "HEALTHCHECK")
    assert check.value[0] == "CMD" and check.json
    assert "http://127.0.0.1:4318/readyz" in check.value[-1]
    assert {f.split("=")[0] for f in check.flags} == {
        "--interval",
        "--timeout",
        "--start-period",
        "--retries",
    }


def test_entrypoint_is_the_tokentrace_script_serving_on_all_interfaces(commands) -> None:
    stage = final_stage(commands)
    entrypoint, cmd = only(stage, "ENTRYPOINT"), only(stage, "CMD")
    assert entrypoint.json and entrypoint.value == ("tokentrace",)
    assert cmd.json and cmd.value == ("serve", "--host", "0.0.0.0")
    (script,) = metadata.entry_points(group="console_scripts", name="tokentrace")
    assert script.value == "tokentrace.processor.cli:main"
    assert "serve" in cli.COMMANDS


def test_is_ignored_matches_dockerignore_rules() -> None:
    patterns = ["deploy", "**/.env", "**/__pycache__", "!deploy/keep"]
    assert is_ignored("deploy/x.yml", patterns)
    assert not is_ignored("deploy/keep", patterns)
    assert is_ignored("a/b/.env", patterns) and is_ignored(".env", patterns)
    assert is_ignored("a/__pycache__/m.pyc", patterns)
    assert not is_ignored("deployment.txt", patterns)
