"""Cascading (intervensi): which of the rater's results a subordinate's result may support."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.planning.domain.organisation import Nip
from services.planning.domain.work_plan.lifecycle import PlanStatus
from services.planning.domain.work_plan.results import ResultRef
from shared.refusals import Refusal

if TYPE_CHECKING:  # the plan links to its rater's plan, so the two modules know each other
    from services.planning.domain.work_plan.plan import WorkPlan


def rater_result_ref(
    *, rater: Nip, year: int, rater_plan: WorkPlan, rater_result_id: str, field: str
) -> ResultRef:
    """The reference to a result of `rater`'s APPROVED plan for `year`, or a refusal saying why not."""
    if rater_plan.employee != rater:
        raise Refusal(
            "not_rater_plan",
            "plan %(id)s belongs to %(employee)s, not to the rater %(rater)s",
            field=field,
            params={"id": rater_plan.id, "employee": rater_plan.employee, "rater": rater},
        )
    if rater_plan.year != year:
        raise Refusal(
            "other_year",
            "the rater's plan is for %(year)s, this plan for %(plan_year)s",
            field=field,
            params={"year": rater_plan.year, "plan_year": year},
        )
    if rater_plan.status is not PlanStatus.APPROVED:
        raise Refusal(
            "rater_plan_not_approved",
            "the rater's plan %(id)s is %(status)s, not approved",
            field=field,
            params={"id": rater_plan.id, "status": rater_plan.status.value},
        )
    try:
        return rater_plan.ref(rater_result_id)
    except Refusal:
        raise Refusal(
            "unknown_rater_result",
            "the rater's plan has no result %(rater_result_id)s",
            field=field,
            params={"rater_result_id": rater_result_id},
        ) from None
