"""Validation of the structure-and-employees CSV that regional HR offices (BKPSDM) export.

One row per employee: the unit they work in (with its name, kind and parent, so the file also
describes the unit tree), their position, job type, direct supervisor and the date it holds from.
`validate_import` only judges the file: it returns every row as accepted or rejected with reasons
and changes nothing. Accepted rows are consistent among themselves and with the existing data, so
the caller may apply all of them or none; a row whose supervisor or parent unit is rejected is
rejected too, so applying the accepted rows never leaves a dangling reference.
"""

from __future__ import annotations

import csv
import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from services.planning.domain.organisation import (
    Employee,
    JobType,
    Nip,
    OrganisationUnit,
    Position,
    UnitKind,
    UnitTree,
    nip_problem,
    unit_parent_problem,
    validate_region_id,
)
from shared.refusals import Label, Refusal

COLUMNS: tuple[str, ...] = (
    "nip",
    "name",
    "unit_code",
    "unit_name",
    "unit_kind",
    "parent_unit_code",
    "position",
    "job_type",
    "supervisor_nip",
    "effective_date",
)
"""Columns of the import file, in the order the export writes them; the header may order them freely."""

OPTIONAL_COLUMNS: frozenset[str] = frozenset({"unit_kind"})
"""Columns that may be left out: without unit_kind, a unit with no parent is an agency, else a section."""

_UNIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_K = TypeVar("_K", str, Nip)
_UNIT_KIND_ALIASES: dict[str, UnitKind] = {
    "dinas": UnitKind.AGENCY,
    "opd": UnitKind.AGENCY,
    "badan": UnitKind.AGENCY,
    "bidang": UnitKind.SECTION,
    "seksi": UnitKind.SECTION,
    "subbagian": UnitKind.SECTION,
    "upt": UnitKind.SERVICE_POINT,
    "sekolah": UnitKind.SERVICE_POINT,
    "puskesmas": UnitKind.SERVICE_POINT,
    "loket": UnitKind.SERVICE_POINT,
}


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


@dataclass(slots=True)
class _Row:
    number: int
    values: tuple[str, ...]
    problems: list[Refusal] = field(default_factory=list)
    nip: Nip | None = None
    name: str = ""
    unit_code: str | None = None
    unit_name: str = ""
    unit_kind: UnitKind | None = None
    parent_code: str | None = None
    position: str = ""
    job_type: JobType | None = None
    supervisor: Nip | None = None
    effective_from: date | None = None

    @property
    def alive(self) -> bool:
        return not self.problems


def _missing(column: str) -> Refusal:
    return Refusal("missing_value", "%(column)s must not be empty", field=column, params={"column": column})


def _rows_text(rows: list[_Row]) -> str:
    return ", ".join(str(row.number) for row in rows)


def _parse_unit_kind(text: str) -> UnitKind:
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return UnitKind(key)
    except ValueError:
        found = _UNIT_KIND_ALIASES.get(key)
        if found is None:
            raise Refusal(
                "unknown_unit_kind",
                "unknown unit kind %(text)s; expected one of %(choices)s",
                field="unit_kind",
                params={"text": repr(text), "choices": ", ".join(k.value for k in UnitKind)},
            ) from None
        return found


