"""A draft's content (results, indicators, links to the rater's plan), applied through the aggregate."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters import repository
from services.planning.adapters.repository import PlanRecord
from services.planning.domain.indicators import (
    Aggregation,
    Aspect,
    Direction,
    IndicatorTemplate,
    TemplateLibrary,
)
from services.planning.domain.organisation import JobType
from services.planning.domain.work_plan import Indicator, PeriodScheme, PeriodSplit, ResultKind, Target
from services.planning.service_layer.errors import in_api_terms
from services.planning.service_layer.organisation import new_id, region_today, require_region
from services.planning.service_layer.schemas import IndicatorIn, PlannedResultIn
from services.planning.service_layer.work_plans.records import assignment_for_plan
from shared.refusals import Refusal


class _ContentEditor:
    """Applies a whole requested content to a draft through the aggregate's own operations."""

    def __init__(
        self,
        session: AsyncSession,
        record: PlanRecord,
        *,
        library: TemplateLibrary,
        scheme: PeriodScheme,
        job_type: JobType | None,
    ) -> None:
        self.session = session
        self.record = record
        self.library = library
        self.scheme = scheme
        self.job_type = job_type
        self._rater_plan: PlanRecord | None = None
        self._rater_plan_loaded = False

    @property
    def year(self) -> int:
        return self.record.plan.year

    async def apply(self, results_in: list[PlannedResultIn]) -> None:
        record, plan = self.record, self.record.plan
        actor = plan.employee
        local_of = {public: local for local, public in record.public_result_ids.items()}
        kept: dict[int, str] = {}
        for index, result_in in enumerate(results_in):
            if result_in.result_id is None:
                continue
            local = local_of.get(result_in.result_id)
            if local is None or local in kept.values():
                raise Refusal(
                    "unknown_result",
                    "Result %(result_id)s is not a result of this draft (or is named twice).",
                    field=f"results.{index}.result_id",
                    params={"result_id": repr(result_in.result_id)},
                )
            kept[index] = local
        for local in list(record.public_result_ids):
            if local not in kept.values():
                plan.remove_result(actor, local)
                del record.public_result_ids[local], record.indicator_ids[local]
                record.supports.pop(local, None)
        order: list[str] = []
        for index, result_in in enumerate(results_in):
            kind = ResultKind(result_in.kind)
            if index in kept:
                plan.edit_result(actor, kept[index], kind=kind, text=result_in.text)
                order.append(kept[index])
            else:
                added = plan.add_result(actor, kind, result_in.text)
                record.public_result_ids[added.id] = new_id()
                record.indicator_ids[added.id] = []
                order.append(added.id)
        plan.reorder_results(actor, order)
        for index, (result_in, local) in enumerate(zip(results_in, order, strict=True)):
            await self._apply_indicators(index, local, result_in.indicators)
            await self._apply_link(index, local, result_in.supports_result_id)

    async def _apply_indicators(self, index: int, local: str, indicators_in: list[IndicatorIn]) -> None:
        plan, actor = self.record.plan, self.record.plan.employee
        previous_ids = self.record.indicator_ids[local]
        for _ in range(len(plan.result(local).indicators)):
            plan.remove_indicator(actor, local, 0)
        ids: list[str] = []
        for position, indicator_in in enumerate(indicators_in):
            path = f"results.{index}.indicators.{position}"
            if indicator_in.indicator_id is not None and (
                indicator_in.indicator_id not in previous_ids or indicator_in.indicator_id in ids
            ):
                raise Refusal(
                    "unknown_indicator",
                    "Indicator %(indicator_id)s is not one of this result's (or named twice).",
                    field=f"{path}.indicator_id",
                    params={"indicator_id": repr(indicator_in.indicator_id)},
                )
            plan.add_indicator(actor, local, self._indicator(indicator_in, path))
            ids.append(indicator_in.indicator_id or new_id())
        self.record.indicator_ids[local] = ids

    def _indicator(self, indicator_in: IndicatorIn, path: str) -> Indicator:
        given = indicator_in.model_fields_set
        template: IndicatorTemplate | None = None
        if indicator_in.code is not None:
            try:
                template = self.library.get(self.record.region_id, indicator_in.code)
            except Refusal:
                raise Refusal(
                    "unknown_template",
                    "There is no indicator template %(code)s in this region.",
                    field=f"{path}.code",
                    params={"code": repr(indicator_in.code)},
                ) from None
            if self.job_type is not None and self.job_type not in template.job_types:
                # A template states what a kind of job delivers; another job's would mis-measure.
                offered = ", ".join(sorted(job.value for job in template.job_types))
                raise Refusal(
                    "template_other_job_type",
                    "Template %(template)s is for %(offered)s, not for your job (%(job_type)s).",
                    field=f"{path}.code",
                    params={
                        "template": repr(template.code),
                        "offered": offered,
                        "job_type": self.job_type.value,
                    },
                )

        def pick(name: str, own: Any, from_template: Any) -> Any:
            return own if template is None or name in given else from_template

        unit = indicator_in.unit_of_measure
        if unit is None and template is not None:
            unit = template.unit
        qualitative = template.qualitative if template is not None else indicator_in.target is None
        if qualitative:
            target = Target(quantity=indicator_in.target, statement=indicator_in.qualitative_target or "")
        else:
            target = Target(
                quantity=indicator_in.target, unit=unit or "", statement=indicator_in.qualitative_target or ""
            )
        split = None
        if indicator_in.period_targets:
            prefix = f"{self.year}-"
            for key in indicator_in.period_targets:
                if not key.startswith(prefix):
                    raise Refusal(
                        "outside_plan_year",
                        "Period %(key)s is outside the plan year %(year)s.",
                        field=f"{path}.period_targets",
                        params={"key": repr(key), "year": self.year},
                    )
            split = PeriodSplit.of(
                self.scheme,
                {key.removeprefix(prefix): value for key, value in indicator_in.period_targets.items()},
            )
        return Indicator(
            name=indicator_in.name,
            aspect=Aspect(pick("aspect", indicator_in.aspect, template and template.aspect)),
            direction=Direction(pick("direction", indicator_in.direction, template and template.direction)),
            aggregation=Aggregation(
                pick("aggregation", indicator_in.aggregation, template and template.aggregation)
            ),
            target=target,
            split=split,
            qualitative=qualitative,
            value_range=None if template is None else template.value_range,
            template_code=None if template is None else template.code,
        )

    async def _rater_plan_record(self) -> PlanRecord | None:
        """The rater's plan of the year in force (approved), else their latest version, else None."""
        if not self._rater_plan_loaded:
            rows = await repository.plan_rows(
                self.session, self.record.region_id, employee_id=self.record.rater_id, year=self.year
            )
            approved = [row for row in rows if row.status == "approved"]
            chosen = approved[-1:] or rows[-1:]
            records = await repository.records_from_rows(self.session, self.record.region_id, chosen)
            self._rater_plan = records[0] if records else None
            self._rater_plan_loaded = True
        return self._rater_plan

    async def _apply_link(self, index: int, local: str, supports_result_id: str | None) -> None:
        plan, actor = self.record.plan, self.record.plan.employee
        if supports_result_id is None:
            plan.unlink_result(actor, local)
            self.record.supports.pop(local, None)
            return
        field = f"results.{index}.supports_result_id"
        rater_plan = await self._rater_plan_record()
        if rater_plan is None:
            raise Refusal(
                "rater_plan_not_approved",
                "Your rater has no approved plan for this year to support yet.",
                field=field,
            )
        # An id outside the rater's plan still goes to the aggregate, which refuses it by name.
        rater_local = rater_plan.local_result_id(supports_result_id) or supports_result_id
        try:
            plan.link_result(actor, local, rater_plan.plan, rater_local)
        except Refusal as error:
            raise in_api_terms(error, year=self.year, renames={f"results.{index}.supports": field}) from None
        self.record.supports[local] = (supports_result_id, rater_plan.employee_id)


async def edit_content(session: AsyncSession, record: PlanRecord, results_in: list[PlannedResultIn]) -> None:
    region = await require_region(session, record.region_id)
    assignment = await assignment_for_plan(
        session, record.region_id, record.employee_id, record.plan.year, today=region_today(region)
    )
    editor = _ContentEditor(
        session,
        record,
        library=await repository.load_template_library(session, record.region_id),
        scheme=repository.period_scheme(region.period_kind),
        job_type=None if assignment is None else repository.job_type_of(assignment.job_type),
    )
    try:
        await editor.apply(results_in)
    except Refusal as error:
        raise in_api_terms(error, year=record.plan.year) from None
