"""A region (pemerintah daerah) and its organisational units as a tree: agencies, sections, service points."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from services.planning.domain.organisation.names import require_text, validate_region_id, validate_unit_code
from shared.refusals import Refusal, RefusalKind


@dataclass(frozen=True, slots=True)
class Region:
    """A regional government (pemerintah daerah) sharing the platform; its id is a short slug."""

    id: str
    name: str

    def __post_init__(self) -> None:
        validate_region_id(self.id, "id")
        require_text(self.name, "name")


class UnitKind(StrEnum):
    """Level of an organisational unit below the region."""

    AGENCY = "agency"
    """Dinas / OPD (perangkat daerah), directly under the region."""
    SECTION = "section"
    """Bidang, seksi or subbagian inside an agency."""
    SERVICE_POINT = "service_point"
    """Where citizens are served: UPT, sekolah, puskesmas, loket layanan."""


_ALLOWED_PARENT_KINDS: dict[UnitKind, frozenset[UnitKind]] = {
    UnitKind.AGENCY: frozenset(),
    UnitKind.SECTION: frozenset({UnitKind.AGENCY, UnitKind.SECTION}),
    UnitKind.SERVICE_POINT: frozenset({UnitKind.AGENCY, UnitKind.SECTION}),
}


def unit_parent_problem(
    kind: UnitKind, parent_kind: UnitKind | None, field: str = "parent_code"
) -> Refusal | None:
    """Say why a unit of `kind` may not sit under a parent of `parent_kind` (None: the region), if so."""
    allowed = _ALLOWED_PARENT_KINDS[kind]
    if parent_kind is None:
        if not allowed:
            return None
        return Refusal(
            "unit_needs_parent",
            "a %(kind)s unit must have a parent unit",
            field=field,
            params={"kind": kind.value},
        )
    if parent_kind in allowed:
        return None
    if not allowed:
        return Refusal(
            "unit_must_be_top_level",
            "a %(kind)s unit sits directly under the region and has no parent unit",
            field=field,
            params={"kind": kind.value},
        )
    return Refusal(
        "unit_parent_kind",
        "a %(kind)s unit cannot sit under a %(parent_kind)s unit",
        field=field,
        params={"kind": kind.value, "parent_kind": parent_kind.value},
    )


@dataclass(frozen=True, slots=True)
class OrganisationUnit:
    """An organisational unit (unit organisasi) of a region: agency, section or service point."""

    region_id: str
    code: str
    name: str
    kind: UnitKind
    parent_code: str | None = None

    def __post_init__(self) -> None:
        validate_region_id(self.region_id)
        validate_unit_code(self.code)
        require_text(self.name, "name")
        if self.parent_code is not None:
            validate_unit_code(self.parent_code, "parent_code")
            if self.parent_code == self.code:
                raise Refusal(
                    "unit_own_parent",
                    "unit %(code)s cannot be its own parent",
                    field="parent_code",
                    params={"code": self.code},
                )


class UnitTree:
    """The organisational units of one region, rooted at the region itself."""

    def __init__(self, region_id: str, units: Iterable[OrganisationUnit] = ()) -> None:
        validate_region_id(region_id)
        self._region_id = region_id
        self._units: dict[str, OrganisationUnit] = {}
        self._children: dict[str | None, list[str]] = {None: []}
        pending = list(units)
        # Accept units in any order: add those whose parent is known until no progress is made.
        while pending:
            ready: list[OrganisationUnit] = []
            still_pending: list[OrganisationUnit] = []
            for unit in pending:
                parent_known = unit.parent_code is None or unit.parent_code in self._units
                (ready if parent_known else still_pending).append(unit)
            if not ready:
                self.add(still_pending[0])  # raises the precise "parent missing" error
            for unit in ready:
                self.add(unit)
            pending = still_pending

    @property
    def region_id(self) -> str:
        """Slug of the region these units belong to."""
        return self._region_id

    def add(self, unit: OrganisationUnit) -> None:
        """Add a unit whose parent is already in the tree (or a top-level agency)."""
        if unit.region_id != self._region_id:
            raise Refusal(
                "cross_region",
                "unit %(code)s belongs to region %(region_id)s, not %(region_id_2)s",
                field="region_id",
                params={"code": unit.code, "region_id": unit.region_id, "region_id_2": self._region_id},
            )
        if unit.code in self._units:
            raise Refusal(
                "duplicate_unit",
                "unit code %(code)s already exists",
                field="code",
                params={"code": unit.code},
                kind=RefusalKind.CONFLICT,
            )
        parent_kind: UnitKind | None = None
        if unit.parent_code is not None:
            parent = self._units.get(unit.parent_code)
            if parent is None:
                raise Refusal(
                    "unknown_parent_unit",
                    "parent unit %(parent_code)s of %(code)s does not exist",
                    field="parent_code",
                    params={"parent_code": unit.parent_code, "code": unit.code},
                )
            parent_kind = parent.kind
        problem = unit_parent_problem(unit.kind, parent_kind)
        if problem is not None:
            raise problem
        self._units[unit.code] = unit
        self._children.setdefault(unit.parent_code, []).append(unit.code)
        self._children[unit.code] = []

    def get(self, code: str) -> OrganisationUnit:
        """Return the unit with this code or refuse naming it."""
        try:
            return self._units[code]
        except KeyError:
            raise Refusal(
                "unknown_unit", "unit %(code)s does not exist", field="unit_code", params={"code": code}
            ) from None

    def __contains__(self, code: object) -> bool:
        return code in self._units

    def __iter__(self) -> Iterator[OrganisationUnit]:
        return iter(self._units.values())

    def __len__(self) -> int:
        return len(self._units)

    def children(self, code: str | None) -> tuple[OrganisationUnit, ...]:
        """Direct child units of `code`, or the agencies when `code` is None (the region)."""
        if code is not None:
            self.get(code)
        return tuple(self._units[c] for c in self._children.get(code, []))

    def ancestors(self, code: str) -> tuple[OrganisationUnit, ...]:
        """Units above `code`, nearest first, ending at its agency."""
        result: list[OrganisationUnit] = []
        parent_code = self.get(code).parent_code
        while parent_code is not None:
            parent = self._units[parent_code]
            result.append(parent)
            parent_code = parent.parent_code
        return tuple(result)

    def descendants(self, code: str) -> tuple[OrganisationUnit, ...]:
        """All units below `code`, breadth first."""
        self.get(code)
        result: list[OrganisationUnit] = []
        queue = deque(self._children[code])
        while queue:
            unit = self._units[queue.popleft()]
            result.append(unit)
            queue.extend(self._children[unit.code])
        return tuple(result)

    def agency_of(self, code: str) -> OrganisationUnit:
        """The agency (dinas / OPD) a unit belongs to; an agency is its own."""
        ancestors = self.ancestors(code)
        return ancestors[-1] if ancestors else self.get(code)
