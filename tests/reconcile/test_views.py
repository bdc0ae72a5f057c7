"""The reconciliation views on chDB return the seeded gaps exactly (tests/reconcile/seed.py),
and the report shows them in JSON, the terminal and HTML."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

import pytest
from rich.console import Console

from reconcile.seed import D1, D2, NOW, TODAY, seed
from tokentrace.processor.report import document, html, terminal
from tokentrace.processor.report.window import Window
from tokentrace.processor.store import macros, views

WEEK = {"start": NOW - dt.timedelta(days=7), "end": NOW}


@pytest.fixture
def seeded(store_client: Any) -> Any:
    seed(store_client)
    return store_client


def _rows(client: Any, name: str, **args: Any) -> list[dict[str, Any]]:
    return views.fetch(client, views.VIEWS[name], **{**WEEK, **args})


def test_reconciliation_per_provider_day_and_model(seeded: Any) -> None:
    got = [
        (r["day"], r["provider"], r["model"], r["billed_cost"], r["metered_cost"], r["gap"],
         r["billed_input_tokens"], r["metered_input_tokens"], r["billed_output_tokens"],
         r["metered_output_tokens"], r["billed_requests"], r["metered_requests"], r["cause"])
        for r in _rows(seeded, "reconciliation")
    ]  # fmt: skip
    d = Decimal
    assert got == [
        (
            TODAY,
            "openai",
            "gpt-4o-mini",
            d("5"),
            d("0.1"),
            d("4.9"),
            20_000,
            10_000,
            2_000,
            1_000,
            20,
            10,
            "missing calls",
        ),
        (
            D2,
            "openai",
            "text-embedding-3-small",
            d("3"),
            d("0"),
            d("3"),
            100_000,
            0,
            0,
            0,
            40,
            0,
            "unmetered",
        ),
        (
            D2,
            "anthropic",
            "claude-sonnet-4-0",
            d("3.2"),
            d("2"),
            d("1.2"),
            10_000,
            10_000,
            2_000,
            2_000,
            None,
            4,
            "price or tier",
        ),
        (
            D2,
            "openai",
            "gpt-4o-mini",
            d("0.15"),
            d("0.1"),
            d("0.05"),
            15_000,
            10_000,
            1_500,
            1_000,
            15,
            10,
            "missing calls",
        ),
        (
            D2,
            "openai",
            "gpt-4o",
            d("0"),
            d("0.02"),
            d("-0.02"),
            0,
            500,
            0,
            50,
            None,
            1,
            "not billed",
        ),
        (
            D1,
            "openai",
            "gpt-4o-mini",
            d("0.1"),
            d("0.1"),
            d("0"),
            10_000,
            10_000,
            1_000,
            1_000,
            10,
            10,
            "matches",
        ),
    ]  # fmt: skip  (gemini: metered, but no report imported for it)
    ratios = {(r["day"], r["model"]): r["gap_ratio"] for r in _rows(seeded, "reconciliation")}
    assert ratios[(D2, "claude-sonnet-4-0")] == pytest.approx(0.375)
    assert ratios[(D2, "gpt-4o-mini")] == pytest.approx(1 / 3)
    assert ratios[(D2, "gpt-4o")] is None  # nothing billed: no share of a bill
    one_model = _rows(seeded, "reconciliation", filters={"model": ["gpt-4o-mini"]})
    assert [r["day"] for r in one_model] == [TODAY, D2, D1]


def test_unmetered_spend_and_billed_keys(seeded: Any) -> None:
    unmetered = [
        (r["provider"], r["model"], r["unmetered_cost"], r["billed_cost"], r["days"])
        for r in _rows(seeded, "unmetered_spend", end=NOW.replace(hour=0) - dt.timedelta(seconds=1))
    ]
    assert unmetered == [
        ("openai", "text-embedding-3-small", Decimal("3"), Decimal("3"), 1),
        ("openai", "gpt-4o-mini", Decimal("0.05"), Decimal("0.25"), 1),
    ]
    keys = [
        (r["provider"], r["project_id"], r["api_key_id"], r["model"], r["billed_input_tokens"])
        for r in _rows(seeded, "billed_by_key")
    ]
    assert keys == [
        ("openai", "proj_legacy", "key_cron", "text-embedding-3-small", 100_000),
        ("openai", "proj_app", "key_app", "gpt-4o-mini", 40_000),
        ("anthropic", "wrk_app", "apikey_app", "claude-sonnet-4-0", 10_000),
        ("openai", "proj_legacy", "key_cron", "gpt-4o-mini", 5_000),
    ]


def test_a_reimported_day_is_read_once(seeded: Any) -> None:
    from reconcile.seed import reports
    from tokentrace.processor.reconcile import store_days

    for report in reports():
        store_days.write(seeded, report)  # the same day twice: replaced, not doubled
    mini = [r for r in _rows(seeded, "reconciliation") if r["model"] == "gpt-4o-mini"]
    assert [r["billed_cost"] for r in mini] == [Decimal("5"), Decimal("0.15"), Decimal("0.1")]


def test_report_document_terminal_and_html(seeded: Any) -> None:
    window = Window(
        start=dt.datetime(2026, 3, 14, tzinfo=dt.UTC), end=dt.datetime(2026, 3, 15, tzinfo=dt.UTC)
    )
    doc = document.build(document.store_fetcher(seeded, window), window)
    assert doc["reconciliation"][0] == {
        "provider": "openai",
        "date": "2026-03-14",
        "model": "text-embedding-3-small",
        "service_tier": "",
        "billed_cost": "3",
        "metered_cost": "0",
        "gap": "3",
        "gap_ratio": 1.0,
        "billed_input_tokens": 100_000,
        "metered_input_tokens": 0,
        "billed_output_tokens": 0,
        "metered_output_tokens": 0,
    }
    assert [(r["model"], r["gap"], r["gap_ratio"]) for r in doc["reconciliation"][1:]] == [
        ("claude-sonnet-4-0", "1.2", 0.375),
        ("gpt-4o-mini", "0.05", 0.333333),
        ("gpt-4o", "-0.02", None),
    ]
    assert [c["cause"] for c in doc["reconciliation_causes"]] == [
        "unmetered", "price or tier", "missing calls", "not billed",
    ]  # fmt: skip
    assert doc["unmetered_spend"] == [
        {"provider": "openai", "model": "text-embedding-3-small", "unmetered_cost": "3",
         "billed_cost": "3", "unmetered_share": 1.0, "days": 1, "unknown_cost_days": 0,
         "unmetered_cost_complete": True, "usage_missing_requests": 0},
        {"provider": "openai", "model": "gpt-4o-mini", "unmetered_cost": "0.05",
         "billed_cost": "0.15", "unmetered_share": 0.333333, "days": 1, "unknown_cost_days": 0,
         "unmetered_cost_complete": True, "usage_missing_requests": 0},
    ]  # fmt: skip
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=140))
    text = out.getvalue()
    assert "Unmetered spend (billed, never seen by tokentrace): $3.05" in text
    assert "price or tier" in text and "text-embedding-3-small" in text
    page = html.render(doc)
    assert "Billed vs metered" in page and "37.5%" in page


# ---------------------------------------------------------------- the alert rule


def _rule() -> dict[str, Any]:
    from grafana.rules import alert_rule as rule

    return rule("tokentrace-reconciliation-gap")


def test_alert_fires_for_a_finished_day_over_5_percent_and_1_usd(seeded: Any) -> None:
    from grafana.rules import evaluate

    rule = _rule()
    firing = evaluate(seeded, rule, NOW)
    # today's 4.90 gap is not judged (the day is not over); D2's gpt-4o-mini gap is 33 % but
    # only 0.05 USD; D2's gpt-4o was metered, not billed
    assert firing == {
        (("provider", "openai"), ("model", "text-embedding-3-small"), ("service_tier", ""),
         ("date", "2026-03-14"),
         ("cause", "unmetered")): {
            "gap_share": 1.0, "gap": 3.0, "billed": 3.0, "metered": 0.0, "unknown": 0.0,
            "not_stored": 0.0,
        },
        (("provider", "anthropic"), ("model", "claude-sonnet-4-0"), ("service_tier", ""),
         ("date", "2026-03-14"),
         ("cause", "price or tier")): {
            "gap_share": pytest.approx(0.375), "gap": pytest.approx(1.2), "billed": 3.2,
            "metered": 2.0, "unknown": 0.0, "not_stored": 0.0,
        },
    }  # fmt: skip
    assert evaluate(seeded, rule, NOW + dt.timedelta(days=4)) == {}  # out of the 3-day window
    threshold = next(q["model"] for q in rule["data"] if q["refId"] == rule["condition"])
    assert threshold["conditions"][0]["evaluator"] == {"type": "gt", "params": [0.05]}


def test_alert_names_the_calls_not_stored_beside_the_gap(seeded: Any) -> None:
    """A metered claude-sonnet-4-0 call of D2 serve could not store is in no metered cost: the
    rule's context counts it (not_stored) and its description names it beside the calls of
    unknown cost; its "unknown" alone read 0 and said nothing of it."""
    from grafana.rules import evaluate

    from tokentrace.processor.store import dead_letters

    ts = dt.datetime.combine(D2, dt.time(10), dt.UTC)
    row = {"ts": int(ts.timestamp() * 1e6), "provider": "anthropic", "model": "claude-sonnet-4-0"}
    dead_letters.add(seeded, [("seg-1/0", "test", row)])
    rule = _rule()
    sonnet = (
        ("provider", "anthropic"),
        ("model", "claude-sonnet-4-0"),
        ("service_tier", ""),
        ("date", "2026-03-14"),
        ("cause", "calls not stored"),
    )
    values = evaluate(seeded, rule, NOW)[sonnet]
    assert (values["gap"], values["unknown"], values["not_stored"]) == (
        pytest.approx(1.2),
        0.0,
        1.0,
    )
    description = rule["annotations"]["description"]
    assert '{{ printf "%.0f" $values.not_stored.Value }} calls not stored' in description


def test_alert_does_not_judge_a_day_whose_metered_calls_all_have_an_unknown_cost(
    seeded: Any,
) -> None:
    """D2's 40 embedding calls metered, without a price: no gap of the whole bill (metered
    read as $0), no calm gap of 0 either; no row at all in any of the rule's queries."""
    from grafana.rules import evaluate

    at = dt.datetime.combine(D2, dt.time(11), dt.UTC)
    seeded.insert(
        "llm_calls",
        [[at, f"e{n}", "openai", "text-embedding-3-small", 2500, Decimal(0), 0, "unknown_model"]
         for n in range(40)],
        column_names=["ts", "trace_id", "provider", "model", "input_tokens", "cost", "priced",
                      "unpriced_reason"],
    )  # fmt: skip
    rule = _rule()
    assert set(evaluate(seeded, rule, NOW)) == {
        (("provider", "anthropic"), ("model", "claude-sonnet-4-0"), ("service_tier", ""),
         ("date", "2026-03-14"),
         ("cause", "price or tier")),
    }  # fmt: skip
    for query in rule["data"]:
        if query["datasourceUid"] != "__expr__":
            sql = macros.expand_macros(
                query["model"]["rawSql"], start=NOW - dt.timedelta(days=3), end=NOW, interval_s=1
            )
            models = [row[1] for row in seeded.query(sql).result_rows]
            assert "text-embedding-3-small" not in models, query["refId"]


