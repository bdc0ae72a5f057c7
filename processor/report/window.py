"""The report's time window and filters, parsed from the command line.

``--since 7d`` (units m, h, d, w), or ``--from``/``--to`` as ISO dates or datetimes (UTC
unless an offset is given; a bare ``--to`` date includes that whole day). Filters are
``--where key=value``, repeatable; repeating a key means any of its values.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from tokentrace.processor.store.views import VARIABLES as FILTER_KEYS

UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)


def parse_since(text: str) -> dt.timedelta:
    match = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text)
    if not match:
        raise ValueError(f"--since takes a number and a unit (m, h, d, w), e.g. 7d: {text!r}")
    return dt.timedelta(**{UNITS[match[2]]: int(match[1])})


def parse_time(text: str, end_of_day: bool = False) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO date or datetime: {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if end_of_day and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        value += dt.timedelta(days=1)
    return value.astimezone(dt.UTC)


def parse_filters(items: list[str] | None) -> dict[str, tuple[str, ...]]:
    filters: dict[str, list[str]] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not value:
            raise ValueError(f"--where takes key=value, e.g. team=growth: {item!r}")
        if key not in FILTER_KEYS:
            raise ValueError(f"--where key must be one of {', '.join(FILTER_KEYS)}: {key!r}")
        filters.setdefault(key, []).append(value)
    return {k: tuple(v) for k, v in filters.items()}


def build(
    since: str | None,
    start: str | None,
    end: str | None,
    where: list[str] | None,
    now: dt.datetime | None = None,
) -> Window:
    """The window the flags describe; the default is the last 30 days."""
    now = now or dt.datetime.now(dt.UTC)
    if since and (start or end):
        raise ValueError("use either --since or --from/--to, not both")
    stop = parse_time(end, end_of_day=True) if end else now
    begin = parse_time(start) if start else _since(since or "30d", stop)
    if begin >= stop:
        raise ValueError(
            f"the window is empty: {begin.isoformat()} is not before {stop.isoformat()}"
        )
    return Window(begin, stop, parse_filters(where))


def _since(text: str, stop: dt.datetime) -> dt.datetime:
    """Day and week lengths are calendar days ending today (UTC): ``7d`` is today and the
    six days before it, so the daily views and the window agree; m and h are exact."""
    length = parse_since(text)
    if text.strip()[-1] in "dw":
        midnight = stop.replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight - length + dt.timedelta(days=1)
    return stop - length
