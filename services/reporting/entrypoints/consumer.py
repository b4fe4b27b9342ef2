"""Events the reporting service consumes, and the handler of each."""

from collections.abc import Mapping

from services.reporting.service_layer import read_models
from shared.context import ServiceContext
from shared.contracts import Event
from shared.contracts.planning import (
    EmployeeUpserted,
    RegionRegistered,
    WorkPlanApproved,
    WorkPlanSuperseded,
)
from shared.messaging.consumer import Handler


def handlers(_: ServiceContext) -> Mapping[type[Event], Handler[None]]:
    """Planning's events keep the read models of regions' zones, reportable indicators and who rates whom."""
    return {
        RegionRegistered: read_models.on_region_registered,
        EmployeeUpserted: read_models.on_employee_upserted,
        WorkPlanApproved: read_models.on_work_plan_approved,
        WorkPlanSuperseded: read_models.on_work_plan_superseded,
    }
