"""Model names as real spans carry them, reduced to the names the price data lists.

Clouds, gateways and SDKs wrap a model's name: the google-genai SDK reports
``models/gemini-2.5-flash``, Vertex AI a resource path
(``projects/p/locations/l/publishers/google/models/gemini-2.5-flash``), Bedrock an ARN,
Fireworks clients often the last part of its ``accounts/fireworks/models/…`` ids,
LiteLLM a route (``azure/gpt-4o``, ``vertex_ai/gemini-2.5-flash``) and OpenRouter its vendor
id (``openai/gpt-4o``). genai-prices knows the bare names, so without this such calls were
unpriced. :func:`lookups` lists what to look a name up as, the span's own name first, so a
name the data lists as it is (OpenRouter's ``openai/gpt-4o``, Together's
``meta-llama/...``) keeps its own price.

Rules keep a name from being priced as another model or at another price
(:func:`acceptable`): a fine-tuned model (``ft:…``, Azure's ``….ft-…``) is priced only by a
fine-tuned entry, never at its base model's rates (OpenAI bills fine-tuned inference at
rates of its own); a Chat Completions search model (``gpt-4o-mini-search-preview``) only by
a search model's entry, never at its base model's token rates without its fee per search; a
fast variant (``claude-opus-4-6-fast``) only by a fast variant's entry, a distilled model
(``deepseek-r1-distill-qwen-32b``) only by a distilled model's; a Bedrock profile outside
the US only by an entry for its geography; a reseller's loose clause does not price a
sibling its fallback lists by name (:func:`exact_model`); and a route or vendor prefix names
who billed the call, so it is followed only when that biller lists the model at the price
the span's provider charges: the span has no provider (LiteLLM), names the same one, or is
OpenRouter, which "passes through the pricing of the underlying providers"
(https://openrouter.ai/docs/faq, checked 2026-12-02) for the first-party vendors below. A
host that sets its own prices (Groq, Together, Fireworks…) is never priced at a vendor's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from genai_prices.data_snapshot import DataSnapshot
from genai_prices.types import (
    ClauseContains,
    ClauseEquals,
    ClauseOr,
    ClauseStartsWith,
    MatchLogic,
    ModelInfo,
    Provider,
)

from .rules import SEARCH_MODELS

# LiteLLM's provider routes, OpenRouter's vendor prefixes and Cloudflare AI Gateway's provider
# names → genai-prices provider id.
ROUTES = {
    "openai": "openai",
    "azure": "azure",
    "azure_ai": "azure",
    "anthropic": "anthropic",
    "bedrock": "aws",
    "vertex_ai": "google",
    "vertex_ai_beta": "google",
    "gemini": "google",
    "google": "google",
    "mistral": "mistral",
    "mistralai": "mistral",
    "groq": "groq",
    "deepseek": "deepseek",
    "xai": "x-ai",
    "x-ai": "x-ai",
    "cohere": "cohere",
    "perplexity": "perplexity",
    "together_ai": "together",
    "fireworks_ai": "fireworks",
    "openrouter": "openrouter",
    # Cloudflare AI Gateway's provider names (`google-ai-studio/gemini-2.5-flash` on its
    # OpenAI-compatible endpoint): the call is the provider's, billed to the key it carries
    # (https://developers.cloudflare.com/ai-gateway/usage/chat-completion/)
    "google-ai-studio": "google",
    "google-vertex-ai": "google",
    "workers-ai": "cloudflare",
    "azure-openai": "azure",
    "aws-bedrock": "aws",
    "perplexity-ai": "perplexity",
    "grok": "x-ai",
}
# Vendors whose models OpenRouter serves at the vendor's own list price (their models run
# only at the vendor or at clouds that charge its rates); open-weight vendors' models run at
# many hosts at many prices, so an OpenRouter id of theirs is priced only as OpenRouter lists it.
PASS_THROUGH = frozenset({"openai", "anthropic", "google", "x-ai"})
GATEWAYS = frozenset({"openrouter"})
# Open-weight families of those vendors, on Hugging Face under the vendor's prefix
# (``openai/gpt-oss-120b``, ``google/gemma-3-27b-it``), and the Hugging Face organisations of
# open-weight vendors whose API names carry no prefix (``mistralai/Mistral-7B-Instruct-v0.3``).
# A call of such a name without a provider (an unknown host: vLLM names a local model so) is
# not priced at the vendor's API rates (the instrumentation's `providers._OPEN_WEIGHTS`).
OPEN_WEIGHTS = ("gpt-oss", "gemma")
HF_ORGS = frozenset({"mistralai"})

# ``publishers/google/models/X``, ``projects/p/locations/l/publishers/anthropic/models/X``,
# ``models/X`` (google-genai); the publisher names the owner of a Vertex AI model.
_RESOURCE = re.compile(r"^(?:projects/[^/]+/locations/[^/]+/)?(?:publishers/([^/]+)/)?models/(.+)$")
# ``arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-…``
_ARN = re.compile(
    r"^arn:aws[\w-]*:bedrock:[^:]*:[^:]*:(?:foundation-model|inference-profile)/(.+)$"
)
_FINE_TUNED = re.compile(r"^ft:|\.ft-|:ft-")
_LOCATION = re.compile(r"^projects/[^/]+/locations/([^/]+)/")


# A snapshot's date in its name: ``gpt-4o-2024-08-06``, ``claude-3-5-haiku-20241022``,
# ``anthropic.claude-3-5-sonnet-20241022-v2:0`` (years 2020-2099, a real month and day).
_SNAPSHOT_DATE = re.compile(
    r"(?<![0-9])(20[2-9][0-9])(-?)(0[1-9]|1[0-2])\2(0[1-9]|[12][0-9]|3[01])(?![0-9])"
)


# Mistral names its snapshots by year and month (``mistral-large-2411``: Mistral Large 24.11),
# which give no day, and not even the month of release (``codestral-2508`` came out on
# 2025-07-30): the day each was released, from Mistral's changelog
# (https://docs.mistral.ai/getting-started/changelog, read in the docs' source,
# github.com/mistralai/platform-docs-public, changelog/en/<date>.mdx; checked 2026-12-04).
MISTRAL_RELEASES = {
    "mistral-large-2402": date(2024, 2, 26),
    "mistral-small-2402": date(2024, 2, 26),
    "open-mixtral-8x22b-2404": date(2024, 4, 17),
    "codestral-2405": date(2024, 5, 29),
    "open-mistral-nemo-2407": date(2024, 7, 18),
    "mistral-large-2407": date(2024, 7, 24),
    "mistral-small-2409": date(2024, 9, 17),
    "pixtral-12b-2409": date(2024, 9, 17),
    "ministral-3b-2410": date(2024, 10, 9),
    "ministral-8b-2410": date(2024, 10, 9),
    "mistral-large-2411": date(2024, 11, 18),
    "pixtral-large-2411": date(2024, 11, 18),
    "codestral-2501": date(2025, 1, 13),
    "mistral-small-2501": date(2025, 1, 30),
    "mistral-saba-2502": date(2025, 2, 17),
    "mistral-ocr-2503": date(2025, 3, 6),
    "mistral-small-2503": date(2025, 3, 17),
    "mistral-medium-2505": date(2025, 5, 7),
    "devstral-small-2505": date(2025, 5, 21),
    "mistral-ocr-2505": date(2025, 5, 22),
    "magistral-medium-2506": date(2025, 6, 10),
    "magistral-small-2506": date(2025, 6, 10),
    "mistral-small-2506": date(2025, 6, 23),  # "Mistral Small 3.2 API available"
    "devstral-medium-2507": date(2025, 7, 10),
    "devstral-small-2507": date(2025, 7, 10),
    "voxtral-mini-2507": date(2025, 7, 15),
    "voxtral-small-2507": date(2025, 7, 15),
    "magistral-medium-2507": date(2025, 7, 24),
    "magistral-small-2507": date(2025, 7, 24),
    "codestral-2508": date(2025, 7, 30),
    "mistral-medium-2508": date(2025, 8, 12),
    "magistral-medium-2509": date(2025, 9, 17),
    "magistral-small-2509": date(2025, 9, 17),
    "mistral-large-2512": date(2025, 12, 2),
    "ministral-3b-2512": date(2025, 12, 2),
    "ministral-8b-2512": date(2025, 12, 2),
    "ministral-14b-2512": date(2025, 12, 2),
    "devstral-2512": date(2025, 12, 9),
    "labs-devstral-small-2512": date(2025, 12, 9),
    "mistral-ocr-2512": date(2025, 12, 18),
    "voxtral-mini-2602": date(2026, 2, 4),
    "voxtral-mini-transcribe-realtime-2602": date(2026, 2, 4),
    "mistral-moderation-2603": date(2026, 3, 12),
    "mistral-small-2603": date(2026, 3, 16),
    "labs-leanstral-2603": date(2026, 3, 16),
    "voxtral-tts-2603": date(2026, 3, 23),
}
# One of those names as a whole word of a model id (``mistral/codestral-2501``,
# ``Mistral-Large-2411`` at Azure, ``mistral.mistral-large-2407-v1:0`` at Bedrock).
_MISTRAL_RELEASE = re.compile(
    r"(?<![a-z0-9-])("
    + "|".join(sorted(map(re.escape, MISTRAL_RELEASES), key=len, reverse=True))
    + r")(?![0-9])"
)


def snapshot_date(model: str) -> date | None:
    """The date a dated snapshot's name gives (``o1-2024-12-17``: 2024-12-17), or None. A
    snapshot is published on or after that date (Claude Sonnet 4, ``…-20250514``, on
    2025-05-22), so no call to it is dated earlier: such a call's date is wrong and its price
    not known, where the price data, which names no release dates, would give the snapshot's
    rates at any date. A Mistral ``-YYMM`` name gives its release day
    (:data:`MISTRAL_RELEASES`)."""
    match = _SNAPSHOT_DATE.search(model)
    if match is None:
        mistral = _MISTRAL_RELEASE.search(model.lower())
        return MISTRAL_RELEASES[mistral.group(1)] if mistral else None
    try:
        return date(int(match.group(1)), int(match.group(3)), int(match.group(4)))
    except ValueError:  # 2025-02-30
        return None


def fine_tuned(name: str) -> bool:
    """An OpenAI (``ft:…``, legacy ``…:ft-…``) or Azure (``….ft-…``) fine-tuned model
    (``name`` in lower case). Ingest asks it of every call whose response and request models
    differ: the substring test first answers most names in 40 ns, the pattern takes 240."""
    return "ft" in name and _FINE_TUNED.search(name) is not None


def call_models(response_model: str, request_model: str) -> list[str]:
    """The model names a call is priced by, in order: its response model, else its request
    model when that differs, except after a fine-tuned response model, whose request model
    is its base model or an Azure deployment's name (that would bill it at base rates).

    A Bedrock request model that wraps the response model's name (Claude answers
    ``claude-haiku-4-5-20251001`` to ``global.anthropic.claude-haiku-4-5-20251001-v1:0``)
    comes first: its inference profile sets the rate (Claude 4.5 models cost 10% more through
    a geographic profile than through ``global.``), which the bare name cannot tell."""
    if response_model and request_model and _wraps(request_model, response_model):
        return [request_model, response_model]
    first = response_model or request_model
    models = [first] if first else []
    if request_model and request_model != first and not fine_tuned(first.lower()):
        models.append(request_model)
    return models


def _wraps(request_model: str, response_model: str) -> bool:
    """Whether a request model is a Bedrock id (``vendor.name``, a profile ``geo.vendor.name``
    or an ARN) around the response model's name."""
    return f".{response_model}" in request_model


