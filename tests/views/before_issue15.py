"""The SQL of the views that issue 15 rewrote for the rollups' projections, as it was before.

tests/views/test_projection_views.py runs each rewritten view against this on the same data:
the answers must be identical (Decimal exact), with and without filters, on every range.
Since then, an unknown cost is no longer $0 (DESIGN §9): the anomalies below judge no day
against a baseline of unknown costs only, nor count a day whose every call has an unknown cost
as a $0 day in the baseline (1537465), and the comparison takes a NULL cost for the 0 the
old SQL gave (``test_projection_views.as_before``). reconciliation_by_key below counts the
metered calls without usage and names their key 'calls without usage' (recon31), as the view.
"""

BEFORE: dict[str, str] = {}

BEFORE["month_to_date"] = """\
WITH
    toDate($__toTime, 'UTC') AS today,
    toStartOfMonth(today) AS month_start,
    toDateTime(month_start, 'UTC') AS month_begins,
    dateDiff('second', month_begins, $__toTime) AS elapsed_s,
    dateDiff('second', $__toTime, toDateTime(addMonths(month_start, 1), 'UTC')) AS remaining_s
SELECT
    month_start,
    sumIf(d.cost, day >= month_start) AS cost,
    sumIf(d.cost, day >= today - 7 AND day < today) AS last_week,
    -- the forecast's one division since 9f1eb82 (a rate cut to 12 places first lost up to
    -- ~0.6 % of a tiny spend): the arithmetic changed on purpose, not the rollup read
    cost + if(last_week > 0, last_week * greatest(remaining_s, 0) / (7 * 86400),
        cost * greatest(remaining_s, 0) / greatest(elapsed_s, 1)) AS forecast
FROM llm_cost_daily AS d
WHERE day >= least(month_start, today - 7) AND day <= today{filters}"""

BEFORE["budget_utilization"] = """\
WITH
    toDate($__toTime, 'UTC') AS today,
    (SELECT groupUniqArrayArray(mapKeys(filters)) FROM budgets FINAL WHERE deleted = 0)
        AS budget_keys
SELECT
    b.scope AS scope,
    b.period AS period,
    concat(if(b.scope = '', 'all', b.scope), ' (', b.period, ')') AS budget,
    multiIf(b.period = 'day', today, b.period = 'week', toMonday(today), toStartOfMonth(today))
        AS period_start,
    b.amount AS amount,
    sumIf(
        multiIf(b.period = 'day', s.day_cost, b.period = 'week', s.week_cost, s.month_cost),
        arrayAll((k, v) -> s.dims[k] = v, mapKeys(b.filters), mapValues(b.filters))
    ) AS spent,
    spent / nullIf(b.amount, 0) AS utilization
FROM
(
    SELECT scope, filters, period, amount
    FROM budgets FINAL
    WHERE deleted = 0
) AS b
CROSS JOIN
(
    -- Spend in each period (today, this week, this month) by the dimensions that some
    -- budget filters on (the others blanked), so that the join sees a handful of rows
    -- rather than every rollup row of every day.
    SELECT
        map(
            'provider', k_provider, 'model', k_model, 'operation', k_operation,
            'service', k_service, 'environment', k_environment, 'team', k_team,
            'feature', k_feature, 'tenant', k_tenant, 'agent', k_agent,
            'api_key', k_api_key, 'endpoint', k_endpoint
        ) AS dims,
        sumIf(cost, day = today) AS day_cost,
        sumIf(cost, day >= toMonday(today)) AS week_cost,
        sumIf(cost, day >= toStartOfMonth(today)) AS month_cost
    FROM
    (
        SELECT
            day,
            cost,
            if(has(budget_keys, 'provider'), provider, '') AS k_provider,
            if(has(budget_keys, 'model'), model, '') AS k_model,
            if(has(budget_keys, 'operation'), operation, '') AS k_operation,
            if(has(budget_keys, 'service'), service, '') AS k_service,
            if(has(budget_keys, 'environment'), environment, '') AS k_environment,
            if(has(budget_keys, 'team'), team, '') AS k_team,
            if(has(budget_keys, 'feature'), feature, '') AS k_feature,
            if(has(budget_keys, 'tenant'), tenant, '') AS k_tenant,
            if(has(budget_keys, 'agent'), agent, '') AS k_agent,
            if(has(budget_keys, 'api_key'), api_key, '') AS k_api_key,
            if(has(budget_keys, 'endpoint'), endpoint, '') AS k_endpoint
        FROM llm_cost_daily
        WHERE day >= least(toMonday(today), toStartOfMonth(today)) AND day <= today
    )
    GROUP BY k_provider, k_model, k_operation, k_service, k_environment, k_team, k_feature,
        k_tenant, k_agent, k_api_key, k_endpoint
    UNION ALL
    -- keeps budgets without any spend in the result (at 0)
    SELECT
        CAST(map(), 'Map(String, String)'),
        toDecimal128(0, 12),
        toDecimal128(0, 12),
        toDecimal128(0, 12)
) AS s
GROUP BY b.scope, b.period, b.amount, b.filters
ORDER BY utilization DESC, scope, period"""

