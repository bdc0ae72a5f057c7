-- top_calls ranks a call of unknown cost (priced = 0, stored cost 0) at its lower bound, 0
-- dollars, after the calls known to cost that much: migration 0014's leaders ordered equal costs
-- by time only, so an unpriced call tied with a free model's calls and was listed before them
-- when it was later, and a day's 50 leaders could keep it and cut a known one. The order is now
-- cost descending, then known before unknown, then time descending (views._TOP_CALL, spelled
-- identically: ClickHouse matches projections by expression). A refund (a negative known cost)
-- still ranks below every unknown cost, which is at least 0.
--
-- A new name: the old projection's leaders are in the old order, and a projection cannot be
-- altered. The old one is dropped, this one backfilled (a mutation, in the background); until
-- it is built for a part the view reads that part's days from the table.
ALTER TABLE llm_calls {on_cluster} DROP PROJECTION IF EXISTS top_calls_daily;

ALTER TABLE llm_calls {on_cluster} ADD PROJECTION IF NOT EXISTS top_calls_known_first
(
    SELECT
        toDate(ts),
        groupArraySorted(50)((-cost, -priced, -toUnixTimestamp64Micro(ts), ts, trace_id, span_id, provider, model, team, feature, tenant, user, input_tokens, output_tokens, cost, priced, latency_ms, status))
    GROUP BY toDate(ts)
);

ALTER TABLE llm_calls {on_cluster} MATERIALIZE PROJECTION top_calls_known_first;
