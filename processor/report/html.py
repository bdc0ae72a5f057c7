"""The report as one self-contained HTML page: a person should rather look at it than read.

No scripts, fonts or images are fetched: the file opens anywhere, offline, and can be
mailed. Input is the same report document as ``--format json``. Charts are HTML and CSS
(bars are sized boxes, labels are text), not scaled SVG, so labels keep their size from a
phone to a 1400 px screen; axes have round ticks, every colour has a legend, today's
partial day is hatched, anomalies are grouped by incident and unknown cost reads as such.
"""

from __future__ import annotations

import math
from decimal import Decimal
from html import escape
from typing import Any

from tokentrace.processor.report.document import (
    BREAKDOWNS,
    amount_text,
    change_text,
    cost_text,
    forecast_text,
    incidents,
    key_text,
    lower_bound_text,
    month_text,
    share_left_out,
    spend_text,
    tier_model,
    tokens_left_out_text,
    unmetered_text,
    upper_bound_text,
)
from tokentrace.processor.report.terminal import money

BLUE, GREEN, AMBER, PURPLE, RED, TEAL, PINK, SLATE = (
    "#2563eb", "#059669", "#d97706", "#7c3aed", "#dc2626", "#0d9488", "#db2777", "#64748b",
)  # fmt: skip
TOKEN_COLOURS = (BLUE, TEAL, AMBER, PURPLE, PINK)

STYLE = """
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;
background:#f3f4f6;color:#111827}
header{background:#111827;color:#fff;padding:18px 24px}
header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#d1d5db}
main{padding:20px 24px;display:grid;gap:18px;max-width:1680px;margin:0 auto;
grid-template-columns:repeat(auto-fit,minmax(min(100%,560px),1fr))}
section{background:#fff;border-radius:12px;padding:18px 20px;min-width:0;
box-shadow:0 1px 3px rgba(0,0,0,.08)}
section.wide{grid-column:1/-1}
h2{font-size:17px;margin:0 0 4px}
.note{color:#4b5563;font-size:13px;margin:0 0 12px}
.kpis{display:grid;gap:12px;grid-template-columns:repeat(auto-fit,minmax(150px,1fr))}
.kpi{background:#f9fafb;border-radius:10px;padding:10px 14px}
.kpi b{display:block;font-size:24px;font-variant-numeric:tabular-nums}
.kpi span{color:#4b5563;font-size:13px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:14px}
td,th{padding:6px 8px;text-align:left;border-bottom:1px solid #e5e7eb;white-space:nowrap}
th{color:#4b5563;font-weight:600;font-size:13px}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.warn{color:#b45309}.unknown{color:#b45309;font-style:italic}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;font-size:13px;color:#374151;margin:10px 0 0}
.legend i{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:6px;
vertical-align:-1px}
.chart{display:grid;grid-template-columns:auto 1fr;gap:0 8px}
.yaxis{position:relative;height:220px;font-size:12px;color:#4b5563;text-align:right;
min-width:48px}
.yaxis span{position:absolute;right:0;transform:translateY(50%)}
.plot{position:relative;height:220px;display:flex;align-items:flex-end;gap:2px;
border-bottom:1px solid #9ca3af}
.plot .grid{position:absolute;left:0;right:0;border-top:1px solid #e5e7eb}
.plot .bar{flex:1;position:relative;min-width:2px;border-radius:3px 3px 0 0}
.partial{background-image:repeating-linear-gradient(45deg,rgba(255,255,255,.55) 0 4px,
transparent 4px 8px)}
.plot .bar.unknown{min-height:4px;outline:2px dotted #b45309;outline-offset:-2px}
.xaxis{grid-column:2;display:flex;justify-content:space-between;font-size:12px;
color:#4b5563;margin-top:4px}
.rows{display:grid;gap:6px;font-size:14px}
.row{display:grid;grid-template-columns:minmax(90px,32%) 1fr max-content;gap:10px;
align-items:center}
.rows .label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.rows .track{background:#f3f4f6;border-radius:4px;height:16px;position:relative}
.rows .fill{height:100%;border-radius:4px}
.rows .value{font-variant-numeric:tabular-nums;text-align:right}
.stack{display:flex;height:26px;border-radius:6px;overflow:hidden}
@media (max-width:640px){main{padding:12px;gap:12px}section{padding:14px}
header{padding:14px}.kpi b{font-size:20px}.yaxis,.plot{height:170px}
.row{grid-template-columns:1fr max-content;gap:2px 8px}.row .track{grid-column:1/-1;order:3}
.xaxis .odd{display:none}}
"""


