"""The demo, end to end: real processor, real instrumentation, real SDKs, stand-in providers.

1. ``tokentrace serve`` starts on a fresh embedded store (a child process);
2. three small apps (``demo/app.py``), unchanged, run under ``opentelemetry-instrument``
   and call OpenAI and Anthropic stand-ins through the real SDKs — streamed and plain
   calls, cache hits, failures — tagged by team (resource) and feature/tenant (``tags()``);
3. weeks of history are backfilled through the real OTLP exporter (``demo/history.py``);
4. once every call is stored, serve stops, budgets are set (one team past 80 %);
5. the providers' bill for the last 30 days — the demo's traffic plus a "legacy cron job"
   that tokentrace never saw (``demo/bill.py``) — is served by the admin API stand-ins and
   imported by the real importer, as ``tokentrace reconcile`` does;
6. the report is printed from the store; its reconciliation finds the cron job's spend.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tokentrace.processor.api import clickhouse_http
from tokentrace.processor.api import client as serve_client
from tokentrace.processor.api.client import ENV_AUTH_TOKEN
from tokentrace.processor.commands.options import command_line
from tokentrace.processor.demo import bill, history
from tokentrace.processor.demo.serve_process import ServeProcess
from tokentrace.processor.reconcile import run as reconcile
from tokentrace.processor.report import document, terminal, window
from tokentrace.processor.standins import start_standin
from tokentrace.processor.standins.admin_server import start_admin_standin
from tokentrace.processor.store import budgets, store, views

# What to run after the demo, printed with the flags that name the demo's store.
NEXT_STEPS = (
    ("report", " --since 7d --where team=growth"),
    ("report", " --format html -o report.html"),
    ("report", " --format json"),
    ("budget list", ""),
)
LIVE_APPS = (("support-bot", "support"), ("search-api", "growth"), ("copilot", "platform"))


@dataclass(frozen=True)
class DemoConfig:
    data_dir: Path
    days: int = 42
    calls_per_day: int = 1500
    live_calls_per_app: int = 24
    seed: int = 7
    # The moment the history runs up to and the report is for; tests fix it (the 1st of a
    # month, say). The live apps' calls are stamped with the real clock either way.
    now: dt.datetime | None = None


def run(config: DemoConfig, console: Console) -> dict:
    """Run the demo; returns the report document it printed."""
    if config.data_dir.exists():
        shutil.rmtree(config.data_dir)
    config.data_dir.mkdir(parents=True)
    url = f"chdb://{config.data_dir / 'chdb'}"
    now = config.now or dt.datetime.now(dt.UTC)
    calls = list(
        history.generate(
            now, config.days, config.calls_per_day, _anomaly_day(now), seed=config.seed
        )
    )
    expected = len(calls) + config.live_calls_per_app * len(LIVE_APPS)
    serve = ServeProcess(url, config.data_dir / "spool", config.data_dir / "serve.log")
    with _progress(console) as progress:
        task = progress.add_task("starting tokentrace serve", total=None)
        serve.start()
        progress.update(task, description=f"tokentrace serve on {serve.url}", total=1, completed=1)
        try:
            with start_standin() as standin:
                live = progress.add_task("live apps → stand-in providers", total=len(LIVE_APPS))
                apps = [
                    _start_app(name, team, serve.url, standin, config.live_calls_per_app)
                    for name, team in LIVE_APPS
                ]
                backfill = progress.add_task(f"backfill {config.days} days", total=len(calls))
                history.send(
                    iter(calls), serve.url, progress=lambda n: progress.advance(backfill, n)
                )
                for app in apps:
                    _wait_app(app)
                    progress.advance(live)
            stored = progress.add_task("priced and stored", total=expected)
            _wait_stored(serve.url, expected, lambda n: progress.update(stored, completed=n))
        finally:
            serve.stop()
    client = store.connect(url)
    _set_budgets(client, now)
    _import_bill(client, now, console)
    span = window.build("30d", None, None, None, now=now)
    doc = document.build(document.store_fetcher(client, span), span)
    terminal.render(doc, console)
    _explain_gap(client, span, console)
    console.print(
        "\nNext (the demo's store; your own apps' calls go to the default store):\n"
        + "".join(f"  {command_line(c, url)}{rest}\n" for c, rest in NEXT_STEPS),
        highlight=False,
        markup=False,
        soft_wrap=True,  # commands to copy: never broken across lines
    )
    _print_grafana_settings(url, console)
    return doc


def _print_grafana_settings(url: str, console: Console) -> None:
    """The data source settings for a Grafana that is already running (README: "Already run
    Grafana? Point it at `tokentrace serve`")."""
    port = clickhouse_http.DEFAULT_PORT
    password = f"${ENV_AUTH_TOKEN}" if os.environ.get(ENV_AUTH_TOKEN) else ""
    console.print(
        f"\nGrafana: {command_line('serve', url)}\n"
        f"  also answers as a read-only ClickHouse server on http://127.0.0.1:{port}. Add a\n"
        "  ClickHouse data source (grafana-clickhouse-datasource): protocol HTTP, host\n"
        f"  127.0.0.1, port {port}, user default, password {password or '(empty)'}, database\n"
        "  default; or provision grafana/provisioning with TOKENTRACE_CLICKHOUSE_HOST=127.0.0.1\n"
        f"  TOKENTRACE_CLICKHOUSE_PORT={port} TOKENTRACE_CLICKHOUSE_SECURE=false\n"
        "  TOKENTRACE_CLICKHOUSE_USER=default TOKENTRACE_CLICKHOUSE_DATABASE=default\n"
        f"  TOKENTRACE_CLICKHOUSE_PASSWORD={password}",
        highlight=False,
        markup=False,
    )


BILL_DAYS = 30


def _import_bill(client, now: dt.datetime, console: Console) -> None:
    """Serve the providers' bill from the admin stand-ins and import it, as
    ``tokentrace reconcile`` would with real admin keys."""
    today = now.date()
    ledger = bill.ledger(client, today - dt.timedelta(days=BILL_DAYS - 1), today)
    with start_admin_standin(ledger) as admin:
        chosen = reconcile.sources(admin.env())
        for outcome in reconcile.run_on_store(client, chosen, today, BILL_DAYS):
            console.print(f"reconcile {outcome.line()}")


def _explain_gap(client, span: window.Window, console: Console) -> None:
    """Which API keys billed the models with unmetered spend (from the providers' key lists)."""
    args = {"start": span.start, "end": span.end - dt.timedelta(milliseconds=1)}
    unmetered = views.fetch(client, views.VIEWS["unmetered_spend"], **args)
    if not unmetered:
        return
    models = [row["model"] for row in unmetered]
    keys = views.fetch(client, views.VIEWS["billed_by_key"], **args, filters={"model": models})
    console.print("\nAPI keys billed for the models with unmetered spend (provider key lists):")
    for key in keys:
        console.print(
            f"  {key['provider']}/{key['model']}: key {key['key_name'] or key['api_key_id']} "
            f"({key['redacted_value'] or 'not listed'}) in {key['project_id']}: "
            f"{key['billed_input_tokens']:,} input tokens, {key['billed_requests'] or 0:,} requests"
        )


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _anomaly_day(now: dt.datetime) -> int:
    """Days ago of the demo's anomaly: the most recent weekday at least 6 days back."""
    days_ago = 6
    while (now - dt.timedelta(days=days_ago)).weekday() >= 5:
        days_ago += 1
    return days_ago


def _start_app(
    service: str, team: str, endpoint: str, standin, calls: int
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "OTEL_SERVICE_NAME": service,
        "OTEL_RESOURCE_ATTRIBUTES": f"team={team},deployment.environment.name=production",
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "OPENAI_BASE_URL": standin.base_url("openai"),
        "ANTHROPIC_BASE_URL": standin.base_url("anthropic"),
        "TOKENTRACE_PROVIDER_URLS": standin.provider_urls(),
        "DEMO_CALLS": str(calls),
    }
    launcher = Path(sys.executable).with_name("opentelemetry-instrument")
    command = [str(launcher) if launcher.exists() else "opentelemetry-instrument"]
    return subprocess.Popen(
        [*command, sys.executable, "-m", "tokentrace.processor.demo.app"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait_app(app: subprocess.Popen[bytes]) -> None:
    output, _ = app.communicate(timeout=120)
    if app.returncode:
        raise RuntimeError(f"demo app failed ({app.returncode}):\n{output.decode()[-2000:]}")


def _wait_stored(
    api: str, expected: int, progress: Callable[[int], None], timeout_s: float = 120.0
) -> None:
    """Poll serve's API until every call is a stored row (the spool drains ~1 s batches)."""
    since = [("from", "2000-01-01T00:00:00+00:00")]
    deadline = time.monotonic() + timeout_s
    stored = 0
    while time.monotonic() < deadline:
        rows = serve_client.call(api, "/api/v1/views/totals", query=since, timeout=30)["rows"]
        stored = int(rows[0]["requests"] or 0) if rows else 0
        progress(stored)
        if stored >= expected:
            return
        time.sleep(0.3)
    raise RuntimeError(f"only {stored} of {expected} calls were stored after {timeout_s:.0f}s")


def _set_budgets(client, now: dt.datetime) -> None:
    """Monthly budgets from each team's run rate (its average day over the last 30 whole
    days, times 30), so they are sensible on any date, the 1st included: room for the
    whole company and for growth and platform, and support's set below its run rate, so
    its month-end forecast overruns it as the month goes on.

    A run rate is of known spend: the days whose every call has an unknown cost are left out
    of the average (they are no $0 days), and a team without a day of known spend gets no
    budget (its run rate is unknown), never one of $0.01."""
    today = now.date()
    query = (
        "SELECT key, sum(cost), count() FROM ("
        " SELECT {by:Identifier} AS key, day, sum(d.cost) AS cost, sum(d.requests) AS calls,"
        " sum(d.unpriced_requests) AS unknown FROM llm_cost_daily AS d"
        " WHERE day >= {since:Date} AND day < {today:Date} GROUP BY key, day"
        ") WHERE unknown < calls GROUP BY key"
    )
    since = today - dt.timedelta(days=30)

    def run_rates(by: str) -> dict[str, Decimal]:
        rows = client.query(query, parameters={"by": by, "since": since, "today": today})
        return {str(key): Decimal(str(cost)) * 30 / days for key, cost, days in rows.result_rows}

    monthly = run_rates("team")
    overall = run_rates("environment")
    if overall:
        total = sum(overall.values(), Decimal(0))
        budgets.set_budget(client, "global", _round_up(total * Decimal("1.25")))
    for team, factor in (("growth", "1.5"), ("platform", "1.2"), ("support", "0.9")):
        if team in monthly:
            budgets.set_budget(client, f"team={team}", _round_up(monthly[team] * Decimal(factor)))


def _round_up(amount: Decimal) -> Decimal:
    """Whole dollars for readable budgets, cents for a small demo so 86 % stays 86 %."""
    unit = Decimal(1) if amount >= 100 else Decimal("0.01")
    return max(unit, amount.quantize(unit, rounding="ROUND_CEILING"))
