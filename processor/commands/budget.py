"""``tokentrace budget set|list|delete``: spending limits per scope and period."""

from __future__ import annotations

import argparse
import json
import sys

from clickhouse_connect.driver.client import Client

from tokentrace.processor import budgets, store
from tokentrace.processor.commands.options import add_store_options, connect_store

_SCOPE_HELP = (
    "global (or * or '') or key=value[,key=value…] with keys "
    + ", ".join(budgets.SCOPE_KEYS)
    + ", e.g. team=growth,feature=chat"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("budget", help="set, list and delete budgets")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    set_ = actions.add_parser("set", help="create or replace a budget")
    set_.add_argument("scope", metavar="SCOPE", help=_SCOPE_HELP)
    set_.add_argument("amount", metavar="AMOUNT", help="USD per period, e.g. 500 or 1250.50")
    set_.add_argument("--period", choices=budgets.PERIODS, default="month")
    set_.set_defaults(func=run_set)

    list_ = actions.add_parser("list", help="list budgets")
    list_.add_argument("--format", choices=("text", "json"), default="text")
    list_.set_defaults(func=run_list)

    delete = actions.add_parser("delete", help="delete a budget")
    delete.add_argument("scope", metavar="SCOPE", help=_SCOPE_HELP)
    delete.add_argument("--period", choices=budgets.PERIODS, default="month")
    delete.set_defaults(func=run_delete)

    for action in (set_, list_, delete):
        add_store_options(action)


def run_set(args: argparse.Namespace) -> int:
    try:
        budgets.parse_scope(args.scope)
        budgets.parse_amount(args.amount)
    except ValueError as exc:
        raise SystemExit(f"tokentrace budget: {exc}") from None
    budget = budgets.set_budget(_open(args), args.scope, args.amount, args.period)
    print(
        f"budget set: {_scope(budget.scope)} {budget.amount.normalize():f} USD per {budget.period}"
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    found = budgets.list_budgets(_open(args))
    if args.format == "json":
        document = [
            {
                "scope": b.scope,
                "filters": b.filters,
                "period": b.period,
                "amount": f"{b.amount.normalize():f}",
                "updated_at": b.updated_at.isoformat(),
            }
            for b in found
        ]
        print(json.dumps(document, indent=2))
    elif not found:
        print("no budgets; set one with: tokentrace budget set team=growth 500")
    else:
        width = max(len(_scope(b.scope)) for b in found)
        for b in found:
            print(f"{_scope(b.scope):<{width}}  {b.period:<5}  {b.amount.normalize():f} USD")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    try:
        budgets.parse_scope(args.scope)
    except ValueError as exc:
        raise SystemExit(f"tokentrace budget: {exc}") from None
    try:
        budget = budgets.delete_budget(_open(args), args.scope, args.period)
    except LookupError as exc:
        print(f"tokentrace budget: {exc.args[0]}", file=sys.stderr)
        return 1
    print(f"budget deleted: {_scope(budget.scope)} per {budget.period}")
    return 0


def _open(args: argparse.Namespace) -> Client:
    """The store, migrated first so a budget can be the first thing ever stored."""
    client = connect_store(args)
    store.migrate(client, cluster=args.cluster)
    return client


def _scope(scope: str) -> str:
    return scope or "global"
