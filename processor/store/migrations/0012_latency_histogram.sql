-- Issue 15: exact latency quantiles without sorting every call of the range (view
-- latency_by_provider, views._LATENCY_QUANTILES). quantilesExact(level) returns the element at
-- 0-based rank floor(level * n) of the sorted latencies. The view finds which latency bucket
-- holds that rank from counts of calls per (day or hour, provider, status, bucket), then sorts
-- the calls of that bucket only. Counts and calls come from projections, which are part of
-- each data part: inserts, merges, mutations (reprice) and retention's whole-part drops keep
-- them in step with the calls, and ClickHouse reads the calls themselves whenever a query
-- touches a column they lack (a dashboard variable set), with the same answers.
--
-- The bucket expression is views._LATENCY_BUCKET, spelled identically (ClickHouse matches
-- projections by expression): the top 17 bits of the Float64, 32 buckets per doubling.
ALTER TABLE llm_calls {on_cluster} ADD PROJECTION IF NOT EXISTS latency_daily
(
    SELECT
        toDate(ts), provider, status,
        multiIf(isNaN(latency_ms), 65535, latency_ms <= 0, 0, toUInt16(bitShiftRight(reinterpretAsUInt64(latency_ms), 47))),
        count()
    GROUP BY
        toDate(ts), provider, status,
        multiIf(isNaN(latency_ms), 65535, latency_ms <= 0, 0, toUInt16(bitShiftRight(reinterpretAsUInt64(latency_ms), 47)))
);

ALTER TABLE llm_calls {on_cluster} ADD PROJECTION IF NOT EXISTS latency_hourly
(
    SELECT
        toStartOfHour(ts), provider, status,
        multiIf(isNaN(latency_ms), 65535, latency_ms <= 0, 0, toUInt16(bitShiftRight(reinterpretAsUInt64(latency_ms), 47))),
        count()
    GROUP BY
        toStartOfHour(ts), provider, status,
        multiIf(isNaN(latency_ms), 65535, latency_ms <= 0, 0, toUInt16(bitShiftRight(reinterpretAsUInt64(latency_ms), 47)))
);

-- The latencies again, sorted by (provider, bucket, ts): the calls of one provider and bucket
-- in a time range are one contiguous slice. Granules of 1,024 rows rather than 8,192: the view
-- reads a few short slices in every part, each at least one granule.
ALTER TABLE llm_calls {on_cluster} ADD PROJECTION IF NOT EXISTS latency_values
(
    SELECT ts, provider, status, latency_ms
    ORDER BY
        provider,
        multiIf(isNaN(latency_ms), 65535, latency_ms <= 0, 0, toUInt16(bitShiftRight(reinterpretAsUInt64(latency_ms), 47))),
        ts
)
WITH SETTINGS (index_granularity = 1024);

-- Backfill the parts written before (mutations, in the background).
ALTER TABLE llm_calls {on_cluster} MATERIALIZE PROJECTION latency_daily;

ALTER TABLE llm_calls {on_cluster} MATERIALIZE PROJECTION latency_hourly;

ALTER TABLE llm_calls {on_cluster} MATERIALIZE PROJECTION latency_values;
