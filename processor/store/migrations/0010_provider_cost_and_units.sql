-- Where provider-reported and computed cost differ, and the cost of every usage unit (issue 9,
-- items 5 and 2; views provider_cost_differences and cost_by_unit).
--
-- llm_calls: of the cost-by-kind columns, what each unit of migration 0004 is billed at its
-- own rate (the unit's rate times its leaf count, pricer.Price.unit_costs). A unit with no
-- rate of its own is billed at its parent's rate and counts there (cost 0 here). Rows stored
-- before this migration read 0: `tokentrace reprice --since DAY` fills them in (it re-prices
-- every row whose unit costs differ) and rebuilds the rollups.
ALTER TABLE llm_calls {on_cluster}
    ADD COLUMN IF NOT EXISTS cache_write_1h_cost Decimal(18, 12),
    ADD COLUMN IF NOT EXISTS input_audio_cost Decimal(18, 12),
    ADD COLUMN IF NOT EXISTS cache_audio_read_cost Decimal(18, 12),
    ADD COLUMN IF NOT EXISTS output_audio_cost Decimal(18, 12),
    ADD COLUMN IF NOT EXISTS input_image_cost Decimal(18, 12),
    ADD COLUMN IF NOT EXISTS cache_image_read_cost Decimal(18, 12),
    ADD COLUMN IF NOT EXISTS output_image_cost Decimal(18, 12),
    ADD COLUMN IF NOT EXISTS input_video_cost Decimal(18, 12),
    ADD COLUMN IF NOT EXISTS output_video_cost Decimal(18, 12);

-- The rollups carry each unit's tokens and cost, and for the calls whose provider or gateway
-- reported a cost (cost_source = 'provider'): how many (reported_requests) and what they
-- reported (reported_cost); of those, the calls whose cost could also be computed
-- (compared_requests: unpriced_reason = ''), with the reported and the computed cost side by
-- side. SummingMergeTree sums the new columns like the others. The projections on the
-- rollups (0002 without_tenant, and any later one) do not list them, so they stay valid: a
-- query reading a new column reads the table itself.
ALTER TABLE llm_cost_hourly {on_cluster}
    ADD COLUMN IF NOT EXISTS cache_write_1h_tokens UInt64,
    ADD COLUMN IF NOT EXISTS cache_write_1h_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS input_audio_tokens UInt64,
    ADD COLUMN IF NOT EXISTS input_audio_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS cache_audio_read_tokens UInt64,
    ADD COLUMN IF NOT EXISTS cache_audio_read_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS output_audio_tokens UInt64,
    ADD COLUMN IF NOT EXISTS output_audio_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS input_image_tokens UInt64,
    ADD COLUMN IF NOT EXISTS input_image_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS cache_image_read_tokens UInt64,
    ADD COLUMN IF NOT EXISTS cache_image_read_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS output_image_tokens UInt64,
    ADD COLUMN IF NOT EXISTS output_image_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS input_video_tokens UInt64,
    ADD COLUMN IF NOT EXISTS input_video_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS output_video_tokens UInt64,
    ADD COLUMN IF NOT EXISTS output_video_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS reported_requests UInt64,
    ADD COLUMN IF NOT EXISTS reported_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS compared_requests UInt64,
    ADD COLUMN IF NOT EXISTS compared_reported_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS compared_computed_cost Decimal(38, 12);

ALTER TABLE llm_cost_daily {on_cluster}
    ADD COLUMN IF NOT EXISTS cache_write_1h_tokens UInt64,
    ADD COLUMN IF NOT EXISTS cache_write_1h_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS input_audio_tokens UInt64,
    ADD COLUMN IF NOT EXISTS input_audio_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS cache_audio_read_tokens UInt64,
    ADD COLUMN IF NOT EXISTS cache_audio_read_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS output_audio_tokens UInt64,
    ADD COLUMN IF NOT EXISTS output_audio_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS input_image_tokens UInt64,
    ADD COLUMN IF NOT EXISTS input_image_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS cache_image_read_tokens UInt64,
    ADD COLUMN IF NOT EXISTS cache_image_read_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS output_image_tokens UInt64,
    ADD COLUMN IF NOT EXISTS output_image_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS input_video_tokens UInt64,
    ADD COLUMN IF NOT EXISTS input_video_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS output_video_tokens UInt64,
    ADD COLUMN IF NOT EXISTS output_video_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS reported_requests UInt64,
    ADD COLUMN IF NOT EXISTS reported_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS compared_requests UInt64,
    ADD COLUMN IF NOT EXISTS compared_reported_cost Decimal(38, 12),
    ADD COLUMN IF NOT EXISTS compared_computed_cost Decimal(38, 12);

-- The materialized views feed them (reprice's rollup rebuild reads this query).
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
        AS compared_computed_cost
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
        AS compared_computed_cost
FROM llm_calls
GROUP BY day, provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint;

-- Backfill from the calls stored so far, the new columns only: one row per rollup key that has
-- any of them, every other column 0, which SummingMergeTree adds to the key's row. Only the
-- calls that have any are grouped (WHERE, not HAVING): at 100M calls grouping every call by
-- every rollup key would hold tens of millions of groups in memory. Calls are
-- kept 395 days (0007), so rollup rows older than that keep 0 in the new columns. Unit costs
-- of calls stored before this migration are 0 until `tokentrace reprice` (see above).
-- An INSERT has no ON CLUSTER: on a cluster it backfills the shard the migration runs on;
-- on a multi-shard cluster run these two statements once on a replica of every other shard.
INSERT INTO llm_cost_hourly (hour, provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint,
    cache_write_1h_tokens, cache_write_1h_cost, input_audio_tokens, input_audio_cost, cache_audio_read_tokens, cache_audio_read_cost, output_audio_tokens, output_audio_cost, input_image_tokens, input_image_cost, cache_image_read_tokens, cache_image_read_cost, output_image_tokens, output_image_cost, input_video_tokens, input_video_cost, output_video_tokens, output_video_cost, reported_requests, reported_cost, compared_requests, compared_reported_cost, compared_computed_cost)
SELECT
    toStartOfHour(ts) AS hour,
    provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint,
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
        AS compared_computed_cost
FROM llm_calls
WHERE cost_source = 'provider' OR llm_calls.cache_write_1h_tokens > 0
    OR llm_calls.input_audio_tokens > 0 OR llm_calls.cache_audio_read_tokens > 0
    OR llm_calls.output_audio_tokens > 0 OR llm_calls.input_image_tokens > 0
    OR llm_calls.cache_image_read_tokens > 0 OR llm_calls.output_image_tokens > 0
    OR llm_calls.input_video_tokens > 0 OR llm_calls.output_video_tokens > 0
GROUP BY hour, provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint;

INSERT INTO llm_cost_daily (day, provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint,
    cache_write_1h_tokens, cache_write_1h_cost, input_audio_tokens, input_audio_cost, cache_audio_read_tokens, cache_audio_read_cost, output_audio_tokens, output_audio_cost, input_image_tokens, input_image_cost, cache_image_read_tokens, cache_image_read_cost, output_image_tokens, output_image_cost, input_video_tokens, input_video_cost, output_video_tokens, output_video_cost, reported_requests, reported_cost, compared_requests, compared_reported_cost, compared_computed_cost)
SELECT
    toDate(ts) AS day,
    provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint,
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
        AS compared_computed_cost
FROM llm_calls
WHERE cost_source = 'provider' OR llm_calls.cache_write_1h_tokens > 0
    OR llm_calls.input_audio_tokens > 0 OR llm_calls.cache_audio_read_tokens > 0
    OR llm_calls.output_audio_tokens > 0 OR llm_calls.input_image_tokens > 0
    OR llm_calls.cache_image_read_tokens > 0 OR llm_calls.output_image_tokens > 0
    OR llm_calls.input_video_tokens > 0 OR llm_calls.output_video_tokens > 0
GROUP BY day, provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint;
