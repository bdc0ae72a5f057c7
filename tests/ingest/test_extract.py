"""The extractor on spans shaped like each source's, built with the real OTLP classes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tokentrace.processor.extract.extractor import COLUMNS, FUTURE_WINDOW_NS, MAX_TOKENS

from .otlp import NOW_NS, chat, extract_request, request, span


def one_call(attrs, resource=None, scope="tokentrace.instrumentation", **span_args):
    extraction = extract_request(request(span(attrs, **span_args), resource=resource, scope=scope))
    assert extraction.rejected_count == 0, extraction.error_message()
    assert len(extraction.calls) == 1
    return extraction.calls[0]


def rejection(attrs, **span_args) -> str:
    extraction = extract_request(request(span(attrs, **span_args)))
    assert extraction.calls == []
    assert extraction.rejected_count == 1
    return extraction.error_message()


class FakePrice:
    priced = True
    model = "gpt-4o-2024-08-06"
    input_cost = cache_read_cost = cache_write_cost = Decimal("0.000000000001")
    output_cost = cache_savings = Decimal("-0.5")
    cost = Decimal("123456.789012345678")
    price_version = "v"
    reason = rule = ""
    cost_source = "computed"
    unit_costs = ()


def test_tokentrace_span_becomes_a_full_row():
    call = one_call(
        chat(
            **{
                "gen_ai.response.id": "chatcmpl-1",
                "gen_ai.usage.cache_read.input_tokens": 400,
                "gen_ai.usage.cache_creation.input_tokens": 50,
                "gen_ai.usage.reasoning.output_tokens": 30,
                "gen_ai.request.stream": True,
                "gen_ai.response.time_to_first_chunk": 0.125,
                "http.response.status_code": 200,
                "openai.response.service_tier": "Flex",
                "feature": "chat",
                "tenant": "acme",
                "user.id": "u-1",
                "gen_ai.conversation.id": "conv-9",
                "customer_tier": "gold",
                "http.request.method": "POST",
            }
        ),
        resource={
            "service.name": "checkout",
            "deployment.environment.name": "prod",
            "team": "growth",
            "region": "eu",
            "telemetry.sdk.language": "python",
        },
        duration_ms=1500,
    )
    row = dict(zip(COLUMNS, call.row(FakePrice()), strict=True))
    assert row["ts"] == NOW_NS // 1000
    assert row["provider"] == "openai"
    assert (row["request_model"], row["response_model"]) == ("gpt-4o", "gpt-4o-2024-08-06")
    assert row["response_id"] == "chatcmpl-1"
    assert row["operation"] == "chat"
    assert (row["service"], row["environment"], row["team"]) == ("checkout", "prod", "growth")
    assert (row["feature"], row["tenant"], row["user"]) == ("chat", "acme", "u-1")
    assert (row["conversation"], row["agent"]) == ("conv-9", "")
    assert row["input_tokens"] == 1000
    assert row["output_tokens"] == 100
    assert (row["cache_read_tokens"], row["cache_write_tokens"]) == (400, 50)
    assert row["reasoning_tokens"] == 30
    assert row["latency_ms"] == 1500.0
    assert row["ttft_ms"] == 125.0
    assert (row["stream"], row["http_status"], row["status"]) == (1, 200, "ok")
    assert row["service_tier"] == "flex"
    assert row["usage_missing"] == 0
    assert row["tags"] == {"customer_tier": "gold", "region": "eu"}
    assert call.ours
    # Money in integer units of 1e-12 USD: Decimal(18, 12)'s raw value.
    assert (row["input_cost"], row["output_cost"]) == (1, -500_000_000_000)
    assert row["cost"] == 123_456_789_012_345_678


def test_anthropic_sdk_span_input_already_includes_cache():
    call = one_call(
        {
            "gen_ai.provider.name": "anthropic",
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "claude-sonnet-4-5",
            "gen_ai.usage.input_tokens": 1500,  # 300 uncached + 1000 read + 200 written
            "gen_ai.usage.output_tokens": 80,
            "gen_ai.usage.cache_read.input_tokens": 1000,
            "gen_ai.usage.cache_write.input_tokens": 200,
        },
        # the Anthropic SDK's own tracing (recorded: ``anthropic_sdk_py``, 2.15); the bare
        # ``anthropic`` scope is AgentOps' (``test_agentops``), whose input is without cache
        scope="com.anthropic.sdk.python",
    )
    assert (call.input_tokens, call.cache_read_tokens, call.cache_write_tokens) == (1500, 1000, 200)
    assert not call.ours


def test_openllmetry_spans_old_and_new_names():
    new = one_call(
        {
            "gen_ai.system": "Anthropic",
            "llm.request.type": "chat",
            "gen_ai.request.model": "claude-3-5-haiku",
            "gen_ai.usage.input_tokens": 1200,
            "gen_ai.usage.output_tokens": 10,
            "gen_ai.usage.cache_read_input_tokens": 1000,
            "gen_ai.usage.cache_creation_input_tokens": 100,
        },
        scope="opentelemetry.instrumentation.anthropic",
    )
    assert (new.provider, new.operation) == ("anthropic", "chat")
    assert (new.input_tokens, new.cache_read_tokens, new.cache_write_tokens) == (1200, 1000, 100)

    old = one_call(
        {
            "gen_ai.system": "openai",
            "llm.request.type": "completion",
            "gen_ai.request.model": "gpt-3.5-turbo-instruct",
            "gen_ai.usage.prompt_tokens": 20,
            "gen_ai.usage.completion_tokens": "7",
        }
    )
    assert (old.operation, old.input_tokens, old.output_tokens) == ("text_completion", 20, 7)

    oldest = one_call(
        {
            "llm.vendor": "openai",
            "llm.request.model": "gpt-4",
            "llm.usage.prompt_tokens": 5,
            "llm.usage.completion_tokens": 6,
        }
    )
    assert (oldest.provider, oldest.request_model) == ("openai", "gpt-4")
    assert (oldest.input_tokens, oldest.output_tokens) == (5, 6)


def test_openlit_anthropic_input_excludes_cache_so_it_is_added():
    attrs = {
        "gen_ai.system": "anthropic",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "claude-sonnet-4-5",
        "gen_ai.usage.input_tokens": 1300,
        "gen_ai.usage.output_tokens": 50,
        "gen_ai.usage.cache_read_input_tokens": 1000,
        "gen_ai.usage.cache_creation_input_tokens": 200,
    }
    openlit = {"service.name": "bot", "telemetry.sdk.name": "openlit"}
    scope = "openlit.otel.tracing"
    assert one_call(attrs, resource=openlit, scope=scope).input_tokens == 2500
    # The same numbers from a source that includes cache stay as they are, even tokentrace's
    # spans exported through OpenLIT's tracer provider.
    assert one_call(attrs).input_tokens == 1300
    assert one_call(attrs, resource=openlit).input_tokens == 1300
    # OpenLIT's OpenAI input (prompt_tokens) already includes cached tokens.
    openai = {**attrs, "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o"}
    assert one_call(openai, resource=openlit, scope=scope).input_tokens == 1300


def test_input_below_the_cache_counts_cannot_include_them():
    extraction = extract_request(
        request(
            span(
                chat(
                    **{
                        "gen_ai.usage.input_tokens": 10,
                        "gen_ai.usage.cache_read.input_tokens": 900,
                        "gen_ai.usage.cache_creation.input_tokens": 90,
                    }
                )
            )
        )
    )
    assert extraction.calls[0].input_tokens == 1000
    assert extraction.repaired == {"input_below_cache": 1}


def test_output_below_reasoning_cannot_include_it():
    # e.g. Gemini's candidatesTokenCount, which leaves out thoughtsTokenCount
    extraction = extract_request(
        request(
            span(chat(**{"gen_ai.usage.output_tokens": 40, "gen_ai.usage.reasoning_tokens": 60})),
            span(chat(**{"gen_ai.usage.output_tokens": 100, "gen_ai.usage.reasoning_tokens": 60})),
        )
    )
    assert [call.output_tokens for call in extraction.calls] == [100, 100]
    assert extraction.repaired == {"output_below_reasoning": 1}


def test_openllmetry_js_anthropic_input_excludes_cache_by_its_scope():
    # Anthropic's own input_tokens (2,000 uncached) is above the cache counts, so only the
    # scope tells that the cache must be added: no guess from the numbers.
    attrs = {
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-sonnet-4-5",
        "gen_ai.usage.input_tokens": 2000,
        "gen_ai.usage.output_tokens": 50,
        "gen_ai.usage.cache_read.input_tokens": 1000,
        "gen_ai.usage.cache_creation.input_tokens": 100,
    }
    extraction = extract_request(request(span(attrs), scope="@traceloop/instrumentation-anthropic"))
    assert extraction.calls[0].input_tokens == 3100
    assert extraction.repaired == {}
    assert one_call(attrs, scope="opentelemetry.instrumentation.anthropic").input_tokens == 2000


def test_openinference_llm_spans_are_calls_and_chain_spans_are_not():
    llm = {
        "openinference.span.kind": "LLM",
        "llm.provider": "anthropic",
        "llm.model_name": "claude-sonnet-4-5",
        "llm.token_count.prompt": 1200,
        "llm.token_count.completion": 80,
        "llm.token_count.prompt_details.cache_read": 1000,
        "llm.token_count.prompt_details.cache_write": 100,
        "llm.token_count.completion_details.reasoning": 20,
        "user.id": "u1",
        "session.id": "s1",
    }
    call = one_call(llm, scope="openinference.instrumentation.anthropic")
    assert (call.provider, call.operation, call.response_model) == (
        "anthropic",
        "chat",
        "claude-sonnet-4-5",
    )
    counts = (call.input_tokens, call.output_tokens, call.cache_read_tokens)
    assert (*counts, call.cache_write_tokens, call.reasoning_tokens) == (1200, 80, 1000, 100, 20)
    assert call.dimensions[5:7] == ["u1", "s1"]  # user, conversation
    chain = {**llm, "openinference.span.kind": "CHAIN"}
    extraction = extract_request(request(span(chain), scope="openinference.instrumentation"))
    assert (extraction.calls, extraction.ignored) == ([], 1)


def test_vercel_wrapper_spans_are_not_calls_and_provider_ids_are_mapped():
    usage = {"ai.usage.inputTokens": 1200, "ai.usage.outputTokens": 80}
    wrapper = {"ai.operationId": "ai.generateText", "ai.model.id": "gemini-2.5-flash", **usage}
    call = {
        **wrapper,
        "ai.operationId": "ai.streamText.doStream",
        "gen_ai.system": "google.generative-ai",
        "ai.usage.inputTokenDetails.cacheReadTokens": 1000,
        "ai.telemetry.metadata.customer_tier": "gold",
        "ai.telemetry.metadata.userId": "u1",
    }
    extraction = extract_request(request(span(wrapper), span(call), scope="ai"))
    assert (len(extraction.calls), extraction.ignored) == (1, 1)
    found = extraction.calls[0]
    assert (found.provider, found.request_model, found.stream) == (
        "gcp.gemini",
        "gemini-2.5-flash",
        1,
    )
    assert (found.input_tokens, found.cache_read_tokens) == (1200, 1000)
    assert found.dimensions[5] == "u1"  # user
    assert found.tags == {"customer_tier": "gold"}


@pytest.mark.parametrize(
    ("system", "provider"),
    [
        ("google.generative-ai", "gcp.gemini"),
        ("google.vertex.chat", "gcp.vertex_ai"),  # was gcp.gemini: its head is the Gemini API's
        ("vertex.anthropic.messages", "gcp.vertex_ai"),
        ("googlevertex.anthropic.messages", "gcp.vertex_ai"),
        ("googlevertex.chat", "gcp.vertex_ai"),
        ("openai.chat", "openai"),
    ],
)
def test_vercel_provider_ids_name_the_cloud_that_answered(system: str, provider: str):
    attributes = {
        "ai.operationId": "ai.generateText.doGenerate",
        "ai.model.id": "gemini-2.5-flash",
        "gen_ai.system": system,
        "ai.usage.inputTokens": 1200,
        "ai.usage.outputTokens": 80,
    }
    [call] = extract_request(request(span(attributes), scope="ai")).calls
    assert call.provider == provider


@pytest.mark.parametrize(
    ("given", "provider"),
    [
        ({"gen_ai.system": "gemini"}, "gcp.gemini"),
        ({"gen_ai.system": "vertex_ai"}, "gcp.vertex_ai"),
        ({"gen_ai.system": "az.ai.openai"}, "azure.ai.openai"),
        ({"gen_ai.provider.name": "OpenAI", "gen_ai.system": "other"}, "openai"),
        ({"server.address": "api.anthropic.com"}, "anthropic"),
        # the model's API named, the cloud's host recorded: the cloud's call
        (
            {"gen_ai.system": "gemini", "server.address": "us-central1-aiplatform.googleapis.com"},
            "gcp.vertex_ai",
        ),
        (
            {"gen_ai.system": "gemini", "server.address": "aiplatform.googleapis.com"},
            "gcp.vertex_ai",
        ),
        (
            {"llm.provider": "google", "server.address": "aiplatform.googleapis.com"},
            "gcp.vertex_ai",
        ),
        (
            {"gen_ai.provider.name": "anthropic", "server.address": "aiplatform.googleapis.com"},
            "gcp.vertex_ai",
        ),
        (
            {"gen_ai.system": "openai", "server.address": "acme.openai.azure.com"},
            "azure.ai.openai",
        ),
        # the endpoint as a URL: the Anthropic SDK's ``url.full`` on AnthropicVertex (a Vertex
        # AI resource path, on any host), OpenLLMetry's ``gen_ai.openai.api_base``
        (
            {
                "gen_ai.provider.name": "anthropic",
                "url.full": "https://proxy.internal/v1/projects/p/locations/us-east5/"
                "publishers/anthropic/models/claude-sonnet-4-5:rawPredict",
            },
            "gcp.vertex_ai",
        ),
        (
            {
                "gen_ai.system": "openai",
                "gen_ai.openai.api_base": "https://aiplatform.googleapis.com/v1/projects/p/"
                "locations/global/endpoints/openapi",
            },
            "gcp.vertex_ai",
        ),
        (
            {"gen_ai.system": "openai", "gen_ai.openai.api_base": "https://acme.openai.azure.com/"},
            "azure.ai.openai",
        ),
        ({"gen_ai.system": "openai", "url.full": "https://api.openai.com/v1/chat"}, "openai"),
        # a host that names no other cloud, or one that serves none of its models: unchanged
        ({"gen_ai.system": "gemini", "server.address": "127.0.0.1"}, "gcp.gemini"),
        ({"gen_ai.system": "cohere", "server.address": "aiplatform.googleapis.com"}, "cohere"),
        (
            {"gen_ai.system": "gemini", "server.address": "generativelanguage.googleapis.com"},
            "gcp.gemini",
        ),
    ],
)
def test_provider_names_are_normalised(given, provider):
    attrs = {"gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 1, **given}
    assert one_call(attrs).provider == provider


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12", 12), (" 34 ", 34), (12.0, 12), (0, 0), (MAX_TOKENS, MAX_TOKENS)],
)
def test_token_counts_accept_numeric_strings_and_whole_doubles(value, expected):
    assert one_call(chat(**{"gen_ai.usage.input_tokens": value})).input_tokens == expected


@pytest.mark.parametrize(
    "value",
    [-1, MAX_TOKENS + 1, float("nan"), float("inf"), 12.5, "-5", "1e3", "twelve", "", True, [1]],
)
def test_bad_token_counts_reject_the_span_with_the_reason(value):
    message = rejection(chat(**{"gen_ai.usage.input_tokens": value}))
    assert message.startswith("1 span(s) rejected: 1 invalid usage")
    assert "gen_ai.usage.input_tokens" in message


def test_a_bad_span_harms_nothing_else_in_the_request():
    extraction = extract_request(
        request(
            span(chat()),
            span(chat(**{"gen_ai.usage.output_tokens": -3})),
            span({"http.request.method": "GET"}),
            span(chat(), start_ns=NOW_NS + FUTURE_WINDOW_NS + 10**9),
            span(chat()),
        )
    )
    assert len(extraction.calls) == 2
    assert extraction.ignored == 1
    assert dict(extraction.rejected) == {"invalid_usage": 1, "invalid_timestamp": 1}
    message = extraction.error_message()
    assert message.startswith("2 span(s) rejected: ")
    assert "gen_ai.usage.output_tokens=-3 is outside 0..2^32" in message


def test_missing_usage_is_stored_and_marked():
    call = one_call(chat(**{"gen_ai.usage.input_tokens": None, "gen_ai.usage.output_tokens": None}))
    assert (call.usage_missing, call.input_tokens, call.output_tokens) == (1, 0, 0)
    cut = one_call(chat(**{"tokentrace.usage.missing": True, "gen_ai.usage.output_tokens": None}))
    assert (cut.usage_missing, cut.input_tokens) == (1, 1000)


def test_partial_usage_from_another_source_is_usage_missing():
    """Another source's span with an input count and no output count (or the other way
    round) may not be priced on what it has: the missing count is unknown, not 0. An
    embedding has no output; tokentrace's own spans read the wire and are taken as sent."""
    scope = "opentelemetry.instrumentation.openai"
    no_output = chat(**{"gen_ai.usage.output_tokens": None})
    no_input = chat(**{"gen_ai.usage.input_tokens": None})
    assert one_call(no_output, scope=scope).usage_missing == 1
    assert one_call(no_input, scope=scope).usage_missing == 1
    embedding = {**no_output, "gen_ai.operation.name": "embeddings"}
    assert one_call(embedding, scope=scope).usage_missing == 0
    assert one_call(chat(), scope=scope).usage_missing == 0


