"""Talking to a running ``tokentrace serve`` over its HTTP API.

chDB lets one process open a data directory, so while serve holds the embedded store the
report and the budget commands go through serve. One place builds the request, adds the
bearer token and turns HTTP failures into exceptions, so those commands cannot drift apart.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any

ENV_AUTH_TOKEN = "TOKENTRACE_AUTH_TOKEN"


class ServeError(Exception):
    """Serve answered with an HTTP error; ``message`` is its JSON ``error`` or its body."""

    def __init__(self, url: str, status: int, message: str) -> None:
        super().__init__(f"{url}: HTTP {status}: {message}")
        self.status = status
        self.message = message


class ServeUnreachable(Exception):
    """Nothing answered at the API's address."""


def call(
    base_url: str,
    path: str,
    *,
    method: str = "GET",
    query: Sequence[tuple[str, str]] = (),
    body: Any = None,
    timeout: float = 60,
) -> Any:
    """``method`` ``base_url + path`` with the token of ``TOKENTRACE_AUTH_TOKEN``; the JSON."""
    url = f"{base_url.rstrip('/')}{path}"
    if query:
        url = f"{url}?{urllib.parse.urlencode(query)}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    token = os.environ.get(ENV_AUTH_TOKEN)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        text = exc.read().decode(errors="replace")
        try:
            message = str(json.loads(text).get("error", text))
        except (ValueError, AttributeError):
            message = text or str(exc.reason)
        raise ServeError(url, exc.code, message) from None
    except urllib.error.URLError as exc:
        raise ServeUnreachable(f"no tokentrace serve answers at {url} ({exc.reason})") from None
