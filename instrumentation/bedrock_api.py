"""Amazon Bedrock's runtime API: InvokeModel and Converse, plain and streamed.

`POST /model/{modelId}/invoke` (`/invoke-with-response-stream`) takes and answers the model's
own body: for Claude, the Anthropic Messages API (the anthropic SDK's `AnthropicBedrock`),
whose usage EXCLUDES the cache (`anthropic_api`). `POST /model/{modelId}/converse`
(`/converse-stream`) is Bedrock's own format for every model (LiteLLM, botocore), with
`usage: {inputTokens, outputTokens, totalTokens, cacheReadInputTokens,
cacheWriteInputTokens}`, where `inputTokens` EXCLUDES the cache too (`totalTokens` is their
sum with the output; https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html).
Amazon Nova's invoke body has the same shape, with `cacheReadInputTokenCount` and
`cacheWriteInputTokenCount`. Streams are AWS event-stream framing (`eventstream`); ConverseStream
sends its usage in the `metadata` event, and an invoke stream's last chunk carries
`amazon-bedrock-invocationMetrics` (`inputTokenCount`, `outputTokenCount`,
`cacheReadInputTokenCount`, `cacheWriteInputTokenCount`) whatever the model, read when the
model's own events had no usage; a plain InvokeModel answer names its counts in
`x-amzn-bedrock-input-token-count` / `-output-token-count` headers, read when its body has no
usage (Meta Llama's, Mistral's…). The tier that served a call (Converse's `serviceTier`,
InvokeModel's `x-amzn-bedrock-service-tier`) is recorded when not the standard one, and
latency-optimized inference as the tier `latency-optimized` (Converse's `performanceConfig`,
InvokeModel's `x-amzn-bedrock-performanceconfig-latency`): it bills other rates than standard
inference, and a call past the optimized quota is served, and billed, as standard
(https://docs.aws.amazon.com/bedrock/latest/userguide/latency-optimized-inference.html).

The model is the path's: a model id (`anthropic.claude-3-5-haiku-20241022-v1:0`), a
cross-region inference profile (`us.…`, `eu.…`, `global.…`) or an ARN, URL-encoded by the
SDKs. It is kept whole: the profile's geography sets the price (`pricing.names`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from .anthropic_api import MESSAGES
from .api import Api
from .eventstream import EXCEPTION
from .headers import Entries
from .request_body import RequestFields
from .usage import CACHE_CREATION_1H_TOKENS, Observed, Usage, count, text

LATENCY_OPTIMIZED = "latency-optimized"
"""The tier recorded for a call served by latency-optimized inference."""

FAMILY = "bedrock"
HEADERS = {
    b"x-amzn-bedrock-input-token-count": "inputTokenCount",
    b"x-amzn-bedrock-output-token-count": "outputTokenCount",
    b"x-amzn-bedrock-service-tier": "serviceTier",
    b"x-amzn-bedrock-performanceconfig-latency": "latency",
}
"""InvokeModel's response headers worth reading (`_Bedrock.observe_headers`), as
`headers.entries` gives their names."""
PROVIDER = "aws.bedrock"
_MODEL_SEGMENT = "/model/"
_METRICS = "amazon-bedrock-invocationMetrics"


class _Bedrock(Api):
    operation = "chat"
    family = FAMILY
    reads_request_body = False

    def __init__(self, suffix: str, stream: bool) -> None:
        self.suffix = suffix
        self._stream = stream

    def request_model(self, fields: RequestFields, path: str) -> str | None:
        return model_in_path(path, self.suffix)

    def request_stream(self, fields: RequestFields, path: str) -> bool:
        return self._stream

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        """An exception event (a stream's error) names the error; any other document is the
        API's own (`_observe`)."""
        if not isinstance(document, dict):
            return
        if EXCEPTION in document:
            seen.error_type = document[EXCEPTION]
            return
        self._observe(document, seen, streaming)

    def _observe(self, document: dict[str, Any], seen: Observed, streaming: bool) -> None:
        raise NotImplementedError

    def observe_headers(self, found: Entries, seen: Observed) -> None:
        """InvokeModel's answer names its token counts in headers whatever the model (Meta
        Llama's, Mistral's… bodies carry none of Bedrock's usage), and the tier that served a
        call (`flex`, `priority`: other rates than the standard tier's)."""
        counts: dict[str, int] = {}
        for _, name, value in found:
            key = HEADERS.get(name)
            if key == "serviceTier" and seen.service_tier != LATENCY_OPTIMIZED:
                seen.service_tier = value.decode("latin-1").strip().lower()
            elif key == "latency" and value.strip().lower() == b"optimized":
                seen.service_tier = LATENCY_OPTIMIZED
            elif key is not None and value.strip().isdigit():
                counts[key] = int(value)
        if "inputTokenCount" in counts and not seen.usage_final:
            seen.raw_usage = counts  # the body's own usage, if any, replaces it
            seen.usage_final = True

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        if "input_tokens" in raw:
            return MESSAGES.usage(raw)
        if "inputTokens" in raw:
            return _bedrock_usage(raw, "inputTokens", "outputTokens")
        return _bedrock_usage(raw, "inputTokenCount", "outputTokenCount")


class Invoke(_Bedrock):
    """InvokeModel: the model's own body; Claude's is Anthropic's, others' Converse-like."""

    sse_marker = re.compile(
        rb'"type"\s*:\s*"(?:message_start|message_delta|error)"|"usage"|"stopReason"|'
        + _METRICS.encode()
    )

    def _observe(self, document: dict[str, Any], seen: Observed, streaming: bool) -> None:
        if "type" in document:
            MESSAGES.observe(document, seen, streaming)
        else:
            _converse(document, seen)
        metrics = document.get(_METRICS)
        if isinstance(metrics, dict) and not seen.usage_final:
            seen.raw_usage = metrics
            seen.usage_final = True


class Converse(_Bedrock):
    sse_marker = re.compile(rb'"(?:usage|stopReason)"')

    def _observe(self, document: dict[str, Any], seen: Observed, streaming: bool) -> None:
        _converse(document, seen)


def _converse(document: dict[str, Any], seen: Observed) -> None:
    """A Converse answer, or one ConverseStream event (`{"metadata": {...}}`, ...)."""
    for key in ("metadata", "messageStop"):
        inner = document.get(key)
        if isinstance(inner, dict):
            document = inner
    reason = text(document, "stopReason")
    if reason is not None:
        seen.finish_reasons = [reason]
    tier = text(document.get("serviceTier"), "type")  # Converse: `{"type": "flex"}`
    if tier is not None and seen.service_tier != LATENCY_OPTIMIZED:
        seen.service_tier = tier
    if text(document.get("performanceConfig"), "latency") == "optimized":
        seen.service_tier = LATENCY_OPTIMIZED
    usage = document.get("usage")
    if isinstance(usage, dict):
        seen.raw_usage = usage
        seen.usage_final = True


def _bedrock_usage(raw: dict[str, Any], input_key: str, output_key: str) -> Usage | None:
    """Bedrock's own usage (Converse's `inputTokens`, Nova's, the invocation metrics'
    `inputTokenCount`), whose input count leaves out cache reads and writes."""
    uncached = count(raw, input_key)
    if uncached is None:
        return None
    cache_read = _first(raw, "cacheReadInputTokens", "cacheReadInputTokenCount")
    cache_write = _first(raw, "cacheWriteInputTokens", "cacheWriteInputTokenCount")
    # Converse's `cacheDetails`: the cache writes by TTL; 1-hour writes cost more.
    one_hour = sum(
        count(detail, "inputTokens") or 0
        for detail in raw.get("cacheDetails") or ()
        if text(detail, "ttl") == "1h"
    )
    return Usage(
        input_tokens=uncached + (cache_read or 0) + (cache_write or 0),
        output_tokens=count(raw, output_key),
        cache_read_tokens=cache_read,
        cache_creation_tokens=cache_write,
        by_modality={CACHE_CREATION_1H_TOKENS: one_hour} if one_hour else {},
    )


def _first(raw: dict[str, Any], *keys: str) -> int | None:
    for key in keys:
        found = count(raw, key)
        if found is not None:
            return found
    return None


def model_in_path(path: str, suffix: str) -> str | None:
    """The model id between `/model/` and the operation, URL-decoded (an ARN's `/` is sent
    as `%2F`, which httpx keeps encoded in the path it gives)."""
    start = path.find(_MODEL_SEGMENT)
    if start < 0:
        return None
    model = path[start + len(_MODEL_SEGMENT) : len(path) - len(suffix)]
    return (unquote(model) if "%" in model else model) or None


def bedrock_model(model: str | None) -> bool:
    """Whether a model id has Bedrock's form: `vendor.name…` (with an optional geography:
    `us.anthropic.…`) or an ARN. A `/model/{id}/invoke` path elsewhere is not Bedrock's."""
    return model is not None and (model.startswith("arn:") or "." in model)


class InvokeEmbeddings(Invoke):
    """InvokeModel on an embedding model (Titan, Cohere Embed): its input count only, from
    the `x-amzn-bedrock-input-token-count` header."""

    operation = "embeddings"


def api_for(path: str) -> Api:
    """The API of a Bedrock runtime path (one of `SUFFIXES`), read once per URL
    (`routing._place`): InvokeModel on a model whose id names it an embedding model is an
    `embeddings` call."""
    api = APIS[path[path.rfind("/") :]]
    if api is INVOKE and "embed" in path[path.find(_MODEL_SEGMENT) :].lower():
        return INVOKE_EMBEDDINGS
    return api


INVOKE = Invoke("/invoke", stream=False)
INVOKE_EMBEDDINGS = InvokeEmbeddings("/invoke", stream=False)
INVOKE_STREAM = Invoke("/invoke-with-response-stream", stream=True)
CONVERSE = Converse("/converse", stream=False)
CONVERSE_STREAM = Converse("/converse-stream", stream=True)
APIS = {api.suffix: api for api in (INVOKE, INVOKE_STREAM, CONVERSE, CONVERSE_STREAM)}
SUFFIXES = tuple(APIS)
