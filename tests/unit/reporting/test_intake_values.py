"""The intake builds rows from the validated model's fields: they must equal its dump."""

from __future__ import annotations

from datetime import UTC, datetime

from services.reporting.entrypoints.schemas import ActivityCreate
from services.reporting.service_layer.intake import _reported, _row_values
from shared.contracts.reporting import ActivityReported


def test_rows_and_events_carry_the_validated_values() -> None:
    item = ActivityCreate.model_validate(
        {
            "activity_id": "activity-0001",
            "indicator_id": "indicator-1",
            "occurred_at": "2026-11-29T10:00:00+07:00",
            "quantity": "12.5",
            "denominator": "20",
            "description": "Menerbitkan KTP-el",
            "obstacles": "Blanko habis",
            "latitude": "-6.2",
            "longitude": "106.8",
        }
    )
    values = _row_values(
        item,
        region_id="kab-sleman",
        employee_id="199001012020011001",
        indicator={"plan_id": "plan-1", "result_id": "result-1"},
        now=datetime.now(UTC),
    )

    assert {key: values[key] for key in ActivityCreate.model_fields} == item.model_dump()
    event = _reported(values)
    assert event == ActivityReported.model_validate(event.model_dump())
    assert (
        event.model_dump_json()
        == ActivityReported.model_validate_json(event.model_dump_json()).model_dump_json()
    )
