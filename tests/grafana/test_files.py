"""The committed provisioning files parse, match the code, and hang together."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tokentrace.grafana import alerts, datasource, generate
from tokentrace.grafana.dashboards import DASHBOARDS
from tokentrace.grafana.dashboards.overview import KEY_STATUS
from tokentrace.processor.cli import main
from tokentrace.processor.store.views import VARIABLES, VIEWS

PROVISIONING = generate.DEFAULT_DIR
README = Path(generate.__file__).parent / "README.md"


def load(name: str) -> Any:
    text = (PROVISIONING / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)


def dashboards() -> list[dict[str, Any]]:
    return [load(f"dashboards/tokentrace/{name}.json") for name in DASHBOARDS]


def test_committed_files_are_what_the_code_generates() -> None:
    assert generate.differences() == [], "run `tokentrace grafana generate` and commit"
    for name, text in generate.files().items():
        parsed = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
        assert parsed == load(name), name


def test_generate_check_reports_drift_and_generate_repairs_it(tmp_path, capsys) -> None:
    assert main(["grafana", "generate", "--out", str(tmp_path)]) == 0
    assert main(["grafana", "generate", "--out", str(tmp_path), "--check"]) == 0
    (tmp_path / "alerting/rules.yaml").write_text("apiVersion: 1\n")
    (tmp_path / "dashboards/tokentrace/old.json").write_text("{}")
    capsys.readouterr()
    assert main(["grafana", "generate", "--out", str(tmp_path), "--check"]) == 1
    out = capsys.readouterr().out
    assert "alerting/rules.yaml" in out and "old.json" in out
    assert main(["grafana", "generate", "--out", str(tmp_path)]) == 0
    assert not (tmp_path / "dashboards/tokentrace/old.json").exists()
    assert generate.differences(tmp_path) == []


def test_datasource_file() -> None:
    [ds] = load("datasources/tokentrace.yaml")["datasources"]
    assert (ds["type"], ds["uid"]) == ("grafana-clickhouse-datasource", datasource.UID)
    assert set(ds["jsonData"]) >= {"host", "port", "protocol", "username", "defaultDatabase"}
    assert ds["secureJsonData"]["password"] == "$TOKENTRACE_CLICKHOUSE_PASSWORD"
    readme = README.read_text(encoding="utf-8")
    for variable in [*datasource.ENV.values(), alerts.WEBHOOK_ENV]:
        assert variable in readme, f"{variable} is not documented in grafana/README.md"


def test_dashboards_provider_points_at_the_dashboard_files() -> None:
    [provider] = load("dashboards/tokentrace.yaml")["providers"]
    assert provider["options"]["path"] == "/etc/grafana/provisioning/dashboards/tokentrace"
    assert (PROVISIONING / "dashboards/tokentrace").is_dir()
    assert provider["folderUid"] == "tokentrace"


def _cells(panel: dict[str, Any]) -> set[tuple[int, int]]:
    g = panel["gridPos"]
    return {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}


@pytest.mark.parametrize("dashboard", dashboards(), ids=lambda d: d["uid"])
def test_dashboard_structure(dashboard: dict[str, Any]) -> None:
    assert 41 <= dashboard["schemaVersion"] <= 42
    assert dashboard["time"] == {"from": "now-30d", "to": "now"}
    panels = dashboard["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    taken: set[tuple[int, int]] = set()
    for panel in panels:
        g = panel["gridPos"]
        assert g["x"] >= 0 and g["w"] > 0 and g["x"] + g["w"] <= 24, panel["title"]
        cells = _cells(panel)
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells
    sql_of_views = {view.sql: view for view in VIEWS.values()}
    for panel in (p for p in panels if p["type"] != "row"):
        [target] = panel["targets"]
        assert target["editorType"] == "sql"
        assert isinstance(target["format"], int) and target["format"] in (0, 1)
        assert target["datasource"] == {"type": datasource.TYPE, "uid": datasource.UID}
        assert panel["datasource"]["uid"] == datasource.UID
        view = sql_of_views[target["rawSql"]]  # one definition: a view's SQL, verbatim
        assert target["format"] == view.format
        assert target["queryType"] == ("timeseries" if view.format == 0 else "table")
        if "$__timeInterval" in view.sql or "$__interval_s" in view.sql:
            assert panel["maxDataPoints"] == view.max_data_points
            assert panel["interval"] == f"{view.min_interval_s}s"


@pytest.mark.parametrize("dashboard", dashboards(), ids=lambda d: d["uid"])
def test_variables_are_defined_for_everything_panels_use(dashboard: dict[str, Any]) -> None:
    variables = dashboard["templating"]["list"]
    assert [v["name"] for v in variables] == list(VARIABLES)
    for variable in variables:
        assert variable["type"] == "query" and variable["datasource"]["uid"] == datasource.UID
        assert variable["multi"] and variable["includeAll"]
        assert variable["current"]["value"] == ["$__all"]
        assert variable["query"].startswith(f"SELECT DISTINCT {variable['name']} ")
    names = {v["name"] for v in variables}
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            used = set(re.findall(r"\$\{(\w+)(?::\w+)?\}|\$(?!__)(\w+)", target["rawSql"]))
            assert {a or b for a, b in used} <= names, panel["title"]


def _rules() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(g, r) for g in load("alerting/rules.yaml")["groups"] for r in g["rules"]]


@pytest.mark.parametrize(("group", "rule"), _rules(), ids=lambda x: x.get("uid", x.get("name")))
def test_alert_rule_references(group: dict[str, Any], rule: dict[str, Any]) -> None:
    [ds] = load("datasources/tokentrace.yaml")["datasources"]
    boards = {d["uid"]: {p["id"] for p in d["panels"]} for d in dashboards()}
    assert group["folder"] == load("dashboards/tokentrace.yaml")["providers"][0]["folder"]
    refs = [q["refId"] for q in rule["data"]]
    assert len(refs) == len(set(refs)) and rule["condition"] in refs
    reduces = set()
    for query in rule["data"]:
        model = query["model"]
        assert model["refId"] == query["refId"]
        if query["datasourceUid"] == "__expr__":
            assert model["datasource"] == {"type": "__expr__", "uid": "__expr__"}
            assert model["expression"] in refs and model["expression"] != query["refId"]
            assert model["type"] in ("reduce", "threshold")
            if model["type"] == "reduce":
                reduces.add(query["refId"])
            else:
                [condition] = model["conditions"]
                assert condition["evaluator"]["type"] in ("gt", "gte", "lt", "lte")
                assert model["expression"] in reduces
        else:
            assert query["datasourceUid"] == ds["uid"]
            assert model["format"] == 1 and model["editorType"] == "sql"  # labelled numbers
            assert query["relativeTimeRange"]["from"] > query["relativeTimeRange"]["to"] == 0
            # Alert queries run in the backend: no dashboard variables or conditionalAll.
            assert "$__conditionalAll" not in model["rawSql"] and "${" not in model["rawSql"]
    assert rule["noDataState"] in ("NoData", "Alerting", "OK", "KeepLast")
    assert rule["execErrState"] in ("Error", "Alerting", "OK", "KeepLast")
    assert re.fullmatch(r"\d+[smh]", rule["for"])
    assert rule["labels"]["severity"] in ("info", "warning", "critical")
    assert rule["panelId"] in boards[rule["dashboardUid"]]
    templates = " ".join(rule["annotations"].values())
    assert set(re.findall(r"\$values\.(\w+)", templates)) <= reduces
    assert "${" not in templates  # Grafana would expand it as an environment variable


def test_every_rule_routes_to_the_contact_point() -> None:
    [contact] = load("alerting/contact-points.yaml")["contactPoints"]
    [receiver] = contact["receivers"]
    assert receiver["type"] == "webhook"
    assert receiver["settings"]["url"] == f"${alerts.WEBHOOK_ENV}"
    [policy] = load("alerting/policies.yaml")["policies"]
    [route] = policy["routes"]
    assert route["receiver"] == contact["name"]
    [[label, operator, value]] = route["object_matchers"]
    assert operator == "="
    for _group, rule in _rules():
        assert rule["labels"][label] == value, rule["uid"]


# Grafana's special value matches (https://grafana.com/docs/grafana/latest/panels-visualizations/
# configure-value-mappings/: Null, NaN, Null + NaN, True, False, Empty; the schema's
# SpecialValueMatch spells them so) and the Reduce expression's non-number modes
# (https://grafana.com/docs/grafana/latest/panels-visualizations/query-transform-data/expression-queries/:
# Strict when absent, "dropNN", "replaceNN" with replaceWithValue).
SPECIAL_MATCHES = ("null", "nan", "null+nan", "true", "false", "empty")
REDUCE_MODES = ("dropNN", "replaceNN")


def _mappings(panel: dict[str, Any]) -> list[dict[str, Any]]:
    config = panel.get("fieldConfig", {})
    found = list(config.get("defaults", {}).get("mappings", []))
    for override in config.get("overrides", []):
        for prop in override["properties"]:
            if prop["id"] == "mappings":
                found.extend(prop["value"])
    return found


@pytest.mark.parametrize("dashboard", dashboards(), ids=lambda d: d["uid"])
def test_null_handling_is_in_grafanas_documented_forms(dashboard: dict[str, Any]) -> None:
    """An unknown cost (NULL) reaches Grafana only through forms it documents: a special value
    mapping of "null" (applied before noValue: displayProcessor sets the mapped text first and
    falls back to noValue only when no text was found), a string noValue; no null-as-zero."""
    for panel in (p for p in dashboard["panels"] if p["type"] != "row"):
        for mapping in _mappings(panel):
            assert mapping["type"] in ("special", "value", "range", "regex"), panel["title"]
            if mapping["type"] == "special":
                assert mapping["options"]["match"] in SPECIAL_MATCHES, panel["title"]
                assert isinstance(mapping["options"]["result"]["text"], str), panel["title"]
        no_value = panel["fieldConfig"]["defaults"].get("noValue")
        assert no_value is None or (isinstance(no_value, str) and no_value), panel["title"]
        text = json.dumps(panel)
        assert "null as zero" not in text and '"nullValueMode"' not in text, panel["title"]
        assert '"spanNulls": true' not in text, panel["title"]  # a gap, never bridged


def test_alert_reducers_drop_nulls_in_grafanas_documented_form() -> None:
    for _, rule in _rules():
        for query in rule["data"]:
            if query["model"].get("type") == "reduce":
                assert query["model"]["settings"]["mode"] in REDUCE_MODES, rule["uid"]


@pytest.mark.parametrize("dashboard", dashboards(), ids=lambda d: d["uid"])
def test_a_table_says_what_no_row_means_on_every_grafana(dashboard: dict[str, Any]) -> None:
    """A table's ``noValue`` is what it reads without a row on Grafana 10 and 11 (the Table
    passes the field config's ``noValue`` as ``noValuesDisplayText``, grafana/grafana#82948) and
    on TableNG once grafana/grafana#121099 gave it a ``noRowsFallback`` (2026-03). Grafana 12's
    TableNG before that passes no ``noRowsFallback`` to react-data-grid: an empty grid, no text
    (grafana/grafana TableNG.tsx ``renderers={{ renderRow, renderCell: renderCellRoot }}``; on
    12.4.6, Azure/azure-managed-grafana#75). The description's (i), on every version, says it."""
    tables = [p for p in dashboard["panels"] if p["type"] == "table"]
    for panel in tables:
        no_rows = panel["fieldConfig"]["defaults"].get("noValue")
        if no_rows is not None:
            assert panel["description"].endswith(f"Without a row: {no_rows}"), panel["title"]


def test_every_key_status_has_its_colour() -> None:
    """The billed-vs-metered-by-key table colours every status the view can give, each once."""
    sql = VIEWS["reconciliation_by_key"].sql
    case = sql[sql.index("multiIf(") : sql.index(") AS status")]
    assert set(re.findall(r"'([a-z ]+)'", case)) == set(KEY_STATUS)
    [table] = [p for p in load("dashboards/tokentrace/overview.json")["panels"]
               if p["title"] == "Billed vs metered by API key"]  # fmt: skip
    overrides = table["fieldConfig"]["overrides"]
    [override] = [o for o in overrides if o["matcher"]["options"] == "status"]
    properties = {p["id"]: p["value"] for p in override["properties"]}
    assert properties["custom.cellOptions"] == {"type": "color-text"}
    [mapping] = properties["mappings"]
    assert {k: v["color"] for k, v in mapping["options"].items()} == KEY_STATUS
