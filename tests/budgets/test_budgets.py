"""Budgets on real chDB: canonical scopes, replace/delete semantics, the CLI, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tokentrace.processor.cli import main
from tokentrace.processor.store import budgets


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("team=growth", "team=growth"),
        (" team = growth , feature=chat ", "feature=chat,team=growth"),
        ("tenant=acme,model=gpt-4o,provider=openai", "model=gpt-4o,provider=openai,tenant=acme"),
        ("global", ""),
        ("*", ""),
        ("", ""),
    ],
)
def test_scopes_are_canonical(text: str, canonical: str) -> None:
    assert budgets.canonical_scope(budgets.parse_scope(text)) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("user=bob", "unknown scope key 'user'"),
        ("team", "expected key=value"),
        ("team=", "expected key=value"),
        ("team=a,team=b", "given twice"),
        ("team=a=b", "'=' is not allowed"),
        ("team=a,,feature=b", "expected key=value"),
    ],
)
def test_bad_scopes_are_rejected(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        budgets.parse_scope(text)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "positive"),
        ("-5", "positive"),
        ("ten", "expected a number"),
        ("NaN", "positive"),
        ("1.00001", "at most 4 decimal places"),
        ("1e15", "must be below"),
    ],
)
def test_bad_amounts_and_periods_are_rejected(amount: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        budgets.parse_amount(amount)
    with pytest.raises(ValueError, match="allowed: day, week, month"):
        budgets.check_period("year")


def test_set_replace_list_and_delete(store_client) -> None:
    budgets.set_budget(store_client, "team=growth,feature=chat", "500")
    budgets.set_budget(store_client, "feature=chat, team=growth", Decimal("650.5"))  # replaces
    budgets.set_budget(store_client, "global", 10_000, period="day")
    budgets.set_budget(store_client, "team=growth,feature=chat", "100", period="week")
    found = [(b.scope, b.filters, b.period, b.amount) for b in budgets.list_budgets(store_client)]
    assert found == [
        ("", {}, "day", Decimal("10000")),
        (
            "feature=chat,team=growth",
            {"feature": "chat", "team": "growth"},
            "month",
            Decimal("650.5"),
        ),
        ("feature=chat,team=growth", {"feature": "chat", "team": "growth"}, "week", Decimal("100")),
    ]
    deleted = budgets.delete_budget(store_client, "team=growth,feature=chat")
    assert (deleted.period, deleted.amount) == ("month", Decimal("650.5"))
    assert [(b.scope, b.period) for b in budgets.list_budgets(store_client)] == [
        ("", "day"),
        ("feature=chat,team=growth", "week"),
    ]
    with pytest.raises(LookupError, match="no monthly budget for scope 'feature=chat,team=growth'"):
        budgets.delete_budget(store_client, "team=growth,feature=chat")
    # Set again after a delete (same millisecond or not): the newest row wins.
    budgets.set_budget(store_client, "team=growth,feature=chat", "1")
    latest = {(b.scope, b.period): b.amount for b in budgets.list_budgets(store_client)}
    assert latest[("feature=chat,team=growth", "month")] == Decimal("1")


def test_rapid_set_delete_set_keeps_the_last_action(store_client) -> None:
    for amount in range(1, 6):
        budgets.set_budget(store_client, "team=a", amount)
        budgets.delete_budget(store_client, "team=a")
    assert budgets.list_budgets(store_client) == []
    store_client.command("OPTIMIZE TABLE budgets FINAL")
    assert budgets.list_budgets(store_client) == []


def test_budget_command(store_client, chdb_url, capsys) -> None:
    store = ["--clickhouse", f"{chdb_url}?database={store_client.database}"]
    assert main(["budget", "set", "team=growth", "500", *store]) == 0
    assert main(["budget", "set", "*", "2500.75", "--period", "week", *store]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "budget set: team=growth 500 USD per month",
        "budget set: global 2500.75 USD per week",
    ]
    assert main(["budget", "list", *store]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "global       week   2500.75 USD",
        "team=growth  month  500 USD",
    ]
    assert main(["budget", "list", "--format", "json", *store]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(b["scope"], b["filters"], b["period"], b["amount"]) for b in listed] == [
        ("", {}, "week", "2500.75"),
        ("team=growth", {"team": "growth"}, "month", "500"),
    ]
    assert main(["budget", "delete", "team=growth", *store]) == 0
    assert main(["budget", "delete", "team=growth", *store]) == 1
    captured = capsys.readouterr()
    assert captured.out == "budget deleted: team=growth per month\n"
    assert "no monthly budget for scope 'team=growth'" in captured.err
    with pytest.raises(SystemExit, match="unknown scope key 'colour'"):
        main(["budget", "set", "colour=red", "5", *store])
    with pytest.raises(SystemExit, match="at most 4 decimal places"):
        main(["budget", "set", "team=a", "0.00001", *store])
    assert main(["budget", "list", *store]) == 0
    assert capsys.readouterr().out == "global  week   2500.75 USD\n"


def test_budget_set_notes_a_value_no_call_has(store_client, chdb_url, capsys) -> None:
    """A typo'd scope value is kept (budgets may precede traffic) but noted on one line."""
    store = ["--clickhouse", f"{chdb_url}?database={store_client.database}"]
    day = datetime(2026, 3, 13, 8, tzinfo=UTC)
    store_client.insert(
        "llm_calls",
        [[day, "growth", "chat"], [day, "search", "chat"], [day, "growth", ""]],
        column_names=["ts", "team", "feature"],
    )
    assert main(["budget", "set", "team=growht", "10", *store]) == 0
    captured = capsys.readouterr()
    assert captured.out == "budget set: team=growht 10 USD per month\n"
    assert captured.err == "note: no call has team=growht yet (known: growth, search)\n"
    assert main(["budget", "set", "team=growth,tenant=acme", "10", *store]) == 0
    assert capsys.readouterr().err == "note: no call has tenant=acme yet (no tenant is known yet)\n"
    assert main(["budget", "set", "team=search,feature=chat", "10", *store]) == 0
    assert capsys.readouterr().err == ""
    assert [b.scope for b in budgets.list_budgets(store_client)] == [
        "feature=chat,team=search",
        "team=growht",
        "team=growth,tenant=acme",
    ]


