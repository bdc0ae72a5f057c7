"""The readers' and budgets' API on real chDB: filter values are bound, never spliced or
macro-expanded; every 4xx answer has a test; no input gets a 500 (a hypothesis fuzz)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from tokentrace.processor.api.budgets_api import BudgetsApi
from tokentrace.processor.api.dead_letters_api import DeadLettersApi
from tokentrace.processor.api.routing import application, bearer_auth, route
from tokentrace.processor.api.views_api import ViewsApi
from tokentrace.processor.store import views

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
RANGE = {"from": "2026-11-19T00:00:00Z", "to": "2026-11-20T23:59:59Z"}
HOSTILE = [
    "$__fromTime",
    "$__dateFilter(day)",
    "$__timeFilter(ts) OR 1=1",
    "${tenant}",
    "{x}",
    "{f_tenant_0:String}",
    "it's",
    "%s %(x)s",
    "') OR 1=1 --",
]
TOKEN = "tökén-ключ"  # non-ASCII: compared as UTF-8 bytes


def seed(client: Any) -> None:
    """One call per hostile tenant, costing 1, 2, 3 … USD, and a plain one costing 100."""
    columns = ["ts", "trace_id", "tenant", "cost", "priced"]
    rows: list[list[Any]] = [
        [NOW - dt.timedelta(hours=1), f"t{n}", tenant, Decimal(n + 1), 1]
        for n, tenant in enumerate(HOSTILE)
    ]
    rows.append([NOW - dt.timedelta(hours=1), "plain", "acme", Decimal(100), 1])
    client.insert("llm_calls", rows, column_names=columns)


@pytest.fixture
def app(store_client) -> Starlette:
    seed(store_client)
    reader = ViewsApi(lambda: store_client)
    budget_api = BudgetsApi(lambda: store_client)
    auth = bearer_auth(TOKEN)
    return application(
        [
            route("GET", "/api/v1/views", reader.list_views, auth),
            route("GET", "/api/v1/views/{name}", reader.run_view, auth),
            route("GET", "/api/v1/budgets", budget_api.list, auth),
            route("PUT", "/api/v1/budgets", budget_api.put, auth),
            route("DELETE", "/api/v1/budgets", budget_api.delete, auth),
        ]
    )


AUTH = {"authorization": f"Bearer {TOKEN}".encode()}  # sent as UTF-8 bytes


def call(app: Starlette, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            headers = {**AUTH, **kwargs.pop("headers", {})}
            return await client.request(method, path, headers=headers, **kwargs)

    return asyncio.run(go())


def test_macro_and_placeholder_text_in_a_filter_value_is_just_a_tenant_name(app, store_client):
    for n, tenant in enumerate(HOSTILE):
        answer = call(app, "GET", "/api/v1/views/totals", params={**RANGE, "tenant": tenant})
        assert answer.status_code == 200, (tenant, answer.text)
        assert answer.json()["rows"][0]["cost"] == f"{n + 1}.{'0' * 12}", tenant
    # Several values at once, and the report's path (views.fetch) too.
    rows = views.fetch(
        store_client,
        views.VIEWS["totals"],
        start=NOW - dt.timedelta(days=1),
        end=NOW,
        filters={"tenant": HOSTILE},
    )
    assert rows[0]["cost"] == sum(Decimal(n + 1) for n in range(len(HOSTILE)))


def test_a_dead_letter_table_dropped_under_serve_is_created_again_not_a_500(
    app, store_client, caplog
):
    # dead_letters dropped by hand while serve runs: every view counting dead letters failed
    # (UNKNOWN_TABLE, a 500) until the sink met a poison row or serve restarted.
    store_client.command("DROP TABLE dead_letters")
    answer = call(app, "GET", "/api/v1/views/totals", params=RANGE)
    assert answer.status_code == 200, answer.text
    row = answer.json()["rows"][0]
    # 1 + 2 + ... + 9 + 100 USD
    assert (row["requests"], row["cost"], row["dead_lettered_requests"]) == (
        10,
        "145." + "0" * 12,
        0,
    )
    assert caplog.text.count("dead_letters was missing (dropped?)") == 1


def test_the_dead_letter_list_after_its_table_was_dropped_is_empty_not_a_500(store_client):
    letters = DeadLettersApi(lambda: store_client)
    app = application([route("GET", "/api/v1/dead-letters", letters.list, bearer_auth(TOKEN))])
    store_client.command("DROP TABLE dead_letters")
    answer = call(app, "GET", "/api/v1/dead-letters")
    assert (answer.status_code, answer.json()) == (200, {"dead_letters": []})


def test_bound_sql_holds_no_filter_value():
    sql, parameters = views.bind(
        views.VIEWS["totals"],
        start=NOW - dt.timedelta(days=1),
        end=NOW,
        filters={"tenant": ["$__fromTime", "it's"]},
    )
    assert "it's" not in sql and "tenant IN ({f_tenant_0:String},{f_tenant_1:String})" in sql
    assert parameters == {"f_tenant_0": "$__fromTime", "f_tenant_1": "it's"}


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"from": "0001-01-01"}, 400, "from=0001-01-01T00:00:00+00:00 is outside 1970-01-01"),
        ({"to": "9999-12-31"}, 400, "to=9999-12-31T00:00:00+00:00 is outside"),
        ({"to": "1970-01-02"}, 400, "from=1969-12-26T00:00:00+00:00 is outside"),
        ({"from": "2026-02-30"}, 400, "from='2026-02-30' is not an ISO 8601 date or time"),
        ({"from": "yesterday"}, 400, "is not an ISO 8601"),
        ({"from": "2026-11-20", "to": "2026-11-19"}, 400, "from must not be after to"),
        ({"tenant_id": "x"}, 400, "unknown filter(s) ['tenant_id']"),
        ({"tenant": "back\\slash"}, 400, "values are strings without '\\'"),
    ],
)
def test_bad_view_queries_get_400(app, query, status, message):
    answer = call(app, "GET", "/api/v1/views/totals", params=query)
    assert answer.status_code == status
    assert message in answer.json()["error"]


def test_unknown_view_404_wrong_method_405_wrong_token_401(app):
    assert call(app, "GET", "/api/v1/views/nope").status_code == 404
    assert call(app, "GET", "/api/v2/views").status_code == 404
    assert call(app, "POST", "/api/v1/views").status_code == 405
    wrong = call(app, "GET", "/api/v1/views", headers={"authorization": b"Bearer x"})
    assert (wrong.status_code, wrong.headers["www-authenticate"]) == (401, "Bearer")
    assert call(app, "GET", "/api/v1/views").status_code == 200  # the non-ASCII token
    latin1 = f"Bearer {TOKEN[:5]}".encode("latin-1")  # 'tökén' in latin-1: other bytes
    assert call(app, "GET", "/api/v1/views", headers={"authorization": latin1}).status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b'{"scope": "team=a", "amount": "' + b"1" * 70_000 + b'"}', 413, "65536-byte limit"),
        (b'{"scope": "team=a", "amount": "1e400"}', 400, "must be below"),
        (b'{"scope": "team=a", "amount": 1e400}', 400, "must be a positive number"),
        (b'{"scope": "team=a", "amount": NaN}', 400, "must be a positive number"),
        (b'{"scope": "team=a", "amount": "-5"}', 400, "must be a positive number"),
        (b'{"scope": "team=a", "amount": "0.00001"}', 400, "at most 4 decimal places"),
        (b'{"scope": "team=a"}', 400, "the body needs an amount"),
        (b'{"scope": "colour=red", "amount": "5"}', 400, "unknown scope key 'colour'"),
        (b'{"scope": "team=a", "amount": "5", "period": "decade"}', 400, "invalid period"),
        (b'["team=a", 5]', 400, "the body is a JSON object"),
        (b"[" * 30_000 + b"]" * 30_000, 400, "bad budget"),
        (b"\xff\xfe", 400, "bad budget"),
        (b"{not json", 400, "bad budget"),
    ],
)
def test_bad_budget_bodies_get_400_or_413(app, body, status, message):
    answer = call(app, "PUT", "/api/v1/budgets", content=body)
    assert answer.status_code == status
    assert message in answer.json()["error"]


def test_budget_delete_errors(app):
    missing = call(app, "DELETE", "/api/v1/budgets", params={"scope": "team=none"})
    assert missing.status_code == 404
    bad = call(app, "DELETE", "/api/v1/budgets", params={"scope": "team"})
    assert (bad.status_code, bad.json()["error"]) == (
        400,
        "bad budget: invalid scope part 'team': expected key=value",
    )


# ------------------------------------------------------------------ no input gets a 500

_text = st.text(st.characters(codec="utf-8"), max_size=40)
_value = st.one_of(_text, st.sampled_from(HOSTILE), st.just("0001-01-01"), st.just("9999-12-31"))
_query = st.dictionaries(
    st.one_of(st.sampled_from(["from", "to", *views.VARIABLES, "scope", "period"]), _text),
    _value,
    max_size=4,
)
_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(), st.integers(), _text),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_budget = st.fixed_dictionaries(
    {},
    optional={
        "scope": st.one_of(_text, st.sampled_from(["team=a", "global", "tenant=$__fromTime"])),
        "amount": st.one_of(_json, st.sampled_from(["1e400", "NaN", "-1", "12.5", "1e14"])),
        "period": st.one_of(_text, st.sampled_from(["day", "week", "month"])),
    },
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(["GET", "PUT", "DELETE", "POST"]),
    path=st.one_of(
        st.sampled_from(
            ["/api/v1/views", "/api/v1/budgets", *(f"/api/v1/views/{v}" for v in views.VIEWS)]
        ),
        _text.map(lambda tail: "/api/v1/views/" + quote(tail, safe="")),
    ),
    query=_query,
    body=st.one_of(_budget.map(json.dumps), _json.map(json.dumps), st.binary(max_size=64)),
)
def test_no_request_gets_a_500(app, method, path, query, body):
    answer = call(app, method, path, params=query, content=body)
    assert answer.status_code < 500, answer.text


def test_budgets_after_the_dead_letter_table_was_dropped_answer_not_a_500(store_client, caplog):
    # The enforced budgets count dead letters (budget_utilization): the guard's poll was a 500
    # until the sink met a poison row or serve reconnected.
    seed(store_client)
    budget_api = BudgetsApi(lambda: store_client)
    app = application(
        [
            route("PUT", "/api/v1/budgets", budget_api.put),
            route("GET", "/api/v1/budgets", budget_api.list),
            route("GET", "/api/v1/budgets/enforced", budget_api.enforced),
        ]
    )
    body = {"scope": "team=growth", "amount": "500", "period": "month", "enforce": True}
    assert call(app, "PUT", "/api/v1/budgets", json=body).status_code == 200
    store_client.command("DROP TABLE dead_letters")
    listed = call(app, "GET", "/api/v1/budgets")
    assert listed.status_code == 200, listed.text
    assert [b["scope"] for b in listed.json()["budgets"]] == ["team=growth"]
    enforced = call(app, "GET", "/api/v1/budgets/enforced")
    assert enforced.status_code == 200, enforced.text
    [state] = enforced.json()["budgets"]
    assert (state["scope"], state["amount"], state["dead_lettered_requests"]) == (
        "team=growth",
        "500",
        0,
    )
    assert caplog.text.count("dead_letters was missing (dropped?)") == 1
    assert store_client.command("EXISTS TABLE dead_letters") == 1


def test_a_deeply_nested_json_body_is_a_400_on_every_api_taking_json(store_client) -> None:
    """``[[[…]]]`` 2,000 deep (4,000 bytes: under every body limit, reprice's 4 KiB too) is a
    400 saying so on each route that reads a JSON body: the replay and the reconciliation
    import answered 500 (``RecursionError``), the reprice too."""
    from tokentrace.processor.api.reconcile_api import ReconcileApi
    from tokentrace.processor.api.reprice_api import RepriceApi

    def connect() -> Any:
        return store_client

    budget_api, letters = BudgetsApi(connect), DeadLettersApi(connect)
    reconcile, reprice = ReconcileApi(connect), RepriceApi(connect, pause=lambda: None)
    app = application(
        [
            route("PUT", "/api/v1/budgets", budget_api.put),
            route("POST", "/api/v1/dead-letters/replay", letters.replay),
            route("POST", "/api/v1/reconcile/reports", reconcile.reports),
            route("POST", "/api/v1/reprice", reprice.run),
        ]
    )
    deep = b"[" * 2_000 + b"]" * 2_000
    answers = {
        path: (answer.status_code, answer.json()["error"])
        for method, path in [
            ("PUT", "/api/v1/budgets"),
            ("POST", "/api/v1/dead-letters/replay"),
            ("POST", "/api/v1/reconcile/reports"),
            ("POST", "/api/v1/reprice"),
        ]
        for answer in [call(app, method, path, content=deep)]
    }
    assert answers == {
        "/api/v1/budgets": (400, "bad budget: the JSON is nested too deeply"),
        "/api/v1/dead-letters/replay": (400, "bad replay request: the JSON is nested too deeply"),
        "/api/v1/reconcile/reports": (400, "the JSON is nested too deeply"),
        "/api/v1/reprice": (400, "bad reprice request: the JSON is nested too deeply"),
    }
    assert store_client.query("SELECT count() FROM budgets").result_rows == [(0,)]
