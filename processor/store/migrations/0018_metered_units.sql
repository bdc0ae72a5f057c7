-- (Numbered 0018: it landed as a second 0017 beside 0017_failed_unpriced, and migrate skips a
-- version it has recorded, so a store that had 0017 would never have taken it. Its statements
-- are idempotent: a store that took it as 0017 takes it again as 0018 unchanged.)
-- Usage billed in units other than tokens (extract.METERED_UNITS): the characters of text
-- turned into speech (tts-1, tts-1-hd), the whole seconds of audio transcribed as the
-- provider bills them (whisper-1's usage.seconds), and the web searches a server-side tool
-- ran (Anthropic's usage.server_tool_use.web_search_requests, OpenAI's web_search_call
-- items). Their cost is part of input_cost and cost, so the rollups' sums already hold it;
-- the counts are kept on each call so that `tokentrace reprice` prices them again. Rows
-- stored before read 0, as their calls were priced (or left unpriced) without them.
ALTER TABLE llm_calls {on_cluster}
    ADD COLUMN IF NOT EXISTS input_characters UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS input_audio_seconds UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS web_searches UInt64 DEFAULT 0;
