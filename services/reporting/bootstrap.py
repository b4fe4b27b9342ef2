"""Wires the reporting service: settings, tables, migrations, routes and event handlers."""

from pathlib import Path

from services.reporting.adapters.tables import runtime_tables
from services.reporting.entrypoints import activity_api, evidence_api, feed_api, field_visit_api
from services.reporting.entrypoints.consumer import handlers
from services.reporting.settings import ReportingSettings
from shared.service_definition import ServiceDefinition


def build(settings: ReportingSettings | None = None) -> ServiceDefinition[None]:
    """The reporting service definition."""
    settings = settings or ReportingSettings()
    return ServiceDefinition(
        settings=settings,
        tables=runtime_tables,
        migrations_dir=Path(__file__).parent / "migrations",
        title="Kinerja reporting",
        description="Real-time activity reports from field apps, evidence, verification and field visits.",
        routers=lambda: [activity_api.router, evidence_api.router, field_visit_api.router, feed_api.router],
        handlers=handlers,
        max_body_bytes=settings.max_request_bytes,
    )