def render(doc: dict[str, Any]) -> str:
    """The whole page as a string."""
    window = doc["window"]
    label = window.get("label") or f"{_when(window['from'])} → {_when(window['to'])} UTC"
    sections = [
        _kpis(doc),
        _section("Daily spend", _daily_chart(doc), wide=True, note=_days_note(doc)),
        _section(
            "Cost per request",
            _cost_per_request_chart(doc),
            wide=True,
            note="Average cost of one call per UTC day.",
        ),
        _section("Budgets this period", _budgets(doc["month_to_date"]["budgets"])),
        _section("Spend by provider", _bars(doc, [(r["provider"], r) for r in doc["by_provider"]])),
        _section("Spend by model", _bars(doc, [(_model_label(r), r) for r in doc["by_model"]])),
        *(
            _section(title, _bars(doc, [(r["value"], r) for r in rows]))
            for tag, title in BREAKDOWNS
            if (rows := doc["by_tag"].get(tag))
        ),
        _section("Tokens", _tokens(doc["totals"]), note=tokens_left_out_text(doc)),
        _section("Latency by provider", _latency_table(doc["latency_by_provider"])),
        _section("Failures", _failures(doc)),
        _section(
            "Anomalies, by incident",
            _incidents(doc),
            wide=True,
            note="Days whose spend passed 2× the trailing 7-day average, for the whole "
            "spend or one team, feature or tenant; consecutive days are one incident.",
        ),
        _section(
            "Most expensive calls",
            _top_calls(doc.get("top_calls", []), doc.get("top_calls_unranked", {})),
            wide=True,
        ),
        _section("Top users", _top_users(doc.get("top_users", []))),
        _section("Top conversations", _top_conversations(doc.get("top_conversations", []))),
    ]
    if doc.get("reconciliation"):
        sections.append(_section("Billed vs metered", _reconciliation_table(doc), wide=True))
    if doc.get("provider_cost_differences"):
        sections.append(
            _section(
                "Provider-reported against computed cost",
                _provider_costs_table(doc["provider_cost_differences"]),
                wide=True,
                note="What providers and gateways reported they charged counts as the cost; "
                "the computed cost is what the price data gives for the same calls.",
            )
        )
    if doc.get("cost_by_unit"):
        sections.append(
            _section(
                "Cost by usage unit",
                _unit_costs_table(doc["cost_by_unit"]),
                note="What each extra unit cost at its own rate: part of the input, cache or "
                "output cost it refines.",
            )
        )
    if doc.get("unpriced"):
        sections.append(_section("Unknown cost: unpriced usage", _unpriced_table(doc["unpriced"])))
    filters = ", ".join(f"{k}={'|'.join(v)}" for k, v in doc.get("filters", {}).items())
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>tokentrace report · {escape(label)}</title><style>{STYLE}</style></head>"
        f"<body><header><h1>LLM spend report</h1><p>{escape(label)} · "
        f"{escape(doc['currency'])}{' · ' + escape(filters) if filters else ''}</p>"
        f"</header><main>{''.join(sections)}</main></body></html>\n"
    )


def _when(iso: str) -> str:
    return iso[:16].replace("T", " ")


def _section(title: str, body: str, wide: bool = False, note: str = "") -> str:
    cls = " class=wide" if wide else ""
    intro = f"<p class=note>{escape(note)}</p>" if note else ""
    return f"<section{cls}><h2>{escape(title)}</h2>{intro}{body}</section>"


def _legend(items: list[tuple[str, str]]) -> str:
    keys = "".join(
        f"<span><i class='{cls}' style='background-color:{colour}'></i>{escape(name)}</span>"
        for name, colour, cls in ((n, c.split()[0], " ".join(c.split()[1:])) for n, c in items)
    )
    return f"<div class=legend>{keys}</div>"


