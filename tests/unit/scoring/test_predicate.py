"""Predikat kinerja from the national matrix."""

import pytest

from services.scoring.domain.predicate import PREDICATE_MATRIX, Predicate, predicate_of
from services.scoring.domain.rating import Rating


@pytest.mark.parametrize(
    ("results", "behaviour", "expected"),
    [
        (Rating.ABOVE, Rating.BELOW, Predicate.KURANG),
        (Rating.ABOVE, Rating.MEETS, Predicate.BAIK),
        (Rating.ABOVE, Rating.ABOVE, Predicate.SANGAT_BAIK),
        (Rating.MEETS, Rating.BELOW, Predicate.KURANG),
        (Rating.MEETS, Rating.MEETS, Predicate.BAIK),
        (Rating.MEETS, Rating.ABOVE, Predicate.BAIK),
        (Rating.BELOW, Rating.BELOW, Predicate.SANGAT_KURANG),
        (Rating.BELOW, Rating.MEETS, Predicate.BUTUH_PERBAIKAN),
        (Rating.BELOW, Rating.ABOVE, Predicate.BUTUH_PERBAIKAN),
    ],
)
def test_each_cell_of_the_national_matrix_gives_its_predicate(
    results: Rating, behaviour: Rating, expected: Predicate
) -> None:
    assert predicate_of(results, behaviour) is expected


def test_the_matrix_covers_every_pair_of_ratings() -> None:
    assert set(PREDICATE_MATRIX) == {(r, b) for r in Rating for b in Rating}


def test_predicates_and_ratings_carry_indonesian_labels() -> None:
    assert Predicate.KURANG.label_id == "Kurang/Misconduct"
    assert Predicate.SANGAT_BAIK.label_en == "Outstanding"
    assert Rating.ABOVE.label_id == "Di Atas Ekspektasi"
    assert Rating("MEETS") is Rating.MEETS


def test_predicates_rank_from_sangat_baik_down_to_sangat_kurang() -> None:
    ranked = sorted(Predicate, key=lambda p: -p.rank)
    assert ranked == [
        Predicate.SANGAT_BAIK,
        Predicate.BAIK,
        Predicate.BUTUH_PERBAIKAN,
        Predicate.KURANG,
        Predicate.SANGAT_KURANG,
    ]
