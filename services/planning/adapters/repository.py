"""Loads and stores the planning aggregates (unit tree, supervisor tree, work plans, templates).

Every query names its region explicitly, beside the row-level security of the session.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters.tables import (
    employee_assignments,
    employees,
    indicator_templates,
    regions,
    units,
    work_plans,
)
from services.planning.domain.indicators import (
    NATIONAL_TEMPLATES,
    Aggregation,
    Aspect,
    Direction,
    IndicatorTemplate,
    TemplateLibrary,
    ValueRange,
)
from services.planning.domain.organisation import (
    Employee,
    JobType,
    Nip,
    OrganisationUnit,
    Position,
    SupervisorTree,
    UnitKind,
    UnitTree,
)
from services.planning.domain.work_plan import (
    Indicator,
    PeriodScheme,
    PeriodSplit,
    PlannedResult,
    PlanStatus,
    ResultKind,
    ResultRef,
    Target,
    WorkPlan,
)
from shared.refusals import Refusal

#: Statuses kept only in storage: the domain sees such a plan as approved and no longer in force.
RETIRED_STATUSES = frozenset({"superseded", "withdrawn"})

_SCHEME_OF_REGION = {
    "quarterly": PeriodScheme.QUARTERLY,
    "monthly": PeriodScheme.MONTHLY,
    "semester": PeriodScheme.SEMESTER,
}


def period_scheme(period_kind: str) -> PeriodScheme:
    """The period scheme of a region's ``period_kind`` setting."""
    return _SCHEME_OF_REGION[period_kind]


async def region_row(session: AsyncSession, region_id: str, *, lock: bool = False) -> Row[Any] | None:
    """The region's row, or None; `lock` holds it until the transaction ends."""
    query = select(regions).where(regions.c.region_id == region_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).first()


def job_type_of(stored: str) -> JobType:
    """The job type of a stored value; values stored before validation existed count as general staff."""
    try:
        return JobType.parse(stored)
    except Refusal:
        return JobType.GENERAL_STAFF


@dataclass
class Organisation:
    """A region's units and dated supervisor tree, with the id ↔ code and id ↔ NIP maps of storage."""

    region_id: str
    units: UnitTree
    unit_rows: dict[str, Row[Any]]
    tree: SupervisorTree
    nip_of: dict[str, Nip] = field(default_factory=dict)
    employee_id_of: dict[Nip, str] = field(default_factory=dict)
    employee_rows: dict[str, Row[Any]] = field(default_factory=dict)

    def unit_code(self, unit_id: str) -> str | None:
        """Code of a unit of this region, or None when it is not one."""
        row = self.unit_rows.get(unit_id)
        return None if row is None else str(row.code)

    def unit_id(self, code: str) -> str:
        """Storage id of the unit with this code."""
        return f"{self.region_id}.{code}"

    def employee(self, employee_id: str) -> Employee | None:
        """The domain employee with this id, or None when not in this region."""
        nip = self.nip_of.get(employee_id)
        return None if nip is None else self.tree.employee(nip)


async def load_units(session: AsyncSession, region_id: str) -> tuple[UnitTree, dict[str, Row[Any]]]:
    """The region's unit tree and its rows by unit id."""
    rows = (await session.execute(select(units).where(units.c.region_id == region_id))).all()
    by_id = {row.unit_id: row for row in rows}
    tree = UnitTree(
        region_id,
        [
            OrganisationUnit(
                region_id,
                row.code,
                row.name,
                UnitKind(row.kind),
                None if row.parent_unit_id is None else by_id[row.parent_unit_id].code,
            )
            for row in rows
        ],
    )
    return tree, by_id