def _describe(rule: dict[str, Any], labels: dict[str, str]) -> str:
    """The rule's description for one instance: its labels put in, and of the template's
    ``if eq $labels.cause`` chain the branch of its cause (what Grafana's Go template does)."""
    text = re.sub(
        r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m[1]], rule["annotations"]["description"]
    )
    branches = dict(re.findall(r'\{\{ (?:else )?if eq \$labels\.cause "([^"]+)" \}\}([^{]*)', text))
    fallback = re.search(r"\{\{ else \}\}([^{]*)\{\{ end \}\}", text)
    assert fallback is not None
    start = text.index("{{ if eq $labels.cause")
    return text[:start] + branches.get(labels["cause"], fallback[1])


def test_alert_says_what_to_do_for_its_cause(seeded: Any) -> None:
    """Each firing instance carries the day's cause, and its description the action for it:
    the seed's unmetered embeddings point at the uninstrumented key, Claude's price or tier at
    the prices command and a reprice of that day. Every cause the view can give has one."""
    from grafana.rules import evaluate

    from tokentrace.grafana import alerts

    rule = _rule()
    said = {
        dict(labels)["model"]: _describe(rule, dict(labels))
        for labels in evaluate(seeded, rule, NOW)
    }
    assert said["text-embedding-3-small"].endswith(
        "Likely cause: unmetered. No call of this model was metered that day: an app or API key "
        'is not instrumented. Find the key marked uninstrumented in the "Billed vs metered by API '
        'key" table (tokentrace report, or the dashboard) and run that app under '
        "opentelemetry-instrument with OTEL_EXPORTER_OTLP_ENDPOINT pointing at tokentrace serve."
    )
    assert said["claude-sonnet-4-0"].endswith(
        "Likely cause: price or tier. Tokens match the bill but the cost does not: compare "
        "`tokentrace prices claude-sonnet-4-0 --provider anthropic --at 2026-03-14` with your "
        "invoice, put your negotiated rate or the missing tier in TOKENTRACE_PRICES_FILE, then "
        "run `tokentrace reprice --since 2026-03-14`."
    )
    causes = set(re.findall(r"'([a-z ]+)'", views.VIEWS["reconciliation"].template.split(
        "multiIf(")[-1].split("AS cause")[0]))  # fmt: skip
    assert causes - {"not billed", "matches"} == set(alerts.GAP_ACTIONS)


