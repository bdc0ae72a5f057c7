"""``tokentrace reconcile``: against a store, and through a running serve holding it."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from reconcile.ledgers import organisation
from tokentrace.processor.cli import main
from tokentrace.processor.demo.serve_process import ServeProcess
from tokentrace.processor.standins.admin_server import start_admin_standin


@pytest.mark.usefixtures("one_utc_day")  # the ledger's days and the command's are one today
def test_command_imports_into_the_store_and_says_what_it_did(
    store_client: Any, chdb_url: str, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    store = ["--clickhouse", f"{chdb_url}?database={store_client.database}"]
    with start_admin_standin(organisation(dt.datetime.now(dt.UTC).date())) as standin:
        for name, value in standin.env().items():
            monkeypatch.setenv(name, value)
        assert main(["reconcile", "--since", "3d", *store]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == ["openai", "anthropic"]
    assert "(3 days, 3 usage rows, 6 cost rows, 1 keys)" in out[0]
    assert store_client.query("SELECT count() FROM billed_costs").result_rows == [(9,)]


def test_command_without_admin_keys_says_which_to_set(
    capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.delenv("OPENAI_ADMIN_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_ADMIN_KEY", raising=False)
    assert main(["reconcile"]) == 2
    assert capsys.readouterr().err == (
        "tokentrace reconcile: no admin key set: set OPENAI_ADMIN_KEY and/or "
        "ANTHROPIC_ADMIN_KEY to import the providers' usage and cost reports\n"
    )
    assert main(["reconcile", "--since", "12h"]) == 2
    assert "at least one day" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.usefixtures("one_utc_day")  # the ledger, serve, the command and the report agree
def test_serve_reconciles_on_start_and_the_command_goes_through_it(tmp_path: Path) -> None:
    url = f"chdb://{tmp_path / 'chdb'}"
    with start_admin_standin(organisation(dt.datetime.now(dt.UTC).date())) as standin:
        env = {**standin.env(), "TOKENTRACE_AUTH_TOKEN": "s3cret"}
        with ServeProcess(url, tmp_path / "spool", tmp_path / "serve.log", env=env) as serve:
            deadline = time.monotonic() + 120
            while "reconcile anthropic: " not in (tmp_path / "serve.log").read_text():
                assert time.monotonic() < deadline, "serve never reconciled"
                time.sleep(0.2)
            standin.requests.clear()
            cli = subprocess.run(
                [sys.executable, "-m", "tokentrace.processor.cli", "reconcile", "--clickhouse",
                 url, "--api", serve.url],
                capture_output=True, text=True, timeout=120, env={**os.environ, **env},
            )  # fmt: skip
            assert cli.returncode == 0, cli.stderr
            # serve imported 30 days at start: the command only re-fetches the last two
            assert "2 days, 2 usage rows, 4 cost rows" in cli.stdout
            report = subprocess.run(
                [sys.executable, "-m", "tokentrace.processor.cli", "report", "--format", "json",
                 "--clickhouse", url, "--api", serve.url],
                capture_output=True, text=True, timeout=120, env={**os.environ, **env},
            )  # fmt: skip
            assert report.returncode == 0, report.stderr
            unmetered = json.loads(report.stdout)["unmetered_spend"]
            # nothing was metered: 30 imported days of the whole bill are unmetered
            assert [
                (u["provider"], u["model"], u["unmetered_cost"], u["days"]) for u in unmetered
            ] == [
                ("anthropic", "claude-sonnet-4-0", "135.15", 30),
                ("openai", "gpt-4o-mini", "0.099", 30),
            ]
            log = (tmp_path / "serve.log").read_text()
    assert standin.keys["openai"] not in log and standin.keys["anthropic"] not in log
    assert "reconcile openai: " in log
