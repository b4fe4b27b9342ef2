"""Use cases of the annual work plan (SKP), run through the domain aggregate ``WorkPlan``.

Split by what is being done to a plan: ``drafting`` (start, edit, revise), ``review`` (submit,
approve, reject, withdraw) and ``reads``; ``content`` applies a draft's requested content, and
``records`` holds what they share (loading a visible plan, the acting employee, saving back).
"""

from services.planning.service_layer.work_plans.drafting import (
    create_work_plan,
    revise_work_plan,
    update_work_plan,
)
from services.planning.service_layer.work_plans.reads import get_work_plan, list_work_plans
from services.planning.service_layer.work_plans.records import plan_day, plan_read
from services.planning.service_layer.work_plans.review import (
    approve_work_plan,
    reject_work_plan,
    submit_work_plan,
    withdraw_work_plan,
)

__all__ = [
    "approve_work_plan",
    "create_work_plan",
    "get_work_plan",
    "list_work_plans",
    "plan_day",
    "plan_read",
    "reject_work_plan",
    "revise_work_plan",
    "submit_work_plan",
    "update_work_plan",
    "withdraw_work_plan",
]
