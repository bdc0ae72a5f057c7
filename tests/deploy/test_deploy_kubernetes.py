"""deploy/kubernetes: schema-valid manifests that reference each other correctly.

Each manifest is validated against the Kubernetes OpenAPI schemas (strict: unknown fields
fail); when kubectl is installed, the kustomization is also built as a user would build it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from deploy_files import (
    COMPOSE_FILE,
    DEPLOY,
    KUBERNETES,
    PROVISIONING,
    SECRETS,
    SECRETS_EXAMPLE,
    interpolate,
    load_yaml,
    load_yaml_all,
    provisioning_env_vars,
    read_env_file,
    sample_env,
)

from tokentrace.processor.store import store

KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
GRAFANA_FOLDERS = ("datasources", "dashboards", "alerting")
WORKLOADS = ("StatefulSet", "Deployment")


@pytest.fixture(scope="module")
def kustomization() -> dict:
    return load_yaml(KUBERNETES / "kustomization.yaml")


@pytest.fixture(scope="module")
def resources(kustomization: dict) -> dict[tuple[str, str], dict]:
    found = {}
    for name in kustomization["resources"]:
        for doc in load_yaml_all(KUBERNETES / name):
            found[doc["kind"], doc["metadata"]["name"]] = doc
    return found


@pytest.fixture(scope="module")
def pods(resources: dict) -> dict[str, dict]:
    """Pod templates of the workloads, by workload name."""
    return {
        name: doc["spec"]["template"]
        for (kind, name), doc in resources.items()
        if kind in WORKLOADS
    }


@pytest.fixture(scope="module")
def generators(kustomization: dict) -> dict[str, dict[str, Path]]:
    """ConfigMap name -> {key: source file} from the configMapGenerator."""
    generated = {}
    for generator in kustomization["configMapGenerator"]:
        files = {}
        for entry in generator["files"]:
            key, _, source = entry.rpartition("=")
            path = (KUBERNETES / source).resolve()
            files[key or path.name] = path
        generated[generator["name"]] = files
    return generated


def containers(pod: dict, *, init: bool = True) -> Iterator[dict]:
    yield from pod["spec"]["containers"]
    if init:
        yield from pod["spec"].get("initContainers", [])


def container(pods: dict, workload: str, name: str) -> dict:
    (found,) = [c for c in containers(pods[workload]) if c["name"] == name]
    return found


def resolve_env(spec: dict, resources: dict) -> dict[str, str]:
    """A container's environment as the kubelet builds it: envFrom first, then env in order,
    expanding $(VAR) from what is already defined (secrets from the filled-in template)."""
    env: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        env.update(resources["ConfigMap", source["configMapRef"]["name"]]["data"])
    secrets = sample_env()
    for entry in spec.get("env", []):
        if "value" in entry:
            env[entry["name"]] = re.sub(
                r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                lambda m: env.get(m[1], m[0]),
                entry["value"],
            )
        elif "secretKeyRef" in entry["valueFrom"]:
            env[entry["name"]] = secrets[entry["valueFrom"]["secretKeyRef"]["key"]]
        else:
            ref = entry["valueFrom"]["configMapKeyRef"]
            env[entry["name"]] = resources["ConfigMap", ref["name"]]["data"][ref["key"]]
    return env


def test_kustomization_lists_every_manifest(kustomization: dict) -> None:
    on_disk = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(kustomization["resources"]) == sorted(on_disk)
    for name in on_disk:
        assert len(load_yaml_all(KUBERNETES / name)) == 1, f"{name}: one resource per file"
    assert kustomization["namespace"] == "tokentrace"


def test_every_manifest_has_api_version_kind_and_metadata(resources: dict) -> None:
    for (kind, name), doc in resources.items():
        assert doc["apiVersion"] and kind and name, doc
        assert "namespace" not in doc["metadata"], f"{kind}/{name}: kustomize sets the namespace"
        if kind != "Namespace":
            assert doc["metadata"]["labels"]["app.kubernetes.io/name"], f"{kind}/{name}"


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_manifests_match_the_kubernetes_schema(resources: dict, version: str) -> None:
    for (kind, name), doc in resources.items():
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{kind}/{name} on Kubernetes {version}: {error.message}")


def test_schema_check_rejects_a_misspelt_field(resources: dict) -> None:
    doc = resources["StatefulSet", "tokentrace-processor"]
    broken = {**doc, "spec": {**doc["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError, match="replica"):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)


def test_generated_configmaps_come_from_files_in_the_repository(generators: dict) -> None:
    for name, files in generators.items():
        for key, source in files.items():
            assert re.fullmatch(r"[-._a-zA-Z0-9]+", key), f"{name}: bad key {key}"
            assert source.is_file(), f"{name}: {source} is missing"
    assert (
        generators["clickhouse-users"]["tokentrace.xml"]
        == DEPLOY / "clickhouse/users.d/tokentrace.xml"
    )
    assert generators["tokentrace-prices"]["prices.yaml"] == DEPLOY / "prices.yaml"


def test_grafana_configmaps_carry_every_provisioning_file(generators: dict, pods: dict) -> None:
    grafana = container(pods, "grafana", "grafana")
    mounts = {m["mountPath"]: m["name"] for m in grafana["volumeMounts"]}
    volumes = {v["name"]: v for v in pods["grafana"]["spec"]["volumes"]}
    folders = {p.parent for p in PROVISIONING.rglob("*") if p.is_file()}
    assert {f.relative_to(PROVISIONING).parts[0] for f in folders} == set(GRAFANA_FOLDERS)
    mounted = set()
    for folder in folders:
        relative = folder.relative_to(PROVISIONING).as_posix()
        configmap = "grafana-" + relative.replace("/", "-")
        on_disk = {p for p in folder.iterdir() if p.is_file()}
        assert set(generators[configmap].values()) == on_disk, f"{configmap} != {relative}/"
        path = f"/etc/grafana/provisioning/{relative}"
        assert volumes[mounts[path]]["configMap"]["name"] == configmap, path
        mounted.add(path)
    # Nothing else is mounted under provisioning, so no stale ConfigMap shadows a folder.
    assert {m for m in mounts if m.startswith("/etc/grafana/provisioning")} == mounted


def test_dashboard_providers_read_a_mounted_folder(generators: dict) -> None:
    for provider_file in (PROVISIONING / "dashboards").glob("*.yaml"):
        for provider in load_yaml(provider_file)["providers"]:
            path = Path(provider["options"]["path"])
            relative = path.relative_to("/etc/grafana/provisioning").as_posix()
            dashboards = generators["grafana-" + relative.replace("/", "-")]
            assert any(key.endswith(".json") for key in dashboards), path


def test_generated_configmaps_fit_the_size_limit(generators: dict) -> None:
    # The API server refuses objects over 1 MiB (README: apply with --server-side, since a
    # client-side apply also copies each object into a 256 KiB annotation).
    for name, files in generators.items():
        size = sum(source.stat().st_size for source in files.values())
        assert size < 900 * 1024, f"{name} is {size} bytes"


def test_services_select_pods_and_target_their_named_ports(resources: dict, pods: dict) -> None:
    for (kind, name), service in resources.items():
        if kind != "Service":
            continue
        selector = service["spec"]["selector"]
        selected = [p for p in pods.values() if selector.items() <= p["metadata"]["labels"].items()]
        assert len(selected) == 1, f"Service {name} selects {len(selected)} workloads"
        ports = {
            p["name"]: p["containerPort"]
            for c in containers(selected[0], init=False)
            for p in c["ports"]
        }
        for port in service["spec"]["ports"]:
            assert ports[port["targetPort"]] == port["port"], f"Service {name}: {port}"


def test_processor_service_exposes_otlp_grpc_and_http(resources: dict) -> None:
    ports = {
        p["name"]: (p["port"], p["appProtocol"])
        for p in resources["Service", "tokentrace-processor"]["spec"]["ports"]
    }
    assert ports == {"otlp-grpc": (4317, "grpc"), "otlp-http": (4318, "http")}


def test_processor_is_a_statefulset_with_a_spool_claim_per_pod(resources: dict, pods: dict) -> None:
    statefulset = resources["StatefulSet", "tokentrace-processor"]["spec"]
    assert statefulset["replicas"] >= 2
    assert resources["Service", statefulset["serviceName"]]["spec"]["clusterIP"] == "None"
    assert statefulset["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    (claim,) = statefulset["volumeClaimTemplates"]
    processor = container(pods, "tokentrace-processor", "processor")
    args = processor["args"]
    assert args[:4] == ["serve", "--host", "0.0.0.0", "--spool-dir"]
    mounts = {m["name"]: m["mountPath"] for m in processor["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]] == args[args.index("--spool-dir") + 1]
    compose = load_yaml(COMPOSE_FILE)["services"]["processor"]["command"]
    assert args == compose, "compose and Kubernetes run the processor the same way"


def test_every_container_is_probed_on_real_health_paths(pods: dict) -> None:
    for workload, pod in pods.items():
        for spec in containers(pod, init=False):
            ports = {p["name"] for p in spec["ports"]}
            for probe in ("readinessProbe", "livenessProbe"):
                assert probe in spec, f"{workload}/{spec['name']} has no {probe}"
                assert spec[probe]["httpGet"]["port"] in ports
    processor = container(pods, "tokentrace-processor", "processor")
    assert processor["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "otlp-http"}
    assert processor["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "otlp-http"}
    assert (
        container(pods, "clickhouse", "clickhouse")["readinessProbe"]["httpGet"]["path"] == "/ping"
    )
    assert (
        container(pods, "grafana", "grafana")["readinessProbe"]["httpGet"]["path"] == "/api/health"
    )


def test_hpa_scales_the_processor_on_cpu_and_the_pdb_keeps_one_up(
    resources: dict, pods: dict
) -> None:
    hpa = resources["HorizontalPodAutoscaler", "tokentrace-processor"]["spec"]
    target = hpa["scaleTargetRef"]
    assert (target["kind"], target["name"]) in resources
    assert target["kind"] == "StatefulSet"
    assert 2 <= hpa["minReplicas"] < hpa["maxReplicas"]
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]
    # Utilization is measured against requests: without a CPU request the HPA does nothing.
    assert container(pods, "tokentrace-processor", "processor")["resources"]["requests"]["cpu"]
    pdb = resources["PodDisruptionBudget", "tokentrace-processor"]["spec"]
    labels = pods["tokentrace-processor"]["metadata"]["labels"]
    assert pdb["selector"]["matchLabels"].items() <= labels.items()
    assert 1 <= pdb["minAvailable"] < hpa["minReplicas"]


def test_pods_meet_the_restricted_pod_security_standard(resources: dict, pods: dict) -> None:
    namespace = resources["Namespace", "tokentrace"]["metadata"]["labels"]
    assert namespace["pod-security.kubernetes.io/enforce"] == "restricted"
    for workload, pod in pods.items():
        spec = pod["spec"]
        assert spec["securityContext"]["runAsNonRoot"] is True, workload
        assert spec["securityContext"]["runAsUser"] != 0, workload
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, workload
        assert spec["automountServiceAccountToken"] is False, workload
        for c in containers(pod):
            context = c["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, c["name"]
            assert context["capabilities"] == {"drop": ["ALL"]}, c["name"]
            assert c["resources"]["requests"] and c["resources"]["limits"]["memory"], c["name"]
    for c in containers(pods["tokentrace-processor"]):
        assert c["securityContext"]["readOnlyRootFilesystem"] is True, c["name"]


def test_secret_and_configmap_references_resolve(
    resources: dict, pods: dict, kustomization: dict, generators: dict
) -> None:
    (secret,) = kustomization["secretGenerator"]
    assert secret == {"name": "tokentrace-secrets", "envs": ["secrets.env"]}
    template = read_env_file(SECRETS_EXAMPLE)
    assert tuple(template) == SECRETS and not any(template.values())
    used = set()
    configmaps = {name for kind, name in resources if kind == "ConfigMap"} | set(generators)
    for pod in pods.values():
        for c in containers(pod):
            for entry in c.get("env", []):
                ref = entry.get("valueFrom", {})
                if "secretKeyRef" in ref:
                    assert ref["secretKeyRef"]["name"] == secret["name"]
                    used.add(ref["secretKeyRef"]["key"])
                if "configMapKeyRef" in ref:
                    data = resources["ConfigMap", ref["configMapKeyRef"]["name"]]["data"]
                    assert ref["configMapKeyRef"]["key"] in data
            for source in c.get("envFrom", []):
                assert source["configMapRef"]["name"] in configmaps
        for volume in pod["spec"].get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in configmaps
            if "persistentVolumeClaim" in volume:
                assert (
                    "PersistentVolumeClaim",
                    volume["persistentVolumeClaim"]["claimName"],
                ) in resources
    assert used == set(SECRETS)


def test_processor_store_url_resolves_to_the_writer(resources: dict, pods: dict) -> None:
    processor = container(pods, "tokentrace-processor", "processor")
    env = resolve_env(processor, resources)
    url = env["TOKENTRACE_CLICKHOUSE_URL"]
    assert "$(" not in url, f"unresolved reference in {url}"
    parsed = store.StoreURL.parse(url)
    assert parsed.database == "tokentrace" and not parsed.embedded
    password = sample_env()["CLICKHOUSE_WRITER_PASSWORD"]
    assert url == f"http://tokentrace_writer:{password}@clickhouse:8123/tokentrace"
    assert env["TOKENTRACE_AUTH_TOKEN"] == sample_env()["TOKENTRACE_AUTH_TOKEN"]
    mounts = {m["name"]: m["mountPath"] for m in processor["volumeMounts"]}
    assert env["TOKENTRACE_PRICES_FILE"] == mounts["prices"] + "/prices.yaml"


def test_grafana_environment_provides_every_variable_provisioning_reads(
    resources: dict, pods: dict
) -> None:
    env = resolve_env(container(pods, "grafana", "grafana"), resources)
    missing = provisioning_env_vars() - set(env)
    assert not missing, (
        f"grafana/provisioning reads {sorted(missing)}, the Deployment does not set them"
    )
    assert env["TOKENTRACE_CLICKHOUSE_USER"] == "tokentrace_reader"
    assert env["TOKENTRACE_CLICKHOUSE_PASSWORD"] == sample_env()["CLICKHOUSE_READER_PASSWORD"]
    compose = load_yaml(COMPOSE_FILE)["services"]["grafana"]["environment"]
    assert env["GF_PLUGINS_PREINSTALL_SYNC"] == compose["GF_PLUGINS_PREINSTALL_SYNC"]


def test_images_are_pinned_and_the_same_as_in_compose(
    resources: dict, pods: dict, kustomization: dict
) -> None:
    compose = interpolate(load_yaml(COMPOSE_FILE), sample_env())["services"]
    expected = {
        "tokentrace-processor": compose["processor"]["image"],
        "clickhouse": compose["clickhouse"]["image"],
        "grafana": compose["grafana"]["image"],
    }
    for workload, pod in pods.items():
        for c in containers(pod):
            assert c["image"] == expected[workload], f"{workload}/{c['name']}"
    (override,) = kustomization["images"]
    assert override == {
        "name": "tokentrace-processor",
        "newTag": compose["processor"]["image"].rpartition(":")[2],
    }


def test_clickhouse_statefulset_mounts_the_users_file_and_keeps_its_data(
    resources: dict, pods: dict, generators: dict
) -> None:
    statefulset = resources["StatefulSet", "clickhouse"]["spec"]
    assert statefulset["replicas"] == 1
    (claim,) = statefulset["volumeClaimTemplates"]
    clickhouse = container(pods, "clickhouse", "clickhouse")
    mounts = {m["mountPath"]: m for m in clickhouse["volumeMounts"]}
    assert mounts["/var/lib/clickhouse"]["name"] == claim["metadata"]["name"]
    volumes = {v["name"]: v for v in pods["clickhouse"]["spec"]["volumes"]}
    for path, configmap in (
        ("/etc/clickhouse-server/users.d/tokentrace.xml", "clickhouse-users"),
        ("/etc/clickhouse-server/config.d/tokentrace-logging.xml", "clickhouse-config"),
    ):
        mount = mounts[path]
        assert volumes[mount["name"]]["configMap"]["name"] == configmap
        assert mount["subPath"] in generators[configmap] and mount["subPath"] == Path(path).name
    env = resolve_env(clickhouse, resources)
    assert env["CLICKHOUSE_DB"] == "tokentrace"
    assert not {"CLICKHOUSE_USER", "CLICKHOUSE_PASSWORD"} & set(env)


def secret_keys_used(pod: dict) -> set[str]:
    """The Secret keys a pod's (non-init) containers read."""
    return {
        e["valueFrom"]["secretKeyRef"]["key"]
        for c in containers(pod, init=False)
        for e in c.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }


