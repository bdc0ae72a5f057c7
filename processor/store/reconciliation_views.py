"""The reconciliation views: the providers' bill against the metered calls.

One SQL definition each, like every view (see ``views.py``); kept apart because they read the
imported reports (migration 0006), not the call rollups, and filter on provider and model only.
"""

from __future__ import annotations

import textwrap

from tokentrace.processor.store.view_sql import Format, View, pending

# ---------------------------------------------------------------- reconciliation
#
# The bill (billed_usage, billed_costs: the providers' organisation reports, migration 0006)
# against the metered calls (llm_cost_daily), per provider, UTC day, model and service tier.
# Only the newest import of each provider, report and day counts (billed_imports), and metered
# calls only on the days a provider's reports were imported, so a provider without an admin
# key is not shown as "not billed". The bill has no tags: these views filter on provider and
# model only.


def _key_list(alias: str) -> str:
    """The provider's key list (name, redacted value) joined to billed rows ``alias``."""
    return f"""LEFT JOIN
(
    SELECT provider, key_id, name, redacted_value FROM provider_api_keys FINAL
) AS k ON k.provider = {alias}.provider AND k.key_id = {alias}.api_key_id"""


RECONCILIATION_FILTERS = ("provider", "model")
TOKEN_TOLERANCE = 0.01
"""Billed and metered tokens within 1 % of each other count as matching."""

# Billed tokens above the metered calls' by more than the tolerance: spend tokentrace did not
# meter, whether calls were never seen ('missing calls') or seen without usage ('calls without
# usage'); the columns are a reconciliation row's (``_RECONCILIATION_ROWS``).
_TOKENS_SHORT = f"token_gap > {TOKEN_TOLERANCE} * (billed_input_tokens + billed_output_tokens)"


def _newest(report: str, alias: str) -> str:
    return f"""({alias}.provider, {alias}.day, {alias}.version) IN (
        SELECT provider, day, max(version) FROM billed_imports
        WHERE report = '{report}' AND $__dateFilter(day)
        GROUP BY provider, day
    )"""


# The days of the letters a reconciliation counts: those of an import.
_IMPORTED_DAYS = """$__dateFilter(l.day)
      AND (l.provider, l.day) IN (
        SELECT provider, day FROM billed_imports WHERE $__dateFilter(day)
      )"""

# Those of them with a key (a reconciliation by key matches the rest to none).
_KEYED_IMPORTED_DAYS = _IMPORTED_DAYS + "\n          AND l.api_key != ''"

