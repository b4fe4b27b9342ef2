"""A scorecard's answer, written in one pass, is byte for byte what its models write (the route
sent ``ScorecardRead.model_validate(...).model_dump_json()`` until session 17)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest

from services.scoring.domain.periods import parse_period_key
from services.scoring.service_layer.queries import scorecards
from services.scoring.service_layer.queries.scorecard_rows import IndicatorRow
from services.scoring.service_layer.schemas import ScorecardRead
from shared.auth import Principal, Role
from shared.region_time import as_sent, in_zone

REASON = {
    "code": "MEETS_ACHIEVEMENT",
    "required": "0.8000",
    "actual": "0.8750",
    "satisfied": True,
    "message_en": 'At or above "Meets" \\ 80%.',
    "message_id": "Capaian mencapai ambang Sesuai Ekspektasi \u2013 \U0001f600",
}
ACTIVITIES = (
    '[{"activity_id":"a1","occurred_at":"2026-02-04T10:00:00+09:00","quantity":"3.0000",'
    '"denominator":null,"status":"VERIFIED","counted":true,"corrected":false,"evidence_count":2}]'
)


def indicator(indicator_id: str, *, progress: bool, **values: Any) -> IndicatorRow:
    fields: dict[str, Any] = dict.fromkeys(IndicatorRow._fields)
    fields |= {
        "indicator_id": indicator_id,
        "code": None,
        "name": "Dokumen\n\t\u0001 selesai",
        "result_id": "r1",
        "result_kind": "MAIN",
        "aspect": "QUANTITY",
        "direction": "HIGHER_IS_BETTER",
        "aggregation": "SUM",
        "unit_of_measure": "dokumen",
        "target": Decimal("120"),
        "period_targets": {},
    }
    if progress:
        fields |= {
            "progress_indicator_id": indicator_id,
            "progress_target": Decimal("30.0000"),
            "realisation": Decimal("0E-8"),
            "verified_share": Decimal("1E+2"),
            "achievement": Decimal("-0.5000"),
            "activity_count": 3,
            "verified_count": 2,
            "rejected_count": 1,
            "last_occurred_at": datetime(2026, 2, 4, 1, tzinfo=UTC),
            "last_activity_id": "a1",
            "events_applied": 7,
            "last_event_id": "ev-9",
            "updated_at": datetime(2026, 2, 4, 1, 2, 3, 450000, tzinfo=UTC),
        }
    return IndicatorRow(**(fields | values))


def summary(**values: Any) -> SimpleNamespace:
    """A scorecard row as ``scorecard_read`` returns it, with values at the edges of their types."""
    row = {
        "plan_id": "plan-1",
        "unit_id": "dukcapil",
        "job_type": "PELAKSANA",
        "rater_id": "boss",
        "team_supervisor_id": "boss",
        "achievement": Decimal("0.8750"),
        "main_achievement": None,
        "additional_bonus": Decimal("0.0000"),
        "verified_share": Decimal("12345678.9000"),
        "activity_count": 3,
        "rule_set_from": date(2026, 1, 1),
        "proposed_result_rating": "MEETS",
        "proposal_reasons": [REASON, REASON | {"actual": None, "satisfied": False}],
        "proposed_behaviour_rating": "MEETS",
        "proposed_predicate": "BAIK",
        "indicator_outcomes": [
            {"indicator_id": "docs", "basis": "MEASURED", "achievement": "0.8750"},
            {"indicator_id": "quality", "basis": "JUDGED", "achievement": "1.1000", "judgement": "EXCEEDED"},
        ],
        "indicator_rows": [
            tuple(indicator("docs", progress=True)),
            tuple(indicator("quality", progress=False, target=None, qualitative_target="Tepat")),
            tuple(indicator("wait", progress=False, aggregation="AVERAGE", target=Decimal("4.5"))),
        ],
        "activity_indicators": ["docs"],
        "activity_lists": [ACTIVITIES],
        "behaviour_assessment_id": "as-1",
        "assessment_found_id": "as-1",
        "assessment_assessor_id": "boss",
        "assessment_proposed_rating": None,
        "assessment_scores": {"BERORIENTASI_PELAYANAN": 4, "AKUNTABEL": 3},
        "assessment_submitted_at": datetime(2026, 3, 1, 23, 59, 59, 5, tzinfo=UTC),
        "result_rating": "MEETS",
        "behaviour_rating": "ABOVE",
        "predicate": "BAIK",
        "overridden": True,
        "decision_reason": None,
        "decided_by": "boss",
        "decided_at": datetime(2026, 4, 1, tzinfo=UTC),
        "latest_decision_id": "d-1",
        "latest_proposed_result_rating": "BELOW",
        "latest_proposed_behaviour_rating": "MEETS",
        "period_closed": 1,
        "field_visits_found": [
            ["v1", "boss", "2026-02-05T04:00:00", 330, "Kantor", "Baik", None],
            ["v2", "boss", "2026-02-06T04:00:00.000100", None, "Lapangan", "", "Lanjut"],
            ["v3", "boss", "2026-02-07T04:00:00", -210, "Desa", "x", "y"],
        ],
        "last_event_id": None,
        "updated_at": datetime(2026, 3, 2, 8, tzinfo=UTC),
    }
    return SimpleNamespace(**(row | values))


class _Rows:
    def __init__(self, row: Any) -> None:
        self._row = row

    def first(self) -> Any:
        return self._row


class _Session:
    """Answers the scorecard's one statement with the given row."""

    def __init__(self, row: Any) -> None:
        self._row = row

    async def execute(self, statement: Any, parameters: Any = None) -> _Rows:
        return _Rows(self._row)


