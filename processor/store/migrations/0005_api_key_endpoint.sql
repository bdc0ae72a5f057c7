-- The api_key and endpoint dimensions (DESIGN §10) and calls blocked by an enforced budget.
-- llm_calls: `api_key` is the instrumentation's fingerprint (redacted form + salted hash, never
-- the key), `endpoint` the application route or worker task that made the call, and
-- `budget_blocked` marks a call the budget guard answered locally (cost 0).
ALTER TABLE llm_calls {on_cluster}
    ADD COLUMN IF NOT EXISTS api_key String,
    ADD COLUMN IF NOT EXISTS endpoint String,
    ADD COLUMN IF NOT EXISTS budget_blocked UInt8;

-- The rollups carry both dimensions, last in their sort key (SummingMergeTree folds rows with
-- equal keys: a dimension outside it would be summed away). Rows written before have '' for
-- both. The without_tenant projections leave them out, as they leave tenant out: views that do
-- not touch the three still read a few thousand rows.
ALTER TABLE llm_cost_hourly {on_cluster}
    ADD COLUMN IF NOT EXISTS api_key String,
    ADD COLUMN IF NOT EXISTS endpoint String,
    ADD COLUMN IF NOT EXISTS blocked_requests UInt64,
    MODIFY ORDER BY
        (hour, provider, model, service, environment, team, feature, tenant, agent, operation,
         api_key, endpoint);

ALTER TABLE llm_cost_daily {on_cluster}
    ADD COLUMN IF NOT EXISTS api_key String,
    ADD COLUMN IF NOT EXISTS endpoint String,
    ADD COLUMN IF NOT EXISTS blocked_requests UInt64,
    MODIFY ORDER BY
        (day, provider, model, service, environment, team, feature, tenant, agent, operation,
         api_key, endpoint);

-- The materialized views feed the new columns (reprice's rollup rebuild reads this query).
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
    sum(latency_ms) AS latency_ms_sum
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
    sum(latency_ms) AS latency_ms_sum
FROM llm_calls
GROUP BY day, provider, model, operation, service, environment, team, feature, tenant, agent, api_key, endpoint;

-- Budgets marked enforced are the ones the budget guard (instrumentation) blocks calls for.
ALTER TABLE budgets {on_cluster} ADD COLUMN IF NOT EXISTS enforce UInt8;
