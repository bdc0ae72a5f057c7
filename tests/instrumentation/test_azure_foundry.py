"""Microsoft Foundry's hosts, each API on them named as tokentrace names Azure elsewhere.

A Foundry resource (`{name}.services.ai.azure.com`, also `{name}.cognitiveservices.azure.com`)
serves Azure OpenAI under `/openai/…`, the Azure AI Model Inference API under `/models/…`
(https://learn.microsoft.com/en-us/azure/ai-foundry/foundry-models/how-to/inference) and
Claude under `/anthropic/v1/messages`
(https://platform.claude.com/docs/en/build-with-claude/claude-in-microsoft-foundry); a
serverless endpoint (`{endpoint}.{region}.models.ai.azure.com`) the inference API. The calls
go through the stand-in as an HTTP proxy, so the SDKs send them to those hosts.

Prices (USD per million tokens): gpt-4o-mini on Azure $0.15 input, $0.60 output
(https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/); Phi-4
$0.125 input, $0.50 output (https://azure.microsoft.com/en-us/pricing/details/phi-3/); Claude
Haiku 4.5 on Foundry at Anthropic's list, $1 input, $5 output (https://claude.com/pricing#api).
"""

from __future__ import annotations

from decimal import Decimal

import anthropic
import httpx2
import openai

from tokentrace.processor.standins import usage_header

from .conftest import instrumented, llm_spans, store_spans

M = Decimal(1_000_000)
ASK = [{"role": "user", "content": "hello"}]


def test_foundry_apis_are_azure_s_and_priced_at_azure_s_list(
    standin, unmapped, tmp_path, store_client
):
    """Before: every call on `*.services.ai.azure.com` or `*.cognitiveservices.azure.com` was
    `azure.ai.openai` whatever its API (Claude and Phi-4 among them), and a serverless
    endpoint's Phi-4 `unknown`, unpriced. Now the inference API and Claude are
    `azure.ai.inference` (as the extractor stores AnthropicFoundry's own spans), Azure
    OpenAI stays `azure.ai.openai`, and each is priced."""
    proxied = httpx2.Client(proxy=standin.root)
    usage = usage_header(input=2000, output=500)
    resource = "http://acme.services.ai.azure.com"
    azure_openai = openai.OpenAI(
        base_url=resource + "/openai/v1/", api_key="k", http_client=proxied, max_retries=0
    )
    azure_openai.chat.completions.create(model="gpt-4o-mini", messages=ASK, extra_headers=usage)
    for base in (
        resource + "/models",
        "http://acme.cognitiveservices.azure.com/models",
        "http://phi-4-acme.eastus2.models.ai.azure.com",
    ):
        inference = openai.OpenAI(
            base_url=base,
            api_key="k",
            default_query={"api-version": "2024-05-01-preview"},
            http_client=proxied,
            max_retries=0,
        )
        inference.chat.completions.create(model="Phi-4", messages=ASK, extra_headers=usage)
    claude = anthropic.AnthropicFoundry(
        base_url=resource + "/anthropic/", api_key="k", http_client=proxied, max_retries=0
    )
    claude.messages.create(
        model="claude-haiku-4-5", max_tokens=100, messages=ASK, extra_headers=usage
    )

    assert [request.path.split("?")[0] for request in standin.requests] == [
        resource + "/openai/v1/chat/completions",
        resource + "/models/chat/completions",
        "http://acme.cognitiveservices.azure.com/models/chat/completions",
        "http://phi-4-acme.eastus2.models.ai.azure.com/chat/completions",
        resource + "/anthropic/v1/messages",
    ]
    store_spans(llm_spans(unmapped), tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, request_model, input_tokens, output_tokens, priced, cost "
        "FROM llm_calls ORDER BY ts"
    ).result_rows
    phi_4 = (2000 * Decimal("0.125") + 500 * Decimal("0.50")) / M
    assert rows == [
        (
            "azure.ai.openai",
            "gpt-4o-mini",
            2000,
            500,
            1,
            (2000 * Decimal("0.15") + 500 * Decimal("0.60")) / M,
        ),
        ("azure.ai.inference", "Phi-4", 2000, 500, 1, phi_4),
        ("azure.ai.inference", "Phi-4", 2000, 500, 1, phi_4),
        ("azure.ai.inference", "Phi-4", 2000, 500, 1, phi_4),
        (
            "azure.ai.inference",
            "claude-haiku-4-5",
            2000,
            500,
            1,
            (2000 * Decimal(1) + 500 * Decimal(5)) / M,
        ),
    ]


