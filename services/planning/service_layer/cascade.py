"""The cascade view: approved planned results from the head down, with the gaps where support is missing."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters import repository
from services.planning.domain.cascade import CascadeNode, build_cascade
from services.planning.domain.organisation import Nip
from services.planning.service_layer.organisation.regions import today_in_region
from services.planning.service_layer.schemas import (
    CascadeGapRead,
    CascadeNodeRead,
    CascadeRead,
    ResultRefRead,
)
from services.planning.service_layer.work_plans import plan_day
from shared.auth import Principal, Role
from shared.refusals import Refusal, RefusalKind


async def cascade_view(
    *, session: AsyncSession, principal: Principal, year: int, unit_id: str | None, on: date | None
) -> CascadeRead:
    """The cascade of a year's approved plans for the region, a unit (with sub-units) or a rater's team."""
    region_id = principal.region
    day = on or plan_day(year, await today_in_region(session, region_id))
    organisation = await repository.load_organisation(session, region_id)
    tree = organisation.tree
    enrolled = set(tree.supervisor_map(day))
    scope: set[Nip] = set(enrolled)
    if unit_id is not None:
        code = organisation.unit_code(unit_id)
        if code is None:
            raise Refusal("unknown_unit", "No such unit.", field="unit_id", kind=RefusalKind.NOT_FOUND)
        codes = {code, *(unit.code for unit in organisation.units.descendants(code))}
        scope = {nip for nip in scope if tree.unit_on(nip, day) in codes}
    if not principal.has(Role.REGION_ADMIN, Role.AUDITOR):
        # A rater sees their own team: themselves and everyone below them on that day.
        own = organisation.nip_of.get(principal.employee_id or "")
        team = (
            set()
            if own is None or own not in enrolled
            else {own, *(e.nip for e in tree.subordinates(own, day))}
        )
        scope &= team
    rows = await repository.plan_rows(
        session,
        region_id,
        year=year,
        statuses=["approved"],
        employee_ids=sorted(organisation.employee_id_of[nip] for nip in scope),
    )
    records = await repository.records_from_rows(session, region_id, rows)
    public_id = {
        (record.plan.employee, local): public
        for record in records
        for local, public in record.public_result_ids.items()
    }
    view = build_cascade([record.plan for record in records], tree, year=year, on=day)

    def employee_id(nip: Nip) -> str:
        return organisation.employee_id_of[nip]

    def node(cascade_node: CascadeNode) -> CascadeNodeRead:
        return CascadeNodeRead(
            result_id=public_id[(cascade_node.owner, cascade_node.ref.result_id)],
            plan_id=cascade_node.plan_id,
            employee_id=employee_id(cascade_node.owner),
            kind=cascade_node.result.kind.value,
            text=cascade_node.result.text,
            children=[node(child) for child in cascade_node.children],
        )

    planned = {record.plan.employee for record in records}
    return CascadeRead(
        year=year,
        on=day,
        unit_id=unit_id,
        roots=[node(root) for root in view.roots],
        gaps=[
            CascadeGapRead(
                employee_id=employee_id(gap.owner),
                result_id=public_id[(gap.owner, gap.result.id)],
                text=gap.result.text,
                subordinates_without_approved_plan=[
                    employee_id(n) for n in gap.subordinates_without_approved_plan
                ],
            )
            for gap in view.gaps
        ],
        unlinked=[
            ResultRefRead(employee_id=employee_id(ref.owner), result_id=public_id[(ref.owner, ref.result_id)])
            for ref in view.unlinked
        ],
        dangling=[
            ResultRefRead(employee_id=employee_id(ref.owner), result_id=public_id[(ref.owner, ref.result_id)])
            for ref in view.dangling
        ],
        employees_without_approved_plan=sorted(employee_id(nip) for nip in scope - planned),
    )
