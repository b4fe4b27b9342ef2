"""An indicator (IKI) as scoring assesses it: what it measures, how its realisation adds up, its target."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from shared.labels import LabelledEnum


class Aspect(LabelledEnum):
    """Aspek indikator: what the indicator measures."""

    QUANTITY = "QUANTITY", "Kuantitas", "Quantity"
    QUALITY = "QUALITY", "Kualitas", "Quality"
    TIME = "TIME", "Waktu", "Time"
    COST = "COST", "Biaya", "Cost"


class Direction(LabelledEnum):
    """Arah indikator: whether more is better (documents) or less (waiting minutes)."""

    HIGHER_IS_BETTER = "HIGHER_IS_BETTER", "Semakin tinggi semakin baik", "Higher is better"
    LOWER_IS_BETTER = "LOWER_IS_BETTER", "Semakin rendah semakin baik", "Lower is better"


class Aggregation(LabelledEnum):
    """How contributions over a period combine into one realisation."""

    SUM = "SUM", "Jumlah", "Sum"
    AVERAGE = "AVERAGE", "Rata-rata", "Average"
    LAST = "LAST", "Nilai terakhir", "Latest value"
    RATIO = "RATIO", "Rasio", "Ratio (sum of numerators / sum of denominators)"


class Judgement(LabelledEnum):
    """Penilaian atasan: the rater's judgement of a qualitative target."""

    NOT_MET = "NOT_MET", "Tidak tercapai", "Not met"
    PARTLY_MET = "PARTLY_MET", "Sebagian tercapai", "Partly met"
    MET = "MET", "Tercapai", "Met"
    EXCEEDED = "EXCEEDED", "Melampaui target", "Exceeded"


class AchievementBasis(LabelledEnum):
    """Where an indicator's achievement comes from."""

    MEASURED = "MEASURED", "Terukur dari realisasi", "Measured from realisation"
    JUDGED = "JUDGED", "Dinilai oleh atasan", "Judged by the rater"
    NO_DATA = "NO_DATA", "Belum ada data", "No data yet"


@dataclass(frozen=True)
class NumericTarget:
    """Target kuantitatif: a number with a unit (e.g. 120 documents, 15 minutes)."""

    value: Fraction
    unit: str = ""

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("a target cannot be negative")


@dataclass(frozen=True)
class QualitativeTarget:
    """Target kualitatif: a statement whose realisation the rater judges."""

    statement: str

    def __post_init__(self) -> None:
        if not self.statement.strip():
            raise ValueError("a qualitative target needs a statement")


Target = NumericTarget | QualitativeTarget


@dataclass(frozen=True)
class Indicator:
    """Indikator Kinerja Individu (IKI) of one planned result."""

    id: str
    template_code: str
    aspect: Aspect
    direction: Direction
    aggregation: Aggregation
    target: Target
    weight: Fraction = Fraction(1)
    name: str = ""

    def __post_init__(self) -> None:
        if self.weight <= 0:
            raise ValueError("an indicator weight must be positive")
