"""Count each LLM API call once, however many spans describe it.

One call can reach the processor as several spans:

- the same span twice, when an exporter retries a request whose answer it never saw;
- two spans with the same ``gen_ai.response.id`` in one trace (two instrumentations of
  one call, e.g. the Anthropic SDK's own tracing and tokentrace);
- a parent/child pair of GenAI call spans (a framework's span wrapping the SDK's, or the
  SDK's wrapping tokentrace's).

Within one request, of a parent/child pair the span marked as tokentrace's is kept
(scope ``tokentrace*`` or a ``tokentrace.*`` attribute), otherwise the child, which sits
closest to the HTTP exchange. Across requests, the first span seen wins. Response ids
are compared within a trace: provider stand-ins and proxies reuse ids across runs, and a
duplicate of one call always shares its trace.

Memory is bounded: the keys of the most recent calls are kept in insertion-ordered
dicts, oldest evicted first. A duplicate arriving after ``capacity`` newer calls is
counted again; exporters retry within seconds, far inside that window.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tokentrace.processor.extract import Call

DEFAULT_CAPACITY = 200_000


class RecentKeys:
    """A set that forgets its oldest members beyond ``capacity``."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._keys: dict[object, None] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: object) -> None:
        keys = self._keys
        keys[key] = None
        if len(keys) > self.capacity:
            del keys[next(iter(keys))]

    def discard(self, key: object) -> None:
        self._keys.pop(key, None)


class Deduper:
    """Decides which calls are new; callers hold a lock around :meth:`admit`."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._spans = RecentKeys(capacity)  # trace id + span id of counted calls
        self._parents = RecentKeys(capacity)  # trace id + parent span id of counted calls
        self._responses = RecentKeys(capacity)  # trace id + response id

    def admit(self, calls: Sequence[Call]) -> tuple[list[Call], int]:
        """The calls not counted before, and how many were duplicates.

        The admitted calls are remembered at once, so a concurrent request carrying the
        same span sees it; :meth:`forget` undoes that if the request then fails.
        """
        candidates = _drop_pairs(calls) if len(calls) > 1 else list(calls)
        admitted: list[Call] = []
        for call in candidates:
            span = call.trace_id + call.span_id
            response = (call.trace_id, call.response_id) if call.response_id else None
            if (
                span in self._spans
                or span in self._parents
                or (call.parent_span_id and call.trace_id + call.parent_span_id in self._spans)
                or (response is not None and response in self._responses)
            ):
                continue
            self._spans.add(span)
            if call.parent_span_id:
                self._parents.add(call.trace_id + call.parent_span_id)
            if response is not None:
                self._responses.add(response)
            admitted.append(call)
        return admitted, len(calls) - len(admitted)

    def forget(self, calls: Iterable[Call]) -> None:
        """Undo :meth:`admit` for calls that were not stored after all."""
        for call in calls:
            self._spans.discard(call.trace_id + call.span_id)
            if call.parent_span_id:
                self._parents.discard(call.trace_id + call.parent_span_id)
            if call.response_id:
                self._responses.discard((call.trace_id, call.response_id))

    def remember(self, trace_id: bytes, span_id: bytes, response_id: str) -> None:
        """Seed from rows already stored (the spool replayed at start)."""
        self._spans.add(trace_id + span_id)
        if response_id:
            self._responses.add((trace_id, response_id))


def _drop_pairs(calls: Sequence[Call]) -> list[Call]:
    """``calls`` less one of each parent/child pair and each repeated span or response."""
    by_span = {call.trace_id + call.span_id: call for call in calls}
    dropped: set[int] = set()
    for call in calls:
        if not call.parent_span_id:
            continue
        parent = by_span.get(call.trace_id + call.parent_span_id)
        if parent is None:
            continue
        dropped.add(id(call) if parent.ours and not call.ours else id(parent))
    kept: list[Call] = []
    seen: set[object] = set()
    for call in calls:
        if id(call) in dropped:
            continue
        span = call.trace_id + call.span_id
        response = (call.trace_id, call.response_id) if call.response_id else span
        if span in seen or response in seen:
            continue
        seen.add(span)
        seen.add(response)
        kept.append(call)
    return kept
