"""``tokentrace migrate``: apply the versioned schema migrations."""

from __future__ import annotations

import argparse

from tokentrace.processor.commands.options import add_store_options, connect_store
from tokentrace.processor.store import store


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("migrate", help="apply schema migrations to the store")
    add_store_options(parser)
    parser.add_argument(
        "--print-sql",
        action="store_true",
        help="print the DDL (with --cluster: ON CLUSTER, Replicated engines) instead of running it",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.print_sql:
        for migration in store.load_migrations():
            for statement in migration.statements:
                print(store.render(statement, args.cluster) + ";\n")
        return 0
    client = connect_store(
        args, "it applied the migrations when it started: stop it to run migrate again"
    )
    applied = store.migrate(client, cluster=args.cluster)
    print(f"applied migrations: {applied}" if applied else "schema is up to date")
    return 0
