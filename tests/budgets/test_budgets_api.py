"""Budgets while ``tokentrace serve`` holds the embedded store: through its API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tokentrace.processor.demo.serve_process import ServeProcess


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tokentrace.processor.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.slow
def test_budget_commands_go_through_a_running_serve(tmp_path: Path) -> None:
    url = f"chdb://{tmp_path / 'chdb'}"
    token = {"TOKENTRACE_AUTH_TOKEN": "s3cret"}
    with ServeProcess(url, tmp_path / "spool", tmp_path / "serve.log", env=token) as serve:
        api = ["--clickhouse", url, "--api", serve.url]
        set_ = _cli("budget", "set", "team=growth,feature=chat", "12.50", *api, env=token)
        assert set_.returncode == 0, set_.stderr
        assert set_.stdout == "budget set: feature=chat,team=growth 12.5 USD per month\n"
        assert set_.stderr == (
            "note: no call has feature=chat yet (no feature is known yet); "
            "no call has team=growth yet (no team is known yet)\n"
        )
        weekly = _cli("budget", "set", "global", "100", "--period", "week", *api, env=token)
        assert weekly.returncode == 0, weekly.stderr
        listed = _cli("budget", "list", "--format", "json", *api, env=token)
        assert [(b["scope"], b["period"], b["amount"]) for b in json.loads(listed.stdout)] == [
            ("", "week", "100"),
            ("feature=chat,team=growth", "month", "12.5"),
        ]
        missing = _cli("budget", "delete", "team=nobody", *api, env=token)
        assert missing.returncode == 1 and "no monthly budget" in missing.stderr
        unauthorized = _cli("budget", "list", *api)
        assert unauthorized.returncode == 1 and "HTTP 401" in unauthorized.stderr
        bad = urllib.request.Request(
            f"{serve.url}/api/v1/budgets",
            data=json.dumps({"scope": "colour=red", "amount": "5"}).encode(),
            method="PUT",
            headers={"Authorization": "Bearer s3cret"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(bad, timeout=30)
        assert refused.value.code == 400
        assert "unknown scope key 'colour'" in json.load(refused.value)["error"]
        typo = urllib.request.Request(
            f"{serve.url}/api/v1/budgets",
            data=json.dumps({"scope": "team=growht", "amount": "10"}).encode(),
            method="PUT",
            headers={"Authorization": "Bearer s3cret"},
        )
        with urllib.request.urlopen(typo, timeout=30) as answer:
            body = json.load(answer)
        assert (body["scope"], body["unseen"]) == ("team=growht", {"team": []})
        assert body["note"] == "note: no call has team=growht yet (no team is known yet)"
        deleted = _cli("budget", "delete", "global", "--period", "week", *api, env=token)
        assert deleted.returncode == 0, deleted.stderr
    # serve has stopped: the store itself holds what the API wrote
    listed = _cli("budget", "list", "--clickhouse", url)
    assert listed.stdout.splitlines() == [
        "feature=chat,team=growth  month  12.5 USD",
        "team=growht               month  10 USD",
    ]
