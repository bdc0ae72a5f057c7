"""The newest Node instrumentations on the call shapes of ``test_call_shapes`` (OpenAI chat
with a function tool, embeddings, the Responses API plain and streamed, chat plain and
streamed with usage; Claude with a tool, plain and ``messages.stream``), replayed into chDB
in one request and span by span: one row per call at its exact cost, none counted twice.

Recorded on 2026-12-03 (``record.cjs``: ``moreOpenAICalls``, ``moreAnthropicCalls``,
``vercelMoreCalls``) with what npm installed that day: ai 7.0.173 (@ai-sdk/openai 4.0.118,
@ai-sdk/anthropic 4.0.105, @ai-sdk/otel 1.0.173), ai 6.0.333 (@ai-sdk/openai 3.0.141,
@ai-sdk/anthropic 3.0.140), @arizeai/openinference-instrumentation-openai 4.2.7 and
-anthropic 0.2.8, @langfuse/openai and @langfuse/tracing 5.11.1, @traceloop/node-server-sdk
0.27.0, @opentelemetry/instrumentation-openai 0.22.0, openai 7.60.0 (6.49.0 where an
instrumentation takes only ``<7``), @anthropic-ai/sdk 1.16.0 (0.80 for OpenLLMetry's).
Node has no sync/async pair: the 9 calls are the Python set's 9, whose exact cost is
$0.019299 (5 gpt-4o at $0.00255, 3 claude-sonnet-4-5 at $0.002175, 1,200 tokens of
text-embedding-3-small at $0.000024).

Prices (USD per million tokens), worked by hand as in ``test_call_shapes``:

- gpt-4o: input 2.50, cached input 1.25, output 10: 200 × 2.50 + 1,000 × 1.25 + 80 × 10 =
  $0.00255 a call; without a cache count 1,200 × 2.50 + 80 × 10 = $0.0038
  (https://platform.openai.com/docs/pricing);
- text-embedding-3-small: input 0.02: 1,200 × 0.02 = $0.000024 (same page);
- claude-sonnet-4-5: input 3, cache read 0.30, 5-minute cache write 3.75, output 15: 100 × 3 +
  1,000 × 0.30 + 100 × 3.75 + 80 × 15 = $0.002175
  (https://docs.anthropic.com/en/docs/about-claude/pricing).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.sources.conftest import FIXTURES, _one_span_each
from tests.sources.test_call_shapes import ALL_CALLS, EMBEDDING, GPT_4O, GPT_4O_UNCACHED, SONNET
from tokentrace.processor import held_calls
from tokentrace.processor.extract.dedupe import Deduper
from tokentrace.processor.extract.extractor import extract
from tokentrace.processor.extract.parents import HOLD_NS, RECENT
from tokentrace.processor.extract.tags import DIMENSIONS as DIMENSION_KEYS
from tokentrace.processor.metrics import Registry
from tokentrace.processor.pipeline import Pipeline
from tokentrace.processor.receivers.otlp_codec import decode_json
from tokentrace.processor.store.kept_traces import KeptTraces
from tokentrace.processor.store.spool import Spool

# A call whose span carries no count: usage-missing, its cost unknown (never $0).
GPT_4O_NO_USAGE = ("openai", "gpt-4o", 0, 0, 0, 0, 1, 0)
EMBEDDING_NO_USAGE = ("openai", "text-embedding-3-small", 0, 0, 0, 0, 1, 0)
# Which calls streamed: the Claude stream, the Responses API's and chat's.
STREAMS = [
    ("claude-sonnet-4-5", 0), ("claude-sonnet-4-5", 0), ("claude-sonnet-4-5", 1),
    ("gpt-4o", 0), ("gpt-4o", 0), ("gpt-4o", 0), ("gpt-4o", 1), ("gpt-4o", 1),
    ("text-embedding-3-small", 0),
]  # fmt: skip


def _total(result) -> Decimal:
    return sum((cost for (cost,) in result.rows("cost")), Decimal(0))


@pytest.mark.parametrize("alone", [False, True])
@pytest.mark.parametrize(("source", "spans"), [("vercel_ai_7", 26), ("vercel_ai_6", 18)])
def test_vercel_ai_sdk_latest_calls(replay, source, spans, alone):
    """The AI SDK 7 (@ai-sdk/otel's integration: ``invoke_agent``, ``step`` and ``chat``
    spans; ``embeddings`` twice, the ``embed`` call and its model call) and 6
    (``experimental_telemetry``: ``ai.generateText`` over ``.doGenerate``…): one row per
    call, $0.019299, the 3 streams flagged."""
    result = replay(f"{source}_latest_calls", alone=alone)
    assert result.spans == spans
    assert result.rows() == ALL_CALLS
    assert _total(result) == Decimal("0.019299")
    assert result.rows("model", "stream") == STREAMS


def _embed_child_first(bodies: list[bytes]) -> list[bytes]:
    """The spans one by one in the order they ended, but the AI SDK 7's ``embed`` span (the
    operation's, the trace's root) after the model call's span beneath it, as it ends when
    the events come the other way round."""
    spans = [json.loads(body)["resourceSpans"][0]["scopeSpans"][0]["spans"][0] for body in bodies]
    embeds = [i for i, span in enumerate(spans) if span["name"].startswith("embeddings")]
    operation, child = sorted(embeds, key=lambda i: bool(spans[i].get("parentSpanId")))
    assert operation < child  # as recorded: the operation's span ended first
    bodies[operation], bodies[child] = bodies[child], bodies[operation]
    return bodies


@pytest.mark.parametrize("order", [None, _embed_child_first])
def test_vercel_ai_7_embed_counted_once_in_either_order(replay, order):
    """The AI SDK 7's span of ``embed`` and the model call's beneath it are both
    ``embeddings text-embedding-3-small``; only the model call's has the usage. Sent span by
    span, the operation's span (here ended 0.25 ms before the model call's) was admitted
    first: the embedding usage-missing ($0.019275 known of $0.019299). It is held for its
    child now (as a stream's opening span), and a child counted before it makes it a
    duplicate: $0.000024, one row, in either order."""
    result = replay("vercel_ai_7_latest_calls", alone=True, order=order)
    assert result.rows()[-1] == EMBEDDING
    assert len(result.rows()) == 9
    assert result.metrics.spans_duplicate.value() == 1


def _operation_first(bodies: list[bytes]) -> list[bytes]:
    """The spans one by one, the operation's (the trace's root) first, as it is sent when
    it ends before the model calls' spans beneath it."""
    roots = [i for i, body in enumerate(bodies) if b"parentSpanId" not in body]
    (root,) = roots
    return [bodies[root], *bodies[:root], *bodies[root + 1 :]]


