"""Complaint life cycle (pengaduan, SP4N-LAPOR! practice) and its working-day deadlines.

Life cycle::

    submitted -> verified | postponed | not_our_authority | archived
    postponed -> verified | archived      (archived: the citizen never supplied what was missing)
    verified  -> dispatched               (to the unit responsible, ``unit_id`` required)
    dispatched -> followed_up | answered
    followed_up -> answered
    answered  -> closed
    closed    -> reopened                 (by the citizen, with a reason, inside the window)
    reopened  -> dispatched

``followed_up`` (ditindaklanjuti) means the unit has acknowledged the complaint and is acting
on it; ``answered`` (dijawab) means the unit has given its final response.

Deadlines (working days, per-region ``ComplaintPolicy``), one per stage; a stage may span
several statuses and its clock starts when the complaint entered the first of them:

* verification (3): submitted / reopened / verified, until dispatched. Postponement stops the
  clock; going back to verified starts a fresh verification stage.
* follow-up (5): dispatched, until the unit follows up or answers.
* resolution (14 without field check, 60 with): dispatched / followed_up, counted from
  dispatch, reported while followed_up (in dispatched the earlier follow-up deadline applies).
* no deadline: postponed (waiting for the citizen), answered, closed and the terminal statuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Final

from services.feedback.domain.calendar import WorkingCalendar, require_aware
from shared.refusals import Refusal, RefusalKind


class ComplaintStatus(StrEnum):
    """Status of a complaint (status pengaduan)."""

    SUBMITTED = "submitted"
    VERIFIED = "verified"
    POSTPONED = "postponed"
    NOT_OUR_AUTHORITY = "not_our_authority"
    ARCHIVED = "archived"
    DISPATCHED = "dispatched"
    FOLLOWED_UP = "followed_up"
    ANSWERED = "answered"
    CLOSED = "closed"
    REOPENED = "reopened"


# A short alias keeps the transition table below readable as a table.
_S = ComplaintStatus
ALLOWED_TRANSITIONS: Final[Mapping[ComplaintStatus, frozenset[ComplaintStatus]]] = {
    _S.SUBMITTED: frozenset({_S.VERIFIED, _S.POSTPONED, _S.NOT_OUR_AUTHORITY, _S.ARCHIVED}),
    _S.POSTPONED: frozenset({_S.VERIFIED, _S.ARCHIVED}),
    _S.VERIFIED: frozenset({_S.DISPATCHED}),
    _S.DISPATCHED: frozenset({_S.FOLLOWED_UP, _S.ANSWERED}),
    _S.FOLLOWED_UP: frozenset({_S.ANSWERED}),
    _S.ANSWERED: frozenset({_S.CLOSED}),
    _S.CLOSED: frozenset({_S.REOPENED}),
    _S.REOPENED: frozenset({_S.DISPATCHED}),
    _S.NOT_OUR_AUTHORITY: frozenset(),
    _S.ARCHIVED: frozenset(),
}
# Moves that must say why, because the citizen sees the reason (or, for reopening, gives it).
REASON_REQUIRED: Final = frozenset({_S.POSTPONED, _S.NOT_OUR_AUTHORITY, _S.ARCHIVED, _S.REOPENED})


def allowed_next(status: ComplaintStatus) -> tuple[ComplaintStatus, ...]:
    """Statuses reachable in one move, in declaration order (stable for messages and UIs)."""
    return tuple(target for target in ComplaintStatus if target in ALLOWED_TRANSITIONS[status])


@dataclass(frozen=True)
class ComplaintPolicy:
    """A region's complaint deadlines in working days (defaults from SP4N-LAPOR! practice)."""

    verification_days: int = 3
    follow_up_days: int = 5
    resolution_without_field_check_days: int = 14
    resolution_with_field_check_days: int = 60
    # Not set by the national rules: 10 working days (two weeks) gives a citizen time to see the
    # answer and try the solution without keeping closed cases open indefinitely.
    reopen_window_days: int = 10

    def __post_init__(self) -> None:
        values = (
            self.verification_days,
            self.follow_up_days,
            self.resolution_without_field_check_days,
            self.resolution_with_field_check_days,
            self.reopen_window_days,
        )
        if any(value < 0 for value in values):
            raise Refusal(
                "feedback.invalid_configuration",
                "Complaint deadlines must not be negative",
                field="complaint_policy",
            )


