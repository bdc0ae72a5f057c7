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
  SDK's wrapping tokentrace's, which tokentrace marks ``tokentrace.duplicate_of``), or a
  chain of them (OpenInference's Bedrock span around OpenLLMetry's around botocore's;
  in one request, links by response id join a chain too),
  or two spans of two scopes under one call span (botocore's and OpenLLMetry's span of a
  Bedrock stream under OpenInference's; two of one scope there are two requests, a
  retry). Across requests, a span found a duplicate through such a link leaves its own
  links, so the chain's next span is found too;
- a framework's call span and the SDK's span of the same call in two traces without a
  response id (OpenInference's LangChain ``LLM`` span and its OpenAI span, LiteLLM's
  ``litellm_request`` span and OpenInference's OpenAI span: see
  ``sources.RANK_FRAMEWORK``). Within one request, a framework span is paired with at
  most one span of another scope and the same provider that ran inside it (start and end
  within its own, to the millisecond: LangChain times runs with ``datetime.now``), equal
  usage first, then the nearest start. Across requests (an exporter sending each span
  alone, as Phoenix's ``register()`` does by default), once a framework span has been
  seen, a call with usage leaves an ``N`` key of its provider and counts (one of up to
  four slots, for identical calls at once: when all are taken, the span that started
  first gives its slot up), as do OpenInference's spans from the start; a
  later span of the other side with the same key, nesting or nested, is its duplicate and
  takes the slot away, so calls pair off one to one. A call without usage leaves an ``M``
  key of its provider alike, which a later span of the other side, with usage or without,
  nesting or nested, takes away (LiteLLM's span of a stream without usage has its own
  count, OpenInference's OpenAI span of it none); a call with usage leaves a ``W`` key of
  its provider too, which a later span of the other side without usage, nesting or nested,
  takes away (openai-agents-opentelemetry's Responses API span, which ends after
  tokentrace's span of the call inside it). ``M`` and ``W`` slots hold no counts to
  compare, so their values carry the model's tag (``_model_tag``): a span of another
  model's call that runs at the same time (two threads of an app) is not taken for the
  pair. A framework span without usage may end
  when the SDK returns a stream, before it is read (MLflow's span of Anthropic's
  ``create(stream=True)``): a span of the other side with usage need only start inside
  it, in one request or across requests; so need a stream's span inside a framework's span
  of the stream, which may end at the stream's last chunk, before the stream is closed
  (LiteLLM's, which under load ended a millisecond or more before tokentrace's span of
  its Anthropic stream: counted twice). Calls admitted before the first framework span
  since the start leave their keys when it comes (the newest 4,096 of them: a framework's
  exporter may send its first batch after the application's). Not matched across
  requests: older calls before the first framework span, the oldest of five identical
  calls waiting at once;
  :meth:`Deduper.forget` does not give back a slot taken by a request that then failed;
- a framework's call span and the SDK's span of the same call in one trace but not
  parent and child, nor one inside the other in time (OpenInference's LlamaIndex
  ``OpenAI.stream_chat`` span ends when the stream is returned; OpenInference's OpenAI
  span of it sits under ``write_response_to_history``, where the stream is read). Within
  one request, a framework span is paired with a span of another scope in its trace with
  equal usage (usage-missing included) and provider, as with one inside it. Across
  requests, the spans of both sides (as for ``N`` keys) leave a ``T`` key of their trace,
  provider and usage holding how many spans of one side wait; a span of the other side
  with that key is a duplicate and takes one away, so calls pair off one to one
  (:meth:`Deduper.forget` does not give a count back either).

- a span of a stream opened once the stream had been read (OpenLIT's, for most
  providers: ``Call.late``), without a response id, and another scope's span of that
  stream in another trace (tokentrace's span of an Ollama stream): the late span is
  paired as a framework's is, with a span of a stream of the same provider and usage
  that ended at most ``_LATE_GAP_US`` before it opened, within one request or across
  requests (its ``N`` value says it is late, and the other's that it streamed);

- a framework's span of a stream that ends when the stream is returned, before the
  request is sent (OpenInference's LlamaIndex ``stream_chat`` and ``astream_chat``:
  ``sources.EARLY_STREAM_SCOPES``), and another scope's span of that stream in another
  trace, opened after it ended: paired as a framework's span and one inside it are, the
  other span need only open within ``_EARLY_GAP_US`` of its end;

- a span of a stream that ends when the stream is returned, with neither model name nor
  usage (OpenInference's Groq and Portkey instrumentations: ``Call.opening``), and the
  span of another instrumentation beneath it that ends once the stream has been read, with
  the usage (tokentrace's, OpenLLMetry's): in one request they are a parent/child pair;
  across requests the first is held, not admitted, until a span of its trace that is its
  child or parent takes it away, or for ``_HOLD_NS`` (then, or at shutdown, it is
  admitted: the call, usage-missing). Counted at once it would have won (the first seen
  wins) and the call's cost been unknown. The AI SDK 7's span of an ``embed`` operation,
  named as the model call's span beneath it but without its usage, is held alike (it may
  end first); one whose child was counted before it is that call's duplicate, and a child
  without usage claims it too (and is held in its turn). The pipeline keeps the held spans
  in a file of their own, so that a restart holds them again. A framework's span of a
  stream without usage (OpenInference's LlamaIndex ``stream_chat``, MLflow's streams:
  :func:`waits`) is held alike, sent alone, since it ends before the SDK-level span of the
  stream: a span with usage admitted while it waits takes it away if it would have paired
  with it (its ``W`` key); when its time is up it is admitted as any span is (found a
  duplicate then of a span without usage of its call);

- the same call's usage read again later (``tokentrace.call.key``: a background response
  retrieved after it completed, once per poll; a batch's results downloaded twice): a
  ``D`` key of the call key, whatever the trace, scope or time. The first span with usage
  is counted, the later ones are duplicates. Such keys are not seeded at start and live as
  long as any other key: past that, the sink finds the key in the store and leaves the
  row out (``store.call_keys``), so a restart or a read months later counts once too.

Within one request the span with the richer usage is kept (:func:`richness`: usage
present, then tokentrace's own span, which reads the wire, then the number of non-zero
counts, then the provider SDK's own span over a third party's); of a parent/child pair
that tie, the child, which sits closest to the HTTP exchange; of a chain, its richest
span (on a tie, one that wraps none of the others). Across requests, the first
span seen wins: a stored row is not taken back. A span is held instead only where it is
known to come before a richer span of its call: tied to it by its trace (a parent span:
``parents.TraceMemory``; a child: ``Call.opening``) or by its source's habit (:func:`waits`).
Not held, so still the row, sent span by span: OpenLLMetry JS's Bedrock spans without
usage beside OpenInference JS's exact span of the call (``bedrock_js``), each a root of a
trace of its own, paired by time alone. Holding every usage-missing span of that source
would delay every row of it used alone (the usual set-up) by up to ``_HOLD_NS``, for a
call whose cost is unknown either way unless the other instrumentation runs too; replacing
a row once stored would break the contract above (rollups, the sink's stored keys).

Memory is bounded: the keys of the most recent calls are kept (at least the newest
``capacity`` / 2 keys, at most ``capacity``; 600,000 by default, up to four per call,
six with ``N`` (or ``M``) and ``T`` keys, about 70 MB). A duplicate arriving after that
many newer calls is counted again; exporters retry within seconds, far inside that
window. Until a framework span is seen, the newest 4,096 calls are held too (a few MB).
Keys seeded from stored rows at start have no scope, so the cross-trace match covers spans
seen since the start.
"""

from __future__ import annotations

import re
import time
import zlib
from collections import deque
from collections.abc import Iterable, Sequence
from struct import Struct

from tokentrace.processor.extract.extractor import Call, Delegations, Endpoints, Parents
from tokentrace.processor.extract.parents import TraceMemory
from tokentrace.processor.extract.sources import (
    EARLY_STREAM_SCOPES,
    FRAMEWORK_PEER_SCOPES,
    LOOSE_USAGE_SCOPES,
    RANK_FRAMEWORK,
    RANK_INEXACT,
    STREAM_USAGE_DROPPED_SCOPES,
)

DEFAULT_CAPACITY = 600_000
# Spans of one call start within this many microseconds of each other.
_WINDOW_US = 60_000_000
# Spans of identical usage (provider and counts) at once that can wait for their pair.
_NESTED_SLOTS = 4
_SLOT_DIGITS = tuple(b"%d" % number for number in range(_NESTED_SLOTS))
# An ``N`` key's counts (each at most 2^32, as the extractor accepts).
_pack_usage = Struct("<4Q").pack
# Slack of a framework span's start and end around the SDK span inside it (two clocks
# read at millisecond-or-better precision).
_NESTED_SLACK_US = 1_000
# Longest time between the end of a stream's span and the opening of a span of it opened
# once the stream had been read (``Call.late``): the application's handling of the last
# chunk before it asks for the next.
_LATE_GAP_US = 5_000_000
# Longest time between the end of a framework's span of a stream that ended when the stream
# was returned (``sources.EARLY_STREAM_SCOPES``) and the opening of the SDK-level span of
# the request then sent: the SDK's preparation of the request.
_EARLY_GAP_US = 100_000
# Calls remembered before the first framework span is seen, to be keyed once it is.
_BEFORE_FRAMEWORKS = 4096
# How long a span that ended when its stream was returned (``Call.opening``) waits for a
# span of the call that carries its usage (nanoseconds, receipt to receipt): the stream's
# reading, which LLM streams finish within minutes. And how many wait at most.
_HOLD_NS = 600 * 10**9
_HELD_MAX = 4096
# An ``N`` value's low bits: the model's tag (``_model_tag``), 0 where it is not compared.
_TAG_BITS = 16
_TAG = (1 << _TAG_BITS) - 1
# What a model id's tag leaves out, so that two instrumentations' names of one model agree:
# a Bedrock profile and vendor (``us.anthropic.``), a path (``openai/``, ``models/``), a
# Vertex version (``@001``), a date and a Bedrock version (``-20250929-v1:0``).
_MODEL_PREFIX = re.compile(r"^(?:[a-z]+\.)+")
_MODEL_SUFFIX = re.compile(r"(?:-\d{4}-?\d{2}-?\d{2})?(?:-v\d+(?::\d+)?)?$")
# Scopes get a number (1..255) for the cross-trace key's value; beyond 255 scopes, the
# rest share the last number, so their spans are not matched with each other.
_MAX_SCOPES = 255

# call, span key (S…), parent key (P…), response key (R…), cross-trace key (G…); b"" where
# there is none
_Keyed = tuple[Call, bytes, bytes, bytes, bytes]


class Deduper:
    """Decides which calls are new; callers hold a lock around :meth:`admit`.

    Keys are bytes, prefixed by kind: ``S`` + trace id + span id of a counted call, ``P``
    + trace id + parent span id of one, ``R`` + trace id + response id, ``G`` + response
    id, ``D`` + call key. A ``G`` key's value is the call's start (µs) times 256 plus its
    scope's number, the others' 0: ints and bytes are never tracked by the garbage
    collector, and membership is a C-level dict lookup. Keys live in two generations: when
    the young dict holds ``capacity / 2`` keys the old one is dropped whole, so every
    operation stays O(1).
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._half = max(1, capacity // 2)
        self._young: dict[bytes, int] = {}
        self._old: dict[bytes, int] = {}
        self._scopes: dict[bytes, int] = {}
        # Set by the first framework call span (``sources.RANK_FRAMEWORK``), counted or a
        # duplicate: from then on all calls with usage leave an ``N`` key, not only
        # OpenInference's (see above). Until then the newest calls that left none wait
        # here, and are keyed then (``_key_earlier_calls``).
        self._frameworks = False
        self._before: deque[Call] | None = deque(maxlen=_BEFORE_FRAMEWORKS)
        # Spans of a stream that ended when it was returned (``Call.opening``), by trace and
        # span id, with when to release them; and their trace and parent ids, to the same.
        self._held: dict[bytes, tuple[Call, int]] = {}
        self._held_parents: dict[bytes, bytes] = {}
        # Parent spans and AG2 agents by trace, and the calls waiting for their parent span
        # before they are admitted (``Call.inherits``; a ``Call.subtask`` is a copy when its
        # agent is traced).
        self._traces = TraceMemory()
        # Whether any call was held since start: until then no call admitted or released is
        # a held one, which lets the pipeline skip its bookkeeping of them (Pipeline._keep_held).
        self.ever_held = False
        # Spans that started before this (µs since the epoch) may have been forgotten: the
        # sink looks such rows up in the store (``stored_calls``). Raised by the caller to the
        # reach of what it seeded (``serve``), and by each generation dropped, to the time it
        # stopped taking keys: a span received by then started by then.
        self.forgets_before_us = 0
        self._old_until_us = 0  # when the old generation stopped taking keys (0: it has none)
        # The latest span start (µs) of the calls each generation took: a client's clock may
        # run ahead of serve's, so its spans start after the generation stopped taking keys.
        self._young_latest_us = 0
        self._old_latest_us = 0

    def __len__(self) -> int:
        return len(self._young | self._old)

    def admit(
        self,
        calls: Sequence[Call],
        now_ns: int | None = None,
        parents: Parents | None = None,
        agents: Iterable[bytes] = (),
        delegations: Delegations | None = None,
        endpoints: Endpoints | None = None,
    ) -> tuple[list[Call], int]:
        """The calls not counted before, and how many were duplicates.

        The admitted calls are remembered at once, so a concurrent request carrying the
        same span sees it; :meth:`forget` undoes that if the request then fails.

        ``now_ns`` (the receipt time): a span of a stream that ended when the stream was
        returned, without model name or usage (``Call.opening``: OpenInference's Groq and
        Portkey spans), is held rather than admitted, for up to ``_HOLD_NS``: another
        instrumentation's span of the call (tokentrace's, OpenLLMetry's) is its child and
        ends once the stream has been read, with the usage. Counted first, the held span
        would have made that one a duplicate (first seen wins) and the call's cost unknown.
        Such a span of the call, arriving later, takes the held one away; one still held
        at ``now_ns`` past its time is admitted then (and by :meth:`release`, at shutdown).
        Without ``now_ns`` nothing is held.

        ``parents``: the request's parent spans whose dimensions a call inherits
        (``Call.inherits``, ``parents.TraceMemory``): such a call whose parent has not come
        yet is held for it alike, and one held before is admitted once its parent comes.

        ``agents``: trace id + name of the request's AG2 ``invoke_agent`` spans: a
        ``subtask`` span (``Call.subtask``, held for its parent alike) naming an agent of
        its trace is a copy of that agent's calls, a duplicate.

        ``delegations``: the request's AG2 tool spans. A ``subtask`` span beside one that
        contains it (the sub-agent's run) sums calls made inside it: when a call span beneath
        that tool span was counted (another instrumentation's, tokentrace's), the sum is
        their copy, a duplicate, however many calls it sums. Such spans are decided after
        the request's other calls, so that those beneath count in one request too.

        ``endpoints``: the Vertex AI Claude endpoints the request's HTTP client spans
        requested, by the call span above each (``parents.TraceMemory.locate``).
        """
        self._traces.locate(calls, endpoints or {})
        received = len(calls)
        orphans = let_go = 0
        if parents or agents or delegations:
            self._traces.learn(parents or {}, agents, delegations)
        if (
            parents
            or agents
            or self._traces.waiting
            or any(call.inherits or call.subtask for call in calls)
        ):
            calls, orphans, let_go = self._traces.sort(calls, now_ns)
            self.ever_held = self.ever_held or orphans > 0
        delegated = [(call, self._traces.delegation(call)) for call in calls if call.subtask]
        delegated = [(call, tool) for call, tool in delegated if tool]
        if delegated:
            calls = [call for call in calls if not any(call is other for other, _ in delegated)]
        keyed = _keys(calls)
        if len(keyed) > 1:
            keyed = _drop_pairs(keyed)
        claimed = self._claim(keyed) if self._held else 0
        young, old = self._young, self._old
        admitted: list[Call] = []
        held = 0
        peer_scopes = FRAMEWORK_PEER_SCOPES
        for call, span, parent, response, shared in keyed:
            if now_ns is not None and waits(call):
                if span in young or span in old or span[1:] in self._held:
                    continue  # a resent copy
                beneath = b"P" + span[1:]
                if call.opening and (beneath in young or beneath in old):
                    young[span] = 0  # a span of its call beneath it was counted
                    continue
                if call.rank < 0 and not self._frameworks:  # as admitted below
                    self._frameworks = True
                    self._key_earlier_calls()
                    young, old = self._young, self._old
                self._hold(call, span[1:], parent[1:], now_ns + _HOLD_NS)
                held += 1
                continue
            if call.call_key:
                once = b"D" + call.call_key.encode()
                if once in young or once in old:
                    continue
                if len(young) >= self._half:
                    self._rotate()
                    young, old = self._young, self._old
                young[once] = 0
            if call.rank < 0 and not self._frameworks:  # RANK_FRAMEWORK: the first one
                self._frameworks = True
                self._key_earlier_calls()
                young, old = self._young, self._old
            as_parent = b"P" + span[1:]
            parent_counted = b"S" + parent[1:] if parent else b""
            stamp = 0
            if span in young or span in old:
                continue  # a resent copy
            if shared:
                stamp = call.ts_us << 8 | self._scope_number(call.scope)
            twin = bool(shared) and (
                _other_scope(young.get(shared), stamp) or _other_scope(old.get(shared), stamp)
            )
            if (
                twin
                or as_parent in young
                or as_parent in old
                or (parent and (parent_counted in young or parent_counted in old))
                or (response and (response in young or response in old))
            ):
                # a duplicate of a counted span: its own relatives are that call too
                young[span] = 0
                if parent:
                    young[parent] = 0
                continue
            nested = same_trace = b""
            if self._frameworks or call.scope.startswith(peer_scopes):
                same_trace = _trace_key(call)
                if self._paired_in_trace(same_trace, call.rank == RANK_FRAMEWORK):
                    young[span] = 0  # so that a resent copy of this span is known too
                    continue
                # M and W slots pair a span without usage by provider and time: their
                # values carry the model's tag too, so that a call of another model at
                # once is not taken for the call (N slots compare the counts instead)
                interval = _interval(call) | _model_tag(call)
                missing = b"M" + call.provider.encode()
                with_usage = b"W" + call.provider.encode()
                if call.usage_missing:
                    nested = self._nested_slot(missing, interval, True)
                    if nested is not None and self._nested_slot(with_usage, interval, True) is None:
                        nested = None  # a span of the other side with usage nests, seen first
                else:
                    nested = self._nested_slot(_nested_key(call), interval & ~_TAG, False)
                    if nested is not None and self._nested_slot(missing, interval, False) is None:
                        nested = None  # a span of the other side without usage nests
                if nested is None:
                    young[span] = 0
                    continue
                if not call.usage_missing:
                    self._keep_with_usage(with_usage, interval)
            for key in (span, parent, response, shared):
                if key:
                    if len(young) >= self._half:
                        self._rotate()
                        young, old = self._young, self._old
                    young[key] = stamp if key is shared else 0
            if nested:
                young[nested] = interval if call.usage_missing else interval & ~_TAG
            if same_trace:
                waiting = young.pop(same_trace, None) or old.pop(same_trace, None) or 0
                young[same_trace] = ((waiting >> 1) + 1) << 1 | (call.rank == RANK_FRAMEWORK)
            elif self._before is not None:
                self._before.append(call)
            if call.ts_us > self._young_latest_us:
                self._young_latest_us = call.ts_us
            admitted.append(call)
        if self._held and any(not call.usage_missing for call in admitted):
            claimed += self._claim_by_usage()
        if delegated:
            alone = [
                call
                for call, tool in delegated
                if b"P" + tool not in self._young and b"P" + tool not in self._old
            ]
            for call in alone:
                call.subtask = ""  # decided: the only record of its calls, admitted as any call
            admitted += self.admit(alone)[0]
        duplicates = received + let_go - len(admitted) - held - orphans + claimed
        if now_ns is not None and self._held:
            released, dropped = self._release(now_ns)
            admitted += released
            duplicates += dropped
        return admitted, duplicates

    @property
    def held(self) -> list[Call]:
        """The calls held (``admit``), oldest first, then those waiting for their parent."""
        return [call for call, _ in self._held.values()] + self._traces.waiting

    def learn(
        self, parents: Parents, agents: Iterable[bytes], delegations: Delegations | None = None
    ) -> None:
        """Remember ``parents`` and ``agents`` as :meth:`admit` does (what the last run
        remembered, read back at start: ``store.kept_traces``), and AG2 tool spans beneath
        which a call was counted (:meth:`counted_delegations`): a ``subtask`` span beside one
        after the restart is their copy, as it was before."""
        self._traces.learn(parents, agents, delegations)
        for tool in delegations or ():
            if len(self._young) >= self._half:
                self._rotate()
            self._young[b"P" + tool] = 0

    def counted_delegations(self, delegations: Delegations) -> Delegations:
        """Those of a request's AG2 tool spans (``Extraction.delegations``) beneath which a
        call was counted, as :meth:`admit` left them: what a restart must not forget
        (``store.kept_traces``). The keys of the counted calls are seeded at start from the
        stored rows, but without their parent span, which is all that ties them to the tool
        span: forgotten, the ``subtask`` span that sums them was counted beside them."""
        young, old = self._young, self._old
        return {
            tool: span
            for tool, span in delegations.items()
            if b"P" + tool in young or b"P" + tool in old
        }

    def hold(self, calls: Iterable[Call], now_ns: int) -> None:
        """Hold ``calls`` again, from ``now_ns``, as :meth:`admit` held them (the calls held
        when the last run stopped short, read back at start)."""
        for call in calls:
            if call.inherits:
                self.ever_held = True
                self._traces.hold(call, now_ns + _HOLD_NS)
                continue
            parent = call.trace_id + call.parent_span_id if call.parent_span_id else b""
            self._hold(call, call.trace_id + call.span_id, parent, now_ns + _HOLD_NS)

    def _hold(self, call: Call, span: bytes, parent: bytes, until_ns: int) -> None:
        """Hold ``call`` (trace and span id ``span``) until ``until_ns``; past
        ``_HELD_MAX`` held, the oldest is released at the next admit."""
        self.ever_held = True
        if len(self._held) >= _HELD_MAX:
            first = next(iter(self._held))
            self._held[first] = (self._held[first][0], 0)
        self._held[span] = (call, until_ns)
        if parent:
            self._held_parents[parent] = span

    def _claim(self, keyed: list[_Keyed]) -> int:
        """Take away the held spans of which a span of ``keyed`` is a child or the parent:
        that span describes the held one's call (kept or a duplicate of one kept), so the
        held one is a duplicate. How many were taken away."""
        claimed = 0
        for _, span, parent, _, _ in keyed:
            if parent and parent[1:] in self._held:
                self._unhold(parent[1:])
                claimed += 1
            below = self._held_parents.get(span[1:])
            if below is not None:
                self._unhold(below)
                claimed += 1
        return claimed

    def _claim_by_usage(self) -> int:
        """Take away the held framework spans of a stream without usage (:func:`waits`) that
        a span with usage admitted since pairs with, as a later one would be paired (its
        ``W`` key, taken away: ``_keep_with_usage``). How many were taken away."""
        claimed = 0
        for span, (call, _) in list(self._held.items()):
            if call.opening:
                continue
            interval = _interval(call) | _model_tag(call)
            if self._nested_slot(b"W" + call.provider.encode(), interval, True) is None:
                self._unhold(span)
                claimed += 1
        return claimed

    def _unhold(self, span: bytes) -> Call:
        """Stop holding the call of trace and span id ``span``."""
        call = self._held.pop(span)[0]
        if call.parent_span_id:
            self._held_parents.pop(call.trace_id + call.parent_span_id, None)
        return call

    def release(self, now_ns: int | None = None) -> list[Call]:
        """The held calls due at ``now_ns`` (all of them without it), admitted: no other
        span of their call came. A span of the call arriving later is their duplicate."""
        return self._release(now_ns)[0]

    def _release(self, now_ns: int | None) -> tuple[list[Call], int]:
        """:meth:`release`, and how many of the due calls were duplicates: a framework's
        span (:func:`waits`) is admitted as any span is, so a span of its call without
        usage that came while it was held, or one with usage that ``_claim_by_usage`` did
        not pair, finds it a duplicate still."""
        due = [span for span, (_, until) in self._held.items() if now_ns is None or until <= now_ns]
        released = [self._unhold(span) for span in due]
        admitted: list[Call] = []
        dropped = 0
        if now_ns is None and self._traces.waiting:  # at shutdown: no parent came
            orphans = self._traces.release()
            admitted, dropped = self.admit(orphans)
        for call in released:
            if not call.opening:
                kept = self.admit([call])[0]
                admitted += kept
                dropped += not kept
                continue
            admitted.append(call)
            keys = [b"S" + call.trace_id + call.span_id]
            if call.parent_span_id:
                keys.append(b"P" + call.trace_id + call.parent_span_id)
            for key in keys:
                if len(self._young) >= self._half:
                    self._rotate()
                self._young[key] = 0
        return admitted, dropped

    def _key_earlier_calls(self) -> None:
        """Leave the ``N`` (or ``M``) and ``T`` keys of the calls admitted before the first
        framework span, as if frameworks had been seen from the start: a framework's spans
        may come after their twins (MLflow's exporter is not the application's, Langfuse's
        generation ends after the SDK span inside it), so the first ones would otherwise
        be counted twice."""
        earlier, self._before = self._before or (), None
        for call in earlier:
            interval = _interval(call) | _model_tag(call)
            if call.usage_missing:
                slot = self._nested_slot(b"M" + call.provider.encode(), interval, True)
            else:
                slot = self._nested_slot(_nested_key(call), interval & ~_TAG, False)
                self._keep_with_usage(b"W" + call.provider.encode(), interval)
                interval &= ~_TAG
            trace = _trace_key(call)
            waiting = self._young.pop(trace, None) or self._old.pop(trace, None) or 0
            for key, value in ((slot, interval), (trace, ((waiting >> 1) + 1) << 1)):
                if key:
                    if len(self._young) >= self._half:
                        self._rotate()
                    self._young[key] = value

    def _keep_with_usage(self, prefix: bytes, interval: int) -> None:
        """Leave a ``W`` key of a call with usage (its provider alone): a span of the other
        side without usage that comes later, nesting or nested, is its duplicate
        (openai-agents-opentelemetry's ``gen_ai.response`` span, which ends after
        tokentrace's span of the call inside it)."""
        slot = self._nested_slot(prefix, interval, False)
        if slot is not None:
            if len(self._young) >= self._half:
                self._rotate()
            self._young[slot] = interval

    def _paired_in_trace(self, key: bytes, framework: bool) -> bool:
        """Whether a span of the other side waits under the ``T`` key ``key`` (its value:
        how many wait, then 1 for framework spans); if so, one of them is taken away."""
        young, old = self._young, self._old
        waiting = young.get(key)
        if waiting is None:
            waiting = old.get(key)
            if waiting is None:
                return False
        if waiting & 1 == framework:
            return False
        young.pop(key, None)
        old.pop(key, None)
        if waiting >> 1 > 1:
            young[key] = waiting - 2
        return True

    def _nested_slot(self, prefix: bytes, interval: int, missing: bool) -> bytes | None:
        """None when a stored span of the other side nests with ``interval`` (its slot is
        taken away: the call is a duplicate); else the slot to store it in: a free one, or
        when all are taken the one of the span that started first. Slots ``prefix`` + 0..3
        are kept filled from 0 up. ``missing``: the span of ``interval`` has no usage; the
        stored spans of an ``M`` prefix have none, so a stored framework span there may be
        one that ended when its stream was returned, and a span with usage need only
        have started inside it (``_opened_inside``)."""
        young, old = self._young, self._old
        key = prefix + b"0"
        if key not in young and key not in old:
            return key  # the usual case: no span of this usage waits
        slots = [prefix + digit for digit in _SLOT_DIGITS]
        filled = 0
        match = -1
        oldest, oldest_seen = 0, -1
        for number, key in enumerate(slots):
            seen = young.get(key)
            if seen is None:
                seen = old.get(key)
                if seen is None:
                    break
            filled = number + 1
            opened = bool(seen >> _TAG_BITS & 1) and not missing and prefix[:1] == b"M"
            if match < 0 and _nests(seen, interval, opened):
                match = number
            if oldest_seen < 0 or seen < oldest_seen:  # values order by start
                oldest, oldest_seen = number, seen
        if match < 0:
            # all taken: the span that started first gives its slot up
            return slots[filled] if filled < _NESTED_SLOTS else slots[oldest]
        last = slots[filled - 1]
        moved = young.pop(last, None)
        if moved is None:
            moved = old.pop(last, None)
        if match != filled - 1 and moved is not None:
            young.pop(slots[match], None)
            old.pop(slots[match], None)
            young[slots[match]] = moved
        return None

    def _scope_number(self, scope: bytes) -> int:
        number = self._scopes.get(scope)
        if number is None:
            number = min(len(self._scopes) + 1, _MAX_SCOPES)
            if len(self._scopes) < _MAX_SCOPES:
                self._scopes[scope] = number
        return number

    def forget(self, calls: Iterable[Call]) -> None:
        """Undo :meth:`admit` for calls that were not stored after all."""
        forgotten = set()
        for call, *keys in _keys(calls):
            forgotten.add(id(call))
            if call.inherits:  # released, not stored: held again, due at the next admit
                self._traces.hold(call, 0)
            elif waits(call):
                self._hold(call, keys[0][1:], keys[1][1:], 0)
            if call.call_key:
                keys.append(b"D" + call.call_key.encode())
            for key in keys:
                self._young.pop(key, None)
                self._old.pop(key, None)
        if self._before:
            kept = [call for call in self._before if id(call) not in forgotten]
            self._before = deque(kept, maxlen=_BEFORE_FRAMEWORKS)

    def _rotate(self) -> None:
        """Drop the old generation, age the young one (see the class's docstring).

        The dropped keys were taken before ``_old_until_us``: a resend of any of them started
        before it, so ``forgets_before_us`` rises to it. Before, the sink looked up only spans
        over an hour old, and above about 55 calls a second (600,000 keys, up to two a call
        for a plain span) a resend of a span forgotten within that hour was stored twice.
        Unless a client's clock runs ahead of serve's: then it rises past the latest start
        among the dropped calls, which were otherwise never looked up (stored twice)."""
        self.forgets_before_us = max(
            self.forgets_before_us, self._old_until_us, self._old_latest_us + 1
        )
        self._old_until_us = time.time_ns() // 1000
        self._old_latest_us, self._young_latest_us = self._young_latest_us, 0
        self._old = self._young
        self._young = {}

    def remember(
        self, trace_id: bytes, span_id: bytes, response_id: str, started_us: int = 0
    ) -> None:
        """Seed from rows already stored or spooled (at start); ``started_us``: the span's
        start, where known (see :meth:`_rotate`)."""
        for key in (b"S" + trace_id + span_id, _response_key(trace_id, response_id)):
            if key:
                if len(self._young) >= self._half:
                    self._rotate()
                self._young[key] = 0
        self._young_latest_us = max(self._young_latest_us, started_us)


def waits(call: Call) -> bool:
    """Whether :meth:`Deduper.admit` holds ``call`` for a span of its call with the usage: a
    span that ended when its stream was returned (``Call.opening``), or a framework's span of
    a stream without usage (OpenInference's LlamaIndex ``stream_chat``, MLflow's span of
    Anthropic's ``create(stream=True)``), which, sent alone, comes before the SDK-level span
    of the stream (tokentrace's), which ends once it has been read, with the usage. Counted
    first, either would be the call's row (the first seen wins), its cost unknown. So is the
    span of a stream from a source that never has a stream's usage
    (``sources.STREAM_USAGE_DROPPED_SCOPES``: OpenInference JS's OpenAI span, which ends
    before LangChain.js's span of the call, with the usage)."""
    return call.opening or (
        bool(call.stream)
        and bool(call.usage_missing)
        and (call.rank == RANK_FRAMEWORK or call.scope in STREAM_USAGE_DROPPED_SCOPES)
    )


def _nested_key(call: Call) -> bytes:
    """The ``N`` key: the call's input (the cache included, as the extractor counts it),
    output and provider, not its cache counts, which a framework's span may not have while
    its input counts them (openai-agents-opentelemetry's Chat Completions span: OpenAI's
    ``prompt_tokens``, no ``cached_tokens``); the provider alone for scopes whose spans of
    one call disagree on its usage (``sources.LOOSE_USAGE_SCOPES``)."""
    if call.scope.startswith(LOOSE_USAGE_SCOPES):
        return b"N" + _pack_usage(0, 0, 0, 0) + call.provider.encode()
    return b"N" + _pack_usage(call.input_tokens, call.output_tokens, 0, 0) + call.provider.encode()


def _trace_key(call: Call) -> bytes:
    """The ``T`` key: the call's trace, usage (usage-missing included) and provider."""
    return (
        b"T"
        + call.trace_id
        + _pack_usage(
            call.input_tokens, call.output_tokens, call.cache_read_tokens, call.cache_write_tokens
        )
        + (b"m" if call.usage_missing else b"u")
        + call.provider.encode()
    )


def _interval(call: Call) -> int:
    """An ``N`` key's value: start (µs) and duration (µs, at most 2^31 - 1), then 1 for a
    stream, 1 for a span opened after its stream (``Call.late``), 1 for a framework
    span, then ``_TAG_BITS`` for the model's tag (0 here: see ``_model_tag``). Above the
    stream's bit, 1 for a framework's span of a stream that ended before its request was
    sent (``sources.EARLY_STREAM_SCOPES``)."""
    duration = min(int(call.latency_ms * 1000), 2**31 - 1)
    early = bool(call.stream) and call.scope.startswith(EARLY_STREAM_SCOPES)
    flags = early << 3 | (call.stream != 0) << 2 | call.late << 1 | (call.rank == RANK_FRAMEWORK)
    return ((call.ts_us << 31 | duration) << 4 | flags) << _TAG_BITS


def _model_tag(call: Call) -> int:
    """The model's tag in an ``M`` or ``W`` value: a 16-bit hash of its id less what two
    instrumentations of one call may name differently (``_MODEL_PREFIX``,
    ``_MODEL_SUFFIX``); 0 for a span that names no model (openai-agents-opentelemetry's
    ``gen_ai.response`` span) or a bare word, which may be the vendor's name
    (``llm.model_name=anthropic``), so that any model's span may pair with it. Two spans of two
    models are two calls, however they overlap in time."""
    model = call.request_model or call.response_model
    if not model:
        return 0
    name = model.lower().rsplit("/", 1)[-1].split("@", 1)[0]
    name = _MODEL_SUFFIX.sub("", _MODEL_PREFIX.sub("", name))
    if name.isalpha():
        return 0  # a vendor's name, not a model's (OpenInference JS's Bedrock spans)
    return zlib.crc32(name.encode()) & _TAG or 1


def _models_agree(first: Call, second: Call) -> bool:
    """Whether two spans may be of one call by their models (``_model_tag``)."""
    tags = _model_tag(first), _model_tag(second)
    return not (tags[0] and tags[1] and tags[0] != tags[1])


def _nests(seen: int, interval: int, opened: bool) -> bool:
    """Whether two ``N`` values are a framework span and another span that ran inside it;
    ``opened``: the framework span has no usage and the other has, so the other need only
    start inside it (``_opened_inside``), as it need when both are of a stream (a framework
    may end its span at the stream's last chunk, before the stream is closed: LiteLLM's
    success callback). A framework span opened after its stream (``Call.late``) need only
    have opened shortly after the other ended (``_ended_before``). Spans whose models'
    tags differ (both set) never nest."""
    tags = seen & _TAG, interval & _TAG
    if tags[0] and tags[1] and tags[0] != tags[1]:
        return False
    seen >>= _TAG_BITS
    interval >>= _TAG_BITS
    if seen & 1 == interval & 1:
        return False
    outer, inner = (seen, interval) if seen & 1 else (interval, seen)
    outer_start, inner_start = outer >> 35, inner >> 35
    outer_end = outer_start + (outer >> 4 & (2**31 - 1))
    inner_end = inner_start + (inner >> 4 & (2**31 - 1))
    if outer & 2 and inner & 4 and _ended_before(outer_start, outer_end, inner_end):
        return True
    if outer & 8 and inner & 4 and _opened_after(outer_end, inner_start):
        return True
    if opened or (outer & 4 and inner & 4):
        return _opened_inside(outer_start, outer_end, inner_start)
    return _inside(outer_start, outer_end, inner_start, inner_end)


def _end(call: Call) -> float:
    return call.ts_us + call.latency_ms * 1000


def _ended_before(outer_start: float, outer_end: float, inner_end: float) -> bool:
    """Whether a span of a stream ended at most ``_LATE_GAP_US`` before a span opened
    after its stream had been read (µs): the stream ends (the other span with it), then
    the application reads past its last chunk and the late span opens. Only a stream's
    span is paired so: an earlier call of the same usage ends shortly before too."""
    return outer_start - _LATE_GAP_US <= inner_end <= outer_end + _NESTED_SLACK_US


def _opened_after(outer_end: float, inner_start: float) -> bool:
    """Whether a span of a stream opened at most ``_EARLY_GAP_US`` after a framework's span
    of a stream that ended when the stream was returned (µs): the request is sent then."""
    return outer_end - _NESTED_SLACK_US <= inner_start <= outer_end + _EARLY_GAP_US


def _inside(outer_start: float, outer_end: float, inner_start: float, inner_end: float) -> bool:
    """Whether a span ran inside another (µs), within the two clocks' slack."""
    return (
        outer_start - _NESTED_SLACK_US <= inner_start and inner_end <= outer_end + _NESTED_SLACK_US
    )


def _opened_inside(outer_start: float, outer_end: float, inner_start: float) -> bool:
    """Whether a span with usage started inside a framework span without usage (µs,
    within the clocks' slack): such a span may end when the SDK returns a stream, before
    the stream is read (MLflow's span of Anthropic's ``messages.create(stream=True)``),
    while the SDK-level span of the call ends once it has been read, with the usage. (Two
    spans without usage must nest: the next call's may start as one ends.)"""
    return outer_start - _NESTED_SLACK_US <= inner_start <= outer_end + _NESTED_SLACK_US


def _other_scope(seen: int | None, stamp: int) -> bool:
    """Whether ``seen`` (a ``G`` key's value) is another scope's span within the window."""
    return (
        seen is not None
        and seen & 0xFF != stamp & 0xFF
        and abs((seen >> 8) - (stamp >> 8)) < _WINDOW_US
    )


def _response_key(trace_id: bytes, response_id: str) -> bytes:
    return b"R" + trace_id + response_id.encode() if response_id else b""


def _keys(calls: Iterable[Call]) -> list[_Keyed]:
    return [
        (
            call,
            b"S" + call.trace_id + call.span_id,
            b"P" + call.trace_id + call.parent_span_id if call.parent_span_id else b"",
            _response_key(call.trace_id, call.response_id),
            b"G" + call.response_id.encode() if call.response_id else b"",
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
        *call.metered,
    )
    return (
        0 if call.usage_missing else 1,
        1 if call.ours else 0,
        sum(1 for count in counts if count),
        # an inexact source's span loses even to a framework's (OpenLLMetry's Anthropic
        # stream, one output token too many, beside OpenInference's span of the stream)
        RANK_FRAMEWORK - 1 if call.rank == RANK_INEXACT else call.rank,
    )


def _drop_pairs(keyed: list[_Keyed]) -> list[_Keyed]:
    """``keyed`` less one of each parent/child pair and each repeated span or response,
    keeping the richer of each (the child of a parent/child pair on a tie)."""
    by_span = {entry[1][1:]: entry[0] for entry in keyed}
    pairs = [
        (call, by_span[parent[1:]]) for call, _, parent, _, _ in keyed if parent[1:] in by_span
    ]
    if len(pairs) > 1:
        pairs += _sibling_pairs(pairs)
    if any(entry[0].rank < 0 for entry in keyed):  # a framework's call span (rare)
        pairs += _nested_pairs([entry[0] for entry in keyed], pairs)
    shared_keys = [entry[4] for entry in keyed if entry[4]]
    if not pairs and len(by_span) == len(keyed) and len(set(shared_keys)) == len(shared_keys):
        return keyed  # the usual request: nothing describes one call twice
    if pairs and len(set(shared_keys)) < len(shared_keys):
        pairs += _response_pairs(keyed)
    dropped = _paired_off(pairs)
    kept: set[int] = set()
    seen: set[bytes] = set()
    shared_seen: dict[bytes, list[Call]] = {}
    for entry in sorted(keyed, key=lambda entry: richness(entry[0]), reverse=True):
        call, span, _, response, shared = entry
        if id(call) in dropped or span in seen or (response and response in seen):
            continue
        if shared and any(
            other.scope != call.scope and abs(other.ts_us - call.ts_us) < _WINDOW_US
            for other in shared_seen.get(shared, ())
        ):
            continue
        seen.add(span)
        if response:
            seen.add(response)
        if shared:
            shared_seen.setdefault(shared, []).append(call)
        kept.add(id(call))
    return [entry for entry in keyed if id(entry[0]) in kept]


def _paired_off(pairs: list[tuple[Call, Call]]) -> set[int]:
    """The ids of the calls that ``pairs`` (inner, outer) make duplicates.

    Pairs that chain (OpenInference's span around OpenLLMetry's around botocore's) describe
    one call when each of their spans is of another scope: the richest of the chain is
    kept (on a tie, one that is no other's outer span). Where a scope has two spans among
    them (two requests under one span: a retry), each pair keeps the richer of its two,
    the inner one on a tie."""
    group: dict[int, int] = {}

    def root(key: int) -> int:
        while group.get(key, key) != key:
            key = group[key]
        return key

    calls: dict[int, Call] = {}
    for inner, outer in pairs:
        calls[id(inner)], calls[id(outer)] = inner, outer
        group[root(id(inner))] = root(id(outer))
    members: dict[int, list[Call]] = {}
    for key, call in calls.items():
        members.setdefault(root(key), []).append(call)
    outers = {id(outer) for _, outer in pairs}
    dropped: set[int] = set()
    chained: set[int] = set()
    for chain in members.values():
        if len({call.scope for call in chain}) < len(chain):
            continue  # two requests among them: pair by pair, below
        best = max(chain, key=lambda call: (richness(call), id(call) not in outers))
        chained.update(id(call) for call in chain)
        dropped.update(id(call) for call in chain if call is not best)
    for inner, outer in pairs:
        if id(inner) in chained:
            continue
        if richness(outer) > richness(inner):
            dropped.add(id(inner))
        else:
            dropped.add(id(outer))
    return dropped


def _response_pairs(keyed: list[_Keyed]) -> list[tuple[Call, Call]]:
    """Pairs of call spans of two scopes with one response id, starting within the window,
    so that a chain of spans linked partly by parent and child and partly by response id
    is one call (``_paired_off``): OpenInference's Google GenAI span around OpenLLMetry's
    (never current), which shares its response id with tokentrace's span in another trace.
    Paired apart, where OpenInference's span was the richer of the two (OpenLLMetry's
    counted no thinking tokens), the chain kept it and tokentrace's span beat OpenLLMetry's:
    the call was counted twice."""
    by_response: dict[bytes, list[Call]] = {}
    for call, _, _, _, shared in keyed:
        if shared:
            by_response.setdefault(shared, []).append(call)
    return [
        (first, second)
        for calls in by_response.values()
        if len(calls) > 1
        for index, first in enumerate(calls)
        for second in calls[index + 1 :]
        if first.scope != second.scope and abs(first.ts_us - second.ts_us) < _WINDOW_US
    ]


def _sibling_pairs(pairs: list[tuple[Call, Call]]) -> list[tuple[Call, Call]]:
    """Pairs of call spans of two scopes with the same parent call span: both describe the
    parent's call (two instrumentations of the SDK under a framework's span, one of them
    not current: botocore's and OpenLLMetry's Bedrock spans of a stream under
    OpenInference's). Two children of one scope are two requests (a retry)."""
    children: dict[int, list[Call]] = {}
    for call, parent_call in pairs:
        children.setdefault(id(parent_call), []).append(call)
    return [
        (first, second)
        for kids in children.values()
        if len(kids) > 1
        for index, first in enumerate(kids)
        for second in kids[index + 1 :]
        if first.scope != second.scope
    ]


def _usage(call: Call) -> tuple[int, int, int, int, int]:
    return (
        call.usage_missing,
        call.input_tokens,
        call.output_tokens,
        call.cache_read_tokens,
        call.cache_write_tokens,
    )


def _nested_pairs(calls: list[Call], pairs: list[tuple[Call, Call]]) -> list[tuple[Call, Call]]:
    """(SDK span, framework span) for each framework call span and the span of another
    scope that ran inside it or has its trace and usage, as parent/child pairs are
    (inner, outer); calls already in a parent/child pair are left to that pair."""
    frameworks = [call for call in calls if call.rank == RANK_FRAMEWORK]
    if not frameworks:
        return []
    paired = {id(call) for pair in pairs for call in pair}
    taken: set[int] = set()
    found: list[tuple[Call, Call]] = []
    for outer in sorted(frameworks, key=lambda call: call.ts_us):
        if id(outer) in paired:
            continue
        end = outer.ts_us + outer.latency_ms * 1000
        usage = _usage(outer)
        inside = [
            call
            for call in calls
            if call.rank != RANK_FRAMEWORK
            and id(call) not in paired
            and id(call) not in taken
            and call.provider == outer.provider
            and _models_agree(call, outer)
            and (
                _inside(outer.ts_us, end, call.ts_us, call.ts_us + call.latency_ms * 1000)
                or (outer.late and call.stream and _ended_before(outer.ts_us, end, _end(call)))
                or (
                    outer.stream
                    and call.stream
                    and outer.scope.startswith(EARLY_STREAM_SCOPES)
                    and _opened_after(end, call.ts_us)
                )
                or (
                    _opened_inside(outer.ts_us, end, call.ts_us)
                    and (
                        (outer.usage_missing and not call.usage_missing)
                        or (outer.stream and call.stream)
                    )
                )
                or (call.trace_id == outer.trace_id and _usage(call) == usage)
            )
        ]
        if inside:
            inner = min(
                inside, key=lambda call: (_usage(call) != usage, abs(call.ts_us - outer.ts_us))
            )
            taken.add(id(inner))
            found.append((inner, outer))
    return found