@pytest.mark.parametrize("order", [None, _operation_first])
@pytest.mark.parametrize("major", [7, 6])
def test_vercel_ai_embed_many_in_chunks(replay, major, order):
    """``embedMany`` over 3 values, 2 a call: 2 calls of 1,200 tokens (recorded 2026-12-03,
    ai 7.0.173 / 6.0.333). The AI SDK 7's ``embeddings`` span of the operation has no usage
    and each model call's span beneath it has its own; the AI SDK 6's ``ai.embedMany`` has
    the sum (2,400) and each ``ai.embedMany.doEmbed`` its call's. Two rows of $0.000024
    (text-embedding-3-small, 1,200 × $0.02 per million), whichever span comes first: the
    operation's is held for a model call's (AI SDK 7) or is not a call (AI SDK 6)."""
    result = replay(f"vercel_ai_{major}_embed_many", alone=order is None, order=order)
    assert result.spans == 3
    assert result.rows() == [EMBEDDING] * 2
    assert _total(result) == Decimal("0.000048")


def test_vercel_ai_6_metadata(replay):
    """AI SDK 6's telemetry metadata (``ai.telemetry.metadata.*``) is on each call's span:
    its user and session are the row's. (AI SDK 7 has no metadata: its ``runtimeContext``
    keys are on the ``invoke_agent`` and ``step`` spans only, not on the ``chat`` span.)"""
    result = replay("vercel_ai_6_latest_calls")
    assert result.rows("user", "conversation") == [("user-1", "session-1")] * 9


