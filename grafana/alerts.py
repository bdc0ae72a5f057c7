"""Grafana-managed alert rules, contact point and notification policy, as code.

Every alert query wraps a view's :attr:`~tokentrace.processor.store.views.View.backend_sql`
(the panel's SQL without dashboard variables, which do not exist where alert queries
run) and selects one numeric column plus string label columns: Grafana turns each row
of such a table into one alert instance labelled by the string columns. The time macros
stay: the plugin's backend expands them for the rule's ``relativeTimeRange``, ending now.

Each rule has one *value* (reduced, then compared by a threshold: the condition) and
optional *context* numbers, reduced too so that annotations can state them through
``$values``. All queries of a rule return the same label columns.

An unknown cost (every call behind a value of unknown cost: NULL in the views) is never read
as 0 here: the rules judging a cost leave such rows out (Grafana would see a null number), and
the unknown-cost rules (budget spend with calls of unknown cost, new unpriced models, calls
without usage) fire for them instead, so unknown spend is never silent.

Why the ``for`` durations are 0s: every value here is monotonic inside its window
(spend in a budget period, in a day, in an hour only grows; a first-seen time only
stays), so a breach never flaps and waiting would only delay the notification. A value
falls back only when its window rolls over, which is the right moment to resolve.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from typing import Any

from tokentrace.grafana import datasource
from tokentrace.grafana.dashboards import common, overview
from tokentrace.processor.store.views import VIEWS, View

FOLDER = common.FOLDER_TITLE
EXPRESSIONS = {"type": "__expr__", "uid": "__expr__"}
ROUTE_LABEL = ("component", "tokentrace")
CONTACT_POINT = "tokentrace-webhook"
WEBHOOK_ENV = "TOKENTRACE_ALERT_WEBHOOK_URL"
CONDITION = "condition"
# Queries that list offenders return no rows when there are none: that is calm, not
# missing data. A query that fails (ClickHouse down) must show, not pass for calm.
NO_DATA_STATE = "OK"
EXEC_ERR_STATE = "Error"


@dataclass(frozen=True)
class Metric:
    """One number per alert instance, selected from a view over the rule's window.

    ``stage``, if given, first aggregates the view's rows (a time series into "this
    hour" and "the hours before"); ``select`` then picks the labels and the number.
    """

    name: str
    view: View
    select: str
    where: str = ""
    stage: str = ""
    window_s: int = 86_400
    interval_s: int = 1

    @property
    def sql(self) -> str:
        source = self.view.backend_sql
        if self.stage:
            source = _wrap(self.stage, source)
        return _wrap(self.select, source, self.where)


def _wrap(select: str, source: str, where: str = "") -> str:
    inner = textwrap.indent(source, "    ")
    return f"SELECT {select}\nFROM\n(\n{inner}\n)" + (f"\nWHERE {where}" if where else "")


@dataclass(frozen=True)
class Rule:
    uid: str
    title: str
    value: Metric
    threshold: tuple[str, float]  # Grafana threshold type and its parameter
    severity: str
    summary: str
    description: str
    context: tuple[Metric, ...] = ()

    @property
    def metrics(self) -> tuple[Metric, ...]:
        return (self.value, *self.context)


@dataclass(frozen=True)
class Group:
    name: str
    interval_s: int
    rules: tuple[Rule, ...]


# ---------------------------------------------------------------- the rules

_BUDGET_LABELS = "if(scope = '', 'all', scope) AS scope, period"
_TODAY = "day = toDate($__toTime, 'UTC')"
_THIS_HOUR = "toStartOfHour($__toTime, 'UTC')"


_HOURS_BEFORE = f"time < {_THIS_HOUR} AND time >= {_THIS_HOUR} - INTERVAL 24 HOUR"


def _hourly(name: str, select: str, current: str, baseline: str = "cost_per_hour") -> Metric:
    """This hour's ``current`` against the average of the 24 hours before in ``baseline``.

    The window (25 h) holds this hour and the 24 before it, whatever the minute of the
    evaluation; the interval of an hour makes the view's buckets hours. Hours without
    spend count as 0 in the average; hours whose every call has an unknown cost (NULL) are
    left out of it, not read as 0. This hour judged on an unknown cost, or against 24 such
    hours, is not judged at all (no row: nothing fires, nothing reads 0); the unknown-cost
    rules tell of those calls.
    """
    return Metric(
        name,
        VIEWS["hourly_burn_rate"],
        select,
        stage=(
            f"toFloat64(sumIf({current}, time >= {_THIS_HOUR})) AS current,\n       "
            f"toFloat64(sumIf({baseline}, {_HOURS_BEFORE}))\n"
            f"           / nullIf(24 - countIf({baseline} IS NULL AND {_HOURS_BEFORE}), 0)"
            " AS baseline"
        ),
        where="current IS NOT NULL AND baseline IS NOT NULL",
        window_s=25 * 3600,
        interval_s=3600,
    )


# A budget whose period's every call has an unknown cost has no spend (NULL): it is not judged
# by the threshold rules (no row, never 0 % used); the unknown-cost rule fires for it instead.
_BUDGET_KNOWN = "spent IS NOT NULL AND utilization IS NOT NULL"


def _budget_rule(percent: int, severity: str) -> Rule:
    view = VIEWS["budget_utilization"]
    return Rule(
        uid=f"tokentrace-budget-{percent}",
        title=f"Budget {percent}% used",
        value=Metric(
            "utilization",
            view,
            f"{_BUDGET_LABELS}, toFloat64(utilization) AS utilization",
            where=_BUDGET_KNOWN,
        ),
        context=(
            Metric("spent", view, f"{_BUDGET_LABELS}, toFloat64(spent) AS spent", _BUDGET_KNOWN),
            Metric("amount", view, f"{_BUDGET_LABELS}, toFloat64(amount) AS amount", _BUDGET_KNOWN),
        ),
        threshold=("gte", percent / 100),
        severity=severity,
        summary=(
            "Budget {{ $labels.scope }} ({{ $labels.period }}) is at "
            "{{ humanizePercentage $values.utilization.Value }}"
        ),
        description=(
            'Spent {{ printf "%.2f" $values.spent.Value }} USD of '
            '{{ printf "%.2f" $values.amount.Value }} USD this {{ $labels.period }} '
            f"(alert at {percent}%)."
        ),
    )


def _budget_unknown_rule() -> Rule:
    """Calls of unknown cost in a budget's period: its spend leaves them out (a lower bound,
    or unknown when every call is one), so the threshold rules cannot tell whether it is over.
    Without this rule a budget spent on a model without a price would never alert, silently.
    Calls serve could not store (dead letters) are left out of its spend the same way: they
    count here too (``unknown``), and ``not_stored`` says how many of them there are."""
    view = VIEWS["budget_utilization"]
    left_out = "unpriced_requests + dead_lettered_requests"

    def metric(name: str, value: str) -> Metric:
        return Metric(
            name, view, f"{_BUDGET_LABELS}, toFloat64({value}) AS {name}", f"{left_out} > 0"
        )

    return Rule(
        uid="tokentrace-budget-unknown-cost",
        title="Budget spend includes calls of unknown cost",
        value=metric("unknown", left_out),
        context=(
            metric("requests", "requests"),
            metric("amount", "amount"),
            metric("not_stored", "dead_lettered_requests"),
        ),
        threshold=("gt", 0.0),
        severity="warning",
        summary=(
            'Budget {{ $labels.scope }} ({{ $labels.period }}): {{ printf "%.0f" '
            "$values.unknown.Value }} calls this {{ $labels.period }} have an unknown cost "
            '({{ printf "%.0f" $values.not_stored.Value }} of them not stored), beside '
            '{{ printf "%.0f" $values.requests.Value }} stored'
        ),
        description=(
            "Their cost (no price for the model, or no usage in the span, or the call not "
            "stored: tokentrace dead-letters list) is not in the budget's spend, which is a "
            "lower bound, or unknown when every call is one: the budget alerts judge the known "
            'spend only, against {{ printf "%.2f" $values.amount.Value }} USD. Add the model '
            "to the prices file (then reprice), have streams report usage, or replay the dead "
            "letters."
        ),
    )


_ANOMALIES = VIEWS["anomalies"]

# The reconciliation rule: a finished day whose bill and metered cost differ by more than
# both thresholds. Set them when generating or provisioning (the rule carries the numbers).
GAP_RATIO_ENV = "TOKENTRACE_RECONCILE_GAP_RATIO"
GAP_USD_ENV = "TOKENTRACE_RECONCILE_GAP_USD"


def _threshold(name: str, default: str) -> float:
    text = os.environ.get(name) or default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise ValueError(f"{name} must be a number >= 0 (e.g. {default}): {text!r}")
    return value


GAP_RATIO = _threshold(GAP_RATIO_ENV, "0.05")
GAP_USD = _threshold(GAP_USD_ENV, "1")
_RECONCILIATION = VIEWS["reconciliation"]
_RECONCILIATION_LABELS = "provider, model, service_tier, toString(day) AS date, cause"
# What to do about a gap, by the view's cause (a label of each instance, so the notification
# says it): the command or setting that finds or closes it, never only the numbers.
_PRICES_CMD = "tokentrace prices {{ $labels.model }} --provider {{ $labels.provider }}"
_REPRICE_CMD = "tokentrace reprice --since {{ $labels.date }}"
_BY_KEY = 'the "Billed vs metered by API key" table (tokentrace report, or the dashboard)'
GAP_ACTIONS: dict[str, str] = {
    "unmetered": (
        f"No call of this model was metered that day: an app or API key is not instrumented. "
        f"Find the key marked uninstrumented in {_BY_KEY} and run that app under "
        "opentelemetry-instrument with OTEL_EXPORTER_OTLP_ENDPOINT pointing at tokentrace serve."
    ),
    "missing calls": (
        f"The bill counts calls tokentrace never saw. Find the key marked partly instrumented or "
        f"uninstrumented in {_BY_KEY} and run every app using it under opentelemetry-instrument "
        "(a key not recorded: calls of this model were metered without a key fingerprint)."
    ),
    "calls without usage": (
        "Calls were metered without usage (streams without stream_options.include_usage, or cut "
        "off), so their tokens and cost are only in the bill: ask for include_usage in the app, or "
        "set TOKENTRACE_STREAM_USAGE=inject where it runs."
    ),
    "unpriced calls": (
        f"Metered calls have no price: `{_PRICES_CMD} --at {{{{ $labels.date }}}}` says why; give "
        f"the model a rate in TOKENTRACE_PRICES_FILE, then run `{_REPRICE_CMD}`."
    ),
    "price or tier": (
        f"Tokens match the bill but the cost does not: compare `{_PRICES_CMD} --at "
        "{{ $labels.date }}` with your invoice, put your negotiated rate or the missing tier in "
        f"TOKENTRACE_PRICES_FILE, then run `{_REPRICE_CMD}`."
    ),
    "calls not stored": (
        "Metered calls could not be stored: `tokentrace dead-letters list` says why; fix that, "
        "then `tokentrace dead-letters replay`."
    ),
    "more metered than billed": (
        "More tokens were metered than billed: look for calls metered twice (two "
        f"instrumentations of one call), or another organisation's key: unlisted key in {_BY_KEY}."
    ),
    "cost only": (
        "The bill has items without token usage (web search, tools, images, fine-tuning): check "
        "the provider's cost report for that line item."
    ),
}
_GAP_ACTION_ELSE = "See the reconciliation panel for the rows of that day."


def _gap_action() -> str:
    """One Go template choosing the action by the instance's cause label."""
    branches = [
        f'{{{{ {"if" if n == 0 else "else if"} eq $labels.cause "{cause}" }}}}{action}'
        for n, (cause, action) in enumerate(GAP_ACTIONS.items())
    ]
    return "".join(branches) + f"{{{{ else }}}}{_GAP_ACTION_ELSE}{{{{ end }}}}"


