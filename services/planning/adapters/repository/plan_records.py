"""A stored work plan version (``PlanRecord``) and its stored form, to and from the domain aggregate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.planning.domain.indicators import Aggregation, Aspect, Direction, ValueRange
from services.planning.domain.organisation import Nip
from services.planning.domain.work_plan import (
    Indicator,
    PeriodScheme,
    PeriodSplit,
    PlannedResult,
    PlanStatus,
    ResultKind,
    ResultRef,
    Target,
    WorkPlan,
)

#: Statuses kept only in storage: the domain sees such a plan as approved and no longer in force.
RETIRED_STATUSES = frozenset({"superseded", "withdrawn"})


@dataclass
class PlanRecord:
    """A stored work plan version: the domain aggregate plus the ids clients and consumers know.

    Results carry two ids: the aggregate's own (``R1``, stable across versions of one employee's
    plan) and a public one, unique on the platform, that links and events use. Indicators carry a
    public id that also survives revisions, so activity reported against it keeps counting.
    """

    plan: WorkPlan
    region_id: str
    employee_id: str
    rater_id: str
    status: str
    public_result_ids: dict[str, str]
    indicator_ids: dict[str, list[str]]
    supports: dict[str, tuple[str, str]]
    """Local result id → (public result id, employee id) of the result it supports."""
    superseded_by: str | None = None

    def local_result_id(self, public_id: str) -> str | None:
        """The aggregate's id of a result known by its public id."""
        return next((local for local, public in self.public_result_ids.items() if public == public_id), None)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _scheme_of_keys(keys: Iterable[str]) -> PeriodScheme:
    first = next(iter(keys)).split("-", 1)[1]
    return {"Q": PeriodScheme.QUARTERLY, "M": PeriodScheme.MONTHLY}.get(first[0], PeriodScheme.SEMESTER)


def indicator_from_content(content: Mapping[str, Any]) -> Indicator:
    """The domain indicator of a stored indicator dict."""
    target = _decimal(content.get("target"))
    qualitative = bool(content.get("qualitative", target is None))
    period_targets: dict[str, Any] = content.get("period_targets") or {}
    split = None
    if period_targets:
        split = PeriodSplit.of(
            _scheme_of_keys(period_targets),
            {key.split("-", 1)[1]: Decimal(str(value)) for key, value in period_targets.items()},
        )
    minimum, maximum = _decimal(content.get("minimum")), _decimal(content.get("maximum"))
    return Indicator(
        name=content["name"],
        aspect=Aspect(content["aspect"]),
        direction=Direction(content["direction"]),
        aggregation=Aggregation(content["aggregation"]),
        target=(
            Target.qualitative(content.get("qualitative_target") or "")
            if qualitative
            else Target(
                quantity=target,
                unit=content.get("unit_of_measure") or "",
                statement=content.get("qualitative_target") or "",
            )
        ),
        split=split,
        qualitative=qualitative,
        value_range=None if minimum is None and maximum is None else ValueRange(minimum, maximum),
        template_code=content.get("code"),
    )


def indicator_to_content(indicator: Indicator, indicator_id: str, year: int) -> dict[str, Any]:
    """The stored (and published) form of a domain indicator."""
    value_range = indicator.value_range
    return {
        "indicator_id": indicator_id,
        "code": indicator.template_code,
        "name": indicator.name,
        "aspect": indicator.aspect.value,
        "direction": indicator.direction.value,
        "aggregation": indicator.aggregation.value,
        "unit_of_measure": indicator.target.unit or None,
        "target": None if indicator.target.quantity is None else str(indicator.target.quantity),
        "qualitative_target": indicator.target.statement or None,
        "period_targets": (
            {} if indicator.split is None else {f"{year}-{k}": str(v) for k, v in indicator.split.targets}
        ),
        "qualitative": indicator.qualitative,
        "minimum": None if value_range is None or value_range.minimum is None else str(value_range.minimum),
        "maximum": None if value_range is None or value_range.maximum is None else str(value_range.maximum),
    }


def plan_from_row(row: Any, nip_of: Mapping[str, Nip]) -> PlanRecord:
    """Rehydrate a stored plan version; `nip_of` maps employee ids of the region to NIPs."""
    public_ids: dict[str, str] = {}
    indicator_ids: dict[str, list[str]] = {}
    supports: dict[str, tuple[str, str]] = {}
    results: list[PlannedResult] = []
    for position, content in enumerate(row.content, start=1):
        # Plans stored before results had local ids are numbered in order.
        local = content.get("local_id") or f"R{position}"
        public_ids[local] = content["result_id"]
        indicator_ids[local] = [indicator["indicator_id"] for indicator in content["indicators"]]
        ref = None
        supports_employee = content.get("supports_employee_id")
        if content.get("supports_result_id") and supports_employee and content.get("supports_local_id"):
            supports[local] = (content["supports_result_id"], supports_employee)
            ref = ResultRef(nip_of[supports_employee], row.year, content["supports_local_id"])
        results.append(
            PlannedResult(
                id=local,
                kind=ResultKind(content["kind"]),
                text=content["text"],
                indicators=tuple(indicator_from_content(i) for i in content["indicators"]),
                supports=ref,
            )
        )
    status = row.status
    plan = WorkPlan(
        plan_id=row.plan_id,
        employee=nip_of[row.employee_id],
        rater=nip_of[row.rater_id],
        year=row.year,
        version=row.version,
        status=PlanStatus.APPROVED if status in RETIRED_STATUSES else PlanStatus(status),
        results=tuple(results),
        rejection_reason=row.rejection_reason,
        previous_plan_id=row.previous_plan_id,
        next_result_number=row.next_result_number,
    )
    return PlanRecord(
        plan=plan,
        region_id=row.region_id,
        employee_id=row.employee_id,
        rater_id=row.rater_id,
        status=status,
        public_result_ids=public_ids,
        indicator_ids=indicator_ids,
        supports=supports,
        superseded_by=row.superseded_by,
    )


def plan_content(record: PlanRecord) -> list[dict[str, Any]]:
    """The stored content of a plan version, in the aggregate's result order."""
    plan = record.plan
    content: list[dict[str, Any]] = []
    for result in plan.results:
        supports_public: str | None = None
        supports_employee: str | None = None
        if result.supports is not None:
            supports_public, supports_employee = record.supports[result.id]
        content.append(
            {
                "result_id": record.public_result_ids[result.id],
                "local_id": result.id,
                "kind": result.kind.value,
                "text": result.text,
                "supports_result_id": supports_public,
                "supports_employee_id": supports_employee,
                "supports_local_id": None if result.supports is None else result.supports.result_id,
                "indicators": [
                    indicator_to_content(indicator, indicator_id, plan.year)
                    for indicator, indicator_id in zip(
                        result.indicators, record.indicator_ids[result.id], strict=True
                    )
                ],
            }
        )
    return content


def plan_values(record: PlanRecord) -> dict[str, Any]:
    """Column values of a plan version row."""
    plan = record.plan
    return {
        "plan_id": plan.id,
        "region_id": record.region_id,
        "employee_id": record.employee_id,
        "rater_id": record.rater_id,
        "year": plan.year,
        "version": plan.version,
        "status": record.status,
        "content": plan_content(record),
        "rejection_reason": plan.rejection_reason,
        "previous_plan_id": plan.previous_plan_id,
        "next_result_number": plan.next_result_number,
        "superseded_by": record.superseded_by,
    }
