"""An organisation's billed usage and costs with known totals, for the admin stand-ins.

TODAY is 2026-03-15. Every day of the 40 days up to today:

* OpenAI, project proj_app, key key_app (``sk-proj-...a1b2``): gpt-4o-mini-2024-07-18,
  10 requests, 10,000 input tokens (2,000 cached), 1,000 output; billed 0.0033 USD
  ("gpt-4o-mini-2024-07-18, input" 0.0027 + ", output" 0.0006).
* Anthropic, workspace wrk_app, key apikey_app (``sk-ant-api03-Abc...wxYZ``):
  claude-sonnet-4-20250514, 5,000 uncached input, 1,000 cache read, 500 + 100 cache
  creation (5m + 1h), 800 output; billed "450.5" cents = 4.505 USD.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tokentrace.processor.standins.admin_ledger import Ledger

TODAY = dt.date(2026, 3, 15)
DAYS = [TODAY - dt.timedelta(days=n) for n in range(39, -1, -1)]

OPENAI_INPUT, OPENAI_CACHED, OPENAI_OUTPUT, OPENAI_REQUESTS = 10_000, 2_000, 1_000, 10
OPENAI_DAY_COST = Decimal("0.0033")
ANTHROPIC_INPUT = 5_000 + 1_000 + 500 + 100  # uncached + read + 5m + 1h creation
ANTHROPIC_OUTPUT = 800
ANTHROPIC_DAY_COST = Decimal("4.505")


def openai_usage(day: dt.date, **changes: object) -> dict[str, object]:
    return {
        "day": day,
        "endpoint": "completions",
        "project_id": "proj_app",
        "user_id": None,
        "api_key_id": "key_app",
        "model": "gpt-4o-mini-2024-07-18",
        "batch": False,
        "service_tier": "default",
        "input_tokens": OPENAI_INPUT,
        "input_cached_tokens": OPENAI_CACHED,
        "output_tokens": OPENAI_OUTPUT,
        "input_audio_tokens": 0,
        "output_audio_tokens": 0,
        "num_model_requests": OPENAI_REQUESTS,
        **changes,
    }


def openai_costs(day: dt.date, project: str = "proj_app") -> list[dict[str, object]]:
    return [
        {
            "day": day,
            "project_id": project,
            "line_item": "gpt-4o-mini-2024-07-18, input",
            "amount": Decimal("0.0027"),
        },
        {
            "day": day,
            "project_id": project,
            "line_item": "gpt-4o-mini-2024-07-18, output",
            "amount": Decimal("0.0006"),
        },
    ]


def anthropic_usage(day: dt.date, **changes: object) -> dict[str, object]:
    return {
        "day": day,
        "api_key_id": "apikey_app",
        "workspace_id": "wrk_app",
        "model": "claude-sonnet-4-20250514",
        "service_tier": "standard",
        "context_window": "0-200k",
        "uncached_input_tokens": 5_000,
        "cache_read_input_tokens": 1_000,
        "ephemeral_5m_input_tokens": 500,
        "ephemeral_1h_input_tokens": 100,
        "output_tokens": ANTHROPIC_OUTPUT,
        "web_search_requests": 0,
        **changes,
    }


def anthropic_costs(day: dt.date, cents: str = "450.5") -> list[dict[str, object]]:
    return [
        {
            "day": day,
            "workspace_id": "wrk_app",
            "description": "Claude Sonnet 4 Usage - Input Tokens",
            "cost_type": "tokens",
            "model": "claude-sonnet-4-20250514",
            "service_tier": "standard",
            "token_type": "uncached_input_tokens",
            "context_window": "0-200k",
            "amount": Decimal(cents),
        }
    ]


def organisation(today: dt.date = TODAY) -> Ledger:
    """The organisation's 40 days up to ``today``."""
    ledger = Ledger()
    for day in (today - dt.timedelta(days=n) for n in range(39, -1, -1)):
        ledger.openai_usage.append(openai_usage(day))
        ledger.openai_costs.extend(openai_costs(day))
        ledger.anthropic_usage.append(anthropic_usage(day))
        ledger.anthropic_costs.extend(anthropic_costs(day))
    ledger.openai_projects.append(
        {"id": "proj_app", "object": "organization.project", "name": "App", "status": "active"}
    )
    ledger.openai_keys.append(
        {
            "object": "organization.project.api_key",
            "id": "key_app",
            "name": "app server",
            "redacted_value": "sk-proj-...a1b2",
            "project_id": "proj_app",
            "created_at": 1_760_000_000,
        }
    )
    ledger.anthropic_keys.append(
        {
            "id": "apikey_app",
            "type": "api_key",
            "name": "app server",
            "partial_key_hint": "sk-ant-api03-Abc...wxYZ",
            "status": "active",
            "workspace_id": "wrk_app",
            "created_at": "2025-10-30T23:58:27.427722Z",
        }
    )
    return ledger
