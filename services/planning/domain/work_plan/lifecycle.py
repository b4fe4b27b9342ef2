"""The work plan's life cycle: its statuses, and who may act on a plan in which status.

draft → submitted → approved | rejected; only the employee edits, and only a draft; only the
rater, never the employee, approves or rejects a submitted plan.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from services.planning.domain.organisation import Nip
from shared.refusals import Refusal, RefusalKind


class PlanStatus(StrEnum):
    """Status of a work plan (status SKP)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


def require_employee(actor: Nip, employee: Nip) -> None:
    """Refuse anyone but the plan's own employee."""
    if actor != employee:
        raise Refusal(
            "not_plan_owner",
            "only the plan's employee %(employee)s may change it",
            field="actor",
            params={"employee": employee},
            kind=RefusalKind.FORBIDDEN,
        )


def require_rater(actor: Nip, employee: Nip, rater: Nip) -> None:
    """Refuse anyone but the plan's rater, and the employee first (no self-approval)."""
    if actor == employee:
        raise Refusal(
            "self_approval",
            "nobody may approve or reject their own plan",
            field="actor",
            kind=RefusalKind.FORBIDDEN,
        )
    if actor != rater:
        raise Refusal(
            "not_rater",
            "only the rater %(rater)s may approve or reject this plan",
            field="actor",
            params={"rater": rater},
            kind=RefusalKind.FORBIDDEN,
        )


def require_status(
    status: PlanStatus, expected: PlanStatus, action: Literal["edit", "approve", "reject"]
) -> None:
    """Refuse acting on a plan that is not in the status the action needs."""
    if status is expected:
        return
    params = {"status": status.value, "expected": expected.value}
    conflict = RefusalKind.CONFLICT
    # One literal message per action: the catalogue's extraction reads each Refusal's text.
    if action == "edit":
        raise Refusal(
            "cannot_edit",
            "cannot edit a %(status)s plan; it must be %(expected)s",
            field="status",
            kind=conflict,
            params=params,
        )
    if action == "approve":
        raise Refusal(
            "cannot_approve",
            "cannot approve a %(status)s plan; it must be %(expected)s",
            field="status",
            kind=conflict,
            params=params,
        )
    raise Refusal(
        "cannot_reject",
        "cannot reject a %(status)s plan; it must be %(expected)s",
        field="status",
        kind=conflict,
        params=params,
    )
