"""Regions, organisational units, positions, employees and the dated supervisor tree of a region."""

from __future__ import annotations

import bisect
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import Enum, StrEnum
from typing import Generic, TypeVar

from shared.refusals import Refusal, RefusalKind

_REGION_ID = re.compile(r"[a-z][a-z0-9-]{1,31}")
_UNIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")
_NIP_LENGTH = 18
# UU ASN: applicants must be at least 18 when appointed; a NIP claiming otherwise is mistyped.
_MIN_APPOINTMENT_AGE = 18
_MIN_YEAR = 1900


def validate_region_id(region_id: str, field: str = "region_id") -> None:
    """Refuse a region id that is not a short lowercase slug such as "medan"."""
    if not _REGION_ID.fullmatch(region_id):
        raise Refusal(
            "invalid_region_id",
            "region id %(region_id)s must be a lowercase slug of 2-32 characters (a-z, 0-9, '-')",
            field=field,
            params={"region_id": repr(region_id)},
        )


def validate_unit_code(code: str, field: str = "code") -> None:
    """Refuse a unit code that is empty, too long or uses characters outside [A-Za-z0-9._/-]."""
    if not _UNIT_CODE.fullmatch(code):
        raise Refusal(
            "invalid_unit_code",
            "unit code %(code)s must be 1-40 characters of letters, digits, '.', '_', '/', '-'",
            field=field,
            params={"code": repr(code)},
        )


def _require_text(value: str, field: str) -> None:
    if not value.strip():
        raise Refusal("missing_value", "%(field)s must not be empty", field=field, params={"field": field})


@dataclass(frozen=True, slots=True)
class Region:
    """A regional government (pemerintah daerah) sharing the platform; its id is a short slug."""

    id: str
    name: str

    def __post_init__(self) -> None:
        validate_region_id(self.id, "id")
        _require_text(self.name, "name")


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
        _require_text(self.name, "name")
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


class JobType(StrEnum):
    """Kind of job (jenis jabatan) that decides which indicator templates apply."""

    TEACHER = "teacher"
    SCHOOL_SUPERVISOR = "school_supervisor"
    HEALTH_WORKER = "health_worker"
    FRONT_OFFICE_CLERK = "front_office_clerk"
    ID_CARD_REGISTRAR = "id_card_registrar"
    PERMIT_OFFICER = "permit_officer"
    STRUCTURAL_HEAD = "structural_head"
    GENERAL_STAFF = "general_staff"

    @property
    def name_id(self) -> str:
        """Indonesian name of the job type."""
        return _JOB_TYPE_NAMES_ID[self]

    @classmethod
    def parse(cls, text: str, field: str = "job_type") -> JobType:
        """Read a job type from its English code or a common Indonesian name ("guru", "kepala")."""
        key = re.sub(r"[\s\-]+", "_", text.strip().lower())
        try:
            return cls(key)
        except ValueError:
            pass
        found = _JOB_TYPE_ALIASES.get(key)
        if found is None:
            raise Refusal(
                "unknown_job_type",
                "unknown job type %(text)s; expected one of %(choices)s",
                field=field,
                params={"text": repr(text), "choices": ", ".join(t.value for t in cls)},
            )
        return found


_JOB_TYPE_NAMES_ID: dict[JobType, str] = {
    JobType.TEACHER: "Guru",
    JobType.SCHOOL_SUPERVISOR: "Pengawas Sekolah",
    JobType.HEALTH_WORKER: "Tenaga Kesehatan",
    JobType.FRONT_OFFICE_CLERK: "Petugas Pelayanan (Front Office)",
    JobType.ID_CARD_REGISTRAR: "Petugas Registrasi KTP-el",
    JobType.PERMIT_OFFICER: "Petugas Perizinan",
    JobType.STRUCTURAL_HEAD: "Kepala / Pejabat Struktural",
    JobType.GENERAL_STAFF: "Pelaksana / Staf Umum",
}

