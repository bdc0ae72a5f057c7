"""Dimensions and stream signs that a call's span leaves to its parent spans (``Call.inherits``).

@ai-sdk/otel 1.0 (the AI SDK 7) writes the runtime context (``ai.settings.context.*``:
user, session, …) on the ``invoke_agent`` and ``agent_step`` spans of an operation, not on
the ``chat`` span of the model call beneath them, so the call's row had no user or session.
The extractor marks such a chat span ``Call.inherits`` and hands over the parents' own
dimensions (``Extraction.parents``); here the call takes each dimension from its nearest
ancestor that has it. @mastra/otel-exporter 1.4 says whether a call streamed only on its
``agent_step`` span (the response's headers): the call takes that too.

A parent span ends after the call's span, so an exporter that sends each span alone (or a
batch that closes between them) sends the call first. Such a call waits here until its
parent comes, for up to ``HOLD_NS`` (an agent step ends once its tools ran), and is then
stored without: a row without its user, never a row lost or delayed for good. Parents are
remembered a while too (the newest ``_RECENT``), for a parent sent before its child.
"""

from __future__ import annotations

from collections.abc import Sequence

from tokentrace.processor.extract.extractor import Call, Parents

# How long a call waits for its parent span (nanoseconds, receipt to receipt), and how
# many wait at most (past that, the oldest is stored without its parent's dimensions).
HOLD_NS = 600 * 10**9
_WAITING_MAX = 4096
# Parent spans remembered for a child that comes after them.
_RECENT = 4096


class Inheritance:
    """The parents seen lately, and the calls waiting for theirs."""

    def __init__(self) -> None:
        self._parents: Parents = {}
        # trace id + span id of a waiting call → (the call, when it is stored without)
        self._waiting: dict[bytes, tuple[Call, int]] = {}

    @property
    def waiting(self) -> list[Call]:
        """The calls waiting for their parent, oldest first."""
        return [call for call, _ in self._waiting.values()]

    def sort(
        self, calls: Sequence[Call], parents: Parents | None, now_ns: int | None
    ) -> tuple[list[Call], int, int]:
        """The calls to admit now, how many of ``calls`` were held and how many held calls
        were let go.

        The calls of ``calls`` that inherit take their parents' dimensions when the parent
        is known (in this request or remembered); the others are held, given ``now_ns``
        (without it, they are admitted as they are). Held calls whose parent is among
        ``parents``, or whose time is up at ``now_ns``, are let go, still marked
        ``inherits``, which only they are then. A resent copy of a held call is neither
        (the caller counts it a duplicate)."""
        if parents:
            self._remember(parents)
        ready: list[Call] = []
        held = 0
        for call in calls:
            if call.inherits and not self.settle(call) and now_ns is not None:
                span = call.trace_id + call.span_id
                if span not in self._waiting:
                    self.hold(call, now_ns + HOLD_NS)
                    held += 1
                continue
            # never held: nothing to keep in the held-calls file while its row is written
            # (``Pipeline._keep_held``), nor to hold again if it is not (``Deduper.forget``)
            call.inherits = False
            ready.append(call)
        let_go = 0
        if self._waiting and (parents or now_ns is not None):
            for span, (call, until) in list(self._waiting.items()):
                if self.settle(call) or (now_ns is not None and until <= now_ns):
                    del self._waiting[span]
                    ready.append(call)
                    let_go += 1
        return ready, held, let_go

    def settle(self, call: Call) -> bool:
        """Give ``call`` its ancestors' dimensions, nearest first, if its parent is known
        (the chain is followed as far as it is known); whether it was."""
        parent = self._parents.get(call.trace_id + call.parent_span_id)
        if parent is None:
            return False
        dimensions = call.dimensions
        given = [False] * len(dimensions)
        seen = 0
        while parent is not None and seen < 64:  # a loop of ids is bad input, not a chain
            grandparent, values, streamed = parent
            if streamed:
                call.stream = 1
            for index, value in enumerate(values):
                if value is not None and not given[index]:
                    dimensions[index] = value
                    given[index] = True
            parent = self._parents.get(call.trace_id + grandparent) if grandparent else None
            seen += 1
        return True

    def hold(self, call: Call, until_ns: int) -> None:
        """Hold ``call`` until its parent comes or ``until_ns``; past ``_WAITING_MAX``
        waiting, the oldest is let go at the next sort."""
        if len(self._waiting) >= _WAITING_MAX:
            first = next(iter(self._waiting))
            self._waiting[first] = (self._waiting[first][0], 0)
        self._waiting[call.trace_id + call.span_id] = (call, until_ns)

    def release(self) -> list[Call]:
        """Every waiting call, as it is (at shutdown: no parent came)."""
        calls = self.waiting
        self._waiting.clear()
        return calls

    def _remember(self, parents: Parents) -> None:
        for key, parent in parents.items():
            self._parents.pop(key, None)
            self._parents[key] = parent
        while len(self._parents) > _RECENT:
            del self._parents[next(iter(self._parents))]
