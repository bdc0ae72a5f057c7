"""Clients tokentrace does not meter say so: an LLM call made with niquests' `AsyncSession`
gets no span, and was not said at all; now a warning once per URL names the URL, the client
and the clients that are metered (`urllib.request` and `http.client` are metered:
test_urllib_request.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

import niquests

from .conftest import llm_spans

BODY = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})


def test_niquests_async_llm_calls_are_said_once_per_url(standin, unmapped, caplog):
    caplog.set_level(logging.WARNING, logger="tokentrace.instrumentation")
    path = f"/v1/{uuid.uuid4().hex}/chat/completions"  # not said yet by an earlier test
    url = standin.root + path

    async def post() -> list[int]:
        async with niquests.AsyncSession() as session:
            statuses = []
            for _ in range(2):
                answer = await session.post(
                    url, data=BODY, headers={"content-type": "application/json"}
                )
                statuses.append(answer.status_code)
            return statuses

    assert asyncio.run(post()) == [200, 200]
    assert llm_spans(unmapped) == []
    port = int(standin.root.rsplit(":", 1)[1])
    said = [record.getMessage() for record in caplog.records]
    assert said == [
        f"POST 127.0.0.1:{port}{path} looks like an LLM API call made with niquests' "
        "AsyncSession, which tokentrace does not meter: it has no span. Send it with httpx, "
        "requests, aiohttp, urllib3, urllib.request or niquests' sync Session to meter it"
    ]