def nice_ticks(top: Decimal, count: int = 4) -> list[Decimal]:
    """Round axis ticks from 0 to at least ``top``: steps of 1, 2, 2.5 or 5 × 10^k."""
    if top <= 0:
        return [Decimal(0), Decimal(1)]
    rough = top / count
    power = Decimal(10) ** math.floor(math.log10(float(rough)))
    step = next(m * power for m in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), 10)
                if m * power >= rough)  # fmt: skip
    ticks = [Decimal(0)]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + step)
    return ticks


def _tick_label(value: Decimal, unit: str = "$") -> str:
    if value == 0:
        return f"{unit}0"
    text = f"{value:,f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:,f}"
    return f"{unit}{text}"


def _kpis(doc: dict[str, Any]) -> str:
    totals = doc["totals"]
    unpriced = totals["unpriced_requests"]
    average = lower_bound_text(
        doc["cost_per_request"]["average"], False, lambda value: money(value, 4)
    )
    items = [
        (spend_text(doc, money), "spend in window"),
        *(
            [(change_text(doc["vs_previous_period"]), "vs previous period")]
            if "vs_previous_period" in doc
            else []
        ),
        (month_text(doc, money), "month to date"),
        (forecast_text(doc, money), "month-end forecast"),
        (f"{totals['requests']:,}", "requests"),
        (
            average,
            "average cost per call of known cost" if unpriced else "average cost per request",
        ),
        (
            lower_bound_text(
                doc["cache_savings"], bool(unpriced or doc.get("dead_lettered_requests")), money
            ),
            "saved by prompt caching",
        ),
        (f"{totals['failed_requests']:,}", f"failed requests ({_failed_cost_text(totals)})"),
    ]
    missing = totals.get("usage_missing_requests", 0)
    if unpriced - missing > 0:
        items.append((f"{unpriced - missing:,}", "calls of unknown cost (no price)"))
    if missing:
        items.append((f"{missing:,}", "calls of unknown cost (no usage)"))
    lost = doc.get("dead_lettered_requests", 0)
    if lost:
        items.append((f"{lost:,}", "calls not stored (tokentrace dead-letters list)"))
    cells = "".join(
        f"<div class=kpi><b>{escape(v)}</b><span>{escape(k)}</span></div>" for v, k in items
    )
    return _section("Summary", f"<div class=kpis>{cells}</div>", wide=True)


def _days_note(doc: dict[str, Any]) -> str:
    days = doc["window"].get("days")
    whole = f"UTC days {days['from']} → {days['to']}. " if days else ""
    return whole + "Hatched: a day only partly in the window (today so far)."


def _model_label(row: dict[str, Any]) -> str:
    return f"{row['model']} ({row['provider']})"


def _columns(
    points: list[tuple[str, Decimal, str, str, str]], unit: str = "$", places: int = 2
) -> str:
    """A column chart: (date, value, colour, css class, tooltip) per column."""
    if not points:
        return "<p>No calls in this window.</p>"
    ticks = nice_ticks(max(value for _, value, *_ in points), 4)
    top = ticks[-1]
    axis = "".join(
        f"<span style='bottom:{float(t / top) * 100:.2f}%'>{escape(_tick_label(t, unit))}</span>"
        for t in ticks
    )
    grid = "".join(
        f"<div class=grid style='bottom:{float(t / top) * 100:.2f}%'></div>" for t in ticks[1:]
    )
    bars = "".join(
        f"<div class='bar {cls}' style='height:{float(value / top) * 100:.2f}%;"
        f"background-color:{colour}' title='{escape(tip)}'></div>"
        for _, value, colour, cls, tip in points
    )
    step = max(1, math.ceil(len(points) / 7))
    labels = [date[5:] for i, (date, *_) in enumerate(points) if i % step == 0]
    if points[-1][0][5:] != labels[-1]:
        labels.append(points[-1][0][5:])
    # every other date hides on a phone, so the labels never run into each other
    xaxis = "".join(
        f"<span{' class=odd' if i % 2 and i != len(labels) - 1 else ''}>{escape(d)}</span>"
        for i, d in enumerate(labels)
    )
    return (
        f"<div class=chart><div class=yaxis>{axis}</div><div class=plot>{grid}{bars}</div>"
        f"<div class=xaxis>{xaxis}</div></div>"
    )