def test_project_endpoints_and_azure_ml_online_endpoints(standin, unmapped, tmp_path, store_client):
    """A Foundry project's endpoint (`/api/projects/{project}/models/…`) was `azure.ai.openai`
    (only the resource's own `/models/…` was the inference API's): now `azure.ai.inference`,
    Phi-4 priced at Azure's list ($0.0005). An Azure Machine Learning managed online endpoint
    (`*.inference.ml.azure.com`, a model deployed on the customer's compute, billed by the
    hour) was named by the model, `self_hosted` for a Hugging Face id and `unknown` for
    another: now `azure.ml`, stored unpriced, reason `self_hosted`."""
    proxied = httpx2.Client(proxy=standin.root)
    usage = usage_header(input=2000, output=500)
    project = openai.OpenAI(
        base_url="http://acme.services.ai.azure.com/api/projects/p1/models",
        api_key="k",
        default_query={"api-version": "2024-05-01-preview"},
        http_client=proxied,
        max_retries=0,
    )
    project.chat.completions.create(model="Phi-4", messages=ASK, extra_headers=usage)
    online = openai.OpenAI(
        base_url="http://llama-ep.eastus2.inference.ml.azure.com/v1",
        api_key="k",
        http_client=proxied,
        max_retries=0,
    )
    for model in ("meta-llama/Llama-3.1-8B-Instruct", "my-finetune"):
        online.chat.completions.create(model=model, messages=ASK, extra_headers=usage)

    store_spans(llm_spans(unmapped), tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, request_model, input_tokens, output_tokens, "
        "if(priced = 1, cost, NULL), unpriced_reason FROM llm_calls ORDER BY ts"
    ).result_rows
    assert rows == [
        (
            "azure.ai.inference",
            "Phi-4",
            2000,
            500,
            (2000 * Decimal("0.125") + 500 * Decimal("0.50")) / M,
            "",
        ),
        ("azure.ml", "meta-llama/Llama-3.1-8B-Instruct", 2000, 500, None, "self_hosted"),
        ("azure.ml", "my-finetune", 2000, 500, None, "self_hosted"),
    ]


def test_azure_v1_serving_other_vendors_is_azure_s(standin, unmapped, tmp_path, store_client):
    """Azure's v1 API behind a custom domain (an unknown host, Entra ID token: no `api-key`)
    serves other vendors' models too (Foundry Models sold by Azure): answered with Azure's
    `x-ms-region`, DeepSeek-R1 and Llama were named by their owner (`deepseek`, priced at
    DeepSeek's own list, $0.55 input and $2.19 output per million: $0.002195; `unknown`), now
    `azure.ai.inference`: DeepSeek-R1 at the rate genai-prices' `azure` provider gives it,
    $1.35 input and $5.40 output per million (Azure's own price page was not readable here):
    2,000 in + 500 out = $0.0054; Llama 3.3 70B has no rate there (unknown_model, as
    before)."""
    azure = {**usage_header(input=2000, output=500), "x-standin-cloud": "azure"}
    client = openai.OpenAI(
        base_url=standin.root + "/openai/v1/", api_key="entra-id-token", max_retries=0
    )
    for model in ("DeepSeek-R1", "Llama-3.3-70B-Instruct"):
        client.chat.completions.create(model=model, messages=ASK, extra_headers=azure)
    store_spans(llm_spans(unmapped), tmp_path, store_client)
    rows = store_client.query(
        "SELECT provider, request_model, input_tokens, output_tokens, "
        "if(priced = 1, cost, NULL), unpriced_reason FROM llm_calls ORDER BY ts"
    ).result_rows
    assert rows == [
        ("azure.ai.inference", "DeepSeek-R1", 2000, 500, Decimal("0.0054"), ""),
        ("azure.ai.inference", "Llama-3.3-70B-Instruct", 2000, 500, None, "unknown_model"),
    ]


def test_an_explicit_openai_mapping_wins_over_azure_s_answer(standin):
    """A base URL mapped `openai=` in TOKENTRACE_PROVIDER_URLS stays `openai` whatever the
    answer says (it was `azure.ai.openai` once answered with `x-ms-region`): explicit
    configuration wins. The same call unmapped is Azure's."""
    azure = {**usage_header(input=2000, output=500), "x-standin-cloud": "azure"}
    client = openai.OpenAI(
        base_url=standin.root + "/openai/v1/", api_key="entra-id-token", max_retries=0
    )
    with instrumented(standin, provider_urls=f"openai={standin.root}/openai/v1") as exporter:
        client.chat.completions.create(model="gpt-4o-mini", messages=ASK, extra_headers=azure)
    with instrumented(standin, provider_urls="") as unmapped:
        client.chat.completions.create(model="gpt-4o-mini", messages=ASK, extra_headers=azure)
    assert [
        span.attributes["gen_ai.provider.name"]
        for span in llm_spans(exporter) + llm_spans(unmapped)
    ] == ["openai", "azure.ai.openai"]
