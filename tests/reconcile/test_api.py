"""serve's reconciliation import routes: what ``tokentrace reconcile --api`` talks to."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from reconcile.seed import D1, TODAY, reports
from tokentrace.processor.api.reconcile_api import ReconcileApi
from tokentrace.processor.api.routing import application, bearer_auth, route
from tokentrace.processor.reconcile import rows


def _call(
    handler: Any, method: str, query: str = "", body: bytes = b"", token: str = "t"
) -> httpx.Response:
    """``handler`` behind serve's routing, wanting the bearer token ``t``."""
    app = application([route(method, "/api/v1/reconcile", handler, bearer_auth("t"))])

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://serve") as client:
            return await client.request(
                method,
                f"/api/v1/reconcile?{query}",
                content=body,
                headers={"authorization": f"Bearer {token}"},
            )

    return asyncio.run(go())


def test_reports_are_written_and_plans_answered(store_client: Any) -> None:
    api = ReconcileApi(lambda: store_client)
    openai = reports()[0]
    written = _call(api.reports, "POST", body=json.dumps(rows.to_json(openai)).encode())
    assert written.status_code == 200
    assert json.loads(written.content) == {
        "provider": "openai", "days": 3, "usage_rows": 5, "cost_rows": 5, "keys": 0,
    }  # fmt: skip
    plan = _call(api.plan, "GET", f"provider=openai&since={D1}&today={TODAY}")
    assert json.loads(plan.content) == {"first": "2026-03-14", "last": "2026-03-15"}


def test_bad_requests_are_refused_with_what_is_wrong(store_client: Any) -> None:
    api = ReconcileApi(lambda: store_client)
    assert _call(api.reports, "POST", body=b"{}", token="wrong").status_code == 401
    bad = _call(api.reports, "POST", body=b'{"provider": "openai", "days": ["yesterday"]}')
    assert bad.status_code == 400
    assert json.loads(bad.content)["error"].startswith("not a reconciliation report: ValueError")
    assert _call(api.plan, "GET", "provider=openai").status_code == 400
    assert store_client.query("SELECT count() FROM billed_imports").result_rows == [(0,)]