@pytest.mark.parametrize("alone", [False, True])
def test_vercel_ai_7_runtime_context(replay, alone):
    """The AI SDK 7's runtime context (``ai.settings.context.userId`` and ``.sessionId``,
    as ``includeRuntimeContext`` names them) is read as the AI SDK 6's telemetry metadata
    is. The ``embed`` call's model span carries it; the ``chat`` spans do not, their
    ``agent_step`` and ``invoke_agent`` parents do: a chat call takes its parents'
    (``Call.inherits``). Rows with user and session: 1 of 9 → 9 of 9, in one request and
    span by span, where each chat span comes before its parent and waits for it; the rows
    and the cost as before."""
    result = replay("vercel_ai_7_latest_calls", alone=alone)
    assert result.rows("model", "user", "conversation") == [
        *[("claude-sonnet-4-5", "user-1", "session-1")] * 3,
        *[("gpt-4o", "user-1", "session-1")] * 5,
        ("text-embedding-3-small", "user-1", "session-1"),
    ]
    assert result.rows() == ALL_CALLS
    assert _total(result) == Decimal("0.019299")
    assert result.metrics.spans_duplicate.value() == 1  # the ``embed`` operation's span


def _without_parents(body: bytes) -> bytes:
    """The AI SDK 7 fixture without its ``invoke_agent`` and ``agent_step`` spans (an
    exporter that lost them, or a sampler that dropped them)."""
    document = json.loads(body)
    for resource in document["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            scope["spans"] = [
                span
                for span in scope["spans"]
                if not span["name"].startswith(("invoke_agent", "step"))
            ]
    return json.dumps(document).encode()


@pytest.mark.parametrize("alone", [False, True])
def test_vercel_ai_7_chat_whose_parents_never_come(replay, alone):
    """A chat call whose parents never come waits for them (span by span, until the
    shutdown's flush here; ``parents.HOLD_NS`` in a running serve), then is stored without
    their dimensions: 9 rows, $0.019299, none lost or counted twice; only the embedding's
    row, whose span has its own, has a user."""
    result = replay("vercel_ai_7_latest_calls", alone=alone, rewrite=_without_parents)
    assert result.spans == 10
    assert result.rows() == ALL_CALLS
    assert _total(result) == Decimal("0.019299")
    assert result.metrics.spans_duplicate.value() == 1  # the ``embed`` operation's span
    assert result.rows("model", "user") == [
        *[("claude-sonnet-4-5", "")] * 3,
        *[("gpt-4o", "")] * 5,
        ("text-embedding-3-small", "user-1"),
    ]


def test_vercel_ai_7_chat_waits_for_its_parent_ten_minutes_at_most():
    """In a running serve a chat span whose parent does not come is admitted once
    ``parents.HOLD_NS`` (10 minutes) has passed since it came, at the next request, without
    the parent's dimensions; its parent coming later changes nothing (its row is stored)."""
    bodies = _one_span_each(json.loads((FIXTURES / "vercel_ai_7_latest_calls.json").read_bytes()))
    chat, step = bodies[0], bodies[1]
    now = 1_900_000_000 * 10**9
    deduper = Deduper()
    first = extract(decode_json(chat).request, now)
    assert deduper.admit(first.calls, now, first.parents) == ([], 0)
    assert deduper.admit([], now + HOLD_NS - 1) == ([], 0)
    [call], duplicates = deduper.admit([], now + HOLD_NS)
    assert (call.request_model, duplicates, deduper.held) == ("gpt-4o", 0, [])
    user, conversation = (list(DIMENSION_KEYS).index(name) for name in ("user", "conversation"))
    assert (call.dimensions[user], call.dimensions[conversation]) == ("", "")
    late = extract(decode_json(step).request, now + HOLD_NS)
    assert deduper.admit(late.calls, now + HOLD_NS, late.parents) == ([], 0)


