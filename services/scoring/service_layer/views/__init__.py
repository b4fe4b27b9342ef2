"""Keeps the materialized views current: each refresh recomputes one view row from the stored facts.

A refresh is a pure function of the facts (contributions, plans, assessments, rules), so the views do
not depend on the order events arrived in, and a replay into fresh tables rebuilds the same rows.
A row is written only when its content changes; it then records the event that changed it.
Periods closed before the event happened are frozen and never refreshed.

The one entry is ``refresh_views`` (``refresh.py``). Handlers note the rows events touched
(``touches.py``) and what activity changes add to progress totals (``deltas.py``); the refresh
brings the progress rows up to date (``progress.py``, recomputing from ``contribution_totals.py``
only what the deltas cannot tell), then the summaries of their periods (``summaries.py``, from
what ``summary_inputs.py`` reads), with what a region's refreshes share loaded once
(``facts.py``). ``plans.py``, ``records.py`` and ``values.py`` hold what the reads reuse too.
"""

from services.scoring.service_layer.views.deltas import ProgressDelta, note_activity_change
from services.scoring.service_layer.views.facts import (
    RegionFacts,
    cached_rule_book,
    calendar,
    closures,
    is_frozen,
    region_facts,
)
from services.scoring.service_layer.views.plans import indicator_of, mark_plans_in_force
from services.scoring.service_layer.views.records import (
    employee_assignment,
    employees_today,
    latest_rater_assessment,
)
from services.scoring.service_layer.views.refresh import refresh_employee_years, refresh_views
from services.scoring.service_layer.views.touches import (
    EmployeeYear,
    ProgressKey,
    SummaryKey,
    Touch,
    counted_keys,
    touch,
)
from services.scoring.service_layer.views.values import decimal_of, exact, now, to_decimal

__all__ = [
    "EmployeeYear",
    "ProgressDelta",
    "ProgressKey",
    "RegionFacts",
    "SummaryKey",
    "Touch",
    "cached_rule_book",
    "calendar",
    "closures",
    "counted_keys",
    "decimal_of",
    "employee_assignment",
    "employees_today",
    "exact",
    "indicator_of",
    "is_frozen",
    "latest_rater_assessment",
    "mark_plans_in_force",
    "note_activity_change",
    "now",
    "refresh_employee_years",
    "refresh_views",
    "region_facts",
    "to_decimal",
    "touch",
]
