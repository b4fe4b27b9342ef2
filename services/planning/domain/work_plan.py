"""The annual work plan (SKP) aggregate: planned results, their indicators and the review life cycle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Literal

from services.planning.domain.indicators import (
    Aggregation,
    Aspect,
    Direction,
    IndicatorTemplate,
    ValueRange,
    default_range,
)
from services.planning.domain.organisation import Nip
from shared.refusals import Label, Refusal, RefusalKind

MIN_YEAR = 2000
MAX_YEAR = 2100


class PlanStatus(StrEnum):
    """Status of a work plan (status SKP)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class ResultKind(StrEnum):
    """Kind of planned result (jenis RHK)."""

    MAIN = "main"
    """RHK utama."""
    ADDITIONAL = "additional"
    """RHK tambahan."""


class PeriodScheme(StrEnum):
    """How the year is split into periods (periode penilaian); the region chooses, quarterly by default."""

    QUARTERLY = "quarterly"
    MONTHLY = "monthly"
    SEMESTER = "semester"

    @property
    def keys(self) -> tuple[str, ...]:
        """Period keys in calendar order: Q1..Q4, M01..M12 or S1..S2."""
        if self is PeriodScheme.QUARTERLY:
            return ("Q1", "Q2", "Q3", "Q4")
        if self is PeriodScheme.MONTHLY:
            return tuple(f"M{month:02d}" for month in range(1, 13))
        return ("S1", "S2")


@dataclass(frozen=True, slots=True)
class Target:
    """Annual target of an indicator: a quantity with its unit, or a qualitative statement."""

    quantity: Decimal | None = None
    unit: str = ""
    statement: str = ""

    @classmethod
    def quantitative(cls, quantity: Decimal | int, unit: str) -> Target:
        """A numeric target such as 1,200 dokumen."""
        return cls(quantity=Decimal(quantity) if isinstance(quantity, int) else quantity, unit=unit)

    @classmethod
    def qualitative(cls, statement: str) -> Target:
        """A target stated in words, such as "laporan diterima tanpa revisi"."""
        return cls(statement=statement)

    @property
    def is_qualitative(self) -> bool:
        """True when the target is a statement rather than a quantity."""
        return self.quantity is None


@dataclass(frozen=True, slots=True)
class PeriodSplit:
    """Targets per period of the year (target per periode), keyed Q1..Q4, M01..M12 or S1..S2."""

    scheme: PeriodScheme
    targets: tuple[tuple[str, Decimal], ...]

    @classmethod
    def of(cls, scheme: PeriodScheme, targets: Mapping[str, Decimal | int]) -> PeriodSplit:
        """Build a split from a mapping of period key to target."""
        return cls(
            scheme,
            tuple(
                (key, Decimal(value) if isinstance(value, int) else value) for key, value in targets.items()
            ),
        )

    @classmethod
    def spread(cls, scheme: PeriodScheme, annual: Decimal, aggregation: Aggregation) -> PeriodSplit:
        """An even split: a SUM target divided (remainder in the last period), otherwise repeated."""
        keys = scheme.keys
        if aggregation is not Aggregation.SUM:
            return cls(scheme, tuple((key, annual) for key in keys))
        exponent = annual.as_tuple().exponent
        # Round down at the annual target's own precision so the last period never goes negative.
        quantum = Decimal(1).scaleb(min(exponent, 0) if isinstance(exponent, int) else 0)
        share = (annual / len(keys)).quantize(quantum, rounding=ROUND_FLOOR)
        last = annual - share * (len(keys) - 1)
        return cls(scheme, tuple((key, share if key != keys[-1] else last) for key in keys))

    def as_dict(self) -> dict[str, Decimal]:
        """Targets keyed by period."""
        return dict(self.targets)


