"""The life of one reported activity as scoring sees it: reported, verified, rejected, corrected.

Events about one activity may arrive in any order (a verification before its report, a replay, a
redelivery). Each change carries a :class:`Stamp` (when it happened upstream, then its event id), and
the state keeps, per part, the change that ranks highest, so folding the same changes in any order
gives the same state:

- status: the latest verification, rejection or correction; a report alone leaves it "unverified"
  and never overrides them (a report re-sent later must not undo a verification);
- measured values: a correction beats any report, and among the same kind the latest wins;
- evidence files: every file the report or a later attachment names (a union, so order is moot).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from fractions import Fraction
from typing import NamedTuple

from shared.labels import LabelledEnum


class ActivityStatus(LabelledEnum):
    """Status verifikasi of an activity."""

    UNVERIFIED = "UNVERIFIED", "Belum diverifikasi", "Not yet verified"
    VERIFIED = "VERIFIED", "Terverifikasi", "Verified"
    REJECTED = "REJECTED", "Ditolak", "Rejected"


# The value objects below, and the state they make up, are named tuples: every activity event makes
# each of them, and a frozen dataclass sets its fields one by one through ``object.__setattr__``
# (0.8 to 1.2 µs an object against 0.3 to 0.5); a named tuple is as immutable, and compares (in C)
# field by field as the dataclasses did.


class Stamp(NamedTuple):
    """When a change happened upstream, with its event id as a deterministic tie-break."""

    at: datetime
    event_id: str


class ActivityIdentity(NamedTuple):
    """What the report alone says: which indicator the activity counts toward."""

    employee_id: str
    indicator_id: str
    result_id: str


class ActivityMeasure(NamedTuple):
    """The measured part, which a correction may replace."""

    occurred_at: datetime
    quantity: Fraction
    denominator: Fraction | None = None


class ActivityState(NamedTuple):
    """Everything known about one activity so far.

    ``identity`` stays ``None`` until the report arrives: a verification or correction that comes
    first is kept (not dropped) and takes effect as soon as the report does.
    """

    identity: ActivityIdentity | None = None
    measure: ActivityMeasure | None = None
    measure_stamp: Stamp | None = None
    measure_corrected: bool = False
    status: ActivityStatus = ActivityStatus.UNVERIFIED
    status_stamp: Stamp | None = None
    #: SHA-256 of each evidence file (bukti dukung), lower-case, sorted.
    evidence: tuple[str, ...] = ()

    @property
    def counts(self) -> bool:
        """Whether the activity counts toward its indicator: reported, measured and not rejected."""
        return (
            self.identity is not None
            and self.measure is not None
            and self.status is not ActivityStatus.REJECTED
        )

    @property
    def verified(self) -> bool:
        """Whether the activity is verified."""
        return self.status is ActivityStatus.VERIFIED

    def _but(
        self,
        *,
        identity: ActivityIdentity | None = None,
        measure: tuple[ActivityMeasure, Stamp, bool] | None = None,
        status: tuple[ActivityStatus, Stamp] | None = None,
        evidence: tuple[str, ...] | None = None,
    ) -> ActivityState:
        # The state with some parts replaced; spelt out, as ``_replace`` (which goes through the
        # fields by name) would be, and made from its fields in one step: every activity event makes
        # a state.
        measured, measure_stamp, corrected = (
            measure if measure is not None else (self.measure, self.measure_stamp, self.measure_corrected)
        )
        status_value, status_stamp = status if status is not None else (self.status, self.status_stamp)
        return _new_state(
            ActivityState,
            (
                identity if identity is not None else self.identity,
                measured,
                measure_stamp,
                corrected,
                status_value,
                status_stamp,
                evidence if evidence is not None else self.evidence,
            ),
        )

    def same_apart_from_evidence(self, other: ActivityState) -> bool:
        """Whether two states differ at most in their evidence files (which count in no total)."""
        return (
            self.identity == other.identity
            and self.measure == other.measure
            and self.measure_stamp == other.measure_stamp
            and self.measure_corrected == other.measure_corrected
            and self.status is other.status
            and self.status_stamp == other.status_stamp
        )

    def _with_status(self, status: ActivityStatus, stamp: Stamp) -> ActivityState:
        if self.status_stamp is not None and stamp <= self.status_stamp:
            return self
        return self._but(status=(status, stamp))

    def _measures_anew(self, stamp: Stamp, *, corrected: bool) -> bool:
        """Whether a measure with this stamp replaces the state's (a correction beats a report)."""
        return self.measure_stamp is None or (corrected, stamp) > (self.measure_corrected, self.measure_stamp)

    def _with_measure(self, measure: ActivityMeasure, stamp: Stamp, *, corrected: bool) -> ActivityState:
        if not self._measures_anew(stamp, corrected=corrected):
            return self
        return self._but(measure=(measure, stamp, corrected))

    def reported(
        self,
        identity: ActivityIdentity,
        measure: ActivityMeasure,
        stamp: Stamp,
        evidence: Iterable[str] = (),
    ) -> ActivityState:
        """The report: fixes the identity and measures; the status stays as any later fact set it."""
        if self.identity is None and self.measure_stamp is None:
            # The first report of an activity not measured yet (most events): both parts set,
            # nothing to rank the measure against, the state made at once from its fields.
            state = _new_state(
                ActivityState,
                (identity, measure, stamp, False, self.status, self.status_stamp, self.evidence),
            )
        else:
            # The identity and the measure in one new state (a first report sets both).
            anew = self._measures_anew(stamp, corrected=False)
            state = (
                self._but(
                    identity=identity if self.identity is None else None,
                    measure=(measure, stamp, False) if anew else None,
                )
                if self.identity is None or anew
                else self
            )
        # Most reports name no file: no call to merge none.
        return state.with_evidence(evidence) if evidence else state

    def with_evidence(self, digests: Iterable[str]) -> ActivityState:
        """Evidence files attached, with the report or later (kept even before the report arrives)."""
        if not digests:  # most reports name no file: nothing to merge
            return self
        merged = tuple(sorted(set(self.evidence) | {digest.lower() for digest in digests}))
        return self if merged == self.evidence else self._but(evidence=merged)

    def verified_at(self, stamp: Stamp) -> ActivityState:
        """The supervisor verified the activity."""
        return self._with_status(ActivityStatus.VERIFIED, stamp)

    def rejected_at(self, stamp: Stamp) -> ActivityState:
        """The supervisor rejected the activity: it stops counting."""
        return self._with_status(ActivityStatus.REJECTED, stamp)

    def corrected(self, measure: ActivityMeasure, stamp: Stamp) -> ActivityState:
        """The employee corrected it: new values, awaiting verification again."""
        return self._with_measure(measure, stamp, corrected=True)._with_status(
            ActivityStatus.UNVERIFIED, stamp
        )


#: Makes a state from all its fields without the named tuple's ``__new__``, a Python function.
_new_state = tuple.__new__
