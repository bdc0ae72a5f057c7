"""Provider-reported against computed cost, and the cost of each extra usage unit, in the
report: JSON (exact decimal strings), terminal and HTML (issue 9, items 5 and 2)."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

from rich.console import Console

from tokentrace.processor.report import document, html, terminal, window

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
D = Decimal
COLUMNS = [
    "ts", "provider", "model", "input_tokens", "input_audio_tokens", "input_cost",
    "input_audio_cost", "output_cost", "cost", "provider_cost", "cost_source",
    "unpriced_reason", "priced",
]  # fmt: skip


def build(client) -> dict:
    hour = NOW - dt.timedelta(hours=1)
    rows = [
        # OpenRouter reported 0.000171; computed 0.000159.
        [hour, "openrouter", "claude-x", 100, 0, D("0.0001"), 0, D("0.000059"), D("0.000171"),
         D("0.000171"), "provider", "", 1],
        # Reported, unknown model: no computed cost to compare.
        [hour, "openrouter", "mystery", 100, 0, 0, 0, 0, D("0.5"), D("0.5"), "provider",
         "unknown_model", 1],
        # 4,000 audio tokens at $1 / M and 6,000 text tokens at $0.30 / M.
        [hour, "google", "gemini-2.5-flash", 10_000, 4_000, D("0.0048"), D("0.004"), 0,
         D("0.0048"), None, "computed", "", 1],
        # Of unknown cost (a rate it has none for), 3,000 audio tokens: counted, never at $0.
        [hour, "google", "gemini-2.5-flash", 5_000, 3_000, 0, 0, 0, 0, None, "none", "no_rate",
         0],
        # Audio billed as text (no audio rate): not a unit with a cost of its own.
        [hour, "openai", "gpt-4o", 500, 200, D("0.00125"), 0, 0, D("0.00125"), None,
         "computed", "", 1],
    ]  # fmt: skip
    client.insert("llm_calls", rows, column_names=COLUMNS)
    span = window.build("1d", None, None, None, now=NOW)
    return document.build(document.store_fetcher(client, span), span)


def test_report_shows_provider_cost_differences_and_unit_costs(store_client) -> None:
    doc = build(store_client)
    assert doc["totals"]["cost"] == "0.506221"  # the reported costs count
    assert doc["provider_cost_differences"] == [
        {
            "provider": "openrouter",
            "model": "claude-x",
            "reported_requests": 1,
            "reported_cost": "0.000171",
            "compared_requests": 1,
            "compared_reported_cost": "0.000171",
            "computed_cost": "0.000159",
            "gap": "0.000012",
            "gap_ratio": round(12 / 159, 6),
            "dead_lettered_requests": 0,
        },
        {
            "provider": "openrouter",
            "model": "mystery",
            "reported_requests": 1,
            "reported_cost": "0.5",
            "compared_requests": 0,
            # nothing compared: unknown, not "0" (its gap read as "0": no difference)
            "compared_reported_cost": None,
            "computed_cost": None,
            "gap": None,
            "gap_ratio": None,
            "dead_lettered_requests": 0,
        },
    ]
    assert doc["cost_by_unit"] == [
        {
            "provider": "google",
            "model": "gemini-2.5-flash",
            "unit": "input_audio",
            "tokens": 7000,
            "cost": "0.004",
            "unpriced_requests": 1,
            "dead_lettered_requests": 0,
        }
    ]
    json.dumps(doc)

    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=200, color_system=None))
    lines = out.getvalue().splitlines()
    claude = next(line for line in lines if "claude-x" in line and "$0.000171" in line)
    assert "$0.000159" in claude and "$0.000012" in claude
    mystery = next(line for line in lines if "mystery" in line and "$0.5 │" in line)
    assert "—" in mystery
    audio = next(line for line in lines if "input_audio" in line)
    assert "gemini-2.5-flash" in audio and "7,000" in audio and "$0.004 + 1 unknown" in audio

    page = html.render(doc)
    assert "Provider-reported against computed cost" in page
    assert "<td class=n>$0.000012</td><td class=n>7.5%</td>" in page
    assert "<td>input_audio</td><td class=n>7,000</td><td class=n>$0.004 + 1 unknown</td>" in page


def test_sections_are_left_out_when_there_is_nothing_to_show(store_client) -> None:
    span = window.build("1d", None, None, None, now=NOW)
    doc = document.build(document.store_fetcher(store_client, span), span)
    assert (doc["provider_cost_differences"], doc["cost_by_unit"]) == ([], [])
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=200, color_system=None))
    assert "Provider-reported" not in out.getvalue()
    assert "Cost by usage unit" not in html.render(doc)
