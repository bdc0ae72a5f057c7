"""Every `tokentrace` command line in deploy/ parses with the real CLI and means what it should."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dockerfile
import pytest
from deploy_files import COMPOSE_FILE, DEPLOY, KUBERNETES, load_yaml

from tokentrace.processor import cli
from tokentrace.processor.commands import serve

SPOOL = Path("/var/lib/tokentrace/spool")


def parse(argv: list[str]):
    return cli.build_parser(only=argv[0]).parse_args(argv)


def dockerfile_instruction(name: str) -> dockerfile.Command:
    commands = dockerfile.parse_file(str(DEPLOY / "processor" / "Dockerfile"))
    return [c for c in commands if c.cmd == name][-1]


def test_image_default_command_serves_on_all_interfaces() -> None:
    args = parse(list(dockerfile_instruction("CMD").value))
    assert args.func is serve.run
    assert (args.host, args.http_port, args.grpc_port) == ("0.0.0.0", 4318, 4317)


def test_image_default_spool_is_the_volume(monkeypatch: pytest.MonkeyPatch) -> None:
    values = dockerfile_instruction("ENV").value  # the parser gives name, value, name, ...
    env = dict(zip(values[::2], values[1::2], strict=True))
    monkeypatch.setenv("XDG_DATA_HOME", env["XDG_DATA_HOME"])
    assert serve.default_spool_dir() == SPOOL
    assert dockerfile_instruction("VOLUME").value == (str(SPOOL),)


@pytest.mark.parametrize(
    "argv",
    [
        load_yaml(COMPOSE_FILE)["services"]["processor"]["command"],
        load_yaml(KUBERNETES / "processor-statefulset.yaml")["spec"]["template"]["spec"][
            "containers"
        ][0]["args"],
    ],
    ids=["compose", "kubernetes"],
)
def test_deployed_processor_serves_on_all_interfaces_and_spools_to_its_volume(
    argv: list[str],
) -> None:
    args = parse(argv)
    assert args.func is serve.run
    assert (args.host, args.http_port, args.grpc_port) == ("0.0.0.0", 4318, 4317)
    assert args.spool_dir == SPOOL
    # The store comes from TOKENTRACE_CLICKHOUSE_URL, never a password on the command line.
    assert args.clickhouse is None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_image_healthcheck_follows_a_real_processor(tmp_path: Path) -> None:
    """The HEALTHCHECK command, run as Docker runs it, against `tokentrace serve`."""
    port = free_port()
    _, python, *check = dockerfile_instruction("HEALTHCHECK").value
    assert python == "python"
    check = [sys.executable, *(part.replace(":4318/", f":{port}/") for part in check)]

    def healthy() -> bool:
        return subprocess.run(check, capture_output=True, timeout=30).returncode == 0

    assert not healthy(), "nothing listens yet"
    argv = [*dockerfile_instruction("CMD").value]
    argv[argv.index("--host") + 1] = "127.0.0.1"  # the image listens on 0.0.0.0
    options = ["--http-port", str(port), "--grpc-port", "0", "--spool-dir", str(tmp_path / "spool")]
    store = f"chdb://{tmp_path / 'store'}"
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tokentrace.processor.cli",
                *argv,
                *options,
                "--clickhouse",
                store,
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while not healthy():
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the processor never became ready"
            time.sleep(0.5)
    finally:
        server.send_signal(signal.SIGTERM)
        returncode = server.wait(timeout=60)
    assert returncode == 0
    assert not healthy(), "a stopped processor must fail the check"
