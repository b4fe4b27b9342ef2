"""A batch's deltas keep the latest contribution in the views' order: by instant, then activity id."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from services.scoring.service_layer.views.contribution_rows import CONTRIBUTION_COLUMNS, ContributionRow
from services.scoring.service_layer.views.deltas import ProgressDelta, note_activity_change
from services.scoring.service_layer.views.touches import ProgressKey, counted_keys

JAKARTA = timezone(timedelta(hours=7))
JAYAPURA = timezone(timedelta(hours=9))


def _row(
    at: datetime, quantity: int, status: str = "UNVERIFIED", denominator: Decimal | None = None
) -> ContributionRow:
    values = {
        "reported": True,
        "period": "2026-Q2",
        "indicator_id": "i-1",
        "status": status,
        "occurred_at": at,
        "quantity": Decimal(quantity),
        "denominator": denominator,
    }
    return tuple(values.get(name) for name in CONTRIBUTION_COLUMNS)


#: An activity counted nowhere (not reported).
_UNCOUNTED: ContributionRow = tuple(None for _ in CONTRIBUTION_COLUMNS)


def _note(
    deltas: dict[ProgressKey, ProgressDelta],
    activity_id: str,
    before: ContributionRow | None,
    after: ContributionRow,
) -> None:
    before_keys = counted_keys("e-1", before)
    note_activity_change(deltas, activity_id, before, before_keys, after, counted_keys("e-1", after))


def test_the_latest_is_the_latest_instant_whatever_the_offset_then_the_larger_id() -> None:
    deltas: dict[tuple[str, str, str], ProgressDelta] = {}
    noon_utc = datetime(2026, 5, 4, 12, tzinfo=UTC)
    # 20:00 in Jayapura is 11:00 UTC: earlier than 19:30 in Jakarta (12:30 UTC), though it reads later.
    _note(deltas, "a-3", None, _row(noon_utc.astimezone(JAYAPURA) - timedelta(hours=1), 1))
    _note(deltas, "a-1", None, _row(noon_utc.astimezone(JAKARTA) + timedelta(minutes=30), 2))
    # The same instant as a-1's, in UTC: the larger id wins the tie.
    _note(deltas, "a-2", None, _row(noon_utc + timedelta(minutes=30), 3, "VERIFIED"))
    _note(deltas, "a-0", None, _row(noon_utc + timedelta(minutes=30), 4))
    for key in (("e-1", "i-1", "2026-Q2"), ("e-1", "i-1", "2026")):
        delta = deltas[key]
        assert (delta.count, delta.quantity, delta.verified_count, delta.verified_quantity) == (
            4,
            Decimal(10),
            1,
            Decimal(3),
        )
        assert delta.latest is not None
        assert delta.latest[1:] == ("a-2", Decimal(3))
        assert delta.verified_latest is not None
        assert delta.verified_latest[1] == "a-2"


def test_taking_out_keeps_each_delta_its_own_withdrawn_set() -> None:
    deltas: dict[tuple[str, str, str], ProgressDelta] = {}
    at = datetime(2026, 5, 4, 12, tzinfo=UTC)
    _note(deltas, "a-1", _row(at, 2, "VERIFIED"), _UNCOUNTED)
    _note(deltas, "a-2", _row(at, 1), _row(at, 1, "REJECTED"))
    delta = deltas[("e-1", "i-1", "2026-Q2")]
    assert (delta.count, delta.quantity, delta.rejected_count) == (-2, Decimal(-3), 1)
    assert delta.withdrawn == {"a-1", "a-2"}
    assert delta.verified_withdrawn == {"a-1"}
    assert ProgressDelta().withdrawn == frozenset()  # the class's empty set, untouched


def test_denominators_are_summed_where_activities_have_them() -> None:
    deltas: dict[ProgressKey, ProgressDelta] = {}
    at = datetime(2026, 5, 4, 12, tzinfo=UTC)
    _note(deltas, "a-1", None, _row(at, 3, "VERIFIED", Decimal("4.0000")))
    _note(deltas, "a-2", None, _row(at, 1))
    _note(
        deltas, "a-3", _row(at, 2, "VERIFIED", Decimal("2.5000")), _row(at, 2, "REJECTED", Decimal("2.5000"))
    )
    _note(deltas, "a-4", _row(at, 5, denominator=Decimal(0)), _row(at, 6, denominator=Decimal("0.5000")))
    delta = deltas[("e-1", "i-1", "2026")]
    assert (delta.count, delta.quantity, delta.denominator) == (1, Decimal(3), Decimal("2.0000"))
    assert (delta.verified_count, delta.verified_quantity, delta.verified_denominator) == (
        0,
        Decimal(1),
        Decimal("1.5000"),
    )
    assert delta.rejected_count == 1
