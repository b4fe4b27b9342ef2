"""A region's organisation units (perangkat daerah and their sub-units) as a tree."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters import repository
from services.planning.adapters.tables import units
from services.planning.domain.organisation import (
    OrganisationUnit,
    UnitKind,
    UnitTree,
)
from services.planning.service_layer.errors import in_api_terms
from services.planning.service_layer.organisation.regions import require_region
from services.planning.service_layer.schemas import UnitCreate, UnitRead, UnitUpdate
from shared.contracts.planning import UnitUpserted
from shared.refusals import Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork

#: Length of the unit id column: the region id, a dot and the unit code.
UNIT_ID_LENGTH = 64


def _unit_read(row: Any) -> UnitRead:
    return UnitRead(
        unit_id=row.unit_id,
        region_id=row.region_id,
        code=row.code,
        name=row.name,
        kind=row.kind,
        parent_unit_id=row.parent_unit_id,
        organisation_predicate=row.organisation_predicate,
    )


def _unit_event(unit: UnitRead) -> UnitUpserted:
    return UnitUpserted(**unit.model_dump())


def _parent_code(unit_rows: dict[str, Row[Any]], parent_unit_id: str | None) -> str | None:
    if parent_unit_id is None:
        return None
    parent = unit_rows.get(parent_unit_id)
    if parent is None:
        raise Refusal(
            "unknown_unit",
            "The parent unit %(parent_unit_id)s does not exist in this region.",
            field="parent_unit_id",
            params={"parent_unit_id": repr(parent_unit_id)},
        )
    return str(parent.code)


async def create_unit(*, uow: UnitOfWork, region_id: str, unit_in: UnitCreate) -> UnitRead:
    """Add an organisational unit under the region or under a parent unit of the same region."""
    await require_region(uow.session, region_id, lock=True)
    tree, unit_rows = await repository.load_units(uow.session, region_id)
    parent_code = _parent_code(unit_rows, unit_in.parent_unit_id)
    try:
        tree.add(OrganisationUnit(region_id, unit_in.code, unit_in.name, UnitKind(unit_in.kind), parent_code))
    except Refusal as error:
        raise in_api_terms(error) from None
    unit_id = f"{region_id}.{unit_in.code}"
    if len(unit_id) > UNIT_ID_LENGTH:
        raise Refusal(
            "code_too_long",
            "Unit code %(code)s is too long for this region; use at most %(max_length)s characters.",
            field="code",
            params={"code": repr(unit_in.code), "max_length": UNIT_ID_LENGTH - len(region_id) - 1},
        )
    unit = UnitRead(unit_id=unit_id, region_id=region_id, **unit_in.model_dump())
    await uow.session.execute(insert(units).values(**unit.model_dump()))
    uow.emit(_unit_event(unit))
    return unit


async def update_unit(*, uow: UnitOfWork, region_id: str, unit_id: str, unit_in: UnitUpdate) -> UnitRead:
    """Rename, re-kind, move under another parent or set the organisation predicate of a unit."""
    await require_region(uow.session, region_id, lock=True)
    _, unit_rows = await repository.load_units(uow.session, region_id)
    current = unit_rows.get(unit_id)
    if current is None:
        raise Refusal("unknown_unit", "No such unit.", field="unit_id", kind=RefusalKind.NOT_FOUND)
    changes = unit_in.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise Refusal("missing_value", "A unit needs a name.", field="name")
    if "kind" in changes and changes["kind"] is None:
        raise Refusal("missing_value", "A unit needs a kind.", field="kind")
    merged = {**_unit_read(current).model_dump(), **changes}
    parent_code = _parent_code(unit_rows, merged["parent_unit_id"])
    # Walking up from the new parent must never reach the unit itself.
    ancestor = merged["parent_unit_id"]
    while ancestor is not None:
        if ancestor == unit_id:
            raise Refusal(
                "unit_cycle",
                "Unit %(code)s cannot sit under one of its own sub-units.",
                field="parent_unit_id",
                kind=RefusalKind.CONFLICT,
                params={"code": current.code},
            )
        ancestor = unit_rows[ancestor].parent_unit_id
    rebuilt = [
        OrganisationUnit(
            region_id,
            row.code,
            merged["name"] if row.unit_id == unit_id else row.name,
            UnitKind(merged["kind"] if row.unit_id == unit_id else row.kind),
            parent_code
            if row.unit_id == unit_id
            else (None if row.parent_unit_id is None else unit_rows[row.parent_unit_id].code),
        )
        for row in unit_rows.values()
    ]
    try:
        UnitTree(region_id, rebuilt)
    except Refusal as error:
        raise in_api_terms(error) from None
    unit = UnitRead(**merged)
    await uow.session.execute(
        update(units)
        .where(units.c.unit_id == unit_id, units.c.region_id == region_id)
        .values(
            name=unit.name,
            kind=unit.kind,
            parent_unit_id=unit.parent_unit_id,
            organisation_predicate=unit.organisation_predicate,
        )
    )
    uow.emit(_unit_event(unit))
    return unit


async def list_units(*, session: AsyncSession, region_id: str) -> list[UnitRead]:
    """Every unit of a region, parents before children."""
    tree, unit_rows = await repository.load_units(session, region_id)
    ordered: list[UnitRead] = []
    for agency in tree.children(None):
        for unit in (agency, *tree.descendants(agency.code)):
            ordered.append(_unit_read(unit_rows[f"{region_id}.{unit.code}"]))
    return ordered
