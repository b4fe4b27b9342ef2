"""Events a work plan records as it moves through its life cycle, for the outbox."""

from __future__ import annotations

from dataclasses import dataclass

from services.planning.domain.organisation import Nip


@dataclass(frozen=True, slots=True)
class PlanSubmitted:
    """Event: an employee submitted their plan to the rater."""

    plan_id: str
    employee: Nip
    rater: Nip
    year: int
    version: int


@dataclass(frozen=True, slots=True)
class PlanApproved:
    """Event: the rater approved a plan."""

    plan_id: str
    employee: Nip
    rater: Nip
    year: int
    version: int


@dataclass(frozen=True, slots=True)
class PlanRejected:
    """Event: the rater rejected a plan, with a reason."""

    plan_id: str
    employee: Nip
    rater: Nip
    year: int
    version: int
    reason: str


@dataclass(frozen=True, slots=True)
class PlanRevised:
    """Event: a new draft version was opened from an approved or rejected plan."""

    plan_id: str
    previous_plan_id: str
    employee: Nip
    year: int
    version: int


PlanEvent = PlanSubmitted | PlanApproved | PlanRejected | PlanRevised
