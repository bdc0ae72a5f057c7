"""Report windows are exact, print as asked, and filters (user and conversation too) narrow
every view that counts calls, budgets included — on real chDB."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tokentrace.processor.report import document, window
from tokentrace.processor.store import budgets, view_sql

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 20, 15, 40, tzinfo=UTC)
COLUMNS = ["ts", "trace_id", "team", "user", "conversation", "cost", "priced", "status"]


@pytest.fixture
def seeded(store_client):
    rows = [
        # 15:10 today, 14:55 today, 23:00 yesterday, 10:00 yesterday, 10:00 two days ago
        [NOW - dt.timedelta(minutes=30), "a", "growth", "ann", "c1", Decimal("1"), 1, "ok"],
        [NOW - dt.timedelta(minutes=45), "b", "growth", "bob", "c2", Decimal("2"), 1, "ok"],
        [NOW - dt.timedelta(hours=16, minutes=40), "c", "support", "ann", "c1",
         Decimal("4"), 1, "ok"],
        [NOW - dt.timedelta(hours=29, minutes=40), "d", "support", "cyd", "c3",
         Decimal("8"), 1, "error"],
        [NOW - dt.timedelta(hours=53, minutes=40), "e", "growth", "ann", "c4",
         Decimal("16"), 1, "ok"],
    ]  # fmt: skip
    store_client.insert("llm_calls", rows, column_names=COLUMNS)
    budgets.set_budget(store_client, "team=support", Decimal("100"), period="month")
    budgets.set_budget(store_client, "team=growth", Decimal("50"), period="month")
    budgets.set_budget(store_client, "global", Decimal("1000"), period="month")
    return store_client


def _doc(client, since=None, start=None, end=None, where=None):
    span = window.build(since, start, end, where, now=NOW)
    return document.build(document.store_fetcher(client, span), span)


def test_hours_are_exact_and_differ_from_days(seeded) -> None:
    assert _doc(seeded, "1h")["totals"]["cost"] == "3"  # 14:40 → now: a and b
    assert _doc(seeded, "40m")["totals"]["cost"] == "1"  # 15:00 → now: a only
    assert _doc(seeded, "24h")["totals"]["cost"] == "7"  # a, b, c
    assert _doc(seeded, "2d")["totals"]["cost"] == "15"  # yesterday and today: a–d
    assert _doc(seeded, "30h")["totals"]["cost"] == "15"
    day = _doc(seeded, "24h")["daily"]
    assert [(d["date"], d["cost"], d["partial"]) for d in day] == [
        ("2026-11-19", "4", True),
        ("2026-11-20", "3", True),
    ]


def test_the_window_prints_as_asked(seeded) -> None:
    november = _doc(seeded, start="2026-11-01", end="2026-11-30")
    assert november["window"]["label"] == "2026-11-01 → 2026-11-30"
    assert november["window"]["days"] == {"from": "2026-11-01", "to": "2026-11-30"}
    assert november["window"]["to"] == "2026-12-01T00:00:00+00:00"  # JSON: exclusive, as ever
    assert not any(d["partial"] for d in november["daily"])
    week = _doc(seeded, "7d")
    assert week["window"]["label"] == "2026-11-14 → 2026-11-20 15:40 UTC (now)"
    assert [d["partial"] for d in week["daily"]] == [False] * 6 + [True]
    assert _doc(seeded, "2h")["window"]["label"] == (
        "2026-11-20 13:40 → 2026-11-20 15:40 UTC (now)"
    )


def test_user_and_conversation_filters_narrow_every_view(seeded) -> None:
    ann = _doc(seeded, "7d", where=["user=ann"])
    assert ann["totals"]["cost"] == "21" and ann["totals"]["requests"] == 3
    assert [(r["value"], r["cost"]) for r in ann["by_tag"]["team"]] == [
        ("growth", "17"),
        ("support", "4"),
    ]
    assert ann["month_to_date"]["cost"] == "21"
    exact = _doc(seeded, "24h", where=["user=ann", "user=cyd"])
    assert exact["totals"]["cost"] == "5"  # a and c; d is 29 h old
    conversation = _doc(seeded, "7d", where=["conversation=c1"])
    assert conversation["totals"]["cost"] == "5"


def test_budgets_follow_the_filters_that_apply_to_them(seeded) -> None:
    def scopes(doc):
        return [b["scope"] for b in doc["month_to_date"]["budgets"]]

    assert scopes(_doc(seeded, "7d")) == ["team=growth", "team=support", ""]
    assert scopes(_doc(seeded, "7d", where=["team=growth"])) == ["team=growth", ""]
    assert scopes(_doc(seeded, "7d", where=["user=ann"])) == ["team=growth", "team=support", ""]


def test_every_view_runs_narrowed_to_calls_and_to_hours(seeded) -> None:
    """Each view a user filter or an exact window narrows still runs: the on-the-fly rollup
    has every column the rollups have."""
    from tokentrace.processor.store import views

    rollup = {
        row[0]
        for row in seeded.query(
            "SELECT name FROM system.columns WHERE database = currentDatabase() "
            "AND table = 'llm_cost_daily'"
        ).result_rows
    }
    tier = "service_tier"  # the daily rollup's alone (0034): only the reconciliation reads it
    assert rollup == {"day", tier, *view_sql._DIMENSIONS.split(", "), *view_sql._SUMS}
    for name, view in views.VIEWS.items():
        hour = NOW.replace(minute=0)
        for start, end, filters in (
            (NOW - dt.timedelta(minutes=90), NOW, {}),  # not whole hours: from the calls
            (hour - dt.timedelta(hours=5), hour - dt.timedelta(milliseconds=1), {}),  # hourly
            (NOW - dt.timedelta(days=3), NOW, {"user": ("ann",)}),
        ):
            views.fetch(seeded, view, start=start, end=end, filters=filters, exact=True), name


def test_a_window_of_whole_hours_ends_before_its_end_hour(seeded) -> None:
    """--from 14:00 --to 15:00 counts 14:00-14:59:59.999: the inclusive end rounded to the
    second was 15:00, so the 15:00 hour's rollup row (a, $1) was counted too ($3 read)."""
    doc = _doc(seeded, start="2026-11-20T14:00:00", end="2026-11-20T15:00:00")
    assert doc["totals"]["cost"] == "2"  # b only, at 14:55


