"""``tokentrace dead-letters list|replay``: the rows ClickHouse refused, and why."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tokentrace.processor.api import client as serve_client
from tokentrace.processor.api.dead_letters_api import letter_json, replayed_json
from tokentrace.processor.commands.options import (
    StoreHeld,
    add_api_option,
    add_store_options,
    connect_or_defer,
    store_url,
)
from tokentrace.processor.store import dead_letters, store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "dead-letters",
        help="list and replay rows ClickHouse refused",
        description="Rows ClickHouse can never take (a value it cannot parse or hold) are "
        "kept in the dead_letters table with the reason, after the sink bisected their batch "
        "so that every other row was stored. List them, and replay them once the cause is "
        "fixed; a replayed row is stored once, however often it is replayed.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    list_ = actions.add_parser("list", help="list dead letters, oldest first")
    list_.add_argument("--all", action="store_true", help="include rows already replayed")
    list_.add_argument("--limit", type=int, default=1000, help="at most this many (1000)")
    list_.add_argument("--format", choices=("text", "json"), default="text")
    list_.set_defaults(func=run_list)
    replay = actions.add_parser("replay", help="insert dead letters into llm_calls again")
    replay.add_argument("ids", nargs="*", metavar="ID", help="dead-letter ids (default: all)")
    replay.add_argument("--format", choices=("text", "json"), default="text")
    replay.set_defaults(func=run_replay)
    for action in (list_, replay):
        add_store_options(action)
        add_api_option(action, "go through")


def run_list(args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= 100_000:
        raise SystemExit("tokentrace dead-letters: --limit is 1 to 100000")
    query = {"limit": str(args.limit), "all": "1" if args.all else "0"}
    found = _open(args, "GET", "/api/v1/dead-letters", query=query, body=None)
    letters = found["dead_letters"]
    if args.format == "json":
        print(json.dumps(letters, indent=2))
    elif not letters:
        print("no dead letters: every acknowledged span was stored")
    else:
        for letter in letters:
            state = "replayed" if letter["replayed"] else "pending"
            print(f"{letter['id']}  {letter['failed_at']}  {state}  {letter['reason']}")
    return 0


def run_replay(args: argparse.Namespace) -> int:
    body = {"ids": args.ids} if args.ids else {}
    result = _open(args, "POST", "/api/v1/dead-letters/replay", query={}, body=body)
    unknown = _unknown(args, result) if args.ids else []
    if args.format == "json":
        print(json.dumps(result, indent=2))
    else:
        print(f"replayed {len(result['stored'])} row(s) into llm_calls")
        for failed in result["failed"]:
            print(f"still refused: {failed['id']}: {failed['reason']}")
    for id_ in unknown:
        print(
            f"tokentrace dead-letters: no dead letter {id_}: "
            "`tokentrace dead-letters list --all` shows their ids",
            file=sys.stderr,
        )
    return 1 if result["failed"] or unknown else 0


def _unknown(args: argparse.Namespace, result: dict[str, Any]) -> list[str]:
    """The ids asked for that no dead letter has (a typo replayed "0 rows" and exit 0); one
    replayed before is known, and stored once already. The answer's ``unknown``, or, from a
    serve older than that field, the ids that its list of every dead letter lacks."""
    if "unknown" in result:
        return list(result["unknown"])
    answered = {*result["stored"], *(failed["id"] for failed in result["failed"])}
    asked = [id_ for id_ in args.ids if id_ not in answered]
    if not asked:
        return []
    query = {"limit": "100000", "all": "1"}
    known = {
        letter["id"]
        for letter in _open(args, "GET", "/api/v1/dead-letters", query=query, body=None)[
            "dead_letters"
        ]
    }
    return [id_ for id_ in asked if id_ not in known]


def _open(
    args: argparse.Namespace, method: str, path: str, *, query: dict[str, str], body: Any
) -> Any:
    """Straight from the store, or through a running serve that holds it (or ``--api``)."""
    if not args.api:
        try:
            client = connect_or_defer(args)
        except StoreHeld as held:
            args.api = held.api
        else:
            store.migrate(client, cluster=args.cluster)
            if method == "GET":
                found = dead_letters.pending(
                    client, include_replayed=query["all"] == "1", limit=int(query["limit"])
                )
                return {"dead_letters": [letter_json(letter) for letter in found]}
            alone = store.StoreURL.parse(store_url(args)).embedded  # no serve holds it
            return replayed_json(dead_letters.replay(client, body.get("ids"), alone=alone))
    try:
        return serve_client.call(
            args.api, path, method=method, query=tuple(query.items()), body=body, timeout=300
        )
    except (serve_client.ServeError, serve_client.ServeUnreachable) as exc:
        raise SystemExit(f"tokentrace dead-letters: {exc}") from None