_RECONCILIATION_ROWS = f"""\
SELECT
    provider,
    day,
    model,
    r.service_tier AS service_tier,
    -- unknown where the report does not split the model's cost among its tiers of the day
    if(max(r.cost_unsplit), NULL, sum(r.billed_cost)) AS billed_cost,
    -- metered calls whose every cost is unknown have no metered cost (NULL), never 0: so no
    -- gap either; with some, the cost of the others (a lower bound, the gap an upper bound)
    if(metered_requests > 0 AND unknown_cost_requests >= metered_requests
        OR metered_requests = 0 AND dead_lettered_requests > 0, NULL,
        sum(r.metered_cost)) AS metered_cost,
    billed_cost - metered_cost AS gap,
    toFloat64(gap) / nullIf(toFloat64(billed_cost), 0) AS gap_ratio,
    -- the bill less the metered cost of the calls with usage, when every one of those has a
    -- price: what the metered tokens do not account for, calls seen without usage included
    -- (the bill's tokens are theirs too); NULL beside calls without a price
    if(unpriced_requests > 0 OR dead_lettered_requests > 0, NULL,
        billed_cost - sum(r.metered_cost)) AS unmetered_gap,
    sum(r.billed_input_tokens) AS billed_input_tokens,
    sum(r.metered_input_tokens) AS metered_input_tokens,
    sum(r.billed_output_tokens) AS billed_output_tokens,
    sum(r.metered_output_tokens) AS metered_output_tokens,
    sum(r.billed_requests) AS billed_requests,
    sum(r.metered_requests) AS metered_requests,
    sum(r.unpriced_requests) AS unpriced_requests,
    sum(r.unknown_cost_requests) AS unknown_cost_requests,
    sum(r.unknown_cost_requests) - sum(r.unpriced_requests) AS usage_missing_requests,
    -- metered calls serve could not store (pending dead letters): in no metered count, cost
    -- or tokens above, so metered_cost is a lower bound (NULL when they are all) and the gap
    -- theirs to explain
    sum(r.dead_lettered_requests) AS dead_lettered_requests,
    max(r.has_usage) AS has_usage,
    toInt64(billed_input_tokens + billed_output_tokens)
        - toInt64(metered_input_tokens + metered_output_tokens) AS token_gap,
    -- billed tokens against the metered calls' (a call without a price has its tokens; one
    -- without usage has none, and its billed tokens are in the gap): calls of unknown cost
    -- do not hide missing ones
    multiIf(
        billed_cost = 0 AND billed_input_tokens + billed_output_tokens = 0, 'not billed',
        dead_lettered_requests > 0, 'calls not stored',
        metered_requests = 0, 'unmetered',
        has_usage = 0, if(unpriced_requests > 0, 'unpriced calls', 'cost only'),
        -- billed tokens the metered calls lack: calls never seen, unless calls were seen without
        -- usage and the bill counts no more calls than were seen (or counts none, as
        -- Anthropic's): then it is their usage that is missing, not calls
        {_TOKENS_SHORT},
            if(usage_missing_requests > 0 AND NOT ifNull(billed_requests > metered_requests, 0),
                'calls without usage', 'missing calls'),
        abs(token_gap) > {TOKEN_TOLERANCE} * (billed_input_tokens + billed_output_tokens),
            'more metered than billed',
        unpriced_requests > 0, 'unpriced calls',
        usage_missing_requests > 0, 'calls without usage',
        abs(gap) > {TOKEN_TOLERANCE} * billed_cost, 'price or tier',
        'matches'
    ) AS cause
FROM
(
    -- a cost whose report does not split it by tier ('*': OpenAI's Costs API) is the model's
    -- one tier of the day; beside several tiers it stays on a row of its own for all of them
    -- ('*'), which also counts every tier's tokens and calls (the model's day as one), and the
    -- tier rows' billed cost is unknown: their tokens and calls are compared alone
    SELECT
        u.*,
        arrayJoin(if(u.row_tier = '*', [if(u.tiers > 1, '*', u.only_tier)],
            if(u.unsplit AND u.tiers > 1, [u.row_tier, '*'], [u.row_tier]))) AS service_tier,
        service_tier != '*' AND u.unsplit AND u.tiers > 1 AS cost_unsplit
    FROM
    (
        SELECT
            *,
            uniqExactIf(row_tier, row_tier != '*') OVER w AS tiers,
            anyIf(row_tier, row_tier != '*') OVER w AS only_tier,
            max(row_tier = '*') OVER w AS unsplit
        FROM
        (
    SELECT
        c.provider AS provider, c.day AS day, c.model AS model, c.service_tier AS row_tier,
        sum(c.amount) AS billed_cost, toDecimal128(0, 12) AS metered_cost,
        toUInt64(0) AS billed_input_tokens, toUInt64(0) AS metered_input_tokens,
        toUInt64(0) AS billed_output_tokens, toUInt64(0) AS metered_output_tokens,
        CAST(NULL, 'Nullable(UInt64)') AS billed_requests, toUInt64(0) AS metered_requests,
        toUInt64(0) AS unpriced_requests, toUInt64(0) AS unknown_cost_requests,
        toUInt8(0) AS has_usage, toUInt64(0) AS dead_lettered_requests
    FROM billed_costs AS c
    WHERE $__dateFilter(day)
      AND {_newest("cost", "c")}{{filters}}
    GROUP BY provider, day, model, row_tier
    UNION ALL
    SELECT
        u.provider, u.day, u.model, u.service_tier,
        toDecimal128(0, 12), toDecimal128(0, 12),
        sum(u.input_tokens), toUInt64(0),
        sum(u.output_tokens), toUInt64(0),
        sum(u.requests), toUInt64(0),
        toUInt64(0), toUInt64(0), toUInt8(1), toUInt64(0)
    FROM billed_usage AS u
    WHERE $__dateFilter(day)
      AND {_newest("usage", "u")}{{filters}}
    GROUP BY u.provider, u.day, u.model, u.service_tier
    UNION ALL
    SELECT
        m.provider, m.day, m.model, m.service_tier,
        toDecimal128(0, 12), sum(m.cost),
        toUInt64(0), sum(m.input_tokens),
        toUInt64(0), sum(m.output_tokens),
        CAST(NULL, 'Nullable(UInt64)'), sum(m.requests),
        -- calls without usage are metered calls whose tokens went missing: their gap reads
        -- as missing calls; only calls without a price are 'unpriced calls'
        toUInt64(sum(m.unpriced_requests) - least(sum(m.unpriced_requests),
            sum(m.usage_missing_requests))),
        -- every metered call of unknown cost, without usage or without a price
        sum(m.unpriced_requests),
        toUInt8(0), toUInt64(0)
    -- the rollup's tier is the bill's ('' standard: migration 0034); calls not stored (dead
    -- letters) have none, and count under the standard tier
    FROM llm_cost_daily AS m
    WHERE $__dateFilter(day)
      AND (m.provider, m.day) IN (
        SELECT provider, day FROM billed_imports WHERE $__dateFilter(day)
      ){{filters}}
    GROUP BY m.provider, m.day, m.model, m.service_tier
    UNION ALL
    SELECT
        l.provider, l.day, l.model, '',
        toDecimal128(0, 12), toDecimal128(0, 12),
        toUInt64(0), toUInt64(0), toUInt64(0), toUInt64(0),
        CAST(NULL, 'Nullable(UInt64)'), toUInt64(0), toUInt64(0), toUInt64(0), toUInt8(0),
        count()
    {pending(_IMPORTED_DAYS, indent="    ")}
    GROUP BY l.provider, l.day, l.model
        )
        WINDOW w AS (PARTITION BY provider, day, model)
    ) AS u
) AS r
GROUP BY provider, day, model, service_tier"""

