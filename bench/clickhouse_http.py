"""The ClickHouse HTTP interface's query latency against querying chDB directly.

Every view of ``processor/store/views.py`` (the SQL of every panel), for its dashboard's
default range and for the month to date, over synthetic calls generated exactly as
``bench/queries.py`` does, timed two ways on the same store and in the same process:

- **chDB directly**: clickhouse-connect's chDB client (``chdb:///path``), as
  ``tokentrace report`` and the readers' API query;
- **interface**: clickhouse-connect over HTTP against ``tokentrace serve``'s read-only
  ClickHouse HTTP interface (``processor/api/clickhouse_http.py``), as Grafana's data
  source queries it: Native format, a fresh chDB session per query, the query vetted by
  ``formatQuery`` and ``EXPLAIN AST``, ``readonly = 2``.

The two are timed alternately, query by query, so machine load falls on both alike.

    python bench/clickhouse_http.py --out results/clickhouse_http.json [--quick] [--rows N]
        [--store DIR --keep] [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import clickhouse_connect
import queries  # bench/queries.py: the same synthetic store and the same cases

from tokentrace.processor.api import clickhouse_http
from tokentrace.processor.store import store


def time_both(direct: Any, http: Any, sql: str, runs: int) -> tuple[list[float], list[float], int]:
    """One warm-up each, then ``runs`` alternating timed runs; checks both answer alike."""
    expected = direct.query(sql).result_rows
    if http.query(sql).result_rows != expected:
        raise AssertionError(f"the interface answers differently:\n{sql}")
    direct_ms, http_ms = [], []
    for _ in range(runs):
        for client, timings in ((direct, direct_ms), (http, http_ms)):
            t0 = time.perf_counter()
            client.query(sql)
            timings.append((time.perf_counter() - t0) * 1000)
    return direct_ms, http_ms, len(expected)


def render_markdown(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    m = meta["machine"]
    lines = [
        f"{meta['rows']:,} calls over {queries.DAYS} days (chDB {meta['chdb']}); "
        f"{m['cpus']} CPUs ({m['cpu_model']}), {m['ram_gib']} GiB; load "
        f"{meta['load_before']} → {m['load_avg']}; {meta['runs']} alternating runs after "
        "1 warm-up each. Overhead = interface median − direct median.",
        "",
        "| query | range | rows out | chDB direct median ms | interface median ms | "
        "interface p95 ms | overhead ms |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in results:
        lines.append(
            f"| {row['query']} | {row['range']} | {row['rows_out']:,} | "
            f"{row['direct_median_ms']:.1f} | {row['http_median_ms']:.1f} | "
            f"{row['http_p95_ms']:.1f} | {row['overhead_ms']:+.1f} |"
        )
    overheads = [row["overhead_ms"] for row in results]
    lines += [
        "",
        f"Overhead over {len(results)} queries: median {statistics.median(overheads):+.1f} ms, "
        f"max {max(overheads):+.1f} ms. `SELECT 1`: direct {meta['select1_direct_ms']:.2f} ms, "
        f"interface {meta['select1_http_ms']:.2f} ms (medians).",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the results as JSON")
    parser.add_argument("--quick", action="store_true", help="200k rows, 3 runs")
    parser.add_argument("--rows", type=int, default=None, help="calls (default 10,000,000)")
    parser.add_argument("--runs", type=int, default=None, help="timed runs (default 7)")
    parser.add_argument("--store", type=Path, default=None, help="chDB directory (default temp)")
    parser.add_argument("--keep", action="store_true", help="keep the store for reruns")
    args = parser.parse_args()
    rows = args.rows or (200_000 if args.quick else 10_000_000)
    runs = args.runs or (3 if args.quick else 7)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    path = args.store or Path(tempfile.mkdtemp(prefix="tokentrace-bench-chhttp-"))
    listener = None
    try:
        direct = store.connect(f"chdb://{path.resolve()}")
        store.migrate(direct)
        existing = direct.command("SELECT count() FROM llm_calls")
        generate_s = 0.0
        if existing == 0:
            anchor = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
            log(f"generating {rows:,} calls in {path}")
            generate_s = queries.generate(direct, rows, anchor, log)
        elif existing != rows:
            log(f"{path} holds {existing:,} calls, not {rows:,}: use another --store")
            return 2
        end_ts = direct.command("SELECT toUnixTimestamp(toStartOfHour(max(ts))) FROM llm_calls")
        end = datetime.fromtimestamp(int(end_ts), UTC) + timedelta(hours=1, microseconds=-1)
        settle_s = queries.settle(direct, 900, log)
        mismatch = queries.check_rollups(direct)
        if mismatch:
            log(f"rollups disagree with the raw table: {mismatch}")
            return 1
        listener = clickhouse_http.start(str(path.resolve()), "default", "127.0.0.1", 0, None)
        http = clickhouse_connect.get_client(host="127.0.0.1", port=listener.port)
        load_before = round(queries.machine()["load_avg"], 2)
        one_direct, one_http, _ = time_both(direct, http, "SELECT 1", max(runs, 20))
        results = []
        for case in queries.build_cases(end):
            if case.kind != "view":
                continue
            direct_ms, http_ms, rows_out = time_both(direct, http, case.sql, runs)
            direct_median, http_median = statistics.median(direct_ms), statistics.median(http_ms)
            results.append(
                {
                    "query": case.name,
                    "range": case.range,
                    "rows_out": rows_out,
                    "direct_median_ms": round(direct_median, 2),
                    "direct_p95_ms": round(queries.percentile(direct_ms, 0.95), 2),
                    "http_median_ms": round(http_median, 2),
                    "http_p95_ms": round(queries.percentile(http_ms, 0.95), 2),
                    "overhead_ms": round(http_median - direct_median, 2),
                }
            )
            log(f"{case.name} {case.range}: direct {direct_median:.1f} ms, http {http_median:.1f}")
        meta = {
            "rows": rows,
            "chdb": direct.command("SELECT version()"),
            "machine": queries.machine(),
            "load_before": load_before,
            "runs": runs,
            "generate_s": generate_s,
            "settle_s": settle_s,
            "select1_direct_ms": statistics.median(one_direct),
            "select1_http_ms": statistics.median(one_http),
        }
        markdown = render_markdown(results, meta)
        print(markdown)
        if args.out:
            overheads = [row["overhead_ms"] for row in results]
            headline = [
                {
                    "metric": f"interface overhead per view query ({rows / 1e6:g}M calls), median",
                    "value": round(statistics.median(overheads), 2),
                    "unit": "ms",
                    "target": None,
                    "met": None,
                },
                {
                    "metric": "SELECT 1 through the interface, median",
                    "value": round(meta["select1_http_ms"], 2),
                    "unit": "ms",
                    "target": None,
                    "met": None,
                },
            ]
            args.out.parent.mkdir(parents=True, exist_ok=True)
            document = {"rows": headline, "markdown": markdown, "queries": results, "meta": meta}
            args.out.write_text(json.dumps(document, indent=2, default=str))
        return 0
    finally:
        if listener is not None:
            listener.stop()
        if not args.keep:
            shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