def test_alert_thresholds_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from tokentrace.grafana import alerts

    monkeypatch.setenv(alerts.GAP_RATIO_ENV, "0.4")
    monkeypatch.setenv(alerts.GAP_USD_ENV, "2.5")
    try:
        reloaded = importlib.reload(alerts)
        rule = reloaded._reconciliation_rule()
        assert rule.threshold == ("gt", 0.4)
        assert "if(abs(gap) > 2.5, abs(gap_ratio), 0)" in rule.value.sql
        monkeypatch.setenv(alerts.GAP_USD_ENV, "a dollar")
        with pytest.raises(ValueError, match="TOKENTRACE_RECONCILE_GAP_USD must be a number"):
            importlib.reload(alerts)
    finally:
        monkeypatch.undo()
        importlib.reload(alerts)


def _with_an_unpriced_sonnet_call_on_d2(
    seeded: Any,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """One metered claude-sonnet-4-0 call without a price on D2 beside the seed's four priced
    ones: the report document of D2, and its reconciliation row and cause for that model."""
    at = dt.datetime.combine(D2, dt.time(10), dt.UTC)
    seeded.insert(
        "llm_calls",
        [[at, "u1", "anthropic", "claude-sonnet-4-0", 500, 50, Decimal(0), 0, "unknown_model"]],
        column_names=["ts", "trace_id", "provider", "model", "input_tokens", "output_tokens",
                      "cost", "priced", "unpriced_reason"],
    )  # fmt: skip
    window = Window(
        start=dt.datetime(2026, 3, 14, tzinfo=dt.UTC), end=dt.datetime(2026, 3, 15, tzinfo=dt.UTC)
    )
    doc = document.build(document.store_fetcher(seeded, window), window)
    [(row, cause)] = [
        (r, c)
        for r, c in zip(doc["reconciliation"], doc["reconciliation_causes"], strict=True)
        if r["model"] == "claude-sonnet-4-0"
    ]
    return doc, row, cause


def test_metered_calls_of_unknown_cost_are_counted_beside_the_metered_cost(seeded: Any) -> None:
    """A metered call without a price is not in the metered cost: the row says how many.

    Its tokens are metered, so they are compared with the bill's first (a call without a price
    no longer hides a token gap behind 'unpriced calls'): billed 10,000 + 2,000 against
    4 x (2,500 + 500) + 500 + 50 = 12,550 metered, 550 over (4.6 %, past 1 %)."""
    doc, row, cause = _with_an_unpriced_sonnet_call_on_d2(seeded)
    assert (row["metered_cost"], cause["cause"], cause["unpriced_requests"]) == (
        "2",
        "more metered than billed",
        1,
    )
    assert (row["billed_input_tokens"] + row["billed_output_tokens"]) - (
        row["metered_input_tokens"] + row["metered_output_tokens"]
    ) == 12_000 - 12_550
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=160))
    assert "$2.00 + 1 unknown" in out.getvalue()
    assert "$2.00 + 1 unknown" in html.render(doc)


