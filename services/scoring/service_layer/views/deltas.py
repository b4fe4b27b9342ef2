"""What a batch's activity changes add to progress rows, so most rows follow without a recomputation.

``ProgressDelta`` collects, per progress row, each changed activity taken out as it was and put back
as it is; ``advanced_totals`` applies it to the stored totals, or raises ``NeedsRecompute`` when
only the row's contributions can tell (its latest activity was taken out).
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from services.scoring.domain.activity import ActivityStatus
from services.scoring.service_layer.views.contribution_rows import (
    DENOMINATOR,
    OCCURRED_AT,
    QUANTITY,
    STATUS,
    ContributionRow,
)
from services.scoring.service_layer.views.touches import ProgressKey

#: The latest of a set of contributions in the views' order: (occurred_at, activity_id, quantity).
Latest = tuple[datetime, str, Decimal]

_REJECTED, _VERIFIED = ActivityStatus.REJECTED.value, ActivityStatus.VERIFIED.value
_ZERO = Decimal(0)


def _later(kept: Latest | None, candidate: Latest | None) -> Latest | None:
    """The later of two contributions by (time, activity id), code-point order as in the domain."""
    if kept is None:
        return candidate
    if candidate is None:
        return kept
    # (time, id) compared field by field: slicing both made two tuples, for every activity added.
    if candidate[0] != kept[0]:
        return candidate if candidate[0] > kept[0] else kept
    return candidate if candidate[1] > kept[1] else kept


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: Where a contribution stands in the views' order: (its instant as the time since the epoch,
#: activity id). Two aware datetimes of different zone objects compare by asking each its zone's
#: offset (0.4 µs a comparison); two ``timedelta``s compare at once, with no zone. (Microseconds as
#: an integer, ``// timedelta(microseconds=1)``, cost a division of ~2,300 instructions more.)
Order = tuple[timedelta, str]


class _Added(NamedTuple):
    """A contribution put back, as each of its rows' deltas takes it: computed once an activity."""

    verified: bool
    quantity: Decimal
    #: None when the activity has none (nothing to add).
    denominator: Decimal | None
    order: Order
    latest: Latest


#: Makes an ``_Added`` from its fields without the named tuple's ``__new__`` (a Python function).
_new_added = tuple.__new__


class ProgressDelta:
    """What a batch's activity changes add to (and take from) one progress row's totals.

    Each changed activity is taken out as it was before the batch and put back as it is after it,
    so the row's sums and counts follow by addition. The latest (and latest verified) activity
    follows too, unless the row's latest is one taken out and nothing put back is as late: only
    then must the row be recomputed from its contributions.

    Its fields start as the class's (nothing added yet), so a new delta is an empty object, and
    each keeps only what its changes set (a batch makes one for most rows it touches).
    """

    count: int = 0
    quantity: Decimal = _ZERO
    denominator: Decimal = _ZERO
    verified_count: int = 0
    verified_quantity: Decimal = _ZERO
    verified_denominator: Decimal = _ZERO
    rejected_count: int = 0
    #: The activities taken out (a set of its own from the first).
    withdrawn: AbstractSet[str] = frozenset()
    verified_withdrawn: AbstractSet[str] = frozenset()
    latest: Latest | None = None
    verified_latest: Latest | None = None
    #: ``latest``'s and ``verified_latest``'s places in the views' order (see ``Order``).
    latest_order: Order | None = None
    verified_latest_order: Order | None = None

    def take_out(self, activity_id: str, row: ContributionRow) -> None:
        """Take out one activity as a contributions row described it before the batch."""
        status = row[STATUS]
        if status == _REJECTED:
            self.rejected_count -= 1
            return
        quantity: Decimal = row[QUANTITY]
        # Most activities have no denominator: no decimal zero added, ~400 instructions a sum.
        denominator: Decimal | None = row[DENOMINATOR]
        self.count -= 1
        self.quantity -= quantity
        if denominator:
            self.denominator -= denominator
        self.withdrawn = _with(self.withdrawn, activity_id)
        if status == _VERIFIED:
            self.verified_count -= 1
            self.verified_quantity -= quantity
            if denominator:
                self.verified_denominator -= denominator
            self.verified_withdrawn = _with(self.verified_withdrawn, activity_id)

    def put_back(self, added: _Added | None) -> None:
        """Put back one activity as it is after the batch (None: rejected)."""
        if added is None:
            self.rejected_count += 1
            return
        # Unpacked at once: each read of a named tuple's field by name is a descriptor's call.
        verified, quantity, denominator, order, latest = added
        self.count += 1
        self.quantity += quantity
        if denominator:
            self.denominator += denominator
        # Of equal places the one kept stays (an activity's place is unique: its id is in it).
        if self.latest_order is None or order > self.latest_order:
            self.latest_order, self.latest = order, latest
        if verified:
            self.verified_count += 1
            self.verified_quantity += quantity
            if denominator:
                self.verified_denominator += denominator
            if self.verified_latest_order is None or order > self.verified_latest_order:
                self.verified_latest_order, self.verified_latest = order, latest


