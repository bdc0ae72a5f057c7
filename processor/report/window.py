"""The report's time window and filters, parsed from the command line.

``--since 7d`` (units m, h, d, w), or ``--from``/``--to`` as ISO dates or datetimes (UTC
unless an offset is given; a bare ``--to`` date includes that whole day). Filters are
``--where key=value``, repeatable; repeating a key means any of its values.

Windows are exact: ``--since 24h`` is the last 24 hours to the microsecond (the views
count the calls themselves where the range is not whole hours, the hourly rollup where it
is whole hours, the daily one where it is whole days); ``--since 7d`` is today and the six
days before (whole UTC days). A day window ending now reaches to the end of today for the
views that count only the window (nothing is stored after now, so this changes no number
but lets the daily rollup answer); "now" itself stays the end for month to date and its
forecast.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from tokentrace.processor.store.view_sql import EARLIEST, LATEST
from tokentrace.processor.store.views import CALL_FILTERS, VARIABLES

FILTER_KEYS = VARIABLES + CALL_FILTERS
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """``[start, end)``; ``query_end`` (≥ end) bounds the views that count only the window;
    ``until_now`` when the window ends at the moment the report runs."""

    start: dt.datetime
    end: dt.datetime
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    query_end: dt.datetime | None = None
    until_now: bool = False

    @property
    def window_end(self) -> dt.datetime:
        return self.query_end or self.end

    def label(self) -> str:
        """The window as asked: ``2026-11-01 → 2026-11-30`` for whole days (the last one
        inclusive), times where it starts or ends mid-day, ``(now)`` when it ends now."""
        start = _when(self.start)
        if self.until_now:
            return f"{start} → {self.end:%Y-%m-%d %H:%M} UTC (now)"
        if _midnight(self.start) == self.start and _midnight(self.end) == self.end:
            last = (self.end - DAY).date().isoformat()
            return start if last == start else f"{start} → {last}"
        return f"{start} → {_when(self.end)} UTC"

    def days(self) -> tuple[dt.date, dt.date]:
        """The UTC days the daily rows and anomalies cover, first and last (inclusive)."""
        return self.start.date(), (self.end - dt.timedelta(microseconds=1)).date()


def _midnight(moment: dt.datetime) -> dt.datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _when(moment: dt.datetime) -> str:
    if _midnight(moment) == moment:
        return moment.date().isoformat()
    return f"{moment:%Y-%m-%d %H:%M}"


def parse_since(text: str) -> dt.timedelta:
    match = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text)
    if not match or int(match[1]) == 0:
        raise ValueError(
            f"--since takes a number above 0 and a unit (m, h, d, w), e.g. 7d: {text!r}"
        )
    try:
        return dt.timedelta(**{UNITS[match[2]]: int(match[1])})
    except OverflowError:
        raise ValueError(_OUTSIDE.format(window=f"--since {text.strip()}")) from None


def parse_time(text: str, end_of_day: bool = False) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO date or datetime: {text!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if end_of_day and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        if value.date() == dt.date.max:
            raise ValueError(_OUTSIDE.format(window=f"--to {text.strip()}"))
        value += DAY
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
        if "\\" in value:
            raise ValueError(f"--where values cannot contain '\\': {item!r}")
        filters.setdefault(key, []).append(value)
    return {k: tuple(v) for k, v in filters.items()}


_OUTSIDE = (
    "{window} reaches outside 1970-01-01 … 2106-02-07 (UTC), the range ClickHouse's DateTime "
    "holds: ask for a window inside it"
)


def build(
    since: str | None,
    start: str | None,
    end: str | None,
    where: list[str] | None,
    now: dt.datetime | None = None,
) -> Window:
    """The window the flags describe; the default is the last 30 days. One that reaches
    outside what ClickHouse's DateTime holds (``--since 999999d``, ``--from 1900-01-01``) is
    refused here, with the reason, as an empty one is: they were tracebacks from the views."""
    try:
        window = _build(since, start, end, where, now)
    except OverflowError:
        window = None
    if window is None or window.start < EARLIEST or window.end > LATEST:
        flags = (("--since", since), ("--from", start), ("--to", end))
        raise ValueError(_OUTSIDE.format(window=" ".join(f"{f} {v}" for f, v in flags if v)))
    return window


def _build(
    since: str | None,
    start: str | None,
    end: str | None,
    where: list[str] | None,
    now: dt.datetime | None,
) -> Window:
    now = now or dt.datetime.now(dt.UTC)
    filters = parse_filters(where)
    if since and (start or end):
        raise ValueError("use either --since or --from/--to, not both")
    if end or start:
        stop = parse_time(end, end_of_day=True) if end else now
        begin = parse_time(start) if start else stop - 30 * DAY
        if begin >= stop:
            ends = f"--to {end}" if end else f"now ({stop:%Y-%m-%d %H:%M:%S} UTC)"
            raise ValueError(
                f"the window is empty: --from {start} is not before {ends}: give a --from before it"
            )
        if end:
            return Window(begin, stop, filters)
        return Window(begin, now, filters, _midnight(now) + DAY, until_now=True)
    text = since or "30d"
    length = parse_since(text)
    unit = text.strip()[-1]
    if unit in "dw":
        today = _midnight(now)
        return Window(today - length + DAY, now, filters, today + DAY, until_now=True)
    return Window(now - length, now, filters, until_now=True)