def _parse_row(number: int, values: list[str], header: dict[str, int]) -> _Row:
    row = _Row(number, tuple(values))
    if len(values) < len(header) or any(v.strip() for v in values[len(header) :]):
        row.problems.append(
            Refusal(
                "column_count",
                "expected %(count)s columns, found %(found)s",
                field="row",
                params={"count": len(header), "found": len(values)},
            )
        )
        return row

    def get(column: str) -> str:
        index = header.get(column)
        return "" if index is None else values[index].strip()

    text = get("nip")
    if not text:
        row.problems.append(_missing("nip"))
    else:
        compact = "".join(text.split())
        problem = nip_problem(compact, "nip")
        if problem is None:
            row.nip = Nip(compact)
        else:
            row.problems.append(problem)

    row.name = get("name")
    if not row.name:
        row.problems.append(_missing("name"))

    code = get("unit_code")
    if not code:
        row.problems.append(_missing("unit_code"))
    elif not _UNIT_CODE.fullmatch(code):
        row.problems.append(
            Refusal(
                "invalid_unit_code",
                "unit code %(code)s must be 1-40 letters, digits, '.', '_', '/', '-'",
                field="unit_code",
                params={"code": repr(code)},
            )
        )
    else:
        row.unit_code = code

    row.unit_name = get("unit_name")
    if not row.unit_name:
        row.problems.append(_missing("unit_name"))

    kind = get("unit_kind")
    if kind:
        try:
            row.unit_kind = _parse_unit_kind(kind)
        except Refusal as error:
            row.problems.extend(error.problems)

    parent = get("parent_unit_code")
    if parent:
        if not _UNIT_CODE.fullmatch(parent):
            row.problems.append(
                Refusal(
                    "invalid_unit_code",
                    "parent unit code %(parent)s must be 1-40 letters, digits, '.', '_', '/', '-'",
                    field="parent_unit_code",
                    params={"parent": repr(parent)},
                )
            )
        elif parent == code:
            row.problems.append(
                Refusal(
                    "unit_own_parent",
                    "unit %(code)s cannot be its own parent",
                    field="parent_unit_code",
                    params={"code": code},
                )
            )
        else:
            row.parent_code = parent

    row.position = get("position")
    if not row.position:
        row.problems.append(_missing("position"))

    job = get("job_type")
    if not job:
        row.problems.append(_missing("job_type"))
    else:
        try:
            row.job_type = JobType.parse(job)
        except Refusal as error:
            row.problems.extend(error.problems)

    supervisor = get("supervisor_nip")
    if supervisor:
        compact = "".join(supervisor.split())
        problem = nip_problem(compact, "supervisor_nip")
        if problem is not None:
            row.problems.append(problem)
        elif row.nip is not None and compact == row.nip.value:
            row.problems.append(
                Refusal(
                    "self_supervision", "an employee cannot be their own supervisor", field="supervisor_nip"
                )
            )
        else:
            row.supervisor = Nip(compact)

    when = get("effective_date")
    if not when:
        row.problems.append(_missing("effective_date"))
    else:
        try:
            if not _ISO_DATE.fullmatch(when):
                raise ValueError(when)
            row.effective_from = date.fromisoformat(when)
        except ValueError:
            row.problems.append(
                Refusal(
                    "invalid_date",
                    "effective date %(when)s must be a real date written yyyy-mm-dd",
                    field="effective_date",
                    params={"when": repr(when)},
                )
            )
    return row


def _read_header(first: list[str]) -> tuple[dict[str, int], list[Refusal]]:
    names = [name.strip().lstrip("\ufeff").strip().lower().replace(" ", "_") for name in first]
    header: dict[str, int] = {}
    problems: list[Refusal] = []
    for index, name in enumerate(names):
        if name in header:
            problems.append(
                Refusal(
                    "duplicate_column",
                    "column %(name)s appears more than once",
                    field="header",
                    params={"name": name},
                )
            )
        header.setdefault(name, index)
    missing = [column for column in COLUMNS if column not in header and column not in OPTIONAL_COLUMNS]
    if missing:
        problems.append(
            Refusal(
                "missing_columns",
                "missing column(s): %(missing)s",
                field="header",
                params={"missing": ", ".join(missing)},
            )
        )
    return header, problems


def _delimiter(first_line: str) -> str:
    # Spreadsheets in an Indonesian locale export with ';' because ',' is the decimal separator.
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    return max(counts, key=lambda delimiter: counts[delimiter])


