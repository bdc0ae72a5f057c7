-- Most views filter on no tenant, yet the rollups are keyed by tenant, so with thousands of
-- tenants they hardly shrink the data (100M calls: daily rollup 7.8M rows). A projection
-- without tenant answers those views from a few thousand rows; ClickHouse picks it by
-- itself whenever a query does not touch tenant, and the views' SQL stays as it is.
-- SummingMergeTree needs 'rebuild' so merges and deletes (reprice) keep it exact.
ALTER TABLE llm_cost_daily {on_cluster} MODIFY SETTING
    deduplicate_merge_projection_mode = 'rebuild',
    lightweight_mutation_projection_mode = 'rebuild';

ALTER TABLE llm_cost_daily {on_cluster} ADD PROJECTION IF NOT EXISTS without_tenant
(
    SELECT
        day, provider, model, operation, service, environment, team, feature, agent,
        sum(requests), sum(failed_requests), sum(unpriced_requests), sum(usage_missing_requests),
        sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
        sum(reasoning_tokens), sum(input_cost), sum(cache_read_cost), sum(cache_write_cost),
        sum(output_cost), sum(cost), sum(cache_savings), sum(failed_cost), sum(latency_ms_sum)
    GROUP BY day, provider, model, operation, service, environment, team, feature, agent
);

ALTER TABLE llm_cost_daily {on_cluster} MATERIALIZE PROJECTION without_tenant;

ALTER TABLE llm_cost_hourly {on_cluster} MODIFY SETTING
    deduplicate_merge_projection_mode = 'rebuild',
    lightweight_mutation_projection_mode = 'rebuild';

ALTER TABLE llm_cost_hourly {on_cluster} ADD PROJECTION IF NOT EXISTS without_tenant
(
    SELECT
        hour, provider, model, operation, service, environment, team, feature, agent,
        sum(requests), sum(failed_requests), sum(unpriced_requests), sum(usage_missing_requests),
        sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens),
        sum(reasoning_tokens), sum(input_cost), sum(cache_read_cost), sum(cache_write_cost),
        sum(output_cost), sum(cost), sum(cache_savings), sum(failed_cost), sum(latency_ms_sum)
    GROUP BY hour, provider, model, operation, service, environment, team, feature, agent
);

ALTER TABLE llm_cost_hourly {on_cluster} MATERIALIZE PROJECTION without_tenant;
