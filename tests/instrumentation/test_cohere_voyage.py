"""Cohere's v1 chat, embed and rerank through the real cohere SDK (v1 `Client`, v2 `ClientV2`),
Voyage AI's embeddings and rerank as its SDK sends them (requests), Jina AI's raw (httpx): each
call one span with its exact usage, one row at its exact cost, or at an unknown one."""

from __future__ import annotations

import json
from decimal import Decimal

import cohere
import httpx
import pytest
import requests

from tokentrace.instrumentation.cohere_api import EMBED, RERANK
from tokentrace.instrumentation.providers import provider_for
from tokentrace.instrumentation.usage import Observed
from tokentrace.processor.standins import usage_header

from .conftest import attributes, call_attributes, llm_spans, only_span, store_spans

COLUMNS = (  # the cost of an unpriced call (`priced = 0`) is unknown: NULL here
    "operation, provider, model, stream, input_tokens, output_tokens, "
    "if(priced = 1, cost, NULL), priced, usage_missing, unpriced_reason"
)


def rows(exporter, tmp_path, store_client) -> list[tuple]:
    store_spans(llm_spans(exporter), tmp_path, store_client)
    return store_client.query(f"SELECT {COLUMNS} FROM llm_calls ORDER BY ts").result_rows


def options(**counts: int) -> dict:
    return {"additional_headers": usage_header(**counts)}


def v1(standin) -> cohere.Client:
    return cohere.Client(api_key="co-test", base_url=standin.base_url("cohere"))


def v2(standin) -> cohere.ClientV2:
    return cohere.ClientV2(api_key="co-test", base_url=standin.base_url("cohere"))


def test_cohere_v1_chat_plain_and_streamed(standin, exporter, tmp_path, store_client):
    client = v1(standin)
    response = client.chat(
        message="Hi", model="command-r-08-2024", request_options=options(input=300, output=20)
    )
    events = list(
        client.chat_stream(
            message="Hi", model="command-r-08-2024", request_options=options(input=300, output=20)
        )
    )

    assert response.meta.billed_units.input_tokens == 300
    assert events[-1].event_type == "stream-end"
    plain, streamed = llm_spans(exporter)
    assert attributes(plain) == {
        **call_attributes(standin, "cohere", "chat", "command-r-08-2024"),
        "gen_ai.response.id": response.response_id,
        "gen_ai.response.finish_reasons": ["COMPLETE"],
        "gen_ai.usage.input_tokens": 300,
        "gen_ai.usage.output_tokens": 20,
    }
    assert attributes(streamed, ttfc=True) == {
        **call_attributes(standin, "cohere", "chat", "command-r-08-2024", stream=True),
        "gen_ai.response.id": events[-1].response.response_id,
        "gen_ai.response.finish_reasons": ["COMPLETE"],
        "gen_ai.usage.input_tokens": 300,
        "gen_ai.usage.output_tokens": 20,
    }
    # Command R 08-2024: $0.15 input, $0.60 output per million tokens
    # (https://cohere.com/pricing): 300 × 0.15 + 20 × 0.60 = 45 + 12 = 57 per million.
    assert rows(exporter, tmp_path, store_client) == [
        ("chat", "cohere", "command-r", 0, 300, 20, Decimal("0.000057"), 1, 0, ""),
        ("chat", "cohere", "command-r", 1, 300, 20, Decimal("0.000057"), 1, 0, ""),
    ]


def test_cohere_v1_chat_stream_cut_reports_usage_missing(standin, exporter):
    client = v1(standin)
    headers = {"additional_headers": {"x-standin-fail": "cut"}}
    with pytest.raises(httpx.RemoteProtocolError):
        list(client.chat_stream(message="Hi", model="command-r", request_options=headers))

    found = attributes(only_span(exporter), ttfc=True)
    assert found["tokentrace.usage.missing"] is True
    assert found["error.type"] == "RemoteProtocolError"


def test_cohere_error_is_one_failed_span(standin, exporter):
    with pytest.raises(cohere.TooManyRequestsError):
        v2(standin).rerank(
            query="q",
            documents=["a"],
            model="rerank-v3.5",
            request_options={"additional_headers": {"x-standin-fail": "429"}, "max_retries": 0},
        )
    found = attributes(only_span(exporter))
    assert found.pop("gen_ai.response.id").startswith("standin-")  # Cohere's errors have one
    assert found == {
        **call_attributes(standin, "cohere", "rerank", "rerank-v3.5", status=429),
        "error.type": "429",
    }


