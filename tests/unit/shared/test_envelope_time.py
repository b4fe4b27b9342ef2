"""An envelope's time is parsed by the standard library: the same instant and offset as pydantic
reads, the standard library's ``UTC`` as the zone of a time sent in UTC (compared and asked its
instant in C, several times an event in every consumer; shared/contracts/base.py)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, TypeAdapter, ValidationError

from shared.contracts import Envelope
from shared.contracts.base import USUAL_TIME_SHAPE, SentTime
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


# What the contract accepts is what pydantic reads as an aware ``date-time`` (RFC 3339's extended
# form); the standard library is used only where the two agree, so an event with any other time is
# refused (and dead-lettered) as it was when pydantic parsed every time.
_CONTRACT_TIME = TypeAdapter(AwareDatetime)
_SENT_TIME = TypeAdapter(SentTime)


@pytest.mark.parametrize(
    "sent",
    [
        "20261205T101500+0700",  # the basic form
        "20261205T101500Z",
        "2026-W49-6T10:15:00Z",  # a week date
        "2026-12-05T10:15:00+07",  # an offset of hours alone
        "2026-12-05T10:15:00+07:00:00",  # an offset with seconds
        "2026-12-05T10:15:00+07:60",  # an offset's minutes past 59
        "2026-12-05T10:15:00-00:70",
        "2026-12-05T10Z",  # no minutes
        "2026-12-05T10:15:00.Z",  # an empty fraction
        "2026-12-05T10:15:00 +07:00",  # a space before the offset
        "2026-12-05X10:15:00Z",  # another separator
        "2026-12-05T10:15:00",  # no zone
        "2026-12-05",
        "2026-12-05T24:00:00Z",
        "2026-12-05T10:15:00+24:00",
        "2026-02-29T10:15:00Z",
        "2026-13-05T10:15:00Z",
    ],
)
def test_a_time_the_contract_refuses_is_refused(sent: str) -> None:
    with pytest.raises(ValidationError):
        _CONTRACT_TIME.validate_json(f'"{sent}"')
    with pytest.raises(ValidationError):
        _SENT_TIME.validate_json(f'"{sent}"')
    with pytest.raises(ValidationError):
        _envelope(sent)


@pytest.mark.parametrize(
    ("sent", "standard"),
    [
        ("2026-12-05T10:15:00Z", True),
        ("2026-12-05T10:15:00+00:00", True),
        ("2026-12-05T10:15:00-00:00", True),
        ("2026-12-05T10:15:00+07:00", True),
        ("2026-12-05T10:15:00-03:30", True),
        ("2026-12-05T10:15:00+23:59", True),
        ("2026-12-05T10:15:00.1Z", True),
        ("2026-12-05T10:15:00.12345+05:45", True),
        ("2026-12-05T10:15:00.123456-09:00", True),
        # Accepted by pydantic, so by the contract, but read by pydantic (not the usual shape):
        ("2026-12-05T10:15:00.1234567Z", False),
        ("2026-12-05T10:15:00,5Z", False),
        ("2026-12-05t10:15:00z", False),
        ("2026-12-05 10:15:00Z", False),
        ("2026-12-05T10:15Z", False),
        ("2026-12-05T10:15:00+0700", False),
    ],
)
def test_a_time_the_contract_accepts_is_read_as_pydantic_reads_it(sent: str, standard: bool) -> None:
    expected = _CONTRACT_TIME.validate_json(f'"{sent}"')
    parsed = _SENT_TIME.validate_json(f'"{sent}"')

    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()
    assert (type(parsed.tzinfo) is timezone) is standard
    assert _envelope(sent).occurred_at == expected


@settings(max_examples=500)
@given(st.from_regex(re.compile(USUAL_TIME_SHAPE), fullmatch=True))
def test_any_text_of_the_usual_shape_is_judged_as_pydantic_judges_it(sent: str) -> None:
    _judged_alike(sent)


@settings(max_examples=500)
@given(
    st.from_regex(
        re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[0-9.,:+\-Z]{0,12}"), fullmatch=True
    )
)
def test_any_text_near_the_usual_shape_is_judged_as_pydantic_judges_it(sent: str) -> None:
    _judged_alike(sent)


def _judged_alike(sent: str) -> None:
    try:
        expected = _CONTRACT_TIME.validate_json(f'"{sent}"')
    except ValidationError:
        with pytest.raises(ValidationError):
            _SENT_TIME.validate_json(f'"{sent}"')
        return
    parsed = _SENT_TIME.validate_json(f'"{sent}"')
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


def test_a_datetime_without_an_offset_is_refused() -> None:
    with pytest.raises(ValidationError):
        _SENT_TIME.validate_python(datetime(2026, 12, 5, 10, 15))


def test_the_contracts_schema_is_an_aware_date_time() -> None:
    assert (
        _SENT_TIME.json_schema() == _CONTRACT_TIME.json_schema() == {"format": "date-time", "type": "string"}
    )
