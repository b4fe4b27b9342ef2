"""Bulk import of a region's units and employees from the CSV that BKPSDM personnel systems export.

The domain judges every row (``validate_import``); this use case adds the checks that need stored
history, then applies every row in one transaction, or none when any row or the file is refused.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, update

from services.planning.adapters import repository
from services.planning.adapters.repository import Organisation
from services.planning.adapters.tables import employee_assignments, employees, units
from services.planning.domain.csv_import import EmployeeRecord, ImportReport, validate_import
from services.planning.metrics import IMPORT_ROWS, IMPORT_SECONDS, IMPORTS
from services.planning.service_layer.import_schemas import (
    ImportedUnitRead,
    ImportReportRead,
    ImportRowRead,
    ProblemRead,
    RowChange,
)
from services.planning.service_layer.organisation import (
    assignment_of,
    new_id,
    require_region,
    store_assignment,
)
from shared.contracts.planning import EmployeeUpserted, UnitUpserted
from shared.dates import date_window
from shared.db import analyze_import
from shared.i18n import ErrorBody, refusal_body
from shared.refusals import Label, Refusal
from shared.unit_of_work import UnitOfWork

_DELIMITERS = (",", ";", "\t")


def _decode(raw: bytes) -> str:
    """Text of an export: UTF-8 (a byte order mark allowed), else Windows-1252 as older systems write."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _nip_column(text: str) -> int | None:
    """Index of the nip column in the header, to name rejected rows by NIP."""
    first = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first.count)
    header = [name.strip().lower() for name in next(csv.reader([first], delimiter=delimiter), [])]
    return header.index("nip") if "nip" in header else None


def _problem_read(problem: Refusal) -> ProblemRead:
    return ProblemRead.model_validate(refusal_body(problem))


class _Verdicts:
    """Rows refused by checks against stored history, added to the domain's report."""

    def __init__(self) -> None:
        self.by_row: dict[int, list[Refusal]] = {}

    def refuse(self, record: EmployeeRecord, problem: Refusal) -> None:
        self.by_row.setdefault(record.row_number, []).append(problem)


def _history_checks(
    report: ImportReport, organisation: Organisation, first_day: dict[str, date]
) -> _Verdicts:
    verdicts = _Verdicts()
    for record in report.accepted:
        outside = date_window().refusal_today(record.effective_from)
        if outside is not None:
            # The one window of every API's dates (shared.dates), here for a column of the file.
            verdicts.refuse(
                record,
                outside.at("effective_date"),
            )
            continue
        employee_id = organisation.employee_id_of.get(record.employee.nip)
        if employee_id is None:
            continue
        start = first_day[employee_id]
        if record.effective_from < start:
            verdicts.refuse(
                record,
                Refusal(
                    "before_enrolment",
                    "%(effective_from)s is before this employee's first assignment on %(start)s",
                    field="effective_date",
                    params={"effective_from": record.effective_from.isoformat(), "start": start.isoformat()},
                ),
            )
    return verdicts


def rejection_error(report: ImportReportRead) -> ErrorBody:
    """The error part of the response body when nothing was applied."""
    if report.file_problems:
        first = report.file_problems[0]
        refusal = Refusal(
            first.code,
            "The file was refused: %(problem)s. Nothing was applied.",
            field=first.field,
            params={"problem": Label(first.message, first.message_id)},
        )
    else:
        refusal = Refusal(
            "rows_rejected",
            "%(rejected)s of %(total)s rows were rejected; nothing was applied.",
            field="rows",
            params={"rejected": report.rejected, "total": report.total_rows},
        )
    return refusal_body(refusal)


async def import_organisation(
    *, uow: UnitOfWork, region_id: str, raw: bytes, dry_run: bool
) -> ImportReportRead:
    """Judge every row of an import file and, when all are accepted and it is no dry run, apply them."""
    started = time.perf_counter()
    session = uow.session
    await require_region(session, region_id, lock=not dry_run)
    if b"\x00" in raw:
        # A binary file (a spreadsheet instead of its CSV export) is refused as a whole.
        IMPORTS.labels("rejected").inc()
        problem = Refusal("not_text", "the file is not text; export the sheet as CSV", field="file")
        return ImportReportRead(
            region_id=region_id,
            applied=False,
            dry_run=dry_run,
            total_rows=0,
            accepted=0,
            rejected=0,
            file_problems=[_problem_read(problem)],
            rows=[],
        )
    text = _decode(raw)
    organisation = await repository.load_organisation(session, region_id)
    latest_supervisor = {
        organisation.nip_of[employee_id]: (
            None if row.supervisor_id is None else organisation.nip_of[row.supervisor_id]
        )
        for employee_id, row in organisation.employee_rows.items()
    }
    report = validate_import(
        text, region_id=region_id, existing_employees=latest_supervisor, existing_units=organisation.units
    )
    first_rows = await session.execute(
        select(employee_assignments.c.employee_id, func.min(employee_assignments.c.effective_from))
        .where(employee_assignments.c.region_id == region_id)
        .group_by(employee_assignments.c.employee_id)
    )
    first_day: dict[str, date] = {row[0]: row[1] for row in first_rows}
    verdicts = _history_checks(report, organisation, first_day)

    nip_column = _nip_column(text)
    rows: list[ImportRowRead] = []
    for record in report.accepted:
        problems = verdicts.by_row.get(record.row_number)
        rows.append(
            ImportRowRead(
                row=record.row_number,
                status="rejected" if problems else "accepted",
                nip=record.employee.nip.value,
                problems=[_problem_read(p) for p in problems or ()],
            )
        )
    for rejected in report.rejected:
        nip = None
        if nip_column is not None and nip_column < len(rejected.values):
            nip = rejected.values[nip_column].strip() or None
        rows.append(
            ImportRowRead(
                row=rejected.row_number,
                status="rejected",
                nip=nip,
                problems=[_problem_read(p) for p in rejected.problems],
            )
        )
    rows.sort(key=lambda row: row.row)
    rejected_count = sum(row.status == "rejected" for row in rows)
    result = ImportReportRead(
        region_id=region_id,
        applied=False,
        dry_run=dry_run,
        total_rows=len(rows),
        accepted=len(rows) - rejected_count,
        rejected=rejected_count,
        file_problems=[_problem_read(p) for p in report.file_problems],
        rows=rows,
    )
    IMPORT_ROWS.labels("accepted").inc(result.accepted)
    IMPORT_ROWS.labels("rejected").inc(result.rejected)
    if rejected_count or report.file_problems:
        IMPORTS.labels("rejected").inc()
    else:
        plan = _plan(organisation, report)
        if not dry_run:
            await _write(uow, region_id, plan)
            result.applied = True
        _describe(result, plan, applied=result.applied)
        IMPORTS.labels("dry_run" if dry_run else "applied").inc()
    IMPORT_SECONDS.observe(time.perf_counter() - started)
    return result


