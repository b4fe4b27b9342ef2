"""Use cases of the annual work plan (SKP), run through the domain aggregate ``WorkPlan``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters import repository
from services.planning.adapters.repository import PlanRecord
from services.planning.adapters.tables import work_plans
from services.planning.domain.indicators import (
    Aggregation,
    Aspect,
    Direction,
    IndicatorTemplate,
    TemplateLibrary,
)
from services.planning.domain.organisation import JobType, Nip
from services.planning.domain.work_plan import (
    Indicator,
    PeriodScheme,
    PeriodSplit,
    ResultKind,
    Target,
    WorkPlan,
)
from services.planning.metrics import PLANS_DECIDED, PLANS_REVISED
from services.planning.service_layer.errors import in_api_terms
from services.planning.service_layer.organisation import new_id, require_region
from services.planning.service_layer.schemas import (
    IndicatorIn,
    PlannedResultIn,
    PlannedResultRead,
    WorkPlanCreate,
    WorkPlanRead,
    WorkPlanUpdate,
)
from shared.auth import Principal, Role
from shared.contracts.planning import (
    IndicatorSnapshot,
    PlannedResultSnapshot,
    WorkPlanApproved,
    WorkPlanSuperseded,
)
from shared.refusals import Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork


def _unknown_plan() -> Refusal:
    return Refusal("unknown_plan", "No such work plan.", field="plan_id", kind=RefusalKind.NOT_FOUND)


def plan_day(year: int, today: date | None = None) -> date:
    """The day whose assignment decides a plan's rater, unit and job type: today, kept within the year."""
    today = today or datetime.now(UTC).date()
    return min(max(today, date(year, 1, 1)), date(year, 12, 31))


async def _assignment_for_plan(session: AsyncSession, region_id: str, employee_id: str, year: int) -> Any:
    """The employee's assignment on the plan day, or their first one when they start later."""
    found = await repository.assignment_on(session, region_id, employee_id, plan_day(year))
    if found is not None:
        return found
    return await repository.assignment_on(session, region_id, employee_id, date.max)


def plan_read(record: PlanRecord) -> WorkPlanRead:
    """The API view of a stored plan version."""
    plan = record.plan
    return WorkPlanRead(
        plan_id=plan.id,
        region_id=record.region_id,
        employee_id=record.employee_id,
        rater_id=record.rater_id,
        year=plan.year,
        version=plan.version,
        status=record.status,
        results=[PlannedResultRead.model_validate(c) for c in repository.plan_content(record)],
        rejection_reason=plan.rejection_reason,
        previous_plan_id=plan.previous_plan_id,
        superseded_by=record.superseded_by,
    )


def _may_read(principal: Principal, record: PlanRecord) -> bool:
    if principal.has(Role.REGION_ADMIN, Role.AUDITOR):
        return True
    return principal.employee_id is not None and principal.employee_id in (
        record.employee_id,
        record.rater_id,
    )


async def _load_visible(session: AsyncSession, principal: Principal, plan_id: str) -> PlanRecord:
    record = await repository.load_plan(session, principal.region, plan_id)
    if record is None or not _may_read(principal, record):
        raise _unknown_plan()
    return record


async def _decide_alone(session: AsyncSession, region_id: str, plan_id: str) -> None:
    """Hold off any other decision on the same employee's plans of the same year until we commit.

    Two raters' clicks (or one double click) approving at once would otherwise both read
    "submitted": two plans in force, or one plan approved and published twice. The lock is taken
    before the plan is read, so the second decision reads what the first one wrote.
    """
    owner = (
        await session.execute(
            select(work_plans.c.employee_id, work_plans.c.year).where(
                work_plans.c.region_id == region_id, work_plans.c.plan_id == plan_id
            )
        )
    ).first()
    if owner is not None:
        key = f"work-plan-decision:{region_id}:{owner.employee_id}:{owner.year}"
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


def _require_owner(principal: Principal, record: PlanRecord) -> Nip:
    if principal.employee_id != record.employee_id:
        raise Refusal(
            "not_your_plan", "Only the employee whose plan this is may change it.", kind=RefusalKind.FORBIDDEN
        )
    return record.plan.employee