@dataclass(frozen=True, slots=True)
class Indicator:
    """Indikator Kinerja Individu (IKI): how one planned result is measured and what is aimed for."""

    name: str
    aspect: Aspect
    direction: Direction
    aggregation: Aggregation
    target: Target
    split: PeriodSplit | None = None
    qualitative: bool = False
    value_range: ValueRange | None = None
    template_code: str | None = None

    @classmethod
    def from_template(
        cls,
        template: IndicatorTemplate,
        target: Decimal | int | str,
        split: PeriodSplit | None = None,
        *,
        name: str | None = None,
    ) -> Indicator:
        """An indicator following a template; a str target is a qualitative statement."""
        annual = (
            Target.qualitative(target)
            if isinstance(target, str)
            else Target.quantitative(target, template.unit)
        )
        return cls(
            name=name or template.name_id,
            aspect=template.aspect,
            direction=template.direction,
            aggregation=template.aggregation,
            target=annual,
            split=split,
            qualitative=template.qualitative,
            value_range=template.value_range,
            template_code=template.code,
        )

    @property
    def effective_range(self) -> ValueRange:
        """Bounds every target of this indicator must respect."""
        return self.value_range or default_range(self.aggregation)


def _number_problem(value: object, field: str, allowed: ValueRange) -> Refusal | None:
    if not isinstance(value, Decimal):
        return Refusal("not_decimal", "must be a Decimal number", field=field)
    if not value.is_finite():
        return Refusal(
            "not_finite", "must be a finite number, got %(value)s", field=field, params={"value": value}
        )
    if value < 0:
        return Refusal(
            "negative", "must not be negative, got %(value)s", field=field, params={"value": value}
        )
    if value not in allowed:
        return Refusal(
            "out_of_range",
            "must lie within %(allowed)s, got %(value)s",
            field=field,
            params={"allowed": allowed, "value": value},
        )
    return None


def indicator_problems(indicator: Indicator, path: str = "indicator") -> tuple[Refusal, ...]:
    """Everything wrong with an indicator, each problem named by a dotted path under `path`.

    Period split rules, by aggregation:
    - SUM: the period targets add up exactly to the annual target.
    - AVERAGE and RATIO: each period target lies in the indicator's range (RATIO: 0-100 %), and the
      annual target lies between the lowest and highest period target, because a (weighted) mean of
      the periods can never fall outside them.
    - LAST: each period target lies in the range and the last period's target equals the annual one,
      since the year's value is the last period's value.
    Qualitative indicators carry a statement and no split.
    """
    problems: list[Refusal] = []
    if not indicator.name.strip():
        problems.append(Refusal("missing_value", "must not be empty", field=f"{path}.name"))
    target = indicator.target
    if indicator.qualitative:
        if not target.is_qualitative or not target.statement.strip():
            problems.append(
                Refusal(
                    "qualitative_target",
                    "a qualitative indicator needs a target statement and no quantity",
                    field=f"{path}.target",
                )
            )
        if indicator.split is not None:
            problems.append(
                Refusal(
                    "split_not_allowed", "a qualitative indicator has no period split", field=f"{path}.split"
                )
            )
        return tuple(problems)
    allowed = indicator.effective_range
    if target.quantity is None:
        problems.append(
            Refusal(
                "missing_value", "a quantitative indicator needs a numeric target", field=f"{path}.target"
            )
        )
        return tuple(problems)
    annual_problem = _number_problem(target.quantity, f"{path}.target", allowed)
    if annual_problem is not None:
        problems.append(annual_problem)
    if not target.unit.strip():
        problems.append(Refusal("missing_value", "must not be empty", field=f"{path}.target.unit"))
    if indicator.split is not None:
        problems.extend(_split_problems(indicator, f"{path}.split", annual_ok=annual_problem is None))
    return tuple(problems)


