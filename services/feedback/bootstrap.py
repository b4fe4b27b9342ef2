"""Wires the feedback service: settings, tables, migrations, routes, event handlers and the scheduler."""

from pathlib import Path

from services.feedback.adapters.tables import runtime_tables
from services.feedback.entrypoints import (
    citizen_api,
    complaint_api,
    complaint_photos,
    internal_api,
    public_api,
    survey_api,
)
from services.feedback.entrypoints.consumer import handlers
from services.feedback.service_layer.deadlines import deadline_scheduler
from services.feedback.settings import FeedbackSettings
from shared.service_definition import ServiceDefinition


def build(settings: FeedbackSettings | None = None) -> ServiceDefinition[None]:
    """The feedback service definition."""
    settings = settings or FeedbackSettings()
    return ServiceDefinition(
        settings=settings,
        tables=runtime_tables,
        migrations_dir=Path(__file__).parent / "migrations",
        title="Kinerja feedback",
        description="Citizen satisfaction (SKM/IKM), complaints, and feedback inside the organisation.",
        routers=lambda: [
            citizen_api.router,
            public_api.router,
            complaint_photos.public_router,
            survey_api.router,
            complaint_api.router,
            internal_api.router,
            complaint_photos.router,
        ],
        handlers=handlers,
        background=[deadline_scheduler(settings.complaint_scan_interval_seconds)],
        max_body_bytes=64 * 1024,
    )