_JOB_TYPE_ALIASES: dict[str, JobType] = {
    "guru": JobType.TEACHER,
    "pengawas_sekolah": JobType.SCHOOL_SUPERVISOR,
    "tenaga_kesehatan": JobType.HEALTH_WORKER,
    "nakes": JobType.HEALTH_WORKER,
    "petugas_pelayanan": JobType.FRONT_OFFICE_CLERK,
    "front_office": JobType.FRONT_OFFICE_CLERK,
    "petugas_registrasi_ktp_el": JobType.ID_CARD_REGISTRAR,
    "petugas_registrasi_ktp": JobType.ID_CARD_REGISTRAR,
    "petugas_perizinan": JobType.PERMIT_OFFICER,
    "kepala": JobType.STRUCTURAL_HEAD,
    "head": JobType.STRUCTURAL_HEAD,
    "pejabat_struktural": JobType.STRUCTURAL_HEAD,
    "pelaksana": JobType.GENERAL_STAFF,
    "staf": JobType.GENERAL_STAFF,
    "staf_umum": JobType.GENERAL_STAFF,
}


@dataclass(frozen=True, slots=True)
class Position:
    """A position (jabatan) held by an employee; its job type selects the indicator templates."""

    title: str
    job_type: JobType

    def __post_init__(self) -> None:
        _require_text(self.title, "position")


class Sex(Enum):
    """Sex digit of a NIP (jenis kelamin): 1 male, 2 female."""

    MALE = "1"
    FEMALE = "2"


def nip_problem(text: str, field: str = "nip") -> Refusal | None:
    """Say precisely why `text` is not a valid 18-digit NIP, or None when it is valid."""

    if len(text) != _NIP_LENGTH or not text.isascii() or not text.isdigit():
        for index, char in enumerate(text, start=1):
            if not ("0" <= char <= "9"):
                return Refusal(
                    "nip_not_digits",
                    "NIP must contain only digits; %(char)s at position %(index)s",
                    field=field,
                    params={"char": repr(char), "index": index},
                )
        return Refusal(
            "nip_length", "NIP must have 18 digits, got %(count)s", field=field, params={"count": len(text)}
        )
    birth_part, appointment_part, sex_digit, sequence = text[:8], text[8:14], text[14], text[15:]
    try:
        birth = date(int(birth_part[:4]), int(birth_part[4:6]), int(birth_part[6:]))
    except ValueError:
        birth = None
    if birth is None or birth.year < _MIN_YEAR:
        return Refusal(
            "nip_birth_date",
            "NIP digits 1-8 must be a birth date yyyymmdd; %(birth_part)s is not a valid date",
            field=field,
            params={"birth_part": repr(birth_part)},
        )
    year, month = int(appointment_part[:4]), int(appointment_part[4:])
    if year < _MIN_YEAR or not 1 <= month <= 12:
        return Refusal(
            "nip_appointment",
            "NIP digits 9-14 must be an appointment month yyyymm; %(appointment_part)s is not valid",
            field=field,
            params={"appointment_part": repr(appointment_part)},
        )
    if (year, month) < (birth.year + _MIN_APPOINTMENT_AGE, birth.month):
        return Refusal(
            "nip_appointment_age",
            "NIP appointment %(appointment_part)s is before the 18th birthday of someone born %(birth)s",
            field=field,
            params={"appointment_part": appointment_part, "birth": birth.isoformat()},
        )
    if sex_digit not in ("1", "2"):
        return Refusal(
            "nip_sex",
            "NIP digit 15 must be 1 (male) or 2 (female), got %(sex_digit)s",
            field=field,
            params={"sex_digit": sex_digit},
        )
    if sequence == "000":
        return Refusal("nip_sequence", "NIP digits 16-18 (sequence number) must not be 000", field=field)
    return None


@dataclass(frozen=True, slots=True, order=True)
class Nip:
    """Nomor Induk Pegawai: birth yyyymmdd + appointment yyyymm + sex digit (1/2) + 3-digit sequence."""

    value: str

    def __post_init__(self) -> None:
        problem = nip_problem(self.value)
        if problem is not None:
            raise problem

    @classmethod
    def parse(cls, text: str, field: str = "nip") -> Nip:
        """Read a NIP as typed by people: spaces between its groups are ignored."""
        compact = "".join(text.split())
        problem = nip_problem(compact, field)
        if problem is not None:
            raise problem
        return cls(compact)

    @property
    def birth_date(self) -> date:
        """Date of birth encoded in digits 1-8."""
        return date(int(self.value[:4]), int(self.value[4:6]), int(self.value[6:8]))

    @property
    def appointment(self) -> tuple[int, int]:
        """Year and month of appointment (TMT CPNS/PPPK) encoded in digits 9-14."""
        return int(self.value[8:12]), int(self.value[12:14])

    @property
    def sex(self) -> Sex:
        """Sex encoded in digit 15."""
        return Sex(self.value[14])

    @property
    def sequence(self) -> int:
        """Sequence number encoded in digits 16-18."""
        return int(self.value[15:])

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Employee:
    """A civil servant (ASN / pegawai) of one region."""

    nip: Nip
    name: str
    region_id: str

    def __post_init__(self) -> None:
        _require_text(self.name, "name")
        validate_region_id(self.region_id)