def _nothing_known(rows: list[dict[str, Any]], key: str) -> str | None:
    """A note instead of a chart whose every column would be an unknown cost or a $0 day: an
    axis from $0 to $1 over empty columns reads as spend of $0."""
    if any(r[key] is not None and Decimal(r[key]) for r in rows):
        return None
    unknown = sum(r.get("unpriced_requests", 0) for r in rows)
    lost = sum(r.get("dead_lettered_requests", 0) for r in rows)
    if not unknown and not lost:
        return None
    said = []
    if unknown:
        said.append(
            f"the {unknown:,} calls of these days have an <span class=unknown>unknown</span> "
            "cost (no price, or no usage)"
        )
    if lost:
        said.append(
            f"{lost:,} call{'s' * (lost != 1)} of these days {'were' if lost != 1 else 'was'} "
            "not stored (tokentrace dead-letters list)"
        )
    return f"<p class=note>Nothing known to chart: {'; '.join(said)}.</p>"


def _daily_chart(doc: dict[str, Any]) -> str:
    unknown = _nothing_known(doc["daily"], "cost")
    if unknown:
        return unknown
    anomalous = {a["date"] for a in doc["anomalies"] if a["scope"] == "all"}
    points = [
        (
            d["date"],
            Decimal(d["cost"] or 0),
            RED if d["date"] in anomalous else BLUE,
            ("partial " if d.get("partial") else "")
            + ("unknown" if d.get("unpriced_requests") or d.get("dead_lettered_requests") else ""),
            f"{d['date']}: {cost_text(d, money)}, {d['requests']:,} requests"
            + (" (partial day)" if d.get("partial") else "")
            + (" (anomaly)" if d["date"] in anomalous else ""),
        )
        for d in doc["daily"]
    ]
    legend = [("daily spend", BLUE), ("anomalous day (> 2× trailing average)", RED)]
    legend.append(("partial day (hatched)", f"{BLUE} partial"))
    if any(d.get("unpriced_requests") for d in doc["daily"]):
        legend.append(("calls of unknown cost, not in the bar (dotted)", f"{BLUE} unknown"))
    if any(d.get("dead_lettered_requests") for d in doc["daily"]):
        legend.append(("calls not stored, not in the bar (dotted)", f"{BLUE} unknown"))
    return _columns(points) + _legend(legend)


def _cost_per_request_chart(doc: dict[str, Any]) -> str:
    unknown = _nothing_known(doc["cost_per_request"]["daily"], "average")
    if unknown:
        return unknown
    partial = {d["date"] for d in doc["daily"] if d.get("partial")}
    points = [
        (
            d["date"],
            Decimal(d["average"] or 0),
            TEAL,
            ("partial " if d["date"] in partial else "")
            + ("unknown" if d.get("unpriced_requests") else ""),
            f"{d['date']}: "
            + lower_bound_text(d["average"], False, lambda value: money(value, 4))
            + " per request"
            + (
                f" of known cost ({d['unpriced_requests']:,} unknown)"
                if d.get("unpriced_requests")
                else ""
            ),
        )
        for d in doc["cost_per_request"]["daily"]
    ]
    return _columns(points) + _legend(
        [("average cost per request", TEAL), ("partial day (hatched)", f"{TEAL} partial")]
    )


def _bars(doc: dict[str, Any], rows: list[tuple[str, dict[str, Any]]], limit: int = 10) -> str:
    """Horizontal bars of spend, one colour (the legend says what it is)."""
    if not rows:
        return "<p>No data.</p>"
    shown = rows[:limit]
    top = max(Decimal(r["cost"] or 0) for _, r in shown) or Decimal(1)
    # a share is of the known spend, as in the terminal and the JSON's share
    known = Decimal(doc["totals"]["cost"] or 0)
    left_out = share_left_out([row for _, row in rows], doc)
    of = " of known" if left_out else ""
    cells = []
    for label, row in shown:
        width = float(Decimal(row["cost"] or 0) / top) * 100
        value = escape(cost_text(row, money))
        if value.startswith("unknown"):
            value = "<span class=unknown>unknown</span>" + value.removeprefix("unknown")
        share = "—" if row["cost"] is None or not known else f"{Decimal(row['cost']) / known:.1%}"
        value += f" · {share}{of}"
        cells.append(
            f"<div class=row><span class=label title='{escape(label)}'>"
            f"{escape(label or '(none)')}</span>"
            f"<span class=track><span class=fill style='display:block;width:{width:.2f}%;"
            f"background:{BLUE}'></span></span><span class=value>{value} · "
            f"{row['requests']:,} req</span></div>"
        )
    more = len(rows) - len(shown)
    tail = f"<p class=note>…and {more} more.</p>" if more > 0 else ""
    caption = (
        f"<p class=note>Shares are of the known spend: {left_out} not in it.</p>"
        if left_out
        else ""
    )
    return f"<div class=rows>{''.join(cells)}</div>{tail}{caption}" + _legend(
        [("spend in window (unknown: calls without a price)", BLUE)]
    )


