"""Events the scoring service consumes, and the handler of each."""

from collections.abc import Mapping

from services.scoring.service_layer import projections
from shared.contracts import Event
from shared.contracts.feedback import SatisfactionIndexChanged
from shared.contracts.planning import RegionRegistered, WorkPlanApproved, WorkPlanSuperseded
from shared.contracts.reporting import ActivityReported, ActivityVerified
from shared.messaging.consumer import Handler
from shared.runtime import ServiceContext


def handlers(_: ServiceContext) -> Mapping[type[Event], Handler]:
    """Plans, activity and citizen satisfaction feed the views."""
    return {
        RegionRegistered: projections.on_region_registered,
        WorkPlanApproved: projections.on_work_plan_approved,
        WorkPlanSuperseded: projections.on_work_plan_superseded,
        ActivityReported: projections.on_activity_reported,
        ActivityVerified: projections.on_activity_verified,
        SatisfactionIndexChanged: projections.on_satisfaction_index_changed,
    }
