"""Which LLM provider a request goes to, from its URL, its API shape and its model.

In order (the first that answers wins):
1. `TOKENTRACE_PROVIDER_URLS`, the override: base URLs by prefix. An entry naming a provider
   whose own API has another shape than the request's is passed over here, so a gateway mapped
   as `openai=http://gw/v1,anthropic=http://gw` gets its `/v1/messages` calls right.
2. Known public API hosts, mapped to the OpenTelemetry GenAI provider names; then the API base
   URLs genai-prices publishes for the providers it prices (`model_owners.API_HOSTS`: Z.ai,
   Novita, Baseten, Hugging Face's router per provider, Azure API Management, …), so a call to
   a reseller is priced at the reseller's rates, not the model owner's.
3. A wire format only self-hosted servers speak (Ollama's native `/api/chat`, …) names its
   server whatever the model and host: a local `deepseek-r1:8b` is not DeepSeek's hosted
   model and must not get its price. Likewise a Vertex AI resource path
   (`…/projects/p/locations/l/publishers/…`) names `gcp.vertex_ai`, and an Azure OpenAI
   deployment path (`/openai/deployments/{name}/…`) `azure.ai.openai`, on any host (an API
   gateway such as Azure API Management, a private endpoint): their prices are the cloud's
   list, not always the model owner's, and a deployment's name need not be a model's; so does
   Azure's v1 path (`/openai/v1/…`) sent with Azure's `api-key` header. So
   does Amazon Bedrock's runtime path (`/model/{modelId}/invoke`, `/converse`…) on an AWS
   host, or on any host when the model has a Bedrock id's form (`anthropic.claude-…`,
   `us.amazon.nova-…`, an ARN): `aws.bedrock`; and, in any API shape, a model id of
   Bedrock's `{vendor}.{name}` form (`openai.gpt-oss-120b`: bedrock-mantle behind a proxy).
   A Cloudflare AI Gateway provider endpoint (`/v1/{account}/{gateway}/groq/…`) names the
   provider its segment does.
4. The model's owner (`model_owners`, generated from genai-prices): `claude-*` is `anthropic`
   on any host, so an unmapped gateway's calls are named and priced. A LiteLLM route prefix
   (`bedrock/…`, `vertex_ai/…`, `azure/…`: a LiteLLM proxy's model names) names who serves
   and bills the call, before the owner: `bedrock/anthropic.claude-…` is Bedrock's call, at
   Bedrock's rates, not Anthropic's. A vendor id (`openai/gpt-4o-mini`) is the vendor's
   when the bare name is its own model, except an open-weight one (`openai/gpt-oss-120b`).
5. A mapped entry passed over in 1.
6. A Hugging Face repository id of an open-weight model (`meta-llama/Llama-3.1-8B-Instruct`,
   `Qwen/Qwen2.5-7B-Instruct`: how vLLM and SGLang name the model they serve) is a
   self-hosted model's (`self_hosted`; `vllm` on loopback:8000), whatever its owner; but a
   reseller's own form of such an id, listed in the price data by exactly one provider
   (Together's `meta-llama/Llama-3.3-70B-Instruct-Turbo`), is that provider's, and one
   listed by several (`meta-llama/llama-3.1-8b-instruct`: Novita, OpenRouter) `unknown`
   (`reseller`).
   On a local model server's port on loopback, a reseller's form of an open-weight id
   (LM Studio's catalogue names its models so: `qwen/qwen3-8b`) is that server's model.
   Local model servers' default ports on loopback (8000 → `vllm`), only now: `gpt-4o-mini`
   through a local gateway on port 8000 is OpenAI's model, priced as such. On Ollama's port a
   tagged name (`deepseek-r1:8b`) is Ollama's before 4: a local model, not DeepSeek's; so is,
   on any host, a tag in Ollama's style (`:8b`, `:latest`, `:…q4_K_M`).
7. `unknown` (unpriced, but metered).
A request to an unknown host whose body names no model is not an LLM call (`None`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import bedrock_api
from .model_owners import API_HOSTS, LISTED_IDS, MODEL_NAMES, MODEL_PATTERNS, PROVIDER_PATTERNS

KNOWN_HOSTS: dict[str, str] = {
    "api.openai.com": "openai",
    "api.anthropic.com": "anthropic",
    "generativelanguage.googleapis.com": "gcp.gemini",
    "api.mistral.ai": "mistral_ai",
    "api.cohere.com": "cohere",
    "api.cohere.ai": "cohere",
    "api.deepseek.com": "deepseek",
    "api.groq.com": "groq",
    "api.x.ai": "x_ai",
    "api.perplexity.ai": "perplexity",
    "api.together.xyz": "together_ai",
    "api.together.ai": "together_ai",
    "openrouter.ai": "openrouter",
    "api.fireworks.ai": "fireworks_ai",
    "api.voyageai.com": "voyageai",
    "api.jina.ai": "jina_ai",
    "api.deepinfra.com": "deepinfra",
}
"""Exact API hosts. The names not in the GenAI registry (`together_ai`, `openrouter`,
`fireworks_ai`, `jina_ai`, `deepinfra`, `ollama`, `vllm`, `lmstudio`, `sglang`) follow its
style: the vendor's name in snake case; `voyageai` is genai-prices' id, which the processor
prices by. DeepInfra (`https://api.deepinfra.com/v1/openai`) serves Together's `-Turbo` ids
under the same names at its own rates, which genai-prices does not list: named, its calls
are stored unpriced, never at Together's rate (`reseller`)."""