@pytest.mark.parametrize("workload", ["clickhouse", "tokentrace-processor", "grafana"])
def test_pods_refuse_to_start_with_an_empty_secret(pods: dict, workload: str) -> None:
    check = container(pods, workload, "require-secrets")
    keys = {e["name"] for e in check["env"]}
    # It checks every secret its pod uses, under the Secret's own key names.
    assert keys == secret_keys_used(pods[workload])
    assert {e["valueFrom"]["secretKeyRef"]["key"] for e in check["env"]} == keys

    def run(env: dict[str, str]) -> subprocess.CompletedProcess:
        env = {"PATH": "/usr/bin:/bin", **env}
        return subprocess.run(check["command"], env=env, capture_output=True, text=True, timeout=30)

    filled = {key: "x" * 8 for key in keys}
    assert run(filled).returncode == 0
    for key in keys:
        result = run({**filled, key: ""})
        assert result.returncode == 1
        assert result.stderr.strip() == f"tokentrace-secrets: {key} must not be empty"


def test_network_policy_admits_only_the_processor_and_grafana(resources: dict, pods: dict) -> None:
    policy = resources["NetworkPolicy", "clickhouse-clients"]["spec"]
    assert (
        policy["podSelector"]["matchLabels"].items()
        <= pods["clickhouse"]["metadata"]["labels"].items()
    )
    (rule,) = policy["ingress"]
    admitted = set()
    for peer in rule["from"]:
        labels = peer["podSelector"]["matchLabels"]
        admitted |= {
            name
            for name, pod in pods.items()
            if labels.items() <= pod["metadata"]["labels"].items()
        }
    assert admitted == {"tokentrace-processor", "grafana"}
    ports = {p["name"] for p in container(pods, "clickhouse", "clickhouse")["ports"]}
    assert {p["port"] for p in rule["ports"]} == ports


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_kustomize_builds_a_valid_stack(tmp_path: Path) -> None:
    # The documented layout: deploy/ and grafana/provisioning side by side, secrets filled in.
    shutil.copytree(DEPLOY, tmp_path / "deploy")
    shutil.copytree(PROVISIONING, tmp_path / "grafana" / "provisioning")
    secrets = {name: sample_env()[name] for name in SECRETS}
    (tmp_path / "deploy/kubernetes/secrets.env").write_text(
        "".join(f"{k}={v}\n" for k, v in secrets.items())
    )
    result = subprocess.run(
        [
            "kubectl",
            "kustomize",
            "--load-restrictor",
            "LoadRestrictionsNone",
            str(tmp_path / "deploy/kubernetes"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    built = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    for (kind, name), doc in built.items():
        kubernetes_validate.validate(doc, KUBERNETES_VERSIONS[-1], strict=True)
        if kind != "Namespace":
            assert doc["metadata"]["namespace"] == "tokentrace", f"{kind}/{name}"
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == "tokentrace"
    # Generated ConfigMaps/Secret get hashed names, and every reference follows them.
    names = {name for _, name in built}
    referenced = set(
        re.findall(
            r"name: ((?:clickhouse|grafana|tokentrace)-[a-z-]+-[a-z0-9]{10})\b", result.stdout
        )
    )
    assert referenced and referenced <= names
    (secret,) = [d for d in docs if d["kind"] == "Secret"]
    assert set(secret["data"]) == set(SECRETS)
    (users,) = [
        d
        for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("clickhouse-users-")
    ]
    assert (
        users["data"]["tokentrace.xml"]
        == (DEPLOY / "clickhouse/users.d/tokentrace.xml").read_text()
    )
