-- The key of a call whose usage can be read again later (tokentrace.call.key: an OpenAI
-- background response's id, a batch request's {file or batch}/{custom_id}), kept on its row;
-- rows stored before read '' (no key).
ALTER TABLE llm_calls {on_cluster}
    ADD COLUMN IF NOT EXISTS call_key String DEFAULT '';

-- The call keys stored, and the span of the row that holds each (store.call_keys): before
-- a segment holding keyed rows is inserted, the sink looks its keys up here and leaves out
-- every row whose key another span already holds, so a repeated retrieve or a second
-- download of a batch file counts nothing more, across restarts and however long after.
-- Written by the sink only for segments that hold keyed rows (most hold none): ordinary
-- ingest pays nothing for it. Ordered by the key for the lookup; Replacing: a segment's keys
-- written again (a replay past the deduplication window) collapse into one row.
CREATE TABLE IF NOT EXISTS llm_call_keys {on_cluster}
(
    call_key String,
    trace_id String,
    span_id String
)
ENGINE = ReplacingMergeTree
ORDER BY (call_key, trace_id, span_id)
SETTINGS non_replicated_deduplication_window = 100000;