@dataclass
class _Plan:
    """What applying an accepted file changes: computed alike for a dry run and for the import."""

    new_units: list[dict[str, Any]] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    moved: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # id, name, assignment
    events: list[EmployeeUpserted] = field(default_factory=list)
    #: Row number -> what the row does to its employee, and the employee's id.
    rows: dict[int, tuple[RowChange, str]] = field(default_factory=dict)


def _plan(organisation: Organisation, report: ImportReport) -> _Plan:
    plan = _Plan()
    region_id = organisation.region_id
    plan.new_units = [
        {
            "unit_id": organisation.unit_id(unit.code),
            "region_id": region_id,
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind.value,
            "parent_unit_id": None if unit.parent_code is None else organisation.unit_id(unit.parent_code),
            "organisation_predicate": None,
        }
        for unit in report.units()
        if unit.code not in organisation.units
    ]
    ids = dict(organisation.employee_id_of)
    for record in report.accepted:
        ids.setdefault(record.employee.nip, new_id())
    for record in report.accepted:
        nip = record.employee.nip
        employee_id = ids[nip]
        assignment = {
            "effective_from": record.effective_from,
            "unit_id": organisation.unit_id(record.unit.code),
            "position": record.position.title,
            "job_type": record.position.job_type.value,
            "supervisor_id": None if record.supervisor_nip is None else ids[record.supervisor_nip],
        }
        existing = organisation.employee_rows.get(employee_id)
        if existing is None:
            plan.rows[record.row_number] = ("created", employee_id)
            plan.created.append(
                {
                    "employee_id": employee_id,
                    "region_id": region_id,
                    "nip": nip.value,
                    "name": record.employee.name,
                }
                | assignment
            )
        else:
            current = assignment_of(organisation, nip, record.effective_from)
            if existing.name == record.employee.name and current == assignment:
                plan.rows[record.row_number] = ("unchanged", employee_id)
                continue  # Importing the same export twice changes nothing.
            plan.rows[record.row_number] = ("moved", employee_id)
            plan.moved.append((employee_id, record.employee.name, assignment))
        plan.events.append(
            EmployeeUpserted(
                region_id=region_id,
                employee_id=employee_id,
                nip=nip.value,
                name=record.employee.name,
                **assignment,
            )
        )
    return plan


def _describe(result: ImportReportRead, plan: _Plan, *, applied: bool) -> None:
    """Tell what the import did (or, on a dry run, would do); new employees' ids exist once applied."""
    result.units_created = len(plan.new_units)
    result.employees_created = len(plan.created)
    result.employees_moved = len(plan.moved)
    result.new_units = [
        ImportedUnitRead(code=unit["code"], unit_id=unit["unit_id"]) for unit in plan.new_units
    ]
    for row in result.rows:
        change, employee_id = plan.rows[row.row]
        row.change = change
        row.employee_id = employee_id if applied or change != "created" else None


async def _write(uow: UnitOfWork, region_id: str, plan: _Plan) -> None:
    session = uow.session
    if plan.new_units:
        await session.execute(insert(units), plan.new_units)
        for values in plan.new_units:
            uow.emit(UnitUpserted(**values))
    for employee_id, name, assignment in plan.moved:
        await session.execute(
            update(employees)
            .where(employees.c.region_id == region_id, employees.c.employee_id == employee_id)
            .values(name=name)
        )
        await store_assignment(session, region_id, employee_id, assignment)
    if plan.created:
        await session.execute(insert(employees), plan.created)
        await session.execute(
            insert(employee_assignments), [{k: row[k] for k in _ASSIGNMENT_COLUMNS} for row in plan.created]
        )
    # The region's pages read these tables next (its list of employees joins their assignments).
    await analyze_import(session, len(plan.created), ("units", "employees", "employee_assignments"))
    for event in plan.events:
        uow.emit(event)


_ASSIGNMENT_COLUMNS = (
    "employee_id",
    "region_id",
    "effective_from",
    "unit_id",
    "position",
    "job_type",
    "supervisor_id",
)
