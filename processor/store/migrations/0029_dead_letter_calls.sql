-- The report's and the API's call filters (user, conversation) and exact ranges (a partial day,
-- --since 6h) count the pending dead letters as they count the stored calls: by the call's own
-- instant, user and conversation, not by its whole day; and the per-user and per-conversation
-- views, the failures and the calls without usage count them where they belong. The sink writes
-- them as columns when it keeps a row (dead_letters.add); the defaults, the same reading of the
-- JSON as 0027's, fill them for a row written without them, and MATERIALIZE writes them into the
-- rows kept before, once: run again, it writes the same values.
ALTER TABLE dead_letters {on_cluster}
    ADD COLUMN IF NOT EXISTS ts DateTime64(6, 'UTC')
        DEFAULT fromUnixTimestamp64Micro(JSONExtractInt(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'ts'), 'UTC'),
    ADD COLUMN IF NOT EXISTS user String
        DEFAULT JSONExtractString(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'user'),
    ADD COLUMN IF NOT EXISTS conversation String
        DEFAULT JSONExtractString(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'conversation'),
    ADD COLUMN IF NOT EXISTS status LowCardinality(String)
        DEFAULT JSONExtractString(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'status'),
    ADD COLUMN IF NOT EXISTS usage_missing UInt8
        DEFAULT JSONExtract(if(isValidJSON(row), row, replaceRegexpAll(row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]', '\\\\ufffd')), 'usage_missing', 'UInt8');

ALTER TABLE dead_letters {on_cluster}
    MATERIALIZE COLUMN ts,
    MATERIALIZE COLUMN user,
    MATERIALIZE COLUMN conversation,
    MATERIALIZE COLUMN status,
    MATERIALIZE COLUMN usage_missing;