HOST_SUFFIXES: tuple[tuple[str, str], ...] = (
    (".openai.azure.com", "azure.ai.openai"),
    (".cognitiveservices.azure.com", "azure.ai.openai"),
    (".services.ai.azure.com", "azure.ai.openai"),
    (".models.ai.azure.com", "azure.ai.inference"),
    # An Azure Machine Learning managed online endpoint (`{endpoint}.{region}.inference.ml.
    # azure.com`): a model the customer deployed on compute of their own, billed by the hour,
    # so self-hosted (the pricer's `SELF_HOSTED`), never at a per-token list.
    (".inference.ml.azure.com", "azure.ml"),
    ("aiplatform.googleapis.com", "gcp.vertex_ai"),
    # Bedrock's OpenAI- and Anthropic-compatible endpoint, `bedrock-mantle.{region}.api.aws`
    # (https://docs.aws.amazon.com/bedrock/latest/userguide/bedrock-mantle.html); only LLM
    # API paths ever reach this table, so no other AWS dual-stack host is named by it.
    (".api.aws", "aws.bedrock"),
)

AZURE_AI_INFERENCE = "azure.ai.inference"
_FOUNDRY_INFERENCE_PATHS = ("/models/", "/anthropic/")
"""A Microsoft Foundry resource (`{name}.services.ai.azure.com`, also reached as
`{name}.cognitiveservices.azure.com`) serves Azure OpenAI under `/openai/…` (`azure.ai.openai`),
the Azure AI Model Inference API for the other vendors' models under `/models/…`
(https://learn.microsoft.com/en-us/azure/ai-foundry/foundry-models/how-to/inference) and
Claude's Messages API under `/anthropic/v1/messages`
(https://platform.claude.com/docs/en/build-with-claude/claude-in-microsoft-foundry): those two
are `azure.ai.inference`, the name the extractor stores Foundry's Claude spans under (a
serverless endpoint, `{endpoint}.{region}.models.ai.azure.com`, is the same API)."""
_FOUNDRY_PROJECT = "/api/projects/"
"""A Foundry project's endpoint on its resource's host: `/api/projects/{project}/…` serves
the resource's APIs under their own paths."""

SELF_HOSTED_FAMILIES = frozenset({"ollama", "llama_cpp", "tgi", "tei", "sglang"})
"""API shapes (`Api.family`) only self-hosted model servers serve: the shape is the provider."""

LOCAL_PORTS: dict[int, str] = {
    11434: "ollama",
    8000: "vllm",
    1234: "lmstudio",
    30000: "sglang",
    8080: "llama_cpp",
}
"""Default ports of local model servers, recognised on loopback hosts only: Ollama's, vLLM's,
LM Studio's server's (`lms server start`, whose models are named as its catalogue does,
`qwen2.5-7b-instruct`, and were `unknown`), SGLang's (`sglang.launch_server`) and llama.cpp's
(`llama-server`, whose OpenAI-compatible chat names the model as the app does, a GGUF file's
alias such as `qwen2.5-7b-instruct-q4_k_m`, and was `unknown` or `self_hosted`). A model a
hosted provider sells (`gpt-4o-mini` through a local gateway on the same port) is still its
owner's: the port names only what no model does."""

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})