def test_input_without_the_cache_and_no_cache_count_is_usage_missing():
    """A source whose Anthropic input leaves the cache out (OpenLIT's), with no cache count
    at all: the cache reads and writes the call may have billed are unknown, so its cost is
    too (it was priced on the uncached input alone). A cache count of 0 says there were
    none."""
    attrs = {
        "gen_ai.system": "anthropic",
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "claude-sonnet-4-5",
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 80,
    }
    openlit = {"service.name": "bot", "telemetry.sdk.name": "openlit"}
    scope = "openlit.otel.tracing"
    assert one_call(attrs, resource=openlit, scope=scope).usage_missing == 1
    counted = {**attrs, "gen_ai.usage.cache_read_input_tokens": 0}
    assert one_call(counted, resource=openlit, scope=scope).usage_missing == 0
    # A source whose input includes the cache needs no cache count to be priced.
    assert one_call(attrs, scope="opentelemetry.instrumentation.anthropic").usage_missing == 0


@pytest.mark.parametrize(
    "start_ns",
    [1_500_000_000 * 10**9, NOW_NS + FUTURE_WINDOW_NS + 1, 0],
    ids=["2017", "past-the-future-window", "zero"],
)
def test_timestamps_outside_the_window_are_rejected(start_ns):
    assert "outside the accepted window" in rejection(chat(), start_ns=start_ns)


