"""OpenAI's stored responses (`POST /responses`), which `GET /responses/{id}` reads back.

A background response (`background: true`): the create answers `queued` without usage (or
streams the response, `queued` first), then `GET /responses/{id}` answers `in_progress` until
it has been polled enough, and then the ended response with its usage; `stream=true` streams
it instead, from the event after `starting_after`. `POST /responses/{id}/cancel` ends it
`cancelled`, with the usage so far. Any other response has ended when it is created.

Two request headers of the create shape the run (beside the usual `plan` ones):
- `x-standin-polls: 2` retrieves that answer `in_progress` before the response has ended;
- `x-standin-status: incomplete` how it ends (`completed`, `incomplete`, `failed`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from . import openai
from .plan import Plan
from .reply import Reply


@dataclass
class _Run:
    response: openai.Responses
    polls: int
    status: str


class StoredResponses:
    """The responses of one stand-in, by id."""

    def __init__(self) -> None:
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()

    def create(
        self, headers: dict[str, str], body: dict[str, Any], plan: Plan, model: str
    ) -> Reply:
        background = bool(body.get("background"))
        response = openai.Responses(body, plan, model, background)
        run = _Run(
            response,
            int(headers.get("x-standin-polls", "2")) if background else 0,
            headers.get("x-standin-status", "completed"),
        )
        with self._lock:
            self._runs[response.ident] = run
        if body.get("stream"):  # streamed to its end: polls find it ended
            run.polls = 0
            return openai.responses_reply(response, True, run.status)
        return openai.responses_reply(response, False, "queued" if background else run.status)

    def retrieve(self, ident: str, query: dict[str, str]) -> Reply:
        with self._lock:
            run = self._runs.get(ident)
            if run is None:
                return openai.error(404)
            stream = query.get("stream") == "true"
            if stream:  # a stream waits for the end: it is the whole run
                run.polls = 0
            status = "in_progress" if run.polls > 0 else run.status
            run.polls -= 1
        starting_after = int(query.get("starting_after", "-1"))
        return openai.responses_reply(run.response, stream, status, starting_after)

    def cancel(self, ident: str) -> Reply:
        with self._lock:
            run = self._runs.get(ident)
            if run is None:
                return openai.error(404)
            if run.polls > 0:
                run.status = "cancelled"
            run.polls = 0
        return openai.responses_reply(run.response, False, run.status)
