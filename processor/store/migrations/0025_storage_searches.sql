-- The file search tool calls of an OpenAI Responses answer (its `file_search_call` output
-- items, tokentrace.usage.storage_searches, genai-prices' unit name), billed $2.50 per 1,000
-- calls on top of the tokens (https://platform.openai.com/docs/pricing#built-in-tools). Kept
-- on each call so that `tokentrace reprice` prices them again; rows stored before read 0, as
-- they were stored (priced on their tokens alone).
ALTER TABLE llm_calls {on_cluster}
    ADD COLUMN IF NOT EXISTS storage_searches UInt64 DEFAULT 0;
