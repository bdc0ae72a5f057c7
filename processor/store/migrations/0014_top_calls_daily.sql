-- Issue 15: top_calls (the 50 costliest calls of a range, ORDER BY cost DESC, ts DESC) without
-- reading the 13 other columns of 50 scattered rows: at 100M calls that read (one compressed
-- block per column and row) cost more than finding the 50. This projection keeps, per UTC day
-- and data part, the day's 50 costliest calls whole, in the view's order (cost descending, then
-- ts descending; the other columns only break exact ties). The 50 costliest calls of any set of
-- whole days are among the union of their days' 50, so the view takes the whole days of its
-- range from here and only the calls of its partial first and last day from the table, those
-- at or above the 50th cost of the whole days (views._TOP_CALLS). Projections are part of each
-- data part: inserts, merges, reprice's mutations and retention's whole-part drops keep it in
-- step with the calls, and lightweight deletes rebuild it (migration 0008's 'rebuild').
--
-- The tuple is views._TOP_CALL, spelled identically (ClickHouse matches projections by
-- expression).
ALTER TABLE llm_calls {on_cluster} ADD PROJECTION IF NOT EXISTS top_calls_daily
(
    SELECT
        toDate(ts),
        groupArraySorted(50)((-cost, -toUnixTimestamp64Micro(ts), ts, trace_id, span_id, provider, model, team, feature, tenant, user, input_tokens, output_tokens, cost, priced, latency_ms, status))
    GROUP BY toDate(ts)
);

-- Backfills the projection of the parts written before (a mutation, in the background).
ALTER TABLE llm_calls {on_cluster} MATERIALIZE PROJECTION top_calls_daily;
