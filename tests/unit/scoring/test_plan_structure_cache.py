"""The planned results of a plan, remembered by the summary refresh, never outlive the rows they came from."""

from collections import namedtuple
from decimal import Decimal
from fractions import Fraction
from typing import Any

from services.scoring.domain.achievement import NumericTarget
from services.scoring.domain.periods import parse_period_key
from services.scoring.service_layer.views.plans import BatchPlans


def row(target: int, **changes: Any) -> Any:
    """A plan indicator row as the refresh reads it: its values in order, each also by name."""
    values: dict[str, Any] = {
        "region_id": "r",
        "plan_id": "p",
        "result_id": "res",
        "result_kind": "main",
        "result_text": "RHK",
        "indicator_id": "i",
        "code": None,
        "name": "KTP-el",
        "aspect": "quantity",
        "direction": "higher_is_better",
        "aggregation": "sum",
        "unit_of_measure": "dokumen",
        "target": Decimal(target),
        "qualitative_target": None,
        "period_targets": {},
        "position": 0,
    }
    values |= changes
    return namedtuple("PlanIndicatorRow", values)(**values)


def structure(rows: list[Any], period: str) -> Any:
    """A plan's planned results as a new batch makes them (each batch reads its rows anew)."""
    return BatchPlans().structure(rows, "p", parse_period_key(period))


def test_the_same_rows_give_the_same_results_and_other_rows_their_own() -> None:
    first = structure([row(2400)], "2026")
    assert structure([row(2400)], "2026") is first
    changed = structure([row(1200)], "2026")
    target = changed[0].indicators[0].target
    assert isinstance(target, NumericTarget)
    assert target.value == Fraction(1200)
    added = structure([row(1200), row(50, indicator_id="j", position=1)], "2026")
    assert [i.id for i in added[0].indicators] == ["i", "j"]
    quarter = structure([row(2400, period_targets={"2026-Q1": 600})], "2026-Q1")
    q1 = quarter[0].indicators[0].target
    assert isinstance(q1, NumericTarget)
    assert q1.value == Fraction(600)


def test_a_batch_makes_a_plan_once_for_its_progress_rows_and_summaries() -> None:
    """The progress rows and the summaries of a batch share one read of the plans in force: both
    take their indicators from the same planned results, new rows make new results."""
    year, quarter = parse_period_key("2026"), parse_period_key("2026-Q1")
    rows = [row(2400, period_targets={"2026-Q1": 600}), row(50, indicator_id="j", position=1)]
    plans = BatchPlans()
    structure = plans.structure(rows, "p", year)
    assert plans.indicator(rows, "j", year) is structure[0].indicators[1]
    assert plans.structure(rows, "p", year) is structure
    first_quarter = plans.indicator(rows, "i", quarter)
    assert first_quarter is not None
    assert first_quarter.target == NumericTarget(Fraction(600), "dokumen")
    assert plans.indicator(rows, "k", year) is None
    assert plans.structure(rows, "other plan", year) == ()
    # The next batch reads its rows anew: equal rows, the same results; changed rows, new ones.
    again = [row(2400, period_targets={"2026-Q1": 600}), rows[1]]
    assert BatchPlans().structure(again, "p", year) is structure
    changed = BatchPlans().structure([row(1200), rows[1]], "p", year)
    target = changed[0].indicators[0].target
    assert isinstance(target, NumericTarget)
    assert target.value == Fraction(1200)
