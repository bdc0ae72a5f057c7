"""What an importer hands to storage: billed usage, billed costs and key listings, per day.

Each importer turns one provider's wire format into these rows; storage
(:mod:`.store_days`) writes them, one day at a time, without knowing the provider.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

from tokentrace.processor.pricing.rules import STANDARD_TIERS

ALL_TIERS = "*"
"""A cost row's tier where the report does not split costs by tier (OpenAI's Costs API groups
by line item and project only): the reconciliation views put it on the model's one tier of the
day, or, when that day has several, on a row of its own for all of them."""


def tier(value: Any) -> str:
    """A billed tier as rows store it and the reconciliation views compare it with metered
    calls': '' for the standard one (OpenAI's ``default``, Anthropic's ``standard``), else the
    provider's name in lower case (``flex``, ``priority``, ``scale``, ``batch``)."""
    name = str(value or "").strip().lower()
    return "" if name in STANDARD_TIERS else name


@dataclass(frozen=True)
class UsageRow:
    """Tokens billed in one day bucket; ``input_tokens`` includes cache reads and writes;
    ``service_tier`` is :func:`tier`'s."""

    day: date
    endpoint: str
    model: str
    reported_model: str
    project_id: str
    api_key_id: str
    service_tier: str
    input_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    output_tokens: int
    requests: int | None


@dataclass(frozen=True)
class CostRow:
    """Money billed in one day bucket, in USD; ``service_tier`` is :func:`tier`'s, or
    :data:`ALL_TIERS` where the report does not say."""

    day: date
    model: str
    reported_model: str
    line_item: str
    project_id: str
    cost_type: str
    token_type: str
    service_tier: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class KeyRow:
    """An API key as the provider lists it: its redacted value only, never the key."""

    key_id: str
    name: str
    redacted_value: str
    project_id: str
    status: str

    @property
    def hint(self) -> tuple[str, str]:
        """The visible prefix and suffix of the redacted value (``sk-abc...wxyz``,
        ``sk-…wxyz``, ``sk-****wxyz``)."""
        for mark in ("...", "…", "*"):
            prefix, sep, suffix = self.redacted_value.partition(mark)
            if sep:
                return prefix, suffix.lstrip(mark)
        return self.redacted_value, ""


@dataclass
class Report:
    """One provider's import: the days it covers (empty days included) and their rows."""

    provider: str
    days: list[date]
    usage: list[UsageRow] = field(default_factory=list)
    costs: list[CostRow] = field(default_factory=list)
    keys: list[KeyRow] = field(default_factory=list)


def to_json(report: Report) -> dict[str, Any]:
    """The report as JSON (dates ISO, money exact strings): how the CLI hands a report it
    fetched to a running ``tokentrace serve`` that holds the store."""

    def plain(row: Any) -> dict[str, Any]:
        return {
            k: v.isoformat() if isinstance(v, date) else str(v) if isinstance(v, Decimal) else v
            for k, v in asdict(row).items()
        }

    return {
        "provider": report.provider,
        "days": [day.isoformat() for day in report.days],
        "usage": [plain(r) for r in report.usage],
        "costs": [plain(r) for r in report.costs],
        "keys": [plain(r) for r in report.keys],
    }


def from_json(data: Any) -> Report:
    """The inverse of :func:`to_json`; raises ``ValueError`` saying what is wrong."""
    try:
        return Report(
            provider=str(data["provider"]),
            days=[date.fromisoformat(d) for d in data["days"]],
            usage=[_row(UsageRow, r) for r in data.get("usage", [])],
            costs=[_row(CostRow, r) for r in data.get("costs", [])],
            keys=[_row(KeyRow, r) for r in data.get("keys", [])],
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise ValueError(f"not a reconciliation report: {type(exc).__name__}: {exc}") from None


def _row(kind: type, data: dict[str, Any]) -> Any:
    values = {}
    for f in fields(kind):
        value = data[f.name]
        if f.name == "day":
            value = date.fromisoformat(value)
        elif f.name == "amount":
            value = Decimal(value)
        values[f.name] = value
    return kind(**values)
