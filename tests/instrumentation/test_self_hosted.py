"""Self-hosted servers' own APIs, on any host and port: llama.cpp's server's `/completion`,
Text Generation Inference's `/generate`, `/generate_stream` and `/` (where huggingface_hub's
`InferenceClient(base_url=...)` posts), Text Embeddings Inference's `/embed` and `/`. None of
them names a model in its request, and none was metered. Their calls are stored unpriced
(reason `self_hosted`: no one bills them per token) unless the prices file gives the server a
rate, never at $0 as if priced."""

from __future__ import annotations

import json
import logging
import uuid

import httpx2
import openai
import requests
from huggingface_hub import InferenceClient

from tokentrace.processor.standins import usage_header

from .conftest import instrumented, llm_spans, store_spans

ROWS = (
    "SELECT provider, operation, response_model, stream, input_tokens, output_tokens, priced, "
    "unpriced_reason FROM llm_calls ORDER BY ts"
)


def _rows(unmapped, tmp_path, store_client) -> list[tuple]:
    store_spans(llm_spans(unmapped), tmp_path, store_client)
    return store_client.query(ROWS).result_rows


def test_tgi_through_huggingface_hub_and_its_own_paths(standin, unmapped, tmp_path, store_client):
    client = InferenceClient(base_url=standin.root, headers=usage_header(input=21, output=8))
    plain = client.text_generation("hello there", max_new_tokens=8, details=True)
    streamed = list(client.text_generation("hello there", max_new_tokens=8, stream=True))
    assert plain.details.generated_tokens == 8
    assert "".join(chunk for chunk in streamed) == plain.generated_text
    with httpx2.Client() as http:
        body = {"inputs": "hi", "parameters": {"max_new_tokens": 8}}
        answer = http.post(standin.root + "/generate", json=body, headers=usage_header(input=7))
        with http.stream(
            "POST", standin.root + "/generate_stream", json=body, headers=usage_header(input=9)
        ) as response:
            events = [line for line in response.iter_lines() if line.startswith("data:")]
    assert answer.headers["x-prompt-tokens"] == "7"
    assert json.loads(events[-1][5:])["details"]["input_length"] == 9

    assert [span.name for span in llm_spans(unmapped)] == ["text_completion"] * 4
    assert _rows(unmapped, tmp_path, store_client) == [
        # `/`: counts from the headers, and from the stream's last event
        ("tgi", "text_completion", "", 0, 21, 8, 0, "self_hosted"),
        ("tgi", "text_completion", "", 1, 21, 8, 0, "self_hosted"),
        ("tgi", "text_completion", "", 0, 7, 8, 0, "self_hosted"),
        ("tgi", "text_completion", "", 1, 9, 8, 0, "self_hosted"),
    ]


def test_text_embeddings_inference_through_huggingface_hub(
    standin, unmapped, tmp_path, store_client
):
    """Text Embeddings Inference's `POST /` (huggingface_hub's `feature_extraction` on a
    base URL) takes TGI's body: it was stored as a `tgi` `text_completion` with no usage
    (its count is in `x-compute-tokens`, not TGI's headers). Its answer now names it: an
    embeddings call of `tei`, with the header's count, as TEI's `/embed` is from the start.
    A TGI call on the same `/` stays TGI's."""
    client = InferenceClient(base_url=standin.root, headers=usage_header(input=12))
    assert client.feature_extraction("hello world").shape == (1, 4)
    assert client.feature_extraction(["hello", "world"]).shape == (2, 4)
    embed = InferenceClient(base_url=standin.root + "/embed", headers=usage_header(input=7))
    assert embed.feature_extraction("hello world", normalize=True).shape == (1, 4)
    answer = requests.post(
        standin.root + "/embed", json={"inputs": ["a", "b", "c"]}, headers=usage_header(input=9)
    )
    assert answer.headers["x-compute-tokens"] == "9"
    tgi = InferenceClient(base_url=standin.root, headers=usage_header(input=21, output=8))
    assert tgi.text_generation("hello there", max_new_tokens=8).startswith("Stand-in")

    assert [span.name for span in llm_spans(unmapped)] == ["embeddings"] * 4 + ["text_completion"]
    assert _rows(unmapped, tmp_path, store_client) == [
        ("tei", "embeddings", "", 0, 12, 0, 0, "self_hosted"),
        ("tei", "embeddings", "", 0, 12, 0, 0, "self_hosted"),
        ("tei", "embeddings", "", 0, 7, 0, 0, "self_hosted"),
        ("tei", "embeddings", "", 0, 9, 0, 0, "self_hosted"),
        ("tgi", "text_completion", "", 0, 21, 8, 0, "self_hosted"),
    ]


