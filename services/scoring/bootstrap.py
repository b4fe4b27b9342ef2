"""Wires the scoring service: settings, tables, migrations, routes and event handlers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from services.scoring.adapters.tables import runtime_tables
from services.scoring.entrypoints.consumer import handlers
from services.scoring.service_layer.dated_moves import dated_moves_scheduler
from services.scoring.service_layer.projections import ViewBacklog
from services.scoring.settings import ScoringSettings
from shared.contracts.planning import EmployeeUpserted, RegionRegistered, UnitUpserted, WorkPlanApproved
from shared.service_definition import ServiceDefinition

if TYPE_CHECKING:
    from fastapi import APIRouter


def build(settings: ScoringSettings | None = None) -> ServiceDefinition[ViewBacklog]:
    """The scoring service definition."""
    settings = settings or ScoringSettings()
    return ServiceDefinition(
        settings=settings,
        tables=runtime_tables,
        migrations_dir=Path(__file__).parent / "migrations",
        title="Kinerja scoring",
        description="Materialized performance views, rating proposals and the national predicate rules.",
        routers=_routers,
        handlers=handlers,
        # Moves announced ahead reach the summaries on their date (see dated_moves).
        background=[dated_moves_scheduler(settings.dated_moves_interval_seconds)],
        # Raters' decisions, closed periods, dated rules and flags from on-demand analyses come from
        # the API; activity-driven flags share the table and are raised again idempotently. Raters'
        # judgements of qualitative indicators come from the API too, and the summaries read them.
        replay_keeps=("rating_decisions", "closed_periods", "rule_sets", "flags", "indicator_judgements"),
        # A rebuild refreshes each touched view row once, at its end (see ViewBacklog).
        replay_views=ViewBacklog,
        # The contributions' employee index serves the views' refresh and the reads, not the events'
        # statements (which find an activity by its key): a rebuild builds it after applying them.
        replay_indexes_after=("ix_contributions_employee",),
        # Calendars, organisation and plans before activity: a calendar arriving while another
        # process stores activities would leave some in the periods of the calendar before it.
        replay_first=sorted(
            {event.topic for event in (RegionRegistered, UnitUpserted, EmployeeUpserted, WorkPlanApproved)}
        ),
    )


def _routers() -> Sequence[APIRouter]:
    """The API's routes, imported only when the API is built: a replay's worker processes build this
    definition for its handlers, and the web stack (FastAPI, the routes' models) was about half of
    what they imported."""
    from services.scoring.entrypoints.api import router

    return [router]
