"""Clients tokentrace does not meter say so: an LLM call made with `http.client` directly
(`urllib.request`) or niquests' `AsyncSession` gets no span, and was not said at all; now a
warning once per URL names the URL, the client and the clients that are metered."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import urllib.error
import urllib.request
import uuid

import niquests

from .conftest import llm_spans

BODY = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})


def test_urllib_and_niquests_async_llm_calls_are_said_once_per_url(standin, unmapped, caplog):
    caplog.set_level(logging.WARNING, logger="tokentrace.instrumentation")
    path = f"/v1/{uuid.uuid4().hex}/chat/completions"  # not said yet by an earlier test
    url = standin.root + path
    for _ in range(2):
        request = urllib.request.Request(
            url, data=BODY.encode(), headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(request) as response:
            assert json.load(response)["usage"]["prompt_tokens"] > 0
    with contextlib.suppress(urllib.error.HTTPError):  # a GET: nothing to say
        urllib.request.urlopen(url).close()

    async def post() -> int:
        async with niquests.AsyncSession() as session:
            answer = await session.post(
                url, data=BODY, headers={"content-type": "application/json"}
            )
            return answer.status_code

    assert asyncio.run(post()) == 200
    assert llm_spans(unmapped) == []
    port = int(standin.root.rsplit(":", 1)[1])
    said = [record.getMessage() for record in caplog.records]
    assert said == [
        f"POST 127.0.0.1:{port}{path} looks like an LLM API call made with {client}, which "
        "tokentrace does not meter: it has no span. Send it with httpx, requests, aiohttp, "
        "urllib3 or niquests' sync Session to meter it"
        for client in ("http.client (urllib.request)", "niquests' AsyncSession")
    ]