def as_the_models_wrote_it(row: Any, zone: tzinfo, period: str) -> bytes:
    """The answer as the route wrote it before: the row's values validated into ``ScorecardRead``
    (times the platform computed put in the zone), then its JSON."""
    outcomes = {item["indicator_id"]: item for item in row.indicator_outcomes}
    lists = dict(zip(row.activity_indicators, row.activity_lists, strict=True))
    indicators = []
    for planned in (IndicatorRow(*values) for values in row.indicator_rows):
        progress = planned.progress_indicator_id is not None
        outcome = outcomes.get(planned.indicator_id, {})
        judged = outcome.get("judgement") is not None and outcome.get("achievement") is not None
        indicators.append(
            planned._asdict()
            | {
                "target": planned.progress_target
                if progress
                else scorecards._target_without_activity(planned, parse_period_key(period)),
                "realisation": planned.realisation if progress else None,
                "verified_share": planned.verified_share if progress else None,
                "achievement": (
                    Decimal(outcome["achievement"]) if judged else planned.achievement if progress else None
                ),
                "basis": outcome.get("basis", "NO_DATA"),
                "judgement": outcome.get("judgement"),
                "activity_count": planned.activity_count if progress else 0,
                "verified_count": planned.verified_count if progress else 0,
                "rejected_count": planned.rejected_count if progress else 0,
                "last_activity_at": in_zone(planned.last_occurred_at, zone) if progress else None,
                "events_applied": planned.events_applied if progress else 0,
                "updated_at": in_zone(planned.updated_at, zone) if progress else None,
                "activities": orjson.loads(lists.get(planned.indicator_id, "[]")),
            }
        )
    visits = row.field_visits_found
    decision = None
    if row.result_rating is not None:
        decision = {
            "result_rating": row.result_rating,
            "behaviour_rating": row.behaviour_rating,
            "predicate": row.predicate,
            "overridden": bool(row.overridden),
            "reason": row.decision_reason,
            "decided_by": row.decided_by,
            "decided_at": in_zone(row.decided_at, zone),
            "proposal_changed_since": row.latest_decision_id is not None
            and (
                row.latest_proposed_result_rating != row.proposed_result_rating
                or row.latest_proposed_behaviour_rating != row.proposed_behaviour_rating
            ),
        }
    return (
        ScorecardRead.model_validate(
            vars(row)
            | {
                "employee_id": "ani",
                "region_id": "medan",
                "period": period,
                "behaviour_assessment": {
                    "assessment_id": row.assessment_found_id,
                    "assessor_id": row.assessment_assessor_id,
                    "proposed_rating": row.assessment_proposed_rating,
                    "scores": row.assessment_scores,
                    "submitted_at": in_zone(row.assessment_submitted_at, zone),
                }
                if row.behaviour_assessment_id and row.assessment_found_id is not None
                else None,
                "decision": decision,
                "period_closed": bool(row.period_closed),
                "field_visits": [
                    {
                        "visit_id": visit_id,
                        "supervisor_id": supervisor,
                        "visited_at": as_sent(datetime.fromisoformat(at).replace(tzinfo=UTC), offset),
                        "location": location,
                        "findings": findings,
                        "follow_up": follow_up,
                    }
                    for visit_id, supervisor, at, offset, location, findings, follow_up in visits
                ],
                "indicators": indicators,
                "updated_at": in_zone(row.updated_at, zone),
            }
        )
        .model_dump_json()
        .encode()
    )


