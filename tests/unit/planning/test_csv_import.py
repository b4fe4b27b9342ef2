"""Validation of the BKPSDM structure-and-employee CSV import."""

from __future__ import annotations

from datetime import date

import pytest

from services.planning.domain.csv_import import COLUMNS, ImportReport, validate_import
from services.planning.domain.organisation import JobType, OrganisationUnit, UnitKind, UnitTree
from shared.refusals import Refusal
from tests.unit.planning.builders import nip
from tests.unit.planning.csv_fixture import generate_structure_csv

HEADER = ",".join(COLUMNS)
HEAD, SECTION, CLERK, CLERK_2 = (nip(n).value for n in (1, 2, 3, 4))
SEKDA = nip(900)


def _csv(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def _row(
    employee_nip: str,
    *,
    name: str = "Siti Lubis",
    unit: str = "DISDUKCAPIL",
    unit_name: str = "Dinas Kependudukan dan Catatan Sipil",
    kind: str = "agency",
    parent: str = "",
    position: str = "Kepala Dinas",
    job_type: str = "structural_head",
    supervisor: str = "",
    effective: str = "2025-01-02",
) -> str:
    fields = (employee_nip, name, unit, unit_name, kind, parent, position, job_type, supervisor, effective)
    return ",".join(f'"{field}"' if "," in field else field for field in fields)


def _section_row(employee_nip: str, supervisor: str = HEAD, **overrides: str) -> str:
    values = {
        "unit": "DISDUKCAPIL-B1",
        "unit_name": "Bidang Pendaftaran Penduduk",
        "kind": "section",
        "parent": "DISDUKCAPIL",
        "position": "Kepala Bidang",
        "supervisor": supervisor,
    }
    return _row(employee_nip, **{**values, **overrides})


def _clerk_row(employee_nip: str, supervisor: str = SECTION, **overrides: str) -> str:
    values = {
        "name": "Budi Siregar, A.Md.",
        "unit": "DISDUKCAPIL-U1",
        "unit_name": "UPT Dukcapil Medan Kota",
        "kind": "service_point",
        "parent": "DISDUKCAPIL-B1",
        "position": "Petugas Registrasi",
        "job_type": "petugas registrasi KTP-el",
        "supervisor": supervisor,
    }
    return _row(employee_nip, **{**values, **overrides})


def _rejections(report: ImportReport) -> dict[int, set[str]]:
    return {row.row_number: set(row.codes) for row in report.rejected}


def test_a_clean_file_is_accepted_with_typed_records_in_file_order() -> None:
    report = validate_import(_csv(_clerk_row(CLERK), _row(HEAD), _section_row(SECTION)), region_id="medan")

    assert report.is_clean
    assert [record.row_number for record in report.accepted] == [2, 3, 4]
    clerk = report.accepted[0]
    assert clerk.employee.name == "Budi Siregar, A.Md."
    assert clerk.position.job_type is JobType.ID_CARD_REGISTRAR
    assert clerk.unit == OrganisationUnit(
        "medan", "DISDUKCAPIL-U1", "UPT Dukcapil Medan Kota", UnitKind.SERVICE_POINT, "DISDUKCAPIL-B1"
    )
    assert clerk.supervisor_nip == nip(2)
    assert clerk.effective_from == date(2025, 1, 2)


def test_accepted_units_come_parents_first_so_they_can_be_applied_in_order() -> None:
    report = validate_import(_csv(_clerk_row(CLERK), _section_row(SECTION), _row(HEAD)), region_id="medan")
    units = report.units()
    assert [unit.code for unit in units] == ["DISDUKCAPIL", "DISDUKCAPIL-B1", "DISDUKCAPIL-U1"]
    assert len(UnitTree("medan", units)) == 3


def test_semicolon_files_with_a_byte_order_mark_and_shuffled_columns_are_read() -> None:
    columns = list(reversed(COLUMNS))
    values = dict(zip(COLUMNS, _row(HEAD).split(","), strict=True))
    text = "\ufeff" + ";".join(columns) + "\r\n" + ";".join(values[c] for c in columns) + "\r\n"

    report = validate_import(text, region_id="medan")

    assert report.is_clean
    assert report.accepted[0].employee.nip == nip(1)


def test_without_a_unit_kind_column_top_units_are_agencies_and_others_sections() -> None:
    columns = [c for c in COLUMNS if c != "unit_kind"]
    lines = [",".join(columns)]
    for line in (_row(HEAD), _section_row(SECTION)):
        values = dict(zip(COLUMNS, line.split(","), strict=True))
        lines.append(",".join(values[c] for c in columns))

    report = validate_import(lines, region_id="medan")

    assert [record.unit.kind for record in report.accepted] == [UnitKind.AGENCY, UnitKind.SECTION]


def test_a_unit_gets_the_kind_stated_on_any_of_its_rows_as_validation_judged_it() -> None:
    # The first clerk's row leaves the kind blank; the second states it: the unit is a service point.
    report = validate_import(
        _csv(_row(HEAD), _section_row(SECTION), _clerk_row(CLERK, kind=""), _clerk_row(CLERK_2)),
        region_id="medan",
    )

    assert report.is_clean
    assert {record.unit.kind for record in report.accepted[2:]} == {UnitKind.SERVICE_POINT}
    assert [unit.kind for unit in report.units() if unit.code == "DISDUKCAPIL-U1"] == [UnitKind.SERVICE_POINT]


def test_a_file_missing_required_columns_is_refused_as_a_whole() -> None:
    report = validate_import("nip,name\n198503122010011001,Siti\n", region_id="medan")
    assert report.accepted == ()
    assert report.rejected == ()
    assert report.file_problems[0].code == "missing_columns"
    assert "supervisor_nip" in report.file_problems[0].message_en


def test_an_empty_file_is_reported() -> None:
    assert validate_import("", region_id="medan").file_problems[0].code == "empty_file"


@pytest.mark.parametrize(
    ("overrides", "column", "code"),
    [
        ({"employee_nip": "19850312201001100"}, "nip", "nip_length"),
        ({"employee_nip": "198503122010013003"}, "nip", "nip_sex"),
        ({"name": " "}, "name", "missing_value"),
        ({"job_type": "astronot"}, "job_type", "unknown_job_type"),
        ({"effective": "02/01/2025"}, "effective_date", "invalid_date"),
        ({"effective": "2025-02-30"}, "effective_date", "invalid_date"),
        ({"supervisor": "12345"}, "supervisor_nip", "nip_length"),
        ({"supervisor": CLERK}, "supervisor_nip", "self_supervision"),
        ({"unit": "UPT DUKCAPIL"}, "unit_code", "invalid_unit_code"),
        ({"kind": "kecamatan"}, "unit_kind", "unknown_unit_kind"),
    ],
)
def test_a_row_with_a_bad_field_is_rejected_naming_the_column(
    overrides: dict[str, str], column: str, code: str
) -> None:
    employee_nip = overrides.pop("employee_nip", CLERK)
    report = validate_import(
        _csv(_row(HEAD), _section_row(SECTION), _clerk_row(employee_nip, **overrides)), region_id="medan"
    )

    assert [row.row_number for row in report.rejected] == [4]
    problem = report.rejected[0].problems[0]
    assert (problem.field, problem.code) == (column, code)
    assert len(report.accepted) == 2


@pytest.mark.parametrize(
    "code", ["A", "DINKES/UPT-1.a_b", "X" * 40, "X" * 41, ".DINKES", "DINAS KES", "DINKES#1"]
)
def test_the_file_and_the_unit_tree_agree_on_what_a_unit_code_is(code: str) -> None:
    report = validate_import(_csv(_row(HEAD, unit=code)), region_id="medan")
    try:
        OrganisationUnit("medan", code, "Dinas Kesehatan", UnitKind.AGENCY)
    except Refusal:
        assert _rejections(report) == {2: {"invalid_unit_code"}}
    else:
        assert report.is_clean


def test_nips_typed_with_spaces_between_their_groups_are_read_as_the_domain_reads_them() -> None:
    def spaced(value: str) -> str:
        return f"{value[:8]} {value[8:14]} {value[14]} {value[15:]}"

    report = validate_import(
        _csv(_row(spaced(HEAD)), _section_row(spaced(SECTION), supervisor=spaced(HEAD))), region_id="medan"
    )

    assert report.is_clean
    assert [record.employee.nip for record in report.accepted] == [nip(1), nip(2)]
    assert report.accepted[1].supervisor_nip == nip(1)


def test_a_row_with_too_few_columns_is_rejected() -> None:
    report = validate_import(_csv(_row(HEAD), "198503122010011003,Budi"), region_id="medan")
    assert _rejections(report) == {3: {"column_count"}}


def test_every_row_carrying_a_duplicated_nip_is_rejected_naming_the_others() -> None:
    report = validate_import(
        _csv(_row(HEAD), _section_row(SECTION), _clerk_row(CLERK), _clerk_row(CLERK, name="Budi S.")),
        region_id="medan",
    )
    assert _rejections(report) == {4: {"duplicate_nip"}, 5: {"duplicate_nip"}}
    assert "row(s) 5" in report.rejected[0].problems[0].message_en


def test_a_supervisor_neither_in_the_file_nor_existing_is_rejected() -> None:
    report = validate_import(_csv(_row(HEAD, supervisor=SEKDA.value)), region_id="medan")
    assert _rejections(report) == {2: {"unknown_supervisor"}}


def test_a_supervisor_among_the_existing_employees_is_accepted() -> None:
    report = validate_import(
        _csv(_row(HEAD, supervisor=SEKDA.value)), region_id="medan", existing_employees={SEKDA: None}
    )
    assert report.is_clean


def test_rows_below_a_rejected_supervisor_are_rejected_too_so_nothing_dangles() -> None:
    report = validate_import(
        _csv(_row(HEAD), _section_row(SECTION, job_type="astronot"), _clerk_row(CLERK), _clerk_row(CLERK_2)),
        region_id="medan",
    )

    assert _rejections(report) == {
        3: {"unknown_job_type"},
        4: {"supervisor_rejected"},
        5: {"supervisor_rejected"},
    }
    assert "row(s) 3" in report.rejected[1].problems[0].message_en


def test_a_supervisor_cycle_in_the_file_is_rejected_with_its_path() -> None:
    report = validate_import(
        _csv(_row(HEAD), _clerk_row(CLERK, supervisor=CLERK_2), _clerk_row(CLERK_2, supervisor=CLERK),
             _section_row(SECTION)),
        region_id="medan",
    )  # fmt: skip

    assert _rejections(report) == {3: {"supervisor_cycle"}, 4: {"supervisor_cycle"}}
    assert f"{CLERK} → {CLERK_2} → {CLERK}" in report.rejected[0].problems[0].message_en


def test_a_cycle_through_an_existing_employee_is_rejected() -> None:
    report = validate_import(
        _csv(_row(HEAD, supervisor=SEKDA.value)), region_id="medan", existing_employees={SEKDA: nip(1)}
    )
    assert _rejections(report) == {2: {"supervisor_cycle"}}


def test_a_unit_whose_parent_is_missing_is_rejected() -> None:
    report = validate_import(_csv(_row(HEAD), _section_row(SECTION, parent="DISDIK")), region_id="medan")
    assert _rejections(report) == {3: {"unknown_parent_unit"}}


def test_a_parent_unit_from_the_existing_structure_is_accepted() -> None:
    existing = UnitTree("medan", [OrganisationUnit("medan", "DISDUKCAPIL", "Disdukcapil", UnitKind.AGENCY)])
    report = validate_import(
        _csv(_section_row(SECTION, supervisor="")), region_id="medan", existing_units=existing
    )
    assert report.is_clean


def test_units_under_a_unit_only_defined_on_rejected_rows_are_rejected() -> None:
    report = validate_import(
        _csv(_row(HEAD), _section_row(SECTION, name=""), _clerk_row(CLERK, supervisor=HEAD)),
        region_id="medan",
    )
    assert _rejections(report) == {3: {"missing_value"}, 4: {"parent_unit_rejected"}}


def test_a_row_describing_a_known_unit_differently_is_rejected() -> None:
    report = validate_import(
        _csv(_row(HEAD), _section_row(SECTION), _section_row(CLERK, unit_name="Bidang Pencatatan Sipil")),
        region_id="medan",
    )
    assert _rejections(report) == {4: {"unit_conflict"}}
    assert "row 3" in report.rejected[0].problems[0].message_en


def test_unit_parents_forming_a_cycle_are_rejected() -> None:
    report = validate_import(
        _csv(
            _section_row(SECTION, unit="B1", parent="B2", supervisor=""),
            _section_row(CLERK, unit="B2", parent="B1", supervisor=""),
        ),
        region_id="medan",
    )
    assert _rejections(report) == {2: {"unit_cycle"}, 3: {"unit_cycle"}}


def test_an_agency_with_a_parent_or_a_service_point_without_one_is_rejected() -> None:
    report = validate_import(
        _csv(_row(HEAD), _row(SECTION, unit="DINKES", parent="DISDUKCAPIL"), _clerk_row(CLERK, parent="")),
        region_id="medan",
    )
    assert _rejections(report) == {3: {"unit_must_be_top_level"}, 4: {"unit_needs_parent"}}


def test_blank_lines_are_skipped_but_counted_like_a_spreadsheet_does() -> None:
    report = validate_import(_csv(_row(HEAD), "", _section_row(SECTION, job_type="x")), region_id="medan")
    assert _rejections(report) == {4: {"unknown_job_type"}}


def test_three_thousand_generated_rows_report_exactly_the_broken_ones() -> None:
    generated = generate_structure_csv(3000, broken_fraction=0.04, seed=11)

    report = validate_import(
        generated.text, region_id=generated.region_id, existing_employees=generated.existing_employees
    )

    assert report.file_problems == ()
    assert {row.row_number: row.codes for row in report.rejected} == generated.expected_rejections
    assert len(report.accepted) == generated.row_count - len(generated.expected_rejections)
    assert len(generated.expected_rejections) >= 120


def test_the_generator_is_deterministic_for_a_seed() -> None:
    first = generate_structure_csv(200, broken_fraction=0.1, seed=3)
    assert first == generate_structure_csv(200, broken_fraction=0.1, seed=3)
    assert first.text != generate_structure_csv(200, broken_fraction=0.1, seed=4).text
