"""Dead letters in ``totals``: the pending letters' count as the view reads it, over N letters.

Fills a fresh embedded store with N pending dead letters (one priced call's row each, one in
100 with a lone surrogate in its tenant, as the sink keeps text that is not UTF-8) over 30 days
and a day of stored calls, then runs, alternated, ``totals`` as it is and the count it had
before migration 0027 (each letter's JSON parsed, its surrogates repaired by a regular
expression: :data:`BEFORE`, from commit 57c6ac7), and reports the median wall time and the
process's CPU time per query (chDB runs in this process; CPU time moves less than wall time on
a shared machine).

    python bench/dead_letters.py [--letters 10000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from typing import Any

from tokentrace.processor.store import dead_letters, store, views

DAY = dt.datetime(2026, 11, 18, tzinfo=dt.UTC)
FIRST = DAY - dt.timedelta(days=29)
END = DAY + dt.timedelta(days=1, milliseconds=-1)

# The pending letters' count in ``totals`` before migration 0027 (views.py at 57c6ac7).
BEFORE = r"""
SELECT count()
FROM
(
    SELECT
        toDate(fromUnixTimestamp64Micro(JSONExtractInt(letter, 'ts'), 'UTC')) AS day
    FROM
    (
        SELECT if(isValidJSON(l.row), l.row,
            replaceRegexpAll(l.row, '\\\\u[dD][89abcdefABCDEF][0-9a-fA-F][0-9a-fA-F]',
                '\\\\ufffd')) AS letter
        FROM dead_letters AS l FINAL
        WHERE l.replayed = 0
    )
)
WHERE day >= toDate('{first}') AND day <= toDate('{last}')"""
# The same count now: the columns the sink writes.
AFTER = """
SELECT count()
FROM dead_letters AS l FINAL
WHERE l.replayed = 0 AND l.day >= toDate('{first}') AND l.day <= toDate('{last}')"""


def fill(client: Any, letters: int) -> None:
    row = {"ts": 0, "provider": "openai", "model": "gpt-4o-mini", "team": "growth",
           "tenant": "acme", "cost": 180_000_000, "input_tokens": 1000}  # fmt: skip
    batch = []
    for n in range(letters):
        ts = FIRST + dt.timedelta(seconds=n * 30 * 86400 // letters)
        tenant = "x\udcff" if n % 100 == 0 else f"tenant-{n % 50}"
        batch.append((f"seg-{n // 100}/{n % 100}", "INCORRECT_DATA: bench",
                      {**row, "ts": int(ts.timestamp() * 1e6), "tenant": tenant}))  # fmt: skip
        if len(batch) == 1000:
            dead_letters.add(client, batch)
            batch = []
    if batch:
        dead_letters.add(client, batch)


def timed(client: Any, sql: str) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    count = client.command(sql)
    return time.perf_counter() - wall, time.process_time() - cpu, int(count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as path:
        client = store.connect(f"chdb://{path}")
        store.migrate(client)
        fill(client, args.letters)
        days = {"first": FIRST.date().isoformat(), "last": DAY.date().isoformat()}
        totals, _ = views.bind(views.VIEWS["totals"], start=FIRST, end=END)
        queries = {
            "before (JSON)": BEFORE.format(**days),
            "after (columns)": AFTER.format(**days),
        }
        results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in queries}
        results["totals view"] = []
        for _ in range(args.rounds):
            for name, sql in queries.items():
                results[name].append(timed(client, sql))
            wall, cpu = time.perf_counter(), time.process_time()
            [row] = client.query(totals).named_results()
            results["totals view"].append(
                (time.perf_counter() - wall, time.process_time() - cpu,
                 row["dead_lettered_requests"])
            )  # fmt: skip
        for name, runs in results.items():
            counts = {count for _, _, count in runs}
            print(
                f"{name:16} {args.letters:>7,} letters: "
                f"wall {statistics.median(w for w, _, _ in runs) * 1000:8.2f} ms, "
                f"cpu {statistics.median(c for _, c, _ in runs) * 1000:8.2f} ms "
                f"(median of {args.rounds}), counted {sorted(counts)}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
