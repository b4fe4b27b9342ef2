"""Events the feedback service consumes, and the handler of each."""

from collections.abc import Mapping

from services.feedback.service_layer import read_models
from shared.context import ServiceContext
from shared.contracts import Event
from shared.contracts.planning import (
    EmployeeUpserted,
    RegionRegistered,
    UnitUpserted,
    WorkPlanApproved,
    WorkPlanSuperseded,
)
from shared.contracts.reporting import ActivityReported
from shared.messaging.consumer import Handler


def handlers(_: ServiceContext) -> Mapping[type[Event], Handler[None]]:
    """Regions (time zone, period), units, employees, approved plans and reported activities."""
    return {
        RegionRegistered: read_models.on_region_registered,
        UnitUpserted: read_models.on_unit_upserted,
        EmployeeUpserted: read_models.on_employee_upserted,
        WorkPlanApproved: read_models.on_work_plan_approved,
        WorkPlanSuperseded: read_models.on_work_plan_superseded,
        ActivityReported: read_models.on_activity_reported,
    }