DEFAULT_COMPLAINT_POLICY: Final = ComplaintPolicy()


@dataclass(frozen=True)
class StatusChange:
    """One move in a complaint's history."""

    status: ComplaintStatus
    at: datetime
    reason: str | None = None
    unit_id: str | None = None


@dataclass(frozen=True)
class Complaint:
    """A complaint's life-cycle state: its tracking code and full status history."""

    tracking_code: str
    history: tuple[StatusChange, ...]
    requires_field_check: bool = False

    def __post_init__(self) -> None:
        if not self.history or self.history[0].status is not ComplaintStatus.SUBMITTED:
            raise Refusal(
                "feedback.invalid_value", "A complaint's history must start with 'submitted'", field="history"
            )

    @classmethod
    def submit(cls, tracking_code: str, at: datetime, *, requires_field_check: bool = False) -> Complaint:
        """A newly submitted complaint."""
        require_aware(at, "at")
        return cls(tracking_code, (StatusChange(ComplaintStatus.SUBMITTED, at),), requires_field_check)

    @property
    def status(self) -> ComplaintStatus:
        """Current status."""
        return self.history[-1].status

    @property
    def status_since(self) -> datetime:
        """When the complaint entered its current status."""
        return self.history[-1].at

    @property
    def unit_id(self) -> str | None:
        """Unit of the latest dispatch, if any."""
        dispatches = [change for change in self.history if change.status is ComplaintStatus.DISPATCHED]
        return dispatches[-1].unit_id if dispatches else None

    @property
    def reopened(self) -> bool:
        """Whether the citizen reopened it since it was last closed (only a reopening leaves ``closed``)."""
        return self.status is not ComplaintStatus.CLOSED and any(
            change.status is ComplaintStatus.REOPENED for change in self.history
        )

    def with_field_check(self, required: bool = True) -> Complaint:
        """Same complaint, marked as needing (or not) a field check, which sets its resolution deadline."""
        return replace(self, requires_field_check=required)


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


def transition(
    complaint: Complaint,
    target: ComplaintStatus,
    *,
    at: datetime,
    calendar: WorkingCalendar,
    policy: ComplaintPolicy = DEFAULT_COMPLAINT_POLICY,
    reason: str | None = None,
    unit_id: str | None = None,
) -> Complaint:
    """Move a complaint to ``target`` at instant ``at``, or raise the rule it breaks."""
    require_aware(at, "at")
    current = complaint.status
    if target is ComplaintStatus.REOPENED and complaint.reopened:
        # A citizen's second reopening (another tab, or after the desk moved it on): nothing to
        # fix in the request, only a complaint to follow; the general refusal would name statuses.
        raise Refusal(
            "feedback.complaint.already_reopened",
            "This complaint has already been reopened and is being handled again; "
            "follow its progress with your tracking code.",
            field="status",
            kind=RefusalKind.CONFLICT,
        )
    if target not in ALLOWED_TRANSITIONS[current]:
        raise Refusal(
            "feedback.complaint.transition_not_allowed",
            "Complaint cannot move from '%(current)s' to '%(requested)s'; allowed: %(allowed)s",
            field="status",
            kind=RefusalKind.CONFLICT,
            params={
                "current": current.value,
                "requested": target.value,
                "allowed": ", ".join(s.value for s in allowed_next(current)) or "-",
            },
        )
    # History is the audit trail; an out-of-order timestamp would corrupt every deadline after it.
    if at < complaint.status_since:
        raise Refusal(
            "feedback.complaint.time_before_last_change",
            "A status change cannot be earlier than the previous one",
            field="at",
        )
    if target in REASON_REQUIRED and _blank(reason):
        raise Refusal("feedback.missing_value", "'reason' is required", field="reason")
    if target is ComplaintStatus.DISPATCHED and _blank(unit_id):
        raise Refusal("feedback.missing_value", "'destination unit' is required", field="unit_id")
    if target is ComplaintStatus.REOPENED:
        window_end = calendar.add_working_days(complaint.status_since, policy.reopen_window_days)
        if at > window_end:
            raise Refusal(
                "feedback.complaint.reopen_window_closed",
                "A complaint can only be reopened within %(days)s working days of closing",
                field="status",
                kind=RefusalKind.CONFLICT,
                params={"days": policy.reopen_window_days},
            )
    change = StatusChange(target, at, reason, unit_id if target is ComplaintStatus.DISPATCHED else None)
    return replace(complaint, history=(*complaint.history, change))


