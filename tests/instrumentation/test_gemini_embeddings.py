"""Google's embeddings through the real google-genai SDK's `embed_content`: the Gemini API's
`:batchEmbedContents`, Vertex AI's `:embedContent` (Gemini embedding models) and `:predict`
(its text embedding models); and Imagen's `:predict` (`generate_images`), billed per image.
Each call is one span with its exact usage, one row at its exact cost, or at an unknown one."""

from __future__ import annotations

import gzip
from decimal import Decimal

import httpx
from google import genai
from google.genai import types
from google.oauth2.credentials import Credentials

from tokentrace.instrumentation.bodies import JSON_LIMIT
from tokentrace.instrumentation.routing import api_for_path
from tokentrace.processor.standins import usage_header

from .conftest import attributes, call_attributes, llm_spans, store_spans

COLUMNS = (
    "operation, provider, model, input_tokens, output_tokens, if(priced = 1, cost, NULL), "
    "priced, usage_missing, unpriced_reason"
)


def rows(exporter, tmp_path, store_client) -> list[tuple]:
    store_spans(llm_spans(exporter), tmp_path, store_client)
    return store_client.query(f"SELECT {COLUMNS} FROM llm_calls ORDER BY ts").result_rows


def vertex(standin, input_tokens: int) -> genai.Client:
    """A Vertex AI client sent through the stand-in (a path Vertex AI's shape names)."""
    options = types.HttpOptions(
        base_url=standin.root + "/vertex", headers=usage_header(input=input_tokens)
    )
    return genai.Client(
        vertexai=True,
        project="p",
        location="us-central1",
        credentials=Credentials(token="ya29.test"),
        http_options=options,
    )


def test_gemini_api_and_vertex_embeddings(standin, exporter, tmp_path, store_client):
    options = types.HttpOptions(base_url=standin.base_url("gemini"), headers=usage_header(input=40))
    gemini = genai.Client(api_key="gk-test", http_options=options)
    batch = gemini.models.embed_content(model="gemini-embedding-001", contents=["a", "bb"])
    on_vertex = vertex(standin, 41)  # dropping a Client closes its HTTP client
    one = on_vertex.models.embed_content(model="gemini-embedding-001", contents="abc")
    predicted = on_vertex.models.embed_content(model="text-embedding-005", contents=["abc", "de"])

    assert len(batch.embeddings) == 2
    assert one.embeddings[0].statistics.token_count == 41
    assert [e.statistics.token_count for e in predicted.embeddings] == [21, 20]
    paths = [request.path.rsplit("/", 1)[-1] for request in standin.requests]
    assert paths == [
        "gemini-embedding-001:batchEmbedContents",
        "gemini-embedding-001:embedContent",
        "text-embedding-005:predict",
    ]
    spans = llm_spans(exporter)
    assert attributes(spans[0]) == {
        **call_attributes(standin, "gcp.gemini", "embeddings", "gemini-embedding-001"),
        "gen_ai.usage.input_tokens": 40,
    }
    assert attributes(spans[2]) == {
        **call_attributes(standin, "gcp.vertex_ai", "embeddings", "text-embedding-005"),
        "gen_ai.usage.input_tokens": 41,
        "tokentrace.usage.input_characters": 5,  # what Vertex bills these models by
    }
    # gemini-embedding-001: $0.15 per million input tokens on the Gemini API
    # (https://ai.google.dev/gemini-api/docs/pricing) and on Vertex AI
    # (https://cloud.google.com/vertex-ai/generative-ai/pricing): 40 × 0.15 = 6 and
    # 41 × 0.15 = 6.15 per million.
    assert rows(exporter, tmp_path, store_client) == [
        ("embeddings", "gcp.gemini", "gemini-embedding-001", 40, 0, Decimal("0.000006"), 1, 0, ""),
        ("embeddings", "gcp.vertex_ai", "gemini-embedding-001", 41, 0, Decimal("0.00000615"), 1,
         0, ""),
        # Billed per 1,000 characters, which genai-prices does not price: unknown, not $0.
        ("embeddings", "gcp.vertex_ai", "text-embedding-005", 41, 0, None, 0, 0,
         "unknown_model"),
    ]  # fmt: skip


