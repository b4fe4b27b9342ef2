"""Regions, unit trees, job types and the dated supervisor tree."""

from __future__ import annotations

from datetime import date

import pytest

from services.planning.domain.organisation import (
    JobType,
    Move,
    OrganisationUnit,
    Position,
    Region,
    SupervisorTree,
    UnitKind,
    UnitTree,
)
from shared.i18n import refusal_body
from shared.refusals import Refusal
from tests.unit.planning.builders import employee

JAN = date(2025, 1, 1)
FEB = date(2025, 2, 1)
MAR = date(2025, 3, 1)
JUN = date(2025, 6, 1)
JUL = date(2025, 7, 1)
STAFF = Position("Pengadministrasi Umum", JobType.GENERAL_STAFF)
HEAD = Position("Kepala Dinas", JobType.STRUCTURAL_HEAD)


def _units() -> UnitTree:
    """Disdukcapil with a section and a service point, and Disdik, listed children first."""
    agency, section, point = UnitKind.AGENCY, UnitKind.SECTION, UnitKind.SERVICE_POINT
    return UnitTree(
        "medan",
        [
            OrganisationUnit(
                "medan", "DISDUKCAPIL-B1", "Bidang Pendaftaran Penduduk", section, "DISDUKCAPIL"
            ),
            OrganisationUnit("medan", "DISDUKCAPIL-U1", "UPT Dukcapil Medan Kota", point, "DISDUKCAPIL-B1"),
            OrganisationUnit("medan", "DISDUKCAPIL", "Dinas Kependudukan dan Catatan Sipil", agency),
            OrganisationUnit("medan", "DISDIK", "Dinas Pendidikan", agency),
        ],
    )


def _tree() -> SupervisorTree:
    """Head 1 supervises 2 and 3; 2 supervises 4 and 5; 5 supervises 6 (all from January)."""
    tree = SupervisorTree("medan", _units())
    people = {n: employee(n) for n in range(1, 7)}
    tree.enrol(people[1], effective_from=JAN, unit_code="DISDUKCAPIL", position=HEAD)
    for sub, boss in ((2, 1), (3, 1), (4, 2), (5, 2), (6, 5)):
        tree.enrol(
            people[sub],
            effective_from=JAN,
            unit_code="DISDUKCAPIL-B1",
            position=STAFF,
            supervisor=people[boss],
        )
    return tree


def test_a_region_id_must_be_a_short_lowercase_slug() -> None:
    assert Region("medan", "Pemerintah Kota Medan").id == "medan"
    with pytest.raises(Refusal) as refused:
        Region("Kota Medan", "Pemerintah Kota Medan")
    assert refused.value.field == "id"


def test_units_may_be_given_in_any_order_and_answer_ancestry_questions() -> None:
    units = _units()

    assert [u.code for u in units.children(None)] == ["DISDUKCAPIL", "DISDIK"]
    assert [u.code for u in units.ancestors("DISDUKCAPIL-U1")] == ["DISDUKCAPIL-B1", "DISDUKCAPIL"]
    assert [u.code for u in units.descendants("DISDUKCAPIL")] == ["DISDUKCAPIL-B1", "DISDUKCAPIL-U1"]
    assert units.agency_of("DISDUKCAPIL-U1").code == "DISDUKCAPIL"


def test_a_unit_whose_parent_is_missing_is_refused() -> None:
    with pytest.raises(Refusal) as refused:
        UnitTree("medan", [OrganisationUnit("medan", "X-B1", "Bidang X", UnitKind.SECTION, "X")])
    assert refused.value.code == "unknown_parent_unit"


def test_an_agency_sits_directly_under_the_region_and_a_section_needs_a_parent() -> None:
    units = _units()
    with pytest.raises(Refusal) as agency_refused:
        units.add(OrganisationUnit("medan", "DINKES", "Dinas Kesehatan", UnitKind.AGENCY, "DISDIK"))
    with pytest.raises(Refusal) as section_refused:
        units.add(OrganisationUnit("medan", "DISDIK-B1", "Bidang SD", UnitKind.SECTION))

    assert agency_refused.value.code == "unit_must_be_top_level"
    assert section_refused.value.code == "unit_needs_parent"


def test_nothing_sits_under_a_service_point() -> None:
    with pytest.raises(Refusal) as refused:
        _units().add(OrganisationUnit("medan", "LOKET-1", "Loket 1", UnitKind.SECTION, "DISDUKCAPIL-U1"))
    assert refused.value.code == "unit_parent_kind"


def test_a_unit_of_another_region_is_refused() -> None:
    with pytest.raises(Refusal):
        _units().add(OrganisationUnit("belawan", "DINKES", "Dinas Kesehatan", UnitKind.AGENCY))


def test_job_types_are_read_from_english_codes_or_indonesian_names() -> None:
    assert JobType.parse("Guru") is JobType.TEACHER
    assert JobType.parse("pengawas sekolah") is JobType.SCHOOL_SUPERVISOR
    assert JobType.parse("id-card-registrar") is JobType.ID_CARD_REGISTRAR
    assert JobType.ID_CARD_REGISTRAR.name_id == "Petugas Registrasi KTP-el"
    with pytest.raises(Refusal) as refused:
        JobType.parse("astronot")
    assert refused.value.code == "unknown_job_type"


def test_the_chain_of_supervisors_runs_from_the_nearest_up_to_the_head() -> None:
    tree = _tree()

    assert [e.nip.sequence for e in tree.chain_of_supervisors(employee(6).nip, FEB)] == [5, 2, 1]
    assert tree.chain_of_supervisors(employee(1).nip, FEB) == ()
    assert tree.heads_on(FEB) == (employee(1),)


