"""Filter values that match nothing: say so, and list the values that do, nearest first.

A typo (``--where team=grwoth``) would otherwise print an all-zero report that looks like
a quiet month. Each filter value is looked up over all time with the same views the report
runs (so it works on a store and through serve's API alike); values never seen are
reported with the known ones, ordered by :mod:`difflib` similarity.
"""

from __future__ import annotations

import datetime as dt
import difflib

from tokentrace.processor.report.document import Source

# The view that lists every value of a filter key, and the column holding it. The
# per-user and per-conversation views list the top 100 only, which is what is suggested.
LISTING = {
    "provider": ("spend_by_provider", "provider"),
    "model": ("spend_by_model", "model"),
    "user": ("cost_by_user", "user"),
    "conversation": ("cost_by_conversation", "conversation"),
}
ALL_TIME = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
SHOWN = 8


def nearest(value: str, known: list[str]) -> list[str]:
    """``known`` ordered by similarity to ``value``, most similar first (ties: by name)."""

    def similarity(candidate: str) -> float:
        return difflib.SequenceMatcher(None, value.lower(), candidate.lower()).ratio()

    return sorted(known, key=lambda candidate: (-similarity(candidate), candidate))


def unmatched(
    source: Source, filters: dict[str, tuple[str, ...]], now: dt.datetime | None = None
) -> str | None:
    """One line naming the first filter value no stored call has, with the known values
    nearest first; None when every value matches some call."""
    end = (now or dt.datetime.now(dt.UTC)) + dt.timedelta(days=1)
    for key, values in filters.items():
        view, column = LISTING.get(key, (f"spend_by_{key}", key))
        for value in values:
            if source(view, ALL_TIME, end, {key: (value,)}):
                continue
            known = sorted({str(row[column]) for row in source(view, ALL_TIME, end, {})} - {""})
            if not known:
                return f"no calls with {key}={value}: the store has no {key} values at all"
            listed = ", ".join(nearest(value, known)[:SHOWN])
            more = f" (and {len(known) - SHOWN} more)" if len(known) > SHOWN else ""
            return f"no calls with {key}={value}; known {key} values, nearest first: {listed}{more}"
    return None
