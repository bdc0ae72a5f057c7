"""One reconciliation run: which providers, which days, fetch, write.

A provider takes part when its admin key is set (``OPENAI_ADMIN_KEY``,
``ANTHROPIC_ADMIN_KEY``); its base URL comes from ``TOKENTRACE_OPENAI_ADMIN_URL`` /
``TOKENTRACE_ANTHROPIC_ADMIN_URL``, defaulting to the public API. Keys are read from the
environment when a run starts and live only in the HTTP client's headers: they are never
stored, logged or put in an error. One provider failing does not stop the other.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import ModuleType
from typing import Any

from tokentrace.processor.reconcile import anthropic_reports, openai_reports, store_days
from tokentrace.processor.reconcile.http import AdminApiError, AdminClient
from tokentrace.processor.reconcile.rows import Report

IMPORTERS: tuple[ModuleType, ...] = (openai_reports, anthropic_reports)
DEFAULT_SINCE_DAYS = 30


@dataclass(frozen=True)
class Source:
    """A provider to import from. ``repr`` never shows the key."""

    provider: str
    importer: ModuleType
    base_url: str
    key: str

    def __repr__(self) -> str:
        return f"Source({self.provider!r}, {self.base_url!r})"

    def client(self) -> AdminClient:
        return self.importer.client(self.key, self.base_url)


def sources(env: Mapping[str, str] | None = None) -> list[Source]:
    """The providers whose admin key is set in ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    return [
        Source(m.PROVIDER, m, env.get(m.URL_ENV) or m.DEFAULT_URL, env[m.KEY_ENV])
        for m in IMPORTERS
        if env.get(m.KEY_ENV)
    ]


def missing_keys_message() -> str:
    names = " and/or ".join(m.KEY_ENV for m in IMPORTERS)
    return f"no admin key set: set {names} to import the providers' usage and cost reports"


Plan = Callable[[str, date, date], tuple[date, date]]
"""(provider, since, today) → first and last day to fetch."""


@dataclass(frozen=True)
class Outcome:
    provider: str
    first: date | None = None
    last: date | None = None
    written: store_days.Written | None = None
    error: str = ""
    retries: int = 0

    def line(self) -> str:
        """One line for the terminal or the log."""
        if self.error:
            return f"{self.provider}: {self.error}"
        w = self.written
        assert w is not None
        return (
            f"{self.provider}: {self.first}..{self.last} imported ({w.days} days, "
            f"{w.usage_rows} usage rows, {w.cost_rows} cost rows, {w.keys} keys"
            + (f", {self.retries} retries" if self.retries else "")
            + ")"
        )


def fetch(source: Source, first: date, last: date) -> tuple[Report, int]:
    """The provider's reports for ``first``..``last``, and how many answers were retried."""
    api = source.client()
    try:
        return source.importer.fetch(api, first, last), api.retries
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        raise AdminApiError(
            f"{api.name} admin API answered in a shape tokentrace does not know "
            f"({type(exc).__name__}: {exc}); nothing was imported for it"
        ) from None
    finally:
        api.close()


def run(
    write: Callable[[Report], store_days.Written],
    plan: Plan,
    chosen: list[Source],
    today: date,
    since_days: int = DEFAULT_SINCE_DAYS,
) -> list[Outcome]:
    """Fetch and write every source; ``write`` and ``plan`` are the store's (or serve's)."""
    since = today - timedelta(days=since_days - 1)
    outcomes = []
    for source in chosen:
        try:
            first, last = plan(source.provider, since, today)
            report, retries = fetch(source, first, last)
            written = write(report)
        except AdminApiError as exc:
            outcomes.append(Outcome(source.provider, error=str(exc)))
            continue
        outcomes.append(Outcome(source.provider, first, last, written, retries=retries))
    return outcomes


def run_on_store(client: Any, chosen: list[Source], today: date, since_days: int) -> list[Outcome]:
    """A run writing straight into a store (the embedded one, or a ClickHouse server)."""
    return run(
        lambda report: store_days.write(client, report),
        lambda provider, since, day: store_days.days_to_import(client, provider, since, day),
        chosen,
        today,
        since_days,
    )
