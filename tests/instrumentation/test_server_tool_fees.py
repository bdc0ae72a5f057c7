"""Per-search fees of server-side web search tools, through the real SDKs against the
stand-ins, stored and priced in chDB: the fee is billed on top of the tokens.

Anthropic bills its web search tool $10 per 1,000 searches, counted in
`usage.server_tool_use.web_search_requests`
(https://platform.claude.com/docs/en/about-claude/pricing#web-search-tool ;
https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool). Claude Sonnet
4.6: $3 input, $15 output per million tokens
(https://platform.claude.com/docs/en/about-claude/pricing#model-pricing).

OpenAI bills its web search tool $10 per 1,000 calls plus the search content tokens at the
model's rates (https://platform.openai.com/docs/pricing#built-in-tools), for each
`web_search_call` item whose action is a search, not for opening a page or finding in it
(https://platform.openai.com/docs/guides/tools-web-search). GPT-5.5: $5 input, $30 output per
million tokens (https://developers.openai.com/api/docs/pricing). On GPT-4o and GPT-4.1 the fee
depends on the tool version: web_search's is the same, web_search_preview's $25 with the
search content tokens free (the response echoes the tools, so the instrumentation counts the
searches that may be that tool's: `preview_web_searches`); the mini models add a fixed
8,000-token block per search, and the Chat Completions search models report no count of
searches: those calls are unpriced (`rules.OPENAI_SEARCH`).
"""

from __future__ import annotations

from decimal import Decimal

import anthropic
import openai
from google import genai
from google.genai import types

from tokentrace.instrumentation.openai_api import RESPONSES
from tokentrace.instrumentation.usage import Observed
from tokentrace.processor.standins import usage_header

from .conftest import llm_spans, store_spans

COLUMNS = (
    "provider, model, stream, input_tokens, output_tokens, web_searches, "
    "if(priced = 1, input_cost, NULL), if(priced = 1, cost, NULL), unpriced_reason, "
    "preview_web_searches"
)
MESSAGES = [{"role": "user", "content": "What changed in the tax rules this year?"}]
SEARCH = [{"type": "web_search_20250305", "name": "web_search", "max_uses": 5}]


def rows(exporter, tmp_path, store_client) -> list[tuple]:
    store_spans(llm_spans(exporter), tmp_path, store_client)
    return store_client.query(f"SELECT {COLUMNS} FROM llm_calls ORDER BY ts").result_rows


def test_anthropic_web_searches_are_billed_per_search(standin, exporter, tmp_path, store_client):
    sdk = anthropic.Anthropic(
        base_url=standin.base_url("anthropic"), api_key="sk-ant", max_retries=0
    )
    message = sdk.messages.create(
        model="claude-sonnet-4-6",
        max_tokens=1000,
        messages=MESSAGES,
        tools=SEARCH,
        extra_headers=usage_header(input=2000, output=300, web_searches=3),
    )
    assert message.usage.server_tool_use.web_search_requests == 3
    with sdk.messages.stream(
        model="claude-sonnet-4-6",
        max_tokens=1000,
        messages=MESSAGES,
        tools=SEARCH,
        extra_headers=usage_header(input=1000, output=100, web_searches=1),
    ) as stream:
        assert stream.get_final_message().usage.server_tool_use.web_search_requests == 1
    sdk.messages.create(  # no search: tokens only
        model="claude-sonnet-4-6",
        max_tokens=1000,
        messages=MESSAGES,
        extra_headers=usage_header(input=1000, output=100),
    )

    assert rows(exporter, tmp_path, store_client) == [
        # 2,000 × $3 + 300 × $15 = 6,000 + 4,500 per million = $0.0105; 3 searches × $0.01
        # = $0.03, counted as input: input 0.006 + 0.03 = 0.036, cost 0.0105 + 0.03 = 0.0405.
        ("anthropic", "claude-sonnet-4-6", 0, 2000, 300, 3,
         Decimal("0.036"), Decimal("0.0405"), "", 0),
        # 1,000 × $3 + 100 × $15 = 4,500 per million = $0.0045, + 1 search $0.01 = $0.0145.
        ("anthropic", "claude-sonnet-4-6", 1, 1000, 100, 1,
         Decimal("0.013"), Decimal("0.0145"), "", 0),
        ("anthropic", "claude-sonnet-4-6", 0, 1000, 100, 0,
         Decimal("0.003"), Decimal("0.0045"), "", 0),
    ]  # fmt: skip


