"""AG2 1.x's own tracing (``TelemetryMiddleware``, scope ``opentelemetry.instrumentation.ag2``)
replayed into chDB: one row per model call at its exact cost, alone and beside tokentrace's
instrumentation.

Recorded on 2026-12-03 (``record.py``: ``_ag2``) with ag2 1.2.1, openai 3.57, anthropic
2.16: an agent asked once per model config, gpt-4o over Chat Completions plain and
streamed and over the Responses API, claude-sonnet-4-5 plain and streamed. Each call's
usage is that of ``test_call_shapes``: gpt-4o $0.00255, claude-sonnet-4-5 $0.002175
(sources cited there); 5 calls, $0.012 in all.
"""

from __future__ import annotations

import json
import urllib.request
from decimal import Decimal

import pytest

from tests.ingest.serve_process import ServeProcess
from tests.sources.conftest import FIXTURES, _one_span_each
from tests.sources.test_call_shapes import GPT_4O, SONNET

CALLS = [SONNET] * 2 + [GPT_4O] * 3


@pytest.mark.parametrize("alone", [False, True])
def test_ag2_counts_each_call_once(replay, alone):
    """Each call has a ``chat`` span and a ``record_usage model_call`` span with the same
    usage (AG2's accounting event), siblings under ``invoke_agent``: both were stored, 10
    rows for 5 calls ($0.024 for $0.012). The ``chat`` span is the call. AG2's Claude input
    count is the API's ``input_tokens`` (100, beside 1,000 cache reads and 100 writes),
    read as that source's, not repaired. Its spans say nothing of a stream: stream 0."""
    result = replay("ag2", alone=alone)
    assert result.spans == 15
    assert result.rows() == CALLS
    assert result.rows("stream") == [(0,)] * 5
    assert result.metrics.spans_ignored.value() == 10
    assert result.metrics.usage_repaired.value(repair="input_below_cache") == 0


@pytest.mark.parametrize("alone", [False, True])
def test_ag2_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation each ``chat`` span pairs with tokentrace's span
    of the call, which says which two streamed; the ``record_usage`` spans were 4 rows more
    (9 for 5)."""
    result = replay("ag2_tokentrace", alone=alone)
    assert result.spans == 20
    assert result.rows() == CALLS
    assert result.rows("model", "stream") == [
        *[("claude-sonnet-4-5", 0), ("claude-sonnet-4-5", 1)],
        *[("gpt-4o", 0)] * 2,
        ("gpt-4o", 1),
    ]
    assert result.metrics.spans_duplicate.value() == 5


@pytest.mark.parametrize("alone", [False, True])
def test_ag2_compaction_is_a_call(replay, alone):
    """An agent whose history AG2 compacts after the turn (``SummarizeCompact`` on gpt-4o):
    the summary's request is made by the client directly, outside the middleware's hooks,
    so no ``chat`` span traces it; its ``record_usage compaction`` span is the call's only
    record: 2 rows, the turn's and the summary's."""
    result = replay("ag2_compaction", alone=alone)
    assert result.spans == 4
    assert result.rows() == [GPT_4O] * 2


@pytest.mark.parametrize("alone", [False, True])
def test_ag2_compaction_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation the summary's ``record_usage`` span, started once
    the call is over, sits beside tokentrace's span of it under the turn, neither inside
    the other, without a response id: it was a row of its own (3 rows for 2 calls). It is
    paired as a framework's span in its trace, by provider and usage."""
    result = replay("ag2_compaction_tokentrace", alone=alone)
    assert result.spans == 6
    assert result.rows() == [GPT_4O] * 2
    assert result.metrics.spans_duplicate.value() == 2


# ``_ag2_subtask``: an agent delegating to a sub-agent (``subagent_tool``) on gpt-4o, twice:
# first to a sub-agent without the middleware, then to one with it. 3 calls each (the
# agent's tool call, the sub-agent's answer, the agent's answer with the tool's result):
# 6 calls, 6 × $0.00255 = $0.0153.
SUBTASK_CALLS = [GPT_4O] * 6


