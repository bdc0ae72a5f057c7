"""Every usage unit, unknown cost and provider-reported cost, from span to stored row (issue 9).

Real OTLP messages through the real pipeline, spool and sink into chDB; exact Decimals.
"""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from tokentrace.processor.pricing.pricer import Pricer

from .otlp import chat, extract_request, request, span
from .test_sink import Ingest

COLUMNS = (
    "model, priced, unpriced_reason, cost_source, cost, provider_cost, input_cost, "
    "cache_write_cost, output_cost, price_rule, usage_missing"
)


@pytest.fixture(scope="module")
def pricer() -> Pricer:
    return Pricer(prices_file="")


def stored(client, response_id: str) -> dict:
    result = client.query(
        f"SELECT {COLUMNS} FROM llm_calls WHERE response_id = {{id:String}}",
        parameters={"id": response_id},
    )
    assert len(result.result_rows) == 1
    return dict(zip(result.column_names, result.result_rows[0], strict=True))


def test_units_and_provider_cost_are_read_from_spans() -> None:
    attrs = chat(
        **{
            "gen_ai.usage.cache_creation.input_tokens": 300,
            "gen_ai.usage.cache_creation.ephemeral_1h.input_tokens": 200,
            "gen_ai.usage.audio.input_tokens": 40,
            "gen_ai.usage.audio.cache_read.input_tokens": 10,
            "gen_ai.usage.audio.output_tokens": 7,
            "gen_ai.usage.image.input_tokens": 50,
            "gen_ai.usage.image.output_tokens": 5,
            "gen_ai.usage.video.input_tokens": 60,
            "gen_ai.usage.video.output_tokens": 6,
            "gen_ai.usage.cost": "0.012345678901",
        }
    )
    (call,) = extract_request(request(span(attrs))).calls
    assert call.units == (200, 40, 10, 7, 50, 0, 5, 60, 6)
    assert call.provider_usd == Decimal("0.012345678901")
    # A float cost reads as its shortest decimal text, not its binary expansion.
    (call,) = extract_request(request(span(chat(**{"gen_ai.usage.cost": 0.1})))).calls
    assert call.provider_usd == Decimal("0.1")
    # A source reporting only 1-hour writes: the cache write count includes them.
    only_1h = chat(**{"gen_ai.usage.cache_creation.ephemeral_1h.input_tokens": 70})
    (call,) = extract_request(request(span(only_1h))).calls
    assert (call.cache_write_tokens, call.units[0]) == (70, 70)


def test_openlit_cost_is_its_own_estimate_not_the_providers() -> None:
    attrs = chat(**{"gen_ai.usage.cost": 0.5})
    message = request(
        span(attrs), resource={"telemetry.sdk.name": "openlit"}, scope="openlit.otel.tracing"
    )
    (call,) = extract_request(message).calls
    assert call.provider_cost is None


UNKNOWN = {"gen_ai.response.model": None, "gen_ai.request.model": "m9"}


def test_unknown_cost_is_stored_unpriced_with_its_reason(
    tmp_path, store_client, pricer, caplog
) -> None:
    caplog.set_level(logging.WARNING, logger="tokentrace.processor.unpriced_log")
    ingest = Ingest(tmp_path, lambda: store_client, pricer)
    ingest.send(
        request(
            # An OpenAI stream without include_usage: no token attributes at all.
            span(
                chat(
                    **{
                        "gen_ai.response.id": "missing",
                        "gen_ai.usage.input_tokens": None,
                        "gen_ai.usage.output_tokens": None,
                        "tokentrace.usage.missing": True,
                    }
                )
            ),
            span(chat(**{**UNKNOWN, "gen_ai.response.id": "unknown"})),
            span(chat(**{"gen_ai.response.id": "scale", "openai.response.service_tier": "scale"})),
            span(chat(**{"gen_ai.response.id": "ok"})),
        )
    )
    # Another call of a kind already logged: stored and counted, not logged again.
    ingest.send(request(span(chat(**{**UNKNOWN, "gen_ai.response.id": "unknown2"}))))
    ingest.close()
    # One line for each kind of unpriced call, saying what would price it.
    assert [record.getMessage() for record in caplog.records] == [
        "cost unknown for gpt-4o calls to openai (usage_missing): the answer carried no usage "
        "(an OpenAI-shaped stream without stream_options.include_usage: set "
        "TOKENTRACE_STREAM_USAGE=inject in the app; or a stream cut short); stored unpriced, "
        "later ones not logged",
        "cost unknown for m9 calls to openai (unknown_model): no price for this provider and "
        "model: give it a rate in TOKENTRACE_PRICES_FILE, or name the base URL's provider in "
        "the app's TOKENTRACE_PROVIDER_URLS; stored unpriced, later ones not logged",
        "cost unknown for gpt-4o calls to openai (no_rate): the model is known, but not its "
        "rate for this tier or unit: give it one in TOKENTRACE_PRICES_FILE; stored "
        "unpriced, later ones not logged",
    ]
    missing = stored(store_client, "missing")
    assert (missing["priced"], missing["unpriced_reason"], missing["usage_missing"]) == (
        0,
        "usage_missing",
        1,
    )
    assert (missing["cost_source"], missing["cost"]) == ("none", Decimal(0))
    unknown = stored(store_client, "unknown")
    assert (unknown["priced"], unknown["unpriced_reason"], unknown["model"]) == (
        0,
        "unknown_model",
        "m9",
    )
    # No scale-tier price and no published rule: unpriced, not billed at the standard rate.
    assert stored(store_client, "scale")["unpriced_reason"] == "no_rate"
    ok = stored(store_client, "ok")
    assert (ok["priced"], ok["unpriced_reason"], ok["cost_source"]) == (1, "", "computed")
    assert ok["cost"] == Decimal("0.0035")
    rollup = store_client.query(
        "SELECT sum(requests), sum(unpriced_requests), sum(usage_missing_requests), sum(cost) "
        "FROM llm_cost_daily"
    ).result_rows[0]
    assert rollup == (5, 4, 1, Decimal("0.0035"))


