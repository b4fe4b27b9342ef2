"""Cascade view: how approved plans' results support each other from the head down (cascading)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from services.planning.domain.organisation import Nip, SupervisorTree
from services.planning.domain.work_plan import PlannedResult, PlanStatus, ResultKind, ResultRef, WorkPlan


@dataclass(frozen=True, slots=True)
class CascadeNode:
    """One approved planned result with the subordinates' results that support it."""

    ref: ResultRef
    plan_id: str
    result: PlannedResult
    children: tuple[CascadeNode, ...]

    @property
    def owner(self) -> Nip:
        """The employee whose result this is."""
        return self.ref.owner

    def walk(self) -> Iterator[CascadeNode]:
        """This node and every node below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class CascadeGap:
    """A supervisor's main result that no subordinate's approved plan supports (RHK tanpa intervensi)."""

    owner: Nip
    result: PlannedResult
    subordinates_without_approved_plan: tuple[Nip, ...]


@dataclass(frozen=True, slots=True)
class CascadeView:
    """The cascade of a year's approved plans within a unit or region, and where it breaks."""

    year: int
    roots: tuple[CascadeNode, ...]
    gaps: tuple[CascadeGap, ...]
    unlinked: tuple[ResultRef, ...]
    """Results of employees below the top that support nothing among the given plans."""
    dangling: tuple[ResultRef, ...]
    """Results below the top whose link points at a result missing from the given approved plans."""


def build_cascade(plans: Iterable[WorkPlan], tree: SupervisorTree, *, year: int, on: date) -> CascadeView:
    """Build the cascade of `year` from the approved plans given, using supervisors as of `on`.

    Plans that are not approved or of another year are ignored; of several approved versions of one
    employee's plan the highest version counts. Owners with no supervisor among the plan owners are
    the top of the view. A gap is a MAIN result of someone with subordinates on `on` that no approved
    result supports; additional (tambahan) results need no support.
    """
    current: dict[Nip, WorkPlan] = {}
    for plan in plans:
        if plan.status is not PlanStatus.APPROVED or plan.year != year:
            continue
        known = current.get(plan.employee)
        if known is None or plan.version > known.version:
            current[plan.employee] = plan

    results: dict[ResultRef, tuple[WorkPlan, PlannedResult]] = {
        ResultRef(plan.employee, year, result.id): (plan, result)
        for plan in current.values()
        for result in plan.results
    }
    children: dict[ResultRef, list[ResultRef]] = {}
    for ref, (_, result) in results.items():
        if result.supports is not None and result.supports in results:
            children.setdefault(result.supports, []).append(ref)

    top_owners = {
        owner
        for owner in current
        if owner not in tree or not any(boss.nip in current for boss in tree.chain_of_supervisors(owner, on))
    }

    depth_of = {owner: _depth(tree, owner, on) for owner in current}
    ordered = sorted(results, key=lambda r: (depth_of[r.owner], r.owner, _result_order(results, r)))
    visited: set[ResultRef] = set()

    def node(ref: ResultRef) -> CascadeNode:
        visited.add(ref)
        plan, result = results[ref]
        kids = sorted(children.get(ref, []), key=lambda r: (r.owner, _result_order(results, r)))
        return CascadeNode(ref, plan.id, result, tuple(node(kid) for kid in kids if kid not in visited))

    roots = tuple(
        node(ref)
        for ref in ordered
        if ref.owner in top_owners and (results[ref][1].supports not in results) and ref not in visited
    )
    unlinked: list[ResultRef] = []
    dangling: list[ResultRef] = []
    for ref in ordered:
        if ref in visited:
            continue
        supports = results[ref][1].supports
        if supports is None or supports in results:
            # A link inside the set not reached from the top means a loop of links; treat as unlinked.
            unlinked.append(ref)
        else:
            dangling.append(ref)

    gaps: list[CascadeGap] = []
    for ref in ordered:
        plan, result = results[ref]
        if result.kind is not ResultKind.MAIN or children.get(ref) or ref.owner not in tree:
            continue
        subordinates = tree.direct_subordinates(ref.owner, on)
        if not subordinates:
            continue
        without_plan = tuple(sorted(s.nip for s in subordinates if s.nip not in current))
        gaps.append(CascadeGap(ref.owner, result, without_plan))
    return CascadeView(year, roots, tuple(gaps), tuple(unlinked), tuple(dangling))


def _depth(tree: SupervisorTree, owner: Nip, on: date) -> int:
    return len(tree.chain_of_supervisors(owner, on)) if owner in tree else 0


def _result_order(results: dict[ResultRef, tuple[WorkPlan, PlannedResult]], ref: ResultRef) -> int:
    plan, result = results[ref]
    return plan.results.index(result)
