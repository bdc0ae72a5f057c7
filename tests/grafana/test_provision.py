"""``tokentrace grafana provision`` against a loopback server answering like Grafana's API.

This is a contract test (see fake_grafana.py), not a live Grafana.
"""

from __future__ import annotations

import pytest
from grafana_client import GrafanaApi

from grafana.fake_grafana import TOKEN, FakeGrafana
from tokentrace.grafana import alerts, datasource
from tokentrace.grafana.provision import matches, provision
from tokentrace.processor.cli import main

CLICKHOUSE = "http://reader:s%40cret@clickhouse:8123/llm"
WEBHOOK = "https://hooks.example.com/tokentrace"


@pytest.fixture
def grafana():
    with FakeGrafana() as server:
        yield server


def push(grafana: FakeGrafana, **kwargs: str | None) -> dict[str, str]:
    api = GrafanaApi.from_url(grafana.url, credential=TOKEN)
    options = {"clickhouse_url": CLICKHOUSE, "webhook_url": WEBHOOK, **kwargs}
    return {f"{o.kind}:{o.name}": o.action for o in provision(api, **options)}


def test_first_run_creates_everything_and_second_run_changes_nothing(grafana) -> None:
    first = push(grafana)
    rule_uids = [rule.uid for group in alerts.GROUPS for rule in group.rules]
    assert first == {
        "datasource:tokentrace-clickhouse": "created",
        "folder:tokentrace": "created",
        "dashboard:tokentrace-overview": "created",
        "dashboard:tokentrace-drilldown": "created",
        **{f"alert rule:{uid}": "created" for uid in rule_uids},
        "contact point:tokentrace-webhook": "created",
        "policy:tokentrace-webhook": "created",
    }
    state = grafana.state
    ds = state.datasources[datasource.UID]
    assert ds["jsonData"]["host"] == "clickhouse" and ds["jsonData"]["port"] == 8123
    assert ds["jsonData"]["defaultDatabase"] == "llm" and ds["jsonData"]["username"] == "reader"
    assert ds["secureJsonData"] == {"password": "s@cret"}
    assert {d["meta"]["folderUid"] for d in state.dashboards.values()} == {"tokentrace"}
    assert sorted(state.rule_groups) == [
        ("tokentrace", "budgets"),
        ("tokentrace", "reconciliation"),
        ("tokentrace", "spend"),
    ]
    assert state.rule_groups[("tokentrace", "budgets")]["interval"] == 300
    webhook = next(cp for cp in state.contact_points if cp["name"] == alerts.CONTACT_POINT)
    assert webhook["settings"]["url"] == WEBHOOK
    assert state.policies["receiver"] == "grafana-default-email"  # the root is kept
    assert state.policies["routes"][0]["receiver"] == alerts.CONTACT_POINT

    writes = len(state.writes())
    second = push(grafana)
    assert set(second.values()) == {"unchanged"}
    assert len(state.writes()) == writes  # nothing was written the second time


def test_changes_made_in_grafana_are_put_back(grafana) -> None:
    push(grafana)
    state = grafana.state
    state.dashboards["tokentrace-overview"]["dashboard"]["title"] = "edited by hand"
    rule = state.rule_groups[("tokentrace", "spend")]["rules"][0]
    rule["data"][-1]["model"]["conditions"][0]["evaluator"]["params"] = [99]
    state.folders["tokentrace"]["title"] = "renamed"
    again = push(grafana)
    assert again["dashboard:tokentrace-overview"] == "updated"
    assert again[f"alert rule:{rule['uid']}"] == "updated"
    assert again["folder:tokentrace"] == "updated"
    assert again["dashboard:tokentrace-drilldown"] == "unchanged"
    assert state.dashboards["tokentrace-overview"]["dashboard"]["title"] == "LLM cost overview"
    assert push(grafana) == {key: "unchanged" for key in again}


def test_other_notification_routes_are_kept(grafana) -> None:
    theirs = {"receiver": "oncall", "object_matchers": [["team", "=", "sre"]]}
    outdated = {**alerts.route(), "group_wait": "5m"}
    grafana.state.policies["routes"] = [theirs, outdated]
    assert push(grafana)["policy:tokentrace-webhook"] == "updated"
    assert grafana.state.policies["routes"] == [alerts.route(), theirs]


def test_without_urls_the_datasource_and_contact_point_are_left_alone(grafana) -> None:
    outcomes = push(grafana, clickhouse_url=None, webhook_url=None)
    assert outcomes["datasource:tokentrace-clickhouse"] == "skipped"
    assert outcomes["contact point:tokentrace-webhook"] == "skipped"
    assert outcomes["policy:tokentrace-webhook"] == "skipped"
    assert grafana.state.datasources == {}
    assert "routes" not in grafana.state.policies


def test_the_embedded_store_cannot_be_a_datasource() -> None:
    with pytest.raises(ValueError, match="needs a ClickHouse server URL"):
        datasource.api_body("chdb:///var/lib/tokentrace")


def test_matches_ignores_fields_grafana_adds_but_not_ours() -> None:
    assert matches(
        {"a": 1, "id": 7, "b": {"c": [1, {"d": 2, "x": 0}]}}, {"b": {"c": [1, {"d": 2}]}}
    )
    assert not matches({"a": 1}, {"a": 2})
    assert not matches({"a": [1, 2]}, {"a": [1]})
    assert not matches({}, {"a": None})


def test_cli_provisions_and_reports(grafana, capsys) -> None:
    argv = ["grafana", "provision", "--url", grafana.url, "--token", TOKEN]
    argv += ["--clickhouse", CLICKHOUSE, "--webhook-url", WEBHOOK]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "created   dashboard     tokentrace-overview" in out
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out and all(line.startswith("unchanged") for line in out)


def test_cli_reports_a_bad_token(grafana, capsys) -> None:
    assert main(["grafana", "provision", "--url", grafana.url, "--token", "wrong"]) == 1
    assert "Unauthorized" in capsys.readouterr().err


def test_cli_leaves_the_datasource_alone_for_an_embedded_store(grafana, capsys) -> None:
    argv = ["grafana", "provision", "--url", grafana.url, "--token", TOKEN]
    assert main([*argv, "--clickhouse", "chdb:///tmp/x"]) == 0
    captured = capsys.readouterr()
    assert "embedded store" in captured.err
    assert "skipped   datasource" in captured.out


def test_cli_reports_an_unreachable_grafana(capsys) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    assert main(["grafana", "provision", "--url", url, "--token", TOKEN]) == 1
    assert f"cannot reach {url}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--url", "notaurl"],
         "argument --url: not the URL of a Grafana: 'notaurl'; give http://HOST:PORT, e.g. "
         "http://admin:admin@localhost:3000"),
        (["--url", "http://127.0.0.1:1", "--webhook-url", "hooks"],
         "argument --webhook-url: not the URL of a webhook: 'hooks'; give http://HOST:PORT, e.g. "
         "https://hooks.example.com/llm-cost (--webhook-url or $TOKENTRACE_ALERT_WEBHOOK_URL)"),
    ],
)  # fmt: skip
def test_a_url_that_names_no_grafana_or_webhook_is_one_line(capsys, args, said) -> None:
    """Was requests' "Invalid URL '://None/notaurlapi/folders/tokentrace': No scheme supplied"
    for --url, and a webhook URL Grafana would refuse was pushed as it stood."""
    with pytest.raises(SystemExit) as exit_:
        main(["grafana", "provision", *args])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1].endswith(said)