# Finished days of the last three: providers finalise a day's report a day or two late,
# and the reports are re-imported for two days, so a gap is judged on fresh numbers.
# A day whose every metered call has an unknown cost has no gap (NULL): it is not judged here,
# never as a gap of 0 nor of the whole bill (the unknown-cost rule tells of its calls).
_FINISHED = "day < toDate($__toTime, 'UTC') AND billed_cost > 0 AND gap IS NOT NULL"


def _reconciliation_rule() -> Rule:
    def metric(name: str, value: str) -> Metric:
        return Metric(
            name,
            _RECONCILIATION,
            f"{_RECONCILIATION_LABELS}, {value} AS {name}",
            where=_FINISHED,
            window_s=3 * 86_400,
        )

    return Rule(
        uid="tokentrace-reconciliation-gap",
        title=f"Bill differs from metered cost by over {GAP_RATIO:.0%} and ${GAP_USD:g}",
        # the share of the bill, counted only where the gap is also over the dollar threshold
        value=metric("gap_share", f"if(abs(gap) > {GAP_USD:g}, abs(gap_ratio), 0)"),
        context=(
            metric("gap", "toFloat64(gap)"),
            metric("billed", "toFloat64(billed_cost)"),
            metric("metered", "toFloat64(metered_cost)"),
            metric("unknown", "toFloat64(unknown_cost_requests)"),
            # the metered calls serve could not store (dead letters): in no metered cost either
            metric("not_stored", "toFloat64(dead_lettered_requests)"),
        ),
        threshold=("gt", GAP_RATIO),
        severity="warning",
        summary=(
            "{{ $labels.provider }}/{{ $labels.model }}"
            "{{ if $labels.service_tier }} ({{ $labels.service_tier }} tier){{ end }} billed "
            '{{ printf "%.2f" $values.gap.Value }} USD more than metered on {{ $labels.date }}'
        ),
        description=(
            'Billed {{ printf "%.2f" $values.billed.Value }} USD, metered '
            '{{ printf "%.2f" $values.metered.Value }} USD '
            "({{ humanizePercentage $values.gap_share.Value }} of the bill); "
            '{{ printf "%.0f" $values.unknown.Value }} metered calls of unknown cost and '
            '{{ printf "%.0f" $values.not_stored.Value }} calls not stored (dead letters) are not '
            "in the metered cost, so the gap may be smaller. Likely cause: {{ $labels.cause }}. "
            + _gap_action()
        ),
    )


