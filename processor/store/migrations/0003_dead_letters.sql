-- Rows ClickHouse can never take. The sink bisects a refused batch down to the offending rows
-- and keeps each here with the reason, so no acknowledged span disappears (DESIGN §11):
-- `tokentrace dead-letters list` shows them, `tokentrace dead-letters replay` tries again.
-- `row` is the llm_calls row as JSON (money in integer units of 1e-12 USD, ts in µs): the
-- shape the sink inserts. id is "<spool segment>/<row index>", so the same row dead-lettered
-- twice (its segment replayed after a crash) stays one row; a replay records its outcome
-- as a newer version (updated_at) of that row.
CREATE TABLE IF NOT EXISTS dead_letters {on_cluster}
(
    id String,
    failed_at DateTime64(3, 'UTC'),
    reason String,
    row String,
    replayed UInt8,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id;
