"""Events the scoring service consumes, and the handler of each."""

from collections.abc import Mapping

from services.scoring.service_layer import projections
from shared.context import ServiceContext
from shared.contracts import Event
from shared.contracts.feedback import (
    BehaviourAssessmentSubmitted,
    ComplaintDeadlineBreached,
    SatisfactionIndexChanged,
)
from shared.contracts.planning import (
    EmployeeUpserted,
    RegionRegistered,
    UnitUpserted,
    WorkPlanApproved,
    WorkPlanSuperseded,
)
from shared.contracts.reporting import (
    ActivityCorrected,
    ActivityRejected,
    ActivityReported,
    ActivityVerified,
    EvidenceAttached,
    FieldVisitLogged,
)
from shared.messaging.consumer import Handler


def handlers(_: ServiceContext) -> Mapping[type[Event], Handler[projections.ViewBacklog]]:
    """Organisation, plans, activity and feedback feed the views."""
    return {
        RegionRegistered: projections.on_region_registered,
        UnitUpserted: projections.on_unit_upserted,
        EmployeeUpserted: projections.on_employee_upserted,
        WorkPlanApproved: projections.on_work_plan_approved,
        WorkPlanSuperseded: projections.on_work_plan_superseded,
        ActivityReported: projections.on_activity_reported,
        ActivityVerified: projections.on_activity_verified,
        ActivityRejected: projections.on_activity_rejected,
        ActivityCorrected: projections.on_activity_corrected,
        EvidenceAttached: projections.on_evidence_attached,
        FieldVisitLogged: projections.on_field_visit_logged,
        SatisfactionIndexChanged: projections.on_satisfaction_index_changed,
        BehaviourAssessmentSubmitted: projections.on_behaviour_assessment_submitted,
        ComplaintDeadlineBreached: projections.on_complaint_deadline_breached,
    }
