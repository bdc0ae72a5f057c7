"""Added CPU and wall time per LLM call: tokentrace against no instrumentation and its peers.

Configurations: none, tokentrace, the stock httpx instrumentation alone, OpenTelemetry's
openai-v2, OpenLLMetry (traceloop's openai + anthropic) and OpenLIT. The real openai and
anthropic SDKs call the loopback stand-in (gzip on, as real providers), non-streamed and
streamed with 5 and 50 content chunks. Each configuration lives in its own worker process
(`overhead_worker.py`: peers cannot be undone cleanly), run with the peers venv's Python
(`bench/setup_peers.sh`) so that every configuration sees the same packages. Rounds are
interleaved (one round of every configuration, the order rotating), and each configuration's
added cost is the median over rounds of its difference to `none` in the same round, so that
machine noise hits all alike. Per-chunk cost is (added(50 chunks) - added(5 chunks)) / 45.

A second, in-process section replays the stand-in's recorded gzip responses through an httpx2
client with a `MockTransport`: tokentrace's whole path runs (wrapper, routing, request parse,
span, tee, gunzip, SSE/JSON parse) with no network or SDK noise around it. Peers hook the SDKs,
not httpx, so they cannot be measured this way.

    python bench/instrumentation_overhead.py --out bench/results/instrumentation_overhead.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

from tokentrace.instrumentation import LLMInstrumentor
from tokentrace.processor.standins import Standin, start_standin

HERE = Path(__file__).resolve().parent
PEERS_PYTHON = HERE / ".venv-peers" / "bin" / "python"
PIP_CHECK = HERE / ".venv-peers" / "pip-check.txt"
CONFIGS = ("none", "tokentrace", "httpx", "openai-v2", "openllmetry", "openlit")
LLM_PEERS = ("openai-v2", "openllmetry", "openlit")
SDKS = ("openai chat", "anthropic messages")
MESSAGES = [{"role": "user", "content": "How much did this call cost?"}]
TARGET_PLAIN_US = 120.0
TARGET_CHUNK_US = 3.0
TARGET_PEER_FRACTION = 0.25

Samples = dict[str, dict[str, list[tuple[float, float]]]]
"""config -> scenario -> one (CPU s, wall s) per call, per round."""
MODES = ("replay", "loopback")


class Worker:
    """One configuration's process (see `overhead_worker.py` for the protocol)."""

    def __init__(self, python: str, config: str, urls: dict[str, str], warmup: int) -> None:
        self.config = config
        self._process = subprocess.Popen(
            [python, str(HERE / "overhead_worker.py"), config, json.dumps(urls), str(warmup)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def hello(self) -> dict[str, Any]:
        """The worker's first line: its usage verdicts and versions, or why it failed."""
        line = self._process.stdout.readline()
        return json.loads(line) if line else {"error": "worker exited before it was ready"}

    def round(self, calls: int) -> dict[str, dict[str, tuple[float, float]]]:
        self._process.stdin.write(json.dumps({"calls": calls}) + "\n")
        self._process.stdin.flush()
        return json.loads(self._process.stdout.readline())["samples"]

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait(timeout=60)


def run_configs(python: str, calls: int, rounds: int, warmup: int) -> dict[str, Any]:
    """Runs every configuration in its own worker, interleaving rounds; raw samples out."""
    samples: dict[str, Samples] = {mode: {} for mode in MODES}
    report: dict[str, Any] = {"usage": {}, "versions": {}, "errors": {}}
    with start_standin() as standin:
        urls = {
            "openai": standin.base_url("openai"),
            "anthropic": standin.base_url("anthropic"),
            "provider_urls": standin.provider_urls(),
        }
        workers = []
        for config in CONFIGS:  # one at a time: warm-ups stay out of each other's way
            worker = Worker(python, config, urls, warmup)
            hello = worker.hello()
            if "error" in hello:
                report["errors"][config] = hello["error"].strip().splitlines()[-1]
                worker.close()
                continue
            report["usage"][config] = hello["usage"]
            report["versions"][config] = hello["versions"]
            workers.append(worker)
        try:
            for index in range(rounds):
                shift = index % len(workers)
                for worker in workers[shift:] + workers[:shift]:
                    for mode, by_name in worker.round(calls).items():
                        config = samples[mode].setdefault(worker.config, {})
                        for name, sample in by_name.items():
                            config.setdefault(name, []).append(sample)
        finally:
            for worker in workers:
                worker.close()
    report["samples"] = samples
    return report


def added_costs(samples: Samples) -> dict[str, dict[str, dict[str, float]]]:
    """config -> scenario -> medians (µs) of the per-call cost and, per round, the cost added
    over `none`; plus the per-chunk and the streamed fixed cost derived round by round."""
    base = samples["none"]
    results: dict[str, dict[str, dict[str, float]]] = {}
    for config, by_name in samples.items():
        row: dict[str, dict[str, float]] = {}
        added: dict[str, list[tuple[float, float]]] = {}
        for name, values in by_name.items():
            added[name] = [
                (cpu - b_cpu, wall - b_wall)
                for (cpu, wall), (b_cpu, b_wall) in zip(values, base[name], strict=True)
            ]
            row[name] = {
                "cpu_us": _median_us(cpu for cpu, _ in values),
                "wall_us": _median_us(wall for _, wall in values),
                "added_cpu_us": _median_us(cpu for cpu, _ in added[name]),
                "added_wall_us": _median_us(wall for _, wall in added[name]),
            }
        for sdk in SDKS:
            short, long = added[f"{sdk} stream 5"], added[f"{sdk} stream 50"]
            per_chunk = [(b[0] - a[0]) / 45 for a, b in zip(short, long, strict=True)]
            fixed = [a[0] - 5 * chunk for a, chunk in zip(short, per_chunk, strict=True)]
            row[f"{sdk} stream"] = {
                "added_cpu_us_per_chunk": _median_us(per_chunk),
                "added_cpu_us_fixed": _median_us(fixed),
            }
        results[config] = row
    return results


def _median_us(values: Iterator[float] | list[float]) -> float:
    return statistics.median(values) * 1e6


def cheapest_peer(
    costs: dict[str, dict[str, dict[str, float]]], usage: dict[str, dict[str, str]], name: str
) -> tuple[str, float] | None:
    """The LLM peer adding the least CPU to scenario `name`, among those that instrument it."""
    family = name.split(" stream")[0] + (" stream 5" if "stream" in name else "")
    measured = [
        (peer, costs[peer][name]["added_cpu_us"])
        for peer in LLM_PEERS
        if peer in costs and usage.get(peer, {}).get(family, "no span") != "no span"
    ]
    return min(measured, key=lambda item: item[1]) if measured else None


def rows(by_mode: dict[str, Any], usage: dict[str, Any], in_process: dict[str, Any]) -> list[dict]:
    """The headline figures (the run.py contract): targets are judged on the replayed SDK calls,
    the least noisy measure of what an application pays; loopback figures are listed too."""
    out: list[dict[str, Any]] = []
    costs = by_mode.get("replay", {})
    if "tokentrace" not in costs:
        return out
    tokentrace = costs["tokentrace"]
    for sdk in SDKS:
        value = tokentrace[sdk]["added_cpu_us"]
        out.append(_row(f"tokentrace added CPU, {sdk}", value, "µs/call", "<=", TARGET_PLAIN_US))
        chunk = tokentrace[f"{sdk} stream"]["added_cpu_us_per_chunk"]
        out.append(_row(f"tokentrace added CPU, {sdk} stream", chunk, "µs/chunk", "<=", 3.0))
        replay = in_process[f"{sdk} stream"]["added_cpu_us_per_chunk"]
        out.append(
            _row(f"tokentrace added CPU, {sdk} stream (in-process)", replay, "µs/chunk", "<=", 3.0)
        )
        for name in (sdk, f"{sdk} stream 5", f"{sdk} stream 50"):
            peer = cheapest_peer(costs, usage, name)
            if peer is not None and peer[1] > 0:
                ratio = tokentrace[name]["added_cpu_us"] / peer[1]
                metric = f"tokentrace / cheapest LLM peer ({peer[0]}) added CPU, {name}"
                out.append(_row(metric, ratio, "ratio", "<", TARGET_PEER_FRACTION))
        streamed = [
            (peer, costs[peer][f"{sdk} stream"]["added_cpu_us_per_chunk"])
            for peer in LLM_PEERS
            if peer in costs and usage.get(peer, {}).get(f"{sdk} stream 5", "no span") != "no span"
        ]
        if streamed:
            peer, per_chunk = min(streamed, key=lambda item: item[1])
            if per_chunk > 0:
                metric = f"tokentrace / cheapest LLM peer ({peer}) added CPU per chunk, {sdk}"
                out.append(_row(metric, chunk / per_chunk, "ratio", "<", TARGET_PEER_FRACTION))
    for mode, mode_costs in by_mode.items():
        for config, row in mode_costs.items():
            for name, values in row.items():
                if "added_cpu_us" not in values or config == "none":
                    continue
                out.append(
                    {
                        "metric": f"{config} added CPU, {name} ({mode})",
                        "value": round(values["added_cpu_us"], 1),
                        "unit": "µs/call",
                        "target": None,
                        "met": None,
                    }
                )
    return out


def _row(metric: str, value: float, unit: str, op: str, target: float) -> dict[str, Any]:
    met = value <= target if op == "<=" else value < target
    return {
        "metric": metric,
        "value": round(value, 3 if unit == "ratio" else 1),
        "unit": unit,
        "target": f"{op} {target:g}",
        "met": met,
    }


def cost_table(costs: dict[str, Any], key: str, unit: str) -> str:
    configs = [c for c in CONFIGS if c in costs and c != "none"]
    lines = [
        f"| scenario | none ({unit}/call) | " + " | ".join(f"+ {c}" for c in configs) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in configs) + " |",
    ]
    for name, base in costs["none"].items():
        if key not in base:
            continue
        cells = " | ".join(f"{costs[c][name][f'added_{key}']:+.0f}" for c in configs)
        lines.append(f"| {name} | {base[key]:.0f} | {cells} |")
    if key == "cpu_us":
        for sdk in SDKS:
            for label, field in (("per chunk", "per_chunk"), ("streamed, fixed", "fixed")):
                stream = f"{sdk} stream"
                cells = " | ".join(
                    f"{costs[c][stream][f'added_cpu_us_{field}']:+.1f}" for c in configs
                )
                lines.append(f"| {sdk}, {label} | | {cells} |")
    return "\n".join(lines)


def usage_table(usage: dict[str, dict[str, str]], errors: dict[str, str]) -> str:
    configs = [c for c in CONFIGS if c in usage]
    names = list(next(iter(usage.values()))) if usage else []
    lines = [
        "| call | " + " | ".join(configs) + " |",
        "| --- | " + " | ".join("---" for _ in configs) + " |",
    ]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(usage[c][name] for c in configs) + " |")
    for config, error in errors.items():
        lines.append(f"\n{config}: could not run: `{error}`")
    return "\n".join(lines)