def test_cohere_embed_and_rerank(standin, exporter, tmp_path, store_client):
    embedded_v1 = v1(standin).embed(
        texts=["a", "b"],
        model="embed-english-v3.0",
        input_type="search_document",
        request_options=options(input=700),
    )
    embedded_v2 = v2(standin).embed(
        texts=["a", "b"],
        model="embed-v4.0",
        input_type="search_document",
        embedding_types=["float"],
        request_options=options(input=1000),
    )
    reranked = v2(standin).rerank(query="q", documents=["a", "b", "c"], model="rerank-v3.5")
    reranked_v1 = v1(standin).rerank(query="q", documents=["a"] * 101, model="rerank-v3.5")

    assert len(embedded_v1.embeddings) == len(embedded_v2.embeddings.float_) == 2
    assert reranked.meta.billed_units.search_units == 1
    assert reranked_v1.meta.billed_units.search_units == 2
    spans = llm_spans(exporter)
    assert [attributes(span) for span in spans[2:]] == [
        {
            **call_attributes(standin, "cohere", "rerank", "rerank-v3.5"),
            "gen_ai.response.id": reranked.id,
            "tokentrace.usage.rerank_searches": 1,
        },
        {
            **call_attributes(standin, "cohere", "rerank", "rerank-v3.5"),
            "gen_ai.response.id": reranked_v1.id,
            "tokentrace.usage.rerank_searches": 2,
        },
    ]
    assert attributes(spans[1]) == {
        **call_attributes(standin, "cohere", "embeddings", "embed-v4.0"),
        "gen_ai.response.id": embedded_v2.id,
        "gen_ai.usage.input_tokens": 1000,
    }
    assert rows(exporter, tmp_path, store_client) == [
        # Embed English v3: no price in genai-prices or the corrections: unknown, not $0.
        ("embeddings", "cohere", "embed-english-v3.0", 0, 700, 0, None, 0, 0, "unknown_model"),
        # Embed 4: $0.12 per million tokens (https://cohere.com/pricing): 1,000 × 0.12.
        ("embeddings", "cohere", "embed-v4.0", 0, 1000, 0, Decimal("0.00012"), 1, 0, ""),
        # Rerank is billed per search unit, $2.00 per 1,000 for Rerank 3.5 (cohere.com/pricing):
        # 1 x 0.002 and, 101 documents being 2 search units, 2 x 0.002 (was unknown,
        # usage_missing: search units were not priced).
        ("rerank", "cohere", "rerank-v3.5", 0, 0, 0, Decimal("0.002"), 1, 0, ""),
        ("rerank", "cohere", "rerank-v3.5", 0, 0, 0, Decimal("0.004"), 1, 0, ""),
    ]


def test_cohere_embed_and_rerank_at_an_unmapped_base_url(standin, unmapped, tmp_path, store_client):
    """The cohere SDK at a gateway nothing names: its embed and rerank models are Cohere's by
    name (https://docs.cohere.com/docs/models), which genai-prices does not list (it has
    `embed-v4.0` alone), so they were provider `unknown`. Embed v3's cost stays unknown, never
    $0 (no per-token rate in the price data); Rerank is billed per search unit, $2.00 per 1,000
    for Rerank 3.5 and Rerank 3 (cohere.com/pricing): one search unit each."""
    client = cohere.ClientV2(api_key="co-test", base_url=standin.root + "/cohere")
    client.embed(
        texts=["a"],
        model="embed-english-v3.0",
        input_type="search_document",
        embedding_types=["float"],
        request_options=options(input=700),
    )
    client.embed(
        texts=["a"],
        model="embed-v4.0",
        input_type="search_document",
        embedding_types=["float"],
        request_options=options(input=1000),
    )
    client.rerank(query="q", documents=["a", "b"], model="rerank-v3.5")
    client.rerank(query="q", documents=["a"], model="rerank-english-v3.0")

    assert rows(unmapped, tmp_path, store_client) == [
        ("embeddings", "cohere", "embed-english-v3.0", 0, 700, 0, None, 0, 0, "unknown_model"),
        ("embeddings", "cohere", "embed-v4.0", 0, 1000, 0, Decimal("0.00012"), 1, 0, ""),
        ("rerank", "cohere", "rerank-v3.5", 0, 0, 0, Decimal("0.002"), 1, 0, ""),
        ("rerank", "cohere", "rerank-english-v3.0", 0, 0, 0, Decimal("0.002"), 1, 0, ""),
    ]


