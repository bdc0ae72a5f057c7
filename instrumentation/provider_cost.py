"""What the provider or gateway says it charged for a call, as `tokentrace.usage.provider_cost`.

The processor stores it beside the cost it computes from the token counts, and it counts as the
call's cost (README "Provider-reported cost"). Only documented fields are read:

- OpenRouter: `usage.cost`, in credits (1 credit = 1 USD), in every response body and in the
  last SSE message of a stream: https://openrouter.ai/docs/use-cases/usage-accounting
- xAI: `usage.cost_in_usd_ticks`, an integer of 1e-10 USD, in chat completions and Responses API
  bodies: https://docs.x.ai/developers/cost-tracking
- Perplexity: `usage.cost.total_cost`, USD: in Sonar chat completions (tokens, the request fee
  its `search_context_size` sets, citation and reasoning tokens, search queries) and in the
  Agent API's Responses-format answers (model tokens at the provider's rates, cache, tool
  calls; `currency` "USD"): https://docs.perplexity.ai/getting-started/pricing ("Total cost per
  query = Token costs + Request fee"), https://docs.perplexity.ai/docs/agent-api ("See exact
  token counts and costs per request"); the fields as the perplexityai SDK types them
  (`UsageInfo.cost`, `ResponsesUsage.cost`)
- LiteLLM proxy: the `x-litellm-response-cost` response header, USD:
  https://docs.litellm.ai/docs/proxy/response_headers
- AI/ML API: the `x-aimlapi-usd-spent` response header, USD, on non-streaming JSON responses:
  https://docs.aimlapi.com/capabilities/request-tracing-and-cost

A header is taken for a non-streamed response only: it is sent before the body, so for a
stream the gateway cannot know yet what the stream will cost. The value is emitted as decimal
text, never re-rounded through a float, so the processor stores exactly what was reported.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .headers import Entries, entries

PROVIDER_COST = "tokentrace.usage.provider_cost"

COST_HEADERS = ("x-litellm-response-cost", "x-aimlapi-usd-spent")
COST_HEADER_NAMES = frozenset(name.encode() for name in COST_HEADERS)
"""`COST_HEADERS` as the lowercased raw names of `headers.entries`."""
_TICK_EXPONENT = -10  # xAI: 1 USD = 10^10 ticks


def from_usage(raw: dict[str, Any]) -> str | None:
    """The cost in a usage object (OpenRouter's `cost`, xAI's `cost_in_usd_ticks`, Perplexity's
    `cost.total_cost`), as text."""
    ticks = raw.get("cost_in_usd_ticks")
    if isinstance(ticks, int) and not isinstance(ticks, bool) and ticks >= 0:
        return str(Decimal(ticks).scaleb(_TICK_EXPONENT))
    cost = raw.get("cost")
    if isinstance(cost, dict) and cost.get("currency", "USD") == "USD":
        cost = cost.get("total_cost")  # Perplexity's breakdown, with its total
    if isinstance(cost, (int, float)) and not isinstance(cost, bool):
        # repr is the shortest text that reads back as the float: the decimal that was sent.
        return _amount(repr(cost))
    return None


def from_headers(headers: Any, found: Entries | None = None) -> str | None:
    """The cost a gateway put in a response header, as text; None without a valid one. The
    names are looked at first (`found`: the headers' `entries`, when the caller has them): most
    responses have neither header, and each `headers.get` decodes every header."""
    for _, name, _ in entries(headers) if found is None else found:
        if name in COST_HEADER_NAMES:
            break
    else:
        return None
    for name in COST_HEADERS:
        value = headers.get(name)
        if value:
            return _amount(value.strip())
    return None


def _amount(text: str) -> str | None:
    """`text` when it is a finite, non-negative amount of USD, else None."""
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return text if amount.is_finite() and amount >= 0 else None
