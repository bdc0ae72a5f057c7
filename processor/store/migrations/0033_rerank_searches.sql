-- Rerank search units (Cohere's `meta.billed_units.search_units`, OpenRouter's
-- `usage.search_units`: one query of up to 100 documents), tokentrace.usage.rerank_searches,
-- genai-prices' unit name, billed per 1,000 (https://cohere.com/pricing). Kept on each call so
-- that `tokentrace reprice` prices them; rows stored before read 0, as they were stored
-- (unpriced, usage_missing).
ALTER TABLE llm_calls {on_cluster}
    ADD COLUMN IF NOT EXISTS rerank_searches UInt64 DEFAULT 0;