def _usage_missing_rule() -> Rule:
    """Calls without usage in the last hour, per model, stored or not: a call serve could not
    store lacks usage for the same cause (a stream without include_usage), and the dead-letters
    rule names no model, so without them here a model whose only such calls were not stored
    would not show where the fix (turn on include_usage) is asked for."""

    def metric(name: str, value: str) -> Metric:
        select = f"concat(provider, '/', model) AS scope, toFloat64({value}) AS {name}"
        return Metric(name, VIEWS["usage_missing"], select, window_s=3_600)

    return Rule(
        uid="tokentrace-usage-missing",
        title="Calls without usage (cost unknown)",
        value=metric("missing", "usage_missing_requests + dead_lettered_requests"),
        context=(metric("not_stored", "dead_lettered_requests"),),
        threshold=("gt", 0.0),
        severity="warning",
        summary=(
            '{{ $labels.scope }}: {{ printf "%.0f" $values.missing.Value }} calls without '
            'usage in the last hour ({{ printf "%.0f" $values.not_stored.Value }} of them not '
            "stored): their cost is unknown"
        ),
        description=(
            "Their spans carried no token counts: an OpenAI stream without "
            "stream_options.include_usage, a stream cut off, or a call a gateway gave "
            "up on (502, 504, 524) that the provider may have billed. They are stored "
            "unpriced (usage_missing), not as $0, or, not stored, kept as dead letters "
            "(tokentrace dead-letters list); turn on include_usage."
        ),
    )


