-- Issue 15: top_calls (ORDER BY cost DESC, ts DESC LIMIT 50 over a range) reads the cost of
-- every call of the range. With a minmax index on cost (16 bytes per granule of 8,192 calls),
-- ClickHouse's top-K dynamic filter skips, while it reads, each granule whose largest cost is
-- below the 50th largest seen so far; the view does not change and cannot answer differently
-- (an index only skips granules no row of which can be in the answer). Inserts, merges and
-- reprice's mutations of cost rebuild it with the part.
ALTER TABLE llm_calls {on_cluster} ADD INDEX IF NOT EXISTS cost_minmax cost TYPE minmax GRANULARITY 1;

-- Builds the index of the parts written before (a mutation, in the background).
ALTER TABLE llm_calls {on_cluster} MATERIALIZE INDEX cost_minmax;
