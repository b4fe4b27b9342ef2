"""The indicator template library: national defaults and region additions."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from services.planning.domain.indicators import (
    NATIONAL_TEMPLATES,
    Aggregation,
    Aspect,
    Direction,
    IndicatorTemplate,
    TemplateLibrary,
    ValueRange,
)
from services.planning.domain.organisation import JobType
from shared.refusals import Refusal


def _region_template(code: str, region_id: str = "medan") -> IndicatorTemplate:
    return IndicatorTemplate(
        code,
        "Jumlah sekolah yang menerapkan aplikasi pemantauan",
        "Schools using the monitoring app",
        frozenset({JobType.SCHOOL_SUPERVISOR}),
        Aspect.QUANTITY,
        "sekolah",
        Direction.HIGHER_IS_BETTER,
        Aggregation.SUM,
        region_id=region_id,
    )


def test_every_job_type_gets_at_least_one_measurable_default() -> None:
    library = TemplateLibrary()
    for job_type in JobType:
        offered = library.for_job_type("medan", job_type)
        assert any(not t.qualitative for t in offered), job_type


def test_default_codes_are_unique_and_each_template_is_named_in_both_languages() -> None:
    codes = [t.code for t in NATIONAL_TEMPLATES]
    assert len(codes) == len(set(codes))
    assert all(t.name_id and t.name_en and t.region_id is None for t in NATIONAL_TEMPLATES)


@pytest.mark.parametrize(
    ("code", "job_type", "direction", "aggregation"),
    [
        ("FO-DOCS-COMPLETED", JobType.FRONT_OFFICE_CLERK, Direction.HIGHER_IS_BETTER, Aggregation.SUM),
        ("FO-AVG-WAIT-MIN", JobType.FRONT_OFFICE_CLERK, Direction.LOWER_IS_BETTER, Aggregation.AVERAGE),
        ("SVC-COMPLAINTS-ON-TIME", JobType.FRONT_OFFICE_CLERK, Direction.HIGHER_IS_BETTER, Aggregation.RATIO),
        ("TCH-STUDENTS-BENCHMARK", JobType.TEACHER, Direction.HIGHER_IS_BETTER, Aggregation.RATIO),
        ("HLT-PATIENT-SATISFACTION", JobType.HEALTH_WORKER, Direction.HIGHER_IS_BETTER, Aggregation.AVERAGE),
        ("KTP-CARDS-ISSUED", JobType.ID_CARD_REGISTRAR, Direction.HIGHER_IS_BETTER, Aggregation.SUM),
        ("SUP-SCHOOLS-VISITED", JobType.SCHOOL_SUPERVISOR, Direction.HIGHER_IS_BETTER, Aggregation.SUM),
        ("PRM-ISSUED-ON-TIME", JobType.PERMIT_OFFICER, Direction.HIGHER_IS_BETTER, Aggregation.RATIO),
    ],
)
def test_the_seed_indicators_ship_as_national_defaults(
    code: str, job_type: JobType, direction: Direction, aggregation: Aggregation
) -> None:
    found = TemplateLibrary().get("medan", code)

    assert job_type in found.job_types
    assert (found.direction, found.aggregation) == (direction, aggregation)


def test_ratio_templates_are_percentages_and_satisfaction_uses_the_1_to_4_scale() -> None:
    library = TemplateLibrary()
    assert library.get("medan", "PRM-ISSUED-ON-TIME").effective_range == ValueRange(Decimal(0), Decimal(100))
    assert library.get("medan", "HLT-PATIENT-SATISFACTION").effective_range == ValueRange(
        Decimal(1), Decimal(4)
    )


def test_a_region_addition_is_offered_in_that_region_only() -> None:
    library = TemplateLibrary()
    library.add_region_template(_region_template("MDN-SCHOOLS-ON-APP"))

    medan = [t.code for t in library.for_job_type("medan", JobType.SCHOOL_SUPERVISOR)]
    belawan = [t.code for t in library.for_job_type("belawan", JobType.SCHOOL_SUPERVISOR)]
    assert "MDN-SCHOOLS-ON-APP" in medan
    assert "MDN-SCHOOLS-ON-APP" not in belawan
    assert "SUP-SCHOOLS-VISITED" in medan
    with pytest.raises(Refusal):
        library.get("belawan", "MDN-SCHOOLS-ON-APP")


def test_a_region_template_cannot_silently_shadow_a_national_code() -> None:
    library = TemplateLibrary()
    with pytest.raises(Refusal) as refused:
        library.add_region_template(_region_template("SUP-SCHOOLS-VISITED"))

    assert refused.value.code == "shadows_national"
    assert library.get("medan", "SUP-SCHOOLS-VISITED").region_id is None


def test_a_region_may_replace_a_national_template_when_it_says_so() -> None:
    library = TemplateLibrary()
    library.add_region_template(_region_template("SUP-SCHOOLS-VISITED"), replace_national=True)

    assert library.get("medan", "SUP-SCHOOLS-VISITED").region_id == "medan"
    assert library.get("belawan", "SUP-SCHOOLS-VISITED").region_id is None
    assert library.replaced_national_codes("medan") == ("SUP-SCHOOLS-VISITED",)


def test_replacing_a_national_template_that_does_not_exist_is_refused() -> None:
    with pytest.raises(Refusal):
        TemplateLibrary().add_region_template(_region_template("MDN-NEW"), replace_national=True)


def test_a_region_cannot_define_the_same_code_twice() -> None:
    library = TemplateLibrary()
    library.add_region_template(_region_template("MDN-SCHOOLS-ON-APP"))
    with pytest.raises(Refusal) as refused:
        library.add_region_template(_region_template("MDN-SCHOOLS-ON-APP"))
    assert refused.value.code == "duplicate_template"


def test_a_region_template_must_name_its_region() -> None:
    national_looking = replace(_region_template("MDN-SCHOOLS-ON-APP"), region_id=None)
    with pytest.raises(Refusal) as refused:
        TemplateLibrary().add_region_template(national_looking)
    assert refused.value.field == "region_id"


@pytest.mark.parametrize("code", ["fo-docs", "FO DOCS", "FO--DOCS", ""])
def test_a_template_code_must_be_upper_case_words_joined_by_dashes(code: str) -> None:
    with pytest.raises(Refusal) as refused:
        _region_template(code)
    assert refused.value.code == "invalid_template_code"
