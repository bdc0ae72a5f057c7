"""Importing the admin reports from the stand-ins into chDB: formats, pagination, re-import,
and the failures the real APIs answer with (401/403, 429 with Retry-After, 5xx)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from reconcile.ledgers import (
    ANTHROPIC_DAY_COST,
    ANTHROPIC_INPUT,
    ANTHROPIC_OUTPUT,
    DAYS,
    OPENAI_DAY_COST,
    OPENAI_INPUT,
    OPENAI_OUTPUT,
    OPENAI_REQUESTS,
    TODAY,
    anthropic_costs,
    anthropic_usage,
    openai_costs,
    openai_usage,
    organisation,
)
from tokentrace.processor.reconcile import openai_reports, run
from tokentrace.processor.reconcile.http import AdminApiError, AdminAuthError
from tokentrace.processor.reconcile.rows import KeyRow
from tokentrace.processor.standins.admin_server import AdminStandin, start_admin_standin


@pytest.fixture
def standin() -> Iterator[AdminStandin]:
    with start_admin_standin(organisation()) as server:
        yield server


def _import(client: Any, standin: AdminStandin, days: int = 40) -> list[run.Outcome]:
    return run.run_on_store(client, run.sources(standin.env()), TODAY, days)


def _current(client: Any, sql: str) -> list[tuple[Any, ...]]:
    """Rows of the newest imported version only, as the reconciliation views read them."""
    return client.query(sql).result_rows


USAGE_TOTALS = """
SELECT provider, model, reported_model, count(), sum(input_tokens), sum(cache_read_tokens),
       sum(cache_write_tokens), sum(output_tokens), sum(requests)