# The 40 embedding calls billed $3.00 on D2 (seed: unmetered), now metered with an unknown cost:
# without a price (usage known, 100,000 tokens as billed), or without usage.
_UNKNOWN_EMBEDDINGS = {
    "unpriced": {"input_tokens": 2500, "usage_missing": 0, "unpriced_reason": "unknown_model"},
    "usage_missing": {"input_tokens": 0, "usage_missing": 1, "unpriced_reason": "usage_missing"},
}


@pytest.mark.parametrize("kind", list(_UNKNOWN_EMBEDDINGS))
def test_metered_calls_all_of_unknown_cost_have_no_metered_cost_nor_gap(
    seeded: Any, kind: str
) -> None:
    """Every metered call of the day of unknown cost: the metered cost and the gap are unknown
    (null), never $0 and the whole bill; unmetered spend does not count the bill as unmetered."""
    at = dt.datetime.combine(D2, dt.time(11), dt.UTC)
    calls = [
        {"ts": at, "trace_id": f"e{n}", "provider": "openai", "model": "text-embedding-3-small",
         "operation": "embeddings", "output_tokens": 0, "cost": Decimal(0), "priced": 0,
         **_UNKNOWN_EMBEDDINGS[kind]}
        for n in range(40)
    ]  # fmt: skip
    seeded.insert("llm_calls", [list(c.values()) for c in calls], column_names=list(calls[0]))
    day = {"start": dt.datetime(2026, 3, 14, tzinfo=dt.UTC), "end": NOW.replace(hour=0)}
    [row] = [r for r in _rows(seeded, "reconciliation", **day) if r["model"].startswith("text")]
    # seen without usage: the bill counts the 40 calls that were metered, so their usage is
    # what is missing, not calls (was: 'missing calls')
    cause = "unpriced calls" if kind == "unpriced" else "calls without usage"
    assert (row["billed_cost"], row["metered_cost"], row["gap"], row["gap_ratio"]) == (
        Decimal(3),
        None,
        None,
        None,
    )
    assert (row["metered_requests"], row["unknown_cost_requests"], row["cause"]) == (40, 40, cause)
    unmetered = {r["model"]: r for r in _rows(seeded, "unmetered_spend", **day)}
    if kind == "unpriced":  # the calls were seen: not unmetered at all
        assert list(unmetered) == ["gpt-4o-mini"]
    else:  # tokens missing, and so their cost: the bill has both, $3.00 for 100,000 tokens,
        # none of them metered (was: unknown, the day counted and not summed)
        embeddings = unmetered["text-embedding-3-small"]
        assert (embeddings["unmetered_cost"], embeddings["unmetered_share"]) == (Decimal(3), 1.0)
        assert (embeddings["days"], embeddings["unknown_cost_days"]) == (1, 0)
        assert embeddings["usage_missing_requests"] == 40

    window = Window(
        start=dt.datetime(2026, 3, 14, tzinfo=dt.UTC), end=dt.datetime(2026, 3, 15, tzinfo=dt.UTC)
    )
    doc = document.build(document.store_fetcher(seeded, window), window)
    [(row, why)] = [
        (r, c)
        for r, c in zip(doc["reconciliation"], doc["reconciliation_causes"], strict=True)
        if r["model"] == "text-embedding-3-small"
    ]
    assert (row["metered_cost"], row["gap"], row["gap_ratio"]) == (None, None, None)
    assert (why["unknown_cost_requests"], why["metered_cost_complete"]) == (40, False)
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=160))
    text = out.getvalue()
    line = next(line for line in text.splitlines() if "2026-03-14" in line and "embedding" in line)
    assert "$3.00" in line and line.count("unknown") == 2 and "$0.00" not in line, line
    page = html.render(doc)
    assert (
        "<td>text-embedding-3-small</td><td class=n>$3.00</td><td class=n>unknown</td>"
        "<td class=n>unknown</td><td class=n>—</td>"
    ) in page
    if kind == "usage_missing":  # $3.00 of the embeddings + $0.05 of gpt-4o-mini's cron job
        assert "Unmetered spend (billed, never seen by tokentrace): $3.05" in text
        assert "text-embedding-3-small: $3.00 incl. 40 calls without usage of $3.00 billed" in text
        assert "text-embedding-3-small $3.00 incl. 40 calls without usage of $3.00 billed" in page
        spend = [
            (u["unmetered_cost"], u["unmetered_cost_complete"], u["usage_missing_requests"])
            for u in doc["unmetered_spend"]
        ]
        assert spend == [("3", True, 40), ("0.05", True, 0)]


