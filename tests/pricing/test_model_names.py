"""Model names as real spans carry them (dated snapshots, fine-tuned models, cloud resource
paths and ARNs, gateway prefixes, stray whitespace), priced by hand from the providers'
published price lists (checked 2026-12-02), or unpriced where the right price is not knowable:
never as another model at another price, never $0.

Every priced call is 20,000 input and 2,000 output tokens, so its cost is
0.02 x the input rate + 0.002 x the output rate (rates in USD per million tokens).

Sources: https://platform.openai.com/docs/pricing (older models and fine-tuning),
https://developers.openai.com/api/docs/models/o4-mini-deep-research ,
https://platform.claude.com/docs/en/about-claude/pricing ,
https://ai.google.dev/gemini-api/docs/pricing and
https://cloud.google.com/vertex-ai/generative-ai/pricing (Gemini 2.5 Flash, same on both),
https://platform.claude.com/docs/en/build-with-claude/claude-on-vertex-ai (Claude Sonnet 4.5
and later: the global endpoint has no premium, regional ones 10%),
https://docs.x.ai/docs/models , https://aws.amazon.com/bedrock/pricing/ (Claude Sonnet 4.5:
in-region and geographic cross-region profiles $3.30 / $16.50, global $3 / $15; the rates
through non-US profiles as LiteLLM 1.110.2's price map lists them),
https://openrouter.ai/docs/faq ("OpenRouter passes through the pricing of the underlying
providers")."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tokentrace.processor.extract.extractor import USAGE_UNITS
from tokentrace.processor.pricing.pricer import Pricer

AT = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_prices_file_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKENTRACE_PRICES_FILE", raising=False)


@pytest.fixture(scope="module")
def pricer() -> Pricer:
    return Pricer("")


def cost(pricer: Pricer, provider: str, model: str) -> Decimal | None:
    price = pricer.price(provider, model, AT, 20_000, 2_000)
    return price.cost if price.priced else None


@pytest.mark.parametrize(
    ("provider", "model", "expected"),
    [
        # Dated snapshots priced as themselves, not as their alias.
        ("openai", "gpt-4o-2024-05-13", "0.13"),  # $5 / $15: 0.1 + 0.03
        ("openai", "gpt-4o-2024-08-06", "0.07"),  # $2.50 / $10: 0.05 + 0.02
        ("openai", "gpt-4-turbo-2024-04-09", "0.26"),  # $10 / $30: 0.2 + 0.06
        ("openai", "o1-preview-2024-09-12", "0.42"),  # $15 / $60: 0.3 + 0.12
        ("anthropic", "claude-3-5-sonnet-20240620", "0.09"),  # $3 / $15: 0.06 + 0.03
        # Fine-tuned inference at fine-tuning rates, $0.30 / $1.20 (gpt-4o-mini: $0.15 / $0.60).
        ("openai", "ft:gpt-4o-mini-2024-07-18:acme::abc123", "0.0084"),  # 0.006 + 0.0024
        # Resource paths: Vertex AI and the google-genai SDK; Gemini 2.5 Flash $0.30 / $2.50.
        ("gcp.vertex_ai", "publishers/google/models/gemini-2.5-flash", "0.011"),  # 0.006 + 0.005
        (
            "gcp.vertex_ai",
            "projects/acme/locations/us-central1/publishers/google/models/gemini-2.5-flash",
            "0.011",
        ),
        ("gcp.gemini", "models/gemini-2.5-flash", "0.011"),
        # LiteLLM routes, the span without a provider (or with the route's).
        ("", "vertex_ai/gemini-2.5-flash", "0.011"),
        ("", "gemini/gemini-2.5-flash", "0.011"),
        ("", "azure/gpt-4o", "0.07"),  # Azure's global rate is OpenAI's $2.50 / $10
        ("openai", "openai/gpt-4o", "0.07"),
        ("", "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0", "0.09"),  # $3 / $15
        # OpenRouter ids its list lacks, at the first-party vendor's list price.
        # grok-4, retired by xAI on 2026-05-15, billed at grok-4.3's $1.25 / $2.50 since
        ("openrouter", "x-ai/grok-4", "0.03"),
        ("openrouter", "openai/o1-preview", "0.42"),
        # A reseller's loose clause does not price a sibling its fallback lists by name:
        # o4-mini-deep-research $2 / $8 (not o4-mini's $1.10 / $4.40): 0.04 + 0.016.
        ("azure.ai.openai", "o4-mini-deep-research", "0.056"),
        # Bedrock: Sonnet 4.5 in-region and geographic profiles $3.30 / $16.50 (0.066 +
        # 0.033), global $3 / $15; Sonnet 4 has no regional premium.
        ("aws.bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "0.099"),
        ("aws.bedrock", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", "0.09"),
        ("aws.bedrock", "us.anthropic.claude-sonnet-4-20250514-v1:0", "0.09"),
        (
            "aws.bedrock",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "0.09",
        ),
        # Claude's Bedrock rates are the same in every geography: 3.7 Sonnet $3 / $15 through
        # eu., Sonnet 4.5 $3.30 / $16.50 as in the US. Nova Pro through us.: $0.80 / $3.20
        # (0.016 + 0.0064).
        ("aws.bedrock", "eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "0.09"),
        ("aws.bedrock", "eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "0.099"),
        ("aws.bedrock", "us.amazon.nova-pro-v1:0", "0.0224"),
        # Vertex AI: Claude Sonnet 4.5 at the global endpoint $3 / $15, at a regional one
        # 10% more, $3.30 / $16.50 (0.066 + 0.033); Sonnet 4 one price everywhere.
        (
            "gcp.vertex_ai",
            "projects/acme/locations/global/publishers/anthropic/models/claude-sonnet-4-5@20250929",
            "0.09",
        ),
        (
            "gcp.vertex_ai",
            "projects/acme/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929",
            "0.099",
        ),
        ("gcp.vertex_ai", "claude-sonnet-4@20250514", "0.09"),
        # Fireworks' id without its accounts/fireworks/models/ path: Llama 3.1 8B $0.20 / $0.20
        # (https://fireworks.ai/pricing): 0.004 + 0.0004.
        ("fireworks", "llama-v3p1-8b-instruct", "0.0044"),
        ("", "fireworks_ai/llama-v3p1-8b-instruct", "0.0044"),
        # The conventions' older Azure name prices from Azure's list (which falls back to
        # OpenAI's), not OpenAI's alone: Phi-4 $0.125 / $0.50 on Azure AI Foundry
        # (https://azure.microsoft.com/pricing/details/phi-3/): 0.0025 + 0.001.
        ("az.ai.openai", "phi-4", "0.0035"),
        # A foundation-model ARN (no account): Claude 3.5 Sonnet $3 / $15.
        (
            "aws.bedrock",
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0",
            "0.09",
        ),
        # Azure spells GPT-3.5 gpt-35: gpt-35-turbo-1106 $1 / $2 (0.02 + 0.004).
        ("azure.ai.openai", "gpt-35-turbo-1106", "0.024"),
        ("", "azure/gpt-35-turbo-1106", "0.024"),
        # Case and whitespace.
        ("openai", " GPT-4o\n", "0.07"),
    ],
)
def test_model_names_as_spans_carry_them(
    pricer: Pricer, provider: str, model: str, expected: str
) -> None:
    assert cost(pricer, provider, model) == Decimal(expected)


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        # genai-prices matches it to GPT-4's base rates ($30 / $60); OpenAI bills fine-tuned
        # inference at fine-tuning rates, which the price data does not have for GPT-4.
        ("openai", "ft:gpt-4-0613:acme::abc123"),
        # Azure's "contains o4-mini" would bill it as o4-mini; o4-mini fine-tuned inference
        # costs $4 / $16, or $2 / $8 with data sharing, which the name does not say.
        ("azure.ai.openai", "ft:o4-mini-2025-04-16:acme::abc123"),
        ("openai", "ft:o4-mini-2025-04-16:acme::abc123"),
        # Bedrock profiles outside the US bill their geography's rates, which the price data
        # lacks for these: Nova Pro $1.05 / $4.20 through eu., $0.84 / $3.36 through apac.
        # (was billed at the US $0.80 / $3.20); Llama 3.2 3B $0.19 through eu. (US $0.15).
        ("aws.bedrock", "eu.amazon.nova-pro-v1:0"),
        ("aws.bedrock", "apac.amazon.nova-pro-v1:0"),
        ("aws.bedrock", "eu.meta.llama3-2-3b-instruct-v1:0"),
        ("", "bedrock/eu.amazon.nova-pro-v1:0"),
        # OpenRouter variants are OpenRouter's prices (":free" is $0, ":nitro" picks faster,
        # dearer hosts), not the vendor's list price.
        ("openrouter", "x-ai/grok-4:nitro"),
        # Tuned models and application inference profiles are named by opaque ids.
        ("gcp.gemini", "tunedModels/my-tuned-flash-abc123"),
        ("gcp.vertex_ai", "projects/acme/locations/us-central1/endpoints/1234567890"),
        (
            "aws.bedrock",
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3",
        ),
        # An Azure deployment name says nothing of the model behind it.
        ("azure.ai.openai", "my-gpt4o-deployment"),
        # A Chat Completions search model bills a fee per search on every call: never at the
        # token rates of the model genai-prices' loose `gpt-4o-mini` clause names (it was
        # 20,000 x $0.15 + 2,000 x $0.60 = 0.0042, its fee left out).
        ("openai", "gpt-4o-mini-search-preview"),
        ("openai", "gpt-4o-mini-search-preview-2025-03-11"),
        ("azure.ai.openai", "gpt-4o-mini-search-preview"),
        ("", "gpt-4o-mini-search-preview"),
        # A fast-mode id (OpenRouter's `claude-opus-4.8-fast` through a route, or as a bare
        # name) is billed at a premium (2x on Opus 4.8): never at the base model's rates
        # genai-prices' `claude-opus-4-8` clause gives it (it was 20,000 x 5 + 2,000 x 25 =
        # 0.15).
        ("anthropic", "claude-opus-4-8-fast"),
        ("", "anthropic/claude-opus-4.8-fast"),
        # A distilled open-weight model is not DeepSeek's R1, which genai-prices' DeepSeek
        # clause prices it as (DeepSeek's API does not serve it).
        ("deepseek", "deepseek-r1-distill-qwen-32b"),
        ("", "deepseek-r1-distill-qwen-32b"),
        # A host that sets its own prices is never priced at the vendor's.
        ("groq", "openai/gpt-4o"),
        ("together", "deepseek-ai/DeepSeek-V3"),
        ("openrouter", "deepseek/deepseek-v9"),
        # Nor is a seller the price data lacks (DeepInfra, Jina AI), whatever the name: its
        # vendor id or bare name was priced at Anthropic's or OpenAI's rates (20,000 x 3 +
        # 2,000 x 15 = 0.09 for Claude Sonnet 4), as if the seller passed them through.
        ("deepinfra", "anthropic/claude-4-sonnet"),
        ("deepinfra", "claude-sonnet-4"),
        ("deepinfra", "meta-llama/llama-3.1-70b-instruct"),
        ("jina_ai", "openai/gpt-4o-mini"),
        ("fireworks_ai", "anthropic/claude-sonnet-4"),
    ],
)
def test_names_whose_price_is_not_knowable_stay_unpriced(
    pricer: Pricer, provider: str, model: str
) -> None:
    price = pricer.price(provider, model, AT, 20_000, 2_000)
    assert (price.priced, price.reason, price.cost) == (False, "unknown_model", Decimal(0))


def test_a_fast_variant_is_priced_only_as_a_fast_variant(pricer: Pricer) -> None:
    """OpenRouter lists Opus 4.6's fast mode at 6x ($30 / $150): 20,000 x 30 + 2,000 x 150 =
    0.9; the same id with dashes, which no price data lists, is not priced as Opus 4.6
    (0.15) but left unknown; xAI's own fast models keep their entries (grok-4-fast, retired on
    2026-05-15, at grok-4.3's $1.25 / $2.50 since: 0.025 + 0.005)."""
    listed = pricer.price("openrouter", "anthropic/claude-opus-4.6-fast", AT, 20_000, 2_000)
    assert (listed.priced, listed.cost) == (True, Decimal("0.9"))
    dashed = pricer.price("anthropic", "claude-opus-4-6-fast", AT, 20_000, 2_000)
    assert (dashed.priced, dashed.cost_source) == (False, "none")
    grok = pricer.price("x_ai", "grok-4-fast", AT, 20_000, 2_000)
    assert (grok.model, grok.cost) == ("grok-4-fast-reasoning", Decimal("0.03"))


