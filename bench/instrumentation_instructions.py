"""Instructions per LLM call under callgrind: the uninstrumented call, one bare span with
tokentrace's attributes, and tokentrace, in one process (issue 10's targets, load-independent).

`instrumentation_per_call.py` measures CPU time, which the shared machine's load stretches and
blurs by tens of µs; instruction counts do not move with the load. This script runs the same
calls (`instrumentation_per_call`'s client, bodies and scenarios) under
`valgrind --tool=callgrind`, re-executing itself there, and brackets each loop of calls with
callgrind's client requests (a tiny C library built with the system compiler from valgrind's
`callgrind.h`), so only the loops are counted, and only in the main thread: the span
processor's export thread exports one span per call in the bare and tokentrace configurations
alike, and how many of its wake-ups fall inside a loop varies from run to run by tens of k
instructions per call. Configurations are interleaved round by round;
the figure is the median per call over rounds.

    python bench/instrumentation_instructions.py [--calls 200] [--rounds 3] [--scenario NAME]
        [--sim]

With `--sim`, callgrind also simulates the caches and the branch predictor
(`--cache-sim=yes --branch-sim=yes`), and a second table gives the misses per call (first-level
instruction and data, last-level, mispredicted branches): instructions alone understate code that
misses more per instruction, which is how tokentrace's path ran slower per instruction than the
SDK's span (issue 10, seventh pass). The simulation is about 2x slower.

Needs valgrind (with its headers) and a C compiler; about a minute per scenario.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_MARK = "TOKENTRACE_UNDER_CALLGRIND"
_C = """
#include <valgrind/callgrind.h>
void tt_zero(void) { CALLGRIND_ZERO_STATS; }
void tt_dump(const char *label) { CALLGRIND_DUMP_STATS_AT(label); }
"""


def _library(directory: Path) -> ctypes.CDLL:
    source, library = directory / "cg.c", directory / "cg.so"
    if not library.exists():
        source.write_text(_C)
        subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", library, source], check=True)
    return ctypes.CDLL(str(library))


def _measure(calls: int, rounds: int, scenarios: list[str], directory: Path) -> None:
    """Runs inside callgrind: one dump per (scenario, configuration, round)."""
    sys.path.insert(0, str(Path(__file__).parent))
    import instrumentation_per_call as bench
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    from tokentrace.instrumentation import LLMInstrumentor

    cg = _library(directory)
    trace.set_tracer_provider(TracerProvider())
    provider, bare_provider = bench.providers()
    for scenario in scenarios:
        instrumentor = LLMInstrumentor()
        with bench.scenario_calls((provider, bare_provider), bench.SCENARIOS[scenario]) as (
            plain,
            bare,
        ):
            for _ in range(3):
                plain()
                bare()
            order = ["none", "bare span", "tokentrace"]
            for index in range(rounds):
                for config in order[index % 3 :] + order[: index % 3]:
                    run = bare if config == "bare span" else plain
                    if config == "tokentrace":
                        instrumentor.instrument(tracer_provider=provider)
                    run()
                    cg.tt_zero()
                    for _ in range(calls):
                        run()
                    cg.tt_dump(f"{scenario}|{config}|{index}".encode())
                    if config == "tokentrace":
                        instrumentor.uninstrument()
    provider.shutdown()
    bare_provider.shutdown()


def _totals(directory: Path, calls: int) -> dict[str, dict[str, dict[str, float]]]:
    """Median count per call of each event (`Ir`, and with `--sim` the misses), by scenario
    and configuration, from the dump files."""
    counts: dict[tuple[str, str, str], list[float]] = {}
    for path in directory.glob("callgrind.out.*-01"):  # the main thread's (see the docstring)
        text = path.read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: Client Request: (.+)$", text, re.MULTILINE)
        events = re.search(r"^events: (.+)$", text, re.MULTILINE)
        total = re.search(r"^(?:summary|totals): ([\d ]+)$", text, re.MULTILINE)
        if trigger is None or events is None or total is None or "|" not in trigger.group(1):
            continue
        scenario, config, _ = trigger.group(1).split("|")
        for event, value in zip(events.group(1).split(), total.group(1).split(), strict=False):
            counts.setdefault((scenario, config, event), []).append(int(value) / calls)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for (scenario, config, event), values in counts.items():
        out.setdefault(scenario, {}).setdefault(config, {})[event] = statistics.median(values)
    return out


_MISSES = (
    ("I1 misses", ("I1mr",)),
    ("D1 misses", ("D1mr", "D1mw")),
    ("LL misses", ("ILmr", "DLmr", "DLmw")),
    ("branches mispredicted", ("Bcm", "Bim")),
)


def _print_misses(scenarios: list[str], totals: dict[str, dict[str, dict[str, float]]]) -> None:
    """Per call, added to the uninstrumented call: the bare span's and tokentrace's misses."""
    print()
    print("| scenario | event | none (per call) | + bare span | + tokentrace | ratio |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for scenario in scenarios:
        row = totals[scenario]
        for label, events in _MISSES:
            none, bare, ours = (sum(row[c].get(e, 0.0) for e in events) for c in _CONFIGS)
            ratio = f"{(ours - none) / (bare - none):.2f}" if bare != none else "-"
            print(
                f"| {scenario} | {label} | {none:.0f} | +{bare - none:.0f} | "
                f"+{ours - none:.0f} | {ratio} |"
            )


_CONFIGS = ("none", "bare span", "tokentrace")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scenario", action="append", help="default: every scenario")
    parser.add_argument(
        "--sim", action="store_true", help="simulate caches and branches too (misses per call)"
    )
    parser.add_argument("--dir", type=Path, help="where callgrind writes (default: a temp dir)")
    args = parser.parse_args()
    if os.environ.get(_MARK):
        _measure(args.calls, args.rounds, args.scenario, args.dir)
        return
    sys.path.insert(0, str(Path(__file__).parent))
    from instrumentation_per_call import SCENARIOS

    scenarios = args.scenario or list(SCENARIOS)
    unknown = [name for name in scenarios if name not in SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown scenario {unknown[0]!r}; one of {list(SCENARIOS)}")
    directory = args.dir or Path(tempfile.mkdtemp(prefix="tt-callgrind-"))
    directory.mkdir(parents=True, exist_ok=True)
    _library(directory)
    command = [
        "valgrind", "--tool=callgrind", "--dump-instr=no", "--compress-strings=no",
        "--separate-threads=yes",
        f"--callgrind-out-file={directory}/callgrind.out.%p", sys.executable, __file__,
        "--calls", str(args.calls), "--rounds", str(args.rounds), "--dir", str(directory),
    ]  # fmt: skip
    if args.sim:
        command[2:2] = ["--cache-sim=yes", "--branch-sim=yes"]
    for name in scenarios:
        command += ["--scenario", name]
    subprocess.run(command, check=True, env={**os.environ, _MARK: "1"}, capture_output=True)
    totals = _totals(directory, args.calls)
    print("| scenario | none (k instr/call) | + bare span (k) | + tokentrace (k) | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for scenario in scenarios:
        none, bare, ours = (totals[scenario][config]["Ir"] for config in _CONFIGS)
        print(
            f"| {scenario} | {none / 1e3:.0f} | +{(bare - none) / 1e3:.0f} | "
            f"+{(ours - none) / 1e3:.0f} | {(ours - none) / (bare - none):.2f} |"
        )
    if args.sim:
        _print_misses(scenarios, totals)


if __name__ == "__main__":
    main()