def _with(withdrawn: AbstractSet[str], activity_id: str) -> set[str]:
    """The set with one more activity: the class's empty one replaced by a set of the delta's own."""
    if isinstance(withdrawn, set):
        withdrawn.add(activity_id)
        return withdrawn
    return {activity_id}


def _added(activity_id: str, row: ContributionRow) -> _Added | None:
    status = row[STATUS]
    if status == _REJECTED:
        return None
    occurred_at: datetime = row[OCCURRED_AT]
    quantity: Decimal = row[QUANTITY]
    return _new_added(
        _Added,
        (
            status == _VERIFIED,
            quantity,
            row[DENOMINATOR],
            (occurred_at - _EPOCH, activity_id),
            (occurred_at, activity_id, quantity),
        ),
    )


def note_activity_change(
    deltas: dict[ProgressKey, ProgressDelta],
    activity_id: str,
    before: ContributionRow | None,
    before_keys: list[ProgressKey],
    after: ContributionRow,
    after_keys: list[ProgressKey],
) -> None:
    """Record how one activity's net change in a batch moves the totals of the rows it counts in.

    The activity is taken out of the rows it counted in before the batch (``before_keys``, its
    ``counted_keys``) and put back into those it counts in after it (its period's and its year's),
    what it adds computed once for both.
    """
    if before is not None:
        for key in before_keys:
            found = deltas.get(key)
            if found is None:
                found = deltas[key] = ProgressDelta()
            found.take_out(activity_id, before)
    if after_keys:
        added = _added(activity_id, after)
        for key in after_keys:
            found = deltas.get(key)
            if found is None:
                found = deltas[key] = ProgressDelta()
            found.put_back(added)


@dataclass
class _Totals:
    """A progress row's totals, named as its columns (and as the ``GROUP BY`` over its contributions
    names them)."""

    activity_count: int
    quantity_sum: Decimal
    denominator_sum: Decimal
    verified_count: int
    verified_quantity_sum: Decimal
    verified_denominator_sum: Decimal
    rejected_count: int
    last_quantity: Decimal | None
    last_occurred_at: datetime | None
    last_activity_id: str | None
    verified_last_quantity: Decimal | None
    verified_last_occurred_at: datetime | None
    verified_last_activity_id: str | None


class NeedsRecompute(Exception):
    """A row's totals cannot follow from its stored totals and the batch's changes alone."""


def _latest_after(
    old: Latest | None, withdrawn: AbstractSet[str], added: Latest | None, count: int
) -> Latest | None:
    if count == 0:
        return None
    if old is not None and old[1] in withdrawn:
        # The latest was taken out: only something put back at least as late is surely the latest.
        if added is not None and added[:2] >= old[:2]:
            return added
        raise NeedsRecompute
    latest = _later(old, added)
    if latest is None:
        raise NeedsRecompute  # counted activities but no latest one: not a row these totals describe
    return latest


def advanced_totals(row: Any | None, delta: ProgressDelta) -> _Totals:
    """A stored row's totals with a batch's changes applied (raises ``NeedsRecompute`` when it cannot)."""
    if row is None:
        return _totals_after(_NO_TOTALS, None, None, delta)
    # The stored totals read straight from the row (an intermediate ``_Totals`` of them was a
    # second object of thirteen fields a row).
    last = (
        (row.last_occurred_at, row.last_activity_id, row.last_quantity)
        if row.last_activity_id is not None
        else None
    )
    verified_last = (
        (row.verified_last_occurred_at, row.verified_last_activity_id, row.verified_last_quantity)
        if row.verified_last_activity_id is not None
        else None
    )
    return _totals_after(row, last, verified_last, delta)


def _totals_after(
    stored: Any, last: Latest | None, verified_last: Latest | None, delta: ProgressDelta
) -> _Totals:
    count = stored.activity_count + delta.count
    verified_count = stored.verified_count + delta.verified_count
    rejected_count = stored.rejected_count + delta.rejected_count
    if count < 0 or verified_count < 0 or rejected_count < 0:
        raise NeedsRecompute
    latest = _latest_after(last, delta.withdrawn, delta.latest, count)
    verified_latest = _latest_after(
        verified_last, delta.verified_withdrawn, delta.verified_latest, verified_count
    )
    return _Totals(
        activity_count=count,
        quantity_sum=stored.quantity_sum + delta.quantity,
        denominator_sum=stored.denominator_sum + delta.denominator,
        verified_count=verified_count,
        verified_quantity_sum=stored.verified_quantity_sum + delta.verified_quantity,
        verified_denominator_sum=stored.verified_denominator_sum + delta.verified_denominator,
        rejected_count=rejected_count,
        last_occurred_at=latest[0] if latest else None,
        last_activity_id=latest[1] if latest else None,
        last_quantity=latest[2] if latest else None,
        verified_last_occurred_at=verified_latest[0] if verified_latest else None,
        verified_last_activity_id=verified_latest[1] if verified_latest else None,
        verified_last_quantity=verified_latest[2] if verified_latest else None,
    )


#: The totals of a row not stored yet: no activities, sums of zero, no latest.
_NO_TOTALS = _Totals(0, _ZERO, _ZERO, 0, _ZERO, _ZERO, 0, *(None,) * 6)