_VERTEX_PATH = re.compile(r"/projects/[^/]+/locations/[^/]+/(?:publishers|endpoints)/")
"""A Vertex AI model's resource path, or an endpoint's (the OpenAI-compatible
`endpoints/openapi/chat/completions`, a deployed model's `endpoints/{id}`): Vertex AI on any
host (a proxy, a private endpoint)."""

AZURE_PATH = "/openai/"
AZURE_KEY_HEADER = "api-key"
"""Azure OpenAI's v1 API (`/openai/v1/chat/completions`, `/openai/v1/responses`…) behind a
custom domain or an API gateway (Azure API Management) has no deployment in its path, and
Groq's API (`/openai/v1/…`) has the same: Azure's credential header, `api-key` (`AzureOpenAI`
sends it; APIM's policies read it), tells them apart. Its presence is read, never its value
(the key is only ever fingerprinted, `api_keys`)."""

_CLOUDFLARE_PROVIDERS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "groq": "groq",
    "mistral": "mistral_ai",
    "deepseek": "deepseek",
    "perplexity-ai": "perplexity",
    "grok": "x_ai",
    "cerebras": "cerebras",
    "google-ai-studio": "gcp.gemini",
    "azure-openai": "azure.ai.openai",
    "cohere": "cohere",
    "openrouter": "openrouter",
    "workers-ai": "cloudflare",
}
_CLOUDFLARE_PATH = re.compile(
    r"/v1/[^/]+/[^/]+/(" + "|".join(map(re.escape, _CLOUDFLARE_PROVIDERS)) + ")/"
)
"""Cloudflare AI Gateway's provider-specific endpoints, `/v1/{account}/{gateway}/{provider}/…`
(https://developers.cloudflare.com/ai-gateway/usage/providers/), on any host (a custom domain,
a proxy): the segment names who serves and bills the call, whatever the model (`groq/` with
`llama-3.3-70b-versatile`, a name only Groq's price list has, was `unknown` and unpriced).
(`google-vertex-ai/` paths are Vertex AI's resource paths, `aws-bedrock/` Bedrock's.)"""

_OLLAMA_TAG = re.compile(r"(?!ft:)[\w./-]+:[\w.-]+\Z")
"""An Ollama model tag (`deepseek-r1:8b`, `llama3.2:latest`): on Ollama's port such a name is a
local model even when a hosted provider owns its stem, so it is never priced as the hosted one
(OpenAI fine-tunes, `ft:…:org::id`, have more colons and are excluded)."""

_BEDROCK_ID = re.compile(
    r"(?:(?:us|eu|apac|jp|au|ca|us-gov|global|in)\.)?"
    r"(?:ai21|amazon|anthropic|cohere|deepseek|google|luma|meta|minimax|mistral|moonshot|"
    r"moonshotai|nvidia|openai|qwen|stability|twelvelabs|writer|zai)\.[a-z0-9]",
    re.IGNORECASE,
)
"""A Bedrock model id (`openai.gpt-oss-120b`, `us.anthropic.claude-…`), as Bedrock's
OpenAI- and Anthropic-compatible endpoint (bedrock-mantle) takes it: no other API names a
model `{vendor}.{name}`, so such a call behind a proxy is Bedrock's, at Bedrock's rates (a
Claude one was Anthropic's)."""

_OLLAMA_SIZE_TAG = re.compile(
    r"(?!ft:)[\w./-]+:(?:latest|\d+(?:\.\d+)?[bmk](?![a-z])[\w.-]*|[\w.-]*q\d[\w.-]*)\Z",
    re.IGNORECASE,
)
"""An Ollama model tag naming a size, `latest` or a quantisation (`deepseek-r1:8b`,
`gpt-oss:20b`, `llama3.2:latest`, `qwen2.5:7b-instruct-q4_K_M`): Ollama's naming, on any host
and port (a GPU box, a container's mapped port), through its OpenAI-compatible `/v1` as
through its native API. `deepseek-r1:8b` on another host than loopback:11434 was DeepSeek's
hosted reasoner, priced at its rates."""

