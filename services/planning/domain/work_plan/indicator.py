"""An indicator (IKI) of a planned result: what is measured, how the year adds up, what is aimed for."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from services.planning.domain.indicators import (
    Aggregation,
    Aspect,
    Direction,
    IndicatorTemplate,
    ValueRange,
    default_range,
)
from services.planning.domain.work_plan.targets import PeriodSplit, Target


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
