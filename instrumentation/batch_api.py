"""Batch APIs' results files: each billed request in them is one call (`batch_call`).

- OpenAI Batch: the output file, `GET /files/{output_file_id}/content`, JSONL, one line per
  request: `{"id": "batch_req_…", "custom_id": …, "response": {"status_code": 200, "body":
  <the endpoint's answer, usage and model included>}, "error": null}`. The line names no
  batch, so its key is the output file's id (one per batch) and the `custom_id`. The body is
  a chat completion, a legacy completion, an embeddings list or a Responses API response
  (`object`), read as the endpoint's API reads it.
- Gemini API batch mode with inlined requests: the polled `GET …/batches/{id}` operation
  lists the answers once the batch has succeeded (`GeminiBatch`). Key: the batch id and the
  request's `metadata.key`, else its position.
- Anthropic Message Batches: `GET /v1/messages/batches/{id}/results`, JSONL (`application/
  x-jsonl`, which `LLMCall` would take for JSON), one line per request: `{"custom_id": …,
  "result": {"type": "succeeded", "message": <a Messages API answer>}}`; `errored`,
  `canceled` and `expired` requests are not billed. Key: the batch id and the `custom_id`.
  A result does not say the request's tools, on which a code execution container's bill
  depends (free beside web search or web fetch of version 20260209 or later): the batch's
  create (`POST /v1/messages/batches`, `AnthropicBatchCreate`) is read for them, when this
  process sent it.

Every call is billed at the provider's batch rate: its span names the `batch` service tier,
which the pricer prices as such (`pricing.rules`). Its time is the result's own when it has
one (OpenAI's `created`: when the request ran, hence the rate in force), else the download's
(Anthropic's results carry none).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from . import anthropic_api, gemini_api, mistral_api, openai_api
from .api import Api, Deferred
from .usage import (
    CALL_KEY,
    SERVICE_TIER,
    USAGE_MISSING,
    Observed,
    partial,
    response_attributes,
)

BATCH_TIER = "batch"


@dataclass(frozen=True)
class BatchResult:
    """One billed request of a batch: its span's name, attributes and start (ns, or None for
    the download's time)."""

    name: str
    attributes: dict[str, Any]
    created_ns: int | None


class BatchResults(Deferred):
    """A batch's results download: no call itself, one per billed request in it."""

    operation = "chat"
    reads_request_body = False
    lists_calls = True
    sse_marker = re.compile(rb'"usage"')
    """Lines without usage are not billed (errors, cancelled and expired requests)."""
    segment: str
    """The path segment before the id (`/files/`), then `suffix` ends the path."""
    suffix: str

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        """Not used: `batch_call.BatchDownload` reads each line with `result`."""

    def batch_id(self, path: str) -> str:
        """The id in a results path (`…/files/{id}/content`)."""
        end = len(path) - len(self.suffix)
        return path[path.rfind(self.segment, 0, end) + len(self.segment) : end]

    lines = True
    """The body is JSON lines, one request each; else one JSON document listing them."""

    def results(self, document: Any, batch: str) -> list[BatchResult]:
        """The billed requests of one results line (or of the whole document)."""
        raise NotImplementedError


def _result(
    api: Api, body: Any, key: str, status: int, created: Any, code_execution_free: bool = False
) -> BatchResult | None:
    """A request's result as `api` reads its answer `body` (`code_execution_free`: as the
    request's tools make it, `Observed.code_execution_free`)."""
    if not isinstance(body, dict):
        return None
    seen = Observed(code_execution_free=code_execution_free)
    api.observe(body, seen, False)
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": api.operation,
        "gen_ai.request.stream": False,
        "http.response.status_code": status,
        **response_attributes(seen),
        SERVICE_TIER: BATCH_TIER,  # whatever tier the answer names, it ran in a batch
        CALL_KEY: key,
    }
    usage = api.usage(seen.raw_usage) if seen.raw_usage is not None else None
    if usage is None or partial(usage, api.operation):
        attributes[USAGE_MISSING] = True
    if usage is not None:
        attributes.update(usage.attributes())
        attributes[CALL_KEY] = key  # a background key of the body's would not be the batch's
    name = api.operation
    if seen.response_model:
        name = f"{name} {seen.response_model}"
    seconds = created if type(created) is int and created > 0 else None
    return BatchResult(name, attributes, None if seconds is None else seconds * 10**9)