RECONCILIATION_VIEWS: list[View] = [
    View(
        name="reconciliation",
        title="Billed vs metered",
        description=(
            "Per provider, UTC day, model and service tier ('' standard, flex, priority, "
            "scale, batch): what the provider billed (its usage and cost "
            "reports) against what tokentrace metered, the gap (billed - metered) and its "
            "share of the bill, and the likely cause: 'unmetered' (billed, never seen), "
            "'missing calls' (billed tokens above metered, calls of unknown cost or not), 'calls "
            "without usage' (usage_missing_requests metered calls carried no token counts, and "
            "the bill counts no more calls than were metered, or none: their usage is missing, "
            "not calls; turn on stream_options.include_usage), "
            "'price or tier' (tokens match within 1 %, cost does not), 'unpriced calls', 'not "
            "billed', 'cost only' (no usage in the report, e.g. web search), 'calls not stored' "
            "(dead_lettered_requests: metered calls serve could not store, in no metered "
            "column; metered_cost a lower bound, NULL when they are all), 'matches'. Input "
            "tokens include cached ones. metered_cost leaves out the unknown_cost_requests "
            "(metered calls without a price or without usage): a lower bound, and gap an upper "
            "bound, when there are some; NULL (unknown) for both when every metered call is "
            "one. unmetered_gap: the bill less the cost of the metered calls with usage (the "
            "usage_missing_requests, seen without usage, are in it); NULL beside calls without "
            "a price. Where the bill does not split cost by tier (OpenAI's Costs API), a "
            "model's day with several tiers is also compared as one on a row of tier '*' (all "
            "tiers), and its tier rows compare tokens and calls only (billed_cost NULL)."
        ),
        format=Format.TABLE,
        source="billed_costs",
        filtered_by=RECONCILIATION_FILTERS,
        template=f"""\
{_RECONCILIATION_ROWS}
ORDER BY day DESC, abs(gap) DESC, provider, model, service_tier""",
    ),
    View(
        name="unmetered_spend",
        title="Unmetered spend",
        description=(
            "Billed spend the instrumentation never metered, per provider and model over the "
            "range: the whole bill of a model on days without any metered call of it, plus "
            "the bill less the metered calls' cost on days where billed tokens exceed metered "
            "ones ('missing calls', or 'calls without usage': the bill has the tokens of calls "
            "seen without usage, and usage_missing_requests counts them). Such a day with metered "
            "calls without a price is counted in unknown_cost_days, not summed: unmetered_cost "
            "is then a lower bound, NULL (unknown) if every day is one."
        ),
        format=Format.TABLE,
        source="billed_costs",
        filtered_by=RECONCILIATION_FILTERS,
        template=f"""\
SELECT
    provider,
    model,
    -- a gap beside metered calls without a price is not known to be unmetered spend (their
    -- cost is in it): its day is counted, not summed (a lower bound then, NULL when every
    -- such day is one of those). Calls without usage do not hide the rest: their tokens and
    -- cost are the bill's, and in the gap of the calls with usage (unmetered_gap)
    sumIf(assumeNotNull(d.billed_cost), d.cause = 'unmetered')
        + sumIf(assumeNotNull(d.unmetered_gap), d.short AND d.unmetered_gap IS NOT NULL)
        AS known_unmetered_cost,
    if(unknown_cost_days = days, NULL, known_unmetered_cost) AS unmetered_cost,
    sum(assumeNotNull(d.billed_cost)) AS billed_cost,
    toFloat64(unmetered_cost) / nullIf(toFloat64(billed_cost), 0) AS unmetered_share,
    countIf(d.cause = 'unmetered' OR d.short) AS days,
    countIf(d.short AND d.unmetered_gap IS NULL) AS unknown_cost_days,
    sumIf(d.usage_missing_requests, d.short AND d.unmetered_gap IS NOT NULL)
        AS usage_missing_requests
FROM
(
    -- the days whose billed tokens the metered calls lack: missing calls, or calls without usage
    SELECT *, cause IN ('missing calls', 'calls without usage') AND {_TOKENS_SHORT} AS short
    FROM
    (
{textwrap.indent(_RECONCILIATION_ROWS, "        ")}
    )
    -- a tier's row without its own billed cost: the model's day is on its all-tiers row
    WHERE billed_cost IS NOT NULL
) AS d
GROUP BY provider, model
HAVING known_unmetered_cost > 0 OR unknown_cost_days > 0
ORDER BY unmetered_cost DESC, provider, model""",
    ),
    View(
        name="billed_by_key",
        title="Billed usage by API key",
        description=(
            "Billed tokens per provider, project (OpenAI) or workspace (Anthropic), API key "
            "and model over the range, with the key's name and redacted value from the "
            "provider's key list: where a gap comes from when a key is not instrumented."
        ),
        format=Format.TABLE,
        source="billed_usage",
        unit="short",
        filtered_by=RECONCILIATION_FILTERS,
        template=f"""\
SELECT
    u.provider AS provider,
    u.project_id AS project_id,
    u.api_key_id AS api_key_id,
    any(k.name) AS key_name,
    any(k.redacted_value) AS redacted_value,
    u.model AS model,
    sum(u.input_tokens) AS billed_input_tokens,
    sum(u.output_tokens) AS billed_output_tokens,
    sum(u.requests) AS billed_requests
FROM billed_usage AS u
{_key_list("u")}
WHERE $__dateFilter(day)
  AND {_newest("usage", "u")}{{filters}}
GROUP BY u.provider, u.project_id, u.api_key_id, u.model
ORDER BY billed_input_tokens + billed_output_tokens DESC,
    provider, project_id, api_key_id, model""",
    ),
]

