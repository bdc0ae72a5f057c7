"""Opt-in live price data (``serve --prices-update [URL]``), with genai-prices' own updater.

genai-prices' ``UpdatePrices`` fetches its data file (``DEFAULT_UPDATE_URL``, or a mirror for
air-gapped sites) in a background thread every ``update_interval`` seconds and makes it
genai-prices' current data. :class:`PriceUpdates` is that updater with one step added to its
``fetch``: serve's pricer is rebuilt from the fetched data, with tokentrace's corrections and
the user's prices file still layered on top in that order, and adopted in one swap; then the
stored days whose calls the new data prices differently are named, with the ``tokentrace
reprice`` command lines that re-price them (log, ``/metrics``, ``/api/v1/prices/update``).

A fetch that fails (unreachable URL, HTTP error, a body that is not genai-prices data) raises
one :class:`PricesUpdateError`; genai-prices logs it as one line and keeps the data it had,
and so does the pricer.

What changed is found exactly, not by sampling: for each (UTC day, provider, model, service
tier) stored, the two pricers' compiled integer coefficients for that day (every unit, every
long-context tier, every time-of-day window) are compared (:meth:`Pricer.rates_on`). The
comparison is against the data serve priced with until then: the bundled data at start-up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from genai_prices.data_snapshot import DataSnapshot
from genai_prices.update_prices import DEFAULT_UPDATE_URL, UpdatePrices

from tokentrace.processor.pricing.pricer import Pricer

__all__ = ["DEFAULT_UPDATE_URL", "PriceUpdates", "PricesUpdateError", "RepriceAdvice"]

log = logging.getLogger("tokentrace.prices")

# What a stored row may be priced by (as ingest and ``reprice`` price it, names.call_models):
# its response model and its request model, else the stored model. A row whose request model
# is not needed is advised on by it too: a day more to reprice, never one less.
STORED_KEYS_SQL = """
SELECT DISTINCT toDate(ts) AS day, provider, name, service_tier
FROM llm_calls
ARRAY JOIN arrayFilter(x -> x != '', [
    response_model, request_model, if(response_model = '' AND request_model = '', model, '')
]) AS name
ORDER BY day
"""


class PricesUpdateError(Exception):
    """A price update that could not be used: the current prices stay."""


@dataclass(frozen=True)
class RepriceAdvice:
    """The UTC days whose stored calls the new price data prices differently."""

    days: tuple[date, ...]

    def ranges(self) -> list[tuple[date, date]]:
        """Consecutive days as ``[since, until)`` ranges, as ``tokentrace reprice`` takes them."""
        ranges: list[tuple[date, date]] = []
        for day in sorted(self.days):
            if ranges and ranges[-1][1] == day:
                ranges[-1] = (ranges[-1][0], day + timedelta(days=1))
            else:
                ranges.append((day, day + timedelta(days=1)))
        return ranges

    def commands(self) -> list[str]:
        return [
            f"tokentrace reprice --since {since.isoformat()} --until {until.isoformat()}"
            for since, until in self.ranges()
        ]


def changed_days(
    old: Pricer, new: Pricer, stored: Iterable[tuple[date, str, str, str]]
) -> RepriceAdvice:
    """The days of ``stored`` (day, provider, model, service tier) ``new`` prices otherwise."""
    days = {
        day
        for day, provider, model, tier in stored
        if old.rates_on(provider, model, tier, day) != new.rates_on(provider, model, tier, day)
    }
    return RepriceAdvice(tuple(sorted(days)))


def stored_keys(client: Any) -> list[tuple[date, str, str, str]]:
    """Every (UTC day, provider, model, service tier) with calls in the store."""
    return [tuple(row) for row in client.query(STORED_KEYS_SQL).result_rows]  # type: ignore[misc]


@dataclass
class PriceUpdates(UpdatePrices):
    """genai-prices' updater, with serve's ``pricer`` rebuilt and swapped on every fetch.

    ``connect`` opens a store client, to list the days stored (``None``: no advice).
    ``on_outcome`` is told ``"updated"``, ``"unchanged"`` or ``"failed"`` after each fetch.
    """

    pricer: Pricer | None = None
    connect: Callable[[], Any] | None = None
    on_outcome: Callable[[str], None] | None = None
    advice: RepriceAdvice = field(default_factory=lambda: RepriceAdvice(()), init=False)
    last_update: datetime | None = field(default=None, init=False)
    last_error: str = field(default="", init=False)
    _client: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def fetch(self) -> DataSnapshot:
        """Fetch with genai-prices, then rebuild and swap the pricer; genai-prices makes the
        snapshot its current data only once this returns (a failure leaves both as they were)."""
        with self._lock:
            try:
                snapshot = self._fetched()
                self._adopt(snapshot)
            except PricesUpdateError as exc:
                self.last_error = str(exc)
                self._tell("failed")
                raise
            self.last_error = ""
            return snapshot

    def status(self) -> dict[str, Any]:
        """The updater's state as plain data, for ``/api/v1/prices/update``."""
        return {
            "url": self.url,
            "update_interval_seconds": self.update_interval,
            "price_version": self.pricer.data_version if self.pricer else None,
            "last_update": self.last_update.isoformat() if self.last_update else None,
            "last_error": self.last_error or None,
            "reprice_days": [day.isoformat() for day in self.advice.days],
            "reprice_commands": self.advice.commands(),
        }

    def _fetched(self) -> DataSnapshot:
        try:
            snapshot = super().fetch()
        except Exception as exc:
            raise self._error(exc) from None
        if snapshot is None or not snapshot.providers:
            raise self._error(ValueError("no providers in the price data"))
        return snapshot

    def _adopt(self, snapshot: DataSnapshot) -> None:
        pricer = self.pricer
        if pricer is None:
            return
        try:
            fresh = pricer.with_data(snapshot)
        except Exception as exc:  # data genai-prices parsed but the pricer cannot compile
            raise self._error(exc) from None
        if fresh.data_version == pricer.data_version:
            log.info("prices from %s unchanged (%s)", self.url, pricer.data_version)
            self.last_update = datetime.now(UTC)
            self._tell("unchanged")
            return
        advice = self._advise(pricer, fresh)
        previous = pricer.data_version
        pricer.adopt(fresh)
        log.info("prices updated from %s: %s -> %s", self.url, previous, fresh.data_version)
        if advice is not None:
            self.advice = advice
            if advice.days:
                log.warning(
                    "the new prices change the cost of calls stored on %d day(s); re-price "
                    "them with: %s",
                    len(advice.days),
                    " ; ".join(advice.commands()),
                )
        self.last_update = datetime.now(UTC)
        self._tell("updated")

    def _advise(self, old: Pricer, new: Pricer) -> RepriceAdvice | None:
        if self.connect is None:
            return None
        try:
            if self._client is None:
                self._client = self.connect()
            stored = stored_keys(self._client)
        except Exception as exc:  # the store may be away: the prices still update
            self._client = None
            log.warning(
                "prices updated, but the stored days could not be listed to say which "
                "to re-price (%s): run tokentrace reprice over the days you need",
                _one_line(exc),
            )
            return None
        return changed_days(old, new, stored)

    def _error(self, exc: Exception) -> PricesUpdateError:
        kept = self.pricer.data_version if self.pricer else "the current prices"
        return PricesUpdateError(
            f"price update from {self.url} failed ({type(exc).__name__}: {_one_line(exc)}); "
            f"keeping {kept}"
        )

    def _tell(self, outcome: str) -> None:
        if self.on_outcome is not None:
            self.on_outcome(outcome)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else "")[:200]
