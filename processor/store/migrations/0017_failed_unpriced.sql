-- The cost of failed calls is never $0 for calls whose cost is unknown: the rollups count the
-- failed calls of unknown cost (failed_unpriced_requests), so that failed_cost can say it leaves
-- them out (a lower bound), or be unknown (NULL) when every failed call is one. Until now the
-- rollups had failed_requests and unpriced_requests, never the failed calls among the unpriced.
ALTER TABLE llm_cost_hourly {on_cluster}
    ADD COLUMN IF NOT EXISTS failed_unpriced_requests UInt64;

ALTER TABLE llm_cost_daily {on_cluster}
    ADD COLUMN IF NOT EXISTS failed_unpriced_requests UInt64;

-- The materialized views feed it (reprice's rollup rebuild reads this query): 0010's query
-- plus the new count.
ALTER TABLE llm_cost_hourly_mv {on_cluster} MODIFY QUERY
SELECT
    toStartOfHour(ts) AS hour,
    provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint,
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
GROUP BY hour, provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint;

ALTER TABLE llm_cost_daily_mv {on_cluster} MODIFY QUERY
SELECT
    toDate(ts) AS day,
    provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint,
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
GROUP BY day, provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint;

-- Backfill from the calls stored so far, the new column only (as 0010): one row per rollup key
-- with failed calls of unknown cost, every other column 0, which SummingMergeTree adds to the
-- key's row. Calls are kept 395 days (0007): older rollup rows keep 0. An INSERT has no ON
-- CLUSTER: on a multi-shard cluster run these two on a replica of every other shard.
INSERT INTO llm_cost_hourly (hour, provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint, failed_unpriced_requests)
SELECT
    toStartOfHour(ts) AS hour,
    provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint,
    count() AS failed_unpriced_requests
FROM llm_calls
WHERE status = 'error' AND priced = 0
GROUP BY hour, provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint;

INSERT INTO llm_cost_daily (day, provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint, failed_unpriced_requests)
SELECT
    toDate(ts) AS day,
    provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint,
    count() AS failed_unpriced_requests
FROM llm_calls
WHERE status = 'error' AND priced = 0
GROUP BY day, provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint;

-- The views that read failed_cost (totals, hourly_burn_rate, failures_by_feature) read the new
-- count beside it: the projections that answered them (0002, 0009) are rebuilt with it, or they
-- would read the rollups' own rows (a projection is answered only when it holds every column a
-- query touches). Until a rebuild finishes (a background mutation), queries read the rollups
-- themselves: slower, never different.
ALTER TABLE llm_cost_daily {on_cluster} DROP PROJECTION IF EXISTS without_tenant;

ALTER TABLE llm_cost_daily {on_cluster} ADD PROJECTION IF NOT EXISTS without_tenant
(
    SELECT
        day, provider, model, operation, service, environment, team, feature, agent,
        sum(requests), sum(failed_requests), sum(unpriced_requests), sum(usage_missing_requests),
        sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
        sum(reasoning_tokens), sum(input_cost), sum(cache_read_cost), sum(cache_write_cost),
        sum(output_cost), sum(cost), sum(cache_savings), sum(failed_cost), sum(failed_unpriced_requests), sum(latency_ms_sum)
    GROUP BY day, provider, model, operation, service, environment, team, feature, agent
);

ALTER TABLE llm_cost_daily {on_cluster} MATERIALIZE PROJECTION without_tenant;

ALTER TABLE llm_cost_hourly {on_cluster} DROP PROJECTION IF EXISTS without_tenant;

ALTER TABLE llm_cost_hourly {on_cluster} ADD PROJECTION IF NOT EXISTS without_tenant
(
    SELECT
        hour, provider, model, operation, service, environment, team, feature, agent,
        sum(requests), sum(failed_requests), sum(unpriced_requests), sum(usage_missing_requests),
        sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
        sum(reasoning_tokens), sum(input_cost), sum(cache_read_cost), sum(cache_write_cost),
        sum(output_cost), sum(cost), sum(cache_savings), sum(failed_cost), sum(failed_unpriced_requests), sum(latency_ms_sum)
    GROUP BY hour, provider, model, operation, service, environment, team, feature, agent
);

ALTER TABLE llm_cost_hourly {on_cluster} MATERIALIZE PROJECTION without_tenant;

ALTER TABLE llm_cost_daily {on_cluster} DROP PROJECTION IF EXISTS without_tenant_keys;

ALTER TABLE llm_cost_daily {on_cluster} ADD PROJECTION IF NOT EXISTS without_tenant_keys
(
    SELECT
        day, provider, model, operation, service, environment, team, feature, agent, api_key, endpoint,
        sum(requests), sum(failed_requests), sum(unpriced_requests), sum(usage_missing_requests),
        sum(blocked_requests), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
        sum(cache_write_tokens), sum(reasoning_tokens), sum(input_cost), sum(cache_read_cost),
        sum(cache_write_cost), sum(output_cost), sum(cost), sum(cache_savings), sum(failed_cost), sum(failed_unpriced_requests),
        sum(latency_ms_sum)
    GROUP BY day, provider, model, operation, service, environment, team, feature, agent, api_key, endpoint
);

ALTER TABLE llm_cost_daily {on_cluster} MATERIALIZE PROJECTION without_tenant_keys;

ALTER TABLE llm_cost_daily {on_cluster} DROP PROJECTION IF EXISTS by_tenant;

ALTER TABLE llm_cost_daily {on_cluster} ADD PROJECTION IF NOT EXISTS by_tenant
(
    SELECT
        day, tenant,
        sum(requests), sum(failed_requests), sum(unpriced_requests), sum(usage_missing_requests),
        sum(blocked_requests), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
        sum(cache_write_tokens), sum(reasoning_tokens), sum(input_cost), sum(cache_read_cost),
        sum(cache_write_cost), sum(output_cost), sum(cost), sum(cache_savings), sum(failed_cost), sum(failed_unpriced_requests),
        sum(latency_ms_sum)
    GROUP BY day, tenant
);

ALTER TABLE llm_cost_daily {on_cluster} MATERIALIZE PROJECTION by_tenant;

ALTER TABLE llm_cost_hourly {on_cluster} DROP PROJECTION IF EXISTS by_model;

ALTER TABLE llm_cost_hourly {on_cluster} ADD PROJECTION IF NOT EXISTS by_model
(
    SELECT
        hour, provider, model,
        sum(requests), sum(failed_requests), sum(unpriced_requests), sum(usage_missing_requests),
        sum(blocked_requests), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
        sum(cache_write_tokens), sum(reasoning_tokens), sum(input_cost), sum(cache_read_cost),
        sum(cache_write_cost), sum(output_cost), sum(cost), sum(cache_savings), sum(failed_cost), sum(failed_unpriced_requests),
        sum(latency_ms_sum)
    GROUP BY hour, provider, model
);

ALTER TABLE llm_cost_hourly {on_cluster} MATERIALIZE PROJECTION by_model;