def vertex_location(model: str) -> str | None:
    """The Vertex AI location a resource path names (``global``, ``us-east5``…), if any."""
    match = _LOCATION.match(model.strip().lower())
    return match.group(1) if match else None


def lookups(genai_id: str | None, model: str) -> Iterator[tuple[str | None, str]]:
    """(genai-prices provider id, model name) pairs to look ``model`` up as, in order: the name
    as the span has it (trimmed), then without a resource path, ARN or route prefix; each
    also in OpenAI's spelling when it is Azure's ``gpt-35-…``."""
    name = model.strip()
    for provider_id, found in ((genai_id, name), *_unwrapped(genai_id, name, depth=2)):
        yield provider_id, found
        if found[:6].lower() == "gpt-35":  # Azure's spelling of GPT-3.5 (gpt-35-turbo-0125)
            yield provider_id, "gpt-3.5" + found[6:]


def _unwrapped(genai_id: str | None, name: str, depth: int) -> Iterator[tuple[str | None, str]]:
    if depth == 0:
        return
    if genai_id == "fireworks" and "/" not in name:
        # Fireworks' ids are paths (genai-prices lists them so); SDKs often send the last part.
        yield genai_id, f"accounts/fireworks/models/{name}"
        return
    if genai_id is not None and genai_id.startswith("huggingface_"):
        # The router's `/v1` names the provider after a colon (`…-Instruct:cerebras`),
        # which its price list does not; LiteLLM's `huggingface/{provider}/{hub id}` route
        # sends `{provider}/` before the id.
        seller = genai_id.removeprefix("huggingface_")
        suffix = ":" + seller
        if name.lower().endswith(suffix):
            yield genai_id, name[: -len(suffix)]
        elif name.lower().startswith(seller + "/"):
            yield genai_id, name[len(seller) + 1 :]
        return
    if match := _RESOURCE.match(name):
        publisher, bare = match.groups()
        owner = genai_id or ("google" if publisher else None)
        yield owner, bare
        yield from _unwrapped(owner, bare, depth - 1)
        return
    if match := _ARN.match(name):
        owner = genai_id or "aws"
        yield owner, match.group(1)
        return
    head, slash, rest = name.partition("/")
    if head.startswith("@") and rest:
        # Portkey's `@{provider slug}/{model}`: the slug is the app's own name
        yield genai_id, rest
        yield from _unwrapped(genai_id, rest, depth - 1)
        return
    route = ROUTES.get(head.lower()) if slash and rest else None
    if route is None:
        return
    # OpenRouter's variants (``:free``, ``:nitro``, ``:floor``, ``:online``, ``:extended``…)
    # are priced by OpenRouter, not at the vendor's list price.
    through = genai_id in GATEWAYS and route in PASS_THROUGH and ":" not in rest
    if genai_id is None and (head.lower() in HF_ORGS or rest.lower().startswith(OPEN_WEIGHTS)):
        return  # a Hugging Face id: an open-weight model whoever serves it, not the vendor's API
    if genai_id is None or genai_id == route or through:
        yield route, rest
        yield from _unwrapped(route, rest, depth - 1)


