"""What a call's span leaves to other spans of its trace that may come later: one memory of
parent spans and agents by trace, and the calls waiting for their parent span.

Two kinds of span mean what they mean only beside another span of their trace:

- @ai-sdk/otel 1.0 (the AI SDK 7) writes the runtime context (``ai.settings.context.*``:
  user, session, …) on the ``invoke_agent`` and ``agent_step`` spans of an operation, not on
  the ``chat`` span of the model call beneath them, so the call's row had no user or
  session; @mastra/otel-exporter 1.4 says whether a call streamed only on its
  ``agent_step`` span. The extractor marks such a chat span ``Call.inherits`` and hands over
  the parents' own dimensions (``Extraction.parents``); the call takes each dimension from
  its nearest ancestor that has it, and the stream sign. Google ADK's call span names its
  conversation and agent but never the runner's ``user_id``, which only OpenInference's
  ADK instrumentation writes, on its ``invocation``/``agent_run`` spans above the call
  (``Source.parent_fills``): such a call takes the dimensions its own span lacks, its own
  values first (``Call.dimensions_own``).
- AG2 1.2.1 sums a sub-agent's calls onto its parent agent's accounting as a ``subtask``
  span named by the sub-agent (``Call.subtask``). Where the sub-agent has the
  ``TelemetryMiddleware`` too, its ``chat`` spans are the calls and the sum is a copy; where
  it has none, the sum is the only record of them (recorded: ``_ag2_subtask``, 5 rows for 6
  calls while it was always taken for a copy). A traced sub-agent leaves an ``invoke_agent``
  span of its name in the trace (``Extraction.agents``), which ends before the ``subtask``
  span; the ``subtask`` span waits for its parent span (the delegating agent's
  ``invoke_agent``, which ends after both; the extractor marks it ``inherits`` too), so by
  then, whatever the batching, the sub-agent's span has come if there is one. An untraced
  sub-agent runs inside AG2's ``execute_tool`` span beside the ``subtask`` span
  (``Extraction.delegations``): another instrumentation's spans of its calls are that tool
  span's children, and once one was counted the sum, of however many calls, is their copy
  (``Deduper.admit``; recorded: ``_ag2_subtask_calls``, 5 rows for 4 calls). The tool spans
  beneath which a call was counted are kept across a restart (``store.kept_traces``), as
  the fact that one was: a sum decided after one was counted beside its calls.

One waiting rule serves both. A parent span ends after the call's span, so an exporter
that sends each span alone (or a batch that closes between them) sends the call first.
Such a call waits here until its parent comes, for up to ``HOLD_NS`` (an agent step ends
once its tools ran), and is then let go without: a row without its user, never a row lost
or delayed for good. Parents and agents are remembered a while too (the newest
``RECENT`` of each), for a parent or a sub-agent sent before the call.

The waiting calls were acknowledged: the pipeline keeps them with the deduper's held calls
(``held_calls``). What is remembered was acknowledged too, and a call after a restart needs
it as much (a traced sub-agent's name forgotten, its ``subtask`` span was counted again):
the pipeline keeps it beside the spool (``store.kept_traces``) and gives it back at start
(:meth:`TraceMemory.learn`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tokentrace.processor.extract.extractor import Call, Delegations, Endpoints, Parents

# How long a call waits for its parent span (nanoseconds, receipt to receipt), and how
# many wait at most (past that, the oldest is let go without its parent).
HOLD_NS = 600 * 10**9
_WAITING_MAX = 4096
# Parent spans, and trace id + name of AG2 agents, remembered for a call that comes after.
RECENT = 4096


class TraceMemory:
    """The parent spans and agents seen lately, by trace, and the calls waiting for a
    parent span."""

    def __init__(self) -> None:
        self._parents: Parents = {}
        self._agents: dict[bytes, None] = {}
        self._delegations: Delegations = {}
        self._endpoints: Endpoints = {}
        # trace id + span id of a waiting call → (the call, when it is let go without)
        self._waiting: dict[bytes, tuple[Call, int]] = {}

    @property
    def waiting(self) -> list[Call]:
        """The calls waiting for their parent, oldest first."""
        return [call for call, _ in self._waiting.values()]

    def learn(
        self, parents: Parents, agents: Iterable[bytes] = (), delegations: Delegations | None = None
    ) -> None:
        """Remember ``parents`` (``Extraction.parents``), each trace id + agent name of
        ``agents`` (``Extraction.agents``) and AG2's tool spans (``Extraction.delegations``),
        the newest ``RECENT`` of each."""
        _remember(self._parents, parents.items())
        _remember(self._agents, ((agent, None) for agent in agents))
        if delegations:
            _remember(self._delegations, delegations.items())

    def locate(self, calls: Sequence[Call], endpoints: Endpoints) -> None:
        """Remember ``endpoints`` (``Extraction.endpoints``, the newest ``RECENT``) and
        locate ``calls`` by them (``Call.locate``): an HTTP client span ends before the call's
        span above it, so it comes in the same request or an earlier one. Not kept across a
        restart: a call whose endpoint came before it stays unlocated (unpriced) then."""
        if endpoints:
            _remember(self._endpoints, endpoints.items())
        if self._endpoints:
            for call in calls:
                call.locate(self._endpoints)

    def delegation(self, call: Call) -> bytes:
        """Trace id + span id of the AG2 tool span beside a ``subtask`` span (the same
        parent) that contains it in time: the sub-agent's run, inside which it made the calls
        the ``subtask`` span sums; ``b""`` when none is known."""
        if not (call.subtask and self._delegations):
            return b""
        for span, (parent, start_us, end_us) in self._delegations.items():
            if (
                span.startswith(call.trace_id)
                and parent == call.parent_span_id
                and start_us <= call.ts_us <= end_us
            ):
                return span
        return b""

    def sort(self, calls: Sequence[Call], now_ns: int | None) -> tuple[list[Call], int, int]:
        """The calls to admit now, how many of ``calls`` were held and how many held calls
        were let go (both counted before copies are dropped).

        The calls of ``calls`` that inherit take their parents' dimensions when the parent
        is known (learnt in this request or before); the others are held, given ``now_ns``
        (without it, they are admitted as they are). Held calls whose parent is known by
        now, or whose time is up at ``now_ns``, are let go, still marked ``inherits``,
        which only they are then. A resent copy of a held call is neither (the caller
        counts it a duplicate), nor is a ``subtask`` span of an agent traced in its trace
        (a copy of that agent's calls)."""
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
        if self._waiting:
            for span, (call, until) in list(self._waiting.items()):
                if self.settle(call) or (now_ns is not None and until <= now_ns):
                    del self._waiting[span]
                    ready.append(call)
                    let_go += 1
        return [call for call in ready if not self._copy(call)], held, let_go

    def settle(self, call: Call) -> bool:
        """Give ``call`` its ancestors' dimensions, nearest first, if its parent is known
        (the chain is followed as far as it is known); whether it was."""
        parent = self._parents.get(call.trace_id + call.parent_span_id)
        if parent is None:
            return False
        dimensions = call.dimensions
        given = [bool(call.dimensions_own >> index & 1) for index in range(len(dimensions))]
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
        """Every waiting call, as it is (at shutdown: no parent came; :meth:`sort` them)."""
        calls = self.waiting
        self._waiting.clear()
        return calls

    def _copy(self, call: Call) -> bool:
        """Whether ``call`` is a ``subtask`` span whose sub-agent was traced in its trace:
        a copy of that agent's ``chat`` spans."""
        return bool(call.subtask) and call.trace_id + call.subtask.encode() in self._agents


def _remember(memory: dict, entries: Iterable[tuple]) -> None:
    """Put ``entries`` last in ``memory`` (the newest), and drop the oldest past ``RECENT``."""
    for key, value in entries:
        memory.pop(key, None)
        memory[key] = value
    while len(memory) > RECENT:
        del memory[next(iter(memory))]
