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

from .conftest import llm_spans, store_spans

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