async def _actor_nip(session: AsyncSession, principal: Principal) -> Nip:
    if principal.employee_id is None:
        raise Refusal("not_an_employee", "Your token names no employee.", kind=RefusalKind.FORBIDDEN)
    nips = await repository.employee_nips(session, principal.region, [principal.employee_id])
    if principal.employee_id not in nips:
        raise Refusal(
            "unknown_employee",
            "You are not registered as an employee of this region.",
            kind=RefusalKind.FORBIDDEN,
        )
    return nips[principal.employee_id]


async def _save(session: AsyncSession, record: PlanRecord, *, decided_by: str | None = None) -> None:
    values = repository.plan_values(record)
    extra: dict[str, Any] = {"updated_at": datetime.now(UTC)}
    if decided_by is not None:
        extra |= {"decided_by": decided_by, "decided_at": datetime.now(UTC)}
    await session.execute(
        update(work_plans)
        .where(work_plans.c.region_id == record.region_id, work_plans.c.plan_id == record.plan.id)
        .values(**{k: v for k, v in values.items() if k not in ("plan_id", "region_id")}, **extra)
    )


# Content --------------------------------------------------------------------------------------


class _ContentEditor:
    """Applies a whole requested content to a draft through the aggregate's own operations."""

    def __init__(
        self,
        session: AsyncSession,
        record: PlanRecord,
        *,
        library: TemplateLibrary,
        scheme: PeriodScheme,
        job_type: JobType | None,
    ) -> None:
        self.session = session
        self.record = record
        self.library = library
        self.scheme = scheme
        self.job_type = job_type
        self._rater_plan: PlanRecord | None = None
        self._rater_plan_loaded = False

    @property
    def year(self) -> int:
        return self.record.plan.year

    async def apply(self, results_in: list[PlannedResultIn]) -> None:
        record, plan = self.record, self.record.plan
        actor = plan.employee
        local_of = {public: local for local, public in record.public_result_ids.items()}
        kept: dict[int, str] = {}
        for index, result_in in enumerate(results_in):
            if result_in.result_id is None:
                continue
            local = local_of.get(result_in.result_id)
            if local is None or local in kept.values():
                raise Refusal(
                    "unknown_result",
                    "Result %(result_id)s is not a result of this draft (or is named twice).",
                    field=f"results.{index}.result_id",
                    params={"result_id": repr(result_in.result_id)},
                )
            kept[index] = local
        for local in list(record.public_result_ids):
            if local not in kept.values():
                plan.remove_result(actor, local)
                del record.public_result_ids[local], record.indicator_ids[local]
                record.supports.pop(local, None)
        order: list[str] = []
        for index, result_in in enumerate(results_in):
            kind = ResultKind(result_in.kind)
            if index in kept:
                plan.edit_result(actor, kept[index], kind=kind, text=result_in.text)
                order.append(kept[index])
            else:
                added = plan.add_result(actor, kind, result_in.text)
                record.public_result_ids[added.id] = new_id()
                record.indicator_ids[added.id] = []
                order.append(added.id)
        plan.reorder_results(actor, order)
        for index, (result_in, local) in enumerate(zip(results_in, order, strict=True)):
            await self._apply_indicators(index, local, result_in.indicators)
            await self._apply_link(index, local, result_in.supports_result_id)

    async def _apply_indicators(self, index: int, local: str, indicators_in: list[IndicatorIn]) -> None:
        plan, actor = self.record.plan, self.record.plan.employee
        previous_ids = self.record.indicator_ids[local]
        for _ in range(len(plan.result(local).indicators)):
            plan.remove_indicator(actor, local, 0)
        ids: list[str] = []
        for position, indicator_in in enumerate(indicators_in):
            path = f"results.{index}.indicators.{position}"
            if indicator_in.indicator_id is not None and (
                indicator_in.indicator_id not in previous_ids or indicator_in.indicator_id in ids
            ):
                raise Refusal(
                    "unknown_indicator",
                    "Indicator %(indicator_id)s is not one of this result's (or named twice).",
                    field=f"{path}.indicator_id",
                    params={"indicator_id": repr(indicator_in.indicator_id)},
                )
            plan.add_indicator(actor, local, self._indicator(indicator_in, path))
            ids.append(indicator_in.indicator_id or new_id())
        self.record.indicator_ids[local] = ids

    def _indicator(self, indicator_in: IndicatorIn, path: str) -> Indicator:
        given = indicator_in.model_fields_set
        template: IndicatorTemplate | None = None
        if indicator_in.code is not None:
            try:
                template = self.library.get(self.record.region_id, indicator_in.code)
            except Refusal:
                raise Refusal(
                    "unknown_template",
                    "There is no indicator template %(code)s in this region.",
                    field=f"{path}.code",
                    params={"code": repr(indicator_in.code)},
                ) from None
            if self.job_type is not None and self.job_type not in template.job_types:
                # A template states what a kind of job delivers; another job's would mis-measure.
                offered = ", ".join(sorted(job.value for job in template.job_types))
                raise Refusal(
                    "template_other_job_type",
                    "Template %(template)s is for %(offered)s, not for your job (%(job_type)s).",
                    field=f"{path}.code",
                    params={
                        "template": repr(template.code),
                        "offered": offered,
                        "job_type": self.job_type.value,
                    },
                )

        def pick(name: str, own: Any, from_template: Any) -> Any:
            return own if template is None or name in given else from_template

        unit = indicator_in.unit_of_measure
        if unit is None and template is not None:
            unit = template.unit
        qualitative = template.qualitative if template is not None else indicator_in.target is None
        if qualitative:
            target = Target(quantity=indicator_in.target, statement=indicator_in.qualitative_target or "")
        else:
            target = Target(
                quantity=indicator_in.target, unit=unit or "", statement=indicator_in.qualitative_target or ""
            )
        split = None
        if indicator_in.period_targets:
            prefix = f"{self.year}-"
            for key in indicator_in.period_targets:
                if not key.startswith(prefix):
                    raise Refusal(
                        "outside_plan_year",
                        "Period %(key)s is outside the plan year %(year)s.",
                        field=f"{path}.period_targets",
                        params={"key": repr(key), "year": self.year},
                    )
            split = PeriodSplit.of(
                self.scheme,
                {key.removeprefix(prefix): value for key, value in indicator_in.period_targets.items()},
            )
        return Indicator(
            name=indicator_in.name,
            aspect=Aspect(pick("aspect", indicator_in.aspect, template and template.aspect)),
            direction=Direction(pick("direction", indicator_in.direction, template and template.direction)),
            aggregation=Aggregation(
                pick("aggregation", indicator_in.aggregation, template and template.aggregation)
            ),
            target=target,
            split=split,
            qualitative=qualitative,
            value_range=None if template is None else template.value_range,
            template_code=None if template is None else template.code,
        )

    async def _rater_plan_record(self) -> PlanRecord | None:
        """The rater's plan of the year in force (approved), else their latest version, else None."""
        if not self._rater_plan_loaded:
            rows = await repository.plan_rows(
                self.session, self.record.region_id, employee_id=self.record.rater_id, year=self.year
            )
            approved = [row for row in rows if row.status == "approved"]
            chosen = approved[-1:] or rows[-1:]
            records = await repository.records_from_rows(self.session, self.record.region_id, chosen)
            self._rater_plan = records[0] if records else None
            self._rater_plan_loaded = True
        return self._rater_plan

    async def _apply_link(self, index: int, local: str, supports_result_id: str | None) -> None:
        plan, actor = self.record.plan, self.record.plan.employee
        if supports_result_id is None:
            plan.unlink_result(actor, local)
            self.record.supports.pop(local, None)
            return
        field = f"results.{index}.supports_result_id"
        rater_plan = await self._rater_plan_record()
        if rater_plan is None:
            raise Refusal(
                "rater_plan_not_approved",
                "Your rater has no approved plan for this year to support yet.",
                field=field,
            )
        # An id outside the rater's plan still goes to the aggregate, which refuses it by name.
        rater_local = rater_plan.local_result_id(supports_result_id) or supports_result_id
        try:
            plan.link_result(actor, local, rater_plan.plan, rater_local)
        except Refusal as error:
            raise in_api_terms(error, year=self.year, renames={f"results.{index}.supports": field}) from None
        self.record.supports[local] = (supports_result_id, rater_plan.employee_id)


