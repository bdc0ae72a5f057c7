"""Count each LLM API call once, however many spans describe it.

One call can reach the processor as several spans:

- the same span twice, when an exporter retries a request whose answer it never saw;
- two spans with the same ``gen_ai.response.id`` in one trace (two instrumentations of
  one call, e.g. the Anthropic SDK's own tracing and tokentrace);
- a parent/child pair of GenAI call spans (a framework's span wrapping the SDK's, or the
  SDK's wrapping tokentrace's, which tokentrace marks ``tokentrace.duplicate_of``).

Within one request, of a parent/child pair the span marked as tokentrace's is kept
(scope ``tokentrace*`` or a ``tokentrace.*`` attribute), otherwise the child, which sits
closest to the HTTP exchange. Across requests, the first span seen wins. Response ids
are compared within a trace: provider stand-ins and proxies reuse ids across runs, and a
duplicate of one call always shares its trace.

Memory is bounded: the keys of the most recent calls are kept (at least the newest
``capacity`` / 2 keys, at most ``capacity``; 600,000 by default, up to three per call,
about 60 MB). A duplicate arriving after that many newer calls is counted again;
exporters retry within seconds, far inside that window.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tokentrace.processor.extract.extractor import Call

DEFAULT_CAPACITY = 600_000

# call, span key (S…), parent key (P…), response key (R…); b"" where there is none
_Keyed = tuple[Call, bytes, bytes, bytes]


class Deduper:
    """Decides which calls are new; callers hold a lock around :meth:`admit`.

    Keys are bytes, prefixed by kind: ``S`` + trace id + span id of a counted call, ``P``
    + trace id + parent span id of one, ``R`` + trace id + response id. Bytes are never
    tracked by the garbage collector, and membership is a C-level set lookup. They live
    in two generations: when the young set holds ``capacity / 2`` keys the old one is
    dropped whole, so every operation stays O(1).
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._half = max(1, capacity // 2)
        self._young: set[bytes] = set()
        self._old: set[bytes] = set()

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
        for call, span, parent, response in keyed:
            as_parent = b"P" + span[1:]
            parent_counted = b"S" + parent[1:] if parent else b""
            if (
                span in young
                or span in old
                or as_parent in young
                or as_parent in old
                or (parent and (parent_counted in young or parent_counted in old))
                or (response and (response in young or response in old))
            ):
                continue
            for key in (span, parent, response):
                if key:
                    if len(young) >= self._half:
                        old = self._old = young
                        young = self._young = set()
                    young.add(key)
            admitted.append(call)
        return admitted, len(calls) - len(admitted)

    def forget(self, calls: Iterable[Call]) -> None:
        """Undo :meth:`admit` for calls that were not stored after all."""
        for _, span, parent, response in _keys(calls):
            for key in (span, parent, response):
                self._young.discard(key)
                self._old.discard(key)

    def remember(self, trace_id: bytes, span_id: bytes, response_id: str) -> None:
        """Seed from rows already stored or spooled (at start)."""
        for key in (b"S" + trace_id + span_id, _response_key(trace_id, response_id)):
            if key:
                if len(self._young) >= self._half:
                    self._old = self._young
                    self._young = set()
                self._young.add(key)


def _response_key(trace_id: bytes, response_id: str) -> bytes:
    return b"R" + trace_id + response_id.encode() if response_id else b""


def _keys(calls: Iterable[Call]) -> list[_Keyed]:
    return [
        (
            call,
            b"S" + call.trace_id + call.span_id,
            b"P" + call.trace_id + call.parent_span_id if call.parent_span_id else b"",
            _response_key(call.trace_id, call.response_id),
        )
        for call in calls
    ]


def _drop_pairs(keyed: list[_Keyed]) -> list[_Keyed]:
    """``keyed`` less one of each parent/child pair and each repeated span or response."""
    by_span = {span[1:]: call for call, span, _, _ in keyed}
    dropped: set[int] = set()
    for call, _, parent, _ in keyed:
        if parent:
            parent_call = by_span.get(parent[1:])
            if parent_call is not None:
                dropped.add(id(call) if parent_call.ours and not call.ours else id(parent_call))
    kept: list[_Keyed] = []
    seen: set[bytes] = set()
    for entry in keyed:
        call, span, _, response = entry
        if id(call) in dropped or span in seen or (response and response in seen):
            continue
        seen.add(span)
        if response:
            seen.add(response)
        kept.append(entry)
    return kept