class _Validation:
    """Cross-row checks over parsed rows; every step is linear in the number of rows."""

    def __init__(
        self,
        rows: list[_Row],
        existing_employees: Mapping[Nip, Nip | None],
        existing_units: UnitTree | None,
    ) -> None:
        self.rows = rows
        self.existing_employees = existing_employees
        self.existing_units = existing_units
        self.rows_by_nip: dict[Nip, list[_Row]] = {}
        self.rows_by_unit: dict[str, list[_Row]] = {}
        self.kind_of_unit: dict[str, UnitKind] = {}
        for row in rows:
            if row.nip is not None:
                self.rows_by_nip.setdefault(row.nip, []).append(row)
            if row.unit_code is not None:
                self.rows_by_unit.setdefault(row.unit_code, []).append(row)

    def run(self) -> None:
        self.reject_duplicate_nips()
        self.check_units()
        self.reject_unit_cycles()
        self.reject_unknown_supervisors()
        self.propagate(self.rows)
        cycle_rows = self.reject_supervisor_cycles()
        self.propagate(cycle_rows)

    def existing_unit(self, code: str) -> OrganisationUnit | None:
        if self.existing_units is None or code not in self.existing_units:
            return None
        return self.existing_units.get(code)

    def reject_duplicate_nips(self) -> None:
        # Which of two rows with one NIP is right cannot be known, so both are refused.
        for nip, rows in self.rows_by_nip.items():
            if len(rows) < 2:
                continue
            for row in rows:
                others = _rows_text([other for other in rows if other is not row])
                row.problems.append(
                    Refusal(
                        "duplicate_nip",
                        "NIP %(nip)s also appears in row(s) %(others)s",
                        field="nip",
                        params={"nip": nip, "others": others},
                    )
                )

    def check_units(self) -> None:
        definitions: dict[str, _Row] = {}
        for row in self.rows:
            if not row.alive or row.unit_code is None:
                continue
            first = definitions.setdefault(row.unit_code, row)
            existing = self.existing_unit(row.unit_code)
            if existing is not None:
                self.check_same_unit(row, existing.name, existing.parent_code, existing.kind, "existing")
            elif first is not row:
                self.check_same_unit(row, first.unit_name, first.parent_code, first.unit_kind, first.number)

        for code, first in definitions.items():
            existing = self.existing_unit(code)
            if existing is not None:
                self.kind_of_unit[code] = existing.kind
                continue
            explicit = next(
                (row.unit_kind for row in self.rows_by_unit[code] if row.alive and row.unit_kind),
                None,
            )
            inferred = UnitKind.AGENCY if first.parent_code is None else UnitKind.SECTION
            self.kind_of_unit[code] = explicit or inferred

        for code, first in definitions.items():
            if self.existing_unit(code) is not None:
                continue
            parent = first.parent_code
            problem: Refusal | None
            if parent is not None and parent not in self.rows_by_unit and self.existing_unit(parent) is None:
                problem = Refusal(
                    "unknown_parent_unit",
                    "parent unit %(parent)s is neither in the file nor an existing unit",
                    field="parent_unit_code",
                    params={"parent": parent},
                )
            else:
                parent_kind = None if parent is None else self.parent_kind(parent)
                if parent is not None and parent_kind is None:
                    continue  # Parent only on rejected rows: propagation reports it.
                problem = unit_parent_problem(self.kind_of_unit[code], parent_kind, "parent_unit_code")
            if problem is not None:
                for row in self.rows_by_unit[code]:
                    if row.alive:
                        row.problems.append(problem)

    def parent_kind(self, code: str) -> UnitKind | None:
        existing = self.existing_unit(code)
        return existing.kind if existing is not None else self.kind_of_unit.get(code)

    @staticmethod
    def check_same_unit(
        row: _Row, name: str, parent: str | None, kind: UnitKind | None, source: int | str
    ) -> None:
        differences = []
        if " ".join(row.unit_name.split()).casefold() != " ".join(name.split()).casefold():
            differences.append(f"name {row.unit_name!r} vs {name!r}")
        if row.parent_code != parent:
            differences.append(f"parent {row.parent_code or '-'} vs {parent or '-'}")
        if row.unit_kind is not None and kind is not None and row.unit_kind is not kind:
            differences.append(f"kind {row.unit_kind.value} vs {kind.value}")
        if not differences:
            return
        where_en = "the existing unit" if source == "existing" else f"row {source}"
        where_id = "unit yang sudah ada" if source == "existing" else f"baris {source}"
        detail = "; ".join(differences)
        row.problems.append(
            Refusal(
                "unit_conflict",
                "unit %(unit_code)s is described differently than in %(where)s: %(detail)s",
                field="unit_code",
                params={
                    "unit_code": row.unit_code,
                    "where": Label(en=where_en, id=where_id),
                    "detail": detail,
                },
            )
        )

    def reject_unit_cycles(self) -> None:
        parent_of = {
            code: rows[0].parent_code
            for code, rows in self.rows_by_unit.items()
            if self.existing_unit(code) is None and rows[0].alive
        }
        for code, path in _cycles(parent_of):
            arrow = " → ".join([*path, path[0]])
            for row in self.rows_by_unit[code]:
                if row.alive:
                    row.problems.append(
                        Refusal(
                            "unit_cycle",
                            "unit parents form a cycle: %(arrow)s",
                            field="parent_unit_code",
                            params={"arrow": arrow},
                        )
                    )

    def reject_unknown_supervisors(self) -> None:
        for row in self.rows:
            supervisor = row.supervisor
            if (
                row.alive
                and supervisor is not None
                and supervisor not in self.rows_by_nip
                and supervisor not in self.existing_employees
            ):
                row.problems.append(
                    Refusal(
                        "unknown_supervisor",
                        "supervisor %(supervisor)s is neither in the file nor an existing employee",
                        field="supervisor_nip",
                        params={"supervisor": supervisor},
                    )
                )

    def reject_supervisor_cycles(self) -> list[_Row]:
        supervisor_of: dict[Nip, Nip | None] = {}
        for nip, rows in self.rows_by_nip.items():
            alive = [row for row in rows if row.alive]
            if alive:
                supervisor_of[nip] = alive[0].supervisor
        for nip, supervisor in self.existing_employees.items():
            supervisor_of.setdefault(nip, supervisor)
        rejected: list[_Row] = []
        for nip, path in _cycles(supervisor_of):
            arrow = " → ".join(str(n) for n in [*path, path[0]])
            for row in self.rows_by_nip.get(nip, []):
                if row.alive:
                    row.problems.append(
                        Refusal(
                            "supervisor_cycle",
                            "supervisors form a cycle: %(arrow)s",
                            field="supervisor_nip",
                            params={"arrow": arrow},
                        )
                    )
                    rejected.append(row)
        return rejected

    def propagate(self, seeds: Iterable[_Row]) -> None:
        """Reject rows whose supervisor or parent unit is only on rejected rows, transitively."""
        alive_by_nip = {nip: sum(r.alive for r in rows) for nip, rows in self.rows_by_nip.items()}
        alive_by_unit = {code: sum(r.alive for r in rows) for code, rows in self.rows_by_unit.items()}
        dependents_by_supervisor: dict[Nip, list[_Row]] = {}
        dependents_by_parent: dict[str, list[_Row]] = {}
        for row in self.rows:
            if row.alive and row.supervisor is not None and row.supervisor not in self.existing_employees:
                dependents_by_supervisor.setdefault(row.supervisor, []).append(row)
            if row.alive and row.parent_code is not None and self.existing_unit(row.parent_code) is None:
                dependents_by_parent.setdefault(row.parent_code, []).append(row)

        queue: deque[_Row] = deque(row for row in seeds if not row.alive)
        gone_nips: set[Nip] = set()
        gone_units: set[str] = set()

        def lost(row: _Row) -> None:
            if row.nip is not None and row.nip not in gone_nips and alive_by_nip.get(row.nip, 0) == 0:
                gone_nips.add(row.nip)
                sources = _rows_text(self.rows_by_nip[row.nip])
                for dependent in dependents_by_supervisor.get(row.nip, []):
                    if dependent.alive:
                        dependent.problems.append(
                            Refusal(
                                "supervisor_rejected",
                                "supervisor %(nip)s is only on rejected row(s) %(sources)s",
                                field="supervisor_nip",
                                params={"nip": row.nip, "sources": sources},
                            )
                        )
                        reject(dependent)
            code = row.unit_code
            if code is not None and code not in gone_units and alive_by_unit.get(code, 0) == 0:
                gone_units.add(code)
                sources = _rows_text(self.rows_by_unit[code])
                for dependent in dependents_by_parent.get(code, []):
                    if dependent.alive:
                        dependent.problems.append(
                            Refusal(
                                "parent_unit_rejected",
                                "parent unit %(code)s is only on rejected row(s) %(sources)s",
                                field="parent_unit_code",
                                params={"code": code, "sources": sources},
                            )
                        )
                        reject(dependent)

        def reject(row: _Row) -> None:
            if row.nip is not None:
                alive_by_nip[row.nip] -= 1
            if row.unit_code is not None:
                alive_by_unit[row.unit_code] -= 1
            queue.append(row)

        while queue:
            lost(queue.popleft())