def test_openai_web_search_calls_are_billed_per_search(standin, exporter, tmp_path, store_client):
    sdk = openai.OpenAI(
        api_key="sk-test-search", base_url=standin.base_url("/openai/v1"), max_retries=0
    )
    tools = [{"type": "web_search"}]
    response = sdk.responses.create(
        model="gpt-5.5",
        input="What changed in the tax rules this year?",
        tools=tools,
        extra_headers=usage_header(input=10_000, output=1_000, web_searches=2),
    )
    actions = [item.action.type for item in response.output if item.type == "web_search_call"]
    assert actions == ["search", "search", "open_page"]
    events = sdk.responses.create(
        model="gpt-5.5",
        input="And last year?",
        tools=tools,
        stream=True,
        extra_headers=usage_header(input=10_000, output=1_000, web_searches=1),
    )
    assert [event.type for event in events][-1] == "response.completed"
    sdk.responses.create(
        model="gpt-4.1",
        input="What changed in the tax rules this year?",
        tools=tools,
        extra_headers=usage_header(input=10_000, output=1_000, web_searches=1),
    )
    preview = sdk.responses.create(
        model="gpt-4.1",
        input="What changed in the tax rules this year?",
        tools=[{"type": "web_search_preview", "search_context_size": "high"}],
        extra_headers=usage_header(input=10_000, output=1_000, web_searches=1),
    )
    assert [tool.type for tool in preview.tools] == ["web_search_preview"]
    sdk.responses.create(
        model="gpt-4.1-mini",
        input="What changed in the tax rules this year?",
        tools=tools,
        extra_headers=usage_header(input=10_000, output=1_000, web_searches=1),
    )
    sdk.chat.completions.create(
        model="gpt-4o-search-preview",
        messages=MESSAGES,
        extra_headers=usage_header(input=10_000, output=1_000),
    )

    assert rows(exporter, tmp_path, store_client) == [
        # 10,000 × $5 + 1,000 × $30 = 80,000 per million = $0.08; 2 searches × $0.01 (the
        # opened page is free): input 0.05 + 0.02 = 0.07, cost 0.08 + 0.02 = 0.10.
        ("openai", "gpt-5.5", 0, 10_000, 1_000, 2, Decimal("0.07"), Decimal("0.1"), "", 0),
        ("openai", "gpt-5.5", 1, 10_000, 1_000, 1, Decimal("0.06"), Decimal("0.09"), "", 0),
        # GPT-4.1 $2 / $8 (https://developers.openai.com/api/docs/pricing), web_search $10
        # per 1,000 plus the search content tokens at the model's rates: 10,000 × $2 +
        # 1,000 × $8 = $0.028, + $0.01: input 0.02 + 0.01 = 0.03, cost 0.038.
        ("openai", "gpt-4.1", 0, 10_000, 1_000, 1, Decimal("0.03"), Decimal("0.038"), "", 0),
        # web_search_preview on GPT-4.1: $25 per 1,000, content tokens free (whether usage
        # leaves them out is not published); GPT-4.1 mini: a fixed 8,000-token block per search.
        ("openai", "gpt-4.1", 0, 10_000, 1_000, 1, None, None, "no_rate", 1),
        ("openai", "gpt-4.1-mini", 0, 10_000, 1_000, 1, None, None, "no_rate", 0),
        ("openai", "gpt-4o-search-preview", 0, 10_000, 1_000, 0, None, None, "no_rate", 0),
    ]


