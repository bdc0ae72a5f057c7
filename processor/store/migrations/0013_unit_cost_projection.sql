-- Issue 15: cost_by_unit and provider_cost_differences (migration 0010's columns) are the only
-- daily-rollup views no projection could answer: 0009's projections predate those columns, so
-- both read the tenant-keyed rows (4.7M rows for 30 days at 100M calls, against 7k for the
-- other spend views). This projection has 0009's keys without tenant and 0010's sums only, so
-- ClickHouse answers both views from it by itself whenever no tenant is filtered, and the views
-- keep their one SQL definition, exact by construction (the rollup stays in 'rebuild' mode).
ALTER TABLE llm_cost_daily {on_cluster} ADD PROJECTION IF NOT EXISTS units_without_tenant
(
    SELECT
        day, provider, model, operation, service, environment, team, feature, agent, api_key, endpoint,
        sum(cache_write_1h_tokens), sum(cache_write_1h_cost), sum(input_audio_tokens),
        sum(input_audio_cost), sum(cache_audio_read_tokens), sum(cache_audio_read_cost),
        sum(output_audio_tokens), sum(output_audio_cost), sum(input_image_tokens),
        sum(input_image_cost), sum(cache_image_read_tokens), sum(cache_image_read_cost),
        sum(output_image_tokens), sum(output_image_cost), sum(input_video_tokens),
        sum(input_video_cost), sum(output_video_tokens), sum(output_video_cost),
        sum(reported_requests), sum(reported_cost), sum(compared_requests),
        sum(compared_reported_cost), sum(compared_computed_cost)
    GROUP BY day, provider, model, operation, service, environment, team, feature, agent, api_key, endpoint
);

-- Builds it for the parts written before (a mutation, in the background).
ALTER TABLE llm_cost_daily {on_cluster} MATERIALIZE PROJECTION units_without_tenant;