def test_llama_cpp_completion_plain_and_streamed(standin, unmapped, tmp_path, store_client):
    """Its answer names `gpt-3.5-turbo` (llama.cpp without an alias): kept as the response
    model, never taken for OpenAI's."""
    url = standin.root + "/completion"
    plain = requests.post(
        url, json={"prompt": "Say hi", "n_predict": 8}, headers=usage_header(input=12, output=8)
    )
    with requests.post(
        url,
        json={"prompt": "Say hi", "n_predict": 8, "stream": True},
        headers=usage_header(input=12, output=8),
        stream=True,
    ) as response:
        lines = [line for line in response.iter_lines() if line.startswith(b"data:")]
    assert plain.json()["tokens_evaluated"] == 12
    assert json.loads(lines[-1][5:])["stop"] is True

    assert _rows(unmapped, tmp_path, store_client) == [
        ("llama_cpp", "text_completion", "gpt-3.5-turbo", 0, 12, 8, 0, "self_hosted"),
        ("llama_cpp", "text_completion", "gpt-3.5-turbo", 1, 12, 8, 0, "self_hosted"),
    ]


def test_other_apps_posts_on_those_paths_are_left_alone(standin, unmapped):
    """`/completion`, `/generate` and `/` are other apps' paths too: a body without the
    server's key (`prompt`, `inputs`) is no call."""
    with httpx2.Client() as http:
        http.post(standin.root + "/tasks/7/completion", json={"done": True})
        http.post(standin.root + "/reports/generate", json={"month": "2026-11"})
        http.post(standin.root + "/", data={"q": "search"})
    assert llm_spans(unmapped) == []
    assert len(standin.requests) == 3


def test_a_configured_rate_prices_them_even_without_a_model(
    standin, unmapped, tmp_path, store_client, monkeypatch
):
    """Known-zero only when the user says so: a prices file rating every model of `tgi` and
    `llama_cpp` at 0 (`model_prefix: ""`) prices their calls at a known $0. TGI's call names
    no model at all, and such a call was matched by no entry, so it stayed unpriced."""
    prices = tmp_path / "prices.yaml"
    prices.write_text(
        "prices:\n"
        + "".join(
            f'  - provider: {name}\n    model_prefix: ""\n    input: 0\n    output: 0\n'
            for name in ("tgi", "llama_cpp")
        )
    )
    monkeypatch.setenv("TOKENTRACE_PRICES_FILE", str(prices))
    with httpx2.Client() as http:
        body = {"inputs": "hi", "parameters": {"max_new_tokens": 8}}
        http.post(standin.root + "/generate", json=body, headers=usage_header(input=7))
        http.post(
            standin.root + "/completion", json={"prompt": "hi"}, headers=usage_header(input=5)
        )
    rows = _rows(unmapped, tmp_path / "spool", store_client)
    assert [(row[0], row[4], row[5], row[6], row[7]) for row in rows] == [
        ("tgi", 7, 8, 1, ""),
        ("llama_cpp", 5, 8, 1, ""),
    ]
    assert store_client.query("SELECT sum(cost) FROM llm_calls").result_rows == [(0,)]


def test_a_missing_output_count_is_usage_missing_never_zero(
    standin, unmapped, tmp_path, store_client
):
    """An answer that counts the input but not the output: llama.cpp's `/completion` without
    `tokens_predicted`, TGI without `x-generated-tokens` (headers) or `generated_tokens` (its
    stream's details), an OpenAI-compatible chat whose `usage` has `prompt_tokens` alone. The
    missing count was read as 0 tokens (the OpenAI-shaped call priced as if it had no output:
    gpt-4o-mini's 2,000 input tokens at $0.15 per million, $0.0003); now each is usage-missing,
    its cost unknown, with the input count it has."""
    omit = {"x-standin-omit": "output"}
    requests.post(
        standin.root + "/completion",
        json={"prompt": "Say hi", "n_predict": 8},
        headers={**usage_header(input=12, output=8), **omit},
    )
    with requests.post(
        standin.root + "/completion",
        json={"prompt": "Say hi", "n_predict": 8, "stream": True},
        headers={**usage_header(input=12, output=8), **omit},
        stream=True,
    ) as response:
        assert b'"stop":true' in response.content.replace(b" ", b"")
    client = InferenceClient(
        base_url=standin.root, headers={**usage_header(input=21, output=8), **omit}
    )
    assert client.text_generation("hello there", max_new_tokens=8).startswith("Stand-in")
    assert "".join(client.text_generation("hello there", max_new_tokens=8, stream=True))
    oai = openai.OpenAI(base_url=standin.root + "/v1", api_key="k", max_retries=0)
    answer = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={**usage_header(input=2000, output=500), **omit},
    )
    assert answer.usage.prompt_tokens == 2000

    store_spans(llm_spans(unmapped), tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, stream, input_tokens, output_tokens, usage_missing, priced, "
        "unpriced_reason FROM llm_calls ORDER BY ts"
    ).result_rows
    assert rows == [
        ("llama_cpp", 0, 12, 0, 1, 0, "usage_missing"),
        ("llama_cpp", 1, 12, 0, 1, 0, "usage_missing"),
        ("tgi", 0, 21, 0, 1, 0, "usage_missing"),
        ("tgi", 1, 21, 0, 1, 0, "usage_missing"),
        ("openai", 0, 2000, 0, 1, 0, "usage_missing"),
    ]