def versions_table(versions: dict[str, dict[str, str]], pip_check: list[str]) -> str:
    lines = ["| configuration | packages |", "| --- | --- |"]
    for config, found in versions.items():
        packages = ", ".join(f"{name} {value}" for name, value in found.items())
        lines.append(f"| {config} | {packages} |")
    if pip_check:
        lines.append("\n`pip check` in the peers venv:\n")
        lines.extend(f"- {line}" for line in pip_check)
    return "\n".join(lines)


# In-process replay (tokentrace alone) ---------------------------------------------------------


class DropSpans(SpanProcessor):
    """Ends every span in the void: the cost measured is creating and filling spans."""


def recorded_responses(standin: Standin) -> dict[str, tuple[httpx2.Request, list[bytes], dict]]:
    """Name -> (request, raw gzip response chunks as the client read them, headers)."""
    url = standin.base_url("openai") + "/chat/completions"
    anthropic_url = standin.base_url("anthropic") + "/v1/messages"
    openai_body = {"model": "gpt-4o-mini", "messages": MESSAGES}
    anthropic_body = {"model": "claude-sonnet-4-6", "max_tokens": 100, "messages": MESSAGES}
    bodies = {
        "openai chat": (url, openai_body, 0),
        "anthropic messages": (anthropic_url, anthropic_body, 0),
    }
    for chunks in (5, 50):
        streamed = {**openai_body, "stream": True, "stream_options": {"include_usage": True}}
        bodies[f"openai chat stream {chunks}"] = (url, streamed, chunks)
        streamed = {**anthropic_body, "stream": True}
        bodies[f"anthropic messages stream {chunks}"] = (anthropic_url, streamed, chunks)
    recorded = {}
    with httpx2.Client() as client:
        for name, (target, body, chunks) in bodies.items():
            headers = {"x-standin-chunks": str(chunks or 8)}
            request = client.build_request("POST", target, json=body, headers=headers)
            response = client.send(request, stream=True)
            recorded[name] = (request, list(response.iter_raw()), dict(response.headers))
            response.close()
    return recorded


