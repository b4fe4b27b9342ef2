"""Diagnosis: system versus individual problems, and development recommendations."""

from fractions import Fraction

from services.scoring.domain.achievement import Aspect
from services.scoring.domain.diagnosis import (
    DiagnosisPolicy,
    IndicatorOutcome,
    ProblemScope,
    TrainingCatalogue,
    TrainingEntry,
    diagnose_unit,
    recommend_development,
)
from services.scoring.domain.rating import BehaviourValue, Rating

MISS, MET = Fraction(7, 10), Fraction(11, 10)


def outcome(
    employee: str, code: str, achievement: Fraction, aspect: Aspect = Aspect.QUANTITY
) -> IndicatorOutcome:
    return IndicatorOutcome(employee, code, aspect, achievement)


# A Dukcapil office: most staff miss the ID-card (KTP) target; only e4 misses the complaint target.
DUKCAPIL = [
    outcome("e1", "KTP", MISS),
    outcome("e2", "KTP", MISS),
    outcome("e3", "KTP", MISS),
    outcome("e4", "KTP", MET),
    outcome("e5", "KTP", MISS),
    outcome("e1", "ADUAN", MET),
    outcome("e2", "ADUAN", MET),
    outcome("e3", "ADUAN", MET),
    outcome("e4", "ADUAN", MISS, Aspect.TIME),
]


def test_an_indicator_most_of_the_unit_misses_is_a_system_problem() -> None:
    diagnosis = diagnose_unit(DUKCAPIL)
    assert [d.template_code for d in diagnosis.system_problems] == ["KTP"]
    ktp = next(d for d in diagnosis.indicators if d.template_code == "KTP")
    assert (ktp.holders, ktp.missed, ktp.miss_share) == (5, 4, Fraction(4, 5))


def test_a_shortfall_few_others_share_is_individual() -> None:
    diagnosis = diagnose_unit(DUKCAPIL)
    e4 = diagnosis.for_employee("e4")
    assert [(s.template_code, s.scope) for s in e4.shortfalls] == [("ADUAN", ProblemScope.INDIVIDUAL)]
    e1 = diagnosis.for_employee("e1")
    assert e1.individual == ()
    assert [s.template_code for s in e1.systemic] == ["KTP"]


def test_too_few_holders_cannot_make_a_system_problem() -> None:
    diagnosis = diagnose_unit([outcome("e1", "X", MISS), outcome("e2", "X", MISS)])
    assert diagnosis.system_problems == ()
    assert diagnosis.for_employee("e1").shortfalls[0].scope is ProblemScope.INDIVIDUAL


def test_the_system_share_and_holder_minimum_are_configurable() -> None:
    policy = DiagnosisPolicy(system_min_share=Fraction(9, 10), system_min_holders=2)
    assert diagnose_unit(DUKCAPIL, policy).system_problems == ()
    pair = [outcome("e1", "X", MISS), outcome("e2", "X", MISS)]
    assert len(diagnose_unit(pair, policy).system_problems) == 1


def test_an_indicator_nobody_misses_has_no_problem() -> None:
    diagnosis = diagnose_unit(DUKCAPIL)
    aduan_holders_met = diagnose_unit([o for o in DUKCAPIL if o.employee_id != "e4"])
    assert next(d for d in aduan_holders_met.indicators if d.template_code == "ADUAN").scope is None
    assert diagnosis.for_employee("unknown").shortfalls == ()


def test_an_employee_counts_once_per_indicator_by_the_weakest_result() -> None:
    diagnosis = diagnose_unit([outcome("e1", "X", MET), outcome("e1", "X", MISS)])
    assert diagnosis.indicators[0].holders == 1
    assert diagnosis.for_employee("e1").shortfalls[0].achievement == MISS


CATALOGUE = TrainingCatalogue(
    (
        TrainingEntry(
            "TM-PENGAWAS",
            "TIME_MANAGEMENT",
            "Manajemen waktu kunjungan sekolah",
            "Time management for school visits",
            aspects=frozenset({Aspect.TIME}),
            job_types=frozenset({"pengawas_sekolah"}),
        ),
        TrainingEntry(
            "TM-UMUM",
            "TIME_MANAGEMENT",
            "Manajemen waktu",
            "Time management",
            aspects=frozenset({Aspect.TIME}),
        ),
        TrainingEntry(
            "PELAYANAN",
            "PUBLIC_SERVICE",
            "Pelayanan prima",
            "Service excellence",
            values=frozenset({BehaviourValue.BERORIENTASI_PELAYANAN}),
        ),
        TrainingEntry(
            "GURU-DIGITAL",
            "DIGITAL_TOOLS",
            "Pembelajaran digital",
            "Digital teaching",
            aspects=frozenset({Aspect.TIME}),
            job_types=frozenset({"guru"}),
        ),
    )
)


def test_a_school_supervisor_who_cannot_reach_all_schools_is_offered_time_management() -> None:
    outcomes = [
        outcome("p1", "VISIT", Fraction(1, 2), Aspect.TIME),
        outcome("p2", "VISIT", MET, Aspect.TIME),
        outcome("p3", "VISIT", MET, Aspect.TIME),
    ]
    diagnosis = diagnose_unit(outcomes).for_employee("p1")
    behaviour = {BehaviourValue.BERORIENTASI_PELAYANAN: Rating.BELOW, BehaviourValue.KOMPETEN: Rating.MEETS}
    plan = recommend_development(diagnosis, "pengawas_sekolah", behaviour, CATALOGUE)
    assert [s.template_code for s in plan.weak_indicators] == ["VISIT"]
    assert plan.weak_values == (BehaviourValue.BERORIENTASI_PELAYANAN,)
    assert [r.entry.code for r in plan.recommendations] == ["TM-PENGAWAS", "PELAYANAN", "TM-UMUM"]
    assert plan.recommendations[0].because_indicators == ("VISIT",)
    assert plan.recommendations[1].because_values == (BehaviourValue.BERORIENTASI_PELAYANAN,)


def test_system_problems_lead_to_no_individual_training() -> None:
    plan = recommend_development(diagnose_unit(DUKCAPIL).for_employee("e1"), "operator", {}, CATALOGUE)
    assert plan.recommendations == ()
    assert [s.template_code for s in plan.system_issues] == ["KTP"]
