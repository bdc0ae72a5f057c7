-- The spool segments the sink has stored (store.stored_segments), one row each, written after
-- the segment's rows reached llm_calls and every rollup and before its file is deleted. A
-- segment found on disk at start (serve crashed between the insert and the delete, or could
-- not delete it) is looked up here first: if it is here, it is deleted, not inserted again.
-- The insert's deduplication token alone made that replay a no-op only while the token was
-- among the table's last 100,000 blocks (non_replicated_deduplication_window), which several
-- serves writing into one ClickHouse, or one running on for a day, pass; on a cluster, only
-- for an hour (replicated_deduplication_window_seconds, 3600 by default in ClickHouse 26).
-- Kept 30 days: a stored segment still on disk after that is replayed under its token as
-- before.
CREATE TABLE IF NOT EXISTS llm_stored_segments {on_cluster}
(
    segment String,
    stored_at DateTime('UTC') DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY segment
TTL stored_at + INTERVAL 30 DAY;