_VERSION = re.compile(r"(?:-\d{8})?-v?\d+:\d+")
"""What a Bedrock id adds to a bedrock-mantle id: a version suffix, after a release date for
Anthropic's models (`anthropic.claude-sonnet-4-5` for `…-4-5-20250929-v1:0`)."""


def unversioned_bedrock_model(
    snapshot: DataSnapshot, provider_id: str | None, name: str
) -> tuple[Provider, ModelInfo] | None:
    """Bedrock's model that ``name`` names without its version suffix, when exactly one does:
    Bedrock's OpenAI- and Anthropic-compatible endpoint (bedrock-mantle) takes ids without it
    (``openai.gpt-oss-120b`` for InvokeModel's ``openai.gpt-oss-120b-1:0``,
    https://docs.getbifrost.ai/providers/supported-providers/bedrock-mantle), for the same
    model on the same bill; Claude's without the release date too (`anthropic.claude-sonnet-4-5`,
    `us.anthropic.claude-sonnet-4-5`), matched to genai-prices' `regional.` entry (a bare id's
    or a geographic profile's) or its `global.` one. genai-prices matches the versioned id
    only: such a call was unpriced (unknown_model)."""
    if provider_id != "aws" or ":" in name:
        return None
    provider = next((p for p in snapshot.providers if p.id == provider_id), None)
    if provider is None:
        return None
    stem = name.lower()
    profile, _, rest = stem.partition(".")
    bare = rest if profile in _GEOGRAPHIES or profile == "us" else stem  # no geographic profile
    models = []
    for model in provider.models:
        model_id = model.id.lower()
        wanted = stem
        if model_id.startswith("regional."):  # a bare id's entry, and each geographic profile's
            model_id, wanted = model_id.removeprefix("regional."), bare
        if model_id.startswith(wanted) and _VERSION.fullmatch(model_id[len(wanted) :]):
            models.append(model)
    return (provider, models[0]) if len(models) == 1 else None


