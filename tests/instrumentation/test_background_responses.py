"""OpenAI background responses (`responses.create(background=True)`) with the real openai SDK:
the create answers `queued` without usage, which arrives with a later retrieve (polled, or
streamed and resumed) or cancel, through the SDK, `requests` or aiohttp. Each response is
stored once, with its exact usage and cost, however it is read and however often; the queued
create is no call of its own.

Prices (https://platform.openai.com/docs/pricing, genai-prices 0.2.3 agrees): gpt-4o
(gpt-4o-2024-08-06) $2.50 / M input, $1.25 / M cached input, $10.00 / M output. A retrieve names
no model: the call is priced by the answer's dated one.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import aiohttp
import openai
import pytest
import requests

from tokentrace.processor.standins import usage_header

from .conftest import attributes, call_attributes, llm_spans, store_exports, store_spans

# 1,000 input tokens, 400 of them cached, 200 output: 600 x 2.50 + 400 x 1.25 + 200 x 10.00
# = 1,500 + 500 + 2,000 = 4,000 per million tokens.
USAGE = usage_header(input=1000, cache_read=400, output=200)
COST = Decimal("0.004")
COLUMNS = (
    "response_id, model, input_tokens, cache_read_tokens, output_tokens, cost, priced, "
    "usage_missing, stream"
)


def client(standin) -> openai.OpenAI:
    return openai.OpenAI(base_url=standin.base_url("openai"), api_key="sk-test", max_retries=0)


def background(sdk: openai.OpenAI, polls: int = 2, status: str = "completed", **kwargs):
    headers = {**USAGE, "x-standin-polls": str(polls), "x-standin-status": status}
    return sdk.responses.create(
        model="gpt-4o", input="Summarise the ledger.", background=True,
        extra_headers=headers, **kwargs,
    )  # fmt: skip


def rows(store_client) -> list[tuple]:
    return store_client.query(f"SELECT {COLUMNS} FROM llm_calls ORDER BY ts").result_rows


def test_polled_until_completed_then_read_again_is_one_call(
    standin, exporter, tmp_path, store_client
):
    sdk = client(standin)
    response = background(sdk, polls=3)
    assert (response.status, response.usage) == ("queued", None)
    while response.status in ("queued", "in_progress"):
        response = sdk.responses.retrieve(response.id)
    assert response.usage.input_tokens == 1000
    sdk.responses.retrieve(response.id)  # read again later: the same usage, not a new call
    list(sdk.responses.retrieve(response.id, stream=True))

    spans = llm_spans(exporter)
    assert len(spans) == 1 + 4 + 1 + 1  # create, 3 polls in progress and 1 completed, 2 reads
    assert attributes(spans[0]) == {
        **call_attributes(standin, "openai", "chat", "gpt-4o"),
        "gen_ai.response.id": response.id,
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "tokentrace.usage.deferred": True,
    }
    expected = call_attributes(standin, "openai", "chat", "gpt-4o")
    del expected["gen_ai.request.model"]  # a retrieve names no model: the answer does
    assert attributes(spans[4]) == {
        **expected,
        "gen_ai.response.id": response.id,
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.response.finish_reasons": ["completed"],
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.cache_read.input_tokens": 400,
        "gen_ai.usage.output_tokens": 200,
        "gen_ai.usage.reasoning.output_tokens": 0,
        "tokentrace.call.key": response.id,
    }
    assert all(attributes(span)["tokentrace.usage.deferred"] for span in spans[1:4])

    # one export request per span, as a batching exporter may send them over minutes
    store_exports([[span] for span in spans], tmp_path, store_client)
    assert rows(store_client) == [
        (response.id, "gpt-4o", 1000, 400, 200, COST, 1, 0, 0),
    ]


def test_retrieve_stream_resumed_twice_is_one_call(standin, exporter, tmp_path, store_client):
    sdk = client(standin)
    response = background(sdk, polls=1)
    seen = -1
    for stop in (3, 7, None):  # two streams left early, the third read to its end
        stream = sdk.responses.retrieve(response.id, stream=True, starting_after=seen)
        for event in stream:
            seen = event.sequence_number
            if seen == stop:
                break
        stream.close()
    assert event.type == "response.completed"

    spans = llm_spans(exporter)
    assert len(spans) == 4
    assert [span.attributes.get("tokentrace.usage.deferred") for span in spans] == [
        True, True, True, None,
    ]  # fmt: skip
    store_spans(spans, tmp_path, store_client)
    assert rows(store_client) == [
        (response.id, "gpt-4o", 1000, 400, 200, COST, 1, 0, 1),
    ]


def test_background_stream_read_to_the_end_then_retrieved_is_one_call(
    standin, exporter, tmp_path, store_client
):
    sdk = client(standin)
    events = list(background(sdk, stream=True))
    ident = events[0].response.id
    assert events[-1].type == "response.completed"
    assert sdk.responses.retrieve(ident).status == "completed"

    spans = llm_spans(exporter)
    assert [
        attributes(span, ttfc=i == 0)["tokentrace.call.key"] for i, span in enumerate(spans)
    ] == [
        ident,
        ident,
    ]
    # the retrieve exported after a restart of the processor (its dedupe memory empty)
    store_exports([[span] for span in spans], tmp_path, store_client, restarts=True)
    assert rows(store_client) == [(ident, "gpt-4o", 1000, 400, 200, COST, 1, 0, 1)]


def test_background_stream_cut_off_is_deferred_to_its_retrieve(
    standin, exporter, tmp_path, store_client
):
    sdk = client(standin)
    stream = background(sdk, stream=True)
    first = next(iter(stream))
    stream.close()
    sdk.responses.retrieve(first.response.id)

    spans = llm_spans(exporter)
    assert spans[0].attributes["tokentrace.usage.deferred"] is True
    assert "tokentrace.usage.missing" not in spans[0].attributes
    store_spans(spans, tmp_path, store_client)
    assert rows(store_client) == [
        (first.response.id, "gpt-4o", 1000, 400, 200, COST, 1, 0, 0),
    ]


@pytest.mark.parametrize("status", ["incomplete", "failed"])
def test_ended_short_with_the_usage_billed_so_far(
    standin, exporter, tmp_path, store_client, status
):
    sdk = client(standin)
    response = background(sdk, polls=0, status=status)
    ended = sdk.responses.retrieve(response.id)
    assert ended.status == status

    finish = "max_output_tokens" if status == "incomplete" else "failed"
    assert attributes(llm_spans(exporter)[1])["gen_ai.response.finish_reasons"] == [finish]
    store_spans(llm_spans(exporter), tmp_path, store_client)
    assert rows(store_client) == [(response.id, "gpt-4o", 1000, 400, 200, COST, 1, 0, 0)]


def test_cancelled_with_the_usage_billed_so_far(standin, exporter, tmp_path, store_client):
    sdk = client(standin)
    response = background(sdk, polls=5)
    cancelled = sdk.responses.cancel(response.id)
    assert cancelled.status == "cancelled"
    assert sdk.responses.retrieve(response.id).status == "cancelled"

    store_spans(llm_spans(exporter), tmp_path, store_client)
    assert rows(store_client) == [(response.id, "gpt-4o", 1000, 400, 200, COST, 1, 0, 0)]


def test_a_response_not_in_the_background_is_metered_by_its_create_only(
    standin, exporter, tmp_path, store_client
):
    sdk = client(standin)
    response = sdk.responses.create(model="gpt-4o", input="Hi", extra_headers=USAGE)
    assert sdk.responses.retrieve(response.id).usage.input_tokens == 1000
    spans = llm_spans(exporter)
    assert "tokentrace.call.key" not in spans[0].attributes
    assert attributes(spans[1])["tokentrace.usage.deferred"] is True
    assert "gen_ai.usage.input_tokens" not in spans[1].attributes
    store_spans(spans, tmp_path, store_client)
    assert rows(store_client) == [(response.id, "gpt-4o", 1000, 400, 200, COST, 1, 0, 0)]


def test_async_client_polled_and_streamed_is_one_call(standin, exporter, tmp_path, store_client):
    async def run() -> str:
        sdk = openai.AsyncOpenAI(
            base_url=standin.base_url("openai"), api_key="sk-test", max_retries=0
        )
        response = await sdk.responses.create(
            model="gpt-4o", input="Summarise the ledger.", background=True,
            extra_headers={**USAGE, "x-standin-polls": "1"},
        )  # fmt: skip
        while response.status in ("queued", "in_progress"):
            response = await sdk.responses.retrieve(response.id)
        async for _ in await sdk.responses.retrieve(response.id, stream=True):
            pass
        return response.id

    ident = asyncio.run(run())
    spans = llm_spans(exporter)
    assert len(spans) == 4  # create, a poll in progress, the completed one, the stream
    store_exports([[span] for span in spans], tmp_path, store_client)
    assert rows(store_client) == [(ident, "gpt-4o", 1000, 400, 200, COST, 1, 0, 0)]


def test_retrieved_with_requests_then_aiohttp_is_one_call(
    standin, exporter, tmp_path, store_client
):
    # An application polling the REST API with `requests` or aiohttp rather than the SDK:
    # their GETs used to go unrouted, so the response was never metered.
    response = background(client(standin), polls=1)
    url = f"{standin.base_url('openai')}/responses/{response.id}"
    auth = {"Authorization": "Bearer sk-test"}
    while requests.get(url, headers=auth).json()["status"] != "completed":
        pass

    async def retrieve() -> dict:
        async with aiohttp.ClientSession() as session, session.get(url, headers=auth) as got:
            return await got.json()

    assert asyncio.run(retrieve())["usage"]["input_tokens"] == 1000
    spans = llm_spans(exporter)
    assert [span.attributes.get("tokentrace.call.key") for span in spans] == [
        None, None, response.id, response.id,
    ]  # fmt: skip  # the create, a poll in progress, the completed one, aiohttp's read
    # aiohttp's read exported after a restart of the processor (its dedupe memory empty)
    store_exports([spans[:3], spans[3:]], tmp_path, store_client, restarts=True)
    assert rows(store_client) == [(response.id, "gpt-4o", 1000, 400, 200, COST, 1, 0, 0)]


def test_cancelled_then_retrieved_across_a_restart_is_one_call(
    standin, exporter, tmp_path, store_client
):
    """The cancel's answer and a later retrieve carry the same usage, keyed by the response
    id: exported apart, to a processor restarted between them (its dedupe memory empty),
    the response is still stored once."""
    sdk = client(standin)
    response = background(sdk, polls=5)
    assert sdk.responses.cancel(response.id).status == "cancelled"
    assert sdk.responses.retrieve(response.id).usage.input_tokens == 1000
    spans = llm_spans(exporter)
    assert [span.attributes.get("tokentrace.call.key") for span in spans] == [
        None, response.id, response.id,
    ]  # fmt: skip  # the queued create, the cancel, the retrieve
    store_exports([spans[:2], spans[2:]], tmp_path, store_client, restarts=True)
    assert rows(store_client) == [(response.id, "gpt-4o", 1000, 400, 200, COST, 1, 0, 0)]


def test_a_compaction_pass_is_one_call_priced_by_the_model_asked(
    standin, exporter, tmp_path, store_client
):
    """`POST /responses/compact` (`responses.compact`) runs the model over the conversation
    and answers the usage of that pass, billed as a response's
    (https://platform.openai.com/docs/api-reference/responses/compact); it was not metered.
    Its answer names no model: priced by gpt-4o, the one asked for. On OpenAI's path and on a
    gateway nothing names (the stand-in's root), with no tokentrace variable set."""
    for base in (standin.base_url("openai"), standin.root + "/v1"):
        sdk = openai.OpenAI(base_url=base, api_key="sk-test", max_retries=0)
        compacted = sdk.responses.compact(
            model="gpt-4o", input="Summarise the ledger.", extra_headers=USAGE
        )
        assert (compacted.object, compacted.usage.input_tokens) == ("response.compaction", 1000)
    spans = llm_spans(exporter)
    assert [span.attributes["gen_ai.provider.name"] for span in spans] == ["openai", "openai"]
    store_spans(spans, tmp_path, store_client)
    assert (
        store_client.query(
            "SELECT model, input_tokens, cache_read_tokens, output_tokens, cost, priced "
            "FROM llm_calls ORDER BY ts"
        ).result_rows
        == [("gpt-4o", 1000, 400, 200, COST, 1)] * 2
    )
