-- The service tier in the daily rollup, so the reconciliation compares the bill with the
-- metered calls per tier (flex and batch bill less, priority and scale more): OpenAI's Usage
-- API and Anthropic's usage report group by it. As billed rows store it
-- (reconcile/rows.py's tier): '' for the standard tier (OpenAI's `default`, `auto`,
-- Anthropic's `standard`, Bedrock's `on_demand`; processor/pricing/rules.py STANDARD_TIERS),
-- else the name the call's response gave (`flex`, `priority`, `scale`, `batch`, ...), lower case.
-- Last in the sort key (SummingMergeTree folds rows with equal keys: a dimension outside it
-- would be summed away), as 0005 added api_key and endpoint. Rows written before have '':
-- their calls stay under the standard tier until `tokentrace reprice --since DAY` matches
-- those days with the calls (kept 395 days), through the view's query below.
ALTER TABLE llm_cost_daily {on_cluster}
    ADD COLUMN IF NOT EXISTS service_tier LowCardinality(String),
    MODIFY ORDER BY
        (day, provider, model, service, environment, team, feature, tenant, agent, operation,
         api_key, endpoint, service_tier);

-- The materialized view feeds it: 0017's query plus the tier.
ALTER TABLE llm_cost_daily_mv {on_cluster} MODIFY QUERY
SELECT
    toDate(ts) AS day,
    provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint,
    if(llm_calls.service_tier IN ('', 'auto', 'default', 'on_demand', 'standard'), '',
        llm_calls.service_tier) AS service_tier,
    count() AS requests,
    countIf(status = 'error') AS failed_requests,
    countIf(priced = 0) AS unpriced_requests,
    countIf(usage_missing = 1) AS usage_missing_requests,
    countIf(budget_blocked = 1) AS blocked_requests,
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
    sum(latency_ms) AS latency_ms_sum,
    sum(llm_calls.cache_write_1h_tokens) AS cache_write_1h_tokens,
    sum(llm_calls.cache_write_1h_cost) AS cache_write_1h_cost,
    sum(llm_calls.input_audio_tokens) AS input_audio_tokens,
    sum(llm_calls.input_audio_cost) AS input_audio_cost,
    sum(llm_calls.cache_audio_read_tokens) AS cache_audio_read_tokens,
    sum(llm_calls.cache_audio_read_cost) AS cache_audio_read_cost,
    sum(llm_calls.output_audio_tokens) AS output_audio_tokens,
    sum(llm_calls.output_audio_cost) AS output_audio_cost,
    sum(llm_calls.input_image_tokens) AS input_image_tokens,
    sum(llm_calls.input_image_cost) AS input_image_cost,
    sum(llm_calls.cache_image_read_tokens) AS cache_image_read_tokens,
    sum(llm_calls.cache_image_read_cost) AS cache_image_read_cost,
    sum(llm_calls.output_image_tokens) AS output_image_tokens,
    sum(llm_calls.output_image_cost) AS output_image_cost,
    sum(llm_calls.input_video_tokens) AS input_video_tokens,
    sum(llm_calls.input_video_cost) AS input_video_cost,
    sum(llm_calls.output_video_tokens) AS output_video_tokens,
    sum(llm_calls.output_video_cost) AS output_video_cost,
    countIf(cost_source = 'provider') AS reported_requests,
    sumIf(assumeNotNull(llm_calls.provider_cost), cost_source = 'provider') AS reported_cost,
    countIf(cost_source = 'provider' AND unpriced_reason = '') AS compared_requests,
    sumIf(assumeNotNull(llm_calls.provider_cost), cost_source = 'provider' AND unpriced_reason = '')
        AS compared_reported_cost,
    sumIf(llm_calls.input_cost + llm_calls.cache_read_cost + llm_calls.cache_write_cost
        + llm_calls.output_cost, cost_source = 'provider' AND unpriced_reason = '')
        AS compared_computed_cost,
    countIf(status = 'error' AND priced = 0) AS failed_unpriced_requests
FROM llm_calls
GROUP BY day, provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint,
    service_tier;

-- The reconciliation reads the daily rollup per provider, day, model and tier: a projection of
-- just those keeps it reading a few thousand rows (the others have no tier). Until its
-- materialization finishes (a background mutation), the rollup itself is read: slower, never
-- different.
ALTER TABLE llm_cost_daily {on_cluster} ADD PROJECTION IF NOT EXISTS by_tier
(
    SELECT
        day, provider, model, service_tier,
        sum(requests), sum(unpriced_requests), sum(usage_missing_requests), sum(input_tokens),
        sum(output_tokens), sum(cost)
    GROUP BY day, provider, model, service_tier
);

ALTER TABLE llm_cost_daily {on_cluster} MATERIALIZE PROJECTION by_tier;