def _split_problems(indicator: Indicator, path: str, *, annual_ok: bool) -> list[Refusal]:
    split = indicator.split
    assert split is not None
    annual = indicator.target.quantity
    assert annual is not None
    expected = split.scheme.keys
    given = [key for key, _ in split.targets]
    if sorted(given) != sorted(expected) or len(set(given)) != len(given):
        missing = [k for k in expected if k not in given]
        unexpected = [k for k in given if k not in expected]
        repeated = sorted({k for k in given if given.count(k) > 1})
        details = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unexpected {', '.join(unexpected)}" if unexpected else "",
                f"repeated {', '.join(repeated)}" if repeated else "",
            )
            if part
        )
        details_id = (
            details.replace("missing", "tidak ada")
            .replace("unexpected", "tidak dikenal")
            .replace("repeated", "ganda")
        )
        return [
            Refusal(
                "split_keys",
                "a %(scheme)s split needs exactly %(expected)s: %(details)s",
                field=path,
                params={
                    "scheme": split.scheme.value,
                    "expected": ", ".join(expected),
                    "details": Label(en=details, id=details_id),
                },
            )
        ]
    allowed = indicator.effective_range
    problems = [
        problem
        for key, value in split.targets
        if (problem := _number_problem(value, f"{path}.{key}", allowed)) is not None
    ]
    if problems or not annual_ok:
        return problems
    values = split.as_dict()
    if indicator.aggregation is Aggregation.SUM:
        total = sum(values.values(), Decimal(0))
        if total != annual:
            problems.append(
                Refusal(
                    "split_sum",
                    "period targets add up to %(total)s, not the annual target %(annual)s",
                    field=path,
                    params={"total": total, "annual": annual},
                )
            )
    elif indicator.aggregation is Aggregation.LAST:
        last_key = expected[-1]
        if values[last_key] != annual:
            problems.append(
                Refusal(
                    "split_last",
                    "the last period's target %(last)s must equal the annual target %(annual)s",
                    field=f"{path}.{last_key}",
                    params={"last": values[last_key], "annual": annual},
                )
            )
    else:
        low, high = min(values.values()), max(values.values())
        if not low <= annual <= high:
            problems.append(
                Refusal(
                    "split_mean",
                    "an annual %(aggregation)s of %(annual)s cannot come from period targets between "
                    "%(low)s and %(high)s",
                    field=path,
                    params={
                        "aggregation": indicator.aggregation.value,
                        "annual": annual,
                        "low": low,
                        "high": high,
                    },
                )
            )
    return problems


@dataclass(frozen=True, slots=True)
class ResultRef:
    """Points at a planned result by owner, year and result id; result ids survive plan revisions."""

    owner: Nip
    year: int
    result_id: str


@dataclass(frozen=True, slots=True)
class PlannedResult:
    """Rencana Hasil Kerja (RHK): one result the employee commits to for the year."""

    id: str
    kind: ResultKind
    text: str
    indicators: tuple[Indicator, ...] = ()
    supports: ResultRef | None = None
    """The rater's result this one supports (intervensi / cascading), if any."""


@dataclass(frozen=True, slots=True)
class PlanSubmitted:
    """Event: an employee submitted their plan to the rater."""

    plan_id: str
    employee: Nip
    rater: Nip
    year: int
    version: int


@dataclass(frozen=True, slots=True)
class PlanApproved:
    """Event: the rater approved a plan."""

    plan_id: str
    employee: Nip
    rater: Nip
    year: int
    version: int


@dataclass(frozen=True, slots=True)
class PlanRejected:
    """Event: the rater rejected a plan, with a reason."""

    plan_id: str
    employee: Nip
    rater: Nip
    year: int
    version: int
    reason: str


@dataclass(frozen=True, slots=True)
class PlanRevised:
    """Event: a new draft version was opened from an approved or rejected plan."""

    plan_id: str
    previous_plan_id: str
    employee: Nip
    year: int
    version: int


