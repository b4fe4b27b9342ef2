"""Rules of an activity report (laporan kegiatan): when it may have happened, what it may count, its states.

Pure functions and values only: no I/O, no framework. The service layer turns a ``RuleViolation``
into an HTTP error or a per-item batch rejection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

#: Upper bound of the quantity one activity report may contribute.
#:
#: One report covers one person's work in one sitting (a day at most). The most numerous things an
#: ASN counts in a day, documents issued at a counter or people served at a vaccination or ID-card
#: drive, stay in the hundreds or low thousands. 100,000 is two orders of magnitude above that, so
#: no genuine report reaches it, while the usual slips do: extra zeros, or a NIP (18 digits) or a
#: phone number (10 to 13 digits) typed into the quantity field.
MAX_QUANTITY = Decimal(100_000)

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

_REQUIRED_STATUS = {
    ReviewAction.VERIFY: (ActivityStatus.SUBMITTED, "verified", "diverifikasi"),
    ReviewAction.REJECT: (ActivityStatus.SUBMITTED, "rejected", "ditolak"),
    ReviewAction.CORRECT: (ActivityStatus.REJECTED, "corrected", "diperbaiki"),
}

_STATUS_ID = {
    ActivityStatus.SUBMITTED: "menunggu verifikasi",
    ActivityStatus.VERIFIED: "sudah diverifikasi",
    ActivityStatus.REJECTED: "ditolak",
}


@dataclass(frozen=True, slots=True)
class RuleViolation:
    """A broken rule, naming the field and the reason in English and Bahasa Indonesia."""

    code: str
    field: str | None
    message_en: str
    message_id: str


class TransitionRefused(Exception):
    """The activity is not in a state that allows this action."""

    def __init__(self, violation: RuleViolation) -> None:
        super().__init__(violation.message_en)
        self.violation = violation


def next_status(current: ActivityStatus, action: ReviewAction) -> ActivityStatus:
    """The status after ``action``, or ``TransitionRefused`` saying which status it needs."""
    target = _TRANSITIONS.get((current, action))
    if target is not None:
        return target
    required, verb_en, verb_id = _REQUIRED_STATUS[action]
    raise TransitionRefused(
        RuleViolation(
            code=f"cannot_{action.value}",
            field="status",
            message_en=(f"Only a {required.value} activity can be {verb_en}; this one is {current.value}."),
            message_id=(
                f"Hanya kegiatan yang {_STATUS_ID[required]} yang dapat {verb_id}; "
                f"kegiatan ini {_STATUS_ID[current]}."
            ),
        )
    )


def evidence_may_change(status: ActivityStatus) -> RuleViolation | None:
    """Evidence is frozen once verified: the rater verified exactly what was attached."""
    if status is ActivityStatus.VERIFIED:
        return RuleViolation(
            "activity_verified",
            "status",
            "Evidence cannot be added to a verified activity.",
            "Bukti dukung tidak dapat ditambahkan ke kegiatan yang sudah diverifikasi.",
        )
    return None


def check_not_in_future(
    at: datetime, *, now: datetime, clock_skew: timedelta, field: str
) -> RuleViolation | None:
    """Something reported as done cannot lie in the future, beyond the device clock's drift."""
    if at > now + clock_skew:
        return RuleViolation(
            "in_the_future",
            field,
            f"The time {at.isoformat()} is in the future.",
            f"Waktu {at.isoformat()} ada di masa depan.",
        )
    return None


def check_occurrence(
    occurred_at: datetime, *, now: datetime, plan_year: int, clock_skew: timedelta
) -> RuleViolation | None:
    """An activity happened in the past (give or take the clock skew) and within its plan's year.

    The year is read in the offset the device sent, i.e. the reporter's own calendar: an activity
    at 00:30 WIB on 1 January belongs to the new year even though it is still 31 December in UTC.
    """
    future = check_not_in_future(occurred_at, now=now, clock_skew=clock_skew, field="occurred_at")
    if future is not None:
        return future
    if occurred_at.year != plan_year:
        return RuleViolation(
            "outside_plan_year",
            "occurred_at",
            f"The activity must happen within the plan year {plan_year}.",
            f"Kegiatan harus terjadi dalam tahun SKP {plan_year}.",
        )
    return None


def check_quantity(
    *,
    quantity: Decimal | None,
    denominator: Decimal | None,
    aggregation: str,
    qualitative: bool,
    max_quantity: Decimal = MAX_QUANTITY,
) -> RuleViolation | None:
    """The quantity an activity contributes: present unless qualitative, never negative nor absurd."""
    if quantity is None:
        if qualitative:
            return None
        return RuleViolation(
            "quantity_required",
            "quantity",
            "A quantity is required for this indicator.",
            "Jumlah (kuantitas) wajib diisi untuk indikator ini.",
        )
    if quantity < 0:
        return RuleViolation(
            "negative_quantity",
            "quantity",
            "The quantity cannot be negative.",
            "Jumlah tidak boleh negatif.",
        )
    if quantity > max_quantity:
        return RuleViolation(
            "quantity_too_large",
            "quantity",
            f"The quantity {quantity} is more than one activity can contribute (at most {max_quantity}).",
            f"Jumlah {quantity} melebihi batas satu kegiatan (paling banyak {max_quantity}).",
        )
    if aggregation == "ratio":
        if denominator is None:
            return RuleViolation(
                "denominator_required",
                "denominator",
                "A ratio indicator needs a denominator (the base count).",
                "Indikator rasio memerlukan penyebut (jumlah dasar).",
            )
        if denominator <= 0 or denominator > max_quantity:
            return RuleViolation(
                "denominator_out_of_range",
                "denominator",
                f"The denominator must be above 0 and at most {max_quantity}.",
                f"Penyebut harus lebih dari 0 dan paling banyak {max_quantity}.",
            )
        if quantity > denominator:
            return RuleViolation(
                "quantity_above_denominator",
                "quantity",
                "For a ratio indicator the quantity cannot exceed the denominator.",
                "Untuk indikator rasio, jumlah tidak boleh melebihi penyebut.",
            )
    elif denominator is not None:
        return RuleViolation(
            "denominator_not_applicable",
            "denominator",
            "Only ratio indicators take a denominator.",
            "Hanya indikator rasio yang memakai penyebut.",
        )
    return None
