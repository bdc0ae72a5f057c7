"""Whether AG2's ``record_usage subtask`` span of a sub-agent's calls is a call (``Call.subtask``).

AG2 1.2.1 sums a sub-agent's calls onto its parent agent's accounting as a ``subtask``
span named by the sub-agent (``ag2.usage.label``). Where the sub-agent has the
``TelemetryMiddleware`` too, its ``chat`` spans are the calls and the sum is a copy; where
it has none, the sum is the only record of them (recorded: ``_ag2_subtask``, 5 rows for 6
calls while it was always taken for a copy). A traced sub-agent leaves an ``invoke_agent``
span of its name in the trace, which ends before the ``subtask`` span; the ``subtask``
span waits for its parent span (the delegating agent's ``invoke_agent``, which ends after
both: ``parents.Inheritance``), so by then, whatever the batching, the sub-agent's span has
come if there is one. The names are remembered a while (the newest ``_RECENT``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tokentrace.processor.extract.extractor import Call

# Trace id + agent name of the AG2 ``invoke_agent`` spans remembered.
_RECENT = 4096


class Subtasks:
    """The AG2 agents seen lately, by trace."""

    def __init__(self) -> None:
        self._agents: dict[bytes, None] = {}

    def remember(self, agents: Iterable[bytes]) -> None:
        """Remember each trace id + agent name of ``agents`` (``Extraction.agents``)."""
        for agent in agents:
            self._agents.pop(agent, None)
            self._agents[agent] = None
        while len(self._agents) > _RECENT:
            del self._agents[next(iter(self._agents))]

    def calls(self, calls: Sequence[Call]) -> list[Call]:
        """``calls`` less the ``subtask`` spans whose sub-agent was traced in their trace:
        copies of its ``chat`` spans."""
        return [
            call
            for call in calls
            if not call.subtask or call.trace_id + call.subtask.encode() not in self._agents
        ]