def acceptable(name: str, model: ModelInfo, provider_id: str) -> bool:
    """Whether ``model`` may price calls to ``name``: a fine-tuned name only by a fine-tuned
    entry (genai-prices matches ``ft:gpt-4-0613:…`` to GPT-4's base rates, Azure's
    ``contains o4-mini`` matches ``ft:o4-mini-…``), a model of its own kind
    (:data:`_OWN_KINDS`) only by an entry of that kind, and a Bedrock cross-region profile
    outside the US only by an entry for that geography (:func:`_bedrock_geography`)."""
    name = name.lower()
    if fine_tuned(name) and not fine_tuned(model.id.lower()):
        return False
    model_id = model.id.lower()
    for parts in _OWN_KINDS:
        if any(part in name for part in parts) and not any(part in model_id for part in parts):
            return False
    return provider_id != "aws" or _bedrock_geography(name, model)


# Name parts that make a model of its own kind, billed otherwise than the model whose name it
# extends, which genai-prices' loose clauses match: a Chat Completions search model
# (`gpt-4o-mini-search-preview` by `gpt-4o-mini`) bills a fee per search on every call
# (rules.OPENAI_SEARCH); a fast variant (`claude-opus-4-6-fast` by `claude-opus-4-6`) 2x to
# 6x the standard rates; a distilled open-weight model (`deepseek-r1-distill-qwen-32b` by
# DeepSeek's `deepseek-r1`, which DeepSeek's API does not serve) is another model.
_OWN_KINDS = (SEARCH_MODELS, ("fast",), ("distill",))