def test_openai_file_search_calls_are_billed_per_call(standin, exporter, tmp_path, store_client):
    """OpenAI bills the file search tool "$2.50 / 1k tool calls" on top of the tokens
    (https://platform.openai.com/docs/pricing#built-in-tools ; genai-prices' storage_searches
    rate): one per `file_search_call` output item. Such calls were priced on their tokens
    alone."""
    sdk = openai.OpenAI(
        api_key="sk-test-files", base_url=standin.base_url("/openai/v1"), max_retries=0
    )
    tools = [{"type": "file_search", "vector_store_ids": ["vs_standin"]}]
    response = sdk.responses.create(
        model="gpt-5.5",
        input="What does the contract say about notice periods?",
        tools=tools,
        extra_headers=usage_header(input=10_000, output=1_000, file_searches=2),
    )
    kinds = [item.type for item in response.output]
    assert kinds == ["file_search_call", "file_search_call", "message"]
    events = sdk.responses.create(
        model="gpt-4.1-mini",
        input="And about renewals?",
        tools=tools,
        stream=True,
        extra_headers=usage_header(input=10_000, output=1_000, file_searches=1),
    )
    assert [event.type for event in events][-1] == "response.completed"
    sdk.responses.create(  # no file search: tokens only
        model="gpt-4.1-mini",
        input="Thanks.",
        tools=tools,
        extra_headers=usage_header(input=10_000, output=1_000),
    )

    store_spans(llm_spans(exporter), tmp_path, store_client)
    assert store_client.query(
        "SELECT model, stream, storage_searches, if(priced = 1, input_cost, NULL), "
        "if(priced = 1, cost, NULL) FROM llm_calls ORDER BY ts"
    ).result_rows == [
        # GPT-5.5 $5 / $30 (https://developers.openai.com/api/docs/pricing): 10,000 × $5 +
        # 1,000 × $30 = 80,000 per million = $0.08; 2 file search calls × $0.0025 = $0.005,
        # counted as input: input 0.05 + 0.005 = 0.055, cost 0.085 (was 0.08).
        ("gpt-5.5", 0, 2, Decimal("0.055"), Decimal("0.085")),
        # GPT-4.1 mini $0.40 / $1.60: 10,000 × $0.40 + 1,000 × $1.60 = 5,600 per million =
        # $0.0056; 1 call $0.0025: input 0.004 + 0.0025 = 0.0065, cost 0.0081 (was 0.0056).
        ("gpt-4.1-mini", 1, 1, Decimal("0.0065"), Decimal("0.0081")),
        ("gpt-4.1-mini", 0, 0, Decimal("0.004"), Decimal("0.0056")),
    ]


def test_gemini_grounded_calls_are_unpriced_not_billed_on_tokens(
    standin, exporter, tmp_path, store_client
):
    """Grounding with Google Search bills a fee beyond a free allowance of the project (Gemini
    2.x: 1,500 grounded prompts a day free, then $35 per 1,000; Gemini 3: 5,000 prompts a month
    free, then $14 per 1,000 search queries: https://ai.google.dev/gemini-api/docs/pricing), so
    one call's fee is $0 or the rate depending on the project's other calls: a call whose
    answer ran search queries (`groundingMetadata.webSearchQueries`) is counted and unpriced
    (`rules.GEMINI_GROUNDING`). It was priced on its tokens alone, as if the fee were $0.
    Gemini 2.5 Flash $0.30 / $2.50 per million (same page)."""

    def client(**counts: int) -> genai.Client:
        options = types.HttpOptions(
            base_url=standin.base_url("gemini"), headers=usage_header(**counts)
        )
        return genai.Client(api_key="gk-test", http_options=options)

    search = types.GenerateContentConfig(tools=[types.Tool(google_search=types.GoogleSearch())])
    # Each client kept until the end: dropping a Client closes its HTTP client.
    two, one, none = (client(input=10_000, output=1_000, web_searches=n) for n in (2, 1, 0))
    grounded = two.models.generate_content(
        model="gemini-2.5-flash", contents="Who won the match last night?", config=search
    )
    assert grounded.candidates[0].grounding_metadata.web_search_queries == ["query 0", "query 1"]
    streamed = one.models.generate_content_stream(
        model="gemini-2.5-flash", contents="And the one before?", config=search
    )
    assert [c.candidates[0].finish_reason for c in streamed][-1] == types.FinishReason.STOP
    # The model answered without searching: no fee, its tokens priced.
    none.models.generate_content(model="gemini-2.5-flash", contents="What is 2 + 2?", config=search)

    store_spans(llm_spans(exporter), tmp_path, store_client)
    assert store_client.query(
        "SELECT model, stream, web_searches, if(priced = 1, cost, NULL), unpriced_reason "
        "FROM llm_calls ORDER BY ts"
    ).result_rows == [
        # Was 10,000 × $0.30 + 1,000 × $2.50 = $0.0055, the fee left out.
        ("gemini-2.5-flash", 0, 2, None, "no_rate"),
        ("gemini-2.5-flash", 1, 1, None, "no_rate"),
        # 10,000 × $0.30 + 1,000 × $2.50 = 3,000 + 2,500 per million = $0.0055.
        ("gemini-2.5-flash", 0, 0, Decimal("0.0055"), ""),
    ]


