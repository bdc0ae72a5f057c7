"""Hard caps: calls under an enforced budget that is spent are refused before they are sent.

Opt-in with `TOKENTRACE_BUDGET_GUARD=http://HOST:4318` (the `tokentrace serve` base URL, with
`TOKENTRACE_AUTH_TOKEN` when serve wants one). A daemon thread polls serve's
`GET /api/v1/budgets/enforced` every `TOKENTRACE_BUDGET_GUARD_INTERVAL` seconds (default 2)
and keeps the enforced budgets at or over 100 %: checking a call is a loop over that local
list (empty almost always), never a network round trip. Polling uses urllib, not httpx, so
the guard's own requests are never instrumented.

A call is blocked when every filter of one such budget matches the call's dimensions: its
tags (baggage, then the resource), `service`, `environment`, `provider`, `model`,
`operation`, `api_key` and `endpoint`. It is answered locally with HTTP 429 in the
provider's own error format (`provider_errors`), so the SDK raises its usual error.

Fails open: when serve cannot be reached or answers badly, nothing is blocked (the copy is
dropped rather than kept stale) and it is logged once, then again when serve is back.

A cap judges known spend only: calls of unknown cost (no price for the model, no usage in the
span) are not in a budget's spend, which is then a lower bound, or unknown when every call is
one. The guard says so: it logs once per budget while its period holds such calls, and a refusal
reads "at least" with their count, so unknown spend is never taken for $0 under the cap.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("tokentrace.instrumentation")

PATH = "/api/v1/budgets/enforced"
TIMEOUT_SECONDS = 5.0

# Budget filter key → where the call carries it: span attribute first, then resource.
_SPAN_KEYS = {
    "provider": "gen_ai.provider.name",
    "model": "gen_ai.request.model",
    "operation": "gen_ai.operation.name",
    "api_key": "tokentrace.api_key",
    "endpoint": "tokentrace.endpoint",
}
_RESOURCE_KEYS = {
    "service": ("service.name",),
    "environment": ("deployment.environment.name", "deployment.environment"),
}


@dataclass(frozen=True)
class Exceeded:
    """An enforced budget at or over its amount."""

    scope: str
    filters: tuple[tuple[str, str], ...]
    period: str
    amount: str
    spent: str
    unpriced_requests: int = 0  # calls of the period whose cost is unknown, not in ``spent``
    dead_lettered_requests: int = 0  # calls of the period serve could not store, likewise

    def describe(self) -> str:
        shown = self.scope or "global"
        left_out = [
            f"{_calls(count)} {what}"
            for count, what in (
                (self.unpriced_requests, "of unknown cost"),
                (self.dead_lettered_requests, "not stored"),
            )
            if count
        ]
        spent = f"at least {self.spent}" if left_out else self.spent
        unknown = f" ({' and '.join(left_out)} not counted)" if left_out else ""
        return (
            f"tokentrace budget {shown} ({self.period}) is spent: {spent} of "
            f"{self.amount} USD{unknown}; call blocked before it was sent"
        )


def _calls(count: int) -> str:
    return f"{count:,} call" + ("" if count == 1 else "s")


class BudgetGuard:
    def __init__(self, base_url: str, token: str | None, interval_s: float) -> None:
        self.url = base_url.rstrip("/") + PATH
        self._headers = {"authorization": f"Bearer {token}"} if token else {}
        self._interval_s = interval_s
        self.exceeded: tuple[Exceeded, ...] = ()
        """The spent enforced budgets, replaced whole by each poll (read without a lock)."""
        self._reachable = True
        # Budgets whose spend leaves out calls of unknown cost, already logged: (scope, period).
        self._told_unknown: set[tuple[str, str]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tokentrace-budget-guard")
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT_SECONDS + 1)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.refresh()
            self._stop.wait(self._interval_s)

    def refresh(self) -> None:
        """Polls serve once; on any failure, blocks nothing (fails open)."""
        try:
            request = urllib.request.Request(self.url, headers=self._headers)
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                document = json.loads(response.read())
            self.exceeded = tuple(
                Exceeded(
                    scope=str(item["scope"]),
                    filters=tuple(sorted((str(k), str(v)) for k, v in item["filters"].items())),
                    period=str(item["period"]),
                    amount=str(item["amount"]),
                    spent=str(item["spent"]),
                    unpriced_requests=int(item.get("unpriced_requests") or 0),
                    dead_lettered_requests=int(item.get("dead_lettered_requests") or 0),
                )
                for item in document["budgets"]
                if item["exceeded"] is True
            )
            self._tell_unknown(document["budgets"])
        except Exception as error:  # unreachable, 401, bad JSON: never block on a guess
            self.exceeded = ()
            if self._reachable:
                self._reachable = False
                logger.warning(
                    "budget guard: no answer from %s (%s); calls are not blocked until it answers",
                    self.url,
                    error,
                )
            return
        if not self._reachable:
            self._reachable = True
            logger.info("budget guard: %s answers again", self.url)

    def _tell_unknown(self, budgets: list[dict[str, Any]]) -> None:
        """Logs once per budget whose period holds calls of unknown cost (or calls serve could
        not store), which its cap does not count (again once they are gone and come back: a new
        period, a reprice, a replay)."""
        unknown = {}
        for item in budgets:
            count = int(item.get("unpriced_requests") or 0)
            count += int(item.get("dead_lettered_requests") or 0)
            if count:
                unknown[str(item["scope"]), str(item["period"])] = (item, count)
        for key in unknown.keys() - self._told_unknown:
            item, count = unknown[key]
            spent = (
                "unknown (every call of the period is one)"
                if item["spent"] is None
                else f"at least {item['spent']} of {item['amount']} USD"
            )
            logger.warning(
                "budget guard: budget %s (%s) caps known spend only: %s of unknown cost this %s "
                "(no price, no usage, or not stored) are not counted, so its spend is %s",
                key[0] or "global",
                key[1],
                _calls(count),
                key[1],
                spent,
            )
        self._told_unknown = set(unknown)

    def blocking(
        self, attributes: Mapping[str, Any], resource: Mapping[str, Any]
    ) -> Exceeded | None:
        """The spent enforced budget whose filters all match this call, or None."""
        for budget in self.exceeded:
            if all(_value(key, attributes, resource) == want for key, want in budget.filters):
                return budget
        return None


def _value(key: str, attributes: Mapping[str, Any], resource: Mapping[str, Any]) -> str | None:
    span_key = _SPAN_KEYS.get(key)
    if span_key is not None:
        value = attributes.get(span_key)
        return None if value is None else str(value)
    for name in _RESOURCE_KEYS.get(key, ()):
        if name in resource:
            return str(resource[name])
    value = attributes.get(key, resource.get(key))
    return None if value is None else str(value)
