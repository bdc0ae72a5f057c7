"""The report as one self-contained HTML page with inline SVG charts.

No scripts, fonts or images are fetched: the file opens anywhere, offline, and can be
mailed. Input is the same report document as ``--format json``.
"""

from __future__ import annotations

import math
from decimal import Decimal
from html import escape
from typing import Any

from tokentrace.processor.report.terminal import money

PALETTE = ("#3b82f6", "#10b981", "#f59e0b", "#8b5cf6", "#ef4444", "#14b8a6", "#ec4899", "#64748b")

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;
background:#f6f7f9;color:#1f2937}
header{background:#111827;color:#fff;padding:20px 32px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#9ca3af}main{padding:24px 32px;display:grid;gap:20px;
grid-template-columns:repeat(auto-fit,minmax(420px,1fr))}section{background:#fff;border-radius:10px;
padding:18px 20px;box-shadow:0 1px 3px rgba(0,0,0,.08)}section.wide{grid-column:1/-1}
h2{font-size:15px;margin:0 0 12px}.kpis{display:flex;gap:28px;flex-wrap:wrap}
.kpi b{display:block;font-size:24px}.kpi span{color:#6b7280;font-size:12px}
table{border-collapse:collapse;width:100%}
td,th{padding:4px 8px;text-align:left;border-bottom:1px solid #eee;white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.warn{color:#b45309}
svg text{font:11px system-ui,sans-serif;fill:#374151}
"""


def render(doc: dict[str, Any]) -> str:
    """The whole page as a string."""
    window = doc["window"]
    sections = [
        _kpis(doc),
        _section("Daily spend", _daily_chart(doc), wide=True),
        _section("Spend by model", _hbars([(_model_label(r), r) for r in doc["by_model"][:10]])),
        _section("Token breakdown", _token_chart(doc["totals"])),
        _section("Budget utilization", _gauges(doc["month_to_date"]["budgets"])),
        _section("Spend by team", _hbars([(r["value"], r) for r in doc["by_tag"].get("team", [])])),
        _section(
            "Spend by feature", _hbars([(r["value"], r) for r in doc["by_tag"].get("feature", [])])
        ),
        _section("Latency by provider", _latency_table(doc["latency_by_provider"])),
        _section("Anomalous days", _anomaly_table(doc["anomalies"][:12]), wide=True),
    ]
    if doc.get("reconciliation"):
        sections.append(_section("Billed vs metered", _reconciliation_table(doc), wide=True))
    if doc.get("unpriced"):
        sections.append(_section("Unpriced usage", _unpriced_table(doc["unpriced"])))
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>tokentrace report {escape(window['from'][:10])} – {escape(window['to'][:10])}"
        f"</title><style>{STYLE}</style></head><body><header><h1>LLM spend report</h1>"
        f"<p>{escape(_when(window['from']))} → {escape(_when(window['to']))} UTC · "
        f"{escape(doc['currency'])}</p>"
        f"</header><main>{''.join(sections)}</main></body></html>\n"
    )


def _when(iso: str) -> str:
    return iso[:16].replace("T", " ")


def _section(title: str, body: str, wide: bool = False) -> str:
    cls = " class=wide" if wide else ""
    return f"<section{cls}><h2>{escape(title)}</h2>{body}</section>"


def _kpis(doc: dict[str, Any]) -> str:
    totals, mtd = doc["totals"], doc["month_to_date"]
    items = [
        (money(totals["cost"]), "spend in window"),
        (money(mtd["cost"]), "month to date"),
        (money(mtd["forecast"]), "month-end forecast"),
        (f"{totals['requests']:,}", "requests"),
        (money(doc["cost_per_request"]["average"], 4), "cost per request"),
        (money(doc["cache_savings"]), "prompt-cache savings"),
        (f"{totals['failed_requests']:,}", "failed requests"),
    ]
    if totals["unpriced_requests"]:
        items.append((f"{totals['unpriced_requests']:,}", "unpriced requests"))
    cells = "".join(
        f"<div class=kpi><b>{escape(v)}</b><span>{escape(k)}</span></div>" for v, k in items
    )
    return _section("Summary", f"<div class=kpis>{cells}</div>", wide=True)


def _model_label(row: dict[str, Any]) -> str:
    return f"{row['model']} ({row['provider']})"


def _daily_chart(doc: dict[str, Any]) -> str:
    daily = doc["daily"]
    if not daily:
        return "<p>No calls in this window.</p>"
    anomalies = {a["date"] for a in doc["anomalies"] if a["scope"] == "all"}
    width, height, left, bottom, pad = 960, 230, 60, 24, 12
    top = max(Decimal(d["cost"]) for d in daily) or Decimal(1)
    step = (width - left) / len(daily)
    parts = [f"<svg viewBox='0 0 {width} {height}' width=100% role=img>"]
    for i in range(5):
        y = pad + (height - bottom - pad) * (1 - i / 4)
        value = top * Decimal(i) / 4
        parts.append(
            f"<line x1={left} x2={width} y1={y:.1f} y2={y:.1f} stroke=#e5e7eb />"
            f"<text x={left - 6} y={y + 4:.1f} text-anchor=end>{escape(money(value))}</text>"
        )
    for i, day in enumerate(daily):
        h = float(Decimal(day["cost"]) / top) * (height - bottom - pad)
        x = left + i * step
        color = "#ef4444" if day["date"] in anomalies else PALETTE[0]
        parts.append(
            f"<rect x={x + 1:.1f} y={height - bottom - h:.1f} width={max(step - 2, 1):.1f} "
            f"height={h:.1f} fill={color}><title>{escape(day['date'])}: "
            f"{escape(money(day['cost']))}, {day['requests']} requests</title></rect>"
        )
        if i % max(1, len(daily) // 8) == 0:
            parts.append(
                f"<text x={x + step / 2:.1f} y={height - 6} text-anchor=middle>"
                f"{escape(day['date'][5:])}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _hbars(rows: list[tuple[str, dict[str, Any]]]) -> str:
    if not rows:
        return "<p>No data.</p>"
    top = max(Decimal(r["cost"]) for _, r in rows) or Decimal(1)
    row_h, label_w, width = 24, 190, 560
    parts = [f"<svg viewBox='0 0 {width} {row_h * len(rows)}' width=100% role=img>"]
    for i, (label, row) in enumerate(rows):
        w = float(Decimal(row["cost"]) / top) * (width - label_w - 90)
        y = i * row_h
        parts.append(
            f"<text x={label_w - 6} y={y + 16} text-anchor=end>{escape(label[:32] or '(none)')}"
            f"</text><rect x={label_w} y={y + 4} width={w:.1f} height={row_h - 8} rx=3 "
            f"fill={PALETTE[i % len(PALETTE)]} />"
            f"<text x={label_w + w + 6:.1f} y={y + 16}>{escape(money(row['cost']))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _token_chart(totals: dict[str, Any]) -> str:
    uncached = totals["input_tokens"] - totals["cache_read_tokens"] - totals["cache_write_tokens"]
    visible = totals["output_tokens"] - totals["reasoning_tokens"]
    kinds = [
        ("input, uncached", max(uncached, 0)),
        ("input, cache read", totals["cache_read_tokens"]),
        ("input, cache write", totals["cache_write_tokens"]),
        ("output", max(visible, 0)),
        ("output, reasoning", totals["reasoning_tokens"]),
    ]
    total = sum(n for _, n in kinds) or 1
    width, x = 560.0, 0.0
    parts = [f"<svg viewBox='0 0 {width:.0f} 150' width=100% role=img>"]
    for i, (name, count) in enumerate(kinds):
        w = count / total * width
        parts.append(
            f"<rect x={x:.1f} y=0 width={w:.1f} height=34 fill={PALETTE[i]}>"
            f"<title>{escape(name)}: {count:,}</title></rect>"
        )
        x += w
        parts.append(
            f"<rect x=0 y={46 + i * 20} width=10 height=10 fill={PALETTE[i]} />"
            f"<text x=16 y={55 + i * 20}>{escape(name)}: {count:,} "
            f"({count / total:.0%})</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _gauges(budgets: list[dict[str, Any]]) -> str:
    if not budgets:
        return "<p>No budgets set (<code>tokentrace budget set team=NAME AMOUNT</code>).</p>"
    parts = []
    for budget in budgets:
        fraction = float(budget["utilization"])
        angle = math.pi * min(fraction, 1.0)
        x, y = 60 - 50 * math.cos(angle), 60 - 50 * math.sin(angle)
        color = "#ef4444" if fraction >= 1 else "#f59e0b" if fraction >= 0.8 else "#10b981"
        large = 0
        parts.append(
            "<svg viewBox='0 0 120 90' width=150 role=img style='display:inline-block'>"
            "<path d='M10 60 A50 50 0 0 1 110 60' fill=none stroke=#e5e7eb stroke-width=12 />"
            f"<path d='M10 60 A50 50 0 {large} 1 {x:.2f} {y:.2f}' fill=none stroke={color} "
            f"stroke-width=12 /><text x=60 y=58 text-anchor=middle style='font-size:16px'>"
            f"{fraction:.0%}</text><text x=60 y=76 text-anchor=middle>"
            f"{escape(budget['scope'] or 'global')}</text><text x=60 y=88 text-anchor=middle>"
            f"{escape(money(budget['spent']))} / {escape(money(budget['amount']))}</text></svg>"
        )
    return "".join(parts)


def _table(headers: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    head = "".join(
        f"<th{' class=n' if i in numeric else ''}>{escape(h)}</th>" for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=n' if i in numeric else ''}>{escape(c)}</td>" for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _latency_table(rows: list[dict[str, Any]]) -> str:
    return _table(
        ["provider", "p50", "p95", "p99"],
        [
            [r["provider"], *(f"{r[k]:,.0f} ms" for k in ("p50_ms", "p95_ms", "p99_ms"))]
            for r in rows
        ],
        {1, 2, 3},
    )


def _anomaly_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>None: no day above 2× its trailing daily average.</p>"
    return _table(
        ["date", "scope", "cost", "baseline", "ratio"],
        [
            [r["date"], r["scope"], money(r["cost"]), money(r["baseline"]), f"{r['ratio']:.1f}×"]
            for r in rows
        ],
        {2, 3, 4},
    )


def _unpriced_table(rows: list[dict[str, Any]]) -> str:
    return "<p class=warn>These calls have no known price and are not in the totals.</p>" + _table(
        ["provider", "model", "requests"],
        [[r["provider"], r["model"], f"{r['requests']:,}"] for r in rows],
        {2},
    )


def _reconciliation_table(doc: dict[str, Any]) -> str:
    causes = doc.get("reconciliation_causes") or [{}] * len(doc["reconciliation"])
    rows = [
        (r, c)
        for r, c in zip(doc["reconciliation"], causes, strict=True)
        if c.get("cause") != "matches"
    ]
    rows.sort(key=lambda pair: -abs(float(pair[0]["gap"])))
    unmetered = doc.get("unmetered_spend") or []
    intro = "".join(
        f"<p class=warn>Unmetered: {escape(u['provider'])}/{escape(u['model'] or '(no model)')} "
        f"{escape(money(u['unmetered_cost']))} of {escape(money(u['billed_cost']))} billed "
        "was never seen by tokentrace.</p>"
        for u in unmetered
    )
    if not rows:
        return intro + "<p>Every billed provider-day-model matches the metered cost.</p>"
    return intro + _table(
        ["date", "provider", "model", "billed", "metered", "gap", "share", "cause"],
        [
            [
                r["date"],
                r["provider"],
                r["model"] or "(no model)",
                money(r["billed_cost"]),
                money(r["metered_cost"]),
                money(r["gap"]),
                "—" if r["gap_ratio"] is None else f"{r['gap_ratio']:.1%}",
                c.get("cause", ""),
            ]
            for r, c in rows[:20]
        ],
        {3, 4, 5, 6},
    )
