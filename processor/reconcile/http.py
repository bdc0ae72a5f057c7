"""GET JSON from a provider's admin API: retries, back-off, clear failures, pagination.

httpx does the HTTP; its transports retry only failed connections, not answers, so the
loop here retries what the admin APIs ask to be retried: 429 and 5xx (including
Anthropic's 529), honouring ``Retry-After`` (seconds or an HTTP date) and otherwise
backing off exponentially. 401 and 403 are never retried: the key is wrong or lacks a
permission, and the error says which variable to fix. The key is sent in a header and
appears in no message, log line or exception.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
MAX_ATTEMPTS = 6
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 60.0
TIMEOUT_S = 60.0

Query = Sequence[tuple[str, str | int]]


class AdminApiError(Exception):
    """The admin API did not answer usably; ``str()`` is the one line to show."""


class AdminAuthError(AdminApiError):
    """401/403: the admin key is missing, wrong, or lacks the usage-read permission."""


@dataclass
class AdminClient:
    """One provider's admin API: ``base_url``, auth ``headers``, and the retry policy.

    ``name`` (``OpenAI``), ``key_env`` (``OPENAI_ADMIN_KEY``), ``url_env`` and ``default_url``
    only word the errors.
    ``sleep`` is a parameter so tests of the back-off need not wait for real.
    """

    name: str
    key_env: str
    url_env: str
    base_url: str
    headers: Mapping[str, str]
    default_url: str = ""
    max_attempts: int = MAX_ATTEMPTS
    first_backoff_s: float = FIRST_BACKOFF_S
    sleep: Callable[[float], None] = time.sleep
    retries: int = field(default=0, init=False)
    """Answers retried so far (429/5xx/connection errors), for the run's summary."""

    def __post_init__(self) -> None:
        try:
            self._http = httpx.Client(
                base_url=self.base_url.rstrip("/"), headers=dict(self.headers), timeout=TIMEOUT_S
            )
        except (httpx.InvalidURL, TypeError) as exc:
            raise AdminApiError(
                f"{self.name} admin API URL {self.base_url!r} is not valid ({exc}): "
                f"fix {self.url_env}"
            ) from None

    def close(self) -> None:
        self._http.close()

    def get(self, path: str, query: Query = ()) -> Any:
        """The JSON body of ``GET path?query``; numbers with a fraction become Decimal."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self._http.get(path, params=list(query))
            except (httpx.UnsupportedProtocol, httpx.InvalidURL):
                raise AdminApiError(
                    f"{self.name} admin API URL {self.base_url!r} is not an http(s) URL: "
                    f"fix {self.url_env}"
                ) from None
            except httpx.TransportError as exc:
                if attempt == self.max_attempts:
                    raise AdminApiError(
                        f"{self.name} admin API at {self.base_url} is unreachable "
                        f"({type(exc).__name__}); check the URL and the network"
                    ) from None
                self._wait(self._backoff(attempt))
                continue
            status = response.status_code
            if status in (401, 403):
                raise AdminAuthError(
                    f"{self.name} admin API refused the key (HTTP {status}): set {self.key_env} "
                    f"to an admin key allowed to read usage and costs" + _detail(response)
                )
            if status in RETRY_STATUSES and attempt < self.max_attempts:
                self._wait(
                    retry_after(response.headers.get("retry-after")) or self._backoff(attempt)
                )
                continue
            if status != 200:
                raise AdminApiError(
                    f"{self.name} admin API answered HTTP {status} for {path}"
                    + (f" after {attempt} attempts" if attempt > 1 else "")
                    + _detail(response)
                    # a root without its version part (https://api.openai.com) finds no report
                    + (
                        f": is {self.url_env} the API's root, as {self.default_url}?"
                        * (status == 404)
                    )
                )
            try:
                return json.loads(response.content, parse_float=Decimal)
            except ValueError:
                raise AdminApiError(
                    f"{self.name} admin API answered {path} with a body that is not JSON"
                ) from None
        raise AssertionError("unreachable")  # the loop returns or raises

    def pages(self, path: str, query: Query, cursor: str = "page") -> Iterator[dict[str, Any]]:
        """Every page of a report: follows ``next_page`` while ``has_more`` is true."""
        token: str | None = None
        while True:
            page = self.get(path, [*query, *([(cursor, token)] if token else [])])
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise AdminApiError(f"{self.name} admin API answered {path} without a data list")
            yield page
            token = page.get("next_page")
            if not page.get("has_more") or not token:
                return

    def listing(self, path: str, query: Query, after: str) -> Iterator[dict[str, Any]]:
        """Every object of a list endpoint paged by ``after``/``after_id`` and ``last_id``."""
        last: str | None = None
        while True:
            page = self.get(path, [*query, *([(after, last)] if last else [])])
            data = page.get("data") if isinstance(page, dict) else None
            if not isinstance(data, list):
                raise AdminApiError(f"{self.name} admin API answered {path} without a data list")
            yield from data
            last = page.get("last_id") or (data[-1].get("id") if data else None)
            if not page.get("has_more") or not last:
                return

    def _backoff(self, attempt: int) -> float:
        return min(self.first_backoff_s * 2 ** (attempt - 1), MAX_BACKOFF_S)

    def _wait(self, seconds: float) -> None:
        self.retries += 1
        self.sleep(min(seconds, MAX_BACKOFF_S))


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _detail(response: httpx.Response) -> str:
    """The provider's own error message, if its body carries one (never a header)."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    message = error.get("message") if isinstance(error, dict) else error
    return f": {str(message)[:200]}" if message else ""
