"""The sink: the one thread that writes to ClickHouse.

It takes sealed spool segments in order and inserts each as one batch (whatever arrived
in about a second, up to 50,000 rows: 10,000 rows per insert cost chDB 8 µs of CPU a row
with the two rollup views, 25,000 rows 5 µs) with the segment's name as deduplication
token (see ``insert``), so a segment inserted twice (crash between insert and delete, or a
retry after a timeout whose insert did land) changes neither ``llm_calls`` nor the rollups.
Only then is the segment deleted, its name first noted in the store (``stored_segments``: a
segment found on disk at start that the store holds already is deleted, not inserted again,
however long after) and its rows' keys kept in ``stored_keys`` so that the next start's deduper
still knows them. A segment holding calls whose usage is read again later
(``tokentrace.call.key``) is checked against the store first, and their keys kept there after
(``call_keys``): such a call is stored once, across restarts. So is a span resent after the
deduper forgot its first copy: the rows of spans that started before what it may have
forgotten are looked up in ``llm_calls`` first (``stored_calls``), and those found are left
out.

One thread because chDB hosts one engine per process and inserts gain nothing from
concurrency there; on a ClickHouse server one writer with big batches is also what
MergeTree wants.

When ClickHouse refuses, ``refusals.classify`` decides (DESIGN §11: an acknowledged span
reaches ClickHouse exactly once, or the dead-letter table with its reason):

- the store's fault (unreachable, disk full, memory, too many parts, read-only, …): the
  segment stays spooled and the *same* rows are retried under the *same* token with backoff
  (up to 5 s apart) for as long as it takes; that also completes an insert that reached
  ``llm_calls`` but not every rollup. Meanwhile the spool absorbs, and once it is full the
  receivers answer 503 with ``Retry-After``. On a ClickHouse server restarted (or migrated)
  between the refusal and the retry, the token may no longer be skipped by a rollup that took
  the refused insert (``view_tokens``): the rows are looked up first, as below. A whole
  segment's refusal is noted beside the spool, so that a replay after serve restarted retries
  it under the token too when the server has not moved.
- an answer lost (a timeout, a connection closed: the insert may or may not have been
  made): before the retry, the rows are looked up in ``llm_calls`` (:meth:`Sink._unstored`),
  and only those not there are sent again; so are a segment's replayed at start, which an
  earlier run may have inserted before it stopped (``_Attempt``). A ClickHouse server
  restarted between making an insert and answering it runs its views as loaded from disk,
  whose blocks' ids differ from those of the views it created when the migrations ran (an
  embedded store reloads them: ``store.reload_views``; a server's are not, other serves
  inserting meanwhile): the retry under the token was deduplicated in ``llm_calls`` and
  counted again in every rollup.
- the rows' fault (poison): the batch is bisected, each half inserted under a token of its own
  (``<segment>/<start>-<end>``, the same halves every time, so a replay after a crash
  deduplicates), down to the single rows that are refused; those go to the dead-letter table
  with the reason and every other row is stored. A data refusal happens while ClickHouse
  parses the batch, before any table is written, so bisecting never duplicates a row.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from clickhouse_connect.driver.exceptions import OperationalError

from tokentrace.processor.extract.extractor import COLUMNS
from tokentrace.processor.metrics import Registry
from tokentrace.processor.store import (
    call_keys,
    dead_letters,
    rollup_repair,
    store,
    stored_calls,
    stored_segments,
    view_tokens,
)
from tokentrace.processor.store.insert import insert_calls
from tokentrace.processor.store.refusals import classify, describe
from tokentrace.processor.store.spool import Columns, Segment, Spool
from tokentrace.processor.store.stored_keys import StoredKeys

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 5.0
MEMORY_ROWS = 200_000  # rows of waiting segments kept in memory; the rest re-read from disk
T = TypeVar("T")
_KEY_COLUMNS = tuple(COLUMNS.index(name) for name in ("trace_id", "span_id", "response_id", "ts"))
# The tables only the sink writes, created again when dropped by hand (Sink._recreate).
BOOKKEEPING_TABLES = (stored_segments.TABLE, call_keys.TABLE, dead_letters.TABLE)


class Sink:
    def __init__(
        self,
        connect: Callable[[], Any],
        spool: Spool,
        metrics: Registry,
        *,
        first_backoff: float = 0.25,
        stored_keys: StoredKeys | None = None,
        check_store: Callable[[], None] | None = None,
        cluster: str | None = None,
        forgets_before: Callable[[], int] | None = None,
        alone: bool = True,
    ) -> None:
        """``connect`` returns a migrated clickhouse-connect client or raises; the keys of
        each stored segment go to ``stored_keys`` before it is deleted (see there).
        ``check_store`` runs after each insert and raises if the rows cannot have reached
        the store after all (``store.embedded_watch``): the segment stays spooled.
        ``forgets_before`` says before when a span may have started that the deduper no
        longer knows (``Deduper.forgets_before_us``); without it, an hour before now.
        ``alone``: no other process writes into this store (an embedded one), so the sink may
        rebuild a rollup a crash left short (``rollup_repair``); else it says what to run."""
        self._alone = alone
        # A refusal note beside the spool (view_tokens), found at start or written since: the
        # only one an insert that goes through has to forget (one unlink, not one a segment).
        self._noted = not alone and view_tokens.present(spool.directory)
        self._forgets_before = forgets_before or _an_hour_ago
        self._check_store = check_store
        self._cluster = cluster  # the store's, to create a dropped table again (_recreate)
        self._connect = connect
        self._stored_keys = stored_keys
        self._spool = spool
        self._metrics = metrics
        self._first_backoff = first_backoff
        self._queue: queue.Queue[Segment] = queue.Queue()
        self._memory_rows = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._hold = threading.Event()  # a paused() block waits to start
        self._writing = threading.Lock()  # held while a segment is being stored
        self._thread: threading.Thread | None = None
        self._client: Any = None
        self.last_error = ""

    @property
    def ready(self) -> bool:
        """Connected, migrated, and the last insert (if any) went through."""
        return self._client is not None and not self.last_error

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    def offer(self, segment: Segment) -> None:
        """Queue a sealed segment; its rows stay in memory only while the backlog is small."""
        with self._lock:
            if segment.columns is not None:
                if self._memory_rows + segment.row_count > MEMORY_ROWS:
                    segment.columns = None
                else:
                    self._memory_rows += segment.row_count
        self._queue.put(segment)

    def start(self, client: Any = None) -> None:
        """Start writing; ``client`` is an already migrated client, if the caller has one."""
        self._client = client
        self._thread = threading.Thread(target=self._run, name="tokentrace-sink", daemon=True)
        self._thread.start()

    def stop(self, drain_seconds: float = 5.0) -> None:
        """Insert what is queued for up to ``drain_seconds``, then stop; the rest stays spooled.

        The drain waits for every segment handed over to be stored, the one the thread has
        taken off the queue included: waiting for an empty queue stopped the sink between
        taking a segment and inserting it (the segment a shut-down's seal had just handed
        over, typically), which then stayed spooled for the next start with the store up.
        """
        deadline = time.monotonic() + drain_seconds
        while self.unstored() and time.monotonic() < deadline and not self.last_error:
            time.sleep(0.01)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(1.0, deadline - time.monotonic() + 1.0))
        if self._thread is None or not self._thread.is_alive():
            # What stays spooled must be on disk: a segment whose file was deleted is written
            # again (see Spool.keep), or its acknowledged rows go with the process.
            for segment in list(self._queue.queue):
                self._spool.keep(segment, segment.columns)
        if self._stored_keys is not None:
            self._stored_keys.close()

    def unstored(self) -> int:
        """Segments handed to the sink and not yet stored (queued, waiting or being stored)."""
        return self._queue.unfinished_tasks

    def wait_idle(self, timeout: float) -> bool:
        """True once every queued segment is stored (tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.unstored() == 0:
                return True
            time.sleep(0.01)
        return False

    def _run(self) -> None:
        cut = rollup_repair.pending(self._spool.directory)
        if cut is not None:  # before any insert: a check the last stop cut short
            self._repair_rollups("the last run", cut)
        while not self._stop.is_set():
            self._spool.retry_removals()
            try:
                segment = self._queue.get(timeout=0.1)
            except queue.Empty:
                if self._client is None:
                    self._reconnect()
                continue
            while self._hold.is_set() and not self._stop.is_set():
                self._stop.wait(0.05)  # paused: let the holder in (see paused())
            try:
                with self._writing:
                    self._store(segment)
            finally:
                self._queue.task_done()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No insert runs inside this block; the spool absorbs meanwhile.

        Waits for the segment being inserted (if any) to be stored first. ``reprice`` runs
        inside it, so that rebuilding the rollups cannot race an insert into them.
        """
        self._hold.set()
        try:
            with self._writing:
                yield
        finally:
            self._hold.clear()

    def _store(self, segment: Segment) -> None:
        """Store every row of ``segment`` (or dead-letter it), unless asked to stop first."""
        if segment.recovered and not segment.unsure:
            # Begun before: noted at once (a crash loop's segments piled up while a never-begun
            # one's lookup waited for the store). An unsure one is numbered below the note
            # already (``Attempted.adopt``).
            self._spool.attempting(segment)
        columns = segment.columns or self._load(segment)
        if columns is None:
            return  # stopping: the segment stays spooled
        if segment.recovered:
            found = self._stored_before(segment.name)
            if found is None:
                return
            if found:
                self._done(segment, columns)
                return
        keyed = bool(columns) and call_keys.keyed(columns)
        if keyed:
            columns = self._first_calls(segment.name, columns)
            if columns is None:
                return
        # An unsure segment's every row is looked up: the release that spooled it may have
        # admitted a resend of any age (its deduper had forgotten the first copy).
        cutoff = stored_calls.ALL if segment.unsure else self._forgets_before()
        begin = True
        cut: rollup_repair.Days | None = None
        attempt = _Attempt(replayed=segment.recovered and not segment.unsure)
        if (not segment.recovered or segment.unsure) and stored_calls.old(columns, cutoff):
            kept = self._first_copies(segment.name, columns, cutoff)
            if kept is None:
                return
            if kept is not columns:
                begin = self._rewrite(segment, kept)
                if segment.earlier:
                    # Rows left out of a segment an earlier run may have begun (unsure, or its
                    # rewrite failed) may be its own, inserted before a crash into llm_calls
                    # and not into every rollup: their days are checked once it is stored.
                    cut = rollup_repair.days_of(columns)
            columns = kept
        if begin:
            self._spool.attempting(segment)  # before anything of it can reach the store
        rows = len(columns[0]) if columns else 0
        if attempt.replayed and not self._alone:
            noted = view_tokens.noted(self._spool.directory, segment.name, rows)
            if noted is not None:  # its whole insert refused before serve stopped
                attempt.refused[0, rows] = noted
        # Row ranges still to insert, next one last; a range with a reason is one row refused
        # alone, still to be kept as a dead letter.
        todo: list[tuple[int, int, str]] = [(0, rows, "")] if rows else []
        keep = functools.partial(self._spool.keep, segment, columns)  # should its file go
        while todo:
            start, end, reason = todo[-1]
            write = functools.partial(
                self._write, attempt, segment.name, columns, start, end, rows, reason
            )
            try:
                # A refused dead letter is the store's fault, not the row's: retried.
                done = self._until_stored(write, on_refused=keep, poison=not reason)
            except Exception as exc:  # the rows' fault: bisect down to the row refused
                todo.pop()
                if end - start > 1:
                    middle = (start + end) // 2
                    todo += [(middle, end, ""), (start, middle, "")]
                else:
                    todo.append((start, end, describe(exc)))
                continue
            if done is None:
                keep()
                return  # stopping: the segment stays spooled; the next start replays it
            todo.pop()
        if keyed and not self._record_call_keys(segment.name, columns):
            return
        if not self._record_stored(segment.name):
            return
        if attempt.found is not None:
            # An insert made before its answer was lost (or before a crash), cut between
            # llm_calls and a rollup: never retried, the rollup stayed short of the rows found.
            cut = rollup_repair.spanning(cut, attempt.found)
        if cut is not None:
            self._repair_rollups(segment.name, cut)
        self._done(segment, columns)

    def _repair_rollups(self, name: str, days: rollup_repair.Days) -> None:
        """Make the rollups of ``days`` agree with ``llm_calls`` again (``rollup_repair``),
        after segment ``name``, which an earlier run may have cut mid-insert, is stored; noted
        beside the spool meanwhile, so that a stop cutting it short leaves it to the next."""
        directory = self._spool.directory
        rollup_repair.note(directory, days)
        checked = self._ask(
            lambda client: rollup_repair.repair(client, days, alone=self._alone),
            f"cannot check the rollups of the days of {name} against llm_calls",
            False,
        )
        if checked:
            rollup_repair.done(directory)

    def _done(self, segment: Segment, columns: Columns) -> None:
        """``segment`` is in the store: keep its keys for the next start, delete its file."""
        self._release(segment)
        self._keep_keys(segment.name, columns)
        self._spool.remove(segment)

    def _stored_before(self, name: str) -> bool | None:
        """Whether the store noted segment ``name`` as stored (``stored_segments``): a
        segment found on disk at start may be one serve stopped before deleting. None when
        asked to stop meanwhile; False when the lookup itself is refused (a bug of ours):
        the insert's token still makes a recent replay a no-op."""
        found = self._ask(
            lambda client: stored_segments.stored(client, name),
            f"cannot look up whether {name} was stored (inserted under its token)",
            False,
        )
        if found:
            log.warning("sink: spool segment %s was stored before; deleted, not inserted again",
                        name)  # fmt: skip
        return found

    def _record_stored(self, name: str) -> bool:
        """Note segment ``name`` as stored before its file goes (``stored_segments``); False
        when asked to stop first (the segment stays spooled, its replay a no-op by its token).
        A refusal of our own insert is logged: only a late replay could double."""
        done = self._ask(
            lambda client: stored_segments.record(client, name),
            f"cannot note {name} as stored",
            True,
        )
        return done is not None

    def _first_calls(self, name: str, columns: Columns) -> Columns | None:
        """``columns`` less the rows of calls whose key the store already holds
        (``call_keys``); None when asked to stop meanwhile. If the lookup itself is refused
        as wrong (a bug of ours), the rows are stored as the deduper admitted them."""
        found = self._ask(
            lambda client: call_keys.first_calls(client, columns),
            f"cannot look up the call keys of {name} (stored as admitted)",
            (columns, 0),
        )
        if found is None:
            return None
        kept, left_out = found
        if left_out:
            self._metrics.spans_duplicate.inc(left_out)
        return kept

    def _first_copies(self, name: str, columns: Columns, cutoff: int) -> Columns | None:
        """``columns`` less the rows of spans started before ``cutoff`` that ``llm_calls``
        holds already (``stored_calls``: resent after the deduper forgot them); None when
        asked to stop meanwhile. If the lookup itself is refused as wrong (a bug of ours), the
        rows are stored as the deduper admitted them."""
        found = self._ask(
            lambda client: stored_calls.first_copies(client, columns, cutoff),
            f"cannot look up the old spans of {name} in the store (stored as admitted)",
            (columns, 0),
        )
        if found is None:
            return None
        kept, left_out = found
        if left_out:
            self._metrics.spans_duplicate.inc(left_out)
            log.info("sink: %d span(s) of %s were stored before (resent): left out", left_out,
                     name)  # fmt: skip
        return kept

    def _rewrite(self, segment: Segment, columns: Columns) -> bool:
        """Write ``segment`` again without its resent rows (:meth:`Spool.rewrite`); False if
        that fails (a full disk): the segment is then not noted as begun, so that, left by a
        crash, it is looked up again at the next start rather than replayed with its resends.
        Not retried: the sink deleting stored segments may be what frees the disk."""
        try:
            self._spool.rewrite(segment, columns)
        except OSError as exc:
            log.error(
                "sink: cannot write %s again without its resent spans (%s); storing it "
                "without noting it as begun (should serve stop before it is stored, the next "
                "start looks it up again)",
                segment.name, exc,
            )  # fmt: skip
            return False
        return True

    def _record_call_keys(self, name: str, columns: Columns) -> bool:
        """Keep the stored segment's call keys (``call_keys``); False when asked to stop
        first (the segment stays spooled, and its replay keeps its own rows). A key
        ClickHouse refuses is logged: only its repeat could count twice."""
        done = self._ask(
            lambda client: call_keys.record(client, columns, f"{name}/call-keys"),
            f"cannot keep the call keys of {name}",
            0,
        )
        return done is not None

    def _ask(self, action: Callable[[Any], T], refused: str, default: T) -> T | None:
        """``action(client)`` as :meth:`_until_stored` runs it; ``default`` (and ``refused``
        logged) when the store refuses the request itself."""
        try:
            return self._until_stored(action)
        except Exception as exc:
            log.error("sink: %s: %s", refused, describe(exc))
            return default

    def _until_stored(
        self,
        action: Callable[[Any], T],
        *,
        on_refused: Callable[[], None] = lambda: None,
        poison: bool = True,
    ) -> T | None:
        """``action(client)``, retried with backoff while the store fails, ``on_refused``
        after each such failure; None when asked to stop first. A refusal of the request
        itself (``poison``) raises, unless ``poison`` is False: then it is retried too."""
        backoff = self._first_backoff
        while not self._stop.is_set():
            client = None
            try:
                client = self._client or self._reconnect()
                if client is None:
                    raise OperationalError(self.last_error)
                result = action(client)
            except Exception as exc:
                if client is not None:
                    self._recreate(client, exc)  # then retried as any refusal
                kind = classify(exc)
                self._metrics.insert_errors.inc(kind=kind)
                if kind == "poison" and poison:
                    raise
                self._failed(kind, exc)
                on_refused()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            self.last_error = ""
            return result
        return None

    def _recreate(self, client: Any, exc: Exception) -> None:
        """Create the sink's bookkeeping table ``exc`` says is missing again
        (:func:`create_again`).

        Dropped by hand (to start afresh, by a cleanup script), any one stalled the sink for
        good: every segment waited on its lookup or its note, or on the dead letter of its
        poison row, retried as a store fault, and the spool filled until serve answered 503.
        A segment then stored is noted as stored again; one stored before the drop and still
        on disk is replayed under its token.
        """
        table = missing_table(exc)
        if table:
            create_again(client, table, self._cluster)

    def _keep_keys(self, name: str, columns: Columns) -> None:
        """Keep the keys of a stored segment's rows for the deduper of the next start."""
        if self._stored_keys is None or not columns:
            return
        try:
            trace_ids, span_ids, response_ids, starts = (columns[index] for index in _KEY_COLUMNS)
            self._stored_keys.add((trace_ids, span_ids, response_ids, starts))
            # On disk before the segment's deletion can be: a power loss keeping the deletion
            # (journalled) and not the appended keys (ext4's delayed allocation) lost the
            # only copy of them that a fast client's resend is known by (StoredKeys.sync).
            self._stored_keys.sync()
        except Exception as exc:  # only a resend after a restart could be counted twice
            log.error("sink: cannot keep the keys of %s for after a restart: %s", name, exc)

    def _load(self, segment: Segment) -> Columns | None:
        """``segment``'s rows read back from disk, retried while the disk fails (None if
        asked to stop meanwhile): an exception here would end the sink thread, and with it
        every insert until a restart."""
        backoff = self._first_backoff
        while not self._stop.is_set():
            try:
                return self._spool.load(segment)
            except FileNotFoundError:
                log.error("sink: spool segment %s was deleted before it was stored", segment.name)
                return []
            except OSError as exc:
                message = f"cannot read spool segment {segment.name} (kept spooled): {exc}"
                if message != self.last_error:
                    log.error("sink: %s", message)
                self.last_error = message
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        return None

    def _write(
        self,
        attempt: _Attempt,
        name: str,
        columns: Columns,
        start: int,
        end: int,
        rows: int,
        reason: str,
        client: Any,
    ) -> bool:
        """Insert rows ``[start, end)``, or keep row ``start`` as a dead letter if ``reason``;
        then check that the store can have them (``check_store``)."""
        if reason:
            self._bury(client, name, columns, start, reason)
        else:
            self._insert(client, attempt, name, columns, start, end, rows)
        if self._check_store is not None:
            self._check_store()
        return True

    def _insert(
        self,
        client: Any,
        attempt: _Attempt,
        name: str,
        columns: Columns,
        start: int,
        end: int,
        rows: int,
    ) -> None:
        """Insert rows ``[start, end)`` of a segment of ``rows`` rows; first those of them
        ``llm_calls`` holds left out, if an insert of them may have been made already
        (:meth:`_Attempt.may_be_made`)."""
        whole = (start, end) == (0, rows)
        part = columns if whole else [column[start:end] for column in columns]
        token = name if whole else f"{name}/{start}-{end}"
        if (start, end) in attempt.refused:
            if view_tokens.moved(client, attempt.refused[start, end]):
                attempt.unanswered = (start, end)  # its token may count it again: looked up
            elif attempt.replayed:
                attempt.unstored[start, end] = (part, token)  # the retry under the token
            del attempt.refused[start, end]
        if attempt.may_be_made(start, end):
            attempt.unstored[start, end] = self._unstored(client, attempt, part, token)
            attempt.unanswered = None
        # The rows not found, under their token, for every retry too (one after a refusal
        # sent the rows found again, under the first token).
        part, token = attempt.unstored.get((start, end), (part, token))
        if not part[0]:
            return
        started = time.perf_counter()
        try:
            written = insert_calls(client, part, token)
        except Exception as exc:
            if lost_answer(exc):
                attempt.unanswered = (start, end)
            elif not self._alone and classify(exc) != "poison":
                # Perhaps taken by llm_calls and a rollup before the refusal: whether the
                # retry under the token still skips them depends on the server (view_tokens).
                at = attempt.refused[start, end] = view_tokens.epoch_or_none(client)
                if token == name:  # the whole segment as spooled: for a restart of serve
                    view_tokens.note(self._spool.directory, name, rows, at)
                    self._noted = True
            raise
        if self._noted:
            view_tokens.forget(self._spool.directory)
            self._noted = False
        self._metrics.insert_seconds.observe(time.perf_counter() - started)
        self._metrics.rows_written.inc(written)

    def _unstored(
        self, client: Any, attempt: _Attempt, part: Columns, token: str
    ) -> tuple[Columns, str]:
        """The rows of ``part`` that ``llm_calls`` does not hold, and the token to insert them
        under, after the answer to inserting ``part`` under ``token`` was lost, or a crash
        may have come between that insert and the segment's deletion (a replay at start).

        None found: the insert was not made; the same rows go again under the same token.
        All found: it was made; nothing goes again. Some found (an insert cut part way, one
        partition's part written and not the next): only the missing rows go, under a token
        of their own (``<token>/rest-<n>``; the missing rows only ever shrink, so the same
        count is the same rows). Why not the whole retry: the rows found would be deduplicated
        in ``llm_calls`` and, on a server restarted meanwhile, counted again in each rollup.
        Why not leave the missing rows to ``rollup_repair``: it rebuilds rollups from
        ``llm_calls``, and the missing rows are nowhere but in the spool. What this cannot
        know is whether the insert that reached ``llm_calls`` reached every rollup too (a
        crash between the two, which the retry under the token used to complete): so the
        rollups of the days of the rows found are checked against ``llm_calls`` once the
        segment is stored (``rollup_repair``: rebuilt on an embedded store, a server told
        what to run), a count short at worst, never double.
        """
        kept, found = stored_calls.first_copies(client, part, stored_calls.ALL)
        if not found:
            return part, token
        attempt.found = rollup_repair.spanning(attempt.found, rollup_repair.days_of(part))
        missing = len(kept[0]) if kept else 0
        log.warning(
            "sink: an insert of %s may have been made (its answer lost, a replay, or refused "
            "before the server restarted) and %d of its %d rows are in llm_calls: %s",
            token, found, found + missing,
            f"only the {missing} missing sent again" if missing else "not sent again",
        )  # fmt: skip
        return kept, f"{token}/rest-{missing}"

    def _bury(self, client: Any, name: str, columns: Columns, index: int, reason: str) -> None:
        """Keep row ``index`` in the dead-letter table, with why it was refused."""
        dead_letters.add(client, [(f"{name}/{index}", reason, dead_letters.row_of(columns, index))])
        self._metrics.dead_letter_rows.inc()
        log.error("sink: row %d of %s kept in %s: %s", index, name, dead_letters.TABLE, reason)

    def _release(self, segment: Segment) -> None:
        with self._lock:
            if segment.columns is not None:
                self._memory_rows -= segment.row_count

    def _failed(self, kind: str, exc: Exception) -> None:
        """Log a store refusal once per distinct message; drop a connection that failed."""
        if lost_answer(exc):
            self._client = None  # reconnect (and migrate: a new server may be empty)
        message = f"ClickHouse refused an insert ({kind}; kept spooled): {describe(exc)}"
        if message != self.last_error:
            log.warning("sink: %s", message)
        self.last_error = message

    def _reconnect(self) -> Any:
        try:
            self._client = self._connect()
        except Exception as exc:
            if not self.last_error.startswith("cannot connect"):
                log.warning("sink: cannot connect to ClickHouse: %s", exc)
            self.last_error = f"cannot connect to ClickHouse: {exc}"
            self._stop.wait(0.5)
            return None
        self.last_error = ""
        return self._client


@dataclass
class _Attempt:
    """What storing one segment has learnt that its next inserts need; the segment's, not
    the sink's: a stop between a lost answer and the segment being stored used to leave the
    days found for the next segment (an extra rollup check there), while the next start
    replaying the segment looks its rows up again anyway."""

    replayed: bool  # begun by an earlier run: any insert of it may have been made before
    unanswered: tuple[int, int] | None = None  # the row range whose insert's answer was lost
    found: rollup_repair.Days | None = None  # the days of rows found made (see Sink._unstored)
    # The rows of each range looked up that llm_calls lacked, and their token (Sink._unstored).
    unstored: dict[tuple[int, int], tuple[Columns, str]] = field(default_factory=dict)
    # The server's epoch after each range's insert was refused (a ClickHouse server only).
    refused: dict[tuple[int, int], view_tokens.Epoch | None] = field(default_factory=dict)

    def may_be_made(self, start: int, end: int) -> bool:
        """Whether an insert of rows ``[start, end)`` may have been made without this run
        knowing: its answer was lost, or the segment is replayed (an earlier run crashed
        after inserting it, or a half of it, and before deleting it) and the range is not
        looked up yet. A replay under the token alone was deduplicated in ``llm_calls`` and,
        on a ClickHouse server restarted since it ran the migrations, counted again in each
        rollup (BENCHMARKS.md, thirteenth round)."""
        return (start, end) == self.unanswered or (
            self.replayed and (start, end) not in self.unstored
        )


def lost_answer(exc: BaseException) -> bool:
    """Whether ``exc`` says the request's answer never came (a timeout, a connection closed
    or refused) rather than the server refusing it: the request may have been carried out."""
    return isinstance(exc, OperationalError) and getattr(exc, "name", None) is None


def _an_hour_ago() -> int:
    """The cutoff of :mod:`stored_calls` for a sink without a deduper to ask."""
    return time.time_ns() // 1000 - stored_calls.HORIZON_US


def missing_table(exc: BaseException) -> str:
    """The bookkeeping table ``exc`` (UNKNOWN_TABLE) says is missing; '' if none is."""
    if getattr(exc, "name", None) != "UNKNOWN_TABLE":
        return ""
    text = str(exc)
    return next((table for table in BOOKKEEPING_TABLES if re.search(rf"\b{table}\b", text)), "")


def recreating(client: Any, action: Callable[[Any], T], cluster: str | None = None) -> T:
    """``action(client)``; run again once a bookkeeping table it found missing is created
    again (:func:`create_missing`): for the readers' APIs, whose reads of ``dead_letters``
    failed with a 500 once it was dropped by hand while serve ran, until the sink met a
    poison row or serve reconnected."""
    return again_once_created(lambda: action(client), lambda: create_missing(client, cluster))


def again_once_created(run: Callable[[], T], create: Callable[[], None]) -> T:
    """``run()``; when it finds a bookkeeping table missing (:func:`missing_table`),
    ``create()`` and ``run()`` once more. The one way serve's readers (:func:`recreating`)
    and its read-only ClickHouse interface, whose connections cannot create a table, retry."""
    try:
        return run()
    except Exception as exc:
        if not missing_table(exc):
            raise
    create()
    return run()


def create_missing(client: Any, cluster: str | None = None) -> None:
    """Create again each bookkeeping table that is missing (:func:`create_again`), at a
    connect: a ``dead_letters`` dropped while serve was down failed every view counting
    dead letters until a row was refused."""
    for table in BOOKKEEPING_TABLES:
        if not client.command(f"EXISTS TABLE {table}"):
            create_again(client, table, cluster)


def create_again(client: Any, table: str, cluster: str | None = None) -> None:
    """Create the missing bookkeeping ``table`` as the migrations leave it
    (``store.recreate``), saying so in one line; ``llm_call_keys`` is filled again from the
    keys the calls hold (``call_keys.backfill``). The dead letters a dropped
    ``dead_letters`` held are gone with it: the line says so."""
    try:
        versions = store.recreate(client, table, cluster)
        if table == call_keys.TABLE:
            call_keys.backfill(client)
    except Exception as error:
        log.error("sink: %s is missing and cannot be created again: %s", table, describe(error))
        return
    made = ", ".join(f"{version:04d}" for version in versions)
    how = f"migrations {made} leave it" if len(versions) > 1 else f"migration {made} creates it"
    lost = "; the dead letters it held are lost" if table == dead_letters.TABLE else ""
    log.warning("sink: %s was missing (dropped?); created again as %s%s", table, how, lost)
