"""What the admin stand-ins report: the records of an organisation's usage, costs and keys.

A test or the demo fills a :class:`Ledger` with per-day records, as fine-grained as the
real reports can be grouped; the stand-ins aggregate them per request exactly as the real
APIs do: one bucket per UTC day in the asked range (empty ones included), one result per
combination of the ``group_by`` fields, every field not grouped by ``null``, and pages of
``limit`` buckets chained by an opaque ``next_page`` token.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any


@dataclass
class Ledger:
    """Records, each a dict with a ``day`` (``datetime.date``) and the report's own fields.

    ``openai_usage`` records also carry ``endpoint`` (``completions``, ``embeddings``, …);
    ``openai_costs`` carry ``amount`` (Decimal USD); ``anthropic_costs`` carry ``amount``
    (Decimal cents). Keys are the key-list objects without the list envelope;
    ``openai_keys`` carry the ``project_id`` they belong to.
    """

    openai_usage: list[dict[str, Any]] = field(default_factory=list)
    openai_costs: list[dict[str, Any]] = field(default_factory=list)
    openai_projects: list[dict[str, Any]] = field(default_factory=list)
    openai_keys: list[dict[str, Any]] = field(default_factory=list)
    anthropic_usage: list[dict[str, Any]] = field(default_factory=list)
    anthropic_costs: list[dict[str, Any]] = field(default_factory=list)
    anthropic_keys: list[dict[str, Any]] = field(default_factory=list)


class BadRequest(Exception):
    """A query the real API would refuse with 400; the message says why."""


def days(first: date, end: date) -> list[date]:
    """The UTC days whose bucket starts in ``[first, end)``."""
    return [first + timedelta(days=n) for n in range((end - first).days)]


def aggregate(
    records: Iterable[dict[str, Any]],
    day: date,
    group_by: Sequence[str],
    dimensions: Sequence[str],
    sums: Sequence[str],
) -> list[dict[str, Any]]:
    """One result per distinct ``group_by`` values among ``day``'s records.

    Dimensions not grouped by are ``None``; ``sums`` are added up. No records, no result.
    """
    unknown = sorted(set(group_by) - set(dimensions))
    if unknown:
        raise BadRequest(f"invalid group_by value(s) {unknown}; allowed: {', '.join(dimensions)}")
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for record in records:
        if record["day"] != day:
            continue
        key = tuple(record.get(name) for name in group_by)
        result = groups.get(key)
        if result is None:
            result = groups[key] = {name: None for name in dimensions}
            result.update(zip(group_by, key, strict=True))
            result.update({name: 0 for name in sums})
        for name in sums:
            result[name] += record.get(name) or 0
    return [groups[key] for key in sorted(groups, key=lambda k: tuple(map(str, k)))]


def page_of(buckets: list[Any], limit: int, page: str | None) -> tuple[list[Any], str | None]:
    """The buckets of this page and the next page's token (``None`` on the last page)."""
    offset = 0
    if page:
        try:
            offset = int(base64.urlsafe_b64decode(page.encode()).decode().removeprefix("page:"))
        except ValueError:
            raise BadRequest(f"invalid page token {page!r}") from None
    chosen = buckets[offset : offset + limit]
    more = offset + limit < len(buckets)
    token = base64.urlsafe_b64encode(f"page:{offset + limit}".encode()).decode() if more else None
    return chosen, token


def limit_of(value: str | None, default: int, maximum: int) -> int:
    if value is None:
        return default
    try:
        limit = int(value)
    except ValueError:
        raise BadRequest(f"limit must be an integer: {value!r}") from None
    if not 1 <= limit <= maximum:
        raise BadRequest(f"limit must be between 1 and {maximum}: {limit}")
    return limit


def listing(objects: list[dict[str, Any]], limit: int, after: str | None) -> dict[str, Any]:
    """A cursor-paged list (``data``, ``first_id``, ``last_id``, ``has_more``)."""
    start = 0
    if after:
        ids = [o["id"] for o in objects]
        if after not in ids:
            raise BadRequest(f"unknown cursor {after!r}")
        start = ids.index(after) + 1
    chosen = objects[start : start + limit]
    return {
        "data": chosen,
        "first_id": chosen[0]["id"] if chosen else None,
        "last_id": chosen[-1]["id"] if chosen else None,
        "has_more": start + limit < len(objects),
    }


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()
