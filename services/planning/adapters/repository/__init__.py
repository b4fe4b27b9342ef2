"""Loads and stores the planning aggregates (unit tree, supervisor tree, work plans, templates).

Every query names its region explicitly, beside the row-level security of the session.
Split by aggregate: ``organisation`` (region settings, units, employees, assignments),
``plan_records`` (a plan version's stored form), ``plans`` (plan queries) and ``templates``.
"""

from services.planning.adapters.repository.organisation import (
    Organisation,
    assignment_on,
    employee_nips,
    job_type_of,
    load_organisation,
    load_units,
    period_scheme,
    region_row,
)
from services.planning.adapters.repository.plan_records import (
    RETIRED_STATUSES,
    PlanRecord,
    indicator_from_content,
    indicator_to_content,
    plan_content,
    plan_from_row,
    plan_values,
)
from services.planning.adapters.repository.plans import load_plan, plan_rows, records_from_rows
from services.planning.adapters.repository.templates import load_template_library, template_from_row

__all__ = [
    "RETIRED_STATUSES",
    "Organisation",
    "PlanRecord",
    "assignment_on",
    "employee_nips",
    "indicator_from_content",
    "indicator_to_content",
    "job_type_of",
    "load_organisation",
    "load_plan",
    "load_template_library",
    "load_units",
    "period_scheme",
    "plan_content",
    "plan_from_row",
    "plan_rows",
    "plan_values",
    "records_from_rows",
    "region_row",
    "template_from_row",
]
