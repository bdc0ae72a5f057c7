"""The dead-letter API: list and replay the rows ClickHouse refused, on the store serve holds.

chDB lets one process open a data directory, so while serve runs the embedded store,
``tokentrace dead-letters`` talks to these routes instead of the store:

- ``GET /api/v1/dead-letters`` (``?all=1`` includes replayed rows, ``?limit=N``): the rows;
- ``POST /api/v1/dead-letters/replay`` with ``{"ids": [...]}`` (no ids: every pending row):
  insert them again; answers which were stored, which are still refused and why, and which
  ids asked for no dead letter has (``unknown``).

With ``TOKENTRACE_AUTH_TOKEN`` set these routes want the same bearer token.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tokentrace.processor.api.routing import BodyTooLarge, json_response, read_json
from tokentrace.processor.api.store_calls import StoreCalls
from tokentrace.processor.store import dead_letters

MAX_BODY_BYTES = 1024 * 1024
MAX_LIMIT = 100_000


def letter_json(letter: dead_letters.DeadLetter) -> dict[str, Any]:
    """One dead letter as JSON: the shape of ``tokentrace dead-letters list --format json``."""
    return {
        "id": letter.id,
        "failed_at": letter.failed_at.isoformat(),
        "reason": letter.reason,
        "replayed": letter.replayed,
        "row": letter.row,
    }


def replayed_json(result: dead_letters.Replayed) -> dict[str, Any]:
    return {
        "stored": result.stored,
        "failed": [{"id": id_, "reason": reason} for id_, reason in result.failed],
        "unknown": result.unknown,
    }


class DeadLettersApi:
    def __init__(
        self,
        connect: Callable[[], Any],
        cluster: str | None = None,
        *,
        pause: Callable[[], Any] = contextlib.nullcontext,
        alone: bool = False,
    ) -> None:
        """``connect`` opens a store client of this API's own (serve's engine is shared);
        ``cluster``: the store's, to create a dropped ``dead_letters`` again. ``alone``: no
        other process writes into the store (embedded), so a replay may rebuild a rollup it
        finds short (``dead_letters.replay``), inside ``pause`` (the sink's ``paused()``)."""
        self._call = StoreCalls(connect, cluster)
        self._pause = pause if alone else contextlib.nullcontext
        self._alone = alone

    async def list(self, request: Request) -> Response:
        everything = request.query_params.get("all", "0") in ("1", "true")
        try:
            limit = int(request.query_params.get("limit", "1000"))
            if not 1 <= limit <= MAX_LIMIT:
                raise ValueError
        except ValueError:
            return json_response({"error": f"limit is a whole number, 1 to {MAX_LIMIT}"}, 400)
        found = await asyncio.to_thread(
            self._call, dead_letters.pending, include_replayed=everything, limit=limit
        )
        return json_response({"dead_letters": [letter_json(letter) for letter in found]})

    async def replay(self, request: Request) -> Response:
        try:
            body = await read_json(request, MAX_BODY_BYTES, empty={})
            ids = body.get("ids") if isinstance(body, dict) else None
            if ids is not None and not (
                isinstance(ids, list) and all(isinstance(i, str) for i in ids)
            ):
                raise ValueError("ids is a list of dead-letter ids")
        except BodyTooLarge as exc:
            return json_response({"error": str(exc)}, 413)
        except (ValueError, AttributeError) as exc:
            return json_response({"error": f"bad replay request: {exc}"}, 400)
        result = await asyncio.to_thread(self._replay, ids)
        return json_response(replayed_json(result))

    def _replay(self, ids: list[str] | None) -> dead_letters.Replayed:
        with self._pause():
            return self._call(dead_letters.replay, ids, alone=self._alone)
