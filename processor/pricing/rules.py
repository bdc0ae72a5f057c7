"""Provider rules: rates the providers publish as a rule, where the price data has none.

genai-prices lists rates per model. Some rates are defined by a provider-wide rule instead
(batch is half price, 1-hour cache writes cost twice the input rate…), and the data lacks
them for some models. Without a rule, ``calc_price`` bills those tokens at another rate (cached
input at the full input rate, flex at standard). tokentrace applies the provider's rule, with
its source, or, when no rule applies, leaves the call unpriced with reason ``no_rate``: never
a different rate in silence.

A rule only fills a gap: a rate the data (or a correction, or the prices file) has always wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from genai_prices.types import ModelInfo, ModelPrice, Tier, TieredPrices

# Tiers that are the standard price (OpenAI answers ``default``, Anthropic ``standard``).
STANDARD_TIERS = frozenset({"", "default", "standard", "auto", "on_demand"})
BATCH_TIER = "batch"


@dataclass(frozen=True)
class Rule:
    name: str  # stored in llm_calls.price_rule
    description: str
    source: str


BATCH = Rule(
    "batch-50pct",
    "batch tier without a batch price of its own: 50% of the standard token rates (and of "
    "Mistral OCR's page rates)",
    "https://platform.openai.com/docs/guides/batch ; https://docs.claude.com/en/docs/build-with-"
    "claude/batch-processing#pricing ; https://ai.google.dev/gemini-api/docs/batch-mode ; "
    "https://docs.mistral.ai/capabilities/batch/ ; https://console.groq.com/docs/batch ; "
    "https://aws.amazon.com/bedrock/pricing/ ; https://docs.fireworks.ai/serverless/overview "
    '("Batch inference is billed at 50% of standard Serverless rates on both input and '
    'output", checked 2026-12-02) ; https://mistral.ai/news/ocr-4/ ("$4 per 1,000 pages, '
    'with a 50% Batch-API discount, reducing the cost to $2") ; https://mistral.ai/news/mistral-'
    'ocr-3 ($2, $1 in batch) ; https://mistral.ai/news/mistral-ocr ("1000 pages per dollar '
    '(approximately double with batch inference)")',
)
# Providers (genai-prices ids) that publish the 50 % batch discount on every batch model.
BATCH_PROVIDERS = frozenset(
    {"openai", "azure", "anthropic", "google", "mistral", "groq", "aws", "fireworks"}
)
# Of those, the providers whose batch discount halves per-page rates too: Mistral OCR's pages
# (and annotated pages) are its product, and every OCR release post states the batch rate at
# half (genai-prices has a batch price only for mistral-ocr-2512 and mistral-ocr-4-1, from
# 2026-10-14: before, and for the other OCR models, batch pages were billed in full).
BATCH_PAGE_PROVIDERS = frozenset({"mistral"})
PAGE_RATES = frozenset({"input_document_kpages", "input_annotated_document_kpages"})

XAI_BATCH = Rule(
    "xai-batch-20pct",
    "xAI Batch API without a batch price of its own: 20% off the standard token rates (cached "
    "input and both context tiers included); before 2026-06-14 unpriced",
    "https://docs.x.ai/developers/models/grok-4.3-latest.md and "
    'https://docs.x.ai/developers/models/grok-4.20-0309.md ("Batch API requests are billed at '
    'a 20% discount to standard rates", checked 2026-12-02) ; '
    "https://spybara.com/xai/api/history/docs/en/2026-06-14-2202..2026-06-15-2302/ (the Batch "
    "API page already sent readers to the per-model batch rates on 2026-06-14)",
)
# xAI's Batch API page once read "50% off standard pricing"; by 2026-06-14 it pointed to
# per-model rates, which read 20% off. When the discount changed is not published: batch
# calls before that date are unpriced rather than billed at either rate by guess.
XAI_BATCH_PROVIDERS = frozenset({"x-ai"})
XAI_BATCH_FROM = date(2026, 6, 14)
XAI_BATCH_FACTOR = Decimal("0.8")


OPENAI_BATCH_CACHE = Rule(
    "openai-batch-no-cache-discount",
    "OpenAI Batch API call with cache hits on a model whose Batch row has no cached-input rate "
    "(GPT-4o, GPT-4.1, o1, o3, o3-mini, o4-mini): prompt caching's discount is not available on "
    "the Batch API, so cached input is billed at the batch input rate, not at half the cached "
    "rate nor at the standard one",
    'https://platform.openai.com/docs/guides/prompt-caching (FAQ: "Discounting for Prompt '
    'Caching is not available on the Batch API") ; https://developers.openai.com/api/docs/'
    "pricing (the Batch table lists cached input for the GPT-5 family and later and the "
    'gpt-image models only; genai-prices 0.2.3 read it on 2026-10-14: "The Batch table '
    'publishes no cached-input rate")',
)


# Azure OpenAI's Global Batch with cache hits: Azure bills cached tokens "at a discount on input
# token pricing for Standard deployment types" (its prompt-caching page), Batch "at 50% less
# cost than global standard"; whether cache hits in a batch get the cache discount (OpenAI's
# own Batch API gives none for GPT-4o, GPT-4.1, o-series) is on neither page, and Azure's
# price page shows no batch cached rate where it could be read. Such a call is unpriced
# (``no_rate``), not half the cached rate by guess; a batch call without cache hits is half.
AZURE_BATCH_CACHE_UNKNOWN = frozenset({"azure"})


# Gemini batch calls with cache hits, where the data's batch row lists no cached rate (Gemini
# 2.5 Pro, Flash, Flash-Lite, 3 Flash Preview, 3.1 Pro Preview; every model without a batch
# row): cached tokens at the standard cache-hit rate, the rest at batch rates, on both
# endpoints. Vertex AI: "the discounts for cache and batch don't stack. The ... cache hit
# discount takes precedence over the batch discount"; the Gemini API: "If a request in your
# batch results in a cache hit, the cached tokens are priced the same as for non-batch API
# traffic". Not half the cache rate (the 50% rule). A batch row that lists its own cached
# rate (3.1 Flash-Lite's) applies as listed.
VERTEX_BATCH_CACHE = Rule(
    "vertex-gemini-batch-cache-precedence",
    "Gemini batch inference with cache hits (Vertex AI and the Gemini API): cache and batch "
    "discounts do not stack, cached tokens at the standard cache-hit rate, the other tokens "
    "at batch rates",
    "https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/batch-prediction-gemini "
    "(Why use batch inference: \"the discounts for cache and batch don't stack. The 90% cache "
    'hit discount takes precedence over the batch discount"; read in its ?hl=es version, which '
    "gives the earlier 75%, and as copied at https://skills.sh/viktor-ferenczi/skills/gcp-batch-"
    "inference; checked 2026-12-04) ; https://cloud.google.com/vertex-ai/generative-ai/docs/"
    "context-cache/context-cache-overview (implicit caching: a 90% discount on cached tokens) ; "
    'https://ai.google.dev/gemini-api/docs/batch-mode (Technical details, Caching: "If a '
    "request in your batch results in a cache hit, the cached tokens are priced the same as for "
    'non-batch API traffic"; last updated 2026-02-19; checked 2026-12-04)',
)
GEMINI_CACHE_READS = ("cache_read_mtok", "cache_audio_read_mtok")


def gemini_batch_cache_listed(prices: ModelPrice) -> bool:
    """Whether a batch price row (a genai-prices variant or a batch correction) lists its own
    cached-input rate, which then applies as listed (no rule fills it)."""
    return prices.cache_read_mtok is not None


def batch_cache_undiscounted(provider_id: str, model: ModelInfo, service_tier: str) -> bool:
    """Whether an OpenAI batch call's cache hits pay the batch input rate: the model's Batch
    row (genai-prices' batch variant) has an input rate and no cached-input one. A model with
    no batch row in the data keeps the 50% rule on every rate (:data:`BATCH`)."""
    if service_tier != BATCH_TIER or provider_id != "openai":
        return False
    rows = [v.prices for v in model.price_variants or () if v.when.get("processing") == "batch"]
    return bool(rows) and all(
        row.input_mtok is not None and row.cache_read_mtok is None for row in rows
    )


def rule_dates(provider_id: str, service_tier: str) -> tuple[date, ...]:
    """Dates on which a provider rule for this tier starts or stops applying: a schedule of
    the provider's prices needs a period boundary there (:func:`apply` takes the day)."""
    if service_tier == BATCH_TIER and provider_id in XAI_BATCH_PROVIDERS:
        return (XAI_BATCH_FROM,)
    return ()


FLEX = Rule(
    "openai-flex-50pct",
    "OpenAI flex processing without a flex price of its own: Batch API rates (50% of standard)",
    "https://platform.openai.com/docs/guides/flex-processing",
)
FLEX_PROVIDERS = frozenset({"openai", "azure"})

GEMINI_FLEX = Rule(
    "gemini-flex-50pct",
    "Gemini flex inference without a flex price of its own: 50% of the standard token rates",
    'https://ai.google.dev/gemini-api/docs/flex-inference ("a 50% cost reduction compared to '
    'standard rates") ; https://ai.google.dev/gemini-api/docs/optimization ("50% of standard '
    'price (billed per token)", checked 2026-12-02)',
)

GROQ_FLEX = Rule(
    "groq-flex-on-demand-rate",
    'Groq flex processing: the on-demand rates ("Pricing matches the on-demand tier")',
    "https://console.groq.com/docs/flex-processing (checked 2026-12-02)",
)
GROQ_FLEX_PROVIDERS = frozenset({"groq"})

PERPLEXITY_CONTEXT = Rule(
    "perplexity-context-no-request-fee",
    "Perplexity search context size (the tier low, medium or high) on a model without a "
    "request fee (Sonar Deep Research, the Agent API's models): the size sets only Sonar's "
    "request fee, so the standard rates apply",
    'https://docs.perplexity.ai/getting-started/pricing ("Request fee (varies by search '
    'context size, applies to Sonar, Sonar Pro, and Sonar Reasoning Pro models only)", '
    "checked 2026-12-03)",
)
PERPLEXITY_PROVIDERS = frozenset({"perplexity"})
PERPLEXITY_CONTEXT_SIZES = frozenset({"low", "medium", "high"})

PERPLEXITY_SIZE_UNKNOWN = Rule(
    "perplexity-context-size-unknown",
    "Perplexity Sonar, Sonar Pro, Sonar Reasoning and Sonar Reasoning Pro call that names no "
    "search context size (a span of another instrumentation, or an answer without "
    "usage.search_context_size): its request fee ($5 to $14 per 1,000) depends on the size, "
    "and the default size is not stated consistently, so the call is unpriced (no_rate), "
    "never billed at the high fee the price data lists",
    "https://docs.perplexity.ai/getting-started/pricing (request fee varies by search context "
    'size) ; https://docs.perplexity.ai/guides/search-context-size-guide ("Default '
    'search_context_size is low", and below it "medium: The default", checked 2026-12-03)',
)

PERPLEXITY_DEEP_RESEARCH = Rule(
    "perplexity-deep-research-needs-searches",
    "Sonar Deep Research bills its search queries ($5 per 1,000), citation tokens ($2 per "
    "million, its input rate) and reasoning tokens ($3 per million) beside input and output; "
    "tokentrace's instrumentation reads them (usage.num_search_queries, citation_tokens, "
    "reasoning_tokens). Every such call searches: a span that reports no search query "
    "(another instrumentation's, with input and output only) is unpriced (no_rate), never "
    "priced on the part of its bill it carries",
    "https://docs.perplexity.ai/getting-started/pricing (Sonar Deep Research: input $2, "
    "output $8, citation tokens $2 per million, search queries $5 per 1K, reasoning tokens $3 "
    "per million; checked 2026-12-03)",
)

FINE_TUNED_CACHE = Rule(
    "openai-ft-cached-input",
    "OpenAI fine-tuned model without a cached-input rate: the base model's cached/input ratio "
    "applied to the fine-tuned input rate (gpt-4o, gpt-4o-mini: 50%)",
    "https://platform.openai.com/docs/pricing#fine-tuning",
)

FIREWORKS_CACHE = Rule(
    "fireworks-cached-input-50pct",
    "Fireworks serverless model without a cached-input rate of its own: 50% of the input rate, "
    "Fireworks' default for text and vision models",
    'https://docs.fireworks.ai/serverless/overview ("Cached input tokens ... discounted '
    "(default 50% of input on text and vision models, unless a model lists a different cached "
    'rate)", checked 2026-12-02)',
)
FIREWORKS_CACHE_PROVIDERS = frozenset({"fireworks"})

CACHE_1H = Rule(
    "anthropic-cache-1h-2x",
    "Anthropic 1-hour cache writes without a rate of their own: 2x the base input rate "
    "(5-minute writes: 1.25x)",
    "https://docs.claude.com/en/docs/about-claude/pricing#model-pricing",
)
# Anthropic models are also served by Bedrock and Vertex AI at Anthropic's rates.
ANTHROPIC_PROVIDERS = frozenset({"anthropic", "aws", "google"})

ANTHROPIC_US = Rule(
    "anthropic-us-inference-1.1x",
    'Claude Opus 4.6 and later with US-only inference (usage.inference_geo "us"): 1.1x every '
    "token rate (input, output, cache writes and reads); earlier models keep their prices",
    "https://platform.claude.com/docs/en/about-claude/pricing#data-residency-pricing ; "
    "https://platform.claude.com/docs/en/build-with-claude/data-residency (inference_geo: "
    "Claude Opus 4.6 and all subsequent models) ; "
    'https://docs.aws.amazon.com/claude-platform/latest/userguide/data-residency.html ("US: '
    'Inference stays within US data centers. A 1.1x pricing multiplier applies.", checked '
    "2026-12-02)",
)
ANTHROPIC_US_FACTOR = Decimal("1.1")
# Claude models released before Opus 4.6, which keep one price whatever inference_geo says
# (genai-prices ids); every later model, those to come included, supports it.
_BEFORE_INFERENCE_GEO = (
    "claude-2",
    "claude-3",
    "claude-v1",
    "claude-instant",
    "claude-4-",
    "claude-opus-4-0",
    "claude-opus-4-1",
    "claude-opus-4-5",
    "claude-sonnet-4-0",
    "claude-sonnet-4-5",
    "claude-haiku-4-5",
)
_BEFORE_INFERENCE_GEO_IDS = frozenset({"claude-opus-4", "claude-sonnet-4"})

OPENAI_CACHE_WRITE = Rule(
    "openai-cache-write-input-rate",
    "OpenAI prompt caching has no write fee: cache writes cost the input rate",
    "https://platform.openai.com/docs/guides/prompt-caching",
)


# OpenAI's web search fee per search (genai-prices: $10 per 1,000 on every model that has the
# tool) holds for the web_search tool and for web_search_preview on reasoning models. On the
# non-reasoning models (GPT-4o, GPT-4.1) web_search_preview costs $25 per 1,000 with its search
# content tokens free (whether usage leaves them out is not published): the searches that
# tool ran (preview_web_searches, from the tools the response echoes) leave such a call
# unpriced (no_rate); web_search's are billed at genai-prices' $10 with the tokens. GPT-4o
# mini and GPT-4.1 mini bill each web_search call as a fixed block of 8,000 input tokens that
# usage may not show: their calls with searches are unpriced. Azure bills the tool under its
# own terms, which the data lacks: the same. The Chat Completions search models
# (gpt-4o-search-preview, gpt-5-search-api…) search on every call and report no count of
# searches: every call is unpriced.
OPENAI_SEARCH = Rule(
    "openai-web-search-fee-unknown",
    "OpenAI web searches of the web_search_preview tool on GPT-4o and GPT-4.1 ($25 per 1,000, "
    "search content tokens free), any on GPT-4o mini and GPT-4.1 mini (a fixed 8,000-token "
    "block per search), on Azure, and the Chat Completions search models (a fee per search, "
    "searches not reported; through OpenRouter too): unpriced",
    "https://platform.openai.com/docs/pricing#built-in-tools ; "
    "https://platform.openai.com/docs/guides/tools-web-search (search actions incur a tool "
    "call cost) ; https://community.openai.com/t/search-web-using-openai-api/1363698 (OpenAI "
    "staff on web_search vs web_search_preview billing, checked 2026-12-02)",
)
_SEARCH_FEE_VARIES = ("gpt-4o", "gpt-4.1")
_SEARCH_BLOCK = ("gpt-4o-mini", "gpt-4.1-mini")  # a fixed 8,000-token block per search
SEARCH_MODELS = ("-search-preview", "-search-api")
# Who sells them at OpenAI's fee per search: OpenAI, Azure, and OpenRouter, which passes
# through the underlying provider's pricing (https://openrouter.ai/docs/faq); genai-prices
# lists OpenRouter's openai/gpt-4o-search-preview and …-mini-search-preview at the token
# rates alone.
SEARCH_MODEL_SELLERS = FLEX_PROVIDERS | {"openrouter"}

# Gemini's grounding with Google Search bills a fee beyond a free allowance of the project:
# on the Gemini API's paid tier, Gemini 2.x's first 1,500 grounded prompts a day are free, then
# $35 per 1,000 grounded prompts; Gemini 3 and later's first 5,000 prompts a month, then $14
# per 1,000 search queries. Whether one call's searches fell inside the allowance depends on
# the project's other calls of the day or month, which no span says: a grounded call is
# unpriced (its tokens alone would read as its whole cost, the fee as the full rate would
# bill the free ones). A call that ran no search query bills none.
GEMINI_GROUNDING = Rule(
    "gemini-grounding-free-allowance",
    "Gemini calls grounded with Google Search (queries in groundingMetadata.webSearchQueries): "
    "the fee ($35 per 1,000 grounded prompts on Gemini 2.x past 1,500 free a day, $14 per "
    "1,000 search queries on Gemini 3 and later past 5,000 free prompts a month) depends on "
    "the project's use that day or month, not on the call: unpriced (no_rate); a prices "
    "file's 'gemini_grounding: billed' (the project is past the allowance) bills Gemini 3 "
    "and later's queries on the Gemini API at the fee",
    "https://ai.google.dev/gemini-api/docs/pricing (Grounding with Google Search, paid tier) ; "
    "https://discuss.ai.google.dev/t/rate-limits-on-requests-with-grounding/94046 (1,500 "
    "grounded prompts per day at no extra cost, then $35 per 1,000; later 5,000 queries a "
    "month, then $14 per 1,000, checked 2026-12-03) ; "
    "https://cloud.google.com/vertex-ai/generative-ai/pricing (Vertex AI: grounding billed "
    "apart from tokens)",
)

# Gemini 2.5 Flash Preview (04-17 and 05-20) billed its output at $0.60 per million with
# thinking off and $3.50 with thinking on, thinking and answer alike; genai-prices has the
# $0.60 alone. A call that reports thinking tokens had thinking on, so every output token of
# it is billed at $3.50 (a call without thinking tokens is billed at the non-thinking rate,
# the one a thinking budget of 0 gets). Standard tier only: no page states a thinking rate of
# another tier, whose thinking calls stay unpriced.
GEMINI_FLASH_PREVIEW_THINKING = Rule(
    "gemini-2.5-flash-preview-thinking",
    "Gemini 2.5 Flash Preview with thinking tokens: thinking on bills every output token, "
    "thinking and answer, at $3.50 per million, not the $0.60 of thinking off that the price "
    "data has",
    "https://ai.google.dev/gemini-api/docs/pricing (Gemini 2.5 Flash Preview: output price "
    "non-thinking $0.60, thinking $3.50, as it read in 2025) ; "
    "https://huggingface.co/philschmid (Google DeepMind's launch post of "
    'gemini-2.5-flash-preview-04-17: "$0.6 or $3.5 (thinking on) per million output tokens '
    '(thinking tokens are billed as output tokens)", checked 2026-12-03)',
)
THINKING_ON_OUTPUT_MTOK = Decimal("3.5")
# genai-prices' id, and the snapshot names its corrections price (a correction's rules see the
# name it matched).
_THINKING_PRICED_APART = frozenset(
    {"gemini-2.5-flash-preview", "gemini-2.5-flash-preview-04-17", "gemini-2.5-flash-preview-05-20"}
)

# Gemini models whose grounding fee is per grounded prompt ($35 per 1,000), not per search
# query: a prompt's fee whatever its number of queries, which a rate per query cannot bill, so
# their grounded calls stay unpriced even when the project is past the free allowance.
_GROUNDED_PER_PROMPT = ("gemini-1", "gemini-2")

VERTEX_REGIONAL = Rule(
    "vertex-claude-regional-10pct",
    "Claude Sonnet 4.5 and later on a Vertex AI regional or multi-region endpoint: 10% over "
    "the global endpoint's rates (the price data has the global rates)",
    "https://platform.claude.com/docs/en/build-with-claude/claude-on-vertex-ai (global vs "
    "regional endpoints: the global endpoint has no price premium; it applies to Claude Sonnet "
    "4.5 and future models) ; https://cloud.google.com/vertex-ai/generative-ai/pricing ; "
    "LiteLLM 1.110.2's price map (regional_endpoint_uplift_multiplier 1.1)",
)
VERTEX_REGIONAL_FACTOR = Decimal("1.1")
# Claude models older than Sonnet 4.5 keep one price on every Vertex AI endpoint (genai-prices
# ids, of Google's list and of Anthropic's it falls back to).
_VERTEX_ONE_PRICE = (
    "claude-2",
    "claude-3",
    "claude-v1",
    "claude-4-opus",
    "claude-4-sonnet",
    "claude-opus-4-0",
    "claude-opus-4-1",
    "claude-sonnet-4-0",
)


def vertex_endpoint_priced(model_id: str) -> bool:
    """Whether a Claude model's Vertex AI price depends on the endpoint (global or not)."""
    return "claude" in model_id and not model_id.startswith(_VERTEX_ONE_PRICE)


@dataclass(frozen=True)
class LongContext:
    """A long-context tier the provider publishes and the price data lacks.

    Calls above ``above`` tokens (input tokens; input plus output when ``total``) are billed
    at other rates on all their tokens. Where the provider's rate for them is not published
    where we could check it, such calls are left unpriced (``no_rate``), never billed at the
    base rate; the rule only applies while the data has no tier of its own."""

    rule: Rule
    providers: frozenset[str]  # genai-prices provider ids
    models: tuple[str, ...]  # substrings of genai-prices' model id
    above: int
    total: bool = False


BEDROCK_SONNET_4_LONG = LongContext(
    Rule(
        "bedrock-sonnet-4-long-context-unpriced",
        "Claude Sonnet 4 and 4.5 on Bedrock serve a 1M-token context; Anthropic bills "
        "prompts over 200K input tokens at long-context rates (2x input, 1.5x output), but "
        "the price data has no Bedrock rate for them: such calls are unpriced (no_rate)",
        "https://www.anthropic.com/news/1m-context ; "
        "https://platform.claude.com/docs/en/about-claude/pricing#long-context-pricing ; "
        "https://aws.amazon.com/bedrock/pricing/ (checked 2026-12-02: no long-context rate)",
    ),
    frozenset({"aws"}),
    ("claude-sonnet-4-2025", "claude-sonnet-4-5-2025"),
    200_000,
)
GROK_4_LONG = LongContext(
    Rule(
        "xai-grok-4-long-context-unpriced",
        "grok-4-0709, grok-4-fast and grok-4-1-fast cost more once a request's tokens exceed "
        "128K; xAI's rates for them are not in the price data nor on a page we could read "
        "(third parties quote $6 / $30 for Grok 4 and $0.40 / $1.00 for the fast models, and "
        "disagree on their cached rate there): such calls are unpriced (no_rate)",
        'https://openrouter.ai/x-ai/grok-4 ("pricing increases once the total tokens in a '
        'given request is greater than 128k tokens. See more details on the xAI docs"); '
        "https://docs.x.ai/docs/models (checked 2026-12-02) ; "
        "https://github.com/theopenco/llmgateway/pull/2037 (xAI's docs data: a 128K tier of "
        "grok-4, grok-4-fast and grok-4.1-fast, cached input unavailable above it) ; "
        "https://github.com/Helicone/helicone/issues/4894 (grok-4-fast at or over 128K: "
        "$0.40 / $1.00, cached $0.05; checked 2026-12-03)",
    ),
    frozenset({"x-ai"}),
    ("grok-4-0709", "grok-4-fast", "grok-4-1-fast"),
    128_000,
    total=True,
)
LONG_CONTEXT = (BEDROCK_SONNET_4_LONG, GROK_4_LONG)


@dataclass(frozen=True)
class OffPeakDays:
    """Whole days a provider bills at its off-peak rate, where the price data's time-of-day
    windows (peak hours) hold every day.

    genai-prices' windows have no calendar: it bills the peak hours on weekends and holidays
    too. On a covered day every call is priced as one at 00:00 UTC, an off-peak hour of the
    schedules this applies to."""

    rule: Rule
    providers: frozenset[str]  # genai-prices provider ids
    weekends_from: date  # Saturdays and Sundays (UTC dates) from this date on
    holidays_from: date  # the listed holidays from this date on
    holidays: frozenset[date]

    def covers(self, day: date) -> bool:
        if day >= self.weekends_from and day.weekday() >= 5:
            return True
        return day >= self.holidays_from and day in self.holidays


def _days(first: date, last: date) -> frozenset[date]:
    return frozenset(first + timedelta(days=n) for n in range((last - first).days + 1))


# DeepSeek's peak hours, 01:00-04:00 and 06:00-10:00 UTC (09:00-12:00 and 14:00-18:00 in
# Beijing, the same calendar day), are billed Monday to Friday only from 2026-08-23, and not
# on China's statutory holidays from the 2026-09-19 revision of the pricing page. Holidays:
# the State Council's 2026 schedule (later years are not published yet: add them here).
DEEPSEEK_OFF_PEAK_DAYS = OffPeakDays(
    Rule(
        "deepseek-off-peak-days",
        "DeepSeek bills weekends (from 2026-08-23) and China's statutory holidays (from "
        "2026-09-19) at the off-peak rate all day",
        "https://api-docs.deepseek.com/quick_start/pricing ; "
        "https://api-docs.deepseek.com/zh-cn/quick_start/pricing (weekdays excluding statutory "
        "holidays; checked 2026-12-02) ; "
        "https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm (2026 holidays)",
    ),
    frozenset({"deepseek"}),
    weekends_from=date(2026, 8, 23),
    holidays_from=date(2026, 9, 19),
    holidays=frozenset(
        {
            *_days(date(2026, 1, 1), date(2026, 1, 3)),
            *_days(date(2026, 2, 15), date(2026, 2, 23)),
            *_days(date(2026, 4, 4), date(2026, 4, 6)),
            *_days(date(2026, 5, 1), date(2026, 5, 5)),
            *_days(date(2026, 6, 19), date(2026, 6, 21)),
            *_days(date(2026, 9, 25), date(2026, 9, 27)),
            *_days(date(2026, 10, 1), date(2026, 10, 7)),
        }
    ),
)


def off_peak_days(provider_id: str) -> OffPeakDays | None:
    """The whole off-peak days of a provider's time-of-day prices, if it publishes some."""
    return DEEPSEEK_OFF_PEAK_DAYS if provider_id in DEEPSEEK_OFF_PEAK_DAYS.providers else None


MODALITIES = ("audio", "image", "video")
RULES = (
    BATCH,
    OPENAI_BATCH_CACHE,
    XAI_BATCH,
    VERTEX_REGIONAL,
    FLEX,
    GEMINI_FLEX,
    GROQ_FLEX,
    PERPLEXITY_CONTEXT,
    PERPLEXITY_SIZE_UNKNOWN,
    PERPLEXITY_DEEP_RESEARCH,
    FINE_TUNED_CACHE,
    FIREWORKS_CACHE,
    CACHE_1H,
    OPENAI_CACHE_WRITE,
    OPENAI_SEARCH,
    GEMINI_GROUNDING,
    GEMINI_FLASH_PREVIEW_THINKING,
    ANTHROPIC_US,
    *(long.rule for long in LONG_CONTEXT),
    DEEPSEEK_OFF_PEAK_DAYS.rule,
)
TOKEN_KEYS = ("input_mtok", "cache_read_mtok", "cache_write_mtok", "output_mtok")


@dataclass(frozen=True)
class Ruled:
    """A price after the rules: the rules applied, and the counts it still cannot price."""

    prices: ModelPrice
    rules: tuple[tuple[Rule, str], ...]  # each rule and the count it prices ("" = every call)
    no_rate: tuple[str, ...]  # usage keys that make a call unpriced when non-zero
    tier_missing: bool  # the call's tier has no price and no rule (or a fee no span counts)
    long_context: LongContext | None = None  # calls above its threshold are unpriced
    requires: tuple[str, ...] = ()  # usage keys that make a call unpriced when zero
    # (usage key, price): a call whose count is non-zero is priced at this price instead, a
    # rate that depends on a mode the call was in (Gemini 2.5 Flash Preview's thinking)
    switch: tuple[str, ModelPrice] | None = None


def apply(
    provider_id: str,
    model_id: str,
    prices: ModelPrice,
    *,
    service_tier: str,
    tier_priced: bool,
    base_prices: ModelPrice | None,
    day: date | None = None,
    inference_geo: str = "",
    grounding_billed: bool = False,
    batch_cache_undiscounted: bool = False,
    batch_cache_listed: bool = False,
) -> Ruled:
    """The rules for one resolved price.

    ``tier_priced``: the data has a price for this tier (a variant) at that date.
    ``base_prices``: for a fine-tuned model, its base model's price at that date.
    ``day``: the UTC date the price applies from (``None``: not known), for rules that
    changed over time (:func:`rule_dates`).
    ``inference_geo``: where an Anthropic call's inference ran ("" or ``global``: anywhere).
    ``grounding_billed``: the prices file says the Gemini API project pays every grounded
    call's fee (``gemini_grounding: billed``): Gemini 3 and later's searches are billed.
    ``batch_cache_undiscounted``: :func:`batch_cache_undiscounted` for the call's model.
    ``batch_cache_listed``: the batch row lists a cached rate (:data:`VERTEX_BATCH_CACHE`).
    """
    applied: list[tuple[Rule, str]] = []
    standard_cache = {key: getattr(prices, key, None) for key in GEMINI_CACHE_READS}
    no_rate: list[str] = []
    tier_missing = False
    if service_tier not in STANDARD_TIERS and not tier_priced:
        if service_tier == BATCH_TIER and provider_id in BATCH_PROVIDERS:
            pages = PAGE_RATES if provider_id in BATCH_PAGE_PROVIDERS else frozenset()
            prices, applied = scaled(prices, Decimal("0.5"), also=pages), [(BATCH, "")]
        elif (
            service_tier == BATCH_TIER
            and provider_id in XAI_BATCH_PROVIDERS
            and day is not None
            and day >= XAI_BATCH_FROM
        ):
            prices, applied = scaled(prices, XAI_BATCH_FACTOR), [(XAI_BATCH, "")]
        elif service_tier == "flex" and provider_id in FLEX_PROVIDERS:
            prices, applied = scaled(prices, Decimal("0.5")), [(FLEX, "")]
        elif service_tier == "flex" and provider_id == "google" and "gemini" in model_id:
            prices, applied = scaled(prices, Decimal("0.5")), [(GEMINI_FLEX, "")]
        elif service_tier == "flex" and provider_id in GROQ_FLEX_PROVIDERS:
            applied = [(GROQ_FLEX, "")]
        elif (
            service_tier in PERPLEXITY_CONTEXT_SIZES
            and provider_id in PERPLEXITY_PROVIDERS
            and prices.requests_kcount is None
        ):
            applied = [(PERPLEXITY_CONTEXT, "")]
        else:
            tier_missing = True
    elif (
        service_tier in STANDARD_TIERS
        and provider_id in PERPLEXITY_PROVIDERS
        and prices.requests_kcount is not None
    ):
        tier_missing = True  # PERPLEXITY_SIZE_UNKNOWN: the fee depends on a size not named
    if (
        service_tier == BATCH_TIER
        and provider_id == "google"
        and "gemini" in model_id
        and not batch_cache_listed
    ):
        prices = _with(prices, **{k: v for k, v in standard_cache.items() if v is not None})
        applied.append((VERTEX_BATCH_CACHE, "cache_read_tokens"))
    if service_tier == BATCH_TIER and provider_id in AZURE_BATCH_CACHE_UNKNOWN:
        no_rate.append("cache_read_tokens")  # AZURE_BATCH_CACHE: not published, not halved
    if batch_cache_undiscounted and None not in (prices.cache_read_mtok, prices.input_mtok):
        prices = _with(prices, cache_read_mtok=prices.input_mtok)
        applied.append((OPENAI_BATCH_CACHE, "cache_read_tokens"))
    if inference_geo not in ("", "global") and _geo_priced(provider_id, model_id):
        if inference_geo == "us":
            prices = scaled(prices, ANTHROPIC_US_FACTOR)
            applied.append((ANTHROPIC_US, ""))
        else:
            tier_missing = True  # a geography whose multiplier is not published here
    if prices.input_mtok is not None and prices.cache_read_mtok is None:
        ratio = _cache_ratio(base_prices) if _fine_tuned(provider_id, model_id) else None
        if ratio is not None:
            prices = _with(prices, cache_read_mtok=_times(prices.input_mtok, ratio))
            applied.append((FINE_TUNED_CACHE, "cache_read_tokens"))
        elif provider_id in FIREWORKS_CACHE_PROVIDERS and prices.output_mtok is not None:
            half = _times(prices.input_mtok, Decimal("0.5"))
            prices = _with(prices, cache_read_mtok=half)
            applied.append((FIREWORKS_CACHE, "cache_read_tokens"))
        else:
            no_rate.append("cache_read_tokens")
    if prices.input_mtok is not None and prices.cache_write_mtok is None:
        # With modality rates, a write rate would need one per modality (genai-prices' joins).
        if provider_id in FLEX_PROVIDERS and not any(
            getattr(prices, f"input_{modality}_mtok") is not None for modality in MODALITIES
        ):
            prices = _with(prices, cache_write_mtok=prices.input_mtok)
            applied.append((OPENAI_CACHE_WRITE, "cache_write_tokens"))
        else:
            no_rate.append("cache_write_tokens")
    if any(part in model_id for part in SEARCH_MODELS) and provider_id in SEARCH_MODEL_SELLERS:
        tier_missing = True  # a fee per search, and no count of searches
    elif provider_id in FLEX_PROVIDERS:
        if prices.web_searches_kcount is not None and (
            provider_id == "azure" or model_id.startswith(_SEARCH_BLOCK)
        ):
            no_rate.append("web_searches")
        elif prices.web_searches_kcount is not None and model_id.startswith(_SEARCH_FEE_VARIES):
            no_rate.append("preview_web_searches")
    requires: tuple[str, ...] = ()
    if provider_id in PERPLEXITY_PROVIDERS and prices.output_citation_mtok is not None:
        requires = ("web_searches",)  # PERPLEXITY_DEEP_RESEARCH: every such call searches
    if (
        provider_id == "google"
        and "gemini" in model_id
        and prices.web_searches_kcount is not None
        and not (grounding_billed and not model_id.startswith(_GROUNDED_PER_PROMPT))
    ):
        no_rate.append("web_searches")  # GEMINI_GROUNDING: a free allowance of the project
    switch = None
    if provider_id == "google" and model_id in _THINKING_PRICED_APART:
        if service_tier in STANDARD_TIERS and isinstance(prices.output_mtok, Decimal):
            thinking = _with(prices, output_mtok=THINKING_ON_OUTPUT_MTOK)
            switch = ("output_reasoning_tokens", thinking)
            applied.append((GEMINI_FLASH_PREVIEW_THINKING, "output_reasoning_tokens"))
        else:
            no_rate.append("output_reasoning_tokens")
    if prices.cache_write_1h_mtok is None and prices.cache_write_mtok is not None:
        if provider_id in ANTHROPIC_PROVIDERS and "claude" in model_id:
            prices = _with(prices, cache_write_1h_mtok=_times(prices.input_mtok, Decimal(2)))
            applied.append((CACHE_1H, "cache_write_1h_tokens"))
        else:
            no_rate.append("cache_write_1h_tokens")
    return Ruled(
        prices,
        tuple(applied),
        tuple(dict.fromkeys(no_rate)),
        tier_missing,
        _long_context(provider_id, model_id, prices),
        requires,
        switch,
    )


def geo_only(
    provider_id: str, model_id: str, prices: ModelPrice, inference_geo: str
) -> Ruled | None:
    """The inference_geo rule alone, for a price of the user's prices file (the other rules
    fill gaps of price data, which a user's entry does not have): US-only inference is "a 1.1x
    pricing multiplier" on the account's rates, so a negotiated rate, which is the rate of
    global inference, is multiplied too. ``None`` when it does not apply."""
    if inference_geo in ("", "global") or not _geo_priced(provider_id, model_id):
        return None
    if inference_geo != "us":  # a geography whose multiplier is not published here
        return Ruled(prices, (), (), True)
    return Ruled(scaled(prices, ANTHROPIC_US_FACTOR), ((ANTHROPIC_US, ""),), (), False)


def _geo_priced(provider_id: str, model_id: str) -> bool:
    """Whether a model's price depends on Anthropic's inference_geo (Opus 4.6 and later, on
    Anthropic's API: Bedrock and Vertex AI name the region in the endpoint instead)."""
    return (
        provider_id == "anthropic"
        and "claude" in model_id
        and not model_id.startswith(_BEFORE_INFERENCE_GEO)
        and model_id not in _BEFORE_INFERENCE_GEO_IDS
    )


def _long_context(provider_id: str, model_id: str, prices: ModelPrice) -> LongContext | None:
    """The long-context rule of this model, unless its price has tiers of its own."""
    if any(isinstance(rate, TieredPrices) for rate in prices.__dict__.values()):
        return None
    for long in LONG_CONTEXT:
        if provider_id in long.providers and any(m in model_id for m in long.models):
            return long
    return None


def _fine_tuned(provider_id: str, model_id: str) -> bool:
    return provider_id in FLEX_PROVIDERS and (model_id.startswith("ft:") or ".ft-" in model_id)


def base_model_ref(model_id: str) -> str:
    """``ft:gpt-4o`` → ``gpt-4o``; ``gpt-4o-mini-2024-07-18.ft-`` → ``gpt-4o-mini-2024-07-18``."""
    return model_id.removeprefix("ft:").split(".ft-")[0].rstrip("-")


def _cache_ratio(base: ModelPrice | None) -> Decimal | None:
    if base is None:
        return None
    read, inp = base.cache_read_mtok, base.input_mtok
    if not isinstance(read, Decimal) or not isinstance(inp, Decimal) or not inp:
        return None
    return read / inp


def _times(rate: Decimal | TieredPrices, factor: Decimal) -> Decimal | TieredPrices:
    if isinstance(rate, TieredPrices):
        tiers = [Tier(start=t.start, price=t.price * factor) for t in rate.tiers]
        return TieredPrices(base=rate.base * factor, tiers=tiers)
    return rate * factor


def _with(prices: ModelPrice, **changes: Decimal | TieredPrices) -> ModelPrice:
    return ModelPrice(**{**prices.__dict__, **changes})


def scaled(prices: ModelPrice, factor: Decimal, also: frozenset[str] = frozenset()) -> ModelPrice:
    """``prices`` with every token rate (tiers included) multiplied by ``factor``, and the
    rates of the other units named in ``also`` (a per-search fee is not a token rate: no
    discount halves it unless said)."""
    changed = {
        key: _times(rate, factor)
        for key, rate in prices.__dict__.items()
        if rate is not None and (key.endswith("_mtok") or key in also)
    }
    return _with(prices, **changed)