@dataclass(frozen=True, slots=True)
class Move:
    """A dated change of assignment (mutasi): any of new unit, supervisor and position at one date.

    Fields left None are unchanged; to make someone a head without a supervisor use
    `SupervisorTree.assign_supervisor(nip, None, effective_from)`.
    """

    effective_from: date
    unit_code: str | None = None
    supervisor: Employee | None = None
    position: Position | None = None


_T = TypeVar("_T")


class _Timeline(Generic[_T]):
    """Values that each hold from their effective date until the next one."""

    __slots__ = ("_dates", "_values")

    def __init__(self) -> None:
        self._dates: list[date] = []
        self._values: list[_T] = []

    def set(self, effective_from: date, value: _T) -> None:
        index = bisect.bisect_left(self._dates, effective_from)
        if index < len(self._dates) and self._dates[index] == effective_from:
            self._values[index] = value
        else:
            self._dates.insert(index, effective_from)
            self._values.insert(index, value)

    def on(self, day: date) -> _T | None:
        index = bisect.bisect_right(self._dates, day) - 1
        return self._values[index] if index >= 0 else None

    def changes_between(self, after: date, before: date | None) -> Iterator[date]:
        start = bisect.bisect_right(self._dates, after)
        for changed in self._dates[start:]:
            if before is not None and changed >= before:
                return
            yield changed

    @property
    def start(self) -> date:
        return self._dates[0]