def _cycles(successor: Mapping[_K, _K | None]) -> list[tuple[_K, tuple[_K, ...]]]:
    """Every node on a cycle with the cycle starting at it; each node has at most one successor."""
    done: set[_K] = set()
    found: list[tuple[_K, tuple[_K, ...]]] = []
    for start in successor:
        if start in done:
            continue
        walk: list[_K] = []
        on_walk: set[_K] = set()
        node: _K | None = start
        while node is not None and node not in done and node not in on_walk:
            walk.append(node)
            on_walk.add(node)
            node = successor.get(node)
        if node is not None and node in on_walk:
            cycle: list[_K] = walk[walk.index(node) :]
            for offset, member in enumerate(cycle):
                found.append((member, tuple(cycle[offset:] + cycle[:offset])))
        done.update(walk)
    return found


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
    reader = csv.reader(lines, delimiter=_delimiter(lines[0]))
    header, header_problems = _read_header(next(reader))
    if header_problems:
        return ImportReport(region_id, (), (), tuple(header_problems))
    rows = [
        _parse_row(number, values, header)
        for number, values in enumerate(reader, start=2)
        if any(value.strip() for value in values)
    ]
    _Validation(rows, existing_employees or {}, existing_units).run()

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
            unit = _unit_for(row, region_id, existing_units)
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


def _unit_for(row: _Row, region_id: str, existing_units: UnitTree | None) -> OrganisationUnit:
    assert row.unit_code is not None
    if existing_units is not None and row.unit_code in existing_units:
        return existing_units.get(row.unit_code)
    kind = row.unit_kind or (UnitKind.AGENCY if row.parent_code is None else UnitKind.SECTION)
    return OrganisationUnit(region_id, row.unit_code, row.unit_name, kind, row.parent_code)
