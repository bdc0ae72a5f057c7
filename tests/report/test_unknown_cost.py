"""Unknown cost in the report: counted in every total, never shown as $0.00 (issue 9)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal

from rich.console import Console

from tokentrace.processor.report import document, html, terminal, window

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
COLUMNS = [
    "ts", "provider", "model", "team", "input_tokens", "output_tokens", "cost", "priced",
    "usage_missing", "unpriced_reason", "cost_source",
]  # fmt: skip


def build(client) -> dict:
    hour = NOW - dt.timedelta(hours=1)
    rows = [
        [hour, "openai", "gpt-4o", "growth", 1000, 100, Decimal("0.25"), 1, 0, "", "computed"],
        # Three streams without include_usage, one of a model no one prices.
        *(
            [hour, "openai", "gpt-4o", "growth", 0, 0, Decimal(0), 0, 1, "usage_missing", "none"]
            for _ in range(3)
        ),
        [hour, "acme", "acme-1", "ops", 10, 10, Decimal(0), 0, 0, "unknown_model", "none"],
    ]
    client.insert("llm_calls", rows, column_names=COLUMNS)
    span = window.build("1d", None, None, None, now=NOW)
    return document.build(document.store_fetcher(client, span), span)


def test_unknown_cost_is_counted_and_never_printed_as_zero(store_client) -> None:
    doc = build(store_client)
    totals = doc["totals"]
    assert (totals["cost"], totals["requests"]) == ("0.25", 5)
    assert (totals["unpriced_requests"], totals["usage_missing_requests"]) == (4, 3)
    by_model = {m["model"]: m for m in doc["by_model"]}
    assert (by_model["gpt-4o"]["unpriced_requests"], by_model["acme-1"]["unpriced_requests"]) == (
        3,
        1,
    )
    # a model whose every call has an unknown cost: null in JSON, never "0"
    assert (by_model["acme-1"]["cost"], by_model["gpt-4o"]["cost"]) == (None, "0.25")
    assert {row["value"]: row["cost"] for row in doc["by_tag"]["team"]} == {
        "growth": "0.25",
        "ops": None,
    }
    assert {row["provider"]: row["cost"] for row in doc["by_provider"]}["acme"] is None
    json.dumps(doc)

    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=160, color_system=None))
    text = out.getvalue()
    assert "3 calls without usage: cost unknown" in text
    assert "1 call without a known price: cost unknown" in text
    assert "$0.25 + 3 unknown" in text
    ops_row = next(line for line in text.splitlines() if "acme-1" in line)
    assert "unknown" in ops_row and "$0.00" not in ops_row

    page = html.render(doc)
    assert "<b>3</b><span>calls of unknown cost (no usage)</span>" in page
    assert "<b>1</b><span>calls of unknown cost (no price)</span>" in page
    # no share for it: a share is of the known spend
    assert re.search(r"acme-1[^·]*<span class=unknown>unknown</span> · — of known · 1 req", page)
    assert "$0.25 + 3 unknown" in page


def test_a_known_cost_under_a_hundredth_of_a_cent_never_reads_as_zero() -> None:
    # gpt-4o-mini, 8 input and 8 output tokens: (8 x 0.15 + 8 x 0.60) / 1M = $0.000006
    # (https://openai.com/api/pricing/)
    assert terminal.money("0.000006") == "$0.000006"
    assert terminal.money("0.00036") == "$0.0004"
    assert terminal.money("0") == "$0.00"
