"""Runs every benchmark and writes one Markdown report and one JSON file, with the machine.

    python bench/run.py [--quick] [--out bench/results] [--only NAME ...] [--no-peers]

Each benchmark is a module `bench/<name>.py`, run as a subprocess
`python bench/<name>.py --out <out>/<name>.json [--quick]` (one at a time: they would skew each
other on a small machine). It writes JSON with a `rows` list (the headline figures, each a
`metric`, `value`, `unit`, `target`, `met`) and a `markdown` string (its own tables); see
bench/README.md. A module that is not there yet is skipped with a note; one that fails is
reported with the end of its stderr, and the others still run.

The instrumentation benchmark measures peer instrumentations too, from the separate venv
`bench/.venv-peers` (peers are never runtime dependencies): created here with
`bench/setup_peers.sh` when missing, unless `--no-peers`.

Output: `<out>/results.md` and `<out>/results.json` (machine, date, git commit, every
module's rows and Markdown), next to each module's own `<name>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCHMARKS = {
    "instrumentation_overhead": "Instrumentation overhead (tokentrace vs peers)",
    "instrumentation_per_call": "Instrumentation: added CPU per call vs one bare span",
    "instrumentation_cpu_pairs": "Instrumentation: added CPU per call vs one bare span, "
    "interleaved blocks",
    "pricing": "Pricing throughput",
    "ingest": "Ingest throughput",
    "queries": "Query latency",
    "clickhouse_http": "ClickHouse HTTP interface latency (vs chDB directly)",
    "freshness": "Freshness (call to dashboard)",
    "connections": "Connection hygiene",
    "cardinality": "Cardinality (top-N breakdowns)",
}
PACKAGES = (
    "tokentrace",
    "openai",
    "anthropic",
    "httpx",
    "httpx2",
    "opentelemetry-sdk",
    "opentelemetry-instrumentation",
    "chdb",
    "clickhouse-connect",
    "genai-prices",
)
PEERS_PYTHON = HERE / ".venv-peers" / "bin" / "python"
STDERR_TAIL = 2000


def machine() -> dict[str, Any]:
    """What the figures were measured on: they mean little without it."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": {name: _version(name) for name in PACKAGES},
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _git_commit() -> str | None:
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+changes" if dirty else "")


def ensure_peers(allowed: bool) -> str | None:
    """Creates the peers venv when missing; None when ready, else why it is not."""
    if PEERS_PYTHON.exists():
        return None
    if not allowed:
        return "no peers venv (--no-peers): peers not measured"
    setup = subprocess.run(["bash", str(HERE / "setup_peers.sh"), sys.executable])
    if setup.returncode != 0 or not PEERS_PYTHON.exists():
        return "bench/setup_peers.sh failed: peers not measured"
    return None


def run_one(name: str, out: Path, quick: bool) -> dict[str, Any]:
    """Runs `bench/<name>.py` and returns its document, or a note saying why there is none."""
    script = HERE / f"{name}.py"
    if not script.exists():
        return {"status": "skipped", "note": f"bench/{name}.py does not exist yet"}
    target = out / f"{name}.json"
    target.unlink(missing_ok=True)
    command = [sys.executable, str(script), "--out", str(target)] + (["--quick"] if quick else [])
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = round(time.perf_counter() - started, 1)
    if finished.returncode != 0:
        return {
            "status": "failed",
            "seconds": seconds,
            "note": f"exit code {finished.returncode}",
            "stderr": finished.stderr[-STDERR_TAIL:],
        }
    try:
        document = json.loads(target.read_text())
    except (OSError, ValueError) as error:
        return {"status": "failed", "seconds": seconds, "note": f"no JSON at {target}: {error}"}
    missing = [key for key in ("rows", "markdown") if key not in document]
    return {
        "status": "ok" if not missing else "incomplete",
        "seconds": seconds,
        "note": f"its JSON lacks {', '.join(missing)}" if missing else "",
        "rows": document.get("rows", []),
        "markdown": document.get("markdown", ""),
    }


def report_markdown(report: dict[str, Any]) -> str:
    host = report["machine"]
    packages = ", ".join(f"{name} {value}" for name, value in host["packages"].items())
    lines = [
        "# tokentrace benchmarks",
        "",
        f"Run {report['date']} ({'quick' if report['quick'] else 'full'}), commit "
        f"`{report['commit']}`.",
        "",
        f"Machine: {host['cpu']}, {host['cores']} cores, {host['memory_gib']} GiB, "
        f"{host['os']}, {host['python']}; load average at start {host['load_average_at_start']}.",
        f"Packages: {packages}.",
        "",
        "## Targets",
        "",
        "| benchmark | metric | value | target | met |",
        "| --- | --- | ---: | --- | --- |",
    ]
    for name, result in report["benchmarks"].items():
        for row in result.get("rows", []):
            if row.get("target"):
                met = {True: "yes", False: "**no**"}.get(row.get("met"), "")
                lines.append(
                    f"| {name} | {row['metric']} | {row['value']} {row.get('unit', '')} "
                    f"| {row['target']} | {met} |"
                )
    for name, result in report["benchmarks"].items():
        lines += ["", f"## {BENCHMARKS[name]} (`bench/{name}.py`)", ""]
        if result["status"] != "ok" or result.get("note"):
            lines.append(f"*{result['status']}*: {result['note']}")
            if result.get("stderr"):
                lines += ["", "```", result["stderr"].strip(), "```"]
            lines.append("")
        if result.get("markdown"):
            lines.append(result["markdown"])
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs: a smoke test")
    parser.add_argument("--out", type=Path, default=HERE / "results", help="output directory")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument("--no-peers", action="store_true", help="do not create the peers venv")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "commit": _git_commit(),
        "machine": machine(),
        "benchmarks": {},
    }
    peers_note = ensure_peers(allowed=not args.no_peers)
    for name in args.only or BENCHMARKS:
        print(f"bench/{name}.py ...", flush=True)
        result = run_one(name, args.out, args.quick)
        if name == "instrumentation_overhead" and peers_note:
            result["note"] = " ".join(filter(None, [result.get("note"), peers_note]))
        report["benchmarks"][name] = result
        print(f"  {result['status']} {result.get('seconds', '')} {result.get('note', '')}")
    (args.out / "results.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (args.out / "results.md").write_text(report_markdown(report))
    print(f"wrote {args.out / 'results.md'} and {args.out / 'results.json'}")
    return 1 if any(r["status"] == "failed" for r in report["benchmarks"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
