"""The parent spans, AG2 agents and AG2 tool spans the deduper remembers
(``parents.TraceMemory``), kept beside the spool for the next start.

A call that depends on another span of its trace may come after that span, in another
request: an AG2 ``subtask`` span after its traced sub-agent's ``invoke_agent`` span (which
makes it a copy), an AI SDK 7 ``chat`` span after the ``agent_step`` that carries its user.
Those spans were acknowledged; remembered in memory only, a restart between the two (an
upgrade, a kill -9, spans delivered span by span across two serve processes) forgot them,
and the sub-agent's calls were counted twice, or the call stored without its user. An AG2
``subtask`` span of an untraced sub-agent is a copy when another instrumentation counted the
calls beneath the tool span it ran in (``Deduper.counted_delegations``): such tool spans are
kept too. So the pipeline appends each request's parents, agents and those tool spans here
before it answers, and the next start reads them back into the deduper, synced
(:meth:`KeptTraces.sync`) before the answer.

One record per request (marshalled; one written before tool spans were kept has none) in
``traces`` and ``traces.old`` (``record_log``): between ``entries`` and twice that many of
the latest are kept, at least as many as the memory holds. An entry lost here costs what a
restart cost before, never a span.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable
from pathlib import Path

from tokentrace.processor.extract.extractor import Delegations, Parents
from tokentrace.processor.extract.tags import DIMENSIONS
from tokentrace.processor.store.record_log import RecordLog

NAME = "traces"
_NAMES = tuple(DIMENSIONS)


class KeptTraces:
    """Appended to under the pipeline's lock; read once, at start."""

    def __init__(self, directory: Path, entries: int) -> None:
        self._log = RecordLog(
            directory,
            NAME,
            entries,
            "a call whose parent span came before the last stop may lose its user or be "
            "counted twice",
        )

    def load(self) -> tuple[Parents, list[bytes], Delegations]:
        """Every parent span, agent and tool span kept, oldest first."""
        parents: Parents = {}
        agents: list[bytes] = []
        delegations: Delegations = {}

        def decode(payload: bytes) -> int:
            spans, names, *rest = marshal.loads(payload)
            tools = rest[0] if rest else []
            for key, grandparent, values, streamed in spans:
                parents.pop(key, None)
                parents[key] = (grandparent, _dimensions(values), streamed)
            agents.extend(names)
            for key, parent, start_us, end_us in tools:
                delegations[key] = (parent, start_us, end_us)
            return len(spans) + len(names) + len(tools)

        self._log.load(decode)
        return parents, agents, delegations

    def add(
        self, parents: Parents, agents: Iterable[bytes], delegations: Delegations | None = None
    ) -> None:
        """Keep a request's ``parents`` and ``agents`` (``Extraction``) and the tool spans
        beneath which a call was counted (``Deduper.counted_delegations``), before its
        answer. Dimensions by name, so that a version that adds one reads an older file."""
        spans = [
            (key, grandparent, _by_name(values), streamed)
            for key, (grandparent, values, streamed) in parents.items()
        ]
        names = list(agents)
        tools = [(key, *span) for key, span in (delegations or {}).items()]
        count = len(spans) + len(names) + len(tools)
        self._log.append(marshal.dumps((spans, names, tools)), count)

    def sync(self) -> None:
        """Put what was added so far on disk (``RecordLog.sync``): before a request that
        added any is answered, so that a power loss keeps what it acknowledged."""
        self._log.sync()

    def close(self) -> None:
        self._log.close()


def _by_name(values: list[str | None]) -> dict[str, str]:
    return {name: value for name, value in zip(_NAMES, values, strict=True) if value is not None}


def _dimensions(values: dict[str, str]) -> list[str | None]:
    return [values.get(name) for name in _NAMES]