class _Replay(httpx2.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._chunks)


def _replayer(request: httpx2.Request, raw: list[bytes], headers: dict) -> Callable[[], None]:
    client = httpx2.Client(
        transport=httpx2.MockTransport(
            lambda _: httpx2.Response(200, headers=headers, stream=_Replay(raw))
        )
    )

    def call() -> None:
        response = client.send(request, stream=True)
        for _ in response.iter_raw():
            pass
        response.close()

    return call


def run_in_process(calls: int, rounds: int) -> dict[str, dict[str, float]]:
    """Scenario -> median CPU µs per call without and with tokentrace, and what it adds."""
    provider = TracerProvider()
    provider.add_span_processor(DropSpans())
    with start_standin() as standin:
        recorded = recorded_responses(standin)
        provider_urls = standin.provider_urls()
    replays = {name: _replayer(*parts) for name, parts in recorded.items()}
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in replays}
    for _ in range(rounds):
        for config in ("none", "tokentrace"):
            instrumentor = LLMInstrumentor()
            if config == "tokentrace":
                instrumentor.instrument(tracer_provider=provider, provider_urls=provider_urls)
            try:
                for name, call in replays.items():
                    for _ in range(calls // 10):
                        call()
                    start = time.thread_time()
                    for _ in range(calls):
                        call()
                    cpu = (time.thread_time() - start) / calls
                    samples[name].setdefault(config, []).append(cpu)
            finally:
                if config == "tokentrace":
                    instrumentor.uninstrument()
    results: dict[str, dict[str, float]] = {}
    for name, by_config in samples.items():
        added = [t - n for t, n in zip(by_config["tokentrace"], by_config["none"], strict=True)]
        results[name] = {
            "cpu_us": _median_us(by_config["none"]),
            "added_cpu_us": _median_us(added),
        }
    for sdk in SDKS:
        short, long = results[f"{sdk} stream 5"], results[f"{sdk} stream 50"]
        per_chunk = (long["added_cpu_us"] - short["added_cpu_us"]) / 45
        results[f"{sdk} stream"] = {
            "added_cpu_us_per_chunk": per_chunk,
            "added_cpu_us_fixed": short["added_cpu_us"] - 5 * per_chunk,
        }
    return results


def in_process_table(results: dict[str, dict[str, float]]) -> str:
    lines = [
        "| scenario (in-process replay) | CPU/call none (µs) | + tokentrace CPU (µs) |",
        "| --- | ---: | ---: |",
    ]
    for name, row in results.items():
        if "added_cpu_us" in row:
            lines.append(f"| {name} | {row['cpu_us']:.1f} | {row['added_cpu_us']:+.1f} |")
        else:
            lines.append(
                f"| {name}: per chunk / fixed | | {row['added_cpu_us_per_chunk']:+.2f} / "
                f"{row['added_cpu_us_fixed']:+.1f} |"
            )
    return "\n".join(lines)


def markdown(report: dict[str, Any], by_mode: dict[str, Any], in_process: dict[str, Any]) -> str:
    settings = report["settings"]
    parts = [
        f"Interleaved rounds: {settings['rounds']} × {settings['calls']} calls per scenario per "
        f"configuration, each configuration in its own process (Python: `{settings['python']}`)."
        " Medians over rounds of the difference to `none` in the same round.",
    ]
    if "none" in by_mode.get("replay", {}):
        parts += [
            "**Added CPU per call (µs), SDK calls replayed** (real SDK and httpx2 client stack, "
            "the recorded stand-in response replayed under the transport: no socket):",
            cost_table(by_mode["replay"], "cpu_us", "µs"),
            "**Added CPU per call (µs), SDK calls over loopback** to the stand-in:",
            cost_table(by_mode["loopback"], "cpu_us", "µs"),
            "**Added wall time per call (µs), over loopback** (noisiest: the stand-in shares the "
            "cores):",
            cost_table(by_mode["loopback"], "wall_us", "µs"),
        ]
    parts += [
        "**Usage recorded** (the stand-in reports input=1234, output=567; a stream without "
        "`stream_options.include_usage` gets no usage from OpenAI):",
        usage_table(report["usage"], report["errors"]),
        "**tokentrace in process** (recorded gzip responses replayed through httpx2, "
        f"{settings['in_process_calls']} calls × {settings['rounds']} rounds):",
        in_process_table(in_process),
        "**Versions**:",
        versions_table(report["versions"], report["pip_check"]),
    ]
    return "\n\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--quick", action="store_true", help="fewer calls and rounds (smoke run)")
    parser.add_argument("--calls", type=int, help="calls per scenario per round (default 30)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 30)")
    parser.add_argument(
        "--python",
        default=str(PEERS_PYTHON) if PEERS_PYTHON.exists() else sys.executable,
        help="interpreter of the workers (default: bench/.venv-peers, else this one)",
    )
    args = parser.parse_args()
    calls = args.calls or (10 if args.quick else 30)
    rounds = args.rounds or (3 if args.quick else 30)
    report = run_configs(args.python, calls, rounds, warmup=5 if args.quick else 20)
    report["settings"] = {
        "calls": calls,
        "rounds": rounds,
        "in_process_calls": calls * 10,
        "python": args.python,
    }
    report["pip_check"] = (
        [line for line in PIP_CHECK.read_text().splitlines() if "has requirement" in line]
        if PIP_CHECK.exists() and args.python == str(PEERS_PYTHON)
        else []
    )
    samples = report.pop("samples")
    costs = (
        {mode: added_costs(samples[mode]) for mode in MODES} if "none" in report["usage"] else {}
    )
    in_process = run_in_process(calls * 10, rounds)
    text = markdown(report, costs, in_process)
    print(text)
    if args.out:
        document = {
            "rows": rows(costs, report["usage"], in_process),
            "markdown": text,
            **report,
            "sdk_calls": costs,
            "in_process": in_process,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
