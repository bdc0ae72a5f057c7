-- The fact table: one row per priced LLM call (DESIGN §6).
-- Money is Decimal(18, 12): a call costs fractions of a cent and per-token rates go to 1e-11 dollars.
-- non_replicated_deduplication_window makes a retried insert (same insert_deduplication_token) a no-op.
CREATE TABLE IF NOT EXISTS llm_calls {on_cluster}
(
    ts DateTime64(6, 'UTC') CODEC(Delta, ZSTD(1)),
    trace_id String,
    span_id String,
    response_id String,
    provider LowCardinality(String),
    request_model LowCardinality(String),
    response_model LowCardinality(String),
    model LowCardinality(String),
    operation LowCardinality(String),
    service LowCardinality(String),
    environment LowCardinality(String),
    team LowCardinality(String),
    feature LowCardinality(String),
    tenant String,
    user String,
    conversation String,
    agent LowCardinality(String),
    input_tokens UInt64,
    output_tokens UInt64,
    cache_read_tokens UInt64,
    cache_write_tokens UInt64,
    reasoning_tokens UInt64,
    input_cost Decimal(18, 12),
    cache_read_cost Decimal(18, 12),
    cache_write_cost Decimal(18, 12),
    output_cost Decimal(18, 12),
    cost Decimal(18, 12),
    cache_savings Decimal(18, 12),
    priced UInt8,
    price_version LowCardinality(String),
    service_tier LowCardinality(String),
    latency_ms Float64,
    ttft_ms Nullable(Float64),
    status LowCardinality(String),
    error_type LowCardinality(String),
    http_status UInt16,
    stream UInt8,
    usage_missing UInt8,
    tags Map(LowCardinality(String), String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (ts, service, provider, model)
SETTINGS non_replicated_deduplication_window = 100000;

-- Rollups are time-first: every dashboard query is a time range first, a group-by second.
-- SummingMergeTree folds rows lazily, so readers always sum() with GROUP BY.
CREATE TABLE IF NOT EXISTS llm_cost_hourly {on_cluster}
(
    hour DateTime('UTC'),
    provider LowCardinality(String),
    model LowCardinality(String),
    operation LowCardinality(String),
    service LowCardinality(String),
    environment LowCardinality(String),
    team LowCardinality(String),
    feature LowCardinality(String),
    tenant String,
    agent LowCardinality(String),
    requests UInt64,
    failed_requests UInt64,
    unpriced_requests UInt64,
    usage_missing_requests UInt64,
    input_tokens UInt64,
    output_tokens UInt64,
    cache_read_tokens UInt64,
    cache_write_tokens UInt64,
    reasoning_tokens UInt64,
    input_cost Decimal(38, 12),
    cache_read_cost Decimal(38, 12),
    cache_write_cost Decimal(38, 12),
    output_cost Decimal(38, 12),
    cost Decimal(38, 12),
    cache_savings Decimal(38, 12),
    failed_cost Decimal(38, 12),
    latency_ms_sum Float64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, provider, model, service, environment, team, feature, tenant, agent, operation)
SETTINGS non_replicated_deduplication_window = 100000;

CREATE TABLE IF NOT EXISTS llm_cost_daily {on_cluster}
(
    day Date,
    provider LowCardinality(String),
    model LowCardinality(String),
    operation LowCardinality(String),
    service LowCardinality(String),
    environment LowCardinality(String),
    team LowCardinality(String),
    feature LowCardinality(String),
    tenant String,
    agent LowCardinality(String),
    requests UInt64,
    failed_requests UInt64,
    unpriced_requests UInt64,
    usage_missing_requests UInt64,
    input_tokens UInt64,
    output_tokens UInt64,
    cache_read_tokens UInt64,
    cache_write_tokens UInt64,
    reasoning_tokens UInt64,
    input_cost Decimal(38, 12),
    cache_read_cost Decimal(38, 12),
    cache_write_cost Decimal(38, 12),
    output_cost Decimal(38, 12),
    cost Decimal(38, 12),
    cache_savings Decimal(38, 12),
    failed_cost Decimal(38, 12),
    latency_ms_sum Float64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, provider, model, service, environment, team, feature, tenant, agent, operation)
SETTINGS non_replicated_deduplication_window = 100000;

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_cost_hourly_mv {on_cluster} TO llm_cost_hourly AS
SELECT
    toStartOfHour(ts) AS hour,
    provider, model, operation, service, environment, team, feature, tenant, agent,
    count() AS requests,
    countIf(status = 'error') AS failed_requests,
    countIf(priced = 0) AS unpriced_requests,
    countIf(usage_missing = 1) AS usage_missing_requests,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cache_read_tokens) AS cache_read_tokens,
    sum(cache_write_tokens) AS cache_write_tokens,
    sum(reasoning_tokens) AS reasoning_tokens,
    sum(input_cost) AS input_cost,
    sum(cache_read_cost) AS cache_read_cost,
    sum(cache_write_cost) AS cache_write_cost,
    sum(output_cost) AS output_cost,
    sum(cost) AS cost,
    sum(cache_savings) AS cache_savings,
    sumIf(llm_calls.cost, status = 'error') AS failed_cost,
    sum(latency_ms) AS latency_ms_sum
FROM llm_calls
GROUP BY hour, provider, model, operation, service, environment, team, feature, tenant, agent;

CREATE MATERIALIZED VIEW IF NOT EXISTS llm_cost_daily_mv {on_cluster} TO llm_cost_daily AS
SELECT
    toDate(ts) AS day,
    provider, model, operation, service, environment, team, feature, tenant, agent,
    count() AS requests,
    countIf(status = 'error') AS failed_requests,
    countIf(priced = 0) AS unpriced_requests,
    countIf(usage_missing = 1) AS usage_missing_requests,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cache_read_tokens) AS cache_read_tokens,
    sum(cache_write_tokens) AS cache_write_tokens,
    sum(reasoning_tokens) AS reasoning_tokens,
    sum(input_cost) AS input_cost,
    sum(cache_read_cost) AS cache_read_cost,
    sum(cache_write_cost) AS cache_write_cost,
    sum(output_cost) AS output_cost,
    sum(cost) AS cost,
    sum(cache_savings) AS cache_savings,
    sumIf(llm_calls.cost, status = 'error') AS failed_cost,
    sum(latency_ms) AS latency_ms_sum
FROM llm_calls
GROUP BY day, provider, model, operation, service, environment, team, feature, tenant, agent;

-- Budgets: scope is the canonical "key=value,key=value" (sorted keys; '' is the global budget),
-- filters the same as a map so SQL can match any combination of dimensions.
CREATE TABLE IF NOT EXISTS budgets {on_cluster}
(
    scope String,
    filters Map(String, String),
    period LowCardinality(String),
    amount Decimal(18, 4),
    updated_at DateTime64(3, 'UTC'),
    deleted UInt8
)
ENGINE = ReplacingMergeTree(updated_at, deleted)
ORDER BY (scope, period);