def test_a_gap_beside_some_calls_of_unknown_cost_is_an_upper_bound(seeded: Any) -> None:
    """One unpriced call beside D2's four priced claude-sonnet-4-0 calls ($2.00 billed $3.20):
    the gap ($1.20) is at most that, the unknown call's cost would lower it."""
    doc, row, why = _with_an_unpriced_sonnet_call_on_d2(seeded)
    assert (row["metered_cost"], row["gap"], why["metered_cost_complete"]) == ("2", "1.2", False)
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=160))
    assert "at most $1.20" in out.getvalue()
    assert "at most $1.20" in html.render(doc)


MINI = "gpt-4o-mini"


def _one_more_gpt_4o_mini_call(seeded: Any, day: dt.date, kind: str) -> None:
    """One gpt-4o-mini call of unknown cost on ``day``: a stream without usage, or a call with
    500 input tokens and no price."""
    call = {
        "ts": dt.datetime.combine(day, dt.time(10), dt.UTC),
        "trace_id": f"{kind}-{day}",
        "provider": "openai",
        "model": MINI,
        "cost": Decimal(0),
        "priced": 0,
        "output_tokens": 0,
        **_UNKNOWN_EMBEDDINGS[kind],
    }
    call["input_tokens"] = 500 if kind == "unpriced" else 0
    seeded.insert("llm_calls", [list(call.values())], column_names=list(call))