# An instrumentation fingerprint is the key's redacted form and a salted hash,
# `sk-proj-…abcd#1a2b3c4d`; a provider lists the same key as `sk-proj-...abcd` (OpenAI) or
# `sk-ant-api03-R2D...igAA` (Anthropic). They name the same key when the last four characters
# agree and one visible prefix starts with the other.
_FINGERPRINT_PREFIX = "splitByString('…', m.api_key)[1]"
_FINGERPRINT_SUFFIX = "splitByChar('#', arrayElement(splitByString('…', m.api_key), 2))[1]"

RECONCILIATION_VIEWS.append(
    View(
        name="reconciliation_by_key",
        title="Billed vs metered by API key",
        description=(
            "Per provider, API key (from the provider's key list) and model over the range: "
            "billed tokens against the tokens of metered calls whose key fingerprint matches "
            "the key's redacted value. dead_lettered_requests are the key's calls serve could "
            "not store (in no metered column); request_gap is the billed requests (OpenAI's "
            "num_model_requests; NULL where the bill counts none, as Anthropic's) less the "
            "metered and not stored ones. 'uninstrumented': billed, no call seen with that key; "
            "'partly instrumented': more requests billed than seen (request_gap > 0), or, "
            "without a billed count, billed tokens above metered; 'calls not stored': the "
            "token gap is the not stored calls' to explain first; 'calls without usage': "
            "usage_missing_requests of the metered calls carried no token counts (metered "
            "tokens a lower bound) and the bill counts no more calls than were seen, or none; "
            "'unlisted key': metered calls whose key the provider does not list; 'key not "
            "recorded': the key's billed calls could be among unkeyed_requests, the calls of its "
            "provider and model metered without a key fingerprint (other instrumentations, older "
            "releases), so they are not known to be uninstrumented; 'matches' within 1 %."
        ),
        format=Format.TABLE,
        source="billed_usage",
        unit="short",
        filtered_by=RECONCILIATION_FILTERS,
        template=f"""\
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
    sum(r.dead_lettered_requests) AS dead_lettered_requests,
    toInt64(billed_input_tokens + billed_output_tokens)
        - toInt64(metered_input_tokens + metered_output_tokens) AS token_gap,
    -- the calls the bill counts and no metered or not stored call accounts for: NULL where the
    -- bill counts no requests (Anthropic's), never 0
    toInt64(billed_requests) - toInt64(metered_requests + dead_lettered_requests) AS request_gap,
    -- the provider and model's calls metered without a key fingerprint: any billed call of the
    -- key may be one of them (same for every key of that provider and model)
    any(n.unkeyed_requests) AS unkeyed_requests,
    -- a metered call without usage has no tokens (0, not its real count) and a call not stored
    -- none either: their key's token gap is no evidence of uninstrumented calls, unless the
    -- bill counts more calls than were seen (OpenAI's request counts tell them apart); nor is a
    -- gap the unkeyed calls could fill (all of it, where the bill counts requests)
    multiIf(
        api_key_id = '', 'unlisted key',
        metered_requests + dead_lettered_requests = 0,
            if(unkeyed_requests > 0 AND ifNull(request_gap <= unkeyed_requests, 1),
               'key not recorded', 'uninstrumented'),
        ifNull(request_gap > 0, 0),
            if(unkeyed_requests > 0 AND request_gap <= unkeyed_requests,
               'key not recorded', 'partly instrumented'),
        dead_lettered_requests > 0, 'calls not stored',
        usage_missing_requests > 0, 'calls without usage',
        abs(token_gap) > {TOKEN_TOLERANCE} * (billed_input_tokens + billed_output_tokens),
            multiIf(token_gap < 0, 'more metered than billed',
                    unkeyed_requests > 0 AND request_gap IS NULL, 'key not recorded',
                    'partly instrumented'),
        'matches'
    ) AS status
FROM
(
    SELECT
        u.provider AS provider, u.api_key_id AS api_key_id, u.model AS model,
        sum(u.input_tokens) AS billed_input_tokens, sum(u.output_tokens) AS billed_output_tokens,
        sum(u.requests) AS billed_requests,
        toUInt64(0) AS metered_input_tokens, toUInt64(0) AS metered_output_tokens,
        toUInt64(0) AS metered_requests, toUInt64(0) AS usage_missing_requests,
        toUInt64(0) AS dead_lettered_requests
    FROM billed_usage AS u
    WHERE $__dateFilter(day)
      AND {_newest("usage", "u")}{{filters}}
    GROUP BY provider, api_key_id, model
    UNION ALL
    SELECT
        m.provider,
        if(
            {_FINGERPRINT_PREFIX} != ''
                AND (startsWith(k.hint_prefix, {_FINGERPRINT_PREFIX})
                     OR startsWith({_FINGERPRINT_PREFIX}, k.hint_prefix)),
            k.key_id,
            ''
        ),
        m.model,
        toUInt64(0), toUInt64(0), CAST(NULL, 'Nullable(UInt64)'),
        sum(m.input_tokens), sum(m.output_tokens), sum(m.requests),
        sum(m.usage_missing_requests), sum(m.dead_lettered_requests)
    FROM
    (
        -- summed per key before the join, so the rollup's projection without tenant answers
        SELECT
            provider, model, api_key, sum(input_tokens) AS input_tokens,
            sum(output_tokens) AS output_tokens, sum(requests) AS requests,
            sum(usage_missing_requests) AS usage_missing_requests,
            toUInt64(0) AS dead_lettered_requests
        FROM llm_cost_daily
        WHERE $__dateFilter(day)
          AND api_key != ''
          AND (provider, day) IN (
            SELECT provider, day FROM billed_imports WHERE $__dateFilter(day)
          ){{filters}}
        GROUP BY provider, model, api_key
        UNION ALL
        -- the key's calls serve could not store (the sink writes their key, migration 0027)
        SELECT l.provider, l.model, l.api_key, toUInt64(0), toUInt64(0), toUInt64(0), toUInt64(0),
            count()
        {pending(_KEYED_IMPORTED_DAYS, indent="        ")}
        GROUP BY l.provider, l.model, l.api_key
    ) AS m
    LEFT JOIN
    (
        SELECT provider, key_id, hint_prefix, hint_suffix FROM provider_api_keys FINAL
        WHERE hint_suffix != ''
    ) AS k ON k.provider = m.provider AND k.hint_suffix = {_FINGERPRINT_SUFFIX}
    GROUP BY 1, 2, 3
) AS r
{_key_list("r")}
LEFT JOIN
(
    SELECT provider, model, sum(requests) AS unkeyed_requests
    FROM llm_cost_daily
    WHERE $__dateFilter(day)
      -- IN, not = '': ClickHouse reads api_key = '' as the subcolumn api_key.size, which no
      -- projection holds (the rollup's every row would be read)
      AND api_key IN ('')
      AND (provider, day) IN (
        SELECT provider, day FROM billed_imports WHERE $__dateFilter(day)
      ){{filters}}
    GROUP BY provider, model
) AS n ON n.provider = r.provider AND n.model = r.model
GROUP BY r.provider, r.api_key_id, r.model
ORDER BY billed_input_tokens + billed_output_tokens DESC, provider, api_key_id, model""",
    )
)