UNKNOWN = "unknown"
MISTRAL_AGENTS_PATH = "/v1/agents/completions"
"""Mistral's Agents API (https://docs.mistral.ai/api/#tag/agents): a chat completion whose
body names an `agent_id`, no model, so on an unmapped host it went unmetered; the path is
Mistral's alone, and the answer names the model the agent runs, which prices the call."""
USAGE_UNASKED = frozenset({"mistral_ai", "cerebras"})
"""Providers whose OpenAI-shaped streams report usage in their last chunk unasked:
`TOKENTRACE_STREAM_USAGE=inject` leaves their requests as the application built them and their
answers as sent. Mistral's API refuses `stream_options` (422 `extra_forbidden`, "Extra inputs
are not permitted": its chat, FIM and Agents completions;
https://github.com/openai/openai-agents-python/issues/442,
https://github.com/TabbyML/tabby/pull/4082), so injecting failed every streamed call.
Cerebras's takes it and answers the same either way, usage on the chunk with the finish reason
(recordings of api.cerebras.ai with and without it: llamastack/llama-stack's
tests/integration/recordings/responses/eefb4206a4a9.json, charmbracelet/fantasy's
providertests/testdata/TestCerebrasCommon), so injecting only rewrote the request and the
stream for nothing."""
SELF_HOSTED = "self_hosted"
"""A call to a server that serves one model of its own (it took a call naming none)."""

SHAPES: dict[str, frozenset[str]] = {
    "openai": frozenset({"openai"}),
    "azure.ai.openai": frozenset({"openai"}),
    AZURE_AI_INFERENCE: frozenset({"openai", "anthropic"}),
    "anthropic": frozenset({"anthropic"}),
    "gcp.gemini": frozenset({"gemini", "openai"}),
    "gcp.vertex_ai": frozenset({"gemini", "openai", "anthropic"}),
    "cohere": frozenset({"cohere", "openai"}),
    "aws.bedrock": frozenset({"bedrock"}),
}
"""The API shapes (`Api.family`) each provider serves; providers not listed (gateways,
OpenAI-compatible hosts, custom names) are taken to serve any."""
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class MappedUrl:
    """One `provider=base_url` entry of `TOKENTRACE_PROVIDER_URLS`."""

    provider: str
    scheme: str
    host: str
    port: int
    path: str

    def matches(self, scheme: str, host: str, port: int, path: str) -> bool:
        return (
            host == self.host
            and port == self.port
            and scheme == self.scheme
            and path.startswith(self.path)
        )


SELLERS = frozenset(
    [*KNOWN_HOSTS.values(), *(name for _, name in HOST_SUFFIXES), *_CLOUDFLARE_PROVIDERS.values()]
)
"""The providers named by their API's host or gateway path: each bills its calls at its own
prices, so one whose list genai-prices lacks (`deepinfra`, `jina_ai`) is unpriced, never
priced at the model owner's rates (the pricer's `_sets_own_prices`)."""


def parse_provider_urls(text: str) -> tuple[MappedUrl, ...]:
    """Parses `openai=http://host:port/v1,anthropic=http://other`; bad entries raise ValueError."""
    entries = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        provider, sep, url = item.partition("=")
        try:  # urlsplit and .port raise on a broken address ("http://[::1", ":99999")
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            parts, port = None, None
        if (
            parts is None
            or not sep
            or not provider.strip()
            or parts.scheme not in _DEFAULT_PORTS
            or not parts.hostname
        ):
            raise ValueError(
                f"not a provider=base_url entry: {item!r} (e.g. openai=http://gateway:8080/v1)"
            )
        entries.append(
            MappedUrl(
                provider=provider.strip(),
                scheme=parts.scheme,
                host=parts.hostname.lower(),
                port=port or _DEFAULT_PORTS[parts.scheme],
                path=parts.path.rstrip("/"),
            )
        )
    # Longest prefix first, so `http://h/v1/special` beats `http://h/v1`.
    return tuple(sorted(entries, key=lambda entry: len(entry.path), reverse=True))


