"""deploy/k8s: valid against the Kubernetes schemas, and agreeing with the services it runs.

Each service's API, relay and consumer (where it has one) are Deployments of their own with probes
on /healthz and /readyz, resources, a PodDisruptionBudget, and an autoscaler for the API; every
setting they pass is a field of the service's settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from kinerja.services import definition
from shared.messaging.kafka import all_topics
from tests.contract.compose_files import ROOT, SERVICE_NAMES, default_http_port, settings_class

K8S_DIR = ROOT / "deploy" / "k8s"


def manifests() -> dict[Path, list[dict[str, Any]]]:
    """Every resource of every manifest file (the kustomization is not one)."""
    return {
        path: [document for document in yaml.safe_load_all(path.read_text(encoding="utf-8")) if document]
        for path in sorted(K8S_DIR.glob("*.yaml"))
        if path.name != "kustomization.yaml"
    }


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {
        resource["metadata"]["name"]: resource
        for documents in manifests().values()
        for resource in documents
        if resource["kind"] == kind
    }


def consumed_topics(name: str) -> set[str]:
    service = definition(name)
    return {event.topic for event in service.handlers(None)} if service.handlers else set()  # type: ignore[arg-type]


def test_every_manifest_is_valid_against_the_kubernetes_schemas() -> None:
    version = kubernetes_validate.latest_version()
    for path, documents in manifests().items():
        assert documents, f"{path.name} holds no resource"
        for document in documents:
            kubernetes_validate.validate(document, version, strict=True)


def test_the_validation_refuses_a_misspelt_field() -> None:
    deployment = dict(resources("Deployment")["scoring-api"])
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, kubernetes_validate.latest_version(), strict=True)


def test_the_kustomization_applies_every_manifest() -> None:
    listed = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text(encoding="utf-8"))["resources"]
    assert sorted(listed) == sorted(path.name for path in manifests())


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_each_component_runs_as_its_own_probed_deployment(name: str) -> None:
    deployments = resources("Deployment")
    components = ["api", "relay"] + (["consumer"] if consumed_topics(name) else [])
    assert {key for key in deployments if key.startswith(f"{name}-")} == {f"{name}-{c}" for c in components}
    budgets = resources("PodDisruptionBudget")
    fields = {f"KINERJA_{field.upper()}" for field in settings_class(name).model_fields}
    configured = {key for config in resources("ConfigMap").values() for key in config["data"]}
    for component in components:
        deployment = deployments[f"{name}-{component}"]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["serve", name, "--components", component]
        assert container["ports"] == [{"name": "http", "containerPort": default_http_port(name)}]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert set(container["resources"]) == {"requests", "limits"}
        assert {entry["name"] for entry in container["env"]} <= fields
        assert f"{name}-{component}" in budgets
        selector = budgets[f"{name}-{component}"]["spec"]["selector"]["matchLabels"]
        assert selector == deployment["spec"]["selector"]["matchLabels"]
    assert configured <= {f"KINERJA_{field.upper()}" for field in settings_class("reporting").model_fields}
    autoscaler = resources("HorizontalPodAutoscaler")[f"{name}-api"]
    assert autoscaler["spec"]["scaleTargetRef"]["name"] == f"{name}-api"
    assert (
        resources("Service")[name]["spec"]["selector"]
        == deployments[f"{name}-api"]["spec"]["selector"]["matchLabels"]
    )


@pytest.mark.parametrize("name", [name for name in SERVICE_NAMES if consumed_topics(name)])
def test_consumer_replicas_never_outnumber_the_partitions(name: str) -> None:
    replicas = resources("Deployment")[f"{name}-consumer"]["spec"]["replicas"]
    fewest = min(all_topics()[topic] for topic in consumed_topics(name))
    assert replicas <= fewest, f"{name}: {replicas} consumers for {fewest} partitions leave some idle"


def test_the_web_app_runs_probed_beside_the_services_and_serves_the_platforms_own_host() -> None:
    deployment = resources("Deployment")["web"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["serve", "web"]
    assert container["ports"] == [{"name": "http", "containerPort": default_http_port("web")}]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    env = {entry["name"]: entry for entry in container["env"]}
    assert set(env) <= {f"KINERJA_{field.upper()}" for field in settings_class("web").model_fields}
    for name in SERVICE_NAMES:
        assert env[f"KINERJA_{name.upper()}_URL"]["value"] == f"http://{name}:{default_http_port(name)}"
    for secret in ("KINERJA_WEB_SECRET_KEY", "KINERJA_OIDC_PROVIDERS"):
        assert "secretKeyRef" in env[secret]["valueFrom"]
    assert "web" in resources("PodDisruptionBudget")
    assert resources("HorizontalPodAutoscaler")["web"]["spec"]["scaleTargetRef"]["name"] == "web"
    # Feedback's QR codes lead to the address the ingress serves the web app at.
    public = env["KINERJA_WEB_PUBLIC_URL"]["value"]
    feedback = resources("Deployment")["feedback-api"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "KINERJA_WEB_PUBLIC_URL", "value": public} in feedback
    rules = resources("Ingress")["kinerja"]["spec"]["rules"]
    (web_rule,) = [rule for rule in rules if f"https://{rule['host']}" == public]
    assert web_rule["http"]["paths"][0]["backend"]["service"]["name"] == "web"