def test_azure_is_priced_by_the_model_it_answered_with(tmp_path, store_client, pricer) -> None:
    # The request model is the deployment's name; the response model says what ran.
    azure = {"gen_ai.provider.name": "az.ai.openai", "gen_ai.request.model": "gpt-4o"}
    ingest = Ingest(tmp_path, lambda: store_client, pricer)
    ingest.send(
        request(
            span(
                chat(
                    **azure,
                    **{
                        "gen_ai.response.model": "gpt-4o-2024-05-13",
                        "gen_ai.response.id": "snapshot",
                    },
                )
            ),
            span(
                chat(
                    **azure,
                    **{
                        "gen_ai.response.model": "gpt-4o-2024-08-06.ft-0e208cf33a6a",
                        "gen_ai.response.id": "fine-tuned",
                    },
                )
            ),
        )
    )
    ingest.close()
    # gpt-4o-2024-05-13 costs $5 / $15 (https://platform.openai.com/docs/pricing), not the
    # alias's $2.50 / $10: 1,000 x $5 + 100 x $15 = 0.005 + 0.0015.
    snapshot = stored(store_client, "snapshot")
    assert (snapshot["model"], snapshot["cost"]) == ("gpt-4o-2024-05-13", Decimal("0.0065"))
    # A fine-tuned deployment the price data lacks: unpriced, not billed as the base model.
    tuned = stored(store_client, "fine-tuned")
    assert (tuned["priced"], tuned["unpriced_reason"], tuned["model"]) == (
        0,
        "unknown_model",
        "gpt-4o-2024-08-06.ft-0e208cf33a6a",
    )


def test_every_unit_is_priced_and_stored(tmp_path, store_client, pricer) -> None:
    ingest = Ingest(tmp_path, lambda: store_client, pricer)
    ingest.send(
        request(
            # claude-sonnet-4-5: $3 input, $3.75 5-minute writes, $6 1-hour writes, $15 output.
            span(
                chat(
                    **{
                        "gen_ai.provider.name": "anthropic",
                        "gen_ai.request.model": "claude-sonnet-4-5",
                        "gen_ai.response.model": "claude-sonnet-4-5-20250929",
                        "gen_ai.response.id": "1h",
                        "gen_ai.usage.input_tokens": 100_000,
                        "gen_ai.usage.output_tokens": 1_000,
                        "gen_ai.usage.cache_creation.input_tokens": 60_000,
                        "gen_ai.usage.cache_creation.ephemeral_1h.input_tokens": 40_000,
                    }
                )
            ),
            # OpenRouter reports what it charged: that counts, the computed cost stays beside.
            span(chat(**{"gen_ai.response.id": "routed", "gen_ai.usage.cost": "0.004"})),
        )
    )
    ingest.close()
    one_hour = stored(store_client, "1h")
    # 40,000 uncached × $3 + 20,000 × $3.75 + 40,000 × $6 per million; 1,000 × $15.
    assert one_hour["input_cost"] == Decimal("0.12")
    assert one_hour["cache_write_cost"] == Decimal("0.075") + Decimal("0.24")
    assert one_hour["cost"] == Decimal("0.12") + Decimal("0.315") + Decimal("0.015")
    routed = stored(store_client, "routed")
    assert (routed["cost_source"], routed["cost"], routed["provider_cost"]) == (
        "provider",
        Decimal("0.004"),
        Decimal("0.004"),
    )
    assert routed["input_cost"] + routed["output_cost"] == Decimal("0.0035")  # computed


def test_a_rejected_request_costs_a_known_zero() -> None:
    attrs = chat(
        **{
            "gen_ai.usage.input_tokens": None,
            "gen_ai.usage.output_tokens": None,
            "http.response.status_code": 429,
            "error.type": "RateLimitError",
        }
    )
    (call,) = extract_request(request(span(attrs, error=True))).calls
    assert call.usage_missing == 0
    # A timeout may have been processed and billed: its cost is unknown.
    timeout = chat(
        **{"gen_ai.usage.input_tokens": None, "gen_ai.usage.output_tokens": None},
        **{"error.type": "APITimeoutError"},
    )
    (call,) = extract_request(request(span(timeout, error=True))).calls
    assert call.usage_missing == 1