def test_code_execution_containers_leave_the_call_unpriced(
    standin, exporter, tmp_path, store_client
):
    """A code execution container is billed by its time, not per call: OpenAI's code
    interpreter per minute of a container session (5 minutes at least, a session shared by
    the calls that use it within 20 minutes: https://platform.openai.com/docs/pricing#built-in-tools),
    Anthropic's code execution tool per container hour past a monthly free allowance
    (https://platform.claude.com/docs/en/about-claude/pricing#code-execution-tool). What one
    call adds is not known from it: a call that ran one (OpenAI `code_interpreter_call` items,
    an Anthropic answer naming its `container`) is unpriced. Such calls were priced on their
    tokens alone (GPT-5.5: 10,000 × $5 + 1,000 × $30 = $0.08; Claude Sonnet 4.6: 2,000 × $3
    + 300 × $15 = $0.0105, as if the container were free)."""
    sdk = openai.OpenAI(
        api_key="sk-test-code", base_url=standin.base_url("/openai/v1"), max_retries=0
    )
    tools = [{"type": "code_interpreter", "container": {"type": "auto"}}]
    response = sdk.responses.create(
        model="gpt-5.5",
        input="What is 6 times 7? Use Python.",
        tools=tools,
        extra_headers=usage_header(input=10_000, output=1_000, code_executions=2),
    )
    assert [item.type for item in response.output].count("code_interpreter_call") == 2
    claude = anthropic.Anthropic(
        base_url=standin.base_url("anthropic"), api_key="sk-ant", max_retries=0
    )
    code = [{"type": "code_execution_20250825", "name": "code_execution"}]
    message = claude.messages.create(
        model="claude-sonnet-4-6",
        max_tokens=1000,
        messages=MESSAGES,
        tools=code,
        extra_headers=usage_header(input=2000, output=300, code_executions=1),
    )
    assert message.container.id == "container_standin"
    with claude.messages.stream(
        model="claude-sonnet-4-6",
        max_tokens=1000,
        messages=MESSAGES,
        tools=code,
        extra_headers=usage_header(input=2000, output=300, code_executions=1),
    ) as stream:
        assert stream.get_final_message().container.id == "container_standin"
    claude.messages.create(  # the tool offered, no container used: tokens only
        model="claude-sonnet-4-6",
        max_tokens=1000,
        messages=MESSAGES,
        tools=code,
        extra_headers=usage_header(input=2000, output=300),
    )

    store_spans(llm_spans(exporter), tmp_path, store_client)
    assert store_client.query(
        "SELECT model, stream, code_executions, if(priced = 1, cost, NULL), unpriced_reason "
        "FROM llm_calls ORDER BY ts"
    ).result_rows == [
        ("gpt-5.5", 0, 2, None, "no_rate"),
        ("claude-sonnet-4-6", 0, 1, None, "no_rate"),
        ("claude-sonnet-4-6", 1, 1, None, "no_rate"),
        # 2,000 × $3 + 300 × $15 = 6,000 + 4,500 per million = $0.0105.
        ("claude-sonnet-4-6", 0, 0, Decimal("0.0105"), ""),
    ]


