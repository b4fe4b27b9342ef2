"""Planning's organisation routes: regions, units, employees, their moves and the CSV import."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, status
from fastapi.responses import JSONResponse

from services.planning.entrypoints.organisation_import import IMPORT_REQUEST_BODY, uploaded_csv
from services.planning.entrypoints.routing import (
    PlatformAdmin,
    RegionAdmin,
    RegionReader,
    TeamReader,
    planning_router,
)
from services.planning.service_layer import imports, organisation
from services.planning.service_layer.import_schemas import ImportReportRead
from services.planning.service_layer.schemas import (
    EmployeeCreate,
    EmployeeHistoryRead,
    EmployeeRead,
    MoveCreate,
    RegionCreate,
    RegionRead,
    UnitCreate,
    UnitRead,
    UnitUpdate,
)
from shared.auth import Principal
from shared.dates import BoundedDate
from shared.http import client_address
from shared.route_work import Context, RegionSession, RegionWork, audited_work

router = planning_router()


@router.post("/regions", status_code=status.HTTP_201_CREATED, response_model=RegionRead)
async def register_region(
    region_in: RegionCreate, context: Context, request: Request, principal: Principal = PlatformAdmin
) -> RegionRead:
    """Add a region (pemerintah daerah) to the platform (platform administrators)."""
    # Audited in the region it registers: the caller (a platform administrator) has none.
    async with audited_work(
        context,
        region_id=region_in.region_id,
        actor=principal.subject,
        client_address=client_address(request),
    ) as work:
        region = await organisation.register_region(uow=work.uow, region_in=region_in)
        work.record("region.register", region.region_id)
    return region


@router.get("/units", response_model=list[UnitRead])
async def list_units(session: RegionSession, principal: Principal = RegionReader) -> list[UnitRead]:
    """The organisational units of the caller's region, parents before children."""
    return await organisation.list_units(session=session, region_id=principal.region)


@router.post("/units", status_code=status.HTTP_201_CREATED, response_model=UnitRead)
async def create_unit(unit_in: UnitCreate, work: RegionWork, principal: Principal = RegionAdmin) -> UnitRead:
    """Add an organisational unit to the caller's region (BKPSDM)."""
    unit = await organisation.create_unit(uow=work.uow, region_id=principal.region, unit_in=unit_in)
    work.record("unit.create", unit.unit_id)
    return unit


@router.patch("/units/{unit_id}", response_model=UnitRead)
async def update_unit(
    unit_id: str, unit_in: UnitUpdate, work: RegionWork, principal: Principal = RegionAdmin
) -> UnitRead:
    """Rename a unit, move it under another parent or set its organisation predicate (BKPSDM)."""
    unit = await organisation.update_unit(
        uow=work.uow, region_id=principal.region, unit_id=unit_id, unit_in=unit_in
    )
    work.record("unit.update", unit_id, detail=unit_in.model_dump_json(exclude_unset=True))
    return unit


@router.post("/employees", status_code=status.HTTP_201_CREATED, response_model=EmployeeRead)
async def create_employee(
    employee_in: EmployeeCreate, work: RegionWork, principal: Principal = RegionAdmin
) -> EmployeeRead:
    """Enrol an employee (ASN) in the caller's region with their first assignment (BKPSDM)."""
    employee = await organisation.create_employee(
        uow=work.uow, region_id=principal.region, employee_in=employee_in
    )
    work.record("employee.create", employee.employee_id)
    return employee


@router.get("/employees", response_model=list[EmployeeRead])
async def list_employees(
    session: RegionSession,
    principal: Principal = TeamReader,
    on: Annotated[
        BoundedDate | None,
        Query(description="Assignments holding on this day; today in the region by default."),
    ] = None,
    supervisor_id: str | None = None,
    unit_id: str | None = None,
) -> list[EmployeeRead]:
    """Employees as assigned on a day; a rater sees the team they supervised that day."""
    return await organisation.list_employees(
        session=session,
        principal=principal,
        on=on,
        supervisor_id=supervisor_id,
        unit_id=unit_id,
    )


@router.get("/employees/{employee_id}", response_model=EmployeeRead)
async def get_employee(
    employee_id: str,
    session: RegionSession,
    principal: Principal = RegionReader,
    on: Annotated[
        BoundedDate | None,
        Query(description="The assignment holding on this day (who rated whom); today by default."),
    ] = None,
) -> EmployeeRead:
    """An employee with the assignment holding on a day (today in the region by default)."""
    return await organisation.get_employee(
        session=session, principal=principal, employee_id=employee_id, on=on
    )


@router.get("/employees/{employee_id}/history", response_model=EmployeeHistoryRead)
async def employee_history(
    employee_id: str, session: RegionSession, principal: Principal = RegionReader
) -> EmployeeHistoryRead:
    """Every dated assignment of an employee (unit, position, supervisor), oldest first."""
    return await organisation.employee_history(session=session, principal=principal, employee_id=employee_id)


@router.post(
    "/employees/{employee_id}/moves", status_code=status.HTTP_201_CREATED, response_model=EmployeeRead
)
async def move_employee(
    employee_id: str,
    move_in: MoveCreate,
    work: RegionWork,
    principal: Principal = RegionAdmin,
) -> EmployeeRead:
    """Record a dated move (mutasi): new unit, supervisor and/or position from a date (BKPSDM)."""
    employee = await organisation.move_employee(
        uow=work.uow, region_id=principal.region, employee_id=employee_id, move_in=move_in
    )
    work.record("employee.move", employee_id, detail=move_in.model_dump_json(exclude_unset=True))
    return employee


@router.post(
    "/imports/organisation",
    response_model=ImportReportRead,
    responses={422: {"description": "Rejected rows: nothing was applied; the body carries the report."}},
    openapi_extra=IMPORT_REQUEST_BODY,
)
async def import_organisation(
    # The file before the work: no connection is held while a slow client uploads it.
    raw: Annotated[bytes, Depends(uploaded_csv)],
    work: RegionWork,
    principal: Principal = RegionAdmin,
    dry_run: Annotated[bool, Query(description="Only judge the file; apply nothing.")] = False,
) -> ImportReportRead | JSONResponse:
    """Import units and employees from a BKPSDM CSV export, all rows or none, with a per-row report
    (on a dry run, what would be created and moved)."""
    report = await imports.import_organisation(
        uow=work.uow, region_id=principal.region, raw=raw, dry_run=dry_run
    )
    if report.applied:
        work.record(
            "organisation.import",
            principal.region,
            detail=(
                f"{report.accepted} rows: {report.units_created} units, {report.employees_created} "
                f"employees created, {report.employees_moved} moved"
            ),
        )
    if report.rejected or report.file_problems:
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            content={"error": imports.rejection_error(report), "report": report.model_dump(mode="json")},
        )
    return report