def test_vercel_ai_7_waiting_chat_survives_a_restart(tmp_path, pricer):
    """A chat span waiting for its parent was acknowledged: the held-calls file carries it
    with its ``inherits`` flag, a restarted serve holds it again, and the parent that comes
    then gives it its user and session; a resent copy of the chat span meanwhile is a
    duplicate."""
    bodies = _one_span_each(json.loads((FIXTURES / "vercel_ai_7_latest_calls.json").read_bytes()))
    chat, step = bodies[0], bodies[1]
    assert b'"chat gpt-4o"' in chat and b'"step 1"' in step
    now = 1_900_000_000 * 10**9
    spool = Spool(tmp_path / "spool", 1 << 30, seal_rows=10_000, seal_seconds=0.05)
    spool.start()
    held = tmp_path / "held-calls.json"
    first = Pipeline(pricer, spool, Deduper(), Registry(), clock=lambda: now, held_path=held)
    first.accept(decode_json(chat).request, "http").durable.result(10)
    [waiting] = held_calls.loads(held.read_bytes())
    assert waiting.inherits and waiting.request_model == "gpt-4o"
    restarted = Deduper()
    Pipeline(pricer, spool, restarted, Registry(), clock=lambda: now, held_path=held)
    assert restarted.held[0].span_id == waiting.span_id
    again = extract(decode_json(chat).request, now)
    assert restarted.admit(again.calls, now, again.parents) == ([], 1)
    parent = extract(decode_json(step).request, now)
    [call], duplicates = restarted.admit(parent.calls, now, parent.parents)
    spool.close()
    assert duplicates == 0
    user, conversation = (list(DIMENSION_KEYS).index(name) for name in ("user", "conversation"))
    assert (call.dimensions[user], call.dimensions[conversation]) == ("user-1", "session-1")
    assert restarted.held == []


def test_vercel_ai_7_parent_before_a_restart_gives_its_chat_the_user(tmp_path, pricer):
    """The ``agent_step`` span came first (an exporter that sends the parents' batch before
    the child's) and serve was killed before the chat span came: the parent, remembered in
    memory only, was forgotten, and the restarted serve held the chat span for 10 minutes
    and stored it without user or session. Kept beside the spool (``store.kept_traces``),
    the restarted serve gives it them at once."""
    bodies = _one_span_each(json.loads((FIXTURES / "vercel_ai_7_latest_calls.json").read_bytes()))
    chat, step = bodies[0], bodies[1]
    now = 1_900_000_000 * 10**9
    spool = Spool(tmp_path / "spool", 1 << 30, seal_rows=10_000, seal_seconds=0.05)
    spool.start()
    held = tmp_path / "held-calls.json"

    traces = kept(tmp_path)
    first = Pipeline(pricer, spool, Deduper(), Registry(), lambda: now, held, traces)
    first.accept(decode_json(step).request, "http").durable.result(10)
    traces.close()  # killed: nothing flushed
    restarted = Deduper()
    Pipeline(pricer, spool, restarted, Registry(), lambda: now, held, kept(tmp_path))
    late = extract(decode_json(chat).request, now)
    [call], duplicates = restarted.admit(late.calls, now, late.parents)
    spool.close()
    assert (duplicates, restarted.held) == (0, [])
    user, conversation = (list(DIMENSION_KEYS).index(name) for name in ("user", "conversation"))
    assert (call.dimensions[user], call.dimensions[conversation]) == ("user-1", "session-1")


def kept(directory) -> KeptTraces:
    return KeptTraces(directory, 2 * RECENT)