FROM billed_usage GROUP BY provider, model, reported_model ORDER BY provider"""
COST_TOTALS = """
SELECT provider, model, sum(amount), uniqExact(day) FROM billed_costs
GROUP BY provider, model ORDER BY provider"""


def test_imports_both_providers_in_their_wire_formats_across_pages(
    store_client: Any, standin: AdminStandin
) -> None:
    outcomes = _import(store_client, standin)

    assert [o.error for o in outcomes] == ["", ""]
    assert store_client.query(USAGE_TOTALS).result_rows == [
        (
            "anthropic",
            "claude-sonnet-4-0",  # genai-prices' id, as metered calls carry it
            "claude-sonnet-4-20250514",
            40,
            40 * ANTHROPIC_INPUT,
            40 * 1_000,
            40 * 600,
            40 * ANTHROPIC_OUTPUT,
            None,  # Anthropic's report counts no requests
        ),
        (
            "openai",
            "gpt-4o-mini",
            "gpt-4o-mini-2024-07-18",
            40,
            40 * OPENAI_INPUT,
            40 * 2_000,
            0,
            40 * OPENAI_OUTPUT,
            40 * OPENAI_REQUESTS,
        ),
    ]
    assert store_client.query(COST_TOTALS).result_rows == [
        ("anthropic", "claude-sonnet-4-0", 40 * ANTHROPIC_DAY_COST, 40),
        ("openai", "gpt-4o-mini", 40 * OPENAI_DAY_COST, 40),
    ]
    # 40 daily buckets at 31 a page: every report took two pages, the second by next_page
    usage = [r for r in standin.requests if r.path.endswith("/usage/completions")]
    assert len(usage) == 2 and "page" not in usage[0].query and usage[1].query["page"]
    assert usage[0].query["group_by"] == [
        "model", "project_id", "api_key_id", "batch", "service_tier"
    ]  # fmt: skip
    messages = [r for r in standin.requests if r.path.endswith("/usage_report/messages")]
    assert [len(m.query.get("page", [])) for m in messages] == [0, 1]
    assert messages[0].query["group_by[]"] == [
        "model",
        "api_key_id",
        "workspace_id",
        "service_tier",
    ]
    assert messages[0].query["starting_at"] == ["2026-02-04T00:00:00Z"]
    keys = store_client.query(
        "SELECT provider, key_id, name, redacted_value, hint_prefix, hint_suffix, project_id "
        "FROM provider_api_keys FINAL ORDER BY provider"
    ).result_rows
    assert keys == [
        ("anthropic", "apikey_app", "app server", "sk-ant-api03-Abc...wxYZ", "sk-ant-api03-Abc",
         "wxYZ", "wrk_app"),
        ("openai", "key_app", "app server", "sk-proj-...a1b2", "sk-proj-", "a1b2", "proj_app"),
    ]  # fmt: skip


def test_reimport_replaces_the_last_two_days_and_leaves_older_days_alone(
    store_client: Any, standin: AdminStandin
) -> None:
    _import(store_client, standin)
    yesterday, old = TODAY - dt.timedelta(days=1), TODAY - dt.timedelta(days=5)
    ledger = standin.ledger
    # late data: yesterday's bill grows, today's disappears, and an old day changes too
    ledger.openai_usage.append(openai_usage(yesterday, api_key_id="key_cron", input_tokens=7))
    ledger.openai_costs.extend(openai_costs(yesterday, project="proj_cron"))
    ledger.openai_usage[:] = [r for r in ledger.openai_usage if r["day"] != TODAY]
    ledger.anthropic_usage.append(anthropic_usage(old, output_tokens=1))
    ledger.anthropic_costs.extend(anthropic_costs(yesterday, cents="100"))
    standin.requests.clear()

    outcomes = _import(store_client, standin)

    assert [(o.first, o.last) for o in outcomes] == [(yesterday, TODAY)] * 2
    per_day = dict(
        store_client.query(
            "SELECT day, sum(input_tokens) FROM billed_usage WHERE provider = 'openai' "
            "AND day >= {d:Date} GROUP BY day",
            parameters={"d": old},
        ).result_rows
    )
    assert per_day == {
        old: OPENAI_INPUT,
        old + dt.timedelta(days=1): OPENAI_INPUT,
        old + dt.timedelta(days=2): OPENAI_INPUT,
        old + dt.timedelta(days=3): OPENAI_INPUT,
        yesterday: OPENAI_INPUT + 7,  # replaced, not doubled
    }  # today: billed nothing any more, so nothing is left of it
    costs = dict(
        store_client.query(
            "SELECT provider, sum(amount) FROM billed_costs WHERE day = {d:Date} GROUP BY provider",
            parameters={"d": yesterday},
        ).result_rows
    )
    assert costs == {"openai": 2 * OPENAI_DAY_COST, "anthropic": ANTHROPIC_DAY_COST + 1}
    old_output = store_client.query(
        "SELECT sum(output_tokens) FROM billed_usage "
        "WHERE provider = 'anthropic' AND day = {d:Date}",
        parameters={"d": old},
    ).result_rows
    assert old_output == [(ANTHROPIC_OUTPUT,)]  # not re-fetched: only the last two days are
    markers = store_client.query(
        "SELECT provider, report, day, rows FROM billed_imports WHERE day = {d:Date} "
        "ORDER BY provider, report",
        parameters={"d": TODAY},
    ).result_rows
    assert markers == [
        ("anthropic", "cost", TODAY, 1),
        ("anthropic", "usage", TODAY, 1),
        ("openai", "cost", TODAY, 2),
        ("openai", "usage", TODAY, 0),  # an empty day is recorded, so it replaces the old one
    ]


def test_first_import_fetches_from_the_first_day_never_imported(
    store_client: Any, standin: AdminStandin
) -> None:
    _import(store_client, standin, days=3)
    outcomes = _import(store_client, standin, days=10)
    assert {(o.first, o.last) for o in outcomes} == {(TODAY - dt.timedelta(days=9), TODAY)}
    assert store_client.query(
        "SELECT uniqExact(day) FROM billed_usage WHERE provider = 'openai'"
    ).result_rows == [(10,)]


def test_429_and_5xx_are_retried_honouring_retry_after(
    store_client: Any, standin: AdminStandin
) -> None:
    standin.fail(429, times=2, retry_after="0")
    standin.fail(529, retry_after="0")
    outcomes = _import(store_client, standin, days=2)
    assert [o.error for o in outcomes] == ["", ""]
    assert [o.retries for o in outcomes] == [3, 0]
    assert store_client.query("SELECT count() FROM billed_usage").result_rows == [(4,)]


def test_backoff_is_exponential_without_retry_after_and_gives_up_clearly(
    standin: AdminStandin,
) -> None:
    slept: list[float] = []
    api = openai_reports.client(standin.keys["openai"], standin.openai_url)
    api.sleep = slept.append
    standin.fail(503, times=2)
    page = api.get("/organization/costs", [("start_time", 1773446400)])
    assert page["object"] == "page" and slept == [1.0, 2.0]

    standin.fail(500, times=6)
    with pytest.raises(AdminApiError) as failed:
        api.get("/organization/costs", [("start_time", 1773446400)])
    assert str(failed.value) == (
        "OpenAI admin API answered HTTP 500 for /organization/costs after 6 attempts: "
        "Stand-in error 500."
    )
    assert slept == [1.0, 2.0, 1.0, 2.0, 4.0, 8.0, 16.0]
    retry_at = standin.requests[-1]
    assert retry_at.headers["authorization"] == f"Bearer {standin.keys['openai']}"


def test_a_wrong_key_fails_at_once_in_one_line_without_the_key(
    store_client: Any, standin: AdminStandin
) -> None:
    env = {**standin.env(), "ANTHROPIC_ADMIN_KEY": "sk-ant-admin01-wrong-secret"}
    outcomes = run.run_on_store(store_client, run.sources(env), TODAY, 3)
    assert outcomes[0].error == ""  # OpenAI still imported
    assert outcomes[1].line() == (
        "anthropic: Anthropic admin API refused the key (HTTP 401): set ANTHROPIC_ADMIN_KEY to "
        "an admin key allowed to read usage and costs: invalid x-api-key"
    )
    assert sum(r.provider == "anthropic" for r in standin.requests) == 1  # not retried


def test_a_key_without_permission_fails_at_once(standin: AdminStandin) -> None:
    api = openai_reports.client(standin.keys["openai"], standin.openai_url)
    standin.fail(403)
    with pytest.raises(AdminAuthError, match=r"^OpenAI admin API refused the key \(HTTP 403\)"):
        api.get("/organization/costs", [("start_time", 1773446400)])
    assert len(standin.requests) == 1


def test_line_items_name_their_model() -> None:
    assert openai_reports.model_of_line_item("gpt-4o-2024-08-06, cached input") == (
        "gpt-4o-2024-08-06"
    )
    assert openai_reports.model_of_line_item("Image models") == ""
    assert openai_reports.model_of_line_item("Fine-tuning, training") == ""
    assert Decimal("450.5") / 100 == ANTHROPIC_DAY_COST
    assert len(DAYS) == 40


def test_a_root_without_its_version_part_says_which_variable_to_check(
    store_client: Any, standin: AdminStandin
) -> None:
    """TOKENTRACE_OPENAI_ADMIN_URL=https://api.openai.com (no /v1): every report path is a
    404. Before: the 404 alone, nothing naming the variable or the default."""
    env = {**standin.env(), "TOKENTRACE_OPENAI_ADMIN_URL": standin.openai_url.removesuffix("/v1")}
    [outcome] = run.run_on_store(store_client, run.sources(env)[:1], TODAY, 3)
    assert outcome.line() == (
        "openai: OpenAI admin API answered HTTP 404 for /organization/usage/completions: "
        "Invalid URL (GET /organization/usage/completions): is TOKENTRACE_OPENAI_ADMIN_URL the "
        "API's root, as https://api.openai.com/v1?"
    )
    assert store_client.query("SELECT count() FROM billed_imports").result_rows == [(0,)]


def test_a_bad_url_or_an_unknown_shape_is_one_clear_line(
    store_client: Any, standin: AdminStandin
) -> None:
    env = {**standin.env(), "TOKENTRACE_OPENAI_ADMIN_URL": "ftp://example.invalid/v1"}
    [outcome] = run.run_on_store(store_client, run.sources(env)[:1], TODAY, 3)
    assert outcome.line() == (
        "openai: OpenAI admin API URL 'ftp://example.invalid/v1' is not an http(s) URL: "
        "fix TOKENTRACE_OPENAI_ADMIN_URL"
    )
    standin.fail(200, body=b'{"data": [{"starting_at": 1773446400}], "has_more": false}')
    [outcome] = run.run_on_store(store_client, run.sources(standin.env())[1:], TODAY, 3)
    assert outcome.error.startswith(
        "Anthropic admin API answered in a shape tokentrace does not know (AttributeError"
    )
    assert store_client.query("SELECT count() FROM billed_imports").result_rows == [(0,)]


def test_redacted_values_split_into_prefix_and_suffix() -> None:
    def hint(value: str) -> tuple[str, str]:
        return KeyRow("k", "", value, "", "").hint

    assert hint("sk-proj-...a1b2") == ("sk-proj-", "a1b2")
    assert hint("sk-ant-api03-R2D...igAA") == ("sk-ant-api03-R2D", "igAA")
    assert hint("sk-…wxyz") == ("sk-", "wxyz")
    assert hint("sk-****wxyz") == ("sk-", "wxyz")
    assert hint("opaque") == ("opaque", "")
