"""The import's one entry: judge a whole file, row by row and across rows, and report."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping

from services.planning.domain.csv_import.cross_checks import CrossRowChecks
from services.planning.domain.csv_import.layout import delimiter_of, read_header
from services.planning.domain.csv_import.report import EmployeeRecord, ImportReport, RejectedRow
from services.planning.domain.csv_import.rows import ParsedRow, parse_row
from services.planning.domain.organisation import (
    Employee,
    Nip,
    OrganisationUnit,
    Position,
    UnitKind,
    UnitTree,
    validate_region_id,
)
from shared.refusals import Refusal


def validate_import(
    text: str | Iterable[str],
    *,
    region_id: str,
    existing_employees: Mapping[Nip, Nip | None] | None = None,
    existing_units: UnitTree | None = None,
) -> ImportReport:
    """Judge every row of an import file against itself, the other rows and the existing data.

    `text` is the whole file or its lines. `existing_employees` maps each employee already in the
    region to their current supervisor (None for a head); see `SupervisorTree.supervisor_map`.
    Columns are matched by header name in any order; unknown columns are ignored; ',', ';' and tab
    delimiters are recognised. Blank rows are skipped but still counted in row numbers.
    """
    validate_region_id(region_id)
    lines = text.splitlines(keepends=True) if isinstance(text, str) else list(text)
    if not lines or not lines[0].strip():
        problem = Refusal("empty_file", "the file has no header row", field="header")
        return ImportReport(region_id, (), (), (problem,))
    reader = csv.reader(lines, delimiter=delimiter_of(lines[0]))
    header, header_problems = read_header(next(reader))
    if header_problems:
        return ImportReport(region_id, (), (), tuple(header_problems))
    rows = [
        parse_row(number, values, header)
        for number, values in enumerate(reader, start=2)
        if any(value.strip() for value in values)
    ]
    checks = CrossRowChecks(rows, existing_employees or {}, existing_units)
    checks.run()

    units: dict[str, OrganisationUnit] = {}
    accepted: list[EmployeeRecord] = []
    rejected: list[RejectedRow] = []
    for row in rows:
        if not row.alive:
            rejected.append(RejectedRow(row.number, row.values, tuple(row.problems)))
            continue
        # A live row has every field parsed; the asserts narrow the types for mypy.
        assert row.nip is not None
        assert row.unit_code is not None
        assert row.job_type is not None
        assert row.effective_from is not None
        unit = units.get(row.unit_code)
        if unit is None:
            unit = _unit_for(row, region_id, existing_units, checks.kind_of_unit[row.unit_code])
            units[row.unit_code] = unit
        accepted.append(
            EmployeeRecord(
                row.number,
                Employee(row.nip, row.name, region_id),
                unit,
                Position(row.position, row.job_type),
                row.supervisor,
                row.effective_from,
            )
        )
    return ImportReport(region_id, tuple(accepted), tuple(rejected))


def _unit_for(
    row: ParsedRow, region_id: str, existing_units: UnitTree | None, kind: UnitKind
) -> OrganisationUnit:
    # The kind is the one the cross-row checks judged (stated on any of the unit's rows, else
    # inferred), so the unit created is the unit that was checked.
    assert row.unit_code is not None
    if existing_units is not None and row.unit_code in existing_units:
        return existing_units.get(row.unit_code)
    return OrganisationUnit(region_id, row.unit_code, row.unit_name, kind, row.parent_code)
