"""The demo's budgets come from each team's run rate of known spend: a day whose every call has
an unknown cost is not a $0 day in that average, and a team whose every call has an unknown
cost gets no budget (its run rate is unknown), not one of $0.01.

The calls go through the real write path (extractor, pricer, spool, sink) into chDB.
gpt-4o-mini (https://openai.com/api/pricing/: input $0.15, output $0.60 per million tokens):
1,000,000 input and 100,000 output tokens cost 0.15 + 0.06 = $0.21 a call.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ingest.ingest_path import Ingest
from ingest.otlp import request, span

from tokentrace.processor.demo.run import _set_budgets
from tokentrace.processor.pricing.pricer import Pricer
from tokentrace.processor.store import budgets

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


def _call(team: str, model: str, days_ago: int) -> object:
    start = dt.datetime.combine(NOW.date(), dt.time(12), dt.UTC) - dt.timedelta(days=days_ago)
    return span(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai" if model == "gpt-4o-mini" else "acme",
            "gen_ai.request.model": model,
            "gen_ai.usage.input_tokens": 1_000_000,
            "gen_ai.usage.output_tokens": 100_000,
            "team": team,
        },
        start_ns=int(start.timestamp()) * 10**9,
    )


def test_budgets_come_from_known_spend_only(store_client, tmp_path) -> None:
    ingest = Ingest(tmp_path / "spool", lambda: store_client, Pricer())
    try:
        ingest.send(
            request(
                # growth: $0.21 on each of two days, and a day of calls of unknown cost only
                _call("growth", "gpt-4o-mini", 3),
                _call("growth", "gpt-4o-mini", 2),
                _call("growth", "acme-1", 1),
                # support: every call of unknown cost
                _call("support", "acme-1", 2),
                _call("support", "acme-1", 1),
            )
        )
    finally:
        ingest.close()
    _set_budgets(store_client, NOW)
    amounts = {b.scope: b.amount for b in budgets.list_budgets(store_client)}
    # $0.21 a day of known spend, 30 days a month: $6.30; growth's budget is 1.5 times it
    assert amounts == {"": Decimal("7.88"), "team=growth": Decimal("9.45")}