def test_calls_of_unknown_cost_beside_missing_calls_do_not_hide_them(seeded: Any) -> None:
    # The seed's gpt-4o-mini nights with missing calls (billed tokens over the ten metered
    # calls' 10,000 + 1,000 at $0.01 each), each now beside one call of unknown cost:
    # - D2, a stream without usage. Billed 15,000 + 1,500 tokens, $0.15 (the cron job's
    #   5,000 + 500 tokens, $0.05, unmetered). The night was counted in unknown_cost_days and
    #   summed nowhere. The bill has the stream's tokens too, so the bill less what the calls
    #   with usage cost, 0.15 - 10 x 0.01 = 0.05, is what tokentrace did not meter, the
    #   stream's billed cost included (none here: billed as metered, like the demo's).
    # - today, a call with 500 tokens and no price. Billed 20,000 + 2,000, $5.00. Its tokens
    #   are metered: 22,000 - 11,500 = 10,500 still missing, which read 'unpriced calls'
    #   (hidden); now 'missing calls'. Their cost is not known (the gap holds the unpriced
    #   call's billed cost too): the day is counted, not summed.
    _one_more_gpt_4o_mini_call(seeded, D2, "usage_missing")
    _one_more_gpt_4o_mini_call(seeded, TODAY, "unpriced")
    rows = {r["day"]: r for r in _rows(seeded, "reconciliation") if r["model"] == MINI}
    stream_night, today = rows[D2], rows[TODAY]
    assert (stream_night["token_gap"], stream_night["cause"]) == (16_500 - 11_000, "missing calls")
    assert (stream_night["metered_cost"], stream_night["gap"], stream_night["unmetered_gap"]) == (
        Decimal("0.1"),  # a lower bound: the stream's cost is unknown
        Decimal("0.05"),  # an upper bound
        Decimal("0.05"),  # 0.15 billed - 0.10 of the calls with usage
    )
    assert (stream_night["unknown_cost_requests"], stream_night["usage_missing_requests"]) == (1, 1)
    assert (today["token_gap"], today["cause"], today["unmetered_gap"]) == (
        22_000 - 11_500,
        "missing calls",
        None,
    )
    [mini] = [r for r in _rows(seeded, "unmetered_spend") if r["model"] == MINI]  # D1 matches
    assert (mini["unmetered_cost"], mini["days"], mini["unknown_cost_days"]) == (
        Decimal("0.05"),  # D2's; today's is unknown
        2,
        1,
    )
    assert mini["usage_missing_requests"] == 1
    window = Window(
        start=dt.datetime(2026, 3, 14, tzinfo=dt.UTC), end=dt.datetime(2026, 3, 15, tzinfo=dt.UTC)
    )
    doc = document.build(document.store_fetcher(seeded, window), window)
    [spend] = [u for u in doc["unmetered_spend"] if u["model"] == MINI]
    assert (spend["unmetered_cost"], spend["unmetered_cost_complete"]) == ("0.05", True)
    assert spend["usage_missing_requests"] == 1
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=160))
    assert "openai/gpt-4o-mini: $0.05 incl. 1 call without usage of $0.15 billed" in out.getvalue()


