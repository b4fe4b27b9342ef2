"""Rewards: top performers per unit and job type."""

from fractions import Fraction

from services.scoring.domain.predicate import Predicate
from services.scoring.domain.rewards import RewardCandidate, RewardPolicy, top_performers


def candidate(
    employee: str,
    predicate: Predicate,
    achievement: Fraction | None,
    *,
    unit: str = "disdik",
    job: str = "guru",
) -> RewardCandidate:
    return RewardCandidate(employee, unit, job, "2026-Q3", predicate, achievement)


def test_predicate_ranks_before_achievement() -> None:
    [group] = top_performers(
        [
            candidate("a", Predicate.BAIK, Fraction(3, 2)),
            candidate("b", Predicate.SANGAT_BAIK, Fraction(11, 10)),
        ]
    )
    assert [w.employee_id for w in group.winners] == ["b", "a"]


def test_equal_predicate_and_achievement_break_ties_by_employee_id() -> None:
    pool = [candidate(e, Predicate.SANGAT_BAIK, Fraction(6, 5)) for e in ("z9", "a1", "m5", "b2")]
    [group] = top_performers(pool, RewardPolicy(top_k=3))
    assert [w.employee_id for w in group.winners] == ["a1", "b2", "m5"]
    [reordered] = top_performers(list(reversed(pool)), RewardPolicy(top_k=3))
    assert reordered == group


def test_unknown_achievement_ranks_last_within_a_predicate() -> None:
    [group] = top_performers(
        [candidate("a", Predicate.BAIK, None), candidate("b", Predicate.BAIK, Fraction(0))]
    )
    assert [w.employee_id for w in group.winners] == ["b", "a"]


def test_groups_are_per_unit_and_job_type_and_only_eligible_predicates_count() -> None:
    groups = top_performers(
        [
            candidate("a", Predicate.SANGAT_BAIK, Fraction(1), unit="dukcapil", job="operator"),
            candidate("b", Predicate.BAIK, Fraction(1)),
            candidate("c", Predicate.BUTUH_PERBAIKAN, Fraction(1)),
            candidate("d", Predicate.BUTUH_PERBAIKAN, Fraction(1), job="tendik"),
        ]
    )
    assert [(g.unit_id, g.job_type, [w.employee_id for w in g.winners]) for g in groups] == [
        ("disdik", "guru", ["b"]),
        ("dukcapil", "operator", ["a"]),
    ]


def test_top_k_is_configurable() -> None:
    pool = [candidate(str(i), Predicate.BAIK, Fraction(i)) for i in range(10)]
    [group] = top_performers(pool, RewardPolicy(top_k=1))
    assert [w.employee_id for w in group.winners] == ["9"]