async def _edit_content(session: AsyncSession, record: PlanRecord, results_in: list[PlannedResultIn]) -> None:
    region = await require_region(session, record.region_id)
    assignment = await _assignment_for_plan(session, record.region_id, record.employee_id, record.plan.year)
    editor = _ContentEditor(
        session,
        record,
        library=await repository.load_template_library(session, record.region_id),
        scheme=repository.period_scheme(region.period_kind),
        job_type=None if assignment is None else repository.job_type_of(assignment.job_type),
    )
    try:
        await editor.apply(results_in)
    except Refusal as error:
        raise in_api_terms(error, year=record.plan.year) from None


# Use cases ------------------------------------------------------------------------------------


async def create_work_plan(*, uow: UnitOfWork, principal: Principal, plan_in: WorkPlanCreate) -> WorkPlanRead:
    """Start the caller's draft work plan (SKP) for a year; the rater is their supervisor on the plan day."""
    session = uow.session
    actor = await _actor_nip(session, principal)
    employee_id = principal.employee_id
    assert employee_id is not None
    existing = await repository.plan_rows(
        session, principal.region, employee_id=employee_id, year=plan_in.year
    )
    if existing:
        latest = existing[-1]
        raise Refusal(
            "plan_exists",
            "You already have a plan for %(year)s (version %(version)s, %(status)s); "
            "revise it instead (plan %(plan_id)s).",
            field="year",
            kind=RefusalKind.CONFLICT,
            params={
                "year": plan_in.year,
                "version": latest.version,
                "status": latest.status,
                "plan_id": latest.plan_id,
            },
        )
    assignment = await _assignment_for_plan(session, principal.region, employee_id, plan_in.year)
    if assignment is None or assignment.supervisor_id is None:
        raise Refusal(
            "no_rater",
            "You have no supervisor to rate your plan; ask your HR office (BKPSDM).",
            field="rater_id",
        )
    rater_nips = await repository.employee_nips(session, principal.region, [assignment.supervisor_id])
    try:
        plan = WorkPlan.start(new_id(), actor, rater_nips[assignment.supervisor_id], plan_in.year)
    except Refusal as error:
        raise in_api_terms(error) from None
    record = PlanRecord(
        plan=plan,
        region_id=principal.region,
        employee_id=employee_id,
        rater_id=assignment.supervisor_id,
        status=plan.status.value,
        public_result_ids={},
        indicator_ids={},
        supports={},
    )
    await _edit_content(session, record, plan_in.results)
    await session.execute(insert(work_plans).values(**repository.plan_values(record)))
    return plan_read(record)