PlanEvent = PlanSubmitted | PlanApproved | PlanRejected | PlanRevised


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
        path = f"results[{index}].supports"
        if rater_plan.employee != self._rater:
            raise Refusal(
                "not_rater_plan",
                "plan %(id)s belongs to %(employee)s, not to the rater %(rater)s",
                field=path,
                params={"id": rater_plan.id, "employee": rater_plan.employee, "rater": self._rater},
            )
        if rater_plan.year != self._year:
            raise Refusal(
                "other_year",
                "the rater's plan is for %(year)s, this plan for %(plan_year)s",
                field=path,
                params={"year": rater_plan.year, "plan_year": self._year},
            )
        if rater_plan.status is not PlanStatus.APPROVED:
            raise Refusal(
                "rater_plan_not_approved",
                "the rater's plan %(id)s is %(status)s, not approved",
                field=path,
                params={"id": rater_plan.id, "status": rater_plan.status.value},
            )
        try:
            target = rater_plan.ref(rater_result_id)
        except Refusal:
            raise Refusal(
                "unknown_rater_result",
                "the rater's plan has no result %(rater_result_id)s",
                field=path,
                params={"rater_result_id": rater_result_id},
            ) from None
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
        problems: list[Refusal] = []
        if not any(result.kind is ResultKind.MAIN for result in self._results):
            problems.append(
                Refusal("no_main_result", "a plan needs at least one main result", field="results")
            )
        for index, result in enumerate(self._results):
            if not result.indicators:
                problems.append(
                    Refusal(
                        "no_indicator",
                        "result %(id)s needs at least one indicator",
                        field=f"results[{index}].indicators",
                        params={"id": result.id},
                    )
                )
            for position, indicator in enumerate(result.indicators):
                problems.extend(indicator_problems(indicator, f"results[{index}].indicators[{position}]"))
        return tuple(problems)

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
        self._require_rater(actor)
        self._require_status(PlanStatus.SUBMITTED, "approve")
        self._status = PlanStatus.APPROVED
        self._events.append(PlanApproved(self._id, self._employee, self._rater, self._year, self._version))

    def reject(self, actor: Nip, reason: str) -> None:
        """The rater sends a SUBMITTED plan back with a non-empty reason."""
        self._require_rater(actor)
        self._require_status(PlanStatus.SUBMITTED, "reject")
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
        self._require_employee(actor)
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

    def _require_employee(self, actor: Nip) -> None:
        if actor != self._employee:
            raise Refusal(
                "not_plan_owner",
                "only the plan's employee %(employee)s may change it",
                field="actor",
                params={"employee": self._employee},
                kind=RefusalKind.FORBIDDEN,
            )

    def _require_editable_by(self, actor: Nip) -> None:
        self._require_employee(actor)
        self._require_status(PlanStatus.DRAFT, "edit")

    def _require_rater(self, actor: Nip) -> None:
        if actor == self._employee:
            raise Refusal(
                "self_approval",
                "nobody may approve or reject their own plan",
                field="actor",
                kind=RefusalKind.FORBIDDEN,
            )
        if actor != self._rater:
            raise Refusal(
                "not_rater",
                "only the rater %(rater)s may approve or reject this plan",
                field="actor",
                params={"rater": self._rater},
                kind=RefusalKind.FORBIDDEN,
            )

    def _require_status(self, expected: PlanStatus, action: Literal["edit", "approve", "reject"]) -> None:
        if self._status is expected:
            return
        params = {"status": self._status.value, "expected": expected.value}
        conflict = RefusalKind.CONFLICT
        if action == "edit":
            raise Refusal(
                "cannot_edit",
                "cannot edit a %(status)s plan; it must be %(expected)s",
                field="status",
                kind=conflict,
                params=params,
            )
        if action == "approve":
            raise Refusal(
                "cannot_approve",
                "cannot approve a %(status)s plan; it must be %(expected)s",
                field="status",
                kind=conflict,
                params=params,
            )
        raise Refusal(
            "cannot_reject",
            "cannot reject a %(status)s plan; it must be %(expected)s",
            field="status",
            kind=conflict,
            params=params,
        )