def provider_for(
    mapped: tuple[MappedUrl, ...],
    scheme: str,
    host: str,
    port: int | None,
    path: str,
    family: str = "openai",
    model: str | None = None,
    azure_key: bool = False,
) -> str | None:
    """The provider of a request (see the module docstring for the order); None when the host
    is neither mapped nor known and no model is named: then it is not an LLM call.
    `azure_key`: the request carries an `api-key` header (`AZURE_KEY_HEADER`)."""
    port = port or _DEFAULT_PORTS.get(scheme, 0)
    passed_over = None
    for entry in mapped:
        if entry.matches(scheme, host, port, path):
            shapes = SHAPES.get(entry.provider)
            if shapes is None or family in shapes:
                return entry.provider
            passed_over = passed_over or entry.provider
    provider = host_provider(host, path) or api_host(host, port, path)
    if provider is not None:
        return provider
    if host == _HF_ROUTER and model is not None:
        provider = _HF_PROVIDERS.get(model.rpartition(":")[2])
        if provider is not None:
            return provider
    if family in SELF_HOSTED_FAMILIES:
        return family
    cloud = cloud_path(path)
    if cloud is not None:
        return cloud
    if azure_key and AZURE_PATH in path:
        return "azure.ai.openai"
    gateway = _CLOUDFLARE_PATH.match(path)
    if gateway is not None:
        return _CLOUDFLARE_PROVIDERS[gateway.group(1)]
    if family == bedrock_api.FAMILY:
        if host.endswith(".amazonaws.com") or bedrock_api.bedrock_model(model):
            return bedrock_api.PROVIDER
        return passed_over
    local = LOCAL_PORTS.get(port) if host in LOOPBACK else None
    if model is None:
        if path.endswith(MISTRAL_AGENTS_PATH):
            return passed_over or "mistral_ai"
        return passed_over or local
    if _BEDROCK_ID.match(model):
        return bedrock_api.PROVIDER
    if _OLLAMA_SIZE_TAG.match(model):
        return local or "ollama"  # a self-hosted model: vLLM's on its port, else Ollama's
    if local == "ollama" and _OLLAMA_TAG.match(model):
        return local
    if hugging_face_id(model):
        # vLLM's and SGLang's names; llama.cpp's port (8080) is any server's too
        local = local if local != "llama_cpp" else None
        return passed_over or local or reseller(model) or SELF_HOSTED
    if local is not None and reseller(model) is not None:
        # LM Studio names what it serves as its catalogue does, in resellers' lowercase form
        # (`qwen/qwen3-8b`, https://lmstudio.ai/models/qwen/qwen3-8b; OpenRouter's id too):
        # on a local server's port it is that server's model, never a reseller's call
        return passed_over or (local if local != "llama_cpp" else SELF_HOSTED)
    if model.lower().startswith(_OPEN_WEIGHTS):
        # `gemma-3-27b-it` names Google's free Gemini API model and LM Studio's or vLLM's
        # local copy alike: on a host that is not Google's, the host's (its port's), never
        # the Gemini API's $0
        return passed_over or local or UNKNOWN
    return model_owner(model) or passed_over or local or UNKNOWN


HF_ORGS = frozenset(
    {
        "meta-llama",
        "Qwen",
        "mistralai",
        "deepseek-ai",
        "microsoft",
        "moonshotai",
        "zai-org",
        "THUDM",
        "NousResearch",
        "nvidia",
        "ibm-granite",
        "HuggingFaceTB",
        "HuggingFaceH4",
        "allenai",
        "tiiuae",
        "01-ai",
        "CohereLabs",
        "CohereForAI",
        "bigcode",
        "Salesforce",
        "BAAI",
        "intfloat",
        "sentence-transformers",
        "nomic-ai",
        "mixedbread-ai",
        "Alibaba-NLP",
        "unsloth",
        "RedHatAI",
        "neuralmagic",
        "TheBloke",
        "bartowski",
        "lmstudio-community",
        "mlx-community",
        "openbmb",
        "internlm",
        "baichuan-inc",
        "MiniMaxAI",
        "stepfun-ai",
        "LiquidAI",
        "arcee-ai",
        "swiss-ai",
        "upstage",
        "Snowflake",
    }
)
"""Hugging Face organisations of open-weight models, spelt as Hugging Face does (`Qwen`, where
OpenRouter's ids say `qwen`). vLLM and SGLang name the model they serve by its repository id
(`meta-llama/Llama-3.1-8B-Instruct`, `Qwen/Qwen2.5-7B-Instruct`) on any port: such a call to a
host that is neither known nor mapped is a self-hosted model's, not `unknown`, nor the
vendor's hosted API (`deepseek-ai/DeepSeek-V3` was DeepSeek's, at its API's rates). Hosts
that serve these names and bill them (Together, DeepInfra, Hugging Face's router) are known
hosts, answered before."""


