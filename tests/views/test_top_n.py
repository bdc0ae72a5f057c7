"""High-cardinality breakdowns (tenant, user, conversation) on real chDB: the N largest rows,
then one "(other)" row, with every total exact — in the views, the API and the report."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tokentrace.processor.api.routing import application, route
from tokentrace.processor.api.views_api import ViewsApi
from tokentrace.processor.cli import main
from tokentrace.processor.report import document, window
from tokentrace.processor.store import views

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
TENANTS = 250
RANGE = {"start": NOW - dt.timedelta(days=1), "end": NOW}


def cost(n: int) -> Decimal:
    return Decimal(n + 1) / 100  # tenant-0 0.01 … tenant-249 2.50: all distinct


TOTAL = sum(cost(n) for n in range(TENANTS)) + Decimal(5)


@pytest.fixture
def client(store_client) -> Any:
    """250 tenants, each with one user and one conversation, plus a tenant called
    "(other)" spending the most (5 USD)."""
    columns = ["ts", "trace_id", "tenant", "user", "conversation", "cost", "priced"]
    rows: list[list[Any]] = [
        [NOW - dt.timedelta(hours=1), f"t{n}", f"tenant-{n}", f"u{n}", f"c{n}", cost(n), 1]
        for n in range(TENANTS)
    ]
    rows.append([NOW - dt.timedelta(hours=2), "x", "(other)", "ux", "cx", Decimal(5), 1])
    store_client.insert("llm_calls", rows, column_names=columns)
    return store_client


def test_spend_by_tenant_is_the_top_100_then_other(client):
    rows = views.fetch(client, views.VIEWS["spend_by_tenant"], **RANGE)
    assert len(rows) == 101
    assert [(r["tenant"], r["cost"], r["other"]) for r in rows[:2]] == [
        ("(other)", Decimal(5), 0),  # a real tenant of that name, not the fold
        ("tenant-249", Decimal("2.50"), 0),
    ]
    folded = rows[-1]
    assert (folded["tenant"], folded["other"], folded["members"]) == ("(other)", 1, 151)
    assert folded["cost"] == sum(cost(n) for n in range(151))
    assert folded["requests"] == 151
    assert sum(r["cost"] for r in rows) == TOTAL
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("name", "key"), [("cost_by_user", "user"), ("cost_by_conversation", "conversation")]
)
def test_users_and_conversations_fold_the_same_way(client, name, key):
    rows = views.fetch(client, views.VIEWS[name], **RANGE, top=3)
    assert [r[key] for r in rows] == [f"{key[0]}x", f"{key[0]}249", f"{key[0]}248", "(other)"]
    assert [r["other"] for r in rows] == [0, 0, 0, 1]
    assert rows[1]["tenant"] == "tenant-249"
    assert rows[-1]["tenant"] == "" and rows[-1]["members"] == TENANTS - 2
    assert sum(r["cost"] for r in rows) == TOTAL
    assert sum(r["requests"] for r in rows) == TENANTS + 1


def test_a_top_larger_than_the_values_has_no_other_row(client):
    rows = views.fetch(client, views.VIEWS["spend_by_tenant"], **RANGE, top=1000)
    assert len(rows) == TENANTS + 1 and not any(r["other"] for r in rows)


def call(app: Starlette, **params: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return await client.get(f"/api/v1/views/{params.pop('view')}", params=params)

    return asyncio.run(go())


def test_the_api_takes_a_limit(client):
    app = application([route("GET", "/api/v1/views/{name}", ViewsApi(lambda: client).run_view)])
    span = {"from": "2026-11-19T12:00:00Z", "to": "2026-11-20T12:00:00Z"}
    rows = call(app, view="spend_by_tenant", limit="5", **span).json()["rows"]
    assert [r["tenant"] for r in rows][-2:] == ["tenant-246", "(other)"]
    assert (rows[-1]["other"], rows[-1]["members"]) == (1, TENANTS - 4)
    assert sum(Decimal(r["cost"]) for r in rows) == TOTAL
    for limit in ("0", "10001", "many", "٣", "-1"):
        answer = call(app, view="spend_by_tenant", limit=limit, **span)
        assert (answer.status_code, answer.json()["error"]) == (
            400,
            f"limit={limit!r}: use a whole number from 1 to 10000",
        )
    answer = call(app, view="totals", limit="5", **span)
    assert answer.status_code == 400
    assert answer.json()["error"] == "view 'totals' takes no limit: it is not a top-N breakdown"


def test_the_report_lists_top_tenants_and_other_with_exact_totals(client):
    span = window.build("2d", None, None, None, now=NOW)
    doc = document.build(document.store_fetcher(client, span), span, top=3)
    tenants = doc["by_tag"]["tenant"]
    assert [t["value"] for t in tenants] == ["(other)", "tenant-249", "tenant-248", "(other)"]
    assert tenants[-1] == {
        "value": "(other)",
        "cost": str(sum(cost(n) for n in range(TENANTS - 2))),
        "requests": TENANTS - 2,
        "unpriced_requests": 0,
        "dead_lettered_requests": 0,
        "other": True,
        "values": TENANTS - 2,
    }
    assert sum(Decimal(t["cost"]) for t in tenants) == Decimal(doc["totals"]["cost"]) == TOTAL


def test_report_top_must_be_a_positive_count(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--top", "0"])
    assert exit_.value.code == 2
    assert "invalid count '0': use a whole number from 1 to 10000" in capsys.readouterr().err