def test_a_failed_embedding_call_is_one_error_span(standin, exporter):
    url = f"{standin.base_url('gemini')}/v1beta/models/gemini-embedding-001:batchEmbedContents"
    with httpx.Client() as raw:
        response = raw.post(url, json={"requests": []}, headers={"x-standin-fail": "429"})
    assert response.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    (span,) = llm_spans(exporter)
    assert attributes(span) == {
        **call_attributes(standin, "gcp.gemini", "embeddings", "gemini-embedding-001", status=429),
        "error.type": "429",
    }


def test_predict_is_an_embeddings_call_only_for_an_embedding_model():
    base = "/v1/projects/p/locations/us-central1/"
    assert api_for_path(base + "publishers/google/models/text-embedding-005:predict")
    assert api_for_path(base + "publishers/google/models/textembedding-gecko@003:predict")
    imagen = api_for_path(base + "publishers/google/models/imagen-4.0-generate-001:predict")
    assert imagen is not None and imagen.operation == "image_generation"
    # Custom endpoints and other models also answer `predict`: not LLM calls here.
    assert api_for_path(base + "endpoints/1234567890:predict") is None
    assert api_for_path(base + "publishers/google/models/veo-3.0-generate-001:predict") is None


def test_imagen_images_counted_in_bodies_of_any_size(standin, exporter, tmp_path, store_client):
    client = vertex(standin, 0)
    one = client.models.generate_images(
        model="imagen-4.0-generate-001",
        prompt="A lighthouse at dusk",
        config=types.GenerateImagesConfig(number_of_images=1),
    )
    three = client.models.generate_images(
        model="imagen-4.0-generate-001",
        prompt="A lighthouse at dusk",
        config=types.GenerateImagesConfig(number_of_images=3),
    )
    url = f"{standin.base_url('gemini')}/v1beta/models/imagen-4.0-fast-generate-001:predict"
    with httpx.Client() as raw:  # the Gemini API's REST path (the SDK sends Vertex AI's)
        raw.post(url, json={"instances": [{"prompt": "A boat"}], "parameters": {"sampleCount": 2}})

    assert (len(one.generated_images), len(three.generated_images)) == (1, 3)
    # Decoded, the second body is over the JSON limit: its images were counted as it went by.
    assert len(gzip.decompress(standin.sent[1])) > JSON_LIMIT
    spans = llm_spans(exporter)
    assert [attributes(span) for span in spans[:2]] == [
        {
            **call_attributes(standin, "gcp.vertex_ai", "image_generation", model),
            "tokentrace.usage.output_images": images,
        }
        for model, images in (("imagen-4.0-generate-001", 1), ("imagen-4.0-generate-001", 3))
    ]
    assert attributes(spans[2])["gen_ai.provider.name"] == "gcp.gemini"
    assert attributes(spans[2])["tokentrace.usage.output_images"] == 2
    # Billed per image (https://ai.google.dev/gemini-api/docs/pricing ;
    # https://cloud.google.com/vertex-ai/generative-ai/pricing): Imagen 4 $0.04, so 1 x 0.04
    # and 3 x 0.04 = 0.12; Imagen 4 Fast $0.02, 2 x 0.02 = 0.04 (the corrections).
    assert rows(exporter, tmp_path, store_client) == [
        ("image_generation", "gcp.vertex_ai", "imagen-4.0-generate-001", 0, 0, Decimal("0.04"),
         1, 0, ""),
        ("image_generation", "gcp.vertex_ai", "imagen-4.0-generate-001", 0, 0, Decimal("0.12"),
         1, 0, ""),
        ("image_generation", "gcp.gemini", "imagen-4.0-fast-generate-001", 0, 0,
         Decimal("0.04"), 1, 0, ""),
    ]  # fmt: skip
