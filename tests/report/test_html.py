"""The HTML report: every section, round ticks, legends, incidents, unknown cost — and a
look at it in headless Chromium at a desktop and a phone width."""

from __future__ import annotations

import datetime as dt
import shutil
import struct
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from tokentrace.processor.report import document, html, terminal, window
from tokentrace.processor.store import budgets

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
COLUMNS = ["ts", "trace_id", "provider", "model", "team", "feature", "tenant", "user",
           "conversation", "input_tokens", "output_tokens", "cost", "priced", "latency_ms",
           "status", "api_key", "endpoint"]  # fmt: skip
KEY = "sk-…7abc 1f2e3d4c"  # the instrumentation's fingerprint form: redacted key + hash


@pytest.fixture
def page_doc(store_client):
    rows = []
    for days_ago in range(20, 0, -1):
        day = NOW - dt.timedelta(days=days_ago)
        for i in range(6):
            rows.append([
                day + dt.timedelta(hours=i), f"t{days_ago}-{i}", "openai", "gpt-4o", "growth",
                "search", f"tenant-{i % 3}", f"user-{i}", f"conv-{days_ago}-{i % 2}", 1000,
                100, Decimal("0.25"), 1, 300.0, "error" if i == 5 else "ok", KEY, "/search",
            ])  # fmt: skip
    for i in range(12):  # one runaway day, across team, feature and tenant
        rows.append([
            NOW - dt.timedelta(days=2, hours=-i), f"x{i}", "anthropic", "claude-sonnet-4-5",
            "growth", "search", "tenant-0", "user-9", "conv-x", 60000, 300, Decimal("1.5"), 1,
            4000.0, "ok", KEY, "/summarise-ticket",
        ])  # fmt: skip
    rows.append([
        NOW - dt.timedelta(hours=1), "u1", "vllm", "in-house-ft", "growth", "search",
        "tenant-0", "user-1", "conv-u", 10, 10, Decimal("0"), 0, 50.0, "ok", "", "",
    ])  # fmt: skip
    store_client.insert("llm_calls", rows, column_names=COLUMNS)
    budgets.set_budget(store_client, "team=growth", Decimal("40"), period="month")
    span = window.build("30d", None, None, None, now=NOW)
    return document.build(document.store_fetcher(store_client, span), span)


def test_ticks_are_round() -> None:
    assert html.nice_ticks(Decimal("51.21")) == [0, 20, 40, 60]
    assert html.nice_ticks(Decimal("0.0433")) == [0, Decimal("0.02"), Decimal("0.04"),
                                                  Decimal("0.06")]  # fmt: skip
    assert html.nice_ticks(Decimal("9")) == [0, Decimal("2.5"), 5, Decimal("7.5"), 10]
    assert [html._tick_label(t) for t in html.nice_ticks(Decimal("0.0433"))] == [
        "$0", "$0.02", "$0.04", "$0.06",
    ]  # fmt: skip


def test_anomalies_are_grouped_by_incident(page_doc) -> None:
    runaway = (NOW - dt.timedelta(days=2)).date().isoformat()
    assert len([a for a in page_doc["anomalies"] if a["date"] == runaway]) >= 4
    [incident] = [i for i in document.incidents(page_doc["anomalies"]) if i["from"] == runaway]
    assert incident["scopes"][0] == "all"
    assert {"team=growth", "feature=search", "tenant=tenant-0"} <= set(incident["scopes"])


def test_api_key_and_endpoint_breakdowns_in_both_renderers(page_doc) -> None:
    by_key = {
        r["value"]: (r["cost"] and Decimal(r["cost"]), r["unpriced_requests"])
        for r in page_doc["by_tag"]["api_key"]
    }
    # 120 calls at 0.25 and 12 at 1.5 under the key; the unpriced in-house call has none:
    # its cost is unknown (null), not $0
    assert by_key == {KEY: (Decimal("48.00"), 0), "": (None, 1)}
    endpoints = {
        r["value"]: r["cost"] and Decimal(r["cost"]) for r in page_doc["by_tag"]["endpoint"]
    }
    assert endpoints == {"/search": 30, "/summarise-ticket": 18, "": None}
    console = Console(record=True, width=140)
    terminal.render(page_doc, console)
    text = console.export_text()
    assert "Spend by API key" in text and KEY in text
    assert "Top endpoints" in text and "/summarise-ticket" in text


