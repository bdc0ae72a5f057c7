"""Anthropic's Messages API (`/v1/messages`), and Claude on Vertex AI (`:rawPredict`).

`usage.input_tokens` EXCLUDES cached tokens: the normalised input adds `cache_read_input_tokens`
and `cache_creation_input_tokens`. A stream sends usage in `message_start` (input side, with a
placeholder output count) and then in `message_delta`, whose counts are CUMULATIVE: the latest
value of each field wins, nothing is summed, and only `message_delta` makes the usage final.

The usage also says how the call was served, which its price depends on: `service_tier`
(`priority`: no published rate, so the call is unpriced), `speed` (`fast`: fast mode, priced at
genai-prices' fast-mode rates; recorded as the tier `fast`) and `inference_geo` (`us`: US-only
inference, 1.1x on Claude Opus 4.6 and later models).
"""

from __future__ import annotations

import re
from typing import Any

from .api import Api
from .request_body import RequestFields
from .usage import (
    CACHE_CREATION_1H_TOKENS,
    CODE_EXECUTIONS,
    WEB_SEARCHES,
    Observed,
    Usage,
    count,
    text,
)

_CONTAINER = "tokentrace.container"
"""Set in the usage object kept of an answer that names its container (a code execution tool
ran): the container is billed by its hours past a monthly free allowance, not per call
(https://platform.claude.com/docs/en/about-claude/pricing#code-execution-tool)."""


# Web search and web fetch tool types, whose version (a date) from 20260209 on makes code
# execution free in the request: "Code execution is free when used with web search or web
# fetch (web_search_20260209, web_fetch_20260209, or later) ... no additional charges for
# code execution in that request beyond standard token costs"
# (https://platform.claude.com/docs/en/agents-and-tools/tool-use/code-execution-tool).
_WEB_TOOL = re.compile(rb'"type"\s*:\s*"web_(?:search|fetch)_(\d{8})"')
_WEB_TOOL_TYPE = re.compile(r"web_(?:search|fetch)_(\d{8})")
_FREE_CODE_FROM = 20260209


def frees_code_execution(tools: Any) -> bool:
    """Whether a request's (decoded) `tools` make its code execution free, as
    `Messages.request_options` reads a body: for the requests of a Message Batches create."""
    if not isinstance(tools, list):
        return False
    for tool in tools:
        kind = tool.get("type") if isinstance(tool, dict) else None
        found = _WEB_TOOL_TYPE.fullmatch(kind) if isinstance(kind, str) else None
        if found is not None and int(found.group(1)) >= _FREE_CODE_FROM:
            return True
    return False


class Messages(Api):
    operation = "chat"
    family = "anthropic"
    sse_marker = re.compile(rb'"type"\s*:\s*"(?:message_start|message_delta|error)"')
    reads_request_options = True

    def request_options(self, body: bytes, seen: Observed) -> None:
        """A web search or web fetch tool of version 20260209 or later makes the request's code
        execution free (the `in` test first: most requests name neither)."""
        if b'"web_' in body:
            seen.code_execution_free = any(
                int(version) >= _FREE_CODE_FROM for version in _WEB_TOOL.findall(body)
            )

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        if not isinstance(document, dict):
            return
        kind = document.get("type")
        if kind == "message_start":
            self._message(document.get("message"), seen, final=False)
        elif kind == "message_delta":
            delta = document.get("delta")
            reason = text(delta, "stop_reason")
            if reason is not None:
                seen.finish_reasons = [reason]
            usage = document.get("usage")
            if isinstance(usage, dict):
                seen.raw_usage = {**(seen.raw_usage or {}), **usage}
                seen.usage_final = True
                _served(seen.raw_usage, seen)
                container = isinstance(delta, dict) and delta.get("container")
                if container and not seen.code_execution_free:
                    seen.raw_usage[_CONTAINER] = 1
        elif kind == "error":
            seen.error_type = text(document.get("error"), "type") or "error"
        elif kind == "message":
            self._message(document, seen, final=True)

    @staticmethod
    def _message(message: Any, seen: Observed, final: bool) -> None:
        if not isinstance(message, dict):
            return
        seen.response_id = text(message, "id") or seen.response_id
        seen.response_model = text(message, "model") or seen.response_model
        reason = text(message, "stop_reason")
        if reason is not None:
            seen.finish_reasons = [reason]
        usage = message.get("usage")
        if isinstance(usage, dict):
            seen.raw_usage = dict(usage)
            seen.usage_final = final
            _served(usage, seen)
            if message.get("container") and not seen.code_execution_free:
                seen.raw_usage[_CONTAINER] = 1

    def usage(self, raw: dict[str, Any]) -> Usage | None:
        uncached = count(raw, "input_tokens")
        if uncached is None:
            return None
        cache_read = count(raw, "cache_read_input_tokens")
        cache_creation = count(raw, "cache_creation_input_tokens")
        # 1-hour cache writes cost 2x input, 5-minute ones 1.25x: the split is priced apart.
        one_hour = count(raw, "cache_creation", "ephemeral_1h_input_tokens")
        # The web search tool bills per search ($10 per 1,000), on top of the tokens.
        searches = count(raw, "server_tool_use", "web_search_requests")
        return Usage(
            input_tokens=uncached + (cache_read or 0) + (cache_creation or 0),
            output_tokens=count(raw, "output_tokens"),
            cache_read_tokens=cache_read,
            cache_creation_tokens=cache_creation,
            reasoning_tokens=count(raw, "output_tokens_details", "thinking_tokens"),
            by_modality={
                **({CACHE_CREATION_1H_TOKENS: one_hour} if one_hour else {}),
                **({WEB_SEARCHES: searches} if searches else {}),
                **({CODE_EXECUTIONS: 1} if raw.get(_CONTAINER) else {}),
            },
        )


def _served(usage: dict[str, Any], seen: Observed) -> None:
    """How the call was served, from its usage: the tier (fast mode as the tier `fast`, or
    `<tier>+fast` beside a tier other than standard) and where inference ran."""
    tier = text(usage, "service_tier")
    if text(usage, "speed") == "fast":
        tier = "fast" if tier in (None, "standard") else f"{tier}+fast"
    seen.service_tier = tier or seen.service_tier
    seen.inference_geo = text(usage, "inference_geo") or seen.inference_geo


MESSAGES = Messages()


class VertexMessages(Messages):
    """Claude on Vertex AI, as the anthropic SDK's `AnthropicVertex` calls it:
    `POST …/projects/{p}/locations/{l}/publishers/anthropic/models/{model}:rawPredict`
    (`:streamRawPredict` for a stream), the Messages API with the model moved into the path.

    The request model is the path's resource name, location included: from Claude Sonnet 4.5
    on, Vertex AI bills a regional endpoint 10 % above the global one, so the name alone
    cannot be priced; the pricer reads the location from the resource name and stores the
    bare model name (`pricing.names`)."""

    reads_request_body = False

    def request_model(self, fields: RequestFields, path: str) -> str | None:
        start = path.find("projects/")
        name = path[start:] if start >= 0 else path.rsplit("/", 1)[-1]
        return name.rsplit(":", 1)[0] or None

    def request_stream(self, fields: RequestFields, path: str) -> bool:
        return path.endswith(":streamRawPredict")


VERTEX_MESSAGES = VertexMessages()
VERTEX_SUFFIXES = (":rawPredict", ":streamRawPredict")
