-- Whether another source's span counted a call's input but no cache, on a call its provider
-- caches on its own (OpenAI and Azure OpenAI, 1,024 input tokens or more), with nothing else
-- of its usage missing (extract.Call.cache_unsaid). Whether that leaves the cost unknown is
-- the pricer's to say: only when reading the input from cache would change the price (a
-- model with a cache rate); a model without one (gpt-3.5-turbo, gpt-4-turbo) is priced
-- exactly. Then usage_missing is 1, the pricer's finding, so `tokentrace reprice` reads this
-- column to decide again under new prices. Rows stored before read 0, as they were stored.
ALTER TABLE llm_calls {on_cluster}
    ADD COLUMN IF NOT EXISTS cache_unsaid UInt8 DEFAULT 0;
