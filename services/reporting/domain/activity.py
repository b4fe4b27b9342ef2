"""Rules of an activity report (laporan kegiatan): when it may have happened, what it may count, its states.

Pure functions and values only: no I/O, no framework. A broken rule is a ``Refusal`` (returned by
the checks, so a batch can reject one item and go on; raised by ``next_status``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum

from shared.refusals import Refusal, RefusalKind, Term

#: Upper bound of the quantity one activity report may contribute.
#:
#: One report covers one person's work in one sitting (a day at most). The most numerous things an
#: ASN counts in a day, documents issued at a counter or people served at a vaccination or ID-card
#: drive, stay in the hundreds or low thousands. 100,000 is two orders of magnitude above that, so
#: no genuine report reaches it, while the usual slips do: extra zeros, or a NIP (18 digits) or a
#: phone number (10 to 13 digits) typed into the quantity field.
MAX_QUANTITY = Decimal(100_000)
#: Compared with a decimal quantity: an int there is made a Decimal for each comparison.
_ZERO = Decimal(0)

#: Phones' clocks drift; a report slightly "in the future" is still accepted (default, configurable).
DEFAULT_CLOCK_SKEW = timedelta(minutes=5)


class ActivityStatus(StrEnum):
    """Where an activity stands in its verification."""

    SUBMITTED = "submitted"  # awaiting the rater (again, after a correction)
    VERIFIED = "verified"
    REJECTED = "rejected"


class ReviewAction(StrEnum):
    """What can happen to an activity after it was submitted."""

    VERIFY = "verify"
    REJECT = "reject"
    CORRECT = "correct"


_TRANSITIONS: dict[tuple[ActivityStatus, ReviewAction], ActivityStatus] = {
    (ActivityStatus.SUBMITTED, ReviewAction.VERIFY): ActivityStatus.VERIFIED,
    (ActivityStatus.SUBMITTED, ReviewAction.REJECT): ActivityStatus.REJECTED,
    (ActivityStatus.REJECTED, ReviewAction.CORRECT): ActivityStatus.SUBMITTED,
}

#: A status as the refusals name it (the Indonesian describes it: "menunggu verifikasi").
_STATUS_TERM = {
    ActivityStatus.SUBMITTED: Term("submitted", "activity status"),
    ActivityStatus.VERIFIED: Term("verified", "activity status"),
    ActivityStatus.REJECTED: Term("rejected", "activity status"),
}


def _transition_refused(action: ReviewAction, current: ActivityStatus) -> Refusal:
    """Which status the action needs, and the one the activity is in."""
    params = {"current": _STATUS_TERM[current]}
    conflict = RefusalKind.CONFLICT
    if action is ReviewAction.VERIFY:
        return Refusal(
            "cannot_verify",
            "Only a submitted activity can be verified; this one is %(current)s.",
            field="status",
            kind=conflict,
            params=params,
        )
    if action is ReviewAction.REJECT:
        return Refusal(
            "cannot_reject",
            "Only a submitted activity can be rejected; this one is %(current)s.",
            field="status",
            kind=conflict,
            params=params,
        )
    return Refusal(
        "cannot_correct",
        "Only a rejected activity can be corrected; this one is %(current)s.",
        field="status",
        kind=conflict,
        params=params,
    )


def next_status(current: ActivityStatus, action: ReviewAction) -> ActivityStatus:
    """The status after ``action``, or a refusal (409) saying which status it needs."""
    target = _TRANSITIONS.get((current, action))
    if target is None:
        raise _transition_refused(action, current)
    return target


def evidence_may_change(status: ActivityStatus) -> Refusal | None:
    """Evidence is frozen once verified: the rater verified exactly what was attached."""
    if status is ActivityStatus.VERIFIED:
        return Refusal(
            "activity_verified",
            "Evidence cannot be added to a verified activity.",
            field="status",
            kind=RefusalKind.CONFLICT,
        )
    return None


# The checks below take all but their subject by name: a swap of two of their values (two times, two
# decimals, the indicator's aggregation and qualitative flag, read from an untyped row) would
# otherwise pass unnoticed.
def check_not_in_future(at: datetime, *, now: datetime, clock_skew: timedelta, field: str) -> Refusal | None:
    """Something reported as done cannot lie in the future, beyond the device clock's drift."""
    if at > now + clock_skew:
        return _in_the_future(at, field)
    return None


def _in_the_future(at: datetime, field: str) -> Refusal:
    return Refusal(
        "in_the_future", "The time %(at)s is in the future.", field=field, params={"at": at.isoformat()}
    )


def check_occurrence(
    occurred_at: datetime, *, latest: datetime, plan_year: int, zone: tzinfo
) -> Refusal | None:
    """An activity happened in the past (no later than ``latest``: now plus the device clock's drift)
    and within its plan's year.

    ``latest`` is the caller's, worked out once for many items: the intake's for each offset its
    group's items were sent at (in that very zone, so a comparison skips the offsets), where adding
    the drift to now for each item cost ~500 instructions an item (callgrind, session 37).

    The year is read in the region's zone (``zone``), whatever offset the device sent: the region's
    calendar decides everywhere, and scoring counts the activity in the region's period of its local
    day, on the scorecard of that period's year. 00:30 on 1 January on a +08:00 phone is still 31
    December in a WIB region (the old year's plan); 23:30 on 31 December on a +07:00 phone is
    already 1 January in a WIT region (the new year's).
    """
    if occurred_at > latest:
        return _in_the_future(occurred_at, "occurred_at")
    year = occurred_at.year
    # Offsets differ by less than two days, so only a time sent on 1-2 January or 30-31 December
    # can lie in another year in the region's zone: the others skip the conversion (~3,900
    # instructions an item).
    month = occurred_at.month
    if (month == 1 and occurred_at.day < 3) or (month == 12 and occurred_at.day > 29):
        year = occurred_at.astimezone(zone).year
    if year != plan_year:
        return Refusal(
            "outside_plan_year",
            "The activity must happen within the plan year %(year)s.",
            field="occurred_at",
            params={"year": plan_year},
        )
    return None


def check_quantity(
    *,
    quantity: Decimal | None,
    denominator: Decimal | None,
    aggregation: str,
    qualitative: bool,
    max_quantity: Decimal = MAX_QUANTITY,
) -> Refusal | None:
    """The quantity an activity contributes: present unless qualitative, never negative nor absurd."""
    if quantity is None:
        if qualitative:
            return None
        return Refusal("quantity_required", "A quantity is required for this indicator.", field="quantity")
    if quantity < _ZERO:
        return Refusal("negative_quantity", "The quantity cannot be negative.", field="quantity")
    if quantity > max_quantity:
        return Refusal(
            "quantity_too_large",
            "The quantity %(quantity)s is more than one activity can contribute (at most %(most)s).",
            field="quantity",
            params={"quantity": quantity, "most": max_quantity},
        )
    if aggregation == "ratio":
        if denominator is None:
            return Refusal(
                "denominator_required",
                "A ratio indicator needs a denominator (the base count).",
                field="denominator",
            )
        if denominator <= _ZERO or denominator > max_quantity:
            return Refusal(
                "denominator_out_of_range",
                "The denominator must be above 0 and at most %(most)s.",
                field="denominator",
                params={"most": max_quantity},
            )
        if quantity > denominator:
            return Refusal(
                "quantity_above_denominator",
                "For a ratio indicator the quantity cannot exceed the denominator.",
                field="quantity",
            )
    elif denominator is not None:
        return Refusal(
            "denominator_not_applicable", "Only ratio indicators take a denominator.", field="denominator"
        )
    return None
