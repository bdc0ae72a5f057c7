-- Issue 15: every view fast at any size, with answers exactly as before. Projections on the
-- rollups (as migration 0002): ClickHouse answers a query from the smallest projection holding
-- every column it touches and reads the table otherwise, so each view keeps one SQL definition
-- and stays exact by construction. The rollups keep 'rebuild' mode (0002), so merges, deletes
-- and reprice's rebuild keep every projection exact.

-- without_tenant (0002) predates blocked_requests, api_key and endpoint (0005): totals and the
-- API-key and endpoint breakdowns touch them and read the tenant-keyed rows. This one has them
-- (a key per service, an endpoint per feature: about twice without_tenant's rows).
ALTER TABLE llm_cost_daily {on_cluster} ADD PROJECTION IF NOT EXISTS without_tenant_keys
(
    SELECT
        day, provider, model, operation, service, environment, team, feature, agent, api_key, endpoint,
        sum(requests), sum(failed_requests), sum(unpriced_requests), sum(usage_missing_requests),
        sum(blocked_requests), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
        sum(cache_write_tokens), sum(reasoning_tokens), sum(input_cost), sum(cache_read_cost),
        sum(cache_write_cost), sum(output_cost), sum(cost), sum(cache_savings), sum(failed_cost),
        sum(latency_ms_sum)
    GROUP BY day, provider, model, operation, service, environment, team, feature, agent, api_key, endpoint
);

ALTER TABLE llm_cost_daily {on_cluster} MATERIALIZE PROJECTION without_tenant_keys;

-- Anomalies' tenant scopes, the tenant breakdown and tenant budgets group by (day, tenant):
-- one row per tenant and day instead of one per tenant and every other dimension.
ALTER TABLE llm_cost_daily {on_cluster} ADD PROJECTION IF NOT EXISTS by_tenant
(
    SELECT
        day, tenant,
        sum(requests), sum(failed_requests), sum(unpriced_requests), sum(usage_missing_requests),
        sum(blocked_requests), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
        sum(cache_write_tokens), sum(reasoning_tokens), sum(input_cost), sum(cache_read_cost),
        sum(cache_write_cost), sum(output_cost), sum(cost), sum(cache_savings), sum(failed_cost),
        sum(latency_ms_sum)
    GROUP BY day, tenant
);

ALTER TABLE llm_cost_daily {on_cluster} MATERIALIZE PROJECTION by_tenant;

-- Hourly series and the unpriced/usage-missing tables without filters group by hour, provider
-- and model at most. (Not on the daily rollup: there without_tenant's rows of a day fit in one
-- granule already, and ClickHouse takes the first projection among those reading as many.)
ALTER TABLE llm_cost_hourly {on_cluster} ADD PROJECTION IF NOT EXISTS by_model
(
    SELECT
        hour, provider, model,
        sum(requests), sum(failed_requests), sum(unpriced_requests), sum(usage_missing_requests),
        sum(blocked_requests), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
        sum(cache_write_tokens), sum(reasoning_tokens), sum(input_cost), sum(cache_read_cost),
        sum(cache_write_cost), sum(output_cost), sum(cost), sum(cache_savings), sum(failed_cost),
        sum(latency_ms_sum)
    GROUP BY hour, provider, model
);

ALTER TABLE llm_cost_hourly {on_cluster} MATERIALIZE PROJECTION by_model;
