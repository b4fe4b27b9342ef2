"""The work plan (SKP) aggregate: one employee's planned results for a year, edited and reviewed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from services.planning.domain.organisation import Nip
from services.planning.domain.work_plan.events import (
    PlanApproved,
    PlanEvent,
    PlanRejected,
    PlanRevised,
    PlanSubmitted,
)
from services.planning.domain.work_plan.indicator import Indicator
from services.planning.domain.work_plan.lifecycle import (
    PlanStatus,
    require_employee,
    require_rater,
    require_status,
)
from services.planning.domain.work_plan.links import rater_result_ref
from services.planning.domain.work_plan.results import PlannedResult, ResultKind, ResultRef
from services.planning.domain.work_plan.validation import completeness_problems, indicator_problems
from shared.refusals import Refusal, RefusalKind

MIN_YEAR = 2000
MAX_YEAR = 2100


class WorkPlan:
    """Sasaran Kinerja Pegawai (SKP): one employee's plan for one year, reviewed by a rater.

    Only the employee edits, and only in DRAFT. An approved or rejected plan is never edited in
    place: `revise` opens a new DRAFT version with the same content.
    """

    def __init__(
        self,
        *,
        plan_id: str,
        employee: Nip,
        rater: Nip,
        year: int,
        version: int = 1,
        status: PlanStatus = PlanStatus.DRAFT,
        results: tuple[PlannedResult, ...] = (),
        rejection_reason: str | None = None,
        previous_plan_id: str | None = None,
        next_result_number: int | None = None,
    ) -> None:
        if not plan_id.strip():
            raise Refusal("missing_value", "must not be empty", field="plan_id")
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise Refusal(
                "out_of_range",
                "year must be between %(earliest)s and %(latest)s, got %(year)s",
                field="year",
                params={"earliest": MIN_YEAR, "latest": MAX_YEAR, "year": year},
            )
        if version < 1:
            raise Refusal("out_of_range", "version starts at 1", field="version")
        self._id = plan_id
        self._employee = employee
        self._rater = rater
        self._year = year
        self._version = version
        self._status = status
        self._results = results
        self._rejection_reason = rejection_reason
        self._previous_plan_id = previous_plan_id
        # Ids are never reused, so a subordinate's link never silently points at a different result.
        self._next_result_number = next_result_number or len(results) + 1
        self._events: list[PlanEvent] = []

    @classmethod
    def start(cls, plan_id: str, employee: Nip, rater: Nip, year: int) -> WorkPlan:
        """Open a first DRAFT plan for `employee` and `year`, to be reviewed by `rater`."""
        return cls(plan_id=plan_id, employee=employee, rater=rater, year=year)

    @property
    def id(self) -> str:
        """Identifier of this version of the plan."""
        return self._id

    @property
    def employee(self) -> Nip:
        """The employee (ASN) whose plan this is."""
        return self._employee

    @property
    def rater(self) -> Nip:
        """The rater (pejabat penilai kinerja) who approves or rejects it."""
        return self._rater

    @property
    def year(self) -> int:
        """Plan year."""
        return self._year

    @property
    def version(self) -> int:
        """Version number, 1 for the first plan of the year."""
        return self._version

    @property
    def status(self) -> PlanStatus:
        """Current status."""
        return self._status

    @property
    def results(self) -> tuple[PlannedResult, ...]:
        """Planned results (RHK) in order."""
        return self._results

    @property
    def rejection_reason(self) -> str | None:
        """Why the rater rejected the plan, when rejected."""
        return self._rejection_reason

    @property
    def previous_plan_id(self) -> str | None:
        """Id of the version this one revises."""
        return self._previous_plan_id

    @property
    def next_result_number(self) -> int:
        """Number the next added result's id will carry."""
        return self._next_result_number

    def result(self, result_id: str) -> PlannedResult:
        """The planned result with this id, or a refusal naming it."""
        return self._results[self._index_of(result_id)]

    def ref(self, result_id: str) -> ResultRef:
        """A reference to one of this plan's results for a subordinate to support."""
        self.result(result_id)
        return ResultRef(self._employee, self._year, result_id)

    def pull_events(self) -> tuple[PlanEvent, ...]:
        """Events recorded since the last call, oldest first; the list is then emptied."""
        events, self._events = tuple(self._events), []
        return events

    def add_result(self, actor: Nip, kind: ResultKind, text: str) -> PlannedResult:
        """Add a planned result (RHK) and return it with its new id."""
        self._require_editable_by(actor)
        path = f"results[{len(self._results)}].text"
        self._require_text(text, path)
        result = PlannedResult(id=f"R{self._next_result_number}", kind=kind, text=text.strip())
        self._next_result_number += 1
        self._results = (*self._results, result)
        return result

    def edit_result(
        self, actor: Nip, result_id: str, *, kind: ResultKind | None = None, text: str | None = None
    ) -> None:
        """Change the kind and/or text of a planned result."""
        self._require_editable_by(actor)
        index = self._index_of(result_id)
        if text is not None:
            self._require_text(text, f"results[{index}].text")
        current = self._results[index]
        self._replace(
            index,
            replace(current, kind=kind or current.kind, text=current.text if text is None else text.strip()),
        )

    def reorder_results(self, actor: Nip, result_ids: Sequence[str]) -> None:
        """Put the planned results in the given order; every result id must appear exactly once."""
        self._require_editable_by(actor)
        current = [result.id for result in self._results]
        if sorted(result_ids) != sorted(current):
            raise Refusal(
                "not_a_permutation",
                "the new order must name each of %(results)s exactly once",
                field="results",
                params={"results": ", ".join(current)},
            )
        by_id = {result.id: result for result in self._results}
        self._results = tuple(by_id[result_id] for result_id in result_ids)

    def remove_result(self, actor: Nip, result_id: str) -> None:
        """Remove a planned result and its indicators."""
        self._require_editable_by(actor)
        index = self._index_of(result_id)
        self._results = self._results[:index] + self._results[index + 1 :]

    def link_result(self, actor: Nip, result_id: str, rater_plan: WorkPlan, rater_result_id: str) -> None:
        """Make a result support a result of the rater's APPROVED plan of the same year (intervensi)."""
        self._require_editable_by(actor)
        index = self._index_of(result_id)
        target = rater_result_ref(
            rater=self._rater,
            year=self._year,
            rater_plan=rater_plan,
            rater_result_id=rater_result_id,
            field=f"results[{index}].supports",
        )
        self._replace(index, replace(self._results[index], supports=target))

    def unlink_result(self, actor: Nip, result_id: str) -> None:
        """Stop a result supporting the rater's result."""
        self._require_editable_by(actor)
        index = self._index_of(result_id)
        self._replace(index, replace(self._results[index], supports=None))

    def add_indicator(self, actor: Nip, result_id: str, indicator: Indicator) -> None:
        """Add a valid indicator (IKI) to a planned result."""
        self._require_editable_by(actor)
        index = self._index_of(result_id)
        result = self._results[index]
        self._require_valid(indicator, f"results[{index}].indicators[{len(result.indicators)}]")
        self._replace(index, replace(result, indicators=(*result.indicators, indicator)))

    def replace_indicator(self, actor: Nip, result_id: str, position: int, indicator: Indicator) -> None:
        """Replace the indicator at `position` of a planned result."""
        self._require_editable_by(actor)
        index = self._index_of(result_id)
        result = self._results[index]
        self._require_indicator_position(index, result, position)
        self._require_valid(indicator, f"results[{index}].indicators[{position}]")
        indicators = list(result.indicators)
        indicators[position] = indicator
        self._replace(index, replace(result, indicators=tuple(indicators)))

    def remove_indicator(self, actor: Nip, result_id: str, position: int) -> None:
        """Remove the indicator at `position` of a planned result."""
        self._require_editable_by(actor)
        index = self._index_of(result_id)
        result = self._results[index]
        self._require_indicator_position(index, result, position)
        indicators = result.indicators[:position] + result.indicators[position + 1 :]
        self._replace(index, replace(result, indicators=indicators))

    def completeness_problems(self) -> tuple[Refusal, ...]:
        """Why this plan cannot be submitted yet (empty when it can)."""
        return completeness_problems(self._results)

    def submit(self, actor: Nip) -> None:
        """Send a complete DRAFT plan to the rater."""
        self._require_editable_by(actor)
        problems = self.completeness_problems()
        if problems:
            raise Refusal.listing(*problems)
        self._status = PlanStatus.SUBMITTED
        self._events.append(PlanSubmitted(self._id, self._employee, self._rater, self._year, self._version))

    def approve(self, actor: Nip) -> None:
        """The rater approves a SUBMITTED plan."""
        require_rater(actor, self._employee, self._rater)
        require_status(self._status, PlanStatus.SUBMITTED, "approve")
        self._status = PlanStatus.APPROVED
        self._events.append(PlanApproved(self._id, self._employee, self._rater, self._year, self._version))

    def reject(self, actor: Nip, reason: str) -> None:
        """The rater sends a SUBMITTED plan back with a non-empty reason."""
        require_rater(actor, self._employee, self._rater)
        require_status(self._status, PlanStatus.SUBMITTED, "reject")
        self._require_text(reason, "rejection_reason")
        self._status = PlanStatus.REJECTED
        self._rejection_reason = reason.strip()
        self._events.append(
            PlanRejected(
                self._id, self._employee, self._rater, self._year, self._version, self._rejection_reason
            )
        )

    def revise(self, actor: Nip, new_plan_id: str, *, rater: Nip | None = None) -> WorkPlan:
        """Open version+1 as a DRAFT copy of this APPROVED or REJECTED plan, optionally with a new rater."""
        require_employee(actor, self._employee)
        if self._status not in (PlanStatus.APPROVED, PlanStatus.REJECTED):
            raise Refusal(
                "cannot_revise",
                "only an approved or rejected plan can be revised; this one is %(status)s",
                field="status",
                params={"status": self._status.value},
                kind=RefusalKind.CONFLICT,
            )
        if new_plan_id == self._id:
            raise Refusal("same_plan_id", "a revision needs a new plan id", field="plan_id")
        revised = WorkPlan(
            plan_id=new_plan_id,
            employee=self._employee,
            rater=rater or self._rater,
            year=self._year,
            version=self._version + 1,
            results=self._results,
            previous_plan_id=self._id,
            next_result_number=self._next_result_number,
        )
        revised._events.append(
            PlanRevised(new_plan_id, self._id, self._employee, self._year, revised.version)
        )
        return revised

    def _replace(self, index: int, result: PlannedResult) -> None:
        self._results = (*self._results[:index], result, *self._results[index + 1 :])

    def _index_of(self, result_id: str) -> int:
        for index, result in enumerate(self._results):
            if result.id == result_id:
                return index
        raise Refusal(
            "unknown_result",
            "plan %(id)s has no result %(result_id)s",
            field="result_id",
            params={"id": self._id, "result_id": result_id},
        )

    @staticmethod
    def _require_indicator_position(index: int, result: PlannedResult, position: int) -> None:
        if not 0 <= position < len(result.indicators):
            raise Refusal(
                "unknown_indicator",
                "result %(id)s has no indicator at position %(position)s",
                field=f"results[{index}].indicators[{position}]",
                params={"id": result.id, "position": position},
            )

    @staticmethod
    def _require_text(text: str, path: str) -> None:
        if not text.strip():
            raise Refusal("missing_value", "must not be empty", field=path)

    @staticmethod
    def _require_valid(indicator: Indicator, path: str) -> None:
        problems = indicator_problems(indicator, path)
        if problems:
            raise Refusal.listing(*problems)

    def _require_editable_by(self, actor: Nip) -> None:
        require_employee(actor, self._employee)
        require_status(self._status, PlanStatus.DRAFT, "edit")