@pytest.mark.slow
def test_a_store_held_by_another_process_gets_a_clear_message(tmp_path) -> None:
    url = f"chdb://{tmp_path / 'held'}"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "tokentrace.processor.cli",
                "budget",
                "list",
                "--clickhouse",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.communicate("", timeout=60)
    assert cli.returncode == 1
    assert cli.stderr == (
        f"tokentrace budget: the embedded store {tmp_path / 'held'} is in use by process "
        f"(pid {holder.pid}); no tokentrace serve answers at http://127.0.0.1:4318: pass --api "
        "URL of the serve that holds it\n"
    )


# Opens an embedded store and keeps it until stdin closes, as `tokentrace serve` would.
HOLDER = """
import sys
from tokentrace.processor.store import store
client = store.connect(sys.argv[1])  # the engine lives as long as its client
print("holding", flush=True)
sys.stdin.read()
"""


def test_commands_migrate_a_fresh_store_first(chdb_url, capsys) -> None:
    from tokentrace.processor.store import store

    url = f"{chdb_url}?database=budgets_fresh"
    try:
        assert main(["budget", "list", "--clickhouse", url]) == 0
        assert capsys.readouterr().out.startswith("no budgets;")
    finally:
        store.connect(chdb_url).command("DROP DATABASE IF EXISTS budgets_fresh")


def test_budget_set_enforce(store_client, chdb_url, capsys) -> None:
    store = ["--clickhouse", f"{chdb_url}?database={store_client.database}"]
    assert main(["budget", "set", "team=growth", "500", "--enforce", *store]) == 0
    assert (
        main(["budget", "set", "api_key=sk-…abcd#1a2b3c4d", "20", "--period", "day", *store]) == 0
    )
    assert capsys.readouterr().out.splitlines() == [
        "budget set: team=growth 500 USD per month, enforced",
        "budget set: api_key=sk-…abcd#1a2b3c4d 20 USD per day",
    ]
    assert main(["budget", "list", "--format", "json", *store]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(b["scope"], b["enforce"]) for b in listed] == [
        ("api_key=sk-…abcd#1a2b3c4d", False),
        ("team=growth", True),
    ]
    # Setting it again without --enforce lifts the hard cap.
    assert main(["budget", "set", "team=growth", "500", *store]) == 0
    assert [b.enforce for b in budgets.list_budgets(store_client)] == [False, False]
