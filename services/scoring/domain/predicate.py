"""Predikat kinerja pegawai from the two ratings, and the organisation predicate of a unit."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from services.scoring.domain.rating import Rating
from shared.labels import LabelledEnum


class Predicate(LabelledEnum):
    """Predikat kinerja pegawai."""

    SANGAT_BAIK = "SANGAT_BAIK", "Sangat Baik", "Outstanding"
    BAIK = "BAIK", "Baik", "Good"
    BUTUH_PERBAIKAN = "BUTUH_PERBAIKAN", "Butuh Perbaikan", "Needs improvement"
    KURANG = "KURANG", "Kurang/Misconduct", "Poor/Misconduct"
    SANGAT_KURANG = "SANGAT_KURANG", "Sangat Kurang", "Very poor"

    @property
    def rank(self) -> int:
        """Ordinal rank for sorting, best highest: SANGAT_BAIK 4 … SANGAT_KURANG 0."""
        return _PREDICATE_RANK[self]


_PREDICATE_RANK: dict[Predicate, int] = {
    Predicate.SANGAT_BAIK: 4,
    Predicate.BAIK: 3,
    Predicate.BUTUH_PERBAIKAN: 2,
    Predicate.KURANG: 1,
    Predicate.SANGAT_KURANG: 0,
}


class OrganisationPredicate(LabelledEnum):
    """Predikat kinerja organisasi (unit)."""

    ISTIMEWA = "ISTIMEWA", "Istimewa", "Exceptional"
    BAIK = "BAIK", "Baik", "Good"
    BUTUH_PERBAIKAN = "BUTUH_PERBAIKAN", "Butuh Perbaikan", "Needs improvement"
    KURANG = "KURANG", "Kurang", "Poor"
    SANGAT_KURANG = "SANGAT_KURANG", "Sangat Kurang", "Very poor"


# National matrix (PermenPANRB 6/2022): keys are (results rating, behaviour rating).
PREDICATE_MATRIX: Mapping[tuple[Rating, Rating], Predicate] = MappingProxyType(
    {
        (Rating.ABOVE, Rating.BELOW): Predicate.KURANG,
        (Rating.ABOVE, Rating.MEETS): Predicate.BAIK,
        (Rating.ABOVE, Rating.ABOVE): Predicate.SANGAT_BAIK,
        (Rating.MEETS, Rating.BELOW): Predicate.KURANG,
        (Rating.MEETS, Rating.MEETS): Predicate.BAIK,
        (Rating.MEETS, Rating.ABOVE): Predicate.BAIK,
        (Rating.BELOW, Rating.BELOW): Predicate.SANGAT_KURANG,
        (Rating.BELOW, Rating.MEETS): Predicate.BUTUH_PERBAIKAN,
        (Rating.BELOW, Rating.ABOVE): Predicate.BUTUH_PERBAIKAN,
    }
)


def predicate_of(results: Rating, behaviour: Rating) -> Predicate:
    """Predikat kinerja from the results rating (hasil kerja) and the behaviour rating (perilaku kerja)."""
    return PREDICATE_MATRIX[(results, behaviour)]
