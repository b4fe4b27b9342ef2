"""An accepted activity's live-feed notice holds it exactly as the API answers it: its submission's
answer and its reading back (``GET /v1/activities/{id}``, whose model is ``ActivityRead``'s and
evidence). A supervisor's open feed and the page reloaded from the API then show it the same way:
until session 36 a notice wrote a quantity as sent (``"1.5"``, the API ``"1.5000"``) and a time sent
at +00:00 as ``+00:00`` (the API ``Z``).

Not yet a coordinate of fewer than six places: the notice and the submission's answer show it as
sent (``"-6.2"``), its reading back with the column's six (``"-6.200000"``); here each is sent with six.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting.adapters.tables import activities
from services.reporting.entrypoints.schemas import valid_activity
from services.reporting.service_layer.activities import SubmissionRules, activity_json, read_activity
from services.reporting.service_layer.intake_claims import Claim
from services.reporting.service_layer.schemas import ActivityCreate
from shared.auth import Principal
from shared.region_time import shown_in
from tests.unit.reporting.intake_group import GroupTransaction, written

NOW = datetime.now(UTC)
_ROW = {"employee_id": "e-1", "plan_id": "p-1", "result_id": "x-1", "rater_id": "h-1"}
INDICATORS = {
    "count": _ROW | {"indicator_id": "count", "aggregation": "sum", "qualitative": False},
    "ratio": _ROW | {"indicator_id": "ratio", "aggregation": "ratio", "qualitative": False},
}
#: The notice's message around its activity (``TeamNotices.encoded``).
_MESSAGE_START = b'{"kind":"activity.submitted","activity":'


def _read(body: dict[str, Any]) -> ActivityCreate:
    """The item as the API reads its JSON text (in one pass when it can, else decoded)."""
    text = json.dumps(body).encode()
    return valid_activity(text) or ActivityCreate.model_validate(json.loads(text))


def _stored_row(values: dict[str, Any]) -> dict[str, Any]:
    """The activity's row as the database gives it back: each number with its column's scale,
    times in UTC, the device's offset beside."""
    row = dict(values)
    for name in ("quantity", "denominator", "latitude", "longitude"):
        if row[name] is not None:
            places = Decimal(1).scaleb(-cast("Any", activities.c[name].type).scale)
            row[name] = row[name].quantize(places) + 0  # no negative zero in a numeric column
    row["occurred_at"] = row["occurred_at"].astimezone(UTC)
    return row


def _notice_answer_and_read(body: dict[str, Any], zone: tzinfo) -> tuple[bytes, bytes, bytes]:
    """The activity of its notice, its submission's answer and its reading back, as JSON texts."""
    principal = Principal("e-1", "r-1", frozenset(), "e-1")
    claim = Claim(principal, "e-1", [(0, _read(body).__dict__)], None)
    year = NOW.astimezone(zone).year
    transaction = GroupTransaction("r-1", {i: row | {"year": year} for i, row in INDICATORS.items()})
    [result] = written(transaction, [claim], SubmissionRules(now=NOW, clock_skew=timedelta(minutes=5)), zone)
    [notice] = result.notices
    message = notice.encoded()
    assert message.startswith(_MESSAGE_START)
    [outcome] = result.outcomes
    assert outcome.outcome == "accepted"
    assert outcome.activity is not None
    answer = activity_json(outcome.activity, zone)
    read = shown_in(read_activity(_stored_row(dict(outcome.activity))), zone).model_dump_json().encode()
    return message[len(_MESSAGE_START) : -1], answer, read


def _body(offset: timedelta, **fields: Any) -> dict[str, Any]:
    return {
        "activity_id": "activity-0001",
        "indicator_id": "count",
        "occurred_at": (NOW - timedelta(hours=1)).astimezone(timezone(offset)).isoformat(),
        "description": "Menerbitkan KTP-el",
    } | fields


def test_a_quantity_and_a_time_sent_at_utc_show_as_the_api_answers_them():
    for offset in (timedelta(0), timedelta(hours=7)):
        for zone in (ZoneInfo("Asia/Jakarta"), UTC):
            body = _body(offset, quantity="1.5", latitude="-6.200000", longitude=106.812345)

            notice, answer, read = _notice_answer_and_read(body, zone)

            assert notice == answer == read
            shown = orjson.loads(notice)
            assert (shown["quantity"], shown["latitude"]) == ("1.5000", "-6.200000")
            assert shown["occurred_at"].endswith("Z" if not offset else "+07:00")


@pytest.mark.parametrize(
    "numbers",
    [
        {"quantity": "1e3"},
        {"quantity": "-0"},
        {"quantity": "0.0000000", "longitude": "-179.999999"},
    ],
)
def test_numbers_of_other_forms_show_as_the_api_reads_them(numbers: dict[str, Any]) -> None:
    notice, answer, read = _notice_answer_and_read(_body(timedelta(0), **numbers), UTC)

    assert notice == answer == read


_OFFSETS = [timedelta(minutes=m) for m in (0, 420, 480, 540, 345, -210, -600)]
_ZONES: list[tzinfo] = [ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Jayapura"), UTC]


def _sent_number(places: int, bound: int) -> st.SearchStrategy[Any]:
    """A number as a phone may send it: a JSON integer or number, or a string of its digits."""
    number = st.decimals(min_value=0, max_value=bound, places=places, allow_nan=False, allow_infinity=False)
    return st.integers(min_value=0, max_value=bound) | number.map(str) | number.map(float)


def _sent_coordinate(bound: int) -> st.SearchStrategy[Any]:
    """A coordinate with six places (see above), as the text of its digits."""
    number = st.decimals(min_value=-bound, max_value=bound, places=6, allow_nan=False, allow_infinity=False)
    # Not zero: sent as -0.000000 it is read back without its sign.
    return number.filter(lambda n: n != 0).map(lambda n: f"{n:.6f}")


@settings(max_examples=300, deadline=None)
@given(
    offset=st.sampled_from(_OFFSETS),
    zone=st.sampled_from(_ZONES),
    quantity=_sent_number(4, 99_999),
    ratio=st.booleans(),
    latitude=st.none() | _sent_coordinate(89),
    longitude=st.none() | _sent_coordinate(179),
    obstacles=st.none() | st.text(max_size=20),
)
def test_every_notice_is_the_apis_answer_and_reading(
    offset: timedelta,
    zone: tzinfo,
    quantity: Any,
    ratio: bool,
    latitude: Any,
    longitude: Any,
    obstacles: str | None,
) -> None:
    numbers: dict[str, Any] = {"quantity": quantity, "latitude": latitude, "longitude": longitude}
    if ratio:
        numbers |= {"indicator_id": "ratio", "denominator": Decimal(str(quantity)) + 1}
        numbers["denominator"] = str(numbers["denominator"])
    body = _body(offset, obstacles=obstacles, **numbers)

    notice, answer, read = _notice_answer_and_read(body, zone)

    assert notice == answer == read