def test_openinference_js_latest_calls(replay):
    """OpenInference JS (openai 4.2.7 on openai 7.60, anthropic 0.2.8 on @anthropic-ai/sdk
    1.16): a span per call. Its chat stream's span has no count even with ``include_usage``
    and its ``EMBEDDING`` span none at all: those two are usage-missing (cost unknown); the
    Responses API stream's span has the response's usage."""
    result = replay("openinference_js_latest_calls")
    assert result.spans == 9
    assert result.rows() == [
        SONNET,
        SONNET,
        SONNET,
        GPT_4O_NO_USAGE,
        *[GPT_4O] * 4,
        EMBEDDING_NO_USAGE,
    ]
    assert result.rows("unpriced_reason") == [("",)] * 7 + [("usage_missing",)] * 2
    assert result.rows("model", "stream") == STREAMS


@pytest.mark.parametrize("alone", [False, True])
def test_openinference_js_beside_the_anthropic_sdks_tracing(replay, alone):
    """With the Anthropic SDK's own tracing on too, each Claude call has two spans. Of
    ``messages.stream()``, OpenInference's span and the SDK's are roots of two traces, and
    OpenInference's (text output) has no response id: it was counted twice (10 rows for 9
    calls, $0.0189 known for $0.016725). It is paired as OpenInference Python's Anthropic
    stream span is (``stream_apart`` in ``scopes.SCOPES``): one row per call, the SDK's."""
    result = replay("openinference_js_latest_calls_sdk", alone=alone)
    assert result.spans == 12
    assert result.rows() == [
        SONNET,
        SONNET,
        SONNET,
        GPT_4O_NO_USAGE,
        *[GPT_4O] * 4,
        EMBEDDING_NO_USAGE,
    ]
    assert _total(result) == Decimal("0.016725")
    assert result.metrics.spans_duplicate.value() == 3
    assert result.rows("model", "stream") == STREAMS
    if not alone:  # in one request the SDK's span is kept (it carries the response id)
        claude = "model = 'claude-sonnet-4-5'"
        assert result.client.query(
            f"SELECT response_id, stream FROM llm_calls WHERE {claude} ORDER BY stream, response_id"
        ).result_rows == [("msg_standin10", 0), ("msg_standin8", 0), ("msg_standin12", 1)]


def test_otel_openai_js_latest_calls(replay):
    """The contrib OpenAI instrumentation 0.22 (openai 6.49: it instruments ``>=4.19 <7``)
    beside the Anthropic SDK's own tracing: a span per call, the Responses API's included.
    It records no cache count: each gpt-4o call of 1,200 input tokens, which OpenAI may have
    cached on its own, is usage-missing (``test_call_shapes.GPT_4O_UNCACHED``: its cost
    unknown, not $0.0038 for $0.00255), and nothing says a call streamed (its 2 OpenAI
    streams are stream 0). Known: 3 × $0.002175 + $0.000024 = $0.006549."""
    result = replay("otel_openai_js_latest_calls")
    assert result.spans == 9
    assert result.rows() == [SONNET] * 3 + [GPT_4O_UNCACHED] * 5 + [EMBEDDING]
    assert _total(result) == Decimal("0.006549")
    assert result.rows("model", "stream") == [
        ("claude-sonnet-4-5", 0), ("claude-sonnet-4-5", 0), ("claude-sonnet-4-5", 1),
        *[("gpt-4o", 0)] * 5, ("text-embedding-3-small", 0),
    ]  # fmt: skip


def test_openllmetry_js_latest_calls(replay):
    """OpenLLMetry's SDK (@traceloop/node-server-sdk 0.27, its instrumentations handed the
    SDKs): no span of the embeddings (it does not wrap them: 8 rows for 9 calls); its
    Responses API stream's span has no count (usage-missing). Its chat stream's counts are
    its own estimate (``enrichTokens``, on by default: tiktoken on the message text, 2 in
    and 9 out for the API's 1,200 and 80), and nothing on the span tells a stream from a
    plain call: they were stored as exact ($0.000095 for a $0.00255 call). No OpenAI chat
    count of this instrumentation is taken as exact now: its 3 chat calls are usage-missing
    (unknown, with no counts), its Responses API call of 1,200 input tokens without a cache
    count too (``GPT_4O_UNCACHED``). Claude's input count leaves out the cache (as its 0.27
    always did)."""
    result = replay("openllmetry_js_latest_calls")
    assert result.spans == 8
    assert result.rows() == [
        SONNET,
        SONNET,
        SONNET,
        *[GPT_4O_NO_USAGE] * 4,
        GPT_4O_UNCACHED,
    ]
    assert result.rows("unpriced_reason") == [("",)] * 3 + [("usage_missing",)] * 5
    assert _total(result) == Decimal("0.006525")


