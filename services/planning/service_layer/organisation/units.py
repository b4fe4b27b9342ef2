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
from shared.errors import Conflict, NotFound, Unprocessable
from shared.refusals import Refusal
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
        raise Unprocessable(
            "unknown_unit",
            f"The parent unit {parent_unit_id!r} does not exist in this region.",
            f"Unit induk {parent_unit_id!r} tidak ada di daerah ini.",
            field="parent_unit_id",
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
        raise Unprocessable(
            "code_too_long",
            f"Unit code {unit_in.code!r} is too long for this region; use at most "
            f"{UNIT_ID_LENGTH - len(region_id) - 1} characters.",
            f"Kode unit {unit_in.code!r} terlalu panjang untuk daerah ini; gunakan paling banyak "
            f"{UNIT_ID_LENGTH - len(region_id) - 1} karakter.",
            field="code",
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
        raise NotFound("unknown_unit", "No such unit.", "Unit tidak ditemukan.", field="unit_id")
    changes = unit_in.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise Unprocessable(
            "missing_value", "A unit needs a name.", "Unit wajib memiliki nama.", field="name"
        )
    if "kind" in changes and changes["kind"] is None:
        raise Unprocessable("missing_value", "A unit needs a kind.", "Jenis unit wajib diisi.", field="kind")
    merged = {**_unit_read(current).model_dump(), **changes}
    parent_code = _parent_code(unit_rows, merged["parent_unit_id"])
    # Walking up from the new parent must never reach the unit itself.
    ancestor = merged["parent_unit_id"]
    while ancestor is not None:
        if ancestor == unit_id:
            raise Conflict(
                "unit_cycle",
                f"Unit {current.code} cannot sit under one of its own sub-units.",
                f"Unit {current.code} tidak boleh berada di bawah sub-unitnya sendiri.",
                field="parent_unit_id",
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
