"""Retention on real chDB: raw calls expire after the TTL, the rollups keep their totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tokentrace.processor.commands.serve import register
from tokentrace.processor.store import retention


def test_the_migration_keeps_calls_395_days(store_client) -> None:
    assert retention.days(store_client) == 395 == retention.DEFAULT_DAYS
    assert retention.apply(store_client, 395) is False  # already so: no ALTER


def test_expired_calls_go_and_rollups_stay(store_client) -> None:
    now = dt.datetime.now(dt.UTC)
    rows = [
        [now - dt.timedelta(days=40), "old", "growth", Decimal("1.5")],
        [now - dt.timedelta(days=2), "new", "growth", Decimal("2.25")],
    ]
    store_client.insert("llm_calls", rows, column_names=["ts", "trace_id", "team", "cost"])
    assert retention.apply(store_client, 30) is True
    assert retention.days(store_client) == 30
    store_client.command("OPTIMIZE TABLE llm_calls FINAL")  # a merge applies the TTL
    assert store_client.query("SELECT trace_id FROM llm_calls").result_rows == [("new",)]
    daily = store_client.query("SELECT sum(requests), sum(cost) FROM llm_cost_daily")
    hourly = store_client.query("SELECT sum(requests), sum(cost) FROM llm_cost_hourly")
    assert daily.result_rows == hourly.result_rows == [(2, Decimal("3.75"))]


def test_serve_takes_retention_days(capsys) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    assert parser.parse_args(["serve"]).retention_days == 395
    assert parser.parse_args(["serve", "--retention-days", "30"]).retention_days == 30
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "--retention-days", "0"])
    assert "invalid number of days '0'" in capsys.readouterr().err
