"""Tag values are end-user data: the terminal report prints them as text, never as terminal
escapes or rich markup."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

from rich.console import Console

from tokentrace.processor.report import document, terminal, window
from tokentrace.processor.store import budgets

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
COLUMNS = ["ts", "trace_id", "provider", "model", "team", "feature", "tenant", "user", "cost"]

CLEAR_AND_TITLE = "evil\x1b[2J\x1b]0;pwned\x07\x9b31m\u202eroot"
LINK = "[link=file:///etc/passwd]click me[/link]"
CLOSE_TAG = "[/bold]"
EMOJI = ":warning: [red]"


def seeded_doc(client) -> dict:
    hostile = [
        ("openai", "gpt-4o", "growth", LINK, CLEAR_AND_TITLE, "u1", "3"),
        ("openai", CLOSE_TAG, CLOSE_TAG, "search", LINK, "u2", "2"),
        (CLEAR_AND_TITLE, "m\x1b[1m", EMOJI, EMOJI, CLOSE_TAG, "u3", "1"),
    ]
    rows = [
        [NOW - dt.timedelta(hours=n + 1), f"t{n}", *values[:6], Decimal(values[6])]
        for n, values in enumerate(hostile)
    ]
    client.insert("llm_calls", rows, column_names=COLUMNS)
    budgets.set_budget(client, f"tenant={CLOSE_TAG}", Decimal("10"), period="month")
    span = window.build("7d", None, None, None, now=NOW)
    return document.build(document.store_fetcher(client, span), span)


def render(doc: dict, **console: object) -> str:
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=400, **console))  # type: ignore[arg-type]
    return out.getvalue()


def test_escape_sequences_in_data_never_reach_the_terminal(store_client):
    doc = seeded_doc(store_client)
    assert {row["value"] for row in doc["by_tag"]["tenant"]} == {CLEAR_AND_TITLE, LINK, CLOSE_TAG}
    coloured = render(doc, force_terminal=True, color_system="truecolor")
    # Only the report's own colours (SGR, ESC [ … m); no OSC (title, hyperlink), no clears.
    assert re.findall(r"\x1b(?!\[[0-9;]*m)", coloured) == []
    assert "\x07" not in coloured and "\x9b" not in coloured and "\u202e" not in coloured
    plain = render(doc)
    assert "evil\ufffd[2J\ufffd]0;pwned\ufffd\ufffd31m\ufffdroot" in plain


def test_markup_in_data_prints_as_typed(store_client):
    plain = render(seeded_doc(store_client))
    assert LINK in plain  # not a hyperlink
    assert CLOSE_TAG in plain  # not a closing tag (rich raised MarkupError on it)
    assert EMOJI in plain  # neither an emoji nor a colour
    assert f"tenant={CLOSE_TAG}" in plain  # the budget's scope


def test_printable_keeps_text_and_replaces_only_controls():
    assert terminal.printable({"k\x1b": ["tab\there", "ok ✓ 東京", Decimal("1.5"), 3]}) == {
        "k\ufffd": ["tab\ufffdhere", "ok ✓ 東京", Decimal("1.5"), 3]
    }
