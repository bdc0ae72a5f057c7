-- The hourly burn rate counts the pending dead letters of each hour as the daily views count
-- them by day (0027): an hour whose only calls were not stored is no $0 hour. The sink writes
-- the call's UTC hour as a column when it keeps a row (dead_letters.add); the default, the same
-- reading of the JSON as 0027's day, fills it for a row written without it, and MATERIALIZE
-- writes it into the rows kept before, once: run again, it writes the same values.
ALTER TABLE dead_letters {on_cluster}
    ADD COLUMN IF NOT EXISTS hour DateTime('UTC')
        DEFAULT toStartOfHour(fromUnixTimestamp64Micro(JSONExtractInt(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'ts'), 'UTC'));

ALTER TABLE dead_letters {on_cluster}
    MATERIALIZE COLUMN hour;
