"""Events the reporting service consumes, and the handler of each."""

from collections.abc import Mapping

from services.reporting.service_layer import services
from shared.contracts import Event
from shared.contracts.planning import WorkPlanApproved, WorkPlanSuperseded
from shared.messaging.consumer import Handler
from shared.runtime import ServiceContext


def handlers(_: ServiceContext) -> Mapping[type[Event], Handler]:
    """Planning's plan events keep the read model of reportable indicators."""
    return {
        WorkPlanApproved: services.on_work_plan_approved,
        WorkPlanSuperseded: services.on_work_plan_superseded,
    }