def test_cohere_embed_body_too_large_to_keep(standin, exporter):
    """Usage in `meta`, after the vectors: read from the tail of a body over the JSON limit."""
    body = {"model": "embed-v4.0", "texts": ["x"] * 10_000, "input_type": "search_document"}
    with httpx.Client() as raw:
        response = raw.post(
            f"{standin.base_url('cohere')}/v2/embed", json=body, headers=usage_header(input=20_000)
        )
    assert len(response.content) > 256 * 1024
    assert attributes(only_span(exporter))["gen_ai.usage.input_tokens"] == 20_000


def test_voyage_embeddings_and_rerank(standin, exporter, tmp_path, store_client):
    """Sent as the voyageai SDK sends them, with requests (the SDK itself is not a test
    dependency: it installs aiohttp, which google-genai's async client would then use)."""
    headers = {"authorization": "Bearer pa-test", **usage_header(input=1_000_000)}
    with requests.Session() as session:
        embedded = session.post(
            f"{standin.base_url('voyage')}/embeddings",
            json={"input": ["a", "b"], "model": "voyage-3.5", "input_type": "document"},
            headers=headers,
        ).json()
        reranked = session.post(
            f"{standin.base_url('voyage')}/rerank",
            json={"query": "q", "documents": ["a", "b"], "model": "rerank-2.5"},
            headers=headers,
        ).json()

    assert embedded["usage"] == reranked["usage"] == {"total_tokens": 1_000_000}
    assert [attributes(span) for span in llm_spans(exporter)] == [
        {
            **call_attributes(standin, "voyageai", "embeddings", "voyage-3.5"),
            "gen_ai.response.model": "voyage-3.5",
            "gen_ai.usage.input_tokens": 1_000_000,
        },
        {
            **call_attributes(standin, "voyageai", "rerank", "rerank-2.5"),
            "gen_ai.response.model": "rerank-2.5",
            "gen_ai.usage.input_tokens": 1_000_000,
        },
    ]
    # https://docs.voyageai.com/docs/pricing: voyage-3.5 $0.06 and rerank-2.5 $0.05 per
    # million tokens (a rerank's tokens: query tokens × documents + the documents' tokens).
    assert rows(exporter, tmp_path, store_client) == [
        ("embeddings", "voyageai", "voyage-3.5", 0, 1_000_000, 0, Decimal("0.06"), 1, 0, ""),
        ("rerank", "voyageai", "rerank-2.5", 0, 1_000_000, 0, Decimal("0.05"), 1, 0, ""),
    ]


