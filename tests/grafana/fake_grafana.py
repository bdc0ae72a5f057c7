"""A loopback stand-in for the parts of Grafana's HTTP API that provisioning uses.

It answers like Grafana's documented API (paths, methods, 404 for missing objects, 401
without the token, server-side fields such as ids and versions added to stored objects)
and records every request, so a test can see what a client wrote. It is a contract
test double, not Grafana: it does not validate dashboards or evaluate rules.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "test-token"


@dataclass
class State:
    datasources: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    rule_groups: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    contact_points: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {
                "uid": "default-email",
                "name": "grafana-default-email",
                "type": "email",
                "settings": {"addresses": "<example@email.com>"},
            }
        ]
    )
    policies: dict[str, Any] = field(
        default_factory=lambda: {
            "receiver": "grafana-default-email",
            "group_by": ["grafana_folder", "alertname"],
        }
    )
    requests: list[tuple[str, str]] = field(default_factory=list)
    next_id: int = 1

    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] != "GET"]


class _Handler(BaseHTTPRequestHandler):
    state: State

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    def _handle(self, method: str) -> None:
        path = self.path.split("?")[0]
        self.state.requests.append((method, path))
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._reply(401, {"message": "Unauthorized"})
        for pattern, handler in _ROUTES.get(method, []):
            match = re.fullmatch(pattern, path)
            if match:
                status, body = handler(self.state, self, *match.groups())
                return self._reply(status, body)
        return self._reply(404, {"message": "Not found"})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")


def _new_id(state: State) -> int:
    state.next_id += 1
    return state.next_id


# What GET /api/datasources/uid/:uid returns: secrets only as secureJsonFields flags.
_DATASOURCE_FIELDS = [
    "id",
    "uid",
    "orgId",
    "name",
    "type",
    "typeLogoUrl",
    "access",
    "url",
    "user",
    "database",
    "basicAuth",
    "basicAuthUser",
    "withCredentials",
    "isDefault",
    "jsonData",
    "version",
    "readOnly",
]


def _get_datasource(state: State, _h: _Handler, uid: str) -> tuple[int, Any]:
    if uid not in state.datasources:
        return 404, {"message": "Data source not found"}
    stored = state.datasources[uid]
    shown = {k: stored.get(k, "") for k in _DATASOURCE_FIELDS}
    secure = {key: True for key in stored.get("secureJsonData", {})}
    return 200, {**shown, "readOnly": False, "secureJsonFields": secure}


def _create_datasource(state: State, h: _Handler) -> tuple[int, Any]:
    body = h._body()
    if body["uid"] in state.datasources:
        return 409, {"message": "data source with the same uid already exists"}
    state.datasources[body["uid"]] = {**body, "id": _new_id(state), "orgId": 1, "version": 1}
    return 200, {"id": state.next_id, "message": "Datasource added", "name": body["name"]}


def _update_datasource(state: State, h: _Handler, uid: str) -> tuple[int, Any]:
    if uid not in state.datasources:
        return 404, {"message": "Data source not found"}
    old = state.datasources[uid]
    state.datasources[uid] = {**h._body(), "id": old["id"], "version": old["version"] + 1}
    return 200, {"message": "Datasource updated"}


def _get_folder(state: State, _h: _Handler, uid: str) -> tuple[int, Any]:
    if uid not in state.folders:
        return 404, {"message": "folder not found"}
    return 200, state.folders[uid]


def _create_folder(state: State, h: _Handler) -> tuple[int, Any]:
    body = h._body()
    folder = {"id": _new_id(state), "uid": body["uid"], "title": body["title"], "version": 1}
    state.folders[body["uid"]] = folder
    return 200, folder


def _update_folder(state: State, h: _Handler, uid: str) -> tuple[int, Any]:
    state.folders[uid] = {**state.folders[uid], "title": h._body()["title"]}
    return 200, state.folders[uid]


def _get_dashboard(state: State, _h: _Handler, uid: str) -> tuple[int, Any]:
    if uid not in state.dashboards:
        return 404, {"message": "Dashboard not found"}
    return 200, copy.deepcopy(state.dashboards[uid])


def _save_dashboard(state: State, h: _Handler) -> tuple[int, Any]:
    body = h._body()
    dashboard = body["dashboard"]
    uid = dashboard["uid"]
    old = state.dashboards.get(uid)
    version = old["dashboard"]["version"] + 1 if old else 1
    folder_uid = body.get("folderUid", "")
    if folder_uid and folder_uid not in state.folders:
        return 400, {"message": "folder not found"}
    state.dashboards[uid] = {
        "dashboard": {**dashboard, "id": _new_id(state), "version": version},
        "meta": {"folderUid": folder_uid, "slug": uid, "provisioned": False},
    }
    return 200, {"id": state.next_id, "uid": uid, "status": "success", "version": version}


def _get_rule_group(state: State, _h: _Handler, folder: str, group: str) -> tuple[int, Any]:
    if (folder, group) not in state.rule_groups:
        return 404, {"message": "rule group does not exist"}
    return 200, copy.deepcopy(state.rule_groups[(folder, group)])


def _put_rule_group(state: State, h: _Handler, folder: str, group: str) -> tuple[int, Any]:
    if folder not in state.folders:
        return 400, {"message": "folder does not exist"}
    body = h._body()
    rules = [
        {**rule, "id": _new_id(state), "updated": "2026-03-15T12:30:00Z", "provenance": "api"}
        for rule in body["rules"]
    ]
    state.rule_groups[(folder, group)] = {**body, "rules": rules}
    return 200, state.rule_groups[(folder, group)]


def _get_contact_points(state: State, h: _Handler) -> tuple[int, Any]:
    name = re.search(r"name=([^&]+)", h.path)
    found = [cp for cp in state.contact_points if not name or cp["name"] == name[1]]
    return 200, copy.deepcopy(found)


def _create_contact_point(state: State, h: _Handler) -> tuple[int, Any]:
    body = {**h._body(), "provenance": "api"}
    state.contact_points.append(body)
    return 202, body


def _update_contact_point(state: State, h: _Handler, uid: str) -> tuple[int, Any]:
    for index, cp in enumerate(state.contact_points):
        if cp["uid"] == uid:
            state.contact_points[index] = {**h._body(), "provenance": "api"}
            return 202, {"message": "contactpoint updated"}
    return 404, {"message": "contact point not found"}


def _get_policies(state: State, _h: _Handler) -> tuple[int, Any]:
    return 200, copy.deepcopy(state.policies)


def _put_policies(state: State, h: _Handler) -> tuple[int, Any]:
    state.policies = {**h._body(), "provenance": "api"}
    return 202, {"message": "policies updated"}


_ROUTES = {
    "GET": [
        (r"/api/datasources/uid/([^/]+)", _get_datasource),
        (r"/api/folders/([^/]+)", _get_folder),
        (r"/api/dashboards/uid/([^/]+)", _get_dashboard),
        (r"/api/v1/provisioning/folder/([^/]+)/rule-groups/([^/]+)", _get_rule_group),
        (r"/api/v1/provisioning/contact-points", _get_contact_points),
        (r"/api/v1/provisioning/policies", _get_policies),
    ],
    "POST": [
        (r"/api/datasources", _create_datasource),
        (r"/api/folders", _create_folder),
        (r"/api/dashboards/db", _save_dashboard),
        (r"/api/v1/provisioning/contact-points", _create_contact_point),
    ],
    "PUT": [
        (r"/api/datasources/uid/([^/]+)", _update_datasource),
        (r"/api/folders/([^/]+)", _update_folder),
        (r"/api/v1/provisioning/folder/([^/]+)/rule-groups/([^/]+)", _put_rule_group),
        (r"/api/v1/provisioning/contact-points/([^/]+)", _update_contact_point),
        (r"/api/v1/provisioning/policies", _put_policies),
    ],
}


class FakeGrafana:
    """``with FakeGrafana() as grafana:`` serves on 127.0.0.1 at ``grafana.url``."""

    def __init__(self) -> None:
        self.state = State()
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeGrafana:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
