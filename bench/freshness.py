"""Freshness: seconds from an LLM call's span ending to its cost being visible to readers.

Starts ``tokentrace serve`` on a fresh embedded store, then probes: one GenAI span whose
end time is "now", tagged with a tenant of its own, is POSTed as OTLP/HTTP protobuf (as
an exporter would, minus the exporter's batching delay), and serve's readers' API
(``GET /api/v1/views/top_calls?tenant=…``) is polled every 20 ms until the call shows
up. Probes start at random offsets so they do not lock onto serve's 1 s spool seal.

The same probes run again while another process streams a steady load of spans at
serve (``--load-rate`` spans/s, demo traffic), to show freshness when the spool seals
on size and the sink is busy.

    python bench/freshness.py --out results/freshness.json [--quick] [--probes 50]
        [--load-rate 3000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import multiprocessing.synchronize
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tokentrace.processor.demo import history
from tokentrace.processor.demo.serve_process import ServeProcess

TARGET_S = 2.0
POLL_S = 0.02
GIVE_UP_S = 30.0


def probe(url: str, tenant: str) -> float:
    """Send one span ending now; seconds until the API shows it (raises if it never does)."""
    duration_s = 0.8
    end = time.time()
    call = history.Call(
        start=dt.datetime.fromtimestamp(end - duration_s, dt.UTC),
        duration_s=duration_s,
        service=history.SERVICES[0],
        provider="anthropic",
        model="claude-haiku-4-5",
        feature="chat",
        tenant=tenant,
        user=f"{tenant}-user",
        conversation=f"conv-{tenant}",
        input_tokens=1200,
        output_tokens=300,
        cache_read_tokens=0,
        cache_write_tokens=0,
        reasoning_tokens=0,
        error=None,
        stream=False,
    )
    history.send(iter([call]), url, batch_size=1)
    query = urllib.parse.urlencode({"tenant": tenant})
    while time.time() - end < GIVE_UP_S:
        with urllib.request.urlopen(f"{url}/api/v1/views/top_calls?{query}", timeout=10) as reply:
            if json.load(reply)["rows"]:
                return time.time() - end
        time.sleep(POLL_S)
    raise RuntimeError(f"the call of tenant {tenant} was not visible after {GIVE_UP_S:.0f}s")


def run_probes(url: str, label: str, count: int, rng: random.Random) -> list[float]:
    seconds = []
    for index in range(count):
        time.sleep(rng.uniform(0, 1))  # a random phase against the 1 s spool seal
        seconds.append(probe(url, f"fresh-{label}-{index}"))
    return seconds


def stream_load(url: str, rate: int, stop: multiprocessing.synchronize.Event, sent: Any) -> None:
    """Send demo traffic at ``rate`` spans/s in 10 requests a second until ``stop``."""
    started = time.monotonic()

    def paced() -> Iterator[history.Call]:
        now = dt.datetime.now(dt.UTC)
        count = 0
        while not stop.is_set():
            for call in history.generate(now, days=1, calls_per_day=rate * 600, anomaly_days_ago=0):
                if stop.is_set():
                    return
                ahead = count / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
                count += 1
                yield call

    def progress(spans: int) -> None:
        with sent.get_lock():
            sent.value += spans

    history.send(paced(), url, batch_size=max(1, rate // 10), progress=progress)


def summarize(label: str, seconds: list[float], load_rate: float) -> dict[str, Any]:
    ordered = sorted(seconds)
    p95 = ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]
    median = statistics.median(ordered)
    return {
        "scenario": label,
        "load_spans_per_s": round(load_rate),
        "probes": len(seconds),
        "median_s": round(median, 3),
        "p95_s": round(p95, 3),
        "max_s": round(ordered[-1], 3),
        "min_s": round(ordered[0], 3),
        "target_s": TARGET_S,
        "verdict": "meets" if p95 <= TARGET_S else "MISSES",
    }


def headline_rows(scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The figures for bench/run.py's summary: p95 against the 2 s target, and the median."""
    rows = []
    for scenario in scenarios:
        name = f"span end to cost visible, {scenario['scenario']}"
        rows += [
            {
                "metric": f"{name}, p95",
                "value": scenario["p95_s"],
                "unit": "s",
                "target": f"<= {TARGET_S:.0f}",
                "met": scenario["verdict"] == "meets",
            },
            {
                "metric": f"{name}, median",
                "value": scenario["median_s"],
                "unit": "s",
                "target": None,
                "met": None,
            },
        ]
    return rows


def machine() -> str:
    with open("/proc/cpuinfo") as cpuinfo:
        model = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), ""
        )
    with open("/proc/meminfo") as meminfo:
        mem_kb = int(meminfo.readline().split()[1])
    return (
        f"{os.cpu_count()} CPUs ({model}), {mem_kb / 2**20:.1f} GiB, Python "
        f"{platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )


def render_markdown(rows: list[dict[str, Any]], where: str) -> str:
    lines = [
        f"Span end → cost visible through serve's API ({where}).",
        "",
        "| scenario | load spans/s | probes | median s | p95 s | max s | target (p95) | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['scenario']} | {row['load_spans_per_s']:,} | {row['probes']} | "
            f"{row['median_s']:.2f} | {row['p95_s']:.2f} | {row['max_s']:.2f} | "
            f"≤ {row['target_s']:.0f} s | {row['verdict']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the results as JSON")
    parser.add_argument("--quick", action="store_true", help="10 probes per scenario")
    parser.add_argument("--probes", type=int, default=None, help="probes per scenario (50)")
    parser.add_argument(
        "--load-rate", type=int, default=3000, help="background spans/s (0: idle only)"
    )
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    probes = args.probes or (10 if args.quick else 50)
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="tokentrace-bench-freshness-") as tmp:
        root = Path(tmp)
        rows = []
        with ServeProcess(f"chdb://{root / 'store'}", root / "spool", root / "serve.log") as serve:
            probe(serve.url, "warm-up")  # first query opens the reader, first insert migrates
            rows.append(
                summarize("no other traffic", run_probes(serve.url, "idle", probes, rng), 0)
            )
            if args.load_rate:
                context = multiprocessing.get_context("spawn")
                stop = context.Event()
                sent = context.Value("q", 0)
                loader = context.Process(
                    target=stream_load, args=(serve.url, args.load_rate, stop, sent)
                )
                loader.start()
                try:
                    time.sleep(3)  # let the load reach its steady state
                    start_sent, started = sent.value, time.monotonic()
                    seconds = run_probes(serve.url, "load", probes, rng)
                    rate = (sent.value - start_sent) / (time.monotonic() - started)
                finally:
                    stop.set()
                    loader.join(30)
                    if loader.is_alive():
                        loader.terminate()
                rows.append(summarize(f"under load ({args.load_rate:,}/s asked)", seconds, rate))
        markdown = render_markdown(rows, machine())
    print(markdown)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        document = {"rows": headline_rows(rows), "markdown": markdown, "scenarios": rows}
        args.out.write_text(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
