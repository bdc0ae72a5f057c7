"""Macro and variable expansion matches the plugin's backend and Grafana's frontend."""

from __future__ import annotations

import datetime as dt

import pytest

from tokentrace.processor.store import macros

UTC = dt.UTC
START = dt.datetime(2026, 3, 1, 0, 0, 0, 250_000, tzinfo=UTC)  # 1772323200.25
END = dt.datetime(2026, 3, 2, 23, 59, 59, 999_000, tzinfo=UTC)  # 1772495999.999


def expand(sql: str, interval_s: float = 60) -> str:
    return macros.expand_macros(sql, start=START, end=END, interval_s=interval_s)


def test_time_macros_expand_like_the_plugin_backend() -> None:
    # pkg/macros/macros.go: seconds via toDateTime(Unix()), ms via fromUnixTimestamp64Milli,
    # dates via toDate('YYYY-MM-DD'), both bounds inclusive.
    assert expand("$__timeFilter(ts)") == (
        "ts >= toDateTime(1772323200) AND ts <= toDateTime(1772495999)"
    )
    assert expand("$__timeFilter_ms(ts)") == (
        "ts >= fromUnixTimestamp64Milli(1772323200250) AND ts <= "
        "fromUnixTimestamp64Milli(1772495999999)"
    )
    assert expand("$__dateFilter(day)") == (
        "day >= toDate('2026-03-01') AND day <= toDate('2026-03-02')"
    )
    assert expand("$__dt(day, ts)") == (
        "(day >= toDate('2026-03-01') AND day <= toDate('2026-03-02')) AND "
        "(ts >= toDateTime(1772323200) AND ts <= toDateTime(1772495999))"
    )
    assert expand("$__fromTime, $__toTime") == "toDateTime(1772323200), toDateTime(1772495999)"
    assert expand("$__fromTime_ms") == "fromUnixTimestamp64Milli(1772323200250)"


def test_interval_macros_truncate_to_whole_units_with_a_floor_of_one() -> None:
    assert expand("$__timeInterval(hour)", 7200) == (
        "toStartOfInterval(toDateTime(hour), INTERVAL 7200 second)"
    )
    assert expand("$__timeInterval_ms(ts)", 0.0255) == (
        "toStartOfInterval(toDateTime64(ts, 3), INTERVAL 25 millisecond)"
    )
    assert expand("$__interval_s * 2", 0.2) == "1 * 2"
    assert expand("$__interval_s", 90.9) == "90"


def test_macro_names_do_not_swallow_longer_names() -> None:
    assert expand("$__timeFilter_ms(a) OR $__timeFilter(b)").count("fromUnixTimestamp64Milli") == 2
    assert "INTERVAL 60 second" in expand("$__timeInterval(x) + $__interval_s")


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("$__timeFilter(a, b)", "expects 1 argument, received 2"),
        ("$__timeGroup(ts, '1h')", "unknown macro"),
        ("$__conditionalAll(x IN ('a'), $x)", "dashboard macro"),
        ("$__timeFilter(ts", "unbalanced"),
    ],
)
def test_backend_refuses_what_it_cannot_expand(sql: str, message: str) -> None:
    with pytest.raises(macros.ExpansionError, match=message):
        expand(sql)


def test_naive_or_reversed_ranges_are_refused() -> None:
    with pytest.raises(macros.ExpansionError, match="timezone-aware"):
        macros.expand_macros("1", start=START.replace(tzinfo=None), end=END, interval_s=1)
    with pytest.raises(macros.ExpansionError, match="before it starts"):
        macros.expand_macros("1", start=END, end=START, interval_s=1)


def test_conditional_all_drops_the_condition_only_for_all() -> None:
    sql = "WHERE $__conditionalAll(team IN (${team:singlequote}), $team) AND x"
    assert macros.apply_conditional_all(sql, {"team": ()}) == "WHERE 1=1 AND x"
    assert macros.apply_conditional_all(sql, {"team": ("a",)}) == (
        "WHERE team IN (${team:singlequote}) AND x"
    )
    # A variable the dashboard does not define keeps its condition, as in the plugin.
    assert macros.apply_conditional_all(sql, {}) == "WHERE team IN (${team:singlequote}) AND x"


def test_conditional_all_handles_nested_parentheses_and_several_macros() -> None:
    sql = (
        "$__conditionalAll(lower(a) IN (${a:singlequote}), $a) AND "
        "$__conditionalAll(b IN (${b:singlequote}), ${b})"
    )
    assert macros.apply_conditional_all(sql, {"a": ("x",), "b": ()}) == (
        "lower(a) IN (${a:singlequote}) AND 1=1"
    )


def test_conditional_all_with_a_wrong_argument_count_is_an_error() -> None:
    with pytest.raises(macros.ExpansionError, match="exactly 2 arguments"):
        macros.apply_conditional_all("$__conditionalAll(a, b, $c)", {"c": ()})


def test_variables_use_grafanas_formats() -> None:
    selections = {"team": ("growth", "o'neil")}
    assert macros.interpolate_variables("${team:singlequote}", selections) == (
        "'growth','o\\'neil'"
    )
    # The plugin's default format joins a multi-value list without escaping.
    assert macros.interpolate_variables("[$team] [${team}] [[team]]", selections) == (
        "['growth','o'neil'] ['growth','o'neil'] 'growth','o'neil'"
    )
    # Plugin macros and unknown variables are left for later steps.
    assert macros.interpolate_variables("$__timeFilter(ts) $other", selections) == (
        "$__timeFilter(ts) $other"
    )


def test_variables_that_only_a_browser_can_expand_are_refused() -> None:
    with pytest.raises(macros.ExpansionError, match="expanded by the browser"):
        macros.interpolate_variables("$__interval", {})
    with pytest.raises(macros.ExpansionError, match="is All here"):
        macros.interpolate_variables("team IN (${team:singlequote})", {"team": ()})
    with pytest.raises(macros.ExpansionError, match="unsupported variable format"):
        macros.interpolate_variables("${team:csv}", {"team": ("a",)})


def test_panel_interval_follows_grafanas_rounding_and_minimum() -> None:
    thirty_days = dt.timedelta(days=30)
    # 30 d / 500 points = 5184 s -> rounds to 1 h.
    assert (
        macros.panel_interval_s(END - thirty_days, END, max_data_points=500, min_interval_s=None)
        == 3600
    )
    # 6 h / 500 = 43.2 s -> 30 s, raised to the panel's 1 h minimum.
    six_hours = dt.timedelta(hours=6)
    assert (
        macros.panel_interval_s(END - six_hours, END, max_data_points=500, min_interval_s=None)
        == 30
    )
    assert (
        macros.panel_interval_s(END - six_hours, END, max_data_points=500, min_interval_s=3600)
        == 3600
    )
    assert macros.round_interval(86_400_000) == 86_400_000  # exactly 1 d stays 1 d
    assert macros.round_interval(9e12) == 31_536_000_000


def test_dashboard_query_runs_the_three_steps_in_grafanas_order() -> None:
    sql = "SELECT 1 WHERE $__dateFilter(day) AND $__conditionalAll(t IN (${t:singlequote}), $t)"
    assert (
        macros.render_dashboard_query(
            sql, start=START, end=END, selections={"t": ("a", "b")}, interval_s=1
        )
        == "SELECT 1 WHERE day >= toDate('2026-03-01') AND day <= toDate('2026-03-02') "
        "AND t IN ('a','b')"
    )
