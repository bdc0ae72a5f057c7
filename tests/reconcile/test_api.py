"""serve's reconciliation import routes: what ``tokentrace reconcile --api`` talks to."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from reconcile.seed import D1, TODAY, reports
from tokentrace.processor.api.reconcile_api import ReconcileApi
from tokentrace.processor.api.routing import Request, Response
from tokentrace.processor.reconcile import rows


def _call(
    handler: Any, method: str, query: str = "", body: bytes = b"", token: str = "t"
) -> Response:
    scope = {
        "type": "http",
        "method": method,
        "path": "/api/v1/reconcile",
        "query_string": query.encode(),
        "headers": [(b"authorization", f"Bearer {token}".encode())],
    }
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    return asyncio.run(handler(Request(scope, receive)))


def test_reports_are_written_and_plans_answered(store_client: Any) -> None:
    api = ReconcileApi(lambda: store_client, auth_token="t")
    openai = reports()[0]
    written = _call(api.reports, "POST", body=json.dumps(rows.to_json(openai)).encode())
    assert written.status == 200
    assert json.loads(written.body) == {
        "provider": "openai", "days": 3, "usage_rows": 5, "cost_rows": 5, "keys": 0,
    }  # fmt: skip
    plan = _call(api.plan, "GET", f"provider=openai&since={D1}&today={TODAY}")
    assert json.loads(plan.body) == {"first": "2026-03-14", "last": "2026-03-15"}


def test_bad_requests_are_refused_with_what_is_wrong(store_client: Any) -> None:
    api = ReconcileApi(lambda: store_client, auth_token="t")
    assert _call(api.reports, "POST", body=b"{}", token="wrong").status == 401
    bad = _call(api.reports, "POST", body=b'{"provider": "openai", "days": ["yesterday"]}')
    assert bad.status == 400
    assert json.loads(bad.body)["error"].startswith("not a reconciliation report: ValueError")
    assert _call(api.plan, "GET", "provider=openai").status == 400
    assert store_client.query("SELECT count() FROM billed_imports").result_rows == [(0,)]