class SupervisorTree:
    """Employees of one region with dated units, positions and supervisors (atasan langsung)."""

    def __init__(self, region_id: str, units: UnitTree | None = None) -> None:
        validate_region_id(region_id)
        if units is not None and units.region_id != region_id:
            raise Refusal(
                "cross_region",
                "unit tree of region %(region_id)s given to region %(region_id_2)s",
                field="units",
                params={"region_id": units.region_id, "region_id_2": region_id},
            )
        self._region_id = region_id
        self._units = units
        self._employees: dict[Nip, Employee] = {}
        self._supervisors: dict[Nip, _Timeline[Nip | None]] = {}
        self._unit_codes: dict[Nip, _Timeline[str]] = {}
        self._positions: dict[Nip, _Timeline[Position]] = {}
        self._children_on: dict[date, dict[Nip, list[Nip]]] = {}

    @property
    def region_id(self) -> str:
        """Slug of the region this tree belongs to."""
        return self._region_id

    def __contains__(self, nip: object) -> bool:
        return nip in self._employees

    def __len__(self) -> int:
        return len(self._employees)

    def employees(self) -> tuple[Employee, ...]:
        """Every employee ever enrolled in this region, in enrolment order."""
        return tuple(self._employees.values())

    def employee(self, nip: Nip) -> Employee:
        """Return the enrolled employee with this NIP or refuse naming it."""
        try:
            return self._employees[nip]
        except KeyError:
            raise Refusal(
                "unknown_employee",
                "employee %(nip)s is not enrolled in region %(region_id)s",
                field="nip",
                params={"nip": nip, "region_id": self._region_id},
            ) from None

    def restore(self, employee: Employee, history: Iterable[tuple[date, str, Position, Nip | None]]) -> None:
        """Reload an employee's stored history (date, unit code, position, supervisor) without re-judging it.

        For repositories rehydrating the tree: stored histories were judged when recorded, and an
        imported snapshot may name a supervisor enrolled later than the subordinate's own date.
        """
        self._require_same_region(employee, "employee")
        entries = sorted(history, key=lambda entry: entry[0])
        if not entries:
            raise Refusal(
                "missing_value",
                "employee %(nip)s has no assignment to restore",
                field="history",
                params={"nip": employee.nip},
            )
        self._employees[employee.nip] = employee
        units: _Timeline[str] = _Timeline()
        positions: _Timeline[Position] = _Timeline()
        supervisors: _Timeline[Nip | None] = _Timeline()
        for effective_from, unit_code, position, supervisor in entries:
            units.set(effective_from, unit_code)
            positions.set(effective_from, position)
            supervisors.set(effective_from, supervisor)
        self._unit_codes[employee.nip] = units
        self._positions[employee.nip] = positions
        self._supervisors[employee.nip] = supervisors
        self._children_on.clear()

    def enrol(
        self,
        employee: Employee,
        *,
        effective_from: date,
        unit_code: str,
        position: Position,
        supervisor: Employee | None = None,
    ) -> None:
        """Start an employee's history in this region with a unit, position and optional supervisor."""
        self._require_same_region(employee, "employee")
        if employee.nip in self._employees:
            raise Refusal(
                "duplicate_employee",
                "employee %(nip)s is already enrolled",
                field="nip",
                params={"nip": employee.nip},
                kind=RefusalKind.CONFLICT,
            )
        self._require_known_unit(unit_code)
        if supervisor is not None:
            self._check_supervisor(employee.nip, supervisor, effective_from)
        self._employees[employee.nip] = employee
        self._unit_codes[employee.nip] = _Timeline()
        self._unit_codes[employee.nip].set(effective_from, unit_code)
        self._positions[employee.nip] = _Timeline()
        self._positions[employee.nip].set(effective_from, position)
        self._supervisors[employee.nip] = _Timeline()
        self._supervisors[employee.nip].set(effective_from, supervisor.nip if supervisor else None)
        self._children_on.clear()

    def assign_supervisor(self, nip: Nip, supervisor: Employee | None, effective_from: date) -> None:
        """From `effective_from`, `supervisor` rates `nip`; None makes them a head with no supervisor."""
        self._require_enrolled_by(nip, effective_from)
        if supervisor is not None:
            self._check_supervisor(nip, supervisor, effective_from)
        self._supervisors[nip].set(effective_from, supervisor.nip if supervisor else None)
        self._children_on.clear()

    def move_to_unit(self, nip: Nip, unit_code: str, effective_from: date) -> None:
        """From `effective_from`, `nip` works in `unit_code`."""
        self._require_enrolled_by(nip, effective_from)
        self._require_known_unit(unit_code)
        self._unit_codes[nip].set(effective_from, unit_code)

    def assign_position(self, nip: Nip, position: Position, effective_from: date) -> None:
        """From `effective_from`, `nip` holds `position`."""
        self._require_enrolled_by(nip, effective_from)
        self._positions[nip].set(effective_from, position)

    def apply(self, nip: Nip, move: Move) -> None:
        """Apply every change of a move at its date, all or nothing."""
        self._require_enrolled_by(nip, move.effective_from)
        if move.unit_code is not None:
            self._require_known_unit(move.unit_code)
        if move.supervisor is not None:
            self._check_supervisor(nip, move.supervisor, move.effective_from)
        if move.unit_code is not None:
            self.move_to_unit(nip, move.unit_code, move.effective_from)
        if move.position is not None:
            self.assign_position(nip, move.position, move.effective_from)
        if move.supervisor is not None:
            self.assign_supervisor(nip, move.supervisor, move.effective_from)

    def supervisor_on(self, nip: Nip, day: date) -> Employee | None:
        """Who supervised `nip` on `day` (None for a head, or before enrolment)."""
        self.employee(nip)
        supervisor = self._supervisors[nip].on(day)
        return None if supervisor is None else self._employees[supervisor]

    def unit_on(self, nip: Nip, day: date) -> str | None:
        """Code of the unit `nip` worked in on `day` (None before enrolment)."""
        self.employee(nip)
        return self._unit_codes[nip].on(day)

    def position_on(self, nip: Nip, day: date) -> Position | None:
        """Position `nip` held on `day` (None before enrolment)."""
        self.employee(nip)
        return self._positions[nip].on(day)

    def chain_of_supervisors(self, nip: Nip, day: date) -> tuple[Employee, ...]:
        """Supervisors of `nip` on `day`, nearest first, up to the head."""
        self.employee(nip)
        chain: list[Employee] = []
        current = self._supervisors[nip].on(day)
        while current is not None:
            chain.append(self._employees[current])
            current = self._supervisors[current].on(day)
        return tuple(chain)

    def direct_subordinates(self, nip: Nip, day: date) -> tuple[Employee, ...]:
        """Employees whose supervisor on `day` is `nip`."""
        self.employee(nip)
        return tuple(self._employees[n] for n in self._children(day).get(nip, ()))

    def subordinates(self, nip: Nip, day: date) -> tuple[Employee, ...]:
        """Direct and indirect subordinates of `nip` on `day`, breadth first."""
        self.employee(nip)
        children = self._children(day)
        result: list[Employee] = []
        queue = deque(children.get(nip, ()))
        while queue:
            current = queue.popleft()
            result.append(self._employees[current])
            queue.extend(children.get(current, ()))
        return tuple(result)

    def heads_on(self, day: date) -> tuple[Employee, ...]:
        """Employees enrolled by `day` who have no supervisor on that day."""
        return tuple(
            employee
            for nip, employee in self._employees.items()
            if self._unit_codes[nip].on(day) is not None and self._supervisors[nip].on(day) is None
        )

    def supervisor_map(self, day: date) -> dict[Nip, Nip | None]:
        """Every employee enrolled by `day` with their supervisor's NIP on that day."""
        return {
            nip: self._supervisors[nip].on(day)
            for nip in self._employees
            if self._unit_codes[nip].on(day) is not None
        }

    def _children(self, day: date) -> dict[Nip, list[Nip]]:
        cached = self._children_on.get(day)
        if cached is None:
            cached = {}
            for nip, timeline in self._supervisors.items():
                supervisor = timeline.on(day)
                if supervisor is not None:
                    cached.setdefault(supervisor, []).append(nip)
            self._children_on[day] = cached
        return cached

    def _require_same_region(self, employee: Employee, field: str) -> None:
        if employee.region_id != self._region_id:
            raise Refusal(
                "cross_region",
                "employee %(nip)s belongs to region %(region_id)s, not %(region_id_2)s",
                field=field,
                params={"nip": employee.nip, "region_id": employee.region_id, "region_id_2": self._region_id},
            )

    def _require_known_unit(self, unit_code: str) -> None:
        validate_unit_code(unit_code, "unit_code")
        if self._units is not None:
            self._units.get(unit_code)

    def _require_enrolled_by(self, nip: Nip, day: date) -> None:
        self.employee(nip)
        start = self._unit_codes[nip].start
        if day < start:
            raise Refusal(
                "before_enrolment",
                "%(day)s is before %(nip)s was enrolled on %(start)s",
                field="effective_from",
                params={"day": day.isoformat(), "nip": nip, "start": start.isoformat()},
            )

    def _check_supervisor(self, nip: Nip, supervisor: Employee, effective_from: date) -> None:
        self._require_same_region(supervisor, "supervisor")
        self._require_enrolled_by(supervisor.nip, effective_from)
        own = self._supervisors.get(nip)
        # The new link holds until the employee's own next supervisor change, if any.
        until = next(own.changes_between(effective_from, None), None) if own else None
        day = effective_from
        while True:
            chain = [nip, supervisor.nip]
            current: Nip | None = supervisor.nip
            while current is not None and current != nip:
                current = self._supervisors[current].on(day)
                if current is not None:
                    chain.append(current)
            if current == nip:
                path = tuple(str(n) for n in chain)
                arrow = " → ".join(path)
                raise Refusal(
                    "supervisor_cycle",
                    "%(supervisor)s cannot supervise %(employee)s from %(day)s: it would form the cycle "
                    "%(cycle)s",
                    field="supervisor",
                    kind=RefusalKind.CONFLICT,
                    params={
                        "supervisor": supervisor.nip,
                        "employee": nip,
                        "day": day.isoformat(),
                        "cycle": arrow,
                    },
                )
            # The chain above the supervisor only changes when one of its members changes supervisor.
            later = [
                changed
                for member in chain[1:]
                for changed in self._supervisors[member].changes_between(day, until)
            ]
            if not later:
                return
            day = min(later)