def test_calls_seen_without_usage_are_told_from_missing_calls(seeded: Any) -> None:
    """Calls seen without usage are not missing calls: where the bill counts no more calls than
    were metered, or counts none (Anthropic's), the day's cause is 'calls without usage', and
    its unmetered spend is counted as before (their billed tokens are in the gap).

    - D1, claude-3-5-haiku (a bill of its own, no request count): billed 20,000 + 2,000
      tokens, $0.10; metered one call of 10,000 + 1,000 at $0.05 and one stream without usage.
      Tokens 11,000 short: was 'missing calls', now 'calls without usage'; unmetered $0.05.
    - D2, claude-sonnet-4-0: the seed's four calls match the bill's tokens (price or tier);
      one more stream without usage: was 'unpriced calls' (it has no price problem), now
      'calls without usage'.
    - D2, gpt-4o-mini: a stream without usage beside the cron job's 5 billed calls nobody
      metered (billed 15 requests, 11 metered): still 'missing calls'."""
    from reconcile.seed import _cost
    from tokentrace.processor.reconcile import store_days
    from tokentrace.processor.reconcile.rows import Report, UsageRow

    haiku = "claude-3-5-haiku"
    bill = Report("anthropic", [D1])
    bill.usage = [
        UsageRow(D1, "messages", haiku, haiku, "wrk_app", "apikey_app", "", 20_000, 0, 0, 2_000,
                 None),
    ]  # fmt: skip
    bill.costs = [_cost(D1, haiku, "0.10", project="wrk_app")]
    store_days.write(seeded, bill)
    columns = ["ts", "trace_id", "provider", "model", "input_tokens", "output_tokens", "cost",
               "priced", "unpriced_reason", "usage_missing"]  # fmt: skip

    def at(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(10), dt.UTC)

    seeded.insert(
        "llm_calls",
        [
            [at(D1), "h1", "anthropic", haiku, 10_000, 1_000, Decimal("0.05"), 1, "", 0],
            [at(D1), "h2", "anthropic", haiku, 0, 0, Decimal(0), 0, "usage_missing", 1],
            [at(D2), "s5", "anthropic", "claude-sonnet-4-0", 0, 0, Decimal(0), 0,
             "usage_missing", 1],
            [at(D2), "m11", "openai", MINI, 0, 0, Decimal(0), 0, "usage_missing", 1],
        ],
        column_names=columns,
    )  # fmt: skip
    rows = {(r["day"], r["model"]): r for r in _rows(seeded, "reconciliation")}
    got = {
        key: (r["cause"], r["token_gap"], r["usage_missing_requests"], r["unmetered_gap"])
        for key, r in rows.items()
        if key in {(D1, haiku), (D2, "claude-sonnet-4-0"), (D2, MINI)}
    }
    assert got == {
        (D1, haiku): ("calls without usage", 11_000, 1, Decimal("0.05")),
        (D2, "claude-sonnet-4-0"): ("calls without usage", 0, 1, Decimal("1.2")),
        (D2, MINI): ("missing calls", 5_500, 1, Decimal("0.05")),
    }
    spend = {
        r["model"]: (r["unmetered_cost"], r["days"], r["usage_missing_requests"])
        for r in _rows(seeded, "unmetered_spend", end=NOW.replace(hour=0) - dt.timedelta(seconds=1))
    }
    assert spend == {  # finished days
        "text-embedding-3-small": (Decimal(3), 1, 0),
        haiku: (Decimal("0.05"), 1, 1),
        MINI: (Decimal("0.05"), 1, 1),
    }