def _dead_letters_rule() -> Rule:
    """Calls serve took but could not store (dead letters) in the last 30 days: in no total
    and no count until replayed, so every spend figure leaves them out in silence but for
    this rule. Replayed, they count with the others and the rule resolves."""
    return Rule(
        uid="tokentrace-dead-letters",
        title="Calls not stored (dead letters)",
        value=Metric(
            "dead_lettered",
            VIEWS["totals"],
            "'all' AS scope, toFloat64(dead_lettered_requests) AS dead_lettered",
            where="dead_lettered_requests > 0",
            window_s=30 * 86_400,
        ),
        threshold=("gt", 0.0),
        severity="critical",
        summary=(
            '{{ printf "%.0f" $values.dead_lettered.Value }} calls of the last 30 days were '
            "not stored: they are in no spend total"
        ),
        description=(
            "ClickHouse refused their rows; serve kept them in the dead_letters table with the "
            "reason. See `tokentrace dead-letters list`, fix the cause, then "
            "`tokentrace dead-letters replay`: once stored they count in every total."
        ),
    )


GROUPS = (
    Group(
        "budgets",
        300,
        (
            _budget_rule(50, "info"),
            _budget_rule(80, "warning"),
            _budget_rule(100, "critical"),
            _budget_unknown_rule(),
        ),
    ),
    Group(
        "spend",
        300,
        (
            Rule(
                uid="tokentrace-daily-spend-anomaly",
                title="Daily spend above 2x its trailing average",
                value=Metric("ratio", _ANOMALIES, "scope, ratio", where=_TODAY),
                context=(
                    Metric("spend", _ANOMALIES, "scope, toFloat64(cost) AS spend", _TODAY),
                    Metric(
                        "baseline", _ANOMALIES, "scope, toFloat64(baseline) AS baseline", _TODAY
                    ),
                ),
                threshold=("gt", 2.0),
                severity="warning",
                summary='{{ $labels.scope }} spent {{ printf "%.1f" $values.ratio.Value }}x '
                "its usual daily amount today",
                description=(
                    'Today so far: {{ printf "%.2f" $values.spend.Value }} USD; trailing '
                    'daily average: {{ printf "%.2f" $values.baseline.Value }} USD.'
                ),
            ),
            Rule(
                uid="tokentrace-hourly-burn-spike",
                title="Hourly burn rate above 3x its 24-hour average",
                value=_hourly(
                    "ratio",
                    "'all' AS scope, if(baseline = 0, 0, current / baseline) AS ratio",
                    current="cost_per_hour",
                ),
                context=(
                    _hourly("current", "'all' AS scope, current", current="cost_per_hour"),
                    _hourly("baseline", "'all' AS scope, baseline", current="cost_per_hour"),
                ),
                threshold=("gt", 3.0),
                severity="warning",
                summary=('Spending {{ printf "%.1f" $values.ratio.Value }}x the usual hourly rate'),
                description=(
                    'This hour so far: {{ printf "%.2f" $values.current.Value }} USD; '
                    "average hour over the last 24: "
                    '{{ printf "%.2f" $values.baseline.Value }} USD.'
                ),
            ),
            Rule(
                uid="tokentrace-failed-cost-spike",
                title="Failed calls cost over 10% of a normal hour",
                value=_hourly(
                    "share",
                    "'all' AS scope, if(baseline = 0, 0, current / baseline) AS share",
                    current="failed_cost_per_hour",
                ),
                context=(
                    _hourly("failed", "'all' AS scope, current", current="failed_cost_per_hour"),
                ),
                threshold=("gt", 0.1),
                severity="warning",
                summary=(
                    "Failed calls burned {{ humanizePercentage $values.share.Value }} "
                    "of a normal hour's spend"
                ),
                description=(
                    "Cost of failed calls this hour: "
                    '{{ printf "%.2f" $values.failed.Value }} USD; see failed calls by feature.'
                ),
            ),
            Rule(
                uid="tokentrace-unpriced-model",
                title="New unpriced model",
                value=Metric(
                    "unpriced",
                    VIEWS["unpriced_usage"],
                    "concat(provider, '/', model) AS scope, "
                    "toFloat64(unpriced_requests - usage_missing_requests) AS unpriced",
                    # calls with usage but no price first seen in the current or the previous
                    # hour of a 30-day window (earlier calls without usage, which have their own
                    # rule, do not make a model's first unpriced rate old news)
                    where=f"no_price_first_seen >= {_THIS_HOUR} - INTERVAL 1 HOUR",
                    window_s=30 * 86_400,
                ),
                threshold=("gt", 0.0),
                severity="warning",
                summary="{{ $labels.scope }} has no price: its calls are stored unpriced",
                description=(
                    '{{ printf "%.0f" $values.unpriced.Value }} unpriced calls since it '
                    "appeared. Add the model to the prices file, then reprice."
                ),
            ),
            _usage_missing_rule(),
            _dead_letters_rule(),
        ),
    ),
    Group("reconciliation", 3600, (_reconciliation_rule(),)),
)


