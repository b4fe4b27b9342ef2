"""The dated supervisor tree of a region: who works where, in which position, rated by whom, on any day."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from services.planning.domain.organisation.employees import Employee, Position
from services.planning.domain.organisation.names import validate_region_id, validate_unit_code
from services.planning.domain.organisation.nip import Nip
from services.planning.domain.organisation.timeline import Timeline
from services.planning.domain.organisation.units import UnitTree
from shared.refusals import Refusal, RefusalKind


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
        self._supervisors: dict[Nip, Timeline[Nip | None]] = {}
        self._unit_codes: dict[Nip, Timeline[str]] = {}
        self._positions: dict[Nip, Timeline[Position]] = {}
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
        units: Timeline[str] = Timeline()
        positions: Timeline[Position] = Timeline()
        supervisors: Timeline[Nip | None] = Timeline()
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
        self._unit_codes[employee.nip] = Timeline()
        self._unit_codes[employee.nip].set(effective_from, unit_code)
        self._positions[employee.nip] = Timeline()
        self._positions[employee.nip].set(effective_from, position)
        self._supervisors[employee.nip] = Timeline()
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
