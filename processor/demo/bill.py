"""The demo's provider bill: what OpenAI and Anthropic would invoice for the demo's traffic,
plus a "legacy cron job" that tokentrace never sees.

The bill is built from the calls tokentrace metered (so every instrumented call is billed
exactly as metered) plus the cron job: a nightly batch on OpenAI's gpt-4o-mini, under its
own project and API key, calling the API with a raw HTTP client and no instrumentation. It
is served by the admin API stand-ins in the providers' wire formats, imported by the real
importer, and the reconciliation views have to find the cron job's spend on their own.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.standins.admin_ledger import Ledger

CRON_PROJECT = "proj_legacy_batch"
CRON_KEY = {"id": "key_legacy_cron", "name": "legacy-cron", "redacted_value": "sk-proj-...cr0n"}
APP_PROJECT = "proj_apps"
APP_KEY = {"id": "key_apps", "name": "apps (instrumented)", "redacted_value": "sk-proj-...a7p5"}
ANTHROPIC_WORKSPACE = "wrkspc_demo"
ANTHROPIC_KEY = "apikey_demo"
ANTHROPIC_HINT = "sk-ant-api03-dEm...0key"
# The keys the demo's apps call with, history and live calls alike (made up, never valid): the
# bill lists them as APP_KEY and ANTHROPIC_HINT, so reconciliation finds the instrumented calls
# under their key and the cron job's key alone uninstrumented.
APP_SECRETS = {
    "openai": "sk-proj-demoAppsNotARealKey0a7p5",
    "anthropic": "sk-ant-api03-dEmoSupportBotNotARealKey0key",
}
CRON_MODEL = "gpt-4o-mini"
CRON_CALLS, CRON_INPUT, CRON_OUTPUT = 1_500, 4_000, 600  # a night's batch, per call


def metered(client: Any, first: dt.date, last: dt.date) -> list[tuple[Any, ...]]:
    """Metered tokens and cost per day, provider and model (OpenAI and Anthropic); calls
    without usage (unpriced, cost unknown) are billed as metered, for nothing."""
    return client.query(
        "SELECT day, provider, model, sum(requests), sum(input_tokens), sum(cache_read_tokens), "
        "sum(cache_write_tokens), sum(output_tokens), "
        "sum(input_cost) + sum(cache_read_cost) + sum(cache_write_cost), sum(output_cost) "
        "FROM llm_cost_daily WHERE day >= {first:Date} AND day <= {last:Date} "
        "AND provider IN ('openai', 'anthropic') AND unpriced_requests <= usage_missing_requests "
        "GROUP BY day, provider, model HAVING sum(requests) > 0 ORDER BY day, provider, model",
        parameters={"first": first, "last": last},
    ).result_rows


def cron_cost(day: dt.date) -> tuple[Decimal, Decimal]:
    """What OpenAI charges for one night of the cron job: input and output, in USD
    (gpt-4o-mini: 6M input tokens at $0.15/M, 0.9M output at $0.60/M = $1.44)."""
    price = Pricer().price(
        "openai",
        CRON_MODEL,
        dt.datetime.combine(day, dt.time(2), dt.UTC),
        CRON_CALLS * CRON_INPUT,
        CRON_CALLS * CRON_OUTPUT,
    )
    return price.input_cost, price.output_cost


def ledger(client: Any, first: dt.date, last: dt.date) -> Ledger:
    """The organisation's usage, costs and keys as the providers' admin APIs report them."""
    bill = Ledger()
    for day, provider, model, requests, inp, read, write, out, in_cost, out_cost in metered(
        client, first, last
    ):
        if provider == "openai":
            _openai(bill, day, model, APP_PROJECT, APP_KEY["id"], requests, inp, read, out)
            _openai_costs(bill, day, model, APP_PROJECT, Decimal(in_cost), Decimal(out_cost))
        else:
            bill.anthropic_usage.append(
                {
                    "day": day,
                    "api_key_id": ANTHROPIC_KEY,
                    "workspace_id": ANTHROPIC_WORKSPACE,
                    "model": model,
                    "service_tier": "standard",
                    "context_window": "0-200k",
                    "uncached_input_tokens": inp - read - write,
                    "cache_read_input_tokens": read,
                    "ephemeral_5m_input_tokens": write,
                    "ephemeral_1h_input_tokens": 0,
                    "output_tokens": out,
                    "web_search_requests": 0,
                }
            )
            for kind, amount in (("input", in_cost), ("output", out_cost)):
                bill.anthropic_costs.append(
                    {
                        "day": day,
                        "workspace_id": ANTHROPIC_WORKSPACE,
                        "description": f"{model} Usage - {kind.title()} Tokens",
                        "cost_type": "tokens",
                        "model": model,
                        "service_tier": "standard",
                        "token_type": f"{'uncached_input' if kind == 'input' else kind}_tokens",
                        "context_window": "0-200k",
                        "amount": Decimal(amount) * 100,  # cents
                    }
                )
    day = first
    while day <= last:
        _openai(
            bill,
            day,
            CRON_MODEL,
            CRON_PROJECT,
            CRON_KEY["id"],
            CRON_CALLS,
            CRON_CALLS * CRON_INPUT,
            0,
            CRON_CALLS * CRON_OUTPUT,
        )
        _openai_costs(bill, day, CRON_MODEL, CRON_PROJECT, *cron_cost(day))
        day += dt.timedelta(days=1)
    for project, key in ((APP_PROJECT, APP_KEY), (CRON_PROJECT, CRON_KEY)):
        bill.openai_projects.append(
            {"id": project, "object": "organization.project", "name": project, "status": "active"}
        )
        bill.openai_keys.append(
            {"object": "organization.project.api_key", **key, "project_id": project}
        )
    bill.anthropic_keys.append(
        {
            "id": ANTHROPIC_KEY,
            "type": "api_key",
            "name": "support-bot",
            "partial_key_hint": ANTHROPIC_HINT,
            "status": "active",
            "workspace_id": ANTHROPIC_WORKSPACE,
        }
    )
    return bill


def _openai(
    bill: Ledger,
    day: dt.date,
    model: str,
    project: str,
    key: str,
    requests: int,
    inp: int,
    read: int,
    out: int,
) -> None:
    bill.openai_usage.append(
        {
            "day": day,
            "endpoint": "completions",
            "project_id": project,
            "user_id": None,
            "api_key_id": key,
            "model": model,
            "batch": False,
            "service_tier": "default",
            "input_tokens": inp,
            "input_cached_tokens": read,
            "output_tokens": out,
            "input_audio_tokens": 0,
            "output_audio_tokens": 0,
            "num_model_requests": requests,
        }
    )


def _openai_costs(
    bill: Ledger, day: dt.date, model: str, project: str, in_cost: Decimal, out_cost: Decimal
) -> None:
    for kind, amount in (("input", in_cost), ("output", out_cost)):
        bill.openai_costs.append(
            {
                "day": day,
                "project_id": project,
                "line_item": f"{model}, {kind}",
                "amount": amount,
            }
        )