def written(row: Any, zone: tzinfo, period: str = "2026-Q1") -> bytes:
    hr = Principal(subject="hr", region_id="medan", roles=frozenset({Role.REGION_ADMIN}))
    card = asyncio.run(
        scorecards.scorecard(
            session=_Session(row),  # type: ignore[arg-type]
            principal=hr,
            employee_id="ani",
            period=period,
            zone=zone,
        )
    )
    return scorecards.scorecard_json(card)


ZONES = [UTC, ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Jayapura"), timezone(-timedelta(hours=3, minutes=30))]


@pytest.mark.parametrize("zone", ZONES, ids=str)
@pytest.mark.parametrize("period", ["2026-Q1", "2026"])
def test_a_scorecard_is_written_as_its_models_write_it(zone: tzinfo, period: str) -> None:
    row = summary()
    assert written(row, zone, period) == as_the_models_wrote_it(row, zone, period)


@pytest.mark.parametrize(
    "changed",
    [
        # Local mean time's offsets have seconds (Jakarta's +07:07:12, Amsterdam's +00:19:32):
        # orjson would round them, pydantic drops them.
        {"updated_at": datetime(1900, 1, 1, tzinfo=UTC), "decided_at": datetime(1901, 6, 1, 12, tzinfo=UTC)},
        # Shares as JSON numbers, an unknown key, a share with an exponent: as pydantic reads them.
        {
            "proposal_reasons": [
                REASON | {"required": 0.8, "actual": 1},
                REASON | {"note": "x"},
                REASON | {"actual": "1e3"},
            ]
        },
        # Scores as JSON numbers with a fraction part of zero, or as text.
        {"assessment_scores": {"AKUNTABEL": 3.0, "LOYAL": "4"}},
        # No assessment, no decision, no visits, nothing reported.
        {
            "assessment_found_id": None,
            "result_rating": None,
            "field_visits_found": [],
            "activity_indicators": [],
            "activity_lists": [],
            "indicator_rows": [],
            "proposal_reasons": [],
        },
    ],
    ids=["seconds-offset", "odd-reasons", "odd-scores", "bare"],
)
@pytest.mark.parametrize("zone", [ZoneInfo("Asia/Jakarta"), ZoneInfo("Europe/Amsterdam")], ids=str)
def test_values_orjson_would_write_otherwise_are_written_as_pydantic_writes_them(
    changed: dict[str, Any], zone: tzinfo
) -> None:
    row = summary(**changed)
    assert written(row, zone) == as_the_models_wrote_it(row, zone, "2026-Q1")


def test_the_figures_are_the_answer_as_its_model() -> None:
    hr = Principal(subject="hr", region_id="medan", roles=frozenset({Role.REGION_ADMIN}))
    card = asyncio.run(
        scorecards.scorecard(
            session=_Session(summary()),  # type: ignore[arg-type]
            principal=hr,
            employee_id="ani",
            period="2026-Q1",
            zone=UTC,
        )
    )
    figures = card.figures
    assert figures.model_dump_json().encode() == scorecards.scorecard_json(card)
    assert [len(item.activities) for item in figures.indicators] == [1, 0, 0]
    assert card.activities == [ACTIVITIES, "[]", "[]"]