async def update_work_plan(
    *, uow: UnitOfWork, principal: Principal, plan_id: str, plan_in: WorkPlanUpdate
) -> WorkPlanRead:
    """Replace the content of the caller's draft; results and indicators named by id keep their ids."""
    record = await _load_visible(uow.session, principal, plan_id)
    _require_owner(principal, record)
    if record.status != "draft":
        raise Refusal(
            "not_a_draft",
            "Only a draft can be edited; this plan is %(status)s. Revise it to open a new version.",
            field="status",
            kind=RefusalKind.CONFLICT,
            params={"status": record.status},
        )
    await _edit_content(uow.session, record, plan_in.results)
    await _save(uow.session, record)
    return plan_read(record)


async def get_work_plan(*, session: AsyncSession, principal: Principal, plan_id: str) -> WorkPlanRead:
    """A plan version the caller may see: their own, one they rate, or any of the region for HR and audit."""
    return plan_read(await _load_visible(session, principal, plan_id))


async def list_work_plans(
    *,
    session: AsyncSession,
    principal: Principal,
    employee_id: str | None,
    year: int | None,
    status: str | None,
) -> list[WorkPlanRead]:
    """Plan versions the caller may see, filtered by employee, year and status."""
    rater_id = None
    if not principal.has(Role.REGION_ADMIN, Role.AUDITOR):
        if principal.employee_id is None:
            return []
        if employee_id != principal.employee_id:
            # Others' plans only as their rater.
            rater_id = principal.employee_id
    rows = await repository.plan_rows(
        session,
        principal.region,
        employee_id=employee_id,
        year=year,
        statuses=None if status is None else [status],
        rater_id=rater_id,
    )
    if rater_id is not None and employee_id is None:
        rows += await repository.plan_rows(
            session,
            principal.region,
            employee_id=principal.employee_id,
            year=year,
            statuses=None if status is None else [status],
        )
    return [plan_read(r) for r in await repository.records_from_rows(session, principal.region, rows)]


