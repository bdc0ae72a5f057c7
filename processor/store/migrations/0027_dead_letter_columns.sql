-- Pending dead letters are counted wherever a total is shown (totals, month to date, the
-- breakdowns, budgets, reconciliation), by the call's day and dimensions. Those were read from
-- each letter's JSON at query time: every pending letter parsed by every query, after its lone
-- surrogate escapes were repaired with a regular expression (a row kept for text that is not
-- UTF-8 is unreadable JSON to ClickHouse). The sink now writes them as columns when it keeps a
-- row (dead_letters.add); the defaults below, the same reading of the JSON as before, fill them
-- for a row written without them, and MATERIALIZE writes them into the rows kept before, once:
-- run again, it writes the same values.
ALTER TABLE dead_letters {on_cluster}
    ADD COLUMN IF NOT EXISTS day Date
        DEFAULT toDate(fromUnixTimestamp64Micro(JSONExtractInt(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'ts'), 'UTC')),
    ADD COLUMN IF NOT EXISTS provider LowCardinality(String)
        DEFAULT JSONExtractString(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'provider'),
    ADD COLUMN IF NOT EXISTS model LowCardinality(String)
        DEFAULT JSONExtractString(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'model'),
    ADD COLUMN IF NOT EXISTS operation LowCardinality(String)
        DEFAULT JSONExtractString(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'operation'),
    ADD COLUMN IF NOT EXISTS service LowCardinality(String)
        DEFAULT JSONExtractString(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'service'),
    ADD COLUMN IF NOT EXISTS environment LowCardinality(String)
        DEFAULT JSONExtractString(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'environment'),
    ADD COLUMN IF NOT EXISTS team LowCardinality(String)
        DEFAULT JSONExtractString(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'team'),
    ADD COLUMN IF NOT EXISTS feature LowCardinality(String)
        DEFAULT JSONExtractString(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'feature'),
    ADD COLUMN IF NOT EXISTS tenant LowCardinality(String)
        DEFAULT JSONExtractString(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'tenant'),
    ADD COLUMN IF NOT EXISTS agent LowCardinality(String)
        DEFAULT JSONExtractString(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'agent'),
    ADD COLUMN IF NOT EXISTS api_key LowCardinality(String)
        DEFAULT JSONExtractString(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'api_key'),
    ADD COLUMN IF NOT EXISTS endpoint LowCardinality(String)
        DEFAULT JSONExtractString(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'endpoint');

ALTER TABLE dead_letters {on_cluster}
    MATERIALIZE COLUMN day,
    MATERIALIZE COLUMN provider,
    MATERIALIZE COLUMN model,
    MATERIALIZE COLUMN operation,
    MATERIALIZE COLUMN service,
    MATERIALIZE COLUMN environment,
    MATERIALIZE COLUMN team,
    MATERIALIZE COLUMN feature,
    MATERIALIZE COLUMN tenant,
    MATERIALIZE COLUMN agent,
    MATERIALIZE COLUMN api_key,
    MATERIALIZE COLUMN endpoint;