def test_every_section_legend_and_unknown_cost(page_doc) -> None:
    page = html.render(page_doc)
    for title in ("Summary", "Daily spend", "Cost per request", "Budgets this period",
                  "Spend by provider", "Spend by model", "Spend by team", "Spend by tenant",
                  "Spend by feature", "Spend by API key", "Top endpoints", "Tokens",
                  "Latency by provider", "Failures",
                  "Anomalies, by incident", "Most expensive calls", "Top users",
                  "Top conversations", "Unknown cost: unpriced usage"):  # fmt: skip
        assert f"<h2>{title}</h2>" in page, title
    for key in ("anomalous day (&gt; 2× trailing average)", "partial day (hatched)",
                "under 80 %", "over budget", "input, cache read"):  # fmt: skip
        assert key in page, key
    assert "<span class=unknown>unknown</span>" in page  # in-house-ft: no price, not $0
    assert "calls of unknown cost" in page
    assert page_doc["top_users"][0]["user"] == "user-9"
    assert page_doc["top_conversations"][0] == {
        "conversation": "conv-x", "tenant": "tenant-0", "user": "user-9", "requests": 12,
        "cost": "18", "unpriced_requests": 0, "dead_lettered_requests": 0,
    }  # fmt: skip
    assert page_doc["top_calls"][0]["cost"] == "1.5"
    assert "http://" not in page and "https://" not in page and "<script" not in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (apt-get install chromium)")
def test_screenshots_at_desktop_and_phone_width(page_doc, tmp_path: Path) -> None:
    """Renders in real headless Chromium at 1400 px and 390 px; the PNGs are for a person
    to look at (kept in tmp_path, never committed)."""
    page = tmp_path / "report.html"
    page.write_text(html.render(page_doc), encoding="utf-8")
    for width in (1400, 390):
        shot = tmp_path / f"report-{width}.png"
        subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--window-size={width},3200", f"--screenshot={shot}", page.as_uri()],
            capture_output=True, timeout=120, check=True,
        )  # fmt: skip
        header = shot.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", header[16:24]) == (width, 3200)


def test_a_user_whose_calls_all_lack_a_price_reads_unknown_not_zero(store_client) -> None:
    at = NOW - dt.timedelta(hours=3)
    store_client.insert(
        "llm_calls",
        [
            [at, "p1", "openai", "gpt-4o", "", "", "t", "user-a", "conv-a", 10, 10,
             Decimal("0.5"), 1, 10.0, "ok", "", ""],
            [at, "g1", "vllm", "in-house-ft", "", "", "t", "user-ghost", "conv-ghost", 10, 10,
             Decimal("0"), 0, 10.0, "ok", "", ""],
        ],
        column_names=COLUMNS,
    )  # fmt: skip
    span = window.build("1d", None, None, None, now=NOW)
    doc = document.build(document.store_fetcher(store_client, span), span)
    users = {r["user"]: (r["cost"], r["unpriced_requests"]) for r in doc["top_users"]}
    assert users == {"user-a": ("0.5", 0), "user-ghost": (None, 1)}  # unknown, not "0"
    conversations = {r["conversation"]: r["unpriced_requests"] for r in doc["top_conversations"]}
    assert conversations == {"conv-a": 0, "conv-ghost": 1}
    assert {r["trace_id"]: r["priced"] for r in doc["top_calls"]} == {"p1": True, "g1": False}
    page = html.render(doc)
    for section in ("Top users", "Top conversations", "Most expensive calls"):
        part = page.split(f"<h2>{section}</h2>")[1].split("<h2>")[0]
        assert "<td class=n>unknown</td>" in part, section
        assert "$0.0000" not in part and "$0.00<" not in part, section