# Bedrock's cross-region inference profiles outside the US: ``eu.amazon.nova-pro-v1:0``.
_GEOGRAPHIES = frozenset({"eu", "apac", "jp", "au", "ca", "us-gov"})


def _bedrock_geography(name: str, model: ModelInfo) -> bool:
    """Bedrock bills a profile at the rates of its geography, which for many models are not
    the US rates genai-prices lists (Nova Pro: $0.80 / $3.20 in the US, $1.05 / $4.20 through
    ``eu.``, $0.84 / $3.36 through ``apac.``; Llama 3.2 3B $0.15, ``eu.`` $0.19; per
    https://aws.amazon.com/bedrock/pricing/ as LiteLLM 1.110.2's price map lists them). Such a
    name is priced only by an entry that names its geography or covers every region
    (genai-prices' ``regional.…`` Claude entries, whose rates are the same in every region)."""
    geography = name.split(".", 1)[0]
    if geography not in _GEOGRAPHIES:
        return True
    if model.id.lower().startswith("regional."):
        return True
    return _names_prefix(model.match, geography + ".")


def bedrock_profile_unknown(name: str, model: ModelInfo, provider: Provider) -> bool:
    """Whether ``name``, priced by genai-prices' ``regional.`` entry ``model``, is a bare
    Bedrock id (no ``global.`` or geographic profile) of a model whose ``global.`` profile
    costs less: Claude Sonnet 4.5 and later cost 10% more through a geographic profile than
    through ``global.`` (https://aws.amazon.com/bedrock/pricing/), and they are invoked through
    a profile only, so a bare id is a profile's id with its prefix dropped (OpenLLMetry reads
    ``global.anthropic.…`` as vendor ``global``, and drops ``us.``), which does not say which
    profile served the call. Its cost is unknown, not the in-region rate by guess."""
    model_id = model.id.lower()
    profile = name.lower().rsplit("/", 1)[-1].split(".", 1)[0]  # an ARN's or route's last part
    if not model_id.startswith("regional.") or profile in _PROFILES:
        return False
    global_id = "global." + model_id.removeprefix("regional.")
    sibling = next((m for m in provider.models if m.id.lower() == global_id), None)
    return sibling is not None and sibling.prices != model.prices


_PROFILES = _GEOGRAPHIES | {"us", "global", "regional"}  # regional.: genai-prices' own id


def _names_prefix(clause: MatchLogic, prefix: str) -> bool:
    if isinstance(clause, ClauseOr):
        return any(_names_prefix(item, prefix) for item in clause.or_)
    if isinstance(clause, ClauseEquals):
        return clause.equals.lower().startswith(prefix)
    if isinstance(clause, ClauseStartsWith):
        return clause.starts_with.lower().startswith(prefix)
    if isinstance(clause, ClauseContains):
        return clause.contains.lower().startswith(prefix)
    return False


def exact_model(provider: Provider, name: str, providers: list[Provider]) -> ModelInfo | None:
    """The model of ``provider`` (or of the providers it falls back to, as genai-prices
    looks them up) that lists ``name`` exactly. genai-prices takes the first model whose
    clause matches, so a loose clause (Azure's ``contains o4-mini``) prices a sibling the
    fallback lists by name (``o4-mini-deep-research``, $2/$8 rather than $1.10/$4.40)."""
    name = name.lower()
    chain = [provider] + [
        p for pid in provider.fallback_model_providers or () for p in providers if p.id == pid
    ]
    for candidate in chain:
        for model in candidate.models:
            if _lists(model.match, name):
                return model
    return None


def _lists(clause: MatchLogic, name: str) -> bool:
    if isinstance(clause, ClauseEquals):
        return clause.equals.lower() == name
    if isinstance(clause, ClauseOr):
        return any(_lists(item, name) for item in clause.or_)
    return False
