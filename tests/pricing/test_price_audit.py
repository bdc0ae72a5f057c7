"""An audit of current models' prices: calls worked out by hand from each provider's own
published price page (checked 2026-12-02, URL on every case), sent as the spans a GenAI
instrumentation sends (OTLP wire bytes, OpenTelemetry GenAI attributes), read by the extractor
and priced as ingest prices them (``pipeline.price_call``). Every unit that applies is in play:
cache reads, 5-minute and 1-hour cache writes, reasoning, audio and image tokens, long-context
tiers, service tiers (flex, priority, batch), embeddings, time-of-day rates. A call whose rate
is not published is checked to be stored unpriced with its reason, never at $0.

Where a page was read through a dated transcription or a capture of it (the stored corpus
lacks some provider pages), the case says so. What could not be verified is listed at the
end of this docstring, not tested.

Not verified, so not asserted here:
- OpenAI priority processing on a long-context request (over 272K input): the priority page
  marks its rates "excludes long context"; the footnote was not readable. tokentrace bills the
  priority rates.
- Gemini priority ("75% to 100% more than standard"): no exact rate, so unpriced (checked
  below); whether Gemini's own responses name their tier, so that a span carries it, is open.
- Gemini's -latest aliases after the dates a first-party page gives: gemini-flash-latest from
  2026-05-19 (Gemini 3.5, 3.6, 3.7 Flash were released before 3.8; when the alias moved to
  each is not in the stored changelog) and gemini-flash-lite-latest from 2026-01-22 are
  unknown (a correction's ``unknown`` period, checked below), no longer priced as the model
  each names now (3.8 Flash, 3.5 Flash-Lite).
- Bedrock's deepseek.v3-v1:0, cohere.embed-v4:0, cohere.command-r-plus-v1:0 and
  mistral.mistral-large-2407-v1:0, and Cohere's embed-english-v3.0 direct: unpriced
  (unknown_model). aws.amazon.com/bedrock/pricing's model rows and Cohere's pricing page were
  not readable here; third-party tables disagree for Mistral Large 2407 ($2 / $6 to $4 / $12).
- Which models Cohere's ``command-r`` and ``command-r-plus`` name since the 03-2024 and 04-2024
  models were retired (2025-09-15): genai-prices prices them as the 08-2024 models; no
  first-party page read here says so or otherwise, so they are unknown from then (below).
- xAI's US regional endpoint (1.1x): the model name does not say which endpoint served it.
- Cohere, Fireworks, Together model prices other than those below: their first-party pages
  were not in the stored corpus. Mistral's are read in the source of its docs, whose last
  stored state is of 2026-08-21: whether ``mistral-large-latest`` moved to Mistral Large 4
  (preview from 2026-10-06) is not known here (unknown from that date, checked below);
  the alias's days from Medium 3.1's release (2025-08-12) to the docs' note of 2025-08-27
  are priced as Large 2. Mistral Small 4 is $0.15 / $0.60 there, as the data has it.
- Claude Opus 4.6's fast mode before 2026-02-18 (its launch discount, whose API rates no page
  states): unpriced (checked below).
- OpenAI priority before 2026-10-12 (the data's priority prices start then): unpriced.
- DALL·E 2 and 3's rates come from a transcription of openai.com/api/pricing (the page
  was not in the stored corpus; the models were shut down on 2026-05-12), checked below.
  gpt-image models bill tokens, which their answers report: priced by them (OpenAI's
  per-image figures are estimates from tokens).
  Imagen's per-image rates are from a quotation of Google's page (see corrections.yaml).
- gpt-4o-mini-tts answering audio bytes (no usage; OpenAI's "$0.015 / minute" is an estimate),
  whisper-1 answering text, srt or vtt (no usage; the duration would have to be decoded from
  the uploaded audio), tts-1 text beyond ASCII (how OpenAI counts its characters is not
  published): unknown.
- Gemini grounding with Google Search: its fee applies past a free allowance of the project
  (a day's or a month's calls), so a grounded call's cost is unknown (checked below) unless
  the prices file says the project is past it (`gemini_grounding: billed`, Gemini 3 and
  later: test_price_overrides); Vertex AI's allowance was not readable.
- Code execution containers (OpenAI code interpreter, Anthropic code execution): billed by
  container time shared across calls, so a call that ran one is unknown (checked below);
  Anthropic's is free beside web search or web fetch of version 20260209 or later, which the
  request names (test_server_tool_fees; in Message Batches, the batch's create:
  test_batches).
- Whether batch discounts a per-search fee: no first-party page says; the fee is billed in
  full and the batch discount applies to the tokens, as the pages word it.
- Voyage's embeddings (voyage-3.5 $0.06 per million…) are free for an account's first 200M
  tokens, an allowance as Gemini grounding's: priced at the list rate, not checked here.
- xAI's server-side tools (web_search, x_search $5 per 1,000 calls): xAI's answers report
  their cost (`cost_in_usd_ticks`), which is the call's; the tool calls are not counted apart.
- OpenAI web searches of web_search_preview on GPT-4o and GPT-4.1 ($25 per 1,000, its search
  content tokens free: whether usage leaves them out is not published): unpriced (below).
- gpt-4o-audio-preview-2024-10-01's audio rates (and the alias's until 2024-12-17): no
  first-party page states them; a call with audio tokens is unpriced (below).
- Claude fast mode on Vertex AI and Bedrock: Bedrock is not among fast mode's platforms
  (the fast-mode page's supportedPlatforms: the Claude API, Microsoft Foundry), Vertex AI's
  rates were not readable: unpriced (no_rate).
- Gemini 2.5's cache reads from 2025-07-06 to 2025-10-31: the day they went from a quarter
  of input to a tenth is not published (genai-prices read the quarter on 2025-07-05, the
  tenth on 2025-10-31): a call with cache hits then is unpriced (checked below).
- grok-4-fast and grok-4-1-fast over 128K tokens: xAI bills a higher tier whose rates are
  not on a first-party page read here (third parties quote $0.40 / $1.00): unpriced (below),
  until their retirement (2026-05-15 19:00 UTC), from which they bill as grok-4.3.
- Azure's Batch with cache hits: neither Azure's batch page ("50% less cost than global
  standard") nor its prompt-caching page (cache discount "for Standard deployment types")
  says what a batch call's cache hits cost: unpriced (checked below), no longer half the
  cached rate by guess. OpenAI's own: no caching discount where the Batch row has none.
- GPT-6.2 Astra ($8 / $40 as third parties quote it): its model page was not readable here;
  unpriced (unknown_model).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from ingest.otlp import extract_request, request, span

from tokentrace.processor.pipeline import price_call
from tokentrace.processor.pricing.pricer import Pricer

DEC_1 = datetime(2026, 12, 1, 12, tzinfo=UTC)  # a Tuesday, 12:00 UTC
# Before xAI retired grok-4-0709, grok-4-fast, grok-4-1-fast, grok-code-fast-1 and grok-3
# (2026-05-15 19:00 UTC; from then they bill at grok-4.3's rates): their own rates' cases.
BEFORE_XAI_RETIREMENT = datetime(2026, 3, 3, 12, tzinfo=UTC)

# Sources (each case names the one it uses).
OPENAI = "https://developers.openai.com/api/docs/pricing"
GPT_6_1 = (
    "https://developers.openai.com/api/docs/models/gpt-6.1-terra ; https://developers.openai.com/"
    "api/docs/models/gpt-6.1-sol (as https://docs.litellm.ai/blog/gpt-6-1-terra quotes them)"
)
OPENAI_PRIORITY = "https://openai.com/api-priority-processing/"
OPENAI_FLEX = "https://platform.openai.com/docs/guides/flex-processing"
OPENAI_BATCH = "https://platform.openai.com/docs/guides/batch"
OPENAI_REALTIME_MINI = "https://developers.openai.com/api/docs/models/gpt-realtime-2.1-mini"
ANTHROPIC = "https://platform.claude.com/docs/en/about-claude/pricing"
ANTHROPIC_1M = "https://www.anthropic.com/news/1m-context"
GEMINI = (
    "https://ai.google.dev/gemini-api/docs/pricing (as transcribed 2026-10-07 in "
    "https://github.com/api-evangelist/deepmind/blob/main/plans/deepmind-plans-pricing.yml)"
)
VERTEX = "https://cloud.google.com/vertex-ai/generative-ai/pricing"
XAI = "https://docs.x.ai/developers/pricing"
XAI_GROK_45 = (
    "https://docs.x.ai/developers/grok-4-5 ($2 / $6) ; https://github.com/Zoo-Code-Org/Zoo-Code/"
    "issues/866 (xAI's docs quoted: cached input $0.50)"
)
XAI_BATCH = "https://docs.x.ai/developers/models/grok-4.3-latest.md"
DEEPSEEK = "https://api-docs.deepseek.com/quick_start/pricing"
GROQ = "https://groq.com/pricing"
TOGETHER = "https://www.together.ai/pricing"
COHERE = "https://cohere.com/pricing"
COHERE_RERANK = (
    "https://cohere.com/pricing (Rerank 3.5 and Rerank 4 Fast $2.00, Rerank 4 Pro $2.50 per 1,000 "
    "searches, as https://developer.puter.com/tutorials/cohere-api-pricing/ reads it) ; "
    "https://docs.cohere.com/docs/how-does-cohere-pricing-work (a search unit: one query of up "
    "to 100 documents)"
)
AZURE = "https://azure.microsoft.com/en-us/pricing/details/cognitive-services/openai-service/"
BEDROCK = "https://aws.amazon.com/bedrock/pricing/"
AZURE_BATCH = (
    'https://learn.microsoft.com/en-us/azure/ai-foundry/openai/how-to/batch ("50% less cost '
    'than global standard") ; https://learn.microsoft.com/en-us/azure/ai-foundry/openai/how-to/'
    'prompt-caching (cached tokens "billed at a discount on input token pricing for Standard '
    'deployment types")'
)
AZURE_DEEPSEEK_R1 = (
    "https://techcommunity.microsoft.com/blog/machinelearningblog/deepseek-r1-improved-"
    "performance-higher-limits-and-transparent-pricing/4386367 (as LiteLLM's price list quotes it)"
)
AZURE_DEEPSEEK_V3 = (
    "https://techcommunity.microsoft.com/blog/machinelearningblog/announcing-deepseek-v3-on-"
    "azure-ai-foundry-and-github/4390438 (as LiteLLM's price list quotes it)"
)
OPENAI_TTS = "https://developers.openai.com/api/docs/models/tts-1"
OPENAI_TTS_HD = "https://developers.openai.com/api/docs/models/tts-1-hd"
OPENAI_WHISPER = "https://developers.openai.com/api/docs/models/whisper-1"
XAI_RETIREMENT = (
    "https://docs.x.ai/developers/migration/may-15-retirement (from 2026-05-15 12:00 PM PT the "
    'retired slugs redirect to grok-4.3 and are "billed at grok-4.3 pricing") ; '
    "https://docs.x.ai/developers/models/grok-4.3-latest.md ($1.25 / cached $0.20 / $2.50; from "
    "200K tokens $2.50 / $0.40 / $5)"
)
ANTHROPIC_SEARCH = "https://platform.claude.com/docs/en/about-claude/pricing#web-search-tool"
ANTHROPIC_GEO = (
    "https://platform.claude.com/docs/en/about-claude/pricing (Data residency pricing) ; "
    "https://docs.aws.amazon.com/claude-platform/latest/userguide/data-residency.html"
)
OPENAI_SEARCH = (
    "https://platform.openai.com/docs/pricing#built-in-tools ; "
    "https://community.openai.com/t/search-web-using-openai-api/1363698 (OpenAI staff: "
    "web_search bills search content tokens at model rates, web_search_preview on non-reasoning "
    "models does not)"
)
IMAGEN = (
    "https://ai.google.dev/gemini-api/docs/pricing ; "
    "https://cloud.google.com/vertex-ai/generative-ai/pricing (as quoted, see corrections.yaml)"
)
ANTHROPIC_FAST = "https://platform.claude.com/docs/en/build-with-claude/fast-mode"
PERPLEXITY = "https://docs.perplexity.ai/getting-started/pricing"
DALL_E = (
    "https://openai.com/api/pricing (DALL·E rows until the 2026-05-12 shutdown, as transcribed "
    "in https://github.com/kevinhermawan/Canvas/blob/main/model-info.json)"
)
OPENAI_FILE_SEARCH = (
    "https://platform.openai.com/docs/pricing#built-in-tools (File search tool call $2.50 / "
    "1k tool calls, Responses API only)"
)
OPENAI_CODE = (
    "https://platform.openai.com/docs/pricing#built-in-tools (Code Interpreter, by container "
    "memory) ; https://simoncarter.ai/posts/openai-container-sessions-now-billed-per-minute-"
    "short-sessions-get-cheaper-from-/ (per minute, 5-minute minimum, from 2026-06-02)"
)
MISTRAL_DOCS = " (read in the docs' source, github.com/mistralai/platform-docs-public)"
MISTRAL_LARGE_3 = (
    "https://docs.mistral.ai/models/mistral-large-3-25-12 (API names mistral-large-2512, "
    "mistral-large-latest)" + MISTRAL_DOCS
)
MISTRAL_MODELS = (
    "https://docs.mistral.ai/getting-started/models/ (from 2025-08-27: mistral-large-latest "
    "points to mistral-medium-2508) ; https://docs.mistral.ai/models/mistral-medium-3-1-25-08"
    + MISTRAL_DOCS
)
MISTRAL_CACHE = (
    "https://docs.mistral.ai/studio-api/conversations/advanced/prompt-caching (cached tokens "
    "at 10% of the input price)"
)
MISTRAL_DEVSTRAL = (
    "https://docs.mistral.ai/models/devstral-2-25-12 (API names devstral-2512, devstral-latest, "
    "devstral-medium-latest; $0.40 / $2; marked free until 2026-01-27) ; "
    "https://docs.mistral.ai/getting-started/changelog (2026-01-27: Devstral 2.0 moves to paid "
    "API access)" + MISTRAL_DOCS
)
MISTRAL_DEVSTRAL_SMALL = (
    "https://docs.mistral.ai/models/devstral-small-2-25-12 (API names labs-devstral-small-2512, "
    "devstral-small-latest; $0.10 / $0.30; marked free in the docs of 2026-01-23, not of "
    "2026-03-11)" + MISTRAL_DOCS
)
GEMINI_LATEST = (
    "https://ai.google.dev/gemini-api/docs/changelog (2026-01-21: gemini-pro-latest to "
    "gemini-3-pro-preview, gemini-flash-latest to gemini-3-flash-preview) ; "
    "https://developers.googleblog.com/en/continuing-to-bring-you-our-latest-models-with-an-"
    "improved-gemini-2-5-flash-and-flash-lite-release/ (2025-09-25: the Flash and Flash-Lite "
    "aliases name the 09-2025 previews)"
)
MISTRAL_OCR_BATCH = (
    "https://mistral.ai/news/ocr-4/ ; https://mistral.ai/news/mistral-ocr-3 ; "
    "https://mistral.ai/news/mistral-ocr"
)
MISTRAL_LARGE_2 = (
    "https://docs.mistral.ai/getting-started/changelog (2024-07-24 Mistral Large 2 released, "
    "2024-09-17 its price reduced; 2024-02-26 mistral-large-latest aka mistral-large-2402, "
    "2024-05-29 codestral-latest aka codestral-2405, 2025-01-13 codestral-2501, 2025-01-30 "
    "mistral-small-2501)" + MISTRAL_DOCS + " ; https://mistral.ai/technology/#pricing (Mistral "
    "Large 2 $3 / $9 until the cut, as LiteLLM's price list of 2024 quotes it)"
)
MISTRAL_NEMO = (
    "https://docs.mistral.ai/getting-started/changelog (2024-07-18 Mistral Nemo released, "
    "2024-09-17 the September release's price reductions, Mistral Small v24.09 released)"
    + MISTRAL_DOCS
    + " ; https://mistral.ai/technology/#pricing (open-mistral-nemo $0.30 / $0.30 before the "
    "cut, as LiteLLM's price list of 2024 quotes it) ; https://mistral.ai/news/september-24-"
    "release (NeMo to $0.15, Small 24.09 at $0.20 / $0.60, as third parties quote it)"
)
MISTRAL_2024_PRICING = (
    "https://docs.mistral.ai/platform/pricing/ (2024-02-23 to 2024-04-17: mistral-small-latest "
    "$2 / $6, mistral-medium-latest $2.7 / $8.1, mistral-large-latest $8 / $24)" + MISTRAL_DOCS
)
MISTRAL_RELEASES = (
    "https://docs.mistral.ai/getting-started/changelog (release days: mistral-large-2411 "
    "2024-11-18, codestral-2501 2025-01-13, codestral-2508 2025-07-30, mistral-medium-2508 "
    "2025-08-12; 2024-02-26 the -latest aliases of 24.02 and 23.12)" + MISTRAL_DOCS
)
MISTRAL_SMALL_2409 = (
    "https://docs.mistral.ai/models/mistral-small-2-0-24-09 ($0.10 / $0.30, first published "
    "2025-10-20)" + MISTRAL_DOCS
)
MISTRAL_MEDIUM_3_5 = (
    "https://docs.mistral.ai/models/mistral-medium-3-5-26-04 (released 2026-04-28, API names "
    "mistral-medium-3-5, mistral-medium-3)" + MISTRAL_DOCS
)
FIREWORKS = "https://fireworks.ai/pricing (models 4B-16B parameters: $0.20 per 1M tokens)"
GEMINI_COMPUTER_USE = (
    "https://ai.google.dev/gemini-api/docs/pricing (Gemini 2.5 Computer Use Preview: $1.25 / $10 "
    "up to 200K prompt tokens, $2.50 / $15 above, no context caching)"
)
DEEPSEEK_V3_OFFER = (
    "https://api-docs.deepseek.com/quick_start/pricing (as it read on 2025-02-09, mirrored at "
    "https://apifox.com/apidoc/docs-site/5435161/: the DeepSeek-V3 discount until 2025-02-08 "
    "24:00 Beijing time, then the original prices) ; LiteLLM's price list of 2024 (deepseek-chat "
    "$0.14 / hit $0.014 / $0.28, DeepSeek-V2.5) ; https://unpkg.com/@lobehub/chat@1.94.11/src/"
    "config/modelProviders/deepseek.ts (the offer at V2.5's CNY 1 / 0.1 / 2; R1 from 2025-01-20)"
)
GEMINI_2_5_CACHE = (
    "https://ai.google.dev/gemini-api/docs/pricing (Gemini 2.5 Pro context caching $0.31 / "
    "$0.625, 2.5 Flash $0.075 / $0.25 audio at GA, now $0.125 / $0.25 and $0.03 / $0.10) ; "
    "https://github.com/pydantic/genai-prices commits 90608773 (read 2025-07-05) and 5de9400a "
    "(read 2025-10-31): the day between is not published"
)
VOYAGE = "https://docs.voyageai.com/docs/pricing (voyage-3.5 $0.06, voyage-3-large $0.18)"
DEEPSEEK_V4 = (
    "https://api-docs.deepseek.com/quick_start/pricing (deepseek-v4-flash before 2026-08-16: "
    "$0.14 miss, $0.0028 hit from 2026-04-26, $0.28 output)"
)

FABLE_5_2 = (
    "https://platform.claude.com/docs/en/models/fable-5-2/overview (released 2026-11-09; $8 / "
    "$40, cache reads $0.20, 5-minute writes $10, 1-hour $16, as https://github.com/archid21/"
    "rightsize/releases/tag/v0.10.2 reads the pricing page's Fable 5.2 row)"
)
OPUS_5 = (
    "https://platform.claude.com/docs/about-claude/models/whats-new-opus-5 ($5 / $25, 5m cache "
    "writes $6.25, 1h $10, cache reads $0.50; Batch API 50% on input and output)"
)
OPENAI_BATCH_CACHE = (
    'https://platform.openai.com/docs/guides/prompt-caching (FAQ: "Discounting for Prompt '
    'Caching is not available on the Batch API") ; ' + OPENAI + " (Batch table: no cached-input "
    "rate for gpt-4o, gpt-4.1, o3; $0.0625 for gpt-5)"
)
BATCH = {"openai.response.service_tier": "batch"}  # a batch call's tier, as a span carries it
GROQ_WHISPER = "https://console.groq.com/docs/speech-text (whisper-large-v3: cost per hour $0.111)"
HAIKU_5_5 = (
    "https://platform.claude.com/docs/en/models/haiku-5-5/overview (prompts up to / over 100,000 "
    "tokens: input $0.10 / $0.50, output $0.50 / $2.50, 5m cache writes $0.125 / $0.625, cache "
    "reads $0.01 / $0.05; Bedrock id anthropic.claude-haiku-5-5)"
)
OPUS_5_5 = (
    "https://platform.claude.com/docs/en/models/opus-5-5/overview ($4 / $20, 5m cache writes $5, "
    "1h $8, cache reads $0.20; Batch API 50% on input and output)"
)
SONNET_5_5 = "https://platform.claude.com/docs/en/models/sonnet-5-5/overview ($2 / $10, 1M context)"
BEDROCK_PROFILES = (
    "https://platform.claude.com/docs/en/api/claude-on-amazon-bedrock (profiles global, us, eu, "
    "jp, apac) ; " + "https://aws.amazon.com/bedrock/pricing/ (regional 10% over global)"
)
VERTEX_REGIONAL = (
    "https://platform.claude.com/docs/en/build-with-claude/claude-on-vertex-ai (regional "
    "endpoints 10% over the global endpoint, Claude Sonnet 4.5 and later)"
)
OPENAI_AUDIO = (
    "https://developers.openai.com/api/docs/models/gpt-4o-audio-preview (text $2.50 / $10, audio "
    "$40 / $80; no audio rate of the 2024-10-01 snapshot)"
)
REALTIME_LAUNCH = (
    "https://openai.com/index/introducing-the-realtime-api/ (gpt-4o-realtime-preview-2024-10-01: "
    "text $5 / $20, audio $100 / $200)"
)
GEMINI_BATCH = GEMINI + " ; https://ai.google.dev/gemini-api/docs/batch-mode"
VERTEX_BATCH_CACHE = (
    "https://cloud.google.com/vertex-ai/generative-ai/docs/multimodal/batch-prediction-gemini "
    "(\"the discounts for cache and batch don't stack. The 90% cache hit discount takes "
    'precedence over the batch discount") ; https://ai.google.dev/gemini-api/docs/batch-mode '
    '("If a request in your batch results in a cache hit, the cached tokens are priced the same '
    'as for non-batch API traffic") ; ' + GEMINI_BATCH
)
FLASH_PREVIEW = (
    "https://ai.google.dev/gemini-api/docs/pricing (Gemini 2.5 Flash Preview, as it read in 2025: "
    "input $0.15, output non-thinking $0.60, thinking $3.50) ; https://huggingface.co/philschmid "
    "(Google's launch post: $0.6 or $3.5 thinking on, thinking tokens billed as output tokens)"
)

FLASH_PREVIEW_CACHE = (
    "https://ai.google.dev/gemini-api/docs/pricing (Gemini 2.5 Flash Preview, as it read in 2025: "
    "context caching $0.0375 text / image / video; as transcribed in Cline's model list, "
    "https://github.com/cline/cline, cacheReadsPrice 0.0375)"
)
FLASH_LITE_GA = (
    "https://developers.googleblog.com/en/gemini-2-5-flash-lite-is-now-stable-and-generally-"
    "available/ (2025-07-22: audio input cut by 40% from the preview launch, to $0.30: the "
    "preview's $0.50)"
)
GPT_4O_ALIAS = (
    "https://platform.openai.com/docs/models/gpt-4o (gpt-4o-2024-05-13 $5 / $15, "
    "gpt-4o-2024-08-06 $2.50 / $10) ; OpenAI's notice to API users of 2024-09: \"On Wednesday, "
    'October 2nd, the default version of GPT-4o will be updated to ... gpt-4o-2024-08-06" '
    "(quoted in https://github.com/ogkalu2/comic-translate/issues/138)"
)

O3_LAUNCH = (
    "https://openai.com/index/introducing-o3-and-o4-mini/ ; https://platform.openai.com/docs/"
    "pricing (o3 until 2025-06-10: $10, cached $2.50, $40) ; https://platform.openai.com/docs/"
    "changelog (2025-06-10: 80% off, $2 / $0.50 / $8)"
)
GEMINI_1_5_LAUNCH = (
    "https://developers.googleblog.com/en/gemini-15-pro-and-15-flash-now-available/ ; "
    "https://developers.googleblog.com/en/gemini-15-flash-updates-google-ai-studio-gemini-api/ "
    "(Flash's cut from 2024-08-12) ; https://developers.googleblog.com/en/updated-production-"
    "ready-gemini-models-reduced-15-pro-pricing-increased-rate-limits-and-more/ (Pro's from "
    "2024-10-01)"
)

O1_MINI_LAUNCH = (
    "https://openai.com/api/pricing (o1-mini until 2025-01-31: $3, cached $1.50, $12) ; "
    "https://github.com/RooCodeInc/Roo-Code/pull/711 (cut to $1.10 / $4.40 with o3-mini's "
    "release, 2025-01-31)"
)

HAIKU_3_5_LAUNCH = (
    "https://claude.com/blog/trainium2-and-distillation (2024-12-03: Claude 3.5 Haiku lowered to "
    "$0.80 / $4) ; https://github.com/simonw/llm-claude-3/issues/23 (launch, 2024-11-04: $1 / $5)"
)

GEMINI_2_5_PRO_PREVIEW = (
    "https://ai.google.dev/gemini-api/docs/pricing (Gemini 2.5 Pro Preview, as it read in 2025: "
    "$1.25 / $10, cached $0.31, over 200K $2.50 / $15, cached $0.625; as transcribed in Cline's "
    "model list, https://github.com/cline/cline)"
)

GPT_35_ALIAS = (
    "https://openai.com/index/introducing-chatgpt-and-whisper-apis/ ($0.002 per 1K) ; "
    "https://openai.com/index/function-calling-and-other-api-updates/ (from 2023-06-13 $0.0015 / "
    "$0.002) ; https://openai.com/index/new-embedding-models-and-api-updates/ (the move to 0125)"
)


@dataclass(frozen=True)
class Case:
    """One call: who answered, its usage as span attributes, and its cost by hand (a decimal
    string), or the reason it is unpriced."""

    id: str
    provider: str  # gen_ai.provider.name as the instrumentation sends it
    model: str
    usage: dict[str, Any]
    cost: str | None
    source: str
    at: datetime = DEC_1
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def usage(
    inp: int,
    out: int = 0,
    read: int = 0,
    write: int = 0,
    *,
    write_1h: int = 0,
    reasoning: int = 0,
    audio_in: int = 0,
    audio_read: int = 0,
    audio_out: int = 0,
    image_in: int = 0,
    image_out: int = 0,
    tier: str = "",
) -> dict[str, Any]:
    """GenAI semantic-convention usage attributes (input includes cache reads and writes)."""
    attrs = {
        "gen_ai.usage.input_tokens": inp,
        "gen_ai.usage.output_tokens": out,
        "gen_ai.usage.cache_read.input_tokens": read,
        "gen_ai.usage.cache_creation.input_tokens": write,
        "gen_ai.usage.cache_creation.ephemeral_1h.input_tokens": write_1h,
        "gen_ai.usage.reasoning.output_tokens": reasoning,
        "gen_ai.usage.audio.input_tokens": audio_in,
        "gen_ai.usage.audio.cache_read.input_tokens": audio_read,
        "gen_ai.usage.audio.output_tokens": audio_out,
        "gen_ai.usage.image.input_tokens": image_in,
        "gen_ai.usage.image.output_tokens": image_out,
        "openai.response.service_tier": tier,
    }
    return {key: value for key, value in attrs.items() if value}


def metered(
    characters: int = 0,
    seconds: int = 0,
    searches: int = 0,
    pages: int = 0,
    annotated: int = 0,
    preview: int = 0,
    images: int = 0,
    files: int = 0,
    code: int = 0,
    rerank: int = 0,
    **tokens: int,
) -> dict[str, Any]:
    """Usage billed in other units, as the instrumentation reports it
    (``tokentrace.usage.<unit>``), beside any token counts (``usage``'s arguments)."""
    attrs = {
        "tokentrace.usage.input_characters": characters,
        "tokentrace.usage.input_audio_seconds": seconds,
        "tokentrace.usage.web_searches": searches,
        "tokentrace.usage.input_document_pages": pages,
        "tokentrace.usage.input_annotated_document_pages": annotated,
        "tokentrace.usage.preview_web_searches": preview,
        "tokentrace.usage.output_images": images,
        "tokentrace.usage.storage_searches": files,
        "tokentrace.usage.code_executions": code,
        "tokentrace.usage.rerank_searches": rerank,
    }
    return {**(usage(**tokens) if tokens else {}), **{k: v for k, v in attrs.items() if v}}


CASES = [
    # ------------------------------------------------------------------ OpenAI
    # GPT-5.5 $5 / cached $0.50 / $30: 60,000 x 5 + 40,000 x 0.5 + 10,000 x 30.
    Case("gpt-5.5 cache hits", "openai", "gpt-5.5", usage(100_000, 10_000, 40_000), "0.62", OPENAI),
    # Over 272K input: 2x input and cached, 1.5x output on every token ($10 / $1 / $45):
    # 200,000 x 10 + 100,000 x 1 + 10,000 x 45 = 2 + 0.1 + 0.45.
    Case(
        "gpt-5.5 long context", "openai", "gpt-5.5", usage(300_000, 10_000, 100_000), "2.55", OPENAI
    ),
    # At 272,000 exactly, the base rates: 272,000 x 5 + 1,000 x 30.
    Case("gpt-5.5 at 272K", "openai", "gpt-5.5", usage(272_000, 1_000), "1.39", OPENAI),
    # Priority $12.50 / $1.25 / $75: 60,000 x 12.5 + 40,000 x 1.25 + 10,000 x 75.
    Case(
        "gpt-5.5 priority",
        "openai",
        "gpt-5.5",
        usage(100_000, 10_000, 40_000, tier="priority"),
        "1.55",
        OPENAI_PRIORITY,
    ),
    # Flex: Batch API rates, half of standard: 0.62 / 2.
    Case(
        "gpt-5.5 flex",
        "openai",
        "gpt-5.5",
        usage(100_000, 10_000, 40_000, tier="flex"),
        "0.31",
        OPENAI_FLEX,
    ),
    # Priority: GPT-5.4 $5 / $30; GPT-5.4 mini $1.50 / $9; GPT-5 $2.50 / $20;
    # GPT-5 mini $0.45 / $3.60; GPT-5.2 $3.50 / $28 (100,000 input, 10,000 output).
    Case(
        "gpt-5.4 priority",
        "openai",
        "gpt-5.4",
        usage(100_000, 10_000, tier="priority"),
        "0.8",
        OPENAI_PRIORITY,
    ),
    Case(
        "gpt-5.4-mini priority",
        "openai",
        "gpt-5.4-mini",
        usage(100_000, 10_000, tier="priority"),
        "0.24",
        OPENAI_PRIORITY,
    ),
    Case(
        "gpt-5 priority",
        "openai",
        "gpt-5",
        usage(100_000, 10_000, tier="priority"),
        "0.45",
        OPENAI_PRIORITY,
    ),
    Case(
        "gpt-5-mini priority",
        "openai",
        "gpt-5-mini",
        usage(100_000, 10_000, tier="priority"),
        "0.081",
        OPENAI_PRIORITY,
    ),
    Case(
        "gpt-5.2 priority",
        "openai",
        "gpt-5.2",
        usage(100_000, 10_000, tier="priority"),
        "0.63",
        OPENAI_PRIORITY,
    ),
    # GPT-4.1 priority $3.50 / cached $0.875 / $14: 60,000 x 3.5 + 40,000 x 0.875 + 10,000 x 14.
    Case(
        "gpt-4.1 priority cache hits",
        "openai",
        "gpt-4.1",
        usage(100_000, 10_000, 40_000, tier="priority"),
        "0.385",
        OPENAI_PRIORITY,
    ),
    # GPT-5.2 $1.75 / $14, batch half: 100,000 x 0.875 + 10,000 x 7.
    Case(
        "gpt-5.2 batch",
        "openai",
        "gpt-5.2",
        usage(100_000, 10_000, tier="batch"),
        "0.1575",
        OPENAI_BATCH,
    ),
    # GPT-6.1 Terra $1 / cached $0.05 / 30-minute cache writes $1.25 / $5: 60,000 x 1 +
    # 40,000 x 0.05 + 10,000 x 5 = 0.112; over 272K input 2x input and cached, 1.5x output:
    # 200,000 x 2 + 100,000 x 0.1 + 10,000 x 7.5 = 0.485; 20,000 written: 80,000 x 1 +
    # 20,000 x 1.25 + 10,000 x 5 = 0.155; flex half: 0.056. GPT-6.1 Sol $2 / $0.10 / $10,
    # fast (priority) 2x: 2 x (60,000 x 2 + 40,000 x 0.1 + 10,000 x 10) = 0.448.
    Case(
        "gpt-6.1-terra cache hits",
        "openai",
        "gpt-6.1-terra",
        usage(100_000, 10_000, 40_000),
        "0.112",
        GPT_6_1,
    ),
    Case(
        "gpt-6.1-terra long context",
        "openai",
        "gpt-6.1-terra",
        usage(300_000, 10_000, 100_000),
        "0.485",
        GPT_6_1,
    ),
    Case(
        "gpt-6.1-terra cache writes",
        "openai",
        "gpt-6.1-terra",
        usage(100_000, 10_000, write=20_000),
        "0.155",
        GPT_6_1,
    ),
    Case(
        "gpt-6.1-terra flex",
        "openai",
        "gpt-6.1-terra",
        usage(100_000, 10_000, 40_000, tier="flex"),
        "0.056",
        GPT_6_1,
    ),
    Case(
        "gpt-6.1-sol priority",
        "openai",
        "gpt-6.1-sol",
        usage(100_000, 10_000, 40_000, tier="priority"),
        "0.448",
        GPT_6_1,
    ),
    # GPT-5 mini $0.25 / $2, reasoning billed as output: 100,000 x 0.25 + 10,000 x 2.
    Case(
        "gpt-5-mini reasoning",
        "openai",
        "gpt-5-mini",
        usage(100_000, 10_000, reasoning=8_000),
        "0.045",
        OPENAI,
    ),
    # Embeddings: text-embedding-3-small $0.02, -large $0.13 per million.
    Case(
        "text-embedding-3-small",
        "openai",
        "text-embedding-3-small",
        usage(100_000),
        "0.002",
        OPENAI,
        extra={"gen_ai.operation.name": "embeddings"},
    ),
    Case(
        "text-embedding-3-large",
        "openai",
        "text-embedding-3-large",
        usage(100_000),
        "0.013",
        OPENAI,
        extra={"gen_ai.operation.name": "embeddings"},
    ),
    # GPT-Realtime mini, the same rates as GPT-Realtime-2.1 mini: text $0.60 / $2.40, audio
    # $10 / $20, image input $0.80. 10,000 input: 6,000 audio, 1,000 image, 3,000 text;
    # 4,000 output: 3,000 audio, 1,000 text. 0.06 + 0.0008 + 0.0018 + 0.06 + 0.0024.
    Case(
        "gpt-realtime-mini audio and image",
        "openai",
        "gpt-realtime-mini",
        usage(10_000, 4_000, audio_in=6_000, image_in=1_000, audio_out=3_000),
        "0.125",
        OPENAI_REALTIME_MINI,
    ),
    # GPT-6 Sol $2 / cached $0.20 / cache writes $2.50 / $10. 100,000 input: 30,000 cached,
    # 20,000 written, 50,000 uncached. 50,000 x 2 + 30,000 x 0.2 + 20,000 x 2.5 + 10,000 x 10.
    Case(
        "gpt-6-sol cache reads and writes",
        "openai",
        "gpt-6-sol",
        usage(100_000, 10_000, 30_000, 20_000),
        "0.256",
        "https://developers.openai.com/api/docs/models/gpt-6-sol.md",
    ),
    # Over 272K input, 2x input and 1.5x output on the whole request: 300,000 x 4 + 10,000 x 15.
    Case(
        "gpt-6-sol long context",
        "openai",
        "gpt-6-sol",
        usage(300_000, 10_000),
        "1.35",
        "https://developers.openai.com/api/docs/models/gpt-6-sol.md",
    ),
    # GPT-6.2 Sol: cached $0.10, otherwise as GPT-6 Sol: 0.256 - 30,000 x 0.1.
    Case(
        "gpt-6.2-sol cache reads and writes",
        "openai",
        "gpt-6.2-sol",
        usage(100_000, 10_000, 30_000, 20_000),
        "0.253",
        "https://developers.openai.com/api/docs/models/gpt-6.2-sol.md",
    ),
    # "Batch costs 50% of Standard rates": 100,000 x 1 + 10,000 x 5.
    Case(
        "gpt-6.2-sol batch",
        "openai",
        "gpt-6.2-sol",
        usage(100_000, 10_000, tier="batch"),
        "0.15",
        "https://developers.openai.com/api/docs/models/gpt-6.2-sol.md",
    ),
    # Unknown model: stored unpriced, never $0.
    Case(
        "unknown openai model",
        "openai",
        "gpt-no-such-model",
        usage(1_000, 100),
        None,
        OPENAI,
        reason="unknown_model",
    ),
    # ------------------------------------------------------------------ Anthropic
    # Claude Opus 5.5 $4 / 5m write $5 / 1h write $8 / hit $0.20 / $20. 100,000 input: 40,000
    # hits, 20,000 writes (5,000 of them 1-hour), 40,000 uncached.
    # 40,000 x 4 + 40,000 x 0.2 + 15,000 x 5 + 5,000 x 8 + 10,000 x 20.
    Case(
        "claude-opus-5-5 5m and 1h writes",
        "anthropic",
        "claude-opus-5-5",
        usage(100_000, 10_000, 40_000, 20_000, write_1h=5_000),
        "0.483",
        ANTHROPIC
        + " ; https://platform.claude.com/docs/en/models/opus-5/overview (Opus 5.5 $4 / $20)",
    ),
    # Claude Haiku 4.5 $1 / 1h write $2 / hit $0.10 / $5, all writes 1-hour:
    # 40,000 x 1 + 40,000 x 0.1 + 20,000 x 2 + 10,000 x 5.
    Case(
        "claude-haiku-4-5 1h writes",
        "anthropic",
        "claude-haiku-4-5-20251001",
        usage(100_000, 10_000, 40_000, 20_000, write_1h=20_000),
        "0.134",
        ANTHROPIC,
    ),
    # Claude Haiku 3.5 $0.80 / 5m $1 / 1h $1.60 / $4: 80,000 x 0.8 + 10,000 x 1 + 10,000 x 1.6
    # + 10,000 x 4.
    Case(
        "claude-3-5-haiku 5m and 1h writes",
        "anthropic",
        "claude-3-5-haiku-20241022",
        usage(100_000, 10_000, 0, 20_000, write_1h=10_000),
        "0.13",
        ANTHROPIC,
    ),
    # Claude Opus 4.1 $15 / 1h $30 / $75: 70,000 x 15 + 30,000 x 30 + 10,000 x 75.
    Case(
        "claude-opus-4-1 1h writes",
        "anthropic",
        "claude-opus-4-1-20250805",
        usage(100_000, 10_000, 0, 30_000, write_1h=30_000),
        "2.7",
        ANTHROPIC,
    ),
    # Claude Mythos 5.1 $10 / hit $0.25 / $50: 60,000 x 10 + 40,000 x 0.25 + 10,000 x 50.
    Case(
        "claude-mythos-5-1",
        "anthropic",
        "claude-mythos-5-1",
        usage(100_000, 10_000, 40_000),
        "1.11",
        ANTHROPIC,
    ),
    # Claude Sonnet 5 $2 / hit $0.20 / $10, batch 50%: 60,000 x 1 + 40,000 x 0.1 + 10,000 x 5.
    Case(
        "claude-sonnet-5 batch",
        "anthropic",
        "claude-sonnet-5",
        usage(100_000, 10_000, 40_000, tier="batch"),
        "0.114",
        "https://platform.claude.com/docs/en/models/sonnet-5/overview",
    ),
    # Claude Sonnet 4 over 200K input (reads and writes count): every token at $6 / 5m $7.50
    # / 1h $12 / hit $0.60 / $22.50: 150,000 x 6 + 50,000 x 0.6 + 30,000 x 7.5 + 20,000 x 12
    # + 10,000 x 22.5.
    Case(
        "claude-sonnet-4 long context",
        "anthropic",
        "claude-sonnet-4-20250514",
        usage(250_000, 10_000, 50_000, 50_000, write_1h=20_000),
        "1.62",
        ANTHROPIC_1M,
    ),
    # Claude Sonnet 4.6 and Opus 4.6 have billed a 1M context at the standard rates since
    # 2026-03-13: 250,000 x 3 + 10,000 x 15; Opus 250,000 x 5 + 10,000 x 25.
    Case(
        "claude-sonnet-4-6 250K",
        "anthropic",
        "claude-sonnet-4-6",
        usage(250_000, 10_000),
        "0.9",
        "https://platform.claude.com/docs/en/models/sonnet-4-6/overview ($3 / $15, 1M context) ; "
        "https://www.claudecodecamp.com/p/claude-code-1m-context-window (premium removed "
        "2026-03-13)",
    ),
    Case(
        "claude-opus-4-6 250K",
        "anthropic",
        "claude-opus-4-6",
        usage(250_000, 10_000),
        "1.5",
        "https://platform.claude.com/docs/en/models/opus-4-6/overview ($5 / $25, 1M context)",
    ),
    # Before that, over 200K: $10 / $37.50: 250,000 x 10 + 10,000 x 37.5.
    Case(
        "claude-opus-4-6 250K before 2026-03-13",
        "anthropic",
        "claude-opus-4-6",
        usage(250_000, 10_000),
        "2.875",
        ANTHROPIC + "#long-context-pricing",
        at=datetime(2026, 2, 20, 12, tzinfo=UTC),
    ),
    # ------------------------------------------------------------------ Google Gemini
    # Gemini 2.5 Flash $0.30 text, $1.00 audio, $2.50 output (thinking included): 70,000 x 0.3
    # + 30,000 x 1 + 10,000 x 2.5.
    Case(
        "gemini-2.5-flash audio and thinking",
        "gcp.gemini",
        "gemini-2.5-flash",
        usage(100_000, 10_000, audio_in=30_000, reasoning=6_000),
        "0.076",
        GEMINI,
    ),
    # Context cache hits $0.03 text, $0.10 audio: 100,000 input with 30,000 audio; 40,000 hits,
    # 10,000 of them audio. 40,000 x 0.3 + 20,000 x 1 + 30,000 x 0.03 + 10,000 x 0.1
    # + 10,000 x 2.5.
    Case(
        "gemini-2.5-flash cached audio",
        "gcp.gemini",
        "gemini-2.5-flash",
        usage(100_000, 10_000, 40_000, audio_in=30_000, audio_read=10_000),
        "0.0589",
        GEMINI,
    ),
    # Gemini flex: "a 50% cost reduction compared to standard rates": 100,000 x 0.15 +
    # 10,000 x 1.25. Priority costs "75% to 100% more": no exact rate, unpriced.
    Case(
        "gemini-2.5-flash flex",
        "gcp.gemini",
        "gemini-2.5-flash",
        usage(100_000, 10_000, tier="flex"),
        "0.0275",
        "https://ai.google.dev/gemini-api/docs/flex-inference",
    ),
    Case(
        "gemini-2.5-flash priority",
        "gcp.gemini",
        "gemini-2.5-flash",
        usage(100_000, 10_000, tier="priority"),
        None,
        "https://ai.google.dev/gemini-api/docs/optimization",
        reason="no_rate",
    ),
    # The -latest aliases priced as the model they named that day (genai-prices priced each
    # as today's: gemini-flash-latest Gemini 3.8 Flash $0.75 / $3.75, cached $0.075;
    # gemini-flash-lite-latest 3.5 Flash-Lite $0.30 / $2.50; gemini-pro-latest 3.1 Pro
    # Preview $2 / $12, over 200k $4 / $18). On 2025-11-03 gemini-flash-latest was 2.5 Flash
    # (09-2025 preview): 100,000 x 0.3 + 10,000 x 2.5 (was 0.1125).
    Case(
        "gemini-flash-latest as 2.5 flash",
        "gcp.gemini",
        "gemini-flash-latest",
        usage(100_000, 10_000),
        "0.055",
        GEMINI_LATEST + " ; " + GEMINI,
        at=datetime(2025, 11, 3, 12, tzinfo=UTC),
    ),
    # From 2026-01-21 it was Gemini 3 Flash Preview, $0.50 / $3, cached $0.05: 60,000 x 0.5
    # + 40,000 x 0.05 + 10,000 x 3 (was 0.0855).
    Case(
        "gemini-flash-latest as 3 flash preview cache hits",
        "gcp.gemini",
        "gemini-flash-latest",
        usage(100_000, 10_000, 40_000),
        "0.062",
        GEMINI_LATEST + " ; " + GEMINI,
        at=datetime(2026, 3, 2, 12, tzinfo=UTC),
    ),
    # gemini-flash-lite-latest on 2025-11-03: 2.5 Flash-Lite (09-2025 preview), $0.10 / $0.40:
    # 100,000 x 0.1 + 10,000 x 0.4 (was 0.055).
    Case(
        "gemini-flash-lite-latest as 2.5 flash-lite",
        "gcp.gemini",
        "gemini-flash-lite-latest",
        usage(100_000, 10_000),
        "0.014",
        GEMINI_LATEST + " ; " + GEMINI,
        at=datetime(2025, 11, 3, 12, tzinfo=UTC),
    ),
    # From Gemini 3.5 Flash's release (2026-05-19) which Flash model gemini-flash-latest names
    # is not published in a source read here (3.5 Flash $1.50 / $9, later Flash models $0.75
    # / $3.75), nor which Flash-Lite model gemini-flash-lite-latest names after 2026-01-21
    # (2.5 $0.10 / $0.40 … 3.5 $0.30 / $2.50): unknown (a correction's unknown period), not
    # the newest model's price. Were 0.1125 (3.8 Flash) and 0.055 (3.5 Flash-Lite).
    Case(
        "gemini-flash-latest after 3.5 flash's release",
        "gcp.gemini",
        "gemini-flash-latest",
        usage(100_000, 10_000),
        None,
        GEMINI_LATEST,
        at=datetime(2026, 6, 1, 12, tzinfo=UTC),
        reason="no_rate",
    ),
    Case(
        "gemini-flash-lite-latest now",
        "gcp.gemini",
        "gemini-flash-lite-latest",
        usage(100_000, 10_000),
        None,
        GEMINI_LATEST,
        reason="no_rate",
    ),
    # gemini-pro-latest before 2026-01-21: Gemini 2.5 Pro, $1.25 / $10, and $2.50 / $15 on all
    # tokens of a prompt over 200,000: 100,000 x 1.25 + 10,000 x 10 (was 0.32);
    # 250,000 x 2.5 + 10,000 x 15 (was 1.18).
    Case(
        "gemini-pro-latest as 2.5 pro",
        "gcp.gemini",
        "gemini-pro-latest",
        usage(100_000, 10_000),
        "0.225",
        GEMINI_LATEST + " ; " + GEMINI,
        at=datetime(2025, 11, 3, 12, tzinfo=UTC),
    ),
    Case(
        "gemini-pro-latest as 2.5 pro long context",
        "gcp.gemini",
        "gemini-pro-latest",
        usage(250_000, 10_000),
        "0.775",
        GEMINI_LATEST + " ; " + GEMINI,
        at=datetime(2025, 11, 3, 12, tzinfo=UTC),
    ),
    # Gemini 2.5 Flash-Lite $0.10 / $0.40.
    Case(
        "gemini-2.5-flash-lite",
        "gcp.gemini",
        "gemini-2.5-flash-lite",
        usage(100_000, 10_000),
        "0.014",
        GEMINI,
    ),
    # Image output tokens at their own rate: Gemini 2.5 Flash Image $0.30 in, $30 per million
    # image output tokens (an image is 1,290 tokens, "$0.039 per image"): 100 x 0.3 + 1,290
    # x 30 per million. Gemini 3 Pro Image $2 in, $120 per million image tokens (1,120 per
    # 1K/2K image, "$0.134 per image"): 100 x 2 + 1,120 x 120.
    Case(
        "gemini-2.5-flash-image one image",
        "gcp.gemini",
        "gemini-2.5-flash-image",
        usage(100, 1_290, image_out=1_290),
        "0.03873",
        GEMINI,
    ),
    Case(
        "gemini-3-pro-image-preview one image",
        "gcp.gemini",
        "gemini-3-pro-image-preview",
        usage(100, 1_120, image_out=1_120),
        "0.1346",
        GEMINI,
    ),
    # Gemini 2.5 Flash Preview (04-17, 05-20) billed output at $0.60 with thinking off and
    # $3.50 with thinking on, thinking and answer alike; the data has $0.60 alone. Thinking
    # off: 100,000 x 0.15 + 10,000 x 0.6. A call with thinking tokens had thinking on: every
    # output token at $3.50, 100,000 x 0.15 + 10,000 x 3.5 = 0.05 (it was 0.021, then
    # unknown); 05-20 alike, 50,000 x 0.15 + 2,000 x 3.5 = 0.0075 + 0.007. A batch call with
    # thinking tokens: no page states the batch thinking rate, unknown.
    Case(
        "gemini-2.5-flash-preview-04-17 thinking off",
        "gcp.gemini",
        "gemini-2.5-flash-preview-04-17",
        usage(100_000, 10_000),
        "0.021",
        FLASH_PREVIEW,
        at=datetime(2025, 5, 1, 12, tzinfo=UTC),
    ),
    Case(
        "gemini-2.5-flash-preview-04-17 thinking on",
        "gcp.gemini",
        "gemini-2.5-flash-preview-04-17",
        usage(100_000, 10_000, reasoning=8_000),
        "0.05",
        FLASH_PREVIEW,
        at=datetime(2025, 5, 1, 12, tzinfo=UTC),
    ),
    Case(
        "gemini-2.5-flash-preview-05-20 thinking on",
        "gcp.gemini",
        "gemini-2.5-flash-preview-05-20",
        usage(50_000, 2_000, reasoning=1_500),
        "0.0145",
        FLASH_PREVIEW,
        at=datetime(2025, 6, 2, 12, tzinfo=UTC),
    ),
    Case(
        "gemini-2.5-flash-preview-05-20 batch thinking on",
        "gcp.gemini",
        "gemini-2.5-flash-preview-05-20",
        usage(100_000, 10_000, reasoning=8_000, tier="batch"),
        None,
        FLASH_PREVIEW + " ; " + GEMINI_BATCH,
        at=datetime(2025, 6, 2, 12, tzinfo=UTC),
        reason="no_rate",
    ),
    # Gemini 2.5 Pro over 200K: $2.50 / hits $0.25 / $15 on every token.
    Case(
        "gemini-2.5-pro long context",
        "gcp.gemini",
        "gemini-2.5-pro",
        usage(300_000, 10_000, 100_000),
        "0.675",
        GEMINI,
    ),
    # Gemini 3.1 Pro Preview over 200K: $4 / $18: 300,000 x 4 + 10,000 x 18.
    Case(
        "gemini-3.1-pro-preview long context",
        "gcp.gemini",
        "gemini-3.1-pro-preview",
        usage(300_000, 10_000),
        "1.38",
        GEMINI,
    ),
    # Gemini 3.5 Flash $1.50 / $9; 3.5 Flash-Lite $0.30 / $2.50.
    Case(
        "gemini-3.5-flash", "gcp.gemini", "gemini-3.5-flash", usage(100_000, 10_000), "0.24", GEMINI
    ),
    Case(
        "gemini-3.5-flash-lite",
        "gcp.gemini",
        "gemini-3.5-flash-lite",
        usage(100_000, 10_000),
        "0.055",
        GEMINI,
    ),
    # Gemini 3.8 Flash $0.75 / $3.75 through 2026-12-31, then $1.50 / $7.50.
    Case(
        "gemini-3.8-flash 2026",
        "gcp.gemini",
        "gemini-3.8-flash",
        usage(100_000, 10_000),
        "0.1125",
        GEMINI,
    ),
    Case(
        "gemini-3.8-flash 2027",
        "gcp.gemini",
        "gemini-3.8-flash",
        usage(100_000, 10_000),
        "0.225",
        GEMINI,
        at=datetime(2027, 1, 1, 0, 0, 1, tzinfo=UTC),
    ),
    # Grounding with Google Search: past a free allowance of the project (Gemini 2.x: 1,500
    # grounded prompts a day, then $35 per 1,000; Gemini 3 and later: 5,000 prompts a month,
    # then $14 per 1,000 search queries), so one call's fee is $0 or the rate by the
    # project's other calls: unknown. Was its tokens alone, 10,000 x 0.3 + 1,000 x 2.5 =
    # 0.0055 (the instrumentation did not count the queries; the data's $35 per 1,000 then
    # billed each query of a span that did: 0.0755 for 2, though 2.x bills per prompt).
    Case(
        "gemini-2.5-flash grounded",
        "gcp.gemini",
        "gemini-2.5-flash",
        metered(searches=2, inp=10_000, out=1_000),
        None,
        GEMINI + " ; https://discuss.ai.google.dev/t/rate-limits-on-requests-with-grounding/94046",
        reason="no_rate",
    ),
    Case(
        "vertex gemini-3.5-flash grounded",
        "gcp.vertex_ai",
        "gemini-3.5-flash",
        metered(searches=3, inp=10_000, out=1_000),
        None,
        VERTEX,
        reason="no_rate",
    ),
    # Gemini Embedding 2, text $0.20.
    Case(
        "gemini-embedding-2",
        "gcp.gemini",
        "gemini-embedding-2",
        usage(100_000),
        "0.02",
        GEMINI,
        extra={"gen_ai.operation.name": "embeddings"},
    ),
    # Vertex AI, the same Gemini 2.5 Pro rates: 100,000 x 1.25 + 10,000 x 10.
    Case(
        "vertex gemini-2.5-pro",
        "gcp.vertex_ai",
        "gemini-2.5-pro",
        usage(100_000, 10_000),
        "0.225",
        VERTEX,
    ),
    # ------------------------------------------------------------------ xAI
    # grok-4.3 $1.25 / cached $0.20 / $2.50: 60,000 x 1.25 + 40,000 x 0.2 + 10,000 x 2.5.
    Case("grok-4.3 cache hits", "x_ai", "grok-4.3", usage(100_000, 10_000, 40_000), "0.108", XAI),
    # Long context from 200K tokens inclusive ("Long context >= 200k tokens"): $2.50 / $5.
    Case("grok-4.3 at 200K", "x_ai", "grok-4.3", usage(200_000, 10_000), "0.55", XAI),
    Case("grok-4.3 below 200K", "x_ai", "grok-4.3", usage(199_999, 10_000), "0.27499875", XAI),
    # grok-4.5 at Grok 4.6's and 4.7's rates, $2 / cached $0.50 / $6 (genai-prices: cached
    # $0.30): 60,000 x 2 + 40,000 x 0.5 + 10,000 x 6 = 0.2 (was 0.192); from 200K every token
    # at $4 / $1 / $12: 200,000 x 4 + 100,000 x 1 + 10,000 x 12 = 1.02 (was 0.98). grok-latest
    # from Grok 4.5's release the same (0.2, was 0.192); before it unknown (was 0.192).
    Case(
        "grok-4.5 cache hits",
        "x_ai",
        "grok-4.5",
        usage(100_000, 10_000, 40_000),
        "0.2",
        XAI_GROK_45,
    ),
    Case(
        "grok-4.5 long context cache hits",
        "x_ai",
        "grok-4.5",
        usage(300_000, 10_000, 100_000),
        "1.02",
        XAI_GROK_45,
    ),
    Case(
        "grok-latest cache hits",
        "x_ai",
        "grok-latest",
        usage(100_000, 10_000, 40_000),
        "0.2",
        XAI_GROK_45 + " ; https://docs.x.ai/developers/grok-4-6",
    ),
    Case(
        "grok-latest before grok-4.5",
        "x_ai",
        "grok-latest",
        usage(100_000, 10_000, 40_000),
        None,
        XAI_GROK_45,
        at=datetime(2026, 7, 8, 12, tzinfo=UTC),
        reason="no_rate",
    ),
    # grok-4.6 the same rates: 0.2.
    Case(
        "grok-4.6 cache hits",
        "x_ai",
        "grok-4.6",
        usage(100_000, 10_000, 40_000),
        "0.2",
        "https://docs.x.ai/developers/grok-4-6",
    ),
    # grok-4.7 $2 / cached $0.50 / $6: 60,000 x 2 + 40,000 x 0.5 + 10,000 x 6.
    Case("grok-4.7 cache hits", "x_ai", "grok-4.7", usage(100_000, 10_000, 40_000), "0.2", XAI),
    # grok-4-0709 costs more once a request passes 128K tokens, at a rate not published where
    # we could read it: unpriced (until its retirement, below).
    Case(
        "grok-4-0709 over 128K",
        "x_ai",
        "grok-4-0709",
        usage(125_000, 10_000),
        None,
        "https://docs.x.ai/docs/models",
        at=BEFORE_XAI_RETIREMENT,
        reason="no_rate",
    ),
    # xAI priority processing has no published rate: unpriced.
    Case(
        "grok-4.3 priority",
        "x_ai",
        "grok-4.3",
        usage(100_000, 10_000, tier="priority"),
        None,
        "https://docs.x.ai/developers/advanced-api-usage/priority-processing",
        reason="no_rate",
    ),
    # xAI Batch API: "billed at a 20% discount to standard rates", cached input and long
    # context included. grok-4.7 $2 / $0.50 / $6 becomes $1.60 / $0.40 / $4.80:
    # 60,000 x 1.6 + 40,000 x 0.4 + 10,000 x 4.8.
    Case(
        "grok-4.7 batch",
        "x_ai",
        "grok-4.7",
        usage(100_000, 10_000, 40_000, tier="batch"),
        "0.16",
        XAI_BATCH,
    ),
    # grok-4.5, whose rates are a correction's: $2 / $6 less 20%: 100,000 x 1.6 + 10,000 x
    # 4.8 (unknown before: the batch rule, from 2026-06-14, missed a correction without a start).
    Case(
        "grok-4.5 batch",
        "x_ai",
        "grok-4.5",
        usage(100_000, 10_000, tier="batch"),
        "0.208",
        XAI_BATCH + " ; " + XAI_GROK_45,
    ),
    # Long context in a batch: $4 / $12 less 20%: 300,000 x 3.2 + 10,000 x 9.6.
    Case(
        "grok-4.7 batch long context",
        "x_ai",
        "grok-4.7",
        usage(300_000, 10_000, tier="batch"),
        "1.056",
        XAI_BATCH,
    ),
    # grok-4-1-fast-reasoning, retired on 2026-05-15, bills at grok-4.3's $1.25 / $2.50, less
    # 20%: 100,000 x 1 + 10,000 x 2 (0.02 before: its own $0.20 / $0.50 less 20%).
    Case(
        "grok-4-1-fast batch",
        "x_ai",
        "grok-4-1-fast-reasoning",
        usage(100_000, 10_000, tier="batch"),
        "0.12",
        XAI_BATCH + " ; " + XAI_RETIREMENT,
    ),
    # Before 2026-06-14 xAI's batch page read "50% off"; when it became 20% is not published.
    Case(
        "grok-4-1-fast batch before 2026-06-14",
        "x_ai",
        "grok-4-1-fast-reasoning",
        usage(100_000, 10_000, tier="batch"),
        None,
        XAI_BATCH,
        at=datetime(2026, 6, 13, 23, tzinfo=UTC),
        reason="no_rate",
    ),
    # ------------------------------------------------------------------ DeepSeek
    # deepseek-flash (V4.1 Flash) off-peak $0.15 miss / $0.003 hit / $0.60; peak (01:00-04:00,
    # 06:00-10:00 UTC, weekdays) twice that. 60,000 misses, 40,000 hits, 10,000 output.
    Case(
        "deepseek-flash peak",
        "deepseek",
        "deepseek-flash",
        usage(100_000, 10_000, 40_000),
        "0.03024",
        DEEPSEEK,
        at=datetime(2026, 12, 1, 2, tzinfo=UTC),
    ),
    # The legacy name deepseek-v4-flash is served and billed as deepseek-flash.
    Case(
        "deepseek-v4-flash off-peak",
        "deepseek",
        "deepseek-v4-flash",
        usage(100_000, 10_000, 40_000),
        "0.01512",
        DEEPSEEK,
    ),
    # A peak hour on a Saturday is off-peak.
    Case(
        "deepseek-flash saturday",
        "deepseek",
        "deepseek-flash",
        usage(100_000, 10_000, 40_000),
        "0.01512",
        DEEPSEEK,
        at=datetime(2026, 11, 28, 2, tzinfo=UTC),
    ),
    # deepseek-v4-pro peak $1.32 / $0.044 / $3.96, off-peak half.
    Case(
        "deepseek-v4-pro peak",
        "deepseek",
        "deepseek-v4-pro",
        usage(100_000, 10_000, 40_000),
        "0.12056",
        DEEPSEEK,
        at=datetime(2026, 12, 1, 7, tzinfo=UTC),
    ),
    Case(
        "deepseek-v4-pro off-peak",
        "deepseek",
        "deepseek-v4-pro",
        usage(100_000, 10_000, 40_000),
        "0.06028",
        DEEPSEEK,
    ),
    # ------------------------------------------------------------------ Groq, Together, Cohere
    # openai/gpt-oss-120b $0.15 / $0.60 on Groq and on Together; llama-3.3-70b-versatile
    # $0.59 / $0.79 on Groq.
    Case(
        "groq gpt-oss-120b",
        "groq",
        "openai/gpt-oss-120b",
        usage(100_000, 10_000),
        "0.021",
        GROQ + " (as quoted in https://github.com/braintrustdata/braintrust-proxy/issues/925)",
    ),
    Case(
        "groq llama-3.3-70b-versatile",
        "groq",
        "llama-3.3-70b-versatile",
        usage(100_000, 10_000),
        "0.0669",
        GROQ,
    ),
    Case(
        "together gpt-oss-120b",
        "together",
        "openai/gpt-oss-120b",
        usage(100_000, 10_000),
        "0.021",
        TOGETHER + " (as quoted in https://github.com/braintrustdata/braintrust-proxy/issues/566)",
    ),
    # Groq flex: "Pricing matches the on-demand tier".
    Case(
        "groq gpt-oss-120b flex",
        "groq",
        "openai/gpt-oss-120b",
        usage(100_000, 10_000, tier="flex"),
        "0.021",
        "https://console.groq.com/docs/flex-processing",
    ),
    # Command R $0.15 / $0.60 (Cohere's page as captured on 2026-11-11 by
    # https://docs.flexprice.io/cookbooks/pricing-teardowns/cohere-pricing).
    Case(
        "cohere command-r", "cohere", "command-r-08-2024", usage(100_000, 10_000), "0.021", COHERE
    ),
    # command-r and command-r-plus since the 03-2024 and 04-2024 models were retired
    # (2025-09-15): which model they name is not published in a source read here; unknown,
    # not the 08-2024 models' rates (were 0.021 and 0.35 for 100,000 in + 10,000 out).
    Case(
        "cohere command-r alias after 2025-09-15",
        "cohere",
        "command-r",
        usage(100_000, 10_000),
        None,
        "https://docs.cohere.com/docs/deprecations ; " + COHERE,
        reason="no_rate",
    ),
    Case(
        "cohere command-r-plus alias after 2025-09-15",
        "cohere",
        "command-r-plus",
        usage(100_000, 10_000),
        None,
        "https://docs.cohere.com/docs/deprecations ; " + COHERE,
        reason="no_rate",
    ),
    # ------------------------------------------------------------------ Azure OpenAI, Bedrock
    # DeepSeek on Azure at Azure's global rates, not DeepSeek's list: R1 $1.35 / $5.40,
    # 100,000 x 1.35 + 10,000 x 5.4 = 0.189 (was 0.019 at DeepSeek's $0.135 / $0.55); V3
    # $1.14 / $4.56, 100,000 x 1.14 + 10,000 x 4.56 = 0.1596 (was unknown_model); R1-0528,
    # whose Azure rate was not readable, unknown (was 0.019).
    Case(
        "azure DeepSeek-R1",
        "azure.ai.inference",
        "DeepSeek-R1",
        usage(100_000, 10_000),
        "0.189",
        AZURE_DEEPSEEK_R1,
    ),
    Case(
        "azure DeepSeek-V3",
        "azure.ai.inference",
        "DeepSeek-V3",
        usage(100_000, 10_000),
        "0.1596",
        AZURE_DEEPSEEK_V3,
    ),
    Case(
        "azure DeepSeek-R1-0528",
        "azure.ai.inference",
        "DeepSeek-R1-0528",
        usage(100_000, 10_000),
        None,
        "https://azure.microsoft.com/en-us/pricing/details/ai-foundry-models/deepseek/",
        reason="no_rate",
    ),
    # Azure OpenAI global deployments at OpenAI's rates: GPT-4o $2.50 / cached $1.25 / $10.
    Case(
        "azure gpt-4o cache hits",
        "azure.ai.openai",
        "gpt-4o",
        usage(100_000, 10_000, 40_000),
        "0.3",
        AZURE,
    ),
    # Azure Global Batch at half of Global Standard: gpt-4o 100,000 x 1.25 + 10,000 x 5; with
    # cache hits the batch cached rate is published nowhere read here (was 0.15, half of
    # every rate): unpriced.
    Case(
        "azure gpt-4o batch",
        "azure.ai.openai",
        "gpt-4o",
        usage(100_000, 10_000, tier="batch"),
        "0.175",
        AZURE_BATCH,
    ),
    Case(
        "azure gpt-4o batch cache hits",
        "azure.ai.openai",
        "gpt-4o",
        usage(100_000, 10_000, 40_000, tier="batch"),
        None,
        AZURE_BATCH,
        reason="no_rate",
    ),
    # Bedrock global cross-region profile, Claude Opus 4.5 at Anthropic's rates, 1-hour writes
    # at 2x input: 80,000 x 5 + 20,000 x 10 + 10,000 x 25.
    Case(
        "bedrock global opus-4-5 1h writes",
        "aws.bedrock",
        "global.anthropic.claude-opus-4-5-20251101-v1:0",
        usage(100_000, 10_000, 0, 20_000, write_1h=20_000),
        "0.85",
        BEDROCK,
    ),
    # Geographic (us.) profile of Claude Sonnet 4.5: $3.30 / $16.50.
    Case(
        "bedrock us sonnet-4-5",
        "aws.bedrock",
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        usage(100_000, 10_000),
        "0.495",
        BEDROCK,
    ),
    # Claude Opus 4.6 runs on Bedrock through a profile only: global. $5 / $25, a geographic
    # profile 10% more, $5.50 / $27.50: 100,000 x 5 + 10,000 x 25; 100,000 x 5.5 + 10,000
    # x 27.5. A bare id (an instrumentation that drops the profile) does not say which: unknown.
    Case(
        "bedrock global opus-4-6",
        "aws.bedrock",
        "global.anthropic.claude-opus-4-6-v1:0",
        usage(100_000, 10_000),
        "0.75",
        BEDROCK,
    ),
    Case(
        "bedrock eu opus-4-6",
        "aws.bedrock",
        "eu.anthropic.claude-opus-4-6-v1:0",
        usage(100_000, 10_000),
        "0.825",
        BEDROCK,
    ),
    Case(
        "bedrock bare opus-4-6",
        "aws.bedrock",
        "anthropic.claude-opus-4-6-v1:0",
        usage(100_000, 10_000),
        None,
        BEDROCK,
        reason="no_rate",
    ),
    # Amazon Nova Pro $0.80 / cached $0.20 / $3.20: 60,000 x 0.8 + 40,000 x 0.2 + 10,000 x 3.2.
    Case(
        "bedrock nova-pro cache hits",
        "aws.bedrock",
        "amazon.nova-pro-v1:0",
        usage(100_000, 10_000, 40_000),
        "0.088",
        BEDROCK,
    ),
    # Latency-optimized inference (Converse's performanceConfig, recorded as the tier
    # latency-optimized) bills other rates than standard, which the data lacks: unknown. It
    # was Nova Pro's standard rate, 100,000 x 0.8 + 10,000 x 3.2 = 0.112.
    Case(
        "bedrock nova-pro latency-optimized",
        "aws.bedrock",
        "us.amazon.nova-pro-v1:0",
        usage(100_000, 10_000, tier="latency-optimized"),
        None,
        BEDROCK + " ; https://docs.aws.amazon.com/bedrock/latest/userguide/"
        "latency-optimized-inference.html",
        reason="no_rate",
    ),
    # Priority ("Standard rate + premium") and Flex ("Discounted standard model rate") have
    # per-model rates on the pricing page that were not readable here (rendered client-side):
    # unknown, never the standard rate (0.112 for this call).
    Case(
        "bedrock nova-pro priority",
        "aws.bedrock",
        "us.amazon.nova-pro-v1:0",
        usage(100_000, 10_000, tier="priority"),
        None,
        BEDROCK + " ; https://aws.amazon.com/bedrock/service-tiers",
        reason="no_rate",
    ),
    Case(
        "bedrock nova-pro flex",
        "aws.bedrock",
        "us.amazon.nova-pro-v1:0",
        usage(100_000, 10_000, tier="flex"),
        None,
        BEDROCK + " ; https://aws.amazon.com/bedrock/service-tiers",
        reason="no_rate",
    ),
    # Azure prices DALL·E 3 per image by region, on a page whose prices were not readable
    # here: unknown (OpenAI's own rate, $0.04, is not Azure's by assumption).
    Case(
        "azure dall-e-3 image",
        "azure.ai.openai",
        "dall-e-3",
        metered(images=1),
        None,
        AZURE,
        reason="unknown_model",
        extra={"openai.response.service_tier": "standard-1024x1024"},
    ),
    # Titan Text Embeddings V2 $0.02 per million.
    Case(
        "bedrock titan-embed-text-v2",
        "aws.bedrock",
        "amazon.titan-embed-text-v2:0",
        usage(100_000),
        "0.002",
        BEDROCK,
        extra={"gen_ai.operation.name": "embeddings"},
    ),
    # ------------------------------------------------------------------ Other units
    # tts-1 "$15.00 / 1M characters": 4,096 characters (the longest input) x 15 / 1,000,000.
    Case("tts-1 characters", "openai", "tts-1", metered(4096), "0.06144", OPENAI_TTS),
    # tts-1-hd "$30.00 / 1M characters": 1,234 x 30 / 1,000,000.
    Case("tts-1-hd characters", "openai", "tts-1-hd", metered(1234), "0.03702", OPENAI_TTS_HD),
    # whisper-1 "$0.006 / minute", by the whole seconds usage.seconds reports: 61 s x 0.006
    # / 60 = 0.0061 (not two whole minutes).
    Case("whisper-1 seconds", "openai", "whisper-1", metered(seconds=61), "0.0061", OPENAI_WHISPER),
    # A per-character or per-second model with token counts only: its price says nothing of
    # them (not_per_token); a per-token model with characters only: no rate for them.
    Case(
        "tts-1 tokens only",
        "openai",
        "tts-1",
        usage(40),
        None,
        OPENAI_TTS,
        reason="not_per_token",
    ),
    Case(
        "gpt-4o-mini-tts characters only",
        "openai",
        "gpt-4o-mini-tts",
        metered(1234),
        None,
        "https://developers.openai.com/api/docs/models/gpt-4o-mini-tts (billed per token)",
        reason="no_rate",
    ),
    # The dated snapshots bill as the alias (they were unknown): GPT-4o mini TTS $0.60 text
    # in, $12 audio out: 40 x 0.6 + 1,200 x 12 per million. GPT-4o mini Transcribe $1.25 text
    # in, $3 audio in, $5 out: 100 x 1.25 + 900 x 3 + 200 x 5 per million.
    Case(
        "gpt-4o-mini-tts-2025-12-15 streamed usage",
        "openai",
        "gpt-4o-mini-tts-2025-12-15",
        usage(40, 1_200, audio_out=1_200),
        "0.014424",
        "https://developers.openai.com/api/docs/models/gpt-4o-mini-tts",
        extra={"gen_ai.operation.name": "speech"},
    ),
    Case(
        "gpt-4o-mini-transcribe-2025-12-15",
        "openai",
        "gpt-4o-mini-transcribe-2025-12-15",
        usage(1_000, 200, audio_in=900),
        "0.003825",
        "https://developers.openai.com/api/docs/models/gpt-4o-mini-transcribe ; " + OPENAI,
        extra={"gen_ai.operation.name": "transcription"},
    ),
    # Groq whisper-large-v3 $0.111 per hour of audio: 90 s x 0.111 / 3,600 = 0.002775.
    Case(
        "groq whisper-large-v3 seconds",
        "groq",
        "whisper-large-v3",
        metered(seconds=90),
        "0.002775",
        GROQ_WHISPER,
    ),
    # Claude web search "$10 per 1,000 searches" plus tokens: Sonnet 4.6 $3 / $15,
    # 10,000 x 3 + 1,000 x 15 = 45,000 per million = 0.045, + 4 x 0.01 = 0.085.
    Case(
        "sonnet-4-6 web searches",
        "anthropic",
        "claude-sonnet-4-6",
        metered(searches=4, inp=10_000, out=1_000),
        "0.085",
        ANTHROPIC_SEARCH,
    ),
    # Haiku 4.5 $1 / $5, one search: 10,000 x 1 + 1,000 x 5 = 15,000 per million + 0.01.
    Case(
        "haiku-4-5 web search",
        "anthropic",
        "claude-haiku-4-5",
        metered(searches=1, inp=10_000, out=1_000),
        "0.025",
        ANTHROPIC_SEARCH,
    ),
    # Claude's web search on Vertex AI: Google's rate for it was not readable here (Anthropic's
    # is $10 per 1,000): unknown, never its tokens alone (0.045 for Sonnet 4.6 below).
    Case(
        "vertex sonnet-4-6 web searches",
        "gcp.vertex_ai",
        "projects/p/locations/global/publishers/anthropic/models/claude-sonnet-4-6",
        metered(searches=4, inp=10_000, out=1_000),
        None,
        VERTEX
        + " ; https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/web-search",
        reason="no_rate",
    ),
    # OpenAI's web_search tool on GPT-4o: "$10.00 / 1k calls + search content tokens billed
    # at model rates", GPT-4o $2.50 / $10: 10,000 x 2.5 + 1,000 x 10 = 35,000 per million
    # = 0.035, + 2 x 0.01 = 0.055.
    Case(
        "gpt-4o web_search",
        "openai",
        "gpt-4o",
        metered(searches=2, inp=10_000, out=1_000),
        "0.055",
        OPENAI_SEARCH,
    ),
    # Its web_search_preview: $25 per 1,000 and the content tokens free (whether usage leaves
    # them out is not published); GPT-4o mini's web_search: a fixed 8,000-token block per
    # search that usage may not show. Both unpriced.
    Case(
        "gpt-4.1 web_search_preview",
        "openai",
        "gpt-4.1",
        metered(searches=1, preview=1, inp=10_000, out=1_000),
        None,
        OPENAI_SEARCH,
        reason="no_rate",
    ),
    Case(
        "gpt-4o-mini web_search",
        "openai",
        "gpt-4o-mini",
        metered(searches=1, inp=10_000, out=1_000),
        None,
        OPENAI_SEARCH,
        reason="no_rate",
    ),
    # OpenAI's file search tool: "$2.50 / 1k tool calls" on top of the tokens, one per
    # file_search_call item. GPT-5.5 $5 / $30: 10,000 x 5 + 1,000 x 30 = 80,000 per million
    # = 0.08, + 2 x 0.0025 = 0.085 (was 0.08: the calls were not counted). GPT-4.1 mini
    # $0.40 / $1.60 (no fixed token block for file search, unlike its web searches):
    # 10,000 x 0.4 + 1,000 x 1.6 = 5,600 per million + 0.0025 = 0.0081. Beside a web search
    # and its $10 fee on GPT-5: 10,000 x 1.25 + 1,000 x 10 = 22,500 per million + 0.01
    # + 0.0025 = 0.035. GPT-6.2 Sol's page (a correction) lists no file search fee: unknown.
    Case(
        "gpt-5.5 file_search",
        "openai",
        "gpt-5.5",
        metered(files=2, inp=10_000, out=1_000),
        "0.085",
        OPENAI_FILE_SEARCH,
    ),
    Case(
        "gpt-4.1-mini file_search",
        "openai",
        "gpt-4.1-mini",
        metered(files=1, inp=10_000, out=1_000),
        "0.0081",
        OPENAI_FILE_SEARCH,
    ),
    Case(
        "gpt-5 file_search and web_search",
        "openai",
        "gpt-5",
        metered(files=1, searches=1, inp=10_000, out=1_000),
        "0.035",
        OPENAI_FILE_SEARCH,
    ),
    Case(
        "gpt-6.2-sol file_search",
        "openai",
        "gpt-6.2-sol",
        metered(files=1, inp=10_000, out=1_000),
        None,
        OPENAI_FILE_SEARCH + " ; https://developers.openai.com/api/docs/models/gpt-6.2-sol",
        reason="no_rate",
    ),
    # In the Batch API the tools' calls are billed in full beside the tokens at half rate:
    # GPT-5 $0.625 / $5: 10,000 x 0.625 + 1,000 x 5 per million + 2 x 0.01 + 0.0025.
    Case(
        "gpt-5 batch web_search and file_search",
        "openai",
        "gpt-5",
        metered(searches=2, files=1, inp=10_000, out=1_000, tier="batch"),
        "0.03375",
        OPENAI_BATCH + " ; " + OPENAI_FILE_SEARCH,
    ),
    # Code execution containers are billed by their time, not per call: OpenAI's code
    # interpreter per minute of a session (5 minutes at least) that calls within 20 minutes
    # share, Anthropic's per container hour past a monthly free allowance. A call that ran one
    # is unknown; it was its tokens alone (GPT-5.5: 10,000 x 5 + 1,000 x 30 = 0.08; Sonnet
    # 4.6: 10,000 x 3 + 1,000 x 15 = 0.045).
    Case(
        "gpt-5.5 code_interpreter",
        "openai",
        "gpt-5.5",
        metered(code=1, inp=10_000, out=1_000),
        None,
        OPENAI_CODE,
        reason="no_rate",
    ),
    Case(
        "sonnet-4-6 code execution",
        "anthropic",
        "claude-sonnet-4-6",
        metered(code=1, inp=10_000, out=1_000),
        None,
        ANTHROPIC + "#code-execution-tool",
        reason="no_rate",
    ),
    # The Responses API's image generation tool bills its image tokens at the image model's
    # rates (gpt-image-1 $40 per million image output tokens), reported apart from the chat
    # model's usage (tool_usage.image_gen): a chat call that made an image is unknown. It was
    # GPT-5.5's tokens alone, 10,000 x 5 + 1,000 x 30 = 0.08.
    Case(
        "gpt-5.5 image_generation tool",
        "openai",
        "gpt-5.5",
        metered(images=1, inp=10_000, out=1_000),
        None,
        "https://platform.openai.com/docs/pricing#image-generation ; "
        "https://platform.openai.com/docs/guides/tools-image-generation",
        reason="no_rate",
    ),
    # US-only inference, 1.1x every token rate of Opus 4.6 and later ($5.50 / $0.55 / $27.50):
    # 60,000 x 5.5 + 40,000 x 0.55 + 10,000 x 27.5 = 330,000 + 22,000 + 275,000 per million.
    Case(
        "opus-4-6 us inference cache hits",
        "anthropic",
        "claude-opus-4-6",
        usage(100_000, 10_000, 40_000),
        "0.627",
        ANTHROPIC_GEO,
        extra={"anthropic.response.inference_geo": "us"},
    ),
    # Haiku 4.5 predates it: its own rates, 100,000 x 1 + 10,000 x 5.
    Case(
        "haiku-4-5 us inference",
        "anthropic",
        "claude-haiku-4-5",
        usage(100_000, 10_000),
        "0.15",
        ANTHROPIC_GEO,
        extra={"anthropic.response.inference_geo": "us"},
    ),
    # Priority Tier has no published per-token rate.
    Case(
        "opus-4-6 priority tier",
        "anthropic",
        "claude-opus-4-6",
        usage(100_000, 10_000),
        None,
        "https://platform.claude.com/docs/en/api/service-tiers",
        reason="no_rate",
        extra={"anthropic.response.service_tier": "priority"},
    ),
    # Opus 4.6 fast mode, 6x standard: $30 / hit $3 / 5m write $37.50 / 1h write $60 / $150.
    # 100,000 input: 40,000 hits, 20,000 writes (10,000 of them 1-hour), 40,000 uncached:
    # 40,000 x 30 + 40,000 x 3 + 10,000 x 37.5 + 10,000 x 60 + 10,000 x 150
    # = 1.2 + 0.12 + 0.375 + 0.6 + 1.5.
    Case(
        "opus-4-6 fast mode cache reads and writes",
        "anthropic",
        "claude-opus-4-6",
        usage(100_000, 10_000, 40_000, 20_000, write_1h=10_000),
        "3.795",
        ANTHROPIC_FAST,
        at=datetime(2026, 4, 1, 12, tzinfo=UTC),
        extra={"anthropic.response.service_tier": "fast"},
    ),
    # Before the 1M context went GA at standard rates (2026-03-13), over 200K input: $60 /
    # $225 on every token: 300,000 x 60 + 10,000 x 225 = 18 + 2.25. After it, 6x the one
    # standard rate: 300,000 x 30 + 10,000 x 150 = 9 + 1.5.
    Case(
        "opus-4-6 fast mode over 200K before GA",
        "anthropic",
        "claude-opus-4-6",
        usage(300_000, 10_000),
        "20.25",
        ANTHROPIC_FAST,
        at=datetime(2026, 3, 1, 12, tzinfo=UTC),
        extra={"anthropic.response.service_tier": "fast"},
    ),
    Case(
        "opus-4-6 fast mode over 200K after GA",
        "anthropic",
        "claude-opus-4-6",
        usage(300_000, 10_000),
        "10.5",
        ANTHROPIC_FAST,
        at=datetime(2026, 4, 1, 12, tzinfo=UTC),
        extra={"anthropic.response.service_tier": "fast"},
    ),
    # Fast mode stacks with US-only inference: (60,000 x 30 + 40,000 x 3 + 10,000 x 150) x 1.1
    # = 3.42 x 1.1.
    Case(
        "opus-4-6 fast mode us inference",
        "anthropic",
        "claude-opus-4-6",
        usage(100_000, 10_000, 40_000),
        "3.762",
        ANTHROPIC_FAST + " ; " + ANTHROPIC_GEO,
        at=datetime(2026, 4, 1, 12, tzinfo=UTC),
        extra={
            "anthropic.response.service_tier": "fast",
            "anthropic.response.inference_geo": "us",
        },
    ),
    # Its launch discount (to 2026-02-16 PT) had no published API rate: unpriced.
    Case(
        "opus-4-6 fast mode launch discount",
        "anthropic",
        "claude-opus-4-6",
        usage(100_000, 10_000),
        None,
        "https://code.claude.com/docs/en/fast-mode",
        at=datetime(2026, 2, 10, 12, tzinfo=UTC),
        reason="no_rate",
        extra={"anthropic.response.service_tier": "fast"},
    ),
    # Imagen 4 per image, the Gemini API and Vertex AI alike: $0.04, Fast $0.02, Ultra $0.06:
    # 4 x 0.04; 3 x 0.02; 2 x 0.06. Tokens alone say nothing of a per-image price.
    Case(
        "imagen-4 images",
        "gcp.gemini",
        "imagen-4.0-generate-001",
        metered(images=4),
        "0.16",
        IMAGEN,
        extra={"gen_ai.operation.name": "image_generation"},
    ),
    Case(
        "vertex imagen-4-fast images",
        "gcp.vertex_ai",
        "imagen-4.0-fast-generate-001",
        metered(images=3),
        "0.06",
        IMAGEN,
        extra={"gen_ai.operation.name": "image_generation"},
    ),
    Case(
        "vertex imagen-4-ultra images",
        "gcp.vertex_ai",
        "imagen-4.0-ultra-generate-001",
        metered(images=2),
        "0.12",
        IMAGEN,
        extra={"gen_ai.operation.name": "image_generation"},
    ),
    Case(
        "imagen-4 tokens only",
        "gcp.gemini",
        "imagen-4.0-generate-001",
        usage(40),
        None,
        IMAGEN,
        reason="not_per_token",
    ),
    # DALL·E per image, by the size and quality asked for (the tier `{quality}-{size}` the
    # instrumentation records): DALL·E 3 HD 1024×1792 $0.12; standard 1792×1024 $0.08;
    # DALL·E 2 256×256 $0.016: 4 x 0.016. With no size and quality known, unknown (no_rate:
    # the model is known, not the rate of this call).
    Case(
        "dall-e-3 hd portrait",
        "openai",
        "dall-e-3",
        metered(images=1),
        "0.12",
        DALL_E,
        extra={"openai.response.service_tier": "hd-1024x1792"},
    ),
    Case(
        "dall-e-3 standard landscape",
        "openai",
        "dall-e-3",
        metered(images=1),
        "0.08",
        DALL_E,
        extra={"openai.response.service_tier": "standard-1792x1024"},
    ),
    Case(
        "dall-e-2 small images",
        "openai",
        "dall-e-2",
        metered(images=4),
        "0.064",
        DALL_E,
        extra={"openai.response.service_tier": "standard-256x256"},
    ),
    Case(
        "dall-e-3 size unknown",
        "openai",
        "dall-e-3",
        metered(images=1),
        None,
        DALL_E,
        reason="no_rate",
    ),
    # Perplexity Sonar: tokens plus a fee per 1,000 requests set by the search context size
    # the answer names (the tier): Sonar Pro $3 / $15, medium $10: 1,200 x 3 + 90 x 15 per
    # million + 0.010. Sonar $1 / $1, low $5: 1,000 x 1 + 500 x 1 + 0.005. Sonar Reasoning Pro
    # $2 / $8, low $6, Perplexity's own sample (17 prompt, 1,152 completion tokens, "Total cost
    # for this request: $0.015250"): 17 x 2 + 1,152 x 8 + 0.006. Sonar Deep Research has no
    # request fee (its other units below). Sonar Reasoning's fees by size are not published
    # on a page read here: unpriced.
    Case(
        "sonar-pro medium context",
        "perplexity",
        "sonar-pro",
        usage(1_200, 90, tier="medium"),
        "0.01495",
        PERPLEXITY + " ; https://docs.perplexity.ai/guides/models/sonar-pro",
    ),
    Case(
        "sonar low context",
        "perplexity",
        "sonar",
        usage(1_000, 500, tier="low"),
        "0.0065",
        PERPLEXITY + " ; https://docs.perplexity.ai/models/models/sonar",
    ),
    Case(
        "sonar-reasoning-pro low context",
        "perplexity",
        "sonar-reasoning-pro",
        usage(17, 1_152, tier="low"),
        "0.01525",
        "https://docs.perplexity.ai/docs/sonar/models/sonar-reasoning-pro",
    ),
    # Sonar Deep Research: input $2, output $8, citation tokens $2 (counted as input),
    # reasoning tokens $3 (reported beside the answer's, counted in output as its reasoning),
    # search queries $5 per 1,000; no request fee, whatever the size. 10,000 input (1,000
    # prompt + 9,000 citation) x 2 + 2,000 answer x 8 + 3,000 reasoning x 3 = 45,000 per
    # million = 0.045, + 20 x 0.005 = 0.145. A span without its search queries (another
    # instrumentation's: input and output only) was priced on them alone, 1,000 x 2 + 100 x 8
    # = 0.0028; every such call searches: unknown.
    Case(
        "sonar-deep-research searches, citations, reasoning",
        "perplexity",
        "sonar-deep-research",
        metered(searches=20, inp=10_000, out=5_000, reasoning=3_000, tier="low"),
        "0.145",
        PERPLEXITY,
    ),
    Case(
        "sonar-deep-research without its searches",
        "perplexity",
        "sonar-deep-research",
        usage(1_000, 100, tier="low"),
        None,
        PERPLEXITY,
        reason="no_rate",
    ),
    # A Sonar call whose span names no search context size (another instrumentation's span,
    # or an answer without usage.search_context_size): the fee is $5, $8 or $12 per 1,000
    # by size, and Perplexity's guide calls both low and medium the default. It was priced at
    # the data's one fee, the high one: 1,000 x 1 + 500 x 1 per million + 0.012 = 0.0135
    # for a call that cost 0.0065 at low. Now unknown; Sonar Pro alike (was 0.0245).
    Case(
        "sonar context size unknown",
        "perplexity",
        "sonar",
        usage(1_000, 500),
        None,
        PERPLEXITY + " ; https://docs.perplexity.ai/guides/search-context-size-guide",
        reason="no_rate",
    ),
    Case(
        "sonar-pro context size unknown",
        "perplexity",
        "sonar-pro",
        usage(1_000, 500),
        None,
        PERPLEXITY + " ; https://docs.perplexity.ai/guides/search-context-size-guide",
        reason="no_rate",
    ),
    Case(
        "sonar-reasoning context size",
        "perplexity",
        "sonar-reasoning",
        usage(1_000, 100, tier="low"),
        None,
        PERPLEXITY,
        reason="no_rate",
    ),
    # ------------------------------------------------------------------ Mistral
    # Mistral Medium 3.5 $1.50 / $7.50 (also named mistral-medium-3): 100,000 x 1.5 + 10,000
    # x 7.5 = 0.225. Mistral Small 4 (mistral-small-2603) $0.15 / $0.60, cached 10%: 60,000
    # x 0.15 + 40,000 x 0.015 + 10,000 x 0.6 = 0.0156.
    Case(
        "mistral-medium-3 as medium 3.5",
        "mistral_ai",
        "mistral-medium-3",
        usage(100_000, 10_000),
        "0.225",
        "https://docs.mistral.ai/models/mistral-medium-3-5-26-04" + MISTRAL_DOCS,
    ),
    Case(
        "mistral-small-2603 cache hits",
        "mistral_ai",
        "mistral-small-2603",
        usage(100_000, 10_000, 40_000),
        "0.0156",
        "https://docs.mistral.ai/models/mistral-small-4-0-26-03"
        + MISTRAL_DOCS
        + " ; "
        + MISTRAL_CACHE,
    ),
    # mistral-large-latest names Mistral Large 3 (mistral-large-2512) from its release on
    # 2025-12-02 (until 2026-10-05 at least, below): $0.50 / $1.50, cached input 10%
    # ($0.05). 100,000 x 0.5 + 10,000 x 1.5; with 40,000 cached: 60,000 x 0.5 + 40,000 x
    # 0.05 + 10,000 x 1.5. It was priced as Mistral Large 2, $2 / $6: 0.26 for the first
    # (4x), and the second unknown (no cached rate).
    Case(
        "mistral-large-latest",
        "mistral_ai",
        "mistral-large-latest",
        usage(100_000, 10_000),
        "0.065",
        MISTRAL_LARGE_3,
        at=datetime(2026, 9, 1, 12, tzinfo=UTC),
    ),
    Case(
        "mistral-large-latest cache hits",
        "mistral_ai",
        "mistral-large-latest",
        usage(100_000, 10_000, 40_000),
        "0.047",
        MISTRAL_LARGE_3 + " ; " + MISTRAL_CACHE,
        at=datetime(2026, 9, 1, 12, tzinfo=UTC),
    ),
    # From Mistral Large 4's release (2026-10-06, $0.68 / $2.09 at launch, its own names
    # mistral-large-4 and mistral-large-4-0) whether the alias moved to it is not in the docs
    # read here: unknown, not Large 3's 0.065.
    Case(
        "mistral-large-latest after large 4's release",
        "mistral_ai",
        "mistral-large-latest",
        usage(100_000, 10_000),
        None,
        "https://docs.mistral.ai/models/mistral-large-4-0 ; " + MISTRAL_LARGE_3,
        reason="no_rate",
    ),
    # From 2025-08-27 to 2025-12-01 the alias named Mistral Medium 3.1 (mistral-medium-2508),
    # $0.40 / $2: 100,000 x 0.4 + 10,000 x 2 (was 0.26).
    Case(
        "mistral-large-latest as medium 3.1",
        "mistral_ai",
        "mistral-large-latest",
        usage(100_000, 10_000),
        "0.06",
        MISTRAL_MODELS,
        at=datetime(2025, 10, 1, 12, tzinfo=UTC),
    ),
    # Devstral 2 (devstral-2512, devstral-latest, devstral-medium-latest) was free from its
    # release (2025-12-09) until 2026-01-27 ("Devstral 2.0 moves to paid API access"), then
    # $0.40 / $2, cached 10% ($0.04). On 2026-01-10: 0 (was 0.06 = 100,000 x 0.4 + 10,000 x
    # 2); from 2026-01-27 devstral-2512 0.06 as before; devstral-latest on 2026-12-01 with
    # 40,000 cached: 60,000 x 0.4 + 40,000 x 0.04 + 10,000 x 2 = 0.0456 (was unknown_model).
    Case(
        "devstral-2512 free at launch",
        "mistral_ai",
        "devstral-2512",
        usage(100_000, 10_000),
        "0",
        MISTRAL_DEVSTRAL,
        at=datetime(2026, 1, 10, 12, tzinfo=UTC),
    ),
    Case(
        "devstral-2512 paid",
        "mistral_ai",
        "devstral-2512",
        usage(100_000, 10_000),
        "0.06",
        MISTRAL_DEVSTRAL,
        at=datetime(2026, 1, 27, 0, 0, 1, tzinfo=UTC),
    ),
    Case(
        "devstral-latest cache hits",
        "mistral_ai",
        "devstral-latest",
        usage(100_000, 10_000, 40_000),
        "0.0456",
        MISTRAL_DEVSTRAL + " ; " + MISTRAL_CACHE,
    ),
    Case(
        "devstral-medium-latest free at launch",
        "mistral_ai",
        "devstral-medium-latest",
        usage(100_000, 10_000),
        "0",
        MISTRAL_DEVSTRAL,
        at=datetime(2026, 1, 10, 12, tzinfo=UTC),
    ),
    # Devstral Small 2 (labs-devstral-small-2512, devstral-small-latest): free from 2025-12-09
    # (0, was 0.013 = 100,000 x 0.1 + 10,000 x 0.3); its docs said so on 2026-01-23 and no
    # longer on 2026-03-11, the changelog names Devstral 2.0 alone: unknown between.
    Case(
        "labs-devstral-small-2512 free at launch",
        "mistral_ai",
        "labs-devstral-small-2512",
        usage(100_000, 10_000),
        "0",
        MISTRAL_DEVSTRAL_SMALL,
        at=datetime(2026, 1, 10, 12, tzinfo=UTC),
    ),
    Case(
        "devstral-small-latest paid from when is not published",
        "mistral_ai",
        "devstral-small-latest",
        usage(100_000, 10_000),
        None,
        MISTRAL_DEVSTRAL_SMALL,
        at=datetime(2026, 2, 15, 12, tzinfo=UTC),
        reason="no_rate",
    ),
    Case(
        "devstral-small-latest paid",
        "mistral_ai",
        "devstral-small-latest",
        usage(100_000, 10_000),
        "0.013",
        MISTRAL_DEVSTRAL_SMALL,
        at=datetime(2026, 3, 11, 12, tzinfo=UTC),
    ),
    # Ministral 3 (2025-12-02) by its -latest names, unknown before: 3B $0.10 / $0.10, 14B
    # $0.20 / $0.20, cached 10%. 60,000 x 0.1 + 40,000 x 0.01 + 10,000 x 0.1; 14B twice that.
    Case(
        "ministral-3b-latest cache hits",
        "mistral_ai",
        "ministral-3b-latest",
        usage(100_000, 10_000, 40_000),
        "0.0074",
        "https://docs.mistral.ai/models/ministral-3-3b-25-12 ; " + MISTRAL_CACHE,
    ),
    Case(
        "ministral-14b-latest cache hits",
        "mistral_ai",
        "ministral-14b-latest",
        usage(100_000, 10_000, 40_000),
        "0.0148",
        "https://docs.mistral.ai/models/ministral-3-14b-25-12 ; " + MISTRAL_CACHE,
    ),
    # GLM 5.2 on Mistral's API, $1.40 / cached $0.14 / $4.40 (unknown before):
    # 60,000 x 1.4 + 40,000 x 0.14 + 10,000 x 4.4.
    Case(
        "mistral zai-glm-5-2 cache hits",
        "mistral_ai",
        "zai-glm-5-2",
        usage(100_000, 10_000, 40_000),
        "0.1336",
        "https://docs.mistral.ai/models/zai-glm-5-2",
    ),
    # Voxtral Small in chat with audio input: $0.004 a minute of audio (usage's
    # prompt_audio_seconds) beside its tokens, $0.10 / $0.40: 180 x 0.004 / 60 + 1,000 x 0.1
    # + 500 x 0.4 per million. The seconds were not read from chat: it was $0.0003.
    Case(
        "voxtral-small chat audio input",
        "mistral_ai",
        "voxtral-small-latest",
        metered(seconds=180, inp=1_000, out=500),
        "0.0123",
        "https://docs.mistral.ai/models/voxtral-small-25-07" + MISTRAL_DOCS,
    ),
    # Voxtral Mini 2507 in chat with audio input: $0.001 a minute of audio beside its tokens,
    # $0.04 / $0.04: 180 x 0.001 / 60 + 1,000 x 0.04 + 500 x 0.04 per million. genai-prices
    # lacks the model: it was unknown.
    Case(
        "voxtral-mini-2507 chat audio input",
        "mistral_ai",
        "voxtral-mini-2507",
        metered(seconds=180, inp=1_000, out=500),
        "0.00306",
        "https://docs.mistral.ai/models/voxtral-mini-25-07" + MISTRAL_DOCS,
    ),
    # Voxtral TTS (voxtral-mini-tts-2603) speaks text at $16 per million characters:
    # 1,000 x 16 per million = 0.016. genai-prices lacks it: it was unknown.
    Case(
        "voxtral-mini-tts-2603 characters",
        "mistral_ai",
        "voxtral-mini-tts-2603",
        metered(characters=1_000),
        "0.016",
        "https://docs.mistral.ai/models/voxtral-tts-26-03" + MISTRAL_DOCS,
    ),
    # Mistral OCR 2505: $1 per 1,000 pages, $3 per 1,000 annotated pages (an annotated page is
    # billed at that rate only): 500 x 1 + 500 x 3 = 2,000 per 1,000 pages.
    Case(
        "mistral-ocr-2505 pages",
        "mistral_ai",
        "mistral-ocr-2505",
        metered(pages=1_000, annotated=500),
        "2",
        "https://mistral.ai/pricing (Document AI & OCR)",
    ),
    # Mistral OCR in the Batch API: every OCR release states half the page rate in batch
    # (OCR 4: "$4 per 1,000 pages, with a 50% Batch-API discount, reducing the cost to $2";
    # OCR 3: $2, $1 in batch; the first OCR: "approximately double [pages per dollar] with
    # batch inference"). genai-prices has batch page rates only for mistral-ocr-2512 and
    # mistral-ocr-4-1 from 2026-10-14, and the batch rule halved token rates alone, so batch
    # pages were billed in full. OCR 3 on 2026-03-01, 1,000 pages: 1,000 x 1 per 1,000 = 1
    # (was 2). OCR 4.0, 600 pages + 400 annotated: 600 x 2 + 400 x 2.5 = 2,200 per 1,000 =
    # 2.2 (was 4.4). mistral-ocr-4 (4.1) and mistral-ocr-latest on 2026-08-03, 1,000 pages:
    # 2 (was 4). OCR 2505, 1,000 pages: 0.5 (was 1). OCR 3 on 2026-12-01, where the data's
    # own batch rate applies ($1 per 1,000 pages, $1.50 annotated): 1,000 annotated = 1.5,
    # not halved again.
    Case(
        "mistral-ocr-2512 batch before the data's batch rate",
        "mistral_ai",
        "mistral-ocr-2512",
        metered(pages=1_000),
        "1",
        MISTRAL_OCR_BATCH,
        at=datetime(2026, 3, 1, 12, tzinfo=UTC),
        extra=BATCH,
    ),
    Case(
        "mistral-ocr-4-0 batch pages and annotated pages",
        "mistral_ai",
        "mistral-ocr-4-0",
        metered(pages=1_000, annotated=400),
        "2.2",
        MISTRAL_OCR_BATCH,
        extra=BATCH,
    ),
    Case(
        "mistral-ocr-4 batch",
        "mistral_ai",
        "mistral-ocr-4",
        metered(pages=1_000),
        "2",
        MISTRAL_OCR_BATCH,
        at=datetime(2026, 8, 3, 12, tzinfo=UTC),
        extra=BATCH,
    ),
    Case(
        "mistral-ocr-latest batch as ocr 4",
        "mistral_ai",
        "mistral-ocr-latest",
        metered(pages=1_000),
        "2",
        MISTRAL_OCR_BATCH,
        at=datetime(2026, 8, 3, 12, tzinfo=UTC),
        extra=BATCH,
    ),
    Case(
        "mistral-ocr-2505 batch",
        "mistral_ai",
        "mistral-ocr-2505",
        metered(pages=1_000),
        "0.5",
        MISTRAL_OCR_BATCH,
        extra=BATCH,
    ),
    Case(
        "mistral-ocr-2512 batch at the data's batch rate",
        "mistral_ai",
        "mistral-ocr-2512",
        metered(pages=1_000, annotated=1_000),
        "1.5",
        MISTRAL_OCR_BATCH,
        extra=BATCH,
    ),
    # ------------------------------------------- units other than text tokens, checked right
    # gpt-image-1: text input $5, image input $10, output (the image) $40 per million: 500
    # text x 5 + 500 image x 10 = 7,500 per million = 0.0075, + 4,160 output (1024x1024 high)
    # x 40 = 0.1664: 0.1739. gpt-image-1-mini ($2 / $2.50 image / $8): 500 x 2 + 500 x 2.5 =
    # 0.00225, + 1,056 (1024x1024 medium) x 8 = 0.008448: 0.010698. gpt-image-1.5 (text $5,
    # image output $32): 1,000 x 5 = 0.005, + 4,160 x 32 = 0.13312: 0.13812.
    Case(
        "gpt-image-1 image tokens",
        "openai",
        "gpt-image-1",
        usage(1_000, 4_160, image_in=500),
        "0.1739",
        OPENAI,
    ),
    Case(
        "gpt-image-1-mini image tokens",
        "openai",
        "gpt-image-1-mini",
        usage(1_000, 1_056, image_in=500),
        "0.010698",
        OPENAI,
    ),
    Case(
        "gpt-image-1.5 image output tokens",
        "openai",
        "gpt-image-1.5",
        usage(1_000, 4_160, image_out=4_160),
        "0.13812",
        OPENAI,
    ),
    # gpt-4o-transcribe: text input $2.50, audio input $6, output $10: 100 x 2.5 + 900 x 6 =
    # 5,650 per million = 0.00565, + 200 x 10 = 0.002: 0.00765.
    Case(
        "gpt-4o-transcribe audio tokens",
        "openai",
        "gpt-4o-transcribe",
        usage(1_000, 200, audio_in=900),
        "0.00765",
        OPENAI,
    ),
    # gpt-realtime: text $4 / cached $0.40 / out $16, audio $32 / cached $0.40 / out $64. In:
    # 10,000 of which 6,000 audio; 4,000 cached of which 3,000 audio. Text uncached 10,000 -
    # 6,000 - 1,000 = 3,000 x 4 = 0.012, audio uncached 3,000 x 32 = 0.096; cached 4,000 x
    # 0.4 = 0.0016; out 500 text x 16 = 0.008 + 1,500 audio x 64 = 0.096: 0.2136.
    Case(
        "gpt-realtime audio with cached audio",
        "openai",
        "gpt-realtime",
        usage(10_000, 2_000, 4_000, audio_in=6_000, audio_read=3_000, audio_out=1_500),
        "0.2136",
        OPENAI,
    ),
    # Gemini 2.5 Flash TTS: text input $0.50, audio output $10: 1,000 x 0.5 = 0.0005 + 20,000
    # x 10 = 0.2: 0.2005. Gemini 2.5 Flash native audio (Live API): text $0.50 / audio $3 in,
    # text $2 / audio $12 out: 2,000 x 0.5 + 8,000 x 3 = 0.025, 1,000 x 2 + 4,000 x 12 =
    # 0.05: 0.075.
    Case(
        "gemini-2.5-flash-preview-tts audio output",
        "gcp.gemini",
        "gemini-2.5-flash-preview-tts",
        usage(1_000, 20_000, audio_out=20_000),
        "0.2005",
        GEMINI,
    ),
    Case(
        "gemini-2.5-flash-native-audio live",
        "gcp.gemini",
        "gemini-2.5-flash-native-audio-preview-09-2025",
        usage(10_000, 5_000, audio_in=8_000, audio_out=4_000),
        "0.075",
        GEMINI,
    ),
    # Embeddings, 10,000 tokens: text-embedding-ada-002 $0.10 per million = 0.001; Cohere
    # Embed 4 text $0.12 = 0.0012 (its images are usage-missing: test_cohere_voyage);
    # mistral-embed $0.10 = 0.001.
    Case(
        "text-embedding-ada-002",
        "openai",
        "text-embedding-ada-002",
        usage(10_000),
        "0.001",
        OPENAI,
    ),
    Case("cohere embed-v4.0 text", "cohere", "embed-v4.0", usage(10_000), "0.0012", COHERE),
    Case(
        "mistral-embed",
        "mistral_ai",
        "mistral-embed",
        usage(10_000),
        "0.001",
        "https://mistral.ai/pricing",
    ),
    # Claude Sonnet 4.5 over 200K input (cache reads and writes counted): $6 / $22.50, cache
    # reads $0.60, 1-hour writes $12. 300,000 in: 100,000 read, 50,000 written for 1 hour;
    # 150,000 x 6 = 0.9 + 100,000 x 0.6 = 0.06 + 50,000 x 12 = 0.6 + 2,000 x 22.5 = 0.045:
    # 1.605. Under 200K (150,000: 50,000 read, 30,000 5-minute and 20,000 1-hour writes):
    # 50,000 x 3 + 50,000 x 0.3 + 30,000 x 3.75 + 20,000 x 6 + 2,000 x 15 = 0.4275.
    Case(
        "claude-sonnet-4-5 over 200K with 1h writes",
        "anthropic",
        "claude-sonnet-4-5",
        usage(300_000, 2_000, 100_000, 50_000, write_1h=50_000),
        "1.605",
        ANTHROPIC,
    ),
    Case(
        "claude-sonnet-4-5 5m and 1h writes",
        "anthropic",
        "claude-sonnet-4-5",
        usage(150_000, 2_000, 50_000, 50_000, write_1h=20_000),
        "0.4275",
        ANTHROPIC,
    ),
    # Gemini 2.5 Pro in batch over 200K: $1.25 / $7.50 (half of $2.50 / $15): 300,000 x 1.25
    # + 2,000 x 7.5 = 0.39.
    Case(
        "gemini-2.5-pro batch long context",
        "gcp.gemini",
        "gemini-2.5-pro",
        usage(300_000, 2_000, tier="batch"),
        "0.39",
        GEMINI + " ; https://ai.google.dev/gemini-api/docs/batch-mode",
    ),
    # OpenAI web search by model family: $10 per 1,000 calls on reasoning models, preview
    # tool included, plus tokens. o3 ($2 / $8): 10,000 x 2 + 1,000 x 8 = 0.028 + 0.01 =
    # 0.038. GPT-5 with web_search_preview ($1.25 / $10): 0.0225 + 0.01 = 0.0325.
    Case(
        "o3 web_search",
        "openai",
        "o3",
        metered(searches=1, inp=10_000, out=1_000),
        "0.038",
        OPENAI_SEARCH,
    ),
    Case(
        "gpt-5 web_search_preview",
        "openai",
        "gpt-5",
        metered(searches=1, preview=1, inp=10_000, out=1_000),
        "0.0325",
        OPENAI_SEARCH,
    ),
    # ------------------------------------------------ Claude 5 generation, endpoints, audio
    # Claude Haiku 5.5 bills a prompt (input, cache reads and writes) of up to 100,000 tokens
    # at $0.10 / $0.50, and every token of a longer one at 5x. At 100,000 exactly, the base:
    # 100,000 x 0.1 + 1,000 x 0.5 = 0.01 + 0.0005.
    Case(
        "claude-haiku-5-5 at 100K",
        "anthropic",
        "claude-haiku-5-5",
        usage(100_000, 1_000),
        "0.0105",
        HAIKU_5_5,
    ),
    # 100,001 (60,000 read, 30,000 written): 10,001 x 0.5 + 60,000 x 0.05 + 30,000 x 0.625
    # + 1,000 x 2.5 = 0.0050005 + 0.003 + 0.01875 + 0.0025.
    Case(
        "claude-haiku-5-5 over 100K with cache reads and writes",
        "anthropic",
        "claude-haiku-5-5",
        usage(100_001, 1_000, 60_000, 30_000),
        "0.0292505",
        HAIKU_5_5,
    ),
    # Batch halves the long-prompt rates: (50,000 x 0.5 + 100,000 x 0.05 + 10,000 x 2.5) / 2.
    Case(
        "claude-haiku-5-5 batch over 100K",
        "anthropic",
        "claude-haiku-5-5",
        usage(150_000, 10_000, 100_000, tier="batch"),
        "0.0275",
        HAIKU_5_5,
    ),
    # Through Bedrock's us. profile and a Vertex AI regional endpoint, 10% over the global
    # rates on every token of the long prompt: 0.055 x 1.1.
    Case(
        "bedrock us haiku-5-5 over 100K",
        "aws.bedrock",
        "us.anthropic.claude-haiku-5-5",
        usage(150_000, 10_000, 100_000),
        "0.0605",
        HAIKU_5_5 + " ; " + BEDROCK_PROFILES,
    ),
    Case(
        "vertex regional haiku-5-5 over 100K",
        "gcp.vertex_ai",
        "projects/p/locations/us-east5/publishers/anthropic/models/claude-haiku-5-5",
        usage(150_000, 10_000, 100_000),
        "0.0605",
        HAIKU_5_5 + " ; " + VERTEX_REGIONAL,
    ),
    # Claude Fable 5.1 $10 / cache hits $0.25 (0.025x input) / $50: 60,000 x 10 + 40,000 x
    # 0.25 + 10,000 x 50.
    Case(
        "claude-fable-5-1 cache hits",
        "anthropic",
        "claude-fable-5-1",
        usage(100_000, 10_000, 40_000),
        "1.11",
        ANTHROPIC,
    ),
    # Claude Opus 5.5: 40,000 x 4 + 40,000 x 0.2 + 10,000 x 5 (5m) + 10,000 x 8 (1h) +
    # 10,000 x 20 = 0.16 + 0.008 + 0.05 + 0.08 + 0.2.
    Case(
        "claude-opus-5-5 cache hits, 5m and 1h writes",
        "anthropic",
        "claude-opus-5-5",
        usage(100_000, 10_000, 40_000, 20_000, write_1h=10_000),
        "0.498",
        OPUS_5_5,
    ),
    # In batch: (60,000 x 4 + 40,000 x 0.2 + 10,000 x 20) / 2 = 0.448 / 2.
    Case(
        "claude-opus-5-5 batch cache hits",
        "anthropic",
        "claude-opus-5-5",
        usage(100_000, 10_000, 40_000, tier="batch"),
        "0.224",
        OPUS_5_5,
    ),
    # Sonnet 5's increase to $3 / $15 planned for 2026-09-01 was called off: $2 / $10 after it.
    Case(
        "claude-sonnet-5 after the increase called off",
        "anthropic",
        "claude-sonnet-5",
        usage(100_000, 10_000),
        "0.3",
        "https://platform.claude.com/docs/en/models/sonnet-5/overview ($2 / $10)",
        at=datetime(2026, 10, 1, 12, tzinfo=UTC),
    ),
    # Claude Sonnet 5.5's 1M context at one rate (no long-context tier): 200,000 x 2 +
    # 100,000 x 0.1 + 10,000 x 10.
    Case(
        "claude-sonnet-5-5 300K",
        "anthropic",
        "claude-sonnet-5-5",
        usage(300_000, 10_000, 100_000),
        "0.51",
        SONNET_5_5,
    ),
    # Claude Sonnet 4.6 through Bedrock: global $3 / $15; the jp. profile (a geographic one)
    # 10% more: (100,000 x 3 + 10,000 x 15) x 1.1.
    Case(
        "bedrock global sonnet-4-6",
        "aws.bedrock",
        "global.anthropic.claude-sonnet-4-6",
        usage(100_000, 10_000),
        "0.45",
        BEDROCK_PROFILES,
    ),
    Case(
        "bedrock jp sonnet-4-6",
        "aws.bedrock",
        "jp.anthropic.claude-sonnet-4-6",
        usage(100_000, 10_000),
        "0.495",
        BEDROCK_PROFILES,
    ),
    # GPT-4o Audio, 100,000 in (30,000 audio), 10,000 out (6,000 audio): 70,000 x 2.5 +
    # 30,000 x 40 + 4,000 x 10 + 6,000 x 80 = 0.175 + 1.2 + 0.04 + 0.48.
    Case(
        "gpt-4o-audio-preview audio",
        "openai",
        "gpt-4o-audio-preview",
        usage(100_000, 10_000, audio_in=30_000, audio_out=6_000),
        "1.895",
        OPENAI_AUDIO,
    ),
    # Its first snapshot's audio rate is not published: with audio, unknown (genai-prices
    # billed it as text, 0.35); text alone at $2.50 / $10.
    Case(
        "gpt-4o-audio-preview-2024-10-01 audio",
        "openai",
        "gpt-4o-audio-preview-2024-10-01",
        usage(100_000, 10_000, audio_in=30_000, audio_out=6_000),
        None,
        OPENAI_AUDIO,
        reason="no_rate",
    ),
    Case(
        "gpt-4o-audio-preview-2024-10-01 text only",
        "openai",
        "gpt-4o-audio-preview-2024-10-01",
        usage(100_000, 10_000),
        "0.35",
        OPENAI_AUDIO,
    ),
    # The realtime alias named that snapshot until 2024-12-17: 70,000 x 5 + 30,000 x 100 +
    # 4,000 x 20 + 6,000 x 200 = 0.35 + 3 + 0.08 + 1.2.
    Case(
        "gpt-4o-realtime-preview before 2024-12-17",
        "openai",
        "gpt-4o-realtime-preview",
        usage(100_000, 10_000, audio_in=30_000, audio_out=6_000),
        "4.63",
        REALTIME_LAUNCH,
        at=datetime(2024, 11, 20, 12, tzinfo=UTC),
    ),
    # GPT-4o priority $4.25 / $17: 100,000 x 4.25 + 10,000 x 17.
    Case(
        "gpt-4o priority",
        "openai",
        "gpt-4o",
        usage(100_000, 10_000, tier="priority"),
        "0.595",
        OPENAI_PRIORITY,
    ),
    # Gemini 3 Pro Preview over 200K: $4 / cache hits $0.40 / $18 on every token: 200,000 x 4
    # + 100,000 x 0.4 + 10,000 x 18; in batch, half of $4 / $18: 300,000 x 2 + 10,000 x 9.
    Case(
        "gemini-3-pro-preview long context cache hits",
        "gcp.gemini",
        "gemini-3-pro-preview",
        usage(300_000, 10_000, 100_000),
        "1.02",
        GEMINI,
    ),
    Case(
        "gemini-3-pro-preview batch long context",
        "gcp.gemini",
        "gemini-3-pro-preview",
        usage(300_000, 10_000, tier="batch"),
        "0.69",
        GEMINI_BATCH,
    ),
    # Mistral snapshots genai-prices lacks (unpriced before), 100,000 in + 10,000 out at their
    # model pages' rates: Small 3.0 and 3.1 $0.10 / $0.30 (0.01 + 0.003); Devstral Medium 1.0
    # $0.40 / $2 (0.04 + 0.02); Pixtral 12B $0.15 / $0.15 (0.015 + 0.0015); Ministral 3B
    # $0.04 / $0.04 (0.004 + 0.0004). Each between its release and its retirement.
    *(
        Case(
            model,
            "mistral_ai",
            model,
            usage(100_000, 10_000),
            cost,
            f"https://docs.mistral.ai/models/{slug}" + MISTRAL_DOCS,
            at=datetime(*day, 12, tzinfo=UTC),
        )
        for model, slug, cost, day in (
            ("mistral-small-2501", "mistral-small-3-0-25-01", "0.013", (2025, 6, 2)),
            ("mistral-small-2503", "mistral-small-3-1-25-03", "0.013", (2025, 6, 2)),
            ("devstral-medium-2507", "devstral-medium-1-0-25-07", "0.06", (2026, 1, 12)),
            ("pixtral-12b-2409", "pixtral-12b-24-09", "0.0165", (2025, 6, 2)),
            ("ministral-3b-2410", "ministral-3b-24-1", "0.0044", (2025, 6, 2)),
        )
    ),
    # GPT-4o mini Search Preview bills a fee per search on every call, which its usage does
    # not count: unknown, directly and through OpenRouter, which passes the fee through (both
    # were billed at gpt-4o-mini's token rates alone, 100,000 x 0.15 + 10,000 x 0.6 = 0.021).
    Case(
        "gpt-4o-mini-search-preview",
        "openai",
        "gpt-4o-mini-search-preview",
        usage(100_000, 10_000),
        None,
        OPENAI_SEARCH,
        reason="unknown_model",
    ),
    Case(
        "openrouter gpt-4o-mini-search-preview",
        "openrouter",
        "openai/gpt-4o-mini-search-preview",
        usage(100_000, 10_000),
        None,
        OPENAI_SEARCH + " ; https://openrouter.ai/docs/faq (provider pricing passed through)",
        reason="no_rate",
    ),
    # Gemini 1.5 Flash-8B has rates of its own, lower than 1.5 Flash's, not readable here:
    # unknown (genai-prices' 1.5 Flash clause billed it 100,000 x 0.075 + 10,000 x 0.3).
    Case(
        "gemini-1.5-flash-8b",
        "gcp.gemini",
        "gemini-1.5-flash-8b",
        usage(100_000, 10_000),
        None,
        "https://ai.google.dev/gemini-api/docs/models (Gemini 1.5 Flash-8B listed apart)",
        at=datetime(2025, 5, 1, 12, tzinfo=UTC),
        reason="no_rate",
    ),
    # Opus 4.8's fast mode through a LiteLLM route of OpenRouter's id: 2x ($10 / $50), which
    # no price data lists under this id; it was priced as Opus 4.8 at $5 / $25,
    # 100,000 x 5 + 10,000 x 25 = 0.75. Unknown.
    Case(
        "claude-opus-4.8-fast route",
        "",
        "anthropic/claude-opus-4.8-fast",
        usage(100_000, 10_000),
        None,
        "https://code.claude.com/docs/en/fast-mode (Opus 4.8 fast mode) ; " + ANTHROPIC_FAST,
        at=datetime(2026, 10, 1, 12, tzinfo=UTC),
        reason="unknown_model",
    ),
    # A distilled open-weight model with no provider named was priced as DeepSeek's
    # deepseek-reasoner (R1, $0.55 / $2.19 then): 100,000 x 0.55 + 10,000 x 2.19 = 0.0769.
    # DeepSeek's API serves no distilled model: unknown. Groq's own entry still prices it.
    Case(
        "deepseek-r1-distill-qwen-32b without a provider",
        "",
        "deepseek-r1-distill-qwen-32b",
        usage(100_000, 10_000),
        None,
        DEEPSEEK,
        at=datetime(2025, 6, 2, 12, tzinfo=UTC),
        reason="unknown_model",
    ),
    Case(
        "groq deepseek-r1-distill-llama-70b",
        "groq",
        "deepseek-r1-distill-llama-70b",
        usage(100_000, 10_000),
        "0.0849",
        GROQ + " (DeepSeek R1 Distill Llama 70B $0.75 / $0.99)",
        at=datetime(2025, 6, 2, 12, tzinfo=UTC),
    ),
    # The gpt-4o alias named gpt-4o-2024-05-13 ($5 / $15) until OpenAI moved it on
    # 2024-10-02, at an hour not published; genai-prices billed it at the 08-06 snapshot's
    # $2.50 / $10 at every date (100,000 x 2.5 + 10,000 x 10 = 0.35).
    # 100,000 x 5 + 10,000 x 15 = 0.65.
    Case(
        "gpt-4o alias before 2024-10-02",
        "openai",
        "gpt-4o",
        usage(100_000, 10_000),
        "0.65",
        GPT_4O_ALIAS,
        at=datetime(2024, 8, 1, 12, tzinfo=UTC),
    ),
    Case(
        "gpt-4o alias on 2024-10-02",
        "openai",
        "gpt-4o",
        usage(100_000, 10_000),
        None,
        GPT_4O_ALIAS,
        at=datetime(2024, 10, 2, 12, tzinfo=UTC),
        reason="no_rate",
    ),
    Case(
        "gpt-4o alias on 2024-10-03",
        "openai",
        "gpt-4o",
        usage(100_000, 10_000),
        "0.35",
        GPT_4O_ALIAS,
        at=datetime(2024, 10, 3, 12, tzinfo=UTC),
    ),
    # Gemini 2.5 Flash Preview's cache reads at $0.0375 (they were unknown):
    # 60,000 x 0.15 + 40,000 x 0.0375 + 10,000 x 0.6 = 0.009 + 0.0015 + 0.006.
    Case(
        "gemini-2.5-flash-preview-04-17 cache hits",
        "gcp.gemini",
        "gemini-2.5-flash-preview-04-17",
        usage(100_000, 10_000, 40_000),
        "0.0165",
        FLASH_PREVIEW_CACHE,
        at=datetime(2025, 5, 1, 12, tzinfo=UTC),
    ),
    # With thinking on, every output token at $3.50: 0.009 + 0.0015 + 10,000 x 3.5.
    Case(
        "gemini-2.5-flash-preview-05-20 cache hits and thinking",
        "gcp.gemini",
        "gemini-2.5-flash-preview-05-20",
        usage(100_000, 10_000, 40_000, reasoning=8_000),
        "0.0455",
        FLASH_PREVIEW_CACHE + " ; " + FLASH_PREVIEW,
        at=datetime(2025, 6, 1, 12, tzinfo=UTC),
    ),
    # Its audio input had a rate of its own, not readable here: unknown (it was billed as
    # text, 100,000 x 0.15 + 10,000 x 0.6 = 0.021).
    Case(
        "gemini-2.5-flash-preview-05-20 audio",
        "gcp.gemini",
        "gemini-2.5-flash-preview-05-20",
        usage(100_000, 10_000, audio_in=30_000),
        None,
        FLASH_PREVIEW_CACHE,
        at=datetime(2025, 6, 1, 12, tzinfo=UTC),
        reason="no_rate",
    ),
    # Flash-Lite's preview billed audio at $0.50 (GA's $0.30 before: 0.024):
    # 50,000 x 0.1 + 50,000 x 0.5 + 10,000 x 0.4 = 0.005 + 0.025 + 0.004.
    Case(
        "gemini-2.5-flash-lite-preview-06-17 audio",
        "gcp.gemini",
        "gemini-2.5-flash-lite-preview-06-17",
        usage(100_000, 10_000, audio_in=50_000),
        "0.034",
        FLASH_LITE_GA,
        at=datetime(2025, 7, 1, 12, tzinfo=UTC),
    ),
    # The preview's cached rate is not readable here (GA's later $0.01 was billed:
    # 80,000 x 0.1 + 20,000 x 0.01 + 10,000 x 0.4 = 0.0122): unknown.
    Case(
        "gemini-2.5-flash-lite-preview-06-17 cache hits",
        "gcp.gemini",
        "gemini-2.5-flash-lite-preview-06-17",
        usage(100_000, 10_000, 20_000),
        None,
        FLASH_LITE_GA,
        at=datetime(2025, 7, 1, 12, tzinfo=UTC),
        reason="no_rate",
    ),
    # Embed 4's image tokens have a rate of their own above its $0.12 text rate, not readable
    # here: unknown (they were billed as text, 1,000 x 0.12 = 0.00012).
    Case(
        "embed-v4.0 image tokens",
        "cohere",
        "embed-v4.0",
        usage(1_000, image_in=1_000),
        None,
        COHERE + " (Embed 4: text $0.12 per million, images apart)",
        at=datetime(2025, 7, 1, 12, tzinfo=UTC),
        reason="no_rate",
    ),
    # grok-4-fast and grok-4-1-fast: $0.20 / $0.50, cached $0.05, up to 128K tokens a request:
    # 60,000 x 0.2 + 40,000 x 0.05 + 10,000 x 0.5 = 0.012 + 0.002 + 0.005.
    *(
        Case(
            f"{model} cache hits",
            "xai",
            model,
            usage(100_000, 10_000, 40_000),
            "0.019",
            XAI,
            at=BEFORE_XAI_RETIREMENT,
        )
        for model in ("grok-4-fast-reasoning", "grok-4-1-fast-non-reasoning")
    ),
    # Over 128K tokens a request they cost more, at rates no page read here states (they were
    # billed at the base rates, 125,000 x 0.2 + 5,000 x 0.5 = 0.0275): unknown.
    *(
        Case(
            f"{model} over 128K",
            "xai",
            model,
            usage(125_000, 5_000),
            None,
            XAI,
            at=BEFORE_XAI_RETIREMENT,
            reason="no_rate",
        )
        for model in ("grok-4-fast-reasoning", "grok-4-1-fast-non-reasoning")
    ),
    # o3 before its cut of 2025-06-10: cached input $2.50, not the later $0.50 (1.02 before):
    # 60,000 x 10 + 40,000 x 2.5 + 10,000 x 40 = 0.6 + 0.1 + 0.4.
    Case(
        "o3 cache hits before the cut",
        "openai",
        "o3",
        usage(100_000, 10_000, 40_000),
        "1.1",
        O3_LAUNCH,
        at=datetime(2025, 5, 1, 12, tzinfo=UTC),
    ),
    # After it: 60,000 x 2 + 40,000 x 0.5 + 10,000 x 8 = 0.12 + 0.02 + 0.08.
    Case(
        "o3-2025-04-16 cache hits after the cut",
        "openai",
        "o3-2025-04-16",
        usage(100_000, 10_000, 40_000),
        "0.22",
        O3_LAUNCH,
        at=datetime(2025, 6, 11, 12, tzinfo=UTC),
    ),
    # Gemini 1.5 Pro before 2024-10-01, $3.50 / $10.50 up to 128K (0.175 before, the later
    # $1.25 / $5): 100,000 x 3.5 + 10,000 x 10.5.
    Case(
        "gemini-1.5-pro before its cut",
        "gcp.gemini",
        "gemini-1.5-pro",
        usage(100_000, 10_000),
        "0.455",
        GEMINI_1_5_LAUNCH,
        at=datetime(2024, 9, 1, 12, tzinfo=UTC),
    ),
    # Over 128K, $7 / $21 on every token (0.6 before): 200,000 x 7 + 10,000 x 21.
    Case(
        "gemini-1.5-pro-002 over 128K before the cut",
        "gcp.gemini",
        "gemini-1.5-pro-002",
        usage(200_000, 10_000),
        "1.61",
        GEMINI_1_5_LAUNCH,
        at=datetime(2024, 9, 30, 12, tzinfo=UTC),
    ),
    Case(
        "gemini-1.5-pro after its cut",
        "gcp.gemini",
        "gemini-1.5-pro",
        usage(100_000, 10_000),
        "0.175",
        GEMINI_1_5_LAUNCH,
        at=datetime(2024, 10, 1, 12, tzinfo=UTC),
    ),
    # Gemini 1.5 Flash before 2024-08-12, $0.35 / $1.05 (0.0105 before):
    # 100,000 x 0.35 + 10,000 x 1.05.
    Case(
        "gemini-1.5-flash before its cut",
        "gcp.gemini",
        "gemini-1.5-flash",
        usage(100_000, 10_000),
        "0.0455",
        GEMINI_1_5_LAUNCH,
        at=datetime(2024, 7, 1, 12, tzinfo=UTC),
    ),
    # o1-mini at launch rates until 2025-01-31 (0.132 before, the later $1.10 / $0.55 /
    # $4.40): 60,000 x 3 + 40,000 x 1.5 + 10,000 x 12 = 0.18 + 0.06 + 0.12.
    Case(
        "o1-mini cache hits before the cut",
        "openai",
        "o1-mini",
        usage(100_000, 10_000, 40_000),
        "0.36",
        O1_MINI_LAUNCH,
        at=datetime(2024, 11, 1, 12, tzinfo=UTC),
    ),
    Case(
        "o1-mini-2024-09-12 on the day of the cut",
        "openai",
        "o1-mini-2024-09-12",
        usage(100_000, 10_000),
        None,
        O1_MINI_LAUNCH,
        at=datetime(2025, 1, 31, 12, tzinfo=UTC),
        reason="no_rate",
    ),
    Case(
        "o1-mini cache hits after the cut",
        "openai",
        "o1-mini",
        usage(100_000, 10_000, 40_000),
        "0.132",
        O1_MINI_LAUNCH,
        at=datetime(2025, 2, 1, 12, tzinfo=UTC),
    ),
    # Claude 3.5 Haiku at its launch rates until 2024-12-03, $1 / $5, writes $1.25, reads
    # $0.10 (0.0952 before, the later rates): 40,000 x 1 + 40,000 x 0.1 + 20,000 x 1.25 +
    # 10,000 x 5 = 0.04 + 0.004 + 0.025 + 0.05.
    Case(
        "claude-3-5-haiku before its cut",
        "anthropic",
        "claude-3-5-haiku-20241022",
        usage(100_000, 10_000, 40_000, 20_000),
        "0.119",
        HAIKU_3_5_LAUNCH,
        at=datetime(2024, 11, 20, 12, tzinfo=UTC),
    ),
    Case(
        "claude-3-5-haiku-latest on the day of its cut",
        "anthropic",
        "claude-3-5-haiku-latest",
        usage(100_000, 10_000),
        None,
        HAIKU_3_5_LAUNCH,
        at=datetime(2024, 12, 3, 12, tzinfo=UTC),
        reason="no_rate",
    ),
    # After: 40,000 x 0.8 + 40,000 x 0.08 + 20,000 x 1 + 10,000 x 4.
    Case(
        "claude-3-5-haiku after its cut",
        "anthropic",
        "claude-3-5-haiku-20241022",
        usage(100_000, 10_000, 40_000, 20_000),
        "0.0952",
        HAIKU_3_5_LAUNCH,
        at=datetime(2024, 12, 4, 12, tzinfo=UTC),
    ),
    # Gemini 2.5 Pro Preview's cache reads at $0.31, a quarter of its input (the later $0.125
    # was billed, 0.18): 60,000 x 1.25 + 40,000 x 0.31 + 10,000 x 10 = 0.075 + 0.0124 + 0.1.
    Case(
        "gemini-2.5-pro-preview-05-06 cache hits",
        "gcp.gemini",
        "gemini-2.5-pro-preview-05-06",
        usage(100_000, 10_000, 40_000),
        "0.1874",
        GEMINI_2_5_PRO_PREVIEW,
        at=datetime(2025, 5, 15, 12, tzinfo=UTC),
    ),
    # Over 200K (0.675 before): 200,000 x 2.5 + 100,000 x 0.625 + 10,000 x 15.
    Case(
        "gemini-2.5-pro-preview-06-05 cache hits over 200K",
        "gcp.gemini",
        "gemini-2.5-pro-preview-06-05",
        usage(300_000, 10_000, 100_000),
        "0.7125",
        GEMINI_2_5_PRO_PREVIEW,
        at=datetime(2025, 6, 10, 12, tzinfo=UTC),
    ),
    # The cut was "across all platforms": Bedrock's (in-region and the us. profile) and Vertex
    # AI's were billed the later $0.80 / $4 before it too (0.12): 100,000 x 1 + 10,000 x 5.
    *(
        Case(
            f"{model} before the cut",
            provider,
            model,
            usage(100_000, 10_000),
            "0.15",
            HAIKU_3_5_LAUNCH,
            at=datetime(2024, 11, 20, 12, tzinfo=UTC),
        )
        for provider, model in (
            ("aws.bedrock", "anthropic.claude-3-5-haiku-20241022-v1:0"),
            ("aws.bedrock", "us.anthropic.claude-3-5-haiku-20241022-v1:0"),
            ("gcp.vertex_ai", "claude-3-5-haiku@20241022"),
        )
    ),
    # The gpt-3.5-turbo alias before 0125 (genai-prices billed 0125's $0.50 / $1.50 at every
    # date, 0.065): $2 / $2 at launch, $1.50 / $2 from 2023-06-13; which snapshot it named
    # from 2023-12-11 until its move to 0125 is not published: unknown.
    *(
        Case(
            f"gpt-3.5-turbo on {day}",
            "openai",
            "gpt-3.5-turbo",
            usage(100_000, 10_000),
            cost,
            GPT_35_ALIAS,
            at=datetime(*day, 12, tzinfo=UTC),
            reason=reason,
        )
        for day, cost, reason in (
            ((2023, 4, 1), "0.22", ""),  # 100,000 x 2 + 10,000 x 2
            ((2023, 8, 1), "0.17", ""),  # 100,000 x 1.5 + 10,000 x 2
            ((2024, 1, 1), None, "no_rate"),
            ((2024, 3, 1), "0.065", ""),  # 100,000 x 0.5 + 10,000 x 1.5
        )
    ),
    # ------------------------------------------------------- round of 2026-12-03, 22:20 UTC
    # Mistral Large 2 at its launch rates, $3 / $9, until the cut of 2024-09-17 (0.26 before,
    # the later $2 / $6): 100,000 x 3 + 10,000 x 9. The day of the cut is unknown (its hour is
    # not published); after it, 100,000 x 2 + 10,000 x 6.
    *(
        Case(
            f"{model} on {datetime(*day, tzinfo=UTC):%Y-%m-%d}",
            "mistral_ai",
            model,
            usage(100_000, 10_000),
            cost,
            MISTRAL_LARGE_2,
            at=datetime(*day, 12, tzinfo=UTC),
            reason=reason,
        )
        for model, day, cost, reason in (
            ("mistral-large-2407", (2024, 8, 15), "0.39", ""),
            ("mistral-large-2407", (2024, 9, 17), None, "no_rate"),
            ("mistral-large-2407", (2024, 10, 1), "0.26", ""),
            ("mistral-large-latest", (2024, 8, 15), "0.39", ""),
            # named mistral-large-2402 until 2024-07-24, its rates of then not read (0.26)
            ("mistral-large-latest", (2024, 6, 1), None, "no_rate"),
            # named codestral-2405 / mistral-small-2402 or -2409 (0.039 / 0.013 before: the
            # later Codestral 25.01's $0.30 / $0.90 and Small 3's $0.10 / $0.30)
            ("codestral-latest", (2024, 10, 1), None, "no_rate"),
            ("mistral-small-latest", (2024, 10, 1), None, "no_rate"),
            # after the moves: 100,000 x 0.3 + 10,000 x 0.9; 100,000 x 0.1 + 10,000 x 0.3
            ("codestral-latest", (2025, 3, 1), "0.039", ""),
            ("mistral-small-latest", (2025, 3, 1), "0.013", ""),
        )
    ),
    # Gemini 2.5 Pro and Flash at GA billed cache hits at a quarter of input (0.18 / 0.675 /
    # 0.0519 before, the later tenth). Pro: 60,000 x 1.25 + 40,000 x 0.31 + 10,000 x 10;
    # over 200K: 200,000 x 2.5 + 100,000 x 0.625 + 10,000 x 15. Flash, 20,000 audio of which
    # 10,000 cached: 50,000 text x 0.3 + 10,000 audio x 1 + 30,000 cached text x 0.075 +
    # 10,000 cached audio x 0.25 + 10,000 x 2.5 = 0.015 + 0.01 + 0.00225 + 0.0025 + 0.025.
    # From 2025-07-06 to 2025-10-31 (the change's day is not published) a call with cache
    # hits is unknown; one without is priced; from 2025-11-01 the tenth ($0.125).
    *(
        Case(
            f"{model} {label}",
            provider,
            model,
            counts,
            cost,
            GEMINI_2_5_CACHE,
            at=datetime(*day, 12, tzinfo=UTC),
            reason="" if cost else "no_rate",
        )
        for provider, model, label, counts, day, cost in (
            (
                "gcp.gemini",
                "gemini-2.5-pro",
                "GA cache hits",
                usage(100_000, 10_000, 40_000),
                (2025, 6, 20),
                "0.1874",
            ),
            (
                "gcp.gemini",
                "gemini-2.5-pro",
                "GA cache hits over 200K",
                usage(300_000, 10_000, 100_000),
                (2025, 6, 20),
                "0.7125",
            ),
            (
                "gcp.gemini",
                "gemini-2.5-pro",
                "cache hits while the rate moved",
                usage(100_000, 10_000, 40_000),
                (2025, 9, 1),
                None,
            ),
            # 100,000 x 1.25 + 10,000 x 10
            (
                "gcp.gemini",
                "gemini-2.5-pro",
                "no cache hits while the rate moved",
                usage(100_000, 10_000),
                (2025, 9, 1),
                "0.225",
            ),
            # 60,000 x 1.25 + 40,000 x 0.125 + 10,000 x 10
            (
                "gcp.gemini",
                "gemini-2.5-pro",
                "cache hits at a tenth",
                usage(100_000, 10_000, 40_000),
                (2025, 11, 15),
                "0.18",
            ),
            (
                "gcp.gemini",
                "gemini-2.5-flash",
                "GA cached audio",
                usage(100_000, 10_000, 40_000, audio_in=20_000, audio_read=10_000),
                (2025, 6, 20),
                "0.05475",
            ),
            (
                "gcp.gemini",
                "gemini-2.5-flash",
                "cache hits while the rate moved",
                usage(100_000, 10_000, 40_000),
                (2025, 8, 1),
                None,
            ),
            # 70,000 x 0.3 + 30,000 audio x 1 + 10,000 x 2.5
            (
                "gcp.gemini",
                "gemini-2.5-flash",
                "audio while the rate moved",
                usage(100_000, 10_000, audio_in=30_000),
                (2025, 8, 1),
                "0.076",
            ),
            (
                "gcp.vertex_ai",
                "gemini-2.5-flash-lite",
                "cache hits while the rate moved",
                usage(100_000, 10_000, 40_000),
                (2025, 8, 1),
                None,
            ),
            (
                "gcp.gemini",
                "gemini-2.5-flash-preview-09-2025",
                "cache hits",
                usage(100_000, 10_000, 40_000),
                (2025, 10, 1),
                None,
            ),
        )
    ),
    # Models and units no case had. 100,000 in + 10,000 out, 2025-09-01, unless said.
    *(
        Case(
            model if label == "" else f"{model} {label}",
            provider,
            model,
            counts,
            cost,
            source,
            at=datetime(2025, 9, 1, 12, tzinfo=UTC),
        )
        for provider, model, label, counts, cost, source in (
            # o3-pro $20 / $80; o1-pro $150 / $600; gpt-5-pro $15 / $120;
            # chatgpt-4o-latest $5 / $15; gpt-3.5-turbo-instruct $1.50 / $2.
            ("openai", "o3-pro", "", usage(100_000, 10_000), "2.8", OPENAI),
            ("openai", "o1-pro", "", usage(100_000, 10_000), "21", OPENAI),
            ("openai", "gpt-5-pro", "", usage(100_000, 10_000), "2.7", OPENAI),
            ("openai", "chatgpt-4o-latest", "", usage(100_000, 10_000), "0.65", OPENAI),
            ("openai", "gpt-3.5-turbo-instruct", "", usage(100_000, 10_000), "0.17", OPENAI),
            # 40,000 cached: o4-mini-deep-research $2 / $0.50 / $8 = 0.12 + 0.02 + 0.08;
            # o3-deep-research $10 / $2.50 / $40; gpt-4.1-nano $0.10 / $0.025 / $0.40;
            # codex-mini-latest $1.50 / $0.375 / $6.
            (
                "openai",
                "o4-mini-deep-research",
                "cache hits",
                usage(100_000, 10_000, 40_000),
                "0.22",
                OPENAI,
            ),
            (
                "openai",
                "o3-deep-research",
                "cache hits",
                usage(100_000, 10_000, 40_000),
                "1.1",
                OPENAI,
            ),
            (
                "openai",
                "gpt-4.1-nano",
                "cache hits",
                usage(100_000, 10_000, 40_000),
                "0.011",
                OPENAI,
            ),
            (
                "openai",
                "codex-mini-latest",
                "cache hits",
                usage(100_000, 10_000, 40_000),
                "0.165",
                OPENAI,
            ),
            # gpt-5-nano $0.05 / $0.005 / $0.40, its 8,000 reasoning tokens inside the output:
            # 60,000 x 0.05 + 40,000 x 0.005 + 10,000 x 0.4.
            (
                "openai",
                "gpt-5-nano",
                "reasoning",
                usage(100_000, 10_000, 40_000, reasoning=8_000),
                "0.0072",
                OPENAI,
            ),
            # Batch table: gpt-5 $0.625 / cached $0.0625 / $5 = 0.0375 + 0.0025 + 0.05.
            (
                "openai",
                "gpt-5",
                "batch cache hits",
                usage(100_000, 10_000, 40_000, tier="batch"),
                "0.09",
                OPENAI_BATCH + " ; " + OPENAI,
            ),
            # Flex: gpt-5-mini $0.125 / $0.0125 / $1 = 0.0075 + 0.0005 + 0.01.
            (
                "openai",
                "gpt-5-mini",
                "flex cache hits",
                usage(100_000, 10_000, 40_000, tier="flex"),
                "0.018",
                OPENAI_FLEX,
            ),
            # Embeddings in batch: text-embedding-3-large $0.065 (half of $0.13) x 100,000.
            (
                "openai",
                "text-embedding-3-large",
                "batch",
                usage(100_000, tier="batch"),
                "0.0065",
                OPENAI_BATCH + " ; " + OPENAI,
            ),
            # gpt-audio-mini: text $0.60 / $2.40, audio $10 / $20; 50,000 of the input and
            # 8,000 of the output audio: 0.03 + 0.5 + 0.0048 + 0.16.
            (
                "openai",
                "gpt-audio-mini",
                "audio",
                usage(100_000, 10_000, audio_in=50_000, audio_out=8_000),
                "0.6948",
                "https://developers.openai.com/api/docs/models/gpt-audio-mini",
            ),
            # Cohere Command A $2.50 / $10; Command R7B $0.0375 / $0.15.
            ("cohere", "command-a-03-2025", "", usage(100_000, 10_000), "0.35", COHERE),
            ("cohere", "command-r7b-12-2024", "", usage(100_000, 10_000), "0.00525", COHERE),
            # Claude 3.7 Sonnet, 40,000 read, 10,000 written for 1 hour (2x input, $6):
            # 50,000 x 3 + 40,000 x 0.3 + 10,000 x 6 + 10,000 x 15 = 0.15 + 0.012 + 0.06 + 0.15.
            (
                "anthropic",
                "claude-3-7-sonnet-20250219",
                "1-hour write",
                usage(100_000, 10_000, 40_000, write_1h=10_000),
                "0.372",
                ANTHROPIC,
            ),
            # Opus 4.1, 40,000 read, 20,000 written of which 10,000 for 1 hour: 40,000 x 15 +
            # 40,000 x 1.5 + 10,000 x 18.75 + 10,000 x 30 + 10,000 x 75.
            (
                "anthropic",
                "claude-opus-4-1-20250805",
                "both writes",
                usage(100_000, 10_000, 40_000, 20_000, write_1h=10_000),
                "1.8975",
                ANTHROPIC,
            ),
            # Batch halves every token rate, cache reads and writes included:
            # (40,000 x 3 + 40,000 x 0.3 + 20,000 x 3.75 + 10,000 x 15) / 2.
            (
                "anthropic",
                "claude-sonnet-4-5",
                "batch with cache",
                usage(100_000, 10_000, 40_000, 20_000, tier="batch"),
                "0.1785",
                ANTHROPIC,
            ),
            # Regional names 10% over global: Bedrock au. Sonnet 4.6 0.45 x 1.1; eu. Haiku 4.5
            # with 40,000 read and 20,000 written (0.04 + 0.004 + 0.025 + 0.05) x 1.1; Vertex
            # AI's europe-west1 endpoint for Sonnet 4.6, 0.45 x 1.1.
            (
                "aws.bedrock",
                "au.anthropic.claude-sonnet-4-6",
                "",
                usage(100_000, 10_000),
                "0.495",
                BEDROCK_PROFILES,
            ),
            (
                "gcp.vertex_ai",
                "projects/p/locations/europe-west1/publishers/anthropic/models/claude-sonnet-4-6",
                "",
                usage(100_000, 10_000),
                "0.495",
                VERTEX_REGIONAL,
            ),
            # xAI grok-3-mini $0.30 / $0.075 / $0.50 (6,000 reasoning in the output);
            # grok-4-0709 $3 / $0.75 / $15.
            (
                "x_ai",
                "grok-3-mini",
                "reasoning",
                usage(100_000, 10_000, 40_000, reasoning=6_000),
                "0.026",
                XAI,
            ),
            ("x_ai", "grok-4-0709", "cache hits", usage(100_000, 10_000, 40_000), "0.36", XAI),
            # Groq: qwen3-32b $0.29 / $0.59; kimi-k2-instruct-0905 $1 / $3; gpt-oss-20b
            # $0.075 / $0.30.
            ("groq", "qwen/qwen3-32b", "", usage(100_000, 10_000), "0.0349", GROQ),
            ("groq", "moonshotai/kimi-k2-instruct-0905", "", usage(100_000, 10_000), "0.13", GROQ),
            ("groq", "openai/gpt-oss-20b", "", usage(100_000, 10_000), "0.0105", GROQ),
            # Gemini 2.0 Flash $0.10 / $0.025 / $0.40.
            (
                "gcp.gemini",
                "gemini-2.0-flash",
                "cache hits",
                usage(100_000, 10_000, 40_000),
                "0.011",
                GEMINI,
            ),
            # Mistral: magistral-medium-2507 $2 / $5 (2509, at the same rates, was released on
            # 2025-09-17: before_release on this date); mistral-medium-2508 $0.40 / $2.
            (
                "mistral_ai",
                "magistral-medium-2507",
                "",
                usage(100_000, 10_000),
                "0.25",
                "https://docs.mistral.ai/models/magistral-medium-1-1-25-07" + MISTRAL_DOCS,
            ),
            (
                "mistral_ai",
                "mistral-medium-2508",
                "",
                usage(100_000, 10_000),
                "0.06",
                "https://docs.mistral.ai/models/mistral-medium-3-1-25-08" + MISTRAL_DOCS,
            ),
        )
    ),
    # On 2026-12-01: Gemini 3 Flash Preview text $0.50 / audio $1, cached $0.05 / $0.10,
    # output $3, 20,000 audio of which 10,000 cached: 50,000 x 0.5 + 10,000 x 1 + 30,000 x
    # 0.05 + 10,000 x 0.1 + 10,000 x 3; Codestral 25.08 $0.30 / $0.03 / $0.90; embeddings:
    # voyage-3.5 $0.06 and voyage-3-large $0.18 (10,000 tokens), gemini-embedding-001 $0.15
    # (100,000); DeepSeek V4 Flash after the cache cut ($0.14 / $0.0028 / $0.28, off-peak
    # rates are its only ones on 2026-05-01) and deepseek-chat as V3.2-Exp ($0.28 / $0.028 /
    # $0.42) on 2025-10-15.
    *(
        Case(f"{model} {label}", provider, model, counts, cost, source, at=at)
        for provider, model, label, counts, cost, source, at in (
            (
                "gcp.gemini",
                "gemini-3-flash-preview",
                "cached audio",
                usage(100_000, 10_000, 40_000, audio_in=20_000, audio_read=10_000),
                "0.0675",
                GEMINI,
                DEC_1,
            ),
            (
                "mistral_ai",
                "codestral-2508",
                "cache hits",
                usage(100_000, 10_000, 40_000),
                "0.0282",
                "https://docs.mistral.ai/models/codestral-25-08" + MISTRAL_DOCS,
                DEC_1,
            ),
            ("voyageai", "voyage-3.5", "embedding", usage(10_000), "0.0006", VOYAGE, DEC_1),
            ("voyageai", "voyage-3-large", "embedding", usage(10_000), "0.0018", VOYAGE, DEC_1),
            (
                "gcp.gemini",
                "gemini-embedding-001",
                "embedding",
                usage(100_000),
                "0.015",
                GEMINI,
                DEC_1,
            ),
            (
                "deepseek",
                "deepseek-v4-flash",
                "after the cache cut",
                usage(100_000, 10_000, 40_000),
                "0.011312",
                DEEPSEEK_V4,
                datetime(2026, 5, 1, 12, tzinfo=UTC),
            ),
            (
                "deepseek",
                "deepseek-chat",
                "as V3.2-Exp",
                usage(100_000, 10_000, 40_000),
                "0.02212",
                "https://api-docs.deepseek.com/news/news250929",
                datetime(2025, 10, 15, 12, tzinfo=UTC),
            ),
        )
    ),
    # The newest Claude models on 2026-12-01. Fable 5.2, 40,000 read, 20,000 written of which
    # 10,000 for 1 hour: 40,000 x 8 + 40,000 x 0.2 + 10,000 x 10 + 10,000 x 16 + 10,000 x 40
    # = 0.32 + 0.008 + 0.1 + 0.16 + 0.4; through Bedrock's global. profile with 40,000 read:
    # 60,000 x 8 + 40,000 x 0.2 + 10,000 x 40. Opus 5 in batch: (100,000 x 5 + 10,000 x 25)
    # / 2; through Bedrock's us. profile (10% over global): 0.75 x 1.1.
    Case(
        "claude-fable-5-2 both writes",
        "anthropic",
        "claude-fable-5-2",
        usage(100_000, 10_000, 40_000, 20_000, write_1h=10_000),
        "0.988",
        FABLE_5_2,
    ),
    Case(
        "global.anthropic.claude-fable-5-2 cache hits",
        "aws.bedrock",
        "global.anthropic.claude-fable-5-2",
        usage(100_000, 10_000, 40_000),
        "0.888",
        FABLE_5_2 + " ; " + BEDROCK_PROFILES,
    ),
    Case(
        "claude-opus-5 batch",
        "anthropic",
        "claude-opus-5",
        usage(100_000, 10_000, tier="batch"),
        "0.375",
        OPUS_5,
    ),
    Case(
        "us.anthropic.claude-opus-5",
        "aws.bedrock",
        "us.anthropic.claude-opus-5",
        usage(100_000, 10_000),
        "0.825",
        OPUS_5 + " ; " + BEDROCK_PROFILES,
    ),
    # Batch, flex and priority beyond OpenAI's and Anthropic's, on 2026-12-01: Groq batch
    # (half of llama-3.3-70b-versatile's $0.59 / $0.79): 100,000 x 0.295 + 10,000 x 0.395;
    # Mistral batch (half of mistral-medium-2508's $0.40 / $2); Gemini flex and batch (half of
    # 2.5 Flash's $0.30 / $2.50 and 2.5 Flash-Lite's $0.10 / $0.40); gpt-4.1-mini priority
    # $0.70 / $0.175 / $2.80 with 40,000 cached: 0.042 + 0.007 + 0.028. Azure's Global rates
    # are OpenAI's (a span cannot say Data Zone or Regional): gpt-5 60,000 x 1.25 + 40,000 x
    # 0.125 + 10,000 x 10; gpt-4o-mini 60,000 x 0.15 + 40,000 x 0.075 + 10,000 x 0.6.
    # codestral-embed $0.15 x 100,000.
    *(
        Case(f"{model} {label}", provider, model, counts, cost, source)
        for provider, model, label, counts, cost, source in (
            (
                "groq",
                "llama-3.3-70b-versatile",
                "batch",
                usage(100_000, 10_000, tier="batch"),
                "0.03345",
                GROQ + " ; https://console.groq.com/docs/batch (50% off)",
            ),
            (
                "mistral_ai",
                "mistral-medium-2508",
                "batch",
                usage(100_000, 10_000, tier="batch"),
                "0.03",
                "https://docs.mistral.ai/capabilities/batch/" + MISTRAL_DOCS,
            ),
            (
                "gcp.gemini",
                "gemini-2.5-flash",
                "flex",
                usage(100_000, 10_000, tier="flex"),
                "0.0275",
                GEMINI + " ; https://ai.google.dev/gemini-api/docs/flex-inference",
            ),
            (
                "gcp.gemini",
                "gemini-2.5-flash-lite",
                "batch",
                usage(100_000, 10_000, tier="batch"),
                "0.007",
                GEMINI_BATCH,
            ),
            (
                "openai",
                "gpt-4.1-mini",
                "priority cache hits",
                usage(100_000, 10_000, 40_000, tier="priority"),
                "0.077",
                OPENAI_PRIORITY,
            ),
            (
                "azure.ai.openai",
                "gpt-5",
                "cache hits at Global rates",
                usage(100_000, 10_000, 40_000),
                "0.18",
                AZURE,
            ),
            (
                "azure.ai.openai",
                "gpt-4o-mini",
                "cache hits at Global rates",
                usage(100_000, 10_000, 40_000),
                "0.018",
                AZURE,
            ),
            (
                "mistral_ai",
                "codestral-embed",
                "embedding",
                usage(100_000),
                "0.015",
                "https://docs.mistral.ai/models/codestral-embed-25-05" + MISTRAL_DOCS,
            ),
        )
    ),
    # Portkey's `@{slug}/{model}`: the slug is the app's own name for a provider (an
    # `@azure-…` one does not say Global, Data Zone or Regional), so the model is priced as
    # its owner's list, Global's for Azure's OpenAI models: gpt-4o 100,000 x 2.5 + 10,000 x
    # 10; a slug before a deployment's own name is no model: unknown, never $0.
    Case(
        "portkey @azure slug",
        "portkey",
        "@azure-prod/gpt-4o",
        usage(100_000, 10_000),
        "0.35",
        OPENAI + " ; " + AZURE,
    ),
    Case(
        "portkey @azure slug with a deployment name",
        "portkey",
        "@azure-prod/my-gpt4o-deployment",
        usage(100_000, 10_000),
        None,
        AZURE,
        reason="unknown_model",
    ),
    # Bedrock's eu. profile of Claude Haiku 4.5 ($1 / $5, 1.1x the global rates), with 40,000
    # read and 20,000 written: (0.04 + 0.004 + 0.025 + 0.05) x 1.1. On 2026-12-01: the
    # snapshot (2025-10-01) did not exist on 2025-09-01, where this case was first priced.
    Case(
        "eu.anthropic.claude-haiku-4-5-20251001-v1:0 cache",
        "aws.bedrock",
        "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
        usage(100_000, 10_000, 40_000, 20_000),
        "0.1309",
        BEDROCK_PROFILES,
    ),
    # Flex is billed at Batch rates, half the standard ones: o4-mini $0.55 / cached $0.1375
    # (the page prints "$0.138", genai-prices copied it: 0.06052) / $2.20: 60,000 x 0.55 +
    # 40,000 x 0.1375 + 10,000 x 2.2.
    Case(
        "o4-mini flex cache hits",
        "openai",
        "o4-mini",
        usage(100_000, 10_000, 40_000, tier="flex"),
        "0.0605",
        OPENAI_FLEX + " ; " + OPENAI,
    ),
    # gpt-image-1 in batch, half its rates: text $2.50 / cached $0.625 (printed "$0.63":
    # 0.10072) / image out $20: 6,000 x 2.5 + 4,000 x 0.625 + 4,160 x 20.
    Case(
        "gpt-image-1 batch cache hits",
        "openai",
        "gpt-image-1",
        usage(10_000, 4_160, 4_000, tier="batch"),
        "0.1007",
        OPENAI_BATCH + " ; " + OPENAI,
    ),
    # gpt-image-1.5 in batch: text $2.50 / cached $0.625 / image out $16: 6,000 x 2.5 + 4,000
    # x 0.625 + 4,160 x 16.
    Case(
        "gpt-image-1.5 batch cache hits",
        "openai",
        "gpt-image-1.5",
        usage(10_000, 4_160, 4_000, image_out=4_160, tier="batch"),
        "0.08406",
        OPENAI_BATCH + " ; " + OPENAI,
    ),
    # OpenAI's API does not sell gpt-oss (its price list has no row for it): a span naming
    # provider openai and gpt-oss-120b is an OpenAI-compatible server's whose seller is not
    # known (genai-prices lists it under OpenAI at a reseller's $0.039 / $0.18: 0.0057).
    *(
        Case(
            f"openai {model}",
            "openai",
            model,
            usage(100_000, 10_000),
            None,
            OPENAI,
            reason="several_providers",
        )
        for model in ("gpt-oss-120b", "openai/gpt-oss-20b")
    ),
    # A LiteLLM route names the seller when no provider is given: Groq's $0.15 / $0.60,
    # 100,000 x 0.15 + 10,000 x 0.6 (never unknown for the vendor prefix after the route).
    Case(
        "groq route openai/gpt-oss-120b without a provider",
        "",
        "groq/openai/gpt-oss-120b",
        usage(100_000, 10_000),
        "0.021",
        GROQ,
    ),
    # A call dated before its model existed: before a dated snapshot's date, or before the
    # first LLM API sold a call (OpenAI's, 2020-06-11), no price is known (genai-prices' first
    # rates carry no start date and applied at any date).
    *(
        Case(
            f"{model} on {at:%Y-%m-%d}",
            provider,
            model,
            usage(100_000, 10_000),
            None,
            source,
            at=at,
            reason="before_release",
        )
        for provider, model, at, source in (
            ("openai", "gpt-4o-2024-08-06", datetime(2024, 8, 5, 12, tzinfo=UTC), GPT_4O_ALIAS),
            (
                "anthropic",
                "claude-3-5-haiku-20241022",
                datetime(2024, 10, 21, 12, tzinfo=UTC),
                HAIKU_3_5_LAUNCH,
            ),
            ("openai", "gpt-3.5-turbo", datetime(2020, 6, 10, 12, tzinfo=UTC), GPT_35_ALIAS),
        )
    ),
    # Mistral NeMo $0.30 / $0.30 from its release (2024-07-18) to the September 2024 cut
    # (genai-prices' later $0.15 at every date: 0.0165); the day of the cut, and before the
    # release, unknown; Mistral Small 24.09 $0.20 / $0.60 from its release (unpriced before).
    # 100,000 in + 10,000 out: 110,000 x 0.3; 110,000 x 0.15; 100,000 x 0.2 + 10,000 x 0.6.
    *(
        Case(
            f"{model} on {at:%Y-%m-%d}",
            "mistral_ai",
            model,
            usage(100_000, 10_000),
            cost,
            MISTRAL_NEMO,
            at=datetime.combine(at, time(12), UTC),
            reason="" if cost else "no_rate",
        )
        for model, at, cost in (
            ("open-mistral-nemo", date(2024, 7, 1), None),
            ("open-mistral-nemo", date(2024, 8, 1), "0.033"),
            ("open-mistral-nemo-2407", date(2024, 8, 1), "0.033"),
            ("open-mistral-nemo", date(2024, 9, 17), None),
            ("open-mistral-nemo-2407", date(2024, 10, 1), "0.0165"),
            ("open-mistral-nemo", date(2024, 10, 1), "0.0165"),
            ("mistral-small-2409", date(2024, 10, 1), "0.026"),
        )
    ),
    # deepseek-chat at DeepSeek-V2.5's $0.14 / hit $0.014 / $0.28 until V3's launch offer ended
    # at 16:00 UTC on 2025-02-08 (V3's full $0.27 / $0.07 / $1.10 billed before: 0.03), with
    # 40,000 cache hits: 60,000 x 0.14 + 40,000 x 0.014 + 10,000 x 0.28; at 16:00 the full
    # rates; before DeepSeek-V2 (2024-05-06) unknown; deepseek-reasoner before R1's release
    # (2025-01-20) unknown (0.0605 before).
    *(
        Case(
            f"{model} on {at:%Y-%m-%d %H:%M}",
            "deepseek",
            model,
            usage(100_000, 10_000, 40_000),
            cost,
            DEEPSEEK_V3_OFFER,
            at=at,
            reason="" if cost else "no_rate",
        )
        for model, at, cost in (
            ("deepseek-chat", datetime(2024, 3, 1, 12, tzinfo=UTC), None),
            ("deepseek-chat", datetime(2024, 10, 1, 3, tzinfo=UTC), "0.01176"),
            ("deepseek-chat", datetime(2025, 1, 15, 20, tzinfo=UTC), "0.01176"),
            ("deepseek-chat", datetime(2025, 2, 8, 15, 59, tzinfo=UTC), "0.01176"),
            ("deepseek-chat", datetime(2025, 2, 8, 16, tzinfo=UTC), "0.03"),
            ("deepseek-reasoner", datetime(2025, 1, 19, 12, tzinfo=UTC), None),
        )
    ),
    # OpenAI Batch with cache hits on a model whose Batch row has no cached rate: no caching
    # discount, the batch input rate on every input token (half of all rates before: 0.11,
    # 0.15; genai-prices' standard cached rate after its batch rows, 2026-10-14: 0.12).
    # gpt-4.1 $1 / $4: 100,000 x 1 + 10,000 x 4; gpt-4o $1.25 / $5: 100,000 x 1.25 + 10,000
    # x 5; o3 $1 / $4 on 2026-12-01. gpt-5's row has its cached $0.0625 (0.09, above).
    *(
        Case(
            f"{model} batch cache hits on {at:%Y-%m-%d}",
            "openai",
            model,
            usage(100_000, 10_000, 40_000, tier="batch"),
            cost,
            OPENAI_BATCH_CACHE,
            at=at,
        )
        for model, cost, at in (
            ("gpt-4.1", "0.14", datetime(2025, 9, 1, 12, tzinfo=UTC)),
            ("gpt-4o", "0.175", datetime(2025, 9, 1, 12, tzinfo=UTC)),
            ("o3", "0.14", DEC_1),
        )
    ),
    # Mistral's 2024 docs pricing page (Large 24.02 $8 / $24, Small 24.02 $2 / $6, Medium
    # 23.12 $2.7 / $8.1, named by the -latest aliases from 2024-02-26), dated names before the
    # day the changelog released them, Small 24.09 at its model page's $0.10 / $0.30, and
    # mistral-medium-3 (Medium 3.5's name) before 3.5's release. 100,000 in + 10,000 out:
    # 100,000 x 8 + 10,000 x 24 = 1.04; x 2 + x 6 = 0.26; x 2.7 + x 8.1 = 0.351; Large 24.11
    # $2 / $6 0.26; Codestral 25.08 $0.30 / $0.90 0.039; Small 24.09 x 0.1 + x 0.3 = 0.013.
    *(
        Case(
            f"{model} on {at:%Y-%m-%d}",
            "mistral_ai",
            model,
            usage(100_000, 10_000),
            cost,
            source,
            at=datetime.combine(at, time(12), UTC),
            reason=reason if not cost else "",
        )
        for model, at, cost, reason, source in (
            ("mistral-large-latest", date(2024, 3, 15), "1.04", "", MISTRAL_2024_PRICING),
            ("mistral-large-2402", date(2024, 3, 15), "1.04", "", MISTRAL_2024_PRICING),
            ("mistral-large-latest", date(2024, 2, 1), None, "no_rate", MISTRAL_2024_PRICING),
            ("mistral-small-latest", date(2024, 3, 15), "0.26", "", MISTRAL_2024_PRICING),
            ("mistral-small-2402", date(2024, 3, 15), "0.26", "", MISTRAL_2024_PRICING),
            ("mistral-medium-latest", date(2024, 3, 15), "0.351", "", MISTRAL_2024_PRICING),
            ("mistral-medium-latest", date(2025, 2, 1), None, "no_rate", MISTRAL_2024_PRICING),
            ("mistral-medium-3", date(2025, 6, 1), None, "no_rate", MISTRAL_MEDIUM_3_5),
            ("mistral-medium-3", date(2026, 5, 1), "0.225", "", MISTRAL_MEDIUM_3_5),
            ("mistral-large-2411", date(2024, 11, 1), None, "before_release", MISTRAL_RELEASES),
            ("mistral-large-2411", date(2024, 12, 1), "0.26", "", MISTRAL_RELEASES),
            ("codestral-2501", date(2024, 12, 1), None, "before_release", MISTRAL_RELEASES),
            ("codestral-2508", date(2025, 7, 29), None, "before_release", MISTRAL_RELEASES),
            ("codestral-2508", date(2025, 7, 31), "0.039", "", MISTRAL_RELEASES),
            ("mistral-medium-2508", date(2025, 8, 1), None, "before_release", MISTRAL_RELEASES),
            ("mistral-small-2409", date(2025, 3, 1), None, "no_rate", MISTRAL_SMALL_2409),
            ("mistral-small-2409", date(2025, 11, 1), "0.013", "", MISTRAL_SMALL_2409),
        )
    ),
    # Late-2025/2026 models and units (2026-12-01 unless said), 100,000 in + 10,000 out,
    # "c" = 40,000 of the input cache hits:
    # gpt-5-nano batch c: 60,000 x 0.025 + 40,000 x 0.0025 + 10,000 x 0.20; gpt-5-codex c
    # ($1.25 / $0.125 / $10) 0.075 + 0.005 + 0.1; gpt-5.1-codex-mini c ($0.25 / $0.025 / $2);
    # gpt-5-pro batch (half of $15 / $120) 0.75 + 0.6; gpt-5 priority c ($2.50 / $0.25 / $20);
    # gpt-5.1 flex c (half of $1.25 / $0.125 / $10); gpt-5.2 flex c (half of $1.75 / $0.175 /
    # $14); gpt-5-mini priority c ($0.45 / $0.045 / $3.60); gpt-5.5 batch c (half of $5 /
    # $0.50 / $30); gpt-5.1-chat-latest $1.25 / $10; text-embedding-3-small batch ($0.01).
    # Claude: Sonnet 4.5 batch over 200K (half of $6 / $22.50) 300,000 x 3 + 10,000 x 11.25;
    # Sonnet 4.5 batch with 20,000 1-hour writes (2x the batch input) 80,000 x 1.5 + 20,000 x 3
    # + 10,000 x 7.5; Opus 4.5, 50,000 reads and 20,000 1-hour writes ($5 / $0.50 / $10 / $25)
    # 30,000 x 5 + 50,000 x 0.5 + 20,000 x 10 + 10,000 x 25; Haiku 4.5 batch c (half of $1 /
    # $0.10 / $5); Opus 4.6 batch c, US-only inference (1.1x of half) 60,000 x 2.75 + 40,000 x
    # 0.275 + 10,000 x 13.75; Opus 4.6 US-only, 40,000 reads and 20,000 1-hour writes (1.1x of
    # $5 / $0.50 / $10 / $25); Sonnet 4.5 on Vertex AI's global endpoint at 300,000 ($6 /
    # $22.50); Bedrock us. Haiku 4.5 (1.1x of $1 / $5).
    # Gemini: 2.5 Pro at 250,000 with 8,000 thinking ($2.50 / $15, thinking billed as output);
    # 2.5 Flash-Lite with 50,000 audio ($0.10 text, $0.30 audio, $0.40 out); 3 Pro Preview at
    # 250,000 ($4 / $18); 2.5 Flash on Vertex AI ($0.30 / $2.50); 3 Flash Preview with 6,000
    # thinking ($0.50 / $3); 3 Pro Preview flex (half of $2 / $12); 2.5 Flash-Lite flex c
    # (half of $0.10 / $0.01 / $0.40); 2.5 Computer Use Preview (missing from genai-prices:
    # unknown_model before) as 2.5 Pro, 250,000 in over 200K, with cache hits unknown.
    # xAI: grok-code-fast-1 c on 2025-10-01 ($0.20 / $0.02 / $1.50); grok-4.20 batch c (20%
    # off $1.25 / $0.20 / $2.50); grok-4.3 at 250,000 with 100,000 cached (from 200K $2.50 /
    # $0.40 / $5) 150,000 x 2.5 + 100,000 x 0.4 + 10,000 x 5.
    # DeepSeek: deepseek-chat and deepseek-reasoner c at 22:00 UTC on 2025-03-01, off-peak
    # (16:30-00:30 UTC: $0.135 / $0.035 / $0.55); deepseek-chat c at 22:00 UTC on 2025-09-10,
    # after the discount ended ($0.56 / $0.07 / $1.68).
    # Others: Groq Llama 4 Maverick ($0.20 / $0.60), llama-3.1-8b-instant ($0.05 / $0.08);
    # Together Llama 3.3 70B Turbo ($0.88 / $0.88); Fireworks Llama 3.1 8B ($0.20); Azure
    # gpt-5-mini c and gpt-4.1 c at Global (OpenAI's) rates; Mistral Large 3 c ($0.50 / $0.05 /
    # $1.50).
    *(
        Case(
            f"{provider} {model} {label}".strip(),
            provider,
            model,
            counts,
            cost,
            source,
            at=at,
            reason="" if cost else "no_rate",
            extra=extra,
        )
        for provider, model, label, counts, cost, source, at, extra in (
            (
                "openai",
                "gpt-5-nano",
                "batch c",
                usage(100_000, 10_000, 40_000, tier="batch"),
                "0.0036",
                OPENAI_BATCH,
                DEC_1,
                {},
            ),
            (
                "openai",
                "gpt-5-codex",
                "c",
                usage(100_000, 10_000, 40_000),
                "0.18",
                OPENAI,
                DEC_1,
                {},
            ),
            (
                "openai",
                "gpt-5.1-codex-mini",
                "c",
                usage(100_000, 10_000, 40_000),
                "0.036",
                OPENAI,
                DEC_1,
                {},
            ),
            (
                "openai",
                "gpt-5-pro",
                "batch",
                usage(100_000, 10_000, tier="batch"),
                "1.35",
                OPENAI_BATCH,
                DEC_1,
                {},
            ),
            (
                "openai",
                "gpt-5",
                "priority c",
                usage(100_000, 10_000, 40_000, tier="priority"),
                "0.36",
                OPENAI_PRIORITY,
                DEC_1,
                {},
            ),
            (
                "openai",
                "gpt-5.1",
                "flex c",
                usage(100_000, 10_000, 40_000, tier="flex"),
                "0.09",
                OPENAI_FLEX,
                DEC_1,
                {},
            ),
            (
                "openai",
                "gpt-5.2",
                "flex c",
                usage(100_000, 10_000, 40_000, tier="flex"),
                "0.126",
                OPENAI_FLEX,
                DEC_1,
                {},
            ),
            (
                "openai",
                "gpt-5-mini",
                "priority c",
                usage(100_000, 10_000, 40_000, tier="priority"),
                "0.0648",
                OPENAI_PRIORITY,
                DEC_1,
                {},
            ),
            (
                "openai",
                "gpt-5.5",
                "batch c",
                usage(100_000, 10_000, 40_000, tier="batch"),
                "0.31",
                OPENAI_BATCH,
                DEC_1,
                {},
            ),
            (
                "openai",
                "gpt-5.1-chat-latest",
                "",
                usage(100_000, 10_000),
                "0.225",
                OPENAI,
                DEC_1,
                {},
            ),
            (
                "openai",
                "text-embedding-3-small",
                "batch",
                usage(100_000, tier="batch"),
                "0.001",
                OPENAI_BATCH,
                DEC_1,
                {},
            ),
            (
                "anthropic",
                "claude-sonnet-4-5",
                "batch 300K",
                usage(300_000, 10_000, tier="batch"),
                "1.0125",
                ANTHROPIC_1M,
                DEC_1,
                {},
            ),
            (
                "anthropic",
                "claude-sonnet-4-5",
                "batch 1h writes",
                usage(100_000, 10_000, write_1h=20_000, tier="batch"),
                "0.255",
                ANTHROPIC,
                DEC_1,
                {},
            ),
            (
                "anthropic",
                "claude-opus-4-5",
                "reads and 1h writes",
                usage(100_000, 10_000, 50_000, write_1h=20_000),
                "0.625",
                ANTHROPIC,
                DEC_1,
                {},
            ),
            (
                "anthropic",
                "claude-haiku-4-5",
                "batch c",
                usage(100_000, 10_000, 40_000, tier="batch"),
                "0.057",
                ANTHROPIC,
                DEC_1,
                {},
            ),
            (
                "anthropic",
                "claude-opus-4-6",
                "batch c us inference",
                usage(100_000, 10_000, 40_000, tier="batch"),
                "0.3135",
                ANTHROPIC_GEO,
                DEC_1,
                {"anthropic.response.inference_geo": "us"},
            ),
            (
                "anthropic",
                "claude-opus-4-6",
                "reads and 1h writes us inference",
                usage(100_000, 10_000, 40_000, write_1h=20_000),
                "0.737",
                ANTHROPIC_GEO,
                DEC_1,
                {"anthropic.response.inference_geo": "us"},
            ),
            (
                "gcp.vertex_ai",
                "projects/p/locations/global/publishers/anthropic/models/claude-sonnet-4-5",
                "300K",
                usage(300_000, 10_000),
                "2.025",
                VERTEX_REGIONAL,
                DEC_1,
                {},
            ),
            (
                "aws.bedrock",
                "us.anthropic.claude-haiku-4-5-20251001-v1:0",
                "",
                usage(100_000, 10_000),
                "0.165",
                BEDROCK_PROFILES,
                DEC_1,
                {},
            ),
            (
                "gcp.gemini",
                "gemini-2.5-pro",
                "250K thinking",
                usage(250_000, 10_000, reasoning=8_000),
                "0.775",
                GEMINI,
                DEC_1,
                {},
            ),
            (
                "gcp.gemini",
                "gemini-2.5-flash-lite",
                "audio",
                usage(100_000, 10_000, audio_in=50_000),
                "0.024",
                GEMINI,
                DEC_1,
                {},
            ),
            (
                "gcp.gemini",
                "gemini-3-pro-preview",
                "250K",
                usage(250_000, 10_000),
                "1.18",
                GEMINI,
                DEC_1,
                {},
            ),
            (
                "gcp.vertex_ai",
                "gemini-2.5-flash",
                "",
                usage(100_000, 10_000),
                "0.055",
                VERTEX,
                DEC_1,
                {},
            ),
            (
                "gcp.gemini",
                "gemini-3-flash-preview",
                "thinking",
                usage(100_000, 10_000, reasoning=6_000),
                "0.08",
                GEMINI,
                DEC_1,
                {},
            ),
            (
                "gcp.gemini",
                "gemini-3-pro-preview",
                "flex",
                usage(100_000, 10_000, tier="flex"),
                "0.16",
                GEMINI,
                DEC_1,
                {},
            ),
            (
                "gcp.gemini",
                "gemini-2.5-flash-lite",
                "flex c",
                usage(100_000, 10_000, 40_000, tier="flex"),
                "0.0052",
                GEMINI,
                DEC_1,
                {},
            ),
            (
                "gcp.gemini",
                "gemini-2.5-computer-use-preview-10-2025",
                "",
                usage(100_000, 10_000),
                "0.225",
                GEMINI_COMPUTER_USE,
                DEC_1,
                {},
            ),
            (
                "gcp.gemini",
                "gemini-2.5-computer-use-preview-10-2025",
                "250K",
                usage(250_000, 10_000),
                "0.775",
                GEMINI_COMPUTER_USE,
                DEC_1,
                {},
            ),
            (
                "gcp.gemini",
                "gemini-2.5-computer-use-preview-10-2025",
                "c",
                usage(100_000, 10_000, 40_000),
                None,
                GEMINI_COMPUTER_USE,
                DEC_1,
                {},
            ),
            (
                "x_ai",
                "grok-code-fast-1",
                "c",
                usage(100_000, 10_000, 40_000),
                "0.0278",
                XAI,
                datetime(2025, 10, 1, 12, tzinfo=UTC),
                {},
            ),
            (
                "x_ai",
                "grok-4.20",
                "batch c",
                usage(100_000, 10_000, 40_000, tier="batch"),
                "0.0864",
                XAI_BATCH,
                DEC_1,
                {},
            ),
            (
                "x_ai",
                "grok-4.3",
                "250K c",
                usage(250_000, 10_000, 100_000),
                "0.465",
                XAI_BATCH,
                DEC_1,
                {},
            ),
            (
                "deepseek",
                "deepseek-chat",
                "c off-peak 2025-03-01",
                usage(100_000, 10_000, 40_000),
                "0.015",
                DEEPSEEK,
                datetime(2025, 3, 1, 22, tzinfo=UTC),
                {},
            ),
            (
                "deepseek",
                "deepseek-reasoner",
                "c off-peak 2025-03-01",
                usage(100_000, 10_000, 40_000),
                "0.015",
                DEEPSEEK,
                datetime(2025, 3, 1, 22, tzinfo=UTC),
                {},
            ),
            (
                "deepseek",
                "deepseek-chat",
                "c night 2025-09-10",
                usage(100_000, 10_000, 40_000),
                "0.0532",
                DEEPSEEK,
                datetime(2025, 9, 10, 22, tzinfo=UTC),
                {},
            ),
            (
                "groq",
                "meta-llama/llama-4-maverick-17b-128e-instruct",
                "",
                usage(100_000, 10_000),
                "0.026",
                GROQ,
                DEC_1,
                {},
            ),
            ("groq", "llama-3.1-8b-instant", "", usage(100_000, 10_000), "0.0058", GROQ, DEC_1, {}),
            (
                "together",
                "meta-llama/Llama-3.3-70B-Instruct-Turbo",
                "",
                usage(100_000, 10_000),
                "0.0968",
                TOGETHER,
                DEC_1,
                {},
            ),
            (
                "fireworks",
                "accounts/fireworks/models/llama-v3p1-8b-instruct",
                "",
                usage(100_000, 10_000),
                "0.022",
                FIREWORKS,
                DEC_1,
                {},
            ),
            (
                "azure.ai.openai",
                "gpt-5-mini",
                "c",
                usage(100_000, 10_000, 40_000),
                "0.036",
                AZURE,
                DEC_1,
                {},
            ),
            (
                "azure.ai.openai",
                "gpt-4.1",
                "c",
                usage(100_000, 10_000, 40_000),
                "0.22",
                AZURE,
                DEC_1,
                {},
            ),
            (
                "mistral_ai",
                "mistral-large-2512",
                "c",
                usage(100_000, 10_000, 40_000),
                "0.047",
                MISTRAL_LARGE_3,
                DEC_1,
                {},
            ),
        )
    ),
    # Audio, image and tier boundaries: gemini-2.5-pro-preview-tts ($1 text in, $20 audio out)
    # 1,000 x 1 + 20,000 x 20; gemini-2.5-flash-image, one 1,290-token image ($0.30 in, $30
    # image out); Vertex AI 2.5 Flash batch with 20,000 audio in, 40,000 cached (10,000 of
    # them audio): 50,000 x 0.15 + 10,000 x 0.5 + 30,000 x 0.03 + 10,000 x 0.10 + 10,000 x
    # 1.25 (cache hits at the standard rates); the Gemini API's, no cache hits: 80,000 x 0.15
    # + 20,000 x 0.5 + 10,000 x 1.25; gpt-realtime, 10,000 in
    # (6,000 audio, 4,000 cached of which 2,000 audio) + 2,000 out (1,500 audio): 2,000 x 4 +
    # 2,000 x 0.4 + 4,000 x 32 + 2,000 x 0.4 + 500 x 16 + 1,500 x 64; gemini-live-2.5-flash-
    # preview ($0.50 / $3 audio in, $2 / $12 audio out): 2,000 x 0.5 + 8,000 x 3 + 500 x 2 +
    # 1,500 x 12.
    *(
        Case(
            f"{provider} {model} {label}",
            provider,
            model,
            counts,
            cost,
            source,
            reason="" if cost else "no_rate",
        )
        for provider, model, label, counts, cost, source in (
            (
                "gcp.gemini",
                "gemini-2.5-pro-preview-tts",
                "audio out",
                usage(1_000, 20_000, audio_out=20_000),
                "0.401",
                GEMINI,
            ),
            (
                "gcp.gemini",
                "gemini-2.5-flash-image",
                "one image",
                usage(1_000, 1_290, image_out=1_290),
                "0.039",
                GEMINI,
            ),
            (
                "gcp.vertex_ai",
                "gemini-2.5-flash",
                "batch audio c",
                usage(100_000, 10_000, 40_000, audio_in=20_000, audio_read=10_000, tier="batch"),
                "0.0269",
                VERTEX_BATCH_CACHE,
            ),
            (
                "gcp.gemini",
                "gemini-2.5-flash",
                "batch audio",
                usage(100_000, 10_000, audio_in=20_000, tier="batch"),
                "0.0345",
                GEMINI_BATCH,
            ),
            (
                "openai",
                "gpt-realtime",
                "text and audio, cached",
                usage(10_000, 2_000, 4_000, audio_in=6_000, audio_read=2_000, audio_out=1_500),
                "0.2416",
                OPENAI,
            ),
            (
                "gcp.gemini",
                "gemini-live-2.5-flash-preview",
                "audio",
                usage(10_000, 2_000, audio_in=8_000, audio_out=1_500),
                "0.044",
                GEMINI,
            ),
        )
    ),
    # Gemini batch with cache hits (40,000 of 100,000 in, 10,000 out). Vertex AI: cache and
    # batch discounts do not stack, cached tokens at the standard cache-hit rate: 2.5 Flash
    # 60,000 x 0.15 + 40,000 x 0.03 + 10,000 x 1.25; 2.5 Pro 60,000 x 0.625 + 40,000 x 0.125
    # + 10,000 x 5; 3 Pro Preview (no batch row: half of $2 / $12) 60,000 x 1 + 40,000 x 0.2
    # + 10,000 x 6 (0.124 before: the cache rate halved too). The Gemini API's batch page
    # says the same ("cached tokens are priced the same as for non-batch API traffic"):
    # 0.0227, 0.0925, 0.128 there too (unknown before, and 0.0227, 0.0925, 0.124 before
    # that); where its batch row lists a cached rate (3.1 Flash-Lite $0.0125), that one:
    # 60,000 x 0.125 + 40,000 x 0.0125 + 10,000 x 0.75.
    *(
        Case(
            f"{provider} {model} batch cache hits",
            provider,
            model,
            usage(100_000, 10_000, 40_000, tier="batch"),
            cost,
            VERTEX_BATCH_CACHE,
            reason="" if cost else "no_rate",
        )
        for provider, model, cost in (
            ("gcp.vertex_ai", "gemini-2.5-flash", "0.0227"),
            ("gcp.vertex_ai", "gemini-2.5-pro", "0.0925"),
            ("gcp.vertex_ai", "gemini-3-pro-preview", "0.128"),
            ("gcp.gemini", "gemini-2.5-flash", "0.0227"),
            ("gcp.gemini", "gemini-2.5-pro", "0.0925"),
            ("gcp.gemini", "gemini-3-pro-preview", "0.128"),
            ("gcp.gemini", "gemini-3.1-flash-lite", "0.0155"),
        )
    ),
    # Cohere rerank, billed per search unit (one query of up to 100 documents), per 1,000:
    # Rerank 3.5 and 3.0 $2.00: 1 x 0.002, 3 (a query of 250 documents) x 0.002; Rerank 4
    # Fast $2.00: 2 x 0.002; Rerank 4 Pro $2.50: 4 x 0.0025. Before this round every one was
    # unknown (usage_missing: search units were not priced). A span with input tokens and no
    # search units (LiteLLM's) is unknown (not_per_token), as is Rerank 4 before its release
    # (2025-12-11).
    *(
        Case(
            f"cohere {model} {searches} searches{' ' + label if label else ''}",
            "cohere",
            model,
            metered(rerank=searches) if searches else usage(100),
            cost,
            COHERE_RERANK,
            at=at,
            reason="" if cost else reason,
            extra={"gen_ai.operation.name": "rerank"},
        )
        for model, searches, cost, at, label, reason in (
            ("rerank-v3.5", 1, "0.002", DEC_1, "", ""),
            ("rerank-v3.5", 3, "0.006", DEC_1, "", ""),
            ("rerank-english-v3.0", 1, "0.002", DEC_1, "", ""),
            ("rerank-multilingual-v3.0", 1, "0.002", datetime(2025, 3, 1, tzinfo=UTC), "", ""),
            ("rerank-v4.0-fast", 2, "0.004", DEC_1, "", ""),
            ("rerank-v4.0-pro", 4, "0.01", DEC_1, "", ""),
            ("rerank-v3.5", 0, None, DEC_1, "tokens only", "not_per_token"),
            (
                "rerank-v4.0-pro",
                1,
                None,
                datetime(2025, 11, 1, tzinfo=UTC),
                "before release",
                "unknown_model",
            ),
        )
    ),
    # xAI's retirement of 2026-05-15 12:00 PM PT (19:00 UTC): the retired names (and the aliases
    # of them) answer as grok-4.3 and bill its $1.25 / cached $0.20 / $2.50, from 200K tokens
    # $2.50 / $0.40 / $5. 100,000 in of which 40,000 cached, 10,000 out: 60,000 x 1.25 +
    # 40,000 x 0.2 + 10,000 x 2.5 = 0.108 (before, at each model's own rates: grok-4-fast-
    # reasoning and grok-4-1-fast-non-reasoning 0.019, grok-4-0709 / grok-4 / grok-3 0.36,
    # grok-code-fast-1 0.0278). grok-4-0709 at 18:59 and 19:00 UTC that day: 60,000 x 3 +
    # 40,000 x 0.75 + 10,000 x 15 = 0.36, then 0.108. Over 128K, which was unknown: grok-4-0709
    # 125,000 x 1.25 + 10,000 x 2.5; grok-4-fast-reasoning at 250,000 with 100,000 cached, the
    # 200K tier: 150,000 x 2.5 + 100,000 x 0.4 + 10,000 x 5. Before the retirement,
    # grok-4-fast-reasoning at 128,000 tokens in all (120,000 + 8,000: $0.20 / $0.50) and at
    # 129,000 (over 128K: unknown).
    *(
        Case(
            f"{provider} {model} {label}",
            provider,
            model,
            counts,
            cost,
            XAI_RETIREMENT if at != BEFORE_XAI_RETIREMENT else XAI,
            at=at,
            reason="" if cost else "no_rate",
        )
        for provider, model, label, counts, cost, at in (
            (
                "x_ai",
                "grok-4-fast-reasoning",
                "retired c",
                usage(100_000, 10_000, 40_000),
                "0.108",
                DEC_1,
            ),
            (
                "xai",
                "grok-4-1-fast-non-reasoning",
                "retired c",
                usage(100_000, 10_000, 40_000),
                "0.108",
                DEC_1,
            ),
            ("x_ai", "grok-4-1-fast", "retired c", usage(100_000, 10_000, 40_000), "0.108", DEC_1),
            ("x_ai", "grok-4-0709", "retired c", usage(100_000, 10_000, 40_000), "0.108", DEC_1),
            ("x_ai", "grok-4", "retired c", usage(100_000, 10_000, 40_000), "0.108", DEC_1),
            ("x_ai", "grok-3", "retired c", usage(100_000, 10_000, 40_000), "0.108", DEC_1),
            (
                "x_ai",
                "grok-code-fast-1",
                "retired c",
                usage(100_000, 10_000, 40_000),
                "0.108",
                DEC_1,
            ),
            (
                "x_ai",
                "grok-4-0709",
                "c at 18:59 UTC on the day",
                usage(100_000, 10_000, 40_000),
                "0.36",
                datetime(2026, 5, 15, 18, 59, tzinfo=UTC),
            ),
            (
                "x_ai",
                "grok-4-0709",
                "c at 19:00 UTC on the day",
                usage(100_000, 10_000, 40_000),
                "0.108",
                datetime(2026, 5, 15, 19, tzinfo=UTC),
            ),
            ("x_ai", "grok-4-0709", "retired over 128K", usage(125_000, 10_000), "0.18125", DEC_1),
            (
                "x_ai",
                "grok-4-fast-reasoning",
                "retired over 200K",
                usage(250_000, 10_000, 100_000),
                "0.465",
                DEC_1,
            ),
            (
                "x_ai",
                "grok-4-fast-reasoning",
                "at 128K",
                usage(120_000, 8_000),
                "0.028",
                BEFORE_XAI_RETIREMENT,
            ),
            (
                "x_ai",
                "grok-4-fast-reasoning",
                "over 128K",
                usage(120_000, 9_000),
                None,
                BEFORE_XAI_RETIREMENT,
            ),
        )
    ),
]


@pytest.fixture(scope="module")
def pricer() -> Pricer:
    return Pricer("")


def priced(pricer: Pricer, case: Case):
    """The call as a span carries it, through the extractor, priced as ingest prices it."""
    start_ns = int(case.at.timestamp() * 1e9)
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": case.provider,
        "gen_ai.request.model": case.model,
        **case.usage,
        **case.extra,
    }
    (call,) = extract_request(request(span(attrs, start_ns=start_ns)), start_ns).calls
    return price_call(pricer, call)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_published_price(pricer: Pricer, case: Case) -> None:
    price = priced(pricer, case)
    if case.cost is None:
        assert (price.priced, price.reason, price.cost_source) == (False, case.reason, "none")
    else:
        assert (price.priced, price.reason) == (True, "")
        assert price.cost == Decimal(case.cost), case.source
        parts = price.input_cost + price.cache_read_cost + price.cache_write_cost
        assert parts + price.output_cost == price.cost