@pytest.mark.parametrize(
    "model", ["openai/gpt-4o-search-preview", "openai/gpt-4o-mini-search-preview"]
)
def test_openrouters_search_models_have_no_known_rate(pricer: Pricer, model: str) -> None:
    """OpenRouter passes OpenAI's fee per search through (https://openrouter.ai/docs/faq);
    genai-prices lists its search models at the token rates alone, which no span's count of
    searches completes: unpriced, as on OpenAI (was 20,000 x $0.15 + 2,000 x $0.60 = 0.0042
    for the mini). Its other models keep their prices."""
    price = pricer.price("openrouter", model, AT, 20_000, 2_000)
    assert (price.priced, price.reason, price.cost) == (False, "no_rate", Decimal(0))
    assert pricer.price("openrouter", "openai/gpt-4o-mini", AT, 20_000, 2_000).cost == Decimal(
        "0.0042"
    )


def test_an_id_several_hosts_sell_without_a_provider_is_unpriced_saying_so(pricer: Pricer) -> None:
    """Open-weight models run at many hosts at many prices: with no provider, OpenRouter's and
    Novita's shared id is neither's price, and the reason says why."""
    price = pricer.price("", "meta-llama/llama-3.1-70b-instruct", AT, 20_000, 2_000)
    assert (price.priced, price.reason, price.cost) == (False, "several_providers", Decimal(0))


