"""The ``tokentrace`` command: one sub-command per module in ``commands/``.

Each command module exposes ``register(subparsers)`` which adds its parser and sets
``func`` (called with the parsed namespace, returns the exit code). Modules are imported
only for the command that runs, so ``tokentrace report`` does not pay for gRPC.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

# The public interface: command names are kept exactly; new ones are added, none renamed.
COMMANDS = (
    "serve",
    "migrate",
    "prices",
    "reprice",
    "budget",
    "report",
    "demo",
    "grafana",
    "reconcile",
    "dead-letters",
    "spool",
)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tokentrace", description="LLM cost observability from OpenTelemetry."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        if only is not None and name != only:
            subparsers.add_parser(name, add_help=False)
            continue
        module = importlib.import_module(f"tokentrace.processor.commands.{name.replace('-', '_')}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    wanted = next((a for a in args_list if a in COMMANDS), None)
    try:
        parser = build_parser(only=wanted)
    except ModuleNotFoundError as exc:
        print(
            f"tokentrace: missing dependency {exc.name!r}; "
            "install the processor extra: pip install 'tokentrace[processor]'",
            file=sys.stderr,
        )
        return 2
    args = parser.parse_args(args_list)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # The reader went away (`tokentrace report | head`): stop quietly, exit 1 as rich
        # does on a closed pipe; stdout goes to /dev/null so the last flush is quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
