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


def alert_rule(uid: str) -> dict[str, Any]:
    """The provisioned rule ``uid``, as Grafana reads it."""
    text = (generate.DEFAULT_DIR / "alerting/rules.yaml").read_text(encoding="utf-8")
    groups = yaml.safe_load(text)["groups"]
    return next(r for g in groups for r in g["rules"] if r["uid"] == uid)


def evaluate(client: Any, rule: dict[str, Any], now: dt.datetime) -> dict[tuple, dict[str, float]]:
    """Run a rule's queries as Grafana would; instances (label sets) that fire, with values.

    Each query must return string label columns and exactly one numeric column, with a
    unique label set per row: what Grafana requires of table data for alerting.
    """
    values: dict[str, dict[tuple, float]] = {}
    for query in rule["data"]:
        model = query["model"]
        if query["datasourceUid"] == "__expr__":
            continue
        window = query["relativeTimeRange"]
        sql = macros.expand_macros(
            model["rawSql"],
            start=now - dt.timedelta(seconds=window["from"]),
            end=now - dt.timedelta(seconds=window["to"]),
            interval_s=model["intervalMs"] / 1000,
        )
        result = client.query(sql)
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
