"""Count each LLM API call once, however many spans describe it.

One call can reach the processor as several spans:

- the same span twice, when an exporter retries a request whose answer it never saw;
- two spans with the same ``gen_ai.response.id`` in one trace (two instrumentations of
  one call, e.g. the Anthropic SDK's own tracing and tokentrace);
- two spans with the same response id in two traces, from two sources (instrumentation
  scopes): OpenLLMetry's Anthropic span and the Anthropic SDK's own are each a root span
  of a trace of their own. Only spans of different scopes that start within a minute of
  each other are matched across traces, since one source never emits two spans for one
  call while provider stand-ins and proxies reuse ids from run to run;
- a parent/child pair of GenAI call spans (a framework's span wrapping the SDK's, or the
  SDK's wrapping tokentrace's, which tokentrace marks ``tokentrace.duplicate_of``).

Within one request the span with the richer usage is kept (:func:`richness`: usage
present, then tokentrace's own span, which reads the wire, then the number of non-zero
counts, then the provider SDK's own span over a third party's); of a parent/child pair
that tie, the child, which sits closest to the HTTP exchange. Across requests, the first
span seen wins: a stored row is not taken back.

Memory is bounded: the keys of the most recent calls are kept (at least the newest
``capacity`` / 2 keys, at most ``capacity``; 600,000 by default, up to four per call,
about 70 MB). A duplicate arriving after that many newer calls is counted again;
exporters retry within seconds, far inside that window. Keys seeded from stored rows at
start have no scope, so the cross-trace match covers spans seen since the start.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tokentrace.processor.extract.extractor import Call

DEFAULT_CAPACITY = 600_000
# Spans of one call start within this many microseconds of each other (a bucket's width;
# a lookup checks the buckets either side too).
_WINDOW_US = 60_000_000

# call, span key (S…), parent key (P…), response key (R…), cross-trace key (G…); b"" where
# there is none
_Keyed = tuple[Call, bytes, bytes, bytes, bytes]


class Deduper:
    """Decides which calls are new; callers hold a lock around :meth:`admit`.

    Keys are bytes, prefixed by kind: ``S`` + trace id + span id of a counted call, ``P``
    + trace id + parent span id of one, ``R`` + trace id + response id, ``G`` + start
    minute + response id, whose value is the scope that emitted it (b"" for the others).
    Bytes are never tracked by the garbage collector, and membership is a C-level dict
    lookup. They live in two generations: when the young dict holds ``capacity / 2`` keys
    the old one is dropped whole, so every operation stays O(1).
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._half = max(1, capacity // 2)
        self._young: dict[bytes, bytes] = {}
        self._old: dict[bytes, bytes] = {}

    def __len__(self) -> int:
        return len(self._young | self._old)

    def admit(self, calls: Sequence[Call]) -> tuple[list[Call], int]:
        """The calls not counted before, and how many were duplicates.

        The admitted calls are remembered at once, so a concurrent request carrying the
        same span sees it; :meth:`forget` undoes that if the request then fails.
        """
        keyed = _keys(calls)
        if len(keyed) > 1:
            keyed = _drop_pairs(keyed)
        young, old = self._young, self._old
        admitted: list[Call] = []
        for call, span, parent, response, shared in keyed:
            as_parent = b"P" + span[1:]
            parent_counted = b"S" + parent[1:] if parent else b""
            if (
                span in young
                or span in old
                or as_parent in young
                or as_parent in old
                or (parent and (parent_counted in young or parent_counted in old))
                or (response and (response in young or response in old))
                or (shared and self._other_scope(shared, call.scope))
            ):
                continue
            for key in (span, parent, response, shared):
                if key:
                    if len(young) >= self._half:
                        old = self._old = young
                        young = self._young = {}
                    young[key] = call.scope if key is shared else b""
            admitted.append(call)
        return admitted, len(calls) - len(admitted)

    def _other_scope(self, shared: bytes, scope: bytes) -> bool:
        """Whether another scope counted a span with this response id around this time."""
        for key in _neighbours(shared):
            for generation in (self._young, self._old):
                seen = generation.get(key)
                if seen is not None and seen != scope:
                    return True
        return False

    def forget(self, calls: Iterable[Call]) -> None:
        """Undo :meth:`admit` for calls that were not stored after all."""
        for _, *keys in _keys(calls):
            for key in keys:
                self._young.pop(key, None)
                self._old.pop(key, None)

    def remember(self, trace_id: bytes, span_id: bytes, response_id: str) -> None:
        """Seed from rows already stored or spooled (at start)."""
        for key in (b"S" + trace_id + span_id, _response_key(trace_id, response_id)):
            if key:
                if len(self._young) >= self._half:
                    self._old = self._young
                    self._young = {}
                self._young[key] = b""


def _response_key(trace_id: bytes, response_id: str) -> bytes:
    return b"R" + trace_id + response_id.encode() if response_id else b""


def _shared_key(call: Call) -> bytes:
    """The cross-trace key: start minute + response id."""
    if not call.response_id:
        return b""
    return b"G" + (call.ts_us // _WINDOW_US).to_bytes(8, "big") + call.response_id.encode()


def _neighbours(shared: bytes) -> list[bytes]:
    """``shared`` and the same response id's keys a minute either side."""
    minute = int.from_bytes(shared[1:9], "big")
    return [b"G" + (minute + step).to_bytes(8, "big") + shared[9:] for step in (0, -1, 1)]


def _keys(calls: Iterable[Call]) -> list[_Keyed]:
    return [
        (
            call,
            b"S" + call.trace_id + call.span_id,
            b"P" + call.trace_id + call.parent_span_id if call.parent_span_id else b"",
            _response_key(call.trace_id, call.response_id),
            _shared_key(call),
        )
        for call in calls
    ]


def richness(call: Call) -> tuple[int, int, int, int]:
    """Which of two spans of one call to keep: the larger (see the module docstring)."""
    counts = (
        call.input_tokens,
        call.output_tokens,
        call.cache_read_tokens,
        call.cache_write_tokens,
        call.reasoning_tokens,
    )
    return (
        0 if call.usage_missing else 1,
        1 if call.ours else 0,
        sum(1 for count in counts if count),
        call.rank,
    )


def _drop_pairs(keyed: list[_Keyed]) -> list[_Keyed]:
    """``keyed`` less one of each parent/child pair and each repeated span or response,
    keeping the richer of each (the child of a parent/child pair on a tie)."""
    by_span = {entry[1][1:]: entry[0] for entry in keyed}
    dropped: set[int] = set()
    for call, _, parent, _, _ in keyed:
        if parent:
            parent_call = by_span.get(parent[1:])
            if parent_call is not None:
                richer_parent = richness(parent_call) > richness(call)
                dropped.add(id(call) if richer_parent else id(parent_call))
    kept: set[int] = set()
    seen: set[bytes] = set()
    shared_seen: dict[bytes, bytes] = {}
    for entry in sorted(keyed, key=lambda entry: richness(entry[0]), reverse=True):
        call, span, _, response, shared = entry
        if id(call) in dropped or span in seen or (response and response in seen):
            continue
        if shared and any(
            shared_seen.get(key, call.scope) != call.scope for key in _neighbours(shared)
        ):
            continue
        seen.add(span)
        if response:
            seen.add(response)
        if shared:
            shared_seen[shared] = call.scope
        kept.add(id(call))
    return [entry for entry in keyed if id(entry[0]) in kept]
