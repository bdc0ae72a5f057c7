"""Alert rules evaluated as Grafana evaluates them, on chDB (shared by the Grafana query tests
and the unknown-cost checks): each query expanded for the rule's window ending ``now``, reduced,
then judged by the rule's threshold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import yaml

from tokentrace.grafana import generate
from tokentrace.processor.store import macros


def alert_rules() -> list[dict[str, Any]]:
    """Every provisioned rule, as Grafana reads them."""
    text = (generate.DEFAULT_DIR / "alerting/rules.yaml").read_text(encoding="utf-8")
    return [rule for group in yaml.safe_load(text)["groups"] for rule in group["rules"]]


def alert_rule(uid: str) -> dict[str, Any]:
    """The provisioned rule ``uid``, as Grafana reads it."""
    return next(rule for rule in alert_rules() if rule["uid"] == uid)


def data_queries(rule: dict[str, Any]) -> list[dict[str, Any]]:
    """A rule's queries of the data source (not Grafana's expressions)."""
    return [query for query in rule["data"] if query["datasourceUid"] != "__expr__"]


def query_sql(query: dict[str, Any], now: dt.datetime) -> str:
    """A rule's data query as Grafana sends it at ``now``: macros expanded for its window."""
    window = query["relativeTimeRange"]
    return macros.expand_macros(
        query["model"]["rawSql"],
        start=now - dt.timedelta(seconds=window["from"]),
        end=now - dt.timedelta(seconds=window["to"]),
        interval_s=query["model"]["intervalMs"] / 1000,
    )


def answers(client: Any, now: dt.datetime) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every rule's data queries run at ``now``: rows by (rule uid, query refId)."""
    found = {}
    for rule in alert_rules():
        for query in data_queries(rule):
            result = client.query(query_sql(query, now))
            found[rule["uid"], query["refId"]] = [
                dict(zip(result.column_names, row, strict=True)) for row in result.result_rows
            ]
    return found


def evaluate(client: Any, rule: dict[str, Any], now: dt.datetime) -> dict[tuple, dict[str, float]]:
    """Run a rule's queries as Grafana would; instances (label sets) that fire, with values.

    Each query must return string label columns and exactly one numeric column, with a
    unique label set per row: what Grafana requires of table data for alerting.
    """
    values: dict[str, dict[tuple, float]] = {}
    for query in data_queries(rule):
        result = client.query(query_sql(query, now))
        series: dict[tuple, float] = {}
        for row in result.result_rows:
            labels = tuple(
                (c, v) for c, v in zip(result.column_names, row, strict=True) if isinstance(v, str)
            )
            numbers = [v for v in row if v is None or isinstance(v, int | float | Decimal)]
            assert len(numbers) == 1 and len(labels) + 1 == len(row), result.column_names
            assert labels not in series, f"duplicate label set {labels}"
            if numbers[0] is None:
                continue  # unknown (a cost of unknown calls only): no data, never 0
            series[labels] = float(numbers[0])
        values[query["refId"]] = series
    by_ref = {}
    for query in rule["data"]:  # reduce "last" of a number is the number
        if query["model"].get("type") == "reduce":
            by_ref[query["refId"]] = values[query["model"]["expression"]]
    threshold = next(q["model"] for q in rule["data"] if q["refId"] == rule["condition"])
    evaluator = threshold["conditions"][0]["evaluator"]
    test = {
        "gt": lambda v: v > evaluator["params"][0],
        "gte": lambda v: v >= evaluator["params"][0],
    }[evaluator["type"]]
    firing = {}
    for labels, value in by_ref[threshold["expression"]].items():
        if test(value):
            firing[labels] = {ref: series[labels] for ref, series in by_ref.items()}
    return firing