@pytest.mark.parametrize("alone", [False, True])
def test_ag2_subtask_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation: 6 rows, $0.0153. The ``record_usage subtask``
    spans (the sub-agent's calls summed onto the agent's stream) are not calls, the
    traced sub-agent's ``chat`` span pairs with tokentrace's span of its call, and the
    untraced one's call is tokentrace's span alone."""
    result = replay("ag2_subtask_tokentrace", alone=alone)
    assert result.spans == 23
    assert result.rows() == SUBTASK_CALLS
    assert sum(row[-1] for row in result.rows()) == Decimal("0.0153")


@pytest.mark.parametrize("alone", [False, True])
def test_ag2_traced_subtask_counted_once(replay, alone):
    """The run whose sub-agent has the middleware: its call has a ``chat`` span, which is
    the call; the ``record_usage subtask`` span sums it again (same usage): 3 rows for 3
    calls, not 4."""
    traced = _second_trace(replay, "ag2_subtask", alone)
    assert traced == [GPT_4O] * 3


@pytest.mark.parametrize("alone", [False, True])
def test_ag2_untraced_subtask_counted(replay, alone):
    """The run whose sub-agent has no middleware: the sub-agent's call has no ``chat``
    span, only the ``record_usage subtask`` span that AG2 sends its usage up as; it is the
    only word of that call (recorded: 2 rows for 3 calls, $0.0051 for $0.00765)."""
    result = replay("ag2_subtask", alone=alone)
    assert result.rows() == SUBTASK_CALLS


@pytest.mark.parametrize("fixture", ["ag2_subtask", "ag2_subtask_tokentrace"])
def test_ag2_subtask_waits_for_its_parent(replay, fixture):
    """Each span alone, each sub-agent's ``invoke_agent`` span sent after the ``subtask``
    span (a sub-agent exported apart): the ``subtask`` span waits for its parent, the
    delegating agent's ``invoke_agent``, which ends after both, so the traced sub-agent's
    span is known by then: 6 rows, $0.0153. Decided on arrival, the traced run's ``subtask``
    span was a row of its own (7)."""

    def helper_after_subtask(bodies: list[bytes]) -> list[bytes]:
        helpers = [body for body in bodies if b'"invoke_agent helper"' in body]
        others = [body for body in bodies if body not in helpers]
        for helper in helpers:
            trace = json.loads(helper)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
            subtask = next(
                index
                for index, body in enumerate(others)
                if b'"record_usage subtask"' in body and trace["traceId"].encode() in body
            )
            others.insert(subtask + 1, helper)
        return others

    result = replay(fixture, order=helper_after_subtask)
    assert result.rows() == SUBTASK_CALLS
    assert sum(row[-1] for row in result.rows()) == Decimal("0.0153")


def _second_trace(replay, name: str, alone: bool) -> list[tuple]:
    """The rows of the second run (its own trace) of a ``_ag2_subtask`` fixture."""
    result = replay(name, alone=alone)
    traces = sorted(
        result.client.query(
            "SELECT trace_id, min(ts) FROM llm_calls GROUP BY trace_id"
        ).result_rows,
        key=lambda row: row[1],
    )
    second = traces[-1][0]
    names = ", ".join(
        (
            "provider",
            "model",
            "input_tokens",
            "output_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "usage_missing",
            "cost",
        )
    )
    return sorted(
        result.client.query(
            f"SELECT {names} FROM llm_calls WHERE trace_id = %(t)s", parameters={"t": second}
        ).result_rows
    )


def test_ag2_subtask_counted_once_across_restarts(replay):
    """Each span alone, through a serve killed after each answer and started again: the
    traced sub-agent's ``invoke_agent`` span comes before the ``subtask`` span, in another
    run of serve. Its name was remembered in memory only: the restarted serve took the
    ``subtask`` span for the only record of the sub-agent's call and counted it again, 7
    rows, $0.0153 + $0.00255. Kept beside the spool (``store.kept_traces``): 6 rows, $0.0153."""
    result = replay("ag2_subtask", restarts=True)
    assert result.rows() == SUBTASK_CALLS
    assert sum(row[-1] for row in result.rows()) == Decimal("0.0153")


@pytest.mark.slow
def test_ag2_subtask_counted_once_across_a_real_serve_killed(tmp_path):
    """The same with a real ``serve`` killed (-9) right after it acknowledged the traced
    sub-agent's ``invoke_agent`` span, and started again for the rest, the ``subtask`` span
    among them: 6 rows, $0.0153 (7 rows before)."""
    bodies = _one_span_each(json.loads((FIXTURES / "ag2_subtask.json").read_bytes()))
    helpers = [index for index, body in enumerate(bodies) if b'"invoke_agent helper"' in body]
    server = ServeProcess(tmp_path).start()
    for index, body in enumerate(bodies):
        headers = {"content-type": "application/json"}
        post = urllib.request.Request(f"{server.url}/v1/traces", body, headers)
        with urllib.request.urlopen(post, timeout=30) as answer:
            assert answer.status == 200
        if index == helpers[-1]:  # the traced run's sub-agent: its span is the later one
            server.kill()
            server.start()
    assert server.stop() == 0
    costs = sorted(Decimal(row["cost"]) for row in server.stored()["calls"])
    assert costs == [Decimal("0.00255")] * 6


# ``_ag2_subtask_calls``: an agent delegating once to a sub-agent without the middleware that
# makes 2 calls itself (a tool call, then its answer): 4 gpt-4o calls, $0.0102. AG2's
# ``record_usage subtask`` span sums the sub-agent's 2 (2,400 in, 2,000 cached, 160 out).
SUBTASK_SUM = ("openai", "gpt-4o", 2400, 160, 2000, 0, 0, Decimal("0.0051"))


@pytest.mark.parametrize("alone", [False, True])
def test_ag2_multi_call_subtask_alone(replay, alone):
    """Alone, the sum is the only word of the sub-agent's 2 calls: 3 rows for 4 calls (one
    row for the two, their summed usage), $0.0102 exact."""
    result = replay("ag2_subtask_calls", alone=alone)
    assert result.rows() == [GPT_4O] * 2 + [SUBTASK_SUM]
    assert result.rows("sum(cost)") == [(Decimal("0.0102"),)]


@pytest.mark.parametrize("alone", [False, True])
def test_ag2_multi_call_subtask_beside_tokentrace(replay, alone):
    """Beside tokentrace's instrumentation, which sees each of the sub-agent's calls: 4 rows,
    $0.0102; the sum is not a fifth row. It was (5 rows, $0.0153): the sum's usage equals no
    call of its trace. tokentrace's spans of the sub-agent's calls are children of AG2's
    ``execute_tool`` span beside the ``subtask`` span, which contains it in time: counted,
    they make the sum a copy."""
    result = replay("ag2_subtask_calls_tokentrace", alone=alone)
    assert result.rows() == [GPT_4O] * 4
    assert result.rows("sum(cost)") == [(Decimal("0.0102"),)]


def _restart_after_the_tool(bodies: list[bytes]) -> list[bytes]:
    """The spans in two requests, a serve restarted between them (``restarts``): those that
    ended up to AG2's ``execute_tool`` span, and the rest (the ``subtask`` span among the
    first, waiting for its parent, the delegating agent's ``invoke_agent``, in the second)."""
    cut = next(index for index, body in enumerate(bodies) if b'"execute_tool ' in body) + 1

    def merged(part: list[bytes]) -> bytes:
        spans = [json.loads(body)["resourceSpans"] for body in part]
        return json.dumps({"resourceSpans": [entry for each in spans for entry in each]}).encode()

    return [merged(bodies[:cut]), merged(bodies[cut:])]


def test_ag2_multi_call_subtask_beside_tokentrace_across_a_restart(replay):
    """The same with serve restarted once the tool span was acknowledged, before the
    delegating agent's ``invoke_agent`` span, for which the ``subtask`` span waits: the
    tool span was remembered in memory only (and the sub-agent's calls are seeded at start
    without their parent, the tool span), so the restarted serve took the sum for the only
    record of its calls: 5 rows, $0.0153. The tool span beneath which a call was counted is
    kept beside the spool (``store.kept_traces``): 4 rows, $0.0102."""
    result = replay("ag2_subtask_calls_tokentrace", order=_restart_after_the_tool, restarts=True)
    assert result.rows() == [GPT_4O] * 4
    assert result.rows("sum(cost)") == [(Decimal("0.0102"),)]
