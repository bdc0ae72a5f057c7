"""Generates `tokentrace/instrumentation/model_owners.py`: which provider a model name belongs to.

The instrumentation must name the provider of a call sent to a host it does not know (a
gateway, a proxy) from the model alone, but it is the light core and cannot depend on
genai-prices. genai-prices knows the owner of a model: a provider's `model_match` (what
`find_provider` uses) and its models' own `match` clauses. This script flattens them, for the
providers that own models (those with a `model_match`; resellers such as Azure, Bedrock or
OpenRouter have none), into plain tuples. Run it after bumping the pinned genai-prices:

    python -m tokentrace.processor.pricing.model_owners && ruff format instrumentation

`tests/instrumentation/test_model_owners.py` fails while the committed table is stale.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import genai_prices
from genai_prices import data_snapshot
from genai_prices import types as gp

from tokentrace.instrumentation.providers import VENDORS, hugging_face_id
from tokentrace.processor.pricing.overrides import load_overrides
from tokentrace.processor.pricing.pricer import CORRECTIONS_FILE, PROVIDER_IDS

TARGET = Path(__file__).resolve().parents[2] / "instrumentation" / "model_owners.py"

# genai-prices provider id → `gen_ai.provider.name`: the first OpenTelemetry name that maps to
# it in the pricer (so the pricer maps each back to the same id); other ids are kept as they are.
_OTEL_NAMES: dict[str, str] = {}
for _name, _id in PROVIDER_IDS.items():
    _OTEL_NAMES.setdefault(_id, _name)

_KINDS: dict[type, tuple[str, str]] = {
    gp.ClauseStartsWith: ("starts_with", "starts_with"),
    gp.ClauseEndsWith: ("ends_with", "ends_with"),
    gp.ClauseContains: ("contains", "contains"),
    gp.ClauseRegex: ("regex", "regex"),
}


def _flatten(clause: object) -> list[object]:
    """The alternatives of a clause; `and` clauses are left out (three Gemini models use
    one, and `model_match` "contains gemini" already names their owner)."""
    if isinstance(clause, gp.ClauseOr):
        return [leaf for item in clause.or_ for leaf in _flatten(item)]
    if isinstance(clause, gp.ClauseAnd):
        return []
    return [clause]


def api_hosts() -> list[tuple[str, str]]:
    """(`api_pattern`, OTel provider) for every provider that publishes its API's base URL, in
    genai-prices' order: the provider of a request to a host tokentrace has no name for."""
    return [
        (provider.api_pattern, _OTEL_NAMES.get(provider.id, provider.id))
        for provider in data_snapshot.get_snapshot().providers
        if provider.api_pattern
    ]


def listed_ids() -> dict[str, tuple[str, ...]]:
    """Model ids of the `{organisation}/{name}` form that resellers list exactly, as spelt
    (OpenRouter's `meta-llama/llama-3.1-8b-instruct` and `qwen/qwen3-235b-a22b`, Together's
    `meta-llama/Llama-3.3-70B-Instruct-Turbo`), with the OTel providers that list each.
    Hugging Face's router lists models by their Hub repository id: an id it lists is the
    Hub's, anyone's (vLLM names its model so), and left out. So are the ids `_resold` leaves
    to the vendor (`openai/gpt-4o-mini`, LiteLLM's `deepseek/deepseek-chat`)."""
    snapshot = data_snapshot.get_snapshot()
    own = {provider.id: {model.id for model in provider.models} for provider in snapshot.providers}
    hub: set[str] = set()
    sellers: dict[str, set[str]] = {}
    for provider in snapshot.providers:
        router = provider.id.startswith("huggingface_")
        for model in provider.models:
            ids = {model.id}
            ids.update(c.equals for c in _flatten(model.match) if isinstance(c, gp.ClauseEquals))
            if router:
                hub.add(model.id)  # its `match` also takes resellers' lowercase forms
                continue
            for model_id in ids:
                if hugging_face_id(model_id) or _resold(model_id, own):
                    otel = _OTEL_NAMES.get(provider.id, provider.id)
                    sellers.setdefault(model_id, set()).add(otel)
    return {
        model_id: tuple(sorted(owners))
        for model_id, owners in sorted(sellers.items())
        if model_id not in hub
    }


def _resold(model_id: str, own: dict[str, set[str]]) -> bool:
    """Whether an `{organisation}/{name}` id outside Hugging Face's organisations is a
    reseller's own id (OpenRouter's `qwen/…`, `z-ai/…`, `deepseek/deepseek-chat-v3-0324`).
    Not: a pass-through vendor's (`providers.VENDORS`: `openai/…`, `x-ai/…`, also OpenRouter's
    `~openai/…` aliases), whose models cost the vendor's rates wherever sold; nor an id naming
    the organisation's own API model (`deepseek/deepseek-chat`: LiteLLM's route to DeepSeek's
    API, https://docs.litellm.ai/docs/providers/deepseek), which is the owner's."""
    org, slash, name = model_id.partition("/")
    if not slash or not name or "/" in name:
        return False
    org = org.removeprefix("~")
    return org not in VENDORS and name not in own.get(org, ())


