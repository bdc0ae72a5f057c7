"""The report for a terminal: tables, bars and sparklines with rich.

Input is the report document of :mod:`tokentrace.processor.report.document` (the same
dict ``--format json`` prints), so the terminal, JSON and HTML outputs never disagree.

Tag values (tenant, user, feature, model …) come from end users, so data never reaches the
terminal as anything but text: :func:`printable` replaces control characters (escape
sequences could clear the screen or set the window title) and bidirectional overrides with
U+FFFD, and every table cell is a ``rich.text.Text``, which rich never parses for markup
(``[link=file:///etc/passwd]`` or ``[/bold]`` in a tenant name print as typed).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tokentrace.processor.report.document import (
    BREAKDOWNS,
    amount_text,
    change_text,
    cost_text,
    forecast_text,
    key_text,
    lower_bound_text,
    month_text,
    share_left_out,
    spend_text,
    tier_model,
    tokens_left_out_text,
    unknown_lines,
    unmetered_text,
    upper_bound_text,
)

SPARKS = "▁▂▃▄▅▆▇█"
# C0 and C1 controls, DEL, zero-width and bidirectional formatting characters, BOM.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def printable(value: Any) -> Any:
    """``value`` with every string in it (dict keys too) free of control characters."""
    if isinstance(value, str):
        return _UNPRINTABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {printable(key): printable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [printable(item) for item in value]
    return value


def _row(table: Table, *cells: str | Text) -> None:
    """Add a row; plain strings become ``Text`` so that rich never reads them as markup."""
    table.add_row(*(Text(cell) if isinstance(cell, str) else cell for cell in cells))


def money(value: str | Decimal | None, places: int = 2) -> str:
    """``$1,234.57``; amounts under a cent keep four places, or as many as their first digit
    needs ($0.000006), so they never read as $0."""
    if value is None:
        return "—"
    amount = Decimal(value)
    if amount and abs(amount) < Decimal("0.01"):
        places = max(places, 4, -amount.adjusted())
    return f"${amount:,.{places}f}"


def sparkline(values: list[float | None]) -> str:
    """One bar per value; ``?`` for an unknown one (never the bar of $0)."""
    if not values:
        return ""
    top = max((v for v in values if v is not None), default=0.0) or 1.0
    return "".join(
        "?" if v is None else SPARKS[min(len(SPARKS) - 1, int(v / top * (len(SPARKS) - 1)))]
        for v in values
    )


def bar(fraction: float, width: int = 24) -> str:
    cells = max(0.0, min(1.0, fraction)) * width
    full = int(cells)
    return "█" * full + ("▌" if cells - full >= 0.5 else "")


def render(doc: dict[str, Any], console: Console | None = None) -> None:
    """Print the whole report."""
    console = console or Console()
    doc = printable(doc)
    console.print(_header(doc))
    console.print(_budgets(doc))
    console.print(_daily(doc))
    console.print(_breakdown("Spend by model", doc["by_model"], ("provider", "model"), doc))
    console.print(_breakdown("Spend by provider", doc["by_provider"], ("provider",), doc))
    for tag, title in BREAKDOWNS:
        rows = doc["by_tag"].get(tag, [])
        if rows:
            console.print(_breakdown(title, rows, ("value",), doc))
    console.print(_tokens(doc))
    console.print(_latency(doc))
    console.print(_anomalies(doc))
    console.print(_reconciliation(doc))
    if doc.get("provider_cost_differences"):
        console.print(_provider_costs(doc))
    if doc.get("cost_by_unit"):
        console.print(_unit_costs(doc))
    if doc.get("unpriced"):
        console.print(_unpriced(doc))


def _header(doc: dict[str, Any]) -> Panel:
    totals = doc["totals"]
    cpr = doc["cost_per_request"]
    lines = Table.grid(padding=(0, 3))
    lines.add_column(justify="right", style="bold")
    lines.add_column()
    lines.add_row("Spend in window", spend_text(doc, money))
    window = doc["window"]
    month = month_text(doc, money)
    forecast = forecast_text(doc, money)
    if "vs_previous_period" in doc:
        lines.add_row("vs previous period", change_text(doc["vs_previous_period"]))
    lines.add_row("Month to date", f"{month}   forecast {forecast}")
    failed = f"{totals['failed_requests']:,} failed"
    failed_lost = totals.get("failed_dead_lettered_requests", 0)
    if totals["failed_requests"] or failed_lost:
        failed += ", costing " + amount_text(
            totals["failed_cost"], totals.get("failed_unpriced_requests", 0), money, failed_lost
        )
    lines.add_row("Requests", f"{totals['requests']:,}  ({failed})")
    average = lower_bound_text(cpr["average"], False, lambda value: money(value, 4))
    if cpr.get("unpriced_requests") and cpr["average"] is not None:
        average += " (calls of known cost)"
    lines.add_row("Cost per request", average)
    left_out = totals["unpriced_requests"] or doc.get("dead_lettered_requests", 0)
    savings = lower_bound_text(doc["cache_savings"], bool(left_out), money)
    lines.add_row("Prompt-cache savings", savings)
    for line in unknown_lines(totals, doc.get("dead_lettered_requests", 0)):
        lines.add_row("Unknown cost", Text(line, "yellow"))
    days = window.get("days")
    if days:
        lines.add_row(
            "Whole UTC days",
            f"{days['from']} → {days['to']} in daily rows and anomalies; month to date "
            f"from {days['to'][:8]}01",
        )
    return Panel(lines, title=f"tokentrace · {window.get('label', window['from'][:10])}")


def _budgets(doc: dict[str, Any]) -> Table:
    table = Table(title="Budgets", title_justify="left", expand=False)
    for name in ("scope", "period", "spent", "amount", "utilization", ""):
        table.add_column(name, justify="right" if name in ("spent", "amount") else "left")
    for budget in doc["month_to_date"]["budgets"]:
        unknown = budget.get("unpriced_requests", 0) + budget.get("dead_lettered_requests", 0)
        spent = amount_text(
            budget["spent"], budget.get("unpriced_requests", 0), money,
            budget.get("dead_lettered_requests", 0),
        )  # fmt: skip
        if budget["utilization"] is None:
            _row(table, budget["scope"] or "(global)", budget.get("period", "month"), spent,
                 money(budget["amount"]), Text("unknown", "yellow"), "")  # fmt: skip
            continue
        utilization = float(budget["utilization"])
        style = (
            "red" if utilization >= 1 else "yellow" if utilization >= 0.8 or unknown else "green"
        )
        _row(
            table,
            budget["scope"] or "(global)",
            budget.get("period", "month"),
            spent,
            money(budget["amount"]),
            Text(f"{'≥ ' if unknown else ''}{utilization:.0%}", style),
            Text(bar(utilization, 20), style),
        )
    if not doc["month_to_date"]["budgets"]:
        _row(table, "no budgets set: tokentrace budget set team=NAME AMOUNT", "", "", "", "", "")
    return table


def _daily(doc: dict[str, Any]) -> Panel:
    daily = doc["daily"]
    costs = [None if d["cost"] is None else float(d["cost"]) for d in daily]
    anomalies = {a["date"] for a in doc["anomalies"] if a["scope"] == "all"}
    body = Text(sparkline(costs), style="cyan")
    known = [d for d in daily if d["cost"] is not None]
    if daily:
        body.append(f"\n{daily[0]['date']} … {daily[-1]['date']}")
    if known:
        peak = max(known, key=lambda d: Decimal(d["cost"]))
        body.append(
            f"   peak {cost_text(peak, money)} on "
            f"{peak['date']}" + ("  (anomaly)" if peak["date"] in anomalies else "")
        )
    unknown = [d["date"] for d in daily if d.get("unpriced_requests")]
    if unknown:
        days = ", ".join(unknown) if len(unknown) <= 5 else f"{len(unknown)} of {len(daily)} days"
        body.append(f"   calls of unknown cost (not in the bars; ? if all) on {days}")
    lost = [d["date"] for d in daily if d.get("dead_lettered_requests")]
    if lost:
        days = ", ".join(lost) if len(lost) <= 5 else f"{len(lost)} of {len(daily)} days"
        body.append(f"   calls not stored (not in the bars; ? if all) on {days}")
    if daily:
        partial = [d["date"] for d in daily if d.get("partial")]
        if partial:
            body.append(f"   partial day{'s' if len(partial) > 1 else ''}: {', '.join(partial)}")
    return Panel(body, title="Daily spend", title_align="left")


def _breakdown(
    title: str, rows: list[dict[str, Any]], keys: tuple[str, ...], doc: dict[str, Any]
) -> Table:
    known = Decimal(doc["totals"]["cost"] or 0)
    # a share of the known spend only (as the JSON's and the HTML's): said, with the calls of
    # unknown cost and the calls not stored it leaves out; of a known $0 there is no share
    left_out = share_left_out(rows, doc)
    caption = f"share: of the known spend; {left_out} not in it" if left_out else None
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for key in keys:
        table.add_column(key)
    table.add_column("cost", justify="right")
    table.add_column("share of known" if caption else "share", justify="right")
    table.add_column("requests", justify="right")
    table.add_column("")
    # A top-N breakdown comes capped, with its "(other)" row; the others show ten rows.
    for row in rows if rows and rows[-1].get("other") else rows[:10]:
        share = None if row["cost"] is None or not known else float(Decimal(row["cost"]) / known)
        _row(
            table,
            *(str(row[k]) or "(none)" for k in keys),
            cost_text(row, money),
            "—" if share is None else f"{share:.1%}",
            f"{row['requests']:,}",
            Text(bar(share or 0.0, 16), "cyan"),
        )
    return table


def _tokens(doc: dict[str, Any]) -> Table:
    totals = doc["totals"]
    left_out = tokens_left_out_text(doc)
    table = Table(
        title="Tokens", title_justify="left", caption=left_out or None, caption_justify="left"
    )
    table.add_column("kind")
    table.add_column("tokens", justify="right")
    table.add_column("")
    kinds = [
        ("input (all)", totals["input_tokens"]),
        ("  of which cache read", totals["cache_read_tokens"]),
        ("  of which cache write", totals["cache_write_tokens"]),
        ("output (all)", totals["output_tokens"]),
        ("  of which reasoning", totals["reasoning_tokens"]),
    ]
    top = max((n for _, n in kinds), default=0) or 1
    for name, count in kinds:
        _row(table, name, f"{count:,}", Text(bar(count / top), "magenta"))
    return table


def _latency(doc: dict[str, Any]) -> Table:
    table = Table(title="Latency by provider", title_justify="left")
    for name in ("provider", "p50", "p95", "p99"):
        table.add_column(name, justify="left" if name == "provider" else "right")
    for row in doc["latency_by_provider"]:
        _row(
            table,
            row["provider"],
            *(f"{row[k]:,.0f} ms" for k in ("p50_ms", "p95_ms", "p99_ms")),
        )
    return table


def _anomalies(doc: dict[str, Any]) -> Group | Table:
    if not doc["anomalies"]:
        return Group(Text("No anomalous days (spend above 2× the trailing daily average)."))
    table = Table(title="Anomalous days (spend > 2× trailing average)", title_justify="left")
    for name in ("date", "scope", "cost", "baseline", "ratio"):
        table.add_column(name, justify="left" if name in ("date", "scope") else "right")
    for row in doc["anomalies"]:
        _row(
            table,
            row["date"],
            row["scope"],
            amount_text(
                row["cost"],
                row.get("unpriced_requests", 0),
                money,
                row.get("dead_lettered_requests", 0),
            ),
            amount_text(
                row["baseline"],
                row.get("baseline_unpriced_requests", 0),
                money,
                row.get("baseline_dead_lettered_requests", 0),
            ),
            "from nothing" if row["ratio"] is None else f"{row['ratio']:.1f}×",
        )
    return table


def _unpriced(doc: dict[str, Any]) -> Table:
    table = Table(
        title="Unknown cost (no price: add it to TOKENTRACE_PRICES_FILE; no usage: see README)",
        title_justify="left",
    )
    for name in ("provider", "model", "requests", "of which without usage", "not stored"):
        table.add_column(name)
    for row in doc["unpriced"]:
        _row(
            table,
            row["provider"],
            row["model"],
            f"{row['requests']:,}",
            f"{row.get('usage_missing_requests', 0):,}",
            f"{row.get('dead_lettered_requests', 0):,}",
        )
    return table


def _provider_costs(doc: dict[str, Any]) -> Table:
    """Reported against computed cost, exact (a gap of a fraction of a cent stays visible)."""
    table = Table(
        title="Provider-reported cost (counts) against computed cost", title_justify="left"
    )
    for name in ("provider", "model", "reported", "calls", "compared calls", "computed", "gap"):
        table.add_column(name, justify="left" if name in ("provider", "model") else "right")
    for row in doc["provider_cost_differences"]:
        compared = row["compared_requests"]
        _row(
            table,
            row["provider"],
            row["model"],
            f"${row['reported_cost']}",
            f"{row['reported_requests']:,}",
            f"{compared:,}",
            f"${row['computed_cost']}" if compared else "—",
            f"${row['gap']}" if compared else "—",
        )
    return table


def _unit_costs(doc: dict[str, Any]) -> Table:
    """What each extra usage unit cost at its own rate, exact."""
    table = Table(
        title="Cost by usage unit (part of input, cache and output cost)", title_justify="left"
    )
    for name in ("provider", "model", "unit", "tokens", "cost"):
        table.add_column(name, justify="right" if name in ("tokens", "cost") else "left")
    for row in doc["cost_by_unit"]:
        _row(
            table,
            row["provider"],
            row["model"],
            row["unit"],
            f"{row['tokens']:,}",
            amount_text(row["cost"], row.get("unpriced_requests", 0), lambda v: f"${v}"),
        )
    return table


RECONCILIATION_ROWS = 15


def _reconciliation(doc: dict[str, Any]) -> Group | Table:
    rows = doc.get("reconciliation") or []
    if not rows:
        return Group(
            # also what an imported bill without spend, beside no metered call, reads as
            Text(
                "Billed vs metered: nothing billed or metered on imported days in this range "
                "(`tokentrace reconcile` imports the providers' bills to diff with metered cost)."
            )
        )
    causes = doc.get("reconciliation_causes") or [{}] * len(rows)
    gaps = [(r, c) for r, c in zip(rows, causes, strict=True) if c.get("cause") != "matches"]
    matching = len(rows) - len(gaps)
    # unknown gaps (every metered call of unknown cost) after the known ones, never as $0
    gaps.sort(key=lambda p: (p[0]["gap"] is None, -abs(Decimal(p[0]["gap"] or 0))))
    table = Table(
        title=f"Billed vs metered ({matching} provider-day-models match"
        + (f"; {len(gaps)} largest gaps first)" if gaps else ")"),
        title_justify="left",
    )
    for name in ("date", "provider", "model", "billed", "metered", "gap", "share", "cause"):
        table.add_column(
            name, justify="right" if name in ("billed", "metered", "gap", "share") else "left"
        )
    for row, cause in gaps[:RECONCILIATION_ROWS]:
        share = row["gap_ratio"]
        _row(
            table,
            row["date"],
            row["provider"],
            tier_model(row),
            money(row["billed_cost"]),
            amount_text(
                row["metered_cost"],
                cause.get("unknown_cost_requests", 0),
                money,
                cause.get("dead_lettered_requests", 0),
            ),
            upper_bound_text(row["gap"], not cause.get("metered_cost_complete", True), money),
            "—" if share is None else f"{share:.1%}",
            cause.get("cause", ""),
        )
    parts: list[Table | Text] = [table]
    unmetered = doc.get("unmetered_spend") or []
    if unmetered:
        known = [Decimal(u["unmetered_cost"]) for u in unmetered if u["unmetered_cost"] is not None]
        partial = any(u.get("unknown_cost_days") for u in unmetered)
        total = lower_bound_text(str(sum(known, Decimal(0))) if known else None, partial, money)
        lines = [
            f"  {u['provider']}/{u['model'] or '(no model)'}: {unmetered_text(u, money)} "
            f"of {money(u['billed_cost'])} billed"
            for u in unmetered
        ]
        parts += [
            Text(f"Unmetered spend (billed, never seen by tokentrace): {total}\n"),
            Text("\n".join(lines)),
        ]
    keys = [k for k in doc.get("reconciliation_by_key") or [] if k["status"] != "matches"]
    if keys:
        lines = [f"  {key_text(k)}" for k in keys[:RECONCILIATION_ROWS]]
        parts += [Text("\nAPI keys whose billed tokens differ:"), Text("\n".join(lines))]
    return Group(*parts) if len(parts) > 1 else table
