"""The production compose file's Prometheus and Grafana watch what the services actually export."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.contract.compose_files import (
    GRAFANA_DIR,
    PROCESS_NAMES,
    dashboard_expressions,
    dashboards,
    default_http_port,
    exported_metric_names,
    prometheus_targets,
    published_ports,
    service,
)


@pytest.mark.parametrize("name", PROCESS_NAMES)
def test_prometheus_scrapes_every_service_on_its_port(name: str) -> None:
    assert f"{name}:{default_http_port(name)}" in prometheus_targets().get("/metrics", set())


def test_prometheus_and_grafana_are_published_on_their_usual_ports() -> None:
    assert (9090, 9090) in published_ports(service("prometheus"))
    assert (3000, 3000) in published_ports(service("grafana"))
    mounts = " ".join(str(volume) for volume in service("prometheus").get("volumes", []))
    assert "deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml" in mounts


def test_the_dashboards_query_only_metrics_the_services_export() -> None:
    exported = exported_metric_names()
    found = dashboards()
    assert found, "no dashboard under deploy/grafana/dashboards"
    for file_name, dashboard in found.items():
        used = {
            name
            for expression in dashboard_expressions(dashboard)
            for name in re.findall(r"\bkinerja_[a-z0-9_]+", expression)
        }
        assert used, f"{file_name} queries no kinerja metric"
        assert used <= exported, f"{file_name} queries unknown metrics: {sorted(used - exported)}"


def test_the_dashboard_shows_http_outbox_and_event_metrics() -> None:
    expressions = "\n".join(
        expression for dashboard in dashboards().values() for expression in dashboard_expressions(dashboard)
    )
    for required in (
        "kinerja_http_requests_total",
        "histogram_quantile(0.99, sum by (job, route, le) (rate(kinerja_http_request_duration_seconds_bucket",
        "kinerja_outbox_backlog",
        "kinerja_events_consumed_total",
        "kinerja_events_dead_lettered_total",
        "histogram_quantile(0.99, sum by (job, topic, le) (rate(kinerja_event_to_effect_seconds_bucket",
        "kinerja_consumer_lag_seconds",
        "kinerja_consumer_lag_messages",
        "kinerja_db_pool_waiting",
        "kinerja_dependency_up",
        'kinerja_reporting_activities_total{region=~"$region", outcome="accepted"}',
        "kinerja_feedback_complaints_past_deadline",
    ):
        assert required in expressions, f"no dashboard panel queries {required}"


def test_the_dashboards_use_the_provisioned_prometheus_datasource() -> None:
    provisioned = yaml.safe_load(
        (GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml").read_text(encoding="utf-8")
    )
    uids = {source["uid"] for source in provisioned["datasources"] if source["type"] == "prometheus"}
    for file_name, dashboard in dashboards().items():
        stack = list(dashboard.get("panels", []))
        while stack:
            panel = stack.pop()
            stack.extend(panel.get("panels", []))
            for holder in [panel, *panel.get("targets", [])]:
                if "datasource" in holder:
                    assert holder["datasource"]["uid"] in uids, f"{file_name}: {panel.get('title')}"
