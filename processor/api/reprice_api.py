"""The reprice API: re-price stored calls on the store serve holds, with its sink paused.

``POST /api/v1/reprice`` with ``{"since": "2026-11-01", "until": "2026-11-02T10:00Z"}``
(``until`` optional: just after the latest stored call) re-prices with serve's current
prices (genai-prices and its ``TOKENTRACE_PRICES_FILE``, read again for the run) and answers
the ``tokentrace reprice --format json`` document.

Running it here uses serve's own prices; the sink is paused for the run (spans keep being
acknowledged into the spool). The rollups are changed by added differences
(``store/rollup_deltas``), so other serves inserting into the same server are counted once.
With ``TOKENTRACE_AUTH_TOKEN`` set this route wants the same bearer token.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from tokentrace.processor.api.routing import BodyTooLarge, json_response, read_json
from tokentrace.processor.pricing.overrides import PricesFileError
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.pricing.reprice import check_retention, reprice, result_json

MAX_BODY_BYTES = 4096


class RepriceApi:
    def __init__(
        self,
        connect: Callable[[], Any],
        pause: Callable[[], Any],
    ) -> None:
        """``connect`` opens a store client of this API's own; ``pause`` is the sink's
        ``paused()`` context manager."""
        self._connect = connect
        self._pause = pause
        self._client: Any = None
        self._lock = threading.Lock()  # one run at a time

    async def run(self, request: Request) -> Response:
        try:
            body = await read_json(request, MAX_BODY_BYTES, empty={})
            if not isinstance(body, dict):
                raise ValueError("the body is a JSON object: {since, until}")
            since = _instant(body.get("since"), "since")
            until = None if body.get("until") is None else _instant(body["until"], "until")
            if until is not None and until <= since:
                raise ValueError(f"until ({until.isoformat()}) must be after since")
        except BodyTooLarge as exc:
            return json_response({"error": str(exc)}, 413)
        except ValueError as exc:
            return json_response({"error": f"bad reprice request: {exc}"}, 400)
        try:
            result = await asyncio.to_thread(self._reprice, since, until)
        except PricesFileError as exc:
            return json_response({"error": f"serve's prices file: {exc}"}, 400)
        except ValueError as exc:  # days past retention
            return json_response({"error": str(exc)}, 400)
        return json_response(result_json(result))

    def _reprice(self, since: datetime, until: datetime | None) -> Any:
        pricer = Pricer()  # the prices file as it is now, not as serve started with it
        with self._lock, self._pause():
            if self._client is None:
                self._client = self._connect()
            check_retention(self._client, since)
            return reprice(self._client, pricer, since, until)


def _instant(value: Any, name: str) -> datetime:
    """An ISO 8601 date or time (naive = UTC)."""
    if not isinstance(value, str):
        raise ValueError(f"{name} is an ISO 8601 date or time, e.g. 2026-11-01")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} {value!r} is not an ISO 8601 date or time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