def hugging_face_id(model: str) -> bool:
    """Whether `model` is a Hugging Face repository id of an open-weight model: an `HF_ORGS`
    organisation, or `google/gemma-…` and `openai/gpt-oss-…` (`_OPEN_WEIGHTS`)."""
    org, slash, name = model.partition("/")
    if not slash or not name or "/" in name:
        return False
    return org in HF_ORGS or (org in ("google", "openai") and name.startswith(_OPEN_WEIGHTS))


_HUB_LOWERCASE = frozenset(
    {"microsoft/phi-2", "microsoft/phi-4", "deepseek-ai/deepseek-coder-33b-instruct"}
)
"""Hub repo ids spelt in lowercase on the Hub itself (https://huggingface.co/microsoft/phi-4,
…), as are all of `ibm-granite`'s: a reseller lists them too, but vLLM names its model so."""
_RESELLER_SUFFIXES = ("-Turbo", "-Lite")
"""Together's serving variants of a model (`meta-llama/Llama-3.3-70B-Instruct-Turbo`, its
quantised endpoints, https://docs.together.ai/docs/serverless-models): no Hub repository is
named so."""


def reseller(model: str) -> str | None:
    """The provider that sells an `{organisation}/{name}` id in its own form, or None (the
    Hub's id, anyone's). Resellers' forms are OpenRouter's and Novita's lowercase ids
    (`meta-llama/llama-3.1-8b-instruct`, and under organisations the Hub spells otherwise or
    lacks: `qwen/qwen3-235b-a22b`, `deepseek/deepseek-r1`, `z-ai/glm-4.6`) and Together's
    `-Turbo`/`-Lite` variants; an id the price data lists exactly under one provider
    (`LISTED_IDS`) is that provider's, priced at its rates. One listed under several
    (`meta-llama/llama-3.1-8b-instruct`: Novita and OpenRouter) could be any of them:
    `unknown`, unpriced, never one seller's price by guess. A Hub repo id
    (`meta-llama/Llama-3.1-8B-Instruct`, which Hugging Face's router lists and so
    `LISTED_IDS` leaves out; `mistralai/Mixtral-8x7B-Instruct-v0.1`, not in a reseller's
    form) and the vendors' open weights (`_OPEN_WEIGHTS`) stay the host's."""
    sellers = LISTED_IDS.get(model)
    if sellers is None:
        return None
    org, _, name = model.partition("/")
    if org in ("google", "openai", "ibm-granite") or model in _HUB_LOWERCASE:
        return None
    if name != name.lower() and not name.endswith(_RESELLER_SUFFIXES):
        return None
    return sellers[0] if len(sellers) == 1 else UNKNOWN


def cloud_path(path: str) -> str | None:
    """The cloud whose resource path a URL's path is, on any host: a Vertex AI model's or
    endpoint's (`_VERTEX_PATH`), an Azure OpenAI deployment's (`/openai/deployments/{name}/`).
    The one definition, for the instrumentation's requests and for other sources' spans that
    record their endpoint (`processor.extract.sources.cloud_provider`)."""
    if _VERTEX_PATH.search(path):
        return "gcp.vertex_ai"
    if "/openai/deployments/" in path:
        return "azure.ai.openai"
    return None


def known_host(host: str) -> str | None:
    """The provider of a public API host, or None."""
    provider = KNOWN_HOSTS.get(host)
    if provider is not None:
        return provider
    for suffix, name in HOST_SUFFIXES:
        if host.endswith(suffix):
            return name
    return None


def host_provider(host: str, path: str) -> str | None:
    """`known_host`, with a Foundry resource's `/models/…` and `/anthropic/…` calls named
    `azure.ai.inference` (`_FOUNDRY_INFERENCE_PATHS`), its other calls Azure OpenAI's; a
    Foundry project's endpoint (`/api/projects/{project}/models/…`, as the project client's
    inference clients send) is the resource's."""
    provider = known_host(host)
    if provider == "azure.ai.openai":
        if path.startswith(_FOUNDRY_PROJECT):
            path = "/" + path[len(_FOUNDRY_PROJECT) :].partition("/")[2]
        if path.startswith(_FOUNDRY_INFERENCE_PATHS):
            return AZURE_AI_INFERENCE
    return provider