# ---------------------------------------------------------------- rendering


def _panel_id(view: View) -> int:
    """The overview panel showing ``view``: where an alert links to."""
    for panel in overview.panels():
        if any(t["rawSql"] == view.sql for t in panel.get("targets", [])):
            return panel["id"]
    raise LookupError(f"no overview panel shows the view {view.name!r}")


def _data(rule: Rule) -> list[dict[str, Any]]:
    """Queries (one per metric), reduces (named after the metric) and the threshold."""
    queries = [
        {
            "refId": f"{metric.name}_sql",
            "relativeTimeRange": {"from": metric.window_s, "to": 0},
            "datasourceUid": datasource.UID,
            "model": {
                "refId": f"{metric.name}_sql",
                "datasource": datasource.REF,
                "editorType": "sql",
                "format": 1,
                "queryType": "table",
                "rawSql": metric.sql,
                "intervalMs": metric.interval_s * 1000,
                "maxDataPoints": 43200,
            },
        }
        for metric in rule.metrics
    ]
    reduces = [
        {
            "refId": metric.name,
            "datasourceUid": "__expr__",
            "model": {
                "refId": metric.name,
                "datasource": EXPRESSIONS,
                "type": "reduce",
                "expression": f"{metric.name}_sql",
                "reducer": "last",
                "settings": {"mode": "dropNN"},
            },
        }
        for metric in rule.metrics
    ]
    kind, value = rule.threshold
    threshold = {
        "refId": CONDITION,
        "datasourceUid": "__expr__",
        "model": {
            "refId": CONDITION,
            "datasource": EXPRESSIONS,
            "type": "threshold",
            "expression": rule.value.name,
            "conditions": [{"evaluator": {"type": kind, "params": [value]}}],
        },
    }
    return [*queries, *reduces, threshold]


