"""The work plan's checks that gather every problem at once: an indicator's, and a plan's before submission.

They return refusals rather than raise them, so a plan's whole list reaches the employee in one answer.
"""

from __future__ import annotations

from decimal import Decimal

from services.planning.domain.indicators import Aggregation, ValueRange
from services.planning.domain.work_plan.indicator import Indicator
from services.planning.domain.work_plan.results import PlannedResult, ResultKind
from shared.refusals import Label, Refusal


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


def completeness_problems(results: tuple[PlannedResult, ...]) -> tuple[Refusal, ...]:
    """Why a plan with these results cannot be submitted yet (empty when it can)."""
    problems: list[Refusal] = []
    if not any(result.kind is ResultKind.MAIN for result in results):
        problems.append(Refusal("no_main_result", "a plan needs at least one main result", field="results"))
    for index, result in enumerate(results):
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
