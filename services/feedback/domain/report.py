"""The SKM report of one unit (and service) for one period, in the regulation's usual layout.

PermenPANRB 14/2017 reports a survey as: the table of every respondent's nine scores, the sum
and the NRR (mean) per item, the weighted NRR (NRR x 1/9), the IKM and its grade, the lowest
items as improvement priorities, and the respondents' comments. This module builds that content
from the stored responses; rendering it as CSV or a printable page is the entry points' job.

Every respondent is listed, each marked ticketed or not; where any redeemed a service ticket, the
sums, means and index are of the ticketed respondents only (those without a ticket came through a
unit's public link and cannot be traced to a service given).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.feedback.domain.periods import SurveyPeriod
from services.feedback.domain.sampling import SampleAdequacy, assess_sample
from services.feedback.domain.satisfaction import (
    ItemResult,
    SatisfactionIndex,
    SurveyAggregate,
    SurveyResponse,
)


@dataclass(frozen=True)
class RespondentRow:
    """One respondent's line in the report (anonymous: no contact, no address)."""

    submitted_at: datetime
    scores: tuple[int, ...]
    age_band: str | None = None
    sex: str | None = None
    education: str | None = None
    occupation: str | None = None
    comment: str | None = None
    ticketed: bool = False


@dataclass(frozen=True)
class SkmReport:
    """Everything the report shows, computed exactly."""

    @property
    def counted(self) -> str:
        """Which respondents the sums and the index count: ``ticketed`` or ``all``."""
        return "ticketed" if self.ticketed else "all"

    unit_name: str
    service_name: str | None
    period: SurveyPeriod
    rows: tuple[RespondentRow, ...]
    ticketed: int
    unticketed: int
    item_sums: tuple[int, ...]
    items: tuple[ItemResult, ...]
    index: SatisfactionIndex
    priorities: tuple[ItemResult, ...]
    comments: tuple[str, ...]
    adequacy: SampleAdequacy | None


def build_skm_report(
    *,
    unit_name: str,
    service_name: str | None,
    period: SurveyPeriod,
    rows: Sequence[RespondentRow],
    service_users: int | None,
    priority_count: int = 3,
) -> SkmReport:
    """The report of a survey from its respondents (at least one; the caller checks)."""
    ordered = tuple(sorted(rows, key=lambda row: row.submitted_at))
    ticketed = sum(1 for row in ordered if row.ticketed)
    counted = [row for row in ordered if row.ticketed] if ticketed else list(ordered)
    aggregate = SurveyAggregate.of(SurveyResponse(row.scores) for row in counted)
    return SkmReport(
        unit_name=unit_name,
        service_name=service_name,
        period=period,
        rows=ordered,
        ticketed=ticketed,
        unticketed=len(ordered) - ticketed,
        item_sums=aggregate.score_sums,
        items=aggregate.item_results(),
        index=aggregate.index(),
        priorities=aggregate.improvement_priorities(priority_count),
        comments=tuple(row.comment.strip() for row in ordered if row.comment and row.comment.strip()),
        adequacy=assess_sample(aggregate.respondents, service_users) if service_users else None,
    )
