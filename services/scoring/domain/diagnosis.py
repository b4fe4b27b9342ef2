"""Diagnosis: is a missed target an individual or a system problem, and what support does an ASN need?"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from services.scoring.domain.achievement import Aspect
from services.scoring.domain.rating import BehaviourValue, Rating
from shared.labels import LabelledEnum


class ProblemScope(LabelledEnum):
    """Whether a shortfall lies with the person or with the system around them."""

    SYSTEM = "SYSTEM", "Masalah sistem", "System problem"
    INDIVIDUAL = "INDIVIDUAL", "Masalah individu", "Individual problem"


@dataclass(frozen=True)
class IndicatorOutcome:
    """One employee's achievement on one indicator, identified by the template code shared across the unit."""

    employee_id: str
    template_code: str
    aspect: Aspect
    achievement: Fraction


@dataclass(frozen=True)
class DiagnosisPolicy:
    """When a missed indicator is a system problem; part of a region's dated rule set."""

    miss_below: Fraction = Fraction(1)
    system_min_share: Fraction = Fraction(3, 5)
    system_min_holders: int = 3


@dataclass(frozen=True)
class IndicatorDiagnosis:
    """How an indicator fared across the unit's employees who hold it."""

    template_code: str
    holders: int
    missed: int
    scope: ProblemScope | None

    @property
    def miss_share(self) -> Fraction:
        """Share of holders who missed the indicator."""
        return Fraction(self.missed, self.holders)


@dataclass(frozen=True)
class Shortfall:
    """An indicator an employee missed, and whose problem it is."""

    template_code: str
    aspect: Aspect
    achievement: Fraction
    scope: ProblemScope


@dataclass(frozen=True)
class EmployeeDiagnosis:
    """An employee's shortfalls, split into their own and the system's."""

    employee_id: str
    shortfalls: tuple[Shortfall, ...]

    @property
    def individual(self) -> tuple[Shortfall, ...]:
        """Shortfalls that are the employee's own."""
        return tuple(s for s in self.shortfalls if s.scope is ProblemScope.INDIVIDUAL)

    @property
    def systemic(self) -> tuple[Shortfall, ...]:
        """Shortfalls shared by most of the unit: to fix in the system, not the person."""
        return tuple(s for s in self.shortfalls if s.scope is ProblemScope.SYSTEM)


@dataclass(frozen=True)
class UnitDiagnosis:
    """Diagnosis of one unit and period."""

    indicators: tuple[IndicatorDiagnosis, ...]
    employees: tuple[EmployeeDiagnosis, ...]

    @property
    def system_problems(self) -> tuple[IndicatorDiagnosis, ...]:
        """Indicators missed widely enough to be a system problem."""
        return tuple(d for d in self.indicators if d.scope is ProblemScope.SYSTEM)

    def for_employee(self, employee_id: str) -> EmployeeDiagnosis:
        """The diagnosis of one employee (no shortfalls if unknown)."""
        for diagnosis in self.employees:
            if diagnosis.employee_id == employee_id:
                return diagnosis
        return EmployeeDiagnosis(employee_id, ())


def diagnose_unit(
    outcomes: Iterable[IndicatorOutcome], policy: DiagnosisPolicy | None = None
) -> UnitDiagnosis:
    """Classify every missed indicator in a unit as a SYSTEM or an INDIVIDUAL problem."""
    policy = policy or DiagnosisPolicy()
    # An employee counts once per indicator, by their weakest result on it.
    worst: dict[tuple[str, str], IndicatorOutcome] = {}
    for outcome in outcomes:
        key = (outcome.template_code, outcome.employee_id)
        if key not in worst or outcome.achievement < worst[key].achievement:
            worst[key] = outcome

    by_template: dict[str, list[IndicatorOutcome]] = defaultdict(list)
    for outcome in worst.values():
        by_template[outcome.template_code].append(outcome)

    indicators: dict[str, IndicatorDiagnosis] = {}
    for code in sorted(by_template):
        held = by_template[code]
        missed = sum(1 for o in held if o.achievement < policy.miss_below)
        systemic = (
            len(held) >= policy.system_min_holders and Fraction(missed, len(held)) >= policy.system_min_share
        )
        scope = None if not missed else ProblemScope.SYSTEM if systemic else ProblemScope.INDIVIDUAL
        indicators[code] = IndicatorDiagnosis(code, len(held), missed, scope)

    shortfalls: dict[str, list[Shortfall]] = defaultdict(list)
    for (code, employee_id), outcome in sorted(worst.items()):
        scope = indicators[code].scope
        if outcome.achievement < policy.miss_below and scope is not None:
            shortfalls[employee_id].append(Shortfall(code, outcome.aspect, outcome.achievement, scope))
    employees = tuple(
        EmployeeDiagnosis(employee_id, tuple(shortfalls[employee_id]))
        for employee_id in sorted({employee_id for _, employee_id in worst})
    )
    return UnitDiagnosis(tuple(indicators.values()), employees)


@dataclass(frozen=True)
class TrainingEntry:
    """Entri katalog pengembangan kompetensi: a kind of training and the needs it answers.

    Empty ``job_types`` means the entry suits any job type.
    """

    code: str
    kind: str
    title_id: str
    title_en: str
    aspects: frozenset[Aspect] = frozenset()
    values: frozenset[BehaviourValue] = frozenset()
    job_types: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TrainingCatalogue:
    """A region's training catalogue."""

    entries: tuple[TrainingEntry, ...] = ()


@dataclass(frozen=True)
class Recommendation:
    """One training entry recommended, with the weaknesses that led to it."""

    entry: TrainingEntry
    because_indicators: tuple[str, ...]
    because_values: tuple[BehaviourValue, ...]


@dataclass(frozen=True)
class DevelopmentPlan:
    """Rencana pengembangan: an ASN's weak indicators and values and the training that fits them."""

    employee_id: str
    job_type: str
    weak_indicators: tuple[Shortfall, ...]
    weak_values: tuple[BehaviourValue, ...]
    system_issues: tuple[Shortfall, ...]
    recommendations: tuple[Recommendation, ...]


def recommend_development(
    diagnosis: EmployeeDiagnosis,
    job_type: str,
    behaviour: Mapping[BehaviourValue, Rating],
    catalogue: TrainingCatalogue,
) -> DevelopmentPlan:
    """Recommend training for an employee's own shortfalls and behaviour values rated below expectations."""
    weak_indicators = diagnosis.individual
    weak_values = tuple(value for value in BehaviourValue if behaviour.get(value) is Rating.BELOW)
    ranked: list[tuple[tuple[bool, int, str], Recommendation]] = []
    for entry in catalogue.entries:
        if entry.job_types and job_type not in entry.job_types:
            continue
        indicators = tuple(s.template_code for s in weak_indicators if s.aspect in entry.aspects)
        values = tuple(v for v in weak_values if v in entry.values)
        if indicators or values:
            # Job-specific entries first, then those answering more needs; the code breaks ties.
            key = (not entry.job_types, -(len(indicators) + len(values)), entry.code)
            ranked.append((key, Recommendation(entry, indicators, values)))
    return DevelopmentPlan(
        employee_id=diagnosis.employee_id,
        job_type=job_type,
        weak_indicators=weak_indicators,
        weak_values=weak_values,
        system_issues=diagnosis.systemic,
        recommendations=tuple(rec for _, rec in sorted(ranked, key=lambda pair: pair[0])),
    )
