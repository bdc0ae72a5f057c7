"""``tokentrace demo`` end to end, small: real serve, real apps under opentelemetry-instrument."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_demo_runs_the_real_pipeline_and_prints_the_report(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    run = subprocess.run(
        [sys.executable, "-m", "tokentrace.processor.cli", "demo", "--data-dir", str(data_dir),
         "--days", "10", "--calls-per-day", "80"],
        capture_output=True, text=True, timeout=240, env={**os.environ, "COLUMNS": "120"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:] + run.stdout[-3000:]
    assert "Budgets" in run.stdout and "team=support" in run.stdout
    report = subprocess.run(
        [sys.executable, "-m", "tokentrace.processor.cli", "report", "--format", "json",
         "--clickhouse", f"chdb://{data_dir / 'chdb'}", "--since", "30d"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    doc = json.loads(report.stdout)
    # every live call (3 apps x 24) is stored once, the Anthropic SDK's own spans deduped
    services = {row["value"]: row["requests"] for row in doc["by_tag"]["service"]}
    assert set(services) == {"support-bot", "search-api", "copilot"}
    support = next(b for b in doc["month_to_date"]["budgets"] if b["scope"] == "team=support")
    assert 0.8 <= support["utilization"] < 1.0
    assert doc["totals"]["unpriced_requests"] > 0  # the in-house model is shown, not $0
    # the bill has 30 nights of a legacy cron job tokentrace never saw (1.44 USD a night, on
    # gpt-4o-mini): the reconciliation finds exactly that, and everything else matches
    assert [(u["provider"], u["model"], u["unmetered_cost"]) for u in doc["unmetered_spend"]] == [
        ("openai", "gpt-4o-mini", "43.2")
    ]
    causes = {(c["provider"], c["model"], c["cause"]) for c in doc["reconciliation_causes"]}
    gaps = {c for c in causes if c[2] != "matches"}
    assert gaps <= {
        ("openai", "gpt-4o-mini", "missing calls"),
        ("openai", "gpt-4o-mini", "unmetered"),
    }
    assert ("anthropic", "claude-haiku-4-5", "matches") in causes
    assert "Unmetered spend (billed, never seen by tokentrace): $43.20" in run.stdout
    assert "legacy-cron (sk-proj-...cr0n)" in run.stdout
    assert "TOKENTRACE_CLICKHOUSE_PORT=8123" in run.stdout  # the Grafana data source settings