@pytest.mark.parametrize(
    "model",
    ["claude-sonnet-4-5@20250929", "claude-haiku-4-5@20251001", "vertex_ai/claude-opus-4-5"],
)
def test_vertex_claude_without_its_endpoint_has_no_known_rate(pricer: Pricer, model: str) -> None:
    # Global or regional (10% more): the bare name does not say, so no rate is known.
    price = pricer.price("gcp.vertex_ai", model, AT, 20_000, 2_000)
    assert (price.priced, price.reason, price.cost) == (False, "no_rate", Decimal(0))


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("aws.bedrock", "anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("aws.bedrock", "claude-sonnet-4-5-20250929-v1:0"),  # OpenLLMetry drops us. and vendor
        ("aws.bedrock", "claude-haiku-4-5-20251001"),  # the response's model alone
        ("", "bedrock/anthropic.claude-opus-4-6-v1:0"),  # a LiteLLM route
    ],
)
def test_bedrock_claude_without_its_profile_has_no_known_rate(
    pricer: Pricer, provider: str, model: str
) -> None:
    # Through global. or a geographic profile (10% more)? A bare id does not say.
    price = pricer.price(provider, model, AT, 20_000, 2_000)
    assert (price.priced, price.reason, price.cost) == (False, "no_rate", Decimal(0))


