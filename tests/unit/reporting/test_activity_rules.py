"""Rules of an activity report: when it may have happened, what it may count, how its status moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from services.reporting.domain.activity import (
    MAX_QUANTITY,
    ActivityStatus,
    ReviewAction,
    check_occurrence,
    check_quantity,
    evidence_may_change,
    next_status,
)
from shared.i18n import refusal_body
from shared.refusals import Refusal, RefusalKind

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
SKEW = timedelta(minutes=5)
WIB = timezone(timedelta(hours=7))
JAKARTA, JAYAPURA = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Jayapura")


def occurrence(at: datetime, plan_year: int = 2026):
    return check_occurrence(at, latest=NOW + SKEW, plan_year=plan_year, zone=JAKARTA)


def test_a_past_activity_within_the_plan_year_is_accepted():
    assert occurrence(NOW - timedelta(days=30)) is None


def test_a_phone_clock_slightly_ahead_is_tolerated():
    assert occurrence(NOW + timedelta(minutes=4)) is None


def test_a_time_beyond_the_clock_skew_is_in_the_future():
    violation = occurrence(NOW + timedelta(minutes=6))
    assert violation is not None
    assert (violation.code, violation.field) == ("in_the_future", "occurred_at")


def test_an_activity_outside_the_plan_year_is_refused_naming_the_year():
    violation = occurrence(datetime(2025, 12, 31, 12, tzinfo=UTC))
    assert violation is not None
    assert violation.code == "outside_plan_year"
    assert "2026" in violation.message_en
    assert "2026" in refusal_body(violation)["message_id"]


@pytest.mark.parametrize(
    ("sent", "zone", "year"),
    [
        # 00:30 WIB on 1 January 2027 is still 2026 in UTC, but the region lives in 2027.
        (datetime(2027, 1, 1, 0, 30, tzinfo=WIB), JAKARTA, 2027),
        # 00:30 on a +08:00 phone is still 23:30 on 31 December in a WIB region.
        (datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=8))), JAKARTA, 2026),
        # 23:30 on a +07:00 phone is already 01:30 on 1 January in a WIT region.
        (datetime(2026, 12, 31, 23, 30, tzinfo=WIB), JAYAPURA, 2027),
    ],
)
def test_the_plan_year_is_read_in_the_regions_zone(sent, zone, year):
    now = datetime(2027, 1, 2, tzinfo=UTC)
    assert check_occurrence(sent, latest=now + SKEW, plan_year=year, zone=zone) is None
    for other_year in (year - 1, year + 1):
        refused = check_occurrence(sent, latest=now + SKEW, plan_year=other_year, zone=zone)
        assert refused is not None
        assert refused.code == "outside_plan_year"


def test_the_plan_year_is_the_regions_for_any_offset_and_zone_around_a_new_year():
    # The check converts only times sent near a new year: every time of the week around one, sent
    # at the widest offsets, must get the year the conversion gives.
    now = datetime(2027, 2, 1, tzinfo=UTC)
    offsets = [timezone(timedelta(minutes=m)) for m in (-1439, -720, 0, 420, 480, 540, 840, 1439)]
    zones = [ZoneInfo(name) for name in ("Etc/GMT+12", "Asia/Jakarta", "Asia/Jayapura", "Pacific/Kiritimati")]
    start = datetime(2026, 12, 27, tzinfo=UTC)
    for hour in range(24 * 9):
        for offset in offsets:
            sent = (start + timedelta(hours=hour, minutes=1)).astimezone(offset)
            for zone in zones:
                accepted = check_occurrence(sent, latest=now + SKEW, plan_year=2027, zone=zone) is None
                assert accepted == (sent.astimezone(zone).year == 2027), (sent, zone)


def quantity(
    value: str | None, *, denominator: str | None = None, aggregation: str = "sum", qualitative=False
):
    return check_quantity(
        quantity=None if value is None else Decimal(value),
        denominator=None if denominator is None else Decimal(denominator),
        aggregation=aggregation,
        qualitative=qualitative,
    )


def test_a_plain_count_is_accepted():
    assert quantity("40") is None


@pytest.mark.parametrize(
    ("value", "code"),
    [("-1", "negative_quantity"), (str(MAX_QUANTITY + 1), "quantity_too_large"), (None, "quantity_required")],
)
def test_negative_absurd_or_missing_quantities_are_refused(value, code):
    violation = quantity(value)
    assert violation is not None
    assert (violation.code, violation.field) == (code, "quantity")


def test_a_pasted_nip_is_caught_as_absurd():
    violation = quantity("199001012015032002")
    assert violation is not None
    assert violation.code == "quantity_too_large"


def test_the_upper_bound_itself_is_still_accepted():
    assert quantity(str(MAX_QUANTITY)) is None


def test_a_qualitative_indicator_needs_no_quantity():
    assert quantity(None, qualitative=True) is None


def test_a_ratio_needs_a_denominator_no_smaller_than_the_quantity():
    assert quantity("9", denominator="10", aggregation="ratio") is None
    missing = quantity("9", aggregation="ratio")
    above = quantity("11", denominator="10", aggregation="ratio")
    zero = quantity("0", denominator="0", aggregation="ratio")
    assert missing is not None
    assert (missing.code, missing.field) == ("denominator_required", "denominator")
    assert above is not None
    assert above.code == "quantity_above_denominator"
    assert zero is not None
    assert zero.code == "denominator_out_of_range"


def test_a_denominator_on_a_plain_count_is_refused():
    violation = quantity("3", denominator="10")
    assert violation is not None
    assert violation.code == "denominator_not_applicable"


@pytest.mark.parametrize(
    ("current", "action", "expected"),
    [
        (ActivityStatus.SUBMITTED, ReviewAction.VERIFY, ActivityStatus.VERIFIED),
        (ActivityStatus.SUBMITTED, ReviewAction.REJECT, ActivityStatus.REJECTED),
        (ActivityStatus.REJECTED, ReviewAction.CORRECT, ActivityStatus.SUBMITTED),
    ],
)
def test_allowed_transitions(current, action, expected):
    assert next_status(current, action) is expected


@pytest.mark.parametrize(
    ("current", "action"),
    [
        (ActivityStatus.VERIFIED, ReviewAction.VERIFY),
        (ActivityStatus.VERIFIED, ReviewAction.REJECT),
        (ActivityStatus.VERIFIED, ReviewAction.CORRECT),
        (ActivityStatus.REJECTED, ReviewAction.VERIFY),
        (ActivityStatus.REJECTED, ReviewAction.REJECT),
        (ActivityStatus.SUBMITTED, ReviewAction.CORRECT),
    ],
)
def test_every_other_transition_is_refused_saying_which_status_it_needs(current, action):
    with pytest.raises(Refusal) as refused:
        next_status(current, action)
    assert (refused.value.code, refused.value.kind) == (f"cannot_{action.value}", RefusalKind.CONFLICT)
    assert current.value in refused.value.message_en


def test_a_refused_transition_names_both_statuses_in_indonesian():
    with pytest.raises(Refusal) as refused:
        next_status(ActivityStatus.VERIFIED, ReviewAction.VERIFY)
    assert refusal_body(refused.value) == {
        "code": "cannot_verify",
        "field": "status",
        "message": "Only a submitted activity can be verified; this one is verified.",
        "message_id": "Hanya kegiatan yang menunggu verifikasi yang dapat diverifikasi; "
        "kegiatan ini sudah diverifikasi.",
    }


def test_evidence_is_frozen_once_verified():
    assert evidence_may_change(ActivityStatus.SUBMITTED) is None
    assert evidence_may_change(ActivityStatus.REJECTED) is None
    frozen = evidence_may_change(ActivityStatus.VERIFIED)
    assert frozen is not None
    assert (frozen.code, frozen.kind) == ("activity_verified", RefusalKind.CONFLICT)
