"""Per-request cost tags, carried as W3C baggage so they also cross service boundaries.

`with tags(feature="chat", tenant=store_id):` adds baggage entries for the code inside it. The
context is a `contextvars` one, so tags nest, stay in their thread, and follow asyncio tasks
created inside the block. Each LLM span copies every baggage entry onto itself as an attribute
under the plain key (`feature`, `tenant`, `team`, `user`, ...), except keys in the namespaces
that the span's own measurements use, which baggage must never overwrite.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from opentelemetry import baggage, context

from .headers import Entries, entries

RESERVED_PREFIXES = ("gen_ai.", "tokentrace.", "http.", "server.", "error.")


@contextmanager
def tags(**values: object) -> Iterator[None]:
    """Tags every LLM call made inside the block; None values are skipped, others become str."""
    ctx = context.get_current()
    for key, value in values.items():
        if value is not None:
            ctx = baggage.set_baggage(key, str(value), ctx)
    token = context.attach(ctx)
    try:
        yield
    finally:
        context.detach(token)


def tags_of(entries: Mapping[str, object]) -> dict[str, str]:
    """The baggage `entries` (`baggage.get_all` of the call's context) that become span
    attributes."""
    if not entries:
        return {}
    return {
        key: value
        for key, value in entries.items()
        if isinstance(value, str) and not key.startswith(RESERVED_PREFIXES)
    }


def strip_baggage(headers: Any, found: Entries | None = None) -> None:
    """Removes the `baggage` header from httpx/httpx2 request headers (`found`: their `entries`,
    when the caller has them). The names are looked at first: `pop` of an absent header goes
    through a KeyError, which costs more than the scan. The scan runs in C (`in` over the
    lowercased names): a Python loop over the headers executed about 90 bytecodes per call,
    each a dispatch the branch predictor may miss."""
    if _BAGGAGE in map(_LOWER_NAME, entries(headers) if found is None else found):
        headers.pop("baggage", None)


_BAGGAGE = b"baggage"
_LOWER_NAME = itemgetter(1)
