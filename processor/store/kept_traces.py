"""The parent spans and AG2 agents the deduper remembers (``parents.TraceMemory``), kept
beside the spool for the next start.

A call that depends on another span of its trace may come after that span, in another
request: an AG2 ``subtask`` span after its traced sub-agent's ``invoke_agent`` span (which
makes it a copy), an AI SDK 7 ``chat`` span after the ``agent_step`` that carries its user.
Those spans were acknowledged; remembered in memory only, a restart between the two (an
upgrade, a kill -9, spans delivered span by span across two serve processes) forgot them,
and the sub-agent's calls were counted twice, or the call stored without its user. So the
pipeline appends each request's parents and agents here before it answers, and the next
start reads them back into the deduper.

Two files of spool records (``spool_records``), one record per request (marshalled),
rotated as ``stored_keys``' are: when ``traces`` holds ``entries`` entries it replaces
``traces.old``, so between ``entries`` and twice that many of the latest are kept, at
least as many as the memory holds. Written, not fsynced, for the same reason as
``stored_keys``: the page cache outlives serve's process. A torn last record is cut off,
a damaged one skipped: an entry lost here costs what a restart cost before, never a span.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
from collections.abc import Iterable
from pathlib import Path

from tokentrace.processor.extract.extractor import Parents
from tokentrace.processor.extract.tags import DIMENSIONS
from tokentrace.processor.store import spool_records

log = logging.getLogger(__name__)

NAME = "traces"
_NAMES = tuple(DIMENSIONS)


class KeptTraces:
    """Appended to under the pipeline's lock; read once, at start."""

    def __init__(self, directory: Path, entries: int) -> None:
        self._current = Path(directory) / NAME
        self._old = Path(directory) / f"{NAME}.old"
        self._limit = entries
        self._entries = 0  # entries in the current file
        self._fd = -1

    def load(self) -> tuple[Parents, list[bytes]]:
        """Every parent span and agent kept, oldest first; cuts a torn record off the
        current file."""
        parents: Parents = {}
        agents: list[bytes] = []
        self._entries = 0
        for path in (self._old, self._current):
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            except OSError as exc:  # its permissions, a disk error: serve starts without them
                log.error(
                    "%s cannot be read (%s): a call whose parent span came before the last "
                    "stop may lose its user or be counted twice; make it readable by serve's "
                    "user",
                    path, exc,
                )  # fmt: skip
                continue
            found = spool_records.scan(data)
            if found.damaged:
                log.warning("%s: skipping %d damaged bytes", path, found.damaged_bytes)
            for payload in found.payloads:
                try:
                    spans, names = marshal.loads(payload)
                    for key, grandparent, values, streamed in spans:
                        parents.pop(key, None)
                        parents[key] = (grandparent, _dimensions(values), streamed)
                except Exception:
                    log.warning("%s: skipping a record that does not decode", path)
                    continue
                agents.extend(names)
                if path == self._current:
                    self._entries += len(spans) + len(names)
            if path == self._current and found.torn_at is not None:
                with contextlib.suppress(OSError), path.open("r+b") as file:
                    file.truncate(found.torn_at)
        return parents, agents

    def add(self, parents: Parents, agents: Iterable[bytes]) -> None:
        """Keep a request's ``parents`` and ``agents`` (``Extraction``), before its answer.
        Dimensions by name, so that a version that adds one reads an older file."""
        spans = [
            (key, grandparent, _by_name(values), streamed)
            for key, (grandparent, values, streamed) in parents.items()
        ]
        names = list(agents)
        payload = marshal.dumps((spans, names))
        if self._fd >= 0 and os.fstat(self._fd).st_nlink == 0:
            self.close()  # deleted under serve (the spool's files removed): start a new one
            self._entries = 0
        if self._fd < 0:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
            self._fd = os.open(self._current, flags, 0o600)
        spool_records.write_all(self._fd, spool_records.encode(payload))
        self._entries += len(spans) + len(names)
        if self._entries >= self._limit:
            self.close()
            self._current.replace(self._old)
            self._entries = 0

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _by_name(values: list[str | None]) -> dict[str, str]:
    return {name: value for name, value in zip(_NAMES, values, strict=True) if value is not None}


def _dimensions(values: dict[str, str]) -> list[str | None]:
    return [values.get(name) for name in _NAMES]