BEFORE["anomalies"] = """\
SELECT
    scope,
    day,
    cost,
    baseline,
    toFloat64(cost) / toFloat64(baseline) AS ratio
FROM
(
    SELECT
        scope,
        day,
        cost,
        sum(unknown) OVER trailing AS baseline_unknown,
        count() OVER trailing AS trailing_days,
        min(day) OVER trailing AS first_day,
        countIf(unknown >= calls) OVER trailing AS unknown_days,  -- since: not a $0 day
        sum(cost) OVER trailing / greatest(day - first_day - unknown_days, 1) AS baseline
    FROM
    (
        SELECT
            multiIf(
                grouping(team) = 0, concat('team=', team),
                grouping(feature) = 0, concat('feature=', feature),
                grouping(tenant) = 0, concat('tenant=', tenant),
                'all'
            ) AS scope,
            day,
            sum(cost) AS cost,
            sum(unpriced_requests) AS unknown,
            sum(requests) AS calls
        FROM llm_cost_daily
        WHERE day >= toDate($__fromTime, 'UTC') - 7 AND day <= toDate($__toTime, 'UTC'){filters}
        GROUP BY GROUPING SETS ((day), (day, team), (day, feature), (day, tenant))
        HAVING NOT endsWith(scope, '=')
    )
    WINDOW trailing AS (PARTITION BY scope ORDER BY day RANGE BETWEEN 7 PRECEDING AND 1 PRECEDING)
)
WHERE day >= toDate($__fromTime, 'UTC')
  AND trailing_days > 0
  AND day - first_day >= 3
  AND cost > 2 * baseline
  AND NOT (baseline = 0 AND baseline_unknown > 0)  -- since: unknown cost is not zero
ORDER BY day DESC, ratio DESC, scope"""

BEFORE["unpriced_usage"] = """\
SELECT
    provider,
    model,
    sum(h.unpriced_requests) AS unpriced_requests,
    sum(h.usage_missing_requests) AS usage_missing_requests,
    min(h.hour) AS first_seen,
    max(h.hour) AS last_seen
FROM llm_cost_hourly AS h
WHERE $__timeFilter(hour)
  AND h.unpriced_requests > 0{filters}
GROUP BY provider, model
ORDER BY unpriced_requests DESC, provider, model"""

BEFORE["usage_missing"] = """\
SELECT
    provider,
    model,
    sum(h.usage_missing_requests) AS usage_missing_requests,
    min(h.hour) AS first_seen,
    max(h.hour) AS last_seen
FROM llm_cost_hourly AS h
WHERE $__timeFilter(hour)
  AND h.usage_missing_requests > 0{filters}
GROUP BY provider, model
ORDER BY usage_missing_requests DESC, provider, model"""

BEFORE["reconciliation_by_key"] = """\
SELECT
    r.provider AS provider,
    r.api_key_id AS api_key_id,
    any(k.name) AS key_name,
    any(k.redacted_value) AS redacted_value,
    r.model AS model,
    sum(r.billed_input_tokens) AS billed_input_tokens,
    sum(r.billed_output_tokens) AS billed_output_tokens,
    sum(r.billed_requests) AS billed_requests,
    sum(r.metered_input_tokens) AS metered_input_tokens,
    sum(r.metered_output_tokens) AS metered_output_tokens,
    sum(r.metered_requests) AS metered_requests,
    sum(r.usage_missing_requests) AS usage_missing_requests,
    toInt64(billed_input_tokens + billed_output_tokens)
        - toInt64(metered_input_tokens + metered_output_tokens) AS token_gap,
    multiIf(
        api_key_id = '', 'unlisted key',
        metered_requests = 0, 'uninstrumented',
        usage_missing_requests > 0, 'calls without usage',
        abs(token_gap) > 0.01 * (billed_input_tokens + billed_output_tokens),
            if(token_gap > 0, 'partly instrumented', 'more metered than billed'),
        'matches'
    ) AS status
FROM
(
    SELECT
        u.provider AS provider, u.api_key_id AS api_key_id, u.model AS model,
        sum(u.input_tokens) AS billed_input_tokens, sum(u.output_tokens) AS billed_output_tokens,
        sum(u.requests) AS billed_requests,
        toUInt64(0) AS metered_input_tokens, toUInt64(0) AS metered_output_tokens,
        toUInt64(0) AS metered_requests, toUInt64(0) AS usage_missing_requests
    FROM billed_usage AS u
    WHERE $__dateFilter(day)
      AND (u.provider, u.day, u.version) IN (
        SELECT provider, day, max(version) FROM billed_imports
        WHERE report = 'usage' AND $__dateFilter(day)
        GROUP BY provider, day
    ){filters}
    GROUP BY provider, api_key_id, model
    UNION ALL
    SELECT
        m.provider,
        if(
            splitByString('…', m.api_key)[1] != ''
                AND (startsWith(k.hint_prefix, splitByString('…', m.api_key)[1])
                     OR startsWith(splitByString('…', m.api_key)[1], k.hint_prefix)),
            k.key_id,
            ''
        ),
        m.model,
        toUInt64(0), toUInt64(0), CAST(NULL, 'Nullable(UInt64)'),
        sum(m.input_tokens), sum(m.output_tokens), sum(m.requests),
        sum(m.usage_missing_requests)
    FROM llm_cost_daily AS m
    LEFT JOIN
    (
        SELECT provider, key_id, hint_prefix, hint_suffix FROM provider_api_keys FINAL
        WHERE hint_suffix != ''
    ) AS k ON k.provider = m.provider
        AND k.hint_suffix = splitByChar('#', arrayElement(splitByString('…', m.api_key), 2))[1]
    WHERE $__dateFilter(day)
      AND m.api_key != ''
      AND (m.provider, m.day) IN (
        SELECT provider, day FROM billed_imports WHERE $__dateFilter(day)
      ){filters}
    GROUP BY 1, 2, 3
) AS r
LEFT JOIN
(
    SELECT provider, key_id, name, redacted_value FROM provider_api_keys FINAL
) AS k ON k.provider = r.provider AND k.key_id = r.api_key_id
GROUP BY r.provider, r.api_key_id, r.model
ORDER BY billed_input_tokens + billed_output_tokens DESC, provider, api_key_id, model"""

