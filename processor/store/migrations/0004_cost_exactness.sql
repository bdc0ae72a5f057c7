-- Every usage unit genai-prices prices, why a call has no computed price, and the cost the
-- provider reported (issue 9; DESIGN §9). Columns are appended in the order of
-- extract.COLUMNS. Token units are subsets of the counts they refine (genai-prices' unit
-- lattice): cache_write_1h_tokens of cache_write_tokens; input_audio/image/video_tokens of
-- input_tokens; cache_audio_read_tokens and cache_image_read_tokens of cache_read_tokens
-- and of their modality's input; output_audio/image/video_tokens of output_tokens.
ALTER TABLE llm_calls {on_cluster}
    ADD COLUMN IF NOT EXISTS cache_write_1h_tokens UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS input_audio_tokens UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS cache_audio_read_tokens UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS output_audio_tokens UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS input_image_tokens UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS cache_image_read_tokens UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS output_image_tokens UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS input_video_tokens UInt64 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS output_video_tokens UInt64 DEFAULT 0,
    -- '' when the cost was computed; else usage_missing, unknown_model, self_hosted,
    -- not_per_token, no_rate, pricing_error (README "Unknown is not zero").
    ADD COLUMN IF NOT EXISTS unpriced_reason LowCardinality(String) DEFAULT '',
    -- The provider rule that supplied a rate the price data lacks ('' = none), e.g.
    -- 'openai-flex-50pct'; see processor/pricing/rules.py.
    ADD COLUMN IF NOT EXISTS price_rule LowCardinality(String) DEFAULT '',
    -- What the provider or gateway says it charged (OpenRouter usage.cost, gen_ai.usage.cost),
    -- NULL when the span did not say.
    ADD COLUMN IF NOT EXISTS provider_cost Nullable(Decimal(18, 12)),
    -- Where `cost` comes from: provider (provider_cost), computed (the cost-by-kind columns),
    -- none (unknown: priced = 0).
    ADD COLUMN IF NOT EXISTS cost_source LowCardinality(String) DEFAULT 'computed';
