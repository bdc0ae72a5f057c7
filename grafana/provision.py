"""Push the same objects as the provisioning files to a running Grafana, idempotently.

Each object is read first and written only if it differs from ours, so a second run
changes nothing. "Differs" means: one of the fields we define has another value; fields
Grafana adds (ids, versions, timestamps, provenance) are ignored, and so are secrets,
which Grafana never returns (a changed ClickHouse password alone is not detected).

Objects written through this API are marked as provisioned by Grafana and cannot be
edited in its UI; use this or the provisioning files on one Grafana, not both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError

from tokentrace.grafana import alerts, datasource
from tokentrace.grafana.dashboards import DASHBOARDS, common


@dataclass(frozen=True)
class Outcome:
    kind: str
    name: str
    action: str  # created | updated | unchanged | skipped

    def __str__(self) -> str:
        return f"{self.action:<9} {self.kind:<13} {self.name}"


def provision(
    api: GrafanaApi, *, clickhouse_url: str | None, webhook_url: str | None
) -> list[Outcome]:
    """Data source, folder, dashboards, alert rules, contact point and route, in that order.

    Without ``clickhouse_url`` the data source is left as it is (e.g. provisioned from a
    file); without ``webhook_url`` so are the contact point and the route.
    """
    outcomes: list[Outcome] = []
    if clickhouse_url:
        outcomes.append(_datasource(api, datasource.api_body(clickhouse_url)))
    else:
        outcomes.append(Outcome("datasource", datasource.UID, "skipped"))
    outcomes.append(_folder(api))
    outcomes.extend(_dashboard(api, build()) for build in DASHBOARDS.values())
    for group in alerts.GROUPS:
        outcomes.extend(_rule_group(api, alerts.api_rule_group(group)))
    if webhook_url:
        outcomes.append(_contact_point(api, alerts.contact_point(webhook_url)))
        outcomes.append(_policy(api))
    else:
        outcomes.append(Outcome("contact point", alerts.CONTACT_POINT, "skipped"))
        outcomes.append(Outcome("policy", alerts.CONTACT_POINT, "skipped"))
    return outcomes


def matches(actual: Any, desired: Any) -> bool:
    """Whether ``actual`` has every field of ``desired`` with the same value, recursively."""
    if isinstance(desired, dict):
        return isinstance(actual, dict) and all(
            key in actual and matches(actual[key], value) for key, value in desired.items()
        )
    if isinstance(desired, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(desired)
            and all(matches(a, d) for a, d in zip(actual, desired, strict=True))
        )
    return actual == desired


def _get(read: Callable[[], Any]) -> Any | None:
    """The object, or None when Grafana answers 404."""
    try:
        return read()
    except GrafanaClientError as error:
        if error.status_code == 404:
            return None
        raise


def _datasource(api: GrafanaApi, body: dict[str, Any]) -> Outcome:
    current = _get(lambda: api.datasource.get_datasource_by_uid(datasource.UID))
    if current is None:
        api.datasource.create_datasource(body)
        return Outcome("datasource", datasource.UID, "created")
    public = {key: value for key, value in body.items() if key != "secureJsonData"}
    if matches(current, public):
        return Outcome("datasource", datasource.UID, "unchanged")
    api.datasource.update_datasource_by_uid(datasource.UID, body)
    return Outcome("datasource", datasource.UID, "updated")


def _folder(api: GrafanaApi) -> Outcome:
    current = _get(lambda: api.folder.get_folder(common.FOLDER_UID))
    if current is None:
        api.folder.create_folder(common.FOLDER_TITLE, uid=common.FOLDER_UID)
        return Outcome("folder", common.FOLDER_UID, "created")
    if current.get("title") == common.FOLDER_TITLE:
        return Outcome("folder", common.FOLDER_UID, "unchanged")
    api.folder.update_folder(common.FOLDER_UID, title=common.FOLDER_TITLE, overwrite=True)
    return Outcome("folder", common.FOLDER_UID, "updated")


def _dashboard(api: GrafanaApi, dashboard: dict[str, Any]) -> Outcome:
    uid = dashboard["uid"]
    current = _get(lambda: api.dashboard.get_dashboard(uid))
    if current is not None:
        stored = {k: v for k, v in current["dashboard"].items() if k not in ("id", "version")}
        wanted = {k: v for k, v in dashboard.items() if k != "version"}
        if stored == wanted and current.get("meta", {}).get("folderUid") == common.FOLDER_UID:
            return Outcome("dashboard", uid, "unchanged")
    api.dashboard.update_dashboard(
        {
            "dashboard": {**dashboard, "id": None},
            "folderUid": common.FOLDER_UID,
            "overwrite": True,
            "message": "tokentrace grafana provision",
        }
    )
    return Outcome("dashboard", uid, "created" if current is None else "updated")


def _rule_group(api: GrafanaApi, body: dict[str, Any]) -> list[Outcome]:
    """One PUT for the whole group when any rule (or the interval) differs."""
    name = body["title"]
    current = _get(lambda: api.alertingprovisioning.get_rule_group(common.FOLDER_UID, name))
    existing = {rule["uid"]: rule for rule in (current or {}).get("rules", [])}
    outcomes = [
        Outcome(
            "alert rule",
            rule["uid"],
            "created"
            if rule["uid"] not in existing
            else "unchanged"
            if matches(existing[rule["uid"]], rule)
            else "updated",
        )
        for rule in body["rules"]
    ]
    stale = set(existing) - {rule["uid"] for rule in body["rules"]}
    if (
        current is None
        or current.get("interval") != body["interval"]
        or stale
        or any(o.action != "unchanged" for o in outcomes)
    ):
        api.alertingprovisioning.update_rule_group(common.FOLDER_UID, name, body)
    return outcomes


def _contact_point(api: GrafanaApi, body: dict[str, Any]) -> Outcome:
    found = api.alertingprovisioning.get_contactpoints(name=body["name"]) or []
    current = next((cp for cp in found if cp.get("uid") == body["uid"]), None)
    if current is None:
        api.alertingprovisioning.create_contactpoint(body)
        return Outcome("contact point", body["name"], "created")
    if matches(current, body):
        return Outcome("contact point", body["name"], "unchanged")
    api.alertingprovisioning.update_contactpoint(body["uid"], body)
    return Outcome("contact point", body["name"], "updated")


def _policy(api: GrafanaApi) -> Outcome:
    """Put tokentrace's route first in the tree, leaving every other route as it is."""
    tree = api.alertingprovisioning.get_notification_policy_tree()
    ours = alerts.route()
    routes = tree.get("routes") or []
    mine = [r for r in routes if r.get("object_matchers") == ours["object_matchers"]]
    if len(mine) == 1 and routes[0] is mine[0] and matches(mine[0], ours):
        return Outcome("policy", alerts.CONTACT_POINT, "unchanged")
    others = [r for r in routes if r.get("object_matchers") != ours["object_matchers"]]
    api.alertingprovisioning.set_notification_policy_tree({**tree, "routes": [ours, *others]})
    return Outcome("policy", alerts.CONTACT_POINT, "created" if not mine else "updated")
