"""Batch APIs with the real SDKs: each billed request in a downloaded results file is one
call, priced at the provider's batch rate, stored once however often the file is downloaded.

Batch prices are half the standard rates:
- OpenAI gpt-4o (gpt-4o-2024-08-06): $2.50 / M input and $10.00 / M output, in the Batch API
  $1.25 and $5.00 (https://platform.openai.com/docs/pricing, "Batch");
- Anthropic claude-sonnet-4-5: $3 / M input and $15 / M output, in Message Batches $1.50 and
  $7.50 (https://docs.claude.com/en/docs/about-claude/pricing#batch-processing);
- Gemini gemini-2.5-flash: $0.30 / M input and $2.50 / M output, in batch mode $0.15 and $1.25
  (https://ai.google.dev/gemini-api/docs/pricing, "Batch").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from decimal import Decimal
from typing import Any

import aiohttp
import anthropic
import openai
import pytest
import requests
from google import genai
from ingest.otlp import extract_request, request, span
from ingest.serve_process import ServeProcess
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from tokentrace.instrumentation import batch_api
from tokentrace.processor.pipeline import price_call
from tokentrace.processor.pricing.pricer import Pricer

from .conftest import instrumented, llm_spans, store_exports

COLUMNS = (
    "ts, provider, model, service_tier, input_tokens, output_tokens, cost, priced, usage_missing"
)


def prompt(tokens: int) -> list[dict[str, str]]:
    """A user message the stand-in counts as `tokens` input tokens (5 + characters / 4, the
    role's four included)."""
    return [{"role": "user", "content": "x" * ((tokens - 5) * 4 - 4)}]


def rows(store_client) -> list[tuple]:
    return store_client.query(f"SELECT {COLUMNS} FROM llm_calls ORDER BY input_tokens").result_rows


def openai_batch(sdk: openai.OpenAI) -> Any:
    """A completed OpenAI batch of three chat requests: `long` (1,000 input tokens, 200
    output), `short` (500, 300) and `refused` (the stand-in refuses max_tokens 0: not billed)."""
    requests = [("long", 1000, 200), ("short", 500, 300), ("refused", 500, 0)]
    lines = [
        {
            "custom_id": custom,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o", "max_tokens": limit, "messages": prompt(tokens)},
        }
        for custom, tokens, limit in requests
    ]
    content = "".join(json.dumps(line) + "\n" for line in lines).encode()
    uploaded = sdk.files.create(file=("requests.jsonl", content), purpose="batch")
    batch = sdk.batches.create(
        input_file_id=uploaded.id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        extra_headers={"x-standin-chunks": "400"},  # replies as long as max_tokens allows
    )
    batch = sdk.batches.retrieve(batch.id)
    assert batch.status == "completed"
    return batch


def test_openai_batch_output_downloaded_twice_is_each_request_once(
    standin, exporter, tmp_path, store_client
):
    sdk = openai.OpenAI(base_url=standin.base_url("openai"), api_key="sk-test", max_retries=0)
    batch = openai_batch(sdk)
    first = sdk.files.content(batch.output_file_id).text
    second = sdk.files.content(batch.output_file_id).read()
    assert first.encode() == second and len(first.splitlines()) == 3
    ran = {json.loads(line)["response"]["body"].get("created") for line in first.splitlines()}
    (created,) = ran - {None}  # when the requests ran (the refused one's error has no time)

    spans = llm_spans(exporter)
    calls = [span for span in spans if "tokentrace.call.key" in span.attributes]
    assert [span.attributes["tokentrace.call.key"] for span in calls] == [
        f"{batch.output_file_id}/long",
        f"{batch.output_file_id}/short",
    ] * 2
    downloads = [span for span in spans if span.attributes.get("tokentrace.usage.deferred")]
    assert len(downloads) == 2
    assert all(call.parent.span_id in {d.context.span_id for d in downloads} for call in calls)

    # each download exported on its own, the processor restarted between them (a restart
    # forgets its dedupe memory: the store remembers the keys)
    halves = [spans[: len(spans) // 2], spans[len(spans) // 2 :]]
    store_exports(halves, tmp_path, store_client, restarts=True)
    # long: 1,000 x 1.25 + 200 x 5.00 = 2,250 per million; short: 500 x 1.25 + 300 x 5.00
    # = 2,125 per million. Each at the time its request ran.
    at = dt.datetime.fromtimestamp(created, dt.UTC).replace(tzinfo=None)
    assert rows(store_client) == [
        (at, "openai", "gpt-4o", "batch", 500, 300, Decimal("0.002125"), 1, 0),
        (at, "openai", "gpt-4o", "batch", 1000, 200, Decimal("0.00225"), 1, 0),
    ]


def test_anthropic_message_batch_results_downloaded_twice_is_each_request_once(
    standin, exporter, tmp_path, store_client
):
    sdk = anthropic.Anthropic(
        base_url=standin.base_url("anthropic"), api_key="sk-ant-test", max_retries=0
    )
    batch = sdk.messages.batches.create(
        requests=[
            {
                "custom_id": custom,
                "params": {"model": model, "max_tokens": limit, "messages": prompt(tokens), **geo},
            }
            for custom, model, tokens, limit, geo in [
                ("a", "claude-sonnet-4-5", 1000, 100, {}),
                ("b", "claude-sonnet-4-5", 2000, 40, {}),
                ("c", "claude-sonnet-4-5", 10, 0, {}),
                # US-only inference: the result's usage says `"inference_geo": "us"`
                ("d", "claude-opus-4-6", 3000, 100, {"inference_geo": "us"}),
            ]
        ],
        extra_headers={"x-standin-chunks": "400"},
    )
    assert sdk.messages.batches.retrieve(batch.id).processing_status == "ended"
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    results = list(sdk.messages.batches.results(batch.id))
    assert [result.result.type for result in results] == [
        "succeeded", "succeeded", "errored", "succeeded",
    ]  # fmt: skip
    list(sdk.messages.batches.results(batch.id))
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    spans = llm_spans(exporter)
    keys = [span.attributes.get("tokentrace.call.key") for span in spans]
    assert keys.count(f"{batch.id}/a") == keys.count(f"{batch.id}/b") == 2
    assert keys.count(f"{batch.id}/d") == 2
    store_exports([[span] for span in spans], tmp_path, store_client)
    stored = rows(store_client)
    # a: 1,000 x 1.50 + 100 x 7.50 = 2,250 per million; b: 2,000 x 1.50 + 40 x 7.50 = 3,300.
    # d: claude-opus-4-6 is $5 / M input and $25 / M output, in Message Batches $2.50 and
    # $12.50 (https://docs.claude.com/en/docs/about-claude/pricing#batch-processing), and
    # US-only inference multiplies every rate by 1.1
    # (https://platform.claude.com/docs/en/about-claude/pricing#data-residency-pricing):
    # 3,000 x 2.75 + 100 x 13.75 = 9,625 per million.
    # Anthropic's results carry no time: each call is dated by its (first) download.
    assert [row[1:] for row in stored] == [
        ("anthropic", "claude-sonnet-4-5", "batch", 1000, 100, Decimal("0.00225"), 1, 0),
        ("anthropic", "claude-sonnet-4-5", "batch", 2000, 40, Decimal("0.0033"), 1, 0),
        ("anthropic", "claude-opus-4-6", "batch", 3000, 100, Decimal("0.009625"), 1, 0),
    ]
    assert all(before <= row[0] <= after for row in stored)


def test_anthropic_batch_code_execution_is_free_beside_a_web_tool_of_20260209(
    standin, exporter, tmp_path, store_client
):
    """Code execution is free in a request whose tools name web search or web fetch of version
    20260209 or later (https://platform.claude.com/docs/en/agents-and-tools/tool-use/code-
    execution-tool); a batch's results do not say the tools, so the batch's create is read
    for them. Both requests ran a container (`x-standin-usage: code_executions=1`); `free`
    names web_search_20260209: its tokens at Message Batches' half rates, Claude Sonnet 4.6
    $1.50 / $7.50 (https://platform.claude.com/docs/en/about-claude/pricing#batch-processing),
    2,000 x 1.50 + 300 x 7.50 = 3,000 + 2,250 per million = $0.00525 (it was unknown: the
    container taken as billed). `billed` names web_search_20250305: its container is billed
    by time, unknown (no_rate)."""
    sdk = anthropic.Anthropic(
        base_url=standin.base_url("anthropic"), api_key="sk-ant-test", max_retries=0
    )
    code = {"type": "code_execution_20250825", "name": "code_execution"}
    batch = sdk.messages.batches.create(
        requests=[
            {
                "custom_id": custom,
                "params": {
                    "model": "claude-sonnet-4-6",
                    "max_tokens": 1000,
                    "messages": prompt(10),
                    "tools": [code, {"type": search, "name": "web_search"}],
                },
            }
            for custom, search in [
                ("free", "web_search_20260209"),
                ("billed", "web_search_20250305"),
            ]
        ],
        extra_headers={"x-standin-usage": "input=2000,output=300,code_executions=1"},
    )
    assert sdk.messages.batches.retrieve(batch.id).processing_status == "ended"
    results = {r.custom_id: r.result for r in sdk.messages.batches.results(batch.id)}
    assert {custom: r.message.container.id for custom, r in results.items()} == {
        "free": "container_standin",
        "billed": "container_standin",
    }
    spans = llm_spans(exporter)
    store_exports([[span] for span in spans], tmp_path, store_client)
    assert store_client.query(
        "SELECT call_key, service_tier, code_executions, if(priced = 1, cost, NULL), "
        "unpriced_reason FROM llm_calls ORDER BY call_key"
    ).result_rows == [
        (f"{batch.id}/billed", "batch", 1, None, "no_rate"),
        (f"{batch.id}/free", "batch", 0, Decimal("0.00525"), ""),
    ]


def test_gemini_batch_polled_after_it_succeeded_is_each_request_once(
    standin, exporter, tmp_path, store_client
):
    sdk = genai.Client(api_key="g-key", http_options={"base_url": standin.base_url("gemini")})

    def ask(tokens: int, limit: int, key: str | None) -> dict:
        request: dict = {
            "contents": [{"role": "user", "parts": [{"text": "x" * ((tokens - 5) * 4 - 4)}]}],
            "config": {"max_output_tokens": limit},
        }
        return {**request, "metadata": {"key": key}} if key else request

    job = sdk.batches.create(
        model="gemini-2.5-flash",
        src=[ask(1000, 200, "first"), ask(3000, 50, None), ask(10, 0, "refused")],
        config={
            "display_name": "nightly",
            "http_options": {"headers": {"x-standin-chunks": "400"}},
        },
    )
    assert job.state.name == "JOB_STATE_PENDING"
    for _ in range(2):  # polled again after it succeeded: the same answers
        done = sdk.batches.get(name=job.name)
    assert done.state.name == "JOB_STATE_SUCCEEDED"
    assert [entry.error is None for entry in done.dest.inlined_responses] == [True, True, False]

    spans = llm_spans(exporter)
    batch = job.name.rpartition("/")[2]
    keys = [span.attributes.get("tokentrace.call.key") for span in spans]
    assert [key for key in keys if key] == [f"{batch}/first", f"{batch}/1"] * 2
    store_exports([[span] for span in spans], tmp_path, store_client)
    stored = rows(store_client)
    # first: 1,000 x 0.15 + 200 x 1.25 = 400 per million; the second: 3,000 x 0.15 + 50 x
    # 1.25 = 512.5 per million. Dated by the poll that read them (the operation carries no
    # time per request).
    assert [row[1:] for row in stored] == [
        ("gcp.gemini", "gemini-2.5-flash", "batch", 1000, 200, Decimal("0.0004"), 1, 0),
        ("gcp.gemini", "gemini-2.5-flash", "batch", 3000, 50, Decimal("0.0005125"), 1, 0),
    ]


@pytest.mark.slow
def test_batch_output_downloaded_again_after_serve_restarted_is_each_request_once(
    standin, tmp_path
):
    # A real serve stores the first download (with `requests`, whose GETs were not routed
    # before); it is restarted (its dedupe memory empty) on the same store, and a second
    # download (with aiohttp) reaches the new one. The call keys, kept in the store, make the
    # second download count nothing more, in the rows and in every rollup.
    server = ServeProcess(tmp_path).start()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(f"{server.url}/v1/traces")))
    with instrumented(standin, provider) as exporter:
        sdk = openai.OpenAI(base_url=standin.base_url("openai"), api_key="sk-t", max_retries=0)
        url = f"{standin.base_url('openai')}/files/{openai_batch(sdk).output_file_id}/content"
        auth = {"Authorization": "Bearer sk-t"}
        first = requests.get(url, headers=auth).content
        assert server.stop() == 0
        server.start()

        async def download() -> bytes:
            async with aiohttp.ClientSession() as session, session.get(url, headers=auth) as got:
                return await got.read()

        assert asyncio.run(download()) == first
        keyed = [span for span in llm_spans(exporter) if "tokentrace.call.key" in span.attributes]
        assert len(keyed) == 4  # two requests billed, downloaded twice
    assert server.stop() == 0
    stored = server.stored()
    # long: 1,000 x 1.25 + 200 x 5.00 = 2,250 per million; short: 500 x 1.25 + 300 x 5.00
    # = 2,125 per million (the Batch API's gpt-4o rates, above)
    assert sorted((row["input_tokens"], Decimal(row["cost"])) for row in stored["calls"]) == [
        (500, Decimal("0.002125")),
        (1000, Decimal("0.00225")),
    ]
    for rollup in ("llm_cost_hourly", "llm_cost_daily"):
        calls, cost, input_tokens = stored[rollup]
        assert (int(calls), Decimal(cost), int(input_tokens)) == (2, Decimal("0.004375"), 1500)


def test_openai_batch_responses_bill_their_tool_calls(standin, exporter, tmp_path, store_client):
    """A Responses API request in a batch bills its built-in tools' calls as the same request
    made alone, beside its tokens at the batch rate (https://platform.openai.com/docs/pricing:
    GPT-5 $1.25 / $10, in the Batch API $0.625 / $5; web search $10 per 1,000 calls, file
    search $2.50 per 1,000, https://platform.openai.com/docs/pricing#built-in-tools): 10,000 x
    0.625 + 1,000 x 5 per million = 0.01125, + 2 x 0.01 + 0.0025 = 0.03375, where the tokens
    alone would read 0.01125."""
    sdk = openai.OpenAI(base_url=standin.base_url("openai"), api_key="sk-test", max_retries=0)
    line = {
        "custom_id": "researched",
        "method": "POST",
        "url": "/v1/responses",
        "body": {
            "model": "gpt-5-2025-08-07",
            "input": "What changed this week?",
            "tools": [{"type": "web_search"}, {"type": "file_search", "vector_store_ids": ["vs"]}],
        },
    }
    uploaded = sdk.files.create(
        file=("requests.jsonl", (json.dumps(line) + "\n").encode()), purpose="batch"
    )
    batch = sdk.batches.create(
        input_file_id=uploaded.id,
        endpoint="/v1/responses",
        completion_window="24h",
        extra_headers={"x-standin-usage": "input=10000,output=1000,web_searches=2,file_searches=1"},
    )
    output = sdk.files.content(sdk.batches.retrieve(batch.id).output_file_id).text
    body = json.loads(output)["response"]["body"]
    actions = [item.get("action", {}).get("type") or item["type"] for item in body["output"]]
    # two searches and a page opened (not billed), one file search
    assert actions == ["search", "search", "open_page", "file_search_call", "message"]
    (call,) = [s for s in llm_spans(exporter) if "tokentrace.call.key" in s.attributes]
    assert call.attributes["tokentrace.usage.web_searches"] == 2
    assert call.attributes["tokentrace.usage.storage_searches"] == 1
    store_exports([llm_spans(exporter)], tmp_path, store_client)
    found = store_client.query(
        "SELECT service_tier, input_tokens, output_tokens, web_searches, storage_searches, cost, "
        "priced FROM llm_calls"
    ).result_rows
    assert found == [("batch", 10000, 1000, 2, 1, Decimal("0.03375"), 1)]


def test_mistral_batch_ocr_results_are_billed_at_the_batch_page_rate():
    """Mistral's Batch API writes OpenAI's output lines (downloaded at the same
    `/v1/files/{id}/content`), its OCR answers with `usage_info` (pages), not `usage`: the
    lines were skipped unread (no call stored). Now each is an OCR call in the batch tier:
    mistral-ocr-4 on 2026-08-03, 12 pages at $4 per 1,000 halved in batch
    (https://mistral.ai/news/ocr-4/: "a 50% Batch-API discount, reducing the cost to $2"):
    12 x 2 / 1,000 = $0.024."""
    line = {
        "id": "batch-req-1",
        "custom_id": "invoice-7",
        "response": {
            "status_code": 200,
            "body": {
                "pages": [{"index": n, "markdown": "text", "images": []} for n in range(12)],
                "model": "mistral-ocr-4",
                "document_annotation": None,
                "usage_info": {"pages_processed": 12, "doc_size_bytes": 40_960},
            },
        },
        "error": None,
    }
    raw = json.dumps(line).encode()
    assert batch_api.OPENAI_BATCH_OUTPUT.sse_marker.search(raw)
    (result,) = batch_api.OPENAI_BATCH_OUTPUT.results(line, "file-out-1")
    attrs = {
        "gen_ai.provider.name": "mistral_ai",
        "gen_ai.request.model": "mistral-ocr-4",
        **result.attributes,
    }
    assert attrs["tokentrace.usage.input_document_pages"] == 12
    assert attrs["tokentrace.call.key"] == "file-out-1/invoice-7"
    assert "tokentrace.usage.missing" not in attrs
    start_ns = int(dt.datetime(2026, 8, 3, 12, tzinfo=dt.UTC).timestamp() * 1e9)
    (call,) = extract_request(request(span(attrs, start_ns=start_ns)), start_ns).calls
    price = price_call(Pricer(""), call)
    assert (price.priced, price.cost, call.service_tier) == (True, Decimal("0.024"), "batch")