async def load_organisation(session: AsyncSession, region_id: str) -> Organisation:
    """Units, employees and every dated assignment of a region, rehydrated into the domain trees."""
    unit_tree, unit_rows = await load_units(session, region_id)
    tree = SupervisorTree(region_id, unit_tree)
    organisation = Organisation(region_id, unit_tree, unit_rows, tree)
    employee_rows = (await session.execute(select(employees).where(employees.c.region_id == region_id))).all()
    for row in employee_rows:
        nip = Nip(row.nip)
        organisation.nip_of[row.employee_id] = nip
        organisation.employee_id_of[nip] = row.employee_id
        organisation.employee_rows[row.employee_id] = row
    history: dict[str, list[tuple[date, str, Position, Nip | None]]] = {}
    assignment_rows = (
        await session.execute(
            select(employee_assignments).where(employee_assignments.c.region_id == region_id)
        )
    ).all()
    for row in assignment_rows:
        history.setdefault(row.employee_id, []).append(
            (
                row.effective_from,
                unit_rows[row.unit_id].code,
                Position(row.position, job_type_of(row.job_type)),
                None if row.supervisor_id is None else organisation.nip_of[row.supervisor_id],
            )
        )
    for row in employee_rows:
        tree.restore(
            Employee(organisation.nip_of[row.employee_id], row.name, region_id), history[row.employee_id]
        )
    return organisation


async def assignment_on(
    session: AsyncSession, region_id: str, employee_id: str, day: date
) -> Row[Any] | None:
    """The assignment of an employee holding on `day`, or None before their first one."""
    return (
        await session.execute(
            select(employee_assignments)
            .where(
                employee_assignments.c.region_id == region_id,
                employee_assignments.c.employee_id == employee_id,
                employee_assignments.c.effective_from <= day,
            )
            .order_by(employee_assignments.c.effective_from.desc())
            .limit(1)
        )
    ).first()


# Work plans -----------------------------------------------------------------------------------


@dataclass
class PlanRecord:
    """A stored work plan version: the domain aggregate plus the ids clients and consumers know.

    Results carry two ids: the aggregate's own (``R1``, stable across versions of one employee's
    plan) and a public one, unique on the platform, that links and events use. Indicators carry a
    public id that also survives revisions, so activity reported against it keeps counting.
    """

    plan: WorkPlan
    region_id: str
    employee_id: str
    rater_id: str
    status: str
    public_result_ids: dict[str, str]
    indicator_ids: dict[str, list[str]]
    supports: dict[str, tuple[str, str]]
    """Local result id → (public result id, employee id) of the result it supports."""
    superseded_by: str | None = None

    def local_result_id(self, public_id: str) -> str | None:
        """The aggregate's id of a result known by its public id."""
        return next((local for local, public in self.public_result_ids.items() if public == public_id), None)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _scheme_of_keys(keys: Iterable[str]) -> PeriodScheme:
    first = next(iter(keys)).split("-", 1)[1]
    return {"Q": PeriodScheme.QUARTERLY, "M": PeriodScheme.MONTHLY}.get(first[0], PeriodScheme.SEMESTER)


def indicator_from_content(content: Mapping[str, Any]) -> Indicator:
    """The domain indicator of a stored indicator dict."""
    target = _decimal(content.get("target"))
    qualitative = bool(content.get("qualitative", target is None))
    period_targets: dict[str, Any] = content.get("period_targets") or {}
    split = None
    if period_targets:
        split = PeriodSplit.of(
            _scheme_of_keys(period_targets),
            {key.split("-", 1)[1]: Decimal(str(value)) for key, value in period_targets.items()},
        )
    minimum, maximum = _decimal(content.get("minimum")), _decimal(content.get("maximum"))
    return Indicator(
        name=content["name"],
        aspect=Aspect(content["aspect"]),
        direction=Direction(content["direction"]),
        aggregation=Aggregation(content["aggregation"]),
        target=(
            Target.qualitative(content.get("qualitative_target") or "")
            if qualitative
            else Target(
                quantity=target,
                unit=content.get("unit_of_measure") or "",
                statement=content.get("qualitative_target") or "",
            )
        ),
        split=split,
        qualitative=qualitative,
        value_range=None if minimum is None and maximum is None else ValueRange(minimum, maximum),
        template_code=content.get("code"),
    )


