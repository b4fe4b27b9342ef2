"""An activity's state folds its events the same way whatever order they arrive in."""

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from services.scoring.domain.activity import (
    ActivityIdentity,
    ActivityMeasure,
    ActivityState,
    ActivityStatus,
    Stamp,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
IDENTITY = ActivityIdentity("e1", "i1", "r1")
FIRST = ActivityMeasure(T0, Fraction(10))
CORRECTED = ActivityMeasure(T0 + timedelta(days=1), Fraction(7))

LIFECYCLES = [
    ["reported"],
    ["reported", "verified"],
    ["reported", "rejected"],
    ["reported", "rejected", "corrected"],
    ["reported", "rejected", "corrected", "verified"],
    ["reported", "rejected", "corrected", "rejected"],
    ["reported", "verified", "reported"],
]


def apply(state: ActivityState, step: str, n: int) -> ActivityState:
    stamp = Stamp(T0 + timedelta(minutes=n), f"ev-{n:02d}")
    if step == "reported":
        return state.reported(IDENTITY, FIRST, stamp)
    if step == "verified":
        return state.verified_at(stamp)
    if step == "rejected":
        return state.rejected_at(stamp)
    return state.corrected(CORRECTED, stamp)


def fold(steps: list[tuple[int, str]]) -> ActivityState:
    state = ActivityState()
    for n, step in steps:
        state = apply(state, step, n)
    return state


@given(st.sampled_from(LIFECYCLES).flatmap(lambda steps: st.permutations(list(enumerate(steps)))))
def test_any_delivery_order_gives_the_state_of_the_upstream_order(delivery: list[tuple[int, str]]) -> None:
    assert fold(delivery) == fold(sorted(delivery))


def test_a_verification_before_its_report_is_kept_and_applies_when_the_report_comes() -> None:
    early = ActivityState().verified_at(Stamp(T0 + timedelta(minutes=5), "v"))
    assert not early.counts
    state = early.reported(IDENTITY, FIRST, Stamp(T0, "r"))
    assert state.counts
    assert state.verified


def test_a_rejected_activity_stops_counting_and_a_correction_counts_with_its_new_values() -> None:
    rejected = fold([(0, "reported"), (1, "rejected")])
    assert not rejected.counts
    corrected = apply(rejected, "corrected", 2)
    assert corrected.counts
    assert corrected.status is ActivityStatus.UNVERIFIED
    assert corrected.measure == CORRECTED


def test_a_report_sent_again_never_undoes_a_verification_or_a_correction() -> None:
    state = fold([(0, "reported"), (1, "rejected"), (2, "corrected"), (3, "verified"), (4, "reported")])
    assert state.verified
    assert state.measure == CORRECTED


@given(st.permutations([("reported", ("AA" * 32,)), ("attached", ("bb" * 32,)), ("attached", ("aa" * 32,))]))
def test_evidence_attached_before_or_after_the_report_is_one_set_whatever_the_order(
    delivery: list[tuple[str, tuple[str, ...]]],
) -> None:
    state = ActivityState()
    for n, (step, digests) in enumerate(delivery):
        if step == "reported":
            state = state.reported(IDENTITY, FIRST, Stamp(T0 + timedelta(minutes=n), f"ev-{n}"), digests)
        else:
            state = state.with_evidence(digests)
    assert state.evidence == ("aa" * 32, "bb" * 32)
    assert state.counts