def tables() -> tuple[list[tuple[str, str, str]], dict[str, str], list[tuple[str, str, str]]]:
    """(provider patterns, exact model names, model patterns), each naming the OTel provider."""
    provider_patterns: list[tuple[str, str, str]] = []
    names: dict[str, str] = {}
    model_patterns: list[tuple[str, str, str]] = []
    for provider in data_snapshot.get_snapshot().providers:
        if provider.model_match is None:
            continue
        otel = _OTEL_NAMES.get(provider.id, provider.id)
        for clause in _flatten(provider.model_match):
            _add(provider_patterns, _pattern(otel, clause))
        for model in provider.models:
            for clause in _flatten(model.match):
                if isinstance(clause, gp.ClauseEquals):
                    names.setdefault(clause.equals.lower(), otel)
                else:
                    _add(model_patterns, _pattern(otel, clause))
    owners = {
        provider.id: _OTEL_NAMES.get(provider.id, provider.id)
        for provider in data_snapshot.get_snapshot().providers
        if provider.model_match is not None
    }
    for entry in load_overrides(CORRECTIONS_FILE, sourced=True).entries:
        # models genai-prices lacks and tokentrace's corrections price for their owner
        # (DALL·E at OpenAI, Imagen at Google, Voyage's rerank-2.5): without them a call
        # through a gateway has no provider and stays unpriced though its price is known
        named = any(_named(pattern, entry.model) for pattern in provider_patterns)
        if entry.provider in owners and not entry.prefix and not named:
            names.setdefault(entry.model, owners[entry.provider])
    return provider_patterns, names, model_patterns


def _named(pattern: tuple[str, str, str], model: str) -> bool:
    """Whether a provider pattern already names the owner of a lower-cased model name (Vertex's
    `claude-3-5-haiku@20241022`, corrected under Google's id, is Anthropic's by `claude`)."""
    _, kind, value = pattern
    if kind == "regex":
        return re.search(value, model) is not None
    return {
        "starts_with": model.startswith,
        "ends_with": model.endswith,
        "contains": model.__contains__,
        "equals": model.__eq__,
    }[kind](value)


def _add(patterns: list[tuple[str, str, str]], pattern: tuple[str, str, str]) -> None:
    if pattern not in patterns:
        patterns.append(pattern)


def _pattern(provider: str, clause: object) -> tuple[str, str, str]:
    if isinstance(clause, gp.ClauseEquals):
        return provider, "equals", clause.equals.lower()
    kind, field = _KINDS[type(clause)]
    value = getattr(clause, field)
    return provider, kind, value if kind == "regex" else value.lower()


def render() -> str:
    provider_patterns, names, model_patterns = tables()
    lines = [
        f'"""Which provider owns a model name: generated from genai-prices '
        f"{genai_prices.__version__} by",
        "`python -m tokentrace.processor.pricing.model_owners`; do not edit by hand.",
        "",
        "Matched as genai-prices matches (case-insensitive except regexes): `PROVIDER_PATTERNS`",
        "first, in order (genai-prices' own `find_provider`), then `MODEL_NAMES`, then",
        "`MODEL_PATTERNS`. `API_HOSTS`: each provider's API base URL pattern, matched at the",
        "start of `https://host[:port]/path`, whatever the scheme (`providers.api_host`).",
        "`LISTED_IDS`: `{organisation}/{name}` ids that resellers list exactly,",
        'with the providers listing each (`providers.reseller`)."""',
        "",
        "PROVIDER_PATTERNS: tuple[tuple[str, str, str], ...] = (",
        *(f"    {entry!r}," for entry in provider_patterns),
        ")",
        "MODEL_NAMES: dict[str, str] = {",
        *(f"    {name!r}: {owner!r}," for name, owner in sorted(names.items())),
        "}",
        "MODEL_PATTERNS: tuple[tuple[str, str, str], ...] = (",
        *(f"    {entry!r}," for entry in model_patterns),
        ")",
        "LISTED_IDS: dict[str, tuple[str, ...]] = {",
        *(f"    {name!r}: {owners!r}," for name, owners in listed_ids().items()),
        "}",
        "API_HOSTS: tuple[tuple[str, str], ...] = (",
        *(f"    {entry!r}," for entry in api_hosts()),
        ")",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    TARGET.write_text(render())
    sys.stdout.write(f"wrote {TARGET}\n")


if __name__ == "__main__":
    main()