_API_HOSTS = tuple((re.compile(pattern), provider) for pattern, provider in API_HOSTS)

_HF_ROUTER = "router.huggingface.co"
_HF_PROVIDERS = {
    provider.removeprefix("huggingface_"): provider
    for _, provider in API_HOSTS
    if provider.startswith("huggingface_")
}
"""Hugging Face's router serves each inference provider under its own base URL
(`router.huggingface.co/cerebras/…`, in `API_HOSTS`) and all of them under `/v1`, where the
model names the provider after a colon (`meta-llama/Llama-3.1-8B-Instruct:cerebras`,
https://huggingface.co/docs/inference-providers): the router bills that provider's rates. A
name without one (or `:fastest`, `:cheapest`) leaves the provider to the router."""


def api_host(host: str, port: int, path: str) -> str | None:
    """The provider whose published API base URL the request's URL starts with, or None.
    The URL is matched as `https` on its default port whatever its scheme, as `KNOWN_HOSTS`
    is by host alone (a plain-HTTP proxy sees `http://api.z.ai/…`). Runs once per route
    (`routing` caches routes), so trying every pattern costs nothing per call."""
    netloc = host if port in (80, 443) else f"{host}:{port}"
    url = f"https://{netloc}{path}"
    for pattern, provider in _API_HOSTS:
        if pattern.match(url):
            return provider
    return None


_owners: dict[str, str | None] = {}
_OWNERS_CACHED = 4096
_COMPILED = {
    pattern: re.compile(pattern)
    for _, kind, pattern in PROVIDER_PATTERNS + MODEL_PATTERNS
    if kind == "regex"
}


def model_owner(model: str) -> str | None:
    """The provider that owns a model name, as genai-prices matches it; cached per name (an
    app uses a handful of models, and a full match tries a few hundred patterns)."""
    try:
        return _owners[model]
    except KeyError:
        pass
    owner = _match(model)
    if len(_owners) >= _OWNERS_CACHED:
        _owners.clear()
    _owners[model] = owner
    return owner


ROUTES: dict[str, str] = {
    "bedrock": "aws.bedrock",
    "bedrock_converse": "aws.bedrock",
    "vertex_ai": "gcp.vertex_ai",
    "vertex_ai_beta": "gcp.vertex_ai",
    "gemini": "gcp.gemini",
    "azure": "azure.ai.openai",
    "azure_ai": "azure.ai.openai",
    "groq": "groq",
    "together_ai": "together_ai",
    "fireworks_ai": "fireworks_ai",
    "xai": "x_ai",
    "mistral": "mistral_ai",
    # Cloudflare AI Gateway's `{provider}/{model}` names on its OpenAI-compatible endpoint
    # (`…/compat/chat/completions`, https://developers.cloudflare.com/ai-gateway/usage/chat-completion/)
    "google-ai-studio": "gcp.gemini",
    "google-vertex-ai": "gcp.vertex_ai",
    "workers-ai": "cloudflare",
    "azure-openai": "azure.ai.openai",
    "aws-bedrock": "aws.bedrock",
    "perplexity-ai": "perplexity",
    "grok": "x_ai",
}
"""LiteLLM's provider routes and Cloudflare AI Gateway's provider names that name another
provider than the model's owner would (https://docs.litellm.ai/docs/providers); `openai/…`,
`anthropic/…`, `deepseek/deepseek-chat` and the like name the owner already (but
`deepseek/deepseek-r1`, OpenRouter's and Novita's own id, is theirs: `reseller`)."""