def test_timestamps_inside_the_window_are_kept():
    assert one_call(chat(), start_ns=NOW_NS + FUTURE_WINDOW_NS - 10**9).ts_us > NOW_NS // 1000
    assert one_call(chat(), start_ns=1_600_000_000 * 10**9).ts_us == 1_600_000_000 * 10**6


def test_ids_of_the_wrong_length_are_rejected():
    assert "trace id must be 16 bytes" in rejection(chat(), trace_id=b"\x01" * 8)
    assert "span id 8" in rejection(chat(), span_id=b"")


@pytest.mark.parametrize(
    "attrs",
    [
        {"http.request.method": "POST", "url.full": "https://example.com"},
        {"db.system": "postgresql"},
        {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner",
         "gen_ai.usage.input_tokens": 5000},
        {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"},
    ],
)  # fmt: skip
def test_spans_that_are_no_llm_call_are_ignored(attrs):
    extraction = extract_request(request(span(attrs)))
    assert (extraction.calls, extraction.ignored, extraction.rejected_count) == ([], 1, 0)


def test_span_attributes_win_over_resource_attributes():
    call = one_call(
        chat(team="search", **{"enduser.id": "e-1", "session.id": "s-1", "gen_ai.agent.name": "a"}),
        resource={"service.name": "api", "team": "growth", "deployment.environment": "staging"},
    )
    service, environment, team, feature, tenant, user, conversation, agent = call.dimensions
    assert (service, environment, team) == ("api", "staging", "search")
    assert (user, conversation, agent) == ("e-1", "s-1", "a")
    assert (feature, tenant) == ("", "")
    # An explicit tag beats the semantic-convention key for the same dimension.
    call = one_call(chat(user="tag-user", **{"user.id": "semconv-user"}))
    assert call.dimensions[5] == "tag-user"


def test_errors_are_marked():
    assert one_call(chat(), error=True).status == "error"
    call = one_call(chat(**{"error.type": "RateLimitError", "http.response.status_code": 429}))
    assert (call.status, call.error_type, call.http_status) == ("error", "RateLimitError", 429)


@pytest.mark.parametrize(
    ("status", "usage_missing"),
    [(400, 0), (401, 0), (429, 0), (500, 0), (503, 0), (529, 0), (502, 1), (504, 1), (524, 1)],
)
def test_a_failed_call_that_may_have_run_has_an_unknown_cost(status, usage_missing):
    """A provider's refusal used nothing: a known $0. A gateway's 502, 504 or 524 came after
    it passed the call on, which the provider may have run and billed: cost unknown."""
    attrs = {"gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini"}
    call = one_call({**attrs, "error.type": str(status), "http.response.status_code": status})
    assert (call.status, call.usage_missing) == ("error", usage_missing)


def test_tag_caps_keep_rows_bounded():
    extra = {f"tag_{i:02d}": f"v{i}" for i in range(40)}
    long_key = "k" * 65
    extraction = extract_request(
        request(span(chat(**extra, **{long_key: "x", "gen_ai.prompt.0.content": "y" * 10}))),
    )
    call = extraction.calls[0]
    assert len(call.tags) == 32
    assert set(call.tags) == {f"tag_{i:02d}" for i in range(32)}
    assert extraction.tags_dropped == 9  # 8 over the cap + the long key


def test_structured_values_are_not_tags():
    """Whole requests and parameters under plain keys (Logfire's ``request_data``, LiteLLM's
    ``hidden_params`` as a Python literal) are no labels: never tags, on spans or resources."""
    request_data = '{"messages": [{"role": "user", "content": "my secret plan"}]}'
    call = one_call(
        chat(
            request_data=request_data,
            hidden_params="{'model_id': None, 'api_base': 'https://api.openai.com'}",
            stops=' ["\\n"]',
            customer_tier="gold",
            note="braces {inside} are fine",
        ),
        resource={"config": "[1, 2]", "region": "eu"},
    )
    assert call.tags == {
        "customer_tier": "gold",
        "note": "braces {inside} are fine",
        "region": "eu",
    }


def test_huge_values_are_clipped_with_a_marker():
    huge = "x" * 1_000_000
    call = one_call(chat(tenant=huge, note=huge, **{"gen_ai.request.model": huge}))
    assert call.dimensions[4] == "x" * 255 + "\u2026"
    assert call.tags["note"] == "x" * 255 + "\u2026"
    assert len(call.request_model) == 256


def test_sql_metacharacters_are_plain_data():
    nasty = "x'); DROP TABLE llm_calls; --\\"
    call = one_call(chat(tenant=nasty, comment=nasty))
    assert call.dimensions[4] == nasty
    assert call.tags["comment"] == nasty


def test_ten_thousand_distinct_tag_values_extract_independently():
    spans = [span(chat(tenant=f"tenant-{i}", session=f"s-{i}")) for i in range(10_000)]
    extraction = extract_request(request(*spans))
    assert len(extraction.calls) == 10_000
    assert len({call.dimensions[4] for call in extraction.calls}) == 10_000
    assert all(len(call.tags) == 1 for call in extraction.calls)


@pytest.mark.parametrize(
    ("metadata", "counts"),
    [
        # the Messages API's usage: input without cache
        (
            '{"anthropic":{"usage":{"input_tokens":100,"output_tokens":80,'
            '"cache_read_input_tokens":1000,"cache_creation_input_tokens":100}}}',
            (1200, 80, 1000, 100),
        ),
        # malformed or not Anthropic's: the ai.usage.* attributes stand (input below the
        # cache read, so the read is added and counted as a repair)
        ("{not json", (1100, 80, 1000, 0)),
        ('{"anthropic":{"usage":{"input_tokens":-5}}}', (1100, 80, 1000, 0)),
        ('{"openai":{}}', (1100, 80, 1000, 0)),
    ],
)
def test_vercel_anthropic_usage_comes_from_provider_metadata(metadata, counts):
    attrs = {
        "ai.operationId": "ai.streamText.doStream",
        "gen_ai.system": "anthropic.messages",
        "ai.model.id": "claude-sonnet-4-5",
        "ai.usage.inputTokens": 100,
        "ai.usage.outputTokens": 80,
        "ai.usage.cachedInputTokens": 1000,
        "ai.response.providerMetadata": metadata,
    }
    call = one_call(attrs, scope="ai")
    found = (call.input_tokens, call.output_tokens, call.cache_read_tokens)
    assert (*found, call.cache_write_tokens) == counts


LITELLM_ANTHROPIC_USAGE = (
    "{'completion_tokens': 80, 'prompt_tokens': 1200, 'completion_tokens_details': "
    "{'reasoning_tokens': 0, 'text_tokens': 80}, 'prompt_tokens_details': {'audio_tokens': "
    "None, 'cache_write_tokens': 100, 'cached_tokens': 1000, 'cache_creation_tokens': 100, "
    "'cache_creation_token_details': {'ephemeral_5m_input_tokens': 60, "
    "'ephemeral_1h_input_tokens': 40}}, 'cache_creation_input_tokens': 100, "
    "'cache_read_input_tokens': 1000}"
)


@pytest.mark.parametrize(
    ("usage", "own", "counts"),
    [
        # LiteLLM's Anthropic usage, a Python literal: reads, writes, 1-hour writes
        (LITELLM_ANTHROPIC_USAGE, {}, (1200, 1000, 100, 40, 0)),
        # OpenAI's shape as JSON, with reasoning
        (
            '{"prompt_tokens": 1200, "completion_tokens": 80, "prompt_tokens_details": '
            '{"cached_tokens": 1000}, "completion_tokens_details": {"reasoning_tokens": 30}}',
            {},
            (1200, 1000, 0, 0, 30),
        ),
        # none, null or out of range: no count
        ("{'prompt_tokens_details': None, 'cached_tokens': None}", {}, (1200, 0, 0, 0, 0)),
        ('{"cached_tokens": null, "reasoning_tokens": 99999999999}', {}, (1200, 0, 0, 0, 0)),
        ("not a usage object", {}, (1200, 0, 0, 0, 0)),
        # the span's own attributes say it first (LiteLLM's semconv opt-in sets them)
        (
            LITELLM_ANTHROPIC_USAGE,
            {"gen_ai.usage.cache_read.input_tokens": 900},
            (1200, 900, 100, 40, 0),
        ),
    ],
)
def test_a_usage_object_attribute_gives_the_counts_the_span_leaves_out(usage, own, counts):
    attrs = {
        "gen_ai.system": "anthropic",
        "gen_ai.request.model": "claude-sonnet-4-5",
        "gen_ai.usage.input_tokens": 1200,
        "gen_ai.usage.output_tokens": 80,
        "metadata.usage_object": usage,
        **own,
    }
    call = one_call(attrs, scope="litellm")
    found = (call.input_tokens, call.cache_read_tokens, call.cache_write_tokens)
    assert (*found, call.units[0], call.reasoning_tokens) == counts
    assert call.output_tokens == 80


def test_logfire_stream_request_spans_are_not_calls_and_its_stream_logs_are():
    """Logfire's span of a streamed request ends with no response; the call is its
    ``streaming response`` log. A request span that failed, or another scope's span
    without a response, is a call still."""
    request_span = chat(**{
        "gen_ai.usage.input_tokens": None, "gen_ai.usage.output_tokens": None,
        "logfire.span_type": "span",
    })  # fmt: skip
    opening = extract_request(request(span(request_span), scope="logfire.openai"))
    assert (opening.calls, opening.ignored) == ([], 1)
    failed = one_call(request_span, scope="logfire.openai", error=True)
    assert (failed.status, failed.stream, failed.usage_missing) == ("error", 0, 1)
    assert one_call(request_span, scope="opentelemetry.util.genai.handler").usage_missing == 1
    log = one_call(
        chat(**{"logfire.span_type": "log", "gen_ai.response.id": "chatcmpl-1"}),
        scope="logfire.openai",
    )
    assert (log.stream, log.input_tokens, log.usage_missing) == (1, 1000, 0)


@pytest.mark.parametrize(("ttft", "expected"), [(0.25, 250.0), (292, 292.0), (900, 900_000.0)])
def test_a_time_to_first_token_longer_than_the_call_in_seconds_is_in_milliseconds(ttft, expected):
    """Strands Agents sends milliseconds under the seconds attribute: 292 "seconds" in a
    300 ms call is 292 ms; 900 is not a time within it either way, and stays as sent."""
    attrs = chat(**{"gen_ai.server.time_to_first_token": ttft})
    assert one_call(attrs, duration_ms=300).ttft_ms == expected


def test_a_system_naming_the_framework_is_no_provider_the_model_s_owner_is():
    attrs = chat(**{"gen_ai.provider.name": None, "gen_ai.system": "strands-agents"})
    call = one_call(attrs, scope="strands.telemetry.tracer")
    assert (call.provider, call.request_model) == ("openai", "gpt-4o")
    # no provider anywhere, and a model no one is known to own: left empty (priced by name)
    attrs = chat(
        **{
            "gen_ai.provider.name": None,
            "gen_ai.request.model": "my-finetune",
            "gen_ai.response.model": None,
        }
    )
    assert one_call(attrs).provider == ""


@pytest.mark.parametrize(
    ("extra", "is_call"),
    [
        ({}, False),  # an agent framework's turn or run span
        ({"gen_ai.response.id": "resp_1"}, True),
        ({"error.type": "timeout"}, True),
        ({"gen_ai.request.model": "gpt-4o"}, True),
    ],
)
def test_a_span_naming_only_a_provider_is_no_call(extra, is_call):
    attrs = {"gen_ai.system": "openai", "gen_ai.operation.name": "chat", **extra}
    extraction = extract_request(request(span(attrs), scope="any.framework"))
    assert (len(extraction.calls), extraction.ignored) == ((1, 0) if is_call else (0, 1))
    if is_call:
        assert extraction.calls[0].usage_missing == 1


def test_vercel_embedding_spans():
    attrs = {
        "ai.operationId": "ai.embedMany.doEmbed",
        "gen_ai.system": "openai.embedding",
        "ai.model.id": "text-embedding-3-small",
        "ai.usage.tokens": 42,
    }
    call = one_call(attrs, scope="ai")
    assert (call.operation, call.provider, call.input_tokens) == ("embeddings", "openai", 42)
    assert call.usage_missing == 0


def test_api_key_endpoint_and_budget_block_become_columns():
    attrs = chat(
        **{
            "tokentrace.api_key": "sk-proj-…gH3j#1a2b3c4d",
            "tokentrace.endpoint": "/tickets/{id}/summarise",
        }
    )
    row = dict(zip(COLUMNS, one_call(attrs).row(FakePrice()), strict=True))
    assert (row["api_key"], row["endpoint"], row["budget_blocked"]) == (
        "sk-proj-…gH3j#1a2b3c4d",
        "/tickets/{id}/summarise",
        0,
    )
    assert "tokentrace.api_key" not in row["tags"]
    blocked = one_call(chat(**{"tokentrace.budget.blocked": True}))
    assert (blocked.budget_blocked, blocked.api_key, blocked.endpoint) == (1, "", "")


def test_openllmetry_association_properties_are_dimensions_and_tags():
    attrs = chat(
        **{
            "traceloop.association.properties.user_id": "u7",
            "traceloop.association.properties.session_id": "s7",
            "traceloop.association.properties.plan": "pro",
            # LangChain's own run metadata, passed on by OpenLLMetry's LangChain
            # instrumentation: not the user's, no tags
            "traceloop.association.properties.ls_model_name": "gpt-4o",
            "traceloop.association.properties.lc_versions": '{"langchain-core": "1.8.3"}',
        }
    )
    call = one_call(attrs, scope="opentelemetry.instrumentation.openai.v1")
    assert call.dimensions[5:7] == ["u7", "s7"]  # user, conversation
    assert call.tags == {"plan": "pro"}


def test_openinference_invocation_parameters_say_whether_the_call_streamed():
    """OpenInference sets no stream attribute; its ``llm.invocation_parameters`` JSON has
    the request's ``stream``. Anything else there (false, absent, not JSON) is no stream."""
    cases = {
        '{"model": "gpt-4o", "stream": true, "stream_options": {"include_usage": true}}': 1,
        '{"model": "gpt-4o", "stream": false}': 0,
        '{"model": "gpt-4o"}': 0,
        '{"stream": "yes"}': 0,
        '{"stream": tru': 0,
        '["stream"]': 0,
    }
    for parameters, streamed in cases.items():
        attrs = chat(**{"llm.invocation_parameters": parameters})
        assert one_call(attrs, scope="openinference.instrumentation.openai").stream == streamed


@pytest.mark.parametrize(
    ("scope", "usage", "counts"),
    [
        # MLflow's: input with the cache, whatever the provider; 1-hour writes
        (
            "mlflow.tracing.provider",
            '{"input_tokens": 1200, "output_tokens": 80, "total_tokens": 1280, '
            '"cache_read_input_tokens": 1000, "cache_creation_input_tokens": 100, '
            '"cache_creation_input_tokens_above_1hr": 40}',
            (1200, 80, 1000, 100, 40, 0),
        ),
        # Langfuse's usage types are disjoint: ``input`` leaves the cache out
        (
            "langfuse-sdk",
            '{"input": 100, "output": 80, "cache_read_input_tokens": 1000, '
            '"cache_creation_input_tokens": 100}',
            (1200, 80, 1000, 100, 0, 0),
        ),
        # the Messages API's own usage object: input without the cache
        (
            "langfuse-sdk",
            '{"input_tokens": 100, "output_tokens": 80, "cache_read_input_tokens": 1000, '
            '"cache_creation_input_tokens": 100, "cache_creation": '
            '{"ephemeral_1h_input_tokens": 0}}',
            (1200, 80, 1000, 100, 0, 0),
        ),
        # OpenAI's chat and Responses usage: input with the cache; reasoning in output
        (
            "langfuse-sdk",
            '{"completion_tokens": 80, "prompt_tokens": 1200, "completion_tokens_details": '
            '{"reasoning_tokens": 30}, "prompt_tokens_details": {"cached_tokens": 1000}}',
            (1200, 80, 1000, 0, 0, 30),
        ),
        (
            "langfuse-sdk",
            '{"input_tokens": 1200, "input_tokens_details": {"cached_tokens": 1000}, '
            '"output_tokens": 80, "output_tokens_details": {"reasoning_tokens": 30}}',
            (1200, 80, 1000, 0, 0, 30),
        ),
    ],
)
def test_a_usage_object_alone_gives_all_the_counts(scope, usage, counts):
    """MLflow's ``mlflow.chat.tokenUsage`` and Langfuse's ``usage_details`` are a span's
    only counts; which input convention applies is the object's shape, and for MLflow its
    source."""
    mlflow = scope.startswith("mlflow")
    key = "mlflow.chat.tokenUsage" if mlflow else "langfuse.observation.usage_details"
    call = one_call({"gen_ai.request.model": "claude-sonnet-4-5", key: usage}, scope=scope)
    found = (call.input_tokens, call.output_tokens, call.cache_read_tokens)
    assert (*found, call.cache_write_tokens, call.units[0], call.reasoning_tokens) == counts
    assert call.usage_missing == 0


@pytest.mark.parametrize(
    ("scope", "attrs", "is_call"),
    [
        ("mlflow.tracing.provider", {"mlflow.spanType": '"CHAT_MODEL"'}, True),
        ("mlflow.tracing.provider", {"mlflow.spanType": '"CHAIN"'}, False),
        ("mlflow.tracing.provider", {"mlflow.spanType": '"AGENT"'}, False),
        ("langfuse-sdk", {"langfuse.observation.type": "generation"}, True),
        ("langfuse-sdk", {"langfuse.observation.type": "embedding"}, True),
        ("langfuse-sdk", {"langfuse.observation.type": "agent"}, False),
        ("langfuse-sdk", {"langfuse.observation.type": "span"}, False),
    ],
)
def test_mlflow_and_langfuse_span_types_say_which_spans_are_calls(scope, attrs, is_call):
    """MLflow's ``mlflow.spanType`` (JSON-encoded, as all its attributes) and Langfuse's
    ``langfuse.observation.type``: a chain, agent or plain span around calls is none, even
    with a model and the usage it sums."""
    attrs = dict(attrs)
    if scope.startswith("mlflow"):
        attrs["mlflow.llm.model"] = '"gpt-4o"'
        attrs["mlflow.chat.tokenUsage"] = '{"input_tokens": 10, "output_tokens": 2}'
    else:
        attrs["langfuse.observation.model.name"] = "gpt-4o"
        attrs["langfuse.observation.usage_details"] = '{"input": 10, "output": 2}'
    extraction = extract_request(request(span(attrs), scope=scope))
    assert len(extraction.calls) == is_call
    if is_call:
        call = extraction.calls[0]
        assert (call.provider, call.response_model, call.input_tokens) == ("openai", "gpt-4o", 10)


def test_mlflow_trace_tags_are_dimensions_and_tags_and_its_request_arguments_are_not():
    """MLflow sets the request's keyword arguments as plain attributes (``model``,
    ``stream``, ``temperature``…) and its trace tags as ``mlflow.traceTag.*``; the
    ``langfuse_trace_id`` that Langfuse puts in the baggage is Langfuse's telemetry."""
    attrs = {
        "mlflow.spanType": '"CHAT_MODEL"',
        "mlflow.llm.model": '"gpt-4o"',
        "mlflow.chat.tokenUsage": '{"input_tokens": 10, "output_tokens": 2}',
        "mlflow.traceRequestId": '"tr-1"',
        "model": '"gpt-4o"',
        "temperature": "0.2",
        "mlflow.traceTag.team": "growth",
        "mlflow.traceTag.customer_tier": "gold",
    }
    call = one_call(attrs, scope="mlflow.tracing.provider")
    assert call.dimensions[2] == "growth"  # team
    assert call.tags == {"customer_tier": "gold"}
    baggage = one_call(chat(langfuse_trace_id="3c55ed7be9846675caff358f6423f306", plan="pro"))
    assert baggage.tags == {"plan": "pro"}


@pytest.mark.parametrize(
    ("output", "cache"),
    [
        # a Claude message as OpenInference records it (InvokeModelWithResponseStream)
        (
            '{"id": "msg_1", "model": "claude-sonnet-4-5-20250929", "usage": {"input_tokens": 100,'
            ' "output_tokens": 80, "cache_creation_input_tokens": 100,'
            ' "cache_read_input_tokens": 1000}}',
            (1000, 100),
        ),
        # an OpenAI chat completion
        (
            '{"id": "c", "usage": {"prompt_tokens": 1200, "completion_tokens": 80,'
            ' "prompt_tokens_details": {"cached_tokens": 1000}}}',
            (1000, 0),
        ),
        # an answer whose text names such keys, not a response with usage: not read
        ('The usage was {"cache_read_input_tokens": 1000}', (0, 0)),
        ('{"text": "\\"usage\\": {\\"cached_tokens\\": 5}"}', (0, 0)),
        ('{"usage": {"cache_read_input_tokens": 1000', (0, 0)),  # cut short: not JSON
    ],
)
def test_cache_counts_come_from_a_recorded_response_only_when_the_span_has_none(output, cache):
    """OpenInference's ``output.value`` (the SDK's response, JSON) gives the cache counts a
    span with counts lacks; its own cache attributes, when set, are kept."""
    attrs = {
        "openinference.span.kind": "LLM",
        "llm.provider": "aws",
        "llm.model_name": "claude-sonnet-4-5-20250929",
        "llm.token_count.prompt": 1200,
        "llm.token_count.completion": 80,
        "output.value": output,
    }
    call = one_call(attrs, scope="openinference.instrumentation.bedrock")
    assert (call.input_tokens, call.cache_read_tokens, call.cache_write_tokens) == (1200, *cache)
    attrs["llm.token_count.prompt_details.cache_read"] = 7
    call = one_call(attrs, scope="openinference.instrumentation.bedrock")
    assert (call.cache_read_tokens, call.cache_write_tokens) == (7, 0)


@pytest.mark.parametrize(
    ("call_type", "operation"),
    [("rerank", "rerank"), ("arerank", "rerank"), ("moderation", "moderation"),
     ("amoderation", "moderation"), ("aembedding", "embeddings"), ("acompletion", "chat")],
)  # fmt: skip
def test_litellm_call_types_are_stored_as_operations(call_type, operation):
    """LiteLLM's OTel callback (1.110) names a span's operation by its call type: its async
    rerank and moderation (``arerank``, ``amoderation``) were stored as they are, beside
    ``rerank`` (tokentrace's name for Cohere's /v1/rerank) and ``moderation``."""
    attrs = {
        "gen_ai.system": "cohere",
        "gen_ai.operation.name": call_type,
        "gen_ai.request.model": "rerank-v3.5",
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 0,
    }
    assert one_call(attrs, scope="litellm").operation == operation
