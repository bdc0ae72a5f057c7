"""A TOKENTRACE_* variable the instrumentation cannot use is one line in the application's log
naming it and the fix, never an exception in the application and never silence: a misspelt
`TOKENTRACE_STREAM_USAGE=injet` left streams without usage, unsaid."""

from __future__ import annotations

import logging

import pytest

from tokentrace.instrumentation import config


def _said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "tokentrace.instrumentation"]


@pytest.mark.parametrize(
    ("name", "value", "read", "got", "said"),
    [
        (config.STREAM_USAGE_ENV, "injet", config.inject_stream_usage, False,
         "ignoring TOKENTRACE_STREAM_USAGE='injet': use inject (or leave it unset); streams "
         "that do not ask for usage stay without it"),
        (config.ENABLED_ENV, "maybe", config.instrumentation_enabled, True,
         "ignoring TOKENTRACE_INSTRUMENTATION_ENABLED='maybe': use true or false; the "
         "instrumentation stays on"),
    ],
)  # fmt: skip
def test_a_value_not_understood_is_said_and_the_default_kept(
    monkeypatch, caplog, name, value, read, got, said
) -> None:
    caplog.set_level(logging.ERROR)
    monkeypatch.setenv(name, value)
    assert read() is got
    assert _said(caplog) == [said]


@pytest.mark.parametrize("value", ["abc", "-1", "0", "nan", "inf"])
def test_a_budget_guard_interval_not_a_positive_number_is_said(monkeypatch, caplog, value) -> None:
    caplog.set_level(logging.ERROR)
    monkeypatch.setenv(config.BUDGET_GUARD_ENV, "http://127.0.0.1:1")
    monkeypatch.setenv(config.BUDGET_GUARD_INTERVAL_ENV, value)
    guard = config.budget_guard()
    assert guard is not None and guard._interval_s == 2.0
    assert _said(caplog) == [
        f"ignoring TOKENTRACE_BUDGET_GUARD_INTERVAL={value!r}: a number of seconds above 0, "
        "e.g. 2; polling every 2 s"
    ]


@pytest.mark.parametrize(
    "value", ["notaurl", "127.0.0.1:4318", "ftp://h", "http://[::1", "http://h:99999"]
)
def test_a_budget_guard_that_is_not_a_url_is_said(monkeypatch, caplog, value) -> None:
    """Before, `notaurl` was polled as given: "no answer from notaurl/api/v1/budgets/enforced
    (unknown url type …)", with no form to give."""
    caplog.set_level(logging.ERROR)
    monkeypatch.setenv(config.BUDGET_GUARD_ENV, value)
    assert config.budget_guard() is None
    assert _said(caplog) == [
        f"ignoring TOKENTRACE_BUDGET_GUARD={value!r}: give serve's OTLP/HTTP address, e.g. "
        "http://127.0.0.1:4318; no call is blocked"
    ]


@pytest.mark.parametrize(
    ("stream", "enabled", "interval"), [("inject", "false", "0.5"), ("INJECT", "On", "0.01")]
)
def test_values_understood_say_nothing(monkeypatch, caplog, stream, enabled, interval) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv(config.STREAM_USAGE_ENV, stream)
    monkeypatch.setenv(config.ENABLED_ENV, enabled)
    monkeypatch.setenv(config.BUDGET_GUARD_ENV, "http://127.0.0.1:1")
    monkeypatch.setenv(config.BUDGET_GUARD_INTERVAL_ENV, interval)
    assert config.inject_stream_usage() is True
    assert config.instrumentation_enabled() is (enabled == "On")
    guard = config.budget_guard()
    assert guard is not None and guard._interval_s == max(float(interval), 0.1)
    assert _said(caplog) == []