def _labels(rule: Rule) -> dict[str, str]:
    return {"severity": rule.severity, ROUTE_LABEL[0]: ROUTE_LABEL[1]}


def _annotations(rule: Rule) -> dict[str, str]:
    return {"summary": rule.summary, "description": rule.description}


def rules_file() -> dict[str, Any]:
    """``provisioning/alerting/rules.yaml``."""
    return {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": 1,
                "name": group.name,
                "folder": FOLDER,
                "interval": f"{group.interval_s}s",
                "rules": [
                    {
                        "uid": rule.uid,
                        "title": rule.title,
                        "condition": CONDITION,
                        "data": _data(rule),
                        "dashboardUid": overview.UID,
                        "panelId": _panel_id(rule.value.view),
                        "noDataState": NO_DATA_STATE,
                        "execErrState": EXEC_ERR_STATE,
                        "for": "0s",
                        "labels": _labels(rule),
                        "annotations": _annotations(rule),
                        "isPaused": False,
                    }
                    for rule in group.rules
                ],
            }
            for group in GROUPS
        ],
    }


def api_rule_group(group: Group) -> dict[str, Any]:
    """The body of ``PUT /api/v1/provisioning/folder/{uid}/rule-groups/{group}``."""
    return {
        "title": group.name,
        "folderUid": common.FOLDER_UID,
        "interval": group.interval_s,
        "rules": [
            {
                "uid": rule.uid,
                "title": rule.title,
                "orgID": 1,
                "folderUID": common.FOLDER_UID,
                "ruleGroup": group.name,
                "condition": CONDITION,
                "data": [
                    {"relativeTimeRange": {"from": 0, "to": 0}, **query} for query in _data(rule)
                ],
                "noDataState": NO_DATA_STATE,
                "execErrState": EXEC_ERR_STATE,
                "for": "0s",
                "labels": _labels(rule),
                "annotations": {
                    **_annotations(rule),
                    "__dashboardUid__": overview.UID,
                    "__panelId__": str(_panel_id(rule.value.view)),
                },
                "isPaused": False,
            }
            for rule in group.rules
        ],
    }


def contact_point(url: str) -> dict[str, Any]:
    """The webhook receiver alerts are sent to (Slack and email: see grafana/README.md)."""
    return {
        "uid": CONTACT_POINT,
        "name": CONTACT_POINT,
        "type": "webhook",
        "settings": {"url": url, "httpMethod": "POST"},
        "disableResolveMessage": False,
    }


def contact_points_file() -> dict[str, Any]:
    """``provisioning/alerting/contact-points.yaml``; Grafana fills the URL from its env."""
    receiver = contact_point(f"${WEBHOOK_ENV}")
    return {
        "apiVersion": 1,
        "contactPoints": [
            {
                "orgId": 1,
                "name": receiver.pop("name"),
                "receivers": [receiver],
            }
        ],
    }


def route() -> dict[str, Any]:
    """The notification route for tokentrace's alerts, matched by their component label."""
    return {
        "receiver": CONTACT_POINT,
        "object_matchers": [[ROUTE_LABEL[0], "=", ROUTE_LABEL[1]]],
        "group_by": ["alertname", "scope"],
        "group_wait": "30s",
        "group_interval": "5m",
        "repeat_interval": "4h",
    }


def policies_file() -> dict[str, Any]:
    """``provisioning/alerting/policies.yaml``.

    A policies file replaces the organisation's whole notification tree, so its root keeps
    Grafana's default receiver and tokentrace only adds its route under it. If the tree is
    managed elsewhere, leave this file out and add :func:`route` there.
    """
    return {
        "apiVersion": 1,
        "policies": [
            {
                "orgId": 1,
                "receiver": "grafana-default-email",
                "group_by": ["grafana_folder", "alertname"],
                "routes": [route()],
            }
        ],
    }
