"""deploy/otel-collector/config.yaml: a complete pipeline that forwards to the processor."""

from __future__ import annotations

import re

import pytest
from deploy_files import COMPOSE_FILE, DEPLOY, interpolate, load_yaml, sample_env

CONFIG = DEPLOY / "otel-collector" / "config.yaml"
SECTIONS = ("receivers", "processors", "exporters", "extensions")


@pytest.fixture(scope="module")
def config() -> dict:
    return load_yaml(CONFIG)


@pytest.fixture(scope="module")
def compose() -> dict:
    return interpolate(load_yaml(COMPOSE_FILE), sample_env())


def component_type(component_id: str) -> str:
    """A component id is `type` or `type/name`."""
    return component_id.split("/", 1)[0]


def test_pipelines_reference_only_defined_components(config: dict) -> None:
    service = config["service"]
    referenced = {section: set() for section in SECTIONS}
    referenced["extensions"] = set(service["extensions"])
    for pipeline in service["pipelines"].values():
        for section in ("receivers", "processors", "exporters"):
            referenced[section].update(pipeline[section])
    for section in SECTIONS:
        # Everything used is defined, and nothing defined is left unused.
        assert referenced[section] == set(config[section]), section


def test_traces_pipeline_is_otlp_to_the_processor(config: dict) -> None:
    assert set(config["service"]["pipelines"]) == {"traces"}
    traces = config["service"]["pipelines"]["traces"]
    assert [component_type(r) for r in traces["receivers"]] == ["otlp"]
    # The memory limiter must run first to protect the collector, batching last.
    assert [component_type(p) for p in traces["processors"]] == ["memory_limiter", "batch"]
    assert [component_type(e) for e in traces["exporters"]] == ["loadbalancing"]
    protocols = config["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == "0.0.0.0:4317"
    assert protocols["http"]["endpoint"] == "0.0.0.0:4318"


def test_exporter_routes_by_trace_id_to_every_processor_with_the_bearer_token(
    config: dict, compose: dict
) -> None:
    exporter = config["exporters"]["loadbalancing/tokentrace"]
    # One trace, one replica: per-process dedupe stays exact with several replicas.
    assert exporter["routing_key"] == "traceID"
    dns = exporter["resolver"]["dns"]
    processor = compose["services"][dns["hostname"]]
    assert f"{dns['port']}:{dns['port']}" in processor["ports"]  # the processor's OTLP/gRPC
    otlp = exporter["protocol"]["otlp"]
    assert "endpoint" not in otlp  # the resolver supplies each replica's address
    assert otlp["headers"] == {"authorization": "Bearer ${env:TOKENTRACE_AUTH_TOKEN}"}
    # Retries stay inside the per-replica exporter: a retried batch reaches the same replica.
    assert otlp["retry_on_failure"]["enabled"] is True
    assert otlp["sending_queue"]["enabled"] is True


def test_every_variable_the_collector_expands_is_in_its_environment(compose: dict) -> None:
    names = re.findall(r"\$\{env:([A-Z0-9_]+)\}", CONFIG.read_text())
    assert names == ["TOKENTRACE_AUTH_TOKEN"]
    # Only the collector's own ${env:NAME} syntax: a bare ${NAME} is deprecated there.
    assert not re.search(r"\$\{(?!env:)", CONFIG.read_text())
    environment = compose["services"]["otel-collector"]["environment"]
    assert environment["TOKENTRACE_AUTH_TOKEN"] == sample_env()["TOKENTRACE_AUTH_TOKEN"]


def test_health_check_extension_listens_where_compose_publishes_it(
    config: dict, compose: dict
) -> None:
    assert config["extensions"]["health_check"]["endpoint"] == "0.0.0.0:13133"
    collector = compose["services"]["otel-collector"]
    assert "127.0.0.1:13133:13133" in collector["ports"]
    assert (
        "./otel-collector/config.yaml:/etc/otelcol-contrib/config.yaml:ro" in collector["volumes"]
    )
    assert collector["command"] == ["--config=/etc/otelcol-contrib/config.yaml"]
