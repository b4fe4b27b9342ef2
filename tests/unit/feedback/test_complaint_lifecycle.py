"""Complaint life cycle and working-day deadlines."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from itertools import product
from zoneinfo import ZoneInfo

import pytest

from services.feedback.domain.calendar import WIB, WorkingCalendar
from services.feedback.domain.complaints import (
    ALLOWED_TRANSITIONS,
    Complaint,
    ComplaintPolicy,
    ComplaintStatus,
    DeadlineKind,
    current_deadline,
    is_breached,
    transition,
)
from shared.i18n import refusal_body
from shared.refusals import Refusal, RefusalKind

S = ComplaintStatus
JAKARTA = ZoneInfo(WIB)
CALENDAR = WorkingCalendar()
MONDAY = datetime(2025, 1, 6, 10, tzinfo=JAKARTA)

EXPECTED_MOVES = {
    (S.SUBMITTED, S.VERIFIED),
    (S.SUBMITTED, S.POSTPONED),
    (S.SUBMITTED, S.NOT_OUR_AUTHORITY),
    (S.SUBMITTED, S.ARCHIVED),
    (S.POSTPONED, S.VERIFIED),
    (S.POSTPONED, S.ARCHIVED),
    (S.VERIFIED, S.DISPATCHED),
    (S.DISPATCHED, S.FOLLOWED_UP),
    (S.DISPATCHED, S.ANSWERED),
    (S.FOLLOWED_UP, S.ANSWERED),
    (S.ANSWERED, S.CLOSED),
    (S.CLOSED, S.REOPENED),
    (S.REOPENED, S.DISPATCHED),
}
ALL_MOVES = set(product(ComplaintStatus, ComplaintStatus))

# Shortest route from submission to each status.
ROUTE = {
    S.SUBMITTED: (),
    S.VERIFIED: (S.VERIFIED,),
    S.POSTPONED: (S.POSTPONED,),
    S.NOT_OUR_AUTHORITY: (S.NOT_OUR_AUTHORITY,),
    S.ARCHIVED: (S.ARCHIVED,),
    S.DISPATCHED: (S.VERIFIED, S.DISPATCHED),
    S.FOLLOWED_UP: (S.VERIFIED, S.DISPATCHED, S.FOLLOWED_UP),
    S.ANSWERED: (S.VERIFIED, S.DISPATCHED, S.ANSWERED),
    S.CLOSED: (S.VERIFIED, S.DISPATCHED, S.ANSWERED, S.CLOSED),
    S.REOPENED: (S.VERIFIED, S.DISPATCHED, S.ANSWERED, S.CLOSED, S.REOPENED),
}


def move(
    complaint: Complaint,
    target: ComplaintStatus,
    at: datetime,
    *,
    reason: str = "alasan",
    unit_id: str = "dinas-dukcapil",
) -> Complaint:
    """Transition with a reason and a unit, which some moves need; tests override them to probe rules."""
    return transition(complaint, target, at=at, calendar=CALENDAR, reason=reason, unit_id=unit_id)


def complaint_in(status: ComplaintStatus, start: datetime = MONDAY) -> Complaint:
    complaint = Complaint.submit("7KQ3MXR8T2", start)
    for step, target in enumerate(ROUTE[status], start=1):
        complaint = move(complaint, target, start + timedelta(hours=step))
    return complaint


def end_of(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=JAKARTA)


def test_the_transition_table_is_exactly_the_documented_life_cycle() -> None:
    table = {(source, target) for source, targets in ALLOWED_TRANSITIONS.items() for target in targets}

    assert table == EXPECTED_MOVES


@pytest.mark.parametrize(("source", "target"), sorted(EXPECTED_MOVES))
def test_every_allowed_move_succeeds(source: ComplaintStatus, target: ComplaintStatus) -> None:
    complaint = complaint_in(source)

    moved = move(complaint, target, complaint.status_since + timedelta(hours=1))

    assert moved.status is target
    assert moved.history[:-1] == complaint.history


@pytest.mark.parametrize(("source", "target"), sorted(ALL_MOVES - EXPECTED_MOVES))
def test_every_other_move_is_refused(source: ComplaintStatus, target: ComplaintStatus) -> None:
    with pytest.raises(Refusal):
        move(complaint_in(source), target, MONDAY + timedelta(days=1))


def test_refusal_names_current_requested_and_allowed_statuses() -> None:
    with pytest.raises(Refusal) as raised:
        move(complaint_in(S.SUBMITTED), S.CLOSED, MONDAY)

    error = raised.value
    assert error.code == "feedback.complaint.transition_not_allowed"
    assert (error.params["current"], error.params["requested"]) == ("submitted", "closed")
    assert error.params["allowed"] == "verified, postponed, not_our_authority, archived"
    assert "'submitted'" in refusal_body(error)["message_id"]
    assert "'closed'" in refusal_body(error)["message_id"]
    assert "verified, postponed, not_our_authority, archived" in error.message_en


def test_terminal_statuses_allow_nothing() -> None:
    with pytest.raises(Refusal) as raised:
        move(complaint_in(S.ARCHIVED), S.VERIFIED, MONDAY + timedelta(days=1))

    assert raised.value.params["allowed"] == "-"


@pytest.mark.parametrize("target", [S.POSTPONED, S.NOT_OUR_AUTHORITY, S.ARCHIVED])
def test_refusing_or_postponing_a_complaint_needs_a_reason(target: ComplaintStatus) -> None:
    with pytest.raises(Refusal) as raised:
        move(complaint_in(S.SUBMITTED), target, MONDAY, reason="  ")

    assert raised.value.field == "reason"


def test_dispatch_needs_a_destination_unit() -> None:
    with pytest.raises(Refusal) as raised:
        transition(complaint_in(S.VERIFIED), S.DISPATCHED, at=MONDAY + timedelta(days=1), calendar=CALENDAR)

    assert raised.value.field == "unit_id"


def test_unit_is_the_latest_dispatch_target() -> None:
    complaint = complaint_in(S.REOPENED)

    redispatched = move(complaint, S.DISPATCHED, MONDAY + timedelta(days=1), unit_id="dinas-pu")

    assert complaint.unit_id == "dinas-dukcapil"
    assert redispatched.unit_id == "dinas-pu"


def test_citizen_can_reopen_within_ten_working_days_of_closing_with_a_reason() -> None:
    closed = complaint_in(S.CLOSED)  # closed Monday 6 Jan; window ends Mon 20 Jan 23:59
    last_moment = end_of(date(2025, 1, 20))

    reopened = move(closed, S.REOPENED, last_moment, reason="Masalah belum selesai")

    assert reopened.status is S.REOPENED
    assert reopened.history[-1].reason == "Masalah belum selesai"
    with pytest.raises(Refusal):
        transition(closed, S.REOPENED, at=last_moment, calendar=CALENDAR)


@pytest.mark.parametrize("status", [S.REOPENED, S.DISPATCHED])
def test_reopening_a_complaint_already_reopened_says_so_plainly(status: ComplaintStatus) -> None:
    # From a second tab, or after the desk has moved it on: a citizen has nothing to do but follow it.
    complaint = move(complaint_in(S.CLOSED), S.REOPENED, MONDAY + timedelta(days=1))
    if status is S.DISPATCHED:
        complaint = move(complaint, S.DISPATCHED, MONDAY + timedelta(days=2))

    with pytest.raises(Refusal) as raised:
        move(complaint, S.REOPENED, MONDAY + timedelta(days=3))

    error = raised.value
    assert (error.code, error.kind, error.field) == (
        "feedback.complaint.already_reopened",
        RefusalKind.CONFLICT,
        "status",
    )
    assert error.message_en.startswith("This complaint has already been reopened")
    assert refusal_body(error)["message_id"].startswith("Pengaduan ini sudah dibuka kembali")
    assert "'" not in error.message_en  # no status names in quotes


def test_reopening_a_complaint_never_closed_keeps_the_general_refusal() -> None:
    with pytest.raises(Refusal) as raised:
        move(complaint_in(S.DISPATCHED), S.REOPENED, MONDAY + timedelta(days=1))

    assert raised.value.code == "feedback.complaint.transition_not_allowed"


def test_reopening_after_the_window_is_refused() -> None:
    closed = complaint_in(S.CLOSED)

    with pytest.raises(Refusal) as raised:
        move(closed, S.REOPENED, datetime(2025, 1, 21, 0, 0, tzinfo=JAKARTA))

    assert raised.value.params["days"] == 10
    assert "10 hari kerja" in refusal_body(raised.value)["message_id"]


def test_reopening_window_is_configurable() -> None:
    closed = complaint_in(S.CLOSED)

    with pytest.raises(Refusal):
        transition(
            closed,
            S.REOPENED,
            at=datetime(2025, 1, 8, 9, tzinfo=JAKARTA),
            calendar=CALENDAR,
            policy=ComplaintPolicy(reopen_window_days=1),
            reason="Belum selesai",
        )


def test_a_move_cannot_be_dated_before_the_previous_one() -> None:
    with pytest.raises(Refusal) as raised:
        move(complaint_in(S.SUBMITTED), S.VERIFIED, MONDAY - timedelta(minutes=1))

    assert raised.value.code == "feedback.complaint.time_before_last_change"


def test_history_must_start_with_submission() -> None:
    with pytest.raises(Refusal):
        Complaint("7KQ3MXR8T2", ())


def test_verification_deadline_is_three_working_days_from_submission() -> None:
    deadline = current_deadline(complaint_in(S.SUBMITTED), CALENDAR)

    assert deadline is not None
    assert deadline.kind is DeadlineKind.VERIFICATION
    assert deadline.started_at == MONDAY
    assert deadline.due_at == end_of(date(2025, 1, 9))


def test_verification_clock_keeps_running_until_dispatch() -> None:
    deadline = current_deadline(complaint_in(S.VERIFIED), CALENDAR)

    assert deadline is not None
    assert (deadline.kind, deadline.started_at) == (DeadlineKind.VERIFICATION, MONDAY)


def test_breach_happens_strictly_after_the_end_of_the_last_working_day() -> None:
    complaint = complaint_in(S.SUBMITTED)

    assert not is_breached(complaint, end_of(date(2025, 1, 9)), CALENDAR)
    assert is_breached(complaint, datetime(2025, 1, 10, 0, 0, tzinfo=JAKARTA), CALENDAR)


def test_follow_up_deadline_is_five_working_days_from_dispatch() -> None:
    dispatched_at = datetime(2025, 1, 8, 9, tzinfo=JAKARTA)  # Wednesday
    complaint = move(move(complaint_in(S.SUBMITTED), S.VERIFIED, MONDAY), S.DISPATCHED, dispatched_at)

    deadline = current_deadline(complaint, CALENDAR)

    assert deadline is not None
    assert deadline.kind is DeadlineKind.FOLLOW_UP
    assert deadline.due_at == end_of(date(2025, 1, 15))


def test_resolution_deadline_counts_from_dispatch_and_depends_on_field_check() -> None:
    dispatched_at = datetime(2025, 1, 8, 9, tzinfo=JAKARTA)
    complaint = move(
        move(complaint_in(S.VERIFIED), S.DISPATCHED, dispatched_at), S.FOLLOWED_UP, MONDAY + timedelta(7)
    )

    without = current_deadline(complaint, CALENDAR)
    with_check = current_deadline(complaint.with_field_check(), CALENDAR)

    assert without is not None
    assert with_check is not None
    assert (without.kind, without.started_at) == (DeadlineKind.RESOLUTION_WITHOUT_FIELD_CHECK, dispatched_at)
    # 14 working days after Wed 8 Jan 2025 (no holidays): Tue 28 Jan.
    assert without.due_at == end_of(date(2025, 1, 28))
    assert with_check.kind is DeadlineKind.RESOLUTION_WITH_FIELD_CHECK
    assert with_check.due_at == CALENDAR.add_working_days(dispatched_at, 60)


def test_deadlines_follow_the_regions_holidays_and_policy() -> None:
    calendar = replace(CALENDAR, holidays=frozenset({date(2025, 1, 7)}))
    policy = ComplaintPolicy(verification_days=2)

    deadline = current_deadline(complaint_in(S.SUBMITTED), calendar, policy)

    assert deadline is not None
    assert deadline.due_at == end_of(date(2025, 1, 9))  # Tue 7 Jan is a holiday: Wed 1, Thu 2


@pytest.mark.parametrize("status", [S.POSTPONED, S.ANSWERED, S.CLOSED, S.ARCHIVED, S.NOT_OUR_AUTHORITY])
def test_no_clock_runs_while_waiting_for_the_citizen_or_after_the_answer(status: ComplaintStatus) -> None:
    complaint = complaint_in(status)

    assert current_deadline(complaint, CALENDAR) is None
    assert not is_breached(complaint, MONDAY + timedelta(days=365), CALENDAR)


def test_verification_restarts_when_a_postponed_complaint_is_resumed() -> None:
    resumed_at = datetime(2025, 1, 20, 9, tzinfo=JAKARTA)
    complaint = move(complaint_in(S.POSTPONED), S.VERIFIED, resumed_at)

    deadline = current_deadline(complaint, CALENDAR)

    assert deadline is not None
    assert (deadline.kind, deadline.started_at) == (DeadlineKind.VERIFICATION, resumed_at)


def test_a_reopened_complaint_gets_a_fresh_verification_then_follow_up_clock() -> None:
    reopened_at = datetime(2025, 1, 13, 9, tzinfo=JAKARTA)
    reopened = move(complaint_in(S.CLOSED), S.REOPENED, reopened_at)
    redispatched_at = reopened_at + timedelta(days=1)
    redispatched = move(reopened, S.DISPATCHED, redispatched_at)

    verification = current_deadline(reopened, CALENDAR)
    follow_up = current_deadline(redispatched, CALENDAR)

    assert verification is not None
    assert (verification.kind, verification.started_at) == (DeadlineKind.VERIFICATION, reopened_at)
    assert follow_up is not None
    assert (follow_up.kind, follow_up.started_at) == (DeadlineKind.FOLLOW_UP, redispatched_at)