VENDORS = {"openai": "openai", "anthropic": "anthropic", "google": "gcp.gemini", "x-ai": "x_ai"}
"""Gateways' vendor prefixes (OpenRouter's ids, Vercel AI Gateway's, a LiteLLM proxy's
`openai/gpt-4o-mini`) of the vendors whose API models run only at the vendor or at clouds
that charge its rates (as `processor/pricing/names.PASS_THROUGH`)."""
_GROQ_IDS = re.compile(
    r"^(?:llama-3\.[0-9]+-[0-9]+b-(?:versatile|instant|specdec)|llama[23]-[0-9]+b-(?:4096|8192)"
    r"|llama3-groq-.+-tool-use-preview|mixtral-8x7b-32768)$"
)
"""Model ids only Groq names so (its speed tiers and context sizes in the name:
`llama-3.3-70b-versatile`, `llama-3.1-8b-instant`, `llama3-70b-8192`, `mixtral-8x7b-32768`,
as its price list has them, https://console.groq.com/docs/models): Groq's calls behind any
gateway, which genai-prices' owners (Groq owns no model there) leave `unknown` and unpriced."""
_COHERE_IDS = re.compile(r"^(?:embed|rerank)-(?:english|multilingual|v[0-9])")
"""Cohere's embedding and rerank model ids (`embed-english-v3.0`, `embed-multilingual-light-
v3.0`, `rerank-v3.5`, `rerank-english-v3.0`, https://docs.cohere.com/docs/models), of which
genai-prices lists `embed-v4.0` alone: their calls at a gateway were provider `unknown`.
Voyage's `rerank-2.5` and `rerank-lite-1` stay Voyage's (no letter `v` before the number)."""
_OPEN_WEIGHTS = ("gpt-oss", "gemma")
"""Those vendors' open-weight families, published on Hugging Face under the same prefix
(`openai/gpt-oss-120b`, `google/gemma-3-27b-it`) and served by anyone: vLLM names a local
model so. Such a name is left to the host, never the vendor's hosted call."""
UNSOLD_OPEN_WEIGHTS = ("gpt-oss",)
"""Open-weight families their vendor's own API does not sell: OpenAI's price list has no
`gpt-oss-120b`, which Cerebras, Fireworks, Groq and others sell at their own rates and vLLM
or LM Studio serve locally; its bare name matched OpenAI's `gpt-` pattern and was priced as
OpenAI's call. On an unknown host it is no one's (`unknown`), on a local server's port that
server's."""


def _match(model: str) -> str | None:
    lower = model.lower()
    route, slash, rest = lower.partition("/")
    if slash and route.startswith("@"):
        # Portkey's Model Catalog names `@{the app's provider slug}/{model}`
        # (`@openai-prod/gpt-4o-mini`): the slug is the user's own name, the model says whose
        return _match(model[len(route) + 1 :])
    if slash and route in ROUTES:
        return ROUTES[route]
    if slash and route in _HF_PROVIDERS and "/" in rest:
        # LiteLLM's `huggingface/{provider}/{hub id}` with an `api_base` of the app's own
        # sends `together/deepseek-ai/DeepSeek-R1`: Hugging Face's inference provider, billed
        # at its rates there (`groq/…` is LiteLLM's own Groq route, above)
        return _HF_PROVIDERS[route]
    if slash:
        # a reseller's own id (OpenRouter's `qwen/qwen3-235b-a22b`, `deepseek/deepseek-r1`),
        # before its owner (`deepseek…` is DeepSeek's): one seller's, or no one's when several
        # sell it (the pricer's `several_providers`), never the owner's API rates
        seller = reseller(model)
        if seller is not None:
            return None if seller == UNKNOWN else seller
    if lower.startswith(UNSOLD_OPEN_WEIGHTS):
        return None
    owner = _owner(model, lower)
    if owner is None and _GROQ_IDS.search(lower):
        return "groq"
    if owner is None and _COHERE_IDS.search(lower):
        return "cohere"
    vendor = VENDORS.get(route) if slash else None
    if owner is None and vendor is not None and not rest.startswith(_OPEN_WEIGHTS):
        # `openai/gpt-4o-mini` is the vendor's when the bare name is its own model
        owner = _owner(model[len(route) + 1 :], rest)
        if owner != vendor:
            owner = None
    return owner


def _owner(model: str, lower: str) -> str | None:
    for provider, kind, pattern in PROVIDER_PATTERNS:
        if _matches(kind, pattern, model, lower):
            return provider
    owner = MODEL_NAMES.get(lower)
    if owner is not None:
        return owner
    for provider, kind, pattern in MODEL_PATTERNS:
        if _matches(kind, pattern, model, lower):
            return provider
    return None


def _matches(kind: str, pattern: str, model: str, lower: str) -> bool:
    if kind == "starts_with":
        return lower.startswith(pattern)
    if kind == "contains":
        return pattern in lower
    if kind == "equals":
        return lower == pattern
    if kind == "ends_with":
        return lower.endswith(pattern)
    return _COMPILED[pattern].search(model) is not None
