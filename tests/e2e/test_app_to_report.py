"""From an unchanged app to the numbers on screen, every part real.

The app (``app.py``) runs in a subprocess under ``opentelemetry-instrument`` with the real
openai and anthropic SDKs against the stand-ins; ``tokentrace serve`` runs in another
subprocess on an embedded store; ``tokentrace report --format json`` reads it, through
serve's API while it runs and straight from the store after. Every expected number below
is worked out by hand from the providers' published prices (USD per million tokens):

- gpt-4o-mini: input 0.15, cached input 0.075, output 0.60
- claude-haiku-4-5: input 1.00, cache read 0.10, cache write (5 min) 1.25, output 5.00
- claude-sonnet-4-5: input 3.00, output 15.00
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tokentrace.processor.demo.serve_process import ServeProcess
from tokentrace.processor.standins import start_standin

M = Decimal(1_000_000)
# 1. gpt-4o-mini: 400 uncached + 600 cached input, 200 output
SEARCH = (400 * Decimal("0.15") + 600 * Decimal("0.075") + 200 * Decimal("0.60")) / M
# 2. gpt-4o-mini streamed: 2000 input, 500 output
CHAT_OPENAI = (2000 * Decimal("0.15") + 500 * Decimal("0.60")) / M
# 3. claude-haiku-4-5: 500 uncached + 2000 cache read + 500 cache write input, 400 output
CHAT_HAIKU = (
    500 * Decimal("1") + 2000 * Decimal("0.10") + 500 * Decimal("1.25") + 400 * Decimal("5")
) / M
# 4. claude-sonnet-4-5 streamed: 1000 input, 100 output
SUMMARIZE = (1000 * Decimal("3") + 100 * Decimal("15")) / M
# 5. a 429 from OpenAI: a failed call, stored, costing nothing


def _report(*args: str) -> dict:
    """The report of today and yesterday (UTC): calls made just before midnight are still in
    it when it runs after. The store holds this test's calls only."""
    run = subprocess.run(
        [sys.executable, "-m", "tokentrace.processor.cli", "report", "--format", "json",
         "--since", "2d", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def _wait_for(api: str, requests: int) -> None:
    import time

    for _ in range(100):
        if _report("--api", api)["totals"]["requests"] >= requests:
            return
        time.sleep(0.2)
    raise AssertionError(f"serve did not store {requests} calls")


def _check(doc: dict) -> None:
    d = lambda value: Decimal(value)  # noqa: E731
    total = SEARCH + CHAT_OPENAI + CHAT_HAIKU + SUMMARIZE
    assert d(doc["totals"]["cost"]) == total == Decimal("0.00865")
    assert doc["totals"] | {"cost": None, "failed_cost": None} == {
        "cost": None,
        "failed_cost": None,
        "requests": 5,
        "input_tokens": 1000 + 2000 + 3000 + 1000,
        "output_tokens": 200 + 500 + 400 + 100,
        "cache_read_tokens": 600 + 2000,
        "cache_write_tokens": 500,
        "reasoning_tokens": 0,
        "unpriced_requests": 0,
        "usage_missing_requests": 0,  # the 429 used nothing: a known $0
        "failed_requests": 1,
        "failed_unpriced_requests": 0,
        "failed_cost_complete": True,  # the failed call's cost is known ($0)
        "blocked_requests": 0,
        "cost_complete": True,  # every call's cost is known
        "no_calls": False,
        "failed_dead_lettered_requests": 0,
    }
    models = {(m["provider"], m["model"]): m for m in doc["by_model"]}
    assert {k: (d(m["cost"]), m["requests"]) for k, m in models.items()} == {
        ("openai", "gpt-4o-mini"): (SEARCH + CHAT_OPENAI, 3),
        ("anthropic", "claude-haiku-4-5"): (CHAT_HAIKU, 1),
        ("anthropic", "claude-sonnet-4-5"): (SUMMARIZE, 1),
    }
    tags = doc["by_tag"]
    assert {r["value"]: (d(r["cost"]), r["requests"]) for r in tags["feature"]} == {
        "chat": (CHAT_OPENAI + CHAT_HAIKU, 2),
        "summarize": (SUMMARIZE, 1),
        "search": (SEARCH, 2),
    }
    assert {r["value"]: d(r["cost"]) for r in tags["tenant"]} == {
        "acme": SEARCH + CHAT_HAIKU + SUMMARIZE,
        "globex": CHAT_OPENAI,
    }
    assert [(r["value"], r["requests"]) for r in tags["team"]] == [("growth", 5)]  # resource
    assert [(r["value"], r["requests"]) for r in tags["environment"]] == [("staging", 5)]
    assert [(r["value"], r["requests"]) for r in tags["service"]] == [("e2e-app", 5)]
    # cache savings: 600 x (0.15 - 0.075) + 2000 x (1 - 0.1) - 500 x (1.25 - 1), per million
    expected_savings = (600 * Decimal("0.075") + 2000 * Decimal("0.9") - 500 * Decimal("0.25")) / M
    assert d(doc["cache_savings"]) == expected_savings
    assert d(doc["cost_per_request"]["average"]) == total / 5


@pytest.mark.slow
def test_unchanged_app_to_report(tmp_path: Path) -> None:
    store_url = f"chdb://{tmp_path / 'chdb'}"
    launcher = shutil.which("opentelemetry-instrument") or str(
        Path(sys.executable).with_name("opentelemetry-instrument")
    )
    with (
        start_standin() as standin,
        ServeProcess(store_url, tmp_path / "spool", tmp_path / "serve.log") as serve,
    ):
        env = {
            **os.environ,
            "OTEL_SERVICE_NAME": "e2e-app",
            "OTEL_RESOURCE_ATTRIBUTES": "team=growth,deployment.environment.name=staging",
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none",
            "OTEL_EXPORTER_OTLP_ENDPOINT": serve.url,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OPENAI_BASE_URL": standin.base_url("openai"),
            "ANTHROPIC_BASE_URL": standin.base_url("anthropic"),
            "TOKENTRACE_PROVIDER_URLS": standin.provider_urls(),
        }
        app = subprocess.run(
            [launcher, sys.executable, str(Path(__file__).with_name("app.py"))],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert app.returncode == 0, app.stderr
        assert all("baggage" not in r.headers for r in standin.requests)
        _wait_for(serve.url, 5)
        _check(_report("--api", serve.url))
    # serve has stopped: the same report straight from the embedded store
    _check(_report("--clickhouse", store_url))
