-- Where an Anthropic call's inference ran, when not the default global routing (the call's
-- usage.inference_geo): US-only inference ('us') bills 1.1x on Claude Opus 4.6 and later
-- models (pricing.rules.ANTHROPIC_US). Kept on each call so that `tokentrace reprice` prices
-- it again; rows stored before read '' (global), as they were priced.
ALTER TABLE llm_calls {on_cluster}
    ADD COLUMN IF NOT EXISTS inference_geo LowCardinality(String) DEFAULT '';
