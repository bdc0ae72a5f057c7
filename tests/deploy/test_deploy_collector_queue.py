"""deploy/otel-collector/persistent-queue.yaml: a collector whose sending queue is on disk, in
front of tokentrace serve, checked against the options the collector documents for the
release docker-compose.yml pins (no collector binary runs in CI)."""

from __future__ import annotations

import re

import pytest
from deploy_files import COMPOSE_FILE, DEPLOY, load_yaml

CONFIG = DEPLOY / "otel-collector" / "persistent-queue.yaml"
RELEASE = "0.149.0"
_CORE = f"https://github.com/open-telemetry/opentelemetry-collector/blob/v{RELEASE}"
_CONTRIB = f"https://github.com/open-telemetry/opentelemetry-collector-contrib/blob/v{RELEASE}"

# Every option each component takes, as its README lists it at RELEASE.
DOCUMENTED = {
    # {_CORE}/exporter/otlpexporter/README.md and {_CORE}/config/configgrpc/README.md (client)
    "otlp_grpc": {
        "endpoint", "tls", "headers", "compression", "timeout", "retry_on_failure",
        "sending_queue", "balancer_name", "keepalive", "read_buffer_size",
        "write_buffer_size", "auth", "middlewares",
    },
    # {_CORE}/config/configtls/README.md (client)
    "tls": {
        "insecure", "insecure_skip_verify", "ca_file", "cert_file", "key_file",
        "server_name_override", "min_version", "max_version", "include_system_ca_certs_pool",
        "reload_interval", "cipher_suites", "curve_preferences",
    },
    # {_CORE}/exporter/exporterhelper/README.md, "Retry on Failure"
    "retry_on_failure": {
        "enabled", "initial_interval", "max_interval", "max_elapsed_time", "multiplier",
    },
    # {_CORE}/exporter/exporterhelper/README.md, "Sending Queue" and "Persistent Queue"
    "sending_queue": {
        "enabled", "num_consumers", "wait_for_result", "block_on_overflow", "sizer",
        "queue_size", "batch", "storage",
    },
    # {_CORE}/exporter/exporterhelper/README.md, "Sending queue batch settings"
    "batch": {"flush_timeout", "min_size", "max_size", "sizer", "partition"},
    # {_CONTRIB}/extension/storage/filestorage/README.md
    "file_storage": {
        "directory", "timeout", "fsync", "create_directory", "directory_permissions",
        "compaction",
    },
    "compaction": {
        "on_start", "on_rebound", "directory", "max_transaction_size", "cleanup_on_start",
        "rebound_needed_threshold_mib", "rebound_trigger_threshold_mib", "check_interval",
    },
    # {_CORE}/processor/memorylimiterprocessor/README.md
    "memory_limiter": {
        "check_interval", "limit_mib", "spike_limit_mib", "limit_percentage",
        "spike_limit_percentage",
    },
    # {_CONTRIB}/extension/healthcheckextension/README.md (the option used here)
    "health_check": {"endpoint"},
}  # fmt: skip
SIZERS = {"requests", "items", "bytes"}


@pytest.fixture(scope="module")
def config() -> dict:
    return load_yaml(CONFIG)


def _type(component_id: str) -> str:
    return component_id.split("/", 1)[0]


def _undocumented(kind: str, options: dict) -> set[str]:
    return set(options) - DOCUMENTED[kind]


def test_every_option_is_one_the_pinned_collector_documents(config: dict) -> None:
    assert f"otel/opentelemetry-collector-contrib:{RELEASE}" in COMPOSE_FILE.read_text()
    (exporter,) = config["exporters"].values()
    queue = exporter["sending_queue"]
    extensions = config["extensions"]
    storage = extensions[queue["storage"]]
    found = {
        "otlp_grpc": _undocumented("otlp_grpc", exporter),
        "tls": _undocumented("tls", exporter["tls"]),
        "retry_on_failure": _undocumented("retry_on_failure", exporter["retry_on_failure"]),
        "sending_queue": _undocumented("sending_queue", queue),
        "batch": _undocumented("batch", queue["batch"]),
        "file_storage": _undocumented("file_storage", storage),
        "compaction": _undocumented("compaction", storage["compaction"]),
        "memory_limiter": _undocumented("memory_limiter", config["processors"]["memory_limiter"]),
        "health_check": _undocumented("health_check", extensions["health_check"]),
    }
    assert found == {kind: set() for kind in found}
    # 0.149.0 renamed the otlp exporter otlp_grpc (`otlp` is a deprecated alias there)
    assert [_type(name) for name in config["exporters"]] == ["otlp_grpc"]


def test_the_queue_is_on_disk_fsynced_and_retried_until_it_drains(config: dict) -> None:
    service = config["service"]
    (pipeline,) = service["pipelines"].values()
    (name,) = pipeline["exporters"]
    exporter = config["exporters"][name]
    queue = exporter["sending_queue"]
    # the storage is a file_storage extension, defined and started by the service
    assert _type(queue["storage"]) == "file_storage"
    assert queue["storage"] in config["extensions"] and queue["storage"] in service["extensions"]
    assert set(service["extensions"]) == set(config["extensions"])
    storage = config["extensions"][queue["storage"]]
    assert storage["fsync"] is True and storage["create_directory"] is True
    assert queue["enabled"] is True and not queue.get("wait_for_result", False)
    # retried for as long as the queue holds the batch: 0 never stops (exporterhelper README)
    assert exporter["retry_on_failure"]["max_elapsed_time"] in (0, "0s")
    # sized in spans, batched by the queue (no in-memory batch processor before it)
    assert queue["sizer"] in SIZERS and queue["sizer"] == "items"
    batch = queue["batch"]
    assert batch["min_size"] <= batch["max_size"] <= queue["queue_size"]
    assert batch["max_size"] <= 512  # the SDK's batch: under serve's body limit (BENCHMARKS)
    assert pipeline["processors"] == ["memory_limiter"]
    assert pipeline["receivers"] == ["otlp"] and set(config["receivers"]) == {"otlp"}


def test_it_sends_to_serves_grpc_port_with_the_bearer_token(config: dict) -> None:
    (exporter,) = config["exporters"].values()
    host, port = exporter["endpoint"].rsplit(":", 1)
    processor = load_yaml(COMPOSE_FILE)["services"][host]  # compose's processor service
    assert port == "4317"  # serve's default --grpc-port
    assert any(str(published).endswith(":4317") for published in processor["ports"])
    assert exporter["headers"] == {"authorization": "Bearer ${env:TOKENTRACE_AUTH_TOKEN}"}
    assert re.findall(r"\$\{([^}]*)\}", CONFIG.read_text()) == ["env:TOKENTRACE_AUTH_TOKEN"]