def _tokens(totals: dict[str, Any]) -> str:
    uncached = totals["input_tokens"] - totals["cache_read_tokens"] - totals["cache_write_tokens"]
    visible = totals["output_tokens"] - totals["reasoning_tokens"]
    kinds = [
        ("input, uncached", max(uncached, 0)),
        ("input, cache read", totals["cache_read_tokens"]),
        ("input, cache write", totals["cache_write_tokens"]),
        ("output, visible", max(visible, 0)),
        ("output, reasoning", totals["reasoning_tokens"]),
    ]
    total = sum(n for _, n in kinds) or 1
    stack = "".join(
        f"<span style='width:{count / total * 100:.2f}%;background:{TOKEN_COLOURS[i]}' "
        f"title='{escape(name)}: {count:,}'></span>"
        for i, (name, count) in enumerate(kinds)
        if count
    )
    legend = _legend(
        [
            (f"{name}: {count:,} ({count / total:.0%})", TOKEN_COLOURS[i])
            for i, (name, count) in enumerate(kinds)
        ]
    )
    return f"<div class=stack>{stack}</div>{legend}"


def _budgets(budgets: list[dict[str, Any]]) -> str:
    if not budgets:
        return "<p>No budgets set (<code>tokentrace budget set team=NAME AMOUNT</code>).</p>"
    cells = []
    for budget in budgets:
        unknown = budget.get("unpriced_requests", 0) + budget.get("dead_lettered_requests", 0)
        fraction = float(budget["utilization"] or 0)
        colour = RED if fraction >= 1 else AMBER if fraction >= 0.8 or unknown else GREEN
        label = f"{budget['scope'] or 'all spend'} ({budget['period']})"
        used = (
            "<span class=unknown>unknown</span>"
            if budget["utilization"] is None
            else f"{'≥ ' if unknown else ''}{fraction:.0%}"
        )
        cells.append(
            f"<div class=row><span class=label>{escape(label)}</span><span class=track><span "
            f"class=fill style='display:block;width:{min(fraction, 1) * 100:.2f}%;"
            f"background:{colour}'></span></span><span class=value>"
            f"{escape(_spent_text(budget))} of "
            f"{escape(money(budget['amount']))} · {used}</span></div>"
        )
    legend = _legend([("under 80 %", GREEN), ("80–100 %", AMBER), ("over budget", RED)])
    return f"<div class=rows>{''.join(cells)}</div>{legend}"


def _spent_text(budget: dict[str, Any]) -> str:
    return amount_text(
        budget["spent"],
        budget.get("unpriced_requests", 0),
        money,
        budget.get("dead_lettered_requests", 0),
    )


