"""The entries of an httpx/httpx2 `Headers` with their names already lowercased.

Both libraries keep each header as `(raw name, lowercased name, value)` in `Headers._list`.
`Headers.raw` builds a new list of pairs on every access (about 7 k instructions for the eight
headers of an SDK request, under callgrind), and each name then had to be lowered again: the
four passes of a call (credential, `baggage`, content type and encoding, cost headers) cost
about 45 k instructions that way, 6 k on `_list`. A `Headers` without `_list` (a future
version) is read through `raw`, with the same result.
"""

from __future__ import annotations

from typing import Any

Entries = list[tuple[bytes, bytes, bytes]]


def entries(headers: Any) -> Entries:
    """`(raw name, lowercased name, value)` for every header, in order."""
    found = getattr(headers, "_list", None)
    if type(found) is list:
        return found
    return [(name, name.lower(), value) for name, value in headers.raw]