def test_langfuse_js_latest_calls(replay):
    """Langfuse JS 5.11's ``observeOpenAI`` on openai 7.60: a generation per OpenAI call;
    its embeddings generation has no usage (usage-missing, cost unknown); the 2 streams are
    flagged by their ``completion_start_time``."""
    result = replay("langfuse_js_latest_calls")
    assert result.spans == 6
    assert result.rows() == [*[GPT_4O] * 5, EMBEDDING_NO_USAGE]
    assert result.rows("model", "stream") == STREAMS[3:]


# OpenInference LangChain.js's span of a Claude stream: its output count is
# ``message_start``'s placeholder (1) plus the real 80, recorded 81: unknown, as its cost.
CLAUDE_STREAM_OUTPUT_UNKNOWN = ("anthropic", "claude-sonnet-4-5", 1200, 0, 1000, 100, 1, 0)


@pytest.mark.parametrize("alone", [False, True])
def test_langchain_js_latest_calls(replay, alone):
    """LangChain.js (@langchain/core 1.4, @langchain/openai 1.6, @langchain/anthropic 1.5)
    with OpenInference's LangChain instrumentation (4.1.1) on the reference shapes: an
    ``LLM`` span per chat call (Responses API included), none for ``embedQuery`` (LangChain
    runs no callback for it: 8 rows for 9 calls). Its Claude spans carry the cache reads,
    not the 100 writes (usage-missing, $0.01275 known); the message it records has them
    (``response_metadata.usage``, ``sources.langchain_cache_writes``): the 2 plain calls
    are exact now, $0.002175 each. The stream's output was 81 for the API's 80 (its
    ``message_start`` placeholder counted too, ``Source.anthropic_start_counted``): its
    output and cost are unknown. Known: 5 × $0.00255 + 2 × $0.002175 = $0.0171."""
    result = replay("langchain_js_latest_calls", alone=alone)
    assert result.spans == 8
    assert result.rows() == [CLAUDE_STREAM_OUTPUT_UNKNOWN, SONNET, SONNET, *[GPT_4O] * 5]
    assert _total(result) == Decimal("0.0171")
    assert result.rows("model", "stream") == STREAMS[:-1]


@pytest.mark.parametrize("alone", [False, True])
def test_langchain_js_with_openinference_openai_latest_calls(replay, alone):
    """The same with OpenInference's OpenAI instrumentation on the openai package
    @langchain/openai loads: 14 spans, each OpenAI call's LangChain span paired with its
    OpenAI span (5 duplicates); the embedding is seen, through its OpenAI span, which has no
    usage (usage-missing). Sent span by span, the OpenAI span of the chat stream (no usage,
    ever: ``sources.STREAM_USAGE_DROPPED_SCOPES``) ends first: it was kept (the first seen
    wins), that call usage-missing. It waits for LangChain's span now, which has the usage:
    5 × $0.00255 in both modes; with Claude's 2 plain calls, $0.0171 known (was $0.0102 span
    by span)."""
    result = replay("langchain_js_openai_latest_calls", alone=alone)
    assert result.spans == 14
    claude = [CLAUDE_STREAM_OUTPUT_UNKNOWN, SONNET, SONNET]
    assert result.rows() == [*claude, *[GPT_4O] * 5, EMBEDDING_NO_USAGE]
    assert _total(result) == Decimal("0.0171")
    assert result.metrics.spans_duplicate.value() == 5
    assert result.rows("model", "stream") == STREAMS
