"""``tokentrace demo`` end to end, small: real serve, real apps under opentelemetry-instrument."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
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
    # The demo's bill is of the 30 days up to its own today; a day more holds all of it even
    # when this report runs after midnight UTC and the demo before.
    report = subprocess.run(
        [sys.executable, "-m", "tokentrace.processor.cli", "report", "--format", "json",
         "--clickhouse", f"chdb://{data_dir / 'chdb'}", "--since", "31d"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    doc = json.loads(report.stdout)
    # every live call (3 apps x 24) is stored once, the Anthropic SDK's own spans deduped
    services = {row["value"]: row["requests"] for row in doc["by_tag"]["service"]}
    assert set(services) == {"support-bot", "search-api", "copilot"}
    scopes = {b["scope"] for b in doc["month_to_date"]["budgets"]}
    assert scopes == {"", "team=growth", "team=platform", "team=support"}
    assert f"tokentrace report --clickhouse chdb://{data_dir / 'chdb'} --since 7d" in run.stdout
    assert doc["totals"]["unpriced_requests"] > 0  # the in-house model is shown, not $0
    # the bill has 30 nights of a legacy cron job tokentrace never saw, on gpt-4o-mini: 1,500
    # calls of 4,000 input and 600 output tokens, at $0.15 and $0.60 per million
    # (https://platform.openai.com/docs/pricing): 6M x 0.15 + 0.9M x 0.60 = 0.90 + 0.54 =
    # 1.44 USD a night. The reconciliation finds exactly that, and everything else matches.
    # A night whose gpt-4o-mini calls include a stream without usage counts too: the billed
    # tokens are compared with the calls that have usage, and the stream (billed as metered,
    # for nothing) adds nothing to the gap. It was counted, not summed (57d1906).
    (cron,) = doc["unmetered_spend"]
    assert (cron["provider"], cron["model"], cron["days"]) == ("openai", "gpt-4o-mini", 30)
    assert Decimal(cron["unmetered_cost"]) == Decimal("1.44") * 30 == Decimal("43.20")
    assert (cron["unknown_cost_days"], cron["unmetered_cost_complete"]) == (0, True)
    causes = {(c["provider"], c["model"], c["cause"]) for c in doc["reconciliation_causes"]}
    # days whose metered calls include one of unknown cost (a stream without usage) and no
    # token gap read "calls without usage" (their usage is missing, not a price, nor calls):
    # their metered cost is a lower bound
    gaps = {c for c in causes if c[2] not in ("matches", "calls without usage")}
    assert gaps <= {
        ("openai", "gpt-4o-mini", "missing calls"),
        ("openai", "gpt-4o-mini", "unmetered"),
    }
    assert ("anthropic", "claude-haiku-4-5", "matches") in causes
    assert "Unmetered spend (billed, never seen by tokentrace): $43.20" in run.stdout
    assert "legacy-cron (sk-proj-...cr0n)" in run.stdout
    # the apps' calls, history and live, carry their key's fingerprint as tokentrace's
    # instrumentation records it: each billed key is found, the cron job's alone never seen
    # (before: every key "uninstrumented", the live calls under an "unlisted key")
    statuses = {(k["api_key_id"], k["status"]) for k in doc["reconciliation_by_key"]}
    assert ("key_legacy_cron", "uninstrumented") in statuses
    assert {s for k, s in statuses if k != "key_legacy_cron"} <= {"matches", "calls without usage"}
    assert {k for k, _ in statuses} == {"key_legacy_cron", "key_apps", "apikey_demo"}
    keyed = {row["value"][:8]: row["requests"] for row in doc["by_tag"]["api_key"]}
    assert set(keyed) == {"sk-proj-", "sk-ant-a", ""}  # gemini and vllm calls carry no key
    assert "TOKENTRACE_CLICKHOUSE_PORT=8123" in run.stdout  # the Grafana data source settings


@pytest.mark.slow
def test_the_demo_is_realistic_on_the_first_of_a_month(tmp_path: Path) -> None:
    """A fixed "now", 09:30 on 1 November: history runs through the current hour, today is
    marked partial, and the forecast and budgets follow the run rate, not 9 hours of data."""
    out = tmp_path / "doc.json"
    run = subprocess.run(
        [sys.executable, "-c", ON_THE_FIRST, str(tmp_path / "demo"), str(out)],
        capture_output=True, text=True, timeout=240, env={**os.environ, "COLUMNS": "120"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:] + run.stdout[-3000:]
    doc = json.loads(out.read_text())
    daily = doc["daily"]
    assert daily[-1]["date"] == "2026-11-01" and daily[-1]["partial"]
    assert not any(d["partial"] for d in daily[:-1])
    assert daily[-1]["requests"] > 0  # the history reaches into today
    whole_days = [Decimal(d["cost"]) for d in daily[:-1] if d["requests"]][-7:]
    run_rate = sum(whole_days, Decimal(0)) / len(whole_days) * 30  # a 30-day month
    month = doc["month_to_date"]
    assert Decimal(0) < Decimal(month["cost"]) < run_rate / 30  # 9.5 hours of a day
    assert run_rate * Decimal("0.7") < Decimal(month["forecast"]) < run_rate * Decimal("1.3")
    amounts = {b["scope"]: Decimal(b["amount"]) for b in month["budgets"]}
    assert run_rate < amounts[""] < run_rate * Decimal("1.6")  # 1.25 x the 30-day run rate
    assert all(b["utilization"] < 0.1 for b in month["budgets"])  # the month has just begun
    assert "(partial)" in run.stdout or "partial day: 2026-11-01" in run.stdout


ON_THE_FIRST = """
import datetime as dt, json, sys
from pathlib import Path
from rich.console import Console
from tokentrace.processor.demo.run import DemoConfig, run
now = dt.datetime(2026, 11, 1, 9, 30, tzinfo=dt.UTC)
config = DemoConfig(Path(sys.argv[1]), days=10, calls_per_day=80, now=now)
Path(sys.argv[2]).write_text(json.dumps(run(config, Console(width=120))))
"""