async def submit_work_plan(*, uow: UnitOfWork, principal: Principal, plan_id: str) -> WorkPlanRead:
    """The employee submits their complete draft to the rater."""
    record = await _load_visible(uow.session, principal, plan_id)
    actor = _require_owner(principal, record)
    try:
        record.plan.submit(actor)
    except Refusal as error:
        raise in_api_terms(error, year=record.plan.year) from None
    record.status = record.plan.status.value
    await _save(uow.session, record)
    return plan_read(record)


def _indicator_snapshot(indicator: dict[str, Any]) -> IndicatorSnapshot:
    # A qualitative indicator has no unit of measure; the contract carries an empty one.
    unit = indicator["unit_of_measure"] or ""
    return IndicatorSnapshot.model_validate(indicator | {"unit_of_measure": unit})


def _require_not_own(principal: Principal, record: PlanRecord) -> None:
    if principal.employee_id == record.employee_id:
        raise Refusal("own_plan", "You cannot approve or reject your own plan.", kind=RefusalKind.FORBIDDEN)


async def approve_work_plan(*, uow: UnitOfWork, principal: Principal, plan_id: str) -> WorkPlanRead:
    """The rater approves a submitted plan; it replaces the version in force, and its content is published."""
    session = uow.session
    await _decide_alone(session, principal.region, plan_id)
    record = await _load_visible(session, principal, plan_id)
    _require_not_own(principal, record)
    actor = await _actor_nip(session, principal)
    try:
        record.plan.approve(actor)
    except Refusal as error:
        raise in_api_terms(error) from None
    record.status = record.plan.status.value
    plan = record.plan
    in_force = [
        row
        for row in await repository.plan_rows(
            session, record.region_id, employee_id=record.employee_id, year=plan.year, statuses=["approved"]
        )
        if row.plan_id != plan.id
    ]
    for old in in_force:
        await session.execute(
            update(work_plans)
            .where(work_plans.c.region_id == record.region_id, work_plans.c.plan_id == old.plan_id)
            .values(status="superseded", superseded_by=plan.id, updated_at=datetime.now(UTC))
        )
        uow.emit(
            WorkPlanSuperseded(
                region_id=record.region_id,
                plan_id=old.plan_id,
                employee_id=record.employee_id,
                year=plan.year,
                reason="revised",
                superseded_by_plan_id=plan.id,
            )
        )
    await _save(session, record, decided_by=principal.employee_id)
    assignment = await _assignment_for_plan(session, record.region_id, record.employee_id, plan.year)
    content = repository.plan_content(record)
    uow.emit(
        WorkPlanApproved(
            region_id=record.region_id,
            plan_id=plan.id,
            employee_id=record.employee_id,
            rater_id=record.rater_id,
            unit_id=assignment.unit_id,
            job_type=assignment.job_type,
            year=plan.year,
            version=plan.version,
            results=[
                PlannedResultSnapshot(
                    result_id=result["result_id"],
                    kind=result["kind"],
                    text=result["text"],
                    supports_result_id=result["supports_result_id"],
                    supports_employee_id=result["supports_employee_id"],
                    indicators=[_indicator_snapshot(i) for i in result["indicators"]],
                )
                for result in content
            ],
            previous_plan_id=plan.previous_plan_id,
        )
    )
    PLANS_DECIDED.labels("approved").inc()
    return plan_read(record)


