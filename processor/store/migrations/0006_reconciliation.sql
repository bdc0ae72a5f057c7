-- Reconciliation (DESIGN §12): the providers' organisation usage and cost reports, imported
-- into tables of their own and diffed against the metered calls by the reconciliation views.
--
-- Re-importing a day replaces it without a window where the day is half gone: every import
-- writes its rows under a new `version` (the import's time in microseconds), then records
-- (provider, report, day, version) in billed_imports, even for a day without rows. Readers
-- take, per provider, report and day, the rows of the newest recorded version only; older
-- versions are deleted afterwards, and a crash between the steps leaves rows nobody reads.

CREATE TABLE IF NOT EXISTS billed_imports {on_cluster}
(
    provider LowCardinality(String),
    report LowCardinality(String),
    day Date,
    version UInt64,
    rows UInt32,
    imported_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (provider, report, day, version);

-- Token usage as billed. input_tokens counts ALL input, cached included, as the metered
-- llm_calls do (OpenAI's input_tokens; Anthropic's uncached + cache read + cache creation);
-- model is tokentrace's canonical model id (the one metered calls carry), reported_model the
-- name the provider reported. project_id is OpenAI's project or Anthropic's workspace.
-- requests is NULL where the report does not count requests (Anthropic).
CREATE TABLE IF NOT EXISTS billed_usage {on_cluster}
(
    provider LowCardinality(String),
    day Date,
    version UInt64,
    endpoint LowCardinality(String),
    model LowCardinality(String),
    reported_model LowCardinality(String),
    project_id String,
    api_key_id String,
    service_tier LowCardinality(String),
    input_tokens UInt64,
    cache_read_tokens UInt64,
    cache_write_tokens UInt64,
    output_tokens UInt64,
    requests Nullable(UInt64)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, provider, model, version);

-- Spend as billed, in USD (Anthropic's cents already divided by 100). line_item is OpenAI's
-- line item or Anthropic's description; model is parsed from it where it names one, '' for
-- costs that are not per model (web search, code execution, fine-tuning storage, …).
CREATE TABLE IF NOT EXISTS billed_costs {on_cluster}
(
    provider LowCardinality(String),
    day Date,
    version UInt64,
    model LowCardinality(String),
    reported_model LowCardinality(String),
    line_item String,
    project_id String,
    cost_type LowCardinality(String),
    token_type LowCardinality(String),
    service_tier LowCardinality(String),
    amount Decimal(38, 12),
    currency LowCardinality(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, provider, model, version);

-- The providers' API keys as their key lists show them: never the key, only its redacted
-- value (OpenAI `redacted_value`, Anthropic `partial_key_hint`), split into the visible
-- prefix and suffix that an instrumentation fingerprint of the same key starts and ends with.
CREATE TABLE IF NOT EXISTS provider_api_keys {on_cluster}
(
    provider LowCardinality(String),
    key_id String,
    name String,
    redacted_value String,
    hint_prefix String,
    hint_suffix String,
    project_id String,
    status LowCardinality(String),
    imported_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(imported_at)
ORDER BY (provider, key_id);
