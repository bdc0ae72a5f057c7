"""Batch APIs, which the server keeps state for: OpenAI's Batch API and Anthropic's Message
Batches. A batch is run when it is created (each request answered as the synchronous API
answers it, with a plan from the batch create's headers and the request's own body: see
`plan`; OpenAI's answers `created` a minute before the batch), and has ended by its first
retrieve.

- OpenAI: `POST /files` (multipart, `purpose=batch`, a JSONL file of `{custom_id, method,
  url, body}`), `POST /batches` → `validating`; `GET /batches/{id}` → `completed` with an
  `output_file_id`; `GET /files/{id}/content` → the output JSONL (`application/octet-stream`),
  `{id, custom_id, response: {status_code, request_id, body}, error}` per request. A request
  the synchronous API refuses (`max_tokens: 0` here) is a line with its error body.
- Anthropic: `POST /v1/messages/batches` (`{requests: [{custom_id, params}]}`) →
  `in_progress`; `GET /v1/messages/batches/{id}` → `ended` with a `results_url`;
  `GET …/results` → JSONL (`application/x-jsonl`), `{custom_id, result: {type: succeeded,
  message}}` per request (`errored` for one the API refuses), usage at the `batch` tier.
- Gemini: `POST …/models/{model}:batchGenerateContent` (inlined requests) → the batch
  operation, pending; `GET …/batches/{id}` → succeeded, the answers inlined in
  `metadata.output.inlinedResponses.inlinedResponses` (`{response, metadata}` each, `error`
  for a refused one), as an indented JSON document.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from . import anthropic, gemini, openai
from .plan import dumps, plan_for
from .reply import Reply, json_reply

_ids = itertools.count(1)
CREATED = 1_760_000_000


class Batches:
    """The files and batches of one stand-in."""

    def __init__(self, root: str) -> None:
        self._root = root
        self._files: dict[str, bytes] = {}
        self._batches: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ OpenAI

    def upload(self, body: bytes, content_type: str) -> Reply:
        head = b"content-type: " + content_type.encode("latin-1") + b"\r\n\r\n"
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        content = b""
        for part in message.iter_parts():
            if part.get_filename() is not None:
                content = part.get_payload(decode=True)
        ident = self._keep(content)
        return json_reply(_file(ident, len(content), "batch"))

    def create_openai(self, headers: dict[str, str], body: dict[str, Any]) -> Reply:
        with self._lock:
            content = self._files.get(str(body.get("input_file_id")))
        if content is None:
            return openai.error(404)
        lines = []
        ran = int(time.time()) - 60  # when the requests ran: a minute ago
        for number, line in enumerate(content.splitlines(), 1):
            if not line.strip():
                continue
            request = json.loads(line)
            params = request.get("body") or {}
            reply = openai.handle(request["url"], params, _plan(headers, params))
            answer = json.loads(reply.body or b"{}")
            if "created" in answer:
                answer["created"] = ran
            if "created_at" in answer:  # a Responses API answer
                answer["created_at"] = ran
            lines.append(
                {
                    "id": f"batch_req_standin{number}",
                    "custom_id": request["custom_id"],
                    "response": {
                        "status_code": reply.status,
                        "request_id": f"req_standin{next(_ids)}",
                        "body": answer,
                    },
                    "error": None,
                }
            )
        output = self._keep(b"".join(dumps(line) + b"\n" for line in lines))
        ident = f"batch_standin{next(_ids)}"
        batch = {
            "id": ident,
            "object": "batch",
            "endpoint": body.get("endpoint"),
            "errors": None,
            "input_file_id": body.get("input_file_id"),
            "completion_window": body.get("completion_window", "24h"),
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": CREATED,
            "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
            "metadata": body.get("metadata"),
        }
        with self._lock:
            self._batches[ident] = {**batch, "_output": output}
        return json_reply(batch)

    def retrieve_openai(self, ident: str) -> Reply:
        with self._lock:
            batch = self._batches.get(ident)
        if batch is None:
            return openai.error(404)
        output = batch["_output"]
        counts = batch["request_counts"]
        ended = {k: v for k, v in batch.items() if not k.startswith("_")}
        ended.update(
            status="completed",
            output_file_id=output,
            completed_at=CREATED + 600,
            request_counts={**counts, "completed": counts["total"]},
        )
        return json_reply(ended)

    def content(self, ident: str) -> Reply:
        with self._lock:
            content = self._files.get(ident)
        if content is None:
            return openai.error(404)
        return Reply(body=content, content_type="application/octet-stream")

    def _keep(self, content: bytes) -> str:
        ident = f"file-standin{next(_ids)}"
        with self._lock:
            self._files[ident] = content
        return ident

    # --------------------------------------------------------------- Anthropic

    def create_anthropic(self, headers: dict[str, str], body: dict[str, Any]) -> Reply:
        results = []
        for request in body.get("requests") or []:
            params = request.get("params") or {}
            reply = anthropic.handle("/v1/messages", params, _plan(headers, params))
            document = json.loads(reply.body or b"{}")
            if reply.status < 300:
                document["usage"]["service_tier"] = "batch"
                result = {"type": "succeeded", "message": document}
            else:
                result = {"type": "errored", "error": document}
            results.append({"custom_id": request["custom_id"], "result": result})
        ident = f"msgbatch_standin{next(_ids)}"
        batch = {
            "id": ident,
            "type": "message_batch",
            "processing_status": "in_progress",
            "request_counts": {
                "processing": len(results), "succeeded": 0, "errored": 0,
                "canceled": 0, "expired": 0,
            },
            "ended_at": None,
            "created_at": "2025-10-09T08:26:40Z",
            "expires_at": "2025-10-10T08:26:40Z",
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": None,
        }  # fmt: skip
        with self._lock:
            self._batches[ident] = {**batch, "_results": results}
        return json_reply(batch)

    def retrieve_anthropic(self, ident: str) -> Reply:
        with self._lock:
            batch = self._batches.get(ident)
        if batch is None:
            return anthropic.error(404)
        results = batch["_results"]
        succeeded = sum(1 for line in results if line["result"]["type"] == "succeeded")
        ended = {k: v for k, v in batch.items() if not k.startswith("_")}
        ended.update(
            processing_status="ended",
            ended_at="2025-10-09T08:36:40Z",
            results_url=f"{self._root}/anthropic/v1/messages/batches/{ident}/results",
            request_counts={
                **ended["request_counts"],
                "processing": 0,
                "succeeded": succeeded,
                "errored": len(results) - succeeded,
            },
        )
        return json_reply(ended)

    def results(self, ident: str) -> Reply:
        with self._lock:
            batch = self._batches.get(ident)
        if batch is None:
            return anthropic.error(404)
        content = b"".join(dumps(line) + b"\n" for line in batch["_results"])
        return Reply(body=content, content_type="application/x-jsonl")

    # ------------------------------------------------------------------ Gemini

    def create_gemini(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Reply:
        """`POST …/models/{model}:batchGenerateContent` with inlined requests: the batch
        operation, `BATCH_STATE_PENDING`; its first `GET …/batches/{id}` finds it ended."""
        model = path.split("?", 1)[0].rsplit("/", 1)[-1].partition(":")[0]
        config = (body.get("batch") or {}).get("inputConfig") or {}
        requests = ((config.get("requests") or {}).get("requests")) or []
        inlined = []
        for request in requests:
            params = request.get("request") or {}
            reply = gemini.handle(
                f"/models/{model}:generateContent", params, _plan(headers, params)
            )
            answer = json.loads(reply.body or b"{}")
            entry: dict[str, Any] = (
                {"error": answer["error"]} if reply.status >= 300 else {"response": answer}
            )
            if request.get("metadata"):
                entry["metadata"] = request["metadata"]
            inlined.append(entry)
        ident = f"batches/standin{next(_ids)}"
        metadata = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            "model": f"models/{model}",
            "displayName": (body.get("batch") or {}).get("displayName", ""),
            "createTime": "2025-10-09T08:26:40Z",
            "state": "BATCH_STATE_PENDING",
            "name": ident,
        }
        with self._lock:
            self._batches[ident] = {"metadata": metadata, "_inlined": inlined}
        return json_reply({"name": ident, "metadata": metadata})

    def retrieve_gemini(self, ident: str) -> Reply:
        with self._lock:
            batch = self._batches.get(ident)
        if batch is None:
            return gemini.error(404)
        output = {"inlinedResponses": {"inlinedResponses": batch["_inlined"]}}
        metadata = {
            **batch["metadata"],
            "state": "BATCH_STATE_SUCCEEDED",
            "endTime": "2025-10-09T08:36:40Z",
            "output": output,
        }
        # Google's JSON is indented: one document over many lines, not JSON lines.
        document = {"name": ident, "metadata": metadata, "done": True}
        return Reply(body=json.dumps(document, indent=2).encode())


def _plan(headers: dict[str, str], params: dict[str, Any]) -> Any:
    """A request's plan: the batch create's headers, the request's own body; `max_tokens: 0`
    (`maxOutputTokens: 0`) makes the request fail (400), as the API refuses it."""
    limit = (params.get("generationConfig") or {}).get("maxOutputTokens")
    if 0 in (params.get("max_tokens"), params.get("max_completion_tokens"), limit):
        headers = {**headers, "x-standin-fail": "400"}
    return plan_for(headers, params)


def _file(ident: str, size: int, purpose: str) -> dict[str, Any]:
    return {
        "id": ident,
        "object": "file",
        "bytes": size,
        "created_at": CREATED,
        "filename": "batch.jsonl",
        "purpose": purpose,
        "status": "processed",
        "expires_at": None,
        "status_details": None,
    }
