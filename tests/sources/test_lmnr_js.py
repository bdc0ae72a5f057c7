"""Laminar's JS SDK (``@lmnr-ai/lmnr`` 0.8.46, ``Laminar.initialize`` with ``instrumentModules``:
openai 6.49, @anthropic-ai/sdk 0.80), replayed into chDB in one request and span by span.

Recorded on 2026-12-04 (``record.cjs``: ``laminarCalls``): the reference calls of
``_more_calls`` (OpenAI chat with a tool, embeddings, the Responses API plain and streamed,
chat plain and streamed with usage; Claude with a tool, plain and ``messages.stream``) under
``observe({userId, sessionId, metadata: {team, tier}})``. Its spans are OpenLLMetry JS's
instrumentations (scopes ``@traceloop/instrumentation-openai`` / ``-anthropic`` 0.27.0) with
Laminar's association properties (``lmnr.association.properties.user_id``, ``session_id``,
``metadata.*``), beside its own ``observe`` span (scope ``lmnr.tracer``): 9 spans, no span of
the embeddings call (not seen).

Claude Sonnet 4.5 (https://docs.anthropic.com/en/docs/about-claude/pricing): input 3, cache
read 0.30, cache write 3.75, output 15 per million: 100 × 3 + 1,000 × 0.30 + 100 × 3.75 + 80 ×
15 = $0.002175 a call. The 5 gpt-4o calls are usage-missing, as OpenLLMetry JS's own are
(``test_node_latest_calls.py``): its chat counts cannot be told from its estimates, its
Responses API span has 1,200 input tokens and no cache count (OpenAI caches such a prompt on
its own), and its stream spans no count.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

CLAUDE = ("anthropic", "claude-sonnet-4-5", 1200, 80, 1000, 100, 0, Decimal("0.002175"))
GPT_4O = ("openai", "gpt-4o", 0, 0, 0, 0, 1, 0)
RESPONSES = ("openai", "gpt-4o", 1200, 80, 0, 0, 1, 0)


@pytest.mark.parametrize("alone", [False, True])
def test_laminar_js(replay, alone):
    """8 rows for the 8 calls it traces, Claude exact; every row has the user, session, team
    and tag that ``observe`` set. Laminar's association properties were not read: 0 of 8 rows
    had a user or session, and the metadata was lost (its ``lmnr.*`` keys are not tags)."""
    result = replay("laminar_js_latest_calls", alone=alone)
    assert result.spans == 9
    assert result.rows() == sorted([CLAUDE] * 3 + [GPT_4O] * 4 + [RESPONSES])
    assert (
        result.rows("user", "conversation", "team", "tags['tier']")
        == [("user-1", "session-1", "growth", "gold")] * 8
    )
    assert result.metrics.spans_duplicate.value() == 0
