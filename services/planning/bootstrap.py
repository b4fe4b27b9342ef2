"""Wires the planning service: settings, tables, migrations and routes."""

from pathlib import Path

from services.planning.adapters.tables import runtime_tables
from services.planning.entrypoints import organisation_api, work_plan_api
from services.planning.settings import PlanningSettings
from shared.service_definition import ServiceDefinition


def build(settings: PlanningSettings | None = None) -> ServiceDefinition[None]:
    """The planning service definition (it consumes no events yet)."""
    return ServiceDefinition(
        settings=settings or PlanningSettings(),
        tables=runtime_tables,
        migrations_dir=Path(__file__).parent / "migrations",
        title="Kinerja planning",
        description="Regions, organisation, employees and annual work plans (SKP) with cascading targets.",
        routers=lambda: [organisation_api.router, work_plan_api.router],
        # A region's structure-and-employees CSV (tens of thousands of rows) is posted in one request.
        max_body_bytes=16 * 1024 * 1024,
    )
