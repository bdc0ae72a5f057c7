"""Cardinality: ``spend_by_tenant`` over a week of N tenants, every tenant vs top-N + other.

Fills a fresh embedded store with N tenants each making one call a day for 7 days, merges
the daily rollup, then times the view (best of 3) for every tenant (the view as it was
before the cap) and for the capped view at several ``top``; reports rows, time, JSON size
and the rollups' size on disk.

    python bench/cardinality.py --out results/cardinality.json [--quick] [--tenants 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from tokentrace.processor.store import store, views

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
DAYS = 7
COLUMNS = ["ts", "trace_id", "tenant", "cost"]


def fill(client: Any, tenants: int) -> None:
    for day in range(DAYS):
        rows = [
            [NOW - dt.timedelta(days=day, hours=1), f"t{day}-{n}", f"tenant-{n}",
             Decimal(n % 997 + 1) / 100]
            for n in range(tenants)
        ]  # fmt: skip
        for start in range(0, tenants, 50_000):
            client.insert("llm_calls", rows[start : start + 50_000], column_names=COLUMNS)
    client.command("OPTIMIZE TABLE llm_cost_daily FINAL")


def measure(client: Any, view: views.View, top: int | None) -> dict[str, Any]:
    best = float("inf")
    rows: list[dict[str, Any]] = []
    for _ in range(3):
        started = time.perf_counter()
        rows = views.fetch(client, view, start=NOW - dt.timedelta(days=DAYS), end=NOW, top=top)
        best = min(best, time.perf_counter() - started)
    encoded = json.dumps([{key: str(value) for key, value in row.items()} for row in rows])
    return {
        "rows": len(rows),
        "ms": best * 1000,
        "json_bytes": len(encoded),
        "total": str(sum(row["cost"] for row in rows)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--tenants", type=int, default=200_000)
    args = parser.parse_args()
    tenants = 20_000 if args.quick else args.tenants
    with tempfile.TemporaryDirectory() as tmp:
        client = store.connect(f"chdb://{tmp}/chdb")
        store.migrate(client)
        fill(client, tenants)
        every = measure(client, views._spend_by("tenant", "every tenant"), None)
        capped = {top: measure(client, views.VIEWS["spend_by_tenant"], top) for top in (10, 100)}
        rollup_bytes = {
            table: int(
                client.command(
                    "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND "
                    f"table = '{table}' AND database = currentDatabase()"
                )
            )
            for table in ("llm_cost_daily", "llm_cost_hourly")
        }
    exact = all(result["total"] == every["total"] for result in capped.values())
    rows = [
        {
            "metric": f"spend_by_tenant, {tenants:,} tenants, top 100 + other",
            "value": capped[100]["ms"],
            "unit": "ms",
            "target": None,
            "met": None,
        },
        {
            "metric": "top-N totals equal the uncapped totals",
            "value": int(exact),
            "unit": "bool",
            "target": "1",
            "met": exact,
        },
    ]
    lines = ["| query | rows | time | JSON |", "| --- | ---: | ---: | ---: |"]
    for label, result in [("every tenant", every)] + [
        (f"top {top} + (other)", capped[top]) for top in capped
    ]:
        lines.append(
            f"| {label} | {result['rows']:,} | {result['ms']:,.0f} ms | "
            f"{result['json_bytes']:,} B |"
        )
    lines.append(
        f"\nRollups on disk: daily {rollup_bytes['llm_cost_daily']:,} B, "
        f"hourly {rollup_bytes['llm_cost_hourly']:,} B ({tenants * DAYS:,} calls)."
    )
    markdown = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"rows": rows, "markdown": markdown, "every": every, "capped": capped})
    )
    print(markdown)
    return 0 if exact else 1


if __name__ == "__main__":
    raise SystemExit(main())