def test_sglang_native_generate_plain_and_streamed(standin, unmapped, tmp_path, store_client):
    """SGLang's native `/generate` (`{"text", "sampling_params"}`, as LlamaIndex's SGLang LLM
    and SGLang's own docs post it) is on TGI's path with another body: it was not metered and
    not said. Now provider `sglang`, self-hosted, with the counts of its `meta_info` (the
    stream's last event's); TGI's body on the same path stays TGI's, and a
    body with neither key is another app's."""
    url = standin.root + "/generate"
    params = {"max_new_tokens": 8, "temperature": 0}
    plain = requests.post(
        url, json={"text": "Say hi", "sampling_params": params}, headers=usage_header(input=12)
    )
    assert plain.json()["meta_info"]["completion_tokens"] == 8
    with requests.post(
        url,
        json={"text": "Say hi", "sampling_params": params, "stream": True},
        headers=usage_header(input=12),
        stream=True,
    ) as response:
        lines = [line for line in response.iter_lines() if line.startswith(b"data:")]
    assert lines[-1] == b"data: [DONE]"
    assert json.loads(lines[-2][5:])["meta_info"]["finish_reason"]["type"] == "length"
    tgi = requests.post(url, json={"inputs": "hi", "parameters": {}}, headers=usage_header(input=7))
    assert tgi.headers["x-prompt-tokens"] == "7"
    other = requests.post(url, json={"text": "a poster", "size": "A4"})
    assert other.status_code == 200

    assert _rows(unmapped, tmp_path, store_client) == [
        ("sglang", "text_completion", "", 0, 12, 8, 0, "self_hosted"),
        ("sglang", "text_completion", "", 1, 12, 8, 0, "self_hosted"),
        ("tgi", "text_completion", "", 0, 7, 8, 0, "self_hosted"),
    ]


def test_sglang_generate_without_sampling_params_and_a_batch(
    standin, monkeypatch, caplog, tmp_path, store_client
):
    """SGLang's `/generate` with its default sampling (`{"text"}` alone) was neither metered
    nor said, and a batch's answer (a list, one element per prompt) was usage-missing. Now a
    body without `sampling_params` is SGLang's on a base URL mapped as `sglang` (or its
    default port on loopback) and said once per URL elsewhere, where `{"text"}` is any app's
    body; a batch is one call whose counts are its final elements' sum (3 prompts of 12 in,
    8 out: 36 in, 24 out), streamed too (its prompts' events interleaved, each naming its
    `index`: 2 prompts, 24 in, 16 out, where the last event's prompt alone was taken)."""
    caplog.set_level(logging.WARNING, logger="tokentrace.instrumentation")
    monkeypatch.delenv("TOKENTRACE_PROVIDER_URLS", raising=False)
    mapped = standin.root + "/sglang-gpu"
    usage = usage_header(input=12)
    with instrumented(standin, provider_urls=f"sglang={mapped}") as exporter:
        plain = requests.post(mapped + "/generate", json={"text": "Say hi"}, headers=usage)
        assert plain.json()["meta_info"]["completion_tokens"] == 8
        batch = requests.post(
            standin.root + "/generate",
            json={"text": ["a", "b", "c"], "sampling_params": {"max_new_tokens": 8}},
            headers=usage,
        )
        assert [answer["meta_info"]["prompt_tokens"] for answer in batch.json()] == [12] * 3
        streamed = requests.post(
            standin.root + "/generate",
            json={"text": ["a", "b"], "sampling_params": {"max_new_tokens": 8}, "stream": True},
            headers=usage,
        )
        assert streamed.text.count('"index": 1') + streamed.text.count('"index":1') > 0
        other = f"{standin.root}/{uuid.uuid4().hex}/generate"  # not said by an earlier test
        for _ in range(2):
            requests.post(other, json={"text": "Say hi"}, headers=usage)

    said = [
        record.getMessage() for record in caplog.records if "sampling_params" in record.getMessage()
    ]
    assert said == [
        f"POST {other} is SGLang's /generate path with a prompt but no "
        "sampling_params: not metered. If it is SGLang's, map its base URL in "
        "TOKENTRACE_PROVIDER_URLS as sglang=URL"
    ]
    assert _rows(exporter, tmp_path, store_client) == [
        ("sglang", "text_completion", "", 0, 12, 8, 0, "self_hosted"),
        ("sglang", "text_completion", "", 0, 36, 24, 0, "self_hosted"),
        # streamed, 2 prompts: was the last event's prompt alone (12 in, 8 out)
        ("sglang", "text_completion", "", 1, 24, 16, 0, "self_hosted"),
    ]