BEFORE["cost_by_conversation"] = """\
SELECT
    if(position <= {top}, any(ranked.conversation), '(other)') AS conversation,
    if(position <= {top}, any(ranked.tenant), '') AS tenant,
    if(position <= {top}, any(ranked.user), '') AS user,
    sum(ranked.requests) AS requests,
    sum(ranked.cost) AS cost,
    sum(ranked.unpriced_requests) AS unpriced_requests,
    min(ranked.first_call) AS first_call,
    max(ranked.last_call) AS last_call,
    position > {top} AS other,
    count() AS members
FROM (
    SELECT
        *,
        least(row_number() OVER (ORDER BY cost DESC, conversation, tenant, user), {top} + 1)
            AS position
    FROM (
        SELECT
            conversation, tenant, user, count() AS requests, sum(cost) AS cost,
            countIf(priced = 0) AS unpriced_requests, min(ts) AS first_call,
            max(ts) AS last_call
        FROM llm_calls
        WHERE $__timeFilter(ts)
          AND conversation != ''{filters}
        GROUP BY conversation, tenant, user
    )
) AS ranked
GROUP BY position
ORDER BY position"""

BEFORE["cost_by_user"] = """\
SELECT
    if(position <= {top}, any(ranked.user), '(other)') AS user,
    if(position <= {top}, any(ranked.tenant), '') AS tenant,
    sum(ranked.requests) AS requests,
    sum(ranked.cost) AS cost,
    sum(ranked.unpriced_requests) AS unpriced_requests,
    position > {top} AS other,
    count() AS members
FROM (
    SELECT
        *,
        least(row_number() OVER (ORDER BY cost DESC, user, tenant), {top} + 1) AS position
    FROM (
        SELECT
            user, tenant, count() AS requests, sum(cost) AS cost,
            countIf(priced = 0) AS unpriced_requests
        FROM llm_calls
        WHERE toDate(ts) >= toDate($__fromTime, 'UTC')
          AND toDate(ts) <= toDate($__toTime, 'UTC')
          AND user != ''{filters}
        GROUP BY user, tenant
    )
) AS ranked
GROUP BY position
ORDER BY position"""

BEFORE["latency_by_provider"] = """\
SELECT
    provider,
    count() AS requests,
    quantilesExact(0.5, 0.95, 0.99)(latency_ms)[1] AS p50_ms,
    quantilesExact(0.5, 0.95, 0.99)(latency_ms)[2] AS p95_ms,
    quantilesExact(0.5, 0.95, 0.99)(latency_ms)[3] AS p99_ms
FROM llm_calls
WHERE $__timeFilter(ts)
  AND status != 'error'{filters}
GROUP BY provider
ORDER BY provider"""

BEFORE["top_calls"] = """\
SELECT
    ts,
    trace_id,
    span_id,
    provider,
    model,
    team,
    feature,
    tenant,
    user,
    input_tokens,
    output_tokens,
    cost,
    priced,
    latency_ms,
    status
FROM llm_calls
WHERE $__timeFilter(ts){filters}
-- known before unknown among equal costs since migration 0030 (an unpriced call, stored at 0,
-- was listed among the calls known to cost 0 dollars by time): the order changed on purpose
ORDER BY cost DESC, priced DESC, ts DESC
LIMIT 50"""