def test_anthropic_code_execution_is_free_beside_web_search_or_fetch(
    standin, exporter, tmp_path, store_client
):
    """ "Code execution is free when used with web search or web fetch (web_search_20260209,
    web_fetch_20260209, or later). When one of those tools is in your request, there are no
    additional charges for code execution in that request beyond standard token costs"
    (https://platform.claude.com/docs/en/agents-and-tools/tool-use/code-execution-tool). Such
    a request whose answer names its container is billed its tokens and searches: Claude
    Sonnet 4.6, 2,000 x $3 + 300 x $15 per million = $0.0105, + 2 searches x $0.01 = $0.0305
    (https://platform.claude.com/docs/en/about-claude/pricing); it was unknown (the container
    taken as billed). Beside web_search_20250305, an earlier version, the container is still
    billed: unknown."""
    claude = anthropic.Anthropic(
        base_url=standin.base_url("anthropic"), api_key="sk-ant", max_retries=0
    )
    code = {"type": "code_execution_20250825", "name": "code_execution"}
    usage = usage_header(input=2000, output=300, code_executions=1, web_searches=2)
    for search in ("web_search_20260209", "web_fetch_20260309", "web_search_20250305"):
        tools = [code, {"type": search, "name": search.rsplit("_", 1)[0]}]
        message = claude.messages.create(
            model="claude-sonnet-4-6",
            max_tokens=1000,
            messages=MESSAGES,
            tools=tools,  # type: ignore[arg-type]
            extra_headers=usage,
        )
        assert message.container.id == "container_standin"
    with claude.messages.stream(
        model="claude-sonnet-4-6",
        max_tokens=1000,
        messages=MESSAGES,
        tools=[code, {"type": "web_search_20260209", "name": "web_search"}],  # type: ignore[list-item]
        extra_headers=usage,
    ) as stream:
        assert stream.get_final_message().container.id == "container_standin"

    store_spans(llm_spans(exporter), tmp_path, store_client)
    assert store_client.query(
        "SELECT stream, code_executions, web_searches, if(priced = 1, cost, NULL), "
        "unpriced_reason FROM llm_calls ORDER BY ts"
    ).result_rows == [
        (0, 0, 2, Decimal("0.0305"), ""),
        (0, 0, 2, Decimal("0.0305"), ""),
        (0, 1, 2, None, "no_rate"),
        (1, 0, 2, Decimal("0.0305"), ""),
    ]


def test_perplexity_deep_research_bills_searches_citations_and_reasoning(
    standin, exporter, tmp_path, store_client
):
    """Sonar Deep Research bills input $2, output $8, citation tokens $2 and reasoning tokens
    $3 per million, and search queries $5 per 1,000
    (https://docs.perplexity.ai/getting-started/pricing); its usage names them beside the
    prompt and completion counts (`citation_tokens`, `reasoning_tokens`, `num_search_queries`).
    Computed from them, the cost equals what Perplexity reports (`usage.cost`). It was the
    prompt and completion alone: 1,000 × $2 + 2,000 × $8 = $0.018."""
    perplexity = openai.OpenAI(
        base_url=standin.base_url("perplexity"), api_key="pplx-test", max_retries=0
    )
    counts = usage_header(input=1_000, output=5_000, reasoning=3_000, citations=9_000)
    counts["x-standin-usage"] += ",web_searches=20"
    reply = perplexity.chat.completions.create(
        model="sonar-deep-research", messages=MESSAGES, extra_headers=counts
    )
    assert reply.usage.model_extra["num_search_queries"] == 20
    perplexity.chat.completions.create(
        model="sonar-deep-research",
        messages=MESSAGES,
        extra_headers={
            **counts,
            "x-standin-cost": "perplexity=input:0.02;output:0.016;request:0.109",
        },
    )

    store_spans(llm_spans(exporter), tmp_path, store_client)
    assert store_client.query(
        "SELECT input_tokens, output_tokens, reasoning_tokens, web_searches, cost, "
        "input_cost + output_cost, cost_source FROM llm_calls ORDER BY ts"
    ).result_rows == [
        # (1,000 prompt + 9,000 citation) × $2 = 0.02; 2,000 answer × $8 = 0.016;
        # 3,000 reasoning × $3 = 0.009; 20 searches × $0.005 = 0.1: 0.145.
        (10_000, 5_000, 3_000, 20, Decimal("0.145"), Decimal("0.145"), "computed"),
        # Perplexity's own total (0.02 + 0.016 + 0.109) counts; the computed cost beside it.
        (10_000, 5_000, 3_000, 20, Decimal("0.145"), Decimal("0.145"), "provider"),
    ]


