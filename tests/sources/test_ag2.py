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

import pytest

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
