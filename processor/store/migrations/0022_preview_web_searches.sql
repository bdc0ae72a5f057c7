-- Of a call's web searches, those OpenAI's web_search_preview tool ran (the Responses API
-- echoes the request's tools): on GPT-4o and GPT-4.1 that tool bills $25 per 1,000 calls
-- with its search content tokens free, the web_search tool $10 plus those tokens, so only
-- the latter's calls are priced there (pricing.rules.OPENAI_SEARCH). Kept on each call so
-- that `tokentrace reprice` prices it again; rows stored before read 0, and their GPT-4o
-- and GPT-4.1 searches stay unpriced, as they were stored.
ALTER TABLE llm_calls {on_cluster}
    ADD COLUMN IF NOT EXISTS preview_web_searches UInt64 DEFAULT 0;
