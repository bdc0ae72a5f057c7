-- Retention: raw calls (llm_calls) are deleted 395 days after they happened (13 months, so
-- a month can be compared with the same month a year before, call by call); the hourly and
-- daily rollups and budgets are kept for good. `tokentrace serve --retention-days N`
-- changes the number (processor/store/retention.py). Whole parts are dropped
-- (ttl_only_drop_parts): with monthly partitions a month goes once its last call is past
-- retention, with no row-by-row rewrite. The TTL is materialized on existing parts (a
-- mutation that reads only ts), so old stores expire their old calls too.
ALTER TABLE llm_calls {on_cluster} MODIFY SETTING ttl_only_drop_parts = 1;

ALTER TABLE llm_calls {on_cluster} MODIFY TTL toDateTime(ts) + INTERVAL 395 DAY;