def _table(headers: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    def cell(tag: str, index: int, text: str) -> str:
        cls = " class=n" if index in numeric else ""
        return f"<{tag}{cls}>{escape(text)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<div class=scroll><table><tr>{head}</tr>{body}</table></div>"


def _latency_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>No successful calls in this window.</p>"
    return _table(
        ["provider", "p50", "p95", "p99"],
        [
            [r["provider"], *(f"{r[k] or 0:,.0f} ms" for k in ("p50_ms", "p95_ms", "p99_ms"))]
            for r in rows
        ],
        {1, 2, 3},
    )


def _failures(doc: dict[str, Any]) -> str:
    totals = doc["totals"]
    rows = doc.get("failures_by_feature", [])
    intro = (
        f"<p class=note>{totals['failed_requests']:,} of {totals['requests']:,} calls failed; "
        f"they cost {escape(_failed_cost_text(totals))}.</p>"
    )
    if not rows:
        return intro
    return intro + _table(
        ["feature", "failed", "of", "error rate", "cost of failures"],
        [
            [
                r["feature"] or "(none)",
                f"{r['failed_requests']:,}",
                f"{r['requests']:,}",
                "—" if r["error_rate"] is None else f"{r['error_rate']:.1%}",
                _failed_cost_text(r),
            ]
            for r in rows
        ],
        {1, 2, 3, 4},
    )


def _failed_cost_text(row: dict[str, Any]) -> str:
    """What failed calls cost: ``unknown`` when every one's cost is, "+ N unknown" when some,
    "+ N not stored" for failed calls serve could not store (a feature's row)."""
    return amount_text(
        row["failed_cost"],
        row.get("failed_unpriced_requests", 0),
        money,
        row.get("failed_dead_lettered_requests", 0),
    )


def _incident_amount(incident: dict[str, Any], prefix: str) -> str:
    """An incident's spend (``prefix`` "") or usual day ("baseline_") with the calls of
    unknown cost and not stored that it leaves out ("$1.00 + 2 not stored"); "—" without
    the whole spend's row."""
    value = incident["cost" if not prefix else "baseline"]
    unknown = incident.get(f"{prefix}unpriced_requests", 0)
    lost = incident.get(f"{prefix}dead_lettered_requests", 0)
    if not value and not unknown and not lost:
        return "—"
    return amount_text(value, unknown, money, lost)


def _incidents(doc: dict[str, Any]) -> str:
    found = incidents(doc["anomalies"])
    if not found:
        return "<p>No anomalous days.</p>"
    rows = []
    for incident in found:
        when = incident["from"] if incident["from"] == incident["to"] else (
            f"{incident['from']} → {incident['to']}"
        )  # fmt: skip
        scopes = incident["scopes"]
        listed = ", ".join(scopes[:6]) + (f" +{len(scopes) - 6} more" if len(scopes) > 6 else "")
        rows.append(
            [
                when,
                (
                    f"{incident['peak_ratio']:.1f}×"
                    if incident["peak_ratio"] is not None
                    else "from nothing"
                )
                + f" ({incident['peak_scope']})",
                _incident_amount(incident, ""),
                _incident_amount(incident, "baseline_"),
                listed,
            ]
        )
    return _table(["when", "peak", "total spend", "usual day", "scopes that spiked"], rows, {2, 3})


def _unranked(unranked: dict[str, Any]) -> list[str]:
    """What no ranking by cost can place: calls of unknown cost and calls not stored."""
    return [
        f"{count:,} call{'s' * (count != 1)} {what}"
        for count, what in (
            (unranked.get("unpriced_requests", 0), "of unknown cost (listed last, if at all)"),
            (unranked.get("dead_lettered_requests", 0), "not stored (not listed)"),
        )
        if count
    ]


def _top_calls(rows: list[dict[str, Any]], unranked: dict[str, Any]) -> str:
    parts = _unranked(unranked)
    if not rows:
        # no stored call to list, but those not stored are calls all the same, of unknown cost
        if parts:
            return f"<p>No stored calls in this window; {' and '.join(parts)}: cost unknown.</p>"
        return "<p>No calls in this window.</p>"
    note = f"<p class=note>Any of {' and '.join(parts)} may cost more than these.</p>"
    return (note if parts else "") + _table(
        ["time (UTC)", "model", "team", "feature", "user", "in", "out", "cost", "latency",
         "trace"],
        [
            [
                _when(r["ts"]),
                f"{r['model']} ({r['provider']})",
                r["team"] or "—",
                r["feature"] or "—",
                r["user"] or "—",
                f"{r['input_tokens']:,}",
                f"{r['output_tokens']:,}",
                money(r["cost"], 4) if r["priced"] else "unknown",
                f"{r['latency_ms'] or 0:,.0f} ms",
                r["trace_id"][:16],
            ]
            for r in rows
        ],
        {5, 6, 7, 8},
    )  # fmt: skip


def _cost_4(row: dict[str, Any]) -> str:
    """A row's cost to four places, ``unknown`` (never $0) when none of its calls has one."""
    return cost_text(row, lambda value: money(value, 4))


def _top_users(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>No calls tagged with a user.</p>"
    return _table(
        ["user", "tenant", "requests", "cost"],
        [[r["user"], r["tenant"] or "—", f"{r['requests']:,}", _cost_4(r)] for r in rows],
        {2, 3},
    )


def _top_conversations(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>No calls tagged with a conversation.</p>"
    return _table(
        ["conversation", "user", "requests", "cost"],
        [[r["conversation"], r["user"] or "—", f"{r['requests']:,}", _cost_4(r)] for r in rows],
        {2, 3},
    )


def _unpriced_table(rows: list[dict[str, Any]]) -> str:
    return (
        "<p class=warn>These calls have an unknown cost (no known price, or no usage): not "
        "$0, and not in the totals. Add missing prices to a prices file "
        "(TOKENTRACE_PRICES_FILE); turn on usage reporting for streams.</p>"
        + _table(
            ["provider", "model", "calls", "of which without usage", "not stored"],
            [
                [
                    r["provider"],
                    r["model"],
                    f"{r['requests']:,}",
                    f"{r['usage_missing_requests']:,}",
                    f"{r.get('dead_lettered_requests', 0):,}",
                ]
                for r in rows
            ],
            {2, 3, 4},
        )
    )


def _provider_costs_table(rows: list[dict[str, Any]]) -> str:
    return _table(
        ["provider", "model", "reported", "calls", "compared calls", "computed", "gap", "share"],
        [
            [
                r["provider"],
                r["model"],
                f"${r['reported_cost']}",
                f"{r['reported_requests']:,}",
                f"{r['compared_requests']:,}",
                f"${r['computed_cost']}" if r["compared_requests"] else "—",
                f"${r['gap']}" if r["compared_requests"] else "—",
                "—" if r["gap_ratio"] is None else f"{r['gap_ratio']:.1%}",
            ]
            for r in rows
        ],
        {2, 3, 4, 5, 6, 7},
    )


def _unit_costs_table(rows: list[dict[str, Any]]) -> str:
    return _table(
        ["provider", "model", "unit", "tokens", "cost"],
        [
            [
                r["provider"],
                r["model"],
                r["unit"],
                f"{r['tokens']:,}",
                amount_text(r["cost"], r.get("unpriced_requests", 0), lambda v: f"${v}"),
            ]
            for r in rows
        ],
        {3, 4},
    )


def _reconciliation_table(doc: dict[str, Any]) -> str:
    causes = doc.get("reconciliation_causes") or [{}] * len(doc["reconciliation"])
    rows = [
        (r, c)
        for r, c in zip(doc["reconciliation"], causes, strict=True)
        if c.get("cause") != "matches"
    ]
    # unknown gaps (every metered call of unknown cost) after the known ones, never as $0
    rows.sort(key=lambda p: (p[0]["gap"] is None, -abs(float(p[0]["gap"] or 0))))
    unmetered = doc.get("unmetered_spend") or []
    intro = "".join(
        f"<p class=warn>Unmetered: {escape(u['provider'])}/{escape(u['model'] or '(no model)')} "
        f"{escape(unmetered_text(u, money))} of {escape(money(u['billed_cost']))} billed "
        "was never seen by tokentrace.</p>"
        for u in unmetered
    )
    keys = [k for k in doc.get("reconciliation_by_key") or [] if k["status"] != "matches"]
    intro += "".join(f"<p class=warn>{escape(key_text(k))}</p>" for k in keys[:20])
    if not rows:
        return intro + "<p>Every billed provider-day-model matches the metered cost.</p>"
    return intro + _table(
        ["date", "provider", "model", "billed", "metered", "gap", "share", "cause"],
        [
            [
                r["date"],
                r["provider"],
                tier_model(r),
                money(r["billed_cost"]),
                amount_text(
                    r["metered_cost"],
                    c.get("unknown_cost_requests", 0),
                    money,
                    c.get("dead_lettered_requests", 0),
                ),
                upper_bound_text(r["gap"], not c.get("metered_cost_complete", True), money),
                "—" if r["gap_ratio"] is None else f"{r['gap_ratio']:.1%}",
                c.get("cause", ""),
            ]
            for r, c in rows[:20]
        ],
        {3, 4, 5, 6},
    )
