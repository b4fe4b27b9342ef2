"""Wires the reporting service: settings, tables, migrations, routes and event handlers."""

from pathlib import Path

from services.reporting.adapters.tables import runtime_tables
from services.reporting.entrypoints.api import router
from services.reporting.entrypoints.consumer import handlers
from services.reporting.settings import ReportingSettings
from shared.runtime import ServiceDefinition


def build(settings: ReportingSettings | None = None) -> ServiceDefinition[None]:
    """The reporting service definition."""
    settings = settings or ReportingSettings()
    return ServiceDefinition(
        settings=settings,
        tables=runtime_tables,
        migrations_dir=Path(__file__).parent / "migrations",
        title="Kinerja reporting",
        description="Real-time activity reports from field apps, evidence, verification and field visits.",
        routers=[router],
        handlers=handlers,
        max_body_bytes=settings.max_request_bytes,
    )