def test_a_wrapped_name_is_stored_under_the_model_it_resolves_to(pricer: Pricer) -> None:
    vertex = pricer.price(
        "gcp.vertex_ai", "publishers/google/models/gemini-2.5-flash", AT, 20_000, 2_000
    )
    assert vertex.model == "gemini-2.5-flash"
    assert pricer.price("", "azure/gpt-4o", AT, 20_000, 2_000).model == "gpt-4o"


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # 12,000 uncached x $3 + 8,000 cached x $0.75 + 2,000 output x $12
        # = 0.036 + 0.006 + 0.024.
        ("ft:gpt-4.1-2025-04-14:acme::abc123", "0.066"),
        # 12,000 x $0.80 + 8,000 x $0.20 + 2,000 x $3.20 = 0.0096 + 0.0016 + 0.0064.
        ("ft:gpt-4.1-mini-2025-04-14:acme:support:abc123", "0.0176"),
        # 12,000 x $0.20 + 8,000 x $0.05 + 2,000 x $0.80 = 0.0024 + 0.0004 + 0.0016.
        ("ft:gpt-4.1-nano-2025-04-14:acme::abc123:ckpt-step-100", "0.0044"),
    ],
)
def test_fine_tuned_gpt_4_1_at_its_fine_tuning_rates(
    pricer: Pricer, model: str, expected: str
) -> None:
    price = pricer.price("openai", model, AT, 20_000, 2_000, cache_read_tokens=8_000)
    assert (price.priced, price.cost) == (True, Decimal(expected))


