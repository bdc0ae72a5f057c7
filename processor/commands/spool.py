"""``tokentrace spool discard FILE``: give up a spool segment serve cannot read.

A segment left by the last run that cannot be read (its permissions, a disk error) holds spans
that were acknowledged, whose resends serve could not tell apart: serve refuses exports (503,
``/readyz`` naming the file) until it can be read. When it never will be, this moves it into
the spool's ``discarded/`` folder (the bytes are kept, in case they can be read elsewhere), and
serve takes exports again within a second. A segment that can be read is not discarded: serve
replays it, and its spans are stored once.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DISCARDED = "discarded"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "spool",
        help="give up a spool segment serve cannot read",
        description="serve answers 503 while a spool segment left by its last run cannot be "
        "read, so that a resend of its spans is not stored twice. If it never will be, "
        "'discard' moves it into the spool's discarded/ folder: its spans are given up, and "
        "serve takes exports again within a second.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    discard = actions.add_parser("discard", help="move an unreadable segment out of the spool")
    discard.add_argument("file", type=Path, metavar="FILE", help="the segment /readyz names")
    discard.set_defaults(func=run_discard)


def run_discard(args: argparse.Namespace) -> int:
    path: Path = args.file
    if path.suffix != ".wal" or not (path.exists() or path.is_symlink()):
        raise SystemExit(f"tokentrace spool: {path} is not a spool segment (a .wal file)")
    try:
        path.read_bytes()
    except OSError as exc:
        why = str(exc)
    else:
        raise SystemExit(
            f"tokentrace spool: {path} can be read, so serve stores its spans (once): "
            "nothing to discard"
        )
    target = path.parent / DISCARDED / path.name
    try:
        target.parent.mkdir(mode=0o700, exist_ok=True)
        path.replace(target)
    except OSError as exc:
        raise SystemExit(f"tokentrace spool: cannot move {path} to {target}: {exc}") from None
    print(
        f"tokentrace spool: moved {path} to {target} ({why}); its spans are given up, and "
        "serve takes exports again within a second"
    )
    return 0
