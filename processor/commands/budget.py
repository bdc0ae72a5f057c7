"""``tokentrace budget set|list|delete``: spending limits per scope and period."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from decimal import Decimal
from typing import Any

from clickhouse_connect.driver.client import Client

from tokentrace.processor.api import client as serve_client
from tokentrace.processor.api.budgets_api import budget_json
from tokentrace.processor.commands.options import (
    StoreHeld,
    add_api_option,
    add_store_options,
    connect_or_defer,
    held_message,
)
from tokentrace.processor.store import budgets, store

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
    set_.add_argument(
        "--enforce",
        action="store_true",
        help="block calls under this scope once it is spent (instrumentation with "
        "TOKENTRACE_BUDGET_GUARD)",
    )
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
        add_api_option(action, "go through")


def run_set(args: argparse.Namespace) -> int:
    try:
        budgets.parse_scope(args.scope)
        budgets.parse_amount(args.amount)
    except ValueError as exc:
        raise SystemExit(f"tokentrace budget: {exc}") from None
    budget, note = _open(args).set(args.scope, args.amount, args.period, args.enforce)
    if note:
        print(note, file=sys.stderr)
    enforced = ", enforced" if budget.enforce else ""
    print(
        f"budget set: {_scope(budget.scope)} {budget.amount.normalize():f} USD per "
        f"{budget.period}{enforced}"
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    found = _open(args).list()
    if args.format == "json":
        print(json.dumps([budget_json(b) for b in found], indent=2))
    elif not found:
        print("no budgets; set one with: tokentrace budget set team=growth 500")
    else:
        width = max(len(_scope(b.scope)) for b in found)
        for b in found:
            enforced = "  enforced" if b.enforce else ""
            print(
                f"{_scope(b.scope):<{width}}  {b.period:<5}  {b.amount.normalize():f} USD{enforced}"
            )
    return 0


def run_delete(args: argparse.Namespace) -> int:
    try:
        budgets.parse_scope(args.scope)
    except ValueError as exc:
        raise SystemExit(f"tokentrace budget: {exc}") from None
    try:
        budget = _open(args).delete(args.scope, args.period)
    except LookupError as exc:
        print(f"tokentrace budget: {exc.args[0]}", file=sys.stderr)
        return 1
    print(f"budget deleted: {_scope(budget.scope)} per {budget.period}")
    return 0


class _Store:
    """Budgets kept straight in the store."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def set(
        self, scope: str, amount: str, period: str, enforce: bool
    ) -> tuple[budgets.Budget, str | None]:
        """The budget and a note on scope values no call has yet (a likely typo)."""
        budget = budgets.set_budget(self._client, scope, amount, period, enforce)
        unseen = budgets.unseen_values(self._client, budget.filters)
        return budget, budgets.unseen_note(budget.filters, unseen)

    def list(self) -> list[budgets.Budget]:
        return budgets.list_budgets(self._client)

    def delete(self, scope: str, period: str) -> budgets.Budget:
        return budgets.delete_budget(self._client, scope, period)


class _Api:
    """Budgets through a running ``tokentrace serve`` that holds the embedded store."""

    def __init__(self, base_url: str, held: StoreHeld | None = None) -> None:
        self._base_url = base_url
        self._held = held

    def _send(self, method: str, query: dict[str, str] | None = None, body: Any = None) -> Any:
        try:
            return serve_client.call(
                self._base_url,
                "/api/v1/budgets",
                method=method,
                query=tuple((query or {}).items()),
                body=body,
                timeout=30,
            )
        except serve_client.ServeError as exc:
            if exc.status == 404:
                raise LookupError(exc.message) from None
            raise SystemExit(f"tokentrace budget: {exc}") from None
        except serve_client.ServeUnreachable:
            if self._held is None:
                raise SystemExit(
                    f"tokentrace budget: no tokentrace serve answers at {self._base_url}: "
                    "check --api, or start tokentrace serve"
                ) from None
            fix = (
                f"no tokentrace serve answers at {self._base_url}: pass --api URL of the "
                "serve that holds it"
            )
            raise SystemExit(f"tokentrace budget: {held_message(self._held, fix)}") from None

    def set(
        self, scope: str, amount: str, period: str, enforce: bool
    ) -> tuple[budgets.Budget, str | None]:
        body = {"scope": scope, "amount": amount, "period": period, "enforce": enforce}
        answer = self._send("PUT", body=body)
        return _budget(answer), answer.get("note")

    def list(self) -> list[budgets.Budget]:
        return [_budget(b) for b in self._send("GET")["budgets"]]

    def delete(self, scope: str, period: str) -> budgets.Budget:
        return _budget(self._send("DELETE", query={"scope": scope, "period": period}))


def _budget(data: dict[str, Any]) -> budgets.Budget:
    return budgets.Budget(
        scope=data["scope"],
        filters=data["filters"],
        period=data["period"],
        amount=Decimal(data["amount"]),
        updated_at=datetime.fromisoformat(data["updated_at"]),
        enforce=bool(data.get("enforce", False)),
    )


def _open(args: argparse.Namespace) -> _Store | _Api:
    """The store, migrated first so a budget can be the first thing ever stored; or,
    when a running serve holds the embedded store (or with --api), serve's budgets API."""
    if args.api:
        return _Api(args.api)
    try:
        client = connect_or_defer(args)
    except StoreHeld as held:
        return _Api(held.api, held)
    store.migrate(client, cluster=args.cluster)
    return _Store(client)


def _scope(scope: str) -> str:
    return scope or "global"
