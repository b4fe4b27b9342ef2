"""The annual work plan (SKP): planned results, their indicators and the review life cycle.

- `plan`: the `WorkPlan` aggregate, what the employee edits and the rater reviews;
- `lifecycle`: its statuses and who may act in which one;
- `results`: planned results (RHK) and the reference a subordinate's result supports;
- `links`: which of the rater's results may be supported (cascading, intervensi);
- `indicator`, `targets`: an indicator (IKI), its annual target and period split;
- `validation`: every problem of an indicator, and of a plan before it is submitted;
- `events`: what the aggregate records for the outbox.
"""

from services.planning.domain.work_plan.events import PlanApproved, PlanRejected, PlanRevised, PlanSubmitted
from services.planning.domain.work_plan.indicator import Indicator
from services.planning.domain.work_plan.lifecycle import PlanStatus
from services.planning.domain.work_plan.plan import WorkPlan
from services.planning.domain.work_plan.results import PlannedResult, ResultKind, ResultRef
from services.planning.domain.work_plan.targets import PeriodScheme, PeriodSplit, Target

__all__ = [
    "Indicator",
    "PeriodScheme",
    "PeriodSplit",
    "PlanApproved",
    "PlanRejected",
    "PlanRevised",
    "PlanStatus",
    "PlanSubmitted",
    "PlannedResult",
    "ResultKind",
    "ResultRef",
    "Target",
    "WorkPlan",
]
