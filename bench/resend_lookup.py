"""What the sink's lookup of old spans in ``llm_calls`` costs a segment (``stored_calls``).

Fills a fresh embedded store with ``--calls`` calls whose spans started over 24 hours ending 2
hours ago (hex trace and span ids as the sink stores them), then looks up, as the sink does
before an insert, batches of spans taken from it (all found: a resend) spread over 1 minute or
over 1 hour of span times, and the same batch of spans not stored (a sender's old spans sent
for the first time: the same read, nothing found). Reports the median wall time and the
process's CPU time per lookup (chDB runs in this process), and the cost of the check every
other segment pays (its earliest span time against the horizon, in Python).

    python bench/resend_lookup.py [--calls 5000000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from tokentrace.processor.extract.extractor import COLUMNS
from tokentrace.processor.store import store, stored_calls

_TS, _TRACE, _SPAN = (COLUMNS.index(name) for name in ("ts", "trace_id", "span_id"))


def fill(client, calls: int, now_us: int) -> None:
    """``calls`` rows over the 24 hours ending 2 hours before ``now_us``."""
    first = now_us - 26 * 3600 * 10**6
    step = 24 * 3600 * 10**6 // calls
    client.command(
        "INSERT INTO llm_calls (ts, trace_id, span_id, provider, model, service, priced) "
        f"SELECT fromUnixTimestamp64Micro(toInt64({first} + number * {step}), 'UTC'), "
        "lower(hex(sipHash128(number))), lower(hex(cityHash64(number))), 'openai', 'gpt-4o', "
        f"'svc', 1 FROM numbers({calls})",
        settings={"max_insert_threads": 1},
    )


def batch(client, size: int, start_us: int, minutes: int, stored: bool) -> list[list]:
    """Columns of ``size`` spans of ``minutes`` from ``start_us``: the stored ones' ids, or
    ids no row has."""
    rows = client.query(
        "SELECT toUnixTimestamp64Micro(ts), trace_id, span_id FROM llm_calls "
        "WHERE ts >= fromUnixTimestamp64Micro({start:Int64}, 'UTC') "
        "AND ts < fromUnixTimestamp64Micro({end:Int64}, 'UTC') "
        "ORDER BY cityHash64(span_id) LIMIT {size:UInt32}",
        parameters={"start": start_us, "end": start_us + minutes * 60 * 10**6, "size": size},
    ).result_rows
    columns: list[list] = [[None] * len(rows) for _ in COLUMNS]
    columns[_TS] = [ts for ts, _, _ in rows]
    columns[_TRACE] = [trace if stored else "f" * 32 for _, trace, _ in rows]
    columns[_SPAN] = [span if stored else f"{n:016x}" for n, (_, _, span) in enumerate(rows)]
    return columns


def measure(client, columns: list[list], now_us: int, rounds: int) -> tuple[float, float, int]:
    walls, cpus, left = [], [], 0
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        _, left = stored_calls.first_copies(client, columns, now_us - stored_calls.HORIZON_US)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1e3, statistics.median(cpus) * 1e3, left


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    now_us = time.time_ns() // 1000
    with tempfile.TemporaryDirectory() as directory:  # 263 MB at 5,000,000 calls
        client = store.connect(f"chdb://{directory}/store")
        store.migrate(client)
        run(client, args.calls, args.rounds, now_us)


def run(client, calls: int, rounds: int, now_us: int) -> None:
    """Fill the store, then print the table of lookups and the horizon check."""
    started = time.perf_counter()
    fill(client, calls, now_us)
    print(f"{calls:,} calls over 24 h stored in {time.perf_counter() - started:.0f} s")
    start = now_us - 14 * 3600 * 10**6  # the middle of the day stored
    print("| spans | span times over | stored before | wall ms | CPU ms | left out |")
    print("|---:|---|---|---:|---:|---:|")
    for size in (500, 5_000, 50_000):
        for minutes in (1, 60):
            for stored in (True, False):
                columns = batch(client, size, start, minutes, stored)
                wall, cpu, left = measure(client, columns, now_us, rounds)
                print(f"| {len(columns[_TS]):,} | {minutes} min | {'yes' if stored else 'no'} "
                      f"| {wall:.1f} | {cpu:.1f} | {left:,} |")  # fmt: skip
    recent = [now_us - n for n in range(50_000)]
    columns = [[None] * len(recent) for _ in COLUMNS]
    columns[_TS] = recent
    started = time.perf_counter()
    for _ in range(100):
        stored_calls.old(columns, now_us - stored_calls.HORIZON_US)
    print(
        f"a segment of 50,000 recent spans (no lookup): "
        f"{(time.perf_counter() - started) / 100 * 1e3:.2f} ms for the horizon check"
    )


if __name__ == "__main__":
    main()