def test_the_first_realtime_snapshot_at_its_own_audio_rates(pricer: Pricer) -> None:
    # gpt-4o-realtime-preview-2024-10-01 (https://openai.com/index/introducing-the-realtime-api/),
    # not the 2024-12-17 snapshot's $40 / $80 audio: 10,000 input of which 6,000 audio, 2,000
    # output of which 1,500 audio: 4,000 x $5 + 6,000 x $100 + 500 x $20 + 1,500 x $200
    # = 0.02 + 0.6 + 0.01 + 0.3.
    counts = tuple(
        {"input_audio_tokens": 6_000, "output_audio_tokens": 1_500}.get(unit, 0)
        for unit in USAGE_UNITS
    )
    price = pricer.price(
        "openai", "gpt-4o-realtime-preview-2024-10-01", AT, 10_000, 2_000, units=counts
    )
    assert price.cost == Decimal("0.93")


@pytest.mark.parametrize(
    ("provider", "model"),
    [
        ("ollama", "claude-sonnet-4"),
        ("vllm", "claude-sonnet-4"),
        ("self_hosted", "anthropic/claude-sonnet-4"),
    ],
)
def test_a_self_hosted_call_is_never_priced_by_a_correction(
    pricer: Pricer, provider: str, model: str
) -> None:
    """A self-hosted server bills no one per token: its call named like a model a correction
    prices (Claude Sonnet 4's long-context rates) was priced at Anthropic's rates, 0.09."""
    price = pricer.price(provider, model, AT, 20_000, 2_000)
    assert (price.priced, price.reason, price.cost) == (False, "self_hosted", Decimal(0))


def test_fireworks_by_the_instrumentation_s_name_is_priced_at_fireworks_rates(
    pricer: Pricer,
) -> None:
    """`fireworks_ai` (what the instrumentation names api.fireworks.ai's calls) is Fireworks'
    price list: the short id SDKs send was unpriced. Llama 3.1 8B: $0.20 in and out
    (https://fireworks.ai/pricing, 4B-16B parameters): 22,000 x 0.20 = 0.0044."""
    for name in ("llama-v3p1-8b-instruct", "accounts/fireworks/models/llama-v3p1-8b-instruct"):
        assert cost(pricer, "fireworks_ai", name) == Decimal("0.0044")
