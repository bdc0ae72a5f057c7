-- Issue 15: per-user cost without reading every call of the range. A projection of the calls
-- per (day, tenant, user) holds ~10x fewer rows than the calls at 100M calls / 90 days;
-- ClickHouse answers cost_by_user from it by itself whenever the query touches no other
-- column (no dashboard variable set) and reads the calls otherwise, so the view keeps one SQL
-- and is exact by construction. Projections are part of each data part: inserts, merges,
-- reprice's mutations and retention's whole-part drops keep them in step with the calls.
-- 'rebuild' lets lightweight deletes (DELETE FROM llm_calls) run on a table with projections
-- (the default refuses them) and rebuilds the projection of the parts they touch.
ALTER TABLE llm_calls {on_cluster} MODIFY SETTING
    lightweight_mutation_projection_mode = 'rebuild';

ALTER TABLE llm_calls {on_cluster} ADD PROJECTION IF NOT EXISTS user_daily
(
    SELECT toDate(ts), tenant, user, count(), sum(cost), countIf(priced = 0)
    GROUP BY toDate(ts), tenant, user
);

-- Backfills the projection of the parts written before (a mutation, in the background).
ALTER TABLE llm_calls {on_cluster} MATERIALIZE PROJECTION user_daily;