def test_openai_image_generation_tool_leaves_the_call_unpriced(
    standin, exporter, tmp_path, store_client
):
    """The Responses API's image generation tool bills its image tokens at the image model's
    rates (gpt-image-1: $40 per million image output tokens,
    https://platform.openai.com/docs/pricing#image-generation), reported in the response's
    `tool_usage.image_gen`, apart from its `usage`, which counts the chat model's tokens alone.
    One span prices one model: a call whose output has `image_generation_call` items is
    unpriced. It was priced as the chat model's tokens alone (GPT-5.5 10,000 × $5 + 1,000 ×
    $30 = $0.08, its 4,160 image tokens, $0.1664 at gpt-image-1's rate, left out)."""
    sdk = openai.OpenAI(
        api_key="sk-test-images", base_url=standin.base_url("/openai/v1"), max_retries=0
    )
    tools = [{"type": "image_generation"}]
    response = sdk.responses.create(
        model="gpt-5.5",
        input="Draw a lighthouse.",
        tools=tools,
        extra_headers=usage_header(input=10_000, output=1_000, image_generations=1),
    )
    assert response.tool_usage.image_gen.output_tokens == 4160
    events = sdk.responses.create(
        model="gpt-5.5",
        input="And at night.",
        tools=tools,
        stream=True,
        extra_headers=usage_header(input=10_000, output=1_000, image_generations=1),
    )
    assert [event.type for event in events][-1] == "response.completed"
    sdk.responses.create(  # the tool offered, no image made: tokens only
        model="gpt-5.5",
        input="Describe a lighthouse.",
        tools=tools,
        extra_headers=usage_header(input=10_000, output=1_000),
    )

    store_spans(llm_spans(exporter), tmp_path, store_client)
    assert store_client.query(
        "SELECT model, stream, output_images, if(priced = 1, cost, NULL), unpriced_reason "
        "FROM llm_calls ORDER BY ts"
    ).result_rows == [
        ("gpt-5.5", 0, 1, None, "no_rate"),
        ("gpt-5.5", 1, 1, None, "no_rate"),
        # 10,000 × $5 + 1,000 × $30 = 50,000 + 30,000 per million = $0.08.
        ("gpt-5.5", 0, 0, Decimal("0.08"), ""),
    ]


def test_openai_billable_search_count_wins_over_the_output_items():
    """A response's `tool_usage.web_search.num_requests` "counts billable searches.
    Discounted searches and actions such as opening a page are excluded" (the openai SDK's
    `ToolUsage`, https://platform.openai.com/docs/api-reference/responses/object): the
    searches billed are that count, whatever the output items say; without it, the items'
    searches are counted."""
    search = {"type": "web_search_call", "status": "completed", "action": {"type": "search"}}
    document = {
        "id": "resp_1",
        "model": "gpt-5.5",
        "status": "completed",
        "tools": [{"type": "web_search"}],
        "output": [search, search, search],
        "usage": {"input_tokens": 10_000, "output_tokens": 1_000},
    }
    counted = Observed()
    RESPONSES.observe(document, counted, streaming=False)
    billed = Observed()
    with_usage = {**document, "tool_usage": {"web_search": {"num_requests": 2}}}
    RESPONSES.observe(with_usage, billed, streaming=False)
    searches = "tokentrace.usage.web_searches"
    assert RESPONSES.usage(counted.raw_usage).attributes()[searches] == 3
    assert RESPONSES.usage(billed.raw_usage).attributes()[searches] == 2
