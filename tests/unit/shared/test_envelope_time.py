"""An envelope's time is parsed by the standard library: the same instant and offset as pydantic
reads, the standard library's ``UTC`` as the zone of a time sent in UTC (compared and asked its
instant in C, several times an event in every consumer; shared/contracts/base.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.contracts import Envelope
from shared.contracts.reporting import ActivityReported

_PYDANTIC_TIME = TypeAdapter(datetime)


def _envelope(occurred_at: str) -> Envelope:
    return Envelope.model_validate_json(
        '{"event_id":"018f0000-0000-7000-8000-000000000001","type":"ActivityReported",'
        f'"occurred_at":"{occurred_at}","producer":"reporting","region_id":"r","payload":{{}}}}'
    )


@pytest.mark.parametrize(
    "sent",
    [
        "2026-12-05T06:09:22.057303Z",
        "2026-12-05T06:09:22Z",
        "2026-12-05T06:09:22.057303+00:00",
        "2026-12-05T13:09:22.5+07:00",
        "2026-12-05T01:09:22-05:30",
    ],
)
def test_the_time_is_the_instant_and_offset_pydantic_reads(sent: str) -> None:
    parsed = _envelope(sent).occurred_at
    expected = _PYDANTIC_TIME.validate_json(f'"{sent}"')

    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()
    assert Envelope.model_validate_json(_envelope(sent).model_dump_json()).occurred_at == expected


def test_a_time_sent_in_utc_has_the_standard_librarys_utc() -> None:
    assert _envelope("2026-12-05T06:09:22.057303Z").occurred_at.tzinfo is UTC
    assert _envelope("2026-12-05T06:09:22Z").model_dump(mode="json")["occurred_at"] == "2026-12-05T06:09:22Z"


def test_a_time_given_as_a_datetime_is_kept() -> None:
    local = datetime(2026, 12, 5, 13, tzinfo=timezone(timedelta(hours=7)))
    envelope = Envelope(
        event_id=uuid.UUID("018f0000-0000-7000-8000-000000000001"),
        type="ActivityReported",
        occurred_at=local,
        producer="reporting",
        region_id="r",
        payload={},
    )
    assert envelope.occurred_at is local


def test_text_the_standard_library_cannot_read_is_left_to_pydantic() -> None:
    with pytest.raises(ValidationError):
        _envelope("not a time")
    assert _envelope("2026-12-05T06:09:22.057Z").occurred_at == datetime(
        2026, 12, 5, 6, 9, 22, 57000, tzinfo=UTC
    )


@pytest.mark.parametrize("sent", ["2026-03-04T05:06:07.123456Z", "2026-03-04T12:06:07+07:00"])
def test_an_activitys_time_is_read_alike(sent: str) -> None:
    payload = {
        "region_id": "r",
        "activity_id": "a",
        "employee_id": "e",
        "plan_id": "p",
        "result_id": "rh",
        "indicator_id": "i",
        "occurred_at": sent,
        "description": "d",
    }
    reported = ActivityReported.model_validate(payload)
    expected = _PYDANTIC_TIME.validate_json(f'"{sent}"')

    assert reported.occurred_at == expected
    assert reported.occurred_at.utcoffset() == expected.utcoffset()
    assert type(reported.occurred_at.tzinfo) is timezone  # compared and timed in C
    assert ActivityReported.model_validate_json(reported.model_dump_json()) == reported