_OUTSIDE = (
    " reaches outside 1970-01-01 … 2106-02-07 (UTC), the range ClickHouse's DateTime holds: "
    "ask for a window inside it"
)


@pytest.mark.parametrize(
    ("since", "start", "end", "said"),
    [
        ("0d", None, None, "--since takes a number above 0 and a unit (m, h, d, w), e.g. 7d: '0d'"),
        ("0h", None, None, "--since takes a number above 0 and a unit (m, h, d, w), e.g. 7d: '0h'"),
        ("999999d", None, None, "--since 999999d" + _OUTSIDE),
        ("9" * 20 + "d", None, None, f"--since {'9' * 20}d" + _OUTSIDE),
        (None, "1900-01-01", "1950-01-01", "--from 1900-01-01 --to 1950-01-01" + _OUTSIDE),
        (None, "2026-01-01", "2300-01-01", "--from 2026-01-01 --to 2300-01-01" + _OUTSIDE),
        (None, None, "9999-12-31", "--to 9999-12-31" + _OUTSIDE),
        (None, "0001-01-01", None, "--from 0001-01-01" + _OUTSIDE),
        # A window starting after its end (a future --from): before, two ISO times with
        # microseconds and nothing to do about it.
        (None, "2030-01-01", None, "the window is empty: --from 2030-01-01 is not before now "
         f"({NOW:%Y-%m-%d %H:%M:%S} UTC): give a --from before it"),
        (None, "2026-12-05", "2026-12-01", "the window is empty: --from 2026-12-05 is not before "
         "--to 2026-12-01: give a --from before it"),
    ],
)  # fmt: skip
def test_a_window_no_view_can_answer_is_refused_with_the_reason(since, start, end, said) -> None:
    """``--since 0d`` (an empty window) and windows past what ClickHouse's DateTime holds were
    tracebacks (ExpansionError, OverflowError) from the views; the report's CLI prints this
    ValueError as its one line, exit 2."""
    with pytest.raises(ValueError) as error:
        window.build(since, start, end, None, now=NOW)
    assert str(error.value) == said