async def reject_work_plan(
    *, uow: UnitOfWork, principal: Principal, plan_id: str, reason: str
) -> WorkPlanRead:
    """The rater sends a submitted plan back with a reason; the employee revises it as a new version."""
    await _decide_alone(uow.session, principal.region, plan_id)
    record = await _load_visible(uow.session, principal, plan_id)
    _require_not_own(principal, record)
    actor = await _actor_nip(uow.session, principal)
    try:
        record.plan.reject(actor, reason)
    except Refusal as error:
        raise in_api_terms(error) from None
    record.status = record.plan.status.value
    await _save(uow.session, record, decided_by=principal.employee_id)
    PLANS_DECIDED.labels("rejected").inc()
    return plan_read(record)


async def revise_work_plan(*, uow: UnitOfWork, principal: Principal, plan_id: str) -> WorkPlanRead:
    """Open a new draft version from the latest approved or rejected version; the old one stays as it was."""
    session = uow.session
    record = await _load_visible(session, principal, plan_id)
    actor = _require_owner(principal, record)
    plan = record.plan
    versions = await repository.plan_rows(
        session, record.region_id, employee_id=record.employee_id, year=plan.year
    )
    latest = versions[-1]
    if latest.plan_id != plan.id:
        raise Refusal(
            "not_latest_version",
            "Version %(version)s (%(status)s) is newer; revise or edit that one.",
            field="plan_id",
            kind=RefusalKind.CONFLICT,
            params={"version": latest.version, "status": latest.status},
        )
    if record.status in repository.RETIRED_STATUSES:
        raise Refusal(
            "plan_retired",
            "This plan is %(status)s and can no longer be revised.",
            field="status",
            kind=RefusalKind.CONFLICT,
            params={"status": record.status},
        )
    assignment = await _assignment_for_plan(session, record.region_id, record.employee_id, plan.year)
    if assignment is None or assignment.supervisor_id is None:
        raise Refusal(
            "no_rater",
            "You have no supervisor to rate your plan; ask your HR office (BKPSDM).",
            field="rater_id",
        )
    rater = (await repository.employee_nips(session, record.region_id, [assignment.supervisor_id]))[
        assignment.supervisor_id
    ]
    try:
        revised = plan.revise(actor, new_id(), rater=rater)
    except Refusal as error:
        raise in_api_terms(error) from None
    new_record = PlanRecord(
        plan=revised,
        region_id=record.region_id,
        employee_id=record.employee_id,
        rater_id=assignment.supervisor_id,
        status=revised.status.value,
        public_result_ids=dict(record.public_result_ids),
        indicator_ids={local: list(ids) for local, ids in record.indicator_ids.items()},
        supports=dict(record.supports),
    )
    await session.execute(insert(work_plans).values(**repository.plan_values(new_record)))
    PLANS_REVISED.inc()
    return plan_read(new_record)


async def withdraw_work_plan(*, uow: UnitOfWork, principal: Principal, plan_id: str) -> WorkPlanRead:
    """HR withdraws the approved plan in force (e.g. the employee left); consumers stop counting it."""
    record = await _load_visible(uow.session, principal, plan_id)
    if record.status != "approved":
        raise Refusal(
            "not_in_force",
            "Only the approved plan in force can be withdrawn; this plan is %(status)s.",
            field="status",
            kind=RefusalKind.CONFLICT,
            params={"status": record.status},
        )
    record.status = "withdrawn"
    await _save(uow.session, record, decided_by=principal.subject[:64])
    uow.emit(
        WorkPlanSuperseded(
            region_id=record.region_id,
            plan_id=record.plan.id,
            employee_id=record.employee_id,
            year=record.plan.year,
            reason="withdrawn",
        )
    )
    return plan_read(record)
