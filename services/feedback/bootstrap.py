"""Wires the feedback service: settings, tables, migrations, routes and event handlers."""

from pathlib import Path

from services.feedback.adapters.tables import runtime_tables
from services.feedback.entrypoints.api import router
from services.feedback.entrypoints.consumer import handlers
from services.feedback.settings import FeedbackSettings
from shared.runtime import ServiceDefinition


def build(settings: FeedbackSettings | None = None) -> ServiceDefinition:
    """The feedback service definition."""
    return ServiceDefinition(
        settings=settings or FeedbackSettings(),
        tables=runtime_tables,
        migrations_dir=Path(__file__).parent / "migrations",
        title="Kinerja feedback",
        description="Citizen satisfaction (SKM/IKM), complaints, and feedback inside the organisation.",
        routers=[router],
        handlers=handlers,
        max_body_bytes=64 * 1024,
    )
