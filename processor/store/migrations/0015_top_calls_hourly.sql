-- Issue 15: top_calls' other whole hours. Migration 0014 keeps each UTC day's 50 costliest
-- calls; a range's partial first and last day were still read from the table, ~1 day of calls
-- for a 7-day range, and every call above the whole days' 50th cost read whole (~14 rows at
-- 100M calls, ~2 ms each). This projection keeps each hour's 50 costliest calls the same way,
-- so the view reads only the partial first and last hour from the table (views._TOP_CALLS),
-- and a range within one day no longer reads all its calls. Granules of 8 rows (8 hours of one
-- part), not 8,192: each row holds 50 whole calls (~7 KB), and the view reads a few hours.
--
-- The tuple is views._TOP_CALL, spelled identically (ClickHouse matches projections by
-- expression).
ALTER TABLE llm_calls {on_cluster} ADD PROJECTION IF NOT EXISTS top_calls_hourly
(
    SELECT
        toStartOfHour(ts),
        groupArraySorted(50)((-cost, -toUnixTimestamp64Micro(ts), ts, trace_id, span_id, provider, model, team, feature, tenant, user, input_tokens, output_tokens, cost, priced, latency_ms, status))
    GROUP BY toStartOfHour(ts)
)
WITH SETTINGS (index_granularity = 8);

-- Backfills the projection of the parts written before (a mutation, in the background).
ALTER TABLE llm_calls {on_cluster} MATERIALIZE PROJECTION top_calls_hourly;
