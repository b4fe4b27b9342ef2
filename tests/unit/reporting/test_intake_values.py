"""The intake builds rows from the validated model's fields: they must equal its dump."""

from __future__ import annotations

from datetime import UTC, datetime

from services.reporting.service_layer.intake import _reported, _row_values
from services.reporting.service_layer.schemas import ActivityCreate


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
    # The event carries the request's values (and the read model's), nothing lost on the way.
    reported = _reported(values).model_dump()
    assert {key: reported[key] for key in item.model_dump() if key in reported} == {
        key: value for key, value in item.model_dump().items() if key in reported
    }
    assert (reported["employee_id"], reported["plan_id"], reported["result_id"]) == (
        "199001012020011001",
        "plan-1",
        "result-1",
    )
