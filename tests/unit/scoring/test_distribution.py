"""Distribution check of employees' predicates against the unit's organisation predicate."""

from collections import Counter
from fractions import Fraction

import pytest

from services.scoring.domain.distribution import (
    BoundKind,
    DistributionConstraint,
    DistributionPattern,
    DistributionRules,
    check_distribution,
)
from services.scoring.domain.predicate import OrganisationPredicate as Org
from services.scoring.domain.predicate import Predicate
from shared.i18n import phrase_message

SB, B, BP, K, SK = (
    Predicate.SANGAT_BAIK,
    Predicate.BAIK,
    Predicate.BUTUH_PERBAIKAN,
    Predicate.KURANG,
    Predicate.SANGAT_KURANG,
)


def unit(**counts: int) -> list[Predicate]:
    return [Predicate[name] for name, count in counts.items() for _ in range(count)]


@pytest.mark.parametrize(
    ("organisation", "predicates"),
    [
        (Org.ISTIMEWA, unit(SANGAT_BAIK=7, BAIK=3)),
        (Org.BAIK, unit(SANGAT_BAIK=2, BAIK=7, BUTUH_PERBAIKAN=1)),
        (Org.BAIK, unit(SANGAT_BAIK=3, BAIK=2, KURANG=1)),
        (Org.BUTUH_PERBAIKAN, unit(BUTUH_PERBAIKAN=6, BAIK=3, SANGAT_BAIK=1)),
        (Org.KURANG, unit(KURANG=6, BUTUH_PERBAIKAN=1, SANGAT_BAIK=1, BAIK=2)),
        (Org.SANGAT_KURANG, unit(SANGAT_KURANG=6, KURANG=1, BAIK=3)),
        (Org.SANGAT_KURANG, unit(SANGAT_KURANG=8, BUTUH_PERBAIKAN=2)),
    ],
)
def test_a_distribution_within_its_pattern_is_compliant(
    organisation: Org, predicates: list[Predicate]
) -> None:
    report = check_distribution(organisation, predicates)
    assert report.compliant, [phrase_message(r.explanation, "en") for r in report.violations]


@pytest.mark.parametrize(
    ("organisation", "predicates", "broken"),
    [
        (Org.ISTIMEWA, unit(SANGAT_BAIK=8, BAIK=2), {frozenset({SB})}),
        (Org.BAIK, unit(BAIK=8, SANGAT_BAIK=2), {frozenset({B}), frozenset({BP, K})}),
        (Org.BAIK, unit(BAIK=6, SANGAT_KURANG=4), {frozenset({BP, K})}),
        (
            Org.BUTUH_PERBAIKAN,
            unit(BUTUH_PERBAIKAN=5, SANGAT_BAIK=2, BAIK=3),
            {frozenset({BP}), frozenset({SB})},
        ),
        (Org.KURANG, unit(KURANG=6, BAIK=4), {frozenset({BP})}),
        (Org.KURANG, unit(KURANG=5, BUTUH_PERBAIKAN=3, SANGAT_BAIK=2), {frozenset({K}), frozenset({SB})}),
        (Org.SANGAT_KURANG, unit(SANGAT_KURANG=9, SANGAT_BAIK=1), {frozenset({K, BP}), frozenset({SB})}),
        (Org.SANGAT_KURANG, unit(SANGAT_KURANG=5, KURANG=5), {frozenset({SK})}),
    ],
)
def test_a_distribution_outside_its_pattern_names_each_broken_constraint(
    organisation: Org, predicates: list[Predicate], broken: set[frozenset[Predicate]]
) -> None:
    report = check_distribution(organisation, predicates)
    assert not report.compliant
    assert {v.constraint.predicates for v in report.violations} == broken


def test_each_result_reports_actual_against_required_in_both_languages() -> None:
    report = check_distribution(Org.BUTUH_PERBAIKAN, unit(BUTUH_PERBAIKAN=4, BAIK=6))
    result = report.results[0]
    assert result.constraint.kind is BoundKind.MIN_SHARE
    assert (result.actual_count, result.required_count, result.total) == (4, 6, 10)
    assert result.actual_share == Fraction(2, 5)
    assert (
        phrase_message(result.explanation, "id")
        == "Butuh Perbaikan: paling sedikit 60% (6/10) pegawai, saat ini 4 dari 10 — TIDAK sesuai"
    )
    assert (
        phrase_message(result.explanation, "en")
        == "Needs improvement: at least 60% (6/10) employees, currently 4 of 10 — NOT compliant"
    )


def test_several_predicates_are_joined_by_or_in_each_language() -> None:
    rules = DistributionRules(
        (
            DistributionPattern(
                Org.ISTIMEWA, (DistributionConstraint(frozenset({SB, B}), BoundKind.MIN_COUNT, Fraction(3)),)
            ),
        )
    )
    result = check_distribution(Org.ISTIMEWA, unit(SANGAT_BAIK=1, BAIK=1), rules).results[0]
    assert phrase_message(result.explanation, "en") == (
        "Outstanding or Good: at least 3 employees, currently 2 of 2 — NOT compliant"
    )
    assert phrase_message(result.explanation, "id") == (
        "Sangat Baik atau Baik: paling sedikit 3 pegawai, saat ini 2 dari 2 — TIDAK sesuai"
    )


def test_the_report_counts_every_predicate() -> None:
    report = check_distribution(Org.ISTIMEWA, unit(SANGAT_BAIK=2, KURANG=1))
    assert dict(report.counts) == {SB: 2, B: 0, BP: 0, K: 1, SK: 0}
    assert report.total == 3


def test_an_empty_unit_passes_share_bounds_but_not_head_count_minimums() -> None:
    assert check_distribution(Org.ISTIMEWA, []).compliant
    report = check_distribution(Org.BAIK, [])
    assert [v.constraint.kind for v in report.violations] == [BoundKind.MIN_COUNT]


def test_the_check_never_changes_the_predicates_it_is_given() -> None:
    predicates = unit(SANGAT_BAIK=10)
    check_distribution(Org.SANGAT_KURANG, predicates)
    assert predicates == unit(SANGAT_BAIK=10)


def test_rules_are_data_a_region_can_replace() -> None:
    lenient = DistributionRules(
        (
            DistributionPattern(
                Org.ISTIMEWA, (DistributionConstraint(frozenset({SB}), BoundKind.MAX_SHARE, Fraction(9, 10)),)
            ),
        )
    )
    assert check_distribution(Org.ISTIMEWA, unit(SANGAT_BAIK=8, BAIK=2), lenient).compliant
    assert check_distribution(Org.KURANG, unit(SANGAT_BAIK=10), lenient).compliant


@pytest.mark.parametrize(
    ("kind", "bound"),
    [
        (BoundKind.MAX_SHARE, Fraction(3, 2)),
        (BoundKind.MIN_COUNT, Fraction(1, 2)),
        (BoundKind.MAX_COUNT, Fraction(-1)),
    ],
)
def test_malformed_constraints_are_rejected(kind: BoundKind, bound: Fraction) -> None:
    with pytest.raises(ValueError, match="bound"):
        DistributionConstraint(frozenset({SB}), kind, bound)


@pytest.mark.parametrize("organisation", list(Org))
def test_predicates_counted_are_checked_as_the_same_predicates_one_per_employee(organisation: Org) -> None:
    listed = unit(SANGAT_BAIK=3, BAIK=9, BUTUH_PERBAIKAN=4, KURANG=2, SANGAT_KURANG=1)
    assert check_distribution(organisation, Counter(listed)) == check_distribution(organisation, listed)