def test_subordinates_include_direct_and_indirect_ones() -> None:
    tree = _tree()

    assert [e.nip.sequence for e in tree.direct_subordinates(employee(2).nip, FEB)] == [4, 5]
    assert [e.nip.sequence for e in tree.subordinates(employee(2).nip, FEB)] == [4, 5, 6]
    assert [e.nip.sequence for e in tree.subordinates(employee(1).nip, FEB)] == [2, 3, 4, 5, 6]
    assert tree.subordinates(employee(6).nip, FEB) == ()


def test_making_someone_their_own_supervisor_is_refused_as_a_cycle() -> None:
    tree = _tree()
    with pytest.raises(Refusal) as refused:
        tree.assign_supervisor(employee(4).nip, employee(4), FEB)
    assert refused.value.params["cycle"] == f"{employee(4).nip} → {employee(4).nip}"


def test_a_cycle_is_refused_and_the_error_names_the_whole_path() -> None:
    tree = _tree()
    with pytest.raises(Refusal) as refused:
        tree.assign_supervisor(employee(1).nip, employee(6), FEB)

    expected = tuple(str(employee(n).nip) for n in (1, 6, 5, 2, 1))
    assert refused.value.params["cycle"] == " → ".join(expected)
    assert refused.value.field == "supervisor"
    assert " → ".join(expected) in refused.value.message_en
    assert "siklus" in refusal_body(refused.value)["message_id"]
    assert tree.supervisor_on(employee(1).nip, FEB) is None


def test_a_cycle_that_only_forms_at_a_later_already_planned_date_is_refused() -> None:
    tree = _tree()
    tree.assign_supervisor(employee(3).nip, employee(6), JUL)  # planned: 6 supervises 3 from July

    with pytest.raises(Refusal) as refused:
        tree.assign_supervisor(employee(6).nip, employee(3), MAR)

    assert "2025-07-01" in refused.value.message_en


def test_a_link_that_ends_before_the_cycle_would_form_is_allowed() -> None:
    tree = _tree()
    tree.assign_supervisor(employee(3).nip, employee(6), JUL)
    tree.assign_supervisor(employee(6).nip, employee(2), JUN)

    tree.assign_supervisor(employee(6).nip, employee(3), MAR)

    assert tree.supervisor_on(employee(6).nip, MAR) == employee(3)
    assert tree.supervisor_on(employee(6).nip, JUL) == employee(2)


def test_a_supervisor_from_another_region_is_refused() -> None:
    tree = _tree()
    with pytest.raises(Refusal) as refused:
        tree.assign_supervisor(employee(4).nip, employee(90, region_id="belawan"), FEB)
    assert refused.value.code == "cross_region"


def test_an_employee_of_another_region_cannot_be_enrolled() -> None:
    with pytest.raises(Refusal):
        _tree().enrol(
            employee(90, region_id="belawan"), effective_from=JAN, unit_code="DISDIK", position=STAFF
        )


def test_an_employee_cannot_be_enrolled_twice() -> None:
    with pytest.raises(Refusal):
        _tree().enrol(employee(3), effective_from=JAN, unit_code="DISDIK", position=STAFF)


def test_dated_moves_answer_who_supervised_whom_and_where_on_any_date() -> None:
    tree = _tree()
    clerk = employee(4).nip
    tree.apply(clerk, Move(MAR, unit_code="DISDUKCAPIL-U1", supervisor=employee(3)))
    tree.apply(clerk, Move(JUN, position=Position("Petugas Registrasi KTP-el", JobType.ID_CARD_REGISTRAR)))

    assert tree.supervisor_on(clerk, FEB) == employee(2)
    assert tree.supervisor_on(clerk, MAR) == employee(3)
    assert tree.unit_on(clerk, FEB) == "DISDUKCAPIL-B1"
    assert tree.unit_on(clerk, date(2025, 12, 31)) == "DISDUKCAPIL-U1"
    assert tree.position_on(clerk, MAR) == STAFF
    position = tree.position_on(clerk, JUN)
    assert position is not None
    assert position.job_type is JobType.ID_CARD_REGISTRAR
    assert [e.nip.sequence for e in tree.direct_subordinates(employee(2).nip, FEB)] == [4, 5]
    assert [e.nip.sequence for e in tree.direct_subordinates(employee(2).nip, MAR)] == [5]


def test_before_enrolment_an_employee_has_no_unit_supervisor_or_position() -> None:
    tree = _tree()
    before = date(2024, 12, 31)

    assert tree.unit_on(employee(4).nip, before) is None
    assert tree.supervisor_on(employee(4).nip, before) is None
    assert tree.position_on(employee(4).nip, before) is None


def test_a_move_dated_before_enrolment_is_refused() -> None:
    with pytest.raises(Refusal) as refused:
        _tree().move_to_unit(employee(4).nip, "DISDIK", date(2024, 6, 1))
    assert refused.value.code == "before_enrolment"


def test_a_move_to_an_unknown_unit_changes_nothing() -> None:
    tree = _tree()
    with pytest.raises(Refusal):
        tree.apply(employee(4).nip, Move(MAR, unit_code="NOWHERE", supervisor=employee(3)))
    assert tree.supervisor_on(employee(4).nip, MAR) == employee(2)


def test_questions_about_an_unknown_employee_are_refused() -> None:
    with pytest.raises(Refusal):
        _tree().supervisor_on(employee(99).nip, FEB)


def test_the_supervisor_map_lists_everyone_enrolled_on_a_date() -> None:
    mapping = _tree().supervisor_map(FEB)
    assert mapping[employee(1).nip] is None
    assert mapping[employee(6).nip] == employee(5).nip
