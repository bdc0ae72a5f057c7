"""Budgets: a spending limit per scope (a combination of rollup dimensions) and period.

Pure functions over a clickhouse-connect client, so the CLI and the HTTP API share them.
The ``budgets`` table is a ReplacingMergeTree(updated_at, deleted): setting a budget inserts
a newer row, deleting inserts a tombstone; readers use FINAL and ``deleted = 0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from clickhouse_connect.driver.client import Client

# The rollup dimensions: a budget can be checked against the rollups alone.
SCOPE_KEYS = (
    "provider",
    "model",
    "operation",
    "service",
    "environment",
    "team",
    "feature",
    "tenant",
    "agent",
    "api_key",
    "endpoint",
)
PERIODS = ("day", "week", "month")
_ADJECTIVE = {"day": "daily", "week": "weekly", "month": "monthly"}
GLOBAL_SCOPES = ("", "*", "global")
_MAX_AMOUNT = Decimal("1e14")  # Decimal(18, 4)


@dataclass(frozen=True)
class Budget:
    scope: str  # canonical "key=value,…" sorted by key; "" is the global budget
    filters: dict[str, str]
    period: str
    amount: Decimal
    updated_at: datetime
    enforce: bool = False
    """Calls under an enforced budget at or over 100 % are refused by the budget guard."""


def parse_scope(text: str) -> dict[str, str]:
    """``team=growth,feature=chat`` → filters; ``global``, ``*`` or empty → ``{}``."""
    text = text.strip()
    if text.lower() in GLOBAL_SCOPES:
        return {}
    filters: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise ValueError(f"invalid scope part {part.strip()!r}: expected key=value")
        if key not in SCOPE_KEYS:
            raise ValueError(f"unknown scope key {key!r}; allowed: {', '.join(SCOPE_KEYS)}")
        if key in filters:
            raise ValueError(f"scope key {key!r} given twice")
        if "=" in value:
            raise ValueError(f"invalid scope value {value!r}: '=' is not allowed")
        filters[key] = value
    return dict(sorted(filters.items()))


def canonical_scope(filters: dict[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(filters.items()))


_KNOWN_SHOWN = 20  # values listed in the note; a dimension may hold thousands (api keys)


def unseen_values(client: Client, filters: dict[str, str]) -> dict[str, list[str]]:
    """For each scope value no stored call has yet: that dimension's known values (up to
    ``_KNOWN_SHOWN``, sorted; empty when none is known). A budget set before traffic is
    legitimate, so callers note a likely typo (``team=growht``) instead of refusing it.
    Reads ``llm_cost_daily``: every call reaches it, and it is small."""
    unseen: dict[str, list[str]] = {}
    for key, value in filters.items():
        row = client.query(
            f"SELECT countIf({key} = {{value:String}}) > 0, "
            f"arraySort(groupUniqArrayIf({_KNOWN_SHOWN})({key}, {key} != '')) "
            "FROM llm_cost_daily",
            parameters={"value": value},
        ).result_rows[0]
        if not row[0]:
            unseen[key] = list(row[1])
    return unseen


def unseen_note(filters: dict[str, str], unseen: dict[str, list[str]]) -> str | None:
    """One line naming the scope values no call has yet, with the known ones to compare."""
    parts = []
    for key, known in unseen.items():
        listed = f"known: {', '.join(known)}" if known else f"no {key} is known yet"
        parts.append(f"no call has {key}={filters[key]} yet ({listed})")
    return "note: " + "; ".join(parts) if parts else None


def parse_amount(value: str | Decimal | int) -> Decimal:
    """A positive USD amount with at most 4 decimals (the column is Decimal(18, 4))."""
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"invalid amount {value!r}: expected a number of USD") from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"invalid amount {value!r}: must be a positive number of USD")
    if amount >= _MAX_AMOUNT:  # before quantize, which cannot hold 1e400 in 28 digits
        raise ValueError(f"invalid amount {value!r}: must be below {_MAX_AMOUNT:,.0f}")
    if amount != amount.quantize(Decimal("0.0001")):
        raise ValueError(f"invalid amount {value!r}: at most 4 decimal places")
    return amount.quantize(Decimal("0.0001"))


def check_period(period: str) -> str:
    if period not in PERIODS:
        raise ValueError(f"invalid period {period!r}; allowed: {', '.join(PERIODS)}")
    return period


def set_budget(
    client: Client,
    scope: str,
    amount: str | Decimal | int,
    period: str = "month",
    enforce: bool = False,
) -> Budget:
    """Create or replace the budget for ``scope`` and ``period``; ``enforce`` marks it for
    the budget guard (see :func:`enforced_state`)."""
    filters = parse_scope(scope)
    budget = Budget(
        scope=canonical_scope(filters),
        filters=filters,
        period=check_period(period),
        amount=parse_amount(amount),
        updated_at=_next_version(client, canonical_scope(filters), period),
        enforce=enforce,
    )
    _write(client, budget, deleted=0)
    return budget


def list_budgets(client: Client) -> list[Budget]:
    rows = client.query(
        "SELECT scope, filters, period, amount, updated_at, enforce FROM budgets FINAL "
        "WHERE deleted = 0 ORDER BY scope, period"
    ).result_rows
    return [
        Budget(scope, dict(filters), period, amount, updated_at.replace(tzinfo=UTC), bool(enforce))
        for scope, filters, period, amount, updated_at, enforce in rows
    ]


@dataclass(frozen=True)
class EnforcedState:
    """An enforced budget and where it stands now: what the budget guard polls.

    ``spent`` is the known cost of the period: a lower bound when ``unpriced_requests`` calls
    have an unknown cost or ``dead_lettered_requests`` calls were not stored, None when every
    call is one of those. A budget is exceeded when its known spend reaches the amount;
    unknown costs never block a call (the guard fails open).
    """

    budget: Budget
    spent: Decimal | None
    utilization: Decimal | None
    unpriced_requests: int = 0
    dead_lettered_requests: int = 0

    @property
    def exceeded(self) -> bool:
        return self.utilization is not None and self.utilization >= 1


def enforced_state(client: Client, now: datetime | None = None) -> list[EnforcedState]:
    """Every enforced budget with its spend in its current period, from the one
    ``budget_utilization`` view (so the guard, the report and the dashboards agree)."""
    from tokentrace.processor.store import views

    enforced = {(b.scope, b.period): b for b in list_budgets(client) if b.enforce}
    if not enforced:
        return []
    now = now or datetime.now(UTC)
    rows = views.fetch(client, views.VIEWS["budget_utilization"], start=now, end=now)
    return [
        EnforcedState(
            enforced[key],
            row["spent"],
            row["utilization"],
            int(row["unpriced_requests"]),
            int(row["dead_lettered_requests"]),
        )
        for row in rows
        if (key := (row["scope"], row["period"])) in enforced
    ]


def delete_budget(client: Client, scope: str, period: str = "month") -> Budget:
    """Delete a budget; raises ``LookupError`` if there is none for that scope and period."""
    filters = parse_scope(scope)
    key = (canonical_scope(filters), check_period(period))
    existing = next((b for b in list_budgets(client) if (b.scope, b.period) == key), None)
    if existing is None:
        shown = key[0] or "global"
        raise LookupError(f"no {_ADJECTIVE[period]} budget for scope {shown!r}")
    _write(client, existing, deleted=1, updated_at=_next_version(client, *key))
    return existing


def _write(
    client: Client, budget: Budget, deleted: int, updated_at: datetime | None = None
) -> None:
    client.insert(
        "budgets",
        [
            [
                budget.scope,
                budget.filters,
                budget.period,
                budget.amount,
                updated_at or budget.updated_at,
                deleted,
                int(budget.enforce),
            ]
        ],
        column_names=["scope", "filters", "period", "amount", "updated_at", "deleted", "enforce"],
    )


def _next_version(client: Client, scope: str, period: str) -> datetime:
    """Now, or 1 ms after the latest row for this budget: versions must strictly increase,
    or a set and a delete in the same millisecond would replace each other at random."""
    now = datetime.now(UTC)
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    latest = client.query(
        "SELECT max(updated_at), count() FROM budgets WHERE scope = {scope:String} "
        "AND period = {period:String}",
        parameters={"scope": scope, "period": period},
    ).result_rows[0]
    if latest[1] and latest[0].replace(tzinfo=UTC) >= now:
        return latest[0].replace(tzinfo=UTC) + timedelta(milliseconds=1)
    return now
