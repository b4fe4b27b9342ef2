"""What validating a file yields: the accepted rows as changes to apply, the rejected ones with reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.planning.domain.organisation import Employee, Nip, OrganisationUnit, Position
from shared.refusals import Refusal


@dataclass(frozen=True, slots=True)
class EmployeeRecord:
    """An accepted row: an employee with their unit, position and supervisor from a date."""

    row_number: int
    employee: Employee
    unit: OrganisationUnit
    position: Position
    supervisor_nip: Nip | None
    effective_from: date


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A rejected row with its raw values and every reason found."""

    row_number: int
    values: tuple[str, ...]
    problems: tuple[Refusal, ...]

    @property
    def codes(self) -> frozenset[str]:
        """Codes of the problems, for filtering and tests."""
        return frozenset(problem.code for problem in self.problems)


@dataclass(frozen=True, slots=True)
class ImportReport:
    """Outcome of validating an import file; row numbers count the header as row 1, like a spreadsheet."""

    region_id: str
    accepted: tuple[EmployeeRecord, ...]
    rejected: tuple[RejectedRow, ...]
    file_problems: tuple[Refusal, ...] = ()

    @property
    def is_clean(self) -> bool:
        """True when the file and every row are valid."""
        return not self.rejected and not self.file_problems

    def units(self) -> tuple[OrganisationUnit, ...]:
        """Units defined by accepted rows, each parent before its children."""
        units = {record.unit.code: record.unit for record in self.accepted}
        depth: dict[str, int] = {}

        def depth_of(code: str) -> int:
            # Parents outside the file already exist, so they count as depth 0.
            if code not in depth:
                parent = units[code].parent_code
                depth[code] = 0 if parent is None or parent not in units else depth_of(parent) + 1
            return depth[code]

        return tuple(sorted(units.values(), key=lambda unit: (depth_of(unit.code), unit.code)))