class DeadlineKind(StrEnum):
    """Which service-level deadline applies."""

    VERIFICATION = "verification"
    FOLLOW_UP = "follow_up"
    RESOLUTION_WITHOUT_FIELD_CHECK = "resolution_without_field_check"
    RESOLUTION_WITH_FIELD_CHECK = "resolution_with_field_check"


@dataclass(frozen=True)
class StageDeadline:
    """The deadline running for a complaint's current stage."""

    kind: DeadlineKind
    working_days: int
    started_at: datetime
    due_at: datetime

    def is_breached(self, at: datetime) -> bool:
        """True once ``at`` is strictly after the due instant."""
        require_aware(at, "at")
        return at > self.due_at


_INTAKE: Final = frozenset({_S.SUBMITTED, _S.REOPENED, _S.VERIFIED})
_WITH_UNIT: Final = frozenset({_S.DISPATCHED, _S.FOLLOWED_UP})
# status -> statuses forming its stage; the stage's clock starts where that run of statuses began.
_STAGE_OF: Final[Mapping[ComplaintStatus, frozenset[ComplaintStatus]]] = {
    _S.SUBMITTED: _INTAKE,
    _S.REOPENED: _INTAKE,
    _S.VERIFIED: _INTAKE,
    _S.DISPATCHED: frozenset({_S.DISPATCHED}),
    _S.FOLLOWED_UP: _WITH_UNIT,
}


def _stage_start(complaint: Complaint, stage: frozenset[ComplaintStatus]) -> datetime:
    start = complaint.history[-1].at
    for change in reversed(complaint.history):
        if change.status not in stage:
            break
        start = change.at
    return start


def _deadline_kind(complaint: Complaint, policy: ComplaintPolicy) -> tuple[DeadlineKind, int] | None:
    status = complaint.status
    if status in _INTAKE:
        return DeadlineKind.VERIFICATION, policy.verification_days
    if status is ComplaintStatus.DISPATCHED:
        return DeadlineKind.FOLLOW_UP, policy.follow_up_days
    if status is ComplaintStatus.FOLLOWED_UP:
        if complaint.requires_field_check:
            return DeadlineKind.RESOLUTION_WITH_FIELD_CHECK, policy.resolution_with_field_check_days
        return DeadlineKind.RESOLUTION_WITHOUT_FIELD_CHECK, policy.resolution_without_field_check_days
    return None


def current_deadline(
    complaint: Complaint, calendar: WorkingCalendar, policy: ComplaintPolicy = DEFAULT_COMPLAINT_POLICY
) -> StageDeadline | None:
    """The deadline running for the complaint's current status, or None when no clock runs."""
    kind = _deadline_kind(complaint, policy)
    if kind is None:
        return None
    deadline_kind, working_days = kind
    started_at = _stage_start(complaint, _STAGE_OF[complaint.status])
    return StageDeadline(
        deadline_kind, working_days, started_at, calendar.add_working_days(started_at, working_days)
    )


def is_breached(
    complaint: Complaint,
    at: datetime,
    calendar: WorkingCalendar,
    policy: ComplaintPolicy = DEFAULT_COMPLAINT_POLICY,
) -> bool:
    """True when the current stage has a deadline and ``at`` is past it."""
    deadline = current_deadline(complaint, calendar, policy)
    return deadline is not None and deadline.is_breached(at)