def test_jina_rerank_and_embeddings_metered_cost_unknown(standin, exporter, tmp_path, store_client):
    headers = usage_header(input=900)
    with httpx.Client() as raw:
        reranked = raw.post(
            f"{standin.base_url('jina')}/rerank",
            json={"model": "jina-reranker-v2-base-multilingual", "query": "q", "documents": ["a"]},
            headers=headers,
        )
        raw.post(
            f"{standin.base_url('jina')}/embeddings",
            json={"model": "jina-embeddings-v3", "input": ["a"]},
            headers=headers,
        )
    assert json.loads(reranked.content)["usage"] == {"total_tokens": 900}
    # Jina sells prepaid token packages, no published per-token price: unknown, not $0.
    assert rows(exporter, tmp_path, store_client) == [
        ("rerank", "jina_ai", "jina-reranker-v2-base-multilingual", 0, 900, 0, None, 0, 0,
         "unknown_model"),
        ("embeddings", "jina_ai", "jina-embeddings-v3", 0, 900, 0, None, 0, 0, "unknown_model"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("host", "path", "model", "provider"),
    [
        ("api.voyageai.com", "/v1/rerank", "rerank-2.5", "voyageai"),
        ("api.voyageai.com", "/v1/embeddings", "voyage-3.5", "voyageai"),
        ("api.jina.ai", "/v1/rerank", "jina-reranker-m0", "jina_ai"),
        ("api.cohere.com", "/v1/chat", None, "cohere"),
        ("api.cohere.com", "/v2/rerank", "rerank-v3.5", "cohere"),
        ("gateway.internal", "/v1/embeddings", "voyage-3.5", "voyageai"),
        ("gateway.internal", "/v2/embed", "embed-multilingual-light-v3.0", "cohere"),
        ("gateway.internal", "/v1/rerank", "rerank-v3.5", "cohere"),
        ("gateway.internal", "/v1/rerank", "rerank-2.5", "voyageai"),
    ],
)
def test_providers_of_the_hosts(host, path, model, provider):
    assert provider_for((), "https", host, 443, path, "cohere", model) == provider


def test_voyage_contextualized_and_multimodal_embeddings(standin, exporter, tmp_path, store_client):
    headers = usage_header(input=2_000_000)
    with requests.Session() as session:
        contextual = session.post(
            f"{standin.base_url('voyage')}/contextualizedembeddings",
            json={"inputs": [["chunk one", "chunk two"], ["other"]], "model": "voyage-context-3"},
            headers=headers,
        ).json()
        image = {"type": "image_base64", "image_base64": "data:image/png;base64,aGVsbG8="}
        multimodal = session.post(
            f"{standin.base_url('voyage')}/multimodalembeddings",
            json={
                "inputs": [{"content": [{"type": "text", "text": "a cat"}, image]}],
                "model": "voyage-multimodal-3",
            },
            headers=headers,
        ).json()

    assert len(contextual["data"]) == 2
    assert multimodal["usage"] == {
        "text_tokens": 2_000_000,
        "image_pixels": 1_000_000,
        "total_tokens": 2_001_785,
    }
    spans = llm_spans(exporter)
    assert attributes(spans[1]) == {
        **call_attributes(standin, "voyageai", "embeddings", "voyage-multimodal-3"),
        "gen_ai.response.model": "voyage-multimodal-3",
        "gen_ai.usage.input_tokens": 2_000_000,  # the text tokens: pixels are billed apart
        "tokentrace.usage.input_pixels": 1_000_000,
    }
    # voyage-context-3: $0.18 per million tokens (https://docs.voyageai.com/docs/pricing):
    # 2 × 0.18 = 0.36. voyage-multimodal-3 ($0.12 per million text tokens, $0.60 per billion
    # pixels) is not in genai-prices: unknown, not $0.
    assert rows(exporter, tmp_path, store_client) == [
        ("embeddings", "voyageai", "voyage-context-3", 0, 2_000_000, 0, Decimal("0.36"), 1, 0,
         ""),
        ("embeddings", "voyageai", "voyage-multimodal-3", 0, 2_000_000, 0, None, 0, 0,
         "unknown_model"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        # Together: OpenAI-style usage.
        (
            {"object": "rerank", "model": "Salesforce/Llama-Rank-V1", "results": [],
             "usage": {"prompt_tokens": 410, "completion_tokens": 0, "total_tokens": 410}},
            {"gen_ai.usage.input_tokens": 410},
        ),
        # OpenRouter: tokens and the search units it bills a Cohere reranker by.
        (
            {"id": "gen-rerank-1", "model": "cohere/rerank-v3.5", "results": [],
             "usage": {"search_units": 1, "total_tokens": 150}},
            {"gen_ai.usage.input_tokens": 150, "tokentrace.usage.rerank_searches": 1},
        ),
        # Cohere: search units only, no token count.
        (
            {"id": "r1", "results": [], "meta": {"billed_units": {"search_units": 3}}},
            {"tokentrace.usage.rerank_searches": 3},
        ),
        # No usage at all: none reported (the call is then `usage.missing`).
        ({"id": "r2", "results": [], "meta": {"api_version": {"version": "2"}}}, None),
    ],
)  # fmt: skip
def test_rerank_usage_shapes(document, expected):
    seen = Observed()
    RERANK.observe(document, seen, False)
    usage = RERANK.usage(seen.raw_usage) if seen.raw_usage is not None else None
    assert (usage.attributes() if usage is not None else None) == expected


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"billed_units": {"input_tokens": 300}}, {"gen_ai.usage.input_tokens": 300}),
        ({"billed_units": {"input_tokens": 300, "images": 0}}, {"gen_ai.usage.input_tokens": 300}),
        # Embed 4 bills an image's tokens at $0.47 per million, its text at $0.12
        # (https://cohere.com/pricing), and reports the images counted, not their tokens: the
        # 12 text tokens alone ($0.00000144) are not the call's cost, so its usage is missing.
        ({"billed_units": {"input_tokens": 12, "images": 1}}, None),
    ],
)  # fmt: skip
def test_embed_with_images_is_usage_missing(meta, expected):
    seen = Observed()
    EMBED.observe({"id": "e1", "embeddings": {"float": [[0.1]]}, "meta": meta}, seen, False)
    usage = EMBED.usage(seen.raw_usage)
    assert (usage.attributes() if usage is not None else None) == expected
