"""Three figures worked out from known costs that read as more than they are, each on a day of
known costs only, one of unknown costs only and one mixing them:

* a share of spend is a share of the known spend: it says how many calls of unknown cost the
  whole it divides leaves out;
* the change against the previous period says why it is blank: no calls before is not a
  previous cost that is unknown;
* the cost of an extra usage unit (audio tokens) of a model without a price is listed as
  unknown, not left out of the table as if it cost nothing.

The calls go through the real write path (extractor, pricer, spool, sink) into chDB. Known
costs: :data:`calls.PRICED_COST` a call (gpt-4o-mini, OpenAI's published prices).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from ingest.ingest_path import Ingest
from rich.console import Console

from grafana.panels import run_panel
from tokentrace.grafana.dashboards import overview
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.report import document, html, terminal, window
from tokentrace.processor.store import views
from unknown_cost import calls

KNOWN = dt.datetime(2026, 11, 16, tzinfo=dt.UTC)  # two calls of known cost
EARLIER = KNOWN - dt.timedelta(days=2)  # one call of known cost, then a day without calls
UNKNOWN = KNOWN + dt.timedelta(days=1)  # an acme-1 call with audio, a stream without usage
MIXED = KNOWN + dt.timedelta(days=2)  # a call of known cost, an acme-1 call with audio
AUDIO = 300  # audio tokens of each acme-1 call


def _audio() -> dict[str, Any]:
    return {**calls.unpriced(), "gen_ai.usage.audio.input_tokens": AUDIO}


@pytest.fixture(scope="module")
def seeded(module_store_client, tmp_path_factory) -> Any:
    at = dt.timedelta(hours=9)
    client = module_store_client
    ingest = Ingest(tmp_path_factory.mktemp("spool"), lambda: client, Pricer())
    try:
        ingest.send(
            calls.export([
                (calls.priced(), EARLIER + at),
                (calls.priced(), KNOWN + at), (calls.priced(), KNOWN + 2 * at),
                (_audio(), UNKNOWN + at), (calls.usage_missing(), UNKNOWN + 2 * at),
                (calls.priced(), MIXED + at), (_audio(), MIXED + 2 * at),
            ])
        )  # fmt: skip
    finally:
        ingest.close()
    return client


def _view(client: Any, name: str, first: dt.datetime, last: dt.datetime | None = None) -> list:
    end = (last or first) + dt.timedelta(days=1, milliseconds=-1)
    return views.fetch(client, views.VIEWS[name], start=first, end=end)


def _report(client: Any, day: dt.datetime) -> dict[str, Any]:
    span = window.build(None, day.date().isoformat(), day.date().isoformat(), None,
                        now=MIXED + dt.timedelta(days=2))  # fmt: skip
    return document.build(document.store_fetcher(client, span), span)


def _text(doc: dict[str, Any]) -> str:
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=200, color_system=None))
    return out.getvalue()


def test_a_share_says_it_is_of_the_known_spend(seeded) -> None:
    models = {r["model"]: r for r in _view(seeded, "spend_by_model", MIXED)}
    assert {m: (r["share"], r["share_unpriced_requests"]) for m, r in models.items()} == {
        "gpt-4o-mini": (1.0, 1),
        "acme-1": (None, 1),
    }
    known = {r["model"]: r for r in _view(seeded, "spend_by_model", KNOWN)}
    assert (known["gpt-4o-mini"]["share"], known["gpt-4o-mini"]["share_unpriced_requests"]) == (
        1.0,
        0,
    )
    for name in ("spend_by_provider", "spend_by_team", "spend_by_tenant", "spend_by_api_key"):
        rows = _view(seeded, name, MIXED)
        assert {r["share_unpriced_requests"] for r in rows} == {1}, name

    # the donut of spend by provider draws percentages of the known spend: its title says so
    [pie] = [p for p in overview.panels() if p["type"] == "piechart"]
    assert pie["title"] == "Share of known spend by provider"
    end = MIXED + dt.timedelta(days=1, milliseconds=-1)
    result = run_panel(seeded, pie, {}, start=MIXED, end=end)
    shown = [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
    assert {(r["provider"], r["share_unpriced_requests"]) for r in shown} == {
        ("openai", 1),
        ("acme", 1),
    }

    doc = _report(seeded, MIXED)
    assert {
        r["provider"]: (r["share"], r["share_unpriced_requests"]) for r in doc["by_provider"]
    } == {
        "openai": (1.0, 1),
        "acme": (None, 1),
    }
    text = _text(doc)
    assert "share of known" in text
    assert "share: of the known spend; 1 call of unknown cost not in it" in text
    assert "share of known" not in _text(_report(seeded, KNOWN))


def _change(client: Any, first: dt.datetime, last: dt.datetime | None = None) -> tuple:
    [row] = _view(client, "spend_change", first, last)
    return row["change"], row["change_basis"], row["compared_unpriced_requests"]


def test_the_change_says_why_it_is_blank(seeded) -> None:
    assert _change(seeded, KNOWN) == (None, "no calls before", 0)
    assert _change(seeded, UNKNOWN) == (None, "cost unknown", 2)
    assert _change(seeded, MIXED) == (None, "previous cost unknown", 3)
    # the two days before UNKNOWN and MIXED: KNOWN's 2 calls and none the day before it
    assert _change(seeded, UNKNOWN, MIXED) == (-0.5, "change of known spend", 3)
    # the day without calls after EARLIER's one call of known cost
    assert _change(seeded, EARLIER + dt.timedelta(days=1)) == (-1.0, "change", 0)

    # the report says it too
    for day, basis, shown in (
        (KNOWN, "no calls before", "none (no calls before)"),
        (MIXED, "previous cost unknown", "unknown (previous cost unknown)"),
    ):
        doc = _report(seeded, day)
        assert (doc["vs_previous_period"]["change"], doc["vs_previous_period"]["change_basis"]) == (
            None,
            basis,
        )
        assert f"vs previous period   {shown}" in _text(doc)
        assert f"<b>{shown}</b><span>vs previous period</span>" in html.render(doc)

    # the stat names the change by it, beside the calls of unknown cost it leaves out
    [stat] = [p for p in overview.panels() if p["title"] == "vs previous period"]
    named = {o["matcher"]["options"]: o["properties"] for o in stat["fieldConfig"]["overrides"]}
    assert {"id": "displayName", "value": "${__data.fields.change_basis}"} in named["change"]
    assert stat["options"]["reduceOptions"]["values"] is True
    end = MIXED + dt.timedelta(days=1, milliseconds=-1)
    result = run_panel(seeded, stat, {}, start=MIXED, end=end)
    row = dict(zip(result.column_names, result.result_rows[0], strict=True))
    assert (row["change"], row["change_basis"]) == (None, "previous cost unknown")


def test_a_unit_of_a_model_without_a_price_is_listed_as_unknown(seeded) -> None:
    expected = {"provider": "acme", "model": "acme-1", "unit": "input_audio", "tokens": AUDIO,
                "cost": None, "unpriced_requests": 1, "dead_lettered_requests": 0}  # fmt: skip
    for day in (UNKNOWN, MIXED):
        assert _view(seeded, "cost_by_unit", day) == [expected]
    # gpt-4o-mini's calls have no extra unit: nothing listed on the day of known costs
    assert _view(seeded, "cost_by_unit", KNOWN) == []
    doc = _report(seeded, UNKNOWN)
    assert doc["cost_by_unit"] == [expected]
    audio = next(line for line in _text(doc).splitlines() if "input_audio" in line)
    assert "unknown" in audio and "$0" not in audio