def indicator_to_content(indicator: Indicator, indicator_id: str, year: int) -> dict[str, Any]:
    """The stored (and published) form of a domain indicator."""
    value_range = indicator.value_range
    return {
        "indicator_id": indicator_id,
        "code": indicator.template_code,
        "name": indicator.name,
        "aspect": indicator.aspect.value,
        "direction": indicator.direction.value,
        "aggregation": indicator.aggregation.value,
        "unit_of_measure": indicator.target.unit or None,
        "target": None if indicator.target.quantity is None else str(indicator.target.quantity),
        "qualitative_target": indicator.target.statement or None,
        "period_targets": (
            {} if indicator.split is None else {f"{year}-{k}": str(v) for k, v in indicator.split.targets}
        ),
        "qualitative": indicator.qualitative,
        "minimum": None if value_range is None or value_range.minimum is None else str(value_range.minimum),
        "maximum": None if value_range is None or value_range.maximum is None else str(value_range.maximum),
    }


def plan_from_row(row: Any, nip_of: Mapping[str, Nip]) -> PlanRecord:
    """Rehydrate a stored plan version; `nip_of` maps employee ids of the region to NIPs."""
    public_ids: dict[str, str] = {}
    indicator_ids: dict[str, list[str]] = {}
    supports: dict[str, tuple[str, str]] = {}
    results: list[PlannedResult] = []
    for position, content in enumerate(row.content, start=1):
        # Plans stored before results had local ids are numbered in order.
        local = content.get("local_id") or f"R{position}"
        public_ids[local] = content["result_id"]
        indicator_ids[local] = [indicator["indicator_id"] for indicator in content["indicators"]]
        ref = None
        supports_employee = content.get("supports_employee_id")
        if content.get("supports_result_id") and supports_employee and content.get("supports_local_id"):
            supports[local] = (content["supports_result_id"], supports_employee)
            ref = ResultRef(nip_of[supports_employee], row.year, content["supports_local_id"])
        results.append(
            PlannedResult(
                id=local,
                kind=ResultKind(content["kind"]),
                text=content["text"],
                indicators=tuple(indicator_from_content(i) for i in content["indicators"]),
                supports=ref,
            )
        )
    status = row.status
    plan = WorkPlan(
        plan_id=row.plan_id,
        employee=nip_of[row.employee_id],
        rater=nip_of[row.rater_id],
        year=row.year,
        version=row.version,
        status=PlanStatus.APPROVED if status in RETIRED_STATUSES else PlanStatus(status),
        results=tuple(results),
        rejection_reason=row.rejection_reason,
        previous_plan_id=row.previous_plan_id,
        next_result_number=row.next_result_number,
    )
    return PlanRecord(
        plan=plan,
        region_id=row.region_id,
        employee_id=row.employee_id,
        rater_id=row.rater_id,
        status=status,
        public_result_ids=public_ids,
        indicator_ids=indicator_ids,
        supports=supports,
        superseded_by=row.superseded_by,
    )


def plan_content(record: PlanRecord) -> list[dict[str, Any]]:
    """The stored content of a plan version, in the aggregate's result order."""
    plan = record.plan
    content: list[dict[str, Any]] = []
    for result in plan.results:
        supports_public: str | None = None
        supports_employee: str | None = None
        if result.supports is not None:
            supports_public, supports_employee = record.supports[result.id]
        content.append(
            {
                "result_id": record.public_result_ids[result.id],
                "local_id": result.id,
                "kind": result.kind.value,
                "text": result.text,
                "supports_result_id": supports_public,
                "supports_employee_id": supports_employee,
                "supports_local_id": None if result.supports is None else result.supports.result_id,
                "indicators": [
                    indicator_to_content(indicator, indicator_id, plan.year)
                    for indicator, indicator_id in zip(
                        result.indicators, record.indicator_ids[result.id], strict=True
                    )
                ],
            }
        )
    return content


