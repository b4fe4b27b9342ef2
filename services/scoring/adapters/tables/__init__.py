"""Tables of the scoring service (schema ``scoring``): read models, raw facts and materialized views.

Every table holds one region's rows (``region_id``); event handlers write only through the session
they are given, so the views can be rebuilt into fresh tables by replaying the topics. View rows
record the last event that changed them (``last_event_id``) and when (``updated_at``).

By kind: ``read_models.py`` (other services' facts), ``facts.py`` (raw facts), ``views.py``
(materialized views) and ``decisions.py`` (decisions, periods, rules and flags), all on the one
``metadata`` of ``base.py``.
"""

from services.scoring.adapters.tables.base import metadata, region_settings, runtime_tables
from services.scoring.adapters.tables.decisions import (
    closed_periods,
    flags,
    indicator_judgements,
    late_events,
    rating_decisions,
    rule_sets,
)
from services.scoring.adapters.tables.facts import (
    behaviour_assessments,
    complaint_breaches,
    contributions,
    evidence_claims,
    field_visits,
)
from services.scoring.adapters.tables.read_models import (
    assignments_applied,
    employees,
    plan_indicators,
    plans,
    units,
)
from services.scoring.adapters.tables.views import (
    WHOLE_UNIT,
    employee_scores,
    indicator_progress,
    unit_ranking,
    unit_rollups,
    unit_satisfaction,
)

__all__ = [
    "WHOLE_UNIT",
    "assignments_applied",
    "behaviour_assessments",
    "closed_periods",
    "complaint_breaches",
    "contributions",
    "employee_scores",
    "employees",
    "evidence_claims",
    "field_visits",
    "flags",
    "indicator_judgements",
    "indicator_progress",
    "late_events",
    "metadata",
    "plan_indicators",
    "plans",
    "rating_decisions",
    "region_settings",
    "rule_sets",
    "runtime_tables",
    "unit_ranking",
    "unit_rollups",
    "unit_satisfaction",
    "units",
]
