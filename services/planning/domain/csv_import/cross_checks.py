"""Checks across rows and against the region's data.

Duplicate NIPs, units described twice, unit and supervisor cycles, and the reach of a rejection:
a row whose supervisor or parent unit is only on rejected rows is rejected too.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import TypeVar

from services.planning.domain.csv_import.rows import ParsedRow
from services.planning.domain.organisation import (
    Nip,
    OrganisationUnit,
    UnitKind,
    UnitTree,
    unit_parent_problem,
)
from shared.refusals import Label, Refusal

_K = TypeVar("_K", str, Nip)


def _rows_text(rows: list[ParsedRow]) -> str:
    return ", ".join(str(row.number) for row in rows)


class CrossRowChecks:
    """Cross-row checks over parsed rows; every step is linear in the number of rows."""

    def __init__(
        self,
        rows: list[ParsedRow],
        existing_employees: Mapping[Nip, Nip | None],
        existing_units: UnitTree | None,
    ) -> None:
        self.rows = rows
        self.existing_employees = existing_employees
        self.existing_units = existing_units
        self.rows_by_nip: dict[Nip, list[ParsedRow]] = {}
        self.rows_by_unit: dict[str, list[ParsedRow]] = {}
        self.kind_of_unit: dict[str, UnitKind] = {}
        for row in rows:
            if row.nip is not None:
                self.rows_by_nip.setdefault(row.nip, []).append(row)
            if row.unit_code is not None:
                self.rows_by_unit.setdefault(row.unit_code, []).append(row)

    def run(self) -> None:
        """Add every cross-row problem to the rows it concerns, rejections' reach last."""
        self.reject_duplicate_nips()
        self.check_units()
        self.reject_unit_cycles()
        self.reject_unknown_supervisors()
        self.propagate(self.rows)
        cycle_rows = self.reject_supervisor_cycles()
        self.propagate(cycle_rows)

    def existing_unit(self, code: str) -> OrganisationUnit | None:
        if self.existing_units is None or code not in self.existing_units:
            return None
        return self.existing_units.get(code)

    def reject_duplicate_nips(self) -> None:
        # Which of two rows with one NIP is right cannot be known, so both are refused.
        for nip, rows in self.rows_by_nip.items():
            if len(rows) < 2:
                continue
            for row in rows:
                others = _rows_text([other for other in rows if other is not row])
                row.problems.append(
                    Refusal(
                        "duplicate_nip",
                        "NIP %(nip)s also appears in row(s) %(others)s",
                        field="nip",
                        params={"nip": nip, "others": others},
                    )
                )

    def check_units(self) -> None:
        definitions: dict[str, ParsedRow] = {}
        for row in self.rows:
            if not row.alive or row.unit_code is None:
                continue
            first = definitions.setdefault(row.unit_code, row)
            existing = self.existing_unit(row.unit_code)
            if existing is not None:
                self.check_same_unit(row, existing.name, existing.parent_code, existing.kind, "existing")
            elif first is not row:
                self.check_same_unit(row, first.unit_name, first.parent_code, first.unit_kind, first.number)

        for code, first in definitions.items():
            existing = self.existing_unit(code)
            if existing is not None:
                self.kind_of_unit[code] = existing.kind
                continue
            explicit = next(
                (row.unit_kind for row in self.rows_by_unit[code] if row.alive and row.unit_kind),
                None,
            )
            inferred = UnitKind.AGENCY if first.parent_code is None else UnitKind.SECTION
            self.kind_of_unit[code] = explicit or inferred

        for code, first in definitions.items():
            if self.existing_unit(code) is not None:
                continue
            parent = first.parent_code
            problem: Refusal | None
            if parent is not None and parent not in self.rows_by_unit and self.existing_unit(parent) is None:
                problem = Refusal(
                    "unknown_parent_unit",
                    "parent unit %(parent)s is neither in the file nor an existing unit",
                    field="parent_unit_code",
                    params={"parent": parent},
                )
            else:
                parent_kind = None if parent is None else self.parent_kind(parent)
                if parent is not None and parent_kind is None:
                    continue  # Parent only on rejected rows: propagation reports it.
                problem = unit_parent_problem(self.kind_of_unit[code], parent_kind, "parent_unit_code")
            if problem is not None:
                for row in self.rows_by_unit[code]:
                    if row.alive:
                        row.problems.append(problem)

    def parent_kind(self, code: str) -> UnitKind | None:
        existing = self.existing_unit(code)
        return existing.kind if existing is not None else self.kind_of_unit.get(code)

    @staticmethod
    def check_same_unit(
        row: ParsedRow, name: str, parent: str | None, kind: UnitKind | None, source: int | str
    ) -> None:
        differences = []
        if " ".join(row.unit_name.split()).casefold() != " ".join(name.split()).casefold():
            differences.append(f"name {row.unit_name!r} vs {name!r}")
        if row.parent_code != parent:
            differences.append(f"parent {row.parent_code or '-'} vs {parent or '-'}")
        if row.unit_kind is not None and kind is not None and row.unit_kind is not kind:
            differences.append(f"kind {row.unit_kind.value} vs {kind.value}")
        if not differences:
            return
        where_en = "the existing unit" if source == "existing" else f"row {source}"
        where_id = "unit yang sudah ada" if source == "existing" else f"baris {source}"
        detail = "; ".join(differences)
        row.problems.append(
            Refusal(
                "unit_conflict",
                "unit %(unit_code)s is described differently than in %(where)s: %(detail)s",
                field="unit_code",
                params={
                    "unit_code": row.unit_code,
                    "where": Label(en=where_en, id=where_id),
                    "detail": detail,
                },
            )
        )

    def reject_unit_cycles(self) -> None:
        parent_of = {
            code: rows[0].parent_code
            for code, rows in self.rows_by_unit.items()
            if self.existing_unit(code) is None and rows[0].alive
        }
        for code, path in _cycles(parent_of):
            arrow = " → ".join([*path, path[0]])
            for row in self.rows_by_unit[code]:
                if row.alive:
                    row.problems.append(
                        Refusal(
                            "unit_cycle",
                            "unit parents form a cycle: %(arrow)s",
                            field="parent_unit_code",
                            params={"arrow": arrow},
                        )
                    )

    def reject_unknown_supervisors(self) -> None:
        for row in self.rows:
            supervisor = row.supervisor
            if (
                row.alive
                and supervisor is not None
                and supervisor not in self.rows_by_nip
                and supervisor not in self.existing_employees
            ):
                row.problems.append(
                    Refusal(
                        "unknown_supervisor",
                        "supervisor %(supervisor)s is neither in the file nor an existing employee",
                        field="supervisor_nip",
                        params={"supervisor": supervisor},
                    )
                )

    def reject_supervisor_cycles(self) -> list[ParsedRow]:
        supervisor_of: dict[Nip, Nip | None] = {}
        for nip, rows in self.rows_by_nip.items():
            alive = [row for row in rows if row.alive]
            if alive:
                supervisor_of[nip] = alive[0].supervisor
        for nip, supervisor in self.existing_employees.items():
            supervisor_of.setdefault(nip, supervisor)
        rejected: list[ParsedRow] = []
        for nip, path in _cycles(supervisor_of):
            arrow = " → ".join(str(n) for n in [*path, path[0]])
            for row in self.rows_by_nip.get(nip, []):
                if row.alive:
                    row.problems.append(
                        Refusal(
                            "supervisor_cycle",
                            "supervisors form a cycle: %(arrow)s",
                            field="supervisor_nip",
                            params={"arrow": arrow},
                        )
                    )
                    rejected.append(row)
        return rejected

    def propagate(self, seeds: Iterable[ParsedRow]) -> None:
        """Reject rows whose supervisor or parent unit is only on rejected rows, transitively."""
        alive_by_nip = {nip: sum(r.alive for r in rows) for nip, rows in self.rows_by_nip.items()}
        alive_by_unit = {code: sum(r.alive for r in rows) for code, rows in self.rows_by_unit.items()}
        dependents_by_supervisor: dict[Nip, list[ParsedRow]] = {}
        dependents_by_parent: dict[str, list[ParsedRow]] = {}
        for row in self.rows:
            if row.alive and row.supervisor is not None and row.supervisor not in self.existing_employees:
                dependents_by_supervisor.setdefault(row.supervisor, []).append(row)
            if row.alive and row.parent_code is not None and self.existing_unit(row.parent_code) is None:
                dependents_by_parent.setdefault(row.parent_code, []).append(row)

        queue: deque[ParsedRow] = deque(row for row in seeds if not row.alive)
        gone_nips: set[Nip] = set()
        gone_units: set[str] = set()

        def lost(row: ParsedRow) -> None:
            if row.nip is not None and row.nip not in gone_nips and alive_by_nip.get(row.nip, 0) == 0:
                gone_nips.add(row.nip)
                sources = _rows_text(self.rows_by_nip[row.nip])
                for dependent in dependents_by_supervisor.get(row.nip, []):
                    if dependent.alive:
                        dependent.problems.append(
                            Refusal(
                                "supervisor_rejected",
                                "supervisor %(nip)s is only on rejected row(s) %(sources)s",
                                field="supervisor_nip",
                                params={"nip": row.nip, "sources": sources},
                            )
                        )
                        reject(dependent)
            code = row.unit_code
            if code is not None and code not in gone_units and alive_by_unit.get(code, 0) == 0:
                gone_units.add(code)
                sources = _rows_text(self.rows_by_unit[code])
                for dependent in dependents_by_parent.get(code, []):
                    if dependent.alive:
                        dependent.problems.append(
                            Refusal(
                                "parent_unit_rejected",
                                "parent unit %(code)s is only on rejected row(s) %(sources)s",
                                field="parent_unit_code",
                                params={"code": code, "sources": sources},
                            )
                        )
                        reject(dependent)

        def reject(row: ParsedRow) -> None:
            if row.nip is not None:
                alive_by_nip[row.nip] -= 1
            if row.unit_code is not None:
                alive_by_unit[row.unit_code] -= 1
            queue.append(row)

        while queue:
            lost(queue.popleft())


def _cycles(successor: Mapping[_K, _K | None]) -> list[tuple[_K, tuple[_K, ...]]]:
    """Every node on a cycle with the cycle starting at it; each node has at most one successor."""
    done: set[_K] = set()
    found: list[tuple[_K, tuple[_K, ...]]] = []
    for start in successor:
        if start in done:
            continue
        walk: list[_K] = []
        on_walk: set[_K] = set()
        node: _K | None = start
        while node is not None and node not in done and node not in on_walk:
            walk.append(node)
            on_walk.add(node)
            node = successor.get(node)
        if node is not None and node in on_walk:
            cycle: list[_K] = walk[walk.index(node) :]
            for offset, member in enumerate(cycle):
                found.append((member, tuple(cycle[offset:] + cycle[:offset])))
        done.update(walk)
    return found