def plan_values(record: PlanRecord) -> dict[str, Any]:
    """Column values of a plan version row."""
    plan = record.plan
    return {
        "plan_id": plan.id,
        "region_id": record.region_id,
        "employee_id": record.employee_id,
        "rater_id": record.rater_id,
        "year": plan.year,
        "version": plan.version,
        "status": record.status,
        "content": plan_content(record),
        "rejection_reason": plan.rejection_reason,
        "previous_plan_id": plan.previous_plan_id,
        "next_result_number": plan.next_result_number,
        "superseded_by": record.superseded_by,
    }


async def plan_rows(
    session: AsyncSession,
    region_id: str,
    *,
    employee_id: str | None = None,
    year: int | None = None,
    plan_id: str | None = None,
    statuses: Iterable[str] | None = None,
    employee_ids: Iterable[str] | None = None,
    rater_id: str | None = None,
) -> list[Row[Any]]:
    """Plan version rows of a region matching the filters, oldest version first."""
    query = select(work_plans).where(work_plans.c.region_id == region_id)
    if employee_id is not None:
        query = query.where(work_plans.c.employee_id == employee_id)
    if year is not None:
        query = query.where(work_plans.c.year == year)
    if plan_id is not None:
        query = query.where(work_plans.c.plan_id == plan_id)
    if statuses is not None:
        query = query.where(work_plans.c.status.in_(list(statuses)))
    if employee_ids is not None:
        query = query.where(work_plans.c.employee_id.in_(list(employee_ids)))
    if rater_id is not None:
        query = query.where(work_plans.c.rater_id == rater_id)
    query = query.order_by(work_plans.c.employee_id, work_plans.c.year, work_plans.c.version)
    return list((await session.execute(query)).all())


async def employee_nips(session: AsyncSession, region_id: str, employee_ids: Iterable[str]) -> dict[str, Nip]:
    """NIPs of some employees of a region by id."""
    wanted = sorted(set(employee_ids))
    if not wanted:
        return {}
    rows = (
        await session.execute(
            select(employees.c.employee_id, employees.c.nip).where(
                employees.c.region_id == region_id, employees.c.employee_id.in_(wanted)
            )
        )
    ).all()
    return {row.employee_id: Nip(row.nip) for row in rows}


async def load_plan(session: AsyncSession, region_id: str, plan_id: str) -> PlanRecord | None:
    """One plan version of a region, rehydrated, or None."""
    rows = await plan_rows(session, region_id, plan_id=plan_id)
    if not rows:
        return None
    return (await records_from_rows(session, region_id, rows))[0]


async def records_from_rows(session: AsyncSession, region_id: str, rows: list[Row[Any]]) -> list[PlanRecord]:
    """Rehydrate plan rows, looking up the NIPs they need in one query."""
    needed: set[str] = set()
    for row in rows:
        needed.update((row.employee_id, row.rater_id))
        needed.update(c["supports_employee_id"] for c in row.content if c.get("supports_employee_id"))
    nip_of = await employee_nips(session, region_id, needed)
    return [plan_from_row(row, nip_of) for row in rows]


# Indicator templates --------------------------------------------------------------------------


def template_from_row(row: Any) -> IndicatorTemplate:
    """The domain template of a stored regional template."""
    value_range = (
        None if row.minimum is None and row.maximum is None else ValueRange(row.minimum, row.maximum)
    )
    return IndicatorTemplate(
        code=row.code,
        name_id=row.name_id,
        name_en=row.name_en,
        job_types=frozenset(JobType(job) for job in row.job_types),
        aspect=Aspect(row.aspect),
        unit=row.unit_of_measure,
        direction=Direction(row.direction),
        aggregation=Aggregation(row.aggregation),
        qualitative=row.qualitative,
        value_range=value_range,
        region_id=row.region_id,
    )


async def load_template_library(session: AsyncSession, region_id: str) -> TemplateLibrary:
    """The national defaults with this region's own templates added."""
    library = TemplateLibrary(NATIONAL_TEMPLATES)
    rows = (
        await session.execute(
            select(indicator_templates)
            .where(indicator_templates.c.region_id == region_id)
            .order_by(indicator_templates.c.created_at)
        )
    ).all()
    for row in rows:
        library.add_region_template(template_from_row(row), replace_national=row.replaces_national)
    return library