class OpenAIBatchOutput(BatchResults):
    """The output file's lines; Mistral's Batch API writes the same lines (its download, `GET
    /v1/files/{id}/content`, the same path), whose OCR answers report `usage_info` (pages),
    not `usage`: read as `mistral_api.OCR` reads them, billed at the batch page rate."""

    family = "openai"
    segment = "/files/"
    suffix = "/content"
    sse_marker = re.compile(rb'"usage(?:_info)?"')

    _APIS = {
        "response": openai_api.RESPONSES,
        "list": openai_api.EMBEDDINGS,
        "text_completion": openai_api.COMPLETIONS,
    }

    def results(self, document: Any, batch: str) -> list[BatchResult]:
        if not isinstance(document, dict):
            return []
        response = document.get("response")
        if not isinstance(response, dict):
            return []  # an input file's line, or a request that failed (`error`)
        status = response.get("status_code")
        body = response.get("body")
        if type(status) is not int or status >= 300 or not isinstance(body, dict):
            return []  # rejected: not billed
        api = self._APIS.get(body.get("object"), openai_api.CHAT)
        if "usage_info" in body and "usage" not in body:
            api = mistral_api.OCR
        created = body.get("created", body.get("created_at"))
        key = f"{batch}/{document.get('custom_id')}"
        return _listed(_result(api, body, key, status, created))


class AnthropicBatchResults(BatchResults):
    family = "anthropic"
    segment = "/messages/batches/"
    suffix = "/results"

    def results(self, document: Any, batch: str) -> list[BatchResult]:
        if not isinstance(document, dict):
            return []
        result = document.get("result")
        if not isinstance(result, dict) or result.get("type") != "succeeded":
            return []
        custom = document.get("custom_id")
        free = custom in _FREE_CODE.get(batch, ())
        key = f"{batch}/{custom}"
        message = result.get("message")
        return _listed(_result(anthropic_api.MESSAGES, message, key, 200, None, free))


_FREE_CODE: dict[str, frozenset[str]] = {}
"""Batch id → the `custom_id`s of its requests whose code execution is free, from the batch
creates this process sent (`AnthropicBatchCreate`); bounded, cleared when full."""
_FREE_CODE_KEPT = 1024


class AnthropicBatchCreate(Deferred):
    """`POST /v1/messages/batches`: no call itself (its answer has no usage). Its requests'
    tools say which of them run code execution free (`anthropic_api.frees_code_execution`),
    which their results do not: kept by the batch id the answer gives, for
    `AnthropicBatchResults`. The body is decoded only when it names a web tool."""

    family = "anthropic"
    operation = "chat"
    reads_request_body = False
    reads_request_options = True

    def request_options(self, body: bytes, seen: Observed) -> None:
        if b'"web_' not in body:
            return
        try:
            document = json.loads(body)
        except ValueError:
            return
        requests = document.get("requests") if isinstance(document, dict) else None
        free = frozenset(
            request["custom_id"]
            for request in (requests if isinstance(requests, list) else ())
            if isinstance(request, dict)
            and isinstance(request.get("custom_id"), str)
            and isinstance(request.get("params"), dict)
            and anthropic_api.frees_code_execution(request["params"].get("tools"))
        )
        seen.free_code_requests = free

    def observe(self, document: Any, seen: Observed, streaming: bool) -> None:
        ident = document.get("id") if isinstance(document, dict) else None
        if seen.free_code_requests and isinstance(ident, str):
            if len(_FREE_CODE) >= _FREE_CODE_KEPT:
                _FREE_CODE.clear()
            _FREE_CODE[ident] = seen.free_code_requests


class GeminiBatch(BatchResults):
    """`GET …/batches/{id}` of the Gemini API: the batch operation, whose answers, once it has
    succeeded, are inlined (`metadata.output.inlinedResponses.inlinedResponses`, or the
    operation's `response`), each a `generateContent` answer or an `error`. The operation is
    polled: every poll after the end lists the same answers, keyed by the request's
    `metadata.key`, else its position. (A batch whose answers went to a file is not read.)"""

    family = "gemini"
    segment = "/batches/"
    suffix = ""
    lines = False

    def results(self, document: Any, batch: str) -> list[BatchResult]:
        if not isinstance(document, dict):
            return []
        output = (document.get("metadata") or {}).get("output") or document.get("response")
        inlined = ((output or {}).get("inlinedResponses") or {}).get("inlinedResponses")
        if not isinstance(inlined, list):
            return []
        found = []
        for index, entry in enumerate(inlined):
            if not isinstance(entry, dict) or not isinstance(entry.get("response"), dict):
                continue  # refused (`error`): not billed
            metadata = entry.get("metadata")
            name = metadata.get("key") if isinstance(metadata, dict) else None
            key = f"{batch}/{name if isinstance(name, str) else index}"
            found += _listed(
                _result(gemini_api.GENERATE_CONTENT, entry["response"], key, 200, None)
            )
        return found


def _listed(result: BatchResult | None) -> list[BatchResult]:
    return [] if result is None else [result]


OPENAI_BATCH_OUTPUT = OpenAIBatchOutput()
ANTHROPIC_BATCH_RESULTS = AnthropicBatchResults()
ANTHROPIC_BATCH_CREATE = AnthropicBatchCreate()
GEMINI_BATCH = GeminiBatch()
