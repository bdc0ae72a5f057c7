"""Cache and branch misses per phase of an LLM call, under callgrind's simulation: where
tokentrace's extra first-level data-cache misses against one bare span come from (issue 10,
eighth CPU pass).

`instrumentation_instructions.py --sim` counts a whole call. Here callgrind starts with
collection off (`--collect-atstart=no`) and each phase's functions are wrapped, for one block
of calls, in a wrapper that toggles collection on at entry and off at exit (a C extension
built on the spot from valgrind's `callgrind.h`: a client request from Python, without
`ctypes`' argument conversion). The simulated caches run all the time, so a phase meets the
caches as the rest of the call left them. Each (configuration, phase) block dumps its counts;
figures are per call, the median over rounds, less the wrapper's own cost (`noop`: the same
wrapper around a function that does nothing, called once per call).

Phases (inclusive: a phase counts what it calls). tokentrace: `recognition` (`routing.route`),
`start` (`LLMCall.start`, the SDK's span start included), `sdk start_span`, `response headers`
(`send._attach_body`: `on_response`, the tees, httpx's content decoder made early),
`body read` (`feed`, `decoding`, `take_decoded`), `end` (`LLMCall.finish`: the parse, usage,
attributes and the SDK's `Span.end`), `sdk span.end` (the export path: the span processors'
`on_end`), `handover` (`Response.json`'s wrapper); bare span: the SDK's `start_span`,
`set_attributes` and `end`. `all` counts whole calls; `rest` counts whole calls but the
configuration's top phases: the application's and httpx's own code, as the phases left the
caches (against `none`'s `all`: what the phases cost the code around them).

    python bench/instrumentation_phases.py [--calls 100] [--rounds 2] [--scenario NAME]
        [--phase NAME] [--dir DIR]

Needs valgrind (with its headers), a C compiler and Python's headers; about ten minutes per
scenario on an idle core (the simulation runs ~100x slower than the call).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

_MARK = "TOKENTRACE_PHASES_UNDER_CALLGRIND"
_C = """
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <valgrind/callgrind.h>
static PyObject *toggle(PyObject *m, PyObject *u) { CALLGRIND_TOGGLE_COLLECT; Py_RETURN_NONE; }
static PyObject *zero(PyObject *m, PyObject *u) { CALLGRIND_ZERO_STATS; Py_RETURN_NONE; }
static PyObject *dump(PyObject *m, PyObject *label) {
    const char *text = PyUnicode_AsUTF8(label);
    if (text == NULL) return NULL;
    CALLGRIND_DUMP_STATS_AT(text);
    Py_RETURN_NONE;
}
static PyMethodDef methods[] = {{"toggle", toggle, METH_NOARGS, NULL},
    {"zero", zero, METH_NOARGS, NULL}, {"dump", dump, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "tt_callgrind", NULL, -1, methods};
PyMODINIT_FUNC PyInit_tt_callgrind(void) { return PyModule_Create(&module); }
"""
CONFIGS = ("none", "bare span", "tokentrace")
EVENTS = {
    "Ir": ("Ir",),
    "I1": ("I1mr",),
    "D1": ("D1mr", "D1mw"),
    "mispredicts": ("Bcm", "Bim"),
}


def _build(directory: Path) -> None:
    """Builds the toggling extension into `directory` (importable from there)."""
    library = directory / f"tt_callgrind{sysconfig.get_config_var('EXT_SUFFIX')}"
    if library.exists():
        return
    source = directory / "tt_callgrind.c"
    source.write_text(_C)
    include = sysconfig.get_paths()["include"]
    subprocess.run(
        ["cc", "-O2", "-shared", "-fPIC", f"-I{include}", "-o", library, source], check=True
    )


def _toggled(function: Callable[..., Any], toggle: Callable[[], None]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        toggle()
        try:
            return function(*args, **kwargs)
        finally:
            toggle()

    return wrapper


def _noop() -> None:
    """Called once per call: its wrapped form is the wrapper's own cost (`noop`)."""


def _phases() -> tuple[dict[str, Any], dict[str, Any]]:
    """Per configuration, phase name -> the (owner, attribute) pairs it wraps; the `rest`
    entry names the top phases it leaves out."""
    from opentelemetry.sdk import trace as sdk_trace

    from tokentrace.instrumentation import call, instrumentor, send

    here = sys.modules[__name__]
    sdk = {
        "sdk start_span": [(sdk_trace.Tracer, "start_span")],
        "sdk span.end": [(sdk_trace.Span, "end")],
    }
    ours = {
        "recognition": [(send, "route")],
        "start": [(call.LLMCall, "start")],
        **sdk,
        "response headers": [(send, "_attach_body")],
        "body read": [(call.LLMCall, name) for name in ("feed", "decoding", "take_decoded")],
        "end": [(call.LLMCall, "finish")],
        "handover": [(instrumentor, "json_handover")],
        "rest": ("start_call", "response headers", "body read", "end", "handover"),
        "start_call": [(send, "start_call")],
    }
    bare = {
        **sdk,
        "sdk set_attributes": [(sdk_trace.Span, "set_attributes")],
        "rest": ("sdk start_span", "sdk set_attributes", "sdk span.end"),
    }
    for table in (ours, bare):
        table["noop"] = [(here, "_noop")]
    return ours, bare


def _install(pairs: list[tuple[Any, str]], toggle: Callable[[], None]) -> Callable[[], None]:
    """Wraps each attribute; returns what puts them back."""
    undo = []
    for owner, name in pairs:
        own = name in vars(owner)
        original = vars(owner)[name] if own else getattr(owner, name)
        if isinstance(original, classmethod):
            replacement: Any = classmethod(_toggled(original.__func__, toggle))
        else:
            replacement = _toggled(original, toggle)
        setattr(owner, name, replacement)
        undo.append((owner, name, original if own else None))

    def restore() -> None:
        for owner, name, original in reversed(undo):
            if original is None:
                delattr(owner, name)
            else:
                setattr(owner, name, original)

    return restore


def _measure(calls: int, rounds: int, scenarios: list[str], only: list[str] | None) -> None:
    """Runs inside callgrind: one dump per (scenario, configuration, phase, round)."""
    sys.path.insert(0, str(Path(__file__).parent))
    import instrumentation_per_call as bench
    import tt_callgrind  # type: ignore[import-not-found]
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    from tokentrace.instrumentation import LLMInstrumentor

    toggle = tt_callgrind.toggle
    here = sys.modules[__name__]
    ours, bare_phases = _phases()
    trace.set_tracer_provider(TracerProvider())
    provider, bare_provider = bench.providers()
    for scenario in scenarios:
        instrumentor = LLMInstrumentor()
        # `here._noop` is looked up per call: `noop` wraps the module's attribute
        with bench.scenario_calls(
            (provider, bare_provider), bench.SCENARIOS[scenario], then=lambda: here._noop()
        ) as (plain, bare):
            jobs: list[tuple[str, str, list[tuple[Any, str]]]] = [("none", "all", [])]
            for config, table in (("bare span", bare_phases), ("tokentrace", ours)):
                jobs.append((config, "all", []))
                for phase, pairs in table.items():
                    if phase == "rest":
                        pairs = [pair for top in pairs for pair in table[top]]
                    jobs.append((config, phase, pairs))
            jobs = [job for job in jobs if only is None or job[1] in only]
            for index in range(rounds):
                for config, phase, pairs in jobs:
                    restore = _install(pairs, toggle)
                    if config == "tokentrace":
                        instrumentor.instrument(tracer_provider=provider)
                    run = bare if config == "bare span" else plain
                    for _ in range(3):
                        run()
                    tt_callgrind.zero()
                    whole = phase in ("all", "rest")
                    for _ in range(calls):
                        if whole:
                            toggle()
                        run()
                        if whole:
                            toggle()
                    tt_callgrind.dump(f"{scenario}|{config}|{phase}|{index}")
                    if config == "tokentrace":
                        instrumentor.uninstrument()
                    restore()
    provider.shutdown()
    bare_provider.shutdown()


def _totals(directory: Path, calls: int) -> dict[tuple[str, str, str], dict[str, float]]:
    """Median per call of each event, by (scenario, configuration, phase)."""
    counts: dict[tuple[str, str, str], list[dict[str, float]]] = {}
    for path in directory.glob("callgrind.out.*-01"):  # the main thread's
        text = path.read_text(errors="replace")
        trigger = re.search(r"^desc: Trigger: Client Request: (.+)$", text, re.MULTILINE)
        events = re.search(r"^events: (.+)$", text, re.MULTILINE)
        total = re.search(r"^(?:summary|totals): ([\d ]+)$", text, re.MULTILINE)
        if trigger is None or events is None or total is None or "|" not in trigger.group(1):
            continue
        scenario, config, phase, _ = trigger.group(1).split("|")
        found = dict(zip(events.group(1).split(), map(int, total.group(1).split()), strict=False))
        row = {
            label: sum(found.get(e, 0) for e in names) / calls for label, names in EVENTS.items()
        }
        counts.setdefault((scenario, config, phase), []).append(row)
    return {
        key: {label: statistics.median(row[label] for row in rows) for label in EVENTS}
        for key, rows in counts.items()
    }


def markdown(totals: dict[tuple[str, str, str], dict[str, float]]) -> str:
    """Per scenario and configuration, each phase per call, the wrapper's cost taken off."""
    lines = [
        "| scenario | configuration | phase | instructions (k) | I1 misses | D1 misses "
        "| mispredicts |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for scenario, config, phase in sorted(totals):
        row = totals[scenario, config, phase]
        wrapper = totals.get((scenario, config, "noop"))
        if phase == "noop":
            continue
        if wrapper is not None and phase not in ("all", "rest"):
            row = {label: row[label] - wrapper[label] for label in EVENTS}
        lines.append(
            f"| {scenario} | {config} | {phase} | {row['Ir'] / 1e3:.1f} | {row['I1']:.0f} | "
            f"{row['D1']:.0f} | {row['mispredicts']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--scenario", action="append", help="default: every scenario")
    parser.add_argument("--phase", action="append", help="default: every phase ('all', 'rest'…)")
    parser.add_argument("--dir", type=Path, help="where callgrind writes (default: a temp dir)")
    args = parser.parse_args()
    if os.environ.get(_MARK):
        sys.path.insert(0, str(args.dir))
        _measure(args.calls, args.rounds, args.scenario, args.phase)
        return
    sys.path.insert(0, str(Path(__file__).parent))
    from instrumentation_per_call import SCENARIOS

    scenarios = args.scenario or list(SCENARIOS)
    unknown = [name for name in scenarios if name not in SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown scenario {unknown[0]!r}; one of {list(SCENARIOS)}")
    directory = args.dir or Path(tempfile.mkdtemp(prefix="tt-phases-"))
    directory.mkdir(parents=True, exist_ok=True)
    _build(directory)
    command = [
        "valgrind", "--tool=callgrind", "--cache-sim=yes", "--branch-sim=yes",
        "--collect-atstart=no", "--dump-instr=no", "--compress-strings=no",
        "--separate-threads=yes", f"--callgrind-out-file={directory}/callgrind.out.%p",
        sys.executable, __file__, "--calls", str(args.calls), "--rounds", str(args.rounds),
        "--dir", str(directory),
    ]  # fmt: skip
    for name in scenarios:
        command += ["--scenario", name]
    for name in args.phase or []:
        command += ["--phase", name]
    subprocess.run(command, check=True, env={**os.environ, _MARK: "1"}, capture_output=True)
    print(markdown(_totals(directory, args.calls)))


if __name__ == "__main__":
    main()
