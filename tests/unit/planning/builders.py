"""Small builders shared by the planning domain tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.planning.domain.indicators import NATIONAL_TEMPLATES, IndicatorTemplate
from services.planning.domain.organisation import Employee, Nip
from services.planning.domain.work_plan import Indicator, PeriodScheme, PeriodSplit, ResultKind, WorkPlan
from shared.refusals import Refusal


def nip(sequence: int, *, birth: str = "19850312", appointed: str = "201001", sex: str = "1") -> Nip:
    """A valid NIP differing from others by its sequence number."""
    return Nip(f"{birth}{appointed}{sex}{sequence:03d}")


def employee(sequence: int, region_id: str = "medan", name: str | None = None) -> Employee:
    """An employee of `region_id` whose NIP ends in `sequence`."""
    return Employee(nip(sequence), name or f"Pegawai {sequence}", region_id)


def template(code: str) -> IndicatorTemplate:
    """A national default template by code."""
    return next(t for t in NATIONAL_TEMPLATES if t.code == code)


def documents_indicator(annual: int = 1200, split: dict[str, int] | None = None) -> Indicator:
    """The front-office 'documents completed' indicator with a quarterly split."""
    quarters = split if split is not None else dict.fromkeys(PeriodScheme.QUARTERLY.keys, annual // 4)
    return Indicator.from_template(
        template("FO-DOCS-COMPLETED"), Decimal(annual), PeriodSplit.of(PeriodScheme.QUARTERLY, quarters)
    )


def submitted_plan(owner: Nip, rater: Nip, *, plan_id: str = "skp-1", year: int = 2025) -> WorkPlan:
    """A complete plan already submitted to the rater."""
    plan = WorkPlan.start(plan_id, owner, rater, year)
    result = plan.add_result(owner, ResultKind.MAIN, "Layanan dokumen kependudukan selesai tepat waktu")
    plan.add_indicator(owner, result.id, documents_indicator())
    plan.submit(owner)
    return plan


def approved_plan(owner: Nip, rater: Nip, *, plan_id: str = "skp-1", year: int = 2025) -> WorkPlan:
    """A complete plan approved by its rater."""
    plan = submitted_plan(owner, rater, plan_id=plan_id, year=year)
    plan.approve(rater)
    plan.pull_events()
    return plan


#: The employees of the work plan tests: a clerk, their head (the rater) and someone else.
CLERK = nip(10)
HEAD = nip(1)
OTHER = nip(20)


def draft_plan() -> WorkPlan:
    """The clerk's empty draft for 2025, rated by their head."""
    return WorkPlan.start("skp-clerk-2025", CLERK, HEAD, 2025)


def plan_with_one_result() -> tuple[WorkPlan, str]:
    """A draft with one main result and no indicator yet, and that result's id."""
    plan = draft_plan()
    result = plan.add_result(CLERK, ResultKind.MAIN, "Dokumen kependudukan selesai")
    return plan, result.id


def refusal_of(indicator: Indicator) -> Refusal:
    """Why adding this indicator to a fresh plan's result is refused."""
    plan, result_id = plan_with_one_result()
    with pytest.raises(Refusal) as refused:
        plan.add_indicator(CLERK, result_id, indicator)
    return refused.value