def test_calls_not_stored_are_said_beside_the_metered_cost(seeded: Any) -> None:
    """A metered call serve could not store (a pending dead letter) is in no metered column:
    beside stored calls the metered cost is a lower bound, alone it is unknown (not $0, which
    read as 'unmetered' spend), and the cause says so either way."""
    from tokentrace.processor.store import dead_letters

    def letter(day: dt.date, model: str) -> dict[str, Any]:
        ts = dt.datetime.combine(day, dt.time(10), dt.UTC)
        return {"ts": int(ts.timestamp() * 1e6), "provider": "openai", "model": model}

    dead_letters.add(
        seeded,
        [
            ("seg-1/0", "test", letter(D1, "gpt-4o-mini")),
            ("seg-2/0", "test", letter(D2, "text-embedding-3-small")),
        ],
    )
    got = {
        (r["day"], r["model"]): (
            r["metered_cost"],
            r["gap"],
            r["dead_lettered_requests"],
            r["cause"],
        )
        for r in _rows(seeded, "reconciliation")
    }
    assert got[(D1, "gpt-4o-mini")] == (Decimal("0.1"), Decimal("0"), 1, "calls not stored")
    assert got[(D2, "text-embedding-3-small")] == (None, None, 1, "calls not stored")
    assert got[(D2, "gpt-4o-mini")] == (Decimal("0.1"), Decimal("0.05"), 0, "missing calls")
    # the embeddings' bill is no longer unmetered spend: its call was metered, not stored
    unmetered = _rows(seeded, "unmetered_spend", end=NOW.replace(hour=0) - dt.timedelta(seconds=1))
    assert [(r["model"], r["unmetered_cost"]) for r in unmetered] == [
        ("gpt-4o-mini", Decimal("0.05"))
    ]
    window = Window(
        start=dt.datetime(2026, 3, 13, tzinfo=dt.UTC), end=dt.datetime(2026, 3, 15, tzinfo=dt.UTC)
    )
    doc = document.build(document.store_fetcher(seeded, window), window)
    causes = {(c["date"], c["model"]): c for c in doc["reconciliation_causes"]}
    lone = causes[("2026-03-14", "text-embedding-3-small")]
    assert (lone["dead_lettered_requests"], lone["metered_cost_complete"]) == (1, False)
    out = io.StringIO()
    terminal.render(doc, Console(file=out, width=200, color_system=None))
    assert "unknown + 1 not stored" in out.getvalue()
    assert "$0.10 + 1 not stored" in out.getvalue()
